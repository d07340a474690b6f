//! `virCPUx86UpdateLive`: a running guest's CPU as the hypervisor made it, written back into
//! its `<cpu>`.

use super::Map;
use super::data::{Data, Key};
use crate::{CpuidWord, LiveCpu, MsrFeatures};
use rvirt_types::{ErrorNumber, Result};

/// The CPUID bits of `words` (QEMU's `feature-words` or `filtered-features`).
fn data_of(words: &[CpuidWord]) -> Data {
    let mut d = Data::default();
    for w in words {
        let mut regs = [0; 4];
        if let Some(r) = regs.get_mut(w.register) {
            *r = w.bits;
            d.add(&Data::item(Key::Cpuid(w.leaf, w.subleaf), regs));
        }
    }
    d
}

/// libvirt's policy names.
pub(crate) const REQUIRE: &str = "require";
pub(crate) const DISABLE: &str = "disable";

/// `virCPUDefUpdateFeature`: a listed feature takes `policy`, another is added at the end.
pub(crate) fn update<P>(features: &mut Vec<(P, String)>, name: &str, policy: P) {
    match features.iter_mut().find(|(_, n)| n == name) {
        Some(f) => f.0 = policy,
        None => features.push((policy, name.to_string())),
    }
}

impl Map {
    /// The model data of `cpu` (`x86ModelFromCPU`), see [`Map::cpu_data`].
    fn live_model(&self, cpu: &LiveCpu, policy: Option<&str>) -> Result<Data> {
        self.cpu_data(cpu.model, cpu.features, policy)
    }

    /// `x86ModelFromCPU` of a guest CPU of `model` with `features` (policy, name): with
    /// `policy` `None` the model's data with the required and forced features added and the
    /// disabled and forbidden ones taken out; with `require`, the model's data and the required
    /// features; with another policy, the data of the features of that policy alone.
    pub(crate) fn cpu_data<P: AsRef<str>, N: AsRef<str>>(
        &self,
        model: Option<&str>,
        features: &[(P, N)],
        policy: Option<&str>,
    ) -> Result<Data> {
        let mut data = match (model, policy) {
            (Some(m), None | Some(REQUIRE)) => self
                .model(m)
                .ok_or_else(|| super::internal(format!("Unknown CPU model {m}")))?
                .data
                .clone(),
            _ => Data::default(),
        };
        for (p, name) in features {
            let (p, name) = (p.as_ref(), name.as_ref());
            if policy.is_some_and(|want| want != p) || (policy.is_none() && p == "optional") {
                continue;
            }
            let f = self
                .feature(name)
                .ok_or_else(|| super::internal(format!("Unknown CPU feature {name}")))?;
            match (policy, p) {
                (None, "force" | "require") | (Some(_), _) => data.add(&f.data),
                (None, _) => data.subtract(&f.data),
            }
        }
        Ok(data)
    }

    /// See [`crate::CpuMap::msr_features_possible`].
    pub(crate) fn msr_features_possible(&self, enabled: &[CpuidWord]) -> bool {
        let data = data_of(enabled);
        ["arch-capabilities", "core-capability"]
            .iter()
            .filter_map(|n| self.feature(n))
            .any(|f| data.contains(&f.data))
    }

    /// `virCPUx86UpdateLive` (see [`crate::CpuMap::update_live`]).
    pub(crate) fn update_live(
        &self,
        cpu: &LiveCpu,
        enabled: &[CpuidWord],
        disabled: &[CpuidWord],
        msr: Option<&MsrFeatures>,
    ) -> Result<Vec<(String, String)>> {
        let model = self.live_model(cpu, None)?;
        let model_disabled = if cpu.passthrough {
            self.live_model(cpu, Some(DISABLE))?
        } else {
            Data::default()
        };
        // libvirt reads the disabled features by name: bits of features its map does not know
        // are not among them.
        let mut known = Data::default();
        for f in &self.features {
            known.add(&f.data);
        }
        let (mut enabled, mut disabled) = (data_of(enabled), data_of(disabled));
        disabled.intersect(&known);
        if let Some(m) = msr {
            for (names, data) in [(&m.enabled, &mut enabled), (&m.unavailable, &mut disabled)] {
                for f in names.iter().filter_map(|n| self.feature(n)) {
                    data.add(&f.data);
                }
            }
        }
        let mut features = cpu.features.to_vec();
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        // Without QEMU's word on them, features of MSR bits stay as the XML has them.
        for f in self
            .features
            .iter()
            .filter(|f| msr.is_some() || !f.data.has_msr())
        {
            let expected = if model.contains(&f.data) {
                Some(REQUIRE)
            } else if !cpu.passthrough || model_disabled.contains(&f.data) {
                Some(DISABLE)
            } else {
                None
            };
            if expected == Some(DISABLE) && enabled.contains(&f.data) {
                if cpu.check_full {
                    added.push(f.name.as_str());
                } else {
                    update(&mut features, &f.name, REQUIRE.to_string());
                }
            }
            if disabled.contains(&f.data)
                || (expected == Some(REQUIRE) && !enabled.contains(&f.data))
            {
                if cpu.check_full {
                    removed.push(f.name.as_str());
                } else {
                    update(&mut features, &f.name, DISABLE.to_string());
                }
            }
        }
        // virCPUx86DisableRemovedFeatures.
        if let Some(m) = cpu.model.and_then(|m| self.model(m)) {
            for name in &m.removed {
                if !features.iter().any(|(_, n)| n == name) {
                    features.push((DISABLE.to_string(), name.clone()));
                }
            }
        }
        let mismatch = |detail: String| {
            Err(crate::cpu_error(
                ErrorNumber::OPERATION_FAILED,
                format!("guest CPU doesn't match specification{detail}"),
            ))
        };
        match (added.join(","), removed.join(",")) {
            (a, r) if !a.is_empty() && !r.is_empty() => {
                mismatch(format!(": extra features: {a}, missing features: {r}"))
            }
            (a, _) if !a.is_empty() => mismatch(format!(": extra features: {a}")),
            (_, r) if !r.is_empty() => mismatch(format!(": missing features: {r}")),
            _ if cpu.check_full && !disabled.is_empty() => mismatch(String::new()),
            _ => Ok(features),
        }
    }
}
