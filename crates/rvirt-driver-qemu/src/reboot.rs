//! `virDomainReboot` as libvirt's QEMU driver does it by default: a "fake reboot". The guest
//! gets an ACPI power button press and shuts itself down; QEMU (run with `-no-shutdown`)
//! stops there, and the driver, seeing the `SHUTDOWN` with the fake-reboot mark set, resets
//! the machine and resumes it instead of ending the domain (see `process.rs`). Without a
//! guest agent, `GUEST_AGENT` alone fails with libvirt's agent errors.

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::domain::DomainRebootFlags;
use rvirt_types::{Error, ErrorDomain, Result};
use std::sync::atomic::Ordering;

impl QemuDriver {
    /// `virDomainReboot`.
    pub(crate) async fn reboot(&self, dom: &DomainRef, flags: DomainRebootFlags) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainReboot",
            flags.bits(),
            (DomainRebootFlags::ACPI_POWER_BTN | DomainRebootFlags::GUEST_AGENT).bits(),
        )?;
        let obj = self.obj(dom)?;
        let agent = flags.contains(DomainRebootFlags::GUEST_AGENT);
        let acpi = flags.contains(DomainRebootFlags::ACPI_POWER_BTN);
        // The agent is never connected: asked for alone, its error is the answer; asked for
        // with ACPI, ACPI takes over.
        if agent && !acpi {
            return Err(crate::tuning::agent_unavailable(&obj.lock()));
        }
        // on_reboot destroy or preserve turn a reboot into a shutdown.
        let is_reboot = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "domain is not running",
                ));
            }
            !matches!(&*st.def.on_reboot, "destroy" | "preserve")
        };
        let p = self.proc_of(&obj.uuid)?;
        p.fake_reboot.store(is_reboot, Ordering::Relaxed);
        let res = self
            .qmp(&p, |m| async move { m.system_powerdown().await })
            .await;
        if res.is_err() {
            p.fake_reboot.store(false, Ordering::Relaxed);
        }
        res
    }
}
