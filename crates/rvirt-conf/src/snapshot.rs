//! Domain snapshots (`<domainsnapshot>`).

use crate::domain::{DomainDef, FormatOptions, ParseOptions};
use crate::moment::{
    MomentParseOptions, SNAPSHOT, disk_nodes, format_name, format_parent_time, string_value,
};
use crate::raw::{RawElement, RawNode};
use crate::xml::{self, attr_enum, child, child_text};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// A snapshot definition.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotDef {
    /// `<name>`; defaults to the creation time in seconds, as libvirt names it.
    pub name: String,
    /// `<description>`.
    pub description: Option<String>,
    /// `<state>`: the domain state when the snapshot was taken (running, shutoff…).
    pub state: Option<String>,
    /// `<parent><name>`.
    pub parent: Option<String>,
    /// `<creationTime>` in seconds since the epoch (not printed when 0).
    pub creation_time: i64,
    /// `<memory snapshot=…>`: no, internal, external.
    pub memory: Option<String>,
    /// `<memory file=…>` for external memory snapshots.
    pub memory_file: Option<String>,
    /// `<disks>` children, checked and normalized as libvirt prints them (`name`, `snapshot`,
    /// `type` when a new image is named; `<driver>`, `<source>`).
    pub disks: Vec<RawElement>,
    /// The embedded `<domain>`.
    pub domain: Option<DomainDef>,
    /// The embedded `<inactiveDomain>`: the persistent definition of a domain that was running.
    pub inactive_domain: Option<DomainDef>,
    /// `<active>` (only in the driver's own records).
    pub active: Option<bool>,
}

/// How to parse a snapshot document (`redefine`: `VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE`).
pub type SnapshotParseOptions = MomentParseOptions;

/// The domain states a snapshot records (`virDomainSnapshotState`, without `nostate`).
pub const SNAPSHOT_STATES: &[&str] = &[
    "running",
    "blocked",
    "paused",
    "shutdown",
    "shutoff",
    "crashed",
    "pmsuspended",
    "disk-snapshot",
];

/// Where a snapshot keeps memory or a disk (`virDomainSnapshotLocation`, without `default`).
pub const SNAPSHOT_LOCATIONS: &[&str] = &["no", "internal", "external", "manual"];

/// Storage types a snapshot disk may name (`virStorageType`, without `none`).
pub(crate) const STORAGE_TYPES: &[&str] = &[
    "file",
    "block",
    "dir",
    "network",
    "volume",
    "nvme",
    "vhostuser",
];

/// Image formats a snapshot disk's `<driver type>` may name (`virStorageFileFormat`, without
/// `none`).
const IMAGE_FORMATS: &[&str] = &[
    "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow",
    "qcow", "qcow2", "qed", "vmdk",
];

fn snap_err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN_SNAPSHOT, code, detail)
}

/// Reads one element of `<disks>` (`virDomainSnapshotDiskDefParseXML`) into its normalized form.
fn parse_disk(node: roxmltree::Node<'_, '_>, redefine: bool) -> Result<RawElement> {
    let Some(name) = node.attribute("name") else {
        return Err(snap_err(
            ErrorNumber::INTERNAL_ERROR,
            "missing name from disk snapshot element",
        ));
    };
    let mut location = attr_enum(node, "snapshot", SNAPSHOT_LOCATIONS)?;
    let src_type = attr_enum(node, "type", STORAGE_TYPES)?.unwrap_or("file");
    if src_type == "volume" || src_type == "dir" {
        return Err(snap_err(
            ErrorNumber::XML_ERROR,
            format!("unsupported disk snapshot type '{src_type}'"),
        ));
    }
    let source = child(node, "source");
    let driver = child(node, "driver");
    let format = driver
        .and_then(|d| d.attribute("type"))
        .filter(|t| !t.is_empty());
    if let Some(f) = format
        && !IMAGE_FORMATS.contains(&f)
    {
        return Err(snap_err(
            ErrorNumber::CONFIG_UNSUPPORTED,
            format!("unknown disk snapshot driver '{f}'"),
        ));
    }
    let path = source.and_then(|s| match src_type {
        "file" => s.attribute("file"),
        "block" => s.attribute("dev"),
        _ => None,
    });
    if let Some(p) = path
        && !p.starts_with('/')
    {
        return Err(snap_err(
            ErrorNumber::XML_ERROR,
            format!("disk snapshot image path '{p}' must be absolute"),
        ));
    }
    if location.is_none() && (path.is_some() || format.is_some()) {
        location = Some("external");
    }
    let new_image = path.is_some() || format.is_some();
    let mut attrs = vec![("name".to_string(), name.to_string())];
    if let Some(l) = location {
        attrs.push(("snapshot".into(), l.into()));
    }
    let mut children = Vec::new();
    if redefine && child(node, "snapshotDeleteInProgress").is_some() {
        children.push(RawNode::Element(RawElement {
            name: "snapshotDeleteInProgress".into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }));
    }
    if new_image {
        attrs.push(("type".into(), src_type.into()));
        let mut drv = RawElement {
            name: "driver".into(),
            attrs: format
                .map(|f| vec![("type".to_string(), f.to_string())])
                .unwrap_or_default(),
            children: Vec::new(),
        };
        if let Some(cache) = driver.and_then(|d| child(d, "metadata_cache")) {
            drv.children
                .push(RawNode::Element(RawElement::from_node(cache, false)));
        }
        if !drv.attrs.is_empty() || !drv.children.is_empty() {
            children.push(RawNode::Element(drv));
        }
        if let Some(s) = source {
            children.push(RawNode::Element(RawElement::from_node(s, false)));
        }
    }
    Ok(RawElement {
        name: "disk".into(),
        attrs,
        children,
    })
}

impl SnapshotDef {
    /// Parses a `<domainsnapshot>` document.
    pub fn parse_xml(text: &str, opts: SnapshotParseOptions) -> Result<SnapshotDef> {
        let doc = SNAPSHOT.parse_document(text)?;
        Self::parse_node(doc.root_element(), opts)
    }

    /// Checks a snapshot document against libvirt's `domainsnapshot.rng`, as
    /// `VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE` does before the document is parsed.
    pub fn validate_xml(text: &str) -> Result<()> {
        SNAPSHOT.validate(text)
    }

    /// Parses a `<domainsnapshot>` element, with libvirt's checks (`virDomainSnapshotDefParse`)
    /// and defaults: a new snapshot is named after its creation time; a redefined one must bring
    /// its name, creation time and state; memory and disk locations follow from the files named.
    pub fn parse_node(
        root: roxmltree::Node<'_, '_>,
        opts: SnapshotParseOptions,
    ) -> Result<SnapshotDef> {
        let head = SNAPSHOT.parse_header(root, opts)?;
        let mut state = None;
        let (mut domain, mut inactive_domain) = (None, None);
        let mut offline = false;
        if opts.redefine {
            let Some(s) = string_value(root, "state") else {
                return Err(snap_err(
                    ErrorNumber::XML_ERROR,
                    "missing state from existing snapshot",
                ));
            };
            if !SNAPSHOT_STATES.contains(&s.as_str()) {
                return Err(snap_err(
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!("Invalid state '{s}' in domain snapshot XML"),
                ));
            }
            offline = s == "shutoff" || s == "disk-snapshot";
            state = Some(s);
            // Snapshots of old libvirt carry only `<domain><uuid>`: no definition then.
            if let Some(d) = child(root, "domain").filter(|d| d.attribute("type").is_some()) {
                domain = Some(DomainDef::parse_node(d, ParseOptions::default())?);
            }
            if let Some(d) = child(root, "inactiveDomain") {
                inactive_domain = Some(DomainDef::parse_element(d, ParseOptions::default())?);
            }
        }
        let mut memory = None;
        let mut memory_file = None;
        if let Some(m) = child(root, "memory") {
            memory_file = m.attribute("file").map(str::to_string);
            memory = attr_enum(m, "snapshot", SNAPSHOT_LOCATIONS)?.map(str::to_string);
            if memory.as_deref() == Some("manual") {
                return Err(snap_err(
                    ErrorNumber::XML_ERROR,
                    "'manual' memory snapshot mode not supported",
                ));
            }
        }
        if memory.is_none() {
            if memory_file.is_some() {
                memory = Some("external".into());
            } else if opts.redefine {
                memory = Some(if offline { "no" } else { "internal" }.into());
            }
        }
        match (&memory_file, memory.as_deref()) {
            (Some(f), m) if m != Some("external") => {
                return Err(snap_err(
                    ErrorNumber::XML_ERROR,
                    format!("memory filename '{f}' requires external snapshot"),
                ));
            }
            (None, Some("external")) => {
                return Err(snap_err(
                    ErrorNumber::XML_ERROR,
                    "external memory snapshots require a filename",
                ));
            }
            _ => {}
        }
        if offline && memory.as_deref().is_some_and(|m| m != "no") {
            return Err(snap_err(
                ErrorNumber::XML_ERROR,
                "memory state cannot be saved with offline or disk-only snapshot",
            ));
        }
        if let Some(f) = memory_file.as_deref().filter(|f| !f.starts_with('/')) {
            return Err(snap_err(
                ErrorNumber::XML_ERROR,
                format!("memory snapshot file path ({f}) must be absolute"),
            ));
        }
        let disks = disk_nodes(root)
            .map(|c| parse_disk(c, opts.redefine))
            .collect::<Result<Vec<_>>>()?;
        Ok(SnapshotDef {
            name: head.name,
            description: head.description,
            state,
            parent: head.parent,
            creation_time: head.creation_time,
            memory,
            memory_file,
            disks,
            domain,
            inactive_domain,
            active: child_text(root, "active").map(|a| a.trim() != "0"),
        })
    }

    /// Formats the snapshot as `virDomainSnapshotGetXMLDesc` prints it; the embedded domain
    /// is formatted inactive, with `domain_opts.secure`.
    pub fn format_xml(&self, domain_opts: FormatOptions, internal: bool) -> String {
        self.format_xml_for(domain_opts, internal, None)
    }

    /// [`SnapshotDef::format_xml`]; a snapshot without a domain definition names its domain by
    /// `uuid` (`<domain><uuid>…</uuid></domain>`) when given, as libvirt's drivers print it.
    pub fn format_xml_for(
        &self,
        domain_opts: FormatOptions,
        internal: bool,
        uuid: Option<&str>,
    ) -> String {
        let domain_opts = FormatOptions {
            id: None,
            inactive: true,
            ..domain_opts
        };
        let mut w = xml::XmlWriter::default();
        w.start("domainsnapshot", &[]);
        format_name(&mut w, &self.name, self.description.as_deref());
        if let Some(s) = &self.state {
            w.text("state", &[], s);
        }
        format_parent_time(&mut w, self.parent.as_deref(), self.creation_time);
        if let Some(m) = &self.memory {
            let mut attrs = vec![("snapshot", m.as_str())];
            if let Some(f) = &self.memory_file {
                attrs.push(("file", f));
            }
            w.empty("memory", &attrs);
        }
        let mut out = String::new();
        if !self.disks.is_empty() {
            w.start("disks", &[]);
            for d in &self.disks {
                out.clear();
                d.format_libvirt(&mut out, 0);
                w.raw_lines(&out);
            }
            w.end("disks");
        }
        if let Some(d) = &self.domain {
            w.raw(&d.format_xml_at(domain_opts, 1));
        } else if let Some(u) = uuid {
            w.start("domain", &[]);
            w.text("uuid", &[], u);
            w.end("domain");
        }
        if let Some(d) = &self.inactive_domain {
            w.raw(&d.format_xml_named(domain_opts, 1, "inactiveDomain"));
        }
        if internal {
            w.text(
                "active",
                &[],
                if self.active == Some(true) { "1" } else { "0" },
            );
        }
        w.end("domainsnapshot");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_is_the_creation_time() {
        let s = SnapshotDef::parse_xml(
            "<domainsnapshot><description>d</description></domainsnapshot>",
            SnapshotParseOptions {
                redefine: false,
                now: 1234,
            },
        )
        .expect("parse");
        assert_eq!(s.name, "1234");
        let x = s.format_xml(FormatOptions::default(), false);
        assert_eq!(
            x,
            "<domainsnapshot>\n  <name>1234</name>\n  <description>d</description>\n  <creationTime>1234</creationTime>\n</domainsnapshot>\n"
        );
    }
}
