//! Arbitrary text as a domain definition: parse, post-parse defaults and validation, then (when
//! it parses) format and re-parse, which must succeed and reach a fixed point; see
//! `rvirt_conf::fuzzing::fuzz_domain`. The stable smoke test
//! `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run domain_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_domain(data);
});
