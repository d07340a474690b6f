//! virtio-fs shares on a real QEMU (a tiny TCG guest with no OS, which cannot mount them) and
//! a real `virtiofsd` (QEMU's C daemon): the host side is checked. Each share's daemon runs
//! on its socket with the shared folder, QEMU has the `vhost-user-fs-pci` device and its RAM
//! in a shared memory backend, and no daemon outlives its guest (destroy, crash, a driver
//! restart, a failed start). libvirt's errors: no shared memory, a missing folder, a daemon
//! that is not executable, save and memory snapshots refused.
//!
//! Skipped (with a note) without QEMU, without `/usr/lib/qemu/virtiofsd` or when not root
//! (virtiofsd needs root, and libvirt allows virtio-fs to privileged drivers only).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, open, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, SnapshotDriver};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use rvirt_types::snapshot::DomainSnapshotCreateFlags;
use std::path::{Path, PathBuf};
use std::time::Duration;

const VIRTIOFSD: &str = "/usr/lib/qemu/virtiofsd";

fn available() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let ok = root
        && Path::new(VIRTIOFSD).exists()
        && rvirt_driver_qemu::caps::emulator_for_arch("x86_64").is_some();
    if !ok {
        eprintln!(
            "SKIPPED: needs root, qemu-system-x86_64 and {VIRTIOFSD} \
             (apt-get install qemu-system-x86)"
        );
    }
    ok
}

/// A tiny guest with shared memory (unless `memory_backing` says otherwise) and `shares`.
fn guest(name: &str, memory_backing: &str, shares: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>{memory_backing}\
         <os><type arch='x86_64'>hvm</type></os><devices>{shares}</devices></domain>"
    )
}

const SHARED: &str = "<memoryBacking><access mode='shared'/></memoryBacking>";

fn share(dir: &Path, tag: &str, binary: &str) -> String {
    format!(
        "<filesystem type='mount'><driver type='virtiofs'/>{binary}<source dir='{}'/>\
         <target dir='{tag}'/></filesystem>",
        dir.display()
    )
}

/// The pids of the virtiofsd processes serving `dir`.
fn daemons_of(dir: &Path) -> Vec<i32> {
    common::virtiofsd_pids(dir)
}

fn no_daemons_left(dir: &Path, what: &str) {
    wait_until(Duration::from_secs(5), what, || daemons_of(dir).is_empty());
}

fn err(r: rvirt_types::Result<impl std::fmt::Debug>) -> (ErrorNumber, String) {
    let e = r.unwrap_err();
    (e.code, e.message)
}

fn qmp(d: &QemuDriver, dom: &rvirt_driver::DomainRef, cmd: &str) -> serde_json::Value {
    block_on(d.monitor_command(dom, cmd, None)).unwrap()
}

/// Starts the guest `xml` defines (defined the first time).
fn start(d: &QemuDriver, name: &str, xml: &str) -> rvirt_driver::DomainRef {
    let dom = match block_on(d.domain_lookup_by_name(name)) {
        Ok(dom) => dom,
        Err(_) => block_on(d.domain_define_xml(xml, DomainDefineFlags::empty())).unwrap(),
    };
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    block_on(d.domain_lookup_by_name(&dom.name)).unwrap()
}

#[test]
fn shares_run_their_daemons_beside_qemu_and_end_with_it() {
    if !available() {
        return;
    }
    let root = Root::new();
    let scratch = tempfile::tempdir().unwrap();
    // (No comma in the names: libvirt doubles it as QEMU's options want, which QEMU's C
    // virtiofsd does not undo.)
    let (a, b) = (scratch.path().join("a"), scratch.path().join("b c"));
    std::fs::create_dir(&a).unwrap();
    std::fs::create_dir(&b).unwrap();
    let d = open(root.path());

    // libvirt's refusals at define time.
    let e = err(block_on(d.domain_define_xml(
        &guest("noshm", "", &share(&a, "a", "")),
        DomainDefineFlags::empty(),
    )));
    assert_eq!(
        e,
        (
            ErrorNumber::CONFIG_UNSUPPORTED,
            "unsupported configuration: 'virtiofs' requires shared memory".into()
        )
    );
    let private = "<memoryBacking><access mode='private'/></memoryBacking>";
    let e = err(block_on(d.domain_define_xml(
        &guest("noshm", private, &share(&a, "a", "")),
        DomainDefineFlags::empty(),
    )));
    assert_eq!(e.0, ErrorNumber::CONFIG_UNSUPPORTED);

    // Two shares, one with the daemon's options.
    let opts = format!(
        "<binary path='{VIRTIOFSD}' xattr='off'><cache mode='none'/>\
         <lock posix='off' flock='on'/><thread_pool size='2'/></binary>"
    );
    let xml = guest(
        "vfs",
        SHARED,
        &format!("{}{}", share(&a, "tag-a", &opts), share(&b, "tag-b", "")),
    );
    // No Cleanup guard before the driver restarts below (it would hold the driver): the
    // Root kills what a failed assertion leaves running.
    let dom = start(&d, "vfs", &xml);
    let r = root.path();
    for (alias, dir, args) in [
        (
            "fs0",
            &a,
            format!(
                "-o source={},cache=none,no_xattr,flock,no_posix_lock --thread-pool-size=2",
                a.display()
            ),
        ),
        ("fs1", &b, format!("-o source={}", b.display())),
    ] {
        let pid: i32 = std::fs::read_to_string(r.join(format!("run/qemu/1-vfs-{alias}-fs.pid")))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(
            cmdline.starts_with(&format!("{VIRTIOFSD} --fd="))
                && cmdline.trim_end().ends_with(&args),
            "{alias}: {cmdline}"
        );
        // The pid file's process, and the child its namespace sandbox runs the daemon in.
        assert!(daemons_of(dir).contains(&pid), "{alias}");
        let sock = r.join(format!("lib/qemu/domain-1-vfs/{alias}-fs.sock"));
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata(&sock).is_ok_and(|m| m.file_type().is_socket()),
            "no socket {}",
            sock.display()
        );
        assert!(
            r.join(format!("log/qemu/vfs-{alias}-virtiofsd.log"))
                .exists()
        );
    }
    // QEMU has both devices, named as the XML's aliases, and its RAM shared.
    let pci = qmp(&d, &dom, "query-pci");
    let devs: Vec<(String, String)> = pci[0]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["qdev_id"].as_str().unwrap_or("").to_string(),
                v["id"]["device"].to_string(),
            )
        })
        .collect();
    for alias in ["fs0", "fs1"] {
        // 0x105a: the virtio-fs PCI device id.
        assert!(
            devs.iter().any(|(q, id)| q == alias && id == "4186"),
            "no vhost-user-fs-pci {alias} in {devs:?}"
        );
    }
    let memdev = qmp(&d, &dom, "query-memdev");
    assert_eq!(memdev[0]["id"], "pc.ram", "{memdev}");
    assert_eq!(memdev[0]["share"], true, "{memdev}");
    assert_eq!(memdev[0]["size"], 64u64 << 20, "{memdev}");
    assert!(r.join("lib/qemu/ram/1-vfs/pc.ram").exists());
    // The live definition names the daemon that runs.
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        live.contains(&format!(
            "<driver type='virtiofs'/>\n      <binary path='{VIRTIOFSD}'/>"
        )),
        "{live}"
    );

    // The guest's memory cannot leave with the daemon's state.
    let refused = (
        ErrorNumber::OPERATION_INVALID,
        "Requested operation is not valid: migration with virtiofs device is not supported"
            .to_string(),
    );
    let img = scratch.path().join("vfs.save");
    let e = err(block_on(d.domain_save(
        &dom,
        img.to_str().unwrap(),
        None,
        DomainSaveRestoreFlags::empty(),
    )));
    assert_eq!(e, refused);
    let e = err(block_on(
        d.domain_managed_save(&dom, DomainSaveRestoreFlags::empty()),
    ));
    assert_eq!(e, refused);
    let snap = format!(
        "<domainsnapshot><name>s</name><memory snapshot='external' file='{}'/>\
         <disks/></domainsnapshot>",
        scratch.path().join("mem").display()
    );
    let e = err(block_on(d.snapshot_create_xml(
        &dom,
        &snap,
        DomainSnapshotCreateFlags::empty(),
    )));
    assert_eq!(e, refused);
    assert!(!img.exists());
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap().0,
        DomainState::RUNNING
    );

    // Destroy: no daemon, pid file, socket or RAM file stays.
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    no_daemons_left(&a, "fs0's daemon after destroy");
    no_daemons_left(&b, "fs1's daemon after destroy");
    assert!(!r.join("run/qemu/1-vfs-fs0-fs.pid").exists());
    assert!(!r.join("lib/qemu/ram/1-vfs").exists());

    // A crash of QEMU: the daemons end too.
    let dom = start(&d, "vfs", &xml);
    let qemu = common::pid_of(r, "vfs");
    // SAFETY: kill of the QEMU this test started.
    unsafe { libc::kill(qemu, libc::SIGKILL) };
    wait_until(Duration::from_secs(5), "the crash", || {
        block_on(d.domain_get_state(&dom, 0)).unwrap().0 == DomainState::SHUTOFF
    });
    no_daemons_left(&a, "fs0's daemon after the crash");

    // A restarted driver stops the daemons of the guest it reattached, even one that did not
    // end by itself (stopped here, so that it cannot notice QEMU going).
    start(&d, "vfs", &xml);
    drop(d);
    let d = open(r);
    let _guard = Cleanup(d.clone(), "vfs");
    let dom = block_on(d.domain_lookup_by_name("vfs")).unwrap();
    let stuck = daemons_of(&a);
    assert!(!stuck.is_empty());
    for pid in stuck {
        // SAFETY: kill of the daemon the driver started for this test's guest.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
    }
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    no_daemons_left(&a, "a stopped daemon after destroy by a restarted driver");
    no_daemons_left(&b, "fs1's daemon after destroy by a restarted driver");
}

#[test]
fn a_failed_start_leaves_no_daemon() {
    if !available() {
        return;
    }
    let root = Root::new();
    let scratch = tempfile::tempdir().unwrap();
    let a = scratch.path().join("a");
    std::fs::create_dir(&a).unwrap();
    let d = open(root.path());

    // The shared folder must exist (checked as the guest starts, as libvirt checks it).
    let gone = scratch.path().join("gone");
    let dom = block_on(d.domain_define_xml(
        &guest("nodir", SHARED, &share(&gone, "g", "")),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    let e = err(block_on(d.domain_create(&dom, DomainCreateFlags::empty())));
    assert_eq!(
        e,
        (
            ErrorNumber::INTERNAL_ERROR,
            format!(
                "internal error: the virtiofs export directory '{}' does not exist",
                gone.display()
            )
        )
    );
    // So must the daemon be executable.
    let text = scratch.path().join("text");
    std::fs::write(&text, "not a program").unwrap();
    let bin = format!("<binary path='{}'/>", text.display());
    let dom = block_on(d.domain_define_xml(
        &guest("nobin", SHARED, &share(&a, "a", &bin)),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    let e = err(block_on(d.domain_create(&dom, DomainCreateFlags::empty())));
    assert_eq!(
        e,
        (
            ErrorNumber::INTERNAL_ERROR,
            format!(
                "internal error: virtiofsd binary '{}' is not executable",
                text.display()
            )
        )
    );

    // QEMU fails after a daemon started (the second share's socket is nobody's): the daemon
    // is killed, its files go, the domain stays off.
    let missing = scratch.path().join("nobody.sock");
    let ext = format!(
        "<filesystem type='mount'><driver type='virtiofs'/><source socket='{}'/>\
         <target dir='ext'/></filesystem>",
        missing.display()
    );
    let dom = block_on(d.domain_define_xml(
        &guest("qfail", SHARED, &format!("{}{ext}", share(&a, "a", ""))),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    let e = err(block_on(d.domain_create(&dom, DomainCreateFlags::empty())));
    assert!(e.1.contains(&missing.display().to_string()), "{e:?}");
    no_daemons_left(&a, "the daemon of a failed start");
    let pid_files: Vec<PathBuf> = std::fs::read_dir(root.path().join("run/qemu"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pid"))
        .collect();
    assert!(pid_files.is_empty(), "{pid_files:?}");
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap().0,
        DomainState::SHUTOFF
    );
}
