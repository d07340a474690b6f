//! Storage definitions: pools (`<pool>`, [`PoolDef`]) and volumes (`<volume>`, [`VolDef`]), with
//! the parts they share (permissions, sizes with units, path sanitizing).
//!
//! As for domains, parsing fills libvirt's post-parse defaults (pool name from the source name,
//! target paths of logical and zfs pools, default formats) and reports libvirt's errors from the
//! `Storage Driver` error domain; formatting writes libvirt's canonical layout.

mod pool;
mod volume;

pub use pool::{
    PoolAdapter, PoolAuth, PoolDef, PoolDevice, PoolHost, PoolSource, PoolType, SourceFlags,
};
pub use volume::{VolDef, VolTarget, VolTimestamps, VolType};

use crate::xml::{self, XmlWriter, child};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The error domain storage configuration errors come from.
pub(crate) const FROM: ErrorDomain = ErrorDomain::STORAGE;

/// `VIR_ERR_XML_ERROR` from the storage code.
pub(crate) fn xml_err(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::XML_ERROR, detail)
}

/// `VIR_ERR_CONFIG_UNSUPPORTED` from the storage code.
pub(crate) fn unsupported(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// `<permissions>` of a pool target or a volume: each part absent unless given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Perms {
    /// `<mode>`, octal, at most 0777.
    pub mode: Option<u32>,
    /// `<owner>` uid (`-1` reads as absent, as libvirt's `(uid_t) -1`).
    pub owner: Option<u32>,
    /// `<group>` gid.
    pub group: Option<u32>,
    /// `<label>`: the security label.
    pub label: Option<String>,
}

impl Perms {
    /// Reads `<permissions>` under `parent`, with libvirt's errors (`virStorageDefParsePerms`).
    pub(crate) fn parse(parent: Option<roxmltree::Node<'_, '_>>) -> Result<Perms> {
        let Some(node) = parent.and_then(|p| child(p, "permissions")) else {
            return Ok(Perms::default());
        };
        let mut perms = Perms::default();
        if let Some(mode) = xml::child_text(node, "mode") {
            match i64::from_str_radix(mode.trim(), 8) {
                Ok(m) if (0..=0o777).contains(&m) => perms.mode = Some(m as u32),
                _ => return Err(xml_err("malformed octal mode")),
            }
        }
        let id = |name: &str, what: &str| -> Result<Option<u32>> {
            let Some(text) = xml::child_text(node, name) else {
                return Ok(None);
            };
            match text.trim().parse::<i64>() {
                Ok(-1) => Ok(None),
                Ok(v) if (0..=u32::MAX as i64 - 1).contains(&v) => Ok(Some(v as u32)),
                _ => Err(xml_err(format!("malformed {what} element"))),
            }
        };
        perms.owner = id("owner", "owner")?;
        perms.group = id("group", "group")?;
        perms.label = xml::child_text(node, "label")
            .filter(|l| !l.is_empty())
            .map(str::to_string);
        Ok(perms)
    }

    /// Writes `<permissions>` when any part is set.
    pub(crate) fn format(&self, w: &mut XmlWriter) {
        if *self == Perms::default() {
            return;
        }
        w.start("permissions", &[]);
        if let Some(m) = self.mode {
            w.text("mode", &[], &format!("0{m:o}"));
        }
        if let Some(o) = self.owner {
            w.text("owner", &[], &(o as i32).to_string());
        }
        if let Some(g) = self.group {
            w.text("group", &[], &(g as i32).to_string());
        }
        if let Some(l) = &self.label {
            w.text("label", &[], l);
        }
        w.end("permissions");
    }
}

/// libvirt's `virFileSanitizePath`: repeated slashes collapsed (a leading `//` kept, as POSIX
/// allows), a trailing slash removed.
pub fn sanitize_path(path: &str) -> String {
    let (mut out, rest) = if path.starts_with("//") && !path.starts_with("///") {
        (String::from("//"), &path[2..])
    } else {
        (String::new(), path)
    };
    for c in rest.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    if out.len() > 1 && out.ends_with('/') && out != "//" {
        out.pop();
    }
    out
}

/// Reads a storage size (`<capacity unit='G'>10</capacity>`) in bytes, as libvirt's
/// `virStorageSize`: digits only (no sign), a unit suffix, at most `i64::MAX` bytes.
pub(crate) fn parse_size(node: roxmltree::Node<'_, '_>, what: &str) -> Result<u64> {
    let text = node.text().unwrap_or("");
    let Some(value) = crate::units::parse_ull(text) else {
        return Err(xml_err(format!("malformed {what} element")));
    };
    let unit = node.attribute("unit").unwrap_or("");
    let Some(scale) = crate::units::unit_scale(unit, 1) else {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::INVALID_ARG,
            format!("unknown suffix '{unit}'"),
        ));
    };
    match value.checked_mul(scale) {
        Some(v) if v <= i64::MAX as u64 => Ok(v),
        _ => Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::OVERFLOW,
            format!("value too large: {value}{unit}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_paths_as_libvirt() {
        assert_eq!(sanitize_path("//x//y/"), "//x/y");
        assert_eq!(sanitize_path("///x//y/"), "/x/y");
        assert_eq!(sanitize_path("/a/"), "/a");
        assert_eq!(sanitize_path("/"), "/");
        assert_eq!(sanitize_path("rel//p"), "rel/p");
    }
}
