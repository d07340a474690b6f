//! Block jobs on a real QEMU guest through rvirtd, driven by Debian's virsh and watched by
//! python3-libvirt: a chain made by external disk-only snapshots, then an inactive commit
//! (shallow, deleting the committed image), an active commit that is aborted and one that
//! pivots, a full pull; `blockjob --info`/`--bandwidth`/`--abort`, the errors with no job,
//! the live XML and `qemu-img info --backing-chain` after each step, the images QEMU still
//! holds open (none of those a job dropped from the chain), a live snapshot taken after the
//! jobs, and the BLOCK_JOB and BLOCK_JOB_2 events in order.

#![allow(clippy::unwrap_used)]

mod common;

use common::{BLOCK_JOB_WATCHER, PYTHON, QemuSystem, backing_chain, have, xml_disk_chain};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The live XML's chain of vg's vda: source, then each backingStore's source.
fn xml_chain(s: &QemuSystem) -> Vec<String> {
    xml_disk_chain(&s.virsh(&["dumpxml", "vg"]))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn virsh_commits_and_pulls_a_qemu_guests_backing_chain() {
    for t in [PYTHON, "virsh", "qemu-system-x86_64", "qemu-img"] {
        if !have(t) {
            eprintln!("{t} is missing");
            return;
        }
    }
    let s = QemuSystem::new();
    let img = |n: &str| s.root.join(n);
    let out = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2", p(&img("base.qcow2")), "16M"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let xml = s.write(
        "vg.xml",
        &format!(
            "<domain type='qemu'><name>vg</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk></devices></domain>",
            p(&img("base.qcow2"))
        ),
    );
    s.virsh(&["define", p(&xml)]);
    s.virsh(&["start", "vg"]);

    // No job yet: the info says so, abort and speed refuse, a lone image has nothing to commit.
    let out = s.virsh(&["blockjob", "vg", "vda", "--info"]);
    assert_eq!(out.trim(), "No current block job for vda");
    let err = s.virsh_fails(&["blockjob", "vg", "vda", "--abort"]);
    assert!(
        err.contains("disk vda does not have an active block job"),
        "{err}"
    );
    let err = s.virsh_fails(&["blockjob", "vg", "vda", "--bandwidth", "1"]);
    assert!(
        err.contains("disk vda does not have an active block job"),
        "{err}"
    );
    let err = s.virsh_fails(&["blockcommit", "vg", "vda", "--active"]);
    assert!(
        err.contains("could not find base image in chain for 'vda'"),
        "{err}"
    );
    let err = s.virsh_fails(&["blockcommit", "vg", "vdz"]);
    assert!(err.contains("disk 'vdz' not found in domain"), "{err}");

    for n in ["s1", "s2", "s3"] {
        s.disk_only_snapshot("vg", n, &img(&format!("{n}.qcow2")));
    }
    let paths = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| p(&img(&format!("{n}.qcow2"))).to_string())
            .collect()
    };
    assert_eq!(
        backing_chain(&img("s3.qcow2")),
        paths(&["s3", "s2", "s1", "base"])
    );

    let mut watcher = Command::new(PYTHON)
        .args(["-c", BLOCK_JOB_WATCHER, &s.uri, "12"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");

    // Committing the active layer needs --active; a top that is not active refuses it.
    let err = s.virsh_fails(&["blockcommit", "vg", "vda"]);
    assert!(
        err.contains("commit of 'vda' active layer requires active flag"),
        "{err}"
    );

    // Inactive commit of s2 into s1, deleting s2.
    let out = s.virsh(&[
        "blockcommit",
        "vg",
        "vda",
        "--top",
        p(&img("s2.qcow2")),
        "--shallow",
        "--delete",
        "--wait",
    ]);
    assert!(out.contains("Commit complete"), "{out}");
    assert_eq!(
        backing_chain(&img("s3.qcow2")),
        paths(&["s3", "s1", "base"])
    );
    assert_eq!(xml_chain(&s), paths(&["s3", "s1", "base"]));
    assert!(!img("s2.qcow2").exists());
    // QEMU let go of s2's nodes too: it holds no image outside the chain.
    assert_eq!(s.open_files("vg"), sorted(paths(&["s3", "s1", "base"])));

    // Active commit of s3 into s1: synchronized, its info and speed, then aborted.
    let out = s.virsh(&[
        "blockcommit",
        "vg",
        "vda",
        "--active",
        "--shallow",
        "--wait",
    ]);
    assert!(out.contains("Now in synchronized phase"), "{out}");
    let info = Command::new("virsh")
        .args(["-c", &s.uri, "blockjob", "vg", "vda", "--info"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&info.stderr),
        "\rActive Block Commit: [100 %]"
    );
    s.virsh(&["blockjob", "vg", "vda", "--bandwidth", "2"]);
    let info = Command::new("virsh")
        .args(["-c", &s.uri, "blockjob", "vg", "vda", "--info"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&info.stdout).trim_end(),
        "    Bandwidth limit: 2097152 bytes/s (2.000 MiB/s)"
    );
    let raw = s.virsh(&["blockjob", "vg", "vda", "--raw"]);
    assert!(
        raw.contains(" type=Active Block Commit\n bandwidth=2\n"),
        "{raw}"
    );
    let err = s.virsh_fails(&["blockpull", "vg", "vda"]);
    assert!(
        err.contains("disk 'vda' already in active block job"),
        "{err}"
    );
    s.virsh(&["blockjob", "vg", "vda", "--abort"]);
    assert_eq!(
        backing_chain(&img("s3.qcow2")),
        paths(&["s3", "s1", "base"])
    );

    // Active commit again, pivoted: s1 becomes the disk's image, in the live and the
    // persistent definitions.
    let out = s.virsh(&[
        "blockcommit",
        "vg",
        "vda",
        "--shallow",
        "--pivot",
        "--verbose",
    ]);
    assert!(out.contains("Successfully pivoted"), "{out}");
    assert_eq!(xml_chain(&s), paths(&["s1", "base"]));
    let inactive = s.virsh(&["dumpxml", "vg", "--inactive"]);
    assert!(
        inactive.contains(&format!("<source file='{}'/>", p(&img("s1.qcow2")))),
        "{inactive}"
    );
    assert!(img("s3.qcow2").exists());
    assert_eq!(s.open_files("vg"), sorted(paths(&["s1", "base"])));

    // A pull copies base into s1, which then stands alone.
    let out = s.virsh(&["blockpull", "vg", "vda", "--wait"]);
    assert!(out.contains("Pull complete"), "{out}");
    assert_eq!(backing_chain(&img("s1.qcow2")), paths(&["s1"]));
    assert_eq!(xml_chain(&s), paths(&["s1"]));
    let out = s.virsh(&["blockjob", "vg", "vda", "--info"]);
    assert_eq!(out.trim(), "No current block job for vda");
    assert_eq!(s.open_files("vg"), paths(&["s1"]));

    // Nothing left of the dropped images holds s1 as its backing: a new live snapshot of it
    // is taken (QEMU refuses one while another node uses s1 as its backing).
    s.disk_only_snapshot("vg", "s4", &img("s4.qcow2"));
    assert_eq!(backing_chain(&img("s4.qcow2")), paths(&["s4", "s1"]));
    assert_eq!(xml_chain(&s), paths(&["s4", "s1"]));
    assert_eq!(s.open_files("vg"), paths(&["s1", "s4"]));

    let status = watcher.wait().unwrap();
    assert!(status.success());
    let seen: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let (s3, s1) = (
        img("s3.qcow2").display().to_string(),
        img("s1.qcow2").display().to_string(),
    );
    let expect = [
        format!("v1 vg {s3} 3 0"),
        "v2 vg vda 3 0".to_string(),
        format!("v1 vg {s3} 4 3"),
        "v2 vg vda 4 3".to_string(),
        format!("v1 vg {s3} 4 2"),
        "v2 vg vda 4 2".to_string(),
        format!("v1 vg {s3} 4 3"),
        "v2 vg vda 4 3".to_string(),
        format!("v1 vg {s1} 4 0"),
        "v2 vg vda 4 0".to_string(),
        format!("v1 vg {s1} 1 0"),
        "v2 vg vda 1 0".to_string(),
    ];
    assert_eq!(seen, expect, "rvirtd log:\n{}", s.daemon.log());
    s.virsh(&["destroy", "vg"]);
}

fn qemu_io_write(image: &Path) {
    rvirt_testsupport::output_ok(Command::new("qemu-io").args([
        "-f",
        "qcow2",
        "-c",
        "write -P 0x5a 0 6M",
        p(image),
    ]));
}

fn qemu_img(args: &[&str]) {
    rvirt_testsupport::output_ok(Command::new("qemu-img").args(args));
}

/// Block jobs kept in the status file: rvirtd killed with SIGKILL during a pull and an active
/// commit (both slowed by a bandwidth limit) and started again still reports both with
/// `blockjob --info`, aborts the pull, pivots the commit once ready, and emits their events.
#[test]
fn block_jobs_outlive_a_daemon_killed_with_sigkill() {
    for t in [PYTHON, "virsh", "qemu-system-x86_64", "qemu-img", "qemu-io"] {
        if !have(t) {
            eprintln!("{t} is missing");
            return;
        }
    }
    let mut s = QemuSystem::new();
    let img = |n: &str| s.root.join(n);
    // vda: base (6 MiB of data) <- a, to pull; vdb: bbase <- btop (6 MiB), to commit.
    let (base, a, bbase, btop) = (img("base"), img("a"), img("bbase"), img("btop"));
    qemu_img(&["create", "-q", "-f", "qcow2", p(&base), "16M"]);
    qemu_img(&["create", "-q", "-f", "qcow2", p(&bbase), "16M"]);
    qemu_io_write(&base);
    for (top, below) in [(&a, &base), (&btop, &bbase)] {
        rvirt_testsupport::qcow2_overlay(below, top);
    }
    qemu_io_write(&btop);
    let disk = |f: &Path, dev: &str| {
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='{dev}' bus='virtio'/></disk>",
            p(f)
        )
    };
    let xml = s.write(
        "vg.xml",
        &format!(
            "<domain type='qemu'><name>vg</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>{}{}</devices></domain>",
            disk(&a, "vda"),
            disk(&btop, "vdb")
        ),
    );
    s.virsh(&["define", p(&xml)]);
    s.virsh(&["start", "vg"]);
    s.virsh(&["blockpull", "vg", "vda", "--bandwidth", "1"]);
    s.virsh(&["blockcommit", "vg", "vdb", "--active", "--bandwidth", "1"]);
    let pid = s.qemu_pid("vg");

    s.kill_and_restart();
    assert_eq!(s.qemu_pid("vg"), pid);
    let mut watcher = Command::new(PYTHON)
        .args(["-c", BLOCK_JOB_WATCHER, &s.uri, "6"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let info = |dev: &str| {
        let out = Command::new("virsh")
            .args(["-c", &s.uri, "blockjob", "vg", dev, "--info"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(
        info("vda").starts_with("\rBlock Pull: ["),
        "{:?}",
        info("vda")
    );
    assert!(
        info("vdb").starts_with("\rActive Block Commit: ["),
        "{:?}",
        info("vdb")
    );
    let raw = s.virsh(&["blockjob", "vg", "vdb", "--raw"]);
    assert!(raw.contains(" bandwidth=1\n"), "{raw}");

    // The pull is aborted: the chain stays as it was.
    s.virsh(&["blockjob", "vg", "vda", "--abort"]);
    assert_eq!(backing_chain(&a), [p(&a), p(&base)]);
    let out = s.virsh(&["blockjob", "vg", "vda", "--info"]);
    assert_eq!(out.trim(), "No current block job for vda");
    // The commit runs at full speed, gets ready and pivots onto bbase.
    s.virsh(&["blockjob", "vg", "vdb", "--bandwidth", "0"]);
    let t = std::time::Instant::now();
    while !info("vdb").contains("[100 %]") {
        assert!(t.elapsed().as_secs() < 60, "the commit never got ready");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    s.virsh(&["blockjob", "vg", "vdb", "--pivot"]);
    let live = s.virsh(&["dumpxml", "vg"]);
    assert!(
        live.contains(&format!("<source file='{}'", p(&bbase))),
        "{live}"
    );
    let status = std::fs::read_to_string(s.root.join("state/run/qemu/vg.xml")).unwrap();
    assert!(!status.contains("<blockjob"), "{status}");

    let seen: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let v2: Vec<&str> = seen
        .iter()
        .filter(|l| l.starts_with("v2 "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        v2,
        ["v2 vg vda 1 2", "v2 vg vdb 4 3", "v2 vg vdb 4 0"],
        "{seen:?}"
    );
    assert_eq!(seen.len(), 6, "{seen:?}");
    let _ = watcher.wait();
    s.virsh(&["destroy", "vg"]);
}
