//! libvirt's test driver's answers for NMIs, the control state, lifecycle actions and launch
//! security.

use crate::domain::check_active;
use crate::{FROM, TestDriver};
use rvirt_driver::{DomainRef, check_flags, cpumap};
use rvirt_types::domain::DomainModificationImpact as Impact;
use rvirt_types::domain::KeycodeSet;
use rvirt_types::records::DomainControlInfo;
use rvirt_types::{Error, Result, TypedParam};
use std::sync::Arc;

impl TestDriver {
    /// `virDomainInjectNMI`: accepted by a running domain; nothing happens.
    pub(crate) fn inject_nmi(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testDomainInjectNMI", flags, 0)?;
        self.read_domain(dom, check_active)
    }

    /// `virDomainSendKey`: a running domain takes any code its codeset has (nothing is
    /// pressed); the first code the codeset lacks is refused.
    pub(crate) fn send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "testDomainSendKey", flags, 0)?;
        self.read_domain(dom, check_active)?;
        check_keycodes(codeset, keycodes)
    }

    /// `virDomainGetControlInfo`: a running test domain's control is always free ("ok").
    pub(crate) fn control_info(&self, dom: &DomainRef, flags: u32) -> Result<DomainControlInfo> {
        check_flags(FROM, "testDomainGetControlInfo", flags, 0)?;
        self.read_domain(dom, check_active)?;
        Ok(DomainControlInfo::default())
    }

    /// `virDomainSetLifecycleAction`, live and/or in the config.
    pub(crate) fn set_lifecycle_action(
        &self,
        dom: &DomainRef,
        kind: u32,
        action: u32,
        flags: u32,
    ) -> Result<()> {
        check_flags(
            FROM,
            "testDomainSetLifecycleAction",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        // Refused before the domain is looked at, as libvirt does.
        rvirt_conf::domain::check_lifecycle_action(kind, action)?;
        self.modify_domain(dom, |st| {
            let (live, config) = st.modification_impact(flags)?;
            if live {
                Arc::make_mut(&mut st.def).set_lifecycle_action(kind, action)?;
            }
            if config {
                st.persistent_def_mut().set_lifecycle_action(kind, action)?;
            }
            Ok(())
        })
    }

    /// `virDomainGetLaunchSecurityInfo`: a test domain has no launch measurement.
    pub(crate) fn launch_security_info(&self, flags: u32) -> Result<Vec<TypedParam>> {
        check_flags(FROM, "testDomainGetLaunchSecurityInfo", flags, 0)?;
        Ok(Vec::new())
    }
}

/// The test machine's host CPUs (`VIR_NODEINFO_MAXCPUS` of its node info), the map a domain
/// pinned nowhere runs on.
fn host_cpus(d: &TestDriver) -> Vec<u32> {
    (0..d.node.nodes * d.node.sockets * d.node.cores * d.node.threads).collect()
}

impl TestDriver {
    /// `virDomainPinVcpuFlags`: libvirt's test driver pins the running domain only.
    pub(crate) fn pin_vcpu(
        &self,
        dom: &DomainRef,
        vcpu: u32,
        cpumap: &[u8],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "testDomainPinVcpuFlags", flags, 0)?;
        self.modify_domain(dom, |st| {
            if !st.is_active() {
                return Err(rvirt_types::Error::operation_invalid(
                    FROM,
                    "cannot pin vcpus on an inactive domain",
                ));
            }
            cpumap::check_vcpu_present(FROM, st, vcpu)?;
            Arc::make_mut(&mut st.def).set_vcpu_pin(vcpu, &cpumap::cpus(cpumap));
            Ok(())
        })
    }

    /// `virDomainGetVcpuPinInfo`.
    pub(crate) fn vcpu_pin_info(
        &self,
        dom: &DomainRef,
        ncpumaps: i32,
        maplen: i32,
        flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        let all = host_cpus(self);
        self.read_domain(dom, |st| {
            let def = st.one_def(flags)?;
            Ok(cpumap::vcpu_pin_info(def, ncpumaps, maplen, &all))
        })
    }

    /// `virDomainPinEmulator`: the one definition `flags` names.
    pub(crate) fn pin_emulator(&self, dom: &DomainRef, cpumap: &[u8], flags: u32) -> Result<()> {
        check_flags(
            FROM,
            "testDomainPinEmulator",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        self.modify_domain(dom, |st| {
            let (def, _) = st.one_def_mut(flags)?;
            let cpus = cpumap::cpus(cpumap);
            cpumap::check_not_empty(FROM, &cpus)?;
            def.set_emulator_pin(&cpus);
            Ok(())
        })
    }

    /// `virDomainGetEmulatorPinInfo`.
    pub(crate) fn emulator_pin_info(
        &self,
        dom: &DomainRef,
        maplen: i32,
        flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        check_flags(
            FROM,
            "testDomainGetEmulatorPinInfo",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        let all = host_cpus(self);
        self.read_domain(dom, |st| {
            Ok(cpumap::emulator_pin_info(st.one_def(flags)?, maplen, &all))
        })
    }
}

impl TestDriver {
    /// `virDomainGetIOThreadInfo`: an unpinned thread may run on the `<vcpu cpuset>`, else on
    /// as many CPUs as the domain has vCPUs (libvirt's test driver's choice).
    pub(crate) fn iothread_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<rvirt_types::records::DomainIOThreadInfo>> {
        check_flags(
            FROM,
            "testDomainGetIOThreadInfo",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        self.read_domain(dom, |st| {
            let def = st.one_def(flags)?;
            let all: Vec<u32> = (0..def.vcpus_current).collect();
            Ok(def
                .iothread_ids()
                .into_iter()
                .map(|id| rvirt_types::records::DomainIOThreadInfo {
                    iothread_id: id,
                    cpumap: cpumap::bytes_fit(
                        &def.iothread_affinity(id).unwrap_or_else(|| all.clone()),
                    ),
                })
                .collect())
        })
    }

    /// `virDomainAddIOThread` and `virDomainDelIOThread`: the one definition `flags` names.
    pub(crate) fn change_iothread(
        &self,
        dom: &DomainRef,
        id: u32,
        add: bool,
        flags: u32,
    ) -> Result<()> {
        let name = if add {
            "testDomainAddIOThread"
        } else {
            "testDomainDelIOThread"
        };
        check_flags(FROM, name, flags, (Impact::LIVE | Impact::CONFIG).bits())?;
        cpumap::check_iothread_id(FROM, id)?;
        self.modify_domain(dom, |st| {
            let (def, _) = st.one_def_mut(flags)?;
            if add {
                def.add_iothread(id)
            } else {
                def.del_iothread(id)
            }
        })?;
        // libvirt's test driver keeps polling parameters for every thread added or removed
        // through the API, whichever definition changed.
        let mut polls = self.iothread_polls.lock();
        let list = polls.entry(dom.uuid).or_default();
        if add {
            list.push(crate::tuning::IoThreadPoll::new(id));
        } else if let Some(at) = list.iter().position(|p| p.id == id) {
            list.remove(at);
        }
        Ok(())
    }

    /// `virDomainPinIOThread`.
    pub(crate) fn pin_iothread(
        &self,
        dom: &DomainRef,
        id: u32,
        map: &[u8],
        flags: u32,
    ) -> Result<()> {
        check_flags(
            FROM,
            "testDomainPinIOThread",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        self.modify_domain(dom, |st| {
            let (def, _) = st.one_def_mut(flags)?;
            let cpus = cpumap::cpus(map);
            cpumap::check_iothread_map(FROM, &cpus)?;
            if !def.pin_iothread(id, &cpus) {
                return Err(cpumap::iothread_not_found(FROM, id));
            }
            Ok(())
        })
    }
}

impl TestDriver {
    /// `virDomainGetDiskErrors`: libvirt's test driver reports every disk with an error,
    /// alternately unspecified (1) and no space (2).
    pub(crate) fn disk_errors(
        &self,
        dom: &DomainRef,
        maxerrors: u32,
        flags: u32,
    ) -> Result<(Vec<rvirt_types::records::DomainDiskError>, i32)> {
        check_flags(FROM, "testDomainGetDiskErrors", flags, 0)?;
        self.read_domain(dom, |st| {
            check_active(st)?;
            let disks = &st.def.devices.disks;
            if maxerrors == 0 {
                return Ok((Vec::new(), disks.len() as i32));
            }
            let list: Vec<_> = disks
                .iter()
                .take(maxerrors as usize)
                .enumerate()
                .map(|(i, d)| rvirt_types::records::DomainDiskError {
                    disk: d.target_dev.clone(),
                    error: (i % 2) as i32 + 1,
                })
                .collect();
            let n = list.len() as i32;
            Ok((list, n))
        })
    }
}

impl TestDriver {
    /// `virDomainGetBlockInfo`: libvirt's test driver's fixed sizes for any disk with a source.
    pub(crate) fn block_info(
        &self,
        dom: &DomainRef,
        disk: &str,
        flags: u32,
    ) -> Result<rvirt_types::records::DomainBlockInfo> {
        check_flags(FROM, "testDomainGetBlockInfo", flags, 0)?;
        self.read_domain(dom, |st| {
            let invalid = |m: String| {
                rvirt_types::Error::with_detail(FROM, rvirt_types::ErrorNumber::INVALID_ARG, m)
            };
            let Some(d) = st.def.disk_by_name(disk) else {
                return Err(invalid(format!(
                    "invalid path {disk} not assigned to domain"
                )));
            };
            if d.source_path().is_none() {
                return Err(invalid(format!(
                    "disk '{disk}' does not currently have a source assigned"
                )));
            }
            Ok(rvirt_types::records::DomainBlockInfo {
                capacity: 1_099_506_450_432,
                allocation: 1_099_511_627_776,
                physical: 1_099_511_627_776,
            })
        })
    }
}

impl TestDriver {
    /// `virDomainGetMessages`: a test domain is never tainted nor deprecated.
    pub(crate) fn messages(&self, dom: &DomainRef, flags: u32) -> Result<Vec<String>> {
        check_flags(FROM, "testDomainGetMessages", flags, 0b11)?;
        self.read_domain(dom, |_| Ok(Vec::new()))
    }
}

/// libvirt's test driver's check of `virDomainSendKey` codes: each must exist in `codeset`.
fn check_keycodes(codeset: u32, keycodes: &[u32]) -> Result<()> {
    let set = KeycodeSet(codeset as i32);
    match keycodes
        .iter()
        .find(|&&k| rvirt_keycode::translate(set, set, k).is_none())
    {
        None => Ok(()),
        Some(k) => Err(Error::internal(
            FROM,
            format!(
                "invalid keycode {k} of {} codeset",
                rvirt_keycode::codeset_name(set).unwrap_or("unknown")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::{FROM, TestDriver};
    use rvirt_driver::DomainDriver;
    use rvirt_types::ErrorNumber;

    #[test]
    fn pinning_refusals_are_the_test_drivers_as_libvirt_reports_them() {
        let d = TestDriver::open("test:///default?private=1").unwrap();
        let dom = pollster::block_on(d.domain_lookup_by_name("test")).unwrap();
        for e in [
            d.pin_vcpu(&dom, 5, &[1], 0).unwrap_err(),
            d.pin_emulator(&dom, &[0], 0).unwrap_err(),
            d.pin_iothread(&dom, 9, &[1], 0).unwrap_err(),
            d.change_iothread(&dom, 0, true, 0).unwrap_err(),
        ] {
            assert_eq!((e.code, e.domain), (ErrorNumber::INVALID_ARG, FROM), "{e}");
        }
        d.change_iothread(&dom, 1, true, 0).unwrap();
        let e = d.pin_iothread(&dom, 1, &[0], 0).unwrap_err();
        assert_eq!(
            (e.domain, e.to_string().as_str()),
            (
                FROM,
                "invalid argument: Empty iothread cpumap list for pinning"
            )
        );
    }
}
