//! Arbitrary text as a storage pool document; see `rvirt_conf::fuzzing::fuzz_pool`. The stable
//! smoke test `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run storage_pool_xml` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_conf::fuzzing::fuzz_pool(data);
});
