//! The host-model CPU of a QEMU accelerator and what a start makes of a guest CPU with it:
//! libvirt's `virQEMUCapsInitCPUModelX86` (QEMU's expansion of its host CPU as CPU data, decoded
//! into the model among the hypervisor's that describes it best), `virCPUx86Update` (optional
//! features settled, a host-model or minimum CPU replaced by the host model) and `x86Compute`'s
//! verdict on a guest CPU the host must provide.

use super::data::{Data, Key};
use super::live::{DISABLE, REQUIRE, update};
use super::map::vendor_data;
use super::{Map, internal};
use crate::guest::{GuestCpu, Policy};
use crate::{ExpandedCpu, HvModel, cpu_error, feature_from_qemu};
use rvirt_conf::domain::CpuDef;
use rvirt_types::{ErrorNumber, Result};

/// `VIR_CPU_COMPARE_INCOMPATIBLE`.
pub(crate) const COMPARE_INCOMPATIBLE: i32 = 0;
/// `VIR_CPU_COMPARE_IDENTICAL`.
pub(crate) const COMPARE_IDENTICAL: i32 = 1;
/// `VIR_CPU_COMPARE_SUPERSET`.
pub(crate) const COMPARE_SUPERSET: i32 = 2;

/// `x86MakeSignature`: CPUID leaf 1's eax for a family, model and stepping.
fn make_signature(family: u32, model: u32, stepping: u32) -> u32 {
    let (mut sig, mut family) = (0, family);
    if family > 0xf {
        sig |= (family - 0xf) << 20;
        family = 0xf;
    }
    sig |= (model >> 4) << 16;
    sig |= family << 8;
    sig |= (model & 0xf) << 4;
    sig | (stepping & 0xf)
}

impl Map {
    /// `virQEMUCapsGetCPUModelX86Data`: the CPU data of an expansion (features the map does
    /// not know are left out, as libvirt leaves them).
    fn expansion_data(&self, cpu: &ExpandedCpu) -> Data {
        let mut data = Data::default();
        for name in &cpu.features {
            if let Some(f) = self.feature(feature_from_qemu(name)) {
                data.add(&f.data);
            }
        }
        if let Some(v) = cpu.vendor.and_then(vendor_data) {
            data.add(&v);
        }
        let (family, model, stepping) = cpu.signature;
        let sig = make_signature(family, model, stepping);
        data.add(&Data::item(Key::Cpuid(1, 0), [sig, 0, 0, 0]));
        data
    }

    /// The host-model CPU of `cpu` among the hypervisor's `models` (see
    /// [`crate::CpuMap::host_model`]).
    pub(crate) fn host_model(&self, cpu: &ExpandedCpu, models: &[HvModel]) -> Result<CpuDef> {
        let g = self.decode(&self.expansion_data(cpu), Some(models), &[], false)?;
        Ok(guest_def(g))
    }

    /// The host's own CPU data: its CPUID, and `IA32_ARCH_CAPABILITIES` when the CPUID has
    /// the map's `arch-capabilities`.
    fn own_cpu_data(&self) -> Data {
        let arch_caps = self.feature("arch-capabilities").map(|f| &f.data);
        super::cpuid::host_data(arch_caps)
    }

    /// The host's own CPU, as a CPU of type host (see [`crate::CpuMap::host_cpu`]).
    pub(crate) fn host_cpu(&self) -> Result<crate::HostCpuInfo> {
        let data = self.own_cpu_data();
        let signature = super::data::split_signature(data.signature());
        let invtsc = self
            .feature("invtsc")
            .is_some_and(|f| data.contains(&f.data));
        let g = self.decode_as(&data, None, &[], false, true)?;
        Ok(crate::HostCpuInfo {
            model: g.model,
            vendor: g.vendor,
            signature,
            features: g.features.into_iter().map(|f| f.name).collect(),
            invtsc,
        })
    }

    /// The host CPU libvirt checks guest CPUs against when QEMU runs them with KVM (see
    /// [`crate::CpuMap::full_host_model`]).
    pub(crate) fn full_host_model(&self, reported: &CpuDef) -> Result<CpuDef> {
        let g = self.decode(&self.own_cpu_data(), None, &[], false)?;
        let mut full = guest_def(g);
        full.fallback = "allow".into();
        // virCPUExpandFeatures of the reported CPU: its model's features, then its own.
        let mut expanded = guest_cpu(reported);
        self.expand(&mut expanded)?;
        for f in expanded
            .features
            .iter()
            .filter(|f| f.policy == Policy::Require)
        {
            update(&mut full.features, &f.name, REQUIRE.into());
        }
        Ok(full)
    }

    /// `x86FeatureInData`: whether `data` has feature `name`.
    fn feature_in(&self, name: &str, data: &Data) -> Result<bool> {
        let f = self
            .feature(name)
            .ok_or_else(|| internal(format!("unknown CPU feature {name}")))?;
        Ok(data.contains(&f.data))
    }

    /// `virCPUx86Update` (see [`crate::CpuMap::update_guest`]).
    pub(crate) fn update_guest(&self, guest: &mut CpuDef, host: Option<&CpuDef>) -> Result<()> {
        let relative = match guest.mode.as_ref() {
            "host-passthrough" | "maximum" => return Ok(()),
            "host-model" => true,
            _ => {
                guest.match_.as_deref() == Some("minimum")
                    || guest.features.iter().any(|(p, _)| p == "optional")
            }
        };
        if relative {
            let host = host.ok_or_else(|| {
                cpu_error(ErrorNumber::CONFIG_UNSUPPORTED, "unknown host CPU model")
            })?;
            let host_data = self.cpu_data(host.model.as_deref(), &host.features, None)?;
            for i in 0..guest.features.len() {
                if guest.features[i].0 == "optional" {
                    let have = self.feature_in(&guest.features[i].1, &host_data)?;
                    guest.features[i].0 = if have { REQUIRE } else { DISABLE }.into();
                }
            }
            if guest.mode == "host-model" || guest.match_.as_deref() == Some("minimum") {
                update_host_model(guest, host);
            }
        }
        let model = guest.model.as_deref().unwrap_or("");
        let model = self
            .model(model)
            .ok_or_else(|| internal(format!("Unknown CPU model {model}")))?;
        for name in &model.removed {
            if !guest.features.iter().any(|(_, n)| n == name) {
                guest.features.push((DISABLE.into(), name.clone()));
            }
        }
        Ok(())
    }

    /// `virCPUx86Compare` of a guest CPU with the host's, failing when incompatible (see
    /// [`crate::CpuMap::check_compatible`]).
    pub(crate) fn check_compatible(&self, host: &CpuDef, cpu: &CpuDef) -> Result<()> {
        self.compare(host, cpu, false, true).map(|_| ())
    }

    /// `virCPUx86Compare`: [`COMPARE_INCOMPATIBLE`], [`COMPARE_IDENTICAL`] or
    /// [`COMPARE_SUPERSET`] (the host has more); with `fail`, an incompatible CPU is libvirt's
    /// "the CPU is incompatible with host CPU" naming why. `host_type`: `cpu` is a host CPU
    /// (its features all required, never a strict match).
    pub(crate) fn compare(
        &self,
        host: &CpuDef,
        cpu: &CpuDef,
        host_type: bool,
        fail: bool,
    ) -> Result<i32> {
        match self.compute(host, cpu, host_type)? {
            Err(why) if fail => Err(cpu_error(ErrorNumber::CPU_INCOMPATIBLE, why)),
            Err(_) => Ok(COMPARE_INCOMPATIBLE),
            Ok(r) => Ok(r),
        }
    }

    /// `x86Compute`: the result, or why the CPUs are incompatible.
    fn compute(
        &self,
        host: &CpuDef,
        cpu: &CpuDef,
        host_type: bool,
    ) -> Result<std::result::Result<i32, String>> {
        if host.model.is_none() {
            return Ok(Err("unknown host CPU".into()));
        }
        if let Some(v) = &cpu.vendor
            && host.vendor.as_ref() != Some(v)
        {
            return Ok(Err(format!(
                "host CPU vendor does not match required CPU vendor {v}"
            )));
        }
        let host_data = self.cpu_data(host.model.as_deref(), &host.features, None)?;
        let model = cpu.model.as_deref();
        let of = |p: &str| self.cpu_data(model, &cpu.features, Some(p));
        let mut forbid = of("forbid")?;
        forbid.intersect(&host_data);
        if !forbid.is_empty() {
            return Ok(Err(format!(
                "Host CPU provides forbidden features: {}",
                self.feature_names(&forbid)
            )));
        }
        let mut require = of(REQUIRE)?;
        for p in ["force", "optional", DISABLE] {
            require.subtract(&of(p)?);
        }
        if !host_data.contains(&require) {
            require.subtract(&host_data);
            return Ok(Err(format!(
                "Host CPU does not provide required features: {}",
                self.feature_names(&require)
            )));
        }
        let mut extra = host_data;
        for p in ["optional", REQUIRE, DISABLE, "force"] {
            extra.subtract(&of(p)?);
        }
        if extra.is_empty() {
            return Ok(Ok(COMPARE_IDENTICAL));
        }
        if !host_type && cpu.match_.as_deref() == Some("strict") {
            return Ok(Err(format!(
                "Host CPU does not strictly match guest CPU: Extra features: {}",
                self.feature_names(&extra)
            )));
        }
        Ok(Ok(COMPARE_SUPERSET))
    }

    /// `x86FeatureNames`: the features `data` has whole, in the map's order.
    fn feature_names(&self, data: &Data) -> String {
        let names: Vec<&str> = self
            .features
            .iter()
            .filter(|f| data.contains(&f.data))
            .map(|f| f.name.as_str())
            .collect();
        names.join(", ")
    }
}

/// A decoded CPU as a `<cpu>` of mode `custom`, match `exact`, fallback `forbid`.
fn guest_def(g: GuestCpu) -> CpuDef {
    CpuDef {
        mode: "custom".into(),
        match_: Some("exact".into()),
        model: Some(g.model),
        fallback: "forbid".into(),
        vendor: g.vendor,
        features: g
            .features
            .into_iter()
            .map(|f| {
                let p = match f.policy {
                    Policy::Require => REQUIRE,
                    Policy::Disable => DISABLE,
                };
                (p.into(), f.name)
            })
            .collect(),
        ..CpuDef::default()
    }
}

/// A `<cpu>` of required and disabled features (a host model) as the computed CPU.
fn guest_cpu(def: &CpuDef) -> GuestCpu {
    let mut g = GuestCpu::new(def.model.as_deref().unwrap_or(""));
    g.vendor = def.vendor.clone();
    for (p, n) in &def.features {
        match p.as_ref() {
            REQUIRE => g.update_feature(n, Policy::Require),
            DISABLE => g.update_feature(n, Policy::Disable),
            _ => {}
        }
    }
    g
}

/// `x86UpdateHostModel`: `guest` becomes the host model with its own features on top, of mode
/// `custom` and match `exact`; a guest of mode `custom` keeps its vendor (and vendor ID).
fn update_host_model(guest: &mut CpuDef, host: &CpuDef) {
    let mut features = host.features.clone();
    for (p, n) in &guest.features {
        update(&mut features, n, p.clone());
    }
    guest.model = host.model.clone();
    guest.features = features;
    if guest.mode != "custom" {
        guest.vendor = host.vendor.clone();
        guest.vendor_id = guest.vendor_id.take().or_else(|| host.vendor_id.clone());
    }
    guest.mode = "custom".into();
    guest.match_ = Some("exact".into());
}
