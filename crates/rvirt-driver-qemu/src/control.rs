//! NMIs, the state of the driver's control of a domain, disk I/O errors, lifecycle actions and
//! launch security, as libvirt's QEMU driver answers them.

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::domain::DomainModificationImpact as Impact;
use rvirt_types::domain::KeycodeSet;
use rvirt_types::records::DomainControlInfo;
use rvirt_types::{Error, ErrorNumber, Result, TypedParam};
use serde_json::json;
use std::sync::Arc;

/// libvirt's `virDomainTaintMessage`, by `virDomainTaintFlags` bit.
const TAINT_MESSAGES: [&str; 14] = [
    "custom configuration parameters specified",
    "custom monitor control commands issued",
    "running with undesirable elevated privileges",
    "network configuration using opaque shell scripts",
    "potentially unsafe disk format probing",
    "managing externally launched configuration",
    "potentially unsafe use of host CPU passthrough",
    "configuration potentially modified by hook script",
    "use of host cdrom passthrough",
    "custom device tree blob used",
    "custom guest agent control commands issued",
    "hypervisor feature autodetection override",
    "use of deprecated configuration settings",
    "custom device configuration",
];

/// The taint bits of a monitor and an agent command passed through, and of QEMU running as
/// root.
pub(crate) const TAINT_CUSTOM_MONITOR: u32 = 1;
pub(crate) const TAINT_HIGH_PRIVILEGES: u32 = 2;
pub(crate) const TAINT_CUSTOM_GA_COMMAND: u32 = 10;
/// The taint bit of a configuration QEMU deprecates.
pub(crate) const TAINT_DEPRECATED_CONFIG: u32 = 12;

/// A new run's taint: libvirt marks a guest whose QEMU runs as root.
pub(crate) fn initial_taint() -> std::sync::atomic::AtomicU32 {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    std::sync::atomic::AtomicU32::new(if root { 1 << TAINT_HIGH_PRIVILEGES } else { 0 })
}

/// `virDomainControlState`: a job under way; an error (with reason "monitor failure").
const CONTROL_JOB: u32 = 1;
const CONTROL_ERROR: u32 = 3;
const ERROR_REASON_MONITOR: u32 = 2;

/// libvirt's refusals of lifecycle actions the QEMU driver cannot carry out.
fn validate_actions(poweroff: &str, reboot: &str, crash: &str) -> Result<()> {
    let unsupported = |msg: &str| {
        Err(Error::with_detail(
            FROM,
            ErrorNumber::CONFIG_UNSUPPORTED,
            msg,
        ))
    };
    if [poweroff, reboot, crash].contains(&"rename-restart") {
        return unsupported(
            "qemu driver doesn't support the 'rename-restart' action for \
             'on_reboot'/'on_poweroff'/'on_crash'",
        );
    }
    if poweroff == "preserve" || reboot == "preserve" {
        return unsupported(
            "qemu driver doesn't support the 'preserve' action for 'on_reboot'/'on_poweroff'",
        );
    }
    if poweroff == "restart" && reboot == "destroy" {
        return unsupported(
            "qemu driver doesn't support 'onReboot' set to 'destroy and 'onPoweroff' set to \
             'reboot'",
        );
    }
    Ok(())
}

/// `def` with `kind` set to `action`, checked as libvirt checks it for QEMU.
fn with_action(
    def: &rvirt_conf::DomainDef,
    kind: u32,
    action: u32,
) -> Result<rvirt_conf::DomainDef> {
    let mut d = def.clone();
    d.set_lifecycle_action(kind, action)?;
    validate_actions(&d.on_poweroff, &d.on_reboot, &d.on_crash)?;
    Ok(d)
}

impl QemuDriver {
    /// `virDomainInjectNMI`.
    pub(crate) async fn inject_nmi(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "qemuDomainInjectNMI", flags, 0)?;
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(FROM, "domain is not running"));
        }
        let p = self.proc_of(&obj.uuid)?;
        self.qmp(&p, |m| async move { m.inject_nmi().await }).await
    }

    /// `virDomainSendKey`: the codes, translated to QNUM codes (the ones QEMU takes by
    /// number), go to QEMU's `send-key`; a hold time of 0 leaves QEMU's default (100 ms).
    pub(crate) async fn send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSendKey", flags, 0)?;
        let qnums = qnum_codes(codeset, keycodes)?;
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(FROM, "domain is not running"));
        }
        let p = self.proc_of(&obj.uuid)?;
        let hold = (holdtime != 0).then_some(holdtime);
        self.qmp(&p, move |m| async move { m.send_key(&qnums, hold).await })
            .await
    }

    /// `virDomainGetControlInfo`: an error when the monitor broke, a job while a save runs
    /// (with its age), ok otherwise.
    pub(crate) fn control_info(&self, dom: &DomainRef, flags: u32) -> Result<DomainControlInfo> {
        check_flags(FROM, "qemuDomainGetControlInfo", flags, 0)?;
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(FROM, "domain is not running"));
        }
        let p = self.proc_of(&obj.uuid)?;
        let broken = p
            .monitor()
            .map(|m| m.dead_reason().is_some())
            .unwrap_or(true);
        if broken {
            return Ok(DomainControlInfo {
                state: CONTROL_ERROR,
                details: ERROR_REASON_MONITOR,
                state_time: 0,
            });
        }
        if let Some(job) = p.save_job.lock().as_ref() {
            return Ok(DomainControlInfo {
                state: CONTROL_JOB,
                details: 0,
                state_time: job.started.elapsed().as_millis() as u64,
            });
        }
        Ok(DomainControlInfo::default())
    }

    /// `virDomainSetLifecycleAction`: the live definition (and QEMU's reboot action, through
    /// `set-action`) and/or the persistent one.
    pub(crate) async fn set_lifecycle_action(
        &self,
        dom: &DomainRef,
        kind: u32,
        action: u32,
        flags: u32,
    ) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainSetLifecycleAction",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        rvirt_conf::domain::check_lifecycle_action(kind, action)?;
        let obj = self.obj(dom)?;
        let (live_def, config_def) = {
            let st = obj.lock();
            let (live, config) = st.modification_impact(flags)?;
            let live_def = if live {
                Some(with_action(&st.def, kind, action)?)
            } else {
                None
            };
            let config_def = if config {
                Some(with_action(st.persistent_def(), kind, action)?)
            } else {
                None
            };
            (live_def, config_def)
        };
        if let Some(def) = live_def {
            // QEMU carries out reboots itself: tell it whether a reboot resets or shuts down.
            let old = obj.lock().def.on_reboot.clone();
            if kind == 1 && old != def.on_reboot && matches!(&*def.on_reboot, "destroy" | "restart")
            {
                let how = if def.on_reboot == "destroy" {
                    "shutdown"
                } else {
                    "reset"
                };
                let p = self.proc_of(&obj.uuid)?;
                self.qmp(&p, move |m| async move {
                    m.execute("set-action", Some(json!({ "reboot": how })))
                        .await
                        .map(|_| ())
                })
                .await?;
            }
            obj.lock().def = Arc::new(def);
            let _ = self.save_status(&obj);
        }
        if let Some(def) = config_def {
            self.save_config(&def)?;
            *obj.lock().persistent_def_mut() = def;
        }
        Ok(())
    }

    /// `virDomainGetLaunchSecurityInfo`: rvirt runs no SEV guests, so there is nothing to
    /// report.
    pub(crate) fn launch_security_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        check_flags(
            FROM,
            "qemuDomainGetLaunchSecurityInfo",
            flags,
            rvirt_types::typed_param::TYPED_PARAM_STRING_OKAY,
        )?;
        self.obj(dom)?;
        Ok(Vec::new())
    }
}

impl QemuDriver {
    /// `virDomainGetDiskErrors`: the disks whose `query-block` entry has an I/O status other
    /// than ok (`failed`: unspecified, `nospace`: no space).
    pub(crate) async fn disk_errors(
        &self,
        dom: &DomainRef,
        maxerrors: u32,
        flags: u32,
    ) -> Result<(Vec<rvirt_types::records::DomainDiskError>, i32)> {
        check_flags(FROM, "qemuDomainGetDiskErrors", flags, 0)?;
        let obj = self.obj(dom)?;
        let def = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(FROM, "domain is not running"));
            }
            st.def.clone()
        };
        if maxerrors == 0 {
            return Ok((Vec::new(), def.devices.disks.len() as i32));
        }
        let p = self.proc_of(&obj.uuid)?;
        let table = self
            .qmp(&p, |m| async move { m.execute("query-block", None).await })
            .await?;
        let status: std::collections::HashMap<String, i32> = table
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| {
                let alias = crate::stats::qdev_alias(b["qdev"].as_str()?).to_string();
                let code = match b["io-status"].as_str()? {
                    "failed" => 1,
                    "nospace" => 2,
                    _ => return None,
                };
                Some((alias, code))
            })
            .collect();
        let list: Vec<_> = def
            .devices
            .disks
            .iter()
            .filter_map(|d| {
                let code = status.get(d.info.alias.as_deref()?)?;
                Some(rvirt_types::records::DomainDiskError {
                    disk: d.target_dev.clone(),
                    error: *code,
                })
            })
            .take(maxerrors as usize)
            .collect();
        let n = list.len() as i32;
        Ok((list, n))
    }
}

impl QemuDriver {
    /// Marks the running domain `uuid` tainted by `flag`.
    pub(crate) fn taint(&self, uuid: &rvirt_types::Uuid, flag: u32) {
        if let Ok(p) = self.proc_of(uuid) {
            let before = p
                .taint
                .fetch_or(1 << flag, std::sync::atomic::Ordering::Relaxed);
            // A new taint goes to the status file, so that a restarted driver still reports it.
            if before & (1 << flag) == 0
                && let Some(obj) = self.domains.find_by_uuid(uuid)
            {
                let _ = self.save_status(&obj);
            }
        }
    }

    /// libvirt's check of a starting guest's configuration against what its QEMU binary
    /// deprecates: the machine type and a custom CPU model.
    pub(crate) async fn check_deprecations(
        &self,
        p: &crate::process::Proc,
        def: &rvirt_conf::DomainDef,
    ) {
        let Some(bin) = def.devices.emulator.as_deref() else {
            return;
        };
        let Ok(probe) = self.probe(std::path::Path::new(bin)).await else {
            return;
        };
        let mut found = Vec::new();
        if let Some(m) = def.os.machine.as_deref()
            && probe.machine(m).is_some_and(|m| m.deprecated)
        {
            found.push(format!("machine type '{m}'"));
        }
        if let Some(cpu) = def.extras.cpu.as_deref()
            && cpu.mode == "custom"
            && let Some(model) = cpu.model.as_deref()
            && probe
                .cpus
                .cpu_definitions
                .iter()
                .any(|c| c.name == model && c.deprecated)
        {
            found.push(format!("CPU model '{model}'"));
        }
        if !found.is_empty() {
            p.taint.fetch_or(
                1 << TAINT_DEPRECATED_CONFIG,
                std::sync::atomic::Ordering::Relaxed,
            );
            p.deprecations.lock().extend(found);
        }
    }

    /// `virDomainGetMessages`: the taint of the running QEMU and the deprecated parts of its
    /// configuration (none once it stopped, as libvirt clears them).
    pub(crate) fn messages(&self, dom: &DomainRef, flags: u32) -> Result<Vec<String>> {
        check_flags(FROM, "qemuDomainGetMessages", flags, 0b11)?;
        let obj = self.obj(dom)?;
        let Ok(p) = self.proc_of(&obj.uuid) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        // VIR_DOMAIN_MESSAGE_TAINTING (2), or no filter.
        if flags == 0 || flags & 2 != 0 {
            let bits = p.taint.load(std::sync::atomic::Ordering::Relaxed);
            out.extend(
                TAINT_MESSAGES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, m)| format!("tainted: {m}")),
            );
        }
        // VIR_DOMAIN_MESSAGE_DEPRECATION (1), or no filter.
        if flags == 0 || flags & 1 != 0 {
            out.extend(
                p.deprecations
                    .lock()
                    .iter()
                    .map(|d| format!("deprecated configuration: {d}")),
            );
        }
        Ok(out)
    }
}

/// `keycodes` of `codeset` as QNUM codes; the first code the codeset lacks is refused in
/// libvirt's words.
fn qnum_codes(codeset: u32, keycodes: &[u32]) -> Result<Vec<u32>> {
    let set = KeycodeSet(codeset as i32);
    keycodes
        .iter()
        .map(|&k| {
            rvirt_keycode::translate(set, KeycodeSet::QNUM, k)
                .map(u32::from)
                .ok_or_else(|| {
                    Error::internal(
                        FROM,
                        format!(
                            "cannot translate keycode {k} of {} codeset to qnum keycode",
                            rvirt_keycode::codeset_name(set).unwrap_or("unknown")
                        ),
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_to_qemu_as_qnum_codes() {
        // USB HID A and right Ctrl; QNUM encodes the 0xe0 prefix as bit 7.
        assert_eq!(qnum_codes(7, &[4, 0xe4]).unwrap(), [0x1e, 0x9d]);
        // Linux KEY_A, KEY_RIGHTCTRL (97); Win32 VK_RETURN.
        assert_eq!(qnum_codes(0, &[30, 97]).unwrap(), [0x1e, 0x9d]);
        assert_eq!(qnum_codes(8, &[0x0d]).unwrap(), [0x1c]);
        let e = qnum_codes(0, &[30, 0x300]).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
        assert_eq!(
            e.message,
            "internal error: cannot translate keycode 768 of linux codeset to qnum keycode"
        );
    }

    #[test]
    fn actions_qemu_cannot_carry_out_are_refused() {
        assert!(validate_actions("destroy", "restart", "destroy").is_ok());
        for (p, r, c) in [
            ("rename-restart", "restart", "destroy"),
            ("destroy", "preserve", "destroy"),
            ("restart", "destroy", "destroy"),
        ] {
            let e = validate_actions(p, r, c).unwrap_err();
            assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED, "{p} {r} {c}");
        }
        assert!(validate_actions("destroy", "restart", "preserve").is_ok());
    }
}
