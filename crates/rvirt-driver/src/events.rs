//! The event bus: callbacks registered per event id (optionally for one domain), invoked after the
//! transition that caused the event, with no driver lock held, so a callback may call back into
//! the API (even deregister itself).

use crate::DomainRef;
use parking_lot::RwLock;
use rvirt_types::domain::{DomainEventID, DomainEventType};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// A registered callback's id, as `virConnectDomainEventRegisterAny` returns it.
pub type CallbackId = i32;

/// An event about a domain.
#[derive(Clone, Debug, PartialEq)]
pub enum DomainEvent {
    /// `VIR_DOMAIN_EVENT_ID_LIFECYCLE`: a lifecycle transition and its detail (one of the
    /// `DomainEvent*DetailType` values of that transition).
    Lifecycle {
        /// The domain.
        dom: DomainRef,
        /// What happened.
        event: DomainEventType,
        /// The detail of what happened.
        detail: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_REBOOT`: the guest rebooted.
    Reboot {
        /// The domain.
        dom: DomainRef,
    },
    /// `VIR_DOMAIN_EVENT_ID_WATCHDOG`: the guest's watchdog fired.
    Watchdog {
        /// The domain.
        dom: DomainRef,
        /// What the watchdog does: a `DomainEventWatchdogAction` value.
        action: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_PMWAKEUP`: the guest woke up from a power-management suspend.
    PmWakeup {
        /// The domain.
        dom: DomainRef,
        /// Always 0: libvirt defines no reasons.
        reason: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_PMSUSPEND`: the guest suspended itself to memory.
    PmSuspend {
        /// The domain.
        dom: DomainRef,
        /// Always 0: libvirt defines no reasons.
        reason: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK`: the guest suspended itself to disk.
    PmSuspendDisk {
        /// The domain.
        dom: DomainRef,
        /// Always 0: libvirt defines no reasons.
        reason: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_METADATA_CHANGE`: title, description or a metadata element changed.
    MetadataChange {
        /// The domain.
        dom: DomainRef,
        /// A `DomainMetadataType` value.
        kind: i32,
        /// The namespace URI for element metadata.
        nsuri: Option<String>,
    },
    /// `VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE`: the balloon's size changed.
    BalloonChange {
        /// The domain.
        dom: DomainRef,
        /// The memory the guest now has, in KiB.
        actual: u64,
    },
    /// `VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED`: a device left the live domain (the guest let go
    /// of it, or the hypervisor removed it).
    DeviceRemoved {
        /// The domain.
        dom: DomainRef,
        /// The device's alias (`virtio-disk1`, `net1`, ...).
        alias: String,
    },
    /// `VIR_DOMAIN_EVENT_ID_DEVICE_ADDED`: a device joined the live domain.
    DeviceAdded {
        /// The domain.
        dom: DomainRef,
        /// The device's alias.
        alias: String,
    },
    /// `VIR_DOMAIN_EVENT_ID_BLOCK_JOB`: a disk's block job completed, failed, was canceled or
    /// became ready to pivot; the disk named by its top image's path.
    BlockJob {
        /// The domain.
        dom: DomainRef,
        /// The disk's source path.
        path: String,
        /// A `virDomainBlockJobType` value.
        job_type: i32,
        /// A `virConnectDomainEventBlockJobStatus` value.
        status: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2`: [`DomainEvent::BlockJob`] with the disk named by its
    /// target (`vda`).
    BlockJob2 {
        /// The domain.
        dom: DomainRef,
        /// The disk's target.
        dst: String,
        /// A `virDomainBlockJobType` value.
        job_type: i32,
        /// A `virConnectDomainEventBlockJobStatus` value.
        status: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_TUNABLE`: tuning of the running domain changed (pinning, CPU
    /// bandwidth, disk throttling), the new values as typed parameters (`cputune.*`,
    /// `blkdeviotune.*`).
    Tunable {
        /// The domain.
        dom: DomainRef,
        /// The changed values.
        params: Vec<rvirt_types::TypedParam>,
    },
    /// `VIR_DOMAIN_EVENT_ID_TRAY_CHANGE`: a removable drive's tray opened or closed.
    TrayChange {
        /// The domain.
        dom: DomainRef,
        /// The drive's alias (`ide0-1-0`).
        dev_alias: String,
        /// A `virDomainEventTrayChangeReason` value.
        reason: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE`: the guest plugged or unplugged memory
    /// of a virtio-mem device.
    MemoryDeviceSizeChange {
        /// The domain.
        dom: DomainRef,
        /// The device's alias (`virtiomem0`).
        alias: String,
        /// What the device now has plugged, in KiB.
        size: u64,
    },
    /// `VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE`: the guest agent connected or disconnected.
    AgentLifecycle {
        /// The domain.
        dom: DomainRef,
        /// A `virConnectDomainEventAgentLifecycleState` value.
        state: i32,
        /// A `virConnectDomainEventAgentLifecycleReason` value.
        reason: i32,
    },
}

impl DomainEvent {
    /// The event id callbacks register for.
    pub fn id(&self) -> DomainEventID {
        match self {
            DomainEvent::Lifecycle { .. } => DomainEventID::LIFECYCLE,
            DomainEvent::Reboot { .. } => DomainEventID::REBOOT,
            DomainEvent::Watchdog { .. } => DomainEventID::WATCHDOG,
            DomainEvent::PmWakeup { .. } => DomainEventID::PMWAKEUP,
            DomainEvent::PmSuspend { .. } => DomainEventID::PMSUSPEND,
            DomainEvent::PmSuspendDisk { .. } => DomainEventID::PMSUSPEND_DISK,
            DomainEvent::MetadataChange { .. } => DomainEventID::METADATA_CHANGE,
            DomainEvent::BalloonChange { .. } => DomainEventID::BALLOON_CHANGE,
            DomainEvent::DeviceRemoved { .. } => DomainEventID::DEVICE_REMOVED,
            DomainEvent::DeviceAdded { .. } => DomainEventID::DEVICE_ADDED,
            DomainEvent::BlockJob { .. } => DomainEventID::BLOCK_JOB,
            DomainEvent::BlockJob2 { .. } => DomainEventID::BLOCK_JOB_2,
            DomainEvent::TrayChange { .. } => DomainEventID::TRAY_CHANGE,
            DomainEvent::AgentLifecycle { .. } => DomainEventID::AGENT_LIFECYCLE,
            DomainEvent::Tunable { .. } => DomainEventID::TUNABLE,
            DomainEvent::MemoryDeviceSizeChange { .. } => DomainEventID::MEMORY_DEVICE_SIZE_CHANGE,
        }
    }

    /// The domain the event is about.
    pub fn domain(&self) -> &DomainRef {
        match self {
            DomainEvent::Lifecycle { dom, .. }
            | DomainEvent::Reboot { dom }
            | DomainEvent::Watchdog { dom, .. }
            | DomainEvent::PmWakeup { dom, .. }
            | DomainEvent::PmSuspend { dom, .. }
            | DomainEvent::PmSuspendDisk { dom, .. }
            | DomainEvent::MetadataChange { dom, .. }
            | DomainEvent::BalloonChange { dom, .. }
            | DomainEvent::DeviceRemoved { dom, .. }
            | DomainEvent::DeviceAdded { dom, .. }
            | DomainEvent::BlockJob { dom, .. }
            | DomainEvent::BlockJob2 { dom, .. }
            | DomainEvent::TrayChange { dom, .. }
            | DomainEvent::AgentLifecycle { dom, .. }
            | DomainEvent::Tunable { dom, .. }
            | DomainEvent::MemoryDeviceSizeChange { dom, .. } => dom,
        }
    }

    /// A lifecycle event.
    pub fn lifecycle(dom: DomainRef, event: DomainEventType, detail: i32) -> DomainEvent {
        DomainEvent::Lifecycle { dom, event, detail }
    }
}

/// A callback: called once per matching event.
pub type DomainEventCallback = Arc<dyn Fn(&DomainEvent) + Send + Sync>;

/// A connection's close callback (`virConnectCloseFunc`): called once, with the reason, when
/// the connection closes other than by the caller's own close.
pub type CloseCallback = Arc<dyn Fn(rvirt_types::host::ConnectCloseReason) + Send + Sync>;

struct Registration {
    id: CallbackId,
    event_id: DomainEventID,
    domain: Option<Uuid>,
    callback: DomainEventCallback,
}

/// Registered callbacks of one connection (or one driver instance).
pub struct EventBus {
    regs: RwLock<Vec<Registration>>,
    any: AtomicBool,
    next_id: AtomicI32,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            regs: RwLock::new(Vec::new()),
            any: AtomicBool::new(false),
            next_id: AtomicI32::new(0),
        }
    }
}

impl EventBus {
    /// Registers `callback` for events of `event_id`, about `domain` only if given.
    pub fn register(
        &self,
        domain: Option<Uuid>,
        event_id: DomainEventID,
        callback: DomainEventCallback,
    ) -> Result<CallbackId> {
        if !(0..=27).contains(&event_id.0) {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("unsupported event ID {}", event_id.0),
            ));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut regs = self.regs.write();
        regs.push(Registration {
            id,
            event_id,
            domain,
            callback,
        });
        self.any.store(true, Ordering::Release);
        Ok(id)
    }

    /// A new callback id from the sequence domain callbacks take theirs from: libvirt numbers
    /// every callback of a connection, whatever its object family (domains, networks, storage pools), in one
    /// sequence.
    pub fn allocate_id(&self) -> CallbackId {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Removes the callback registered as `id`.
    pub fn deregister(&self, id: CallbackId) -> Result<()> {
        let mut regs = self.regs.write();
        let before = regs.len();
        regs.retain(|r| r.id != id);
        if regs.len() == before {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("could not find event callback {id} for deletion"),
            ));
        }
        self.any.store(!regs.is_empty(), Ordering::Release);
        Ok(())
    }

    /// True when any callback is registered: lets a driver skip building events nobody reads.
    pub fn has_listeners(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// Delivers `event` to every matching callback. Call with no driver lock held.
    pub fn emit(&self, event: DomainEvent) {
        if !self.has_listeners() {
            return;
        }
        let id = event.id();
        let uuid = event.domain().uuid;
        let targets: Vec<DomainEventCallback> = self
            .regs
            .read()
            .iter()
            .filter(|r| r.event_id == id && r.domain.is_none_or(|u| u == uuid))
            .map(|r| r.callback.clone())
            .collect();
        for cb in targets {
            cb(&event);
        }
    }

    /// Delivers several events in order.
    pub fn emit_all(&self, events: impl IntoIterator<Item = DomainEvent>) {
        for e in events {
            self.emit(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    fn dref(name: &str, uuid: Uuid) -> DomainRef {
        DomainRef {
            name: name.into(),
            uuid,
            id: -1,
        }
    }

    #[test]
    fn delivers_to_matching_callbacks_and_deregisters() {
        let bus = EventBus::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let a = Uuid::generate();
        let b = Uuid::generate();
        let s = seen.clone();
        let all = bus
            .register(
                None,
                DomainEventID::LIFECYCLE,
                Arc::new(move |e| s.lock().push(("all", e.domain().name.to_string()))),
            )
            .unwrap();
        let s = seen.clone();
        bus.register(
            Some(b),
            DomainEventID::LIFECYCLE,
            Arc::new(move |e| s.lock().push(("b", e.domain().name.to_string()))),
        )
        .unwrap();
        bus.emit(DomainEvent::lifecycle(
            dref("a", a),
            DomainEventType::STARTED,
            0,
        ));
        bus.emit(DomainEvent::lifecycle(
            dref("b", b),
            DomainEventType::STOPPED,
            0,
        ));
        bus.emit(DomainEvent::Reboot { dom: dref("a", a) });
        assert_eq!(
            *seen.lock(),
            vec![("all", "a".into()), ("all", "b".into()), ("b", "b".into())]
        );
        bus.deregister(all).unwrap();
        assert_eq!(
            bus.deregister(all).unwrap_err().code,
            ErrorNumber::INVALID_ARG
        );
    }

    #[test]
    fn a_callback_may_deregister_itself() {
        let bus = Arc::new(EventBus::default());
        let b2 = bus.clone();
        let id = Arc::new(AtomicI32::new(-1));
        let id2 = id.clone();
        let cb: DomainEventCallback = Arc::new(move |_| {
            let _ = b2.deregister(id2.load(Ordering::SeqCst));
        });
        id.store(
            bus.register(None, DomainEventID::LIFECYCLE, cb).unwrap(),
            Ordering::SeqCst,
        );
        bus.emit(DomainEvent::lifecycle(
            dref("a", Uuid::generate()),
            DomainEventType::STARTED,
            0,
        ));
        assert!(!bus.has_listeners());
    }
}
