//! What snapshot and checkpoint documents share, as libvirt's `virDomainMomentDef` holds it for
//! both: how to parse them, and the reading and printing of the fields every moment has (name,
//! description, parent, creation time) and of its `<disks>`.

use crate::xml::{self, XmlWriter, child};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// How to parse a snapshot or checkpoint document.
#[derive(Clone, Copy, Debug, Default)]
pub struct MomentParseOptions {
    /// Redefining a moment from its XML (`…_CREATE_REDEFINE`): the name, creation time and
    /// parent (and for a snapshot its state, for both the domain) come from the document.
    pub redefine: bool,
    /// The current time in seconds: the creation time (and default name) of a new moment.
    pub now: i64,
}

/// The fields every moment document has.
pub(crate) struct MomentHeader {
    /// `<name>`, or the creation time in seconds.
    pub name: String,
    /// `<description>`.
    pub description: Option<String>,
    /// `<parent><name>` (read only when redefining).
    pub parent: Option<String>,
    /// `<creationTime>` when redefining, else the time of parsing.
    pub creation_time: i64,
}

/// The string value of the first child `name` (all its text), `None` when absent or empty,
/// as libvirt's `virXPathString("string(./name)")` reads it.
pub(crate) fn string_value(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    let c = child(node, name)?;
    let text: String = c
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    (!text.is_empty()).then_some(text)
}

/// A kind of moment document: its name in libvirt's messages and the error domain of its
/// errors.
pub(crate) struct MomentKind {
    /// `snapshot` or `checkpoint`: the document is `<domainKIND>`, its schema
    /// `domainKIND.rng`.
    pub name: &'static str,
    /// Where its errors come from.
    pub from: ErrorDomain,
}

/// Snapshot documents.
pub(crate) const SNAPSHOT: MomentKind = MomentKind {
    name: "snapshot",
    from: ErrorDomain::DOMAIN_SNAPSHOT,
};

/// Checkpoint documents.
pub(crate) const CHECKPOINT: MomentKind = MomentKind {
    name: "checkpoint",
    from: ErrorDomain::DOMAIN_CHECKPOINT,
};

impl MomentKind {
    /// Parses the text of a document of this kind as XML (not yet as a moment).
    pub(crate) fn parse_document<'a>(&self, text: &'a str) -> Result<roxmltree::Document<'a>> {
        xml::parse_document(text, &format!("(domain_{})", self.name), self.from)
    }

    /// Checks a document as libvirt's XML layer does with validation on: well-formed, root
    /// `<domainKIND>`, valid against `domainKIND.rng`.
    pub(crate) fn validate(&self, text: &str) -> Result<()> {
        let root = format!("domain{}", self.name);
        crate::schema::validate_document(
            text,
            &format!("(domain_{})", self.name),
            self.from,
            &root,
            &format!("{root}.rng"),
        )
    }

    /// Reads what every moment has from `root`, which must be `<domainKIND>`, as
    /// `virDomainSnapshotDefParse` and `virDomainCheckpointDefParse` both begin: a redefined
    /// moment must bring its name and creation time; a new one is named after the time of
    /// parsing.
    pub(crate) fn parse_header(
        &self,
        root: roxmltree::Node<'_, '_>,
        opts: MomentParseOptions,
    ) -> Result<MomentHeader> {
        parse_header(root, self.name, self.from, opts)
    }
}

fn parse_header(
    root: roxmltree::Node<'_, '_>,
    kind: &str,
    from: ErrorDomain,
    opts: MomentParseOptions,
) -> Result<MomentHeader> {
    let root_name = format!("domain{kind}");
    if root.tag_name().name() != root_name {
        return Err(xml::wrong_root(&root_name, root.tag_name().name()));
    }
    let err = |code, detail: String| Error::with_detail(from, code, detail);
    let name = string_value(root, "name");
    if name.is_none() && opts.redefine {
        return Err(err(
            ErrorNumber::XML_ERROR,
            format!("a redefined {kind} must have a name"),
        ));
    }
    let description = string_value(root, "description");
    let (mut creation_time, mut parent) = (opts.now, None);
    if opts.redefine {
        // C's strtoll with base 10 and nothing after the number.
        creation_time = string_value(root, "creationTime")
            .and_then(|t| t.trim_start().parse::<i64>().ok())
            .ok_or_else(|| {
                err(
                    ErrorNumber::INTERNAL_ERROR,
                    format!("missing creationTime from existing {kind}"),
                )
            })?;
        parent = child(root, "parent").and_then(|p| string_value(p, "name"));
    }
    Ok(MomentHeader {
        name: name.unwrap_or_else(|| creation_time.to_string()),
        description,
        parent,
        creation_time,
    })
}

/// The elements inside `<disks>` of a moment document.
pub(crate) fn disk_nodes<'a, 'i>(
    root: roxmltree::Node<'a, 'i>,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    root.children()
        .filter(|c| c.has_tag_name("disks"))
        .flat_map(|d| d.children().filter(|c| c.is_element()))
}

/// Prints `<name>` and `<description>`, the first fields of every moment.
pub(crate) fn format_name(w: &mut XmlWriter, name: &str, description: Option<&str>) {
    w.text("name", &[], name);
    if let Some(d) = description {
        w.text("description", &[], d);
    }
}

/// Prints `<parent><name>` and `<creationTime>` (not when 0).
pub(crate) fn format_parent_time(w: &mut XmlWriter, parent: Option<&str>, creation_time: i64) {
    if let Some(p) = parent {
        w.start("parent", &[]);
        w.text("name", &[], p);
        w.end("parent");
    }
    if creation_time != 0 {
        w.text("creationTime", &[], &creation_time.to_string());
    }
}
