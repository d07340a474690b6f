//! `<cpu>`: the guest CPU (mode, model, vendor, topology, cache, feature policies, NUMA cells).

use super::out::Out;
use super::{format_cpuset, parse_cpuset};
use crate::raw::RawElement;
use crate::sparse::{Token, token};
use crate::units::parse_memory_kib;
use crate::xml::{self, attr_enum, child};
use rvirt_types::Result;

const MODES: &[&str] = &["custom", "host-model", "host-passthrough", "maximum"];
const MATCHES: &[&str] = &["minimum", "exact", "strict"];
const CHECKS: &[&str] = &["none", "partial", "full"];
const FALLBACKS: &[&str] = &["allow", "forbid"];
const POLICIES: &[&str] = &["force", "require", "optional", "disable", "forbid"];
const CACHE_MODES: &[&str] = &["emulate", "passthrough", "disable"];

/// One `<numa><cell>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumaCell {
    /// `id`.
    pub id: u32,
    /// `cpus`, canonical.
    pub cpus: Option<String>,
    /// `memory` in KiB.
    pub memory_kib: u64,
    /// `memAccess`.
    pub mem_access: Option<Token>,
    /// `discard`.
    pub discard: Option<Token>,
    /// `<distances>` and `<cache>` children, in libvirt's form.
    pub children: Vec<RawElement>,
}

/// The guest `<cpu>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CpuDef {
    /// `mode`.
    pub mode: Token,
    /// `match` (custom mode with a model).
    pub match_: Option<Token>,
    /// `check`.
    pub check: Option<Token>,
    /// `migratable`.
    pub migratable: Option<Token>,
    /// `<model>` name.
    pub model: Option<String>,
    /// `<model fallback>`.
    pub fallback: Token,
    /// `<model vendor_id>`.
    pub vendor_id: Option<String>,
    /// `<vendor>`.
    pub vendor: Option<String>,
    /// `<topology>`: sockets, dies, cores, threads.
    pub topology: Option<[u32; 4]>,
    /// `<cache level mode>`.
    pub cache: Option<(Option<u32>, Token)>,
    /// `<feature policy name>` in document order.
    pub features: Vec<(Token, String)>,
    /// `<numa><cell>`.
    pub cells: Vec<NumaCell>,
    /// `<numa><interconnects>` children (latency, bandwidth) in libvirt's form.
    pub interconnects: Vec<RawElement>,
}

impl CpuDef {
    /// Parses a guest CPU document of its own (a `<cpu>` root element, as libvirt's
    /// `virCPUDefParseXMLString` takes one), with libvirt's errors.
    pub fn parse_document(text: &str) -> Result<CpuDef> {
        let doc = xml::parse_document(text, "(CPU_definition)", rvirt_types::ErrorDomain::CPU)?;
        let root = doc.root_element();
        if root.tag_name().name() != "cpu" {
            return Err(rvirt_types::Error::with_detail(
                rvirt_types::ErrorDomain::CPU,
                rvirt_types::ErrorNumber::XML_ERROR,
                "XML does not contain expected 'cpu' element",
            ));
        }
        CpuDef::parse(root)
    }

    /// Parses `<cpu>`.
    pub(super) fn parse(c: roxmltree::Node<'_, '_>) -> Result<CpuDef> {
        let mode = match c.attribute("mode") {
            None => "custom",
            Some(m) if MODES.contains(&m) => m,
            Some(m) => {
                return Err(xml::config_unsupported(format!(
                    "Invalid mode attribute '{m}'"
                )));
            }
        };
        let mut cpu = CpuDef {
            mode: token(mode, MODES),
            fallback: "allow".into(),
            ..CpuDef::default()
        };
        if let Some(m) = c.attribute("match") {
            if !MATCHES.contains(&m) {
                return Err(xml::invalid_enum_attr("match", "cpu", m));
            }
            cpu.match_ = Some(token(m, MATCHES));
        }
        cpu.check = attr_enum(c, "check", CHECKS)?.map(|v| token(v, CHECKS));
        cpu.migratable =
            attr_enum(c, "migratable", &["on", "off"])?.map(|v| token(v, &["on", "off"]));
        if let Some(m) = child(c, "model") {
            let name = m.text().unwrap_or("").trim();
            if !name.is_empty() {
                cpu.model = Some(name.to_string());
            }
            if let Some(f) = m.attribute("fallback") {
                if !FALLBACKS.contains(&f) {
                    return Err(xml::config_unsupported("Invalid fallback attribute"));
                }
                cpu.fallback = token(f, FALLBACKS);
            }
            cpu.vendor_id = m.attribute("vendor_id").map(str::to_string);
        }
        cpu.vendor = xml::child_text(c, "vendor").map(str::to_string);
        if let Some(t) = child(c, "topology") {
            let mut v = [0u32; 4];
            for (i, a) in ["sockets", "dies", "cores", "threads"].iter().enumerate() {
                v[i] = match t.attribute(*a) {
                    None if *a == "dies" => 1,
                    None => {
                        return Err(xml::xml_error(format!(
                            "Missing '{a}' attribute in CPU topology"
                        )));
                    }
                    Some(s) => s.trim().parse().map_err(|_| {
                        xml::xml_error(format!("Invalid '{a}' attribute in CPU topology"))
                    })?,
                };
            }
            cpu.topology = Some(v);
        }
        if let Some(k) = child(c, "cache") {
            let level = match k.attribute("level") {
                None => None,
                Some(l) => Some(
                    l.trim()
                        .parse()
                        .map_err(|_| xml::xml_error("invalid CPU cache level"))?,
                ),
            };
            let mode = attr_enum(k, "mode", CACHE_MODES)?
                .ok_or_else(|| xml::xml_error("missing CPU cache mode"))?;
            cpu.cache = Some((level, token(mode, CACHE_MODES)));
        }
        for f in c.children().filter(|n| n.has_tag_name("feature")) {
            let policy = match f.attribute("policy") {
                None => "require",
                Some(p) if POLICIES.contains(&p) => p,
                Some(_) => {
                    return Err(xml::config_unsupported("Invalid CPU feature policy"));
                }
            };
            let Some(name) = f.attribute("name") else {
                return Err(xml::xml_error("Invalid CPU feature name"));
            };
            if cpu.features.iter().any(|(_, n)| n == name) {
                return Err(xml::xml_error(format!(
                    "CPU feature '{name}' specified more than once"
                )));
            }
            cpu.features
                .push((token(policy, POLICIES), name.to_string()));
        }
        if let Some(n) = child(c, "numa") {
            let nodes: Vec<roxmltree::Node<'_, '_>> =
                n.children().filter(|n| n.has_tag_name("cell")).collect();
            if nodes.is_empty() {
                return Err(xml::xml_error("NUMA topology defined without NUMA cells"));
            }
            let count = nodes.len();
            for (i, cell) in nodes.iter().copied().enumerate() {
                let id = xml::prop_u32(cell, "id", false, false)?.unwrap_or(i as u32);
                if id as usize >= count {
                    return Err(xml::xml_error(
                        "Exactly one 'cell' element per guest NUMA cell allowed, \
                         non-contiguous ranges or ranges not starting from 0 are not allowed",
                    ));
                }
                if cpu.cells.iter().any(|c| c.id == id && c.memory_kib > 0) {
                    return Err(xml::xml_error(format!(
                        "Duplicate NUMA cell info for cell id '{id}'"
                    )));
                }
                let cpus = match cell.attribute("cpus") {
                    None => None,
                    Some(s) => {
                        let set = super::bitmap(s)?;
                        (!set.is_empty()).then_some(set)
                    }
                };
                if let Some(set) = &cpus {
                    let other = cpu.cells.iter().find(|c| {
                        c.cpus
                            .as_deref()
                            .and_then(parse_cpuset)
                            .is_some_and(|o| o.iter().any(|v| set.contains(v)))
                    });
                    if let Some(o) = other {
                        return Err(xml::config_unsupported(format!(
                            "NUMA cells {id} and {} have overlapping vCPU ids",
                            o.id
                        )));
                    }
                }
                let memory_kib = parse_cell_memory(cell)?;
                cpu.cells.push(NumaCell {
                    id,
                    cpus: cpus.map(|c| format_cpuset(&c)),
                    memory_kib,
                    mem_access: attr_enum(cell, "memAccess", &["shared", "private"])?
                        .map(|v| token(v, &["shared", "private"])),
                    discard: attr_enum(cell, "discard", &["yes", "no"])?
                        .map(|v| token(v, &["yes", "no"])),
                    children: Vec::new(),
                });
            }
            cpu.interconnects = super::numa::parse(n, &nodes, &mut cpu.cells)?;
            // libvirt keeps cells by id and prints them in that order.
            cpu.cells.sort_by_key(|c| c.id);
        }
        if cpu.model.is_some() && cpu.mode == "custom" && cpu.match_.is_none() {
            cpu.match_ = Some("exact".into());
        }
        Ok(cpu)
    }

    /// `<cpu>` alone, as libvirt writes it (a document of its own: the status file keeps a
    /// running guest's original CPU so).
    pub fn to_xml(&self) -> String {
        let mut o = Out::new(256);
        self.format(&mut o);
        o.s
    }

    /// Reads a `<cpu>` document written by [`CpuDef::to_xml`].
    pub fn from_xml(text: &str) -> Result<CpuDef> {
        let doc = xml::parse_document(text, "(cpu_definition)", rvirt_types::ErrorDomain::DOMAIN)?;
        CpuDef::parse(doc.root_element())
    }

    /// Formats `<cpu>` as libvirt does; nothing when it holds nothing.
    pub(super) fn format(&self, o: &mut Out) {
        let start = o.s.len();
        o.open("cpu");
        let custom = self.mode == "custom";
        let has_attrs = !custom || self.model.is_some();
        if has_attrs {
            o.attr("mode", &self.mode);
            if custom {
                o.attr("match", self.match_.as_deref().unwrap_or("exact"));
            }
            o.attr_opt("check", self.check.as_deref());
            if matches!(&*self.mode, "host-passthrough" | "maximum") {
                o.attr_opt("migratable", self.migratable.as_deref());
            }
        }
        let m = o.start_children();
        let format_model = custom || self.mode == "host-model";
        if format_model && (self.model.is_some() || self.vendor_id.is_some()) {
            o.open("model");
            if self.model.is_some() {
                o.attr("fallback", &self.fallback);
            }
            o.attr_opt("vendor_id", self.vendor_id.as_deref());
            match &self.model {
                Some(name) => o.close_text("model", name),
                None => o.close_empty(),
            }
        }
        if format_model {
            if let Some(v) = &self.vendor {
                o.text_el("vendor", v);
            }
        }
        if let Some([s, d, c, t]) = self.topology.filter(|t| t.iter().all(|v| *v > 0)) {
            o.open("topology");
            o.attr("sockets", &s.to_string());
            o.attr("dies", &d.to_string());
            o.attr("cores", &c.to_string());
            o.attr("threads", &t.to_string());
            o.close_empty();
        }
        if let Some((level, mode)) = &self.cache {
            o.open("cache");
            if let Some(l) = level {
                o.attr("level", &l.to_string());
            }
            o.attr("mode", mode);
            o.close_empty();
        }
        for (policy, name) in &self.features {
            o.open("feature");
            o.attr("policy", policy);
            o.attr("name", name);
            o.close_empty();
        }
        if !self.cells.is_empty() {
            o.open("numa");
            o.start_children();
            for c in &self.cells {
                o.open("cell");
                o.attr("id", &c.id.to_string());
                o.attr_opt("cpus", c.cpus.as_deref());
                o.attr("memory", &c.memory_kib.to_string());
                o.attr("unit", "KiB");
                o.attr_opt("memAccess", c.mem_access.as_deref());
                o.attr_opt("discard", c.discard.as_deref());
                if c.children.is_empty() {
                    o.close_empty();
                } else {
                    o.start_children();
                    for e in &c.children {
                        o.raw(e);
                    }
                    o.end("cell");
                }
            }
            if !self.interconnects.is_empty() {
                o.open("interconnects");
                o.start_children();
                for e in &self.interconnects {
                    o.raw(e);
                }
                o.end("interconnects");
            }
            o.end("numa");
        }
        if o.s.len() == m && !has_attrs {
            // Neither attributes nor children: libvirt leaves the element out.
            o.depth -= 1;
            o.s.truncate(start);
        } else {
            o.end_children("cpu", m);
        }
    }
}

fn parse_cell_memory(cell: roxmltree::Node<'_, '_>) -> Result<u64> {
    // `memory` is an attribute with its unit beside it; read it through the element reader.
    let Some(mem) = cell.attribute("memory") else {
        return Err(xml::xml_error("missing element or attribute './@memory'"));
    };
    let unit = cell.attribute("unit").unwrap_or("KiB");
    let text = format!("<m unit='{}'>{}</m>", xml_attr(unit), xml_attr(mem));
    let doc = roxmltree::Document::parse(&text)
        .map_err(|_| xml::xml_error("Invalid 'memory' attribute in NUMA cell"))?;
    Ok(parse_memory_kib(Some(doc.root_element()), "./@memory")?.unwrap_or(0))
}

fn xml_attr(s: &str) -> String {
    let mut out = String::new();
    crate::xml::escape(s, &mut out);
    out
}
