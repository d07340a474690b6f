//! A guest's CPU as QEMU runs it, written back into the running domain's `<cpu>` as libvirt's
//! start does (qemuProcessUpdateGuestCPU before QEMU runs, qemuProcessUpdateLiveGuestCPU once
//! it does): the features QEMU added to the model or left out listed, `check='full'` from
//! then on, and the CPU as it was kept for the migratable XML.
//!
//! QEMU's first vCPU is asked for its CPUID words (`feature-words`, `filtered-features`) where
//! libvirt asks for each of several hundred feature properties; the CPUID words tell the same
//! for every feature of libvirt's CPU map but the ten made of MSR bits, whose properties and
//! `unavailable-features` are asked too (all at once) when the CPUID words announce those
//! MSRs (all off otherwise).

use crate::process::qmp_error;
use rvirt_conf::domain::CpuDef;
use rvirt_cpumap::{CpuMap, CpuidWord, LiveCpu, MsrFeatures};
use rvirt_qmp::Monitor;
use rvirt_types::Result;
use serde_json::{Value, json};

/// The first vCPU's QOM path (qemuProcessGetVCPUQOMPath's default).
const VCPU0: &str = "/machine/unattached/device[0]";

/// Whether libvirt updates `cpu` from the running guest (virCPUUpdateLive: a custom CPU of a
/// model, or any CPU checked in full; x86 only).
fn updated(cpu: &CpuDef, x86: bool) -> bool {
    x86 && !(cpu.mode == "custom" && cpu.model.is_none())
        && (cpu.mode == "custom" || cpu.check.as_deref() == Some("full"))
}

/// QEMU's CPUID words (a `feature-words` or `filtered-features` list).
fn words(list: &Value) -> Vec<CpuidWord> {
    let regs = ["EAX", "EBX", "ECX", "EDX"];
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| {
            Some(CpuidWord {
                leaf: u32::try_from(w["cpuid-input-eax"].as_u64()?).ok()?,
                subleaf: u32::try_from(w["cpuid-input-ecx"].as_u64().unwrap_or(0)).ok()?,
                register: regs.iter().position(|r| w["cpuid-register"] == *r)?,
                bits: u32::try_from(w["features"].as_u64()?).ok()?,
            })
        })
        .collect()
}

/// The features the running guest's `<cpu>` lists, read from QEMU (`None`: the CPU is not
/// updated); libvirt's "guest CPU doesn't match specification" when a CPU checked in full
/// is not what QEMU runs.
pub(crate) async fn read_back(
    mon: &Monitor,
    cpu: Option<&CpuDef>,
    x86: bool,
) -> Result<Option<Vec<(String, String)>>> {
    let Some(cpu) = cpu.filter(|c| updated(c, x86)) else {
        return Ok(None);
    };
    let get = |property: &'static str| async move {
        let args = json!({ "path": VCPU0, "property": property });
        mon.execute("qom-get", Some(args)).await.map_err(qmp_error)
    };
    let map = CpuMap::system()?;
    let (enabled, disabled, unavailable) = tokio::join!(
        get("feature-words"),
        get("filtered-features"),
        get("unavailable-features")
    );
    let (enabled, disabled) = (words(&enabled?), words(&disabled?));
    // Without the CPUID bits that announce them, the MSR features are all off: their
    // properties need no asking.
    let msr = match unavailable {
        Ok(unavailable) => {
            let on = if map.msr_features_possible(&enabled) {
                msr_enabled(mon, map).await
            } else {
                Some(Vec::new())
            };
            on.map(|enabled| MsrFeatures {
                enabled,
                unavailable: names(&unavailable),
            })
        }
        Err(_) => None,
    };
    let features: Vec<(String, String)> = cpu
        .features
        .iter()
        .map(|(p, n)| (p.to_string(), n.clone()))
        .collect();
    let live = LiveCpu {
        passthrough: matches!(cpu.mode.as_ref(), "host-passthrough" | "maximum"),
        model: cpu.model.as_deref(),
        features: &features,
        check_full: cpu.check.as_deref() == Some("full"),
    };
    map.update_live(&live, &enabled, &disabled, msr.as_ref())
        .map(Some)
}

/// The features made of MSR bits whose property is on (libvirt reads every feature property;
/// CPUID words tell the others), all asked at once; `None` when QEMU cannot say (an older
/// QEMU without the properties): the features then stay as listed.
async fn msr_enabled(mon: &Monitor, map: &CpuMap) -> Option<Vec<String>> {
    let mut asks = tokio::task::JoinSet::new();
    for name in map.msr_features() {
        let (mon, name) = (mon.clone(), name.to_string());
        asks.spawn(async move {
            let property = rvirt_cpumap::feature_to_qemu(&name).to_string();
            let args = json!({ "path": VCPU0, "property": property });
            let on = mon.execute("qom-get", Some(args)).await;
            (name, on.map(|v| v == Value::Bool(true)))
        });
    }
    // In whatever order the answers come: only the set of features matters.
    let mut on = Vec::new();
    while let Some(r) = asks.join_next().await {
        let (name, value) = r.ok()?;
        if value.ok()? {
            on.push(name);
        }
    }
    Some(on)
}

/// The map's names of the features QEMU lists (`unavailable-features`).
fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|n| rvirt_cpumap::feature_from_qemu(n).to_string())
        .collect()
}

/// Writes what [`read_back`] found into the live `cpu` (`orig`: where the CPU as it was goes
/// when the features changed, as libvirt keeps it for the migratable XML).
pub(crate) fn apply(
    cpu: &mut CpuDef,
    features: Vec<(String, String)>,
    orig: &mut Option<Box<CpuDef>>,
) {
    let before = cpu.clone();
    cpu.features = features.into_iter().map(|(p, n)| (p.into(), n)).collect();
    if cpu.features != before.features && orig.is_none() {
        *orig = Some(Box::new(before));
    }
    cpu.check = Some("full".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_feature_words_are_read() {
        let list = json!([
            {"cpuid-register": "EDX", "cpuid-input-eax": 1, "features": 0x0781_abfd_u32},
            {"cpuid-register": "EBX", "cpuid-input-ecx": 0, "cpuid-input-eax": 7, "features": 8},
            {"cpuid-register": "XMM", "cpuid-input-eax": 1, "features": 1}
        ]);
        assert_eq!(
            words(&list),
            vec![
                CpuidWord {
                    leaf: 1,
                    subleaf: 0,
                    register: 3,
                    bits: 0x0781_abfd
                },
                CpuidWord {
                    leaf: 7,
                    subleaf: 0,
                    register: 1,
                    bits: 8
                },
            ]
        );
    }
}
