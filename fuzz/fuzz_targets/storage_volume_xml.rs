//! Arbitrary text as a storage volume document; see `rvirt_conf::fuzzing::fuzz_volume`. The stable
//! smoke test `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run storage_volume_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_volume(data);
});
