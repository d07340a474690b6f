//! Domains as real QEMU processes: a tiny guest (no disk, 64 MiB) under TCG and, where
//! /dev/kvm works, KVM.

#![allow(clippy::unwrap_used)]

mod common;

use common::{guest, open, pid_of, record, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, HostDriver};
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use std::time::{Duration, Instant};

fn lifecycle(virt: &str) {
    let root = tempfile::tempdir().unwrap();
    let d = open(root.path());
    let seen = record(&d);
    let caps = block_on(d.connect_get_capabilities()).unwrap();
    assert!(caps.contains("<domain type='qemu'/>"), "{caps}");
    let native =
        block_on(d.connect_domain_xml_to_native("qemu-argv", &guest("n", virt), 0)).unwrap();
    let accel = if virt == "kvm" {
        "-accel kvm"
    } else {
        "-accel tcg"
    };
    assert!(native.contains(accel), "{native}");

    let dom =
        block_on(d.domain_define_xml(&guest("g1", virt), DomainDefineFlags::empty())).unwrap();
    assert!(root.path().join("etc/qemu/g1.xml").is_file());
    let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(xml.contains("machine='pc-i440fx-"), "{xml}");
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
    assert!(root.path().join("run/qemu/g1.xml").is_file());
    let dom = block_on(d.domain_lookup_by_name("g1")).unwrap();
    assert_eq!(dom.id, 1);
    block_on(d.domain_suspend(&dom)).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::PAUSED, DomainPausedReason::USER.0)
    );
    block_on(d.domain_resume(&dom)).unwrap();
    block_on(d.domain_reset(&dom, 0)).unwrap();
    block_on(d.domain_shutdown(&dom, DomainShutdownFlags::empty())).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let info = block_on(d.domain_get_info(&dom)).unwrap();
    assert!(info.cpu_time > 0);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::SHUTOFF, DomainShutoffReason::DESTROYED.0)
    );
    assert!(!root.path().join("run/qemu/g1.xml").exists());
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
    assert!(!root.path().join("etc/qemu/g1.xml").exists());
    let g = |e: DomainEventType, x: i32| ("g1".to_string(), e.0, x);
    assert_eq!(
        *seen.lock(),
        vec![
            g(
                DomainEventType::DEFINED,
                DomainEventDefinedDetailType::ADDED.0
            ),
            g(
                DomainEventType::RESUMED,
                DomainEventResumedDetailType::UNPAUSED.0
            ),
            g(
                DomainEventType::STARTED,
                DomainEventStartedDetailType::BOOTED.0
            ),
            g(
                DomainEventType::SUSPENDED,
                DomainEventSuspendedDetailType::PAUSED.0
            ),
            g(
                DomainEventType::RESUMED,
                DomainEventResumedDetailType::UNPAUSED.0
            ),
            g(
                DomainEventType::STOPPED,
                DomainEventStoppedDetailType::DESTROYED.0
            ),
            g(
                DomainEventType::UNDEFINED,
                DomainEventUndefinedDetailType::REMOVED.0
            ),
        ]
    );
}

#[test]
fn lifecycle_tcg() {
    lifecycle("qemu");
}

#[test]
fn lifecycle_kvm() {
    if !rvirt_driver_qemu::caps::kvm_usable() {
        eprintln!("skipped: /dev/kvm does not work here");
        return;
    }
    lifecycle("kvm");
}

#[test]
fn sigkill_is_a_crash_within_a_second() {
    let root = tempfile::tempdir().unwrap();
    let d = open(root.path());
    let seen = record(&d);
    let dom =
        block_on(d.domain_define_xml(&guest("k", "qemu"), DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "k");
    // SAFETY: kill of the QEMU this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let took = wait_until(Duration::from_secs(1), "the crash", || {
        block_on(d.domain_get_state(&dom, 0)).unwrap().0 == DomainState::SHUTOFF
    });
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::SHUTOFF, DomainShutoffReason::CRASHED.0),
        "after {took:?}"
    );
    let crashed = (
        "k".to_string(),
        DomainEventType::STOPPED.0,
        DomainEventStoppedDetailType::FAILED.0,
    );
    wait_until(Duration::from_millis(200), "the crash's event", || {
        seen.lock().last() == Some(&crashed)
    });

    // A transient domain started paused disappears when it ends.
    let t = block_on(d.domain_create_xml(&guest("t", "qemu"), DomainCreateFlags::START_PAUSED))
        .unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&t, 0)).unwrap(),
        (DomainState::PAUSED, DomainPausedReason::USER.0)
    );
    block_on(d.domain_destroy(&t, DomainDestroyFlags::empty())).unwrap();
    let e = block_on(d.domain_lookup_by_name("t")).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN);
}

#[test]
fn reattach_after_reopen() {
    let root = tempfile::tempdir().unwrap();
    let d = open(root.path());
    let dom =
        block_on(d.domain_define_xml(&guest("r", "qemu"), DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let t =
        block_on(d.domain_create_xml(&guest("rt", "qemu"), DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "r");
    drop(d);
    // The "restart": a new driver on the same root.
    let d = open(root.path());
    let dom = block_on(d.domain_lookup_by_name("r")).unwrap();
    assert_eq!(dom.id, 1);
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap().0,
        DomainState::RUNNING
    );
    assert!(block_on(d.domain_is_persistent(&dom)).unwrap());
    let t2 = block_on(d.domain_lookup_by_name("rt")).unwrap();
    assert_eq!(t2.uuid, t.uuid);
    assert!(!block_on(d.domain_is_persistent(&t2)).unwrap());
    assert_eq!(pid_of(root.path(), "r"), pid);
    // Controllable: suspend, resume, and a crash is still noticed.
    block_on(d.domain_suspend(&dom)).unwrap();
    block_on(d.domain_resume(&dom)).unwrap();
    // SAFETY: kill of the QEMU this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_until(
        Duration::from_secs(1),
        "the crash after reattaching",
        || {
            block_on(d.domain_get_state(&dom, 0)).unwrap()
                == (DomainState::SHUTOFF, DomainShutoffReason::CRASHED.0)
        },
    );
    block_on(d.domain_destroy(&t2, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn a_stuck_qemu_times_out_alone() {
    let root = tempfile::tempdir().unwrap();
    let d = open(root.path());
    d.set_monitor_timeout(Duration::from_secs(1));
    let a = block_on(d.domain_create_xml(&guest("a", "qemu"), DomainCreateFlags::empty())).unwrap();
    let b = block_on(d.domain_create_xml(&guest("b", "qemu"), DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "a");
    // SAFETY: stops the QEMU this test started.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let d2 = d.clone();
    let a2 = a.clone();
    let stuck = std::thread::spawn(move || block_on(d2.domain_suspend(&a2)));
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..5 {
        let t = Instant::now();
        let all =
            block_on(d.connect_list_all_domains(ConnectListAllDomainsFlags::empty())).unwrap();
        assert_eq!(all.len(), 2);
        block_on(d.domain_suspend(&b)).unwrap();
        block_on(d.domain_resume(&b)).unwrap();
        block_on(d.domain_get_state(&a, 0)).unwrap();
        assert!(t.elapsed() < Duration::from_millis(50), "{:?}", t.elapsed());
    }
    let e = stuck.join().unwrap().unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_TIMEOUT, "{e}");
    // Later calls fail at once, with the same error.
    let t = Instant::now();
    let e = block_on(d.domain_reset(&a, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_TIMEOUT, "{e}");
    assert!(t.elapsed() < Duration::from_millis(50));
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    block_on(d.domain_destroy(&a, DomainDestroyFlags::empty())).unwrap();
    block_on(d.domain_destroy(&b, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn a_failed_config_write_keeps_the_old_config() {
    let root = tempfile::tempdir().unwrap();
    let d = open(root.path());
    let first = guest("c", "qemu").replace(
        "<name>c</name>",
        "<name>c</name><uuid>5f4e3c2a-1b0d-4e8f-9a7b-6c5d4e3f2a1b</uuid>",
    );
    block_on(d.domain_define_xml(&first, DomainDefineFlags::empty())).unwrap();
    let path = root.path().join("etc/qemu/c.xml");
    let before = std::fs::read_to_string(&path).unwrap();
    // Root ignores permissions: block the temporary file's name with a folder instead.
    std::fs::create_dir(root.path().join("etc/qemu/.c.xml.new")).unwrap();
    std::fs::write(root.path().join("etc/qemu/.c.xml.new/x"), "").unwrap();
    let changed = first.replace(">64<", ">128<");
    let e = block_on(d.domain_define_xml(&changed, DomainDefineFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
    assert!(e.to_string().contains("cannot save config file"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    let dom = block_on(d.domain_lookup_by_name("c")).unwrap();
    assert_eq!(block_on(d.domain_get_max_memory(&dom)).unwrap(), 65536);
}
