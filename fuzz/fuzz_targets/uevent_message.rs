//! Arbitrary bytes as a message of the kernel's uevent socket, in the kernel's format or
//! udevd's (`rvirt_host::uevent::parse_message`); the stable property test in
//! `crates/rvirt-host/src/uevent.rs` runs the same function.
//!
//! `cargo +nightly fuzz run uevent_message` (from the repository root).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rvirt_host::uevent::parse_message(data);
});
