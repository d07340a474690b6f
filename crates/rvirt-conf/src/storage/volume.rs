//! The storage volume definition (`<volume>`), read in the context of its pool as libvirt's
//! `virStorageVolDefParse` does (the pool's type decides which formats exist).

use super::{Perms, PoolDef, PoolType, parse_size, unsupported, xml_err};
use crate::raw::RawElement;
use crate::xml::{self, XmlWriter, child};
use rvirt_types::Result;

/// `virStorageVolType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum VolType {
    /// `file`.
    #[default]
    File = 0,
    /// `block`.
    Block = 1,
    /// `dir`.
    Dir = 2,
    /// `network`.
    Network = 3,
    /// `netdir`.
    Netdir = 4,
    /// `ploop`.
    Ploop = 5,
}

const VOL_TYPES: &[&str] = &["file", "block", "dir", "network", "netdir", "ploop"];

impl VolType {
    /// The type's name in XML.
    pub fn name(self) -> &'static str {
        VOL_TYPES[self as usize]
    }

    fn from_name(s: &str) -> Option<VolType> {
        use VolType::*;
        VOL_TYPES
            .iter()
            .position(|t| *t == s)
            .map(|i| [File, Block, Dir, Network, Netdir, Ploop][i])
    }
}

/// File formats (`virStorageFileFormat`) a file-backed volume may have; `none` is refused.
const FILE_FORMATS: &[&str] = &[
    "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow",
    "qcow", "qcow2", "qed", "vmdk",
];
/// Partition formats of volumes in a `disk` pool.
const DISK_VOL_FORMATS: &[&str] = &[
    "none",
    "linux",
    "fat16",
    "fat32",
    "linux-swap",
    "linux-lvm",
    "linux-raid",
    "extended",
];
/// Image features, in libvirt's order.
const FEATURES: &[&str] = &["lazy_refcounts", "extended_l2"];

/// The volume formats of a pool type and the default, if the type has formats.
fn vol_formats(pool: PoolType) -> Option<(&'static [&'static str], &'static str)> {
    match pool {
        PoolType::Dir
        | PoolType::Fs
        | PoolType::Netfs
        | PoolType::Rbd
        | PoolType::Gluster
        | PoolType::Vstorage => Some((FILE_FORMATS, "raw")),
        PoolType::Disk => Some((DISK_VOL_FORMATS, "none")),
        _ => None,
    }
}

/// A volume's `<target>` or `<backingStore>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolTarget {
    /// `<path>`.
    pub path: Option<String>,
    /// `<format type>`, for pools with formats (the default filled in).
    pub format: Option<String>,
    /// `<permissions>`.
    pub perms: Perms,
    /// `<encryption>`, kept as written.
    pub encryption: Option<RawElement>,
    /// `<compat>`: the qcow2 compatibility level (`1.1` once features are given).
    pub compat: Option<String>,
    /// `<nocow/>`.
    pub nocow: bool,
    /// `<clusterSize>` in bytes.
    pub cluster_size: Option<u64>,
    /// `<features>`: `Some` when the element is there, with the features set.
    pub features: Option<Vec<&'static str>>,
    /// `<timestamps>`: what the file system says, never read from XML.
    pub timestamps: Option<VolTimestamps>,
}

/// A volume file's times (`<timestamps>`), each as seconds and nanoseconds since the epoch; a
/// time with negative nanoseconds is unknown and left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VolTimestamps {
    /// `<atime>`: last access.
    pub atime: (i64, i64),
    /// `<mtime>`: last change of the data.
    pub mtime: (i64, i64),
    /// `<ctime>`: last change of the inode.
    pub ctime: (i64, i64),
    /// `<btime>`: birth (libvirt on Linux always reports 0).
    pub btime: (i64, i64),
}

impl VolTimestamps {
    fn format(&self, w: &mut XmlWriter) {
        w.start("timestamps", &[]);
        for (name, (sec, nsec)) in [
            ("atime", self.atime),
            ("mtime", self.mtime),
            ("ctime", self.ctime),
            ("btime", self.btime),
        ] {
            if nsec < 0 {
                continue;
            }
            let mut t = (sec as u64).to_string();
            if nsec != 0 {
                t.push_str(&format!(".{nsec:09}"));
            }
            w.text(name, &[], &t);
        }
        w.end("timestamps");
    }
}

/// A storage volume definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolDef {
    /// `<volume type>`.
    pub vol_type: VolType,
    /// `<name>`.
    pub name: String,
    /// `<key>`: set by the driver (the test driver uses the path).
    pub key: Option<String>,
    /// `<capacity>` in bytes.
    pub capacity: u64,
    /// `<allocation>` in bytes (the capacity when not given).
    pub allocation: u64,
    /// Whether `<allocation>` was given.
    pub has_allocation: bool,
    /// `<physical>` in bytes: reported by drivers, never read.
    pub physical: u64,
    /// `<target>`.
    pub target: VolTarget,
    /// `<backingStore>`.
    pub backing_store: Option<VolTarget>,
}

impl VolDef {
    /// Parses a `<volume>` document for a volume of `pool`.
    pub fn parse_xml(pool: &PoolDef, text: &str) -> Result<VolDef> {
        let doc = xml::parse_document(text, "(storage_volume_definition)", super::FROM)?;
        let root = doc.root_element();
        if root.tag_name().name() != "volume" {
            return Err(xml::wrong_root("volume", root.tag_name().name()));
        }
        Self::parse_node(pool, root)
    }

    /// Parses a `<volume>` element (libvirt's `virStorageVolDefParseXML`).
    pub fn parse_node(pool: &PoolDef, root: roxmltree::Node<'_, '_>) -> Result<VolDef> {
        let formats = vol_formats(pool.pool_type);
        let text = |n: roxmltree::Node<'_, '_>, name: &str| {
            xml::child_text(n, name)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let Some(name) = text(root, "name") else {
            return Err(xml_err("missing volume name element"));
        };
        let key = text(root, "key");
        let vol_type = match root.attribute("type") {
            None => VolType::File,
            Some(t) => VolType::from_name(t)
                .ok_or_else(|| unsupported(format!("unknown volume type '{t}'")))?,
        };
        let format_of = |node: Option<roxmltree::Node<'_, '_>>| -> Result<Option<String>> {
            let Some((list, default)) = formats else {
                return Ok(None);
            };
            let f = node
                .and_then(|n| child(n, "format"))
                .and_then(|f| f.attribute("type"));
            match f {
                None => Ok(Some(default.to_string())),
                Some(f) if list.contains(&f) => Ok(Some(f.to_string())),
                Some(f) => Err(unsupported(format!("unknown volume format type {f}"))),
            }
        };
        let backing_node = child(root, "backingStore");
        let backing_store = match backing_node.and_then(|b| text(b, "path")) {
            Some(path) => Some(VolTarget {
                path: Some(path),
                format: format_of(backing_node)?,
                perms: Perms::parse(backing_node)?,
                ..VolTarget::default()
            }),
            None => None,
        };
        let capacity = match child(root, "capacity") {
            Some(c) if !c.text().unwrap_or("").is_empty() => parse_size(c, "capacity")?,
            _ => return Err(xml_err("missing capacity element")),
        };
        let (allocation, has_allocation) = match child(root, "allocation") {
            Some(a) if !a.text().unwrap_or("").is_empty() => (parse_size(a, "capacity")?, true),
            _ => (capacity, false),
        };
        let target_node = child(root, "target");
        let mut target = VolTarget {
            path: target_node.and_then(|t| text(t, "path")),
            format: format_of(target_node)?,
            perms: Perms::parse(target_node)?,
            ..VolTarget::default()
        };
        if let Some(t) = target_node {
            target.encryption = child(t, "encryption").map(|e| RawElement::from_node(e, false));
            target.compat = text(t, "compat");
            if let Some(c) = &target.compat {
                let ok = c.split_once('.').is_some_and(|(a, b)| {
                    a.parse::<u32>().is_ok()
                        && b.split('.')
                            .next()
                            .is_some_and(|b| b.parse::<u32>().is_ok())
                });
                if !ok {
                    return Err(xml_err("forbidden characters in 'compat' attribute"));
                }
            }
            target.nocow = child(t, "nocow").is_some();
            if let Some(c) = child(t, "clusterSize") {
                target.cluster_size = Some(cluster_size(c)?);
            }
            if let Some(f) = child(t, "features") {
                if target.compat.is_none() {
                    target.compat = Some("1.1".to_string());
                }
                let mut set = Vec::new();
                for n in f.children().filter(|n| n.is_element()) {
                    let name = n.tag_name().name();
                    if !FEATURES.contains(&name) {
                        return Err(unsupported(format!("unsupported feature {name}")));
                    }
                    set.push(name);
                }
                target.features = Some(
                    FEATURES
                        .iter()
                        .copied()
                        .filter(|f| set.contains(f))
                        .collect(),
                );
            }
        }
        Ok(VolDef {
            vol_type,
            name,
            key,
            capacity,
            allocation,
            has_allocation,
            physical: 0,
            target,
            backing_store,
        })
    }

    /// The check backends that keep volumes as files make before creating one
    /// (`storageBackendVolCreateLocal`): a name with `/` would reach outside the pool's
    /// directory, so it is refused with libvirt's error. (libvirt's test driver keeps volumes in
    /// memory and does not check.)
    pub fn check_file_name(&self) -> Result<()> {
        if self.name.contains('/') {
            return Err(rvirt_types::Error::with_detail(
                super::FROM,
                rvirt_types::ErrorNumber::OPERATION_INVALID,
                format!("volume name '{}' cannot contain '/'", self.name),
            ));
        }
        Ok(())
    }

    /// Formats the volume as libvirt's `virStorageVolDefFormat` does for a volume of `pool`.
    pub fn format_xml(&self, pool: &PoolDef) -> String {
        let with_format = vol_formats(pool.pool_type).is_some();
        let mut w = XmlWriter::default();
        w.start("volume", &[("type", self.vol_type.name())]);
        w.text("name", &[], &self.name);
        if let Some(k) = &self.key {
            w.text("key", &[], k);
        }
        w.text("capacity", &[("unit", "bytes")], &self.capacity.to_string());
        w.text(
            "allocation",
            &[("unit", "bytes")],
            &self.allocation.to_string(),
        );
        if self.physical != 0 {
            w.text("physical", &[("unit", "bytes")], &self.physical.to_string());
        }
        format_target(&mut w, "target", &self.target, with_format);
        if let Some(b) = &self.backing_store {
            format_target(&mut w, "backingStore", b, with_format);
        }
        w.end("volume");
        w.finish()
    }
}

/// `<clusterSize unit>`: a scaled value in bytes (libvirt's `virParseScaledValue`).
fn cluster_size(node: roxmltree::Node<'_, '_>) -> Result<u64> {
    let text = node.text().unwrap_or("");
    let unit = node.attribute("unit").unwrap_or("");
    let Some(v) = crate::units::parse_ull(text) else {
        return Err(rvirt_types::Error::with_detail(
            rvirt_types::ErrorDomain::XML,
            rvirt_types::ErrorNumber::XML_ERROR,
            "Invalid value for element or attribute './target/clusterSize'",
        ));
    };
    let Some(scale) = crate::units::unit_scale(unit, 1) else {
        return Err(rvirt_types::Error::with_detail(
            rvirt_types::ErrorDomain::NONE,
            rvirt_types::ErrorNumber::INVALID_ARG,
            format!("unknown suffix '{unit}'"),
        ));
    };
    v.checked_mul(scale).ok_or_else(|| {
        rvirt_types::Error::with_detail(
            rvirt_types::ErrorDomain::NONE,
            rvirt_types::ErrorNumber::OVERFLOW,
            format!("value too large: {v}{unit}"),
        )
    })
}

fn format_target(w: &mut XmlWriter, element: &str, t: &VolTarget, with_format: bool) {
    w.start(element, &[]);
    if let Some(p) = &t.path {
        w.text("path", &[], p);
    }
    if with_format {
        if let Some(f) = &t.format {
            w.empty("format", &[("type", f)]);
        }
    }
    t.perms.format(w);
    if let Some(ts) = &t.timestamps {
        ts.format(w);
    }
    if let Some(e) = &t.encryption {
        let mut s = String::new();
        e.format_libvirt(&mut s, 0);
        w.raw_lines(&s);
    }
    if let Some(c) = &t.compat {
        w.text("compat", &[], c);
    }
    if let Some(c) = t.cluster_size.filter(|c| *c > 0) {
        w.text("clusterSize", &[("unit", "B")], &c.to_string());
    }
    match &t.features {
        Some(f) if f.is_empty() => w.empty("features", &[]),
        Some(f) => {
            w.start("features", &[]);
            for name in f {
                w.empty(name, &[]);
            }
            w.end("features");
        }
        None => {}
    }
    // libvirt reads <nocow/> but never writes it back.
    w.end(element);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> PoolDef {
        PoolDef::parse_xml("<pool type='dir'><name>p</name><target><path>/p</path></target></pool>")
            .unwrap()
    }

    fn err(xml: &str) -> String {
        match VolDef::parse_xml(&pool(), xml) {
            Ok(_) => "ok".into(),
            Err(e) => e.message,
        }
    }

    #[test]
    fn errors_as_libvirt() {
        assert_eq!(err("<volume/>"), "XML error: missing volume name element");
        assert_eq!(
            err("<volume><name>v</name></volume>"),
            "XML error: missing capacity element"
        );
        assert_eq!(
            err("<volume><name>v</name><capacity>-1</capacity></volume>"),
            "XML error: malformed capacity element"
        );
        assert_eq!(
            err("<volume><name>v</name><capacity unit='zz'>1</capacity></volume>"),
            "invalid argument: unknown suffix 'zz'"
        );
        assert_eq!(
            err(
                "<volume><name>v</name><capacity>1</capacity><target><format type='none'/></target></volume>"
            ),
            "unsupported configuration: unknown volume format type none"
        );
    }

    #[test]
    fn names_with_a_slash_cannot_be_files() {
        let v = VolDef::parse_xml(
            &pool(),
            "<volume><name>../etc/passwd</name><capacity>1</capacity></volume>",
        )
        .unwrap();
        let e = v.check_file_name().unwrap_err();
        assert_eq!(
            e.message,
            "Requested operation is not valid: volume name '../etc/passwd' cannot contain '/'"
        );
        assert_eq!(e.code, rvirt_types::ErrorNumber::OPERATION_INVALID);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_formatting_is_a_fixed_point(
            name in "[a-z.][a-z0-9._/-]{0,12}",
            cap in 0u64..1u64 << 50,
            unit in proptest::sample::select(vec!["", "b", "K", "KiB", "MB", "G", "T", "Z"]),
            fmt in proptest::sample::select(vec!["raw", "qcow2", "none", "bogus", ""]),
            garbage in ".{0,40}",
        ) {
            let fmt_el = if fmt.is_empty() { String::new() } else { format!("<target><format type='{fmt}'/></target>") };
            let xml = format!("<volume><name>{name}</name><capacity unit='{unit}'>{cap}</capacity>{fmt_el}</volume>");
            if let Ok(v) = VolDef::parse_xml(&pool(), &xml) {
                let out = v.format_xml(&pool());
                let again = VolDef::parse_xml(&pool(), &out).unwrap();
                proptest::prop_assert_eq!(again.format_xml(&pool()), out);
            }
            let _ = VolDef::parse_xml(&pool(), &garbage);
            let _ = PoolDef::parse_xml(&garbage);
            let _ = PoolDef::parse_xml(&format!("<pool type='{fmt}'><name>{name}</name>{garbage}</pool>"));
        }
    }

    #[test]
    fn allocation_defaults_to_capacity_and_units_scale() {
        let v = VolDef::parse_xml(
            &pool(),
            "<volume><name>v</name><capacity unit='M'>2</capacity></volume>",
        )
        .unwrap();
        assert_eq!((v.capacity, v.allocation), (2 << 20, 2 << 20));
        assert_eq!(v.target.format.as_deref(), Some("raw"));
    }
}
