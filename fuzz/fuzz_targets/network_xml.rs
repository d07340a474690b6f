//! Arbitrary text as a network document; see `rvirt_conf::fuzzing::fuzz_network`. The stable
//! smoke test `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run network_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_network(data);
});
