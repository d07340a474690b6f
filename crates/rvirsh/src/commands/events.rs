//! Domain Events (help keyword `events`): `event`, waiting for and printing domain events.

use crate::cmd::{CmdDef, Complete, Group, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed};
use crate::parse::Cmd;
use rvirt::DomainEvent;
use rvirt::flags::DomainEventID;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The group.
pub static GROUP: Group = Group {
    name: "Domain Events",
    keyword: "events",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[CmdDef {
    name: "event",
    help: "Domain Events",
    desc: "List event types, or wait for domain events to occur",
    opts: &[
        Opt::new(
            "domain",
            OptKind::String,
            "filter by domain name, id or uuid",
        )
        .complete(Complete::Domain),
        Opt::new("event", OptKind::String, "which event type to wait for")
            .complete(Complete::DomainEvent),
        Opt::new(
            "all",
            OptKind::Bool,
            "wait for all events instead of just one type",
        ),
        Opt::new(
            "loop",
            OptKind::Bool,
            "loop until timeout or interrupt, rather than one-shot",
        ),
        Opt::new("timeout", OptKind::Int, "timeout seconds"),
        Opt::new("list", OptKind::Bool, "list valid event types"),
        Opt::new(
            "timestamp",
            OptKind::Bool,
            "show timestamp for each printed event",
        ),
    ],
    ..CmdDef::new(cmd_event)
}];

/// Every domain event name virsh knows, in `virDomainEventID` order.
pub const EVENT_NAMES: [&str; 27] = [
    "lifecycle",
    "reboot",
    "rtc-change",
    "watchdog",
    "io-error",
    "graphics",
    "io-error-reason",
    "control-error",
    "block-job",
    "disk-change",
    "tray-change",
    "pm-wakeup",
    "pm-suspend",
    "balloon-change",
    "pm-suspend-disk",
    "device-removed",
    "block-job-2",
    "tunable",
    "agent-lifecycle",
    "device-added",
    "migration-iteration",
    "job-completed",
    "device-removal-failed",
    "metadata-change",
    "block-threshold",
    "memory-failure",
    "memory-device-size-change",
];

/// virshDomainEventToString and its detail tables.
fn lifecycle_text(event: i32, detail: i32) -> (&'static str, &'static str) {
    let (name, details): (&str, &[&str]) = match event {
        0 => ("Defined", &["Added", "Updated", "Renamed", "Snapshot"]),
        1 => ("Undefined", &["Removed", "Renamed"]),
        2 => (
            "Started",
            &["Booted", "Migrated", "Restored", "Snapshot", "Event wakeup"],
        ),
        3 => (
            "Suspended",
            &[
                "Paused",
                "Migrated",
                "I/O Error",
                "Watchdog",
                "Restored",
                "Snapshot",
                "API error",
                "Post-copy",
                "Post-copy Error",
            ],
        ),
        4 => (
            "Resumed",
            &[
                "Unpaused",
                "Migrated",
                "Snapshot",
                "Post-copy",
                "Post-copy Error",
            ],
        ),
        5 => (
            "Stopped",
            &[
                "Shutdown",
                "Destroyed",
                "Crashed",
                "Migrated",
                "Saved",
                "Failed",
                "Snapshot",
            ],
        ),
        6 => (
            "Shutdown",
            &[
                "Finished",
                "Finished after guest request",
                "Finished after host request",
            ],
        ),
        7 => ("PMSuspended", &["Memory", "Disk"]),
        8 => ("Crashed", &["Panicked", "Crashloaded"]),
        _ => ("unknown", &[]),
    };
    let d = usize::try_from(detail)
        .ok()
        .and_then(|d| details.get(d))
        .copied()
        .unwrap_or("unknown");
    (name, d)
}

/// The line virsh prints for an event.
fn event_line(name: &str, e: &DomainEvent) -> String {
    match e {
        DomainEvent::Lifecycle { dom, event, detail } => {
            let (ev, det) = lifecycle_text(event.0, *detail);
            format!("event 'lifecycle' for domain '{}': {ev} {det}\n", dom.name)
        }
        DomainEvent::MetadataChange { dom, kind, nsuri } => {
            let k = match kind {
                0 => "description",
                1 => "title",
                2 => "element",
                _ => "unknown",
            };
            format!(
                "event 'metadata-change' for domain '{}': type {k}, uri {}\n",
                dom.name,
                nsuri.as_deref().unwrap_or("<null>")
            )
        }
        DomainEvent::PmWakeup { dom, .. } => {
            format!("event 'pm-wakeup' for domain '{}'\n", dom.name)
        }
        DomainEvent::Watchdog { dom, action } => {
            let action = usize::try_from(*action)
                .ok()
                .and_then(|a| rvirt::flags::DomainEventWatchdogAction::NAMES.get(a))
                .unwrap_or(&"unknown");
            format!("event 'watchdog' for domain '{}': {action}\n", dom.name)
        }
        DomainEvent::PmSuspend { dom, .. } => {
            format!("event 'pm-suspend' for domain '{}'\n", dom.name)
        }
        DomainEvent::PmSuspendDisk { dom, .. } => {
            format!("event 'pm-suspend-disk' for domain '{}'\n", dom.name)
        }
        DomainEvent::BalloonChange { dom, actual } => format!(
            "event 'balloon-change' for domain '{}': {actual}KiB\n",
            dom.name
        ),
        DomainEvent::DeviceRemoved { dom, alias } => format!(
            "event 'device-removed' for domain '{}': {alias}\n",
            dom.name
        ),
        DomainEvent::TrayChange {
            dom,
            dev_alias,
            reason,
        } => format!(
            "event 'tray-change' for domain '{}' disk {dev_alias}: {}\n",
            dom.name,
            match reason {
                0 => "opened",
                1 => "closed",
                _ => "(null)",
            }
        ),
        DomainEvent::DeviceAdded { dom, alias } => {
            format!("event 'device-added' for domain '{}': {alias}\n", dom.name)
        }
        DomainEvent::MemoryDeviceSizeChange { dom, alias, size } => format!(
            "event 'memory-device-size-change' for domain '{}':\nalias: {alias}\nsize: {size}\n",
            dom.name
        ),
        DomainEvent::Tunable { dom, params } => {
            let mut out = format!("event 'tunable' for domain '{}':\n", dom.name);
            for p in params {
                out += &format!("\t{}: {}\n", p.field, crate::fmt::typed_value(&p.value));
            }
            out
        }
        DomainEvent::AgentLifecycle { dom, state, reason } => {
            let state = match state {
                0 => "unknown",
                1 => "connected",
                2 => "disconnected",
                _ => "unknown",
            };
            let reason = match reason {
                1 => "domain started",
                2 => "channel event",
                _ => "unknown",
            };
            format!(
                "event 'agent-lifecycle' for domain '{}': state: '{state}' reason: '{reason}'\n",
                dom.name
            )
        }
        DomainEvent::BlockJob {
            dom,
            path: disk,
            job_type,
            status,
        }
        | DomainEvent::BlockJob2 {
            dom,
            dst: disk,
            job_type,
            status,
        } => format!(
            "event '{name}' for domain '{}': {} for {disk} {}\n",
            dom.name,
            super::blockjob::job_type_name(*job_type),
            super::blockjob::status_name(*status)
        ),
        other => format!("event '{name}' for domain '{}'\n", other.domain().name),
    }
}

/// Set by SIGINT while `event` waits.
pub(crate) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The SIGINT handler of the event commands: asks the wait loop to stop.
pub(crate) extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// `YYYY-MM-DD HH:MM:SS.mmm+0000` (virTimeStringNowRaw), in UTC.
pub(crate) fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}.{:03}+0000",
        crate::fmt::utc_date(now.as_secs() as i64),
        now.subsec_millis()
    )
}

/// vshEventWait and the printing around it: prints the lines `rx` brings (with a timestamp if
/// `stamp`) until the first one (all of them if `looping`), the timeout or SIGINT, then virsh's
/// closing line and the count; returns the count.
pub(crate) fn wait_for_events(
    ctl: &mut Ctl,
    rx: &mpsc::Receiver<String>,
    timeout: Option<i32>,
    looping: bool,
    stamp: bool,
) -> usize {
    INTERRUPTED.store(false, Ordering::Relaxed);
    // SAFETY: installs a handler that only stores to an atomic.
    let old = unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
    let deadline = timeout.map(|ms| Instant::now() + Duration::from_millis(ms as u64));
    let mut count = 0;
    let outcome = loop {
        if INTERRUPTED.load(Ordering::Relaxed) {
            break "event loop interrupted\n";
        }
        let wait = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    break "event loop timed out\n";
                }
                (d - now).min(Duration::from_millis(100))
            }
            None => Duration::from_millis(100),
        };
        if let Ok(line) = rx.recv_timeout(wait) {
            if stamp {
                ctl.print(&format!("{}: {line}", timestamp()));
            } else {
                ctl.print(&line);
            }
            ctl.flush();
            count += 1;
            if !looping {
                break "";
            }
        }
    };
    // SAFETY: puts back the handler that was there.
    unsafe { libc::signal(libc::SIGINT, old) };
    ctl.print(outcome);
    ctl.print(&format!("events received: {count}\n"));
    count
}

fn cmd_event(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    for (a, b) in [("all", "event"), ("list", "all"), ("list", "event")] {
        if cmd.has(a) && cmd.has(b) {
            return ctl.fail(&format!("Options --{a} and --{b} are mutually exclusive"));
        }
    }
    if cmd.has("list") {
        let out: String = EVENT_NAMES.iter().map(|n| format!("{n}\n")).collect();
        ctl.print(&out);
        return Ok(());
    }
    let name = ctl.opt_str(cmd, "event")?;
    let all = cmd.has("all");
    if name.is_none() && !all {
        return ctl.fail("one of --list, --all, or --event <type> is required");
    }
    let ids: Vec<usize> = (0..EVENT_NAMES.len())
        .filter(|i| name.is_none_or(|n| n == EVENT_NAMES[*i]))
        .collect();
    if ids.is_empty() {
        return ctl.fail(&format!("unknown event type {}", name.unwrap_or_default()));
    }
    let timeout = ctl.opt_timeout_ms(cmd)?;
    let dom = if cmd.has("domain") {
        Some(ctl.domain(cmd)?.0)
    } else {
        None
    };
    let (looping, stamp) = (cmd.has("loop"), cmd.has("timestamp"));
    let conn = ctl.conn()?.clone();
    let (tx, rx) = mpsc::channel::<String>();
    let mut registered = Vec::new();
    for (n, &i) in ids.iter().enumerate() {
        let tx = tx.clone();
        let ename = EVENT_NAMES[i];
        let r = conn.domain_event_register_any(
            dom.as_ref(),
            DomainEventID(i as i32),
            move |_, _, e| {
                let _ = tx.send(event_line(ename, e));
            },
        );
        match r {
            Ok(id) => registered.push(id),
            // Drivers that know fewer events: only the first registration must work.
            Err(_) if n > 0 => {}
            Err(e) => {
                ctl.last_error = Some(e);
                return Err(Failed);
            }
        }
    }
    let count = wait_for_events(ctl, &rx, timeout, looping, stamp);
    let mut ok = count > 0;
    for id in registered {
        if conn.domain_event_deregister_any(id).is_err() {
            ok = false;
        }
    }
    if ok { Ok(()) } else { Err(Failed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_texts() {
        assert_eq!(lifecycle_text(5, 1), ("Stopped", "Destroyed"));
        assert_eq!(lifecycle_text(2, 0), ("Started", "Booted"));
        assert_eq!(lifecycle_text(2, 42), ("Started", "unknown"));
        assert_eq!(lifecycle_text(99, 0), ("unknown", "unknown"));
        assert_eq!(timestamp().len(), "2024-01-01 00:00:00.000+0000".len());
    }

    #[test]
    fn balloon_and_device_lines_are_virshs() {
        let dom = rvirt::DomainRef {
            name: "vm".into(),
            uuid: rvirt::Uuid::generate(),
            id: 1,
        };
        assert_eq!(
            event_line(
                "balloon-change",
                &DomainEvent::BalloonChange {
                    dom: dom.clone(),
                    actual: 262_144
                }
            ),
            "event 'balloon-change' for domain 'vm': 262144KiB\n"
        );
        assert_eq!(
            event_line(
                "device-added",
                &DomainEvent::DeviceAdded {
                    dom: dom.clone(),
                    alias: "net1".into()
                }
            ),
            "event 'device-added' for domain 'vm': net1\n"
        );
        assert_eq!(
            event_line(
                "memory-device-size-change",
                &DomainEvent::MemoryDeviceSizeChange {
                    dom: dom.clone(),
                    alias: "virtiomem0".into(),
                    size: 131_072
                }
            ),
            "event 'memory-device-size-change' for domain 'vm':\nalias: virtiomem0\nsize: 131072\n"
        );
        for (action, text) in [(0, "none"), (1, "pause"), (6, "inject-nmi"), (9, "unknown")] {
            assert_eq!(
                event_line(
                    "watchdog",
                    &DomainEvent::Watchdog {
                        dom: dom.clone(),
                        action
                    }
                ),
                format!("event 'watchdog' for domain 'vm': {text}\n")
            );
        }
    }
}
