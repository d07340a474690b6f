//! Memory a client makes the daemon use is given back when the objects go.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, PYTHON};
use std::process::Command;
use std::time::{Duration, Instant};

/// The daemon's resident anonymous memory (heap, stacks): what defining domains costs it. The
/// file-backed part of VmRSS also grows the first time a code path runs (the debug binary's
/// text faulted in by the define and undefine calls), which nothing could give back.
fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("RssAnon:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

fn python(uri: &str, code: &str) {
    rvirt_testsupport::output_ok(Command::new(PYTHON).args(["-c", code, uri]));
}

#[test]
fn undefined_domains_return_their_memory() {
    let d = Daemon::start("");
    // Warm up: the calls the burst makes, so the baseline includes what any client and those
    // code paths cost. Two clients at once, so that both of the runtime's worker threads
    // answer calls: a worker's stack grows to its depth (some 1.6 MiB in a debug build) the
    // first time it runs them and keeps it, and with one client only one worker did, at
    // random, which left the baseline 1.7 MiB short in some runs.
    std::thread::scope(|s| {
        for prefix in ["w", "v"] {
            let uri = d.uri();
            s.spawn(move || {
                python(
                    &uri,
                    &format!(
                        "import sys, libvirt\n\
                         c = libvirt.open(sys.argv[1])\n\
                         x = \"<domain type='test'><name>{prefix}%d</name><memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>\"\n\
                         for d in [c.defineXML(x % i) for i in range(200)]: d.undefine()\n\
                         c.listAllDomains(0)\n\
                         c.close()"
                    ),
                )
            });
        }
    });
    std::thread::sleep(Duration::from_millis(1500));
    let baseline = rss_kib(d.pid());
    python(
        &d.uri(),
        "import sys, libvirt\n\
         c = libvirt.open(sys.argv[1])\n\
         x = \"<domain type='test'><name>m%d</name><memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>\"\n\
         doms = [c.defineXML(x % i) for i in range(5000)]\n\
         assert len(c.listAllDomains(0)) == 5001\n\
         for d in doms: d.undefine()\n\
         c.close()",
    );
    let peak_ok = rss_kib(d.pid());
    // Within a few seconds of the burst, the daemon is back near where it started.
    let start = Instant::now();
    loop {
        let now = rss_kib(d.pid());
        if now <= baseline + 2048 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "RSS {now} KiB after undefining 5,000 domains (baseline {baseline} KiB, right after {peak_ok} KiB)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The little-endian unsigned integer of `N` bytes at `o` in `b`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn le<const N: usize>(b: &[u8], o: usize) -> u64 {
    let mut v = [0u8; 8];
    v[..N].copy_from_slice(&b[o..o + N]);
    u64::from_le_bytes(v)
}

/// The entries of the `PT_DYNAMIC` segment of a 64-bit little-endian ELF file, as (tag, value).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn dynamic_entries(elf: &[u8]) -> Vec<(u64, u64)> {
    assert_eq!(
        &elf[..6],
        b"\x7fELF\x02\x01",
        "not a 64-bit little-endian ELF file"
    );
    let phoff = le::<8>(elf, 0x20) as usize;
    let (phentsize, phnum) = (le::<2>(elf, 0x36) as usize, le::<2>(elf, 0x38) as usize);
    const PT_DYNAMIC: u64 = 2;
    let dynamic = (0..phnum)
        .map(|i| phoff + i * phentsize)
        .find(|&ph| le::<4>(elf, ph) == PT_DYNAMIC)
        .expect("no PT_DYNAMIC: rvirtd is expected to be dynamically linked");
    let (offset, size) = (
        le::<8>(elf, dynamic + 8) as usize,
        le::<8>(elf, dynamic + 32) as usize,
    );
    elf[offset..offset + size]
        .chunks_exact(16)
        .map(|e| (le::<8>(e, 0), le::<8>(e, 8)))
        .take_while(|&(tag, _)| tag != 0)
        .collect()
}

/// The names of the `DT_NEEDED` libraries.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn needed_libraries(elf: &[u8], entries: &[(u64, u64)]) -> Vec<String> {
    const DT_NEEDED: u64 = 1;
    const DT_STRTAB: u64 = 5;
    const PT_LOAD: u64 = 1;
    let strtab = entries.iter().find(|e| e.0 == DT_STRTAB).unwrap().1;
    // DT_STRTAB is an address: find the file offset of the segment that loads it.
    let phoff = le::<8>(elf, 0x20) as usize;
    let (phentsize, phnum) = (le::<2>(elf, 0x36) as usize, le::<2>(elf, 0x38) as usize);
    let offset = (0..phnum)
        .map(|i| phoff + i * phentsize)
        .filter(|&ph| le::<4>(elf, ph) == PT_LOAD)
        .map(|ph| {
            (
                le::<8>(elf, ph + 8),
                le::<8>(elf, ph + 16),
                le::<8>(elf, ph + 32),
            )
        })
        .find(|&(_, vaddr, filesz)| vaddr <= strtab && strtab < vaddr + filesz)
        .map(|(off, vaddr, _)| (strtab - vaddr + off) as usize)
        .expect("DT_STRTAB outside every PT_LOAD");
    entries
        .iter()
        .filter(|e| e.0 == DT_NEEDED)
        .map(|&(_, at)| {
            let s = &elf[offset + at as usize..];
            let end = s.iter().position(|&b| b == 0).unwrap();
            String::from_utf8_lossy(&s[..end]).into_owned()
        })
        .collect()
}

/// The loader reads every relocation of the binary at each start, so their size is resident
/// memory: rvirtd's relative relocations are packed (`DT_RELR`, see build.rs), and what is left
/// as `Elf64_Rela` entries (references to libc's symbols) is small.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_packs_its_relative_relocations() {
    const DT_RELASZ: u64 = 8;
    const DT_RELRSZ: u64 = 35;
    let elf = std::fs::read(env!("CARGO_BIN_EXE_rvirtd")).unwrap();
    let entries = dynamic_entries(&elf);
    let get = |tag| entries.iter().find(|&&(t, _)| t == tag).map(|&(_, v)| v);
    let relr = get(DT_RELRSZ).expect("rvirtd has no DT_RELR table");
    let rela = get(DT_RELASZ).unwrap_or(0);
    assert!(relr > 0, "empty DT_RELR table");
    assert!(
        rela < 64 * 1024,
        "{rela} bytes of Elf64_Rela relocations (the relative ones belong in DT_RELR)"
    );
}

/// The one math function rvirtd needs (`pow`) is its own, so glibc's libm is not loaded: its
/// mapping and load-time work cost the idle daemon 0.5 MiB (see main.rs).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_does_not_load_libm() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_rvirtd")).unwrap();
    let needed = needed_libraries(&elf, &dynamic_entries(&elf));
    assert!(
        needed.iter().any(|n| n.starts_with("libc.so")),
        "{needed:?}"
    );
    assert!(
        !needed.iter().any(|n| n.starts_with("libm.so")),
        "{needed:?}"
    );
}
