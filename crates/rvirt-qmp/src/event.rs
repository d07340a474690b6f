//! QMP events: the raw record as QEMU sent it, and a typed view of the ones the QEMU driver
//! acts on.

use serde_json::Value;

/// One asynchronous event, as QEMU sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event name (`STOP`, `SHUTDOWN`, ...).
    pub name: String,
    /// QEMU's timestamp, seconds since the epoch.
    pub seconds: i64,
    /// QEMU's timestamp, microseconds part.
    pub micros: i64,
    /// The `data` member (an empty object when QEMU sent none).
    pub data: Value,
    /// The event's place among the monitor's events, from 1 (0 until the monitor numbers it):
    /// see [`crate::Monitor::events_published`].
    pub seq: u64,
}

/// A block job's progress as `BLOCK_JOB_*` events carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockJobInfo {
    /// The job type (`commit`, `stream`, `mirror`, `backup`, `create`...).
    pub job_type: String,
    /// The job id (QEMU still calls it `device`).
    pub device: String,
    /// Total work, in an arbitrary unit (bytes for most jobs).
    pub len: u64,
    /// Work done so far.
    pub offset: u64,
    /// The rate limit, bytes per second (0: none).
    pub speed: u64,
    /// The error message, when the job completed with an error.
    pub error: Option<String>,
}

/// The typed view of the events the QEMU driver needs; everything else is [`EventKind::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// The guest's CPUs stopped.
    Stop,
    /// The guest's CPUs run again.
    Resume,
    /// The guest shut down (or the host asked for it).
    Shutdown {
        /// True when the guest asked for it (ACPI, halt); false when the host did.
        guest: bool,
        /// QEMU's shutdown cause (`guest-shutdown`, `host-signal`, `host-qmp-quit`, ...).
        reason: String,
    },
    /// The machine was reset.
    Reset {
        /// True when the guest asked for it.
        guest: bool,
        /// QEMU's cause.
        reason: String,
    },
    /// An ACPI power button press was delivered (`system_powerdown`).
    Powerdown,
    /// The guest was suspended to RAM.
    Suspend,
    /// The guest suspended itself to disk (ACPI S4); QEMU's shutdown follows.
    SuspendDisk,
    /// The guest woke up from suspend.
    Wakeup,
    /// A block job finished (successfully or with `error` set).
    BlockJobCompleted(BlockJobInfo),
    /// A block job was cancelled.
    BlockJobCancelled(BlockJobInfo),
    /// A block job is ready to be completed (mirror, active commit).
    BlockJobReady(BlockJobInfo),
    /// A block job hit an I/O error.
    BlockJobError {
        /// The job id.
        device: String,
        /// `read` or `write`.
        operation: String,
        /// What QEMU did: `ignore`, `report`, `stop`.
        action: String,
    },
    /// A job changed state (`created`, `running`, `concluded`, ...).
    JobStatusChange {
        /// The job id.
        id: String,
        /// The new status.
        status: String,
    },
    /// The guest opened or closed a virtio serial port (`VSERPORT_CHANGE`).
    VserportChange {
        /// The port's device id.
        id: String,
        /// Whether the guest has it open now.
        open: bool,
    },
    /// A device finished unplugging.
    DeviceDeleted {
        /// The device id, when it had one.
        device: Option<String>,
        /// The QOM path.
        path: String,
    },
    /// Migration changed status (`setup`, `active`, `completed`, `failed`, `cancelled`...).
    Migration {
        /// The new status.
        status: String,
    },
    /// Migration started another pass over dirty memory.
    MigrationPass {
        /// The pass number.
        pass: u64,
    },
    /// The balloon reached a new size.
    BalloonChange {
        /// The guest's memory now, in bytes.
        actual: u64,
    },
    /// The guest plugged or unplugged memory of a virtio-mem device
    /// (`MEMORY_DEVICE_SIZE_CHANGE`); libvirt ignores an event without the device's id.
    MemoryDeviceSizeChange {
        /// The device's id (its alias).
        id: String,
        /// What the device now has plugged, in bytes.
        size: u64,
    },
    /// The guest's watchdog fired (`WATCHDOG`).
    Watchdog {
        /// What QEMU does about it (`-watchdog-action`): `reset`, `shutdown`, `poweroff`,
        /// `pause`, `debug`, `none`, `inject-nmi`.
        action: String,
    },
    /// The guest panicked.
    GuestPanicked {
        /// What QEMU did: `pause`, `poweroff`, `run`.
        action: String,
    },
    /// A removable drive's tray opened or closed (`DEVICE_TRAY_MOVED`), by the guest or on a
    /// command.
    TrayMoved {
        /// The drive's block backend name; `None` when QEMU sent an empty one (`-blockdev`).
        device: Option<String>,
        /// The device id.
        id: Option<String>,
        /// Whether the tray is open now.
        open: bool,
    },
    /// Any other event, or a known one whose data did not have the expected shape.
    Other,
}

impl Event {
    /// The typed view of this event.
    pub fn kind(&self) -> EventKind {
        let d = &self.data;
        let s = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
        let n = |k: &str| d.get(k).and_then(Value::as_u64);
        let b = |k: &str| d.get(k).and_then(Value::as_bool);
        let job = || {
            Some(BlockJobInfo {
                job_type: s("type")?,
                device: s("device")?,
                len: n("len").unwrap_or(0),
                offset: n("offset").unwrap_or(0),
                speed: n("speed").unwrap_or(0),
                error: s("error"),
            })
        };
        let kind = match self.name.as_str() {
            "STOP" => Some(EventKind::Stop),
            "RESUME" => Some(EventKind::Resume),
            "POWERDOWN" => Some(EventKind::Powerdown),
            "SUSPEND" => Some(EventKind::Suspend),
            "SUSPEND_DISK" => Some(EventKind::SuspendDisk),
            "WAKEUP" => Some(EventKind::Wakeup),
            "SHUTDOWN" => Some(EventKind::Shutdown {
                guest: b("guest").unwrap_or(false),
                reason: s("reason").unwrap_or_default(),
            }),
            "RESET" => Some(EventKind::Reset {
                guest: b("guest").unwrap_or(false),
                reason: s("reason").unwrap_or_default(),
            }),
            "BLOCK_JOB_COMPLETED" => job().map(EventKind::BlockJobCompleted),
            "BLOCK_JOB_CANCELLED" => job().map(EventKind::BlockJobCancelled),
            "BLOCK_JOB_READY" => job().map(EventKind::BlockJobReady),
            "BLOCK_JOB_ERROR" => (|| {
                Some(EventKind::BlockJobError {
                    device: s("device")?,
                    operation: s("operation")?,
                    action: s("action")?,
                })
            })(),
            "JOB_STATUS_CHANGE" => (|| {
                Some(EventKind::JobStatusChange {
                    id: s("id")?,
                    status: s("status")?,
                })
            })(),
            "DEVICE_DELETED" => s("path").map(|path| EventKind::DeviceDeleted {
                device: s("device"),
                path,
            }),
            "VSERPORT_CHANGE" => (|| {
                Some(EventKind::VserportChange {
                    id: s("id")?,
                    open: b("open")?,
                })
            })(),
            "DEVICE_TRAY_MOVED" => (|| {
                let device = s("device").filter(|d| !d.is_empty());
                let id = s("id");
                if device.is_none() && id.is_none() {
                    return None;
                }
                Some(EventKind::TrayMoved {
                    device,
                    id,
                    open: b("tray-open")?,
                })
            })(),
            "MIGRATION" => s("status").map(|status| EventKind::Migration { status }),
            "MIGRATION_PASS" => n("pass").map(|pass| EventKind::MigrationPass { pass }),
            "BALLOON_CHANGE" => n("actual").map(|actual| EventKind::BalloonChange { actual }),
            "MEMORY_DEVICE_SIZE_CHANGE" => (|| {
                Some(EventKind::MemoryDeviceSizeChange {
                    id: s("id")?,
                    size: n("size")?,
                })
            })(),
            "GUEST_PANICKED" => s("action").map(|action| EventKind::GuestPanicked { action }),
            "WATCHDOG" => s("action").map(|action| EventKind::Watchdog { action }),
            _ => None,
        };
        kind.unwrap_or(EventKind::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(name: &str, data: Value) -> Event {
        Event {
            name: name.into(),
            seconds: 0,
            micros: 0,
            data,
            seq: 0,
        }
    }

    #[test]
    fn typed_views() {
        assert_eq!(
            ev(
                "SHUTDOWN",
                json!({"guest": true, "reason": "guest-shutdown"})
            )
            .kind(),
            EventKind::Shutdown {
                guest: true,
                reason: "guest-shutdown".into()
            }
        );
        assert_eq!(ev("STOP", json!({})).kind(), EventKind::Stop);
        assert_eq!(
            ev("VSERPORT_CHANGE", json!({"id": "channel0", "open": true})).kind(),
            EventKind::VserportChange {
                id: "channel0".into(),
                open: true
            }
        );
        assert_eq!(
            ev(
                "DEVICE_DELETED",
                json!({"path": "/machine/peripheral/net0", "device": "net0"})
            )
            .kind(),
            EventKind::DeviceDeleted {
                device: Some("net0".into()),
                path: "/machine/peripheral/net0".into()
            }
        );
        let k = ev(
            "BLOCK_JOB_COMPLETED",
            json!({"type": "commit", "device": "j1", "len": 10, "offset": 10, "speed": 0}),
        )
        .kind();
        assert!(matches!(
            k,
            EventKind::BlockJobCompleted(BlockJobInfo {
                len: 10,
                error: None,
                ..
            })
        ));
        assert_eq!(
            ev("MIGRATION_PASS", json!({"pass": 2})).kind(),
            EventKind::MigrationPass { pass: 2 }
        );
        assert_eq!(
            ev("MIGRATION", json!({"status": 3})).kind(),
            EventKind::Other
        );
        assert_eq!(ev("VSERPORT_CHANGE", json!({})).kind(), EventKind::Other);
        assert_eq!(
            ev("WATCHDOG", json!({"action": "pause"})).kind(),
            EventKind::Watchdog {
                action: "pause".into()
            }
        );
        assert_eq!(ev("WATCHDOG", json!({})).kind(), EventKind::Other);
        assert_eq!(
            ev(
                "MEMORY_DEVICE_SIZE_CHANGE",
                json!({"id": "virtiomem0", "size": 134217728, "qom-path": "/machine/peripheral/virtiomem0"})
            )
            .kind(),
            EventKind::MemoryDeviceSizeChange {
                id: "virtiomem0".into(),
                size: 128 << 20
            }
        );
        let no_id = json!({"size": 0, "qom-path": "/machine/peripheral-anon/device[3]"});
        assert_eq!(
            ev("MEMORY_DEVICE_SIZE_CHANGE", no_id).kind(),
            EventKind::Other
        );
        assert_eq!(
            ev(
                "DEVICE_TRAY_MOVED",
                json!({"device": "", "id": "ide0-1-0", "tray-open": true})
            )
            .kind(),
            EventKind::TrayMoved {
                device: None,
                id: Some("ide0-1-0".into()),
                open: true
            }
        );
        for data in [
            json!({"device": "", "tray-open": true}),
            json!({"id": "ide0-1-0"}),
        ] {
            assert_eq!(ev("DEVICE_TRAY_MOVED", data).kind(), EventKind::Other);
        }
    }
}
