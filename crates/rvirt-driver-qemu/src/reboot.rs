//! `virDomainReboot` as libvirt's QEMU driver does it by default: a "fake reboot". The guest
//! gets an ACPI power button press and shuts itself down; QEMU (run with `-no-shutdown`)
//! stops there, and the driver, seeing the `SHUTDOWN` with the fake-reboot mark set, resets
//! the machine and resumes it instead of ending the domain (see `process.rs`). With the guest
//! agent (asked for, or by default when it is connected) the guest reboots itself.

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
        let agent_req = flags.contains(DomainRebootFlags::GUEST_AGENT);
        let acpi_req = flags.contains(DomainRebootFlags::ACPI_POWER_BTN);
        // libvirt's choice: the agent when asked for, or by default when it is connected;
        // ACPI when not asked for the agent alone and the agent failed.
        let use_agent = agent_req || (flags.is_empty() && self.agent_connected(dom));
        if use_agent {
            let shutdown = matches!(&*obj.lock().def.on_reboot, "destroy" | "preserve");
            let res = self.agent_shutdown(dom, !shutdown).await;
            if res.is_ok() || (agent_req && !acpi_req) {
                return res;
            }
            if !obj.lock().is_active() {
                return Ok(());
            }
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
