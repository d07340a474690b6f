//! Arbitrary text as a network port document; see `rvirt_conf::fuzzing::fuzz_network_port`.
//! The stable smoke test `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run network_port_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_network_port(data);
});
