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

/// The model part of `-cpu` (libvirt's qemuBuildCpuModelArgStr): the model (`host` for a
/// passthrough CPU, `max` for the maximum one, with its `migratable` switch), the vendor ID,
/// then each feature on or off (an optional one left to the model). `None` for a CPU with
/// no model.
pub(super) fn cpu_model_arg(cpu: &rvirt_conf::domain::CpuDef) -> Option<String> {
    let mut s = match cpu.mode.as_ref() {
        "host-passthrough" | "maximum" => {
            let mut s = String::from(if cpu.mode == "maximum" { "max" } else { "host" });
            if let Some(m) = &cpu.migratable {
                s.push_str(&format!(",migratable={m}"));
            }
            s
        }
        _ => cpu.model.clone()?,
    };
    if let Some(v) = &cpu.vendor_id {
        s.push_str(&format!(",vendor={v}"));
    }
    for (policy, name) in &cpu.features {
        let name = rvirt_cpumap::feature_to_qemu(name);
        match policy.as_ref() {
            "force" | "require" => s.push_str(&format!(",{name}=on")),
            "disable" | "forbid" => s.push_str(&format!(",{name}=off")),
            _ => {}
        }
    }
    Some(s)
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
