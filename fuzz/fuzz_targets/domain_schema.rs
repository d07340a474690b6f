//! Arbitrary bytes validated as a domain document against libvirt's `domain.rng` by rvirt's own
//! RELAX NG validator (`rvirt-rng`), as `VIR_DOMAIN_DEFINE_VALIDATE` does; it must never panic
//! or run away. See `rvirt_conf::fuzzing::fuzz_domain_schema`; the stable smoke test
//! `crates/rvirt-conf/tests/fuzz_smoke.rs` (`domain_schema`) runs the same function. Needs the
//! schemas in `/usr/share/libvirt/schemas` (Debian's libvirt packages).
//!
//! `cargo +nightly fuzz run domain_schema` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_domain_schema(data);
});
