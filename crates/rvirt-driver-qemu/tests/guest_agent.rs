//! The guest agent on a real Linux guest running the real `qemu-ga` (see
//! `rvirt_testsupport::agent_guest`): agent-lifecycle events as the guest opens and closes its
//! channel, reboot and shutdown through the agent (the guest has no ACPI daemon, so a power
//! button press would do nothing: a guest that goes down went down through its agent), and an
//! agent that stops answering: the call fails within its deadline with libvirt's error while
//! calls on the domain that need no agent, and listing, keep answering.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, open, record, wait_until};
use parking_lot::Mutex;
use pollster::block_on;
use rvirt_driver::{DomainDriver, DomainEvent};
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Records the agent-lifecycle events of `d` as (state, reason).
fn record_agent(d: &rvirt_driver_qemu::QemuDriver) -> Arc<Mutex<Vec<(i32, i32)>>> {
    let seen: Arc<Mutex<Vec<(i32, i32)>>> = Default::default();
    let s = seen.clone();
    block_on(d.connect_domain_event_register_any(
        None,
        DomainEventID::AGENT_LIFECYCLE,
        Arc::new(move |e| {
            if let DomainEvent::AgentLifecycle { state, reason, .. } = e {
                s.lock().push((*state, *reason));
            }
        }),
    ))
    .unwrap();
    seen
}

/// Undefines the test's guest at the end.
struct Undefine(Arc<rvirt_driver_qemu::QemuDriver>);

impl Drop for Undefine {
    fn drop(&mut self) {
        if let Ok(dom) = block_on(self.0.domain_lookup_by_name("ga")) {
            let _ = block_on(self.0.domain_destroy(&dom, DomainDestroyFlags::empty()));
            let _ = block_on(self.0.domain_undefine(&dom, DomainUndefineFlags::empty()));
        }
    }
}

const CONNECTED: (i32, i32) = (1, 2);
const DISCONNECTED: (i32, i32) = (2, 2);

#[test]
fn reboot_and_shutdown_go_through_the_agent_and_a_stuck_agent_times_out() {
    let root = Root::new();
    let d = open(root.path());
    let _c = Cleanup(d.clone(), "ga");
    let _u = Undefine(d.clone());
    let agent = record_agent(&d);
    let life = record(&d);
    let console = root.path().join("console.log");
    let xml = rvirt_testsupport::agent_guest_xml("ga", &console.to_string_lossy(), "");
    let dom = block_on(d.domain_create_xml(&xml, DomainCreateFlags::empty())).unwrap();

    // Before the guest's agent opens its channel: libvirt's error.
    let e = block_on(d.domain_get_hostname(&dom, DomainGetHostnameFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::AGENT_UNRESPONSIVE, "{e}");
    assert_eq!(
        e.to_string(),
        "Guest agent is not responding: QEMU guest agent is not connected"
    );
    wait_until(Duration::from_secs(90), "the agent connects", || {
        agent.lock().contains(&CONNECTED)
    });
    assert_eq!(
        block_on(d.domain_get_hostname(&dom, DomainGetHostnameFlags::AGENT)).unwrap(),
        rvirt_testsupport::GUEST_HOSTNAME
    );

    // Reboot through the agent: the guest resets (a reboot event), its agent closes the
    // channel and opens it again.
    block_on(d.domain_reboot(&dom, DomainRebootFlags::GUEST_AGENT)).unwrap();
    wait_until(Duration::from_secs(90), "the agent comes back", || {
        let a = agent.lock();
        a.len() >= 3 && a[1] == DISCONNECTED && a[2] == CONNECTED
    });
    assert_eq!(
        block_on(d.domain_get_hostname(&dom, DomainGetHostnameFlags::empty())).unwrap(),
        rvirt_testsupport::GUEST_HOSTNAME,
        "the new agent answers on a new connection"
    );

    // An agent that stops answering (the guest stops its qemu-ga): the call fails within its
    // deadline; the domain's other calls and listing go on.
    let stop = r#"{"execute":"guest-exec","arguments":{"path":"/bin/sh","arg":["-c","sleep 1; killall -STOP qemu-ga"]}}"#;
    block_on(d.domain_qemu_agent_command(&dom, stop, -1, 0)).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let t = Instant::now();
    let e = block_on(d.domain_qemu_agent_command(&dom, r#"{"execute":"guest-ping"}"#, 2, 0))
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert_eq!(e.code, ErrorNumber::AGENT_UNRESPONSIVE, "{e}");
    assert_eq!(
        e.to_string(),
        "Guest agent is not responding: Guest agent not available for now"
    );
    // The domain's agent timeout (libvirt's default blocks) bounds the other agent calls.
    let e = block_on(d.domain_agent_set_response_timeout(&dom, -3, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::INVALID_ARG, "{e}");
    block_on(d.domain_agent_set_response_timeout(&dom, 1, 0)).unwrap();
    let t = Instant::now();
    let e = block_on(d.domain_get_hostname(&dom, DomainGetHostnameFlags::AGENT)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::AGENT_UNRESPONSIVE, "{e}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let t = Instant::now();
    let (state, _) = block_on(d.domain_get_state(&dom, 0)).unwrap();
    assert_eq!(state, DomainState::RUNNING);
    assert_eq!(
        block_on(d.connect_list_all_domains(ConnectListAllDomainsFlags::empty()))
            .unwrap()
            .len(),
        1
    );
    // Not held up by the agent (whose calls take seconds to time out); loose, as tests run
    // side by side.
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );

    // The transient guest ends with its destroy.
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    let e = block_on(d.domain_get_hostname(&dom, DomainGetHostnameFlags::AGENT)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN, "{e}");

    // A fresh guest, defined this time: shutdown with no flags goes through the connected
    // agent and the guest powers off (shut off, reason shutdown).
    agent.lock().clear();
    life.lock().clear();
    let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    wait_until(Duration::from_secs(90), "the agent connects", || {
        agent.lock().contains(&CONNECTED)
    });
    block_on(d.domain_shutdown(&dom, DomainShutdownFlags::empty())).unwrap();
    wait_until(Duration::from_secs(30), "the guest shuts off", || {
        block_on(d.domain_get_state(&dom, 0)).unwrap()
            == (DomainState::SHUTOFF, DomainShutoffReason::SHUTDOWN.0)
    });
    // The stopped event follows the state change.
    wait_until(Duration::from_secs(5), "the stopped event", || {
        life.lock()
            .iter()
            .any(|(_, e, _)| *e == DomainEventType::STOPPED.0)
    });
    let seen: Vec<(i32, i32)> = life.lock().iter().map(|(_, e, d)| (*e, *d)).collect();
    assert_eq!(
        seen,
        vec![
            (
                DomainEventType::DEFINED.0,
                DomainEventDefinedDetailType::ADDED.0
            ),
            (
                DomainEventType::RESUMED.0,
                DomainEventResumedDetailType::UNPAUSED.0
            ),
            (
                DomainEventType::STARTED.0,
                DomainEventStartedDetailType::BOOTED.0
            ),
            (
                DomainEventType::SHUTDOWN.0,
                DomainEventShutdownDetailType::GUEST.0
            ),
            (
                DomainEventType::STOPPED.0,
                DomainEventStoppedDetailType::SHUTDOWN.0
            ),
        ]
    );
}

/// Suspend to RAM through the agent and the wake-up: the domain is pmsuspended (reason
/// unknown) when the call returns, with its PMSUSPENDED/MEMORY event; after the wake-up QEMU
/// reports, it runs again (reason wakeup) with STARTED/WAKEUP, and its agent answers again.
#[test]
fn suspend_to_ram_and_wake_up() {
    let root = Root::new();
    let d = open(root.path());
    let _c = Cleanup(d.clone(), "pm");
    let agent = record_agent(&d);
    let life = record(&d);
    let console = root.path().join("console.log");
    let xml = rvirt_testsupport::agent_guest_xml("pm", &console.to_string_lossy(), "");
    let dom = block_on(d.domain_create_xml(&xml, DomainCreateFlags::empty())).unwrap();
    wait_until(Duration::from_secs(90), "the agent connects", || {
        agent.lock().contains(&CONNECTED)
    });
    life.lock().clear();
    block_on(d.domain_pm_suspend_for_duration(&dom, 0, 0, 0)).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::PMSUSPENDED, DomainPMSuspendedReason::UNKNOWN.0)
    );
    let pm = (
        "pm".to_string(),
        DomainEventType::PMSUSPENDED.0,
        DomainEventPMSuspendedDetailType::MEMORY.0,
    );
    assert_eq!(*life.lock(), std::slice::from_ref(&pm));
    // The agent is not asked while the guest sleeps.
    let e = block_on(d.domain_get_hostname(&dom, DomainGetHostnameFlags::AGENT)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Requested operation is not valid: domain is not running"
    );

    block_on(d.domain_pm_wakeup(&dom, 0)).unwrap();
    wait_until(Duration::from_secs(30), "the guest wakes up", || {
        block_on(d.domain_get_state(&dom, 0)).unwrap().0 == DomainState::RUNNING
    });
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap().1,
        DomainRunningReason::WAKEUP.0
    );
    let woke = (
        "pm".to_string(),
        DomainEventType::STARTED.0,
        DomainEventStartedDetailType::WAKEUP.0,
    );
    assert_eq!(*life.lock(), [pm, woke]);
    wait_until(Duration::from_secs(30), "the agent answers again", || {
        block_on(d.domain_get_hostname(&dom, DomainGetHostnameFlags::AGENT)).is_ok()
    });
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}
