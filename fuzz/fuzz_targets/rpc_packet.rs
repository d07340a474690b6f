//! Arbitrary bytes as a peer's side of an rvirt RPC connection: framing, header, and the
//! argument, return-value and error decoders the header selects. See
//! `rvirt_proto::fuzzing::fuzz_decode`; the stable smoke test
//! `crates/rvirt-proto/tests/fuzz_smoke.rs` runs the same function.
//!
//! `cargo +nightly fuzz run rpc_packet` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rvirt_proto::fuzzing::fuzz_decode(data);
});
