//! The top-level domain elements most guests leave out: genid, tuning (blkio, memory, CPU,
//! NUMA, I/O threads), resource partition, sysinfo, idmap, lock-failure action, power
//! management, perf events, security labels and key wrapping. They live in one [`Sparse`] part
//! of the definition, so a plain guest pays one pointer for all of them.
//!
//! Elements rvirt does not model yet (`<vcpus>`, `<bootloader>`) are kept as written, and
//! `<launchSecurity>` as a tree in libvirt's form, each at its place in libvirt's order.

use super::out::Out;
use super::{format_cpuset, parse_cpuset};
use crate::raw::RawElement;
use crate::sparse::{Empty, Token, token};
use crate::units::{parse_memory_kib, parse_ull};
use crate::xml::{self, attr_enum, child};
use rvirt_types::{Result, Uuid};

/// The place of a top-level element in libvirt's output order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    /// After `<uuid>`.
    Genid,
    /// After `<currentMemory>`: blkiotune, memtune, memoryBacking.
    AfterMemory,
    /// After `<vcpu>`: vcpus, iothreads, cputune, numatune, resource, sysinfo, bootloader.
    AfterVcpu,
    /// After `<os>`: idmap.
    AfterOs,
    /// After `<features>`: cpu.
    AfterFeatures,
    /// After `<on_crash>`: on_lockfailure, pm, perf.
    AfterLifecycle,
    /// After `<devices>`: seclabel, keywrap, launchSecurity.
    AfterDevices,
}

/// One `<idmap>` entry: start, target, count.
pub type IdMapEntry = [u32; 3];

/// `<blkiotune><device>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BlkioDevice {
    /// `<path>`.
    pub path: String,
    /// `<weight>`.
    pub weight: u32,
    /// `<read_iops_sec>`.
    pub read_iops: u32,
    /// `<write_iops_sec>`.
    pub write_iops: u32,
    /// `<read_bytes_sec>`.
    pub read_bytes: u64,
    /// `<write_bytes_sec>`.
    pub write_bytes: u64,
}

impl BlkioDevice {
    /// The five settings in the order of `params::BLKIO_DEVICE_PARAMS` (0: unset).
    pub fn values(&self) -> [u64; 5] {
        [
            u64::from(self.weight),
            u64::from(self.read_iops),
            u64::from(self.write_iops),
            self.read_bytes,
            self.write_bytes,
        ]
    }
}

/// `<memoryBacking>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemoryBacking {
    /// `<hugepages>`: `Some(empty)` for the default page size; `(KiB, nodeset)` per `<page>`.
    pub hugepages: Option<Vec<(u64, Option<String>)>>,
    /// `<nosharepages/>`.
    pub nosharepages: bool,
    /// `<locked/>`.
    pub locked: bool,
    /// `<source type>`.
    pub source: Option<Token>,
    /// `<access mode>`.
    pub access: Option<Token>,
    /// `<allocation mode>`.
    pub allocation: Option<Token>,
    /// `<allocation threads>`.
    pub allocation_threads: u32,
    /// `<discard/>`.
    pub discard: bool,
}

/// A thread scheduler (`batch`, `idle`, `fifo`, `rr`) and, for `fifo` and `rr`, its priority.
pub type Sched = (Token, Option<i32>);

/// One I/O thread: `<iothread id thread_pool_min thread_pool_max>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoThread {
    /// Its id (non-zero).
    pub id: u32,
    /// Filled in to reach the `<iothreads>` count rather than written.
    pub autofill: bool,
    /// `thread_pool_min`.
    pub pool_min: Option<i32>,
    /// `thread_pool_max`.
    pub pool_max: Option<i32>,
    /// `<cputune><iothreadpin cpuset>`.
    pub pin: Option<String>,
    /// `<cputune><iothreadsched>`: scheduler and priority.
    pub sched: Option<Sched>,
}

/// `<cputune>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CpuTune {
    /// `<shares>`.
    pub shares: Option<u64>,
    /// `period`, `quota`, `global_period`, `global_quota`, `emulator_period`, `emulator_quota`,
    /// `iothread_period`, `iothread_quota`, in that order; 0 when absent.
    pub limits: [i64; 8],
    /// `<vcpupin>`: (vcpu, cpuset), sorted by vcpu.
    pub vcpupin: Vec<(u32, String)>,
    /// `<emulatorpin cpuset>`.
    pub emulatorpin: Option<String>,
    /// Each vCPU's scheduler from `<vcpusched>`: (vcpu, scheduler, priority), by vcpu.
    pub vcpusched: Vec<(u32, Token, Option<i32>)>,
    /// `<emulatorsched>`: scheduler and priority.
    pub emulatorsched: Option<Sched>,
    /// `<cachetune>` and `<memorytune>` groups.
    pub resctrls: Vec<super::resctrl::Resctrl>,
}

const LIMIT_NAMES: [&str; 8] = [
    "period",
    "quota",
    "global_period",
    "global_quota",
    "emulator_period",
    "emulator_quota",
    "iothread_period",
    "iothread_quota",
];

/// `<numatune>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NumaTune {
    /// `<memory mode>` and either a nodeset (static placement) or `None` (auto placement).
    pub memory: Option<(Token, Option<String>)>,
    /// `<memnode cellid mode nodeset>`, sorted by cell.
    pub memnodes: Vec<(u32, Token, String)>,
}

/// `<sysinfo>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Sysinfo {
    /// `smbios` or `fwcfg`.
    pub kind: Token,
    /// SMBIOS sections in libvirt's order (bios, system, baseBoard…, chassis) with their
    /// entries in libvirt's order; for `fwcfg`, one unnamed section of `<entry name>` values.
    pub sections: Vec<(&'static str, Vec<(String, String)>)>,
    /// `<oemStrings><entry>`.
    pub oem_strings: Vec<String>,
}

/// `<seclabel>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SecLabel {
    /// `dynamic`, `static` or `none`.
    pub kind: Token,
    /// `model`.
    pub model: Option<String>,
    /// `relabel`.
    pub relabel: bool,
    /// `<label>`.
    pub label: Option<String>,
    /// `<imagelabel>`.
    pub imagelabel: Option<String>,
    /// `<baselabel>`.
    pub baselabel: Option<String>,
    /// Added by a driver rather than given in the definition: libvirt leaves such a `dac` (or
    /// `none`) label out of migratable XML. Runtime state, never parsed or formatted.
    pub implicit: bool,
}

/// The rarely given top-level elements of a domain.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DomainExtras {
    /// `<genid>`.
    pub genid: Option<Uuid>,
    /// `<blkiotune><weight>`.
    pub blkio_weight: u32,
    /// `<blkiotune><device>`.
    pub blkio_devices: Vec<BlkioDevice>,
    /// `<memtune>`: hard_limit, soft_limit, min_guarantee, swap_hard_limit in KiB.
    pub memtune: [Option<u64>; 4],
    /// `<memoryBacking>`.
    pub memory_backing: Option<MemoryBacking>,
    /// `<iothreads>`/`<iothreadids>`.
    pub iothreads: Vec<IoThread>,
    /// `<cputune>`.
    pub cputune: Option<Box<CpuTune>>,
    /// `<numatune>`.
    pub numatune: Option<NumaTune>,
    /// `<resource><partition>`.
    pub partition: Option<String>,
    /// `<sysinfo>` elements.
    pub sysinfo: Vec<Sysinfo>,
    /// `<idmap>`: uid and gid maps as (start, target, count).
    pub idmap: Option<(Vec<IdMapEntry>, Vec<IdMapEntry>)>,
    /// `<on_lockfailure>`.
    pub on_lockfailure: Option<Token>,
    /// `<pm>`: suspend-to-mem, suspend-to-disk.
    pub pm: [Option<bool>; 2],
    /// `<perf>`: (event index, enabled), in libvirt's event order.
    pub perf: Vec<(u8, bool)>,
    /// `<seclabel>` elements.
    pub seclabels: Vec<SecLabel>,
    /// `<keywrap>`: aes, dea.
    pub keywrap: [Option<bool>; 2],
    /// `<cpu>`.
    pub cpu: Option<Box<super::cpu::CpuDef>>,
    /// A running guest's `<cpu>` as it was before QEMU's CPU was written into it (libvirt's
    /// `origCPU`): what its migratable XML shows. Runtime only, never formatted with the
    /// definition.
    pub orig_cpu: Option<Box<super::cpu::CpuDef>>,
    /// Elements kept as written, with their place.
    pub kept: Vec<(Slot, u8, RawElement)>,
}

static EMPTY_EXTRAS: DomainExtras = DomainExtras {
    genid: None,
    blkio_weight: 0,
    blkio_devices: Vec::new(),
    memtune: [None; 4],
    memory_backing: None,
    iothreads: Vec::new(),
    cputune: None,
    numatune: None,
    partition: None,
    sysinfo: Vec::new(),
    idmap: None,
    on_lockfailure: None,
    pm: [None; 2],
    perf: Vec::new(),
    seclabels: Vec::new(),
    keywrap: [None; 2],
    cpu: None,
    orig_cpu: None,
    kept: Vec::new(),
};

impl Empty for DomainExtras {
    fn empty() -> &'static Self {
        &EMPTY_EXTRAS
    }
}

/// libvirt's perf events (`virPerfEventType`), in its order.
pub(super) const PERF_EVENTS: &[&str] = &[
    "cmt",
    "mbmt",
    "mbml",
    "cpu_cycles",
    "instructions",
    "cache_references",
    "cache_misses",
    "branch_instructions",
    "branch_misses",
    "bus_cycles",
    "stalled_cycles_frontend",
    "stalled_cycles_backend",
    "ref_cpu_cycles",
    "cpu_clock",
    "task_clock",
    "page_faults",
    "context_switches",
    "cpu_migrations",
    "page_faults_min",
    "page_faults_maj",
    "alignment_faults",
    "emulation_faults",
];
/// The largest `<iothreads>` count rvirt accepts.
const MAX_IOTHREADS: u32 = 1 << 16;
const LOCK_FAILURE: &[&str] = &["default", "poweroff", "restart", "pause", "ignore"];
const NUMA_MODES: &[&str] = &["strict", "preferred", "interleave", "restrictive"];
const SCHEDULERS: &[&str] = &["batch", "idle", "fifo", "rr"];
const SMBIOS_SECTIONS: &[(&str, &[&str])] = &[
    ("bios", &["vendor", "version", "date", "release"]),
    (
        "system",
        &[
            "manufacturer",
            "product",
            "version",
            "serial",
            "uuid",
            "sku",
            "family",
        ],
    ),
    (
        "baseBoard",
        &[
            "manufacturer",
            "product",
            "version",
            "serial",
            "asset",
            "location",
        ],
    ),
    (
        "chassis",
        &["manufacturer", "version", "serial", "asset", "sku"],
    ),
];

/// Where a top-level element rvirt keeps as written goes: its slot and rank within the slot.
fn kept_place(name: &str) -> Option<(Slot, u8)> {
    Some(match name {
        "vcpus" => (Slot::AfterVcpu, 0),
        "bootloader" => (Slot::AfterVcpu, 1),
        "bootloader_args" => (Slot::AfterVcpu, 2),
        "launchSecurity" => (Slot::AfterDevices, 0),
        _ => return None,
    })
}

/// A thread scheduler element's `scheduler` (required, not `none`) and, for the real-time
/// ones, `priority` (required), as libvirt reads them.
fn scheduler(node: roxmltree::Node<'_, '_>) -> Result<Sched> {
    let element = node.tag_name().name();
    let Some(sched) = node.attribute("scheduler") else {
        return Err(xml::xml_error(format!(
            "Missing required attribute 'scheduler' in element '{element}'"
        )));
    };
    if !SCHEDULERS.contains(&sched) {
        return Err(xml::invalid_enum_attr("scheduler", element, sched));
    }
    let prio = if matches!(sched, "fifo" | "rr") {
        let Some(p) = node.attribute("priority") else {
            return Err(xml::xml_error(format!(
                "Missing required attribute 'priority' in element '{element}'"
            )));
        };
        Some(p.trim_start().parse::<i32>().map_err(|_| {
            xml::xml_error(format!(
                "Invalid value for attribute 'priority' in element '{element}': '{p}'. \
                 Expected integer value"
            ))
        })?)
    } else {
        None
    };
    Ok((token(sched, SCHEDULERS), prio))
}

/// The ids and scheduler of `<vcpusched>` or `<iothreadsched>`.
fn sched_bitmap(node: roxmltree::Node<'_, '_>, attr: &str) -> Result<(Vec<u32>, Sched)> {
    let element = node.tag_name().name();
    let Some(text) = node.attribute(attr) else {
        return Err(xml::xml_error(format!(
            "Missing attribute '{attr}' in element '{element}'"
        )));
    };
    let set = super::bitmap(text)?;
    if set.is_empty() {
        return Err(xml::config_unsupported(format!(
            "'{attr}' scheduler bitmap '{text}' is empty"
        )));
    }
    Ok((set, scheduler(node)?))
}

fn overlap(element: &str, attr: &str) -> rvirt_types::Error {
    xml::xml_detail(format!("'{element}' attributes '{attr}' must not overlap"))
}

/// `<launchSecurity>` in libvirt's form: `type` s390-pv (nothing else), or sev with its
/// policy (required, hex, printed as `0x%04x`), C-bit position and reduced physical address
/// bits when given, DH certificate and session blobs.
fn launch_security(node: roxmltree::Node<'_, '_>) -> Result<RawElement> {
    let Some(kind) = node.attribute("type") else {
        return Err(xml::xml_error(
            "Missing required attribute 'type' in element 'launchSecurity'",
        ));
    };
    if !matches!(kind, "sev" | "s390-pv") {
        return Err(xml::invalid_enum_attr("type", "launchSecurity", kind));
    }
    let mut attrs = vec![("type".to_string(), kind.to_string())];
    let mut children = Vec::new();
    if kind == "sev" {
        if let Some(h) = tristate_bool(node, "kernelHashes")? {
            attrs.push(("kernelHashes".into(), if h { "yes" } else { "no" }.into()));
        }
        let text_el = |name: &str, text: String| {
            crate::raw::RawNode::Element(RawElement {
                name: name.to_string(),
                attrs: Vec::new(),
                children: vec![crate::raw::RawNode::Text(text)],
            })
        };
        let policy = text_of(node, "policy")
            .and_then(|p| u32::try_from(xml::parse_hex(p)?).ok())
            .ok_or_else(|| xml::xml_error("failed to get launch security policy"))?;
        for (name, what) in [
            ("cbitpos", "cbitpos"),
            ("reducedPhysBits", "reduced-phys-bits"),
        ] {
            if let Some(v) = text_of(node, name).filter(|v| !v.is_empty()) {
                let t = v.trim_start();
                let n: u32 = t.strip_prefix('+').unwrap_or(t).parse().map_err(|_| {
                    xml::xml_error(format!("Invalid format for launch security {what}"))
                })?;
                // libvirt prints these with %d, so a value past 2^31 comes out negative and
                // does not read back; rvirt prints it as given.
                children.push(text_el(name, n.to_string()));
            }
        }
        children.push(text_el("policy", format!("0x{policy:04x}")));
        for name in ["dhCert", "session"] {
            if let Some(v) = text_of(node, name).filter(|v| !v.is_empty()) {
                children.push(text_el(name, v.to_string()));
            }
        }
    }
    Ok(RawElement {
        name: "launchSecurity".into(),
        attrs,
        children,
    })
}

fn text_of<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    xml::child_text(node, name)
}

fn tristate_bool(node: roxmltree::Node<'_, '_>, attr: &str) -> Result<Option<bool>> {
    Ok(attr_enum(node, attr, &["yes", "no"])?.map(|v| v == "yes"))
}

fn tristate_switch(node: roxmltree::Node<'_, '_>, attr: &str) -> Result<Option<bool>> {
    Ok(attr_enum(node, attr, &["on", "off"])?.map(|v| v == "on"))
}

fn cpuset(s: &str) -> Result<String> {
    parse_cpuset(s)
        .map(|c| format_cpuset(&c))
        .ok_or_else(|| xml::xml_error(format!("Invalid value of 'cpuset': {s}")))
}

impl DomainExtras {
    /// Parses the elements of `root` this part holds. `vcpus_max` bounds `<vcpupin>`.
    pub(super) fn parse(
        root: roxmltree::Node<'_, '_>,
        vcpus_max: u32,
        live: bool,
    ) -> Result<DomainExtras> {
        let mut x = DomainExtras::default();
        let genids: Vec<_> = root
            .children()
            .filter(|c| c.has_tag_name("genid"))
            .collect();
        if genids.len() > 1 {
            return Err(xml::xml_error("element 'genid' can only appear once"));
        }
        if let Some(g) = genids.first() {
            let t = g.text().unwrap_or("");
            x.genid = Some(if t.is_empty() {
                Uuid::generate()
            } else {
                Uuid::parse(t).map_err(|_| xml::internal_error("malformed genid element"))?
            });
        }
        if let Some(c) = child(root, "cpu") {
            x.cpu = Some(Box::new(super::cpu::CpuDef::parse(c)?));
        }
        x.parse_memory(root)?;
        x.parse_iothreads(root)?;
        x.parse_cputune(root, vcpus_max)?;
        x.parse_numatune(root)?;
        if let Some(r) = child(root, "resource") {
            x.partition = text_of(r, "partition").map(str::to_string);
        }
        for s in root.children().filter(|c| c.has_tag_name("sysinfo")) {
            x.sysinfo.push(parse_sysinfo(s)?);
        }
        if let Some(m) = child(root, "idmap") {
            let read = |name: &str| -> Result<Vec<[u32; 3]>> {
                let mut v = Vec::new();
                for e in m.children().filter(|c| c.has_tag_name(name)) {
                    let mut entry = [0u32; 3];
                    for (i, a) in ["start", "target", "count"].iter().enumerate() {
                        entry[i] = e
                            .attribute(*a)
                            .and_then(|s| s.trim().parse().ok())
                            .ok_or_else(|| {
                                xml::xml_error("invalid idmap start/target/count settings")
                            })?;
                    }
                    v.push(entry);
                }
                v.sort_by_key(|e| e[0]);
                Ok(v)
            };
            x.idmap = Some((read("uid")?, read("gid")?));
        }
        if let Some(t) = xml::child_text(root, "on_lockfailure") {
            let t = t.trim();
            if !LOCK_FAILURE.contains(&t) {
                return Err(xml::config_unsupported(format!(
                    "unknown on_lockfailure action: {t}"
                )));
            }
            if t != "default" {
                x.on_lockfailure = Some(token(t, LOCK_FAILURE));
            }
        }
        if let Some(pm) = child(root, "pm") {
            for (i, n) in ["suspend-to-mem", "suspend-to-disk"].iter().enumerate() {
                if let Some(e) = child(pm, n) {
                    x.pm[i] = tristate_bool(e, "enabled")?;
                }
            }
        }
        if let Some(perf) = child(root, "perf") {
            for e in perf.children().filter(|c| c.has_tag_name("event")) {
                let name = attr_enum(e, "name", PERF_EVENTS)?.ok_or_else(|| {
                    xml::xml_error("Missing required attribute 'name' in element 'event'")
                })?;
                let enabled = tristate_bool(e, "enabled")?.ok_or_else(|| {
                    xml::xml_error("Missing required attribute 'enabled' in element 'event'")
                })?;
                let idx = PERF_EVENTS.iter().position(|p| *p == name).unwrap_or(0) as u8;
                if !x.perf.iter().any(|(i, _)| *i == idx) {
                    x.perf.push((idx, enabled));
                }
            }
            x.perf.sort_by_key(|(i, _)| *i);
        }
        for s in root.children().filter(|c| c.has_tag_name("seclabel")) {
            x.seclabels.push(parse_seclabel(s, live)?);
        }
        if let Some(k) = child(root, "keywrap") {
            for c in k.children().filter(|c| c.has_tag_name("cipher")) {
                let name = attr_enum(c, "name", &["aes", "dea"])?.ok_or_else(|| {
                    xml::xml_error("Missing required attribute 'name' in element 'cipher'")
                })?;
                let state = tristate_switch(c, "state")?.ok_or_else(|| {
                    xml::xml_error("Missing required attribute 'state' in element 'cipher'")
                })?;
                let i = usize::from(name == "dea");
                if x.keywrap[i].is_some() {
                    return Err(xml::internal_error(format!(
                        "A domain definition can have no more than one cipher node with name {name}"
                    )));
                }
                x.keywrap[i] = Some(state);
            }
        }
        for c in root.children().filter(|c| c.is_element()) {
            let name = c.tag_name().name();
            if let Some((slot, rank)) = kept_place(name) {
                let el = if name == "launchSecurity" {
                    if x.kept.iter().any(|(_, _, e)| e.name == name) {
                        continue;
                    }
                    launch_security(c)?
                } else {
                    RawElement::from_node(c, false)
                };
                x.kept.push((slot, rank, el));
            }
        }
        x.kept.sort_by_key(|(s, r, _)| (*s, *r));
        Ok(x)
    }

    fn parse_memory(&mut self, root: roxmltree::Node<'_, '_>) -> Result<()> {
        if let Some(b) = child(root, "blkiotune") {
            self.blkio_weight = text_of(b, "weight")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
            for d in b.children().filter(|c| c.has_tag_name("device")) {
                let Some(path) = text_of(d, "path") else {
                    return Err(xml::config_unsupported("missing per-device path"));
                };
                let num = |name: &str, what: &str| -> Result<u64> {
                    match text_of(d, name) {
                        None => Ok(0),
                        Some(t) => parse_ull(t).ok_or_else(|| {
                            xml::config_unsupported(format!("could not parse {what} {t}"))
                        }),
                    }
                };
                let small = |v: u64, what: &str, t: &str| -> Result<u32> {
                    u32::try_from(v)
                        .map_err(|_| xml::config_unsupported(format!("could not parse {what} {t}")))
                };
                let w = num("weight", "weight")?;
                let ri = num("read_iops_sec", "read iops sec")?;
                let wi = num("write_iops_sec", "write iops sec")?;
                let dev = BlkioDevice {
                    path: path.to_string(),
                    weight: small(w, "weight", text_of(d, "weight").unwrap_or(""))?,
                    read_iops: small(
                        ri,
                        "read iops sec",
                        text_of(d, "read_iops_sec").unwrap_or(""),
                    )?,
                    write_iops: small(
                        wi,
                        "write iops sec",
                        text_of(d, "write_iops_sec").unwrap_or(""),
                    )?,
                    read_bytes: num("read_bytes_sec", "read bytes sec")?,
                    write_bytes: num("write_bytes_sec", "write bytes sec")?,
                };
                if self.blkio_devices.iter().any(|o| o.path == dev.path) {
                    return Err(xml::config_unsupported(format!(
                        "duplicate blkio device path '{}'",
                        dev.path
                    )));
                }
                self.blkio_devices.push(dev);
            }
        }
        if let Some(m) = child(root, "memtune") {
            for (i, n) in [
                "hard_limit",
                "soft_limit",
                "min_guarantee",
                "swap_hard_limit",
            ]
            .iter()
            .enumerate()
            {
                let v = parse_memory_kib(child(m, n), &format!("./memtune/{n}[1]"))?;
                self.memtune[i] = v.filter(|v| i != 2 || *v > 0);
            }
        }
        if let Some(mb) = child(root, "memoryBacking") {
            let mut b = MemoryBacking::default();
            if let Some(s) = child(mb, "source").and_then(|s| s.attribute("type")) {
                const SOURCES: &[&str] = &["file", "anonymous", "memfd"];
                if !SOURCES.contains(&s) {
                    return Err(xml::config_unsupported(format!(
                        "unknown memoryBacking/source/type '{s}'"
                    )));
                }
                b.source = Some(token(s, SOURCES));
            }
            if let Some(s) = child(mb, "access").and_then(|s| s.attribute("mode")) {
                const ACCESS: &[&str] = &["shared", "private"];
                if !ACCESS.contains(&s) {
                    return Err(xml::config_unsupported(format!(
                        "unknown memoryBacking/access/mode '{s}'"
                    )));
                }
                b.access = Some(token(s, ACCESS));
            }
            if let Some(a) = child(mb, "allocation") {
                if let Some(s) = a.attribute("mode") {
                    const ALLOC: &[&str] = &["immediate", "ondemand"];
                    if !ALLOC.contains(&s) {
                        return Err(xml::config_unsupported(format!(
                            "unknown memoryBacking/allocation/mode '{s}'"
                        )));
                    }
                    b.allocation = Some(token(s, ALLOC));
                }
                if let Some(t) = a.attribute("threads") {
                    b.allocation_threads = t
                        .trim()
                        .parse()
                        .map_err(|_| xml::xml_error("Failed to parse memory allocation threads"))?;
                }
            }
            if let Some(h) = child(mb, "hugepages") {
                let mut pages = Vec::new();
                for p in h.children().filter(|c| c.has_tag_name("page")) {
                    let size = parse_page_size(p)?;
                    let nodeset = match p.attribute("nodeset") {
                        Some(n) => Some(cpuset(n)?),
                        None => None,
                    };
                    pages.push((size, nodeset));
                }
                // Without guest NUMA cells a page's nodeset selects nothing: every page is a
                // master then.
                let no_cells = self.cpu.as_ref().is_none_or(|c| c.cells.is_empty());
                let masters: Vec<u64> = pages
                    .iter()
                    .filter(|(_, n)| n.is_none() || no_cells)
                    .map(|(s, _)| *s)
                    .collect();
                if masters.len() > 1 {
                    return Err(xml::xml_detail(format!(
                        "two master hugepages detected: {} and {}",
                        masters[1], masters[0]
                    )));
                }
                b.hugepages = Some(pages);
            }
            b.nosharepages = child(mb, "nosharepages").is_some();
            b.locked = child(mb, "locked").is_some();
            b.discard = child(mb, "discard").is_some();
            if b != MemoryBacking::default() {
                self.memory_backing = Some(b);
            }
        }
        Ok(())
    }

    fn parse_iothreads(&mut self, root: roxmltree::Node<'_, '_>) -> Result<()> {
        let mut count: u32 = match xml::child_text(root, "iothreads") {
            None => 0,
            Some(t) => t
                .trim()
                .parse()
                .map_err(|_| xml::xml_error(format!("invalid iothreads count '{t}'")))?,
        };
        if let Some(ids) = child(root, "iothreadids") {
            for t in ids.children().filter(|c| c.has_tag_name("iothread")) {
                let id = match t.attribute("id") {
                    None => {
                        return Err(xml::xml_error(
                            "Missing required attribute 'id' in element 'iothread'",
                        ));
                    }
                    Some(v) => match v.trim().parse::<u32>() {
                        Ok(0) => {
                            return Err(xml::xml_error(
                                "Invalid value for attribute 'id' in element 'iothread': Zero is not permitted",
                            ));
                        }
                        Ok(n) => n,
                        Err(_) => {
                            return Err(xml::xml_error(format!(
                                "Invalid value for attribute 'id' in element 'iothread': '{v}'. Expected integer value"
                            )));
                        }
                    },
                };
                let pool = |a: &str| -> Result<Option<i32>> {
                    match t.attribute(a) {
                        None => Ok(None),
                        Some(v) => match v.trim().parse::<i32>() {
                            Ok(n) if n >= 0 => Ok(Some(n)),
                            _ => Err(xml::xml_error(format!(
                                "Invalid value for attribute '{a}' in element 'iothread': '{v}'. Expected non-negative integer value"
                            ))),
                        },
                    }
                };
                if self.iothreads.iter().any(|o| o.id == id) {
                    return Err(xml::xml_error(format!(
                        "duplicate iothread id '{id}' found"
                    )));
                }
                self.iothreads.push(IoThread {
                    id,
                    autofill: false,
                    pool_min: pool("thread_pool_min")?,
                    pool_max: pool("thread_pool_max")?,
                    pin: None,
                    sched: None,
                });
            }
        }
        count = count.max(self.iothreads.len() as u32);
        // libvirt allocates every thread the count asks for (and fails only when memory runs
        // out); rvirt refuses counts no guest could use rather than hang filling them in.
        if count > MAX_IOTHREADS {
            return Err(xml::xml_error(format!(
                "iothreads count {count} too large (maximum {MAX_IOTHREADS})"
            )));
        }
        let taken: std::collections::HashSet<u32> = self.iothreads.iter().map(|t| t.id).collect();
        let mut next = 1;
        while (self.iothreads.len() as u32) < count {
            while taken.contains(&next) {
                next += 1;
            }
            self.iothreads.push(IoThread {
                id: next,
                autofill: true,
                pool_min: None,
                pool_max: None,
                pin: None,
                sched: None,
            });
            next += 1;
        }
        Ok(())
    }

    fn parse_cputune(&mut self, root: roxmltree::Node<'_, '_>, vcpus_max: u32) -> Result<()> {
        let Some(c) = child(root, "cputune") else {
            return Ok(());
        };
        let mut t = CpuTune::default();
        if let Some(s) = text_of(c, "shares") {
            t.shares = Some(
                parse_ull(s).ok_or_else(|| xml::xml_error("can't parse cputune shares value"))?,
            );
        }
        for (i, name) in LIMIT_NAMES.iter().enumerate() {
            let Some(v) = text_of(c, name) else { continue };
            let n: i64 = if name.ends_with("period") {
                parse_ull(v).and_then(|n| i64::try_from(n).ok())
            } else {
                v.trim().parse().ok()
            }
            .ok_or_else(|| xml::xml_error(format!("can't parse cputune {name} value")))?;
            t.limits[i] = n;
        }
        for p in c.children().filter(|n| n.has_tag_name("vcpupin")) {
            let vcpu: u32 = p
                .attribute("vcpu")
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| xml::xml_error("vcpu id must be an unsigned integer or -1"))?;
            let Some(set) = p.attribute("cpuset") else {
                return Err(xml::xml_error("missing cpuset for vcpupin"));
            };
            if vcpu >= vcpus_max {
                continue;
            }
            if t.vcpupin.iter().any(|(v, _)| *v == vcpu) {
                return Err(xml::internal_error(format!(
                    "duplicate vcpupin for vcpu '{vcpu}'"
                )));
            }
            t.vcpupin.push((vcpu, cpuset(set)?));
        }
        t.vcpupin.sort_by_key(|(v, _)| *v);
        if let Some(e) = child(c, "emulatorpin") {
            let set = e
                .attribute("cpuset")
                .ok_or_else(|| xml::internal_error("missing cpuset for emulatorpin"))?;
            t.emulatorpin = Some(cpuset(set)?);
        }
        for p in c.children().filter(|n| n.has_tag_name("iothreadpin")) {
            let id: u32 = p
                .attribute("iothread")
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| xml::xml_error("invalid setting for iothread"))?;
            let set = p
                .attribute("cpuset")
                .ok_or_else(|| xml::xml_error("missing cpuset for iothreadpin"))?;
            let set = cpuset(set)?;
            let Some(th) = self.iothreads.iter_mut().find(|t| t.id == id) else {
                return Err(xml::xml_error(format!("Cannot find 'iothread' : {id}")));
            };
            if th.pin.is_some() {
                return Err(xml::xml_error(format!(
                    "duplicate iothreadpin for same iothread '{id}'"
                )));
            }
            th.pin = Some(set);
        }
        for s in c.children().filter(|n| n.has_tag_name("vcpusched")) {
            let (set, sched) = sched_bitmap(s, "vcpus")?;
            for v in set {
                if v >= vcpus_max {
                    return Err(xml::config_unsupported(format!(
                        "vCPU '{v}' is not present in domain definition"
                    )));
                }
                if t.vcpusched.iter().any(|(o, _, _)| *o == v) {
                    return Err(overlap("vcpusched", "vcpus"));
                }
                t.vcpusched.push((v, sched.0.clone(), sched.1));
            }
        }
        for s in c.children().filter(|n| n.has_tag_name("iothreadsched")) {
            let (set, sched) = sched_bitmap(s, "iothreads")?;
            for id in set {
                let Some(th) = self.iothreads.iter_mut().find(|t| t.id == id) else {
                    return Err(xml::config_unsupported(format!(
                        "Cannot find 'iothread' : {id}"
                    )));
                };
                if th.sched.is_some() {
                    return Err(overlap("iothreadsched", "iothreads"));
                }
                th.sched = Some(sched.clone());
            }
        }
        let emulatorsched: Vec<_> = c
            .children()
            .filter(|n| n.has_tag_name("emulatorsched"))
            .collect();
        match emulatorsched.as_slice() {
            [] => {}
            [e] => t.emulatorsched = Some(scheduler(*e)?),
            _ => return Err(xml::xml_error("only one emulatorsched is supported")),
        }
        t.resctrls = super::resctrl::parse(c, vcpus_max)?;
        t.vcpusched.sort_by_key(|(v, _, _)| *v);
        self.validate_cputune(&t)?;
        if t != CpuTune::default() {
            self.cputune = Some(Box::new(t));
        }
        Ok(())
    }

    fn validate_cputune(&self, t: &CpuTune) -> Result<()> {
        if let Some(s) = t.shares.filter(|s| *s > 0) {
            if !(2..=262_144).contains(&s) {
                return Err(xml::config_unsupported(
                    "Value of cputune 'shares' must be in range [2, 262144]",
                ));
            }
        }
        for (i, name) in LIMIT_NAMES.iter().enumerate() {
            let v = t.limits[i];
            let (lo, hi) = if name.ends_with("period") {
                (1000, 1_000_000)
            } else {
                (1000, 17_592_186_044_415)
            };
            if v > 0 && !(lo..=hi).contains(&v) {
                return Err(xml::config_unsupported(format!(
                    "Value of cputune '{name}' must be in range [{lo}, {hi}]"
                )));
            }
        }
        Ok(())
    }

    fn parse_numatune(&mut self, root: roxmltree::Node<'_, '_>) -> Result<()> {
        let Some(n) = child(root, "numatune") else {
            return Ok(());
        };
        let mut nt = NumaTune::default();
        if let Some(m) = child(n, "memory") {
            let mode = match m.attribute("mode") {
                None => "strict",
                Some(v) if NUMA_MODES.contains(&v) => v,
                Some(v) => {
                    return Err(xml::config_unsupported(format!(
                        "Unsupported NUMA memory tuning mode '{v}'"
                    )));
                }
            };
            let placement = match m.attribute("placement") {
                None => None,
                Some(p @ ("static" | "auto")) => Some(p),
                Some(p) => {
                    return Err(xml::config_unsupported(format!(
                        "Unsupported NUMA memory placement mode '{p}'"
                    )));
                }
            };
            let nodeset = match m.attribute("nodeset") {
                Some(s) => Some(cpuset(s)?),
                None => None,
            };
            if placement == Some("static") && nodeset.is_none() {
                return Err(xml::config_unsupported(
                    "nodeset for NUMA memory tuning must be set if 'placement' is 'static'",
                ));
            }
            let nodeset = if placement == Some("auto") {
                None
            } else {
                nodeset
            };
            nt.memory = Some((token(mode, NUMA_MODES), nodeset));
        }
        for m in n.children().filter(|c| c.has_tag_name("memnode")) {
            let cell = xml::prop_u32(m, "cellid", true, false)?.unwrap_or(0);
            if nt.memnodes.iter().any(|(c, _, _)| *c == cell) {
                return Err(xml::xml_error(format!(
                    "Multiple memnode elements with cellid {cell}"
                )));
            }
            let mode = match m.attribute("mode") {
                None => "strict",
                Some(v) if NUMA_MODES.contains(&v) => v,
                Some(v) => return Err(xml::invalid_enum_attr("mode", "memnode", v)),
            };
            let set = m.attribute("nodeset").ok_or_else(|| {
                xml::xml_error("Missing required nodeset attribute in memnode element")
            })?;
            let nodes = super::bitmap(set)?;
            if nodes.is_empty() {
                return Err(xml::config_unsupported(format!(
                    "Invalid value of 'nodeset': {set}"
                )));
            }
            nt.memnodes
                .push((cell, token(mode, NUMA_MODES), format_cpuset(&nodes)));
        }
        nt.memnodes.sort_by_key(|(c, _, _)| *c);
        if nt != NumaTune::default() {
            self.numatune = Some(nt);
        }
        Ok(())
    }

    /// libvirt's checks of `<numatune><memnode>` against the guest NUMA cells (`cells` of
    /// them) and the `<memory>` element beside it.
    pub(super) fn check_memnodes(&self, cells: usize) -> Result<()> {
        let Some(nt) = self.numatune.as_ref() else {
            return Ok(());
        };
        if nt.memnodes.is_empty() {
            return Ok(());
        }
        if matches!(&nt.memory, Some((_, None))) {
            return Err(xml::config_unsupported(
                "Per-node binding is not compatible with automatic NUMA placement.",
            ));
        }
        if cells == 0 {
            return Err(xml::xml_error(
                "Element 'memnode' is invalid without any guest NUMA cells",
            ));
        }
        let restrictive = matches!(&nt.memory, Some((m, _)) if &**m == "restrictive");
        for (cell, mode, _) in &nt.memnodes {
            if *cell as usize >= cells {
                return Err(xml::xml_error(
                    "Argument 'cellid' in memnode element must correspond to existing \
                     guest's NUMA cell",
                ));
            }
            if restrictive && &**mode != "restrictive" {
                return Err(xml::xml_error(
                    "'restrictive' mode is required in memnode element when mode is \
                     'restrictive' in memory element",
                ));
            }
        }
        Ok(())
    }

    /// Whether `<numatune><memory>` asks for automatic placement.
    pub(super) fn numa_placement_auto(&self) -> bool {
        matches!(
            &self.numatune,
            Some(NumaTune {
                memory: Some((_, None)),
                ..
            })
        )
    }

    /// Gives `<numatune>` automatic placement, as libvirt does for `<vcpu placement='auto'>`.
    pub(super) fn default_numa_auto(&mut self) {
        let nt = self.numatune.get_or_insert_with(NumaTune::default);
        if nt.memory.is_none() {
            nt.memory = Some(("strict".into(), None));
        }
    }

    /// Checks what needs the whole definition: the sysinfo UUID against the domain's.
    pub(super) fn validate(&self, uuid: &Uuid) -> Result<()> {
        for s in &self.sysinfo {
            for (_, entries) in &s.sections {
                for (k, v) in entries {
                    if k == "uuid" && Uuid::parse(v).is_ok_and(|u| u != *uuid) {
                        return Err(xml::xml_detail(
                            "UUID mismatch between <uuid> and <sysinfo>",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Formats the elements that belong at `slot`.
    pub(super) fn format(&self, o: &mut Out, slot: Slot) {
        match slot {
            Slot::Genid => {
                if let Some(g) = &self.genid {
                    o.text_el("genid", &g.to_string());
                }
                return;
            }
            Slot::AfterMemory => self.format_memory(o),
            Slot::AfterVcpu => {
                self.format_kept(o, slot, 0..=0);
                self.format_cpu_tuning(o);
                self.format_kept(o, slot, 1..=2);
                return;
            }
            Slot::AfterOs => {
                if let Some((uid, gid)) = &self.idmap {
                    o.open("idmap");
                    o.start_children();
                    for (name, list) in [("uid", uid), ("gid", gid)] {
                        for [s, t, c] in list {
                            o.open(name);
                            o.attr("start", &s.to_string());
                            o.attr("target", &t.to_string());
                            o.attr("count", &c.to_string());
                            o.close_empty();
                        }
                    }
                    o.end("idmap");
                }
            }
            Slot::AfterFeatures => {
                if let Some(c) = &self.cpu {
                    c.format(o);
                }
            }
            Slot::AfterLifecycle => self.format_lifecycle(o),
            Slot::AfterDevices => {
                for s in &self.seclabels {
                    format_seclabel(o, s);
                }
                if self.keywrap.iter().any(Option::is_some) {
                    o.open("keywrap");
                    o.start_children();
                    for (name, v) in [("aes", self.keywrap[0]), ("dea", self.keywrap[1])] {
                        if let Some(v) = v {
                            o.open("cipher");
                            o.attr("name", name);
                            o.attr("state", if v { "on" } else { "off" });
                            o.close_empty();
                        }
                    }
                    o.end("keywrap");
                }
            }
        }
        self.format_kept(o, slot, 0..=u8::MAX);
    }

    fn format_kept(&self, o: &mut Out, slot: Slot, ranks: std::ops::RangeInclusive<u8>) {
        for (s, r, el) in &self.kept {
            if *s == slot && ranks.contains(r) {
                o.raw(el);
            }
        }
    }

    fn format_memory(&self, o: &mut Out) {
        o.open("blkiotune");
        let m = o.start_children();
        if self.blkio_weight > 0 {
            o.text_el("weight", &self.blkio_weight.to_string());
        }
        for d in &self.blkio_devices {
            if d.weight == 0
                && d.read_iops == 0
                && d.write_iops == 0
                && d.read_bytes == 0
                && d.write_bytes == 0
            {
                continue;
            }
            o.open("device");
            o.start_children();
            o.text_el("path", &d.path);
            for (name, v) in [
                ("weight", u64::from(d.weight)),
                ("read_iops_sec", u64::from(d.read_iops)),
                ("write_iops_sec", u64::from(d.write_iops)),
                ("read_bytes_sec", d.read_bytes),
                ("write_bytes_sec", d.write_bytes),
            ] {
                if v > 0 {
                    o.text_el(name, &v.to_string());
                }
            }
            o.end("device");
        }
        o.end_children_elided("blkiotune", m);

        o.open("memtune");
        let m = o.start_children();
        for (i, name) in [
            "hard_limit",
            "soft_limit",
            "min_guarantee",
            "swap_hard_limit",
        ]
        .iter()
        .enumerate()
        {
            if let Some(v) = self.memtune[i] {
                o.open(name);
                o.attr("unit", "KiB");
                o.close_text(name, &v.to_string());
            }
        }
        o.end_children_elided("memtune", m);

        if let Some(b) = &self.memory_backing {
            o.open("memoryBacking");
            o.start_children();
            if let Some(pages) = &b.hugepages {
                o.open("hugepages");
                let m = o.start_children();
                for (size, nodeset) in pages {
                    o.open("page");
                    o.attr("size", &size.to_string());
                    o.attr("unit", "KiB");
                    o.attr_opt("nodeset", nodeset.as_deref());
                    o.close_empty();
                }
                o.end_children("hugepages", m);
            }
            for (name, on) in [("nosharepages", b.nosharepages), ("locked", b.locked)] {
                if on {
                    o.open(name);
                    o.close_empty();
                }
            }
            for (name, attr, v) in [("source", "type", &b.source), ("access", "mode", &b.access)] {
                if let Some(v) = v {
                    o.open(name);
                    o.attr(attr, v);
                    o.close_empty();
                }
            }
            if b.allocation.is_some() || b.allocation_threads > 0 {
                o.open("allocation");
                o.attr_opt("mode", b.allocation.as_deref());
                if b.allocation_threads > 0 {
                    o.attr("threads", &b.allocation_threads.to_string());
                }
                o.close_empty();
            }
            if b.discard {
                o.open("discard");
                o.close_empty();
            }
            o.end("memoryBacking");
        }
    }

    fn format_cpu_tuning(&self, o: &mut Out) {
        if !self.iothreads.is_empty() {
            o.text_el("iothreads", &self.iothreads.len().to_string());
        }
        if self
            .iothreads
            .iter()
            .any(|t| !t.autofill || t.pool_min.is_some() || t.pool_max.is_some())
        {
            o.open("iothreadids");
            o.start_children();
            for t in &self.iothreads {
                o.open("iothread");
                o.attr("id", &t.id.to_string());
                if let Some(v) = t.pool_min {
                    o.attr("thread_pool_min", &v.to_string());
                }
                if let Some(v) = t.pool_max {
                    o.attr("thread_pool_max", &v.to_string());
                }
                o.close_empty();
            }
            o.end("iothreadids");
        }
        let empty = CpuTune::default();
        let t = self.cputune.as_deref().unwrap_or(&empty);
        o.open("cputune");
        let m = o.start_children();
        if let Some(s) = t.shares {
            o.text_el("shares", &s.to_string());
        }
        for (i, name) in LIMIT_NAMES.iter().enumerate() {
            if t.limits[i] != 0 {
                o.text_el(name, &t.limits[i].to_string());
            }
        }
        for (v, set) in &t.vcpupin {
            o.open("vcpupin");
            o.attr("vcpu", &v.to_string());
            o.attr("cpuset", set);
            o.close_empty();
        }
        if let Some(e) = &t.emulatorpin {
            o.open("emulatorpin");
            o.attr("cpuset", e);
            o.close_empty();
        }
        for th in &self.iothreads {
            if let Some(p) = &th.pin {
                o.open("iothreadpin");
                o.attr("iothread", &th.id.to_string());
                o.attr("cpuset", p);
                o.close_empty();
            }
        }
        let sched =
            |o: &mut Out, el: &str, ids: Option<(&str, u32)>, s: &Token, p: &Option<i32>| {
                o.open(el);
                if let Some((attr, id)) = ids {
                    o.attr(attr, &id.to_string());
                }
                o.attr("scheduler", s);
                if let Some(p) = p {
                    o.attr("priority", &p.to_string());
                }
                o.close_empty();
            };
        if let Some((s, p)) = &t.emulatorsched {
            sched(o, "emulatorsched", None, s, p);
        }
        for (vcpu, s, p) in &t.vcpusched {
            sched(o, "vcpusched", Some(("vcpus", *vcpu)), s, p);
        }
        for th in &self.iothreads {
            if let Some((s, p)) = &th.sched {
                sched(o, "iothreadsched", Some(("iothreads", th.id)), s, p);
            }
        }
        super::resctrl::format(&t.resctrls, o);
        o.end_children_elided("cputune", m);

        if let Some(nt) = &self.numatune {
            o.open("numatune");
            o.start_children();
            if let Some((mode, nodeset)) = &nt.memory {
                o.open("memory");
                o.attr("mode", mode);
                match nodeset {
                    Some(n) => o.attr("nodeset", n),
                    None => o.attr("placement", "auto"),
                }
                o.close_empty();
            }
            for (cell, mode, nodeset) in &nt.memnodes {
                o.open("memnode");
                o.attr("cellid", &cell.to_string());
                o.attr("mode", mode);
                o.attr("nodeset", nodeset);
                o.close_empty();
            }
            o.end("numatune");
        }
        if let Some(p) = &self.partition {
            o.open("resource");
            o.start_children();
            o.text_el("partition", p);
            o.end("resource");
        }
        for s in &self.sysinfo {
            format_sysinfo(o, s);
        }
    }

    fn format_lifecycle(&self, o: &mut Out) {
        if let Some(a) = &self.on_lockfailure {
            o.text_el("on_lockfailure", a);
        }
        if self.pm.iter().any(Option::is_some) {
            o.open("pm");
            o.start_children();
            for (name, v) in [
                ("suspend-to-mem", self.pm[0]),
                ("suspend-to-disk", self.pm[1]),
            ] {
                if let Some(v) = v {
                    o.open(name);
                    o.attr("enabled", if v { "yes" } else { "no" });
                    o.close_empty();
                }
            }
            o.end("pm");
        }
        if !self.perf.is_empty() {
            o.open("perf");
            o.start_children();
            for (i, on) in &self.perf {
                o.open("event");
                o.attr("name", PERF_EVENTS[usize::from(*i)]);
                o.attr("enabled", if *on { "yes" } else { "no" });
                o.close_empty();
            }
            o.end("perf");
        }
    }
}

fn parse_page_size(p: roxmltree::Node<'_, '_>) -> Result<u64> {
    let Some(size) = p.attribute("size") else {
        return Err(xml::xml_error("hugepage size can't be zero"));
    };
    let unit = p.attribute("unit").unwrap_or("KiB");
    let n = parse_ull(size).ok_or_else(|| xml::xml_error("unable to parse size attribute"))?;
    let scale = crate::units::unit_scale(unit, 1024).ok_or_else(|| {
        rvirt_types::Error::with_detail(
            rvirt_types::ErrorDomain::NONE,
            rvirt_types::ErrorNumber::INVALID_ARG,
            format!("unknown suffix '{unit}'"),
        )
    })?;
    let kib = n.saturating_mul(scale).div_ceil(1024);
    if kib == 0 {
        return Err(xml::xml_error("hugepage size can't be zero"));
    }
    Ok(kib)
}

fn parse_sysinfo(s: roxmltree::Node<'_, '_>) -> Result<Sysinfo> {
    let kind = attr_enum(s, "type", &["smbios", "fwcfg"])?
        .ok_or_else(|| xml::xml_error("Missing required attribute 'type' in element 'sysinfo'"))?;
    let mut info = Sysinfo {
        kind: token(kind, &["smbios", "fwcfg"]),
        ..Sysinfo::default()
    };
    if kind == "fwcfg" {
        let mut entries = Vec::new();
        for e in s.children().filter(|c| c.has_tag_name("entry")) {
            let name = e.attribute("name").unwrap_or("");
            entries.push((name.to_string(), e.text().unwrap_or("").to_string()));
        }
        info.sections.push(("", entries));
        return Ok(info);
    }
    for (section, names) in SMBIOS_SECTIONS {
        for sec in s.children().filter(|c| c.has_tag_name(*section)) {
            let mut entries = Vec::new();
            for name in *names {
                let v = sec
                    .children()
                    .filter(|c| c.has_tag_name("entry") && c.attribute("name") == Some(name))
                    .filter_map(|c| c.text())
                    .next();
                if let Some(v) = v {
                    entries.push((name.to_string(), v.to_string()));
                }
            }
            if !entries.is_empty() {
                info.sections.push((section, entries));
            }
            if *section != "baseBoard" {
                break;
            }
        }
    }
    if let Some(o) = child(s, "oemStrings") {
        info.oem_strings = o
            .children()
            .filter(|c| c.has_tag_name("entry"))
            .map(|c| c.text().unwrap_or("").to_string())
            .collect();
    }
    Ok(info)
}

fn format_sysinfo(o: &mut Out, s: &Sysinfo) {
    o.open("sysinfo");
    o.attr("type", &s.kind);
    let m = o.start_children();
    for (section, entries) in &s.sections {
        if !section.is_empty() {
            o.open(section);
            o.start_children();
        }
        for (k, v) in entries {
            o.open("entry");
            o.attr("name", k);
            o.close_text("entry", v);
        }
        if !section.is_empty() {
            o.end(section);
        }
    }
    if !s.oem_strings.is_empty() {
        o.open("oemStrings");
        o.start_children();
        for v in &s.oem_strings {
            o.text_el("entry", v);
        }
        o.end("oemStrings");
    }
    o.end_children("sysinfo", m);
}

/// `<seclabel>` as libvirt reads it: a dynamic label must relabel and a `none` one must not; the
/// label of a dynamic one, and any image label, are runtime state read only from live XML (a
/// static label must have its label; live XML must have the image label of a relabelling one).
fn parse_seclabel(s: roxmltree::Node<'_, '_>, live: bool) -> Result<SecLabel> {
    const TYPES: &[&str] = &["none", "dynamic", "static"];
    let kind = match s.attribute("type") {
        None => "dynamic",
        Some(t) if TYPES.contains(&t) => t,
        Some(t) => return Err(xml::invalid_enum_attr("type", "seclabel", t)),
    };
    let relabel = match s.attribute("relabel") {
        None => kind == "dynamic",
        Some("yes") => true,
        Some("no") => false,
        Some(r) => {
            return Err(xml::xml_error(format!(
                "invalid security relabel value {r}"
            )));
        }
    };
    if kind == "dynamic" && !relabel {
        return Err(xml::config_unsupported(
            "dynamic label type must use resource relabeling",
        ));
    }
    if kind == "none" && relabel {
        return Err(xml::config_unsupported(
            "resource relabeling is not compatible with 'none' label type",
        ));
    }
    let model = s.attribute("model").map(str::to_string);
    let mut label = SecLabel {
        kind: token(kind, TYPES),
        model,
        relabel,
        ..SecLabel::default()
    };
    if label.model.as_deref() == Some("none") {
        if !live {
            label.kind = token("none", TYPES);
            label.relabel = false;
        } else if kind != "none" {
            return Err(xml::config_unsupported(format!(
                "unsupported type='{kind}' to model 'none'"
            )));
        }
        return Ok(label);
    }
    let text = |n: &str| {
        xml::child_text(s, n)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    if kind == "static" || (live && kind != "none") {
        label.label =
            Some(text("label").ok_or_else(|| xml::xml_error("security label is missing"))?);
    }
    if relabel && live && kind != "none" {
        label.imagelabel = Some(
            text("imagelabel").ok_or_else(|| xml::xml_error("security imagelabel is missing"))?,
        );
    }
    if kind == "dynamic" {
        label.baselabel = text("baselabel");
    }
    Ok(label)
}

fn format_seclabel(o: &mut Out, s: &SecLabel) {
    o.open("seclabel");
    o.attr("type", &s.kind);
    o.attr_opt("model", s.model.as_deref());
    if s.kind == "none" {
        o.close_empty();
        return;
    }
    o.attr("relabel", if s.relabel { "yes" } else { "no" });
    if s.label.is_none() && s.imagelabel.is_none() && s.baselabel.is_none() {
        o.close_empty();
        return;
    }
    o.start_children();
    for (name, v) in [
        ("label", &s.label),
        ("imagelabel", &s.imagelabel),
        ("baselabel", &s.baselabel),
    ] {
        if let Some(v) = v {
            o.text_el(name, v);
        }
    }
    o.end("seclabel");
}

#[cfg(test)]
mod seclabel_tests {
    use crate::DomainDef;
    use crate::domain::{FormatOptions, ParseOptions};

    fn with(label: &str, live: bool) -> rvirt_types::Result<DomainDef> {
        DomainDef::parse_xml(
            &format!(
                "<domain type='test'><name>s</name><memory>1024</memory>\
                 <os><type>hvm</type></os>{label}</domain>"
            ),
            ParseOptions { live },
        )
    }

    fn err(label: &str) -> String {
        with(label, false).unwrap_err().message
    }

    fn labels(label: &str, live: bool) -> String {
        let x = with(label, live)
            .unwrap()
            .format_xml(FormatOptions::default());
        let at = x.find("<seclabel").unwrap();
        let end = x.rfind("</domain>").unwrap();
        x[at..end].split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// libvirt 9.0's answers (virsh define on its test driver).
    #[test]
    fn seclabel_rules_are_libvirts() {
        assert_eq!(
            err("<seclabel type='dynamic' model='dac' relabel='no'/>"),
            "unsupported configuration: dynamic label type must use resource relabeling"
        );
        assert_eq!(
            err("<seclabel type='none' relabel='yes'/>"),
            "unsupported configuration: resource relabeling is not compatible with 'none' label type"
        );
        assert_eq!(
            err("<seclabel type='static' model='dac'/>"),
            "XML error: security label is missing"
        );
        // A dynamic label, and any image label, are runtime state: a definition drops them.
        let given = "<seclabel type='dynamic' model='dac'><label>+1:+1</label>\
                     <imagelabel>+2:+2</imagelabel></seclabel>";
        assert_eq!(
            labels(given, false),
            "<seclabel type='dynamic' model='dac' relabel='yes'/>"
        );
        assert_eq!(
            labels(given, true),
            "<seclabel type='dynamic' model='dac' relabel='yes'> <label>+1:+1</label> \
             <imagelabel>+2:+2</imagelabel> </seclabel>"
        );
        let given = "<seclabel type='static' model='dac' relabel='yes'><label>+1:+1</label>\
                     <imagelabel>+2:+2</imagelabel></seclabel>";
        assert_eq!(
            labels(given, false),
            "<seclabel type='static' model='dac' relabel='yes'> <label>+1:+1</label> </seclabel>"
        );
        // Live XML of a relabelling guest has its image label.
        let e = with(
            "<seclabel type='static' model='dac' relabel='yes'><label>+1:+1</label></seclabel>",
            true,
        )
        .unwrap_err();
        assert_eq!(e.message, "XML error: security imagelabel is missing");
    }
}
