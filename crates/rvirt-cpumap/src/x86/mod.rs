//! libvirt's x86 CPU driver, as far as `virConnectBaselineCPU` needs it: the baseline of host
//! CPUs (`virCPUx86Baseline`), the choice of the model that describes CPU data best
//! (`x86Decode`), and the listing of a model's features (`virCPUx86ExpandFeatures`).

mod cpuid;
mod data;
mod hostmodel;
mod live;
mod map;

use crate::HvModel;
use crate::cpu_error;
use crate::guest::{Feature, GuestCpu, Policy};
use crate::host::HostCpu;
use data::Data;
pub(crate) use map::Map;
use map::Model;
use rvirt_conf::domain::CpuDef;
use rvirt_types::{Error, ErrorNumber, Result};
use std::path::Path;

fn internal(detail: impl Into<String>) -> Error {
    cpu_error(ErrorNumber::INTERNAL_ERROR, detail)
}

fn failed(detail: impl Into<String>) -> Error {
    cpu_error(ErrorNumber::OPERATION_FAILED, detail)
}

/// A CPU of a baseline: a host CPU (its features all present) or a guest CPU.
enum Input<'a> {
    Host(&'a HostCpu),
    Guest(&'a CpuDef),
}

impl Input<'_> {
    fn model(&self) -> Option<&str> {
        match self {
            Input::Host(h) => Some(&h.model),
            Input::Guest(g) => g.model.as_deref(),
        }
    }

    fn vendor(&self) -> Option<&str> {
        match self {
            Input::Host(h) => h.vendor.as_deref(),
            Input::Guest(g) => g.vendor.as_deref(),
        }
    }
}

/// What `x86DecodeUseCandidate` decides about a candidate model.
#[derive(Debug, PartialEq, Eq)]
enum Choice {
    /// The current model stays.
    Keep,
    /// The candidate replaces it.
    Take,
    /// The candidate replaces it and the search ends.
    Final,
}

impl Map {
    /// The x86 part of the map in `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Map> {
        let mut map = Map::default();
        crate::mapfile::load(dir, "x86", &mut map)?;
        Ok(map)
    }

    /// `x86ModelFromCPU` of a baseline's CPU with every policy: its model (when it names
    /// one) and the model's data with its features added (a guest CPU's disabled ones taken
    /// out).
    fn input_data(&self, cpu: &Input) -> Result<(Option<&Model>, Data)> {
        match cpu {
            Input::Host(h) => {
                let model = self
                    .model(&h.model)
                    .ok_or_else(|| internal(format!("Unknown CPU model {}", h.model)))?;
                let mut data = model.data.clone();
                for name in &h.features {
                    let f = self
                        .feature(name)
                        .ok_or_else(|| internal(format!("Unknown CPU feature {name}")))?;
                    data.add(&f.data);
                }
                Ok((Some(model), data))
            }
            Input::Guest(g) => {
                let data = self.cpu_data(g.model.as_deref(), &g.features, None)?;
                Ok((g.model.as_deref().and_then(|m| self.model(m)), data))
            }
        }
    }

    fn vendor_name(&self, i: usize) -> &str {
        self.vendors.get(i).map_or("", |v| v.name.as_str())
    }

    /// `virCPUx86Baseline` of host CPUs `cpus` (at least one).
    pub(crate) fn baseline(&self, cpus: &[HostCpu], migratable: bool) -> Result<GuestCpu> {
        let inputs: Vec<Input> = cpus.iter().map(Input::Host).collect();
        self.baseline_of(&inputs, None, None, migratable)
    }

    /// `virCPUx86Baseline` of CPUs of either type, among the hypervisor's models `hv` and
    /// keeping only the features `features` names (when given).
    pub(crate) fn baseline_defs(
        &self,
        cpus: &[CpuDef],
        hv: Option<&[HvModel]>,
        features: Option<&[String]>,
        migratable: bool,
    ) -> Result<GuestCpu> {
        let inputs: Vec<Input> = cpus.iter().map(Input::Guest).collect();
        self.baseline_of(&inputs, hv, features, migratable)
    }

    fn baseline_of(
        &self,
        cpus: &[Input],
        hv: Option<&[HvModel]>,
        features: Option<&[String]>,
        migratable: bool,
    ) -> Result<GuestCpu> {
        let (first, rest) = cpus
            .split_first()
            .ok_or_else(|| internal("no CPUs given"))?;
        let (_, mut base) = self.input_data(first)?;
        let mut output_vendor = true;
        let mut vendor = None;
        match first.vendor() {
            None => output_vendor = false,
            Some(v) => {
                vendor = Some(
                    self.vendor(v)
                        .ok_or_else(|| failed(format!("Unknown CPU vendor {v}")))?,
                )
            }
        }
        let mut names: Vec<&str> = first.model().into_iter().collect();
        for cpu in rest {
            if let Some(m) = cpu.model()
                && !names.contains(&m)
            {
                names.push(m);
            }
            let (model, data) = self.input_data(cpu)?;
            let model_vendor = model.and_then(|m| m.vendor).map(|i| self.vendor_name(i));
            if let (Some(v), Some(mv), Some(m)) = (cpu.vendor(), model_vendor, model)
                && v != mv
            {
                return Err(failed(format!(
                    "CPU vendor {mv} of model {} differs from vendor {v}",
                    m.name
                )));
            }
            let named = match cpu.vendor() {
                Some(v) => Some(v),
                None => {
                    output_vendor = false;
                    model_vendor
                }
            };
            if let Some(vn) = named {
                match vendor {
                    None => {
                        vendor = Some(
                            self.vendor(vn)
                                .ok_or_else(|| failed(format!("Unknown CPU vendor {vn}")))?,
                        )
                    }
                    Some(v) if self.vendor_name(v) != vn => {
                        return Err(failed("CPU vendors do not match"));
                    }
                    Some(_) => {}
                }
            }
            base.intersect(&data);
        }
        if let Some(list) = features {
            let mut allowed = Data::default();
            for f in list.iter().filter_map(|n| self.feature(n)) {
                allowed.add(&f.data);
            }
            base.intersect(&allowed);
        }
        if base.is_empty() {
            return Err(failed("CPUs are incompatible"));
        }
        if let Some(v) = vendor.and_then(|v| self.vendors.get(v)) {
            base.add(&v.data);
        }
        let mut cpu = self.decode(&base, hv, &names, migratable)?;
        cpu.fallback_forbid = names.len() == 1 && cpu.model == names[0];
        if !output_vendor {
            cpu.vendor = None;
        }
        Ok(cpu)
    }

    /// `x86DataToVendor`: the first vendor whose string `data` holds, its bits taken out.
    fn take_vendor(&self, data: &mut Data) -> Option<usize> {
        let i = self.vendors.iter().position(|v| data.contains(&v.data))?;
        data.subtract(&self.vendors[i].data);
        Some(i)
    }

    /// `x86DataFilterTSX`: Intel CPUs whose TSX is known broken lose `hle` and `rtm`.
    fn filter_tsx(&self, data: &mut Data, vendor: Option<usize>) {
        if vendor.map(|v| self.vendor_name(v)) != Some("Intel") {
            return;
        }
        let (family, model, stepping) = data.signature_full();
        if family == 6 && ((model == 63 && stepping < 4) || matches!(model, 60 | 69 | 70)) {
            for name in ["hle", "rtm"] {
                if let Some(f) = self.feature(name) {
                    data.subtract(&f.data);
                }
            }
        }
    }

    /// `x86DataToCPUFeatures`: every feature whose bits `data` has, in the map's order, added
    /// to `cpu` with `policy` and its bits taken out of `data`.
    fn take_features(&self, cpu: &mut GuestCpu, policy: Policy, data: &mut Data) -> Result<()> {
        for f in &self.features {
            if data.contains(&f.data) {
                data.subtract(&f.data);
                cpu.add_feature(&f.name, policy)?;
            }
        }
        Ok(())
    }

    /// `x86DataToCPU` for a guest CPU: `model` with what `data` has beyond it required and what
    /// it has beyond `data` disabled, then its removed features disabled.
    /// The hypervisor's `blockers` of the model (features it lacks to run the model, QEMU's
    /// names) are disabled too unless `data` has them.
    fn data_to_cpu(
        &self,
        data: &Data,
        model: &Model,
        blockers: &[String],
        guest: bool,
    ) -> Result<GuestCpu> {
        let mut extra = data.clone();
        self.take_vendor(&mut extra);
        extra.subtract(&model.data);
        let mut missing = model.data.clone();
        missing.subtract(data);
        for b in blockers {
            if let Some(f) = self.feature(crate::feature_from_qemu(b))
                && !extra.contains(&f.data)
            {
                missing.add(&f.data);
            }
        }
        let mut cpu = GuestCpu::new(&model.name);
        self.take_features(&mut cpu, Policy::Require, &mut extra)?;
        self.take_features(&mut cpu, Policy::Disable, &mut missing)?;
        if guest {
            disable_removed(&mut cpu, model);
        }
        Ok(cpu)
    }

    /// `x86Decode` of guest CPU data: the model that describes `data` best, newest models
    /// first, with its features and the vendor `data` names. With `hv`, only the models the
    /// hypervisor offers are candidates.
    pub(crate) fn decode(
        &self,
        data: &Data,
        hv: Option<&[HvModel]>,
        preferred: &[&str],
        migratable: bool,
    ) -> Result<GuestCpu> {
        self.decode_as(data, hv, preferred, migratable, false)
    }

    /// `x86Decode` for a CPU of type host (`host`: only models that may describe a host,
    /// none that would need a feature disabled, no removed features listed) or guest.
    pub(crate) fn decode_as(
        &self,
        data: &Data,
        hv: Option<&[HvModel]>,
        preferred: &[&str],
        migratable: bool,
        host: bool,
    ) -> Result<GuestCpu> {
        let mut data = data.clone();
        let vendor = self.take_vendor(&mut data);
        let signature = data.signature();
        self.filter_tsx(&mut data, vendor);

        let mut best: Option<(&Model, GuestCpu)> = None;
        for candidate in self.models.iter().rev() {
            if let (Some(v), Some(cv)) = (vendor, candidate.vendor)
                && v != cv
            {
                continue;
            }
            let blockers = match hv {
                None => &[][..],
                // QEMU's model names are libvirt's but for their case.
                Some(hv) => match hv
                    .iter()
                    .find(|m| m.name.eq_ignore_ascii_case(&candidate.name))
                {
                    Some(m) => m.blockers,
                    None => continue,
                },
            };
            let cpu = self.data_to_cpu(&data, candidate, blockers, !host)?;
            let choice = use_candidate(best.as_ref(), candidate, &cpu, signature, preferred, host);
            if choice != Choice::Keep {
                best = Some((candidate, cpu));
            }
            if choice == Choice::Final {
                break;
            }
        }
        let (_, mut cpu) =
            best.ok_or_else(|| internal("Cannot find suitable CPU model for given data"))?;
        if migratable {
            cpu.features
                .retain(|f| self.feature(&f.name).is_none_or(|d| d.migratable));
        }
        cpu.vendor = vendor.map(|v| self.vendor_name(v).to_string());
        Ok(cpu)
    }

    /// `virCPUx86ExpandFeatures` of a guest CPU: every feature of its model required, then its
    /// own features with their policies, then the model's removed features disabled.
    pub(crate) fn expand(&self, cpu: &mut GuestCpu) -> Result<()> {
        let model = self
            .model(&cpu.model)
            .ok_or_else(|| internal(format!("unknown CPU model {}", cpu.model)))?;
        let mut expanded = GuestCpu::new(&cpu.model);
        let mut data = model.data.clone();
        self.take_features(&mut expanded, Policy::Require, &mut data)?;
        for f in &cpu.features {
            expanded.update_feature(&f.name, f.policy);
        }
        disable_removed(&mut expanded, model);
        cpu.features = expanded.features;
        Ok(())
    }
}

/// `virCPUx86DisableRemovedFeatures`.
fn disable_removed(cpu: &mut GuestCpu, model: &Model) {
    for name in &model.removed {
        cpu.add_feature_if_missing(name, Policy::Disable);
    }
}

/// `x86DecodeUseCandidate` for CPU data of a guest CPU, or of a host CPU (`host`).
fn use_candidate(
    current: Option<&(&Model, GuestCpu)>,
    candidate: &Model,
    candidate_cpu: &GuestCpu,
    signature: u32,
    preferred: &[&str],
    host: bool,
) -> Choice {
    // A host CPU is a model that may describe one and the features it has beyond it, nothing
    // disabled.
    let allowed = if host {
        candidate.decode_host
            && !candidate_cpu
                .features
                .iter()
                .any(|f| f.policy == Policy::Disable)
    } else {
        candidate.decode_guest
    };
    if !allowed {
        return Choice::Keep;
    }
    let is_preferred = preferred.contains(&candidate.name.as_str());
    if is_preferred && preferred.len() == 1 {
        return Choice::Final;
    }
    let Some((model, cpu)) = current else {
        return Choice::Take;
    };
    // Once a model of the CPU's own family/model is found, only such models are considered.
    if signature != 0 {
        let current_matches = model.matches_signature(signature);
        let candidate_matches = candidate.matches_signature(signature);
        if current_matches && !candidate_matches {
            return Choice::Keep;
        }
        if !current_matches && candidate_matches {
            return Choice::Take;
        }
    }
    let (current_weight, current_disabled) = weight(&cpu.features);
    let (weight, disabled) = weight(&candidate_cpu.features);
    if weight < current_weight
        || (weight == current_weight && disabled < current_disabled)
        || (is_preferred && disabled < current_disabled)
    {
        Choice::Take
    } else {
        Choice::Keep
    }
}

/// The weight `virCPUx86CompareCandidateFeatureList` gives a feature list, and its disabled
/// part: each enabled feature counts one, disabled ones 2, 3, 4… in turn. As in libvirt, the
/// scan stops at the count of enabled features so far, which each disabled one lowers, so the
/// last features of a list may go uncounted.
fn weight(features: &[Feature]) -> (usize, usize) {
    let mut enabled = features.len();
    let mut disabled = 0;
    let mut penalty = 2;
    let mut i = 0;
    while i < enabled {
        if features[i].policy == Policy::Disable {
            enabled -= 1;
            disabled += penalty;
            penalty += 1;
        }
        i += 1;
    }
    (enabled + disabled, disabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(policy: Policy, name: &str) -> Feature {
        Feature {
            name: name.into(),
            policy,
        }
    }

    #[test]
    fn weights_count_disabled_features_more() {
        let feats = [
            f(Policy::Require, "a"),
            f(Policy::Disable, "b"),
            f(Policy::Disable, "c"),
        ];
        // The scan stops at index 1 (3 features, less the one disabled): c goes uncounted.
        assert_eq!(weight(&feats), (2 + 2, 2));
        assert_eq!(weight(&feats[..2]), (1 + 2, 2));
        assert_eq!(
            weight(&[f(Policy::Disable, "a"), f(Policy::Disable, "b")]),
            (1 + 2, 2)
        );
        assert_eq!(weight(&[]), (0, 0));
    }
}
