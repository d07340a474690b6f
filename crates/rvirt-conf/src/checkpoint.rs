//! Domain checkpoints (`<domaincheckpoint>`): parse → defaults → validate → format, as
//! libvirt's `checkpoint_conf.c` reads and prints them.
//!
//! A checkpoint document is always checked against libvirt's `domaincheckpoint.rng` before it is
//! read (libvirt parses checkpoint XML with validation on), so the parser only meets documents
//! the schema allows.

use crate::domain::{DomainDef, FormatOptions, ParseOptions};
use crate::moment::{CHECKPOINT, MomentParseOptions, disk_nodes, format_name, format_parent_time};
use crate::xml::{self, child};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// What a checkpoint does with one disk (`virDomainCheckpointType`, without `default`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointType {
    /// `no`: the disk is not tracked.
    No,
    /// `bitmap`: changes to the disk are tracked in a dirty bitmap.
    Bitmap,
}

impl CheckpointType {
    /// The attribute value libvirt prints.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointType::No => "no",
            CheckpointType::Bitmap => "bitmap",
        }
    }
}

/// One `<disks><disk>` of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointDisk {
    /// `name`: the disk's target (or, before alignment, its source path).
    pub name: String,
    /// `checkpoint`: `bitmap` when not given.
    pub checkpoint: CheckpointType,
    /// `bitmap`: the bitmap's name, by default the checkpoint's.
    pub bitmap: Option<String>,
    /// The bitmap's size in bytes, printed with `VIR_DOMAIN_CHECKPOINT_XML_SIZE` when a driver
    /// knows it.
    pub size: Option<u64>,
}

/// A checkpoint definition (`virDomainCheckpointDef`).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointDef {
    /// `<name>`; defaults to the creation time in seconds.
    pub name: String,
    /// `<description>`.
    pub description: Option<String>,
    /// `<parent><name>`.
    pub parent: Option<String>,
    /// `<creationTime>` in seconds since the epoch (not printed when 0).
    pub creation_time: i64,
    /// `<disks>`.
    pub disks: Vec<CheckpointDisk>,
    /// The embedded `<domain>`: the domain's definition when the checkpoint was taken.
    pub domain: Option<DomainDef>,
}

/// How to parse a checkpoint document (`redefine`: `VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE`).
pub type CheckpointParseOptions = MomentParseOptions;

/// How to print a checkpoint (`VIR_DOMAIN_CHECKPOINT_XML_*`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckpointFormatOptions {
    /// `SECURE`: the embedded domain with its secrets.
    pub secure: bool,
    /// `NO_DOMAIN`: leave the embedded domain out.
    pub no_domain: bool,
    /// `SIZE`: print the bitmaps' sizes where known.
    pub size: bool,
}

impl From<rvirt_types::checkpoint::DomainCheckpointXMLFlags> for CheckpointFormatOptions {
    fn from(flags: rvirt_types::checkpoint::DomainCheckpointXMLFlags) -> Self {
        use rvirt_types::checkpoint::DomainCheckpointXMLFlags as X;
        CheckpointFormatOptions {
            secure: flags.contains(X::SECURE),
            no_domain: flags.contains(X::NO_DOMAIN),
            size: flags.contains(X::SIZE),
        }
    }
}

fn chk_err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN_CHECKPOINT, code, detail)
}

impl CheckpointDef {
    /// Parses a `<domaincheckpoint>` document as libvirt does: well-formed, the right root,
    /// valid against `domaincheckpoint.rng`, then read (`virDomainCheckpointDefParseString`).
    pub fn parse_xml(text: &str, opts: CheckpointParseOptions) -> Result<CheckpointDef> {
        CHECKPOINT.validate(text)?;
        let doc = CHECKPOINT.parse_document(text)?;
        Self::parse_node(doc.root_element(), opts)
    }

    /// Checks a checkpoint document as libvirt's XML layer does before reading it: well-formed,
    /// root `<domaincheckpoint>`, valid against `domaincheckpoint.rng`.
    pub fn validate_xml(text: &str) -> Result<()> {
        CHECKPOINT.validate(text)
    }

    /// Reads a `<domaincheckpoint>` element without the schema check: a new checkpoint is named
    /// after its creation time; a redefined one brings its name and creation time, and may bring
    /// its parent and domain.
    pub fn parse_node(
        root: roxmltree::Node<'_, '_>,
        opts: CheckpointParseOptions,
    ) -> Result<CheckpointDef> {
        let head = CHECKPOINT.parse_header(root, opts)?;
        let mut domain = None;
        if opts.redefine
            && let Some(d) = child(root, "domain")
        {
            domain = Some(DomainDef::parse_node(d, ParseOptions::default())?);
        }
        let mut disks = Vec::new();
        for d in disk_nodes(root) {
            let checkpoint = match d.attribute("checkpoint") {
                Some("no") => CheckpointType::No,
                Some("bitmap") | None => CheckpointType::Bitmap,
                Some(other) => {
                    return Err(xml::invalid_enum_attr("checkpoint", "disk", other));
                }
            };
            disks.push(CheckpointDisk {
                name: d.attribute("name").unwrap_or_default().to_string(),
                checkpoint,
                bitmap: d.attribute("bitmap").map(str::to_string),
                size: None,
            });
        }
        Ok(CheckpointDef {
            name: head.name,
            description: head.description,
            parent: head.parent,
            creation_time: head.creation_time,
            disks,
            domain,
        })
    }

    /// Names every bitmap disk's bitmap after the checkpoint, where the document named none
    /// (`virDomainCheckpointDefAssignBitmapNames`).
    pub fn assign_bitmap_names(&mut self) {
        for d in &mut self.disks {
            if d.checkpoint == CheckpointType::Bitmap && d.bitmap.is_none() {
                d.bitmap = Some(self.name.clone());
            }
        }
    }

    /// Gives every disk of the embedded domain an entry, in the domain's order, as libvirt's
    /// `virDomainCheckpointAlignDisks` does: requested disks must exist (by target or source),
    /// be named once, and not be empty or read-only unless `checkpoint='no'`; the others get a
    /// bitmap when the document named no disk at all, else none; empty and read-only drives
    /// never get one. Bitmaps are then named.
    pub fn align_disks(&mut self) -> Result<()> {
        let Some(dom) = &self.domain else {
            return Err(chk_err(
                ErrorNumber::INTERNAL_ERROR,
                "missing domain in checkpoint",
            ));
        };
        let domdisks = &dom.devices.disks;
        if self.disks.len() > domdisks.len() {
            return Err(chk_err(
                ErrorNumber::CONFIG_UNSUPPORTED,
                "too many disk checkpoint requests for domain",
            ));
        }
        if domdisks.is_empty() {
            return Err(chk_err(
                ErrorNumber::CONFIG_UNSUPPORTED,
                "domain must have at least one disk to perform checkpoints",
            ));
        }
        let default = if self.disks.is_empty() {
            CheckpointType::Bitmap
        } else {
            CheckpointType::No
        };
        // virStorageSourceIsEmpty: a local source without a path, or no source type at all.
        let empty = |d: &crate::domain::DiskDef| match d.disk_type.as_str() {
            "file" | "block" | "dir" => d.source_path().is_none(),
            "network" | "volume" | "nvme" | "vhostuser" => false,
            _ => true,
        };
        let mut requested: Vec<Option<CheckpointDisk>> = vec![None; domdisks.len()];
        for cd in &self.disks {
            let by_target = domdisks.iter().position(|d| d.target_dev == cd.name);
            let idx = by_target.or_else(|| {
                let mut m = domdisks
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.source_path() == Some(cd.name.as_str()));
                match (m.next(), m.next()) {
                    (Some((i, _)), None) => Some(i),
                    _ => None,
                }
            });
            let Some(idx) = idx else {
                return Err(chk_err(
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!("no disk named '{}'", cd.name),
                ));
            };
            if requested[idx].is_some() {
                return Err(chk_err(
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!("disk '{}' specified twice", cd.name),
                ));
            }
            let dd = &domdisks[idx];
            if (empty(dd) || dd.readonly) && cd.checkpoint != CheckpointType::No {
                return Err(chk_err(
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!("disk '{}' is empty or readonly", cd.name),
                ));
            }
            requested[idx] = Some(CheckpointDisk {
                name: dd.target_dev.clone(),
                ..cd.clone()
            });
        }
        self.disks = domdisks
            .iter()
            .zip(requested)
            .map(|(d, r)| {
                r.unwrap_or_else(|| CheckpointDisk {
                    name: d.target_dev.clone(),
                    checkpoint: if empty(d) || d.readonly {
                        CheckpointType::No
                    } else {
                        default
                    },
                    bitmap: None,
                    size: None,
                })
            })
            .collect();
        self.assign_bitmap_names();
        Ok(())
    }

    /// Formats the checkpoint as `virDomainCheckpointGetXMLDesc` prints it; the embedded
    /// domain is printed inactive.
    pub fn format_xml(&self, opts: CheckpointFormatOptions) -> String {
        let mut w = xml::XmlWriter::default();
        w.start("domaincheckpoint", &[]);
        format_name(&mut w, &self.name, self.description.as_deref());
        format_parent_time(&mut w, self.parent.as_deref(), self.creation_time);
        if !self.disks.is_empty() {
            w.start("disks", &[]);
            for d in &self.disks {
                let size = d.size.map(|s| s.to_string());
                let mut attrs = vec![
                    ("name", d.name.as_str()),
                    ("checkpoint", d.checkpoint.as_str()),
                ];
                if let Some(b) = &d.bitmap {
                    attrs.push(("bitmap", b));
                    if let Some(s) = size.as_deref().filter(|_| opts.size) {
                        attrs.push(("size", s));
                    }
                }
                w.empty("disk", &attrs);
            }
            w.end("disks");
        }
        if let Some(d) = self.domain.as_ref().filter(|_| !opts.no_domain) {
            let domain_opts = FormatOptions {
                id: None,
                inactive: true,
                secure: opts.secure,
                migratable: false,
                status: false,
            };
            w.raw(&d.format_xml_at(domain_opts, 1));
        }
        w.end("domaincheckpoint");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, redefine: bool) -> Result<CheckpointDef> {
        CheckpointDef::parse_xml(
            text,
            CheckpointParseOptions {
                redefine,
                now: 1234,
            },
        )
    }

    #[test]
    fn default_name_is_the_creation_time_and_bitmaps_take_the_name() {
        let mut c = parse(
            "<domaincheckpoint><description>d</description><disks><disk name='vda'/>\
             <disk name='vdb' checkpoint='no'/></disks></domaincheckpoint>",
            false,
        )
        .expect("parse");
        assert_eq!(c.name, "1234");
        c.assign_bitmap_names();
        assert_eq!(
            c.format_xml(CheckpointFormatOptions::default()),
            "<domaincheckpoint>\n  <name>1234</name>\n  <description>d</description>\n  \
             <creationTime>1234</creationTime>\n  <disks>\n    \
             <disk name='vda' checkpoint='bitmap' bitmap='1234'/>\n    \
             <disk name='vdb' checkpoint='no'/>\n  </disks>\n</domaincheckpoint>\n"
        );
    }

    #[test]
    fn a_redefinition_needs_a_name_and_a_creation_time() {
        let e = parse("<domaincheckpoint/>", true).expect_err("no name");
        assert_eq!(e.code, ErrorNumber::XML_ERROR);
        let e = parse("<domaincheckpoint><name>a</name></domaincheckpoint>", true)
            .expect_err("no creation time");
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
        assert_eq!(
            e.message,
            "internal error: missing creationTime from existing checkpoint"
        );
    }

    #[test]
    fn the_schema_is_applied() {
        let e = parse("<domaincheckpoint><bogus/></domaincheckpoint>", false)
            .expect_err("not in the schema");
        assert_eq!(e.code, ErrorNumber::XML_INVALID_SCHEMA);
    }
}
