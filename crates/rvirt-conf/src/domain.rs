//! The domain definition (`<domain>`): what the user configured, separate from live state.

use crate::xml::{self, XmlWriter};
use rvirt_types::{Result, Uuid};

/// How to parse a domain document.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParseOptions {
    /// Parsing live status (`id` attribute and runtime-only elements are kept).
    pub live: bool,
}

/// How to format a domain definition.
#[derive(Clone, Copy, Debug, Default)]
pub struct FormatOptions {
    /// The running domain's id: printed as `id='N'` on the root element. `None` for an inactive
    /// definition (libvirt prints no id then).
    pub id: Option<i32>,
    /// `VIR_DOMAIN_XML_INACTIVE`: leave out what only exists while running.
    pub inactive: bool,
    /// `VIR_DOMAIN_XML_SECURE`: include passwords and other secrets.
    pub secure: bool,
}

/// `<maxMemory slots='N' unit='KiB'>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxMemory {
    /// Size in KiB.
    pub kib: u64,
    /// Number of memory slots.
    pub slots: u32,
}

/// The `<os>` element.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OsDef {
    /// `<type>`: `hvm`, `xen`, `linux`, `exe`…
    pub os_type: String,
    /// `<type arch=…>`.
    pub arch: Option<String>,
    /// `<type machine=…>`.
    pub machine: Option<String>,
}

/// A domain definition.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainDef {
    /// `<domain type=…>`: the hypervisor type (`test`, `qemu`, `kvm`…).
    pub virt_type: String,
    /// `<name>`.
    pub name: String,
    /// `<uuid>`; generated when the document has none.
    pub uuid: Uuid,
    /// `<title>`.
    pub title: Option<String>,
    /// `<description>`.
    pub description: Option<String>,
    /// `<maxMemory>`.
    pub max_memory: Option<MaxMemory>,
    /// `<memory>` in KiB: the maximum allocation at boot.
    pub memory_kib: u64,
    /// `<currentMemory>` in KiB: the actual allocation.
    pub current_memory_kib: u64,
    /// `<vcpu>`: the maximum number of vCPUs.
    pub vcpus_max: u32,
    /// `<vcpu current=…>`: the number of vCPUs online.
    pub vcpus_current: u32,
    /// `<os>`.
    pub os: OsDef,
}

impl DomainDef {
    /// Parses a `<domain>` document, fills libvirt's post-parse defaults and validates it.
    pub fn parse_xml(text: &str, _opts: ParseOptions) -> Result<DomainDef> {
        let doc = xml::parse_document(text, "(domain_definition)")?;
        let root = doc.root_element();
        if root.tag_name().name() != "domain" {
            return Err(xml::xml_error(format!(
                "unexpected root element <{}>, expecting <domain>",
                root.tag_name().name()
            )));
        }
        let virt_type = root
            .attribute("type")
            .ok_or_else(|| xml::xml_error("missing domain type attribute"))?
            .to_string();
        let name = xml::child_text(root, "name")
            .ok_or_else(|| xml::xml_error("missing name information"))?
            .to_string();
        let uuid = match xml::child_text(root, "uuid") {
            Some(t) => Uuid::parse(t).map_err(|_| xml::xml_error("malformed uuid element"))?,
            None => Uuid::generate(),
        };
        let memory_kib = xml::child_text(root, "memory")
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        let current_memory_kib = xml::child_text(root, "currentMemory")
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(memory_kib);
        let vcpu = xml::child(root, "vcpu");
        let vcpus_max = vcpu
            .and_then(|v| v.text())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(1);
        let vcpus_current = vcpu
            .and_then(|v| v.attribute("current"))
            .and_then(|t| t.parse().ok())
            .unwrap_or(vcpus_max);
        let os_node = xml::child(root, "os");
        let os_type_node = os_node.and_then(|o| xml::child(o, "type"));
        let os = OsDef {
            os_type: os_type_node
                .and_then(|t| t.text())
                .unwrap_or("hvm")
                .trim()
                .to_string(),
            arch: os_type_node.and_then(|t| t.attribute("arch")).map(str::to_string),
            machine: os_type_node.and_then(|t| t.attribute("machine")).map(str::to_string),
        };
        Ok(DomainDef {
            virt_type,
            name,
            uuid,
            title: xml::child_text(root, "title").map(str::to_string),
            description: xml::child_text(root, "description").map(str::to_string),
            max_memory: None,
            memory_kib,
            current_memory_kib,
            vcpus_max,
            vcpus_current,
            os,
        })
    }

    /// Formats the definition as libvirt does.
    pub fn format_xml(&self, opts: FormatOptions) -> String {
        let mut w = XmlWriter::default();
        let id = opts.id.filter(|_| !opts.inactive).map(|i| i.to_string());
        let mut attrs = vec![("type", self.virt_type.as_str())];
        if let Some(id) = &id {
            attrs.push(("id", id));
        }
        w.start("domain", &attrs);
        w.text("name", &[], &self.name);
        w.text("uuid", &[], &self.uuid.to_string());
        if let Some(t) = &self.title {
            w.text("title", &[], t);
        }
        if let Some(d) = &self.description {
            w.text("description", &[], d);
        }
        w.text("memory", &[("unit", "KiB")], &self.memory_kib.to_string());
        w.text("currentMemory", &[("unit", "KiB")], &self.current_memory_kib.to_string());
        w.text("vcpu", &[("placement", "static")], &self.vcpus_max.to_string());
        w.start("os", &[]);
        w.text("type", &[], &self.os.os_type);
        w.end("os");
        w.end("domain");
        w.finish()
    }
}
