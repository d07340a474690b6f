//! What a guest's panic or its watchdog leads to.
//!
//! A panic, as libvirt's QEMU driver handles QEMU's `GUEST_PANICKED`
//! (`processGuestPanicEvent`): the domain becomes crashed (reason panicked, with the CRASHED
//! event), then its `<on_crash>` action runs: `destroy` shuts it off as crashed, `restart`
//! resets and runs it again (running, reason crashed), `preserve` keeps it crashed for
//! debugging, and the `coredump-` forms first write its memory (an ELF dump) under
//! `qemu.conf`'s `auto_dump_path`, named `ID-NAME-YYYY-MM-DD-HH:MM:SS` (local time). A dump
//! that fails stops there, as in libvirt: the guest stays crashed.
//!
//! A watchdog, as libvirt handles QEMU's `WATCHDOG` (`qemuProcessHandleWatchdog`): the
//! WATCHDOG event with QEMU's action; a running guest that QEMU pauses for it is paused with
//! reason watchdog (SUSPENDED/WATCHDOG); and a watchdog whose action is `dump` (QEMU pauses)
//! writes the guest's memory under `auto_dump_path`, then runs the guest again.

use crate::QemuDriver;
use crate::process::{Proc, rt};
use rvirt_driver::{DomainEvent, DomainObj};
use rvirt_types::Uuid;
use rvirt_types::domain::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Now in local time as `YYYY-MM-DD-HH:MM:SS`.
fn local_now() -> String {
    // SAFETY: time(NULL) and localtime_r fill a tm of ours; no pointer outlives the calls.
    let tm = unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    format!(
        "{:04}-{:02}-{:02}-{:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

impl QemuDriver {
    /// The guest's watchdog fired and QEMU does `action` about it.
    pub(crate) fn watchdog_fired(&self, obj: &DomainObj, uuid: Uuid, p: &Arc<Proc>, action: &str) {
        let code = DomainEventWatchdogAction::NAMES
            .iter()
            .position(|a| *a == action)
            .unwrap_or(0) as i32;
        let (dref, paused, dump, id, name) = {
            let mut st = obj.lock();
            let paused =
                code == DomainEventWatchdogAction::PAUSE.0 && st.state == DomainState::RUNNING;
            if paused {
                st.state = DomainState::PAUSED;
                st.reason = DomainPausedReason::WATCHDOG.0;
            }
            let dump = st
                .def
                .devices
                .other
                .iter()
                .any(|(_, e)| e.name == "watchdog" && e.attr("action") == Some("dump"));
            (st.to_ref(uuid), paused, dump, st.id, st.def.name.clone())
        };
        self.events.emit(DomainEvent::Watchdog {
            dom: dref.clone(),
            action: code,
        });
        if paused {
            self.events.emit(DomainEvent::lifecycle(
                dref,
                DomainEventType::SUSPENDED,
                DomainEventSuspendedDetailType::WATCHDOG.0,
            ));
            let _ = self.save_status(obj);
        }
        if !dump {
            return;
        }
        let drv = self.weak();
        let p = p.clone();
        rt().spawn(async move {
            let Some(d) = drv.upgrade() else { return };
            if let Err(e) = d.dump_automatically(&p, id, &name).await {
                tracing::error!(domain = %name, "Dump failed: {e}");
            }
            let Some(obj) = d.domains.find_by_uuid(&uuid) else {
                return;
            };
            if let Err(e) = d.resume_for(&obj, DomainRunningReason::UNPAUSED).await {
                tracing::error!(domain = %name, "Resuming after dump failed: {e}");
            }
        });
    }

    /// A memory-only dump of guest `id`/`name` under [`QemuDriver::auto_dump_dir`].
    async fn dump_automatically(
        &self,
        p: &Arc<Proc>,
        id: i32,
        name: &str,
    ) -> rvirt_types::Result<()> {
        let dir = self.auto_dump_dir();
        std::fs::create_dir_all(&dir).map_err(|e| {
            rvirt_types::Error::system(
                crate::FROM,
                format!("Failed to create '{}'", dir.display()),
                &e,
            )
        })?;
        let path = dir.join(format!(
            "{}-{}",
            crate::util::short_name(id, name),
            local_now()
        ));
        self.dump_to(p, &path, 0, DomainCoreDumpFlags::MEMORY_ONLY)
            .await
    }

    /// The folder of automatic dumps: `auto_dump_path`, by default `dump` in the driver's
    /// folder of running domains (`/var/lib/libvirt/qemu/dump`).
    pub(crate) fn auto_dump_dir(&self) -> PathBuf {
        self.config
            .auto_dump_path
            .clone()
            .unwrap_or_else(|| self.dirs.qemu_lib.join("dump"))
    }

    /// QEMU said the guest panicked (it paused it, `-no-shutdown`): crashed now, then its
    /// `<on_crash>` action, in a task of its own so that the watcher goes on reading events.
    pub(crate) fn guest_panicked(&self, obj: &DomainObj, uuid: Uuid, p: &Arc<Proc>) {
        let (ev, action, id, name) = {
            let mut st = obj.lock();
            if !st.is_active() {
                return;
            }
            st.state = DomainState::CRASHED;
            st.reason = DomainCrashedReason::PANICKED.0;
            (
                DomainEvent::lifecycle(
                    st.to_ref(uuid),
                    DomainEventType::CRASHED,
                    DomainEventCrashedDetailType::PANICKED.0,
                ),
                st.def.on_crash.clone(),
                st.id,
                st.def.name.clone(),
            )
        };
        self.events.emit(ev);
        let _ = self.save_status(obj);
        let drv = self.weak();
        let p = p.clone();
        rt().spawn(async move {
            let Some(d) = drv.upgrade() else { return };
            if action.starts_with("coredump-")
                && let Err(e) = d.dump_automatically(&p, id, &name).await
            {
                tracing::error!(domain = %name, "Dump failed: {e}");
                return;
            }
            match &*action {
                "destroy" | "coredump-destroy" => {
                    // The watcher shuts it off as crashed (STOPPED/CRASHED).
                    p.dump_crash.store(true, Ordering::Relaxed);
                    if let Err(e) = d.destroy(&uuid, false).await {
                        tracing::warn!(domain = %name, "destroying the crashed guest: {e}");
                    }
                }
                "restart" | "coredump-restart" => {
                    p.fake_reboot.store(true, Ordering::Relaxed);
                    d.fake_reboot(uuid, p);
                }
                _ => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_names_are_libvirts() {
        let short_name = crate::util::short_name;
        assert_eq!(short_name(4, "web"), "4-web");
        assert_eq!(
            short_name(12, "a-name-longer-than-twenty-bytes"),
            "12-a-name-longer-than-t"
        );
        // Twenty characters, not bytes, as libvirt counts them in a UTF-8 locale.
        assert_eq!(
            short_name(1, "éééééééééééééééééééééé"),
            "1-éééééééééééééééééééé"
        );
        let now = local_now();
        assert_eq!(now.len(), 19, "{now}");
        assert_eq!(&now[4..5], "-");
        assert_eq!(&now[10..11], "-");
        assert_eq!(&now[13..14], ":");
    }
}
