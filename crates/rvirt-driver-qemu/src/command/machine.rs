//! What `<features>` and `<clock>` put on the command line, as libvirt 9.0 does for x86:
//! machine options (`vmport`, `smm`, `kernel_irqchip` from the I/O APIC driver), the PMU switch
//! on `-cpu`, the vmcoreinfo device, and the timers (`driftfix` of the RTC, the PIT's lost
//! tick policy, `-no-hpet`).

use super::{device, unsupported};
use crate::defaults::{feature, feature_state as state};
use rvirt_conf::DomainDef;
use rvirt_conf::raw::RawElement;
use rvirt_types::Result;
use serde_json::json;

/// The machine options the features ask for, each with its leading comma.
pub(super) fn machine_options(def: &DomainDef) -> String {
    let mut s = String::new();
    if let Some(v) = state(def, "vmport") {
        s.push_str(&format!(",vmport={v}"));
    }
    if let Some(v) = state(def, "smm") {
        s.push_str(&format!(",smm={v}"));
    }
    match feature(def, "ioapic").and_then(|e| e.attr("driver")) {
        Some("qemu") => s.push_str(",kernel_irqchip=split"),
        Some("kvm") => s.push_str(",kernel_irqchip=on"),
        _ => {}
    }
    s
}

/// What the `-cpu` value gets after the model: the PMU switch.
pub(super) fn cpu_options(def: &DomainDef) -> String {
    let mut s = String::new();
    // A Hyper-V crash notifier is a CPU feature, not a device.
    if def
        .devices
        .other
        .iter()
        .any(|(_, e)| e.name == "panic" && e.attr("model") == Some("hyperv"))
    {
        s.push_str(",hv-crash");
    }
    if let Some(v) = state(def, "pmu") {
        s.push_str(&format!(",pmu={v}"));
    }
    s
}

fn timer<'a>(def: &'a DomainDef, name: &str) -> Option<&'a RawElement> {
    def.clock
        .timers
        .iter()
        .find(|t| t.attr("name") == Some(name))
}

/// What `-rtc` gets after its base: the RTC timer's catch-up.
pub(super) fn rtc_options(def: &DomainDef) -> Result<String> {
    Ok(match timer(def, "rtc").and_then(|t| t.attr("tickpolicy")) {
        None | Some("delay") => String::new(),
        Some("catchup") => ",driftfix=slew".into(),
        Some(other) => {
            return Err(unsupported(format!(
                "unsupported rtc timer tickpolicy '{other}'"
            )));
        }
    })
}

/// The PIT's lost tick policy and the HPET's absence, as arguments.
pub(super) fn timers(def: &DomainDef) -> Result<Vec<String>> {
    let mut a = Vec::new();
    if let Some(p) = timer(def, "pit").and_then(|t| t.attr("tickpolicy")) {
        let policy = match p {
            "delay" => "delay",
            "catchup" => "slew",
            "discard" => "discard",
            other => {
                return Err(unsupported(format!("unsupported pit tickpolicy '{other}'")));
            }
        };
        a.push("-global".into());
        a.push(format!("kvm-pit.lost_tick_policy={policy}"));
    }
    if timer(def, "hpet").and_then(|t| t.attr("present")) == Some("no") {
        a.push("-no-hpet".into());
    }
    Ok(a)
}

/// The vmcoreinfo device, when the feature is on.
pub(super) fn vmcoreinfo(def: &DomainDef, a: &mut Vec<String>) {
    if state(def, "vmcoreinfo") == Some("on") {
        device(a, json!({"driver": "vmcoreinfo"}));
    }
}

/// The id QEMU's x86 machines give their RAM, which a memory backend takes over.
pub(super) const RAM_ID: &str = "pc.ram";

/// Whether the guest's RAM is a file (in the domain's RAM folder, see
/// `crate::virtiofs::ram_dir`): `<memoryBacking>` with an access mode or a file source, and no
/// memfd source.
pub(crate) fn ram_file_backed(def: &DomainDef) -> bool {
    let Some(b) = def.extras.memory_backing.as_ref() else {
        return false;
    };
    let cells = def.extras.cpu.as_ref().is_some_and(|c| !c.cells.is_empty());
    !cells
        && b.source.as_deref() != Some("memfd")
        && (b.access.is_some() || b.source.as_deref() == Some("file"))
}

/// The guest RAM as a memory backend object, as libvirt 9.0 makes it when `<memoryBacking>`
/// asks for what plain RAM is not: a file on huge pages (`huge`: the guest's folder on the
/// hugetlbfs mount and its page size in KiB, see `crate::hugepages`), a file in the domain's
/// RAM folder (`ram_dir`) for an access mode or a file source, a memfd for a memfd source (on
/// huge pages too); shared or private as the access mode says, preallocated on huge pages and
/// for `<allocation mode='immediate'>`, and the RAM block named as QEMU's default one
/// (`x-use-canonical-path-for-ramblock-id` off), so that a save image loads either way. `None`
/// for plain RAM (`-m` alone), and for guests with NUMA cells (whose memory the driver does not
/// lay out per cell yet).
pub(super) fn memory_backend(
    def: &DomainDef,
    ram_dir: &std::path::Path,
    huge: Option<(&std::path::Path, u64)>,
    size_bytes: u64,
) -> Option<serde_json::Value> {
    let b = def.extras.memory_backing.as_ref()?;
    if def.extras.cpu.as_ref().is_some_and(|c| !c.cells.is_empty()) {
        return None;
    }
    let mut v = if b.source.as_deref() == Some("memfd") {
        let mut v = json!({"qom-type": "memory-backend-memfd", "id": RAM_ID});
        if let Some((_, page_kib)) = huge {
            v["hugetlb"] = json!(true);
            v["hugetlbsize"] = json!(page_kib << 10);
        }
        v
    } else if let Some((dir, _)) = huge {
        let mut v = json!({"qom-type": "memory-backend-file", "id": RAM_ID,
            "mem-path": dir.display().to_string()});
        if b.discard {
            v["discard-data"] = json!(true);
        }
        v
    } else if ram_file_backed(def) {
        let path = ram_dir.join(RAM_ID);
        let mut v = json!({"qom-type": "memory-backend-file", "id": RAM_ID,
            "mem-path": path.display().to_string()});
        if b.discard {
            v["discard-data"] = json!(true);
        }
        v
    } else {
        return None;
    };
    match b.access.as_deref() {
        Some("shared") => v["share"] = json!(true),
        Some("private") => v["share"] = json!(false),
        _ => {}
    }
    v["x-use-canonical-path-for-ramblock-id"] = json!(false);
    if huge.is_some() || b.allocation.as_deref() == Some("immediate") {
        v["prealloc"] = json!(true);
    }
    if b.allocation_threads > 0 {
        v["prealloc-threads"] = json!(b.allocation_threads);
    }
    v["size"] = json!(size_bytes);
    Some(v)
}
