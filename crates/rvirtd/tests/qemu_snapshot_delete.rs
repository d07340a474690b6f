//! Deleting external disk-only snapshots with their data on real QEMU guests through rvirtd,
//! driven by Debian's virsh and watched by python3-libvirt. A running guest: the refusal while
//! a block job runs, a snapshot in the middle of the chain merged by a block commit, the top
//! one by an active commit with pivot. A shut-off guest: libvirt's refusals (an internal
//! snapshot as parent, an overlay the persistent definition does not chain), then the top
//! overlay merged by `qemu-img commit` and the next one after it, with the data written to the
//! overlays found in the base image; new live snapshots of the running guest once its
//! overlays were merged, the middle one merged once the guest is off. After each step:
//! `qemu-img info --backing-chain`, the live and inactive XML, the images QEMU holds open
//! (none that left the chain), `snapshot-list --tree`, the children's recorded disks, and the
//! BLOCK_JOB and BLOCK_JOB_2 events in order.

#![allow(clippy::unwrap_used)]

mod common;

use common::{BLOCK_JOB_WATCHER, PYTHON, QemuSystem, backing_chain, have, xml_disk_chain};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn qemu_io(image: &Path, cmd: &str) -> bool {
    Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", cmd, p(image)])
        .output()
        .unwrap()
        .status
        .success()
}

fn define(s: &QemuSystem, name: &str, image: &Path) {
    let out = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2", p(image), "16M"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let xml = s.write(
        &format!("{name}.xml"),
        &format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk></devices></domain>",
            p(image)
        ),
    );
    s.virsh(&["define", p(&xml)]);
}

#[test]
fn virsh_deletes_external_snapshots_of_running_and_shut_off_guests() {
    for t in [PYTHON, "virsh", "qemu-system-x86_64", "qemu-img", "qemu-io"] {
        if !have(t) {
            eprintln!("{t} is missing");
            return;
        }
    }
    let s = QemuSystem::new();
    let img = |n: &str| s.root.join(format!("{n}.qcow2"));
    let paths =
        |names: &[&str]| -> Vec<String> { names.iter().map(|n| p(&img(n)).to_string()).collect() };
    let tree = |dom: &str| s.virsh(&["snapshot-list", dom, "--tree"]);

    // A running guest with base <- s1 <- s2.
    define(&s, "vg", &img("base"));
    s.virsh(&["start", "vg"]);
    s.disk_only_snapshot("vg", "s1", &img("s1"));
    s.disk_only_snapshot("vg", "s2", &img("s2"));
    assert_eq!(backing_chain(&img("s2")), paths(&["s2", "s1", "base"]));

    // Not while another block job runs.
    let out = s.virsh(&[
        "blockcommit",
        "vg",
        "vda",
        "--active",
        "--shallow",
        "--wait",
    ]);
    assert!(out.contains("Now in synchronized phase"), "{out}");
    let err = s.virsh_fails(&["snapshot-delete", "vg", "s2"]);
    assert!(
        err.contains(
            "Operation not supported: cannot delete external snapshots when there is another active block job"
        ),
        "{err}"
    );
    s.virsh(&["blockjob", "vg", "vda", "--abort"]);
    assert_eq!(backing_chain(&img("s2")), paths(&["s2", "s1", "base"]));

    // A shut-off guest with an internal snapshot below an external one.
    define(&s, "vo", &img("obase"));
    s.virsh(&["snapshot-create-as", "vo", "i0"]);
    s.disk_only_snapshot("vo", "o1", &img("o1"));

    let mut watcher = Command::new(PYTHON)
        .args(["-c", BLOCK_JOB_WATCHER, &s.uri, "16"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");

    // s1, in the middle: committed into base, s2 now backed by base in QEMU, in both
    // definitions and in s2's recorded domain; s2 moves to the root of the tree.
    s.virsh(&["snapshot-delete", "vg", "s1"]);
    assert!(!img("s1").exists());
    assert_eq!(backing_chain(&img("s2")), paths(&["s2", "base"]));
    assert_eq!(
        xml_disk_chain(&s.virsh(&["dumpxml", "vg"])),
        paths(&["s2", "base"])
    );
    assert_eq!(s.open_files("vg"), paths(&["base", "s2"]));
    let inactive = s.virsh(&["dumpxml", "vg", "--inactive"]);
    assert_eq!(xml_disk_chain(&inactive), paths(&["s2", "base"]));
    let s2 = s.virsh(&["snapshot-dumpxml", "vg", "s2"]);
    let recorded = &s2[s2.find("<domain type").unwrap()..];
    assert_eq!(xml_disk_chain(recorded), paths(&["base"]));
    assert!(!s2.contains("<parent>"), "{s2}");
    assert_eq!(tree("vg").trim(), "s2");
    assert_eq!(s.virsh(&["snapshot-current", "vg", "--name"]).trim(), "s2");

    // s2, the top: active commit with pivot; base is the disk again everywhere.
    s.virsh(&["snapshot-delete", "vg", "s2"]);
    assert!(!img("s2").exists());
    assert_eq!(backing_chain(&img("base")), paths(&["base"]));
    assert_eq!(
        xml_disk_chain(&s.virsh(&["dumpxml", "vg"])),
        paths(&["base"])
    );
    let inactive = s.virsh(&["dumpxml", "vg", "--inactive"]);
    assert_eq!(xml_disk_chain(&inactive), paths(&["base"]));
    assert!(
        inactive.contains("<driver name='qemu' type='qcow2'/>"),
        "{inactive}"
    );
    assert_eq!(tree("vg").trim(), "");
    assert_eq!(s.virsh(&["domstate", "vg"]).trim(), "running");
    assert_eq!(s.open_files("vg"), paths(&["base"]));

    // Shut off: an internal snapshot as the nearest older one refuses.
    let err = s.virsh_fails(&["snapshot-delete", "vo", "o1"]);
    assert!(
        err.contains(
            "Operation not supported: deleting external snapshot that has internal snapshot as parent not supported"
        ),
        "{err}"
    );
    s.virsh(&["snapshot-delete", "vo", "i0", "--metadata"]);
    s.disk_only_snapshot("vo", "o2", &img("o2"));
    assert_eq!(backing_chain(&img("o2")), paths(&["o2", "o1", "obase"]));
    assert!(qemu_io(&img("o1"), "write -P 0xa1 0 64k"));
    assert!(qemu_io(&img("o2"), "write -P 0xb2 64k 64k"));
    // The persistent definition does not chain o1 below o2: libvirt cannot find it.
    let err = s.virsh_fails(&["snapshot-delete", "vo", "o1"]);
    assert!(
        err.contains("invalid argument: could not find base disk source in disk source chain"),
        "{err}"
    );
    assert_eq!(
        tree("vo"),
        s.virsh(&["snapshot-list", "vo", "--tree"]),
        "listing is stable"
    );
    assert!(tree("vo").contains("o1\n  |\n  +- o2"), "{}", tree("vo"));

    // o2, the top: committed into o1 with qemu-img; the persistent disk is o1 again.
    s.virsh(&["snapshot-delete", "vo", "o2"]);
    assert!(!img("o2").exists());
    assert_eq!(backing_chain(&img("o1")), paths(&["o1", "obase"]));
    assert_eq!(xml_disk_chain(&s.virsh(&["dumpxml", "vo"])), paths(&["o1"]));
    assert_eq!(tree("vo").trim(), "o1");
    assert_eq!(s.virsh(&["snapshot-current", "vo", "--name"]).trim(), "o1");

    // o1: into obase, which now holds what both overlays were given.
    s.virsh(&["snapshot-delete", "vo", "o1"]);
    assert!(!img("o1").exists());
    assert_eq!(backing_chain(&img("obase")), paths(&["obase"]));
    assert_eq!(
        xml_disk_chain(&s.virsh(&["dumpxml", "vo"])),
        paths(&["obase"])
    );
    assert_eq!(tree("vo").trim(), "");
    assert!(qemu_io(&img("obase"), "read -P 0xa1 0 64k"));
    assert!(qemu_io(&img("obase"), "read -P 0xb2 64k 64k"));
    assert_eq!(s.virsh(&["domstate", "vo"]).trim(), "shut off");

    // QEMU dropped the nodes of s1 and s2 with the commits, so nothing holds base as its
    // backing and it takes new overlays (QEMU refuses them while another node uses it).
    s.disk_only_snapshot("vg", "s3", &img("s3"));
    s.disk_only_snapshot("vg", "s4", &img("s4"));
    assert_eq!(s.open_files("vg"), paths(&["base", "s3", "s4"]));
    // Live snapshots leave the chain in the persistent definition: once shut off, the middle
    // overlay is found there, merged with qemu-img and the image above it rebased.
    s.virsh(&["destroy", "vg"]);
    s.virsh(&["snapshot-delete", "vg", "s3"]);
    assert!(!img("s3").exists());
    assert_eq!(backing_chain(&img("s4")), paths(&["s4", "base"]));
    assert_eq!(
        xml_disk_chain(&s.virsh(&["dumpxml", "vg"])),
        paths(&["s4", "base"])
    );
    assert_eq!(tree("vg").trim(), "s4");

    let status = watcher.wait().unwrap();
    assert!(status.success());
    let seen: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let at = |n: &str| p(&img(n)).to_string();
    let expect = [
        format!("v1 vg {} 3 0", at("s2")),
        "v2 vg vda 3 0".to_string(),
        format!("v1 vg {} 4 3", at("s2")),
        "v2 vg vda 4 3".to_string(),
        format!("v1 vg {} 4 0", at("base")),
        "v2 vg vda 4 0".to_string(),
        format!("v1 vo {} 4 3", at("o1")),
        "v2 vo vda 4 3".to_string(),
        format!("v1 vo {} 4 0", at("o1")),
        "v2 vo vda 4 0".to_string(),
        format!("v1 vo {} 4 3", at("obase")),
        "v2 vo vda 4 3".to_string(),
        format!("v1 vo {} 4 0", at("obase")),
        "v2 vo vda 4 0".to_string(),
        format!("v1 vg {} 3 0", at("s4")),
        "v2 vg vda 3 0".to_string(),
    ];
    assert_eq!(seen, expect, "rvirtd log:\n{}", s.daemon.log());
}

/// External full system snapshots (memory saved by migration into a save image, disks onto
/// overlays, the guest running on), plain and `--live`, through rvirtd with Debian's virsh;
/// libvirt 9.0's refusals: no revert to them, no memory state of a shut-off guest.
#[test]
fn virsh_takes_external_memory_snapshots() {
    for t in ["virsh", "qemu-system-x86_64", "qemu-img"] {
        if !have(t) {
            eprintln!("{t} is missing");
            return;
        }
    }
    let s = QemuSystem::new();
    let f = |n: &str| s.root.join(n);
    define(&s, "mx", &f("base.qcow2"));
    let e = s.virsh_fails(&[
        "snapshot-create-as",
        "mx",
        "off",
        "--memspec",
        &format!("file={},snapshot=external", p(&f("mem0"))),
    ]);
    assert!(
        e.contains(
            "error: XML error: memory state cannot be saved with offline or disk-only snapshot"
        ),
        "{e}"
    );
    s.virsh(&["start", "mx"]);
    for (name, live) in [("full", false), ("lv", true)] {
        let mem = f(&format!("{name}.mem"));
        let ov = f(&format!("{name}.qcow2"));
        let mut args = vec![
            "snapshot-create-as".to_string(),
            "mx".into(),
            name.into(),
            "--memspec".into(),
            format!("file={},snapshot=external", p(&mem)),
            "--diskspec".into(),
            format!("vda,snapshot=external,file={}", p(&ov)),
        ];
        if live {
            args.push("--live".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        s.virsh(&args);
        // The guest runs on, on its new overlay; the memory is a save image of it.
        assert_eq!(
            s.virsh(&["domstate", "mx", "--reason"]).trim(),
            "running (unpaused)"
        );
        let head = std::fs::read(&mem).unwrap();
        assert!(head.starts_with(b"LibvirtQemudSave"), "{name}");
        assert!(head.len() > 100_000, "{name}: {} bytes", head.len());
        let image = s.virsh(&["save-image-dumpxml", p(&mem)]);
        assert!(image.contains("<name>mx</name>"), "{image}");
        assert!(!image.contains("<alias"), "{image}");
        let live_xml = s.virsh(&["dumpxml", "mx"]);
        assert_eq!(xml_disk_chain(&live_xml)[0], p(&ov));
        assert_eq!(backing_chain(&ov)[0], p(&ov));
        assert!(s.open_files("mx").contains(&p(&ov).to_string()));
        let snap = s.virsh(&["snapshot-dumpxml", "mx", name]);
        assert!(snap.contains("<state>running</state>"), "{snap}");
        assert!(
            snap.contains(&format!("<memory snapshot='external' file='{}'/>", p(&mem))),
            "{snap}"
        );
        assert!(
            snap.contains(&format!(
                "<disk name='vda' snapshot='external' type='file'>\n      \
                 <driver type='qcow2'/>\n      <source file='{}'/>",
                p(&ov)
            )),
            "{snap}"
        );
        // The domain to go back to has no runtime device names (libvirt's has none either).
        assert!(!snap.contains("<alias"), "{snap}");
    }
    assert_eq!(
        backing_chain(&f("lv.qcow2")),
        [p(&f("lv.qcow2")), p(&f("full.qcow2")), p(&f("base.qcow2"))]
    );
    let e = s.virsh_fails(&["snapshot-revert", "mx", "full"]);
    assert!(
        e.contains(
            "error: unsupported configuration: revert to external snapshot not supported yet"
        ),
        "{e}"
    );
    let e = s.virsh_fails(&[
        "snapshot-create-as",
        "mx",
        "d",
        "--disk-only",
        "--memspec",
        &format!("file={},snapshot=external", p(&f("mem3"))),
    ]);
    assert!(
        e.contains("memory state cannot be saved with offline or disk-only"),
        "{e}"
    );
    s.virsh(&["destroy", "mx"]);
}
