//! Arbitrary text as a test driver node document (`test:///PATH.xml`); see `rvirt_conf::fuzzing::fuzz_node`. The stable
//! smoke test `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run node_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_node(data);
});
