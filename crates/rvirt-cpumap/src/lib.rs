//! libvirt's CPU map and the computations on it that `virConnectBaselineCPU` needs: the host
//! CPU documents parsed as libvirt parses them, their baseline (the guest CPU every one of them
//! can run), the model's features listed in full, and the result formatted as libvirt formats
//! it, with libvirt's errors throughout.
//!
//! The map is libvirt's own, as installed (`/usr/share/libvirt/cpu_map`), read once per process.
//! x86 (i686, x86_64) and ARM get libvirt's baselines; ppc64 is not done yet (refused).

mod x86;

use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::path::Path;
use std::sync::OnceLock;

/// Where libvirt's CPU map is installed.
pub const SYSTEM_MAP: &str = "/usr/share/libvirt/cpu_map";

/// The features the QEMU driver leaves out of a baseline: ones QEMU cannot be asked for.
pub const QEMU_FILTERED_FEATURES: &[&str] = &["cmt", "mbm_total", "mbm_local", "osxsave", "ospke"];

pub(crate) fn internal(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::CPU, ErrorNumber::INTERNAL_ERROR, detail)
}

fn xml_error(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::CPU, ErrorNumber::XML_ERROR, detail)
}

fn unsupported_config(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::CPU, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// A feature policy of a guest CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    Require,
    Disable,
}

/// One `<feature>` of a guest CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Feature {
    pub(crate) policy: Policy,
    pub(crate) name: String,
}

/// A host CPU as `virConnectBaselineCPU` receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostCpu {
    arch: String,
    pub(crate) model: String,
    pub(crate) vendor: Option<String>,
    pub(crate) features: Vec<String>,
}

/// A computed guest CPU (mode custom, match exact).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GuestCpu {
    pub(crate) model: String,
    pub(crate) fallback_forbid: bool,
    pub(crate) vendor: Option<String>,
    pub(crate) features: Vec<Feature>,
}

impl GuestCpu {
    /// virCPUDefFormat of the guest CPU.
    fn format(&self) -> String {
        let mut out = String::from("<cpu mode='custom' match='exact'>\n");
        out += &format!(
            "  <model fallback='{}'>{}</model>\n",
            if self.fallback_forbid {
                "forbid"
            } else {
                "allow"
            },
            escape(&self.model)
        );
        if let Some(v) = &self.vendor {
            out += &format!("  <vendor>{}</vendor>\n", escape(v));
        }
        for f in &self.features {
            let p = match f.policy {
                Policy::Require => "require",
                Policy::Disable => "disable",
            };
            out += &format!("  <feature policy='{p}' name='{}'/>\n", escape(&f.name));
        }
        out + "</cpu>\n"
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

/// Parses one host CPU document as libvirt's `virCPUDefParseXML` does for a host CPU.
fn parse_host(text: &str) -> Result<HostCpu> {
    let doc = rvirt_conf::xml::parse_document(text, "(CPU_definition)", ErrorDomain::CPU)?;
    let c = doc.root_element();
    if c.tag_name().name() != "cpu" {
        return Err(xml_error("XML does not contain expected 'cpu' element"));
    }
    if c.attribute("mode").is_some() {
        return Err(unsupported_config(
            "Attribute mode is only allowed for guest CPU",
        ));
    }
    if let Some(m) = c.attribute("migratable") {
        if m != "on" && m != "off" {
            return Err(Error::with_detail(
                ErrorDomain::XML,
                ErrorNumber::XML_ERROR,
                format!("Invalid value for attribute 'migratable' in element 'cpu': '{m}'."),
            ));
        }
        return Err(unsupported_config(
            "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode",
        ));
    }
    let first_text = |tag: &str| {
        c.children()
            .find(|n| n.has_tag_name(tag))
            .map(|n| {
                n.descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect::<String>()
            })
            .filter(|t| !t.is_empty())
    };
    let arch = first_text("arch").ok_or_else(|| xml_error("Missing CPU architecture"))?;
    if !rvirt_conf::cpu_map::ARCHES.contains(&arch.as_str()) {
        return Err(unsupported_config(format!("Unknown architecture {arch}")));
    }
    let model = first_text("model").ok_or_else(|| xml_error("Missing CPU model name"))?;
    let vendor = first_text("vendor");
    let mut features: Vec<String> = Vec::new();
    for f in c.children().filter(|n| n.has_tag_name("feature")) {
        let name = f
            .attribute("name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| xml_error("Invalid CPU feature name"))?;
        if features.iter().any(|x| x == name) {
            return Err(xml_error(format!(
                "CPU feature '{name}' specified more than once"
            )));
        }
        features.push(name.to_string());
    }
    Ok(HostCpu {
        arch,
        model,
        vendor,
        features,
    })
}

/// libvirt's CPU map.
pub struct CpuMap {
    x86: x86::Map,
}

impl CpuMap {
    /// Reads the map installed in `dir` (`index.xml` and the files it includes).
    pub fn load(dir: &Path) -> Result<CpuMap> {
        Ok(CpuMap {
            x86: x86::Map::load(dir)?,
        })
    }

    /// The system's map ([`SYSTEM_MAP`]), read at the first call.
    pub fn system() -> Result<&'static CpuMap> {
        static MAP: OnceLock<std::result::Result<CpuMap, Error>> = OnceLock::new();
        MAP.get_or_init(|| CpuMap::load(Path::new(SYSTEM_MAP)))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The baseline of the host CPU documents `cpus`, formatted as libvirt formats it.
    /// `expand_features`: every feature of the model listed; `migratable`: features that block
    /// migration left out; `drop`: features left out of the result (the QEMU driver's filter).
    pub fn baseline<S: AsRef<str>>(
        &self,
        cpus: &[S],
        expand_features: bool,
        migratable: bool,
        drop: &[&str],
    ) -> Result<String> {
        if cpus.is_empty() {
            return Err(Error::with_detail(
                ErrorDomain::CPU,
                ErrorNumber::INVALID_ARG,
                "no CPUs given",
            ));
        }
        let cpus = cpus
            .iter()
            .map(|c| parse_host(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let arch = cpus[0].arch.as_str();
        let x86 = matches!(arch, "i686" | "x86_64");
        let mut cpu = match arch {
            _ if x86 => self.x86.baseline(&cpus, migratable)?,
            "aarch64" | "armv6l" | "armv7b" | "armv7l" => GuestCpu {
                model: cpus[0].model.clone(),
                fallback_forbid: false,
                vendor: None,
                features: Vec::new(),
            },
            "ppc64" | "ppc64le" | "s390" | "s390x" => {
                return Err(Error::with_detail(
                    ErrorDomain::CPU,
                    ErrorNumber::NO_SUPPORT,
                    format!("cannot compute baseline CPU of {arch} architecture"),
                ));
            }
            _ => {
                return Err(Error::with_detail(
                    ErrorDomain::CPU,
                    ErrorNumber::NO_SUPPORT,
                    format!("'{arch}' architecture is not supported by CPU driver"),
                ));
            }
        };
        if x86 {
            cpu.features.retain(|f| !drop.contains(&f.name.as_str()));
        }
        if expand_features {
            if x86 {
                self.x86.expand(&mut cpu)?;
            }
            cpu.features.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(cpu.format())
    }
}

/// The baseline of the host CPU documents `cpus` on the system's map, as libvirt's test driver
/// computes it (see [`CpuMap::baseline`]).
pub fn baseline<S: AsRef<str>>(
    cpus: &[S],
    expand_features: bool,
    migratable: bool,
) -> Result<String> {
    CpuMap::system()?.baseline(cpus, expand_features, migratable, &[])
}

/// The baseline as libvirt's QEMU driver computes it: without [`QEMU_FILTERED_FEATURES`].
pub fn baseline_for_qemu<S: AsRef<str>>(
    cpus: &[S],
    expand_features: bool,
    migratable: bool,
) -> Result<String> {
    CpuMap::system()?.baseline(cpus, expand_features, migratable, QEMU_FILTERED_FEATURES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> Option<&'static CpuMap> {
        if !Path::new(SYSTEM_MAP).exists() {
            eprintln!("skipped: libvirt's CPU map is not installed");
            return None;
        }
        Some(CpuMap::system().unwrap())
    }

    const HASWELL: &str = "<cpu><arch>x86_64</arch><model>Haswell-noTSX</model>\
                           <vendor>Intel</vendor><feature name='vme'/><feature name='ss'/></cpu>";
    const SKYLAKE: &str = "<cpu><arch>x86_64</arch><model>Skylake-Client</model>\
                           <vendor>Intel</vendor><feature name='ss'/><feature name='invtsc'/></cpu>";

    #[test]
    fn one_cpu_keeps_its_model_and_forbids_fallback() {
        let Some(m) = map() else { return };
        assert_eq!(
            m.baseline(&[HASWELL], false, false, &[]).unwrap(),
            "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Haswell-noTSX</model>\n  \
             <vendor>Intel</vendor>\n  <feature policy='require' name='vme'/>\n  \
             <feature policy='require' name='ss'/>\n</cpu>\n"
        );
    }

    #[test]
    fn migratable_drops_features_that_block_migration() {
        let Some(m) = map() else { return };
        let two = m.baseline(&[SKYLAKE, SKYLAKE], false, false, &[]).unwrap();
        assert!(two.contains("name='invtsc'"), "{two}");
        let mig = m.baseline(&[SKYLAKE, SKYLAKE], false, true, &[]).unwrap();
        assert!(!mig.contains("invtsc"), "{mig}");
        assert!(mig.contains("name='ss'"), "{mig}");
        let expanded = m.baseline(&[SKYLAKE], true, false, &[]).unwrap();
        let names: Vec<&str> = expanded
            .lines()
            .filter_map(|l| l.split("name='").nth(1))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.len() > 30, "{expanded}");
    }

    #[test]
    fn bad_documents_get_libvirts_errors() {
        let Some(m) = map() else { return };
        let err = |docs: &[&str]| {
            let e = m.baseline(docs, false, false, &[]).unwrap_err();
            (e.code, e.message)
        };
        let cases: &[(&[&str], ErrorNumber, &str)] = &[
            (
                &[],
                ErrorNumber::INVALID_ARG,
                "invalid argument: no CPUs given",
            ),
            (
                &["<cpu><model>Westmere</model></cpu>"],
                ErrorNumber::XML_ERROR,
                "XML error: Missing CPU architecture",
            ),
            (
                &["<cpu><arch>x86_64</arch></cpu>"],
                ErrorNumber::XML_ERROR,
                "XML error: Missing CPU model name",
            ),
            (
                &["<cpu><arch>x86_65</arch><model>Westmere</model></cpu>"],
                ErrorNumber::CONFIG_UNSUPPORTED,
                "unsupported configuration: Unknown architecture x86_65",
            ),
            (
                &["<cpu><arch>x86_64</arch><model>Nope</model></cpu>"],
                ErrorNumber::INTERNAL_ERROR,
                "internal error: Unknown CPU model Nope",
            ),
            (
                &[
                    HASWELL,
                    "<cpu><arch>x86_64</arch><model>EPYC</model><vendor>AMD</vendor></cpu>",
                ],
                ErrorNumber::OPERATION_FAILED,
                "operation failed: CPU vendors do not match",
            ),
            (
                &["<cpu><arch>mips</arch><model>x</model></cpu>"],
                ErrorNumber::NO_SUPPORT,
                "this function is not supported by the connection driver: 'mips' architecture is not supported by CPU driver",
            ),
        ];
        for (docs, code, msg) in cases {
            assert_eq!(err(docs), (*code, msg.to_string()), "{docs:?}");
        }
    }
}
