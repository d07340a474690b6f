//! Memory devices as libvirt's QEMU driver handles them: DIMMs and NVDIMMs in the slots
//! `<maxMemory slots>` gives the guest, each slot assigned at define (the first free one) and
//! checked (slots, NUMA node, room under `<maxMemory>`), named by its slot (`dimm0`), and
//! placed by QEMU, whose base address the live XML then shows; virtio-mem and virtio-pmem
//! devices on the PCI bus, named in order (`virtiomem0`), a virtio-mem device's plugged size
//! in the live XML. How they are matched, checked and changed by device calls (DIMMs plug and
//! unplug live; a virtio-mem device's requested size changes) is here too; their command line
//! is `crate::command`'s.
//!
//! SGX EPC sections are not given to QEMU (a start or `domxml-to-native` of a guest with one
//! fails).

use rvirt_conf::DomainDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

const FROM: ErrorDomain = ErrorDomain::QEMU;

fn unsupported(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// The memory devices of `def`, in order.
pub(crate) fn devices(def: &DomainDef) -> impl Iterator<Item = &RawElement> {
    def.devices
        .other
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e.name == "memory")
}

/// Whether a memory device sits in a DIMM slot (DIMMs and NVDIMMs).
fn slotted(e: &RawElement) -> bool {
    matches!(e.attr("model"), Some("dimm" | "nvdimm"))
}

/// The `<address type='dimm'>` of a memory device: its slot and base address (0 when not
/// given).
pub(crate) fn dimm_address(e: &RawElement) -> Option<(u32, u64)> {
    let a = e
        .child("address")
        .filter(|a| a.attr("type") == Some("dimm"))?;
    let slot = a.attr("slot").and_then(rvirt_conf::xml::parse_uint_auto);
    // Hexadecimal with or without its `0x`, as libvirt reads it (`base='1000'` is 0x1000).
    let base = a.attr("base").and_then(rvirt_conf::xml::parse_hex);
    Some((slot.unwrap_or(0), base.unwrap_or(0)))
}

/// The guest NUMA node (`<target><node>`) of a memory device.
pub(crate) fn target_node(e: &RawElement) -> Option<u32> {
    e.child("target")?
        .child("node")?
        .text()?
        .trim()
        .parse()
        .ok()
}

/// A KiB size of a memory device at `path` under it (`["target", "size"]`), 0 when absent.
pub(crate) fn kib_at(e: &RawElement, path: &[&str]) -> u64 {
    let mut at = Some(e);
    for name in path {
        at = at.and_then(|x| x.child(name));
    }
    at.and_then(RawElement::text)
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

/// The size of a memory device in KiB.
pub(crate) fn size_kib(e: &RawElement) -> u64 {
    kib_at(e, &["target", "size"])
}

/// The alias libvirt gives a slotted memory device: its model's prefix and its slot
/// (`dimm0`, `nvdimm1`).
pub(crate) fn alias(e: &RawElement) -> Option<String> {
    let (slot, _) = dimm_address(e)?;
    let prefix = match e.attr("model")? {
        "dimm" => "dimm",
        "nvdimm" => "nvdimm",
        _ => return None,
    };
    Some(format!("{prefix}{slot}"))
}

fn set_address(e: &mut RawElement, slot: u32, base: u64) {
    let mut attrs = vec![
        ("type".to_string(), "dimm".to_string()),
        ("slot".to_string(), slot.to_string()),
    ];
    if base != 0 {
        attrs.push(("base".to_string(), format!("{base:#x}")));
    }
    let address = RawElement {
        name: "address".into(),
        attrs,
        children: Vec::new(),
    };
    match e.child_mut("address") {
        Some(a) => *a = address,
        None => {
            // After the alias, where libvirt prints the address.
            e.children.push(RawNode::Element(address));
        }
    }
}

/// libvirt's check of a memory device being attached to (`attach`) or detached from `def`:
/// the domain has `<maxMemory>`, and an attached device fits under it.
pub(crate) fn compatible(def: &DomainDef, e: &RawElement, attach: bool) -> Result<()> {
    let Some(max) = def.max_memory.as_ref() else {
        return Err(unsupported(
            "cannot use/hotplug a memory device when domain 'maxMemory' is not defined",
        ));
    };
    let size = size_kib(e);
    if attach && def.memory_kib + size > max.kib {
        return Err(unsupported(format!(
            "Attaching memory device with size '{size}' would exceed domain's maxMemory \
             config size '{}'",
            max.kib
        )));
    }
    Ok(())
}

/// A text child of `<source>` (`pagesize`, `nodemask`, `path`).
pub(crate) fn source_text<'a>(e: &'a RawElement, name: &str) -> Option<&'a str> {
    e.child("source")?.child(name)?.text().map(str::trim)
}

/// The memory device of `def` that `wanted` names, as libvirt matches one
/// (`virDomainMemoryFindByDef`): the same model, node, size and source (page size and host
/// nodes, or path), and the same address and alias when `wanted` gives them; with `fallback`,
/// among the devices without an address only (libvirt's second try for the persistent
/// definition). Its index in `def.devices.other`.
pub(crate) fn find(def: &DomainDef, wanted: &RawElement, fallback: bool) -> Option<usize> {
    def.devices.other.iter().position(|(_, e)| {
        if e.name != "memory" {
            return false;
        }
        if fallback {
            if e.child("address").is_some() {
                return false;
            }
        } else if let Some(a) = wanted.child("address")
            && e.child("address").is_none_or(|b| {
                a.attr("type") != b.attr("type") || dimm_address(wanted) != dimm_address(e)
            })
        {
            return false;
        }
        if let Some(alias) = rvirt_conf::domain::raw_alias(wanted)
            && rvirt_conf::domain::raw_alias(e) != Some(alias)
        {
            return false;
        }
        let model = wanted.attr("model");
        if e.attr("model") != model
            || target_node(e) != target_node(wanted)
            || size_kib(e) != size_kib(wanted)
            || ["block", "requested"]
                .iter()
                .any(|n| kib_at(e, &["target", n]) != kib_at(wanted, &["target", n]))
        {
            return false;
        }
        match model {
            Some("dimm" | "virtio-mem") => {
                source_text(e, "pagesize") == source_text(wanted, "pagesize")
                    && source_text(e, "nodemask") == source_text(wanted, "nodemask")
            }
            Some("nvdimm" | "virtio-pmem") => source_text(e, "path") == source_text(wanted, "path"),
            Some("sgx-epc") => source_text(e, "nodemask") == source_text(wanted, "nodemask"),
            _ => true,
        }
    })
}

/// The memory device of `def` at the address (and with the alias, when given) of `wanted`,
/// as libvirt finds the device an update names (`virDomainMemoryFindByDeviceInfo`); its
/// index in `def.devices.other`.
pub(crate) fn find_by_info(def: &DomainDef, wanted: &RawElement) -> Option<usize> {
    let alias = rvirt_conf::domain::raw_alias(wanted);
    def.devices.other.iter().position(|(_, e)| {
        e.name == "memory"
            && e.sorted_child_attrs("address") == wanted.sorted_child_attrs("address")
            && alias.is_none_or(|a| rvirt_conf::domain::raw_alias(e) == Some(a))
    })
}

/// libvirt's checks of a live memory device update: only a virtio-mem device's requested
/// size may change, everything else is refused with what it would have changed.
pub(crate) fn check_change(old: &RawElement, new: &RawElement) -> Result<()> {
    let model = |e: &RawElement| e.attr("model").unwrap_or_default().to_string();
    if model(old) != "virtio-mem" {
        return Err(unsupported(format!(
            "cannot modify memory of model '{}'",
            model(old)
        )));
    }
    if model(old) != model(new) {
        return Err(unsupported(format!(
            "cannot modify memory model from '{}' to '{}'",
            model(old),
            model(new)
        )));
    }
    let attr = |e: &RawElement, k: &str, none: &str| e.attr(k).unwrap_or(none).to_string();
    for (key, none) in [("access", "default"), ("discard", "absent")] {
        let (a, b) = (attr(old, key, none), attr(new, key, none));
        if a != b {
            return Err(unsupported(format!(
                "cannot modify memory {key} from '{a}' to '{b}'"
            )));
        }
    }
    if source_text(old, "nodemask") != source_text(new, "nodemask") {
        return Err(unsupported("cannot modify memory source nodes"));
    }
    let kib = kib_at;
    let (a, b) = (
        kib(old, &["source", "pagesize"]),
        kib(new, &["source", "pagesize"]),
    );
    if a != b {
        return Err(unsupported(format!(
            "cannot modify memory pagesize from '{a}' to '{b}'"
        )));
    }
    let node = |e: &RawElement| target_node(e).map_or(-1, i64::from);
    if node(old) != node(new) {
        return Err(unsupported(format!(
            "cannot modify memory targetNode from '{}' to '{}'",
            node(old),
            node(new)
        )));
    }
    for (what, path) in [
        ("size", &["target", "size"][..]),
        ("label size", &["target", "label", "size"][..]),
        ("block size", &["target", "block"][..]),
    ] {
        let (a, b) = (kib(old, path), kib(new, path));
        if a != b {
            return Err(unsupported(format!(
                "cannot modify memory {what} from '{a}' to '{b}'"
            )));
        }
    }
    Ok(())
}

/// Sets the requested size (KiB) of a virtio-mem device.
pub(crate) fn set_requested(e: &mut RawElement, kib: u64) {
    if let Some(r) = e.child_mut("target").and_then(|t| t.child_mut("requested")) {
        r.children = vec![RawNode::Text(kib.to_string())];
    }
}

/// Puts memory device `e` into `def` after its other memory devices (where libvirt keeps
/// them), its size added to the domain's.
pub(crate) fn insert(def: &mut DomainDef, e: RawElement) {
    def.memory_kib += size_kib(&e);
    def.devices.insert_other(e);
}

/// The index in `def.devices.other` of the memory device with alias `alias`.
pub(crate) fn position_by_alias(def: &DomainDef, alias: &str) -> Option<usize> {
    crate::alias::raw_position(def, "memory", alias)
}

/// Takes the memory device at `i` out of a persistent definition, its size taken from the
/// domain's memory and from its current memory (as libvirt's config detach does).
pub(crate) fn remove_configured(def: &mut DomainDef, i: usize) {
    let gone = remove(def, i);
    def.current_memory_kib = def.current_memory_kib.saturating_sub(size_kib(&gone));
}

/// Takes the memory device at `i` out of `def`, its size taken from the domain's.
pub(crate) fn remove(def: &mut DomainDef, i: usize) -> RawElement {
    let (_, e) = def.devices.other.remove(i);
    def.memory_kib = def.memory_kib.saturating_sub(size_kib(&e));
    e
}

/// Gives memory device `e`, about to be hot-plugged into `def`, the first free slot when it
/// has no address, with libvirt's error when there is none.
pub(crate) fn assign_slot(def: &DomainDef, e: &mut RawElement) -> Result<()> {
    if !slotted(e) || e.child("address").is_some() {
        return Ok(());
    }
    let slot = free_slot(def)
        .ok_or_else(|| Error::internal(FROM, "failed to find an empty memory slot"))?;
    set_address(e, slot, 0);
    Ok(())
}

/// The memory sizes of a new definition (libvirt's post-parse with ABI updates, as a
/// define or create makes it): a guest with NUMA cells has their memory plus its memory
/// devices' as its total, whatever `<memory>` said, and no more current memory than that.
pub(crate) fn settle_sizes(def: &mut DomainDef) -> Result<()> {
    let Some(cells) = def
        .extras
        .cpu
        .as_ref()
        .map(|c| &c.cells)
        .filter(|c| !c.is_empty())
    else {
        return Ok(());
    };
    let numa: u64 = cells.iter().map(|c| c.memory_kib).sum();
    let total = numa + devices(def).map(size_kib).sum::<u64>();
    def.memory_kib = total;
    if def.current_memory_kib == 0 || def.current_memory_kib > total {
        def.current_memory_kib = total;
    }
    if def.max_memory.as_ref().is_some_and(|m| m.kib < total) {
        return Err(Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::XML_ERROR,
            "maximum memory size must be equal or greater than the actual memory size",
        ));
    }
    Ok(())
}

/// The sizes a fresh start gives QEMU, written into the live definition as libvirt's
/// qemuDomainAlignMemorySizes writes them: NUMA cells rounded up to whole MiB (256 MiB on
/// ppc64), the initial memory too (the cells' sum when there are cells), `<maxMemory>` the
/// same, memory devices to 2 MiB (256 MiB on ppc64), and `<memory>` the initial memory plus
/// the devices'.
pub(crate) fn align_sizes(def: &mut DomainDef) {
    let ppc64 = matches!(def.os.arch.as_deref(), Some("ppc64" | "ppc64le"));
    let (align, module_align) = if ppc64 {
        (256 * 1024, 256 * 1024)
    } else {
        (1024, 2048)
    };
    let up = |kib: u64, to: u64| kib.div_ceil(to) * to;
    let devices_before: u64 = devices(def).map(size_kib).sum();
    let mut initial = 0;
    if let Some(cpu) = def.extras.cpu.as_mut() {
        for c in &mut cpu.cells {
            c.memory_kib = up(c.memory_kib, align);
            initial += c.memory_kib;
        }
    }
    if initial == 0 {
        initial = up(def.memory_kib.saturating_sub(devices_before), align);
    }
    if let Some(m) = def.max_memory.as_mut() {
        m.kib = up(m.kib, align);
    }
    let mut devices_after = 0;
    for (_, e) in def
        .devices
        .other
        .iter_mut()
        .filter(|(_, e)| e.name == "memory")
    {
        let kib = up(size_kib(e), module_align);
        if let Some(size) = e.child_mut("target").and_then(|t| t.child_mut("size")) {
            size.children = vec![RawNode::Text(kib.to_string())];
        }
        devices_after += kib;
    }
    def.memory_kib = initial + devices_after;
}

/// What the guest's virtio-mem devices have plugged, in KiB (their live `<current>`).
pub(crate) fn plugged_kib(def: &DomainDef) -> u64 {
    devices(def)
        .filter(|e| e.attr("model") == Some("virtio-mem"))
        .map(|e| kib_at(e, &["target", "current"]))
        .sum()
}

/// What a virtio-mem device now has plugged (QEMU's `MEMORY_DEVICE_SIZE_CHANGE`, `bytes`):
/// its live `<current>`, and the domain's current memory, which counts what such devices have
/// plugged besides the balloon (as libvirt keeps it). The new size in KiB (rounded up, as
/// libvirt reports it), or `None` when the definition has no virtio-mem device `alias`.
pub(crate) fn set_plugged(def: &mut DomainDef, alias: &str, bytes: u64) -> Option<u64> {
    let kib = bytes.div_ceil(1024);
    let e = def.devices.other.iter_mut().map(|(_, e)| e).find(|e| {
        e.name == "memory"
            && e.attr("model") == Some("virtio-mem")
            && rvirt_conf::domain::raw_alias(e) == Some(alias)
    })?;
    let old = kib_at(e, &["target", "current"]);
    set_current(e.child_mut("target")?, kib);
    def.current_memory_kib = def.current_memory_kib.saturating_sub(old) + kib;
    Some(kib)
}

/// Sets `<current unit='KiB'>` of a virtio-mem device's `<target>`, after `<requested>`.
fn set_current(target: &mut RawElement, kib: u64) {
    let current = RawElement {
        name: "current".into(),
        attrs: vec![("unit".into(), "KiB".into())],
        children: vec![RawNode::Text(kib.to_string())],
    };
    match target.child_mut("current") {
        Some(c) => *c = current,
        None => target.children.push(RawNode::Element(current)),
    }
}

/// The alias prefix of a memory device on the PCI bus or an SGX EPC section, whose aliases
/// libvirt numbers in order (`virtiomem0`, see `crate::alias`).
pub(crate) fn indexed_prefix(e: &RawElement) -> Option<&'static str> {
    match e.attr("model")? {
        "virtio-mem" => Some("virtiomem"),
        "virtio-pmem" => Some("virtiopmem"),
        "sgx-epc" => Some("epc"),
        _ => None,
    }
}

/// The first slot no device of `def` holds, `None` when every one of its slots is taken.
fn free_slot(def: &DomainDef) -> Option<u32> {
    let slots = def.max_memory.as_ref().map_or(0, |m| m.slots);
    let taken: Vec<u32> = devices(def)
        .filter_map(dimm_address)
        .map(|(s, _)| s)
        .collect();
    (0..slots).find(|s| !taken.contains(s))
}

/// Gives each slotted memory device without an address the first free slot, as libvirt
/// does when a guest with `<maxMemory>` is defined.
pub(crate) fn assign_slots(def: &mut DomainDef) -> Result<()> {
    if def.max_memory.is_none() {
        return Ok(());
    }
    for i in 0..def.devices.other.len() {
        let e = &def.devices.other[i].1;
        if e.name != "memory" || !slotted(e) || e.child("address").is_some() {
            continue;
        }
        let slot = free_slot(def)
            .ok_or_else(|| Error::internal(FROM, "failed to find an empty memory slot"))?;
        set_address(&mut def.devices.other[i].1, slot, 0);
    }
    Ok(())
}

/// libvirt's checks of one memory device against the domain it is (to be) in.
fn validate_device(def: &DomainDef, e: &RawElement) -> Result<()> {
    let model = e.attr("model").unwrap_or("");
    let cells = def.extras.cpu.as_ref().map_or(0, |c| c.cells.len());
    match model {
        "dimm" | "nvdimm" => {
            if let Some(a) = e.child("address")
                && a.attr("type") != Some("dimm")
            {
                return Err(unsupported(
                    "only 'dimm' addresses are supported for the pc-dimm device",
                ));
            }
            if let Some((slot, base)) = dimm_address(e) {
                let slots = def.max_memory.as_ref().map_or(0, |m| m.slots);
                if slot >= slots {
                    return Err(unsupported(format!(
                        "memory device slot '{slot}' exceeds slots count '{slots}'"
                    )));
                }
                for other in devices(def).filter(|o| !std::ptr::eq(*o, e)) {
                    let Some((s, b)) = dimm_address(other) else {
                        continue;
                    };
                    if s == slot {
                        return Err(unsupported(format!(
                            "memory device slot '{slot}' is already being used by another \
                             memory device"
                        )));
                    }
                    if base != 0 && b == base {
                        return Err(unsupported(format!(
                            "memory device base '{base:#x}' is already being used by another \
                             memory device"
                        )));
                    }
                }
            }
        }
        "virtio-pmem" | "virtio-mem" => {
            if let Some(a) = e.child("address")
                && a.attr("type") != Some("pci")
            {
                let what = if model == "virtio-pmem" {
                    "only 'pci' addresses are supported for the virtio-pmem device".to_string()
                } else {
                    format!("only 'pci' addresses are supported for the {model} device")
                };
                return Err(unsupported(what));
            }
        }
        "sgx-epc" => {
            return Err(unsupported(format!(
                "hotplug is not supported for the {model} device"
            )));
        }
        _ => {}
    }
    if model != "virtio-pmem" && cells > 0 && target_node(e).is_none() {
        return Err(unsupported(
            "target NUMA node needs to be specified for memory device",
        ));
    }
    Ok(())
}

/// What QEMU's capabilities decide of memory device `e`, checked before anything else (as
/// libvirt validates a device it has just parsed): SGX needs a host that has it, which
/// rvirt's domain capabilities never claim (`<sgx supported='no'/>`).
pub(crate) fn check_caps(e: &RawElement) -> Result<()> {
    if e.attr("model") == Some("sgx-epc") {
        return Err(unsupported("sgx epc isn't supported by this QEMU binary"));
    }
    Ok(())
}

/// libvirt's checks of a guest's memory devices against `<maxMemory>` (and, with `new`, of a
/// device about to be hot-plugged): devices need `<maxMemory>` and (on x86) NUMA cells, no
/// more devices than slots, and room for all of them above the initial memory.
pub(crate) fn validate(def: &DomainDef, new: Option<&RawElement>) -> Result<()> {
    for e in devices(def).chain(new) {
        check_caps(e)?;
    }
    // SGX EPC sections are not hot-pluggable memory and take no slot.
    let hotpluggable = |e: &&RawElement| e.attr("model") != Some("sgx-epc");
    let count = devices(def).filter(hotpluggable).count() + usize::from(new.is_some());
    if let Some(n) = new {
        validate_device(def, n)?;
    }
    let Some(max) = def.max_memory.as_ref() else {
        if count > 0 {
            return Err(unsupported(
                "cannot use/hotplug a memory device when domain 'maxMemory' is not defined",
            ));
        }
        return Ok(());
    };
    let cells = def.extras.cpu.as_ref().map_or(0, |c| c.cells.len());
    if cells == 0 {
        return Err(unsupported(
            "At least one numa node has to be configured when enabling memory hotplug",
        ));
    }
    if count > max.slots as usize {
        return Err(unsupported(format!(
            "memory device count '{count}' exceeds slots count '{}'",
            max.slots
        )));
    }
    let mut hotplugged = new.map_or(0, size_kib);
    for e in devices(def).filter(hotpluggable) {
        hotplugged += size_kib(e);
        if new.is_none() {
            validate_device(def, e)?;
        }
    }
    let initial: u64 = def
        .extras
        .cpu
        .as_ref()
        .map_or(0, |c| c.cells.iter().map(|c| c.memory_kib).sum());
    if hotplugged > max.kib.saturating_sub(initial) {
        return Err(unsupported(
            "memory device total size exceeds hotplug space",
        ));
    }
    Ok(())
}

/// Where QEMU placed the guest's DIMMs (`query-memory-devices`): each one's slot and base
/// address into the live definition, as libvirt shows them once the guest runs.
pub(crate) fn record_placement(def: &mut DomainDef, answer: &serde_json::Value) {
    // What the guest plugged of each virtio-mem device.
    let plugged: Vec<(String, u64)> = answer
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["type"] == "virtio-mem")
        .filter_map(|d| {
            let data = &d["data"];
            Some((data["id"].as_str()?.to_string(), data["size"].as_u64()?))
        })
        .collect();
    for (_, e) in def.devices.other.iter_mut() {
        let Some(alias) = rvirt_conf::domain::raw_alias(e).map(str::to_string) else {
            continue;
        };
        let Some((_, bytes)) = plugged.iter().find(|(id, _)| *id == alias) else {
            continue;
        };
        if let Some(t) = e.child_mut("target") {
            set_current(t, bytes / 1024);
        }
    }
    let placed: Vec<(String, u32, u64)> = answer
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| matches!(d["type"].as_str(), Some("dimm" | "nvdimm")))
        .filter_map(|d| {
            let data = &d["data"];
            Some((
                data["id"].as_str()?.to_string(),
                data["slot"].as_u64()? as u32,
                data["addr"].as_u64()?,
            ))
        })
        .collect();
    for (_, e) in def.devices.other.iter_mut() {
        if e.name != "memory" {
            continue;
        }
        let Some(alias) = rvirt_conf::domain::raw_alias(e).map(str::to_string) else {
            continue;
        };
        if let Some((_, slot, base)) = placed.iter().find(|(id, _, _)| *id == alias) {
            set_address(e, *slot, *base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::ParseOptions;

    /// A guest whose memory is its cells' and devices' (or 160 MiB without cells).
    fn def(max: &str, cells: &str, mems: &str) -> DomainDef {
        let memory = if cells.is_empty() {
            "<memory unit='MiB'>160</memory>"
        } else {
            ""
        };
        let xml = format!(
            "<domain type='qemu'><name>m</name>{max}{memory}\
             <vcpu>2</vcpu><os><type arch='x86_64'>hvm</type></os>{cells}\
             <devices>{mems}</devices></domain>"
        );
        DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap()
    }

    const MAX: &str = "<maxMemory slots='2' unit='MiB'>1024</maxMemory>";
    const CELLS: &str = "<cpu><numa><cell id='0' cpus='0-1' memory='64' \
                         unit='MiB'/></numa></cpu>";

    fn dimm(size_mib: u32, extra: &str) -> String {
        format!(
            "<memory model='dimm'><target><size unit='MiB'>{size_mib}</size><node>0</node>\
             </target>{extra}</memory>"
        )
    }

    #[test]
    fn slots_are_the_first_free_ones() {
        let mut d = def(
            MAX,
            CELLS,
            &format!(
                "{}{}",
                dimm(32, ""),
                dimm(64, "<address type='dimm' slot='0'/>")
            ),
        );
        assign_slots(&mut d).unwrap();
        let slots: Vec<_> = devices(&d).map(|e| dimm_address(e).unwrap().0).collect();
        assert_eq!(slots, [1, 0]);
        assert_eq!(
            devices(&d).filter_map(alias).collect::<Vec<_>>(),
            ["dimm1", "dimm0"]
        );
        validate(&d, None).unwrap();
        // A third has no slot left.
        let mut d = def(
            MAX,
            CELLS,
            &format!("{}{}{}", dimm(32, ""), dimm(32, ""), dimm(32, "")),
        );
        let e = assign_slots(&mut d).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("failed to find an empty memory slot")
        );
    }

    #[test]
    fn checks_are_libvirts() {
        let err = |d: DomainDef| validate(&d, None).unwrap_err().to_string();
        assert!(err(def("", CELLS, &dimm(32, ""))).ends_with(
            "cannot use/hotplug a memory device when domain 'maxMemory' is not defined"
        ));
        assert!(
            err(def(MAX, "", &dimm(32, "").replace("<node>0</node>", ""))).ends_with(
                "At least one numa node has to be configured when enabling memory hotplug"
            )
        );
        assert!(
            err(def(
                MAX,
                CELLS,
                &dimm(32, "<address type='dimm' slot='2'/>")
            ))
            .ends_with("memory device slot '2' exceeds slots count '2'")
        );
        let two = format!(
            "{}{}",
            dimm(32, "<address type='dimm' slot='1'/>"),
            dimm(32, "<address type='dimm' slot='1'/>")
        );
        assert!(
            err(def(MAX, CELLS, &two))
                .ends_with("memory device slot '1' is already being used by another memory device")
        );
        let d = def(
            "<maxMemory slots='2' unit='MiB'>96</maxMemory>",
            CELLS,
            &format!("{}{}", dimm(16, ""), dimm(16, "")),
        );
        validate(&d, None).unwrap();
        let new = RawElement::from_node(
            roxmltree::Document::parse(&dimm(16, ""))
                .unwrap()
                .root_element(),
            false,
        );
        assert!(
            validate(&d, Some(&new))
                .unwrap_err()
                .to_string()
                .ends_with("memory device count '3' exceeds slots count '2'")
        );
        let d = def(
            "<maxMemory slots='4' unit='MiB'>96</maxMemory>",
            CELLS,
            &format!("{}{}", dimm(16, ""), dimm(16, "")),
        );
        assert!(
            validate(&d, Some(&new))
                .unwrap_err()
                .to_string()
                .ends_with("memory device total size exceeds hotplug space")
        );
    }

    #[test]
    fn qemus_placement_goes_into_the_live_definition() {
        let mut d = def(MAX, CELLS, &dimm(32, ""));
        assign_slots(&mut d).unwrap();
        crate::alias::assign(&mut d);
        let answer = serde_json::json!([{"type": "dimm", "data": {"slot": 0, "node": 0,
            "addr": 4294967296u64, "memdev": "/objects/memdimm0", "id": "dimm0",
            "hotpluggable": true, "hotplugged": false, "size": 33554432}}]);
        record_placement(&mut d, &answer);
        let e = devices(&d).next().unwrap();
        assert_eq!(dimm_address(e), Some((0, 0x1_0000_0000)));
        assert_eq!(
            e.child("address").unwrap().attr("base"),
            Some("0x100000000")
        );
    }
}
