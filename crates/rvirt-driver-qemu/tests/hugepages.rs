//! Guest RAM on huge pages, on real QEMU and a hugetlbfs the test mounts (with 2 MiB pages it
//! reserves, both given back at the end): the RAM object and the live XML are libvirt 9.0's
//! (its QEMU driver embedded through python3-libvirt, with the same `hugetlbfs_mount`); the
//! guest's pages are taken from the pool while it runs (preallocated) and given back when it
//! ends, in a folder of its own under the mount that goes with it; a page size no mount has,
//! and huge pages with on-demand allocation, fail as in libvirt.
//!
//! Runs as root only (mounting and reserving need it): skipped otherwise, except under CI.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, mask_live, open, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, HostDriver};
use rvirt_types::domain::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const NR_HUGEPAGES: &str = "/proc/sys/vm/nr_hugepages";
/// Pages the test adds to the pool: two 64 MiB guests' worth and some.
const RESERVED: u64 = 80;

/// A hugetlbfs of 2 MiB pages mounted for the test, with pages reserved; both undone when
/// dropped.
struct HugeMount {
    dir: tempfile::TempDir,
    before: u64,
}

impl HugeMount {
    fn new() -> HugeMount {
        let before: u64 = std::fs::read_to_string(NR_HUGEPAGES)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::fs::write(NR_HUGEPAGES, (before + RESERVED).to_string()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let m = HugeMount { dir, before };
        rvirt_testsupport::output_ok(
            std::process::Command::new("mount")
                .args(["-t", "hugetlbfs", "-o", "pagesize=2M", "rvirt-test-huge"])
                .arg(m.dir.path()),
        );
        m
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for HugeMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
        let _ = std::fs::write(NR_HUGEPAGES, self.before.to_string());
    }
}

/// Free 2 MiB pages of the host's pool.
fn free_pages() -> u64 {
    let text = std::fs::read_to_string("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")
        .unwrap();
    text.trim().parse().unwrap()
}

fn available() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let ok = root
        && Path::new("/sys/kernel/mm/hugepages/hugepages-2048kB").exists()
        && rvirt_driver_qemu::caps::emulator_for_arch("x86_64").is_some()
        && rvirt_testsupport::have_libvirt_qemu_driver();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "huge page test cannot run under CI (needs root, 2 MiB huge pages, QEMU, libvirt)"
        );
        eprintln!("skipped: needs root, 2 MiB huge pages, QEMU and libvirt's QEMU driver");
    }
    ok
}

/// A guest with `<memoryBacking>` `backing`, and with two NUMA cells of 32 MiB when its
/// name says `numa` (bound to host node 0: preallocated by a thread context there).
fn guest(name: &str, backing: &str) -> String {
    let numa = if name.contains("numa") {
        "<vcpu>2</vcpu><numatune><memory mode='strict' nodeset='0'/></numatune>\
         <cpu><numa><cell id='0' cpus='0' memory='32' unit='MiB'/>\
         <cell id='1' cpus='1' memory='32' unit='MiB'/></numa></cpu>"
    } else {
        ""
    };
    format!(
        "<domain type='qemu'><name>{name}</name>\
         <uuid>8a3c1e52-0000-4000-8000-{:012x}</uuid><memory unit='MiB'>64</memory>\
         <memoryBacking>{backing}</memoryBacking>{numa}\
         <os><type arch='x86_64' machine='pc'>hvm</type></os></domain>",
        name.len()
    )
}

/// The RAM's backend objects (the machine's, or the NUMA cells' with their thread contexts),
/// the machine options and the `-numa` options of a command line, an embedded driver's own
/// folder name (`qemu-embed-HASH`) and domain id masked.
fn ram_args(argv: &str) -> (Vec<Value>, String, Vec<String>) {
    let mask = |s: &str| {
        let mut s = s.to_string();
        if let Some(at) = s.find("qemu-embed-") {
            s.replace_range(at + 11..at + 19, "HASH");
        }
        s.replace("/-1-", "/N-")
    };
    let words: Vec<&str> = argv.split(' ').collect();
    let mut objects = Vec::new();
    let mut machine = String::new();
    let mut numa = Vec::new();
    for w in words.windows(2) {
        let arg = w[1].trim_matches('\'');
        if w[0] == "-object"
            && ["pc.ram", "ram-node", "tc-"]
                .iter()
                .any(|id| arg.contains(&format!(r#""id":"{id}"#)))
        {
            objects.push(serde_json::from_str(&mask(arg)).unwrap());
        }
        if w[0] == "-machine" {
            machine = arg.to_string();
        }
        if w[0] == "-numa" {
            numa.push(arg.to_string());
        }
    }
    (objects, machine, numa)
}

#[test]
fn guest_ram_comes_from_huge_pages_as_libvirt_gives_it() {
    if !available() {
        return;
    }
    let huge = HugeMount::new();
    let conf = format!("hugetlbfs_mount = \"{}\"", huge.path().display());
    let scratch = tempfile::tempdir().unwrap();
    let inputs = scratch.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    let cases = [
        ("huge", "<hugepages/>"),
        (
            "huge-sized",
            "<hugepages><page size='2' unit='M'/></hugepages>",
        ),
        (
            "huge-1g",
            "<hugepages><page size='1' unit='G'/></hugepages>",
        ),
        ("huge-ondemand", "<hugepages/><allocation mode='ondemand'/>"),
        // Huge pages for the second cell only.
        (
            "huge-numa",
            "<hugepages><page size='2048' unit='KiB' nodeset='1'/></hugepages>",
        ),
    ];
    let mut files: Vec<PathBuf> = Vec::new();
    for (name, backing) in cases {
        let p = inputs.join(format!("{name}.xml"));
        std::fs::write(&p, guest(name, backing)).unwrap();
        files.push(p);
    }

    // libvirt's answers.
    let lv_root = scratch.path().join("libvirt");
    let args = [
        "--start=huge".to_string(),
        "--start=huge-1g".to_string(),
        "--start=huge-numa".to_string(),
        format!("--conf={conf}"),
    ];
    let oracle = common::libvirt_oracle(&lv_root, files, args, 120);

    let root = Root::new();
    rvirt_testsupport::write_embed_conf(root.path(), &format!("{conf}\n"));
    let d = open(root.path());
    for (name, backing) in cases {
        let want = &oracle[name];
        let got = block_on(d.domain_define_xml(&guest(name, backing), DomainDefineFlags::empty()));
        if let Some(e) = want.get("error") {
            let e_got = got.unwrap_err();
            assert!(
                common::same_error(&e_got, e),
                "{name}: libvirt {e}, rvirt {e_got}"
            );
            continue;
        }
        let dom = got.unwrap();
        let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
        let native = block_on(d.connect_domain_xml_to_native("qemu-argv", &xml, 0));
        match (want.get("argv").and_then(Value::as_str), native) {
            (Some(w), Ok(g)) => assert_eq!(ram_args(&g), ram_args(w), "{name}: command line"),
            (None, Err(e)) => {
                let w = &want["argv_error"];
                assert!(common::same_error(&e, w), "{name}: libvirt {w}, rvirt {e}");
            }
            (w, g) => panic!("{name}: libvirt {w:?}, rvirt {g:?}"),
        }
    }

    // A start on a page size no mount has fails as libvirt's does.
    let dom = block_on(d.domain_lookup_by_name("huge-1g")).unwrap();
    let e = block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap_err();
    let w = &oracle["huge-1g"]["start_error"];
    assert!(common::same_error(&e, w), "libvirt {w}, rvirt {e}");

    // A guest on huge pages takes its 32 pages from the pool at start, in its own folder.
    let dom = block_on(d.domain_lookup_by_name("huge")).unwrap();
    let free = free_pages();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(
        mask_live(&live),
        mask_live(oracle["huge"]["live"].as_str().unwrap())
    );
    let taken = free.saturating_sub(free_pages());
    assert!(taken >= 32, "pages taken: {taken}");
    // MOUNT/libvirt/qemu-embed-HASH/ID-huge.
    let own = std::fs::read_dir(huge.path().join("libvirt"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("qemu-embed-"))
        .flat_map(|e| std::fs::read_dir(e.path()).unwrap().flatten())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("-huge"))
        })
        .expect("the guest's folder under the mount");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&own).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let groups = common::groups_of(common::pid_of(root.path(), "huge"));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    wait_until(Duration::from_secs(5), "the pages given back", || {
        free_pages() >= free
    });

    // A NUMA guest whose second cell asks for huge pages takes that cell's 16 from the pool,
    // the first cell's RAM being plain.
    let dom = block_on(d.domain_lookup_by_name("huge-numa")).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(
        mask_live(&live),
        mask_live(oracle["huge-numa"]["live"].as_str().unwrap())
    );
    let taken = free.saturating_sub(free_pages());
    assert!((16..32).contains(&taken), "pages taken: {taken}");
    // The thread context that preallocated the cell's pages on host node 0 is gone.
    let objects = block_on(d.monitor_command(
        &dom,
        "qom-list",
        Some(serde_json::json!({"path": "/objects"})),
    ))
    .unwrap();
    let names: Vec<&str> = objects
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(
        names.contains(&"ram-node1") && !names.iter().any(|n| n.starts_with("tc-")),
        "{names:?}"
    );
    let mut groups = groups;
    groups.extend(common::groups_of(common::pid_of(root.path(), "huge-numa")));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    wait_until(Duration::from_secs(5), "the pages given back", || {
        free_pages() >= free
    });
    assert!(!own.exists(), "the guest's folder stays after it ended");
    // Its control groups go too (removed in the background: waited for).
    wait_until(
        Duration::from_secs(10),
        "the guest's groups removed",
        || groups.iter().all(|g| !g.exists()),
    );
}
