//! Autostart, as libvirt's `qemuAutostartDomains`: when a driver opens, every persistent
//! domain with an autostart link that is not running is started, in the background; a start
//! that fails is logged and does not keep the driver from opening.
//!
//! As in libvirt, this happens once per host boot: the first driver to do it leaves an
//! `autostarted` mark in the state folder (`run/qemu`, a tmpfs on a real host), and drivers
//! opened while it exists (after a daemon restart, a reopen) start nothing.

use crate::QemuDriver;

impl QemuDriver {
    /// Starts the autostart domains unless this boot already did; returns at once.
    pub(crate) fn autostart_domains(&self) {
        let mark = self.dirs.qemu_state.join("autostarted");
        if mark.exists() {
            return;
        }
        if std::fs::create_dir_all(&self.dirs.qemu_state)
            .and_then(|()| std::fs::write(&mark, b""))
            .is_err()
        {
            tracing::error!(
                "cannot create '{}': domains are not autostarted",
                mark.display()
            );
            return;
        }
        let drv = self.weak();
        crate::process::rt().spawn(async move {
            let Some(d) = drv.upgrade() else { return };
            for obj in d.domains.all() {
                let (def, name) = {
                    let st = obj.lock();
                    if !st.autostart || st.is_active() {
                        continue;
                    }
                    ((*st.def).clone(), st.name.clone())
                };
                if let Err(e) = d.start_domain(&obj, def, false).await {
                    tracing::error!("Failed to autostart VM '{name}': {e}");
                }
            }
        });
    }
}
