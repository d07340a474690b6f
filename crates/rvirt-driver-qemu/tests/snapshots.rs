//! Snapshots of real QEMU guests: a tiny TCG guest (64 MiB, no OS) with a 1 MiB qcow2 disk
//! made by qemu-img. Disk contents are written and checked with qemu-io, snapshots inside the
//! images with `qemu-img snapshot -l`, overlay chains with `qemu-img info --backing-chain`.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Seen, guest_with, open, record_lifecycle};
use pollster::block_on;
use rvirt_driver::{DomainDriver, SnapshotDriver, SnapshotRef};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use rvirt_types::snapshot::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A 1 MiB image of `format` in `dir`.
fn image(dir: &Path, name: &str, format: &str) -> PathBuf {
    let p = dir.join(name);
    run(
        "qemu-img",
        &["create", "-q", "-f", format, p.to_str().unwrap(), "1M"],
    );
    p
}

/// Fills the first sector of a shut-off guest's image with `byte`.
fn write_marker(img: &Path, byte: u8) {
    let cmd = format!("write -P {byte:#x} 0 512");
    run("qemu-io", &["-c", &cmd, img.to_str().unwrap()]);
}

/// Whether the first sector of the image holds `byte` everywhere.
fn has_marker(img: &Path, byte: u8) -> bool {
    let cmd = format!("read -P {byte:#x} 0 512");
    let out = Command::new("qemu-io")
        .args(["-r", "-U", "-c", &cmd, img.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("read 512/512 bytes"), "{text}");
    out.status.success() && !text.contains("Pattern verification failed")
}

/// The snapshot tags `qemu-img snapshot -l` lists in the image (shared, as QEMU may hold it).
fn image_snapshots(img: &Path) -> String {
    run("qemu-img", &["snapshot", "-l", "-U", img.to_str().unwrap()])
}

fn guest(name: &str, disk: Option<(&Path, &str)>) -> String {
    let disk = disk.map_or(String::new(), |(p, f)| {
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='{f}'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk>",
            p.display()
        )
    });
    guest_with(name, &disk)
}

fn snap_xml(name: &str) -> String {
    format!("<domainsnapshot><name>{name}</name></domainsnapshot>")
}

/// Every lifecycle event of `d` as (event, detail).
fn record(d: &QemuDriver) -> Seen<(i32, i32)> {
    record_lifecycle(d, |_, event, detail| (event, detail))
}

fn names(v: &[SnapshotRef]) -> Vec<String> {
    let mut n: Vec<String> = v.iter().map(|s| s.name.to_string()).collect();
    n.sort();
    n
}

const NONE: DomainSnapshotCreateFlags = DomainSnapshotCreateFlags::empty();

#[test]
fn internal_snapshots_of_a_shut_off_guest() {
    let root = tempfile::tempdir().unwrap();
    let disk = image(root.path(), "d.qcow2", "qcow2");
    let d = open(root.path());
    let dom = block_on(d.domain_define_xml(
        &guest("off", Some((&disk, "qcow2"))),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    write_marker(&disk, 0x41);
    let s1 = block_on(d.snapshot_create_xml(&dom, &snap_xml("s1"), NONE)).unwrap();
    assert!(
        image_snapshots(&disk).contains(" s1 "),
        "{}",
        image_snapshots(&disk)
    );
    let xml = block_on(d.snapshot_get_xml_desc(&s1, DomainSnapshotXMLFlags::empty())).unwrap();
    assert!(xml.contains("<state>shutoff</state>"), "{xml}");
    assert!(xml.contains("<memory snapshot='no'/>"), "{xml}");
    assert!(
        xml.contains("<disk name='vda' snapshot='internal'/>"),
        "{xml}"
    );
    assert!(xml.contains("<domain type='qemu'>"), "{xml}");
    assert!(root.path().join("lib/qemu/snapshot/off/s1.xml").is_file());

    // Revert brings the disk back while the domain stays shut off.
    write_marker(&disk, 0x42);
    assert!(has_marker(&disk, 0x42));
    assert!(!has_marker(&disk, 0x41));
    block_on(d.snapshot_revert(&s1, DomainSnapshotRevertFlags::empty())).unwrap();
    assert!(has_marker(&disk, 0x41));
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap().0,
        DomainState::SHUTOFF
    );

    let s2 = block_on(d.snapshot_create_xml(&dom, &snap_xml("s2"), NONE)).unwrap();
    assert_eq!(
        block_on(d.snapshot_get_parent(&s2, 0))
            .unwrap()
            .name
            .as_ref(),
        "s1"
    );
    assert!(block_on(d.snapshot_is_current(&s2, 0)).unwrap());
    assert!(!block_on(d.snapshot_is_current(&s1, 0)).unwrap());
    let e = block_on(d.snapshot_create_xml(&dom, &snap_xml("s2"), NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_FAILED, "{e}");

    // The records survive a new driver on the same root.
    drop(d);
    let d = open(root.path());
    let dom = block_on(d.domain_lookup_by_name("off")).unwrap();
    let all =
        block_on(d.domain_list_all_snapshots(&dom, DomainSnapshotListFlags::empty())).unwrap();
    assert_eq!(names(&all), vec!["s1", "s2"]);
    assert_eq!(
        block_on(d.domain_snapshot_num(&dom, DomainSnapshotListFlags::ROOTS)).unwrap(),
        1
    );
    assert_eq!(
        block_on(d.snapshot_current(&dom, 0)).unwrap().name.as_ref(),
        "s2"
    );
    let s1 = block_on(d.snapshot_lookup_by_name(&dom, "s1", 0)).unwrap();
    let kids =
        block_on(d.snapshot_list_all_children(&s1, DomainSnapshotListFlags::empty())).unwrap();
    assert_eq!(names(&kids), vec!["s2"]);
    let listed =
        block_on(d.connect_list_all_domains(ConnectListAllDomainsFlags::HAS_SNAPSHOT)).unwrap();
    assert_eq!(listed.len(), 1);

    // Delete s1: s2 becomes a root, and the image forgets s1.
    block_on(d.snapshot_delete(&s1, DomainSnapshotDeleteFlags::empty())).unwrap();
    assert!(!image_snapshots(&disk).contains(" s1 "));
    assert!(image_snapshots(&disk).contains(" s2 "));
    let s2 = block_on(d.snapshot_lookup_by_name(&dom, "s2", 0)).unwrap();
    let e = block_on(d.snapshot_get_parent(&s2, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN_SNAPSHOT);
    assert!(!root.path().join("lib/qemu/snapshot/off/s1.xml").exists());
    let e = block_on(d.snapshot_lookup_by_name(&dom, "s1", 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN_SNAPSHOT);
    assert!(
        e.message
            .contains("no domain snapshot with matching name 's1'"),
        "{e}"
    );

    // A shut-off snapshot reverted with RUNNING boots the guest afresh.
    let seen = record(&d);
    block_on(d.snapshot_revert(&s2, DomainSnapshotRevertFlags::RUNNING)).unwrap();
    let run = block_on(d.domain_lookup_by_name("off")).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&run, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
    assert_eq!(
        std::mem::take(&mut *seen.lock()),
        vec![
            (
                DomainEventType::RESUMED.0,
                DomainEventResumedDetailType::UNPAUSED.0
            ),
            (
                DomainEventType::STARTED.0,
                DomainEventStartedDetailType::FROM_SNAPSHOT.0
            ),
            (
                DomainEventType::DEFINED.0,
                DomainEventDefinedDetailType::FROM_SNAPSHOT.0
            ),
        ]
    );
    block_on(d.domain_destroy(&run, DomainDestroyFlags::empty())).unwrap();

    // Undefine wants the snapshots' metadata gone too.
    let e = block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
    assert!(
        e.message
            .contains("cannot delete inactive domain with 1 snapshots"),
        "{e}"
    );
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::SNAPSHOTS_METADATA)).unwrap();
    assert!(!root.path().join("lib/qemu/snapshot/off").exists());
    // The data stays in the image, as libvirt leaves it.
    assert!(image_snapshots(&disk).contains(" s2 "));
}

#[test]
fn full_system_checkpoint_of_a_running_guest_and_revert() {
    let root = tempfile::tempdir().unwrap();
    let disk = image(root.path(), "r.qcow2", "qcow2");
    write_marker(&disk, 0x41);
    let d = open(root.path());
    let dom = block_on(d.domain_define_xml(
        &guest("run", Some((&disk, "qcow2"))),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let dom = block_on(d.domain_lookup_by_name("run")).unwrap();
    let seen = record(&d);
    let s1 = block_on(d.snapshot_create_xml(&dom, &snap_xml("s1"), NONE)).unwrap();
    let list = image_snapshots(&disk);
    let line = list.lines().find(|l| l.contains(" s1 ")).unwrap();
    assert!(!line.contains(" 0 B "), "no memory state saved: {list}");
    let xml = block_on(d.snapshot_get_xml_desc(&s1, DomainSnapshotXMLFlags::empty())).unwrap();
    assert!(xml.contains("<state>running</state>"), "{xml}");
    assert!(xml.contains("<memory snapshot='internal'/>"), "{xml}");
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap().0,
        DomainState::RUNNING
    );
    assert_eq!(
        std::mem::take(&mut *seen.lock()),
        vec![
            (
                DomainEventType::SUSPENDED.0,
                DomainEventSuspendedDetailType::PAUSED.0
            ),
            (
                DomainEventType::RESUMED.0,
                DomainEventResumedDetailType::UNPAUSED.0
            ),
        ]
    );

    // Change the disk behind the snapshot, then revert: QEMU restarts with s1 loaded.
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    write_marker(&disk, 0x42);
    seen.lock().clear();
    block_on(d.snapshot_revert(&s1, DomainSnapshotRevertFlags::empty())).unwrap();
    let dom = block_on(d.domain_lookup_by_name("run")).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::FROM_SNAPSHOT.0)
    );
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    assert!(has_marker(&disk, 0x41), "the disk did not return to s1");
    seen.lock().clear();

    // Running → paused revert: stopped, started and suspended, all from the snapshot.
    block_on(d.snapshot_revert(&s1, DomainSnapshotRevertFlags::empty())).unwrap();
    block_on(d.snapshot_revert(&s1, DomainSnapshotRevertFlags::PAUSED)).unwrap();
    let dom = block_on(d.domain_lookup_by_name("run")).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::PAUSED, DomainPausedReason::FROM_SNAPSHOT.0)
    );
    let from = |e: DomainEventType, x: i32| (e.0, x);
    let started = from(
        DomainEventType::STARTED,
        DomainEventStartedDetailType::FROM_SNAPSHOT.0,
    );
    let defined = from(
        DomainEventType::DEFINED,
        DomainEventDefinedDetailType::FROM_SNAPSHOT.0,
    );
    let resumed = from(
        DomainEventType::RESUMED,
        DomainEventResumedDetailType::FROM_SNAPSHOT.0,
    );
    // As libvirt 9.0's QEMU driver reports them (checked with its embedded driver).
    assert_eq!(
        *seen.lock(),
        vec![
            started,
            resumed,
            defined,
            from(
                DomainEventType::STOPPED,
                DomainEventStoppedDetailType::FROM_SNAPSHOT.0
            ),
            started,
            from(
                DomainEventType::SUSPENDED,
                DomainEventSuspendedDetailType::FROM_SNAPSHOT.0
            ),
            defined,
        ]
    );

    // Delete while running: QEMU's snapshot-delete job removes it from the image.
    block_on(d.snapshot_delete(&s1, DomainSnapshotDeleteFlags::empty())).unwrap();
    assert!(!image_snapshots(&disk).contains(" s1 "));
    assert_eq!(
        block_on(d.domain_snapshot_num(&dom, DomainSnapshotListFlags::empty())).unwrap(),
        0
    );
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn a_transient_guest_survives_its_revert() {
    let root = tempfile::tempdir().unwrap();
    let disk = image(root.path(), "t.qcow2", "qcow2");
    let d = open(root.path());
    let dom = block_on(d.domain_create_xml(
        &guest("tr", Some((&disk, "qcow2"))),
        DomainCreateFlags::empty(),
    ))
    .unwrap();
    let e = block_on(d.snapshot_create_xml(&dom, &snap_xml("s"), DomainSnapshotCreateFlags::HALT))
        .unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
    assert!(
        e.message
            .contains("cannot halt after transient domain snapshot"),
        "{e}"
    );
    let s = block_on(d.snapshot_create_xml(&dom, &snap_xml("s"), NONE)).unwrap();
    block_on(d.snapshot_revert(&s, DomainSnapshotRevertFlags::empty())).unwrap();
    let dom = block_on(d.domain_lookup_by_name("tr")).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::FROM_SNAPSHOT.0)
    );
    assert!(!block_on(d.domain_is_persistent(&dom)).unwrap());
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    // Gone with its snapshot records once it stops.
    assert!(block_on(d.domain_lookup_by_name("tr")).is_err());
    assert!(!root.path().join("lib/qemu/snapshot/tr").exists());
}

fn backing_chain(img: &Path) -> Vec<String> {
    let out = run(
        "qemu-img",
        &["info", "-U", "--backing-chain", img.to_str().unwrap()],
    );
    out.lines()
        .filter_map(|l| l.strip_prefix("image: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn external_disk_only_snapshots_make_overlays() {
    let root = tempfile::tempdir().unwrap();
    let base = image(root.path(), "base.qcow2", "qcow2");
    let d = open(root.path());
    let dom = block_on(d.domain_define_xml(
        &guest("ext", Some((&base, "qcow2"))),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    let disk_only = DomainSnapshotCreateFlags::DISK_ONLY;

    // Offline: qemu-img create -b, and the config points at the overlay.
    let e1 = block_on(d.snapshot_create_xml(&dom, &snap_xml("e1"), disk_only)).unwrap();
    let e1_path = root.path().join("base.e1");
    let b = base.display().to_string();
    let o1 = e1_path.display().to_string();
    assert_eq!(backing_chain(&e1_path), vec![o1.clone(), b.clone()]);
    let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(xml.contains(&format!("<source file='{o1}'/>")), "{xml}");
    let sx = block_on(d.snapshot_get_xml_desc(&e1, DomainSnapshotXMLFlags::empty())).unwrap();
    assert!(sx.contains("<state>shutoff</state>"), "{sx}");
    assert!(
        sx.contains(&format!(
            "<disk name='vda' snapshot='external' type='file'>\n      <driver type='qcow2'/>\n      <source file='{o1}'/>"
        )),
        "{sx}"
    );

    // Online: blockdev-add + blockdev-snapshot on top of the first overlay.
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let dom = block_on(d.domain_lookup_by_name("ext")).unwrap();
    let e2 = block_on(d.snapshot_create_xml(&dom, &snap_xml("e2"), disk_only)).unwrap();
    let e2_path = root.path().join("base.e2");
    let o2 = e2_path.display().to_string();
    assert_eq!(backing_chain(&e2_path), vec![o2.clone(), o1.clone(), b]);
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains(&format!("<source file='{o2}'/>")), "{live}");
    assert!(live.contains("<backingStore type='file'>"), "{live}");
    let config = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(
        config.contains(&format!("<source file='{o2}'/>")),
        "{config}"
    );
    let sx = block_on(d.snapshot_get_xml_desc(&e2, DomainSnapshotXMLFlags::empty())).unwrap();
    assert!(sx.contains("<state>disk-snapshot</state>"), "{sx}");
    // QEMU writes to the new overlay from now on.
    let qemu_img_info = run("qemu-img", &["info", "-U", &o2]);
    assert!(
        qemu_img_info.contains(&format!("backing file: {o1}")),
        "{qemu_img_info}"
    );

    // libvirt 9.0 cannot revert to external snapshots.
    let e = block_on(d.snapshot_revert(&e1, DomainSnapshotRevertFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    assert!(
        e.message
            .contains("revert to external snapshot not supported yet"),
        "{e}"
    );
    let e = block_on(d.snapshot_delete(&e1, DomainSnapshotDeleteFlags::CHILDREN)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED, "{e}");
    block_on(d.snapshot_delete(&e2, DomainSnapshotDeleteFlags::METADATA_ONLY)).unwrap();
    assert!(e2_path.exists(), "metadata-only delete keeps the overlay");
    assert_eq!(
        block_on(d.snapshot_current(&dom, 0)).unwrap().name.as_ref(),
        "e1"
    );
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    // After the guest stops, the config still names the newest overlay.
    let config = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        config.contains(&format!("<source file='{o2}'/>")),
        "{config}"
    );
}

#[test]
fn libvirt_errors() {
    let root = tempfile::tempdir().unwrap();
    let raw = image(root.path(), "raw.img", "raw");
    let d = open(root.path());
    let r = block_on(d.domain_define_xml(
        &guest("raw", Some((&raw, "raw"))),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    let e = block_on(d.snapshot_create_xml(&r, &snap_xml("a"), NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    assert!(
        e.message
            .contains("internal snapshot for disk vda unsupported for storage type raw"),
        "{e}"
    );
    let n =
        block_on(d.domain_define_xml(&guest("nodisk", None), DomainDefineFlags::empty())).unwrap();
    let e = block_on(d.snapshot_create_xml(&n, &snap_xml("a"), NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    assert!(e.message.contains("nothing selected for snapshot"), "{e}");
    let e = block_on(d.snapshot_create_xml(&n, &snap_xml("a/b"), NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::XML_DETAIL);
    assert!(
        e.message
            .contains("invalid snapshot name 'a/b': name can't contain '/'"),
        "{e}"
    );
    let e = block_on(d.snapshot_current(&n, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN_SNAPSHOT);
    assert!(
        e.message
            .contains("the domain does not have a current snapshot"),
        "{e}"
    );
    let e = block_on(d.snapshot_create_xml(&r, &snap_xml("a"), DomainSnapshotCreateFlags::QUIESCE))
        .unwrap_err();
    assert_eq!(e.code, ErrorNumber::INVALID_ARG, "{e}");
    // Nothing was recorded by the failed calls.
    assert_eq!(
        block_on(d.domain_snapshot_num(&r, DomainSnapshotListFlags::empty())).unwrap(),
        0
    );
    assert!(!root.path().join("lib/qemu/snapshot/raw").exists());
}
