//! The host-model CPU of each accelerator of a QEMU binary (libvirt's
//! `virQEMUCapsInitHostCPUModel`), and what a start makes of a guest's CPU with it before QEMU
//! runs (`qemuProcessUpdateGuestCPU`): the host model put in for mode `host-model` and match
//! `minimum`, optional features settled, the partial check against the host, features QEMU does
//! not know dropped.
//!
//! The host model comes from the probe: QEMU's static expansion of `host` (KVM) or `max` (TCG),
//! once migratable and once not, decoded with libvirt's CPU map among the models QEMU offers
//! with that accelerator. libvirt checks a guest CPU against a "full" host CPU that, with KVM,
//! also holds what the host's own CPUID instruction reports, and so does rvirt.

use rvirt_conf::DomainDef;
use rvirt_conf::domain::CpuDef;
use rvirt_cpumap::{CpuMap, ExpandedCpu, HvModel};
use rvirt_qmp::{CpuDefinition, HostCpuExpansion, ProbeResult};
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::Value;
use std::sync::Arc;

/// The host-model CPUs of one accelerator (libvirt's `virQEMUCapsHostCPUData`).
pub(crate) struct HostModels {
    /// What domain capabilities report: features that block migration included.
    pub(crate) reported: CpuDef,
    /// What a start gives a guest: features that block migration left out.
    pub(crate) migratable: CpuDef,
    /// With KVM: the host's own CPU with every feature of the reported one (libvirt's "full"
    /// host CPU), what guest CPUs are checked against.
    full: Option<CpuDef>,
    /// Every property of QEMU's expansion, in libvirt's spelling: the features QEMU knows.
    known: Vec<String>,
}

impl HostModels {
    /// The CPU a guest CPU is checked against: the full one, else the reported one.
    fn host(&self) -> &CpuDef {
        self.full.as_ref().unwrap_or(&self.reported)
    }
}

/// The expansion's properties as libvirt merges its two expansions: a feature on in the
/// migratable one is on and migratable, one on only without migratability is on and blocks
/// migration (`virQEMUCapsProbeQMPHostCPU`).
fn merged(x: &HostCpuExpansion) -> Vec<(&str, &Value, Option<bool>)> {
    x.props
        .iter()
        .map(|(name, v)| {
            let nm = x.non_migratable.get(name);
            match (v, nm) {
                (Value::Bool(true), Some(Value::Bool(_))) => (name.as_str(), v, Some(true)),
                (Value::Bool(false), Some(Value::Bool(true))) => {
                    (name.as_str(), &Value::Bool(true), Some(false))
                }
                _ => (name.as_str(), v, None),
            }
        })
        .collect()
}

fn expanded<'a>(props: &[(&'a str, &'a Value, Option<bool>)], migratable: bool) -> ExpandedCpu<'a> {
    let number = |key: &str| {
        props
            .iter()
            .find(|(n, _, _)| *n == key)
            .and_then(|(_, v, _)| v.as_u64())
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    ExpandedCpu {
        features: props
            .iter()
            .filter(|(_, v, m)| **v == Value::Bool(true) && !(migratable && *m == Some(false)))
            .map(|(n, _, _)| *n)
            .collect(),
        vendor: props
            .iter()
            .find(|(n, _, _)| *n == "vendor")
            .and_then(|(_, v, _)| v.as_str()),
        signature: (number("family"), number("model"), number("stepping")),
    }
}

/// The features QEMU's expansion names for the accelerator of domain type `kvm` or TCG, in
/// libvirt's spelling (`virQEMUCapsGetCPUFeatures`): with `migratable`, those that do not
/// block migration. `None` without an expansion.
pub(crate) fn qemu_features(
    probe: &ProbeResult,
    kvm: bool,
    migratable: bool,
) -> Option<Vec<String>> {
    let x = probe.accel_cpus(kvm)?.host_cpu.as_ref()?;
    Some(
        merged(x)
            .iter()
            .filter(|(_, _, m)| !(migratable && *m == Some(false)))
            .map(|(n, _, _)| rvirt_cpumap::feature_from_qemu(n).to_string())
            .collect(),
    )
}

/// QEMU's CPU models as a decode among them needs them: each with the features it lacks.
pub(crate) fn hv_models(definitions: &[CpuDefinition]) -> Vec<HvModel<'_>> {
    definitions
        .iter()
        .map(|c| HvModel {
            name: &c.name,
            blockers: c.unavailable_features.as_deref().unwrap_or(&[]),
        })
        .collect()
}

/// Whether the host is x86, as libvirt's host-model CPU needs it to be for an x86 guest.
fn native_x86() -> bool {
    matches!(std::env::consts::ARCH, "x86_64" | "x86")
}

/// The host-model CPUs of the accelerator of domain type `kvm` (KVM) or TCG, or `None` when
/// there is none (libvirt's "host-model" not supported): not an x86 QEMU on an x86 host, no
/// such accelerator, no expansion, or a CPU libvirt's map cannot describe.
pub(crate) fn host_models(probe: &ProbeResult, kvm: bool) -> Option<HostModels> {
    if !native_x86() {
        return None;
    }
    let cpus = probe.accel_cpus(kvm)?;
    let x = cpus.host_cpu.as_ref()?;
    let map = CpuMap::system().ok()?;
    let models = hv_models(&cpus.cpu_definitions);
    let props = merged(x);
    let reported = map.host_model(&expanded(&props, false), &models).ok()?;
    let migratable = map.host_model(&expanded(&props, true), &models).ok()?;
    let full = if kvm {
        Some(map.full_host_model(&reported).ok()?)
    } else {
        None
    };
    let known = props
        .iter()
        .map(|(n, _, _)| rvirt_cpumap::feature_from_qemu(n).to_string())
        .collect();
    Some(HostModels {
        reported,
        migratable,
        full,
        known,
    })
}

fn unsupported(detail: String) -> Error {
    Error::with_detail(crate::FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

impl crate::QemuDriver {
    /// The host-model CPUs of the accelerator of domain type `kvm` (KVM) or TCG of the binary
    /// `probe` describes (see [`host_models`]), computed once per driver.
    pub(crate) fn host_models(&self, probe: &ProbeResult, kvm: bool) -> Arc<Option<HostModels>> {
        let key = (probe.binary.clone(), kvm);
        if let Some(h) = self.host_models.lock().get(&key) {
            return h.clone();
        }
        let h = Arc::new(host_models(probe, kvm));
        self.host_models.lock().insert(key, h.clone());
        h
    }

    /// [`update_guest_cpu`] with the host models of the binary that runs `def`.
    pub(crate) async fn settle_guest_cpu(&self, def: &mut DomainDef, fresh: bool) -> Result<()> {
        if def.extras.cpu.is_none() {
            return Ok(());
        }
        let probe = self.probe(&emulator_of(def)).await?;
        let hosts = self.host_models(&probe, def.virt_type == "kvm");
        update_guest_cpu(def, (*hosts).as_ref(), fresh)
    }

    /// [`update_for_xml`] with the host models of the binary that runs `def`.
    pub(crate) async fn update_cpu_for_xml(&self, def: &mut DomainDef) -> Result<()> {
        if def.extras.cpu.is_none() {
            return Ok(());
        }
        let probe = self.probe(&emulator_of(def)).await?;
        let hosts = self.host_models(&probe, def.virt_type == "kvm");
        update_for_xml(def, (*hosts).as_ref())
    }
}

/// The emulator of `def` (the x86_64 one when it names none).
fn emulator_of(def: &DomainDef) -> std::path::PathBuf {
    match def.devices.emulator.as_deref() {
        Some(e) => std::path::PathBuf::from(e),
        None => crate::caps::emulator_for_arch("x86_64").unwrap_or_default(),
    }
}

/// `qemuProcessUpdateGuestCPU` for `def` about to run with the host models `hosts` of its
/// accelerator (`None`: it has none); `fresh`: a new start (not a restore or a reverted
/// snapshot, whose CPU was settled at its own start). The CPU is left with fallback `forbid`
/// (QEMU gets exactly this model).
pub(crate) fn update_guest_cpu(
    def: &mut DomainDef,
    hosts: Option<&HostModels>,
    fresh: bool,
) -> Result<()> {
    let x86 = crate::defaults::is_x86(def);
    let virt_type = def.virt_type.to_string();
    let arch = def.os.arch.clone().unwrap_or_else(|| "x86_64".into());
    let Some(cpu) = def.extras.cpu.as_deref_mut() else {
        return Ok(());
    };
    if cpu.mode == "custom" && cpu.model.is_none() {
        return Ok(());
    }
    let passthrough = matches!(cpu.mode.as_ref(), "host-passthrough" | "maximum");
    if !x86 {
        if !passthrough {
            cpu.fallback = "forbid".into();
        }
        return Ok(());
    }
    // An older libvirt's migrated host-model CPU carries its model: it stays that model.
    if !fresh && cpu.mode == "host-model" && cpu.model.is_some() {
        cpu.mode = "custom".into();
    }
    if cpu.mode == "host-model" && hosts.is_none() {
        return Err(unsupported(format!(
            "CPU mode 'host-model' for {arch} {virt_type} domain on {} host is not supported by hypervisor",
            std::env::consts::ARCH
        )));
    }
    let map = CpuMap::system()?;
    if let Some(h) = hosts
        && cpu.check.as_deref() != Some("none")
    {
        rvirt_cpumap::check_forbidden(cpu, h.host())?;
    }
    if !passthrough {
        if let Some(h) = hosts
            && cpu.check.as_deref() == Some("partial")
        {
            map.check_compatible(h.host(), cpu)?;
        }
        map.update_guest(cpu, hosts.map(|h| &h.migratable))?;
        cpu.fallback = "forbid".into();
    }
    cpu.features
        .retain(|(_, n)| !rvirt_cpumap::QEMU_FILTERED_FEATURES.contains(&n.as_str()));
    // Features QEMU does not know are off anyway: libvirt drops them rather than ask.
    if let Some(h) = hosts {
        cpu.features.retain(|(p, n)| {
            !matches!(p.as_ref(), "disable" | "forbid") || h.known.iter().any(|k| k == n)
        });
    }
    Ok(())
}

/// `def`'s CPU updated for `VIR_DOMAIN_XML_UPDATE_CPU`: libvirt's virCPUUpdate against the
/// migratable host model `hosts` of its accelerator (x86 CPUs of a mode or model only).
pub(crate) fn update_for_xml(def: &mut DomainDef, hosts: Option<&HostModels>) -> Result<()> {
    if !crate::defaults::is_x86(def) {
        return Ok(());
    }
    let Some(cpu) = def.extras.cpu.as_deref_mut() else {
        return Ok(());
    };
    if cpu.mode == "custom" && cpu.model.is_none() {
        return Ok(());
    }
    CpuMap::system()?.update_guest(cpu, hosts.map(|h| &h.migratable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn expansions_merge_as_libvirt_merges_them() {
        let x = HostCpuExpansion {
            model: "host".into(),
            props: obj(json!({"sse": true, "invtsc": false, "pdpe1gb": false,
                "vendor": "GenuineIntel", "family": 6, "model": 167, "stepping": 1})),
            non_migratable: obj(json!({"sse": true, "invtsc": true, "pdpe1gb": false})),
        };
        let props = merged(&x);
        let all = expanded(&props, false);
        let mut features = all.features.clone();
        features.sort_unstable();
        assert_eq!(features, ["invtsc", "sse"]);
        assert_eq!(all.vendor, Some("GenuineIntel"));
        assert_eq!(all.signature, (6, 167, 1));
        assert_eq!(expanded(&props, true).features, ["sse"]);
    }
}
