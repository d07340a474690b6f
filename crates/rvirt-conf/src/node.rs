//! The test driver's `<node>` document (`test:///ABS/PATH.xml`): host information, domains
//! (inline or in files next to the node file) and the raw XML of the other objects.

use crate::domain::{DomainDef, ParseOptions};
use crate::xml::{self, child};
use rvirt_types::Result;

pub use rvirt_types::records::NodeInfo;

/// The test driver's built-in host: i686, 16 CPUs at 1400 MHz in 2 nodes, 3 GiB. A `<node>`
/// document overrides what it gives.
pub fn default_node_info() -> NodeInfo {
    NodeInfo {
        model: "i686".into(),
        memory: 3 * 1024 * 1024,
        cpus: 16,
        mhz: 1400,
        nodes: 2,
        sockets: 2,
        cores: 2,
        threads: 2,
    }
}

/// A domain of a node document, with the test driver's namespace settings.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeDomain {
    /// The definition.
    pub def: DomainDef,
    /// `<test:runstate>` (a `virDomainState` number), running when absent.
    pub runstate: Option<u32>,
    /// `<test:transient/>`.
    pub transient: bool,
    /// `<test:hasmanagedsave/>`.
    pub has_managed_save: bool,
    /// Whether the domain starts out running (its runstate is not shutoff).
    pub running: bool,
    /// `<test:domainsnapshot>` elements, as raw XML.
    pub snapshots: Vec<String>,
}

/// A parsed `<node>` document.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NodeDef {
    /// Host information.
    pub info: NodeInfo,
    /// Domains, in document order.
    pub domains: Vec<NodeDomain>,
    /// `<network>` elements (raw XML; file references resolved).
    pub networks: Vec<String>,
    /// `<pool>` elements with their nested `<volume>`s (raw XML).
    pub pools: Vec<String>,
    /// `<interface>` elements (raw XML).
    pub interfaces: Vec<String>,
    /// `<device>` elements (raw XML).
    pub devices: Vec<String>,
}

/// The namespace of the test driver's per-domain settings.
pub const TEST_NS: &str = "http://libvirt.org/schemas/domain/test/1.0";

fn uint(node: roxmltree::Node<'_, '_>, path: &[&str], what: &str) -> Result<Option<u64>> {
    let mut n = node;
    for p in path {
        match child(n, p) {
            Some(c) => n = c,
            None => return Ok(None),
        }
    }
    let t = n.text().unwrap_or("").trim();
    t.parse::<u64>()
        .map(Some)
        .map_err(|_| xml::xml_error(format!("invalid node {what} value")))
}

/// The name the test driver uses for a parsed node document.
pub type NodeDoc = NodeDef;

impl NodeDef {
    /// [`NodeDef::parse_xml`] with a closure loader.
    pub fn parse(text: &str, load: impl Fn(&str) -> Result<String>) -> Result<NodeDef> {
        Self::parse_xml(text, &load)
    }

    /// Parses a node document. `load(relative)` returns the text of a file named by a
    /// `file='…'` attribute, relative to the node file's directory.
    pub fn parse_xml(text: &str, load: &dyn Fn(&str) -> Result<String>) -> Result<NodeDef> {
        let doc = xml::parse_document(text, "(node_definition)", rvirt_types::ErrorDomain::TEST)?;
        let root = doc.root_element();
        if root.tag_name().name() != "node" {
            return Err(xml::wrong_root("node", root.tag_name().name()));
        }
        let mut info = default_node_info();
        let to_u32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        if let Some(v) = uint(root, &["cpu", "nodes"], "cpu nodes")? {
            info.nodes = to_u32(v);
        }
        if let Some(v) = uint(root, &["cpu", "sockets"], "cpu sockets")? {
            info.sockets = to_u32(v);
        }
        if let Some(v) = uint(root, &["cpu", "cores"], "cpu cores")? {
            info.cores = to_u32(v);
        }
        if let Some(v) = uint(root, &["cpu", "threads"], "cpu threads")? {
            info.threads = to_u32(v);
        }
        info.cpus = info
            .cores
            .saturating_mul(info.threads)
            .saturating_mul(info.sockets)
            .saturating_mul(info.nodes);
        if let Some(v) = uint(root, &["cpu", "active"], "cpu active")? {
            info.cpus = info.cpus.min(to_u32(v));
        }
        if let Some(v) = uint(root, &["cpu", "mhz"], "cpu mhz")? {
            info.mhz = to_u32(v);
        }
        if let Some(m) = child(root, "cpu").and_then(|c| xml::child_text(c, "model")) {
            info.model = m.to_string();
        }
        if let Some(v) = uint(root, &["memory"], "memory")? {
            info.memory = v;
        }
        let mut node = NodeDef {
            info,
            ..NodeDef::default()
        };
        for c in root.children().filter(|c| c.is_element()) {
            let name = c.tag_name().name();
            if !matches!(name, "domain" | "network" | "pool" | "interface" | "device") {
                continue;
            }
            let text = match c.attribute("file") {
                Some(f) => load(f)?,
                None => doc.input_text()[c.range()].to_string(),
            };
            match name {
                "domain" => node.domains.push(parse_domain(&text)?),
                "network" => node.networks.push(text),
                "pool" => node.pools.push(text),
                "interface" => node.interfaces.push(text),
                _ => node.devices.push(text),
            }
        }
        Ok(node)
    }
}

fn parse_domain(text: &str) -> Result<NodeDomain> {
    let doc = xml::parse_document(
        text,
        "(domain_definition)",
        rvirt_types::ErrorDomain::DOMAIN,
    )?;
    let root = doc.root_element();
    let mut def = DomainDef::parse_node(root, ParseOptions::default())?;
    def.test_generate_ifnames();
    let test = |n: &str| {
        root.children().find(|c| {
            c.is_element() && c.tag_name().name() == n && c.tag_name().namespace() == Some(TEST_NS)
        })
    };
    let runstate = match test("runstate") {
        None => None,
        Some(r) => {
            let v: u32 = r
                .text()
                .unwrap_or("")
                .trim()
                .parse()
                .map_err(|_| xml::xml_error("invalid runstate"))?;
            if v >= 8 {
                return Err(xml::xml_error(format!("runstate '{v}' out of range'")));
            }
            Some(v)
        }
    };
    let transient = test("transient").is_some();
    let has_managed_save = test("hasmanagedsave").is_some();
    if transient && runstate == Some(5) {
        return Err(xml::xml_error(
            "transient domain cannot have runstate 'shutoff'",
        ));
    }
    if has_managed_save && runstate != Some(5) {
        return Err(xml::xml_error(
            "domain with managedsave data can only have runstate 'shutoff'",
        ));
    }
    let snapshots = root
        .children()
        .filter(|c| {
            c.is_element()
                && c.tag_name().name() == "domainsnapshot"
                && c.tag_name().namespace() == Some(TEST_NS)
        })
        .map(|c| text[c.range()].to_string())
        .collect();
    Ok(NodeDomain {
        def,
        running: runstate != Some(5),
        runstate,
        transient,
        has_managed_save,
        snapshots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_with_file_reference() {
        let text = "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><mhz>2000</mhz><model>x</model></cpu><memory>4096</memory><domain file='d.xml'/><network><name>n</name></network></node>";
        let load = |f: &str| -> Result<String> {
            assert_eq!(f, "d.xml");
            Ok("<domain type='test'><name>d</name><memory>1024</memory><os><type>hvm</type></os></domain>".into())
        };
        let n = NodeDef::parse_xml(text, &load).expect("parse");
        assert_eq!(n.info.cpus, 2);
        assert_eq!(n.info.mhz, 2000);
        assert_eq!(n.domains[0].def.name, "d");
        assert_eq!(
            n.networks,
            vec!["<network><name>n</name></network>".to_string()]
        );
    }
}
