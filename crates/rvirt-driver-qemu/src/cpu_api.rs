//! The QEMU driver's CPU comparisons and hypervisor baseline: `virConnectCompareCPU` (against
//! the host's own CPU, as capabilities describe it), `virConnectCompareHypervisorCPU`
//! (against the host-model CPU QEMU reports for a domain type) and
//! `virConnectBaselineHypervisorCPU` (a baseline among QEMU's CPU models and features).

use crate::QemuDriver;
use rvirt_conf::domain::CpuDef;
use rvirt_cpumap::CpuMap;
use rvirt_types::host::{ConnectBaselineCPUFlags, ConnectCompareCPUFlags};
use rvirt_types::{Error, ErrorNumber, Result};

fn unsupported(detail: String) -> Error {
    Error::with_detail(crate::FROM, ErrorNumber::OPERATION_UNSUPPORTED, detail)
}

/// The host's CPU as a guest CPU of its model with every feature it has required (what
/// libvirt compares CPUs with); no model when the host's CPU is unknown.
fn host_cpu_def() -> CpuDef {
    match crate::caps::host_cpu() {
        Some(h) => CpuDef {
            model: Some(h.cpu.model.clone()),
            vendor: h.cpu.vendor.clone(),
            features: h
                .cpu
                .features
                .iter()
                .map(|f| ("require".into(), f.clone()))
                .collect(),
            ..CpuDef::default()
        },
        None => CpuDef::default(),
    }
}

/// The `VIR_CONNECT_COMPARE_CPU_*` flags of a comparison: fail when incompatible, validate.
fn compare_flags(function: &str, flags: u32) -> Result<(bool, bool)> {
    let f = ConnectCompareCPUFlags::FAIL_INCOMPATIBLE;
    let v = ConnectCompareCPUFlags::VALIDATE_XML;
    rvirt_driver::check_flags(crate::FROM, function, flags, (f | v).bits())?;
    Ok((flags & f.bits() != 0, flags & v.bits() != 0))
}

impl QemuDriver {
    /// `virConnectCompareCPU`.
    pub(crate) fn compare_cpu(&self, xml: &str, flags: u32) -> Result<i32> {
        let (fail, validate) = compare_flags("qemuConnectCompareCPU", flags)?;
        CpuMap::system()?.compare_xml(&host_cpu_def(), xml, fail, validate)
    }

    /// `virConnectCompareHypervisorCPU`.
    pub(crate) async fn compare_hypervisor_cpu(
        &self,
        emulator: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        xml: &str,
        flags: u32,
    ) -> Result<i32> {
        let (fail, validate) = compare_flags("qemuConnectCompareHypervisorCPU", flags)?;
        let (target, probe) = self.resolve(emulator, arch, machine, virttype).await?;
        let hosts = self.host_models(&probe, target.virttype == "kvm");
        let Some(hosts) = hosts.as_ref() else {
            return Err(unsupported(format!(
                "QEMU '{}' does not support reporting CPU model for virttype '{}'",
                target.binary.display(),
                target.virttype
            )));
        };
        if !matches!(target.arch.as_str(), "i686" | "x86_64") {
            return Err(unsupported(format!(
                "comparing with the hypervisor CPU is not supported for arch {}",
                target.arch
            )));
        }
        CpuMap::system()?.compare_xml(&hosts.reported, xml, fail, validate)
    }

    /// `virConnectBaselineHypervisorCPU`.
    pub(crate) async fn baseline_hypervisor_cpu(
        &self,
        emulator: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        xml_cpus: &[String],
        flags: u32,
    ) -> Result<String> {
        let expand = ConnectBaselineCPUFlags::EXPAND_FEATURES;
        let mig = ConnectBaselineCPUFlags::MIGRATABLE;
        rvirt_driver::check_flags(
            crate::FROM,
            "qemuConnectBaselineHypervisorCPU",
            flags,
            (expand | mig).bits(),
        )?;
        let mut migratable = flags & mig.bits() != 0;
        let cpus = rvirt_cpumap::parse_cpu_list(xml_cpus)?;
        let (target, probe) = self.resolve(emulator, arch, machine, virttype).await?;
        let kvm = target.virttype == "kvm";
        let definitions = probe
            .accel_cpus(kvm)
            .map_or(&[][..], |a| a.cpu_definitions.as_slice());
        if definitions.is_empty() {
            return Err(unsupported(format!(
                "QEMU '{}' does not support any CPU models for virttype '{}'",
                target.binary.display(),
                target.virttype
            )));
        }
        if !matches!(target.arch.as_str(), "i686" | "x86_64") {
            return Err(unsupported(format!(
                "computing baseline hypervisor CPU is not supported for arch {}",
                target.arch
            )));
        }
        let models = crate::hostmodel::hv_models(definitions);
        let features = crate::hostmodel::qemu_features(&probe, kvm, migratable);
        // QEMU's list already holds only the migratable features when asked for them.
        if features.is_some() {
            migratable = false;
        }
        CpuMap::system()?.baseline_hypervisor(
            &cpus,
            &models,
            features.as_deref(),
            flags & expand.bits() != 0,
            migratable,
        )
    }
}
