//! vCPU and emulator pinning as libvirt's QEMU driver does it: the live domain's threads get
//! the CPU affinity (`sched_setaffinity` on the vCPU threads QEMU names in `query-cpus-fast`,
//! on the main thread for the emulator), after their `cpuset` sub-group (when the domain has
//! one) is narrowed to the same CPUs, and the definitions record it as
//! `<cputune><vcpupin>`/`<emulatorpin>`.

use crate::cgroup::ThreadGroup;
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

/// Lets thread `tid`, pinned nowhere, run on every host CPU (`online`), as libvirt resets a
/// thread's affinity; like libvirt, a driver that may not (no `CAP_SYS_NICE`, or itself
/// confined to fewer CPUs) leaves the thread as it is.
pub(crate) fn allow_all(tid: i64, online: &[u32]) {
    if let Err(e) = set_affinity(tid, online) {
        tracing::debug!("{e}");
    }
}

/// Pins thread `tid` made at run time (a vCPU plugged, an I/O thread added) to `cpus`, or
/// lets it run on every host CPU when it is pinned nowhere (it was made with the affinity of
/// the emulator thread that made it).
pub(crate) fn pin_new_thread(tid: i64, cpus: Option<&[u32]>) -> Result<()> {
    match cpus {
        Some(cpus) => set_affinity(tid, cpus),
        None => {
            allow_all(tid, &online_cpus());
            Ok(())
        }
    }
}

/// libvirt's error for a pinning whose `cpuset` sub-group refused the CPUs (`what`: the
/// threads, "emulator threads" or "iothread N").
pub(crate) fn cpuset_failed(what: &str) -> Error {
    Error::with_detail(
        FROM,
        ErrorNumber::OPERATION_INVALID,
        format!("failed to set cpuset.cpus in cgroup for {what}"),
    )
}

/// A tunable event's value for a pinning: the CPUs as a list (`0-1,3`).
pub(crate) fn cpuset_param(name: &str, cpus: &[u32]) -> rvirt_types::TypedParam {
    rvirt_types::TypedParam::new(
        name,
        rvirt_types::TypedParamValue::String(rvirt_conf::domain::format_cpuset(cpus)),
    )
}

/// The thread ids of a starting QEMU's vCPUs and I/O threads, each list asked of its monitor
/// once and only when something needs it (pinning, control groups).
pub(crate) struct StartThreads<'a> {
    mon: &'a rvirt_qmp::Monitor,
    vcpus: Option<Vec<(u32, i64)>>,
    iothreads: Option<Vec<(u32, i64)>>,
}

impl<'a> StartThreads<'a> {
    /// Nothing asked yet of the QEMU behind `mon`.
    pub(crate) fn new(mon: &'a rvirt_qmp::Monitor) -> StartThreads<'a> {
        StartThreads {
            mon,
            vcpus: None,
            iothreads: None,
        }
    }

    /// vCPU index and thread id of each online vCPU (`query-cpus-fast`).
    pub(crate) async fn vcpus(&mut self) -> Result<&[(u32, i64)]> {
        if self.vcpus.is_none() {
            let threads = self
                .mon
                .query_cpus_fast()
                .await
                .map_err(crate::process::qmp_error)?;
            self.vcpus = Some(
                threads
                    .iter()
                    .map(|c| (c.cpu_index as u32, c.thread_id))
                    .collect(),
            );
        }
        Ok(self.vcpus.as_deref().unwrap_or_default())
    }

    /// I/O thread id and thread id of each I/O thread (`query-iothreads`).
    pub(crate) async fn iothreads(&mut self) -> Result<&[(u32, i64)]> {
        if self.iothreads.is_none() {
            let list = self
                .mon
                .execute("query-iothreads", None)
                .await
                .map_err(crate::process::qmp_error)?;
            self.iothreads = Some(crate::iothread::parse_iothreads(&list));
        }
        Ok(self.iothreads.as_deref().unwrap_or_default())
    }
}

/// The pinning a definition asks for, applied to a new QEMU before its CPUs run, as libvirt
/// does at start: the emulator (its main thread) on `<emulatorpin>` or `<vcpu cpuset>`, each
/// vCPU and I/O thread on its `<vcpupin>`/`<iothreadpin>` or `<vcpu cpuset>`; the same CPUs
/// narrow the `cpuset` sub-group of each thread ([`StartPins::groups`]).
pub(crate) struct StartPins {
    emulator: Option<Vec<u32>>,
    /// The pinned vCPUs.
    vcpus: Vec<(u32, Vec<u32>)>,
    /// Every I/O thread, with its CPUs when pinned.
    iothreads: Vec<(u32, Option<Vec<u32>>)>,
}

impl StartPins {
    /// What `def` pins; `auto`: the CPUs of numad's nodes for a guest whose vCPUs are placed
    /// automatically, where its emulator, unpinned vCPUs and I/O threads run.
    pub(crate) fn of(def: &rvirt_conf::DomainDef, auto: Option<&[u32]>) -> StartPins {
        let auto = auto.filter(|_| def.vcpu_placement == "auto");
        let pinned = |set: Option<Vec<u32>>| set.or(auto.map(<[u32]>::to_vec));
        StartPins {
            emulator: pinned(def.emulator_affinity()),
            vcpus: (0..def.vcpus_max)
                .filter_map(|v| Some((v, pinned(def.vcpu_affinity(v))?)))
                .collect(),
            iothreads: def
                .iothread_ids()
                .into_iter()
                .map(|t| (t, pinned(def.iothread_affinity(t))))
                .collect(),
        }
    }

    /// Whether the definition has I/O threads.
    pub(crate) fn has_iothreads(&self) -> bool {
        !self.iothreads.is_empty()
    }

    /// Applies it to the QEMU with main thread `pid` whose threads are `threads`. A vCPU or I/O
    /// thread pinned nowhere may run on every host CPU, as libvirt sets it: QEMU made it with
    /// the driver's own affinity, which only matters when that leaves some CPU out.
    pub(crate) async fn apply(&self, threads: &mut StartThreads<'_>, pid: i32) -> Result<()> {
        if let Some(cpus) = &self.emulator {
            set_affinity(pid as i64, cpus)?;
        }
        let online = online_cpus();
        let own = affinity(0);
        let reset = !online.iter().all(|c| own.contains(c));
        if reset || self.iothreads.iter().any(|(_, c)| c.is_some()) {
            for (id, tid) in threads.iothreads().await? {
                match self.iothreads.iter().find(|(i, _)| i == id) {
                    Some((_, Some(cpus))) => set_affinity(*tid, cpus)?,
                    _ => allow_all(*tid, &online),
                }
            }
        }
        if !reset && self.vcpus.is_empty() {
            return Ok(());
        }
        for (v, tid) in threads.vcpus().await? {
            match self.vcpus.iter().find(|(i, _)| i == v) {
                Some((_, cpus)) => set_affinity(*tid, cpus)?,
                None => allow_all(*tid, &online),
            }
        }
        Ok(())
    }

    /// The thread sub-groups of a QEMU whose vCPU and I/O threads are `vcpus` and `iothreads`
    /// (index or id, thread id), as libvirt names them: `vcpuN`, `iothreadN` and `emulator`,
    /// each with the CPUs its thread is pinned to.
    pub(crate) fn groups(
        &self,
        vcpus: &[(u32, i64)],
        iothreads: &[(u32, i64)],
    ) -> Vec<ThreadGroup> {
        let vcpu_groups = vcpus.iter().map(|(v, tid)| ThreadGroup {
            name: format!("vcpu{v}"),
            tid: Some(*tid),
            cpus: self
                .vcpus
                .iter()
                .find(|(i, _)| i == v)
                .map(|(_, c)| c.clone()),
        });
        let iothread_groups = iothreads.iter().filter_map(|(id, tid)| {
            let (_, cpus) = self.iothreads.iter().find(|(i, _)| i == id)?;
            Some(ThreadGroup {
                name: format!("iothread{id}"),
                tid: Some(*tid),
                cpus: cpus.clone(),
            })
        });
        vcpu_groups
            .chain(iothread_groups)
            .chain([ThreadGroup {
                name: "emulator".into(),
                tid: None,
                cpus: self.emulator.clone(),
            }])
            .collect()
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
                // The vCPU's cpuset group first, as libvirt narrows it before the affinity.
                p.cgroup.set_thread_cpus(&format!("vcpu{vcpu}"), &cpus)?;
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
            p.cgroup
                .set_thread_cpus("emulator", &cpus)
                .map_err(|_| cpuset_failed("emulator threads"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::domain::{DomainDef, ParseOptions};

    fn def(extra: &str) -> DomainDef {
        let xml = format!(
            "<domain type='qemu'><name>p</name><memory>65536</memory><vcpu>3</vcpu>\
             <iothreads>2</iothreads>{extra}<os><type>hvm</type></os></domain>"
        );
        DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap()
    }

    fn group(name: &str, tid: Option<i64>, cpus: Option<Vec<u32>>) -> ThreadGroup {
        ThreadGroup {
            name: name.into(),
            tid,
            cpus,
        }
    }

    #[test]
    fn each_thread_group_takes_its_own_pinning_or_the_vcpu_cpuset() {
        let pins = StartPins::of(
            &def(
                "<cputune><vcpupin vcpu='1' cpuset='2'/><iothreadpin iothread='2' cpuset='0-1'/>\
                 </cputune>",
            ),
            None,
        );
        let groups = pins.groups(&[(0, 10), (1, 11)], &[(1, 20), (2, 21)]);
        assert_eq!(
            groups,
            [
                group("vcpu0", Some(10), None),
                group("vcpu1", Some(11), Some(vec![2])),
                group("iothread1", Some(20), None),
                group("iothread2", Some(21), Some(vec![0, 1])),
                group("emulator", None, None),
            ]
        );
        // `<vcpu cpuset>` narrows every thread not pinned on its own, the emulator too.
        let pins = StartPins::of(&def("<cputune><emulatorpin cpuset='3'/></cputune>"), None);
        assert_eq!(
            pins.groups(&[], &[(1, 20)]).last(),
            Some(&group("emulator", None, Some(vec![3])))
        );
        let mut d = def("");
        d.vcpu_cpuset = Some("1-2".into());
        let groups = StartPins::of(&d, None).groups(&[(0, 10)], &[(1, 20)]);
        assert!(
            groups.iter().all(|g| g.cpus == Some(vec![1, 2])),
            "{groups:?}"
        );
        // An I/O thread QEMU reports that the definition lacks gets no group.
        assert_eq!(
            StartPins::of(&def(""), None).groups(&[], &[(9, 20)]).len(),
            1
        );
        // numad's CPUs for automatic placement, where nothing is pinned on its own; only
        // when the vCPUs are placed automatically.
        let mut d = def("<cputune><vcpupin vcpu='0' cpuset='3'/></cputune>");
        d.vcpu_placement = "auto".into();
        let groups = StartPins::of(&d, Some(&[4, 5])).groups(&[(0, 10), (1, 11)], &[(1, 20)]);
        let cpus: Vec<_> = groups.iter().map(|g| g.cpus.clone()).collect();
        assert_eq!(
            cpus,
            [
                Some(vec![3]),
                Some(vec![4, 5]),
                Some(vec![4, 5]),
                Some(vec![4, 5])
            ]
        );
        let groups = StartPins::of(&def(""), Some(&[4, 5])).groups(&[(0, 10)], &[]);
        assert!(groups.iter().all(|g| g.cpus.is_none()), "{groups:?}");
    }
}
