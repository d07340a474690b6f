//! Event registration, and the event messages pushed to registered clients.

use super::wire::nonnull_domain;
use crate::session::{EventRegistration, Session};
use rvirt::flags::DomainEventID;
use rvirt::{Connect, Domain, DomainEvent, Error, ErrorDomain, Result};
use rvirt_proto::convert::nonnull;
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{Procedure, event_header};
use rvirt_xdr::XdrEncode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Weak};

/// The ids this daemon hands out, unique across clients, as libvirtd's are.
pub(super) static NEXT_ID: AtomicI32 = AtomicI32::new(0);

/// Removes and returns the client's registration `wire_id` if it is of the family asked for
/// (network or domain): libvirtd keeps one list per family.
pub(super) fn take_registration(
    s: &Session,
    wire_id: i32,
    network: bool,
) -> Option<EventRegistration> {
    let mut regs = s.events.lock();
    match regs.get(&wire_id) {
        Some(r) if r.network == network => regs.remove(&wire_id),
        _ => None,
    }
}

/// A new id for a client's registration, from the sequence every object family shares.
pub(super) fn next_wire_id() -> i32 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

fn push(session: &Weak<Session>, procedure: Procedure, msg: &impl XdrEncode) {
    let Some(s) = session.upgrade() else { return };
    let mut packet = Vec::new();
    if rvirt_proto::encode_packet(&mut packet, &event_header(procedure), msg).is_ok() {
        s.send_now(packet);
    }
}

/// Sends `ev` to the client as the message its registration asked for.
fn relay(session: &Weak<Session>, wire_id: i32, legacy: bool, d: &Domain, ev: &DomainEvent) {
    let dom = nonnull_domain(d);
    match (ev, legacy) {
        (DomainEvent::Lifecycle { event, detail, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackLifecycle,
            &DomainEventCallbackLifecycleMsg {
                callback_id: wire_id,
                msg: DomainEventLifecycleMsg {
                    dom,
                    event: event.0,
                    detail: *detail,
                },
            },
        ),
        (DomainEvent::Lifecycle { event, detail, .. }, true) => push(
            session,
            Procedure::DomainEventLifecycle,
            &DomainEventLifecycleMsg {
                dom,
                event: event.0,
                detail: *detail,
            },
        ),
        (DomainEvent::Reboot { .. }, false) => push(
            session,
            Procedure::DomainEventCallbackReboot,
            &DomainEventCallbackRebootMsg {
                callback_id: wire_id,
                msg: DomainEventRebootMsg { dom },
            },
        ),
        (DomainEvent::Reboot { .. }, true) => push(
            session,
            Procedure::DomainEventReboot,
            &DomainEventRebootMsg { dom },
        ),
        (DomainEvent::Watchdog { action, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackWatchdog,
            &DomainEventCallbackWatchdogMsg {
                callback_id: wire_id,
                msg: DomainEventWatchdogMsg {
                    dom,
                    action: *action,
                },
            },
        ),
        (DomainEvent::Watchdog { action, .. }, true) => push(
            session,
            Procedure::DomainEventWatchdog,
            &DomainEventWatchdogMsg {
                dom,
                action: *action,
            },
        ),
        (DomainEvent::PmWakeup { reason, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackPmwakeup,
            &DomainEventCallbackPmwakeupMsg {
                callback_id: wire_id,
                reason: *reason,
                msg: DomainEventPmwakeupMsg { dom },
            },
        ),
        (DomainEvent::PmWakeup { .. }, true) => push(
            session,
            Procedure::DomainEventPmwakeup,
            &DomainEventPmwakeupMsg { dom },
        ),
        (DomainEvent::PmSuspend { reason, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackPmsuspend,
            &DomainEventCallbackPmsuspendMsg {
                callback_id: wire_id,
                reason: *reason,
                msg: DomainEventPmsuspendMsg { dom },
            },
        ),
        (DomainEvent::PmSuspend { .. }, true) => push(
            session,
            Procedure::DomainEventPmsuspend,
            &DomainEventPmsuspendMsg { dom },
        ),
        (DomainEvent::PmSuspendDisk { reason, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackPmsuspendDisk,
            &DomainEventCallbackPmsuspendDiskMsg {
                callback_id: wire_id,
                reason: *reason,
                msg: DomainEventPmsuspendDiskMsg { dom },
            },
        ),
        (DomainEvent::PmSuspendDisk { .. }, true) => push(
            session,
            Procedure::DomainEventPmsuspendDisk,
            &DomainEventPmsuspendDiskMsg { dom },
        ),
        (DomainEvent::MetadataChange { kind, nsuri, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackMetadataChange,
            &DomainEventCallbackMetadataChangeMsg {
                callback_id: wire_id,
                dom,
                r#type: *kind,
                nsuri: nsuri.as_deref().map(nonnull),
            },
        ),
        (DomainEvent::BalloonChange { actual, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackBalloonChange,
            &DomainEventCallbackBalloonChangeMsg {
                callback_id: wire_id,
                msg: DomainEventBalloonChangeMsg {
                    dom,
                    actual: *actual,
                },
            },
        ),
        (DomainEvent::BalloonChange { actual, .. }, true) => push(
            session,
            Procedure::DomainEventBalloonChange,
            &DomainEventBalloonChangeMsg {
                dom,
                actual: *actual,
            },
        ),
        (DomainEvent::DeviceRemoved { alias, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackDeviceRemoved,
            &DomainEventCallbackDeviceRemovedMsg {
                callback_id: wire_id,
                msg: DomainEventDeviceRemovedMsg {
                    dom,
                    dev_alias: nonnull(alias),
                },
            },
        ),
        (DomainEvent::DeviceRemoved { alias, .. }, true) => push(
            session,
            Procedure::DomainEventDeviceRemoved,
            &DomainEventDeviceRemovedMsg {
                dom,
                dev_alias: nonnull(alias),
            },
        ),
        (DomainEvent::DeviceAdded { alias, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackDeviceAdded,
            &DomainEventCallbackDeviceAddedMsg {
                callback_id: wire_id,
                dom,
                dev_alias: nonnull(alias),
            },
        ),
        (
            DomainEvent::BlockJob {
                path,
                job_type,
                status,
                ..
            },
            legacy,
        ) => {
            let msg = DomainEventBlockJobMsg {
                dom,
                path: nonnull(path),
                r#type: *job_type,
                status: *status,
            };
            if legacy {
                push(session, Procedure::DomainEventBlockJob, &msg);
            } else {
                push(
                    session,
                    Procedure::DomainEventCallbackBlockJob,
                    &DomainEventCallbackBlockJobMsg {
                        callback_id: wire_id,
                        msg,
                    },
                );
            }
        }
        // BLOCK_JOB_2 has one message, with the callback id, for both ways of registering.
        (
            DomainEvent::BlockJob2 {
                dst,
                job_type,
                status,
                ..
            },
            _,
        ) => push(
            session,
            Procedure::DomainEventBlockJob2,
            &DomainEventBlockJob2Msg {
                callback_id: wire_id,
                dom,
                dst: nonnull(dst),
                r#type: *job_type,
                status: *status,
            },
        ),
        (
            DomainEvent::TrayChange {
                dev_alias, reason, ..
            },
            legacy,
        ) => {
            let msg = DomainEventTrayChangeMsg {
                dom,
                dev_alias: nonnull(dev_alias),
                reason: *reason,
            };
            if legacy {
                push(session, Procedure::DomainEventTrayChange, &msg);
            } else {
                push(
                    session,
                    Procedure::DomainEventCallbackTrayChange,
                    &DomainEventCallbackTrayChangeMsg {
                        callback_id: wire_id,
                        msg,
                    },
                );
            }
        }
        (DomainEvent::AgentLifecycle { state, reason, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackAgentLifecycle,
            &DomainEventCallbackAgentLifecycleMsg {
                callback_id: wire_id,
                dom,
                state: *state,
                reason: *reason,
            },
        ),
        (DomainEvent::Tunable { params, .. }, false) => push(
            session,
            Procedure::DomainEventCallbackTunable,
            &DomainEventCallbackTunableMsg {
                callback_id: wire_id,
                dom,
                params: rvirt_proto::convert::bounded(
                    params.iter().map(rvirt_proto::convert::typed_param_to_wire),
                ),
            },
        ),
        (DomainEvent::MemoryDeviceSizeChange { alias, size, .. }, false) => push(
            session,
            Procedure::DomainEventMemoryDeviceSizeChange,
            &DomainEventMemoryDeviceSizeChangeMsg {
                callback_id: wire_id,
                dom,
                alias: nonnull(alias),
                size: *size,
            },
        ),
        // The metadata, device-added, tunable, agent and memory-device events came after the
        // legacy protocol: there is no message for them there.
        (
            DomainEvent::MetadataChange { .. }
            | DomainEvent::DeviceAdded { .. }
            | DomainEvent::Tunable { .. }
            | DomainEvent::AgentLifecycle { .. }
            | DomainEvent::MemoryDeviceSizeChange { .. },
            true,
        ) => {}
    }
}

async fn register(
    s: &Arc<Session>,
    event_id: i32,
    dom: Option<&NonnullDomain>,
    legacy: bool,
) -> Result<i32> {
    let conn = s.conn()?;
    let wire_id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let weak = Arc::downgrade(s);
    let filter = dom.map(|d| super::wire::dom(&conn, d));
    let id = conn
        .domain_event_register_any(
            filter.as_ref(),
            DomainEventID(event_id),
            move |_c: &Connect, d: &Domain, ev: &DomainEvent| relay(&weak, wire_id, legacy, d, ev),
        )
        .await?;
    s.events.lock().insert(
        wire_id,
        EventRegistration {
            id,
            legacy,
            event_id,
            network: false,
        },
    );
    Ok(wire_id)
}

async fn deregister(s: &Arc<Session>, wire_id: i32) -> Result<()> {
    let conn = s.conn()?;
    let Some(reg) = take_registration(s, wire_id, false) else {
        return Err(Error::invalid_arg(
            ErrorDomain::RPC,
            format!("No registered callback ID {wire_id}"),
        ));
    };
    conn.domain_event_deregister_any(reg.id).await
}

pub async fn callback_register_any(
    s: Arc<Session>,
    a: ConnectDomainEventCallbackRegisterAnyArgs,
) -> Result<ConnectDomainEventCallbackRegisterAnyRet> {
    let callback_id = register(&s, a.event_id, a.dom.as_ref(), false).await?;
    Ok(ConnectDomainEventCallbackRegisterAnyRet { callback_id })
}

pub async fn callback_deregister_any(
    s: Arc<Session>,
    a: ConnectDomainEventCallbackDeregisterAnyArgs,
) -> Result<()> {
    deregister(&s, a.callback_id).await
}

/// The id of this client's legacy registration for `event_id`, if any.
fn legacy_registration(s: &Session, event_id: i32) -> Option<i32> {
    s.events
        .lock()
        .iter()
        .find(|(_, r)| r.legacy && r.event_id == event_id)
        .map(|(&k, _)| k)
}

pub async fn register_any(s: Arc<Session>, a: ConnectDomainEventRegisterAnyArgs) -> Result<()> {
    // The legacy protocol identifies a registration by its event id: one per id per client.
    if legacy_registration(&s, a.event_id).is_some() {
        return Err(super::internal(format!(
            "domain event {} already registered",
            a.event_id
        )));
    }
    register(&s, a.event_id, None, true).await.map(|_| ())
}

pub async fn deregister_any(s: Arc<Session>, a: ConnectDomainEventDeregisterAnyArgs) -> Result<()> {
    let Some(wire_id) = legacy_registration(&s, a.event_id) else {
        return Err(super::internal(format!(
            "domain event {} not registered",
            a.event_id
        )));
    };
    deregister(&s, wire_id).await
}
