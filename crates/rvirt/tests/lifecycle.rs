//! Every lifecycle transition of the test hypervisor: the state and reason it leaves, the event it
//! sends, and the errors of transitions that are not valid in the current state.

#![allow(clippy::unwrap_used)] // a test may stop at the first failure

use rvirt::blocking::{Connect, Domain};
use rvirt::flags::*;
use rvirt::snapshot_flags::*;
use rvirt::{DomainEvent, ErrorNumber};
use std::sync::{Arc, Mutex};

const XML: &str = "<domain type='test'><name>vm</name><uuid>11111111-2222-3333-4444-555555555555</uuid><memory>65536</memory><vcpu>2</vcpu>\
                   <os><type>hvm</type></os></domain>";

type Seen = Arc<Mutex<Vec<(String, i32, i32)>>>;

fn watch(conn: &Connect) -> Seen {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    conn.domain_event_register_any(None, DomainEventID::LIFECYCLE, move |_, dom, ev| {
        if let DomainEvent::Lifecycle { event, detail, .. } = ev {
            s.lock()
                .unwrap()
                .push((dom.get_name().to_string(), event.0, *detail));
        }
    })
    .unwrap();
    seen
}

fn take(seen: &Seen) -> Vec<(i32, i32)> {
    seen.lock()
        .unwrap()
        .drain(..)
        .map(|(_, e, d)| (e, d))
        .collect()
}

fn state(d: &Domain) -> (DomainState, i32) {
    d.get_state(0).unwrap()
}

use DomainEventType as E;

#[test]
fn define_start_pause_resume_shutdown_undefine() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let seen = watch(&conn);
    let d = conn.define_xml(XML).unwrap();
    assert_eq!(d.get_id(), -1);
    assert_eq!(
        state(&d),
        (DomainState::SHUTOFF, DomainShutoffReason::UNKNOWN.0)
    );
    assert_eq!(
        take(&seen),
        [(E::DEFINED.0, DomainEventDefinedDetailType::ADDED.0)]
    );

    conn.define_xml(XML).unwrap();
    assert_eq!(
        take(&seen),
        [(E::DEFINED.0, DomainEventDefinedDetailType::UPDATED.0)]
    );

    d.create().unwrap();
    let running = conn.lookup_by_name("vm").unwrap();
    assert_eq!(
        running.get_id(),
        2,
        "the default domain has id 1; ids are never reused"
    );
    assert_eq!(
        state(&d),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
    assert_eq!(
        take(&seen),
        [(E::STARTED.0, DomainEventStartedDetailType::BOOTED.0)]
    );
    let e = d.create().unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::INTERNAL_ERROR,
            "internal error: Domain 'vm' is already running"
        )
    );

    d.suspend().unwrap();
    assert_eq!(state(&d), (DomainState::PAUSED, DomainPausedReason::USER.0));
    assert_eq!(
        take(&seen),
        [(E::SUSPENDED.0, DomainEventSuspendedDetailType::PAUSED.0)]
    );
    assert_eq!(
        d.suspend().unwrap_err().message,
        "internal error: domain 'vm' not running"
    );

    d.resume().unwrap();
    assert_eq!(
        state(&d),
        (DomainState::RUNNING, DomainRunningReason::UNPAUSED.0)
    );
    assert_eq!(
        take(&seen),
        [(E::RESUMED.0, DomainEventResumedDetailType::UNPAUSED.0)]
    );
    assert_eq!(
        d.resume().unwrap_err().message,
        "internal error: domain 'vm' not paused"
    );

    d.reboot(DomainRebootFlags::empty()).unwrap();
    assert_eq!(
        state(&d),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
    d.reset(0).unwrap();
    assert!(take(&seen).is_empty());

    d.shutdown().unwrap();
    assert_eq!(
        state(&d),
        (DomainState::SHUTOFF, DomainShutoffReason::SHUTDOWN.0)
    );
    assert_eq!(
        take(&seen),
        [(E::STOPPED.0, DomainEventStoppedDetailType::SHUTDOWN.0)]
    );
    assert_eq!(
        d.shutdown().unwrap_err().message,
        "internal error: domain 'vm' not running"
    );
    let e = d.reset(0).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::OPERATION_INVALID,
            "Requested operation is not valid: domain is not running"
        )
    );
    assert_eq!(
        d.destroy().unwrap_err().code,
        ErrorNumber::OPERATION_INVALID
    );

    d.create().unwrap();
    assert_eq!(d.get_id(), 3);
    d.destroy().unwrap();
    assert_eq!(d.get_id(), -1, "stopping resets the handle's id");
    assert_eq!(
        state(&d),
        (DomainState::SHUTOFF, DomainShutoffReason::DESTROYED.0)
    );
    take(&seen);

    d.undefine().unwrap();
    assert_eq!(
        take(&seen),
        [(E::UNDEFINED.0, DomainEventUndefinedDetailType::REMOVED.0)]
    );
    let e = d.get_info().unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN);
    assert_eq!(
        e.message,
        format!(
            "Domain not found: no domain with matching uuid '{}' (vm)",
            d.get_uuid_string()
        )
    );
    assert_eq!(
        conn.lookup_by_name("vm").unwrap_err().message,
        "Domain not found"
    );
}

#[test]
fn transient_domains_vanish_when_they_stop() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let seen = watch(&conn);
    let d = conn.create_xml(XML, DomainCreateFlags::empty()).unwrap();
    assert!(!d.is_persistent().unwrap());
    assert_eq!(
        take(&seen),
        [(E::STARTED.0, DomainEventStartedDetailType::BOOTED.0)]
    );
    let e = d.managed_save(DomainSaveRestoreFlags::empty()).unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: cannot do managed save for transient domain"
    );
    let e = conn
        .create_xml(XML, DomainCreateFlags::empty())
        .unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: domain 'vm' is already active"
    );
    d.destroy().unwrap();
    assert_eq!(
        take(&seen),
        [(E::STOPPED.0, DomainEventStoppedDetailType::DESTROYED.0)]
    );
    assert_eq!(
        conn.lookup_by_name("vm").unwrap_err().code,
        ErrorNumber::NO_DOMAIN
    );

    // Defining a running transient domain makes it persistent; undefining a running persistent
    // one makes it transient again, and it goes when it stops.
    let d = conn.create_xml(XML, DomainCreateFlags::empty()).unwrap();
    conn.define_xml(XML).unwrap();
    assert!(d.is_persistent().unwrap());
    d.undefine().unwrap();
    assert!(!d.is_persistent().unwrap() && d.is_active().unwrap());
    d.shutdown().unwrap();
    assert_eq!(conn.num_of_defined_domains().unwrap(), 0);
    assert_eq!(
        conn.list_all_domains(ConnectListAllDomainsFlags::empty())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn save_and_restore_through_a_real_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vm.save");
    let path = path.to_str().unwrap();
    let conn = Connect::open("test:///default?private=1").unwrap();
    let d = conn.define_xml(XML).unwrap();
    assert_eq!(
        d.save(path).unwrap_err().code,
        ErrorNumber::OPERATION_INVALID
    );
    assert!(
        !std::path::Path::new(path).exists(),
        "a failed save leaves no file"
    );
    d.create().unwrap();
    let seen = watch(&conn);
    d.save(path).unwrap();
    assert_eq!(
        state(&d),
        (DomainState::SHUTOFF, DomainShutoffReason::SAVED.0)
    );
    assert_eq!(
        take(&seen),
        [(E::STOPPED.0, DomainEventStoppedDetailType::SAVED.0)]
    );
    // The image starts with libvirt's test-driver magic and carries the domain XML.
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..15], b"TestGuestMagic\0");
    let xml = conn
        .save_image_get_xml_desc(path, DomainSaveImageXMLFlags::empty())
        .unwrap();
    assert!(xml.contains("<name>vm</name>"));
    // Change the image's definition, then restore from it.
    let changed = xml.replace(
        "<vcpu placement='static'>2</vcpu>",
        "<vcpu placement='static'>1</vcpu>",
    );
    conn.save_image_define_xml(path, &changed, DomainSaveRestoreFlags::empty())
        .unwrap();
    conn.restore(path).unwrap();
    assert_eq!(
        state(&d),
        (DomainState::RUNNING, DomainRunningReason::RESTORED.0)
    );
    assert_eq!(
        take(&seen),
        [(E::STARTED.0, DomainEventStartedDetailType::RESTORED.0)]
    );
    assert_eq!(d.get_info().unwrap().nr_virt_cpu, 1);
    // Restoring a domain that runs fails; so does a file that is not an image.
    assert_eq!(
        conn.restore(path).unwrap_err().message,
        "Requested operation is not valid: domain 'vm' is already active"
    );
    std::fs::write(dir.path().join("junk"), b"not an image at all").unwrap();
    let e = conn
        .restore(dir.path().join("junk").to_str().unwrap())
        .unwrap_err();
    assert_eq!(e.message, "internal error: mismatched header magic");
    let e = conn.restore("/nonexistent/image").unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
    assert_eq!(
        e.message,
        "cannot read domain image '/nonexistent/image': No such file or directory"
    );
}

#[test]
fn managed_save_start_and_undefine_rules() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let d = conn.define_xml(XML).unwrap();
    d.create().unwrap();
    d.managed_save(DomainSaveRestoreFlags::empty()).unwrap();
    assert!(d.has_managed_save_image(0).unwrap());
    assert_eq!(
        state(&d),
        (DomainState::SHUTOFF, DomainShutoffReason::SAVED.0)
    );
    let e = d.undefine().unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: Refusing to undefine while domain managed save image exists"
    );
    d.create().unwrap();
    assert!(
        !d.has_managed_save_image(0).unwrap(),
        "starting consumes the image"
    );
    d.managed_save(DomainSaveRestoreFlags::empty()).unwrap();
    d.managed_save_remove(0).unwrap();
    assert!(!d.has_managed_save_image(0).unwrap());
    d.create().unwrap();
    d.managed_save(DomainSaveRestoreFlags::empty()).unwrap();
    d.undefine_flags(DomainUndefineFlags::MANAGED_SAVE).unwrap();
}

#[test]
fn snapshots_tree_current_revert_delete() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let d = conn.lookup_by_name("test").unwrap();
    let seen = watch(&conn);
    let mk = |n: &str| {
        d.snapshot_create_xml(
            &format!("<domainsnapshot><name>{n}</name></domainsnapshot>"),
            DomainSnapshotCreateFlags::empty(),
        )
        .unwrap()
    };
    let s1 = mk("s1");
    let s2 = mk("s2");
    assert_eq!(s2.get_parent(0).unwrap().get_name(), "s1");
    assert_eq!(d.snapshot_current(0).unwrap().get_name(), "s2");
    d.suspend().unwrap();
    let s3 = mk("s3");
    take(&seen);
    assert_eq!(d.snapshot_num(DomainSnapshotListFlags::empty()).unwrap(), 3);
    assert_eq!(d.snapshot_num(DomainSnapshotListFlags::ROOTS).unwrap(), 1);
    assert_eq!(d.snapshot_num(DomainSnapshotListFlags::LEAVES).unwrap(), 1);
    assert_eq!(
        s1.list_all_children(DomainSnapshotListFlags::DESCENDANTS)
            .unwrap()
            .len(),
        2
    );
    assert!(
        s3.get_xml_desc(DomainSnapshotXMLFlags::empty())
            .unwrap()
            .contains("<state>paused</state>")
    );
    assert_eq!(
        mk_err(&d, "s1"),
        "operation failed: domain moment s1 already exists"
    );

    // Revert to a running snapshot: stopped, started again from the snapshot.
    s1.revert(DomainSnapshotRevertFlags::empty()).unwrap();
    assert_eq!(
        state(&d),
        (DomainState::RUNNING, DomainRunningReason::FROM_SNAPSHOT.0)
    );
    assert_eq!(
        take(&seen),
        [
            (E::STOPPED.0, DomainEventStoppedDetailType::FROM_SNAPSHOT.0),
            (E::STARTED.0, DomainEventStartedDetailType::FROM_SNAPSHOT.0)
        ]
    );
    assert!(s1.is_current(0).unwrap());
    // Revert to the paused one.
    s3.revert(DomainSnapshotRevertFlags::empty()).unwrap();
    assert_eq!(
        state(&d),
        (DomainState::PAUSED, DomainPausedReason::FROM_SNAPSHOT.0)
    );

    // Deleting s2 re-parents s3 onto s1; deleting s1 with its children empties the tree.
    s2.delete(DomainSnapshotDeleteFlags::empty()).unwrap();
    assert_eq!(s3.get_parent(0).unwrap().get_name(), "s1");
    assert_eq!(
        d.snapshot_lookup_by_name("s2", 0).unwrap_err().message,
        "Domain snapshot not found: no domain snapshot with matching name 's2'"
    );
    s1.delete(DomainSnapshotDeleteFlags::CHILDREN).unwrap();
    assert_eq!(d.snapshot_num(DomainSnapshotListFlags::empty()).unwrap(), 0);
    assert!(!d.has_current_snapshot(0).unwrap());
    assert_eq!(
        d.snapshot_current(0).unwrap_err().code,
        ErrorNumber::NO_DOMAIN_SNAPSHOT
    );
}

fn mk_err(d: &Domain, n: &str) -> String {
    d.snapshot_create_xml(
        &format!("<domainsnapshot><name>{n}</name></domainsnapshot>"),
        DomainSnapshotCreateFlags::empty(),
    )
    .unwrap_err()
    .message
}

#[test]
fn undefining_an_inactive_domain_with_snapshots_needs_the_flag() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let d = conn.define_xml(XML).unwrap();
    d.snapshot_create_xml("<domainsnapshot/>", DomainSnapshotCreateFlags::empty())
        .unwrap();
    let e = d.undefine().unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: cannot delete inactive domain with 1 snapshots"
    );
    d.undefine_flags(DomainUndefineFlags::SNAPSHOTS_METADATA)
        .unwrap();
    // A new domain of the same name starts with no snapshots.
    let d = conn.define_xml(XML).unwrap();
    assert_eq!(d.snapshot_num(DomainSnapshotListFlags::empty()).unwrap(), 0);
}

#[test]
fn a_machine_from_a_node_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("guest.xml"),
        "<domain type='test'><name>fromfile</name><memory>1024</memory><os><type>hvm</type></os></domain>",
    )
    .unwrap();
    let node = dir.path().join("node.xml");
    std::fs::write(
        &node,
        "<node><cpu><mhz>2000</mhz><model>my-cpu</model><nodes>1</nodes><sockets>1</sockets>\
         <cores>4</cores><threads>1</threads><active>4</active></cpu><memory>4096000</memory>\
         <domain type='test'><name>inline</name><memory>1024</memory><os><type>hvm</type></os></domain>\
         <domain file='guest.xml'/></node>",
    )
    .unwrap();
    let conn = Connect::open(&format!("test://{}", node.display())).unwrap();
    let info = conn.node_get_info().unwrap();
    assert_eq!(
        (info.model.as_str(), info.mhz, info.cpus, info.memory),
        ("my-cpu", 2000, 4, 4096000)
    );
    let mut names: Vec<String> = conn
        .list_all_domains(ConnectListAllDomainsFlags::empty())
        .unwrap()
        .iter()
        .map(|d| d.get_name().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["fromfile", "inline"]);
    assert!(
        conn.lookup_by_name("inline").unwrap().is_active().unwrap(),
        "node domains start running"
    );
    let e = Connect::open("test:///nonexistent/node.xml").unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
}

#[test]
fn memory_and_vcpus_follow_libvirts_live_and_config_rules() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let d = conn.define_xml(XML).unwrap();
    d.set_memory_flags(32768, DomainMemoryModFlags::CONFIG)
        .unwrap();
    assert_eq!(d.get_info().unwrap().memory, 32768);
    let e = d
        .set_memory_flags(1 << 30, DomainMemoryModFlags::empty())
        .unwrap_err();
    assert_eq!(
        e.message,
        "invalid argument: cannot set memory higher than max memory"
    );
    let e = d
        .set_memory_flags(1024, DomainMemoryModFlags::LIVE)
        .unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: domain is not running"
    );
    d.set_max_memory(16384).unwrap();
    assert_eq!(
        (d.get_max_memory().unwrap(), d.get_info().unwrap().memory),
        (16384, 16384)
    );
    d.create().unwrap();
    let e = d.set_max_memory(8192).unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: cannot resize the maximum memory on an active domain"
    );
    d.set_vcpus_flags(1, DomainVcpuFlags::LIVE).unwrap();
    assert_eq!(d.get_vcpus_flags(DomainVcpuFlags::LIVE).unwrap(), 1);
    assert_eq!(
        d.get_vcpus_flags(DomainVcpuFlags::CONFIG).unwrap(),
        2,
        "the config keeps its count"
    );
    let e = d.set_vcpus_flags(3, DomainVcpuFlags::CONFIG).unwrap_err();
    assert_eq!(
        e.message,
        "invalid argument: requested cpu amount exceeds maximum (3 > 2)"
    );
    d.set_vcpus_flags(4, DomainVcpuFlags::CONFIG | DomainVcpuFlags::MAXIMUM)
        .unwrap();
    d.destroy().unwrap();
    assert_eq!(
        d.get_vcpus_flags(DomainVcpuFlags::MAXIMUM).unwrap(),
        4,
        "the config took over at stop"
    );
    let e = d.set_vcpus_flags(33, DomainVcpuFlags::empty()).unwrap_err();
    assert_eq!(
        e.message,
        "invalid argument: requested cpu amount exceeds maximum supported amount (33 > 32)"
    );
}

#[test]
fn rename_and_metadata() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let seen = watch(&conn);
    let d = conn.define_xml(XML).unwrap();
    take(&seen);
    let r = d.rename("vm2", 0).unwrap();
    assert_eq!(r.get_name(), "vm2");
    assert_eq!(
        take(&seen),
        [
            (E::UNDEFINED.0, DomainEventUndefinedDetailType::RENAMED.0),
            (E::DEFINED.0, DomainEventDefinedDetailType::RENAMED.0)
        ]
    );
    assert_eq!(
        conn.lookup_by_name("vm").unwrap_err().code,
        ErrorNumber::NO_DOMAIN
    );
    assert_eq!(
        r.rename("test", 0).unwrap_err().message,
        "Requested operation is not valid: domain with name 'test' already exists"
    );
    let t = conn.lookup_by_name("test").unwrap();
    assert_eq!(
        t.rename("x", 0).unwrap_err().message,
        "Requested operation is not valid: cannot rename active domain"
    );

    r.set_metadata(
        DomainMetadataType::TITLE,
        Some("A title"),
        None,
        None,
        DomainModificationImpact::empty(),
    )
    .unwrap();
    assert_eq!(
        r.get_metadata(
            DomainMetadataType::TITLE,
            None,
            DomainModificationImpact::empty()
        )
        .unwrap(),
        "A title"
    );
    let e = r
        .get_metadata(
            DomainMetadataType::DESCRIPTION,
            None,
            DomainModificationImpact::empty(),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN_METADATA);
    r.set_metadata(
        DomainMetadataType::ELEMENT,
        Some("<app><v>1</v></app>"),
        Some("my"),
        Some("http://example.org/my"),
        DomainModificationImpact::empty(),
    )
    .unwrap();
    let m = r
        .get_metadata(
            DomainMetadataType::ELEMENT,
            Some("http://example.org/my"),
            DomainModificationImpact::empty(),
        )
        .unwrap();
    assert!(m.contains("<v>1</v>"), "{m}");
    assert!(
        r.get_xml_desc(DomainXMLFlags::empty())
            .unwrap()
            .contains("<my:app xmlns:my=\"http://example.org/my\">")
    );
}
