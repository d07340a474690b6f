//! Arbitrary text as a snapshot document; see `rvirt_conf::fuzzing::fuzz_snapshot`. The stable
//! smoke test `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run snapshot_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_snapshot(data);
});
