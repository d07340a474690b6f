//! Domain lifecycle events (chapter 9 of the Python guide): register a lifecycle callback, cause
//! transitions, and print what arrives, worded as libvirt's `event-test.py` words it.
//!
//! `cargo run -p rvirt --example events [URI]` (default `test:///default`).

use rvirt::DomainEvent;
use rvirt::blocking::Connect;
use rvirt::flags::{DomainEventID, DomainEventType};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The words libvirt's event-test.py prints for an event type and its detail.
pub fn event_to_string(event: DomainEventType, detail: i32) -> (String, String) {
    let (name, details): (&str, &[&str]) = match event {
        DomainEventType::DEFINED => ("Defined", &["Added", "Updated", "Renamed", "Snapshot"]),
        DomainEventType::UNDEFINED => ("Undefined", &["Removed", "Renamed"]),
        DomainEventType::STARTED => (
            "Started",
            &["Booted", "Migrated", "Restored", "Snapshot", "Wakeup"],
        ),
        DomainEventType::SUSPENDED => (
            "Suspended",
            &[
                "Paused",
                "Migrated",
                "IOError",
                "Watchdog",
                "Restored",
                "Snapshot",
                "API error",
                "Postcopy",
                "Postcopy failed",
            ],
        ),
        DomainEventType::RESUMED => ("Resumed", &["Unpaused", "Migrated", "Snapshot", "Postcopy"]),
        DomainEventType::STOPPED => (
            "Stopped",
            &[
                "Shutdown",
                "Destroyed",
                "Crashed",
                "Migrated",
                "Saved",
                "Failed",
                "Snapshot",
                "Daemon",
            ],
        ),
        DomainEventType::SHUTDOWN => (
            "Shutdown",
            &["Finished", "On guest request", "On host request"],
        ),
        DomainEventType::PMSUSPENDED => ("PMSuspended", &["Memory", "Disk"]),
        DomainEventType::CRASHED => ("Crashed", &["Panicked", "Crashloaded"]),
        _ => ("Unknown", &[]),
    };
    let detail = usize::try_from(detail)
        .ok()
        .and_then(|d| details.get(d))
        .copied()
        .unwrap_or("Unknown");
    (name.to_string(), detail.to_string())
}

const XML: &str = "<domain type='test'><name>evdemo</name><memory>262144</memory><os><type>hvm</type></os></domain>";

/// Registers a lifecycle callback at `uri`, takes a guest through its life and prints each event.
pub fn run(uri: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let conn = Connect::open(uri)?;
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = received.clone();
    let id =
        conn.domain_event_register_any(None, DomainEventID::LIFECYCLE, move |_conn, dom, ev| {
            if let DomainEvent::Lifecycle { event, detail, .. } = ev {
                let (event, detail) = event_to_string(*event, *detail);
                let line = format!(
                    "myDomainEventCallback1 EVENT: Domain {}({}) {event} {detail}",
                    dom.get_name(),
                    dom.get_id()
                );
                // A poisoned lock only means another callback panicked; the list is still usable.
                sink.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        })?;
    writeln!(out, "Registered lifecycle callback {id}")?;

    let flush = |what: &str, out: &mut dyn Write| -> std::io::Result<()> {
        writeln!(out, "{what}")?;
        for line in received.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            writeln!(out, "  {line}")?;
        }
        Ok(())
    };

    let dom = conn.define_xml(XML)?;
    flush("define", out)?;
    dom.create()?;
    flush("start", out)?;
    dom.suspend()?;
    flush("suspend", out)?;
    dom.resume()?;
    flush("resume", out)?;
    dom.shutdown()?;
    flush("shutdown", out)?;
    dom.create()?;
    dom.destroy()?;
    flush("start + destroy", out)?;
    dom.undefine()?;
    flush("undefine", out)?;

    conn.domain_event_deregister_any(id)?;
    writeln!(out, "Deregistered lifecycle callback {id}")?;
    Ok(())
}

#[allow(dead_code)]
fn main() {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "test:///default".to_string());
    if let Err(e) = run(&uri, &mut std::io::stdout()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
