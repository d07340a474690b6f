//! Arbitrary text as a checkpoint document; see `rvirt_conf::fuzzing::fuzz_checkpoint`. The stable
//! smoke test `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run checkpoint_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_checkpoint(data);
});
