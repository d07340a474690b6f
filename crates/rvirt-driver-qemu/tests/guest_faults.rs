//! Guests that fail or leave: one that panics (an ISA pvpanic device, written to from the
//! monitor as a crashing kernel writes to it), one whose watchdog fires (an ib700 armed with no
//! time left) and one that suspends itself to disk (ACPI S4, asked of the PIIX4 power
//! management as a hibernating kernel asks it): the states, the events and each `<on_crash>`
//! and watchdog action, beside libvirt's own QEMU driver doing the same to the same guests.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, open, wait_until};
use parking_lot::Mutex;
use pollster::block_on;
use rvirt_driver::{DomainDriver, DomainEvent};
use rvirt_testsupport::{PYTHON, libvirt_embed_root, output_ok};
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A tiny guest with a pvpanic device and `action` on a crash.
fn panicking_guest(action: &str) -> String {
    format!(
        "<domain type='qemu'><name>p-{action}</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os><on_crash>{action}</on_crash>\
         <devices><panic model='isa'/></devices></domain>"
    )
}

/// A tiny guest with an ib700 watchdog whose action is `action`.
fn watched_guest(action: &str) -> String {
    format!(
        "<domain type='qemu'><name>w-{action}</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os>\
         <devices><watchdog model='ib700' action='{action}'/></devices></domain>"
    )
}

/// A tiny guest with ACPI (so that it has the PIIX4's power management).
const SUSPENDING_GUEST: &str = "<domain type='qemu'><name>s4</name><memory unit='MiB'>64</memory>\
                                <os><type arch='x86_64'>hvm</type></os><features><acpi/></features>\
                                </domain>";

/// The HMP command that asks for S4 as a kernel does: sleep type 2 (QEMU's S4 on the PIIX4)
/// with sleep enable, in PM1a's control register (SeaBIOS puts the PM base at 0x600).
const SUSPEND_TO_DISK: &str = "o /w 0x604 0x2800";

/// The HMP command that makes the pvpanic device report a panic.
const PANIC: &str = "o /b 0x505 1";

/// The HMP command that arms the ib700 watchdog with no time left: it fires at once.
const FIRE_WATCHDOG: &str = "o /b 0x443 15";

/// Each case: the guest's name, its XML and the HMP command that makes it fail.
fn cases() -> Vec<(String, String, &'static str)> {
    let panics = [
        "destroy",
        "preserve",
        "restart",
        "coredump-destroy",
        "coredump-restart",
    ]
    .map(|a| (format!("p-{a}"), panicking_guest(a), PANIC));
    let watchdogs = ["pause", "dump", "reset", "none", "poweroff"]
        .map(|a| (format!("w-{a}"), watched_guest(a), FIRE_WATCHDOG));
    let s4 = (
        "s4".to_string(),
        SUSPENDING_GUEST.to_string(),
        SUSPEND_TO_DISK,
    );
    panics.into_iter().chain(watchdogs).chain([s4]).collect()
}

/// An event as compared: lifecycle `(0, event, detail)`, watchdog `(1, action, 0)`,
/// suspend to disk `(2, reason, 0)`.
type Seen = (i32, i32, i32);

/// What one case came to: the final state and reason, whether the domain is still active,
/// the lifecycle and watchdog events after the failure, and how many dumps named after it
/// were written.
type Outcome = ((i32, i32), bool, Vec<Seen>, usize);

/// The dumps under `dir` whose names are `ID-NAME-...` for a domain called `name`.
fn dumps(dir: &Path, name: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.split_once('-').is_some_and(|(id, rest)| {
                    id.parse::<u32>().is_ok() && rest.starts_with(&format!("{name}-"))
                })
            })
            .count()
    })
}

/// Each case under libvirt's embedded QEMU driver (python3-libvirt with its event loop).
fn libvirt_outcomes(root: &Path) -> Option<Vec<Outcome>> {
    if !libvirt_embed_root(root) {
        return None;
    }
    let script = r#"
import json, libvirt, libvirt_qemu, sys, threading, time
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
c = libvirt.open("qemu:///embed?root=" + sys.argv[1])
events = []
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                         lambda conn, d, e, det, o: events.append((0, e, det)), None)
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_WATCHDOG,
                         lambda conn, d, a, o: events.append((1, a, 0)), None)
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK,
                         lambda conn, d, r, o: events.append((2, r, 0)), None)
args = sys.argv[2:]
for xml, hmp in zip(args[::2], args[1::2]):
    d = c.defineXML(xml)
    d.create()
    time.sleep(0.3)
    events.clear()
    try:
        libvirt_qemu.qemuMonitorCommand(d, hmp, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
    except libvirt.libvirtError:
        pass  # a watchdog's poweroff ends QEMU before it answers
    time.sleep(1.5)
    # A guest shutting down (after S4) ends when libvirt has reaped its QEMU, which takes this
    # machine's init up to two seconds.
    t = time.time()
    while d.state()[0] == libvirt.VIR_DOMAIN_SHUTDOWN and time.time() - t < 10:
        time.sleep(0.1)
    time.sleep(0.2)
    print(json.dumps([d.state(), bool(d.isActive()), events]), flush=True)
    if d.isActive():
        d.destroy()
    d.undefine()
"#;
    let out = output_ok(
        std::process::Command::new("timeout")
            .arg("180")
            .arg(PYTHON)
            .arg("-c")
            .arg(script)
            .arg(root)
            .args(
                cases()
                    .into_iter()
                    .flat_map(|(_, xml, hmp)| [xml, hmp.to_string()]),
            ),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let n = |v: &Value, i: usize| v[i].as_i64().unwrap() as i32;
    Some(
        text.lines()
            .zip(cases())
            .map(|(line, (name, _, _))| {
                let v: Value = serde_json::from_str(line).unwrap();
                (
                    (n(&v[0], 0), n(&v[0], 1)),
                    v[1].as_bool().unwrap(),
                    v[2].as_array()
                        .unwrap()
                        .iter()
                        .map(|e| (n(e, 0), n(e, 1), n(e, 2)))
                        .collect(),
                    dumps(&root.join("lib/qemu/dump"), &name),
                )
            })
            .collect(),
    )
}

/// Records the lifecycle, watchdog and suspend-to-disk events of `d`, by domain name.
fn record(d: &rvirt_driver_qemu::QemuDriver) -> Arc<Mutex<Vec<(String, Seen)>>> {
    let seen: Arc<Mutex<Vec<(String, Seen)>>> = Default::default();
    for id in [
        DomainEventID::LIFECYCLE,
        DomainEventID::WATCHDOG,
        DomainEventID::PMSUSPEND_DISK,
    ] {
        let s = seen.clone();
        block_on(d.connect_domain_event_register_any(
            None,
            id,
            Arc::new(move |e| match e {
                DomainEvent::Lifecycle { dom, event, detail } => {
                    s.lock().push((dom.name.to_string(), (0, event.0, *detail)))
                }
                DomainEvent::Watchdog { dom, action } => {
                    s.lock().push((dom.name.to_string(), (1, *action, 0)))
                }
                DomainEvent::PmSuspendDisk { dom, reason } => {
                    s.lock().push((dom.name.to_string(), (2, *reason, 0)))
                }
                _ => {}
            }),
        ))
        .unwrap();
    }
    seen
}

#[test]
fn panics_and_watchdogs_meet_their_actions_as_in_libvirt() {
    let lv = Root::new();
    let Some(libvirt) = libvirt_outcomes(lv.path()) else {
        return;
    };
    assert_eq!(libvirt.len(), cases().len(), "libvirt ran every case");
    let root = Root::new();
    let d = open(root.path());
    let seen = record(&d);
    for ((name, xml, hmp), want) in cases().into_iter().zip(&libvirt) {
        let _cleanup = common::Cleanup(d.clone(), Box::leak(name.clone().into_boxed_str()));
        let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
        block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
        let dom = block_on(d.domain_lookup_by_name(&name)).unwrap();
        // As long as libvirt's side gives its guests: the firmware has set up the power
        // management the S4 case writes to.
        std::thread::sleep(Duration::from_millis(300));
        seen.lock().clear();
        // A watchdog's poweroff ends QEMU before it answers: the outcome below tells.
        let _ = block_on(d.domain_qemu_monitor_command(&dom, hmp, 1));
        // Until the events libvirt saw have come (at most 10 s: the comparison below then
        // shows what did), then a little longer for any beyond them.
        let t = std::time::Instant::now();
        while seen.lock().len() < want.2.len() && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(300));
        let (state, reason) = block_on(d.domain_get_state(&dom, 0)).unwrap();
        let active = block_on(d.domain_is_active(&dom)).unwrap();
        let events: Vec<Seen> = seen
            .lock()
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, e)| *e)
            .collect();
        let got: Outcome = (
            (state.0, reason),
            active,
            events,
            dumps(&root.path().join("lib/qemu/dump"), &name),
        );
        assert_eq!(&got, want, "{name}: rvirt, libvirt");
        if active {
            block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
        }
        block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
    }
}

#[test]
fn a_crashed_guest_kept_for_debugging_can_be_resumed_and_a_running_one_cannot() {
    let root = Root::new();
    let d = open(root.path());
    let _cleanup = common::Cleanup(d.clone(), "p-preserve");
    let dom =
        block_on(d.domain_define_xml(&panicking_guest("preserve"), DomainDefineFlags::empty()))
            .unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let e = block_on(d.domain_resume(&dom)).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::OPERATION_INVALID,
            "Requested operation is not valid: domain is already running"
        )
    );
    block_on(d.domain_qemu_monitor_command(&dom, PANIC, 1)).unwrap();
    wait_until(Duration::from_secs(10), "crashed", || {
        block_on(d.domain_get_state(&dom, 0)).unwrap()
            == (DomainState::CRASHED, DomainCrashedReason::PANICKED.0)
    });
    block_on(d.domain_resume(&dom)).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::UNPAUSED.0)
    );
}
