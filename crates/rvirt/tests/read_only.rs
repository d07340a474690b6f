//! A read-only connection may look at everything and change nothing: every mutating call answers
//! `VIR_ERR_OPERATION_DENIED` worded as libvirt words it, and nothing changes.

#![allow(clippy::unwrap_used)] // a test may stop at the first failure

use rvirt::blocking::{Connect, Domain};
use rvirt::flags::*;
use rvirt::snapshot_flags::*;
use rvirt::{ErrorDomain, ErrorNumber, Result};

type Call = Box<dyn Fn(&Connect, &Domain) -> Result<()>>;

fn calls() -> Vec<(&'static str, i32, Call)> {
    let xml =
        "<domain type='test'><name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>";
    let d = ErrorDomain::DOMAIN.0;
    let s = ErrorDomain::DOMAIN_SNAPSHOT.0;
    vec![
        (
            "virDomainDefineXML",
            d,
            Box::new(move |c, _| c.define_xml(xml).map(drop)),
        ),
        (
            "virDomainDefineXMLFlags",
            d,
            Box::new(move |c, _| {
                c.define_xml_flags(xml, DomainDefineFlags::empty())
                    .map(drop)
            }),
        ),
        (
            "virDomainCreateXML",
            d,
            Box::new(move |c, _| c.create_xml(xml, DomainCreateFlags::empty()).map(drop)),
        ),
        (
            "virDomainRestore",
            d,
            Box::new(|c, _| c.restore("/nonexistent")),
        ),
        (
            "virDomainRestoreFlags",
            d,
            Box::new(|c, _| c.restore_flags("/nonexistent", None, DomainSaveRestoreFlags::empty())),
        ),
        (
            "virDomainSaveImageGetXMLDesc",
            d,
            Box::new(|c, _| {
                c.save_image_get_xml_desc("/nonexistent", DomainSaveImageXMLFlags::empty())
                    .map(drop)
            }),
        ),
        (
            "virDomainSaveImageDefineXML",
            d,
            Box::new(move |c, _| {
                c.save_image_define_xml("/nonexistent", xml, DomainSaveRestoreFlags::empty())
            }),
        ),
        ("virDomainCreate", d, Box::new(|_, d| d.create())),
        (
            "virDomainCreateWithFlags",
            d,
            Box::new(|_, d| d.create_with_flags(DomainCreateFlags::empty())),
        ),
        ("virDomainUndefine", d, Box::new(|_, d| d.undefine())),
        (
            "virDomainUndefineFlags",
            d,
            Box::new(|_, d| d.undefine_flags(DomainUndefineFlags::empty())),
        ),
        ("virDomainShutdown", d, Box::new(|_, d| d.shutdown())),
        (
            "virDomainShutdownFlags",
            d,
            Box::new(|_, d| d.shutdown_flags(DomainShutdownFlags::empty())),
        ),
        (
            "virDomainReboot",
            d,
            Box::new(|_, d| d.reboot(DomainRebootFlags::empty())),
        ),
        ("virDomainReset", d, Box::new(|_, d| d.reset(0))),
        ("virDomainDestroy", d, Box::new(|_, d| d.destroy())),
        (
            "virDomainDestroyFlags",
            d,
            Box::new(|_, d| d.destroy_flags(DomainDestroyFlags::empty())),
        ),
        ("virDomainSuspend", d, Box::new(|_, d| d.suspend())),
        ("virDomainResume", d, Box::new(|_, d| d.resume())),
        ("virDomainSave", d, Box::new(|_, d| d.save("/nonexistent"))),
        (
            "virDomainSaveFlags",
            d,
            Box::new(|_, d| d.save_flags("/nonexistent", None, DomainSaveRestoreFlags::empty())),
        ),
        (
            "virDomainManagedSave",
            d,
            Box::new(|_, d| d.managed_save(DomainSaveRestoreFlags::empty())),
        ),
        (
            "virDomainManagedSaveRemove",
            d,
            Box::new(|_, d| d.managed_save_remove(0)),
        ),
        (
            "virDomainSetAutostart",
            d,
            Box::new(|_, d| d.set_autostart(true)),
        ),
        ("virDomainSetMemory", d, Box::new(|_, d| d.set_memory(1024))),
        (
            "virDomainSetMemoryFlags",
            d,
            Box::new(|_, d| d.set_memory_flags(1024, DomainMemoryModFlags::empty())),
        ),
        (
            "virDomainSetMaxMemory",
            d,
            Box::new(|_, d| d.set_max_memory(1024)),
        ),
        ("virDomainSetVcpus", d, Box::new(|_, d| d.set_vcpus(1))),
        (
            "virDomainSetVcpusFlags",
            d,
            Box::new(|_, d| d.set_vcpus_flags(1, DomainVcpuFlags::empty())),
        ),
        (
            "virDomainRename",
            d,
            Box::new(|_, d| d.rename("y", 0).map(drop)),
        ),
        (
            "virDomainSetMetadata",
            d,
            Box::new(|_, d| {
                d.set_metadata(
                    DomainMetadataType::TITLE,
                    Some("t"),
                    None,
                    None,
                    DomainModificationImpact::empty(),
                )
            }),
        ),
        (
            "virDomainGetHostname",
            d,
            Box::new(|_, d| d.get_hostname(DomainGetHostnameFlags::empty()).map(drop)),
        ),
        (
            "virDomainGetTime",
            d,
            Box::new(|_, d| d.get_time(0).map(drop)),
        ),
        (
            "virDomainSnapshotCreateXML",
            s,
            Box::new(|_, d| {
                d.snapshot_create_xml("<domainsnapshot/>", DomainSnapshotCreateFlags::empty())
                    .map(drop)
            }),
        ),
    ]
}

#[test]
fn every_mutation_is_refused_on_a_read_only_connection() {
    let ro = Connect::open_read_only("test:///default?private=1").unwrap();
    let dom = ro.lookup_by_name("test").unwrap();
    let before = dom.get_xml_desc(DomainXMLFlags::empty()).unwrap();
    for (function, domain, call) in calls() {
        let e = call(&ro, &dom).expect_err(function);
        assert_eq!(e.code, ErrorNumber::OPERATION_DENIED, "{function}");
        assert_eq!(e.domain.0, domain, "{function}");
        assert_eq!(
            e.message,
            format!("operation forbidden: read only access prevents {function}")
        );
    }
    // Nothing changed, and reading still works.
    assert_eq!(dom.get_xml_desc(DomainXMLFlags::empty()).unwrap(), before);
    assert_eq!(
        ro.list_all_domains(ConnectListAllDomainsFlags::empty())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(dom.get_state(0).unwrap().0, DomainState::RUNNING);
}

#[test]
fn secure_xml_is_refused_on_a_read_only_connection() {
    let ro = Connect::open_read_only("test:///default?private=1").unwrap();
    let dom = ro.lookup_by_name("test").unwrap();
    let e = dom.get_xml_desc(DomainXMLFlags::SECURE).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_DENIED);
    assert_eq!(
        e.message,
        "operation forbidden: virDomainGetXMLDesc with secure flag"
    );
    assert!(dom.get_xml_desc(DomainXMLFlags::INACTIVE).is_ok());
}

#[test]
fn snapshot_mutations_are_refused_on_a_read_only_connection() {
    let ro = Connect::open_read_only("test:///default?private=1").unwrap();
    let snap_dom = ro.lookup_by_name("test").unwrap();
    let e = snap_dom
        .snapshot_create_xml("<domainsnapshot/>", DomainSnapshotCreateFlags::empty())
        .unwrap_err();
    assert_eq!(e.domain, ErrorDomain::DOMAIN_SNAPSHOT);
    assert_eq!(e.code, ErrorNumber::OPERATION_DENIED);
}
