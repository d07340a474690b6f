//! Link options for the `rvirtd` binary.
//!
//! rvirtd is a position-independent executable, so the dynamic loader must write the load address
//! into every pointer of its relocated read-only data (vtables, tables of strings) before `main`.
//! As classic `Elf64_Rela` entries (24 bytes each) those relocations took 620 KiB of the file,
//! all of it read (and so resident) at every start. Packed relative relocations (`DT_RELR`, a
//! bitmap of the words to adjust) say the same in 7 KiB. glibc reads them since 2.36 (Debian 12),
//! and both rust-lld and GNU ld (2.38) write them.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
