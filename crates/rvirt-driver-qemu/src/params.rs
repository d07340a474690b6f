//! The QEMU driver's tuning calls, with libvirt's semantics: the config side edits the
//! persistent definition; the live side reads and writes the domain's control groups (memory
//! limits, block I/O weight, CPU shares and bandwidth, NUMA memory nodes) and, for disk
//! throttling, QEMU itself (`block_set_io_throttle`, read back from `query-block`). The
//! tuning a definition asks for is applied to the control groups as QEMU starts.

use crate::cgroup::{Cgroup, Controller, ThreadGroup, is_thread_group, not_mounted};
use crate::pin::{StartPins, StartThreads};
use crate::{FROM, QemuDriver};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::params::{
    BLKIO_WEIGHT, IOTUNE_GROUP_NAME, IOTUNE_PARAMS, MEMORY_HARD_LIMIT, MEMORY_PARAM_UNLIMITED,
    MEMORY_SOFT_LIMIT, MEMORY_SWAP_HARD_LIMIT, MemtuneChange,
};
use rvirt_driver::{DomainObj, DomainRef, TuningDriver, check_flags};
use rvirt_types::domain::DomainModificationImpact as Impact;
use rvirt_types::typed_param::{CountedParams, TYPED_PARAM_STRING_OKAY, kind, validate};
use rvirt_types::{Error, ErrorNumber, Result, TypedParam, TypedParamValue};
use std::sync::Arc;

const AFFECT: u32 = Impact::LIVE.bits() | Impact::CONFIG.bits();
const GET_FLAGS: u32 = AFFECT | TYPED_PARAM_STRING_OKAY;
/// `QEMU_BLOCK_IOTUNE_MAX`.
const BLOCK_IOTUNE_MAX: u64 = 1_000_000_000_000_000;
/// `VIR_CGROUP_CPU_PERIOD_MIN`/`MAX`, `VIR_CGROUP_CPU_QUOTA_MIN`/`MAX`.
const PERIOD: (i64, i64) = (1000, 1_000_000);
const QUOTA: (i64, i64) = (1000, 17_592_186_044_415);
/// The scheduler parameters, in libvirt's order, with the `<cputune>` limit each one is
/// (`None` for the shares) and the `cpu` sub-group it lives in.
const SCHED: [(&str, Option<usize>, Option<&str>); 9] = [
    ("cpu_shares", None, None),
    ("vcpu_period", Some(0), Some("vcpu")),
    ("vcpu_quota", Some(1), Some("vcpu")),
    ("emulator_period", Some(4), Some("emulator")),
    ("emulator_quota", Some(5), Some("emulator")),
    ("global_period", Some(2), None),
    ("global_quota", Some(3), None),
    ("iothread_period", Some(6), Some("iothread")),
    ("iothread_quota", Some(7), Some("iothread")),
];

fn is_period(i: usize) -> bool {
    i % 2 == 0
}

/// The `cpu` controller's file of `<cputune>` limit `i`.
fn bandwidth_file(i: usize) -> &'static str {
    if is_period(i) {
        "cpu.cfs_period_us"
    } else {
        "cpu.cfs_quota_us"
    }
}

/// A memory limit in KiB as a cgroup's bytes file gives it: anything past what the kernel
/// can count is libvirt's unlimited.
fn kib_of_bytes(bytes: i64) -> u64 {
    let kib = (bytes.max(0) as u64) >> 10;
    if kib >= MEMORY_PARAM_UNLIMITED - 3 {
        MEMORY_PARAM_UNLIMITED
    } else {
        kib
    }
}

/// A memory limit in KiB as a cgroup's bytes file takes it (`-1` for unlimited).
fn bytes_of_kib(kib: u64) -> Result<String> {
    if kib > MEMORY_PARAM_UNLIMITED {
        return Err(Error::invalid_arg(
            FROM,
            format!("Memory '{kib}' must be less than '{MEMORY_PARAM_UNLIMITED}'"),
        ));
    }
    Ok(if kib == MEMORY_PARAM_UNLIMITED {
        "-1".into()
    } else {
        (kib << 10).to_string()
    })
}

/// The block I/O weight file of the group: BFQ's when the host has it.
fn blkio_weight_file(cg: &Cgroup) -> Result<&'static str> {
    ["blkio.bfq.weight", "blkio.weight"]
        .into_iter()
        .find(|f| cg.exists(Controller::Blkio, f))
        .ok_or_else(|| {
            Error::operation_invalid(
                FROM,
                "blkio device weight is valid only for bfq or cfq scheduler",
            )
        })
}

/// A memory limit's file.
fn memory_file(which: usize) -> &'static str {
    match which {
        0 => "memory.limit_in_bytes",
        1 => "memory.soft_limit_in_bytes",
        _ => "memory.memsw.limit_in_bytes",
    }
}

/// What a starting domain's control groups get from its definition.
pub(crate) struct StartTuning {
    memtune: [Option<u64>; 4],
    blkio_weight: u32,
    blkio_devices: Vec<rvirt_conf::domain::BlkioDevice>,
    shares: Option<u64>,
    limits: [i64; 8],
    nodeset: Option<String>,
    /// Disks with `<iotune>`: QEMU id and throttling.
    throttles: Vec<(String, rvirt_conf::domain::params::BlockIoTune)>,
}

impl StartTuning {
    /// The tuning `def` asks for; `auto`: numad's nodes for automatic memory placement.
    pub(crate) fn of(def: &DomainDef, auto: Option<&str>) -> StartTuning {
        let x = &def.extras;
        StartTuning {
            memtune: x.memtune,
            blkio_weight: x.blkio_weight,
            blkio_devices: x.blkio_devices.clone(),
            shares: x.cputune.as_ref().and_then(|t| t.shares),
            limits: x.cputune.as_ref().map(|t| t.limits).unwrap_or_default(),
            nodeset: def.numa_nodeset().or(auto).map(str::to_string),
            throttles: def
                .devices
                .disks
                .iter()
                .map(|d| (qdev_id(d), d.iotune()))
                .filter(|(_, t)| *t != Default::default())
                .collect(),
        }
    }

    fn apply(&self, cg: &Cgroup) -> Result<()> {
        for (i, v) in self.memtune.iter().enumerate() {
            if let (Some(kib), true) = (v, i != 2) {
                need(cg, Controller::Memory)?;
                cg.write(
                    Controller::Memory,
                    None,
                    memory_file(i),
                    &bytes_of_kib(*kib)?,
                )?;
            }
        }
        if self.blkio_weight != 0 {
            need(cg, Controller::Blkio)?;
            cg.write(
                Controller::Blkio,
                None,
                blkio_weight_file(cg)?,
                &self.blkio_weight.to_string(),
            )?;
        }
        if !self.blkio_devices.is_empty() {
            need(cg, Controller::Blkio)?;
            crate::blkio_device::set_all(cg, &self.blkio_devices)?;
        }
        if let Some(s) = self.shares {
            need(cg, Controller::Cpu)?;
            cg.write(Controller::Cpu, None, "cpu.shares", &s.to_string())?;
        }
        for (_, limit, sub) in SCHED.iter().skip(1) {
            let i = limit.unwrap_or(0);
            let v = self.limits[i];
            if v != 0 {
                need(cg, Controller::Cpu)?;
                set_bandwidth(cg, *sub, i, v)?;
            }
        }
        if let Some(n) = &self.nodeset {
            cg.set_cpuset_mems(n)?;
        }
        Ok(())
    }
}

fn need(cg: &Cgroup, c: Controller) -> Result<()> {
    if cg.has(c) {
        Ok(())
    } else {
        Err(not_mounted(c))
    }
}

/// Writes limit `i` (a `<cputune>` period or quota) to the `cpu` group or, for vCPUs and I/O
/// threads, to each of their sub-groups (`sub`: `vcpu`, `iothread`, `emulator`).
fn set_bandwidth(cg: &Cgroup, sub: Option<&str>, i: usize, v: i64) -> Result<()> {
    let file = bandwidth_file(i);
    match sub {
        Some(kind @ ("vcpu" | "iothread")) => {
            for s in cg
                .cpu_subgroups()
                .iter()
                .filter(|s| is_thread_group(s, kind))
            {
                cg.write(Controller::Cpu, Some(s), file, &v.to_string())?;
            }
            Ok(())
        }
        Some(s) if !cg.cpu_subgroups().iter().any(|x| x == s) => Ok(()),
        _ => cg.write(Controller::Cpu, sub, file, &v.to_string()),
    }
}

/// The sub-group a live limit of `sub` is read from, as libvirt reads it: `vcpu0`, the first
/// I/O thread's, `emulator` (the domain's group when there is none).
fn read_group(def: &DomainDef, sub: Option<&str>) -> Option<String> {
    match sub? {
        "vcpu" => Some("vcpu0".into()),
        "iothread" => def.iothread_ids().first().map(|id| format!("iothread{id}")),
        s => Some(s.into()),
    }
}

/// A thread made at run time (`kind` `vcpu` and index `id`: a vCPU plugged; `iothread`: an
/// I/O thread added; `tid` its thread) set up as the start sets up the others, and as libvirt
/// does: its sub-group is made (its `cpuset` narrowed to the thread's pinning in the live
/// definition `def`), the bandwidth `def` gives its kind written to it, the thread moved in,
/// and pinned (or let run on every host CPU when pinned nowhere).
pub(crate) fn place_new_thread(
    cg: &Cgroup,
    def: &DomainDef,
    kind: &str,
    id: u32,
    tid: i64,
) -> Result<()> {
    let cpus = match kind {
        "vcpu" => def.vcpu_affinity(id),
        _ => def.iothread_affinity(id),
    };
    let name = format!("{kind}{id}");
    if cg.has_thread_groups() {
        cg.make_subgroups(&[ThreadGroup {
            name: name.clone(),
            tid: Some(tid),
            cpus: cpus.clone(),
        }])?;
        let limits = def
            .extras
            .cputune
            .as_ref()
            .map(|t| t.limits)
            .unwrap_or_default();
        if cg.has(Controller::Cpu) {
            for (_, limit, sub) in SCHED.iter().skip(1) {
                if let (Some(i), Some(s)) = (limit, sub)
                    && *s == kind
                    && limits[*i] != 0
                {
                    let file = bandwidth_file(*i);
                    cg.write(Controller::Cpu, Some(&name), file, &limits[*i].to_string())?;
                }
            }
        }
        cg.move_thread(&name, tid)?;
    }
    crate::pin::pin_new_thread(tid, cpus.as_deref())
}

/// Finishes placing a new QEMU (main thread `pid`, monitor `mon`, vCPU and I/O threads
/// `threads`) in its control groups (`placing`), its vCPU and I/O threads in their own (pinned
/// as `pins` says), and applies `tuning` to them and the disks' throttling to QEMU. On
/// failure, the groups made so far come back with the error for the caller to remove once
/// QEMU is gone.
pub(crate) async fn apply_at_start(
    mon: &rvirt_qmp::Monitor,
    pid: i32,
    placing: crate::cgroup::Placing,
    tuning: &StartTuning,
    pins: &StartPins,
    threads: &mut StartThreads<'_>,
) -> std::result::Result<Cgroup, (Error, Cgroup)> {
    let cg = placing.finish().await.map_err(|e| (e, Cgroup::default()))?;
    let placed = async {
        if cg.has_thread_groups() {
            let vcpus = threads.vcpus().await?.to_vec();
            let iothreads = if pins.has_iothreads() {
                threads.iothreads().await?.to_vec()
            } else {
                Vec::new()
            };
            let groups = pins.groups(&vcpus, &iothreads);
            cg.make_subgroups(&groups)?;
            tuning.apply(&cg)?;
            cg.split_threads_later(
                pid,
                groups
                    .into_iter()
                    .filter_map(|g| Some((g.name, g.tid?)))
                    .collect(),
            );
        } else {
            tuning.apply(&cg)?;
        }
        let blocks = if tuning.throttles.is_empty() {
            serde_json::Value::Null
        } else {
            mon.execute("query-block", None)
                .await
                .map_err(crate::process::qmp_error)?
        };
        for (alias, t) in &tuning.throttles {
            let id = qom_path(&blocks, alias).unwrap_or_else(|| alias.clone());
            mon.execute("block_set_io_throttle", Some(throttle_args(&id, t)))
                .await
                .map_err(crate::process::qmp_error)?;
        }
        Ok(())
    }
    .await;
    match placed {
        Ok(()) => Ok(cg),
        Err(e) => Err((e, cg)),
    }
}

/// A domain with the live definition a call reaches and the persistent one it reaches.
type Defs = (
    Arc<DomainObj>,
    Option<Arc<DomainDef>>,
    Option<Arc<DomainDef>>,
);

/// A copy of the definition `def` (when the call reaches it) with `change` made.
fn edited(
    def: Option<Arc<DomainDef>>,
    change: impl FnOnce(&mut DomainDef) -> Result<()>,
) -> Result<Option<DomainDef>> {
    def.map(|d| {
        let mut d = (*d).clone();
        change(&mut d)?;
        Ok(d)
    })
    .transpose()
}

impl QemuDriver {
    /// The live definition (when `flags` reach it) and the persistent one (when they do), as
    /// libvirt's `virDomainObjGetDefs`.
    fn defs(&self, dom: &DomainRef, flags: u32) -> Result<Defs> {
        let obj = self.obj(dom)?;
        let (live, config) = {
            let st = obj.lock();
            let (live, config) = st.modification_impact(flags)?;
            (
                live.then(|| st.def.clone()),
                config.then(|| st.persistent_def().clone()),
            )
        };
        Ok((obj, live, config))
    }

    /// Emits the tunable event of `obj` for the changed values `params` (none: nothing).
    pub(crate) fn emit_tunable(&self, obj: &DomainObj, params: Vec<TypedParam>) {
        if !params.is_empty() {
            self.events.emit(rvirt_driver::DomainEvent::Tunable {
                dom: obj.to_ref(),
                params,
            });
        }
    }

    /// The running domain's control groups, which must include controller `c` (libvirt's
    /// "controller is not mounted" otherwise).
    fn cgroup_of(&self, obj: &DomainObj, c: Controller) -> Result<Cgroup> {
        let cg = self.proc_of(&obj.uuid)?.cgroup.clone();
        need(&cg, c)?;
        Ok(cg)
    }

    /// Records a change of the live definition (`live`) and of the persistent one (`config`).
    fn store(
        &self,
        obj: &DomainObj,
        live: Option<DomainDef>,
        config: Option<DomainDef>,
    ) -> Result<()> {
        if let Some(def) = live {
            obj.lock().def = Arc::new(def);
            let _ = self.save_status(obj);
        }
        if let Some(def) = config {
            self.save_config(&def)?;
            *obj.lock().persistent_def_mut() = def;
        }
        Ok(())
    }
}

fn ull(name: &str, v: u64) -> TypedParam {
    TypedParam::new(name, TypedParamValue::ULLong(v))
}

impl TuningDriver for QemuDriver {
    async fn domain_get_memory_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        check_flags(FROM, "qemuDomainGetMemoryParameters", flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        let (obj, _, config) = self.defs(dom, flags)?;
        CountedParams::answer(nparams, 3, || {
            if let Some(def) = config {
                return Ok(def.memtune_params());
            }
            let cg = self.cgroup_of(&obj, Controller::Memory)?;
            let read = |i: usize| -> Result<u64> {
                match cg.read_i64(Controller::Memory, None, memory_file(i)) {
                    Ok(b) => Ok(kib_of_bytes(b)),
                    // Swap accounting may be off: no limit to report then.
                    Err(_) if i == 3 => Ok(MEMORY_PARAM_UNLIMITED),
                    Err(e) => Err(e),
                }
            };
            Ok(vec![
                ull(MEMORY_HARD_LIMIT, read(0)?),
                ull(MEMORY_SOFT_LIMIT, read(1)?),
                ull(MEMORY_SWAP_HARD_LIMIT, read(3)?),
            ])
        })
    }

    async fn domain_set_memory_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetMemoryParameters", flags, AFFECT)?;
        validate(params, &rvirt_conf::domain::params::memory_accepted())?;
        let (obj, live, config) = self.defs(dom, flags)?;
        let cg = live
            .as_ref()
            .map(|_| self.cgroup_of(&obj, Controller::Memory))
            .transpose()?;
        let change = MemtuneChange::from_params(params);
        change.check(&obj.lock().def, FROM)?;
        let mut live = live.map(|d| (*d).clone());
        if let (Some(def), Some(cg)) = (&mut live, &cg) {
            // The soft limit first; the hard limit before the swap limit when it shrinks,
            // after it otherwise, so that hard ≤ swap holds in between.
            let order: &[usize] = match change.hard {
                Some(h) if def.memtune_limit(0) > h => &[1, 0, 3],
                _ => &[1, 3, 0],
            };
            for &i in order {
                let v = [change.hard, change.soft, None, change.swap][i];
                if let Some(kib) = v {
                    cg.write(
                        Controller::Memory,
                        None,
                        memory_file(i),
                        &bytes_of_kib(kib)?,
                    )?;
                }
            }
            change.apply(def);
        }
        let config = edited(config, |d| {
            change.apply(d);
            Ok(())
        })?;
        self.store(&obj, live, config)
    }

    async fn domain_get_blkio_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        check_flags(FROM, "qemuDomainGetBlkioParameters", flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        let (obj, _, config) = self.defs(dom, flags)?;
        CountedParams::answer(nparams, 6, || {
            if let Some(def) = config {
                return Ok(def.blkio_params());
            }
            let cg = self.cgroup_of(&obj, Controller::Blkio)?;
            let weight = cg.read_i64(Controller::Blkio, None, blkio_weight_file(&cg)?)?;
            let mut p = obj.lock().def.blkio_params();
            p[0] = TypedParam::new(BLKIO_WEIGHT, TypedParamValue::UInt(weight as u32));
            Ok(p)
        })
    }

    async fn domain_set_blkio_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetBlkioParameters", flags, AFFECT)?;
        validate(params, &rvirt_conf::domain::params::blkio_accepted())?;
        let (obj, live, config) = self.defs(dom, flags)?;
        if let Some(def) = live {
            let cg = self.cgroup_of(&obj, Controller::Blkio)?;
            let mut def = (*def).clone();
            let failed = set_blkio_live(&cg, &mut def, params);
            self.store(&obj, Some(def), None)?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        let config = edited(config, |d| d.set_blkio_params(params))?;
        self.store(&obj, None, config)
    }

    async fn domain_get_numa_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        check_flags(FROM, "qemuDomainGetNumaParameters", flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        let obj = self.obj(dom)?;
        let def = obj.lock().one_def(flags)?.clone();
        CountedParams::answer(nparams, 2, || Ok(def.numa_params()))
    }

    async fn domain_set_numa_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetNumaParameters", flags, AFFECT)?;
        validate(params, &rvirt_conf::domain::params::numa_accepted())?;
        let (mode, nodeset) = rvirt_conf::domain::params::numa_request(params, FROM)?;
        let (obj, live, config) = self.defs(dom, flags)?;
        let mut live = live.map(|d| (*d).clone());
        if let Some(def) = &mut live {
            let cg = self.cgroup_of(&obj, Controller::Cpuset)?;
            if let (Some(m), Some(cur)) = (mode, def.numa_mode())
                && m != cur
            {
                return Err(Error::operation_invalid(
                    FROM,
                    "can't change numatune mode for running domain",
                ));
            }
            let current_nodeset = def
                .numa_nodeset()
                .and_then(rvirt_conf::domain::parse_cpuset);
            if mode == Some(0) {
                // Strict: the node set cannot change (libvirt compares it even when absent).
                if nodeset != current_nodeset {
                    return Err(Error::operation_invalid(
                        FROM,
                        "can't change nodeset for strict mode for running domain",
                    ));
                }
            } else if nodeset.is_some() && def.numa_mode().is_some_and(|m| m != 3) {
                return Err(Error::operation_invalid(
                    FROM,
                    "change of nodeset for running domain requires restrictive numa mode",
                ));
            }
            def.set_numatune(mode, nodeset.as_deref())?;
            if let Some(n) = def.numa_params().get(1).and_then(|p| match &p.value {
                TypedParamValue::String(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            }) {
                cg.set_cpuset_mems(&n)?;
            }
        }
        let config = edited(config, |d| d.set_numatune(mode, nodeset.as_deref()))?;
        self.store(&obj, live, config)
    }

    async fn domain_get_interface_parameters(
        &self,
        dom: &DomainRef,
        device: &str,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        check_flags(FROM, "qemuDomainGetInterfaceParameters", flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        let obj = self.obj(dom)?;
        let def = obj.lock().one_def(flags)?.clone();
        let i = def.net_find(device)?;
        CountedParams::answer(nparams, 7, || {
            Ok(def.devices.interfaces[i].bandwidth_params())
        })
    }

    async fn domain_set_interface_parameters(
        &self,
        dom: &DomainRef,
        device: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetInterfaceParameters", flags, AFFECT)?;
        validate(params, &rvirt_conf::domain::params::bandwidth_accepted())?;
        let (obj, live, config) = self.defs(dom, flags)?;
        // libvirt's virNetDevSupportsBandwidth, for the live and the persistent interface.
        for def in live.iter().chain(config.iter()) {
            let net = &def.devices.interfaces[def.net_find(device)?];
            let ty = net.net_type.clone();
            if !matches!(ty.as_str(), "bridge" | "network" | "direct" | "ethernet") {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!(
                        "setting bandwidth on interfaces of type '{ty}' is not implemented yet"
                    ),
                ));
            }
        }
        let live = match live {
            Some(d) => {
                let mut d = (*d).clone();
                let i = d.net_find(device)?;
                let net = &mut d.devices.interfaces[i];
                net.set_bandwidth(params, false);
                let floor = net.bandwidth_params()[3].value != TypedParamValue::UInt(0);
                if floor {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        "an inbound floor on a running domain's interface is not supported by \
                         rvirt yet",
                    ));
                }
                let ifname = net.target_dev.clone().ok_or_else(|| {
                    Error::with_detail(
                        FROM,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        "Unable to set bandwidth for interface because device name is unknown",
                    )
                })?;
                let net = net.clone();
                crate::util::off_thread(move || crate::qos::set(&ifname, &net)).await?;
                Some(d)
            }
            None => None,
        };
        let config = edited(config, |d| {
            let i = d.net_find(device)?;
            d.devices.interfaces[i].set_bandwidth(params, true);
            Ok(())
        })?;
        self.store(&obj, live, config)
    }

    async fn domain_get_block_io_tune(
        &self,
        dom: &DomainRef,
        disk: Option<&str>,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        check_flags(FROM, "qemuDomainGetBlockIoTune", flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        let (obj, live, config) = self.defs(dom, flags)?;
        if nparams == 0 {
            return CountedParams::answer(0, 20, || Ok(Vec::new()));
        }
        let path = disk.unwrap_or("");
        let missing = || {
            Error::invalid_arg(
                FROM,
                format!("disk '{path}' was not found in the domain config"),
            )
        };
        let t = match (config, live) {
            (Some(def), _) => def.disk_by_name(path).ok_or_else(missing)?.iotune(),
            (None, Some(def)) => {
                let d = def.disk_by_name(path).ok_or_else(missing)?;
                let id = qdev_id(d);
                let p = self.proc_of(&obj.uuid)?;
                let blocks = self
                    .qmp(&p, |m| async move { m.execute("query-block", None).await })
                    .await?;
                throttle_of(&blocks, &id).ok_or_else(|| {
                    Error::internal(
                        FROM,
                        format!("cannot find throttling info for device '{path}'"),
                    )
                })?
            }
            (None, None) => return Err(missing()),
        };
        CountedParams::answer(nparams, 20, || Ok(t.params()))
    }

    async fn domain_set_block_io_tune(
        &self,
        dom: &DomainRef,
        disk: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetBlockIoTune", flags, AFFECT)?;
        validate(params, &rvirt_conf::domain::params::iotune_accepted())?;
        let (obj, live, config) = self.defs(dom, flags)?;
        rvirt_conf::domain::params::check_iotune_max(params, BLOCK_IOTUNE_MAX, FROM)?;
        let mut asked = rvirt_conf::domain::params::BlockIoTune::default();
        asked.apply(params);
        asked.check_totals(FROM)?;
        let mut live = live.map(|d| (*d).clone());
        let mut tunable = Vec::new();
        if let Some(def) = &mut live {
            let Some(i) = def.disk_index_by_name(disk) else {
                return Err(Error::invalid_arg(
                    FROM,
                    format!("disk '{disk}' was not found in the domain config"),
                ));
            };
            let d = &mut def.devices.disks[i];
            let t = merged(&d.iotune(), params);
            check_maximums(&t)?;
            let p = self.proc_of(&obj.uuid)?;
            let alias = qdev_id(d);
            let blocks = self
                .qmp(&p, |m| async move { m.execute("query-block", None).await })
                .await?;
            let id = qom_path(&blocks, &alias).unwrap_or(alias);
            let args = throttle_args(&id, &t);
            self.qmp(&p, move |m| async move {
                m.execute("block_set_io_throttle", Some(args)).await
            })
            .await?;
            d.set_iotune(&t);
            let mut event = vec![TypedParam::new(
                "blkdeviotune.disk",
                TypedParamValue::String(disk.to_string()),
            )];
            event.extend(
                params
                    .iter()
                    .map(|p| TypedParam::new(format!("blkdeviotune.{}", p.field), p.value.clone())),
            );
            tunable = event;
        }
        let config = edited(config, |def| {
            let Some(i) = def.disk_index_by_name(disk) else {
                return Err(Error::invalid_arg(
                    FROM,
                    format!("missing persistent configuration for disk '{disk}'"),
                ));
            };
            let d = &mut def.devices.disks[i];
            // libvirt checks the maximums of the live throttling only.
            d.set_iotune(&merged(&d.iotune(), params));
            Ok(())
        })?;
        self.store(&obj, live, config)?;
        self.emit_tunable(&obj, tunable);
        Ok(())
    }

    async fn domain_get_scheduler_type(&self, dom: &DomainRef) -> Result<(String, i32)> {
        let obj = self.obj(dom)?;
        if obj.lock().is_active() {
            self.cgroup_of(&obj, Controller::Cpu)?;
        }
        Ok(("posix".into(), 9))
    }

    async fn domain_get_scheduler_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        check_flags(
            FROM,
            "qemuDomainGetSchedulerParametersFlags",
            flags,
            GET_FLAGS,
        )?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        let (obj, _, config) = self.defs(dom, flags)?;
        let values: Vec<(u64, i64)> = match config {
            Some(def) => {
                let t = def.extras.cputune.clone().unwrap_or_default();
                SCHED
                    .iter()
                    .map(|(_, l, _)| match l {
                        None => (t.shares.unwrap_or(0), 0),
                        Some(i) => (t.limits[*i] as u64, t.limits[*i]),
                    })
                    .collect()
            }
            None => {
                let cg = self.cgroup_of(&obj, Controller::Cpu)?;
                let def = obj.lock().def.clone();
                let mut v = Vec::new();
                for (_, l, sub) in SCHED {
                    let x = match l {
                        None => cg.read_i64(Controller::Cpu, None, "cpu.shares")?,
                        Some(i) => cg.read_i64(
                            Controller::Cpu,
                            read_group(&def, sub).as_deref(),
                            bandwidth_file(i),
                        )?,
                    };
                    v.push((x as u64, x));
                }
                v
            }
        };
        Ok(SCHED
            .iter()
            .zip(values)
            .take(usize::try_from(nparams).unwrap_or(0))
            .map(|((name, l, _), (u, i))| match l {
                Some(k) if !is_period(*k) => TypedParam::new(*name, TypedParamValue::LLong(i)),
                _ => ull(name, u),
            })
            .collect())
    }

    async fn domain_set_scheduler_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetSchedulerParametersFlags", flags, AFFECT)?;
        let accepted: Vec<(&str, i32)> = SCHED
            .iter()
            .map(|(n, l, _)| match l {
                Some(i) if !is_period(*i) => (*n, kind::LLONG),
                _ => (*n, kind::ULLONG),
            })
            .collect();
        validate(params, &accepted)?;
        let (obj, live, config) = self.defs(dom, flags)?;
        let cg = live
            .as_ref()
            .map(|_| self.cgroup_of(&obj, Controller::Cpu))
            .transpose()?;
        let mut live = live.map(|d| (*d).clone());
        let mut config = config.map(|d| (*d).clone());
        let mut event = Vec::new();
        for p in params {
            let Some((name, limit, sub)) = SCHED.iter().find(|(n, _, _)| *n == p.field) else {
                continue;
            };
            let v: i64 = match p.value {
                TypedParamValue::ULLong(u) => u as i64,
                TypedParamValue::LLong(l) => l,
                _ => continue,
            };
            if let Some(i) = limit {
                let (min, max) = if is_period(*i) { PERIOD } else { QUOTA };
                let out = if is_period(*i) {
                    (v > 0 && v < min) || (v as u64) > max as u64
                } else {
                    (v > 0 && v < min) || v > max
                };
                if out {
                    return Err(Error::invalid_arg(
                        FROM,
                        format!("value of '{name}' is out of range [{min}, {max}]"),
                    ));
                }
            }
            if let (Some(def), Some(cg)) = (&mut live, &cg) {
                match limit {
                    None => {
                        cg.write(Controller::Cpu, None, "cpu.shares", &v.to_string())?;
                        // The kernel may round the value: record what it took.
                        let took = cg.read_i64(Controller::Cpu, None, "cpu.shares")?;
                        cputune(def).shares = Some(took as u64);
                        event.push(TypedParam::new(format!("cputune.{name}"), p.value.clone()));
                    }
                    Some(i) if v != 0 => {
                        set_bandwidth(cg, *sub, *i, v)?;
                        cputune(def).limits[*i] = v;
                        event.push(TypedParam::new(format!("cputune.{name}"), p.value.clone()));
                    }
                    Some(_) => {}
                }
            }
            if let Some(def) = &mut config {
                match limit {
                    None => cputune(def).shares = Some(v as u64),
                    Some(i) => cputune(def).limits[*i] = v,
                }
            }
        }
        self.store(&obj, live, config)?;
        self.emit_tunable(&obj, event);
        Ok(())
    }

    async fn domain_set_iothread_params(
        &self,
        dom: &DomainRef,
        iothread_id: u32,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        self.set_iothread_params(dom, iothread_id, params, flags)
            .await
    }

    async fn domain_get_perf_events(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        check_flags(FROM, "qemuDomainGetPerfEvents", flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        let obj = self.obj(dom)?;
        let def = obj.lock().one_def(flags)?.clone();
        Ok(def.perf_params())
    }

    async fn domain_set_perf_events(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetPerfEvents", flags, AFFECT)?;
        validate(params, &rvirt_conf::domain::params::perf_accepted())?;
        let (obj, live, config) = self.defs(dom, flags)?;
        if let Some(def) = live {
            // Each event in turn, as libvirt's qemuDomainSetPerfEvents: one the host refuses
            // ends the call, the events before it stay changed (and the configuration is
            // left alone). The status file records them either way (libvirt's only on
            // success, so a driver restarted after a partial change forgot part of it).
            let p = self.proc_of(&obj.uuid)?;
            let mut def = (*def).clone();
            let mut failed = None;
            for param in params {
                let on = param.value == TypedParamValue::Boolean(true);
                let mut perf = p.perf.lock();
                if on && let Err(e) = perf.enable(&param.field, p.pid) {
                    failed = Some(e);
                    break;
                }
                if !on {
                    perf.disable(&param.field);
                }
                def.set_perf_events(std::slice::from_ref(param));
            }
            self.store(&obj, Some(def), None)?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        let config = edited(config, |d| {
            d.set_perf_events(params);
            Ok(())
        })?;
        self.store(&obj, None, config)
    }
}

/// Applies blkio `params` to a running domain's group and records in `def` what the kernel
/// kept, as libvirt's virDomainCgroupSetupDomainBlkioParameters: each parameter in turn, one
/// that fails skipped (a device list from the device that failed on) and the others applied;
/// the last failure.
fn set_blkio_live(cg: &Cgroup, def: &mut DomainDef, params: &[TypedParam]) -> Option<Error> {
    use rvirt_conf::domain::params::{BLKIO_DEVICE_PARAMS, blkio_device_list};
    let mut failed = None;
    for p in params {
        match &p.value {
            TypedParamValue::UInt(w) if p.field == BLKIO_WEIGHT => {
                let file = match blkio_weight_file(cg) {
                    Ok(f) => f,
                    Err(e) => {
                        failed = Some(e);
                        continue;
                    }
                };
                match cg
                    .write(Controller::Blkio, None, file, &w.to_string())
                    .and_then(|()| cg.read_i64(Controller::Blkio, None, file))
                {
                    Ok(kept) => def.extras.blkio_weight = kept as u32,
                    Err(e) => failed = Some(e),
                }
            }
            TypedParamValue::String(list) => {
                let Some(which) = BLKIO_DEVICE_PARAMS.iter().position(|n| *n == p.field) else {
                    continue;
                };
                let devices = match blkio_device_list(&p.field, list) {
                    Ok(d) => d,
                    Err(e) => {
                        failed = Some(e);
                        continue;
                    }
                };
                let mut kept = Vec::new();
                for (path, v) in &devices {
                    match crate::blkio_device::set(cg, which, path, *v) {
                        Ok(k) => kept.push(format!("{path},{k}")),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if kept.len() == devices.len() {
                    let merged =
                        TypedParam::new(p.field.clone(), TypedParamValue::String(kept.join(",")));
                    if let Err(e) = def.set_blkio_params(&[merged]) {
                        failed = Some(e);
                    }
                }
            }
            _ => {}
        }
    }
    failed
}

fn cputune(def: &mut DomainDef) -> &mut rvirt_conf::domain::CpuTune {
    def.extras.cputune.get_or_insert_with(Default::default)
}

/// The QMP `block_set_io_throttle` member of each throttling parameter.
const QMP_THROTTLE: [(&str, &str); 19] = [
    ("total_bytes_sec", "bps"),
    ("read_bytes_sec", "bps_rd"),
    ("write_bytes_sec", "bps_wr"),
    ("total_iops_sec", "iops"),
    ("read_iops_sec", "iops_rd"),
    ("write_iops_sec", "iops_wr"),
    ("total_bytes_sec_max", "bps_max"),
    ("read_bytes_sec_max", "bps_rd_max"),
    ("write_bytes_sec_max", "bps_wr_max"),
    ("total_iops_sec_max", "iops_max"),
    ("read_iops_sec_max", "iops_rd_max"),
    ("write_iops_sec_max", "iops_wr_max"),
    ("size_iops_sec", "iops_size"),
    ("total_bytes_sec_max_length", "bps_max_length"),
    ("read_bytes_sec_max_length", "bps_rd_max_length"),
    ("write_bytes_sec_max_length", "bps_wr_max_length"),
    ("total_iops_sec_max_length", "iops_max_length"),
    ("read_iops_sec_max_length", "iops_rd_max_length"),
    ("write_iops_sec_max_length", "iops_wr_max_length"),
];

/// `block_set_io_throttle`'s arguments for device `id`.
fn throttle_args(id: &str, t: &rvirt_conf::domain::params::BlockIoTune) -> serde_json::Value {
    let mut args = serde_json::json!({ "id": id });
    // The six base limits are required; the others are given when set, so that QEMU fills
    // in its defaults (a one-second burst) as it does for libvirt.
    for (i, (n, key)) in QMP_THROTTLE.iter().enumerate() {
        let v = t.get(n);
        if i < 6 || v != 0 {
            args[*key] = serde_json::json!(v);
        }
    }
    if let Some(g) = &t.group_name {
        args["group"] = serde_json::json!(g);
    }
    args
}

/// The QEMU device id of a disk (its alias).
fn qdev_id(d: &rvirt_conf::domain::DiskDef) -> String {
    d.info.alias.clone().unwrap_or_default()
}

/// The `query-block` entry of the disk device with alias `id`.
fn block_entry<'a>(blocks: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    blocks.as_array()?.iter().find(|b| {
        b["qdev"]
            .as_str()
            .is_some_and(|q| q == id || q.starts_with(&format!("/machine/peripheral/{id}/")))
    })
}

/// The QOM path QEMU knows the disk device with alias `id` by (a virtio disk's block device
/// is its `virtio-backend` child), which is what throttling is set on, as libvirt does.
fn qom_path(blocks: &serde_json::Value, id: &str) -> Option<String> {
    block_entry(blocks, id)?["qdev"]
        .as_str()
        .map(str::to_string)
}

/// The throttling `query-block` reports for the device `id`.
fn throttle_of(
    blocks: &serde_json::Value,
    id: &str,
) -> Option<rvirt_conf::domain::params::BlockIoTune> {
    let b = block_entry(blocks, id)?;
    let inserted = &b["inserted"];
    let mut t = rvirt_conf::domain::params::BlockIoTune::default();
    let mut params = Vec::new();
    for (n, key) in QMP_THROTTLE {
        params.push(ull(n, inserted[key].as_u64().unwrap_or(0)));
    }
    t.apply(&params);
    t.group_name = inserted["group"].as_str().map(str::to_string);
    Some(t)
}

/// The throttling after a change: each group of limits (bytes, IOPS, their maximums, their
/// lengths) a parameter of which is given is replaced as a whole; the rest stay.
fn merged(
    cur: &rvirt_conf::domain::params::BlockIoTune,
    params: &[TypedParam],
) -> rvirt_conf::domain::params::BlockIoTune {
    let group = |n: &str| -> &'static str {
        if n == IOTUNE_GROUP_NAME {
            "group"
        } else if n == "size_iops_sec" {
            "size"
        } else if n.ends_with("_max_length") {
            if n.contains("bytes") {
                "bytes_max_length"
            } else {
                "iops_max_length"
            }
        } else if n.ends_with("_max") {
            if n.contains("bytes") {
                "bytes_max"
            } else {
                "iops_max"
            }
        } else if n.contains("bytes") {
            "bytes"
        } else {
            "iops"
        }
    };
    let set: Vec<&str> = params.iter().map(|p| group(&p.field)).collect();
    let mut t = cur.clone();
    for n in IOTUNE_PARAMS.iter().filter(|n| **n != IOTUNE_GROUP_NAME) {
        if set.contains(&group(n)) {
            t.apply(&[ull(n, 0)]);
        }
    }
    t.apply(params);
    t
}

/// libvirt's checks of a throttling's maximums against their limits.
fn check_maximums(t: &rvirt_conf::domain::params::BlockIoTune) -> Result<()> {
    for base in [
        "total_bytes_sec",
        "read_bytes_sec",
        "write_bytes_sec",
        "total_iops_sec",
        "read_iops_sec",
        "write_iops_sec",
    ] {
        let max = t.get(&format!("{base}_max"));
        let v = t.get(base);
        if max != 0 && v == 0 {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!("value '{base}_max' cannot be set if '{base}' is not set"),
            ));
        }
        if max != 0 && max < v {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!("value '{base}_max' cannot be smaller than '{base}'"),
            ));
        }
    }
    Ok(())
}

/// An I/O thread's polling and pool parameters asked for by `virDomainSetIOThreadParams`.
#[derive(Default)]
struct IoThreadChange {
    poll: Vec<(&'static str, i64)>,
    pool_min: Option<i32>,
    pool_max: Option<i32>,
}

/// libvirt's `qemuDomainIOThreadParseParams`: the parameters, with its range checks.
fn iothread_change(params: &[TypedParam]) -> Result<IoThreadChange> {
    validate(
        params,
        &[
            ("poll_max_ns", kind::ULLONG),
            ("poll_grow", kind::UINT),
            ("poll_shrink", kind::UINT),
            ("thread_pool_min", kind::INT),
            ("thread_pool_max", kind::INT),
        ],
    )?;
    let unsupported = |m: String| Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, m);
    let mut c = IoThreadChange::default();
    for (field, prop) in [
        ("poll_max_ns", "poll-max-ns"),
        ("poll_grow", "poll-grow"),
        ("poll_shrink", "poll-shrink"),
    ] {
        let v = match params.iter().find(|p| p.field == field).map(|p| &p.value) {
            Some(TypedParamValue::ULLong(v)) => *v,
            Some(TypedParamValue::UInt(v)) => u64::from(*v),
            _ => continue,
        };
        if v > i32::MAX as u64 {
            return Err(unsupported(format!(
                "{prop} ({v}) must be less than or equal to {}",
                i32::MAX
            )));
        }
        c.poll.push((prop, v as i64));
    }
    let int = |name: &str| {
        params
            .iter()
            .find_map(|p| match (&p.value, p.field == name) {
                (TypedParamValue::Int(v), true) => Some(*v),
                _ => None,
            })
    };
    c.pool_min = int("thread_pool_min");
    c.pool_max = int("thread_pool_max");
    if let Some(m) = c.pool_min
        && m < -1
    {
        return Err(unsupported(format!(
            "thread_pool_min ({m}) must be equal to or greater than -1"
        )));
    }
    if let Some(m) = c.pool_max
        && (m < -1 || m == 0)
    {
        return Err(unsupported(format!(
            "thread_pool_max ({m}) must be a positive number or -1"
        )));
    }
    Ok(c)
}

/// libvirt's `qemuDomainIOThreadValidate` of `c` against thread `id` of `def` (unset pool
/// bounds are -1); the thread's index.
fn check_iothread(def: &DomainDef, id: u32, c: &IoThreadChange, live: bool) -> Result<usize> {
    let Some(i) = def.extras.iothreads.iter().position(|t| t.id == id) else {
        return Err(Error::invalid_arg(
            FROM,
            format!("cannot find IOThread '{id}' in iothreadids"),
        ));
    };
    let t = &def.extras.iothreads[i];
    for (name, v) in [
        ("thread_pool_min", c.pool_min),
        ("thread_pool_max", c.pool_max),
    ] {
        if let Some(v) = v
            && live
            && v < 0
        {
            return Err(Error::operation_invalid(
                FROM,
                format!("{name} ({v}) must be equal to or greater than 0 for live change"),
            ));
        }
    }
    let min = c.pool_min.or(t.pool_min).unwrap_or(-1);
    let max = c.pool_max.or(t.pool_max).unwrap_or(-1);
    if min > max {
        return Err(Error::operation_invalid(
            FROM,
            format!("thread_pool_min ({min}) can't be greater than thread_pool_max ({max})"),
        ));
    }
    Ok(i)
}

impl QemuDriver {
    /// `virDomainSetIOThreadParams`: polling (live only) and worker pool bounds of an I/O
    /// thread, set on QEMU's `iothread` object.
    pub(crate) async fn set_iothread_params(
        &self,
        dom: &DomainRef,
        id: u32,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetIOThreadParams", flags, AFFECT)?;
        if id == 0 {
            return Err(Error::invalid_arg(
                FROM,
                "invalid value of 0 for iothread_id",
            ));
        }
        let obj = self.obj(dom)?;
        let c = iothread_change(params)?;
        let (_, live, config) = self.defs(dom, flags)?;
        let config = edited(config, |d| {
            let i = check_iothread(d, id, &c, false)?;
            if !c.poll.is_empty() {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "configuring persistent polling values is not supported",
                ));
            }
            let t = &mut d.extras.iothreads[i];
            t.pool_min = c.pool_min.or(t.pool_min);
            t.pool_max = c.pool_max.or(t.pool_max);
            Ok(())
        })?;
        let live = match live {
            Some(d) => {
                let mut d = (*d).clone();
                let i = check_iothread(&d, id, &c, true)?;
                let path = format!("/objects/iothread{id}");
                let mut sets: Vec<(&str, i64)> = c.poll.clone();
                // The bounds in an order that keeps min ≤ max all along.
                let cur_max = d.extras.iothreads[i].pool_max.unwrap_or(-1);
                let mut bounds = vec![
                    ("thread-pool-min", c.pool_min),
                    ("thread-pool-max", c.pool_max),
                ];
                if c.pool_min.is_some() && c.pool_max.is_some() && cur_max < c.pool_min.unwrap_or(0)
                {
                    bounds.reverse();
                }
                sets.extend(
                    bounds
                        .into_iter()
                        .filter_map(|(n, v)| Some((n, i64::from(v?)))),
                );
                let p = self.proc_of(&obj.uuid)?;
                self.qmp(&p, move |m| async move {
                    for (prop, v) in sets {
                        m.execute(
                            "qom-set",
                            Some(serde_json::json!({"path": path, "property": prop, "value": v})),
                        )
                        .await?;
                    }
                    Ok(())
                })
                .await?;
                let t = &mut d.extras.iothreads[i];
                t.pool_min = c.pool_min.or(t.pool_min);
                t.pool_max = c.pool_max.or(t.pool_max);
                Some(d)
            }
            None => None,
        };
        self.store(&obj, live, config)
    }
}

#[cfg(test)]
mod thread_group_tests {
    use super::*;
    use rvirt_conf::domain::ParseOptions;

    #[test]
    fn limits_of_vcpus_and_io_threads_are_read_where_libvirt_reads_them() {
        assert!(is_thread_group("vcpu12", "vcpu"));
        assert!(is_thread_group("iothread3", "iothread"));
        assert!(!is_thread_group("vcpu", "vcpu"));
        assert!(!is_thread_group("iothread3x", "iothread"));
        assert!(!is_thread_group("emulator", "vcpu"));
        let xml = "<domain type='qemu'><name>p</name><memory>65536</memory><vcpu>1</vcpu>\
                   <iothreads>1</iothreads><iothreadids><iothread id='7'/><iothread id='2'/>\
                   </iothreadids><os><type>hvm</type></os></domain>";
        let def = DomainDef::parse_xml(xml, ParseOptions::default()).unwrap();
        assert_eq!(
            read_group(&def, Some("iothread")).as_deref(),
            Some("iothread7")
        );
        assert_eq!(read_group(&def, Some("vcpu")).as_deref(), Some("vcpu0"));
        assert_eq!(
            read_group(&def, Some("emulator")).as_deref(),
            Some("emulator")
        );
        assert_eq!(read_group(&def, None), None);
        let bare = "<domain type='qemu'><name>p</name><memory>65536</memory><vcpu>1</vcpu>\
                    <os><type>hvm</type></os></domain>";
        let def = DomainDef::parse_xml(bare, ParseOptions::default()).unwrap();
        // No I/O thread: the domain's own group, as libvirt reads it then.
        assert_eq!(read_group(&def, Some("iothread")), None);
    }
}
