//! vCPU and emulator pinning as libvirt's QEMU driver does it without cgroups: the live
//! domain's threads get the CPU affinity (`sched_setaffinity` on the vCPU threads QEMU names
//! in `query-cpus-fast`, on the main thread for the emulator), and the definitions record it
//! as `<cputune><vcpupin>`/`<emulatorpin>`.

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, check_flags, cpumap};
use rvirt_types::domain::DomainModificationImpact as Impact;
use rvirt_types::{Error, ErrorNumber, Result};
use std::sync::Arc;

/// The host's online CPUs (`/sys/devices/system/cpu/online`), where an unpinned thread runs.
pub(crate) fn online_cpus() -> Vec<u32> {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|t| rvirt_host::hostcpu::parse_cpu_list(t.trim()))
        .map(|s| s.into_iter().collect())
        .unwrap_or_default()
}

/// The host CPUs thread `tid` may run on.
pub(crate) fn affinity(tid: i64) -> Vec<u32> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let rc = unsafe {
        libc::sched_getaffinity(
            tid as libc::pid_t,
            std::mem::size_of::<libc::cpu_set_t>(),
            &mut set,
        )
    };
    if rc != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as u32)
        // SAFETY: the index is below CPU_SETSIZE.
        .filter(|&i| unsafe { libc::CPU_ISSET(i as usize, &set) })
        .collect()
}

/// Lets thread `tid` run only on `cpus`.
pub(crate) fn set_affinity(tid: i64, cpus: &[u32]) -> Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET stays within CPU_SETSIZE.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus
        .iter()
        .filter(|c| (**c as usize) < libc::CPU_SETSIZE as usize)
    {
        unsafe { libc::CPU_SET(c as usize, &mut set) };
    }
    // SAFETY: the set is initialized and its size given.
    let rc = unsafe {
        libc::sched_setaffinity(
            tid as libc::pid_t,
            std::mem::size_of::<libc::cpu_set_t>(),
            &set,
        )
    };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::system(
            FROM,
            format!("cannot set CPU affinity on process {tid}"),
            &e,
        ));
    }
    Ok(())
}

/// A tunable event's value for a pinning: the CPUs as a list (`0-1,3`).
pub(crate) fn cpuset_param(name: &str, cpus: &[u32]) -> rvirt_types::TypedParam {
    rvirt_types::TypedParam::new(
        name,
        rvirt_types::TypedParamValue::String(rvirt_conf::domain::format_cpuset(cpus)),
    )
}

/// The pinning a definition asks for, applied to a new QEMU before its CPUs run, as libvirt
/// does at start: the emulator (its main thread) on `<emulatorpin>` or `<vcpu cpuset>`, each
/// vCPU and I/O thread on its `<vcpupin>`/`<iothreadpin>` or `<vcpu cpuset>`.
pub(crate) struct StartPins {
    emulator: Option<Vec<u32>>,
    vcpus: Vec<(u32, Vec<u32>)>,
    iothreads: Vec<(u32, Vec<u32>)>,
}

impl StartPins {
    /// What `def` pins.
    pub(crate) fn of(def: &rvirt_conf::DomainDef) -> StartPins {
        StartPins {
            emulator: def.emulator_affinity(),
            vcpus: (0..def.vcpus_max)
                .filter_map(|v| Some((v, def.vcpu_affinity(v)?)))
                .collect(),
            iothreads: def
                .iothread_ids()
                .into_iter()
                .filter_map(|t| Some((t, def.iothread_affinity(t)?)))
                .collect(),
        }
    }

    /// Applies it to the QEMU with main thread `pid` behind `mon`.
    pub(crate) async fn apply(&self, mon: &rvirt_qmp::Monitor, pid: i32) -> Result<()> {
        if let Some(cpus) = &self.emulator {
            set_affinity(pid as i64, cpus)?;
        }
        if !self.iothreads.is_empty() {
            let list = mon
                .execute("query-iothreads", None)
                .await
                .map_err(crate::process::qmp_error)?;
            for (id, tid) in crate::iothread::parse_iothreads(&list) {
                if let Some((_, cpus)) = self.iothreads.iter().find(|(i, _)| *i == id) {
                    set_affinity(tid, cpus)?;
                }
            }
        }
        if self.vcpus.is_empty() {
            return Ok(());
        }
        let threads = mon
            .query_cpus_fast()
            .await
            .map_err(crate::process::qmp_error)?;
        for (v, cpus) in &self.vcpus {
            if let Some(c) = threads.iter().find(|c| c.cpu_index == *v as i64) {
                set_affinity(c.thread_id, cpus)?;
            }
        }
        Ok(())
    }
}

impl QemuDriver {
    /// `virDomainPinVcpuFlags`.
    pub(crate) async fn pin_vcpu(
        &self,
        dom: &DomainRef,
        vcpu: u32,
        map: &[u8],
        flags: u32,
    ) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainPinVcpuFlags",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        let obj = self.obj(dom)?;
        let (live, config) = {
            let st = obj.lock();
            let (live, config) = st.modification_impact(flags)?;
            let count = st.persistent_def().vcpus_max;
            if config && vcpu >= count {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    format!("vcpu {vcpu} is out of range of persistent cpu count {count}"),
                ));
            }
            (live, config)
        };
        let cpus = cpumap::cpus(map);
        cpumap::check_not_empty(FROM, &cpus)?;
        if live {
            let count = obj.lock().def.vcpus_max;
            if vcpu >= count {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    format!("vcpu {vcpu} is out of range of live cpu count {count}"),
                ));
            }
            let p = self.proc_of(&obj.uuid)?;
            // An offline vCPU has no thread: its pinning waits in the definition.
            if let Some(tid) = self.vcpu_threads(&p).await?.get(&(vcpu as i64)) {
                set_affinity(*tid, &cpus)?;
            }
            Arc::make_mut(&mut obj.lock().def).set_vcpu_pin(vcpu, &cpus);
            let _ = self.save_status(&obj);
            self.emit_tunable(
                &obj,
                vec![cpuset_param(&format!("cputune.vcpupin{vcpu}"), &cpus)],
            );
        }
        if config {
            obj.lock().persistent_def_mut().set_vcpu_pin(vcpu, &cpus);
            self.save_persistent(&obj)?;
        }
        Ok(())
    }

    /// `virDomainGetVcpuPinInfo`.
    pub(crate) fn vcpu_pin_info(
        &self,
        dom: &DomainRef,
        ncpumaps: i32,
        maplen: i32,
        flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        check_flags(
            FROM,
            "qemuDomainGetVcpuPinInfo",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        let obj = self.obj(dom)?;
        let st = obj.lock();
        let def = st.one_def(flags)?;
        Ok(cpumap::vcpu_pin_info(def, ncpumaps, maplen, &online_cpus()))
    }

    /// `virDomainPinEmulator`.
    pub(crate) async fn pin_emulator(&self, dom: &DomainRef, map: &[u8], flags: u32) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainPinEmulator",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        let obj = self.obj(dom)?;
        let (live, config) = obj.lock().modification_impact(flags)?;
        let cpus = cpumap::cpus(map);
        cpumap::check_not_empty(FROM, &cpus)?;
        if live {
            let p = self.proc_of(&obj.uuid)?;
            set_affinity(p.pid as i64, &cpus)?;
            Arc::make_mut(&mut obj.lock().def).set_emulator_pin(&cpus);
            let _ = self.save_status(&obj);
            self.emit_tunable(&obj, vec![cpuset_param("cputune.emulatorpin", &cpus)]);
        }
        if config {
            obj.lock().persistent_def_mut().set_emulator_pin(&cpus);
            self.save_persistent(&obj)?;
        }
        Ok(())
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
            "qemuDomainGetEmulatorPinInfo",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        let obj = self.obj(dom)?;
        let st = obj.lock();
        Ok(cpumap::emulator_pin_info(
            st.one_def(flags)?,
            maplen,
            &online_cpus(),
        ))
    }
}
