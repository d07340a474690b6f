//! Domain events over the wire: the callbacks registered through this connection, the event
//! messages the server sends for them (`DOMAIN_EVENT_CALLBACK_*`, routed by the server's callback
//! id), and the thread that runs the callbacks.
//!
//! Callbacks run on a thread of their own, in the order the server sent the events, never on the
//! connection's I/O thread: a callback may call back into the API (even close the connection)
//! without stalling the replies it waits for.

use crate::wire::domain_ref;
use parking_lot::Mutex;
use rvirt_driver::storage::StoragePoolEventCallback;
use rvirt_driver::{
    CallbackId, DomainEvent, DomainEventCallback, NetworkEvent, NetworkEventCallback,
    NodeDeviceEvent, NodeDeviceEventCallback, StoragePoolEvent,
};
use rvirt_proto::remote::Procedure;
use rvirt_proto::remote::types::{
    DomainEventBlockJob2Msg, DomainEventCallbackAgentLifecycleMsg,
    DomainEventCallbackBalloonChangeMsg, DomainEventCallbackBlockJobMsg,
    DomainEventCallbackDeviceAddedMsg, DomainEventCallbackDeviceRemovedMsg,
    DomainEventCallbackLifecycleMsg, DomainEventCallbackMetadataChangeMsg,
    DomainEventCallbackPmsuspendDiskMsg, DomainEventCallbackPmsuspendMsg,
    DomainEventCallbackPmwakeupMsg, DomainEventCallbackRebootMsg, DomainEventCallbackTrayChangeMsg,
    DomainEventCallbackTunableMsg, DomainEventCallbackWatchdogMsg,
    DomainEventMemoryDeviceSizeChangeMsg, NetworkEventLifecycleMsg,
};
use rvirt_types::domain::DomainEventType;
use rvirt_types::{Error, ErrorDomain, Result};
use rvirt_xdr::{XdrDecode, XdrReader};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// An event message from the server: the server's callback id and the event.
#[derive(Debug)]
pub struct Incoming {
    /// The id the server gave the registration.
    pub remote_id: i32,
    /// The event.
    pub event: Event,
}

/// An event of any object family this driver delivers.
#[derive(Debug)]
pub enum Event {
    /// About a domain.
    Domain(DomainEvent),
    /// About a network.
    Network(NetworkEvent),
    /// About a storage pool.
    StoragePool(StoragePoolEvent),
    /// About a node device.
    NodeDevice(NodeDeviceEvent),
}

/// A registered callback, of the family its events come from.
#[derive(Clone)]
pub enum Callback {
    /// For domain events.
    Domain(DomainEventCallback),
    /// For network events.
    Network(NetworkEventCallback),
    /// For storage pool events.
    StoragePool(StoragePoolEventCallback),
    /// For node device events.
    NodeDevice(NodeDeviceEventCallback),
}

impl From<DomainEventCallback> for Callback {
    fn from(cb: DomainEventCallback) -> Callback {
        Callback::Domain(cb)
    }
}

impl From<NetworkEventCallback> for Callback {
    fn from(cb: NetworkEventCallback) -> Callback {
        Callback::Network(cb)
    }
}

impl From<StoragePoolEventCallback> for Callback {
    fn from(cb: StoragePoolEventCallback) -> Callback {
        Callback::StoragePool(cb)
    }
}

impl Callback {
    /// Calls the callback if `event` is of its family.
    fn deliver(&self, event: &Event) {
        match (self, event) {
            (Callback::Domain(cb), Event::Domain(e)) => cb(e),
            (Callback::Network(cb), Event::Network(e)) => cb(e),
            (Callback::StoragePool(cb), Event::StoragePool(e)) => cb(e),
            (Callback::NodeDevice(cb), Event::NodeDevice(e)) => cb(e),
            _ => tracing::debug!("an event for a callback of another object family"),
        }
    }

    fn takes(&self, event: &Event) -> bool {
        matches!(
            (self, event),
            (Callback::Domain(_), Event::Domain(_))
                | (Callback::Network(_), Event::Network(_))
                | (Callback::StoragePool(_), Event::StoragePool(_))
                | (Callback::NodeDevice(_), Event::NodeDevice(_))
        )
    }
}

fn decode_msg<T: XdrDecode>(payload: &[u8]) -> Option<T> {
    T::decode(&mut XdrReader::new(payload)).ok()
}

/// Decodes `$payload` as the message `$msg`, whose event `$event` makes from it (named `$m`):
/// the server's callback id and the event, or `None` from the enclosing function.
macro_rules! callback {
    ($payload:expr, $msg:ty, |$m:ident| $event:expr) => {{
        let $m: $msg = decode_msg($payload)?;
        ($m.callback_id, $event)
    }};
}

/// The event a `MESSAGE` of the remote program carries, if it is one this driver delivers.
pub fn decode(procedure: i32, payload: &[u8]) -> Option<Incoming> {
    let (remote_id, event) = match Procedure::from_number(procedure)? {
        Procedure::DomainEventCallbackLifecycle => {
            callback!(payload, DomainEventCallbackLifecycleMsg, |m| Event::Domain(
                DomainEvent::Lifecycle {
                    dom: domain_ref(m.msg.dom),
                    event: DomainEventType(m.msg.event),
                    detail: m.msg.detail,
                }
            ))
        }
        Procedure::DomainEventCallbackReboot => {
            callback!(payload, DomainEventCallbackRebootMsg, |m| Event::Domain(
                DomainEvent::Reboot {
                    dom: domain_ref(m.msg.dom),
                }
            ))
        }
        Procedure::DomainEventCallbackWatchdog => {
            callback!(payload, DomainEventCallbackWatchdogMsg, |m| Event::Domain(
                DomainEvent::Watchdog {
                    dom: domain_ref(m.msg.dom),
                    action: m.msg.action,
                }
            ))
        }
        Procedure::DomainEventCallbackPmwakeup => {
            callback!(payload, DomainEventCallbackPmwakeupMsg, |m| Event::Domain(
                DomainEvent::PmWakeup {
                    dom: domain_ref(m.msg.dom),
                    reason: m.reason,
                }
            ))
        }
        Procedure::DomainEventCallbackPmsuspend => {
            callback!(payload, DomainEventCallbackPmsuspendMsg, |m| Event::Domain(
                DomainEvent::PmSuspend {
                    dom: domain_ref(m.msg.dom),
                    reason: m.reason,
                }
            ))
        }
        Procedure::DomainEventCallbackPmsuspendDisk => {
            callback!(payload, DomainEventCallbackPmsuspendDiskMsg, |m| {
                Event::Domain(DomainEvent::PmSuspendDisk {
                    dom: domain_ref(m.msg.dom),
                    reason: m.reason,
                })
            })
        }
        Procedure::DomainEventCallbackMetadataChange => {
            callback!(payload, DomainEventCallbackMetadataChangeMsg, |m| {
                Event::Domain(DomainEvent::MetadataChange {
                    dom: domain_ref(m.dom),
                    kind: m.r#type,
                    nsuri: m.nsuri.map(|s| s.into_inner()),
                })
            })
        }
        Procedure::DomainEventCallbackBalloonChange => {
            callback!(payload, DomainEventCallbackBalloonChangeMsg, |m| {
                Event::Domain(DomainEvent::BalloonChange {
                    dom: domain_ref(m.msg.dom),
                    actual: m.msg.actual,
                })
            })
        }
        Procedure::DomainEventCallbackDeviceRemoved => {
            callback!(payload, DomainEventCallbackDeviceRemovedMsg, |m| {
                Event::Domain(DomainEvent::DeviceRemoved {
                    dom: domain_ref(m.msg.dom),
                    alias: m.msg.dev_alias.into_inner(),
                })
            })
        }
        Procedure::DomainEventCallbackTrayChange => callback!(
            payload,
            DomainEventCallbackTrayChangeMsg,
            |m| Event::Domain(DomainEvent::TrayChange {
                dom: domain_ref(m.msg.dom),
                dev_alias: m.msg.dev_alias.into_inner(),
                reason: m.msg.reason,
            })
        ),
        Procedure::DomainEventCallbackTunable => {
            callback!(payload, DomainEventCallbackTunableMsg, |m| Event::Domain(
                DomainEvent::Tunable {
                    dom: domain_ref(m.dom),
                    params: m
                        .params
                        .into_inner()
                        .into_iter()
                        .map(rvirt_proto::convert::typed_param_from_wire)
                        .collect(),
                }
            ))
        }
        Procedure::DomainEventCallbackAgentLifecycle => {
            callback!(payload, DomainEventCallbackAgentLifecycleMsg, |m| {
                Event::Domain(DomainEvent::AgentLifecycle {
                    dom: domain_ref(m.dom),
                    state: m.state,
                    reason: m.reason,
                })
            })
        }
        Procedure::DomainEventCallbackDeviceAdded => {
            callback!(payload, DomainEventCallbackDeviceAddedMsg, |m| {
                Event::Domain(DomainEvent::DeviceAdded {
                    dom: domain_ref(m.dom),
                    alias: m.dev_alias.into_inner(),
                })
            })
        }
        Procedure::DomainEventMemoryDeviceSizeChange => {
            callback!(payload, DomainEventMemoryDeviceSizeChangeMsg, |m| {
                Event::Domain(DomainEvent::MemoryDeviceSizeChange {
                    dom: domain_ref(m.dom),
                    alias: m.alias.into_inner(),
                    size: m.size,
                })
            })
        }
        Procedure::DomainEventCallbackBlockJob => {
            callback!(payload, DomainEventCallbackBlockJobMsg, |m| Event::Domain(
                DomainEvent::BlockJob {
                    dom: domain_ref(m.msg.dom),
                    path: m.msg.path.into_inner(),
                    job_type: m.msg.r#type,
                    status: m.msg.status,
                }
            ))
        }
        Procedure::DomainEventBlockJob2 => {
            callback!(payload, DomainEventBlockJob2Msg, |m| Event::Domain(
                DomainEvent::BlockJob2 {
                    dom: domain_ref(m.dom),
                    dst: m.dst.into_inner(),
                    job_type: m.r#type,
                    status: m.status,
                }
            ))
        }
        Procedure::NetworkEventLifecycle => {
            callback!(payload, NetworkEventLifecycleMsg, |m| Event::Network(
                NetworkEvent::Lifecycle {
                    net: crate::network::network_ref(m.net),
                    event: rvirt_types::network::NetworkEventLifecycleType(m.event),
                    detail: m.detail,
                }
            ))
        }
        p @ (Procedure::NodeDeviceEventLifecycle | Procedure::NodeDeviceEventUpdate) => {
            return crate::nodedev::decode_event(p, payload);
        }
        other => return crate::storage::decode_event(other, payload),
    };
    Some(Incoming { remote_id, event })
}

struct Registration {
    id: CallbackId,
    remote_id: i32,
    callback: Callback,
}

/// The callbacks registered through one connection.
#[derive(Default)]
pub struct Registry {
    regs: Mutex<Vec<Registration>>,
    next_id: AtomicI32,
}

impl Registry {
    /// Records a callback the server registered as `remote_id`; returns the id the caller
    /// knows it by.
    pub fn add(&self, remote_id: i32, callback: impl Into<Callback>) -> CallbackId {
        let callback = callback.into();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.regs.lock().push(Registration {
            id,
            remote_id,
            callback,
        });
        id
    }

    /// Forgets callback `id`; returns the server's id for it.
    pub fn remove(&self, id: CallbackId) -> Result<i32> {
        let mut regs = self.regs.lock();
        let i = regs.iter().position(|r| r.id == id).ok_or_else(|| {
            Error::invalid_arg(
                ErrorDomain::NONE,
                format!("could not find event callback {id} for deletion"),
            )
        })?;
        Ok(regs.remove(i).remote_id)
    }

    /// The callback the server's `remote_id` stands for, among those taking `event`'s family
    /// (the server numbers each family's registrations on its own).
    fn callback(&self, remote_id: i32, event: &Event) -> Option<Callback> {
        self.regs
            .lock()
            .iter()
            .find(|r| r.remote_id == remote_id && r.callback.takes(event))
            .map(|r| r.callback.clone())
    }
}

/// Starts the thread that runs callbacks; it ends when the returned sender (held by the
/// connection's reader) goes.
pub fn start_dispatcher(registry: Arc<Registry>) -> Result<std::sync::mpsc::Sender<Incoming>> {
    let (tx, rx) = std::sync::mpsc::channel::<Incoming>();
    std::thread::Builder::new()
        .name("rvirt-remote-events".into())
        .spawn(move || {
            for incoming in rx {
                // Looked up at delivery: a callback deregistered meanwhile is not called.
                if let Some(cb) = registry.callback(incoming.remote_id, &incoming.event) {
                    let run = std::panic::AssertUnwindSafe(|| cb.deliver(&incoming.event));
                    if std::panic::catch_unwind(run).is_err() {
                        tracing::warn!("an event callback panicked");
                    }
                }
            }
        })
        .map_err(|e| {
            Error::system(
                ErrorDomain::REMOTE,
                "cannot start the event dispatch thread",
                &e,
            )
        })?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rvirt_proto::remote::types::{DomainEventLifecycleMsg, NonnullDomain};

    #[test]
    fn decodes_a_lifecycle_message() {
        let msg = DomainEventCallbackLifecycleMsg {
            callback_id: 7,
            msg: DomainEventLifecycleMsg {
                dom: NonnullDomain {
                    name: "vm".try_into().unwrap(),
                    uuid: [1; 16],
                    id: 3,
                },
                event: 2,
                detail: 0,
            },
        };
        let bytes = rvirt_xdr::to_bytes(&msg);
        let inc = decode(Procedure::DomainEventCallbackLifecycle.number(), &bytes).unwrap();
        assert_eq!(inc.remote_id, 7);
        match inc.event {
            Event::Domain(DomainEvent::Lifecycle { dom, event, detail }) => {
                assert_eq!((&*dom.name, dom.id, event.0, detail), ("vm", 3, 2, 0));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            decode(
                Procedure::DomainEventCallbackLifecycle.number(),
                &bytes[..8]
            )
            .is_none()
        );
    }

    fn nonnull_dom() -> NonnullDomain {
        NonnullDomain {
            name: "vm".try_into().unwrap(),
            uuid: [1; 16],
            id: 3,
        }
    }

    #[test]
    fn decodes_balloon_device_and_tray_messages() {
        use rvirt_proto::remote::types::{
            DomainEventBalloonChangeMsg, DomainEventDeviceRemovedMsg,
        };
        let balloon = rvirt_xdr::to_bytes(&DomainEventCallbackBalloonChangeMsg {
            callback_id: 4,
            msg: DomainEventBalloonChangeMsg {
                dom: nonnull_dom(),
                actual: 524_288,
            },
        });
        let removed = rvirt_xdr::to_bytes(&DomainEventCallbackDeviceRemovedMsg {
            callback_id: 5,
            msg: DomainEventDeviceRemovedMsg {
                dom: nonnull_dom(),
                dev_alias: "virtio-disk1".try_into().unwrap(),
            },
        });
        let added = rvirt_xdr::to_bytes(&DomainEventCallbackDeviceAddedMsg {
            callback_id: 6,
            dom: nonnull_dom(),
            dev_alias: "net1".try_into().unwrap(),
        });
        let tray = rvirt_xdr::to_bytes(&DomainEventCallbackTrayChangeMsg {
            callback_id: 7,
            msg: rvirt_proto::remote::types::DomainEventTrayChangeMsg {
                dom: nonnull_dom(),
                dev_alias: "ide0-1-0".try_into().unwrap(),
                reason: 1,
            },
        });
        let memory = rvirt_xdr::to_bytes(&DomainEventMemoryDeviceSizeChangeMsg {
            callback_id: 8,
            dom: nonnull_dom(),
            alias: "virtiomem0".try_into().unwrap(),
            size: 131_072,
        });
        let got: Vec<(i32, String)> = [
            (Procedure::DomainEventCallbackBalloonChange, balloon),
            (Procedure::DomainEventMemoryDeviceSizeChange, memory),
            (Procedure::DomainEventCallbackDeviceRemoved, removed),
            (Procedure::DomainEventCallbackDeviceAdded, added),
            (Procedure::DomainEventCallbackTrayChange, tray),
        ]
        .into_iter()
        .map(|(proc, bytes)| {
            let inc = decode(proc.number(), &bytes).unwrap();
            let text = match inc.event {
                Event::Domain(DomainEvent::BalloonChange { dom, actual }) => {
                    format!("{} balloon {actual}", dom.name)
                }
                Event::Domain(DomainEvent::DeviceRemoved { dom, alias }) => {
                    format!("{} removed {alias}", dom.name)
                }
                Event::Domain(DomainEvent::DeviceAdded { dom, alias }) => {
                    format!("{} added {alias}", dom.name)
                }
                Event::Domain(DomainEvent::TrayChange {
                    dom,
                    dev_alias,
                    reason,
                }) => format!("{} tray {dev_alias} {reason}", dom.name),
                Event::Domain(DomainEvent::MemoryDeviceSizeChange { dom, alias, size }) => {
                    format!("{} memory {alias} {size}", dom.name)
                }
                other => panic!("{other:?}"),
            };
            (inc.remote_id, text)
        })
        .collect();
        assert_eq!(
            got,
            vec![
                (4, "vm balloon 524288".to_string()),
                (8, "vm memory virtiomem0 131072".to_string()),
                (5, "vm removed virtio-disk1".to_string()),
                (6, "vm added net1".to_string()),
                (7, "vm tray ide0-1-0 1".to_string()),
            ]
        );
    }

    #[test]
    fn registry_routes_by_the_servers_id() {
        let r = Registry::default();
        let noop: DomainEventCallback = Arc::new(|_| {});
        let a = r.add(10, noop.clone());
        let b = r.add(11, noop);
        assert_eq!((a, b), (0, 1));
        let ev = Event::Domain(DomainEvent::Reboot {
            dom: rvirt_driver::DomainRef {
                name: "d".into(),
                uuid: rvirt_types::Uuid::generate(),
                id: 1,
            },
        });
        assert!(r.callback(11, &ev).is_some());
        assert_eq!(r.remove(b).unwrap(), 11);
        assert!(r.callback(11, &ev).is_none());
        assert!(r.remove(b).is_err());
    }
}
