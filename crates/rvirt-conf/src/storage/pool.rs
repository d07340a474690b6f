//! The storage pool definition (`<pool>`), as libvirt's `storage_conf.c` reads and writes it.

use super::{Perms, sanitize_path, unsupported, xml_err};
use crate::xml::{self, XmlWriter, child};
use rvirt_types::{Result, Uuid};

/// `virStoragePoolType`: the pool's backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolType {
    /// `dir`: a directory.
    Dir,
    /// `fs`: a mounted block device.
    Fs,
    /// `netfs`: a network file system.
    Netfs,
    /// `logical`: an LVM volume group.
    Logical,
    /// `disk`: a partitioned disk.
    Disk,
    /// `iscsi`: an iSCSI target.
    Iscsi,
    /// `iscsi-direct`: an iSCSI target through libiscsi.
    IscsiDirect,
    /// `scsi`: a SCSI host adapter.
    Scsi,
    /// `mpath`: multipath devices.
    Mpath,
    /// `rbd`: a Ceph RADOS pool.
    Rbd,
    /// `sheepdog`: a Sheepdog cluster.
    Sheepdog,
    /// `gluster`: a Gluster volume.
    Gluster,
    /// `zfs`: a ZFS pool.
    Zfs,
    /// `vstorage`: Virtuozzo storage.
    Vstorage,
}

/// The pool types in libvirt's enum order (the value of each is its index).
pub const POOL_TYPES: &[&str] = &[
    "dir",
    "fs",
    "netfs",
    "logical",
    "disk",
    "iscsi",
    "iscsi-direct",
    "scsi",
    "mpath",
    "rbd",
    "sheepdog",
    "gluster",
    "zfs",
    "vstorage",
];

bitflags::bitflags! {
    /// Which `<source>` parts a pool type uses (libvirt's `VIR_STORAGE_POOL_SOURCE_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SourceFlags: u32 {
        /// `<host>`.
        const HOST = 1 << 0;
        /// `<device>`.
        const DEVICE = 1 << 1;
        /// `<dir>`.
        const DIR = 1 << 2;
        /// `<adapter>`.
        const ADAPTER = 1 << 3;
        /// `<name>`.
        const NAME = 1 << 4;
        /// `<initiator>`.
        const INITIATOR_IQN = 1 << 5;
        /// Network pools: no target.
        const NETWORK = 1 << 6;
    }
}

impl PoolType {
    const ALL: [PoolType; 14] = [
        PoolType::Dir,
        PoolType::Fs,
        PoolType::Netfs,
        PoolType::Logical,
        PoolType::Disk,
        PoolType::Iscsi,
        PoolType::IscsiDirect,
        PoolType::Scsi,
        PoolType::Mpath,
        PoolType::Rbd,
        PoolType::Sheepdog,
        PoolType::Gluster,
        PoolType::Zfs,
        PoolType::Vstorage,
    ];

    /// The type named `s` (`dir`, `iscsi-direct`…).
    pub fn from_name(s: &str) -> Option<PoolType> {
        POOL_TYPES
            .iter()
            .position(|t| *t == s)
            .map(|i| PoolType::ALL[i])
    }

    /// The type's name in XML.
    pub fn name(self) -> &'static str {
        POOL_TYPES[self as usize]
    }

    /// The source parts this type uses.
    pub fn source_flags(self) -> SourceFlags {
        use SourceFlags as F;
        match self {
            PoolType::Logical | PoolType::Zfs => F::NAME | F::DEVICE,
            PoolType::Dir | PoolType::Mpath => F::empty(),
            PoolType::Fs | PoolType::Disk => F::DEVICE,
            PoolType::Netfs => F::HOST | F::DIR,
            PoolType::Iscsi => F::HOST | F::DEVICE | F::INITIATOR_IQN,
            PoolType::IscsiDirect => F::HOST | F::DEVICE | F::NETWORK | F::INITIATOR_IQN,
            PoolType::Scsi => F::ADAPTER,
            PoolType::Rbd | PoolType::Sheepdog => F::HOST | F::NETWORK | F::NAME,
            PoolType::Gluster => F::HOST | F::NETWORK | F::NAME | F::DIR,
            PoolType::Vstorage => F::NAME,
        }
    }

    /// The source formats this type takes and its default, if it has formats.
    pub fn source_formats(self) -> Option<(&'static [&'static str], &'static str)> {
        match self {
            PoolType::Logical => Some((&["unknown", "lvm2"], "lvm2")),
            PoolType::Fs => Some((
                &[
                    "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat",
                    "hfs+", "xfs", "ocfs2", "vmfs",
                ],
                "auto",
            )),
            PoolType::Netfs => Some((&["auto", "nfs", "glusterfs", "cifs"], "auto")),
            PoolType::Disk => Some((
                &[
                    "unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2",
                ],
                "unknown",
            )),
            _ => None,
        }
    }

    /// Whether pools of this type have a `<target>` (network pools do not).
    pub fn has_target(self) -> bool {
        !matches!(
            self,
            PoolType::Rbd | PoolType::Sheepdog | PoolType::Gluster | PoolType::IscsiDirect
        )
    }
}

/// `<host name port>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolHost {
    /// `name`.
    pub name: String,
    /// `port`, 0 when absent.
    pub port: i32,
}

/// `<device path part_separator>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolDevice {
    /// `path`.
    pub path: String,
    /// `part_separator`: `yes`/`no`.
    pub part_separator: Option<bool>,
}

/// `<adapter>` of a scsi pool: its type and attributes in libvirt's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolAdapter {
    /// `scsi_host` or `fc_host`.
    pub kind: String,
    /// The other attributes, in libvirt's output order.
    pub attrs: Vec<(String, String)>,
    /// A `<parentaddr>` child (scsi_host by PCI address), kept as written.
    pub parentaddr: Option<crate::raw::RawElement>,
}

/// `<auth type username><secret …/></auth>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolAuth {
    /// `type`: `chap` or `ceph`, absent for none.
    pub auth_type: Option<String>,
    /// `username`.
    pub username: String,
    /// `<secret type>`.
    pub secret_type: Option<String>,
    /// `<secret uuid>` or `<secret usage>`: (attribute, value).
    pub secret: (String, String),
}

/// `<source>` of a pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolSource {
    /// `<host>` elements.
    pub hosts: Vec<PoolHost>,
    /// `<device>` elements.
    pub devices: Vec<PoolDevice>,
    /// `<dir path>`, sanitized.
    pub dir: Option<String>,
    /// `<adapter>`.
    pub adapter: Option<PoolAdapter>,
    /// `<name>`.
    pub name: Option<String>,
    /// `<initiator><iqn name>`.
    pub initiator_iqn: Option<String>,
    /// `<format type>`, for types with formats (the default filled in).
    pub format: Option<String>,
    /// `<auth>`.
    pub auth: Option<PoolAuth>,
    /// `<protocol ver>` (netfs).
    pub protocol_ver: Option<String>,
    /// `<vendor name>`.
    pub vendor: Option<String>,
    /// `<product name>`.
    pub product: Option<String>,
}

/// A storage pool definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolDef {
    /// `<pool type>`.
    pub pool_type: PoolType,
    /// `<name>`.
    pub name: String,
    /// `<uuid>`, generated when absent.
    pub uuid: Uuid,
    /// `<capacity>` in bytes (set by the driver; never read from the document).
    pub capacity: u64,
    /// `<allocation>` in bytes.
    pub allocation: u64,
    /// `<available>` in bytes.
    pub available: u64,
    /// `<features><cow state>`.
    pub cow: Option<bool>,
    /// `<source>`.
    pub source: PoolSource,
    /// `<target><path>`, for types with a target.
    pub target_path: Option<String>,
    /// `<target><permissions>`.
    pub target_perms: Perms,
    /// `<refresh><volume allocation>`: `default` or `capacity`.
    pub refresh_allocation: Option<String>,
}

fn yes_no(node: roxmltree::Node<'_, '_>, attr: &str) -> Result<Option<bool>> {
    Ok(xml::attr_enum(node, attr, &["yes", "no"])?.map(|v| v == "yes"))
}

fn attr_string(node: Option<roxmltree::Node<'_, '_>>, attr: &str) -> Option<String> {
    node.and_then(|n| n.attribute(attr)).map(str::to_string)
}

/// libvirt's `virXPathString`: an absent or empty text reads as nothing.
fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    xml::child_text(node, name)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn parse_adapter(node: roxmltree::Node<'_, '_>) -> Result<PoolAdapter> {
    let kind = match node.attribute("type") {
        Some(t @ ("scsi_host" | "fc_host")) => t.to_string(),
        Some(t) => return Err(xml::invalid_enum_attr("type", "adapter", t)),
        // The legacy form: a scsi_host named by `name`.
        None if node.attribute("name").is_some() => "scsi_host".to_string(),
        None => return Err(xml_err("missing storage pool source adapter")),
    };
    let order: &[&str] = if kind == "fc_host" {
        yes_no(node, "managed")?;
        &[
            "parent",
            "parent_wwnn",
            "parent_wwpn",
            "parent_fabric_wwn",
            "managed",
            "wwnn",
            "wwpn",
        ]
    } else {
        &["name"]
    };
    let attrs: Vec<(String, String)> = order
        .iter()
        .filter_map(|a| node.attribute(*a).map(|v| (a.to_string(), v.to_string())))
        .collect();
    let parentaddr = child(node, "parentaddr").map(|p| crate::raw::RawElement::from_node(p, false));
    let adapter = PoolAdapter {
        kind,
        attrs,
        parentaddr,
    };
    let has = |a: &str| adapter.attrs.iter().any(|(k, _)| k == a);
    if adapter.kind == "fc_host" {
        if !has("wwnn") || !has("wwpn") {
            return Err(xml_err(
                "'wwnn' and 'wwpn' must be specified for adapter type 'fchost'",
            ));
        }
    } else if !has("name") && adapter.parentaddr.is_none() {
        return Err(xml_err(
            "Either 'name' or 'parent' must be specified for the 'scsi_host' adapter",
        ));
    } else if has("name") && adapter.parentaddr.is_some() {
        return Err(xml_err(
            "Both 'name' and 'parent' cannot be specified for the 'scsi_host' adapter",
        ));
    }
    Ok(adapter)
}

fn parse_auth(node: roxmltree::Node<'_, '_>) -> Result<PoolAuth> {
    let Some(username) = node.attribute("username") else {
        return Err(xml_err("missing username for auth"));
    };
    let auth_type = match node.attribute("type") {
        None | Some("none") => None,
        Some(t @ ("chap" | "ceph")) => Some(t.to_string()),
        Some(t) => return Err(unsupported(format!("unknown auth type '{t}'"))),
    };
    let Some(secret) = child(node, "secret") else {
        return Err(xml_err("Missing <secret> element in auth"));
    };
    let lookup = if let Some(u) = secret.attribute("uuid") {
        ("uuid".to_string(), u.to_string())
    } else if let Some(u) = secret.attribute("usage") {
        ("usage".to_string(), u.to_string())
    } else {
        return Err(xml_err("either secret uuid or usage expected"));
    };
    if auth_type.is_none() {
        return Err(unsupported("storage pool missing auth type"));
    }
    Ok(PoolAuth {
        auth_type,
        username: username.to_string(),
        secret_type: secret.attribute("type").map(str::to_string),
        secret: lookup,
    })
}

impl PoolSource {
    /// Reads a `<source>` element for a pool of type `pool_type` (libvirt's
    /// `virStoragePoolDefParseSource`).
    pub fn parse(node: roxmltree::Node<'_, '_>, pool_type: PoolType) -> Result<PoolSource> {
        let mut src = PoolSource {
            name: text_of(node, "name"),
            ..PoolSource::default()
        };
        if pool_type == PoolType::Rbd && src.name.is_none() {
            return Err(xml_err("element 'name' is mandatory for RBD pool"));
        }
        if let Some((formats, default)) = pool_type.source_formats() {
            let f = attr_string(child(node, "format"), "type");
            match f.as_deref() {
                None => src.format = Some(default.to_string()),
                Some(f) if formats.contains(&f) => src.format = Some(f.to_string()),
                Some(f) => return Err(unsupported(format!("unknown pool format type {f}"))),
            }
        }
        for h in node.children().filter(|c| c.has_tag_name("host")) {
            let Some(name) = h.attribute("name") else {
                return Err(xml_err("missing storage pool host name"));
            };
            let port = match h.attribute("port") {
                None => 0,
                Some(p) => p.trim().parse::<i32>().map_err(|_| {
                    rvirt_types::Error::with_detail(
                        rvirt_types::ErrorDomain::XML,
                        rvirt_types::ErrorNumber::XML_ERROR,
                        format!("Invalid value for attribute 'port' in element 'host': '{p}'."),
                    )
                })?,
            };
            src.hosts.push(PoolHost {
                name: name.to_string(),
                port,
            });
        }
        src.initiator_iqn = attr_string(
            child(node, "initiator").and_then(|i| child(i, "iqn")),
            "name",
        );
        for d in node.children().filter(|c| c.has_tag_name("device")) {
            let Some(path) = d.attribute("path") else {
                return Err(xml_err("missing storage pool source device path"));
            };
            src.devices.push(PoolDevice {
                path: path.to_string(),
                part_separator: yes_no(d, "part_separator")?,
            });
        }
        src.dir = attr_string(child(node, "dir"), "path")
            .filter(|d| !d.is_empty())
            .map(|d| sanitize_path(&d));
        if src.dir.is_none() && pool_type == PoolType::Gluster {
            src.dir = Some("/".to_string());
        }
        if let Some(a) = child(node, "adapter") {
            src.adapter = Some(parse_adapter(a)?);
        }
        if let Some(a) = child(node, "auth") {
            src.auth = Some(parse_auth(a)?);
        }
        src.protocol_ver = attr_string(child(node, "protocol"), "ver");
        if let Some(ver) = &src.protocol_ver {
            // libvirt compares the format's number with netfs's `auto` (0) and `nfs` (1),
            // whatever the pool's type.
            let index = match (pool_type.source_formats(), &src.format) {
                (Some((formats, _)), Some(f)) => formats.iter().position(|x| x == f).unwrap_or(0),
                _ => 0,
            };
            if index > 1 {
                let name = ["auto", "nfs", "glusterfs", "cifs"]
                    .get(index)
                    .copied()
                    .unwrap_or("(null)");
                return Err(unsupported(format!(
                    "storage pool protocol ver unsupported for pool type '{name}'"
                )));
            }
            if ver.contains(',') {
                return Err(rvirt_types::Error::with_detail(
                    super::FROM,
                    rvirt_types::ErrorNumber::XML_DETAIL,
                    format!("storage pool protocol ver '{ver}' must not contain ','"),
                ));
            }
        }
        src.vendor = attr_string(child(node, "vendor"), "name");
        src.product = attr_string(child(node, "product"), "name");
        Ok(src)
    }

    /// Writes `<source>` for a pool of type `pool_type`: only the parts the type uses.
    pub fn format(&self, w: &mut XmlWriter, pool_type: PoolType) {
        use SourceFlags as F;
        let flags = pool_type.source_flags();
        w.start("source", &[]);
        if flags.contains(F::HOST) {
            for h in &self.hosts {
                let port = h.port.to_string();
                let mut attrs = vec![("name", h.name.as_str())];
                if h.port != 0 {
                    attrs.push(("port", port.as_str()));
                }
                w.empty("host", &attrs);
            }
        }
        if flags.contains(F::DEVICE) {
            for d in &self.devices {
                let mut attrs = vec![("path", d.path.as_str())];
                if let Some(p) = d.part_separator {
                    attrs.push(("part_separator", if p { "yes" } else { "no" }));
                }
                w.empty("device", &attrs);
            }
        }
        if flags.contains(F::DIR) {
            if let Some(d) = &self.dir {
                w.empty("dir", &[("path", d)]);
            }
        }
        if flags.contains(F::ADAPTER) {
            if let Some(a) = &self.adapter {
                let mut attrs = vec![("type", a.kind.as_str())];
                attrs.extend(a.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                match &a.parentaddr {
                    Some(p) if a.kind == "scsi_host" => {
                        w.start("adapter", &attrs);
                        let mut s = String::new();
                        p.format_libvirt(&mut s, 0);
                        w.raw_lines(&s);
                        w.end("adapter");
                    }
                    _ => w.empty("adapter", &attrs),
                }
            }
        }
        if flags.contains(F::NAME) {
            if let Some(n) = &self.name {
                w.text("name", &[], n);
            }
        }
        if flags.contains(F::INITIATOR_IQN) {
            if let Some(iqn) = &self.initiator_iqn {
                w.start("initiator", &[]);
                w.empty("iqn", &[("name", iqn)]);
                w.end("initiator");
            }
        }
        if pool_type.source_formats().is_some() {
            if let Some(f) = &self.format {
                w.empty("format", &[("type", f)]);
            }
        }
        if let Some(a) = &self.auth {
            let mut attrs = Vec::new();
            if let Some(t) = &a.auth_type {
                attrs.push(("type", t.as_str()));
            }
            attrs.push(("username", a.username.as_str()));
            w.start("auth", &attrs);
            let mut sattrs = Vec::new();
            if let Some(t) = &a.secret_type {
                sattrs.push(("type", t.as_str()));
            }
            sattrs.push((a.secret.0.as_str(), a.secret.1.as_str()));
            w.empty("secret", &sattrs);
            w.end("auth");
        }
        if let Some(v) = &self.protocol_ver {
            w.empty("protocol", &[("ver", v)]);
        }
        if let Some(v) = &self.vendor {
            w.empty("vendor", &[("name", v)]);
        }
        if let Some(v) = &self.product {
            w.empty("product", &[("name", v)]);
        }
        w.end("source");
    }
}

impl PoolDef {
    /// Parses a `<pool>` document (libvirt's `virStoragePoolDefParse`), defaults filled.
    pub fn parse_xml(text: &str) -> Result<PoolDef> {
        let doc = xml::parse_document(text, "(storage_pool_definition)", super::FROM)?;
        let root = doc.root_element();
        if root.tag_name().name() != "pool" {
            return Err(xml::wrong_root("pool", root.tag_name().name()));
        }
        Self::parse_node(root)
    }

    /// Parses a `<pool>` element.
    pub fn parse_node(root: roxmltree::Node<'_, '_>) -> Result<PoolDef> {
        let pool_type = match root.attribute("type") {
            None => {
                return Err(rvirt_types::Error::with_detail(
                    rvirt_types::ErrorDomain::XML,
                    rvirt_types::ErrorNumber::XML_ERROR,
                    "Missing required attribute 'type' in element 'pool'",
                ));
            }
            Some(t) => {
                PoolType::from_name(t).ok_or_else(|| xml::invalid_enum_attr("type", "pool", t))?
            }
        };
        let flags = pool_type.source_flags();
        let mut source = match child(root, "source") {
            Some(s) => PoolSource::parse(s, pool_type)?,
            None => PoolSource {
                format: pool_type.source_formats().map(|(_, d)| d.to_string()),
                ..PoolSource::default()
            },
        };
        let name = text_of(root, "name").or_else(|| {
            flags
                .contains(SourceFlags::NAME)
                .then(|| source.name.clone())
                .flatten()
        });
        let Some(name) = name else {
            return Err(xml_err("missing pool source name element"));
        };
        if name.contains('/') {
            return Err(xml_err(format!("name {name} cannot contain '/'")));
        }
        let uuid = match text_of(root, "uuid") {
            Some(u) => Uuid::parse(&u).map_err(|_| xml_err("malformed uuid element"))?,
            None => Uuid::generate(),
        };
        let cow = match child(root, "features").and_then(|f| child(f, "cow")) {
            Some(c) => {
                let v = yes_no(c, "state")?;
                if v.is_some() && !matches!(pool_type, PoolType::Fs | PoolType::Dir) {
                    return Err(rvirt_types::Error::with_detail(
                        super::FROM,
                        rvirt_types::ErrorNumber::NO_SUPPORT,
                        "cow feature may only be used for 'fs' and 'dir' pools",
                    ));
                }
                v
            }
            None => None,
        };
        if flags.contains(SourceFlags::HOST) && source.hosts.is_empty() {
            return Err(xml_err("missing storage pool source host name"));
        }
        if flags.contains(SourceFlags::DIR) && source.dir.is_none() {
            return Err(xml_err("missing storage pool source path"));
        }
        if flags.contains(SourceFlags::NAME) && source.name.is_none() {
            source.name = Some(name.clone());
        }
        if flags.contains(SourceFlags::ADAPTER) && source.adapter.is_none() {
            return Err(xml_err("missing storage pool source adapter"));
        }
        if flags == SourceFlags::DEVICE && source.devices.is_empty() {
            return Err(xml_err("missing storage pool source device name"));
        }
        let mut target_path = None;
        let mut target_perms = Perms::default();
        if !flags.contains(SourceFlags::NETWORK) {
            let target = child(root, "target");
            let src_name = source.name.clone().unwrap_or_default();
            let path = match pool_type {
                PoolType::Logical => format!("/dev/{src_name}"),
                PoolType::Zfs => format!("/dev/zvol/{src_name}"),
                _ => match target.and_then(|t| text_of(t, "path")) {
                    Some(p) => p,
                    None => return Err(xml_err("missing storage pool target path")),
                },
            };
            target_path = Some(sanitize_path(&path));
            target_perms = Perms::parse(target)?;
        }
        if pool_type == PoolType::IscsiDirect && source.initiator_iqn.is_none() {
            return Err(unsupported("missing initiator IQN"));
        }
        let refresh_allocation = match child(root, "refresh")
            .and_then(|r| child(r, "volume"))
            .and_then(|v| v.attribute("allocation"))
        {
            None => None,
            Some(a @ ("default" | "capacity")) => Some(a.to_string()),
            Some(a) => {
                return Err(unsupported(format!(
                    "unknown storage pool volume refresh allocation type {a}"
                )));
            }
        };
        Ok(PoolDef {
            pool_type,
            name,
            uuid,
            capacity: 0,
            allocation: 0,
            available: 0,
            cow,
            source,
            target_path,
            target_perms,
            refresh_allocation,
        })
    }

    /// Formats the definition as libvirt's `virStoragePoolDefFormat` does.
    pub fn format_xml(&self) -> String {
        let mut w = XmlWriter::default();
        w.start("pool", &[("type", self.pool_type.name())]);
        w.text("name", &[], &self.name);
        w.text("uuid", &[], &self.uuid.to_string());
        for (el, v) in [
            ("capacity", self.capacity),
            ("allocation", self.allocation),
            ("available", self.available),
        ] {
            w.text(el, &[("unit", "bytes")], &v.to_string());
        }
        if let Some(c) = self.cow {
            w.start("features", &[]);
            w.empty("cow", &[("state", if c { "yes" } else { "no" })]);
            w.end("features");
        }
        self.source.format(&mut w, self.pool_type);
        if self.pool_type.has_target() {
            w.start("target", &[]);
            if let Some(p) = &self.target_path {
                w.text("path", &[], p);
            }
            self.target_perms.format(&mut w);
            w.end("target");
        }
        if let Some(a) = &self.refresh_allocation {
            w.start("refresh", &[]);
            w.empty("volume", &[("allocation", a)]);
            w.end("refresh");
        }
        w.end("pool");
        w.finish()
    }

    /// The type of the volumes this pool holds (libvirt's test driver
    /// `testStorageVolumeTypeForPool`): 0 file, 1 block, 3 network.
    pub fn volume_type(&self) -> super::VolType {
        use super::VolType;
        match self.pool_type {
            PoolType::Dir | PoolType::Fs | PoolType::Netfs | PoolType::Vstorage => VolType::File,
            PoolType::Sheepdog | PoolType::IscsiDirect | PoolType::Gluster | PoolType::Rbd => {
                VolType::Network
            }
            _ => VolType::Block,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(xml: &str) -> String {
        match PoolDef::parse_xml(xml) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.message,
        }
    }

    #[test]
    fn errors_as_libvirt() {
        assert_eq!(
            err("<pool><name>a</name></pool>"),
            "XML error: Missing required attribute 'type' in element 'pool'"
        );
        assert_eq!(
            err("<pool type='dir'><target><path>/x</path></target></pool>"),
            "XML error: missing pool source name element"
        );
        assert_eq!(
            err("<pool type='dir'><name>a/b</name><target><path>/x</path></target></pool>"),
            "XML error: name a/b cannot contain '/'"
        );
        assert_eq!(
            err("<pool type='fs'><name>n</name><target><path>/x</path></target></pool>"),
            "XML error: missing storage pool source device name"
        );
        assert_eq!(
            err("<pool type='logical'><name>v</name><source><format type='x'/></source></pool>"),
            "unsupported configuration: unknown pool format type x"
        );
    }

    #[test]
    fn logical_pool_takes_its_name_and_target_from_the_source() {
        let p = PoolDef::parse_xml(
            "<pool type='logical'><source><name>vg</name><device path='/dev/sda'/></source></pool>",
        )
        .unwrap();
        assert_eq!(p.name, "vg");
        assert_eq!(p.target_path.as_deref(), Some("/dev/vg"));
        assert_eq!(p.source.format.as_deref(), Some("lvm2"));
    }

    #[test]
    fn never_panics_on_garbage() {
        for s in [
            "",
            "<pool",
            "<pool type='rbd'/>",
            "<pool type='scsi'><name>x</name><source><adapter/></source></pool>",
        ] {
            let _ = PoolDef::parse_xml(s);
        }
    }
}
