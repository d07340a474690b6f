//! A host CPU document as `virConnectBaselineCPU` receives it, parsed as libvirt's
//! `virCPUDefListParse` parses it (`virCPUDefParseXML` with type `host`): every check libvirt makes
//! on such a document, with its error, in its order. Only what the baseline uses is kept.

use crate::cpu_error;
use crate::xmlprop::{
    TRISTATE_BOOL, TRISTATE_SWITCH, child_string, children, first_child, parse_uint, prop,
    prop_enum, prop_nonnegative_int, prop_uint, prop_ulonglong, xpath_attr,
};
use rvirt_types::{ErrorDomain, ErrorNumber, Result};

/// `virCPUCacheMode`'s values.
const CACHE_MODES: &[&str] = &["emulate", "passthrough", "disable"];

/// `virCPUMaxPhysAddrMode`'s values.
const MAX_PHYS_ADDR_MODES: &[&str] = &["emulate", "passthrough"];

/// What the baseline needs of a host CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostCpu {
    pub(crate) arch: String,
    pub(crate) model: String,
    pub(crate) vendor: Option<String>,
    pub(crate) features: Vec<String>,
}

fn xml_error(detail: impl Into<String>) -> rvirt_types::Error {
    cpu_error(ErrorNumber::XML_ERROR, detail)
}

fn unsupported(detail: impl Into<String>) -> rvirt_types::Error {
    cpu_error(ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// `virCPUDefListParse`: every document parsed before anything else is looked at.
pub(crate) fn parse_list<S: AsRef<str>>(docs: &[S]) -> Result<Vec<HostCpu>> {
    if docs.is_empty() {
        return Err(cpu_error(ErrorNumber::INVALID_ARG, "no CPUs given"));
    }
    docs.iter().map(|d| parse(d.as_ref())).collect()
}

/// One host CPU document.
pub(crate) fn parse(text: &str) -> Result<HostCpu> {
    let doc = rvirt_conf::xml::parse_document(text, "(CPU_definition)", ErrorDomain::CPU)?;
    let cpu = doc.root_element();
    if cpu.tag_name().name() != "cpu" {
        return Err(xml_error("XML does not contain expected 'cpu' element"));
    }
    if prop(cpu, "mode").is_some() {
        return Err(unsupported("Attribute mode is only allowed for guest CPU"));
    }
    if prop_enum(cpu, "migratable", TRISTATE_SWITCH, false, true)?.is_some() {
        return Err(unsupported(
            "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode",
        ));
    }

    let arch = child_string(cpu, "arch").ok_or_else(|| xml_error("Missing CPU architecture"))?;
    if !rvirt_conf::cpu_map::is_known_arch(&arch) {
        return Err(unsupported(format!("Unknown architecture {arch}")));
    }
    if let Some(m) = first_child(cpu, "microcode")
        && let Some(version) = xpath_attr(m, "version")
        && parse_uint(version, 10).is_none()
    {
        return Err(unsupported("invalid microcode version"));
    }
    if let Some(sig) = first_child(cpu, "signature") {
        prop_uint(sig, "family", 10, true, true)?;
        prop_uint(sig, "model", 10, true, false)?;
        prop_uint(sig, "stepping", 10, true, false)?;
    }
    if let Some(counter) = children(cpu, "counter").find(|c| xpath_attr(*c, "name") == Some("tsc"))
    {
        prop_ulonglong(counter, "frequency", true)?;
        prop_enum(counter, "scaling", TRISTATE_BOOL, false, true)?;
    }

    let model = child_string(cpu, "model").ok_or_else(|| xml_error("Missing CPU model name"))?;
    let vendor = child_string(cpu, "vendor");

    if let Some(topology) = first_child(cpu, "topology") {
        prop_uint(topology, "sockets", 10, true, true)?;
        prop_uint(topology, "dies", 10, false, true)?;
        prop_uint(topology, "cores", 10, true, true)?;
        prop_uint(topology, "threads", 10, true, true)?;
    }

    let mut features: Vec<String> = Vec::new();
    for f in children(cpu, "feature") {
        let name = prop(f, "name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| xml_error("Invalid CPU feature name"))?;
        if features.iter().any(|x| x == name) {
            return Err(xml_error(format!(
                "CPU feature '{name}' specified more than once"
            )));
        }
        features.push(name.to_string());
    }

    let mut caches = children(cpu, "cache");
    if let Some(cache) = caches.next() {
        if caches.next().is_some() {
            return Err(xml_error("at most one CPU cache element may be specified"));
        }
        if let Some(level) = prop_nonnegative_int(cache, "level")?
            && !(1..=3).contains(&level)
        {
            return Err(xml_error("invalid CPU cache level, must be in range [1,3]"));
        }
        prop_enum(cache, "mode", CACHE_MODES, true, false)?;
    }

    if let Some(addr) = first_child(cpu, "maxphysaddr") {
        prop_enum(addr, "mode", MAX_PHYS_ADDR_MODES, true, false)?;
        prop_nonnegative_int(addr, "bits")?;
    }

    Ok(HostCpu {
        arch,
        model,
        vendor,
        features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (ErrorDomain, ErrorNumber, String) {
        let e = parse(text).expect_err("refused");
        (e.domain, e.code, e.message)
    }

    #[test]
    fn reads_what_the_baseline_needs() {
        let cpu = parse(
            "<cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor>\
             <microcode version='+7'/><signature family='6' model='44' stepping='2'/>\
             <counter name='tsc' frequency='2400000000' scaling='no'/>\
             <topology sockets='1' dies='1' cores='2' threads='2'/>\
             <feature name='ss'/><feature policy='disable' name='vme'/>\
             <cache level='3' mode='emulate'/><maxphysaddr mode='passthrough' bits='42'/>\
             <pages unit='KiB' size='4'/></cpu>",
        )
        .expect("valid host CPU");
        assert_eq!(
            cpu,
            HostCpu {
                arch: "x86_64".into(),
                model: "Westmere".into(),
                vendor: Some("Intel".into()),
                features: vec!["ss".into(), "vme".into()],
            }
        );
    }

    #[test]
    fn refuses_as_libvirt_does() {
        let cpu = ErrorDomain::CPU;
        let xml = ErrorDomain::XML;
        let x = ErrorNumber::XML_ERROR;
        let u = ErrorNumber::CONFIG_UNSUPPORTED;
        let cases: &[(&str, ErrorDomain, ErrorNumber, &str)] = &[
            (
                "<domain/>",
                cpu,
                x,
                "XML error: XML does not contain expected 'cpu' element",
            ),
            (
                "<cpu mode='custom'/>",
                cpu,
                u,
                "unsupported configuration: Attribute mode is only allowed for guest CPU",
            ),
            (
                "<cpu migratable='maybe'/>",
                xml,
                x,
                "XML error: Invalid value for attribute 'migratable' in element 'cpu': 'maybe'.",
            ),
            (
                "<cpu migratable='on'/>",
                cpu,
                u,
                "unsupported configuration: Attribute migratable is only allowed for \
                 'host-passthrough' / 'maximum' CPU mode",
            ),
            (
                "<cpu><model>x</model></cpu>",
                cpu,
                x,
                "XML error: Missing CPU architecture",
            ),
            (
                "<cpu xmlns='urn:x'><arch>x86_64</arch></cpu>",
                cpu,
                x,
                "XML error: Missing CPU architecture",
            ),
            (
                "<cpu><arch>none</arch></cpu>",
                cpu,
                u,
                "unsupported configuration: Unknown architecture none",
            ),
            (
                "<cpu><arch>x86_64</arch><microcode version=''/></cpu>",
                cpu,
                u,
                "unsupported configuration: invalid microcode version",
            ),
            (
                "<cpu><arch>x86_64</arch><signature family='6' model='1'/></cpu>",
                xml,
                x,
                "XML error: Missing required attribute 'stepping' in element 'signature'",
            ),
            (
                "<cpu><arch>x86_64</arch><counter name='tsc' frequency='-1'/></cpu>",
                xml,
                x,
                "XML error: Invalid value for attribute 'frequency' in element 'counter': '-1'. \
                 Expected non-negative integer value",
            ),
            (
                "<cpu><arch>x86_64</arch></cpu>",
                cpu,
                x,
                "XML error: Missing CPU model name",
            ),
            (
                "<cpu><arch>x86_64</arch><model>m</model><topology sockets='1' dies='0'/></cpu>",
                xml,
                x,
                "XML error: Invalid value for attribute 'dies' in element 'topology': Zero is \
                 not permitted",
            ),
            (
                "<cpu><arch>x86_64</arch><model>m</model><feature name=''/></cpu>",
                cpu,
                x,
                "XML error: Invalid CPU feature name",
            ),
            (
                "<cpu><arch>x86_64</arch><model>m</model><cache mode='emulate'/><cache/></cpu>",
                cpu,
                x,
                "XML error: at most one CPU cache element may be specified",
            ),
            (
                "<cpu><arch>x86_64</arch><model>m</model><cache level='0'/></cpu>",
                cpu,
                x,
                "XML error: invalid CPU cache level, must be in range [1,3]",
            ),
            (
                "<cpu><arch>x86_64</arch><model>m</model><cache level='1'/></cpu>",
                xml,
                x,
                "XML error: Missing required attribute 'mode' in element 'cache'",
            ),
            (
                "<cpu><arch>x86_64</arch><model>m</model><maxphysaddr mode='emulate' bits='x'/>\
                 </cpu>",
                xml,
                x,
                "XML error: Invalid value for attribute 'bits' in element 'maxphysaddr': 'x'. \
                 Expected integer value",
            ),
        ];
        for (text, domain, code, message) in cases {
            assert_eq!(err(text), (*domain, *code, message.to_string()), "{text}");
        }
        assert_eq!(
            parse_list::<&str>(&[]).expect_err("empty").message,
            "invalid argument: no CPUs given"
        );
        assert_eq!(err("<cpu>").1, ErrorNumber::XML_DETAIL);
    }
}
