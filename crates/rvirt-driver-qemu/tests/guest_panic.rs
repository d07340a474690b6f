//! A guest that panics (an ISA pvpanic device, written to from the monitor as a crashing
//! kernel writes to it): the crashed state, the events and each `<on_crash>` action, beside
//! libvirt's own QEMU driver doing the same to the same guest.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, open, record, wait_until};
use pollster::block_on;
use rvirt_driver::DomainDriver;
use rvirt_testsupport::{PYTHON, libvirt_embed_root};
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const ACTIONS: [&str; 5] = [
    "destroy",
    "preserve",
    "restart",
    "coredump-destroy",
    "coredump-restart",
];

/// A tiny guest with a pvpanic device and `action` on a crash.
fn panicking_guest(action: &str) -> String {
    format!(
        "<domain type='qemu'><name>p-{action}</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os><on_crash>{action}</on_crash>\
         <devices><panic model='isa'/></devices></domain>"
    )
}

/// The HMP command that makes the pvpanic device report a panic.
const PANIC: &str = "o /b 0x505 1";

/// What one action came to: the final state and reason, whether the domain is still active,
/// the lifecycle events after the panic, and how many dumps named after it were written.
type Outcome = ((i32, i32), bool, Vec<(i32, i32)>, usize);

/// The dumps under `dir` whose names are `ID-NAME-...` for a domain called `name`.
fn dumps(dir: &Path, name: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.split_once('-')
                    .is_some_and(|(id, rest)| id.parse::<u32>().is_ok() && rest.starts_with(name))
            })
            .count()
    })
}

/// Each action under libvirt's embedded QEMU driver (python3-libvirt with its event loop).
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
                         lambda conn, d, e, det, o: events.append((e, det)), None)
for xml in sys.argv[2:]:
    d = c.defineXML(xml)
    d.create()
    time.sleep(0.3)
    events.clear()
    libvirt_qemu.qemuMonitorCommand(d, "o /b 0x505 1", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
    time.sleep(1.5)
    print(json.dumps([d.state(), bool(d.isActive()), events]), flush=True)
    if d.isActive():
        d.destroy()
    d.undefine()
"#;
    let out = std::process::Command::new("timeout")
        .arg("120")
        .arg(PYTHON)
        .arg("-c")
        .arg(script)
        .arg(root)
        .args(ACTIONS.iter().map(|a| panicking_guest(a)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .zip(ACTIONS)
            .map(|(line, action)| {
                let v: Value = serde_json::from_str(line).unwrap();
                let pair =
                    |v: &Value| (v[0].as_i64().unwrap() as i32, v[1].as_i64().unwrap() as i32);
                (
                    pair(&v[0]),
                    v[1].as_bool().unwrap(),
                    v[2].as_array().unwrap().iter().map(pair).collect(),
                    dumps(&root.join("lib/qemu/dump"), &format!("p-{action}")),
                )
            })
            .collect(),
    )
}

#[test]
fn a_panicking_guest_meets_its_on_crash_action_as_in_libvirt() {
    let lv = Root::new();
    let Some(libvirt) = libvirt_outcomes(lv.path()) else {
        return;
    };
    let root = Root::new();
    let d = open(root.path());
    let seen = record(&d);
    for (action, want) in ACTIONS.iter().zip(&libvirt) {
        let name = format!("p-{action}");
        let _cleanup = common::Cleanup(d.clone(), Box::leak(name.clone().into_boxed_str()));
        let dom =
            block_on(d.domain_define_xml(&panicking_guest(action), DomainDefineFlags::empty()))
                .unwrap();
        block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
        let dom = block_on(d.domain_lookup_by_name(&name)).unwrap();
        seen.lock().clear();
        block_on(d.domain_qemu_monitor_command(&dom, PANIC, 1)).unwrap();
        // Until the events libvirt saw have come (at most 10 s: the comparison below then
        // shows what did), then a little longer for any beyond them.
        let t = std::time::Instant::now();
        while seen.lock().len() < want.2.len() && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(300));
        let (state, reason) = block_on(d.domain_get_state(&dom, 0)).unwrap();
        let active = block_on(d.domain_is_active(&dom)).unwrap();
        let events: Vec<(i32, i32)> = seen
            .lock()
            .iter()
            .filter(|(n, _, _)| *n == name)
            .map(|(_, e, x)| (*e, *x))
            .collect();
        let got: Outcome = (
            (state.0, reason),
            active,
            events,
            dumps(&root.path().join("lib/qemu/dump"), &name),
        );
        assert_eq!(&got, want, "on_crash {action}: rvirt, libvirt");
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
