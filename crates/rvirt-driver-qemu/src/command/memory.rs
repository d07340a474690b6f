//! The guest's RAM and vCPU topology on QEMU's command line, laid out as libvirt 9.0 does it:
//! the memory backend objects (the machine's RAM `pc.ram`, or one `ram-nodeN` per guest NUMA
//! cell, and one per memory device) with what `<memoryBacking>`, the cells, the devices and
//! `<numatune>` ask of them, the thread contexts that preallocate bound memory on its host
//! nodes, the `-numa` nodes, distances and HMAT tables, the memory devices (`pc-dimm`,
//! `nvdimm`, `virtio-mem-pci`, `virtio-pmem-pci`), `-m` and `-smp`.

use super::unsupported;
use crate::hugepages::{self, HugeTlbFs};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::NumaCell;
use rvirt_conf::domain::parse_cpuset;
use rvirt_conf::raw::RawElement;
use rvirt_types::{Error, ErrorDomain, Result};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// The id QEMU's x86 machines give their RAM, which a memory backend takes over.
pub(super) const RAM_ID: &str = "pc.ram";

/// libvirt's local and default remote NUMA distances.
const LOCAL: u32 = 10;
const REMOTE: u32 = 20;

/// Where backends' files go: the domain's RAM folder (see `crate::virtiofs::ram_dir`), the
/// hugetlbfs mounts and the guest's folder name under them (`ID-NAME`).
pub(super) struct RamPlace<'a> {
    /// The folder of RAM files that are not on huge pages.
    pub(super) ram_dir: PathBuf,
    /// The driver's hugetlbfs mounts.
    pub(super) mounts: &'a [HugeTlbFs],
    /// The guest's folder name under a mount.
    pub(super) short: String,
    /// numad's nodes, for automatic placement.
    pub(super) auto_nodes: Option<&'a str>,
}

impl<'a> RamPlace<'a> {
    /// The places of the guest whose private folder is `private_dir`, under qemu.conf
    /// `config`, with numad's nodes `auto_nodes`.
    pub(super) fn new(
        private_dir: &std::path::Path,
        config: &'a crate::config::QemuConfig,
        auto_nodes: Option<&'a str>,
    ) -> RamPlace<'a> {
        RamPlace {
            ram_dir: crate::virtiofs::ram_dir(private_dir, config),
            mounts: &config.hugetlbfs,
            short: crate::virtiofs::short_name(private_dir),
            auto_nodes,
        }
    }
}

/// A memory backend and, when it preallocates memory bound to host nodes, the thread
/// context that does it there (libvirt deletes those once QEMU runs).
pub(super) struct Backend {
    /// The `thread-context` object, if any.
    pub(super) context: Option<Value>,
    /// The `memory-backend-*` object.
    pub(super) object: Value,
}

impl Backend {
    /// Puts the backend on the command line `a` (its thread context first, whose id goes to
    /// `contexts`, for the start to delete once QEMU runs).
    pub(super) fn emit(self, a: &mut Vec<String>, contexts: &mut Vec<String>) {
        if let Some(tc) = self.context {
            contexts.push(tc["id"].as_str().unwrap_or_default().to_string());
            a.extend(["-object".into(), tc.to_string()]);
        }
        a.extend(["-object".into(), self.object.to_string()]);
    }
}

/// The guest NUMA cells, `None` for a guest without any.
fn cells(def: &DomainDef) -> Option<&[NumaCell]> {
    def.extras
        .cpu
        .as_ref()
        .map(|c| &c.cells[..])
        .filter(|c| !c.is_empty())
}

/// A cell's size, rounded up to the MiB QEMU's x86 machines want.
fn cell_kib(c: &NumaCell) -> u64 {
    c.memory_kib.div_ceil(1024).max(1) * 1024
}

/// The size of the guest's initial RAM in MiB: the sum of its cells, or `<memory>`.
pub(super) fn initial_mib(def: &DomainDef) -> u64 {
    match cells(def) {
        Some(cells) => cells.iter().map(cell_kib).sum::<u64>() / 1024,
        None => def.memory_kib.div_ceil(1024).max(1),
    }
}

/// Every memory backend of the guest and what it is for: the whole RAM (no cells), each
/// cell's, each DIMM's, with their names (backend, file).
fn targets(def: &DomainDef) -> Vec<(String, Target<'_>)> {
    let mut out = Vec::new();
    match cells(def) {
        None => out.push((
            RAM_ID.to_string(),
            Target {
                file: RAM_ID.to_string(),
                system: true,
                ..Target::default()
            },
        )),
        Some(cells) => {
            for (i, c) in cells.iter().enumerate() {
                let alias = format!("ram-node{i}");
                let target = Target {
                    cell: Some(c),
                    file: alias.clone(),
                    ..Target::default()
                };
                out.push((alias, target));
            }
        }
    }
    out.extend(crate::memdev::devices(def).map(|e| device_target(def, e)));
    out
}

/// The backend of memory device `e` of `def`: its name (`memdimm0`) and what it is for.
fn device_target<'a>(def: &'a DomainDef, e: &'a RawElement) -> (String, Target<'a>) {
    let alias = rvirt_conf::domain::raw_alias(e).unwrap_or_default();
    let node = crate::memdev::target_node(e);
    let text = |name: &str| crate::memdev::source_text(e, name);
    let target = Target {
        cell: node.and_then(|n| cells(def)?.iter().find(|c| c.id == n)),
        access: e.attr("access"),
        discard: e.attr("discard").map(|d| d == "yes"),
        page_kib: text("pagesize").and_then(|p| p.parse().ok()),
        nodes: text("nodemask"),
        file: alias.to_string(),
        system: false,
        device: Some(e),
        path: text("path"),
        pmem: e.child("source").is_some_and(|s| s.child("pmem").is_some()),
        model: e.attr("model").unwrap_or_default(),
    };
    (format!("mem{alias}"), target)
}

impl Target<'_> {
    /// The huge page size (KiB, 0 for the default) its memory is on, if any.
    fn huge_page(&self, def: &DomainDef) -> Option<u64> {
        if self.path.is_some() {
            return None;
        }
        match self.page_kib {
            Some(p) => hugepages::huge(p),
            None => hugepages::page_for(def, self.cell.map(|c| c.id)),
        }
    }

    /// The access mode of its memory: its own, its cell's, else the domain's.
    fn access<'d>(&'d self, def: &'d DomainDef) -> Option<&'d str> {
        self.access
            .or(self.cell.and_then(|c| c.mem_access.as_deref()))
            .or(def
                .extras
                .memory_backing
                .as_ref()
                .and_then(|b| b.access.as_deref()))
    }

    /// Whether its memory is a file in the domain's RAM folder: an access mode or a file
    /// source, without huge pages and not from a memfd.
    fn in_ram_dir(&self, def: &DomainDef) -> bool {
        let source = def
            .extras
            .memory_backing
            .as_ref()
            .and_then(|b| b.source.as_deref());
        source != Some("memfd")
            && self.path.is_none()
            && self.huge_page(def).is_none()
            && (self.access(def).is_some() || source == Some("file"))
    }
}

/// Whether some of the guest's memory is a file in the domain's RAM folder (see
/// `crate::virtiofs::ram_dir`).
pub(crate) fn ram_file_backed(def: &DomainDef) -> bool {
    targets(def).iter().any(|(_, t)| t.in_ram_dir(def))
}

/// Whether some of the guest's memory is on huge pages (the guest then gets its folder on
/// every hugetlbfs mount).
pub(crate) fn on_huge_pages(def: &DomainDef) -> bool {
    targets(def).iter().any(|(_, t)| t.huge_page(def).is_some())
}

/// The `<numatune>` mode and host nodes of cell `cell` (`None`: the whole RAM): the cell's
/// `<memnode>`, else `<memory>` (numad's nodes, `auto`, for automatic placement), else strict
/// and no nodes; libvirt's error when automatic placement has no advice (`domxml-to-native`).
fn numatune<'a>(
    def: &'a DomainDef,
    cell: Option<u32>,
    auto: Option<&'a str>,
) -> Result<(&'a str, Option<&'a str>)> {
    let Some(nt) = def.extras.numatune.as_ref() else {
        return Ok(("strict", None));
    };
    if let Some((_, mode, nodes)) = cell.and_then(|c| nt.memnodes.iter().find(|m| m.0 == c)) {
        return Ok((mode, Some(nodes)));
    }
    match &nt.memory {
        None => Ok(("strict", None)),
        Some((mode, Some(nodes))) => Ok((mode, Some(nodes))),
        Some((mode, None)) => match auto {
            Some(nodes) => Ok((mode, Some(nodes))),
            None => Err(Error::internal(
                ErrorDomain::QEMU,
                "Advice from numad is needed in case of automatic numa placement",
            )),
        },
    }
}

/// Whether host NUMA node `n` exists (node 0 on a host that shows no NUMA at all).
fn host_node_exists(n: u32) -> bool {
    let nodes = rvirt_host::hostmem::numa_nodes(&rvirt_host::udev::HostPaths::host());
    nodes.contains(&n) || (nodes.is_empty() && n == 0)
}

/// A node set as QEMU's `host-nodes` list, with libvirt's error for a node the host lacks.
fn host_nodes(nodeset: &str) -> Result<Vec<u32>> {
    let nodes = parse_cpuset(nodeset).unwrap_or_default();
    if let Some(n) = nodes.iter().find(|n| !host_node_exists(**n)) {
        return Err(unsupported(format!("NUMA node {n} is unavailable")));
    }
    Ok(nodes)
}

/// What a memory backend is for: the whole RAM, a NUMA cell's, or a memory device's (in a
/// cell, with its own access mode, discard, page size and host nodes).
#[derive(Default)]
struct Target<'a> {
    /// The guest NUMA cell the memory is in.
    cell: Option<&'a NumaCell>,
    /// The memory device's own `access`.
    access: Option<&'a str>,
    /// The memory device's own `discard`.
    discard: Option<bool>,
    /// The memory device's `<source><pagesize>` in KiB.
    page_kib: Option<u64>,
    /// The memory device's `<source><nodemask>`.
    nodes: Option<&'a str>,
    /// The name of its file in the RAM folder, when it is one.
    file: String,
    /// Whether it is the machine's whole RAM.
    system: bool,
    /// The memory device it backs.
    device: Option<&'a RawElement>,
    /// The file an NVDIMM or virtio-pmem device maps (`<source><path>`).
    path: Option<&'a str>,
    /// Whether that file is real persistent memory (`<source><pmem/>`).
    pmem: bool,
    /// The memory device's model.
    model: &'a str,
}

/// The memory backend `alias` of `size_kib` for `t`, as libvirt's
/// `qemuBuildMemoryBackendProps` makes it: a memfd for a memfd source (on huge pages when
/// asked), a file on huge pages (the guest's folder on the mount of the page size), a file in
/// the domain's RAM folder for an access mode or a file source, plain RAM otherwise; shared
/// or private as the access mode (the device's, the cell's, else the domain's) says,
/// discarded as asked, the RAM block of the whole RAM named as QEMU's default one
/// (`x-use-canonical-path-for-ramblock-id` off) so that a save image loads either way,
/// preallocated on huge pages and for `<allocation mode='immediate'>`, and bound to the host
/// nodes (the device's, else `<numatune>`'s) with the policy of `<numatune>` (not in
/// restrictive mode, which only the control group enforces).
fn backend(
    def: &DomainDef,
    place: &RamPlace<'_>,
    t: &Target<'_>,
    alias: &str,
    size_kib: u64,
) -> Result<Backend> {
    let cell = t.cell;
    let b = def.extras.memory_backing.as_ref();
    let source = b.and_then(|b| b.source.as_deref());
    let access = t.access(def);
    let discard = match t
        .discard
        .or(cell.and_then(|c| c.discard.as_deref()).map(|d| d == "yes"))
    {
        Some(d) => Some(d),
        None => b.filter(|b| b.discard).map(|_| true),
    };
    let id = cell.map(|c| c.id);
    let huge = match t.huge_page(def) {
        Some(p) => {
            let m = hugepages::mount_for(place.mounts, p)?;
            Some((hugepages::domain_dir(m, &place.short), m.size_kib))
        }
        None => None,
    };
    let system = t.system;
    let mut o = Map::new();
    let share = |o: &mut Map<String, Value>| match access {
        Some("shared") => {
            o.insert("share".into(), json!(true));
        }
        Some("private") => {
            o.insert("share".into(), json!(false));
        }
        _ => {}
    };
    let kind = if t.path.is_none() && source == Some("memfd") {
        if let Some((_, page_kib)) = &huge {
            o.insert("hugetlb".into(), json!(true));
            o.insert("hugetlbsize".into(), json!(page_kib << 10));
        }
        share(&mut o);
        "memory-backend-memfd"
    } else if t.path.is_some() || huge.is_some() || access.is_some() || source == Some("file") {
        let path = match (t.path, &huge) {
            (Some(p), _) => std::path::PathBuf::from(p),
            (None, Some((dir, _))) => dir.clone(),
            (None, None) => place.ram_dir.join(&t.file),
        };
        o.insert("mem-path".into(), json!(path.display().to_string()));
        if let Some(d) = discard.filter(|_| t.path.is_none()) {
            o.insert("discard-data".into(), json!(d));
        }
        share(&mut o);
        "memory-backend-file"
    } else {
        "memory-backend-ram"
    };
    if system && kind != "memory-backend-ram" {
        o.insert("x-use-canonical-path-for-ramblock-id".into(), json!(false));
    }
    let prealloc = preallocated(def, t, huge.is_some());
    if t.model == "virtio-mem" {
        // The device preallocates what the guest plugs, not the backend all of it.
        o.insert("reserve".into(), json!(false));
    } else {
        if prealloc {
            o.insert("prealloc".into(), json!(true));
        }
        if let Some(n) = b.map(|b| b.allocation_threads).filter(|n| *n > 0) {
            o.insert("prealloc-threads".into(), json!(n));
        }
    }
    o.insert("size".into(), json!(size_kib << 10));
    if t.pmem {
        o.insert("pmem".into(), json!(true));
    }
    let (mode, tuned) = numatune(def, id, place.auto_nodes)?;
    let nodeset = t.nodes.or(tuned);
    let mut context = None;
    if let Some(nodeset) = nodeset {
        let nodes = host_nodes(nodeset)?;
        if mode != "restrictive" {
            let policy = if mode == "strict" { "bind" } else { mode };
            o.insert("host-nodes".into(), json!(nodes));
            o.insert("policy".into(), json!(policy));
            if prealloc {
                // Preallocation by threads that run on the nodes the memory is bound to.
                let tc = format!("tc-{alias}");
                context = Some(json!({"qom-type": "thread-context", "id": tc,
                    "node-affinity": nodes}));
                o.insert("prealloc-context".into(), json!(tc));
            }
        }
    }
    let mut object = Map::new();
    object.insert("qom-type".into(), json!(kind));
    object.insert("id".into(), json!(alias));
    object.extend(o);
    Ok(Backend {
        context,
        object: Value::Object(object),
    })
}

/// Whether the memory of `t` is allocated at once: on huge pages, for
/// `<allocation mode='immediate'>`, and an NVDIMM's file unless it is real persistent memory.
fn preallocated(def: &DomainDef, t: &Target<'_>, huge: bool) -> bool {
    let immediate = def
        .extras
        .memory_backing
        .as_ref()
        .and_then(|b| b.allocation.as_deref())
        == Some("immediate");
    let file = match t.path {
        Some(_) => !t.pmem && t.model != "virtio-pmem",
        None => huge,
    };
    immediate || file
}

/// The backend of a guest's whole RAM (`pc.ram`), taken by the machine as its memory; `None`
/// for guests with NUMA cells (each has its own) and for plain RAM, which QEMU makes itself
/// from `-m` (libvirt names that one too, to the same effect).
pub(super) fn system_ram(def: &DomainDef, place: &RamPlace<'_>) -> Result<Option<Backend>> {
    if cells(def).is_some() {
        return Ok(None);
    }
    let targets = targets(def);
    let (alias, target) = &targets[0];
    let b = backend(def, place, target, alias, initial_mib(def) * 1024)?;
    let plain = b.object["qom-type"] == "memory-backend-ram"
        && b.object.as_object().is_some_and(|o| o.len() == 3);
    Ok((!plain).then_some(b))
}

/// The guest's NUMA topology: for each cell its backend (with its thread context) and
/// `-numa node` (its vCPUs, its initiator when the guest has HMAT tables, its memory), then
/// every distance when any is not the default, then the HMAT latencies, bandwidths and
/// memory-side caches. Returns the arguments and the thread contexts' ids.
pub(super) fn numa(def: &DomainDef, place: &RamPlace<'_>) -> Result<(Vec<String>, Vec<String>)> {
    let mut a = Vec::new();
    let Some(cells) = cells(def) else {
        return Ok((a, Vec::new()));
    };
    let links = def
        .extras
        .cpu
        .as_ref()
        .map_or(&[][..], |c| &c.interconnects[..]);
    let hmat = has_hmat(def);
    let Some(first_with_cpus) = cells.iter().position(|c| c.cpus.is_some()) else {
        return Err(unsupported("At least one NUMA node has to have CPUs"));
    };
    let mut contexts = Vec::new();
    let targets = targets(def);
    for (i, c) in cells.iter().enumerate() {
        let (alias, target) = &targets[i];
        let b = backend(def, place, target, alias, cell_kib(c))?;
        b.emit(&mut a, &mut contexts);
        let mut node = format!("node,nodeid={i}");
        for part in c.cpus.as_deref().into_iter().flat_map(|s| s.split(',')) {
            node.push_str(&format!(",cpus={part}"));
        }
        if hmat {
            let initiator = initiator(cells, links, i).unwrap_or(first_with_cpus);
            node.push_str(&format!(",initiator={initiator}"));
        }
        node.push_str(&format!(",memdev={alias}"));
        a.extend(["-numa".into(), node]);
    }
    let table = distances(cells);
    if table.iter().flatten().any(|d| *d != LOCAL && *d != REMOTE) {
        for (i, row) in table.iter().enumerate() {
            for (j, d) in row.iter().enumerate() {
                a.extend(["-numa".into(), format!("dist,src={i},dst={j},val={d}")]);
            }
        }
    }
    if hmat {
        for l in links {
            a.extend(["-numa".into(), hmat_lb(l)]);
        }
        // Caches only after every latency and bandwidth, as QEMU wants them.
        for (i, c) in cells.iter().enumerate() {
            for cache in c.children.iter().filter(|e| e.name == "cache") {
                a.extend(["-numa".into(), hmat_cache(i, cache)]);
            }
        }
    }
    Ok((a, contexts))
}

/// The guest's memory devices: for each, its backend (`memdimm0`: in its cell, with the
/// device's access mode, discard, page size and host nodes, or the file an NVDIMM or
/// virtio-pmem device maps; always an object) and its device (`pc-dimm`, `nvdimm`,
/// `virtio-mem-pci`, `virtio-pmem-pci`), as libvirt writes them. SGX EPC sections are refused.
/// Returns the arguments and the thread contexts' ids.
pub(super) fn memory_devices(
    def: &DomainDef,
    place: &RamPlace<'_>,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut a = Vec::new();
    let mut contexts = Vec::new();
    for (memdev, t) in targets(def) {
        let Some(e) = t.device else {
            continue;
        };
        if !matches!(t.model, "dimm" | "nvdimm" | "virtio-mem" | "virtio-pmem") {
            return Err(unsupported(format!(
                "memory devices of model '{}' are not supported by this QEMU driver yet",
                t.model
            )));
        }
        let b = backend(def, place, &t, &memdev, crate::memdev::size_kib(e))?;
        b.emit(&mut a, &mut contexts);
        let dev = memory_device(def, e, &t, &memdev);
        a.extend(["-device".into(), dev.to_string()]);
    }
    Ok((a, contexts))
}

/// The device of memory device `e` (backend `memdev`), with libvirt's properties in its
/// order: node, label size, block and requested sizes, UUID, unarmed (read-only), backend,
/// preallocation (virtio-mem), id, then its slot and base address, or its PCI address.
fn memory_device(def: &DomainDef, e: &RawElement, t: &Target<'_>, memdev: &str) -> Value {
    let driver = match t.model {
        "nvdimm" => "nvdimm",
        "virtio-mem" => "virtio-mem-pci",
        "virtio-pmem" => "virtio-pmem-pci",
        _ => "pc-dimm",
    };
    let mut dev = Map::new();
    dev.insert("driver".into(), json!(driver));
    if let Some(n) = crate::memdev::target_node(e) {
        dev.insert("node".into(), json!(n));
    }
    for (key, path) in [
        ("label-size", &["target", "label", "size"][..]),
        ("block-size", &["target", "block"][..]),
        ("requested-size", &["target", "requested"][..]),
    ] {
        let bytes = crate::memdev::kib_at(e, path) << 10;
        if bytes > 0 {
            dev.insert(key.into(), json!(bytes));
        }
    }
    if let Some(uuid) = e.child("uuid").and_then(RawElement::text) {
        dev.insert("uuid".into(), json!(uuid.trim()));
    }
    if e.child("target")
        .and_then(|t| t.child("readonly"))
        .is_some()
    {
        dev.insert("unarmed".into(), json!(true));
    }
    dev.insert("memdev".into(), json!(memdev));
    if t.model == "virtio-mem" && preallocated(def, t, t.huge_page(def).is_some()) {
        dev.insert("prealloc".into(), json!(true));
    }
    dev.insert("id".into(), json!(t.file));
    match t.model {
        "virtio-mem" | "virtio-pmem" => {
            return super::at_pci(def, &super::raw_info(e), Value::Object(dev));
        }
        _ => {
            if let Some((slot, base)) = crate::memdev::dimm_address(e) {
                dev.insert("slot".into(), json!(slot));
                if base != 0 {
                    dev.insert("addr".into(), json!(base));
                }
            }
        }
    }
    Value::Object(dev)
}

/// Whether the guest has NVDIMMs, which the machine must be told of (`nvdimm=on`).
pub(super) fn has_nvdimm(def: &DomainDef) -> bool {
    crate::memdev::devices(def).any(|e| e.attr("model") == Some("nvdimm"))
}

/// What a hot-plug of memory device `e` (already in the live definition `def`, with its slot
/// or PCI address and its alias) gives QEMU: its backend object (preallocated in place:
/// libvirt makes no thread context for a hot-plug) and its device (`pc-dimm`, `nvdimm`,
/// `virtio-mem-pci`, `virtio-pmem-pci`). `private_dir` is the domain's private folder.
pub(crate) fn hotplug_memory_device(
    def: &DomainDef,
    e: &RawElement,
    private_dir: &std::path::Path,
    config: &crate::config::QemuConfig,
) -> Result<(Value, Value)> {
    let place = RamPlace::new(private_dir, config, None);
    let (memdev, t) = device_target(def, e);
    let mut b = backend(def, &place, &t, &memdev, crate::memdev::size_kib(e))?;
    if let Some(o) = b.object.as_object_mut() {
        o.shift_remove("prealloc-context");
    }
    let dev = memory_device(def, e, &t, &memdev);
    Ok((b.object, dev))
}

/// Whether memory device `e` of `def` is a file in the domain's RAM folder.
pub(crate) fn device_in_ram_dir(def: &DomainDef, e: &RawElement) -> bool {
    device_target(def, e).1.in_ram_dir(def)
}

/// `-m`: the initial memory in MiB, or with `<maxMemory>` its size, slots and maximum.
pub(super) fn memory_arg(def: &DomainDef) -> String {
    match &def.max_memory {
        Some(m) => format!(
            "size={}k,slots={},maxmem={}k",
            initial_mib(def) * 1024,
            m.slots,
            m.kib
        ),
        None => initial_mib(def).to_string(),
    }
}

/// Whether the guest has HMAT tables (interconnects or memory-side caches), which the
/// machine must be told of (`hmat=on`).
pub(super) fn has_hmat(def: &DomainDef) -> bool {
    def.extras.cpu.as_ref().is_some_and(|c| {
        !c.interconnects.is_empty()
            || c.cells
                .iter()
                .any(|c| c.children.iter().any(|e| e.name == "cache"))
    })
}

fn attr_u64(e: &RawElement, name: &str) -> u64 {
    e.attr(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The initiator of cell `i`: itself when it has vCPUs, else the initiator of its lowest
/// latency, else of its widest bandwidth (`None`: none of those).
fn initiator(cells: &[NumaCell], links: &[RawElement], i: usize) -> Option<usize> {
    if cells[i].cpus.is_some() {
        return Some(i);
    }
    let to_me = || links.iter().filter(|l| attr_u64(l, "target") == i as u64);
    let lowest = to_me()
        .filter(|l| l.name == "latency")
        .fold(None::<&RawElement>, |best, l| match best {
            Some(b) if attr_u64(b, "value") <= attr_u64(l, "value") => Some(b),
            _ => Some(l),
        });
    let widest = to_me()
        .filter(|l| l.name == "bandwidth")
        .fold(None::<&RawElement>, |best, l| match best {
            Some(b) if attr_u64(b, "value") >= attr_u64(l, "value") => Some(b),
            _ => Some(l),
        });
    lowest.or(widest).map(|l| attr_u64(l, "initiator") as usize)
}

/// The distance table: the cells' `<distances>`, the local and remote defaults elsewhere.
fn distances(cells: &[NumaCell]) -> Vec<Vec<u32>> {
    let n = cells.len();
    (0..n)
        .map(|i| {
            let given = cells[i].children.iter().find(|e| e.name == "distances");
            (0..n)
                .map(|j| {
                    given
                        .into_iter()
                        .flat_map(RawElement::elements)
                        .find(|s| attr_u64(s, "id") == j as u64)
                        .map(|s| attr_u64(s, "value") as u32)
                        .filter(|v| *v != 0)
                        .unwrap_or(if i == j { LOCAL } else { REMOTE })
                })
                .collect()
        })
        .collect()
}

/// `hmat-lb` of one `<latency>` or `<bandwidth>` (in KiB).
fn hmat_lb(l: &RawElement) -> String {
    const LEVELS: [&str; 4] = ["memory", "first-level", "second-level", "third-level"];
    let level = LEVELS
        .get(attr_u64(l, "cache") as usize)
        .copied()
        .unwrap_or("memory");
    let access = l.attr("type").unwrap_or("access");
    let value = attr_u64(l, "value");
    let (kind, amount) = if l.name == "bandwidth" {
        ("bandwidth", format!("bandwidth={value}K"))
    } else {
        ("latency", format!("latency={value}"))
    };
    format!(
        "hmat-lb,initiator={},target={},hierarchy={level},data-type={access}-{kind},{amount}",
        attr_u64(l, "initiator"),
        attr_u64(l, "target")
    )
}

/// `hmat-cache` of one memory-side `<cache>` of cell `cell`.
fn hmat_cache(cell: usize, c: &RawElement) -> String {
    let size = c.child("size").map_or(0, |s| attr_u64(s, "value"));
    let line = c.child("line").map_or(0, |s| attr_u64(s, "value"));
    let associativity = match c.attr("associativity") {
        Some("full") => "complex",
        Some(other) => other,
        None => "none",
    };
    let policy = match c.attr("policy") {
        Some("writeback") => "write-back",
        Some("writethrough") => "write-through",
        _ => "none",
    };
    let mut s = format!(
        "hmat-cache,node-id={cell},size={size}K,level={},associativity={associativity},policy={policy}",
        attr_u64(c, "level")
    );
    if line > 0 {
        s.push_str(&format!(",line={line}"));
    }
    s
}

/// `-smp`: the vCPUs present at start, the most there may be when more, and the topology
/// (`<cpu><topology>`, else one socket per vCPU).
pub(super) fn smp(def: &DomainDef) -> String {
    let max = def.vcpus_max.max(1);
    let mut s = def.vcpus_current.max(1).to_string();
    if def.vcpus_current.max(1) != max {
        s.push_str(&format!(",maxcpus={max}"));
    }
    match def.extras.cpu.as_ref().and_then(|c| c.topology) {
        Some([sockets, dies, cores, threads]) => s.push_str(&format!(
            ",sockets={sockets},dies={dies},cores={cores},threads={threads}"
        )),
        None => s.push_str(&format!(",sockets={max},cores=1,threads=1")),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::ParseOptions;

    fn def(inner: &str) -> DomainDef {
        let xml = format!(
            "<domain type='qemu'><name>t</name><memory unit='MiB'>96</memory>{inner}\
             <os><type arch='x86_64' machine='pc'>hvm</type></os></domain>"
        );
        DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap()
    }

    fn place() -> RamPlace<'static> {
        RamPlace {
            ram_dir: PathBuf::from("/r/ram/1-t"),
            mounts: &[],
            short: "1-t".into(),
            auto_nodes: None,
        }
    }

    #[test]
    fn smp_has_the_topology_and_the_most_vcpus_when_more() {
        let d = def(
            "<vcpu current='2'>8</vcpu><cpu><topology sockets='2' dies='2' cores='1' \
                     threads='2'/></cpu>",
        );
        assert_eq!(smp(&d), "2,maxcpus=8,sockets=2,dies=2,cores=1,threads=2");
        assert_eq!(smp(&def("<vcpu>3</vcpu>")), "3,sockets=3,cores=1,threads=1");
    }

    #[test]
    fn cells_get_backends_nodes_and_every_distance_once_one_is_not_the_default() {
        let d = def(
            "<vcpu>3</vcpu><numatune><memory mode='interleave' nodeset='0'/>\
             <memnode cellid='1' mode='restrictive' nodeset='0'/></numatune><cpu><numa>\
             <cell id='0' cpus='0,2' memory='32' unit='MiB' memAccess='shared' discard='yes'/>\
             <cell id='1' cpus='1' memory='64' unit='MiB'><distances>\
             <sibling id='0' value='15'/></distances></cell></numa></cpu>",
        );
        assert_eq!(initial_mib(&d), 96);
        let (a, contexts) = numa(&d, &place()).unwrap();
        assert!(contexts.is_empty());
        let want = [
            "-object",
            r#"{"qom-type":"memory-backend-file","id":"ram-node0","mem-path":"/r/ram/1-t/ram-node0","discard-data":true,"share":true,"size":33554432,"host-nodes":[0],"policy":"interleave"}"#,
            "-numa",
            "node,nodeid=0,cpus=0,cpus=2,memdev=ram-node0",
            // Restrictive: the control group binds it, not QEMU.
            "-object",
            r#"{"qom-type":"memory-backend-ram","id":"ram-node1","size":67108864}"#,
            "-numa",
            "node,nodeid=1,cpus=1,memdev=ram-node1",
            "-numa",
            "dist,src=0,dst=0,val=10",
            "-numa",
            "dist,src=0,dst=1,val=15",
            "-numa",
            "dist,src=1,dst=0,val=15",
            "-numa",
            "dist,src=1,dst=1,val=10",
        ];
        assert_eq!(a, want);
        assert!(ram_file_backed(&d));
        assert!(system_ram(&d, &place()).unwrap().is_none());
    }

    #[test]
    fn a_cell_without_vcpus_takes_its_best_initiator() {
        let d = def(
            "<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='32' unit='MiB'/>\
             <cell id='1' cpus='1' memory='32' unit='MiB'/><cell id='2' memory='32' unit='MiB'>\
             <cache level='3' associativity='full' policy='writethrough'><size value='4096' \
             unit='KiB'/><line value='64' unit='B'/></cache></cell><interconnects>\
             <latency initiator='0' target='2' type='access' value='30'/>\
             <latency initiator='1' target='2' type='access' value='20'/>\
             <bandwidth initiator='0' target='2' type='write' value='1' unit='MiB'/>\
             </interconnects></numa></cpu>",
        );
        assert!(has_hmat(&d));
        let (a, _) = numa(&d, &place()).unwrap();
        let numa: Vec<&str> = a
            .chunks(2)
            .filter(|w| w[0] == "-numa")
            .map(|w| w[1].as_str())
            .collect();
        assert_eq!(
            numa,
            [
                "node,nodeid=0,cpus=0,initiator=0,memdev=ram-node0",
                "node,nodeid=1,cpus=1,initiator=1,memdev=ram-node1",
                "node,nodeid=2,initiator=1,memdev=ram-node2",
                "hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-latency,latency=30",
                "hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-latency,latency=20",
                "hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=write-bandwidth,bandwidth=1024K",
                "hmat-cache,node-id=2,size=4096K,level=3,associativity=complex,policy=write-through,line=64",
            ]
        );
    }

    #[test]
    fn whole_ram_gets_a_backend_only_when_it_is_more_than_plain() {
        assert!(system_ram(&def(""), &place()).unwrap().is_none());
        let d = def(
            "<memoryBacking><allocation mode='immediate'/></memoryBacking>\
             <numatune><memory mode='strict' nodeset='0'/></numatune>",
        );
        let b = system_ram(&d, &place()).unwrap().unwrap();
        assert_eq!(
            b.object.to_string(),
            r#"{"qom-type":"memory-backend-ram","id":"pc.ram","prealloc":true,"size":100663296,"host-nodes":[0],"policy":"bind","prealloc-context":"tc-pc.ram"}"#
        );
        assert_eq!(
            b.context.unwrap().to_string(),
            r#"{"qom-type":"thread-context","id":"tc-pc.ram","node-affinity":[0]}"#
        );
    }

    #[test]
    fn every_thread_context_is_named_for_deletion() {
        // Memory allocated at once and bound to a host node: the cells' and the DIMM's
        // backends each get a thread context, and the start is told of all of them.
        let mut d = def(
            "<maxMemory slots='2' unit='MiB'>1024</maxMemory><vcpu>1</vcpu>\
             <memoryBacking><allocation mode='immediate'/></memoryBacking>\
             <numatune><memory mode='strict' nodeset='0'/></numatune>\
             <cpu><numa><cell id='0' cpus='0' memory='96' unit='MiB'/></numa></cpu>\
             <devices><memory model='dimm'><target><size unit='MiB'>32</size>\
             <node>0</node></target></memory></devices>",
        );
        crate::memdev::assign_slots(&mut d).unwrap();
        crate::alias::assign(&mut d);
        let (_, cells) = numa(&d, &place()).unwrap();
        assert_eq!(cells, ["tc-ram-node0"]);
        let (args, devices) = memory_devices(&d, &place()).unwrap();
        assert_eq!(devices, ["tc-memdimm0"]);
        assert!(
            args.iter()
                .any(|a| a.contains(r#""prealloc-context":"tc-memdimm0""#))
        );
    }

    #[test]
    fn numatune_errors_are_libvirts() {
        let e = system_ram(
            &def("<numatune><memory mode='strict' nodeset='4095'/></numatune>"),
            &place(),
        )
        .err()
        .unwrap();
        assert!(
            e.to_string().ends_with("NUMA node 4095 is unavailable"),
            "{e}"
        );
        let e = system_ram(
            &def(
                "<vcpu placement='auto'>1</vcpu><numatune><memory mode='strict' \
                  placement='auto'/></numatune>",
            ),
            &place(),
        )
        .err()
        .unwrap();
        assert!(e.to_string().ends_with("automatic numa placement"), "{e}");
    }
}
