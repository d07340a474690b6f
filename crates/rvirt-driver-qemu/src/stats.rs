//! Monitoring calls of the QEMU driver, with the figures and errors of libvirt's QEMU driver:
//! block statistics from `query-blockstats`, interface statistics from the host's view of a
//! tap device, memory statistics from the balloon, vCPU placement and time from the vCPU
//! threads QEMU names in `query-cpus-fast`, the process's CPU time, and
//! `virConnectGetAllDomainStats` with its groups (KVM's own counters of the VM and of each vCPU
//! come from `query-stats`, named by `query-stats-schemas`, as libvirt 9.0 names them).
//!
//! A domain's CPU usage comes from its CPU accounting control group, as libvirt reads it
//! (`virDomainGetCPUStats`, and the `cpu.*` statistics); a domain with no control groups at
//! all (an unprivileged driver) has its process's times from `/proc` instead, libvirt's
//! fallback for `cpu.*` without a cgroup.

use crate::process::Proc;
use crate::{FROM, QemuDriver};
use rvirt_conf::DomainDef;
use rvirt_driver::stats::all_domain_stats_request;
use rvirt_driver::{DomainObj, DomainRef, check_flags};
use rvirt_types::domain::{
    ConnectGetAllDomainStatsFlags as F, DomainMemoryStatTags as T, DomainStatsTypes as S, VcpuState,
};
use rvirt_types::records::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, TypedParamValue};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The QOM path of the balloon device (its id is libvirt's alias `balloon0`).
pub(crate) const BALLOON_PATH: &str = "/machine/peripheral/balloon0";

/// Figures of one process or thread from `/proc/PID[/task/TID]/stat`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TaskStat {
    /// User time, ns.
    pub user_ns: u64,
    /// System time, ns.
    pub system_ns: u64,
    /// Resident set, KiB.
    pub rss_kib: u64,
    /// The host CPU it last ran on.
    pub cpu: i32,
}

fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no memory effects.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).max(1) as u64
}

fn page_kib() -> u64 {
    rvirt_host::hostmem::system_page_size() / 1024
}

/// Where the files of thread `tid` are read: `/proc/TID/task/TID`, the thread's own folder
/// seen from its own entry, not `/proc/PID/task/TID`. The kernel keeps an entry for each
/// path looked up, and when QEMU ends, whoever reaps it clears every entry under
/// `/proc/PID`, spinning while QEMU's exiting threads clear the same ones (see
/// `Cgroup::split_threads_later`); entries under `/proc/TID` are each thread's own to clear.
fn thread_dir(tid: i64) -> String {
    format!("/proc/{tid}/task/{tid}")
}

/// Reads `/proc/PID/stat`, or a thread's own `stat` ([`thread_dir`]).
pub(crate) fn task_stat(pid: i32, tid: Option<i64>) -> Option<TaskStat> {
    let path = match tid {
        Some(t) => format!("{}/stat", thread_dir(t)),
        None => format!("/proc/{pid}/stat"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')', at 3.
    let (_, rest) = text.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
    let ns = 1_000_000_000 / clock_ticks();
    Some(TaskStat {
        user_ns: n(11)? * ns,
        system_ns: n(12)? * ns,
        rss_kib: n(21).unwrap_or(0) * page_kib(),
        cpu: f.get(36).and_then(|s| s.parse().ok()).unwrap_or(0),
    })
}

/// Time a thread waited for a CPU, ns (`se.statistics.wait_sum` of its `sched` file, which
/// needs a kernel with scheduler statistics; 0 without).
fn sched_wait_ns(tid: i64) -> u64 {
    let Ok(text) = std::fs::read_to_string(format!("{}/sched", thread_dir(tid))) else {
        return 0;
    };
    text.lines()
        .find(|l| l.starts_with("se.statistics.wait_sum") || l.starts_with("se.wait_sum"))
        .and_then(|l| l.split_once(':'))
        .and_then(|(_, v)| v.trim().parse::<f64>().ok())
        .map_or(0, |ms| (ms * 1_000_000.0) as u64)
}

/// Time a thread spent runnable but not running, ns (`schedstat`'s second field; 0 without).
fn sched_delay_ns(tid: i64) -> u64 {
    std::fs::read_to_string(format!("{}/schedstat", thread_dir(tid)))
        .ok()
        .and_then(|t| t.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Which host CPUs are present, up to the highest present one
/// (`/sys/devices/system/cpu/present`; the configured processors, all present, when it
/// cannot be read).
fn present_cpus() -> Vec<bool> {
    let listed = std::fs::read_to_string("/sys/devices/system/cpu/present")
        .ok()
        .and_then(|t| rvirt_host::hostcpu::parse_cpu_list(t.trim()));
    if let Some(set) = listed
        && let Some(&top) = set.last()
    {
        return (0..=top).map(|c| set.contains(&c)).collect();
    }
    // SAFETY: sysconf has no memory effects.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) }.max(1) as usize;
    vec![true; n]
}

/// The number of host CPUs present (`/sys/devices/system/cpu/present`'s highest + 1).
fn host_cpus() -> usize {
    present_cpus().len()
}

/// `virNodeGetCPUMap` of the real host: the CPUs present, and which of them are online
/// (`/sys/devices/system/cpu/online`, a list of ranges such as `0-3,5`).
pub(crate) fn node_cpu_map() -> Result<CpuMap> {
    let cpus = host_cpus();
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .map_err(|e| Error::system(FROM, "cannot read /sys/devices/system/cpu/online", &e))?;
    let mut map = vec![0u8; cpus.div_ceil(8)];
    let mut online = 0;
    for range in text.trim().split(',').filter(|r| !r.is_empty()) {
        let (a, b) = range.split_once('-').unwrap_or((range, range));
        let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) else {
            return Err(Error::internal(
                FROM,
                format!("cannot parse CPU list '{range}'"),
            ));
        };
        for c in a..=b.min(cpus.saturating_sub(1)) {
            map[c / 8] |= 1 << (c % 8);
            online += 1;
        }
    }
    Ok(CpuMap {
        cpus: cpus as u32,
        map,
        online,
    })
}

/// The alias libvirt gives disk `i` of `def` (and the QEMU device id rvirt gives it).
pub(crate) fn disk_alias(def: &DomainDef, i: usize) -> Option<String> {
    crate::command::disk_device_id_of(def, i)
}

/// The counters of one frontend device as libvirt keeps them (`qemuBlockStats`).
#[derive(Clone, Copy, Debug, Default)]
struct BlockCounters {
    rd_req: u64,
    rd_bytes: u64,
    wr_req: u64,
    wr_bytes: u64,
    rd_times: u64,
    wr_times: u64,
    fl_req: u64,
    fl_times: u64,
    /// The highest offset written to the image (the protocol layer's), when QEMU says.
    wr_highest_offset: Option<u64>,
}

/// What one round of block queries returned: counters by frontend alias and by format node,
/// and (capacity, physical) by node name.
#[derive(Default)]
struct BlockData {
    by_alias: HashMap<String, BlockCounters>,
    by_node: HashMap<String, BlockCounters>,
    sizes: HashMap<String, (u64, u64)>,
}

/// A counter as the signed value libvirt's structures carry.
fn stat_i64(v: u64) -> Result<i64> {
    i64::try_from(v)
        .map_err(|_| Error::with_detail(FROM, ErrorNumber::OVERFLOW, "statistic value too large"))
}

/// The alias a `query-blockstats` entry's `qdev` stands for: the id itself, or for a virtio
/// disk the device's QOM path `/machine/peripheral/ID/virtio-backend`.
pub(crate) fn qdev_alias(qdev: &str) -> &str {
    match qdev.strip_prefix("/machine/peripheral/") {
        Some(rest) => rest.split('/').next().unwrap_or(rest),
        None => qdev,
    }
}

fn parse_blockstats(v: &Value, out: &mut BlockData) {
    for dev in v.as_array().into_iter().flatten() {
        let s = &dev["stats"];
        let g = |k: &str| s[k].as_u64().unwrap_or(0);
        let c = BlockCounters {
            rd_req: g("rd_operations"),
            rd_bytes: g("rd_bytes"),
            wr_req: g("wr_operations"),
            wr_bytes: g("wr_bytes"),
            rd_times: g("rd_total_time_ns"),
            wr_times: g("wr_total_time_ns"),
            fl_req: g("flush_operations"),
            fl_times: g("flush_total_time_ns"),
            wr_highest_offset: dev["parent"]["stats"]["wr_highest_offset"].as_u64(),
        };
        if let Some(q) = dev["qdev"].as_str().filter(|q| !q.is_empty()) {
            out.by_alias.insert(qdev_alias(q).to_string(), c);
        }
        if let Some(n) = dev["node-name"].as_str() {
            out.by_node.insert(n.to_string(), c);
        }
    }
}

fn parse_named_nodes(v: &Value, out: &mut BlockData) {
    for n in v.as_array().into_iter().flatten() {
        let (Some(name), Some(cap)) =
            (n["node-name"].as_str(), n["image"]["virtual-size"].as_u64())
        else {
            continue;
        };
        // Without an actual size the image is not thin: its physical size is its capacity.
        let physical = n["image"]["actual-size"].as_u64().unwrap_or(cap);
        out.sizes.insert(name.to_string(), (cap, physical));
    }
}

/// Figures read from one running domain's QEMU for the statistics groups that need it.
#[derive(Default)]
struct LiveData {
    blocks: Option<BlockData>,
    memory: Vec<DomainMemoryStat>,
    /// vCPU thread ids by vCPU index.
    vcpu_tids: Option<HashMap<i64, i64>>,
    /// vCPU QOM paths by vCPU index.
    vcpu_qom: HashMap<i64, String>,
    /// `query-dirty-rate`.
    dirty_rate: Option<Value>,
    /// The kind and unit of each statistic `query-stats` reports (`query-stats-schemas`).
    schema: HashMap<String, SchemaEntry>,
    /// `query-stats` for the VM.
    vm_stats: Option<Value>,
    /// `query-stats` for the vCPUs.
    vcpu_stats: Option<Value>,
    /// KVM's halt-polling time, successful and failed, summed over the vCPUs (ns).
    halt_poll: Option<(u64, u64)>,
    /// `query-iothreads`.
    iothreads: Option<Value>,
}

/// The sum of KVM's halt-polling counters over every vCPU entry of `query-stats`; `None`
/// when an entry lacks one (libvirt then reports nothing).
fn halt_poll_sum(v: &Value) -> Option<(u64, u64)> {
    let mut sum = (0, 0);
    for entry in v.as_array()? {
        let get = |n: &str| {
            entry["stats"]
                .as_array()?
                .iter()
                .find(|s| s["name"].as_str() == Some(n))?["value"]
                .as_u64()
        };
        sum.0 += get("halt_poll_success_ns")?;
        sum.1 += get("halt_poll_fail_ns")?;
    }
    Some(sum)
}

/// What `query-stats-schemas` says of one statistic: how libvirt names its value (`sum`,
/// `cur`, `max`; histograms are not reported) and whether it is a boolean.
#[derive(Clone, Copy, Debug)]
struct SchemaEntry {
    suffix: Option<&'static str>,
    boolean: bool,
}

fn parse_schema(v: &Value) -> HashMap<String, SchemaEntry> {
    let mut out = HashMap::new();
    for provider in v.as_array().into_iter().flatten() {
        for st in provider["stats"].as_array().into_iter().flatten() {
            let Some(name) = st["name"].as_str() else {
                continue;
            };
            let suffix = match st["type"].as_str() {
                Some("cumulative") => Some("sum"),
                Some("instant") => Some("cur"),
                Some("peak") => Some("max"),
                _ => None,
            };
            let boolean = st["unit"].as_str() == Some("boolean");
            out.insert(name.to_string(), SchemaEntry { suffix, boolean });
        }
    }
    out
}

/// The statistics of `query-stats` entries as `PREFIX.NAME.SUFFIX` parameters.
fn add_query_stats<'a>(
    out: &mut Vec<TypedParam>,
    entries: impl Iterator<Item = &'a Value>,
    schema: &HashMap<String, SchemaEntry>,
    prefix: &str,
) {
    for entry in entries {
        for st in entry["stats"].as_array().into_iter().flatten() {
            let Some(name) = st["name"].as_str() else {
                continue;
            };
            let Some(SchemaEntry {
                suffix: Some(suffix),
                boolean,
            }) = schema.get(name).copied()
            else {
                continue;
            };
            let value = if boolean {
                st["value"].as_bool().map(TypedParamValue::Boolean)
            } else {
                st["value"].as_u64().map(TypedParamValue::ULLong)
            };
            if let Some(v) = value {
                out.push(TypedParam::new(format!("{prefix}.{name}.{suffix}"), v));
            }
        }
    }
}

fn check_active(active: bool) -> Result<()> {
    if active {
        Ok(())
    } else {
        Err(Error::operation_invalid(
            ErrorDomain::DOMAIN,
            "domain is not running",
        ))
    }
}

fn has_balloon(def: &DomainDef) -> bool {
    def.devices
        .memballoon
        .as_ref()
        .is_some_and(|b| b.model != "none")
}

impl QemuDriver {
    /// The live definition and process of a running domain, or `domain is not running`.
    fn live(&self, dom: &DomainRef) -> Result<(Arc<DomainDef>, Arc<Proc>)> {
        let obj = self.obj(dom)?;
        let def = {
            let st = obj.lock();
            check_active(st.is_active())?;
            st.def.clone()
        };
        Ok((def, self.proc_of(&obj.uuid)?))
    }

    async fn block_data(&self, p: &Proc, sizes: bool) -> Result<BlockData> {
        let (stats, nodes) = self
            .qmp(p, move |m| async move {
                let stats = m.execute("query-blockstats", None).await?;
                let nodes = if sizes {
                    let args = serde_json::json!({"flat": true});
                    Some(m.execute("query-named-block-nodes", Some(args)).await?)
                } else {
                    None
                };
                Ok((stats, nodes))
            })
            .await?;
        let mut out = BlockData::default();
        parse_blockstats(&stats, &mut out);
        if let Some(n) = nodes {
            parse_named_nodes(&n, &mut out);
        }
        Ok(out)
    }

    /// `virDomainGetBlockInfo`, as libvirt's QEMU driver reckons it: an inactive domain's
    /// image looked at on disk; a running one's from QEMU (capacity, the image's actual size,
    /// the highest offset written), with the file's size as physical where QEMU's figures say
    /// the file is sparse.
    pub(crate) async fn block_info(
        &self,
        dom: &DomainRef,
        disk: &str,
        flags: u32,
    ) -> Result<DomainBlockInfo> {
        check_flags(FROM, "qemuDomainGetBlockInfo", flags, 0)?;
        let obj = self.obj(dom)?;
        let (def, active) = {
            let st = obj.lock();
            (st.def.clone(), st.is_active())
        };
        let invalid = |m: String| Error::with_detail(FROM, ErrorNumber::INVALID_ARG, m);
        let Some(d) = def.disk_by_name(disk) else {
            return Err(invalid(format!(
                "invalid path {disk} not assigned to domain"
            )));
        };
        let Some(path) = d.source_path() else {
            return Err(invalid(format!(
                "disk '{disk}' does not currently have a source assigned"
            )));
        };
        if !active {
            let p = crate::storage::probe_file(std::path::Path::new(path))?;
            return Ok(DomainBlockInfo {
                capacity: p.capacity,
                allocation: p.allocation,
                physical: p.physical,
            });
        }
        let p = self.proc_of(&obj.uuid)?;
        let b = self.block_data(&p, true).await?;
        let node = format!(
            "libvirt-{}-format",
            crate::disk_index::index_of(d).unwrap_or(1)
        );
        let (capacity, physical) = b.sizes.get(&node).copied().unwrap_or((0, 0));
        let qcow2 = d.driver.iter().any(|(k, v)| k == "type" && v == "qcow2");
        let mut allocation = match b.by_node.get(&node).and_then(|c| c.wr_highest_offset) {
            Some(w) if !qcow2 => w,
            _ => physical,
        };
        let mut physical_out = physical;
        if physical == 0 || allocation == 0 || allocation == physical {
            if allocation == 0 {
                allocation = physical;
            }
            if let Ok(m) = std::fs::metadata(path) {
                physical_out = m.len();
            }
        }
        Ok(DomainBlockInfo {
            capacity,
            allocation,
            physical: physical_out,
        })
    }

    /// `virDomainBlockStats`: one disk's counters (by target or source path), or the sum over
    /// every disk for an empty name.
    pub(crate) async fn block_stats(
        &self,
        dom: &DomainRef,
        path: &str,
    ) -> Result<DomainBlockStats> {
        let total = self.block_counters(dom, path).await?;
        Ok(DomainBlockStats {
            rd_req: stat_i64(total.rd_req)?,
            rd_bytes: stat_i64(total.rd_bytes)?,
            wr_req: stat_i64(total.wr_req)?,
            wr_bytes: stat_i64(total.wr_bytes)?,
            // QEMU does not count errors.
            errs: -1,
        })
    }

    /// `virDomainBlockStatsFlags`: [`Self::block_stats`] with the time and flush counters, as
    /// libvirt's QEMU driver names and orders them (no error count: QEMU keeps none).
    pub(crate) async fn block_stats_flags(
        &self,
        dom: &DomainRef,
        path: &str,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        // VIR_TYPED_PARAM_STRING_OKAY: accepted, and moot (no string is returned).
        check_flags(FROM, "qemuDomainBlockStatsFlags", flags, 1 << 2)?;
        let t = self.block_counters(dom, path).await?;
        let fields = [
            ("wr_bytes", t.wr_bytes),
            ("wr_operations", t.wr_req),
            ("rd_bytes", t.rd_bytes),
            ("rd_operations", t.rd_req),
            ("flush_operations", t.fl_req),
            ("wr_total_times", t.wr_times),
            ("rd_total_times", t.rd_times),
            ("flush_total_times", t.fl_times),
        ];
        fields
            .into_iter()
            .map(|(name, v)| {
                let v = i64::try_from(v).map_err(|_| {
                    Error::with_detail(
                        FROM,
                        ErrorNumber::OVERFLOW,
                        format!("value of '{name}' is too large"),
                    )
                })?;
                Ok(TypedParam::new(name, TypedParamValue::LLong(v)))
            })
            .collect()
    }

    /// The counters of one disk (by target or source path), or their sum over every disk for
    /// an empty name.
    async fn block_counters(&self, dom: &DomainRef, path: &str) -> Result<BlockCounters> {
        let (def, p) = self.live(dom)?;
        let alias = if path.is_empty() {
            None
        } else {
            let i = def
                .devices
                .disks
                .iter()
                .position(|d| d.target_dev == path || d.source_path() == Some(path))
                .ok_or_else(|| {
                    Error::with_detail(
                        FROM,
                        ErrorNumber::INVALID_ARG,
                        format!("invalid path: {path}"),
                    )
                })?;
            Some(disk_alias(&def, i).ok_or_else(|| {
                Error::internal(FROM, format!("missing disk device alias name for {path}"))
            })?)
        };
        let data = self.block_data(&p, false).await?;
        let missing =
            |a: &str| Error::internal(FROM, format!("cannot find statistics for device '{a}'"));
        let total = match alias {
            Some(a) => *data.by_alias.get(&a).ok_or_else(|| missing(&a))?,
            None => {
                let mut t = BlockCounters::default();
                for i in 0..def.devices.disks.len() {
                    let Some(a) = disk_alias(&def, i) else {
                        continue;
                    };
                    let c = data.by_alias.get(&a).ok_or_else(|| missing(&a))?;
                    t.rd_req += c.rd_req;
                    t.rd_bytes += c.rd_bytes;
                    t.wr_req += c.wr_req;
                    t.wr_bytes += c.wr_bytes;
                    t.rd_times += c.rd_times;
                    t.wr_times += c.wr_times;
                    t.fl_req += c.fl_req;
                    t.fl_times += c.fl_times;
                }
                t
            }
        };
        Ok(total)
    }

    /// `virDomainInterfaceStats`: the counters of a tap device as the guest sees them, by the
    /// interface's host name or MAC address.
    pub(crate) async fn interface_stats(
        &self,
        dom: &DomainRef,
        device: &str,
    ) -> Result<DomainInterfaceStats> {
        let obj = self.obj(dom)?;
        let net = {
            let st = obj.lock();
            check_active(st.is_active())?;
            st.def.devices.interfaces[st.def.net_find(device)?].clone()
        };
        // User-mode networking has no host device, so there is no name to look up.
        let ifname = net
            .target_dev
            .as_deref()
            .filter(|_| net.net_type != "user")
            .ok_or_else(|| Error::internal(FROM, "Interface name not provided"))?;
        // A tap device's receive is the guest's transmit.
        let swapped = !matches!(net.plugged_type(), "direct" | "hostdev");
        tap_stats(ifname, swapped)
    }

    /// The balloon's figures (`actual`, then the guest's statistics) and the RSS of QEMU, as
    /// libvirt's `qemuDomainMemoryStatsInternal` lists them.
    async fn memory_data(&self, def: &DomainDef, p: &Proc) -> Result<Vec<DomainMemoryStat>> {
        let mut out = Vec::new();
        if has_balloon(def) {
            let (actual, guest) = self
                .qmp(p, |m| async move {
                    let actual = m.query_balloon().await.ok().map(|b| b.actual);
                    let guest = m.balloon_stats(BALLOON_PATH).await.ok();
                    Ok((actual, guest))
                })
                .await?;
            if let Some(a) = actual {
                out.push(DomainMemoryStat {
                    tag: T::ACTUAL_BALLOON,
                    val: a / 1024,
                });
            }
            if let Some(g) = guest {
                for (name, tag, div) in [
                    ("stat-swap-in", T::SWAP_IN, 1024),
                    ("stat-swap-out", T::SWAP_OUT, 1024),
                    ("stat-major-faults", T::MAJOR_FAULT, 1),
                    ("stat-minor-faults", T::MINOR_FAULT, 1),
                    ("stat-free-memory", T::UNUSED, 1024),
                    ("stat-total-memory", T::AVAILABLE, 1024),
                    ("stat-available-memory", T::USABLE, 1024),
                ] {
                    if let Some(v) = g.stat(name) {
                        out.push(DomainMemoryStat { tag, val: v / div });
                    }
                }
                if g.last_update != -1 {
                    out.push(DomainMemoryStat {
                        tag: T::LAST_UPDATE,
                        val: g.last_update as u64,
                    });
                }
                for (name, tag, div) in [
                    ("stat-disk-caches", T::DISK_CACHES, 1024),
                    ("stat-htlb-pgalloc", T::HUGETLB_PGALLOC, 1),
                    ("stat-htlb-pgfail", T::HUGETLB_PGFAIL, 1),
                ] {
                    if let Some(v) = g.stat(name) {
                        out.push(DomainMemoryStat { tag, val: v / div });
                    }
                }
            }
        }
        if let Some(s) = task_stat(p.pid, None) {
            out.push(DomainMemoryStat {
                tag: T::RSS,
                val: s.rss_kib,
            });
        }
        Ok(out)
    }

    /// `virDomainMemoryStats`.
    pub(crate) async fn memory_stats(
        &self,
        dom: &DomainRef,
        nr_stats: u32,
        flags: u32,
    ) -> Result<Vec<DomainMemoryStat>> {
        check_flags(FROM, "qemuDomainMemoryStats", flags, 0)?;
        let (def, p) = self.live(dom)?;
        let mut out = self.memory_data(&def, &p).await?;
        out.truncate(nr_stats as usize);
        Ok(out)
    }

    /// vCPU thread ids by vCPU index (`query-cpus-fast`).
    pub(crate) async fn vcpu_threads(&self, p: &Proc) -> Result<HashMap<i64, i64>> {
        let cpus = self
            .qmp(p, |m| async move { m.query_cpus_fast().await })
            .await?;
        Ok(cpus
            .into_iter()
            .map(|c| (c.cpu_index, c.thread_id))
            .collect())
    }

    /// `virDomainGetVcpus`: each online vCPU's time and host CPU (from its thread), and the
    /// host CPUs it may run on.
    pub(crate) async fn get_vcpus(
        &self,
        dom: &DomainRef,
        maxinfo: i32,
        maplen: i32,
    ) -> Result<(Vec<VcpuInfo>, Vec<u8>)> {
        let obj = self.obj(dom)?;
        let def = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(
                    FROM,
                    "cannot retrieve vcpu information for inactive domain",
                ));
            }
            st.def.clone()
        };
        let p = self.proc_of(&obj.uuid)?;
        let tids = self.vcpu_threads(&p).await?;
        let n = (maxinfo.max(0) as u32).min(def.vcpus_current) as usize;
        let maplen = maplen.max(0) as usize;
        let mut info = Vec::with_capacity(n);
        let mut maps = vec![0u8; n * maplen];
        for i in 0..n {
            let tid = *tids
                .get(&(i as i64))
                .ok_or_else(|| Error::operation_invalid(FROM, "cpu affinity is not supported"))?;
            let s = task_stat(p.pid, Some(tid)).ok_or_else(|| {
                Error::with_detail(
                    FROM,
                    ErrorNumber::SYSTEM_ERROR,
                    "cannot get vCPU placement & pCPU time",
                )
            })?;
            info.push(VcpuInfo {
                number: i as u32,
                state: VcpuState::RUNNING.0,
                cpu_time: s.user_ns + s.system_ns,
                cpu: s.cpu,
            });
            for cpu in crate::pin::affinity(tid).into_iter().map(|c| c as usize) {
                if cpu / 8 < maplen {
                    maps[i * maplen + cpu / 8] |= 1 << (cpu % 8);
                }
            }
        }
        Ok((info, maps))
    }

    /// `virDomainGetCPUStats`, from the domain's CPU accounting group as libvirt reads it: the
    /// time of all its threads (`start == -1`: in all, user and system), or per host CPU the
    /// time of all its threads and of its vCPU threads there (version 1 `cpuacct` only; the
    /// unified hierarchy has no per-CPU figures). A domain without an accounting group (an
    /// unprivileged driver, a host without the controller) gets libvirt's refusal.
    pub(crate) async fn cpu_stats(
        &self,
        dom: &DomainRef,
        start: i32,
        ncpus: u32,
        flags: u32,
    ) -> Result<Vec<Vec<TypedParam>>> {
        check_flags(
            FROM,
            "qemuDomainGetCPUStats",
            flags,
            rvirt_types::typed_param::TYPED_PARAM_STRING_OKAY,
        )?;
        let (_, p) = self.live(dom)?;
        let cg = &p.cgroup;
        if !cg.has_accounting() {
            return Err(crate::cgroup::not_mounted(
                crate::cgroup::Controller::Cpuacct,
            ));
        }
        let u = |f: &str, v: u64| TypedParam::new(f, TypedParamValue::ULLong(v));
        if start == -1 {
            let total = cg.cpu_usage()?;
            let (user, system) = cg.cpu_user_system()?;
            return Ok(vec![vec![
                u("cpu_time", total),
                u("user_time", user),
                u("system_time", system),
            ]]);
        }
        let present = present_cpus();
        let total = present.len();
        if ncpus == 0 {
            return Ok(vec![Vec::new(); total]);
        }
        if start as usize >= total {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                format!("start_cpu {start} larger than maximum of {}", total - 1),
            ));
        }
        // The kernel's figures go to the present CPUs in turn; an absent CPU has none.
        let spread = |figures: Vec<u64>| {
            let mut it = figures.into_iter();
            present
                .iter()
                .map(|&here| if here { it.next().unwrap_or(0) } else { 0 })
                .collect::<Vec<u64>>()
        };
        let cpu_time = spread(cg.cpu_usage_per_cpu()?);
        let vcpu_time = spread(cg.vcpu_usage_per_cpu()?);
        let end = total.min(start as usize + ncpus as usize);
        Ok((start as usize..end)
            .map(|c| vec![u("cpu_time", cpu_time[c]), u("vcpu_time", vcpu_time[c])])
            .collect())
    }

    /// What the statistics groups `stats` need from one running domain's QEMU; errors leave
    /// the part out, as libvirt's groups stay silent about figures they cannot get.
    async fn live_data(&self, def: &DomainDef, p: &Proc, stats: S) -> LiveData {
        let mut out = LiveData::default();
        if stats.contains(S::BLOCK) {
            out.blocks = self.block_data(p, true).await.ok();
        }
        if stats.contains(S::BALLOON) {
            out.memory = self.memory_data(def, p).await.unwrap_or_default();
        }
        if stats.contains(S::VCPU)
            && let Ok(cpus) = self
                .qmp(p, |m| async move { m.query_cpus_fast().await })
                .await
        {
            out.vcpu_tids = Some(cpus.iter().map(|c| (c.cpu_index, c.thread_id)).collect());
            out.vcpu_qom = cpus
                .into_iter()
                .map(|c| (c.cpu_index, c.qom_path))
                .collect();
        }
        if stats.contains(S::CPU_TOTAL) {
            let args = serde_json::json!({
                "target": "vcpu",
                "providers": [{"provider": "kvm",
                               "names": ["halt_poll_success_ns", "halt_poll_fail_ns"]}],
            });
            out.halt_poll = self
                .qmp(
                    p,
                    |m| async move { m.execute("query-stats", Some(args)).await },
                )
                .await
                .ok()
                .and_then(|v| halt_poll_sum(&v));
        }
        if stats.contains(S::IOTHREAD) && !def.extras.iothreads.is_empty() {
            out.iothreads = self
                .qmp(
                    p,
                    |m| async move { m.execute("query-iothreads", None).await },
                )
                .await
                .ok();
        }
        if stats.contains(S::DIRTYRATE) {
            out.dirty_rate = self
                .qmp(
                    p,
                    |m| async move { m.execute("query-dirty-rate", None).await },
                )
                .await
                .ok();
        }
        if stats.intersects(S::VM | S::VCPU) {
            let (vm, vcpu) = (stats.contains(S::VM), stats.contains(S::VCPU));
            let got = self
                .qmp(p, move |m| async move {
                    let schema = m.execute("query-stats-schemas", None).await?;
                    let q = |target: &'static str| {
                        let m = m.clone();
                        async move {
                            let args = serde_json::json!({ "target": target });
                            m.execute("query-stats", Some(args)).await.ok()
                        }
                    };
                    let vm = if vm { q("vm").await } else { None };
                    let vcpu = if vcpu { q("vcpu").await } else { None };
                    Ok((schema, vm, vcpu))
                })
                .await;
            if let Ok((schema, vm, vcpu)) = got {
                out.schema = parse_schema(&schema);
                out.vm_stats = vm;
                out.vcpu_stats = vcpu;
            }
        }
        out
    }

    /// `virConnectGetAllDomainStats` / `virDomainListGetStats`.
    pub(crate) async fn all_domain_stats(
        &self,
        doms: Option<&[DomainRef]>,
        stats: S,
        flags: F,
    ) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
        // The groups rvirt reports; memory (bandwidth) has nothing to report without
        // resctrl monitoring, which rvirt does not configure.
        let supported = S::STATE
            | S::CPU_TOTAL
            | S::BALLOON
            | S::VCPU
            | S::INTERFACE
            | S::BLOCK
            | S::PERF
            | S::IOTHREAD
            | S::MEMORY
            | S::DIRTYRATE
            | S::VM;
        let (stats, lflags) = all_domain_stats_request(
            FROM,
            "qemuConnectGetAllDomainStats",
            flags,
            stats,
            supported,
            "this daemon or QEMU",
        )?;
        let stats = stats & supported;
        let objs: Vec<Arc<DomainObj>> = match doms {
            Some(list) => {
                let mut v = Vec::new();
                for d in list {
                    let o = self.obj(d)?;
                    if o.lock().matches(lflags) {
                        v.push(o);
                    }
                }
                v
            }
            None => self
                .domains
                .all()
                .into_iter()
                .filter(|o| o.lock().matches(lflags))
                .collect(),
        };
        let need_monitor = stats.intersects(
            S::CPU_TOTAL | S::BLOCK | S::BALLOON | S::VCPU | S::IOTHREAD | S::DIRTYRATE | S::VM,
        );
        // Every domain's QEMU is asked at once: a slow one costs its own deadline, not a sum.
        let mut jobs = Vec::new();
        for o in &objs {
            let (def, active) = {
                let st = o.lock();
                (st.def.clone(), st.is_active())
            };
            let proc_ = if active {
                self.proc_of(&o.uuid).ok()
            } else {
                None
            };
            jobs.push((o.clone(), def, proc_));
        }
        let mut out = Vec::with_capacity(jobs.len());
        let gathered = futures_join(jobs.iter().map(|(_, def, p)| {
            let def = def.clone();
            let p = p.clone();
            async move {
                match p {
                    Some(p) if need_monitor => Some(self.live_data(&def, &p, stats).await),
                    _ => None,
                }
            }
        }))
        .await;
        for ((o, _, p), live) in jobs.into_iter().zip(gathered) {
            let st = o.lock();
            let mut params = Vec::new();
            record(
                &mut params,
                &st.def,
                st.state.0,
                st.reason,
                st.is_active(),
                p.as_deref(),
                live.as_ref(),
                stats,
            );
            record_dirtyrate_and_vm(&mut params, live.as_ref(), stats);
            out.push((st.to_ref(o.uuid), params));
        }
        Ok(out)
    }
}

/// Awaits every future, concurrently, in order.
async fn futures_join<Fut: std::future::Future>(
    futs: impl Iterator<Item = Fut>,
) -> Vec<Fut::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<Fut>>> = futs.map(Box::pin).collect();
    let mut results: Vec<Option<Fut::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, r) in pinned.iter_mut().zip(results.iter_mut()) {
            if r.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *r = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// One domain's record, group by group in libvirt's order and with its field names.
#[allow(clippy::too_many_arguments)]
fn record(
    out: &mut Vec<TypedParam>,
    def: &DomainDef,
    state: i32,
    reason: i32,
    active: bool,
    p: Option<&Proc>,
    live: Option<&LiveData>,
    stats: S,
) {
    use TypedParamValue as V;
    fn push(out: &mut Vec<TypedParam>, k: String, v: TypedParamValue) {
        out.push(TypedParam::new(k, v));
    }
    macro_rules! add {
        ($k:expr, $v:expr $(,)?) => {
            push(out, $k, $v)
        };
    }
    if stats.contains(S::STATE) {
        add!("state.state".into(), V::Int(state));
        add!("state.reason".into(), V::Int(reason));
    }
    let pid = p.map(|p| p.pid);
    if stats.contains(S::CPU_TOTAL) {
        match p.map(|p| &p.cgroup).filter(|cg| cg.any()) {
            // A domain in control groups: the figures of its `cpuacct` group, each left out
            // when it cannot be read (no such group), as libvirt leaves them.
            Some(cg) => {
                if let Ok(t) = cg.cpu_usage() {
                    add!("cpu.time".into(), V::ULLong(t));
                }
                if let Ok((user, system)) = cg.cpu_user_system() {
                    add!("cpu.user".into(), V::ULLong(user));
                    add!("cpu.system".into(), V::ULLong(system));
                }
            }
            None => {
                // libvirt reads the times of pid 0 for an inactive domain, which is its own
                // process: an inactive domain reports the daemon's times, and so does rvirt.
                let times = if active {
                    pid.and_then(|pid| task_stat(pid, None))
                } else {
                    task_stat(std::process::id() as i32, None)
                };
                if let Some(s) = times {
                    add!("cpu.time".into(), V::ULLong(s.user_ns + s.system_ns));
                    add!("cpu.user".into(), V::ULLong(s.user_ns));
                    add!("cpu.system".into(), V::ULLong(s.system_ns));
                }
            }
        }
        if active {
            // No cache monitors (resctrl) are set up.
            add!("cpu.cache.monitor.count".into(), V::UInt(0));
            if let Some((ok, fail)) = live.and_then(|l| l.halt_poll) {
                add!("cpu.haltpoll.success.time".into(), V::ULLong(ok));
                add!("cpu.haltpoll.fail.time".into(), V::ULLong(fail));
            }
        }
    }
    if stats.contains(S::BALLOON) {
        let current = if has_balloon(def) {
            def.current_memory_kib
        } else {
            def.memory_kib
        };
        add!("balloon.current".into(), V::ULLong(current));
        add!("balloon.maximum".into(), V::ULLong(def.memory_kib));
        for m in live.map(|l| l.memory.as_slice()).unwrap_or_default() {
            let name = match m.tag {
                T::SWAP_IN => "swap_in",
                T::SWAP_OUT => "swap_out",
                T::MAJOR_FAULT => "major_fault",
                T::MINOR_FAULT => "minor_fault",
                T::UNUSED => "unused",
                T::AVAILABLE => "available",
                T::RSS => "rss",
                T::LAST_UPDATE => "last-update",
                T::USABLE => "usable",
                T::DISK_CACHES => "disk_caches",
                T::HUGETLB_PGALLOC => "hugetlb_pgalloc",
                T::HUGETLB_PGFAIL => "hugetlb_pgfail",
                _ => continue,
            };
            add!(format!("balloon.{name}"), V::ULLong(m.val));
        }
    }
    if stats.contains(S::VCPU) {
        add!("vcpu.current".into(), V::UInt(def.vcpus_current));
        add!("vcpu.maximum".into(), V::UInt(def.vcpus_max));
        // Without the vCPU threads (an inactive domain, a monitor that did not answer) there
        // is nothing more, as libvirt's group stays silent then.
        if let (Some(pid), Some(tids)) = (pid, live.and_then(|l| l.vcpu_tids.as_ref())) {
            let per: Option<Vec<_>> = (0..def.vcpus_current)
                .map(|i| {
                    let tid = *tids.get(&(i as i64))?;
                    Some((i, tid, task_stat(pid, Some(tid))?))
                })
                .collect();
            for (i, tid, s) in per.unwrap_or_default() {
                add!(format!("vcpu.{i}.state"), V::Int(VcpuState::RUNNING.0));
                add!(format!("vcpu.{i}.time"), V::ULLong(s.user_ns + s.system_ns));
                add!(format!("vcpu.{i}.wait"), V::ULLong(sched_wait_ns(tid)));
                add!(format!("vcpu.{i}.delay"), V::ULLong(sched_delay_ns(tid)));
                // KVM's own counters of this vCPU (QEMU reports none under TCG).
                if let (Some(l), Some(all)) = (live, live.and_then(|l| l.vcpu_stats.as_ref()))
                    && let Some(qom) = l.vcpu_qom.get(&(i as i64))
                {
                    let mine = all
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|e| e["qom-path"].as_str() == Some(qom.as_str()));
                    add_query_stats(out, mine, &l.schema, &format!("vcpu.{i}"));
                }
            }
        }
    }
    if stats.contains(S::INTERFACE) && active {
        let nets = &def.devices.interfaces;
        add!("net.count".into(), V::UInt(nets.len() as u32));
        for (i, n) in nets.iter().enumerate() {
            // Only devices with a host side have figures (not user-mode networking).
            let Some(ifname) = n.target_dev.as_deref().filter(|_| n.net_type != "user") else {
                continue;
            };
            add!(format!("net.{i}.name"), V::String(ifname.to_string()));
            let swapped = !matches!(n.plugged_type(), "direct" | "hostdev");
            let Ok(s) = tap_stats(ifname, swapped) else {
                continue;
            };
            for (k, v) in [
                ("rx.bytes", s.rx_bytes),
                ("rx.pkts", s.rx_packets),
                ("rx.errs", s.rx_errs),
                ("rx.drop", s.rx_drop),
                ("tx.bytes", s.tx_bytes),
                ("tx.pkts", s.tx_packets),
                ("tx.errs", s.tx_errs),
                ("tx.drop", s.tx_drop),
            ] {
                if v >= 0 {
                    add!(format!("net.{i}.{k}"), V::ULLong(v as u64));
                }
            }
        }
    }
    if stats.contains(S::BLOCK) {
        let disks = &def.devices.disks;
        add!("block.count".into(), V::UInt(disks.len() as u32));
        let blocks = live.and_then(|l| l.blocks.as_ref());
        for (i, d) in disks.iter().enumerate() {
            add!(format!("block.{i}.name"), V::String(d.target_dev.clone()));
            if let Some(path) = d.source_path() {
                add!(format!("block.{i}.path"), V::String(path.to_string()));
                // A running domain's images are numbered (libvirt's storage index, the one
                // the live XML shows).
                if active {
                    let index = crate::disk_index::index_of(d).unwrap_or(1);
                    add!(
                        format!("block.{i}.backingIndex"),
                        V::UInt(u32::try_from(index).unwrap_or(u32::MAX))
                    );
                }
            }
            let alias = disk_alias(def, i);
            if active {
                let Some(b) = blocks else { continue };
                if let Some(c) = alias.as_ref().and_then(|a| b.by_alias.get(a)) {
                    for (k, v) in [
                        ("rd.reqs", c.rd_req),
                        ("rd.bytes", c.rd_bytes),
                        ("rd.times", c.rd_times),
                        ("wr.reqs", c.wr_req),
                        ("wr.bytes", c.wr_bytes),
                        ("wr.times", c.wr_times),
                        ("fl.reqs", c.fl_req),
                        ("fl.times", c.fl_times),
                    ] {
                        add!(format!("block.{i}.{k}"), V::ULLong(v));
                    }
                }
                let node = format!(
                    "libvirt-{}-format",
                    crate::disk_index::index_of(d).unwrap_or(i as u64 + 1)
                );
                if let Some(c) = b.by_node.get(&node) {
                    add!(
                        format!("block.{i}.allocation"),
                        V::ULLong(c.wr_highest_offset.unwrap_or(0)),
                    );
                    if let Some(&(cap, phys)) = b.sizes.get(&node) {
                        if cap != 0 {
                            add!(format!("block.{i}.capacity"), V::ULLong(cap));
                        }
                        if phys != 0 {
                            add!(format!("block.{i}.physical"), V::ULLong(phys));
                        }
                    }
                }
            } else if let Some(path) = d.source_path() {
                // An inactive domain's images are looked at directly.
                if let Some((alloc, cap, phys)) = image_sizes(path) {
                    for (k, v) in [("allocation", alloc), ("capacity", cap), ("physical", phys)] {
                        if v != 0 {
                            add!(format!("block.{i}.{k}"), V::ULLong(v));
                        }
                    }
                }
            }
        }
    }
    if stats.contains(S::PERF)
        && let Some(p) = p
    {
        for (name, count) in p.perf.lock().read() {
            add!(format!("perf.{name}"), V::ULLong(count));
        }
    }
}

/// The `iothread`, `dirtyrate` and `vm` groups of a running domain.
fn record_dirtyrate_and_vm(out: &mut Vec<TypedParam>, live: Option<&LiveData>, stats: S) {
    use TypedParamValue as V;
    let Some(l) = live else { return };
    // Each I/O thread's polling, in QEMU's order.
    if stats.contains(S::IOTHREAD)
        && let Some(list) = l.iothreads.as_ref().and_then(Value::as_array)
        && !list.is_empty()
    {
        out.push(TypedParam::new(
            "iothread.count",
            V::UInt(list.len() as u32),
        ));
        for t in list {
            let Some(id) = t["id"].as_str().and_then(|i| i.strip_prefix("iothread")) else {
                continue;
            };
            if let (Some(max), Some(grow), Some(shrink)) = (
                t["poll-max-ns"].as_u64(),
                t["poll-grow"].as_u64(),
                t["poll-shrink"].as_u64(),
            ) {
                out.push(TypedParam::new(
                    format!("iothread.{id}.poll-max-ns"),
                    V::ULLong(max),
                ));
                out.push(TypedParam::new(
                    format!("iothread.{id}.poll-grow"),
                    V::UInt(grow as u32),
                ));
                out.push(TypedParam::new(
                    format!("iothread.{id}.poll-shrink"),
                    V::UInt(shrink as u32),
                ));
            }
        }
    }
    if stats.contains(S::DIRTYRATE)
        && let Some(d) = &l.dirty_rate
    {
        let status = match d["status"].as_str() {
            Some("unstarted") => 0,
            Some("measuring") => 1,
            Some("measured") => 2,
            _ => -1,
        };
        if status >= 0 {
            let mode = d["mode"].as_str().unwrap_or("page-sampling");
            let mut p = |k: &str, v: V| out.push(TypedParam::new(format!("dirtyrate.{k}"), v));
            p("calc_status", V::Int(status));
            p(
                "calc_start_time",
                V::LLong(d["start-time"].as_i64().unwrap_or(0)),
            );
            p(
                "calc_period",
                V::Int(d["calc-time"].as_i64().unwrap_or(0) as i32),
            );
            p("calc_mode", V::String(mode.to_string()));
            if status == 2 {
                p(
                    "megabytes_per_second",
                    V::LLong(d["dirty-rate"].as_i64().unwrap_or(0)),
                );
                if mode == "dirty-ring" {
                    for r in d["vcpu-dirty-rate"].as_array().into_iter().flatten() {
                        let (Some(id), Some(rate)) = (r["id"].as_i64(), r["dirty-rate"].as_u64())
                        else {
                            continue;
                        };
                        p(&format!("vcpu.{id}.megabytes_per_second"), V::ULLong(rate));
                    }
                }
            }
        }
    }
    // libvirt reports the VM's counters only when QEMU gives exactly one provider's.
    if stats.contains(S::VM)
        && let Some(vm) = l.vm_stats.as_ref().and_then(Value::as_array)
        && vm.len() == 1
    {
        add_query_stats(out, vm.iter(), &l.schema, "vm");
    }
}

/// (allocation, capacity, physical) of a local raw image: blocks in use, size, size. Other
/// formats need their header read (`qemu-img info`), which an inactive listing skips.
fn image_sizes(path: &str) -> Option<(u64, u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    if !m.is_file() {
        return None;
    }
    let mut head = [0u8; 4];
    let is_qcow2 = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && &head == b"QFI\xfb";
    if is_qcow2 {
        return None;
    }
    Some((m.blocks() * 512, m.len(), m.len()))
}

/// A host network device's counters from `/proc/net/dev`, from the guest's side when
/// `swapped` (a tap device receives what the guest sends).
fn tap_stats(ifname: &str, swapped: bool) -> Result<DomainInterfaceStats> {
    let text = std::fs::read_to_string("/proc/net/dev")
        .map_err(|e| Error::system(FROM, "Could not open /proc/net/dev", &e))?;
    for line in text.lines() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        if name.trim() != ifname {
            continue;
        }
        let v: Vec<i64> = rest
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if v.len() != 16 {
            continue;
        }
        let (rx, tx) = if swapped {
            (&v[8..12], &v[0..4])
        } else {
            (&v[0..4], &v[8..12])
        };
        return Ok(DomainInterfaceStats {
            rx_bytes: rx[0],
            rx_packets: rx[1],
            rx_errs: rx[2],
            rx_drop: rx[3],
            tx_bytes: tx[0],
            tx_packets: tx[1],
            tx_errs: tx[2],
            tx_drop: tx[3],
        });
    }
    Err(Error::internal(FROM, "/proc/net/dev: Interface not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qdev_aliases() {
        assert_eq!(
            qdev_alias("/machine/peripheral/virtio-disk0/virtio-backend"),
            "virtio-disk0"
        );
        assert_eq!(qdev_alias("ide0-0-0"), "ide0-0-0");
    }

    #[test]
    fn own_process_stat_reads() {
        let s = task_stat(std::process::id() as i32, None).unwrap();
        assert!(s.rss_kib > 0);
        assert!(host_cpus() >= 1);
        let m = node_cpu_map().unwrap();
        assert!(m.online >= 1 && m.online <= m.cpus && m.map[0] & 1 == 1);
    }

    #[test]
    fn loopback_counters_read() {
        // `lo` exists in every network namespace; its counters parse.
        let s = tap_stats("lo", false).unwrap();
        assert!(s.rx_bytes >= 0 && s.tx_packets >= 0);
        assert!(tap_stats("no-such-dev0", true).is_err());
    }
}
