//! Arbitrary bytes as a QEMU monitor's output: the capped line splitter, the message parser
//! and the typed event view. See `rvirt_qmp::fuzzing::fuzz_line`; the stable smoke test
//! `crates/rvirt-qmp/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run qmp_line` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_qmp::fuzzing::fuzz_line(data);
});
