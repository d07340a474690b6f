//! Domain snapshots (`<domainsnapshot>`).

use crate::domain::{DomainDef, FormatOptions, ParseOptions};
use crate::raw::RawElement;
use crate::xml::{self, child, child_text};
use rvirt_types::Result;

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
    /// `<creationTime>` in seconds since the epoch.
    pub creation_time: i64,
    /// `<memory snapshot=…>`: no, internal, external.
    pub memory: Option<String>,
    /// `<memory file=…>` for external memory snapshots.
    pub memory_file: Option<String>,
    /// `<disks>` children, kept.
    pub disks: Vec<RawElement>,
    /// The embedded `<domain>`.
    pub domain: Option<DomainDef>,
    /// `<active>` (only in the driver's own records).
    pub active: Option<bool>,
}

/// How to parse a snapshot document.
#[derive(Clone, Copy, Debug, Default)]
pub struct SnapshotParseOptions {
    /// Redefining a snapshot from its XML: state, creation time, parent and domain are kept.
    pub redefine: bool,
    /// The current time in seconds, used as creation time (and default name) when not
    /// redefining.
    pub now: i64,
}

impl SnapshotDef {
    /// Parses a `<domainsnapshot>` document.
    pub fn parse_xml(text: &str, opts: SnapshotParseOptions) -> Result<SnapshotDef> {
        let doc = xml::parse_document(
            text,
            "(domain_snapshot)",
            rvirt_types::ErrorDomain::DOMAIN_SNAPSHOT,
        )?;
        Self::parse_node(doc.root_element(), opts)
    }

    /// Parses a `<domainsnapshot>` element.
    pub fn parse_node(
        root: roxmltree::Node<'_, '_>,
        opts: SnapshotParseOptions,
    ) -> Result<SnapshotDef> {
        if root.tag_name().name() != "domainsnapshot" {
            return Err(xml::wrong_root("domainsnapshot", root.tag_name().name()));
        }
        let creation_time = if opts.redefine {
            match child_text(root, "creationTime") {
                Some(t) => t
                    .trim()
                    .parse()
                    .map_err(|_| xml::xml_error("missing creationTime from existing snapshot"))?,
                None => {
                    return Err(xml::xml_error(
                        "missing creationTime from existing snapshot",
                    ));
                }
            }
        } else {
            opts.now
        };
        let name = match child_text(root, "name").map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ if opts.redefine => {
                return Err(xml::xml_error("a redefined snapshot must have a name"));
            }
            _ => creation_time.to_string(),
        };
        let mem = child(root, "memory");
        let domain = match child(root, "domain").filter(|_| opts.redefine) {
            Some(d) => Some(DomainDef::parse_node(d, ParseOptions::default())?),
            None => None,
        };
        Ok(SnapshotDef {
            name,
            description: child_text(root, "description").map(str::to_string),
            state: child_text(root, "state")
                .filter(|_| opts.redefine)
                .map(|s| s.trim().to_string()),
            parent: child(root, "parent")
                .and_then(|p| child_text(p, "name"))
                .filter(|_| opts.redefine)
                .map(|s| s.trim().to_string()),
            creation_time,
            memory: mem
                .and_then(|m| m.attribute("snapshot"))
                .map(str::to_string),
            memory_file: mem.and_then(|m| m.attribute("file")).map(str::to_string),
            disks: child(root, "disks")
                .map(|d| {
                    d.children()
                        .filter(|c| c.has_tag_name("disk"))
                        .map(|c| RawElement::from_node(c, false))
                        .collect()
                })
                .unwrap_or_default(),
            domain,
            active: child_text(root, "active").map(|a| a.trim() == "1"),
        })
    }

    /// Formats the snapshot as `virDomainSnapshotGetXMLDesc` prints it; the embedded domain
    /// is formatted with `domain_opts`.
    pub fn format_xml(&self, domain_opts: FormatOptions, internal: bool) -> String {
        let mut w = xml::XmlWriter::default();
        w.start("domainsnapshot", &[]);
        w.text("name", &[], &self.name);
        if let Some(d) = &self.description {
            w.text("description", &[], d);
        }
        if let Some(s) = &self.state {
            w.text("state", &[], s);
        }
        if let Some(p) = &self.parent {
            w.start("parent", &[]);
            w.text("name", &[], p);
            w.end("parent");
        }
        w.text("creationTime", &[], &self.creation_time.to_string());
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
