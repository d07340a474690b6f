//! The tuning a domain definition holds, read and written as libvirt's typed parameters:
//! `<memtune>`, `<blkiotune>`, `<numatune>`, an interface's `<bandwidth>`, a disk's `<iotune>`
//! and `<perf>`. Drivers decide which parameters they accept and which definition (live or
//! config) a change goes to; this module gives them libvirt's model of each element.

use super::tuning::PERF_EVENTS;
use super::{DiskDef, DomainDef, NetDef, format_cpuset};
use crate::raw::{RawElement, RawNode};
use crate::sparse::token;
use rvirt_types::typed_param::{get_ullong, kind};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, TypedParamValue};

/// `VIR_DOMAIN_MEMORY_PARAM_UNLIMITED`: a memory limit that is not set.
pub const MEMORY_PARAM_UNLIMITED: u64 = (1 << 53) - 1;

/// `VIR_DOMAIN_MEMORY_HARD_LIMIT`.
pub const MEMORY_HARD_LIMIT: &str = "hard_limit";
/// `VIR_DOMAIN_MEMORY_SOFT_LIMIT`.
pub const MEMORY_SOFT_LIMIT: &str = "soft_limit";
/// `VIR_DOMAIN_MEMORY_MIN_GUARANTEE`.
pub const MEMORY_MIN_GUARANTEE: &str = "min_guarantee";
/// `VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT`.
pub const MEMORY_SWAP_HARD_LIMIT: &str = "swap_hard_limit";

/// `VIR_DOMAIN_BLKIO_WEIGHT`.
pub const BLKIO_WEIGHT: &str = "weight";
/// The per-device `<blkiotune>` parameters (`VIR_DOMAIN_BLKIO_DEVICE_*`), in libvirt's order:
/// weight, read and write IOPS, read and write bytes per second.
pub const BLKIO_DEVICE_PARAMS: [&str; 5] = [
    "device_weight",
    "device_read_iops_sec",
    "device_write_iops_sec",
    "device_read_bytes_sec",
    "device_write_bytes_sec",
];

/// `VIR_DOMAIN_NUMA_MODE`.
pub const NUMA_MODE: &str = "numa_mode";
/// `VIR_DOMAIN_NUMA_NODESET`.
pub const NUMA_NODESET: &str = "numa_nodeset";
/// `<numatune><memory mode>` values, in `virDomainNumatuneMemMode` order.
pub const NUMA_MODES: [&str; 4] = ["strict", "preferred", "interleave", "restrictive"];

/// The interface bandwidth parameters (`VIR_DOMAIN_BANDWIDTH_*`), in libvirt's order.
pub const BANDWIDTH_PARAMS: [&str; 7] = [
    "inbound.average",
    "inbound.peak",
    "inbound.burst",
    "inbound.floor",
    "outbound.average",
    "outbound.peak",
    "outbound.burst",
];

/// `VIR_DOMAIN_BLOCK_IOTUNE_GROUP_NAME`.
pub const IOTUNE_GROUP_NAME: &str = "group_name";
/// The block I/O throttling parameters (`VIR_DOMAIN_BLOCK_IOTUNE_*`) in libvirt's order, which
/// is also the order of `<iotune>`'s children.
pub const IOTUNE_PARAMS: [&str; 20] = [
    "total_bytes_sec",
    "read_bytes_sec",
    "write_bytes_sec",
    "total_iops_sec",
    "read_iops_sec",
    "write_iops_sec",
    "total_bytes_sec_max",
    "read_bytes_sec_max",
    "write_bytes_sec_max",
    "total_iops_sec_max",
    "read_iops_sec_max",
    "write_iops_sec_max",
    "size_iops_sec",
    IOTUNE_GROUP_NAME,
    "total_bytes_sec_max_length",
    "read_bytes_sec_max_length",
    "write_bytes_sec_max_length",
    "total_iops_sec_max_length",
    "read_iops_sec_max_length",
    "write_iops_sec_max_length",
];

/// The parameters `virDomainSetMemoryParameters` takes (hard, soft and swap hard limits),
/// with their `VIR_TYPED_PARAM_*` types, for `rvirt_types::typed_param::validate`.
pub fn memory_accepted() -> Vec<(&'static str, i32)> {
    [MEMORY_HARD_LIMIT, MEMORY_SOFT_LIMIT, MEMORY_SWAP_HARD_LIMIT]
        .into_iter()
        .map(|n| (n, kind::ULLONG))
        .collect()
}

/// The parameters `virDomainSetBlkioParameters` takes.
pub fn blkio_accepted() -> Vec<(&'static str, i32)> {
    let mut v: Vec<_> = BLKIO_DEVICE_PARAMS
        .into_iter()
        .map(|n| (n, kind::STRING))
        .collect();
    v.push((BLKIO_WEIGHT, kind::UINT));
    v
}

/// The parameters `virDomainSetNumaParameters` takes.
pub fn numa_accepted() -> Vec<(&'static str, i32)> {
    vec![(NUMA_MODE, kind::INT), (NUMA_NODESET, kind::STRING)]
}

/// The parameters `virDomainSetInterfaceParameters` takes.
pub fn bandwidth_accepted() -> Vec<(&'static str, i32)> {
    BANDWIDTH_PARAMS
        .into_iter()
        .map(|n| (n, kind::UINT))
        .collect()
}

/// The parameters `virDomainSetBlockIoTune` takes.
pub fn iotune_accepted() -> Vec<(&'static str, i32)> {
    IOTUNE_PARAMS
        .into_iter()
        .map(|n| {
            let k = if n == IOTUNE_GROUP_NAME {
                kind::STRING
            } else {
                kind::ULLONG
            };
            (n, k)
        })
        .collect()
}

/// The parameters `virDomainSetPerfEvents` takes.
pub fn perf_accepted() -> Vec<(&'static str, i32)> {
    PERF_EVENTS.iter().map(|n| (*n, kind::BOOLEAN)).collect()
}

/// libvirt's refusal of a throttling limit above `max` (its drivers' `*_BLOCK_IOTUNE_MAX`),
/// in error domain `from`.
pub fn check_iotune_max(params: &[TypedParam], max: u64, from: ErrorDomain) -> Result<()> {
    if params
        .iter()
        .any(|p| matches!(p.value, TypedParamValue::ULLong(v) if v > max))
    {
        return Err(Error::with_detail(
            from,
            ErrorNumber::ARGUMENT_UNSUPPORTED,
            format!("block I/O throttle limit value must be no more than {max}"),
        ));
    }
    Ok(())
}

/// The perf events (`VIR_PERF_PARAM_*`), in libvirt's order.
pub fn perf_event_names() -> &'static [&'static str] {
    PERF_EVENTS
}

fn ull(name: &str, v: u64) -> TypedParam {
    TypedParam::new(name, TypedParamValue::ULLong(v))
}

fn uint(name: &str, v: u32) -> TypedParam {
    TypedParam::new(name, TypedParamValue::UInt(v))
}

/// The memory limits a `virDomainSetMemoryParameters` call changes, in KiB
/// ([`MEMORY_PARAM_UNLIMITED`] clears one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemtuneChange {
    /// `hard_limit`.
    pub hard: Option<u64>,
    /// `soft_limit`.
    pub soft: Option<u64>,
    /// `min_guarantee`.
    pub min_guarantee: Option<u64>,
    /// `swap_hard_limit`.
    pub swap: Option<u64>,
}

impl MemtuneChange {
    /// The limits among `params` (already validated as unsigned long longs).
    pub fn from_params(params: &[TypedParam]) -> MemtuneChange {
        MemtuneChange {
            hard: get_ullong(params, MEMORY_HARD_LIMIT),
            soft: get_ullong(params, MEMORY_SOFT_LIMIT),
            min_guarantee: get_ullong(params, MEMORY_MIN_GUARANTEE),
            swap: get_ullong(params, MEMORY_SWAP_HARD_LIMIT),
        }
    }

    /// libvirt's check that the hard limit stays within the swap hard limit, the limits not
    /// changed taken from `base`; refused in error domain `from`.
    pub fn check(&self, base: &DomainDef, from: ErrorDomain) -> Result<()> {
        if self.hard.is_none() && self.swap.is_none() {
            return Ok(());
        }
        let hard = self.hard.unwrap_or_else(|| base.memtune_limit(0));
        let swap = self.swap.unwrap_or_else(|| base.memtune_limit(3));
        if hard > swap {
            return Err(Error::invalid_arg(
                from,
                "memory hard_limit tunable value must be lower than or equal to swap_hard_limit",
            ));
        }
        Ok(())
    }

    /// Writes the changed limits into `def`.
    pub fn apply(&self, def: &mut DomainDef) {
        for (i, v) in [self.hard, self.soft, self.min_guarantee, self.swap]
            .into_iter()
            .enumerate()
        {
            if let Some(v) = v {
                def.extras.memtune[i] = (v < MEMORY_PARAM_UNLIMITED).then_some(v);
            }
        }
    }
}

/// One disk's block I/O throttling (`<iotune>`), as libvirt's `virDomainBlockIoTuneInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockIoTune {
    /// The numeric limits, indexed as [`IOTUNE_PARAMS`] without the group name.
    pub limits: [u64; 19],
    /// `<group_name>`.
    pub group_name: Option<String>,
}

/// The index in [`BlockIoTune::limits`] of numeric parameter `name`.
fn iotune_index(name: &str) -> Option<usize> {
    IOTUNE_PARAMS
        .iter()
        .filter(|n| **n != IOTUNE_GROUP_NAME)
        .position(|n| *n == name)
}

impl BlockIoTune {
    /// The limit called `name` (an entry of [`IOTUNE_PARAMS`]), 0 when unset or unknown.
    pub fn get(&self, name: &str) -> u64 {
        iotune_index(name).map_or(0, |i| self.limits[i])
    }

    /// The 20 parameters of `virDomainGetBlockIoTune`, in libvirt's order.
    pub fn params(&self) -> Vec<TypedParam> {
        IOTUNE_PARAMS
            .iter()
            .map(|n| {
                if *n == IOTUNE_GROUP_NAME {
                    TypedParam::new(
                        *n,
                        TypedParamValue::String(self.group_name.clone().unwrap_or_default()),
                    )
                } else {
                    ull(n, self.get(n))
                }
            })
            .collect()
    }

    /// Sets the limits and group name `params` give (already validated).
    pub fn apply(&mut self, params: &[TypedParam]) {
        for p in params {
            match (&p.value, iotune_index(&p.field)) {
                (TypedParamValue::ULLong(v), Some(i)) => self.limits[i] = *v,
                (TypedParamValue::String(s), _) if p.field == IOTUNE_GROUP_NAME => {
                    self.group_name = Some(s.clone()).filter(|s| !s.is_empty());
                }
                _ => {}
            }
        }
    }

    /// libvirt's check of a throttling setting that a total limit excludes the matching read
    /// and write ones. Refused in error domain `from`.
    pub fn check_totals(&self, from: ErrorDomain) -> Result<()> {
        for kind in ["bytes_sec", "iops_sec", "bytes_sec_max", "iops_sec_max"] {
            let total = self.get(&format!("total_{kind}"));
            if total != 0
                && (self.get(&format!("read_{kind}")) != 0
                    || self.get(&format!("write_{kind}")) != 0)
            {
                return Err(Error::invalid_arg(
                    from,
                    format!("total and read/write of {kind} cannot be set at the same time"),
                ));
            }
        }
        Ok(())
    }

    /// libvirt's test driver's checks: [`BlockIoTune::check_totals`], and no limit above its
    /// burst maximum, even an unset (0) one.
    pub fn check(&self, from: ErrorDomain) -> Result<()> {
        self.check_totals(from)?;
        for dir in ["total", "read", "write"] {
            for kind in ["bytes_sec", "iops_sec"] {
                let (v, max) = (format!("{dir}_{kind}"), format!("{dir}_{kind}_max"));
                // libvirt compares even against an unset maximum (0).
                if self.get(&v) > self.get(&max) {
                    return Err(Error::invalid_arg(
                        from,
                        format!("{v} cannot be set higher than {max} "),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl DiskDef {
    /// The disk's `<iotune>` throttling.
    pub fn iotune(&self) -> BlockIoTune {
        let mut t = BlockIoTune::default();
        let Some(el) = self.extra.iter().find(|e| e.name == "iotune") else {
            return t;
        };
        for c in el.elements() {
            let text = c.text().unwrap_or("").trim();
            if c.name == IOTUNE_GROUP_NAME {
                t.group_name = Some(text.to_string()).filter(|s| !s.is_empty());
            } else if let Some(i) = iotune_index(&c.name) {
                t.limits[i] = text.parse().unwrap_or(0);
            }
        }
        t
    }

    /// Replaces the disk's `<iotune>` with `t` (none when nothing is set), in libvirt's form.
    pub fn set_iotune(&mut self, t: &BlockIoTune) {
        let children: Vec<RawNode> = IOTUNE_PARAMS
            .iter()
            .filter_map(|n| {
                let text = if *n == IOTUNE_GROUP_NAME {
                    t.group_name.clone()?
                } else {
                    Some(t.get(n)).filter(|v| *v != 0)?.to_string()
                };
                Some(RawNode::Element(RawElement {
                    name: n.to_string(),
                    attrs: Vec::new(),
                    children: vec![RawNode::Text(text)],
                }))
            })
            .collect();
        let el = (!children.is_empty()).then(|| RawElement {
            name: "iotune".into(),
            attrs: Vec::new(),
            children,
        });
        set_kept(
            &mut self.extra,
            "iotune",
            el,
            super::devices::disk_child_rank,
        );
    }
}

/// Puts `el` in place of the kept child called `name` of a device (removing it when `None`),
/// keeping the children in libvirt's order by `rank`.
fn set_kept(extra: &mut Vec<RawElement>, name: &str, el: Option<RawElement>, rank: fn(&str) -> u8) {
    extra.retain(|e| e.name != name);
    if let Some(el) = el {
        extra.push(el);
        extra.sort_by_key(|e| rank(&e.name));
    }
}

/// One direction of an interface's `<bandwidth>`: average, peak, floor, burst.
type Rate = [u64; 4];

fn rate_of(bandwidth: Option<&RawElement>, dir: &str) -> Option<Rate> {
    let el = bandwidth?.child(dir)?;
    let mut r = [0u64; 4];
    for (i, a) in ["average", "peak", "floor", "burst"].iter().enumerate() {
        r[i] = el.attr(a).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    }
    Some(r)
}

fn rate_element(dir: &str, r: Rate) -> RawElement {
    let attrs = ["average", "peak", "floor", "burst"]
        .iter()
        .zip(r)
        .filter(|(_, v)| *v != 0)
        .map(|(a, v)| (a.to_string(), v.to_string()))
        .collect();
    RawElement {
        name: dir.into(),
        attrs,
        children: Vec::new(),
    }
}

impl NetDef {
    /// The 7 parameters of `virDomainGetInterfaceParameters`, in libvirt's order (the wire
    /// carries them as unsigned ints, so larger rates are cut as libvirt cuts them).
    pub fn bandwidth_params(&self) -> Vec<TypedParam> {
        let bw = self.extra.iter().find(|e| e.name == "bandwidth");
        let i = rate_of(bw, "inbound").unwrap_or_default();
        let o = rate_of(bw, "outbound").unwrap_or_default();
        let values = [i[0], i[1], i[3], i[2], o[0], o[1], o[3]];
        BANDWIDTH_PARAMS
            .iter()
            .zip(values)
            .map(|(n, v)| uint(n, v as u32))
            .collect()
    }

    /// libvirt's change of an interface's bandwidth by `params` (already validated): a
    /// direction is set when its average (or inbound floor) is, and cleared when one of those
    /// is given as 0; peak and burst alone change nothing. With `keep_empty` a `<bandwidth>`
    /// left with neither direction stays, printed as an empty element pair, as libvirt keeps
    /// it in the test driver and in a QEMU domain's persistent definition (a running QEMU
    /// domain's drops it).
    pub fn set_bandwidth(&mut self, params: &[TypedParam], keep_empty: bool) {
        let mut new_in: Rate = [0; 4];
        let mut new_out: Rate = [0; 4];
        let (mut in_given, mut out_given) = (false, false);
        for p in params {
            let TypedParamValue::UInt(v) = p.value else {
                continue;
            };
            let v = u64::from(v);
            match p.field.as_str() {
                "inbound.average" => (new_in[0], in_given) = (v, true),
                "inbound.peak" => new_in[1] = v,
                "inbound.floor" => (new_in[2], in_given) = (v, true),
                "inbound.burst" => new_in[3] = v,
                "outbound.average" => (new_out[0], out_given) = (v, true),
                "outbound.peak" => new_out[1] = v,
                "outbound.burst" => new_out[3] = v,
                _ => {}
            }
        }
        let new_in = (new_in[0] != 0 || new_in[2] != 0).then_some(new_in);
        let new_out = (new_out[0] != 0).then_some(new_out);
        let old = self.extra.iter().find(|e| e.name == "bandwidth");
        let (inbound, outbound) = match old {
            None => (new_in, new_out),
            Some(_) => {
                let pick = |new: Option<Rate>, given: bool, dir: &str| match new {
                    Some(r) => Some(r),
                    None if given => None,
                    None => rate_of(old, dir),
                };
                (
                    pick(new_in, in_given, "inbound"),
                    pick(new_out, out_given, "outbound"),
                )
            }
        };
        let children: Vec<RawNode> = [("inbound", inbound), ("outbound", outbound)]
            .into_iter()
            .filter_map(|(d, r)| Some(RawNode::Element(rate_element(d, r?))))
            .collect();
        // Read back, an empty <bandwidth> is none, as in libvirt.
        let el = (keep_empty || !children.is_empty()).then(|| RawElement {
            name: "bandwidth".into(),
            attrs: Vec::new(),
            children,
        });
        set_kept(
            &mut self.extra,
            "bandwidth",
            el,
            super::devices::net_child_rank,
        );
    }
}

impl DomainDef {
    /// A `<memtune>` limit in KiB (0 hard, 1 soft, 2 min_guarantee, 3 swap_hard), libvirt's
    /// unlimited when unset.
    pub fn memtune_limit(&self, which: usize) -> u64 {
        self.extras.memtune[which].unwrap_or(MEMORY_PARAM_UNLIMITED)
    }

    /// The hard, soft and swap hard limits as `virDomainGetMemoryParameters` gives them.
    pub fn memtune_params(&self) -> Vec<TypedParam> {
        vec![
            ull(MEMORY_HARD_LIMIT, self.memtune_limit(0)),
            ull(MEMORY_SOFT_LIMIT, self.memtune_limit(1)),
            ull(MEMORY_SWAP_HARD_LIMIT, self.memtune_limit(3)),
        ]
    }

    /// The weight and the per-device lists (`path,value` pairs joined by commas, devices
    /// without the value left out) as `virDomainGetBlkioParameters` gives them.
    pub fn blkio_params(&self) -> Vec<TypedParam> {
        let x = &self.extras;
        let mut out = vec![uint(BLKIO_WEIGHT, x.blkio_weight)];
        for (i, name) in BLKIO_DEVICE_PARAMS.iter().enumerate() {
            let list: Vec<String> = x
                .blkio_devices
                .iter()
                .map(|d| (d, blkio_value(d, i)))
                .filter(|(_, v)| *v != 0)
                .map(|(d, v)| format!("{},{v}", d.path))
                .collect();
            out.push(TypedParam::new(
                *name,
                TypedParamValue::String(list.join(",")),
            ));
        }
        out
    }

    /// Applies `virDomainSetBlkioParameters` `params` (already validated): the weight, and
    /// per-device values merged into the devices by path. Every device list is parsed before
    /// anything changes, so a malformed one leaves the definition as it was.
    pub fn set_blkio_params(&mut self, params: &[TypedParam]) -> Result<()> {
        let mut lists = Vec::new();
        for p in params {
            if let (Some(i), TypedParamValue::String(s)) = (
                BLKIO_DEVICE_PARAMS.iter().position(|n| *n == p.field),
                &p.value,
            ) {
                lists.push((i, parse_blkio_devices(s, &p.field, i)?));
            }
        }
        for p in params {
            if let (BLKIO_WEIGHT, TypedParamValue::UInt(w)) = (p.field.as_str(), &p.value) {
                self.extras.blkio_weight = *w;
            }
        }
        for (i, devices) in lists {
            for (path, v) in devices {
                let devs = &mut self.extras.blkio_devices;
                let d = match devs.iter().position(|d| d.path == path) {
                    Some(at) => &mut devs[at],
                    None if v == 0 => continue,
                    None => {
                        devs.push(super::BlkioDevice {
                            path,
                            ..Default::default()
                        });
                        devs.last_mut().expect("just pushed")
                    }
                };
                match i {
                    0 => d.weight = v as u32,
                    1 => d.read_iops = v as u32,
                    2 => d.write_iops = v as u32,
                    3 => d.read_bytes = v,
                    _ => d.write_bytes = v,
                }
            }
        }
        Ok(())
    }

    /// The `<numatune>` memory mode as `virDomainNumatuneGetMode` gives it (`None` when no
    /// `<memory>` is given).
    pub fn numa_mode(&self) -> Option<i32> {
        let (mode, _) = self.extras.numatune.as_ref()?.memory.as_ref()?;
        NUMA_MODES
            .iter()
            .position(|m| *m == mode.as_ref())
            .map(|i| i as i32)
    }

    /// The `<numatune>` memory node set (`None` when unset or placed automatically).
    pub fn numa_nodeset(&self) -> Option<&str> {
        let (_, nodeset) = self.extras.numatune.as_ref()?.memory.as_ref()?;
        nodeset.as_deref()
    }

    /// The mode (strict when unset) and node set (empty when unset or placed automatically)
    /// as `virDomainGetNumaParameters` gives them.
    pub fn numa_params(&self) -> Vec<TypedParam> {
        let nodeset = self.numa_nodeset().unwrap_or_default().to_string();
        vec![
            TypedParam::new(
                NUMA_MODE,
                TypedParamValue::Int(self.numa_mode().unwrap_or(0)),
            ),
            TypedParam::new(NUMA_NODESET, TypedParamValue::String(nodeset)),
        ]
    }

    /// libvirt's `virDomainNumatuneSet` for the whole guest: a new mode and/or node set. A
    /// first setting defaults to strict, placed statically when a node set is given or the
    /// vCPUs are placed statically, automatically otherwise (which drops the node set).
    pub fn set_numatune(&mut self, mode: Option<i32>, nodeset: Option<&[u32]>) -> Result<()> {
        if mode.is_none() && nodeset.is_none() {
            return Ok(());
        }
        let placement_static = self.vcpu_placement == "static";
        let current = self.extras.numatune.as_ref().and_then(|n| n.memory.clone());
        let specified = current.is_some();
        let mode = match mode {
            Some(m) => m,
            None => self.numa_mode().unwrap_or(0),
        };
        let Some(mode_name) = usize::try_from(mode).ok().and_then(|m| NUMA_MODES.get(m)) else {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!("Unsupported numatune mode '{mode}'"),
            ));
        };
        let nodeset = match nodeset {
            Some(n) => Some(format_cpuset(n)),
            None if !specified => {
                // A first setting without a node set: placed automatically unless the vCPUs
                // are placed statically, which needs a node set.
                if placement_static {
                    return Err(Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::CONFIG_UNSUPPORTED,
                        "nodeset for NUMA memory tuning must be set if 'placement' is 'static'",
                    ));
                }
                None
            }
            None => current.and_then(|(_, s)| s),
        };
        let nt = self.extras.numatune.get_or_insert_with(Default::default);
        nt.memory = Some((token(mode_name, &NUMA_MODES), nodeset));
        Ok(())
    }

    /// The index of the disk [`DomainDef::disk_by_name`] finds.
    pub fn disk_index_by_name(&self, name: &str) -> Option<usize> {
        let disk = self.disk_by_name(name)?;
        self.devices
            .disks
            .iter()
            .position(|d| std::ptr::eq(d, disk))
    }

    /// libvirt's `virDomainNetFind`: the index of the interface `device` names, by MAC address
    /// when it is one, else by host-side device name.
    pub fn net_find(&self, device: &str) -> Result<usize> {
        let mac = super::parse_mac(device);
        self.devices
            .interfaces
            .iter()
            .position(|n| match mac {
                Some(m) => super::parse_mac(&n.mac) == Some(m),
                None => n.target_dev.as_deref() == Some(device),
            })
            .ok_or_else(|| {
                Error::invalid_arg(
                    ErrorDomain::DOMAIN,
                    format!("'{device}' is not a known interface"),
                )
            })
    }

    /// Every perf event and whether it is enabled, as `virDomainGetPerfEvents` gives them.
    pub fn perf_params(&self) -> Vec<TypedParam> {
        PERF_EVENTS
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let on = self
                    .extras
                    .perf
                    .iter()
                    .any(|(e, enabled)| usize::from(*e) == i && *enabled);
                TypedParam::new(*n, TypedParamValue::Boolean(on))
            })
            .collect()
    }

    /// The perf events this definition enables, in libvirt's order.
    pub fn enabled_perf_events(&self) -> Vec<&'static str> {
        self.extras
            .perf
            .iter()
            .filter(|(_, on)| *on)
            .filter_map(|(i, _)| PERF_EVENTS.get(usize::from(*i)).copied())
            .collect()
    }

    /// Enables or disables the perf events `params` name (already validated as booleans).
    pub fn set_perf_events(&mut self, params: &[TypedParam]) {
        for p in params {
            let (Some(i), TypedParamValue::Boolean(on)) =
                (PERF_EVENTS.iter().position(|n| *n == p.field), &p.value)
            else {
                continue;
            };
            let perf = &mut self.extras.perf;
            match perf.iter_mut().find(|(e, _)| usize::from(*e) == i) {
                Some(slot) => slot.1 = *on,
                None => perf.push((i as u8, *on)),
            }
            perf.sort_by_key(|(e, _)| *e);
        }
    }
}

/// The NUMA mode and node set of a `virDomainSetNumaParameters` call (already validated),
/// refused as libvirt's drivers refuse them, in error domain `from`: a mode outside
/// `virDomainNumatuneMemMode`, a malformed or empty node set.
pub fn numa_request(
    params: &[TypedParam],
    from: ErrorDomain,
) -> Result<(Option<i32>, Option<Vec<u32>>)> {
    let (mut mode, mut nodeset) = (None, None);
    for p in params {
        match (&p.value, p.field.as_str()) {
            (TypedParamValue::Int(m), NUMA_MODE) => {
                if *m < 0 || *m as usize >= NUMA_MODES.len() {
                    return Err(Error::invalid_arg(
                        from,
                        format!("unsupported numatune mode: '{m}'"),
                    ));
                }
                mode = Some(*m);
            }
            (TypedParamValue::String(s), NUMA_NODESET) => {
                let set = super::bitmap(s)?;
                if set.is_empty() {
                    return Err(Error::operation_invalid(
                        from,
                        format!("Invalid nodeset of 'numatune': {s}"),
                    ));
                }
                nodeset = Some(set);
            }
            _ => {}
        }
    }
    Ok((mode, nodeset))
}

fn blkio_value(d: &super::BlkioDevice, i: usize) -> u64 {
    match i {
        0 => u64::from(d.weight),
        1 => u64::from(d.read_iops),
        2 => u64::from(d.write_iops),
        3 => d.read_bytes,
        _ => d.write_bytes,
    }
}

/// The devices and values of blkio parameter `field` (one of [`BLKIO_DEVICE_PARAMS`]) given as
/// `s`, refused as libvirt's `virDomainDriverParseBlkioDeviceStr` refuses them.
pub fn blkio_device_list(field: &str, s: &str) -> Result<Vec<(String, u64)>> {
    let i = BLKIO_DEVICE_PARAMS
        .iter()
        .position(|n| *n == field)
        .ok_or_else(|| {
            Error::invalid_arg(
                ErrorDomain::DOMAIN,
                format!("Unknown blkio parameter {field}"),
            )
        })?;
    parse_blkio_devices(s, field, i)
}

/// libvirt's `virDomainDriverParseBlkioDeviceStr`: `path,value[,path,value…]` (empty for
/// none). The IOPS and weight values must fit an unsigned int.
fn parse_blkio_devices(s: &str, field: &str, i: usize) -> Result<Vec<(String, u64)>> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let parse_error = || {
        Error::invalid_arg(
            ErrorDomain::DOMAIN,
            format!("unable to parse blkio device '{field}' '{s}'"),
        )
    };
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() % 2 != 0 {
        return Err(parse_error());
    }
    let mut out = Vec::new();
    for pair in parts.chunks(2) {
        let (path, text) = (pair[0], pair[1]);
        let t = text.trim_start();
        let t = t.strip_prefix('+').unwrap_or(t);
        let value = t
            .parse::<u64>()
            .ok()
            .filter(|v| i >= 3 || *v <= u64::from(u32::MAX));
        let Some(value) = value else {
            // libvirt names the text from the value to the end of the string.
            let rest = &s[text.as_ptr() as usize - s.as_ptr() as usize..];
            return Err(Error::invalid_arg(
                ErrorDomain::DOMAIN,
                format!("invalid value '{rest}' for parameter '{field}' of device '{path}'"),
            ));
        };
        out.push((path.to_string(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(xml: &str) -> DomainDef {
        DomainDef::parse_xml(xml, Default::default()).unwrap()
    }

    const BASE: &str = "<domain type='test'><name>t</name><memory>1024</memory>\
        <os><type>hvm</type></os><devices>\
        <disk type='file'><source file='/a'/><target dev='vda'/></disk>\
        <interface type='network'><mac address='52:54:00:00:00:01'/><source network='n'/>\
        <target dev='mytap7'/></interface></devices></domain>";

    #[test]
    fn memtune_limits_unset_read_as_unlimited_and_check_swap() {
        let mut d = def(BASE);
        assert_eq!(
            d.memtune_params()[0].value,
            TypedParamValue::ULLong(MEMORY_PARAM_UNLIMITED)
        );
        let c = MemtuneChange {
            hard: Some(2000),
            swap: Some(1000),
            ..Default::default()
        };
        assert!(c.check(&d, ErrorDomain::TEST).is_err());
        let c = MemtuneChange {
            hard: Some(500),
            ..Default::default()
        };
        c.check(&d, ErrorDomain::TEST).unwrap();
        c.apply(&mut d);
        assert_eq!(d.memtune_limit(0), 500);
        MemtuneChange {
            hard: Some(MEMORY_PARAM_UNLIMITED),
            ..Default::default()
        }
        .apply(&mut d);
        assert_eq!(d.extras.memtune[0], None);
    }

    #[test]
    fn blkio_devices_merge_by_path_and_refuse_bad_lists_whole() {
        let mut d = def(BASE);
        let s = |n: &str, v: &str| TypedParam::new(n, TypedParamValue::String(v.into()));
        d.set_blkio_params(&[s("device_weight", "/dev/sda,500,/dev/sdb,100")])
            .unwrap();
        d.set_blkio_params(&[s("device_read_iops_sec", "/dev/sda,7")])
            .unwrap();
        assert_eq!(
            d.blkio_params()[1].value,
            TypedParamValue::String("/dev/sda,500,/dev/sdb,100".into())
        );
        assert_eq!(
            d.blkio_params()[2].value,
            TypedParamValue::String("/dev/sda,7".into())
        );
        let e = d
            .set_blkio_params(&[
                TypedParam::new("weight", TypedParamValue::UInt(9)),
                s("device_weight", "/dev/sda,x"),
            ])
            .unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: invalid value 'x' for parameter 'device_weight' of device '/dev/sda'"
        );
        assert_eq!(d.extras.blkio_weight, 0, "nothing applied");
        let e = d
            .set_blkio_params(&[s("device_weight", "/dev/sda")])
            .unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: unable to parse blkio device 'device_weight' '/dev/sda'"
        );
    }

    #[test]
    fn iotune_round_trips_through_the_disk_and_checks_conflicts() {
        let mut d = def(BASE);
        let disk = &mut d.devices.disks[0];
        let mut t = disk.iotune();
        t.apply(&[
            TypedParam::new("read_bytes_sec", TypedParamValue::ULLong(10)),
            TypedParam::new("read_bytes_sec_max", TypedParamValue::ULLong(20)),
            TypedParam::new("group_name", TypedParamValue::String("g".into())),
        ]);
        t.check(ErrorDomain::TEST).unwrap();
        disk.set_iotune(&t);
        assert_eq!(disk.iotune(), t);
        let mut bad = t.clone();
        bad.apply(&[TypedParam::new(
            "total_bytes_sec",
            TypedParamValue::ULLong(1),
        )]);
        assert!(bad.check(ErrorDomain::TEST).is_err());
        let mut over = BlockIoTune::default();
        over.apply(&[TypedParam::new(
            "write_iops_sec",
            TypedParamValue::ULLong(5),
        )]);
        let e = over.check(ErrorDomain::TEST).unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: write_iops_sec cannot be set higher than write_iops_sec_max "
        );
        disk.set_iotune(&BlockIoTune::default());
        assert!(disk.extra.iter().all(|e| e.name != "iotune"));
    }

    #[test]
    fn interfaces_are_found_by_mac_or_name_and_bandwidth_merges() {
        let mut d = def(BASE);
        assert_eq!(d.net_find("52:54:00:00:00:01").unwrap(), 0);
        assert_eq!(d.net_find("mytap7").unwrap(), 0);
        assert!(d.net_find("mytap8").is_err());
        let u = |n: &str, v: u32| TypedParam::new(n, TypedParamValue::UInt(v));
        let net = &mut d.devices.interfaces[0];
        net.set_bandwidth(
            &[
                u("inbound.average", 100),
                u("inbound.peak", 200),
                u("outbound.average", 5),
            ],
            false,
        );
        net.set_bandwidth(&[u("outbound.average", 0)], false);
        let p = net.bandwidth_params();
        assert_eq!(p[0].value, TypedParamValue::UInt(100));
        assert_eq!(p[1].value, TypedParamValue::UInt(200));
        assert_eq!(p[4].value, TypedParamValue::UInt(0));
        net.set_bandwidth(&[u("inbound.average", 0)], false);
        assert!(net.extra.iter().all(|e| e.name != "bandwidth"));
        // Kept empty, it prints as libvirt prints it.
        net.set_bandwidth(&[u("inbound.average", 0)], true);
        let xml = d.format_xml(Default::default());
        assert!(xml.contains("<bandwidth>\n      </bandwidth>\n"), "{xml}");
    }

    #[test]
    fn numatune_first_setting_and_mode_changes() {
        let mut d = def(BASE);
        assert!(
            d.set_numatune(Some(1), None).is_err(),
            "static vCPUs need a node set"
        );
        d.set_numatune(Some(1), Some(&[0, 1])).unwrap();
        assert_eq!(d.numa_mode(), Some(1));
        assert_eq!(
            d.numa_params()[1].value,
            TypedParamValue::String("0-1".into())
        );
        d.set_numatune(Some(2), None).unwrap();
        assert_eq!(
            d.numa_params()[1].value,
            TypedParamValue::String("0-1".into())
        );
        assert!(d.set_numatune(Some(7), None).is_err());
    }

    #[test]
    fn perf_events_toggle() {
        let mut d = def(BASE);
        d.set_perf_events(&[TypedParam::new("cmt", TypedParamValue::Boolean(true))]);
        assert_eq!(d.perf_params()[0].value, TypedParamValue::Boolean(true));
        assert_eq!(d.perf_params().len(), 22);
    }
}
