//! `virConnectBaselineCPU` as libvirt 9.0 computes it: the host CPU documents parsed as libvirt
//! parses them, their baseline (the guest CPU every one of them can run) chosen by libvirt's CPU
//! drivers, the model's features listed in full on request, and the result formatted as libvirt
//! formats it, with libvirt's errors throughout.
//!
//! The CPU models, features and vendors are libvirt's own: its CPU map as installed
//! ([`SYSTEM_MAP`]), read at run time once per process, or from a directory given to
//! [`CpuMap::load`]. x86 (i686, x86_64) gets libvirt's full computation; ppc64 and ARM get their
//! drivers' simpler ones; s390 and the architectures without a CPU driver get libvirt's errors.

mod guest;
mod host;
mod mapfile;
mod ppc64;
mod x86;
mod xmlprop;

use guest::GuestCpu;
use rvirt_conf::domain::CpuDef;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::path::Path;
use std::sync::OnceLock;

/// virConnectBaselineCPUFlags: `VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES`, list every feature
/// of the model.
pub const BASELINE_EXPAND_FEATURES: u32 = 1;

/// virConnectBaselineCPUFlags: `VIR_CONNECT_BASELINE_CPU_MIGRATABLE`, leave out the features
/// that block migration.
pub const BASELINE_MIGRATABLE: u32 = 2;

/// Where libvirt's CPU map is installed.
pub const SYSTEM_MAP: &str = "/usr/share/libvirt/cpu_map";

/// The features the QEMU driver leaves out of an x86 baseline (`virQEMUCapsCPUFilterFeatures`):
/// ones QEMU cannot be asked for.
pub const QEMU_FILTERED_FEATURES: &[&str] = &["cmt", "mbm_total", "mbm_local", "osxsave", "ospke"];

/// x86 feature names QEMU spells differently from libvirt's CPU map (QEMU's, libvirt's).
const QEMU_FEATURE_NAMES: &[(&str, &str)] = &[
    ("cmp-legacy", "cmp_legacy"),
    ("ds-cpl", "ds_cpl"),
    ("fxsr-opt", "fxsr_opt"),
    ("kvm-pv-eoi", "kvm_pv_eoi"),
    ("kvm-pv-unhalt", "kvm_pv_unhalt"),
    ("lahf-lm", "lahf_lm"),
    ("nodeid-msr", "nodeid_msr"),
    ("pclmulqdq", "pclmuldq"),
    ("perfctr-core", "perfctr_core"),
    ("perfctr-nb", "perfctr_nb"),
    ("tsc-adjust", "tsc_adjust"),
];

/// The CPU map's name of an x86 feature QEMU calls `name`.
pub fn feature_from_qemu(name: &str) -> &str {
    QEMU_FEATURE_NAMES
        .iter()
        .find(|(q, _)| *q == name)
        .map_or(name, |(_, l)| l)
}

/// QEMU's name of an x86 feature of the CPU map.
pub fn feature_to_qemu(name: &str) -> &str {
    QEMU_FEATURE_NAMES
        .iter()
        .find(|(_, l)| *l == name)
        .map_or(name, |(q, _)| q)
}

/// A CPU model the hypervisor offers (`virDomainCapsCPUModel`), as decoding a CPU for it needs.
pub struct HvModel<'a> {
    /// The model's name.
    pub name: &'a str,
    /// The features (QEMU's names) the hypervisor lacks to run it.
    pub blockers: &'a [String],
}

/// The host's CPU as QEMU describes it in a CPU model expansion.
pub struct ExpandedCpu<'a> {
    /// The features it has (QEMU's names).
    pub features: Vec<&'a str>,
    /// Its vendor string (`GenuineIntel`…).
    pub vendor: Option<&'a str>,
    /// Family, model and stepping.
    pub signature: (u32, u32, u32),
}

/// `virCPUDefListParse` of type "auto": each CPU document as [`CpuMap::compare_xml`] reads
/// it (a host CPU's features all required), for [`CpuMap::baseline_hypervisor`].
pub fn parse_cpu_list<S: AsRef<str>>(cpus: &[S]) -> Result<Vec<CpuDef>> {
    if cpus.is_empty() {
        return Err(cpu_error(ErrorNumber::INVALID_ARG, "no CPUs given"));
    }
    cpus.iter()
        .map(|c| parse_auto(c.as_ref(), false).map(|(c, _)| c.def))
        .collect()
}

/// A CPU document parsed as libvirt parses one of type "auto".
struct AutoCpu {
    def: CpuDef,
    arch: String,
    /// A host CPU of an architecture the x86 driver does not serve.
    arch_mismatch: bool,
}

/// `virCPUDefParseXMLString` with type "auto": a `<cpu>` naming its architecture is a host
/// CPU (its features all present), any other a guest CPU; `validate` checks the document
/// against libvirt's `cpu.rng` first. The `bool` says it is a host CPU.
fn parse_auto(xml: &str, validate: bool) -> Result<(AutoCpu, bool)> {
    let doc = rvirt_conf::xml::parse_document(xml, "(CPU_definition)", ErrorDomain::CPU)?;
    let root = doc.root_element();
    if root.tag_name().name() != "cpu" {
        return Err(cpu_error(
            ErrorNumber::XML_ERROR,
            "XML does not contain expected 'cpu' element",
        ));
    }
    if validate {
        rvirt_conf::schema::validate_document(
            xml,
            "(CPU_definition)",
            ErrorDomain::CPU,
            "cpu",
            "cpu.rng",
        )?;
    }
    let has_arch = root
        .children()
        .any(|c| c.is_element() && c.tag_name().name() == "arch");
    if !has_arch {
        let def = CpuDef::parse_document(xml)?;
        return Ok((
            AutoCpu {
                def,
                arch: String::new(),
                arch_mismatch: false,
            },
            false,
        ));
    }
    if root.attribute("match").is_some() {
        return Err(cpu_error(
            ErrorNumber::XML_ERROR,
            "'arch' element cannot be used inside 'cpu' element with 'match' attribute'",
        ));
    }
    let h = host::parse(xml)?;
    let def = CpuDef {
        model: Some(h.model),
        vendor: h.vendor,
        features: h
            .features
            .into_iter()
            .map(|f| ("require".into(), f))
            .collect(),
        ..CpuDef::default()
    };
    let arch_mismatch = !matches!(h.arch.as_str(), "i686" | "x86_64");
    Ok((
        AutoCpu {
            def,
            arch: h.arch,
            arch_mismatch,
        },
        true,
    ))
}

/// `virCPUCheckForbiddenFeatures`: a feature `guest` forbids that `host` lists (and does not
/// disable) is libvirt's "Host CPU provides forbidden feature".
pub fn check_forbidden(guest: &CpuDef, host: &CpuDef) -> Result<()> {
    for (_, name) in guest.features.iter().filter(|(p, _)| p == "forbid") {
        if host
            .features
            .iter()
            .any(|(p, n)| n == name && p != "disable")
        {
            return Err(cpu_error(
                ErrorNumber::CPU_INCOMPATIBLE,
                format!("Host CPU provides forbidden feature '{name}'"),
            ));
        }
    }
    Ok(())
}

/// The host's own CPU as libvirt's capabilities describe it (`virCPUGetHost` of type host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostCpuInfo {
    /// The CPU model that describes it best with nothing disabled.
    pub model: String,
    /// Its vendor (`Intel`, `AMD`…).
    pub vendor: Option<String>,
    /// Family, model and stepping.
    pub signature: (u32, u32, u32),
    /// The features it has beyond the model, in the map's order.
    pub features: Vec<String>,
    /// It has an invariant TSC (libvirt then reports the TSC's frequency).
    pub invtsc: bool,
}

/// An error of libvirt's CPU code (`VIR_FROM_CPU`).
pub(crate) fn cpu_error(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::CPU, code, detail)
}

/// One word of CPUID bits, as QEMU's x86 CPU objects list them in their `feature-words`
/// (what the guest sees) and `filtered-features` (what was asked for and left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuidWord {
    /// `cpuid-input-eax`: the leaf.
    pub leaf: u32,
    /// `cpuid-input-ecx`: the sub-leaf (0 when QEMU gives none).
    pub subleaf: u32,
    /// `cpuid-register`: 0 for EAX, 1 EBX, 2 ECX, 3 EDX.
    pub register: usize,
    /// `features`: the bits.
    pub bits: u32,
}

/// What QEMU says of a running guest's features made of MSR bits, which its CPUID words do
/// not show: those whose property is on, and those it lists as unavailable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MsrFeatures {
    /// Features (the map's names) whose property is on.
    pub enabled: Vec<String>,
    /// Features (the map's names) QEMU could not give the guest.
    pub unavailable: Vec<String>,
}

/// A running guest's `<cpu>`, as [`CpuMap::update_live`] reads it.
pub struct LiveCpu<'a> {
    /// Mode `host-passthrough` or `maximum` (else `custom` with a model).
    pub passthrough: bool,
    /// `<model>`.
    pub model: Option<&'a str>,
    /// `<feature>`s: policy and name, in order.
    pub features: &'a [(String, String)],
    /// `check='full'`: any change the hypervisor made is an error.
    pub check_full: bool,
}

/// libvirt's CPU map: the parts of it the baseline uses (x86 and ppc64).
pub struct CpuMap {
    x86: x86::Map,
    ppc64: ppc64::Map,
}

/// The CPU driver libvirt picks for an architecture (`cpuGetSubDriver`).
#[derive(Clone, Copy)]
enum Driver {
    X86,
    Ppc64,
    S390,
    Arm,
}

impl Driver {
    fn of(arch: &str) -> Result<Driver> {
        Ok(match arch {
            "i686" | "x86_64" => Driver::X86,
            "ppc64" | "ppc64le" => Driver::Ppc64,
            "s390" | "s390x" => Driver::S390,
            "armv6l" | "armv7b" | "armv7l" | "aarch64" => Driver::Arm,
            _ => {
                return Err(cpu_error(
                    ErrorNumber::NO_SUPPORT,
                    format!("'{arch}' architecture is not supported by CPU driver"),
                ));
            }
        })
    }
}

impl CpuMap {
    /// Reads the map installed in `dir`: `index.xml` and the files it includes for x86 and
    /// ppc64, with libvirt's errors for a map it would refuse.
    pub fn load(dir: &Path) -> Result<CpuMap> {
        Ok(CpuMap {
            x86: x86::Map::load(dir)?,
            ppc64: ppc64::Map::load(dir)?,
        })
    }

    /// The system's map ([`SYSTEM_MAP`]), read at the first call; later calls share it (or the
    /// error of reading it).
    pub fn system() -> Result<&'static CpuMap> {
        static MAP: OnceLock<Result<CpuMap>> = OnceLock::new();
        MAP.get_or_init(|| CpuMap::load(Path::new(SYSTEM_MAP)))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// libvirt's `virCPUUpdateLive` for an x86 guest: the features of `cpu` once QEMU runs it
    /// with the CPUID bits `enabled` and with `disabled` left out: a feature the model lacks
    /// but the guest has is added as required, one the model has but the guest lacks is
    /// disabled (and features the model lost over time are listed disabled). With
    /// `check='full'` such a difference is libvirt's "guest CPU doesn't match specification"
    /// instead. Features made of MSR bits, which CPUID words cannot show, are judged by `msr`
    /// (left as listed without it).
    pub fn update_live(
        &self,
        cpu: &LiveCpu,
        enabled: &[CpuidWord],
        disabled: &[CpuidWord],
        msr: Option<&MsrFeatures>,
    ) -> Result<Vec<(String, String)>> {
        self.x86.update_live(cpu, enabled, disabled, msr)
    }

    /// Whether a guest whose CPUID words are `enabled` may have any feature made of MSR bits:
    /// those MSRs (`IA32_ARCH_CAPABILITIES`, `IA32_CORE_CAPABILITY`) exist for the guest only
    /// when CPUID says so (`arch-capabilities`, `core-capability`); without either, every
    /// such feature is off.
    pub fn msr_features_possible(&self, enabled: &[CpuidWord]) -> bool {
        self.x86.msr_features_possible(enabled)
    }

    /// The x86 features made of MSR bits (QEMU tells each by a property of its own).
    pub fn msr_features(&self) -> Vec<&str> {
        self.x86
            .features
            .iter()
            .filter(|f| f.data.has_msr())
            .map(|f| f.name.as_str())
            .collect()
    }

    /// The host-model CPU of an x86 QEMU accelerator (libvirt's `virQEMUCapsInitCPUModelX86`):
    /// `cpu`, QEMU's expansion of its host CPU, decoded into the CPU model among the
    /// hypervisor's `models` that describes it best (newest first; one of the host's own
    /// family and model when there is one), the features it has beyond that model required,
    /// those it lacks disabled; a CPU of mode `custom`, match `exact`, fallback `forbid`.
    pub fn host_model(&self, cpu: &ExpandedCpu, models: &[HvModel]) -> Result<CpuDef> {
        self.x86.host_model(cpu, models)
    }

    /// The host's own x86 CPU (its CPUID, and `IA32_ARCH_CAPABILITIES` when readable) as a
    /// CPU of type host: the newest model it has every feature of (one of its own family and
    /// model when there is one) and the features it has beyond it.
    pub fn host_cpu(&self) -> Result<HostCpuInfo> {
        self.x86.host_cpu()
    }

    /// The host CPU libvirt checks guest CPUs against when QEMU runs them with KVM (the
    /// "full" host CPU of `virQEMUCapsInitHostCPUModel`): the host's own CPUID (and
    /// `IA32_ARCH_CAPABILITIES`, when readable) decoded among every model of the map, with
    /// every feature the `reported` host model requires (its model's and its own) required.
    pub fn full_host_model(&self, reported: &CpuDef) -> Result<CpuDef> {
        self.x86.full_host_model(reported)
    }

    /// What libvirt's start makes of an x86 guest CPU before QEMU runs (`virCPUUpdate`):
    /// optional features become required or disabled as the `host` model has them or not; a
    /// CPU of mode `host-model` or match `minimum` becomes the host model (mode `custom`, match
    /// `exact`) with its own features on top; the features its model lost are listed
    /// disabled. Host-passthrough and maximum CPUs are left alone. `host` is needed only for
    /// the first two ("unknown host CPU model" without it).
    pub fn update_guest(&self, guest: &mut CpuDef, host: Option<&CpuDef>) -> Result<()> {
        self.x86.update_guest(guest, host)
    }

    /// Whether the `host` CPU provides x86 guest CPU `cpu` (`virCPUCompare` failing on an
    /// incompatible CPU): libvirt's "the CPU is incompatible with host CPU" naming the
    /// forbidden features the host has, or the required ones it lacks (or, for match
    /// `strict`, the features it has beyond the guest's).
    pub fn check_compatible(&self, host: &CpuDef, cpu: &CpuDef) -> Result<()> {
        self.x86.check_compatible(host, cpu)
    }

    /// `virCPUCompareXML` for an x86 host: how the `host` CPU compares with the CPU document
    /// `xml` (a host CPU when it names its architecture, else a guest CPU): 0 incompatible,
    /// 1 identical, 2 the host's a superset (`VIR_CPU_COMPARE_*`). `fail`: an incompatible CPU
    /// is libvirt's "the CPU is incompatible with host CPU" error instead; `validate`: the
    /// document is checked against libvirt's `cpu.rng` first.
    pub fn compare_xml(&self, host: &CpuDef, xml: &str, fail: bool, validate: bool) -> Result<i32> {
        let (cpu, host_type) = parse_auto(xml, validate)?;
        if host_type && cpu.arch_mismatch {
            let why = format!("CPU arch {} does not match host arch", cpu.arch);
            return if fail {
                Err(cpu_error(ErrorNumber::CPU_INCOMPATIBLE, why))
            } else {
                Ok(0)
            };
        }
        self.x86.compare(host, &cpu.def, host_type, fail)
    }

    /// `virConnectBaselineHypervisorCPU` for an x86 QEMU: the baseline of the CPU documents
    /// `cpus` (host or guest CPUs, as [`CpuMap::compare_xml`] tells them apart) among the
    /// hypervisor's `models`, with only the `features` QEMU knows (when given), fallback
    /// `forbid`, every feature of the model listed on `expand_features` (sorted by name).
    pub fn baseline_hypervisor(
        &self,
        defs: &[CpuDef],
        models: &[HvModel],
        features: Option<&[String]>,
        expand_features: bool,
        migratable: bool,
    ) -> Result<String> {
        if let Some(i) = defs.iter().position(|d| d.model.is_none()) {
            return Err(cpu_error(
                ErrorNumber::INVALID_ARG,
                format!("no CPU model specified at index {i}"),
            ));
        }
        let mut cpu = self
            .x86
            .baseline_defs(defs, Some(models), features, migratable)?;
        cpu.fallback_forbid = true;
        if expand_features {
            self.x86.expand(&mut cpu)?;
            cpu.features.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(cpu.format())
    }

    /// The baseline of the host CPU documents `cpus` on this map, as libvirt's test driver
    /// computes it (see [`baseline`]).
    pub fn baseline<S: AsRef<str>>(
        &self,
        cpus: &[S],
        expand_features: bool,
        migratable: bool,
    ) -> Result<String> {
        compute(|| Ok(self), cpus, expand_features, migratable, &[])
    }

    /// The baseline as libvirt's QEMU driver computes it (see [`baseline_for_qemu`]).
    pub fn baseline_for_qemu<S: AsRef<str>>(
        &self,
        cpus: &[S],
        expand_features: bool,
        migratable: bool,
    ) -> Result<String> {
        compute(
            || Ok(self),
            cpus,
            expand_features,
            migratable,
            QEMU_FILTERED_FEATURES,
        )
    }
}

/// The baseline of the host CPU XML documents `cpus` (each one `<cpu>` document, as
/// virConnectBaselineCPU receives them), formatted as libvirt formats it. `expand_features`:
/// list every feature of the model (VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES); `migratable`:
/// drop non-migratable features.
///
/// The system's map is read only when the CPUs' architecture needs it, as libvirt reads it.
pub fn baseline<S: AsRef<str>>(
    cpus: &[S],
    expand_features: bool,
    migratable: bool,
) -> Result<String> {
    compute(CpuMap::system, cpus, expand_features, migratable, &[])
}

/// The baseline as libvirt's QEMU driver computes it (`qemuConnectBaselineCPU`): as
/// [`baseline`], with the [`QEMU_FILTERED_FEATURES`] of an x86 baseline left out before the
/// features are expanded.
pub fn baseline_for_qemu<S: AsRef<str>>(
    cpus: &[S],
    expand_features: bool,
    migratable: bool,
) -> Result<String> {
    compute(
        CpuMap::system,
        cpus,
        expand_features,
        migratable,
        QEMU_FILTERED_FEATURES,
    )
}

/// The drivers' common path: parse every document (`virCPUDefListParse`), pick the driver of
/// the first CPU's architecture and compute (`virCPUBaseline`), drop `filtered` features of an
/// x86 result, expand and sort on request (`virCPUExpandFeatures`), format.
fn compute<'m, S: AsRef<str>>(
    map: impl FnOnce() -> Result<&'m CpuMap>,
    docs: &[S],
    expand_features: bool,
    migratable: bool,
    filtered: &[&str],
) -> Result<String> {
    let cpus = host::parse_list(docs)?;
    let arch = cpus.first().map_or("", |c| c.arch.as_str());
    let mut cpu = match Driver::of(arch)? {
        Driver::X86 => {
            let x86 = &map()?.x86;
            let mut cpu = x86.baseline(&cpus, migratable)?;
            cpu.features
                .retain(|f| !filtered.contains(&f.name.as_str()));
            if expand_features {
                x86.expand(&mut cpu)?;
            }
            cpu
        }
        Driver::Ppc64 => map()?.ppc64.baseline(&cpus)?,
        Driver::Arm => GuestCpu::new(cpus.first().map_or("", |c| c.model.as_str())),
        Driver::S390 => {
            return Err(cpu_error(
                ErrorNumber::NO_SUPPORT,
                format!("cannot compute baseline CPU of {arch} architecture"),
            ));
        }
    };
    if expand_features {
        cpu.features.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(cpu.format())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory of its own for one test, removed afterwards.
    pub(crate) struct TempDir(PathBuf);

    impl TempDir {
        pub(crate) fn new(tag: &str) -> TempDir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "rvirt-cpumap-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).expect("temporary directory");
            TempDir(dir)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }

        pub(crate) fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).expect("temporary file");
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn system() -> Option<&'static CpuMap> {
        if !Path::new(SYSTEM_MAP).join("index.xml").exists() {
            eprintln!("skipped: libvirt's CPU map is not installed at {SYSTEM_MAP}");
            return None;
        }
        Some(CpuMap::system().expect("the installed map loads"))
    }

    const SKYLAKE: &str = "<cpu><arch>x86_64</arch><model>Skylake-Client</model>\
                           <vendor>Intel</vendor><feature name='ss'/><feature name='invtsc'/>\
                           <feature name='xsaves'/></cpu>";

    /// The names in the `<feature>` lines of a formatted CPU.
    fn feature_names(xml: &str) -> Vec<&str> {
        xml.lines()
            .filter_map(|l| l.split("name='").nth(1))
            .filter_map(|l| l.split('\'').next())
            .collect()
    }

    #[test]
    fn migratable_drops_features_that_block_migration() {
        let Some(m) = system() else { return };
        let all = m
            .baseline(&[SKYLAKE, SKYLAKE], false, false)
            .expect("baseline");
        assert_eq!(feature_names(&all), ["ss", "xsaves", "invtsc"], "{all}");
        // x86_features.xml marks xsaves and invtsc migratable='no'.
        let mig = m
            .baseline(&[SKYLAKE, SKYLAKE], false, true)
            .expect("baseline");
        assert_eq!(
            mig,
            "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Skylake-Client</model>\
             \n  <vendor>Intel</vendor>\n  <feature policy='require' name='ss'/>\n</cpu>\n"
        );
        // Expanding lists the model's own features again, blockers among them (EPYC-Milan has
        // xsaves): libvirt drops blockers from the decoded feature list only, not from the model.
        let milan = "<cpu><arch>x86_64</arch><model>EPYC-Milan</model><vendor>AMD</vendor>\
                     <feature name='invtsc'/></cpu>";
        let expanded = m.baseline(&[milan], true, true).expect("baseline");
        let names = feature_names(&expanded);
        assert!(
            names.contains(&"xsaves") && !names.contains(&"invtsc"),
            "{expanded}"
        );
        let expanded_all = m.baseline(&[milan], true, false).expect("baseline");
        assert!(
            feature_names(&expanded_all).contains(&"invtsc"),
            "{expanded_all}"
        );
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn the_qemu_driver_filters_before_expanding() {
        let Some(m) = system() else { return };
        let host = "<cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor>\
                    <feature name='osxsave'/><feature name='cmt'/><feature name='ss'/></cpu>";
        let test = m.baseline(&[host], false, false).expect("baseline");
        assert_eq!(feature_names(&test), ["ss", "osxsave", "cmt"], "{test}");
        let qemu = m
            .baseline_for_qemu(&[host], false, false)
            .expect("baseline");
        assert_eq!(feature_names(&qemu), ["ss"], "{qemu}");
    }

    #[test]
    fn architectures_without_a_baseline_get_libvirts_errors() {
        let err = |doc: &str| {
            let e = compute(
                || Err(Error::internal(ErrorDomain::CPU, "no map needed")),
                &[doc],
                false,
                false,
                &[],
            )
            .expect_err("refused");
            (e.domain, e.code, e.message)
        };
        assert_eq!(
            err("<cpu><arch>s390x</arch><model>z13</model></cpu>"),
            (
                ErrorDomain::CPU,
                ErrorNumber::NO_SUPPORT,
                "this function is not supported by the connection driver: cannot compute \
                 baseline CPU of s390x architecture"
                    .to_string()
            )
        );
        assert_eq!(
            err("<cpu><arch>riscv64</arch><model>rv</model></cpu>").2,
            "this function is not supported by the connection driver: 'riscv64' architecture is \
             not supported by CPU driver"
        );
        // ARM needs no map: the first CPU's model, nothing else.
        let arm = compute(
            || Err(Error::internal(ErrorDomain::CPU, "no map needed")),
            &[
                "<cpu><arch>aarch64</arch><model>a&amp;b</model><vendor>V</vendor>\
                 <feature name='f'/></cpu>",
                "<cpu><arch>aarch64</arch><model>other</model></cpu>",
            ],
            true,
            false,
            &[],
        )
        .expect("ARM baseline");
        assert_eq!(
            arm,
            "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>a&amp;b</model>\n</cpu>\n"
        );
    }

    /// A small map of libvirt's format, for what the installed one does not exercise.
    fn synthetic_map() -> (TempDir, CpuMap) {
        let dir = TempDir::new("map");
        dir.write(
            "index.xml",
            "<cpus><arch name='x86'><include filename='v.xml'/><include filename='f.xml'/>\
             <include filename='m.xml'/></arch>\
             <arch name='ppc64'><vendor name='IBM'/><vendor name='Other'/>\
             <model name='P9'><vendor name='IBM'/><pvr value='0x4e0000' mask='0xffff0000'/>\
             </model><model name='Q'><pvr value='1' mask='ffffffff'/></model></arch></cpus>",
        );
        dir.write(
            "v.xml",
            "<cpus><vendor name='Intel' string='GenuineIntel'/>\
             <vendor name='AMD' string='AuthenticAMD'/></cpus>",
        );
        dir.write(
            "f.xml",
            "<cpus>\
             <feature name='a'><cpuid eax_in='0x01' edx='0x01'/></feature>\
             <feature name='b'><alias name='bee'/><cpuid eax_in='0x01' edx='0x02'/></feature>\
             <feature name='c'><cpuid eax_in='0x07' ecx_in='0x00' ebx='0x04'/></feature>\
             <feature name='d' migratable='no'><msr index='0x10a' edx='0' eax='0x1'/></feature>\
             <feature name='gone'><cpuid eax_in='0x01' ecx='0x80'/></feature>\
             </cpus>",
        );
        dir.write(
            "m.xml",
            "<cpus>\
             <model name='base'><decode host='on' guest='on'/><vendor name='Intel'/>\
             <feature name='a'/></model>\
             <model name='hidden'><decode host='on' guest='off'/><feature name='a'/>\
             <feature name='b'/><feature name='c'/></model>\
             <model name='next'><decode host='on' guest='on'/><model name='base'/>\
             <feature name='b'/><feature name='gone' removed='yes'/></model>\
             <model name='amd'><decode host='on' guest='on'/><vendor name='AMD'/>\
             <feature name='a'/><feature name='b'/></model>\
             <model name='solo'><decode host='on' guest='on'/><feature name='c'/></model>\
             </cpus>",
        );
        let map = CpuMap::load(dir.path()).expect("synthetic map loads");
        (dir, map)
    }

    #[test]
    fn a_map_of_libvirts_format_is_read_and_used() {
        let (_dir, map) = synthetic_map();
        let host = |model: &str, vendor: &str, features: &[&str]| {
            let mut s = format!("<cpu><arch>x86_64</arch><model>{model}</model>");
            if !vendor.is_empty() {
                s += &format!("<vendor>{vendor}</vendor>");
            }
            for f in features {
                s += &format!("<feature name='{f}'/>");
            }
            s + "</cpu>"
        };
        let one = host("next", "Intel", &["c", "d"]);
        // Ancestor's data inherited, removed feature disabled, extra features required in the
        // map's order; `hidden` may not describe a guest CPU although it fits exactly.
        assert_eq!(
            map.baseline(&[&one], false, false).expect("baseline"),
            "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>next</model>\n  \
             <vendor>Intel</vendor>\n  <feature policy='require' name='c'/>\n  \
             <feature policy='require' name='d'/>\n  <feature policy='disable' name='gone'/>\n\
             </cpu>\n"
        );
        assert_eq!(
            feature_names(&map.baseline(&[&one], false, true).expect("baseline")),
            ["c", "gone"]
        );
        assert_eq!(
            feature_names(&map.baseline(&[&one], true, false).expect("baseline")),
            ["a", "b", "c", "d", "gone"]
        );
        // Two models: the one with the lightest feature list wins, a disabled feature weighing
        // more than a required one; without a vendor on one CPU none is printed.
        let two = map
            .baseline(
                &[&host("next", "Intel", &[]), &host("base", "", &["b"])],
                false,
                false,
            )
            .expect("baseline");
        assert_eq!(
            two,
            "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>base</model>\n  \
             <feature policy='require' name='b'/>\n</cpu>\n"
        );
        let e = map
            .baseline(
                &[&host("next", "Intel", &[]), &host("amd", "", &[])],
                false,
                false,
            )
            .expect_err("vendors differ");
        assert_eq!(e.message, "operation failed: CPU vendors do not match");
        let e = map
            .baseline(
                &[&host("next", "", &[]), &host("amd", "Intel", &[])],
                false,
                false,
            )
            .expect_err("model of another vendor");
        assert_eq!(
            e.message,
            "operation failed: CPU vendor AMD of model amd differs from vendor Intel"
        );
        // The vendor comes from the models when the CPUs name none; `hidden` is named but may
        // not describe a guest CPU.
        assert_eq!(
            map.baseline(
                &[&host("hidden", "", &["d"]), &host("amd", "", &["c"])],
                false,
                false
            )
            .expect("baseline"),
            "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>amd</model>\n  \
             <feature policy='require' name='c'/>\n</cpu>\n"
        );

        // No bit in common: the installed map has no such pair of models.
        let e = map
            .baseline(
                &[&host("base", "", &[]), &host("solo", "", &[])],
                false,
                false,
            )
            .expect_err("nothing in common");
        assert_eq!(e.message, "operation failed: CPUs are incompatible");

        // ppc64: models compared by name, the vendor printed only when the model has none.
        let ppc = |model: &str, vendor: &str| {
            format!(
                "<cpu><arch>ppc64le</arch><model>{model}</model><vendor>{vendor}</vendor></cpu>"
            )
        };
        assert_eq!(
            map.baseline(&[&ppc("Q", "Other"), &ppc("Q", "Other")], true, false)
                .expect("baseline"),
            "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Q</model>\n  \
             <vendor>Other</vendor>\n</cpu>\n"
        );
        let e = map
            .baseline(&[&ppc("P9", "IBM"), &ppc("P9", "Other")], false, false)
            .expect_err("vendor of another model");
        assert_eq!(
            e.message,
            "operation failed: CPU vendor IBM of model P9 differs from vendor Other"
        );
        let e = map
            .baseline(&[&ppc("P9", "IBM"), &ppc("Q", "IBM")], false, false)
            .expect_err("models differ");
        assert_eq!(e.message, "operation failed: CPUs are incompatible");
    }

    #[test]
    fn broken_maps_get_libvirts_errors() {
        let dir = TempDir::new("broken");
        let load_err = |files: &[(&str, &str)]| {
            for (name, text) in files {
                dir.write(name, text);
            }
            match CpuMap::load(dir.path()) {
                Ok(_) => String::new(),
                Err(e) => e.message,
            }
        };
        let index = "<cpus><arch name='x86'><include filename='x.xml'/></arch>\
                     <arch name='ppc64'/></cpus>";
        let cases = [
            (
                "<cpus><model name='m'><decode host='on' guest='on'/><model name='nope'/></model>\
                 </cpus>",
                "internal error: Ancestor model nope not found for CPU model m",
            ),
            (
                "<cpus><model name='m'><decode host='on'/></model></cpus>",
                "XML error: Missing required attribute 'guest' in element 'decode'",
            ),
            (
                "<cpus><model name='m'><decode host='on' guest='on'/><feature name='f'/>\
                 </model></cpus>",
                "internal error: Feature f required by CPU model m not found",
            ),
            (
                "<cpus><feature name='f'><cpuid eax_in='x'/></feature></cpus>",
                "internal error: Invalid cpuid[0]",
            ),
            (
                "<cpus><feature name='f'><alias name='g'/></feature><feature name='f'/></cpus>",
                "internal error: CPU feature f already defined",
            ),
            (
                "<cpus><vendor name='V' string='short'/></cpus>",
                "internal error: Invalid CPU vendor string 'short'",
            ),
            (
                "<cpus><model name='m'><decode host='on' guest='on'/>\
                 <signature family='0' model='1'/></model></cpus>",
                "internal error: Invalid CPU signature family in model m",
            ),
            ("<cpus><model/></cpus>", ""),
        ];
        for (file, message) in cases {
            let got = load_err(&[("index.xml", index), ("x.xml", file)]);
            if message.is_empty() {
                assert!(
                    got.starts_with("internal error: cannot find model name"),
                    "{got}"
                );
            } else {
                assert_eq!(got, message, "{file}");
            }
        }
        let _ = std::fs::remove_file(dir.path().join("index.xml"));
        assert!(load_err(&[]).starts_with("XML error: failed to parse xml document '"));
    }
}
