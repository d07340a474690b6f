//! `<devices>`: the typed device definitions and their XML.

use super::netdev;
use super::out::Out;
use crate::raw::{RawElement, RawNode};
use crate::xml::{self, attr_enum, child, parse_uint_auto};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

type Node<'a, 'i> = roxmltree::Node<'a, 'i>;

/// A device `<address>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// `type='pci'`.
    Pci {
        /// PCI domain.
        domain: u32,
        /// Bus.
        bus: u32,
        /// Slot.
        slot: u32,
        /// Function.
        function: u32,
        /// `multifunction='on|off'`.
        multifunction: Option<String>,
    },
    /// `type='drive'`.
    Drive {
        /// Controller index.
        controller: u32,
        /// Bus.
        bus: u32,
        /// Target.
        target: u32,
        /// Unit.
        unit: u32,
    },
    /// `type='virtio-serial'`.
    VirtioSerial {
        /// Controller index.
        controller: u32,
        /// Bus.
        bus: u32,
        /// Port (0: unset).
        port: u32,
    },
    /// `type='ccid'`.
    Ccid {
        /// Controller index.
        controller: u32,
        /// Slot.
        slot: u32,
    },
    /// `type='usb'`.
    Usb {
        /// Bus.
        bus: u32,
        /// Port path such as `1.2`.
        port: Option<String>,
    },
    /// `type='isa'`.
    Isa {
        /// I/O base.
        iobase: Option<u32>,
        /// IRQ.
        irq: Option<u32>,
    },
    /// Other known address types, kept as written.
    Other(RawElement),
}

const ADDRESS_TYPES: &[&str] = &[
    "pci",
    "drive",
    "virtio-serial",
    "ccid",
    "usb",
    "spapr-vio",
    "virtio-s390",
    "ccw",
    "virtio-mmio",
    "isa",
    "dimm",
    "unassigned",
];

fn addr_num(node: Node<'_, '_>, attr: &str) -> Result<Option<u32>> {
    match node.attribute(attr) {
        None => Ok(None),
        Some(v) => parse_uint_auto(v).map(Some).ok_or_else(|| {
            Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::INTERNAL_ERROR,
                format!("Cannot parse <address> '{attr}' attribute"),
            )
        }),
    }
}

/// A USB address's port path: up to four dot-separated numbers, written back as libvirt does
/// (up to the first zero; `None` when that leaves nothing).
fn usb_port(text: &str) -> Result<Option<String>> {
    let mut parts: Vec<u32> = Vec::new();
    let mut rest = text;
    for _ in 0..4 {
        // As strtoul in base 10: leading space and a plus sign are allowed, a minus is not.
        let t = rest.trim_start();
        let t = t.strip_prefix('+').unwrap_or(t);
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let Some(n) = t[..digits].parse::<u32>().ok().filter(|_| digits > 0) else {
            break;
        };
        parts.push(n);
        rest = &t[digits..];
        if rest.is_empty() {
            let kept: Vec<String> = parts
                .iter()
                .take_while(|p| **p != 0)
                .map(u32::to_string)
                .collect();
            return Ok(Some(kept.join(".")).filter(|s| !s.is_empty()));
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    Err(Error::with_detail(
        ErrorDomain::DOMAIN,
        ErrorNumber::INTERNAL_ERROR,
        "Cannot parse <address> 'port' attribute",
    ))
}

pub(super) fn pci_limit(what: &str, value: u32, max: u32, width: usize) -> Result<()> {
    if value > max {
        let detail = if what == "function" {
            format!("Invalid PCI address function=0x{value:x}, must be <= 7")
        } else {
            format!("Invalid PCI address {what}='0x{value:x}', must be <= 0x{max:0width$X}")
        };
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::XML_ERROR,
            detail,
        ));
    }
    Ok(())
}

impl Address {
    /// Parses the `<address>` child of a device, if any.
    pub fn parse_child(dev: Node<'_, '_>) -> Result<Option<Address>> {
        let Some(node) = child(dev, "address") else {
            return Ok(None);
        };
        let Some(t) = node.attribute("type") else {
            return Err(xml::config_unsupported(
                "No type specified for device address",
            ));
        };
        if !ADDRESS_TYPES.contains(&t) {
            return Err(xml::config_unsupported(format!(
                "unknown address type '{t}'"
            )));
        }
        let n = |a| addr_num(node, a).map(|v| v.unwrap_or(0));
        Ok(Some(match t {
            "pci" => {
                let (domain, bus, slot, function) =
                    (n("domain")?, n("bus")?, n("slot")?, n("function")?);
                pci_limit("domain", domain, 0xFFFF, 4)?;
                pci_limit("bus", bus, 0xFF, 2)?;
                pci_limit("slot", slot, 0x1F, 2)?;
                pci_limit("function", function, 7, 1)?;
                Address::Pci {
                    domain,
                    bus,
                    slot,
                    function,
                    multifunction: attr_enum(node, "multifunction", &["on", "off"])?
                        .map(str::to_string),
                }
            }
            "drive" => Address::Drive {
                controller: n("controller")?,
                bus: n("bus")?,
                target: n("target")?,
                unit: n("unit")?,
            },
            "virtio-serial" => Address::VirtioSerial {
                controller: n("controller")?,
                bus: n("bus")?,
                port: n("port")?,
            },
            "ccid" => Address::Ccid {
                controller: n("controller")?,
                slot: n("slot")?,
            },
            "usb" => Address::Usb {
                port: match node.attribute("port") {
                    None => None,
                    Some(p) => usb_port(p)?,
                },
                bus: n("bus")?,
            },
            "isa" => Address::Isa {
                iobase: addr_num(node, "iobase")?,
                irq: addr_num(node, "irq")?,
            },
            "dimm" => Address::Other(dimm_address(node)?),
            _ => Address::Other(RawElement::from_node(node, false)),
        }))
    }

    pub(crate) fn format(&self, o: &mut Out) {
        let num = |o: &mut Out, k: &str, v: u32| o.attr(k, &v.to_string());
        match self {
            Address::Pci {
                domain,
                bus,
                slot,
                function,
                multifunction,
            } => {
                o.open("address");
                o.attr("type", "pci");
                o.attr("domain", &format!("0x{domain:04x}"));
                o.attr("bus", &format!("0x{bus:02x}"));
                o.attr("slot", &format!("0x{slot:02x}"));
                o.attr("function", &format!("0x{function:x}"));
                o.attr_opt("multifunction", multifunction.as_deref());
            }
            Address::Drive {
                controller,
                bus,
                target,
                unit,
            } => {
                o.open("address");
                o.attr("type", "drive");
                num(o, "controller", *controller);
                num(o, "bus", *bus);
                num(o, "target", *target);
                num(o, "unit", *unit);
            }
            Address::VirtioSerial {
                controller,
                bus,
                port,
            } => {
                o.open("address");
                o.attr("type", "virtio-serial");
                num(o, "controller", *controller);
                num(o, "bus", *bus);
                if *port != 0 {
                    num(o, "port", *port);
                }
            }
            Address::Ccid { controller, slot } => {
                o.open("address");
                o.attr("type", "ccid");
                num(o, "controller", *controller);
                num(o, "slot", *slot);
            }
            Address::Usb { bus, port } => {
                o.open("address");
                o.attr("type", "usb");
                num(o, "bus", *bus);
                o.attr_opt("port", port.as_deref());
            }
            Address::Isa { iobase, irq } => {
                o.open("address");
                o.attr("type", "isa");
                if let Some(v) = iobase {
                    o.attr("iobase", &format!("0x{v:x}"));
                }
                if let Some(v) = irq {
                    o.attr("irq", &format!("0x{v:x}"));
                }
            }
            Address::Other(raw) => {
                o.raw(raw);
                return;
            }
        }
        o.close_empty();
    }
}

/// What every device may carry: boot order, alias, address.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeviceInfo {
    /// `<boot order='N'/>`.
    pub boot_order: Option<u32>,
    /// `<alias name='…'/>`: a running domain's device name (a QEMU device id), or a user
    /// alias (`ua-…`), the only kind an inactive definition keeps.
    pub alias: Option<String>,
    /// `<address>`.
    pub address: Option<Address>,
}

impl DeviceInfo {
    pub(super) fn parse(dev: Node<'_, '_>, allow_boot: bool) -> Result<DeviceInfo> {
        let boot_order = match child(dev, "boot").filter(|_| allow_boot) {
            None => None,
            Some(b) => {
                let Some(v) = b.attribute("order") else {
                    return Err(xml::internal_error("missing boot order attribute"));
                };
                match v.trim().parse::<u32>() {
                    Ok(n) if n > 0 => Some(n),
                    Ok(_) => {
                        return Err(Error::with_detail(
                            ErrorDomain::XML,
                            ErrorNumber::XML_ERROR,
                            "Invalid value for attribute 'order' in element 'boot': \
                             Zero is not permitted",
                        ));
                    }
                    _ => {
                        return Err(xml::internal_error(format!(
                            "incorrect boot order '{v}', expecting positive integer"
                        )));
                    }
                }
            }
        };
        // Every alias is read here; `Devices::drop_runtime_aliases` leaves only user aliases
        // in a definition that is not live status.
        let alias = child(dev, "alias")
            .and_then(|a| a.attribute("name"))
            .map(str::to_string);
        Ok(DeviceInfo {
            boot_order,
            alias,
            address: Address::parse_child(dev)?,
        })
    }

    fn format(&self, o: &mut Out) {
        self.format_with_rom(o, None);
    }

    /// The info as elements (boot, alias, `rom`, address), for devices kept as trees.
    pub(super) fn to_raw(&self, rom: Option<&RawElement>) -> Vec<RawElement> {
        let mut o = Out::new(128);
        o.open("info");
        o.start_children();
        self.format_with_rom(&mut o, rom);
        o.end("info");
        roxmltree::Document::parse(&o.s)
            .map(|doc| {
                doc.root_element()
                    .children()
                    .filter(|c| c.is_element())
                    .map(|c| RawElement::from_node(c, false))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Formats the info with a kept `<rom>`, which libvirt prints after the alias.
    fn format_with_rom(&self, o: &mut Out, rom: Option<&RawElement>) {
        if let Some(b) = self.boot_order {
            o.open("boot");
            o.attr("order", &b.to_string());
            o.close_empty();
        }
        if let Some(a) = &self.alias {
            o.open("alias");
            o.attr("name", a);
            o.close_empty();
        }
        if let Some(r) = rom {
            o.raw(r);
        }
        if let Some(a) = &self.address {
            a.format(o);
        }
    }
}

/// The attributes of a character device's `<source>` in libvirt's order (and the status
/// file's mark of a driver-set `tls` last).
const CHR_SOURCE_ORDER: &[&str] = &[
    "mode",
    "host",
    "service",
    "path",
    "append",
    "tls",
    "channel",
    "tlsFromConfig",
];

/// Orders `attrs` as libvirt prints them: names in `order` first, in that order, the rest after.
fn sort_attrs(attrs: &mut [(String, String)], order: &[&str]) {
    attrs.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
}

fn attrs_of(node: Node<'_, '_>) -> Vec<(String, String)> {
    node.attributes()
        .map(|a| (a.name().to_string(), a.value().to_string()))
        .collect()
}

fn write_attrs(o: &mut Out, attrs: &[(String, String)]) {
    for (k, v) in attrs {
        o.attr(k, v);
    }
}

/// The element children of `node` named in `keep`, as trees (libvirt ignores the others).
fn known_children(node: Node<'_, '_>, keep: &[&str]) -> Vec<RawElement> {
    node.children()
        .filter(|c| c.is_element() && keep.contains(&c.tag_name().name()))
        .map(|c| RawElement::from_node(c, false))
        .collect()
}

fn raw_children(node: Node<'_, '_>, skip: &[&str]) -> Vec<RawElement> {
    node.children()
        .filter(|c| c.is_element() && !skip.contains(&c.tag_name().name()))
        .map(|c| RawElement::from_node(c, false))
        .collect()
}

/// The port a network disk's tcp host gets when it names none (libvirt's defaults per
/// protocol; 0 where there is none: rbd, nfs).
fn network_default_port(protocol: &str) -> u32 {
    match protocol {
        "http" => 80,
        "https" => 443,
        "ftp" => 21,
        "ftps" => 990,
        "tftp" => 69,
        "sheepdog" => 7000,
        "nbd" => 10809,
        "ssh" => 22,
        "iscsi" => 3260,
        "gluster" => 24007,
        "vxhs" => 9999,
        _ => 0,
    }
}

/// A host's port as libvirt reads it: a non-negative decimal number up to 65535.
fn parse_host_port(text: &str) -> Result<u32> {
    let invalid =
        |what: String| Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::INVALID_ARG, what);
    let digits = text.trim_start();
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    let value: u64 = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().unwrap_or(u64::MAX)
    } else {
        return Err(invalid(format!("failed to parse port number '{text}'")));
    };
    if value > u64::from(u32::MAX) {
        return Err(invalid(format!("failed to parse port number '{text}'")));
    }
    if value > u64::from(u16::MAX) {
        return Err(invalid(format!("port '{text}' out of range")));
    }
    Ok(value as u32)
}

/// The `<host>` children of a network disk's `<source>` in libvirt's model: transport tcp
/// (the default, not written back), unix (a socket, no name or port) or rdma; a tcp host
/// without a port gets the protocol's default one. Other attributes and children of
/// `<host>` are dropped, as libvirt does not read them.
pub(super) fn network_hosts(protocol: &str, children: &mut [RawElement]) -> Result<()> {
    for host in children.iter_mut().filter(|c| c.name == "host") {
        let transport = host.attr("transport").map(str::to_string);
        let kind = match transport.as_deref() {
            None | Some("tcp") => "tcp",
            Some(t @ ("unix" | "rdma")) => t,
            Some(t) => {
                return Err(xml::config_unsupported(format!(
                    "unknown protocol transport type '{t}'"
                )));
            }
        };
        let socket = host.attr("socket").map(str::to_string);
        if kind == "unix" && socket.is_none() {
            return Err(xml::xml_error("missing socket for unix transport"));
        }
        if kind != "unix" && socket.is_some() {
            return Err(xml::xml_error(format!(
                "transport '{}' does not support socket attribute",
                transport.as_deref().unwrap_or("(null)")
            )));
        }
        let mut attrs = Vec::new();
        if kind != "unix" {
            let Some(name) = host.attr("name").map(str::to_string) else {
                return Err(xml::xml_error("missing name for host"));
            };
            let mut port = match host.attr("port") {
                Some(p) => parse_host_port(p)?,
                None => 0,
            };
            if kind == "tcp" && port == 0 {
                port = network_default_port(protocol);
            }
            attrs.push(("name".to_string(), name));
            if port != 0 {
                attrs.push(("port".to_string(), port.to_string()));
            }
        }
        if kind != "tcp" {
            attrs.push(("transport".to_string(), kind.to_string()));
        }
        if let Some(socket) = socket {
            attrs.push(("socket".to_string(), socket));
        }
        host.attrs = attrs;
        host.children.clear();
    }
    Ok(())
}

/// `<disk>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskDef {
    /// `type`: file, block, dir, network, volume, nvme, vhostuser.
    pub disk_type: String,
    /// `device`: disk, cdrom, floppy, lun.
    pub device: String,
    /// Other attributes of `<disk>` (model, rawio, sgio, snapshot).
    pub extra_attrs: Vec<(String, String)>,
    /// `<driver>` attributes, in libvirt's order.
    pub driver: Vec<(String, String)>,
    /// `<source>` attributes, in libvirt's order.
    pub source: Option<Vec<(String, String)>>,
    /// Children of `<source>` (hosts, auth, …).
    pub source_children: Vec<RawElement>,
    /// `<target dev>`.
    pub target_dev: String,
    /// `<target bus>`, filled from the device name when absent.
    pub bus: String,
    /// Other `<target>` attributes (tray, removable, rotation_rate).
    pub target_extra: Vec<(String, String)>,
    /// `<readonly/>`.
    pub readonly: bool,
    /// `<shareable/>`.
    pub shareable: bool,
    /// `<transient/>`.
    pub transient: bool,
    /// `<serial>`.
    pub serial: Option<String>,
    /// `<wwn>`.
    pub wwn: Option<String>,
    /// `<vendor>`.
    pub vendor: Option<String>,
    /// `<product>`.
    pub product: Option<String>,
    /// Kept children (backingStore, geometry, blockio, iotune, encryption…), in libvirt's
    /// order: those ranked before the target by [`disk_child_rank`] are printed before it.
    pub extra: Vec<RawElement>,
    /// Boot order, alias, address.
    pub info: DeviceInfo,
    /// Where a `type='volume'` disk's storage really is, once a driver has looked its pool up.
    pub translated: TranslatedSource,
}

/// The storage a `type='volume'` disk resolves to through its pool, as libvirt's
/// `virDomainDiskTranslateSourcePool` records it: the disk keeps `type='volume'` and its
/// `<source pool volume>`, and this says which file, block device or folder it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActualSource {
    /// The disk type the volume amounts to: `file`, `block` or `dir`.
    pub disk_type: String,
    /// The volume's path.
    pub path: String,
}

/// A disk's [`ActualSource`], when a driver has resolved one. Runtime state, as libvirt keeps
/// it beside the definition: never parsed, never formatted, and two disks that differ only
/// here compare equal.
#[derive(Clone, Debug, Default, Eq)]
pub struct TranslatedSource(pub Option<ActualSource>);

impl PartialEq for TranslatedSource {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

const DISK_TYPES: &[&str] = &[
    "block",
    "file",
    "dir",
    "network",
    "volume",
    "nvme",
    "vhostuser",
];
const DISK_DEVICES: &[&str] = &["floppy", "disk", "cdrom", "lun"];
const DISK_BUSES: &[&str] = &[
    "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd",
];
const DISK_CACHE: &[&str] = &[
    "default",
    "none",
    "writethrough",
    "writeback",
    "directsync",
    "unsafe",
];
const DISK_PROTOCOLS: &[&str] = &[
    "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http", "https", "ftp", "ftps", "tftp", "ssh",
    "vxhs", "nfs",
];
const DRIVER_ORDER: &[&str] = &[
    "name",
    "type",
    "cache",
    "error_policy",
    "rerror_policy",
    "io",
    "ioeventfd",
    "event_idx",
    "copy_on_read",
    "discard",
    "iothread",
    "detect_zeroes",
    "queues",
    "queue_size",
];

/// The `<disk>` attributes libvirt reads besides `type` and `device`, in its order.
const DISK_ATTRS: &[&str] = &["model", "rawio", "sgio", "snapshot"];

/// The `<disk>` children rvirt keeps as trees; libvirt ignores children it does not know.
const DISK_KEPT_CHILDREN: &[&str] = &[
    "auth",
    "backingStore",
    "backenddomain",
    "geometry",
    "blockio",
    "iotune",
    "encryption",
];

/// Where a kept `<disk>` child goes: below [`DISK_TARGET_RANK`] before `<target>`.
pub(super) fn disk_child_rank(name: &str) -> u8 {
    match name {
        "auth" => 0,
        "backingStore" => 1,
        "backenddomain" => 2,
        "geometry" => 3,
        "blockio" => 4,
        "iotune" => 10,
        _ => 20,
    }
}

const DISK_TARGET_RANK: u8 = 5;

/// libvirt's `virDiskNameToIndex`: `sda` → 0, `hdz` → 25, `vdaa` → 26.
pub fn disk_name_to_index(name: &str) -> Option<u32> {
    let rest = ["fd", "hd", "vd", "sd", "xvd", "ubd"]
        .iter()
        .find_map(|p| name.strip_prefix(p))?;
    let letters: &str = rest.trim_end_matches(|c: char| c.is_ascii_digit());
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let mut idx: u64 = 0;
    for (i, b) in letters.bytes().enumerate() {
        idx = (idx + u64::from(i > 0)) * 26 + u64::from(b - b'a');
        if idx > u64::from(u32::MAX) {
            return None;
        }
    }
    u32::try_from(idx).ok()
}

/// libvirt's checks of a volume disk's `<source>`: a pool and a volume come together (a CD-ROM
/// or floppy may have neither, and then no mode either), and a mode is `host` or `direct`.
fn volume_source_attrs(attrs: &mut Vec<(String, String)>) -> Result<()> {
    let has = |key: &str| attrs.iter().any(|(k, _)| k == key);
    match (has("pool"), has("volume")) {
        (false, false) => {
            attrs.retain(|(k, _)| k != "mode");
            return Ok(());
        }
        (true, true) => {}
        _ => {
            return Err(xml::xml_error(
                "'pool' and 'volume' must be specified together for 'pool' type source",
            ));
        }
    }
    match attrs.iter().find(|(k, _)| k == "mode") {
        Some((_, m)) if m != "host" && m != "direct" => Err(xml::config_unsupported(format!(
            "unknown source mode '{m}' for volume type disk"
        ))),
        _ => Ok(()),
    }
}

fn source_attr_order(disk_type: &str) -> &'static [&'static str] {
    match disk_type {
        "file" => &["file", "startupPolicy"],
        "block" => &["dev", "startupPolicy"],
        "dir" => &["dir", "startupPolicy"],
        "network" => &["protocol", "name", "tls", "query"],
        "volume" => &["pool", "volume", "mode", "startupPolicy"],
        _ => &[],
    }
}

impl DiskDef {
    /// The source path (file, dev, dir or name), as libvirt names the disk in messages; for a
    /// `type='volume'` disk the path its pool resolved it to, if a driver has (libvirt's
    /// `virDomainDiskGetSource`).
    pub fn source_path(&self) -> Option<&str> {
        let key = match self.disk_type.as_str() {
            "file" => "file",
            "block" => "dev",
            "dir" => "dir",
            "network" => "name",
            "volume" => return self.translated.0.as_ref().map(|a| a.path.as_str()),
            _ => return None,
        };
        self.source
            .as_ref()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The `<backingStore>` layers of the disk's chain, from the one under its image down, as
    /// far as the XML names them.
    pub fn backing_layers(&self) -> impl Iterator<Item = &RawElement> {
        std::iter::successors(self.extra.iter().find(|e| e.name == "backingStore"), |b| {
            b.child("backingStore")
        })
    }

    /// The backing images QEMU opens as local files or block devices, from the top down: each
    /// layer's `<source>` and its path (none when the source names none), up to the first
    /// layer of another type or without a source.
    pub fn local_backing_sources(&self) -> impl Iterator<Item = (&RawElement, Option<&str>)> {
        self.backing_layers().map_while(|b| {
            if !matches!(b.attr("type"), Some("file" | "block")) {
                return None;
            }
            let src = b.child("source")?;
            Some((src, src.attr("file").or_else(|| src.attr("dev"))))
        })
    }

    /// The type of storage the disk really uses (libvirt's `virStorageSourceGetActualType`):
    /// for a resolved `type='volume'` disk that of its volume, otherwise its own type.
    pub fn actual_type(&self) -> &str {
        match &self.translated.0 {
            Some(a) if self.disk_type == "volume" => &a.disk_type,
            _ => &self.disk_type,
        }
    }

    /// A `type='volume'` disk's pool, volume and mode (`<source pool volume mode>`).
    pub fn volume_source(&self) -> Option<(&str, &str, Option<&str>)> {
        if self.disk_type != "volume" {
            return None;
        }
        let src = self.source.as_ref()?;
        let get = |key: &str| src.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        Some((get("pool")?, get("volume")?, get("mode")))
    }

    fn parse(node: Node<'_, '_>) -> Result<DiskDef> {
        let disk_type = attr_enum(node, "type", DISK_TYPES)?
            .unwrap_or("file")
            .to_string();
        let device = attr_enum(node, "device", DISK_DEVICES)?
            .unwrap_or("disk")
            .to_string();
        // libvirt reads only these; anything else is dropped.
        let mut extra_attrs: Vec<(String, String)> = attrs_of(node)
            .into_iter()
            .filter(|(k, _)| DISK_ATTRS.contains(&k.as_str()))
            .collect();
        sort_attrs(&mut extra_attrs, DISK_ATTRS);
        if let Some(drv) = child(node, "driver") {
            attr_enum(drv, "cache", DISK_CACHE)?;
        }
        if let Some(s) = child(node, "source").filter(|_| disk_type == "network") {
            match s.attribute("protocol") {
                None => {
                    return Err(Error::with_detail(
                        ErrorDomain::XML,
                        ErrorNumber::XML_ERROR,
                        "Missing required attribute 'protocol' in element 'source'",
                    ));
                }
                Some(_) => {
                    attr_enum(s, "protocol", DISK_PROTOCOLS)?;
                }
            }
        }
        if let Some(t) = child(node, "target") {
            attr_enum(t, "tray", &["closed", "open"])?;
        }
        let mut driver = child(node, "driver").map(attrs_of).unwrap_or_default();
        sort_attrs(&mut driver, DRIVER_ORDER);
        let src = child(node, "source");
        let source = src.map(|s| {
            let mut a = attrs_of(s);
            sort_attrs(&mut a, source_attr_order(&disk_type));
            a
        });
        let mut source = source;
        if let (Some(a), "volume") = (source.as_mut(), disk_type.as_str()) {
            volume_source_attrs(a)?;
        }
        let mut source_children = src.map(|s| raw_children(s, &[])).unwrap_or_default();
        if disk_type == "network" {
            let protocol = src.and_then(|s| s.attribute("protocol")).unwrap_or("");
            network_hosts(protocol, &mut source_children)?;
        }
        let target = child(node, "target");
        let bus = match target {
            Some(t) => attr_enum(t, "bus", DISK_BUSES)?,
            None => None,
        };
        let target_extra = target
            .map(|t| {
                attrs_of(t)
                    .into_iter()
                    .filter(|(k, _)| k != "dev" && k != "bus")
                    .collect()
            })
            .unwrap_or_default();
        let disk = DiskDef {
            disk_type,
            device,
            extra_attrs,
            driver,
            source,
            source_children,
            target_dev: target
                .and_then(|t| t.attribute("dev"))
                .unwrap_or("")
                .to_string(),
            bus: bus.unwrap_or("").to_string(),
            target_extra,
            readonly: child(node, "readonly").is_some(),
            shareable: child(node, "shareable").is_some(),
            transient: child(node, "transient").is_some(),
            serial: xml::child_text(node, "serial").map(str::to_string),
            wwn: xml::child_text(node, "wwn").map(str::to_string),
            extra: known_children(node, DISK_KEPT_CHILDREN),
            vendor: xml::child_text(node, "vendor").map(str::to_string),
            product: xml::child_text(node, "product").map(str::to_string),
            info: DeviceInfo::parse(node, true)?,
            translated: TranslatedSource::default(),
        };
        let mut disk = disk;
        for e in &mut disk.extra {
            let path = format!("disk/{}", e.name);
            super::canon::canonicalize(e, &path)?;
        }
        disk.extra.sort_by_key(|e| disk_child_rank(&e.name));
        if disk.target_dev.is_empty() {
            return Err(Error::new(
                ErrorDomain::DOMAIN,
                ErrorNumber::NO_TARGET,
                disk.source_path().map(str::to_string),
            ));
        }
        Ok(disk)
    }

    /// Fills the bus from the device name, as libvirt does after parsing.
    fn fill_bus(&mut self) {
        if self.device == "cdrom" {
            self.readonly = true;
        }
        if self.bus.is_empty() {
            let d = self.target_dev.as_str();
            self.bus = if self.device == "floppy" {
                "fdc"
            } else if d.starts_with("hd") {
                "ide"
            } else if d.starts_with("sd") {
                "scsi"
            } else if d.starts_with("vd") {
                "virtio"
            } else if d.starts_with("xvd") {
                "xen"
            } else if d.starts_with("ubd") {
                "uml"
            } else {
                "ide"
            }
            .into();
        }
    }

    /// Assigns a drive address to disks on buses that use one, as libvirt does.
    fn assign_address(&mut self) {
        if self.info.address.is_some() {
            return;
        }
        let Some(idx) = disk_name_to_index(&self.target_dev) else {
            return;
        };
        let (per_ctrl, per_bus) = match self.bus.as_str() {
            "scsi" => (7, 7),
            "ide" => (4, 2),
            "fdc" => (2, 2),
            "sata" => (6, 6),
            _ => return,
        };
        self.info.address = Some(Address::Drive {
            controller: idx / per_ctrl,
            bus: (idx % per_ctrl) / per_bus,
            target: 0,
            unit: idx % per_bus,
        });
    }

    fn format(&self, o: &mut Out) {
        o.open("disk");
        o.attr("type", &self.disk_type);
        o.attr("device", &self.device);
        write_attrs(o, &self.extra_attrs);
        let m = o.start_children();
        if !self.driver.is_empty() {
            o.open("driver");
            write_attrs(o, &self.driver);
            o.close_empty();
        }
        if let Some(src) = &self.source {
            o.open("source");
            write_attrs(o, src);
            if self.source_children.is_empty() {
                o.close_empty();
            } else {
                o.start_children();
                for c in &self.source_children {
                    o.raw(c);
                }
                o.end("source");
            }
        }
        let (before, after): (Vec<&RawElement>, Vec<&RawElement>) = self
            .extra
            .iter()
            .partition(|e| disk_child_rank(&e.name) < DISK_TARGET_RANK);
        for e in before {
            o.raw(e);
        }
        o.open("target");
        o.attr("dev", &self.target_dev);
        o.attr("bus", &self.bus);
        write_attrs(o, &self.target_extra);
        o.close_empty();
        let (iotune, after): (Vec<&RawElement>, Vec<&RawElement>) =
            after.into_iter().partition(|e| e.name == "iotune");
        for e in iotune {
            o.raw(e);
        }
        for (flag, name) in [
            (self.readonly, "readonly"),
            (self.shareable, "shareable"),
            (self.transient, "transient"),
        ] {
            if flag {
                o.open(name);
                o.close_empty();
            }
        }
        if let Some(s) = &self.serial {
            o.text_el("serial", s);
        }
        if let Some(s) = &self.wwn {
            o.text_el("wwn", s);
        }
        if let Some(s) = &self.vendor {
            o.text_el("vendor", s);
        }
        if let Some(s) = &self.product {
            o.text_el("product", s);
        }
        for e in after {
            o.raw(e);
        }
        self.info.format(o);
        o.end_children("disk", m);
    }
}

/// `<controller>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerDef {
    /// `type`.
    pub ctrl_type: String,
    /// `index`.
    pub index: u32,
    /// `model`.
    pub model: Option<String>,
    /// Other attributes (ports, vectors, maxGrantFrames…).
    pub extra_attrs: Vec<(String, String)>,
    /// Children other than the address (driver, target, master, model…).
    pub extra: Vec<RawElement>,
    /// Alias and address.
    pub info: DeviceInfo,
}

const CONTROLLER_TYPES: &[&str] = &[
    "ide",
    "fdc",
    "scsi",
    "sata",
    "virtio-serial",
    "ccid",
    "usb",
    "pci",
    "xenbus",
    "isa",
];

const USB_MODELS: &[&str] = &[
    "piix3-uhci",
    "piix4-uhci",
    "ehci",
    "ich9-ehci1",
    "ich9-uhci1",
    "ich9-uhci2",
    "ich9-uhci3",
    "vt82c686b-uhci",
    "pci-ohci",
    "nec-xhci",
    "qusb1",
    "qusb2",
    "qemu-xhci",
    "none",
];

impl ControllerDef {
    fn parse(node: Node<'_, '_>) -> Result<(ControllerDef, bool)> {
        let ctrl_type = attr_enum(node, "type", CONTROLLER_TYPES)?
            .unwrap_or("ide")
            .to_string();
        let index = match node.attribute("index") {
            None => None,
            Some(v) => Some(v.trim().parse::<u32>().map_err(|_| {
                if v.trim().starts_with('-') {
                    Error::with_detail(
                        ErrorDomain::XML,
                        ErrorNumber::XML_ERROR,
                        format!(
                            "Invalid value for attribute 'index' in element \
                                     'controller': '{v}'. Expected non-negative value"
                        ),
                    )
                } else {
                    xml::xml_error(format!("Cannot parse controller index {v}"))
                }
            })?),
        };
        if ctrl_type == "usb" {
            if let Some(m) = node.attribute("model") {
                if !USB_MODELS.contains(&m) {
                    return Err(xml::config_unsupported(format!("Unknown model type '{m}'")));
                }
            }
        }
        let mut extra_attrs: Vec<(String, String)> = attrs_of(node)
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "type" | "index" | "model"))
            .collect();
        sort_attrs(
            &mut extra_attrs,
            &["ports", "vectors", "maxGrantFrames", "maxEventChannels"],
        );
        Ok((
            ControllerDef {
                ctrl_type,
                index: index.unwrap_or(0),
                model: node.attribute("model").map(str::to_string),
                extra_attrs,
                extra: raw_children(node, &["alias", "address", "boot"]),
                info: DeviceInfo::parse(node, false)?,
            },
            index.is_some(),
        ))
    }

    fn format(&self, o: &mut Out) {
        o.open("controller");
        o.attr("type", &self.ctrl_type);
        o.attr("index", &self.index.to_string());
        o.attr_opt("model", self.model.as_deref());
        write_attrs(o, &self.extra_attrs);
        let m = o.start_children();
        for e in &self.extra {
            o.raw(e);
        }
        self.info.format(o);
        o.end_children("controller", m);
    }
}

/// `<interface>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetDef {
    /// `type`: network, bridge, user, ethernet, direct…
    pub net_type: String,
    /// What a `network` interface of a running guest is on its network when that is not a
    /// virtual network's bridge: `bridge` (a host bridge) or `direct` (a macvtap on one of
    /// the network's devices). Live XML shows it as the type, with the network in `<source>`
    /// beside the bridge or the device and mode (libvirt's actual network definition).
    pub actual_type: Option<String>,
    /// `<mac address>`, lowercase; generated (`52:54:00:…`) when absent.
    pub mac: String,
    /// `<source>` attributes, in libvirt's order.
    pub source: Vec<(String, String)>,
    /// A vhost-user interface's `<source><reconnect>` (enabled, timeout when enabled).
    pub source_reconnect: Option<(bool, u32)>,
    /// A udp interface's `<source><local>`: its own address and port.
    pub source_local: Option<(String, i32)>,
    /// A hostdev interface's `<source>` children: the host device's address and the rest
    /// (a USB device's vendor and product) as written.
    pub hostdev_source: Option<(Option<Address>, Vec<RawElement>)>,
    /// A hostdev interface's `managed='yes'`.
    pub managed: bool,
    /// `<target dev>`.
    pub target_dev: Option<String>,
    /// `<target managed>` (yes/no), for an interface whose tap device libvirt may create.
    pub target_managed: Option<String>,
    /// `<model type>`.
    pub model: Option<String>,
    /// Other children (driver, link, mtu, bandwidth, vlan, virtualport…), kept.
    pub extra: Vec<RawElement>,
    /// Boot order, alias, address.
    pub info: DeviceInfo,
    /// Runtime only, never formatted: whether the port a network gave this interface is
    /// isolated (its own `<port isolated>`, else the network's), for the start that plugs it.
    pub network_port_isolated: Option<bool>,
}

/// The interface types QEMU runs on its socket netdev.
const SOCKET_NET_TYPES: [&str; 4] = ["server", "client", "mcast", "udp"];

const NET_TYPES: &[&str] = &[
    "user",
    "ethernet",
    "vhostuser",
    "server",
    "client",
    "mcast",
    "network",
    "bridge",
    "internal",
    "direct",
    "hostdev",
    "udp",
    "vdpa",
    "null",
    "vds",
];

/// A memory device's `<address type='dimm'>` as libvirt reads and writes it back: `slot` a
/// required decimal, `base` hexadecimal with or without its `0x` (`base='1000'` is 0x1000),
/// written as `0x…` and left out when 0.
fn dimm_address(node: Node<'_, '_>) -> Result<RawElement> {
    let slot = xml::prop_uint(node, "slot", true, false, u64::from(u32::MAX))?.unwrap_or(0);
    let base = match node.attribute("base") {
        None => 0,
        Some(v) => xml::parse_hex(v).ok_or_else(|| {
            xml::xml_error(format!(
                "Invalid value for attribute 'base' in element 'address': '{v}'. \
                         Expected non-negative integer value"
            ))
        })?,
    };
    let mut attrs = vec![
        ("type".to_string(), "dimm".to_string()),
        ("slot".to_string(), slot.to_string()),
    ];
    if base != 0 {
        attrs.push(("base".to_string(), format!("{base:#x}")));
    }
    Ok(RawElement {
        name: "address".to_string(),
        attrs,
        children: Vec::new(),
    })
}

/// Parses a MAC address as libvirt does (six `:`-separated hex bytes); lowercase canonical form.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Formats a MAC address as libvirt prints it.
pub fn format_mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// A random MAC address with QEMU's prefix `52:54:00`.
pub fn generate_mac() -> String {
    let r = rvirt_types::Uuid::generate();
    let b = r.as_bytes();
    format_mac(&[0x52, 0x54, 0x00, b[0], b[1], b[2]])
}

/// Where a kept `<interface>` child goes: below [`NET_TARGET_RANK`] before `<target>`, the
/// rest after `<model>`.
pub(super) fn net_child_rank(name: &str) -> u8 {
    match name {
        "ip" => 0,
        "route" => 1,
        "vlan" => 2,
        "virtualport" => 3,
        "bandwidth" => 4,
        "port" => 5,
        "portForward" => 6,
        "script" => 7,
        "downscript" => 8,
        "backenddomain" => 9,
        "guest" => 11,
        "driver" => 12,
        "backend" => 13,
        "filterref" => 14,
        "tune" => 15,
        "teaming" => 16,
        "link" => 17,
        "mtu" => 18,
        "coalesce" => 19,
        _ => NET_UNKNOWN_RANK,
    }
}

/// The rank of `<interface>` children libvirt does not read itself (`rom` and `acpi`, which
/// belong to the device info, and unknown ones).
const NET_UNKNOWN_RANK: u8 = 30;

const NET_TARGET_RANK: u8 = 10;

impl NetDef {
    fn parse(node: Node<'_, '_>, live: bool) -> Result<NetDef> {
        let Some(net_type) = attr_enum(node, "type", NET_TYPES)? else {
            return Err(xml::xml_error(
                "missing type attribute in interface element",
            ));
        };
        let mac = match child(node, "mac").and_then(|m| m.attribute("address")) {
            None => generate_mac(),
            Some(a) => {
                let m = parse_mac(a)
                    .ok_or_else(|| xml::xml_error(format!("unable to parse mac address '{a}'")))?;
                let s = format_mac(&m);
                if m[0] & 1 != 0 {
                    return Err(xml::xml_error(format!(
                        "expected unicast mac address, found multicast '{a}'"
                    )));
                }
                s
            }
        };
        let src = child(node, "source");
        if src.is_none()
            && matches!(
                net_type,
                "network"
                    | "bridge"
                    | "direct"
                    | "vhostuser"
                    | "udp"
                    | "vdpa"
                    | "server"
                    | "client"
                    | "mcast"
            )
        {
            return Err(xml::xml_error(format!(
                "interface type='{net_type}' requires a 'source' element"
            )));
        }
        // libvirt 9.0 as Debian builds it knows no backend type at all (not even 'default').
        if let Some(t) = child(node, "backend").and_then(|b| b.attribute("type")) {
            return Err(xml::invalid_enum_attr("type", "backend", t));
        }
        if net_type == "vhostuser"
            && src.is_some_and(|s| {
                s.attribute("mode") == Some("server")
                    && child(s, "reconnect").and_then(|r| r.attribute("enabled")) == Some("yes")
            })
        {
            return Err(xml::config_unsupported(
                "'reconnect' attribute unsupported 'server' mode for <interface type='vhostuser'>",
            ));
        }
        // The attribute each type's source is named by (libvirt reads it as required).
        let required = match net_type {
            "network" => Some("network"),
            "bridge" => Some("bridge"),
            "direct" | "vdpa" => Some("dev"),
            "vhostuser" => Some("type"),
            _ => None,
        };
        if let (Some(name), Some(s)) = (required, src) {
            xml::attr_value(s, name, true)?;
        }
        let mut source = match (net_type, src) {
            ("user" | "ethernet", _) | (_, None) => Vec::new(),
            (_, Some(s)) => attrs_of(s),
        };
        // A socket interface: the peer's (or, listening, its own) address and port; a udp
        // one its own address and port too.
        let mut source_local = None;
        if SOCKET_NET_TYPES.contains(&net_type)
            && let Some(s) = src
        {
            xml::attr_value(s, "address", net_type != "server")?;
            let port = xml::prop_int(s, "port", true)?.unwrap_or(0);
            for (k, v) in &mut source {
                if k == "port" {
                    *v = port.to_string();
                }
            }
            if net_type == "udp" {
                let local = child(s, "local").ok_or_else(|| {
                    xml::xml_error("'<local>' element missing for 'udp' socket interface")
                })?;
                let address = xml::attr_value(local, "address", true)?.unwrap_or_default();
                let port = xml::prop_int(local, "port", true)?.unwrap_or(0);
                source_local = Some((address.to_string(), port));
            }
        }
        // libvirt reads only the network's name and portgroup for type='network'; a bridge
        // there is runtime state, kept only when parsing a live status document.
        if net_type == "network" && !live {
            source.retain(|(k, _)| k == "network" || k == "portgroup");
        }
        if net_type == "direct" && !source.iter().any(|(k, _)| k == "mode") {
            source.push(("mode".into(), "vepa".into()));
        }
        if net_type == "vhostuser" {
            sort_attrs(&mut source, &["type", "path", "mode"]);
        } else {
            sort_attrs(
                &mut source,
                &[
                    "network",
                    "portgroup",
                    "portid",
                    "bridge",
                    "dev",
                    "mode",
                    "type",
                    "path",
                    "address",
                    "port",
                ],
            );
        }
        let source_reconnect = match src.and_then(|s| child(s, "reconnect")) {
            Some(r) if net_type == "vhostuser" => match attr_enum(r, "enabled", &["yes", "no"])? {
                None => None,
                Some("yes") => Some((true, xml::prop_u32(r, "timeout", true, false)?.unwrap_or(0))),
                Some(_) => Some((false, 0)),
            },
            _ => None,
        };
        let vport_flags = match net_type {
            "network" => Some(netdev::VportFlags {
                generate: true,
                complete: false,
            }),
            "bridge" | "direct" | "hostdev" => Some(netdev::VportFlags {
                generate: true,
                complete: true,
            }),
            _ => None,
        };
        let virtualport = match (child(node, "virtualport"), vport_flags) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(xml::config_unsupported(format!(
                    "<virtualport> element unsupported for <interface type='{net_type}'>"
                )));
            }
            (Some(v), Some(flags)) => netdev::virtualport(v, flags)?,
        };
        let target_managed = match child(node, "target") {
            Some(t) => attr_enum(t, "managed", &["yes", "no"])?,
            None => None,
        };
        // Generated names are dropped from an inactive definition unless the tap device is
        // the user's own (managed='no').
        let target_dev = child(node, "target")
            .and_then(|t| t.attribute("dev"))
            .filter(|d| {
                live || target_managed == Some("no")
                    || !(d.starts_with("vnet")
                        || d.starts_with("macvtap")
                        || d.starts_with("macvlan"))
            })
            .map(str::to_string);
        let hostdev_source = match (net_type, src) {
            ("hostdev", Some(s)) => Some((
                Address::parse_child(s)?,
                s.children()
                    .filter(|c| c.is_element() && !c.has_tag_name("address"))
                    .map(|c| RawElement::from_node(c, false))
                    .collect(),
            )),
            _ => None,
        };
        let vlan = child(node, "vlan").map(netdev::vlan).transpose()?;
        // A running guest's interface on a network that put it on a host bridge or a macvtap,
        // as its live XML shows it.
        let on_network = source.iter().any(|(k, _)| k == "network");
        let (net_type, actual_type) = match net_type {
            "bridge" | "direct" if live && on_network => ("network", Some(net_type.to_string())),
            t => (t, None),
        };
        Ok(NetDef {
            net_type: net_type.to_string(),
            actual_type,
            mac,
            source,
            source_reconnect,
            source_local,
            hostdev_source,
            managed: net_type == "hostdev" && node.attribute("managed") == Some("yes"),
            target_dev,
            target_managed: target_managed.map(str::to_string),
            model: child(node, "model")
                .and_then(|m| m.attribute("type"))
                .map(str::to_string),
            extra: {
                let mut extra = raw_children(
                    node,
                    &[
                        "mac", "source", "target", "model", "boot", "alias", "address",
                    ],
                );
                // vlan and virtualport are re-formatted from libvirt's model below; libvirt
                // ignores children it does not know.
                extra.retain(|e| {
                    e.name != "vlan"
                        && e.name != "virtualport"
                        && net_child_rank(&e.name) < NET_UNKNOWN_RANK
                        || matches!(e.name.as_str(), "rom" | "acpi")
                });
                for e in &mut extra {
                    let path = format!("interface/{}", e.name);
                    super::canon::canonicalize(e, &path)?;
                }
                // A <bandwidth> with neither direction means none, as libvirt reads it.
                extra.retain(|e| e.name != "bandwidth" || !e.children.is_empty());
                super::netopts::canonicalize(&mut extra)?;
                extra.extend(vlan);
                extra.extend(virtualport);
                extra.sort_by_key(|e| net_child_rank(&e.name));
                extra
            },
            info: DeviceInfo::parse(node, true)?,
            network_port_isolated: None,
        })
        .and_then(|n| {
            super::netopts::validate_port_options(&n, &n.net_type)?;
            Ok(n)
        })
    }

    /// Whether the interface runs on QEMU's socket netdev (a server, client, multicast or udp
    /// interface).
    pub fn on_socket(&self) -> bool {
        SOCKET_NET_TYPES.contains(&self.net_type.as_str())
    }

    /// The value of the source's attribute `k` (`network`, `bridge`, `dev`, `mode`…).
    pub fn source_attr(&self, k: &str) -> Option<&str> {
        self.source
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// The type the guest's device is plugged as: the actual type of an interface on a
    /// network ([`NetDef::actual_type`]), else its type.
    pub fn plugged_type(&self) -> &str {
        self.actual_type.as_deref().unwrap_or(&self.net_type)
    }

    fn format(&self, o: &mut Out, opts: &crate::domain::FormatOptions) {
        // An interface on a network: inactive XML names the network (and port group) only,
        // migratable XML its port too; others show what the network gave it.
        let network_only = self.net_type == "network" && (opts.inactive || opts.migratable);
        let source: Vec<(String, String)> = if network_only {
            let keep: &[&str] = if opts.inactive {
                &["network", "portgroup"]
            } else {
                &["network", "portgroup", "portid"]
            };
            (self.source.iter())
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .cloned()
                .collect()
        } else {
            self.source.clone()
        };
        o.open("interface");
        o.attr(
            "type",
            if network_only {
                &self.net_type
            } else {
                self.plugged_type()
            },
        );
        if self.managed {
            o.attr("managed", "yes");
        }
        o.start_children();
        o.open("mac");
        o.attr("address", &self.mac);
        o.close_empty();
        if !source.is_empty() {
            o.open("source");
            write_attrs(o, &source);
            match &self.source_local {
                Some((address, port)) => {
                    o.start_children();
                    o.open("local");
                    o.attr("address", address);
                    o.attr("port", &port.to_string());
                    o.close_empty();
                    o.end("source");
                }
                None => close_source(o, self.source_reconnect),
            }
        }
        if let Some((address, rest)) = &self.hostdev_source {
            o.open("source");
            let m = o.start_children();
            for e in rest {
                o.raw(e);
            }
            if let Some(a) = address {
                a.format(o);
            }
            o.end_children("source", m);
        }
        let mut extra = self.extra.iter().peekable();
        while let Some(e) = extra.next_if(|e| net_child_rank(&e.name) < NET_TARGET_RANK) {
            if e.name == "bandwidth" && e.children.is_empty() {
                // A bandwidth cleared in both directions, as libvirt prints it.
                o.open("bandwidth");
                o.start_children();
                o.end("bandwidth");
            } else {
                o.raw(e);
            }
        }
        if self.target_dev.is_some() || self.target_managed.is_some() {
            o.open("target");
            o.attr_opt("dev", self.target_dev.as_deref());
            o.attr_opt("managed", self.target_managed.as_deref());
            o.close_empty();
        }
        if let Some(m) = &self.model {
            o.open("model");
            o.attr("type", m);
            o.close_empty();
        }
        let mut rom = None;
        for e in extra {
            if e.name == "rom" {
                rom = Some(e);
            } else if e.name == "coalesce" && self.coalesce_rx_frames() == Some(0) {
                // Kept (a type that takes none is still refused) but not shown, as libvirt.
            } else {
                o.raw(e);
            }
        }
        self.info.format_with_rom(o, rom);
        o.end("interface");
    }
}

/// A character device: `<serial>`, `<parallel>`, `<console>`, `<channel>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChrDef {
    /// `type`: pty, file, dev, unix, tcp, udp, null, vc, stdio, spicevmc…
    pub source_type: String,
    /// `<source>` attributes (path, mode, host, service, append…).
    pub source: Vec<(String, String)>,
    /// A udp device's second `<source>` (mode `connect`; `source` holds mode `bind`).
    pub udp_connect: Option<Vec<(String, String)>>,
    /// `<protocol type>` for tcp.
    pub protocol: Option<String>,
    /// `<target type>`.
    pub target_type: Option<String>,
    /// `<target port>`.
    pub target_port: Option<u32>,
    /// Other `<target>` attributes (name, address, state for channels).
    pub target_extra: Vec<(String, String)>,
    /// A serial port's `<target><model name>`.
    pub target_model: Option<String>,
    /// `<source><reconnect>` of a tcp or unix device: enabled, and the timeout when enabled.
    pub reconnect: Option<(bool, u32)>,
    /// `<log file append>`: the file (when given) and `on`/`off`.
    pub log: Option<(Option<String>, Option<String>)>,
    /// Whether a tcp source's `tls` came from the driver's configuration (qemu.conf's
    /// `chardev_tls`) rather than the user: migratable XML leaves it out, the status file
    /// keeps the mark (`tlsFromConfig`).
    pub tls_from_config: bool,
    /// Alias and address.
    pub info: DeviceInfo,
}

/// The serial port target models (`none` is no model).
const SERIAL_TARGET_MODELS: &[&str] = &[
    "none",
    "isa-serial",
    "usb-serial",
    "pci-serial",
    "spapr-vty",
    "pl011",
    "sclpconsole",
    "sclplmconsole",
    "16550a",
    "isa-debugcon",
];

/// A udp device's sources: the `bind` one and the `connect` one (mode defaults to connect;
/// of two sources with one mode the first counts), each with mode, host, service when set.
#[allow(clippy::type_complexity)]
fn udp_sources(
    sources: &[Node<'_, '_>],
) -> Result<(Vec<(String, String)>, Option<Vec<(String, String)>>)> {
    let mut bind: Option<Vec<(String, String)>> = None;
    let mut connect: Option<Vec<(String, String)>> = None;
    for s in sources {
        let mode = attr_enum(*s, "mode", &["bind", "connect"])?.unwrap_or("connect");
        let slot = if mode == "bind" {
            &mut bind
        } else {
            &mut connect
        };
        if slot.is_some() {
            continue;
        }
        let mut attrs = Vec::new();
        for k in ["host", "service"] {
            if let Some(v) = s.attribute(k) {
                attrs.push((k.to_string(), v.to_string()));
            }
        }
        if !attrs.is_empty() {
            attrs.insert(0, ("mode".to_string(), mode.to_string()));
            *slot = Some(attrs);
        }
    }
    Ok((bind.unwrap_or_default(), connect))
}

/// `virDomainChrType`: the character device source types libvirt knows.
pub(crate) const CHR_TYPES: &[&str] = &[
    "null",
    "vc",
    "pty",
    "dev",
    "file",
    "pipe",
    "stdio",
    "udp",
    "tcp",
    "unix",
    "spicevmc",
    "spiceport",
    "nmdm",
    "qemu-vdagent",
    "dbus",
];

impl ChrDef {
    pub(super) fn parse(node: Node<'_, '_>, live: bool) -> Result<ChrDef> {
        let source_type = match node.attribute("type") {
            None => "null",
            Some(t) if CHR_TYPES.contains(&t) => t,
            Some(t) => {
                return Err(xml::config_unsupported(format!(
                    "unknown type presented to host for character device: {t}"
                )));
            }
        }
        .to_string();
        if node.tag_name().name() == "channel"
            && child(node, "target")
                .and_then(|t| t.attribute("type"))
                .is_none()
        {
            return Err(xml::xml_error(
                "target type must be specified for channel device",
            ));
        }
        let sources: Vec<Node<'_, '_>> = node
            .children()
            .filter(|c| c.has_tag_name("source"))
            .collect();
        if sources.len() > 1 && source_type != "udp" {
            return Err(xml::xml_error(
                "only one source element is allowed for character device",
            ));
        }
        if sources.len() > 2 {
            return Err(xml::xml_error(
                "only two source elements are allowed for character device",
            ));
        }
        let (mut source, udp_connect) = if source_type == "udp" {
            udp_sources(&sources)?
        } else {
            (
                sources.first().map(|s| attrs_of(*s)).unwrap_or_default(),
                None,
            )
        };
        if source_type == "pty" && !live {
            source.clear();
        }
        // The status file's mark of a `tls` the driver set.
        let tls_from_config = live
            && source_type == "tcp"
            && source.iter().any(|(k, v)| k == "tlsFromConfig" && v == "1");
        source.retain(|(k, _)| k != "tlsFromConfig");
        sort_attrs(&mut source, CHR_SOURCE_ORDER);
        let target = child(node, "target");
        let model = target
            .and_then(|t| child(t, "model"))
            .and_then(|m| m.attribute("name"));
        let target_model = match model {
            Some(m) if node.tag_name().name() == "serial" => {
                if !SERIAL_TARGET_MODELS.contains(&m) {
                    return Err(xml::config_unsupported(format!(
                        "unknown target model '{m}' specified for character device"
                    )));
                }
                Some(m).filter(|m| *m != "none").map(str::to_string)
            }
            _ => None,
        };
        let target_port = match target.and_then(|t| t.attribute("port")) {
            None => None,
            Some(p) => Some(
                p.trim()
                    .parse::<u32>()
                    .map_err(|_| xml::xml_error(format!("Invalid port number: {p}")))?,
            ),
        };
        let target_extra = target
            .map(|t| {
                attrs_of(t)
                    .into_iter()
                    .filter(|(k, _)| k != "type" && k != "port")
                    .collect()
            })
            .unwrap_or_default();
        let reconnect = match sources.first().and_then(|s| child(*s, "reconnect")) {
            Some(r) if matches!(source_type.as_str(), "tcp" | "unix") => {
                match attr_enum(r, "enabled", &["yes", "no"])? {
                    None => None,
                    Some("yes") => {
                        let timeout = xml::prop_u32(r, "timeout", true, false)?.unwrap_or(0);
                        Some((true, timeout))
                    }
                    Some(_) => Some((false, 0)),
                }
            }
            _ => None,
        };
        let logs: Vec<Node<'_, '_>> = node.children().filter(|c| c.has_tag_name("log")).collect();
        if logs.len() > 1 {
            return Err(xml::xml_error(
                "only one log element is allowed for character device",
            ));
        }
        let log = match logs.first() {
            Some(l) => Some((
                l.attribute("file").map(str::to_string),
                attr_enum(*l, "append", &["on", "off"])?.map(str::to_string),
            )),
            None => None,
        };
        // A tcp device always has a protocol; raw by default.
        let protocol = child(node, "protocol")
            .and_then(|p| p.attribute("type"))
            .or(Some("raw").filter(|_| source_type == "tcp"))
            .map(str::to_string);
        Ok(ChrDef {
            source_type,
            source,
            udp_connect,
            protocol,
            target_type: target.and_then(|t| t.attribute("type")).map(str::to_string),
            target_port,
            target_extra,
            target_model,
            reconnect,
            log,
            tls_from_config,
            info: DeviceInfo::parse(node, false)?,
        })
    }

    fn format(
        &self,
        o: &mut Out,
        tag: &str,
        console_target_type: Option<&str>,
        opts: &crate::domain::FormatOptions,
    ) {
        let inactive = opts.inactive;
        // A pty's path is the running QEMU's: only live XML shows it, and the first console
        // repeats it in libvirt's legacy `tty` attribute.
        let pty = self.source_type == "pty";
        let from_config = self.tls_from_config && self.source_type == "tcp";
        let mut source: Vec<(String, String)> = self
            .source
            .iter()
            .filter(|(k, _)| !(pty && inactive && k == "path"))
            .filter(|(k, _)| !(from_config && opts.migratable && k == "tls"))
            .cloned()
            .collect();
        if opts.status && self.source_type == "tcp" {
            let mark = if from_config { "1" } else { "0" };
            source.push(("tlsFromConfig".into(), mark.into()));
        }
        o.open(tag);
        o.attr("type", &self.source_type);
        if pty && tag == "console" && self.target_port.unwrap_or(0) == 0 {
            if let Some((_, path)) = source.iter().find(|(k, _)| k == "path") {
                o.attr("tty", path);
            }
        }
        o.start_children();
        // A unix socket without a path has no source to show (the QEMU driver gives a virtio
        // channel's one when the guest starts).
        let pathless_unix = self.source_type == "unix" && !source.iter().any(|(k, _)| k == "path");
        if !source.is_empty() && !pathless_unix {
            o.open("source");
            write_attrs(o, &source);
            close_source(o, self.reconnect);
        }
        if let Some(c) = &self.udp_connect {
            o.open("source");
            write_attrs(o, c);
            o.close_empty();
        }
        if let Some(p) = &self.protocol {
            o.open("protocol");
            o.attr("type", p);
            o.close_empty();
        }
        if let Some((Some(file), append)) = &self.log {
            o.open("log");
            o.attr("file", file);
            o.attr_opt("append", append.as_deref());
            o.close_empty();
        }
        o.open("target");
        o.attr_opt("type", console_target_type.or(self.target_type.as_deref()));
        if tag != "channel" {
            o.attr("port", &self.target_port.unwrap_or(0).to_string());
        }
        // A channel's `state` is the running guest's: live XML only.
        let target_extra: Vec<(String, String)> = self
            .target_extra
            .iter()
            .filter(|(k, _)| !(inactive && tag == "channel" && k == "state"))
            .cloned()
            .collect();
        write_attrs(o, &target_extra);
        if tag == "channel" && self.target_type.as_deref() == Some("guestfwd") {
            if let Some(p) = self.target_port {
                o.attr("port", &p.to_string());
            }
        }
        match self.target_model.as_deref().filter(|_| tag == "serial") {
            Some(m) => {
                o.start_children();
                o.open("model");
                o.attr("name", m);
                o.close_empty();
                o.end("target");
            }
            None => o.close_empty(),
        }
        self.info.format(o);
        o.end(tag);
    }
}

/// `<input>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDef {
    /// `type`: mouse, tablet, keyboard, passthrough, evdev.
    pub input_type: String,
    /// `bus`.
    pub bus: Option<String>,
    /// Other attributes (model).
    pub extra_attrs: Vec<(String, String)>,
    /// Children other than address/alias (source, driver).
    pub extra: Vec<RawElement>,
    /// Alias and address.
    pub info: DeviceInfo,
}

impl InputDef {
    fn parse(node: Node<'_, '_>, os_type: &str, x86: bool) -> Result<InputDef> {
        let t = node.attribute("type").unwrap_or("");
        if !["mouse", "tablet", "keyboard", "passthrough", "evdev"].contains(&t) {
            return Err(xml::config_unsupported(format!(
                "unknown input device type '{t}'"
            )));
        }
        let bus = match node.attribute("bus") {
            Some(b) if ["ps2", "usb", "xen", "parallels", "virtio", "none"].contains(&b) => Some(b),
            Some(b) => {
                return Err(xml::config_unsupported(format!(
                    "unknown input bus type '{b}'"
                )));
            }
            None if os_type == "hvm" => Some(match t {
                "mouse" | "keyboard" if x86 => "ps2",
                "passthrough" => "virtio",
                "evdev" => "none",
                _ => "usb",
            }),
            None if os_type == "xen" || os_type == "xenpvh" => Some("xen"),
            None => None,
        };
        Ok(InputDef {
            input_type: t.to_string(),
            bus: bus.filter(|b| *b != "none").map(str::to_string),
            extra_attrs: attrs_of(node)
                .into_iter()
                .filter(|(k, _)| k != "type" && k != "bus")
                .collect(),
            extra: {
                let mut extra = raw_children(node, &["alias", "address", "boot"]);
                for e in &mut extra {
                    let path = format!("input/{}", e.name);
                    super::canon::canonicalize(e, &path)?;
                }
                extra
            },
            info: DeviceInfo::parse(node, false)?,
        })
    }

    fn format(&self, o: &mut Out) {
        o.open("input");
        o.attr("type", &self.input_type);
        o.attr_opt("bus", self.bus.as_deref());
        write_attrs(o, &self.extra_attrs);
        let m = o.start_children();
        for e in &self.extra {
            o.raw(e);
        }
        self.info.format(o);
        o.end_children("input", m);
    }
}

/// A `<listen>` of a graphics device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphicsListen {
    /// `type`: address, network, socket, none.
    pub listen_type: String,
    /// `address`.
    pub address: Option<String>,
    /// `network`.
    pub network: Option<String>,
    /// `socket`.
    pub socket: Option<String>,
    /// The address or socket came from the driver's configuration, not the definition
    /// (libvirt's `fromConfig`): left out of migratable XML.
    pub from_config: bool,
    /// The driver made up the socket path (libvirt's `autoGenerated`): left out of migratable
    /// XML.
    pub auto_generated: bool,
}

/// `<graphics>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphicsDef {
    /// `type`: vnc, sdl, spice, rdp, desktop, egl-headless, dbus.
    pub graphics_type: String,
    /// `port` (0: none).
    pub port: i32,
    /// `tlsPort` (spice).
    pub tls_port: i32,
    /// `autoport`.
    pub autoport: bool,
    /// `passwd` (printed only with the secure flag).
    pub passwd: Option<String>,
    /// Other attributes, in libvirt's order (keymap, display, fullscreen…).
    pub extra_attrs: Vec<(String, String)>,
    /// `<listen>` children.
    pub listens: Vec<GraphicsListen>,
    /// Other children (channel, image, gl…).
    pub extra: Vec<RawElement>,
}

const GRAPHICS_TYPES: &[&str] = &[
    "sdl",
    "vnc",
    "rdp",
    "desktop",
    "spice",
    "egl-headless",
    "dbus",
];

/// spice `<channel name>` values, in libvirt's order (the order channels are printed in).
const SPICE_CHANNELS: &[&str] = &[
    "main",
    "display",
    "inputs",
    "cursor",
    "playback",
    "record",
    "smartcard",
    "usbredir",
];
const SPICE_CHANNEL_MODES: &[&str] = &["any", "secure", "insecure"];
/// The spice children after the channels, in libvirt's order.
const SPICE_CHILDREN: &[&str] = &[
    "image",
    "jpeg",
    "zlib",
    "playback",
    "streaming",
    "mouse",
    "clipboard",
    "filetransfer",
    "gl",
];

fn missing_attr(attr: &str, element: &str) -> Error {
    xml::xml_error(format!(
        "Missing required attribute '{attr}' in element '{element}'"
    ))
}

/// spice's children as libvirt prints them: one `<channel>` per name (the last one written),
/// in the enum's order and without mode `any`, then the other known children in order.
fn spice_children(node: Node<'_, '_>) -> Result<Vec<RawElement>> {
    let mut modes: [Option<&str>; 8] = [None; 8];
    for c in node.children().filter(|c| c.has_tag_name("channel")) {
        let Some(name) = attr_enum(c, "name", SPICE_CHANNELS)? else {
            return Err(missing_attr("name", "channel"));
        };
        let Some(mode) = attr_enum(c, "mode", SPICE_CHANNEL_MODES)? else {
            return Err(missing_attr("mode", "channel"));
        };
        if let Some(i) = SPICE_CHANNELS.iter().position(|n| *n == name) {
            modes[i] = Some(mode);
        }
    }
    let mut out: Vec<RawElement> = SPICE_CHANNELS
        .iter()
        .zip(modes)
        .filter_map(|(name, mode)| {
            let mode = mode.filter(|m| *m != "any")?;
            Some(RawElement {
                name: "channel".into(),
                attrs: vec![
                    ("name".into(), (*name).to_string()),
                    ("mode".into(), mode.to_string()),
                ],
                children: Vec::new(),
            })
        })
        .collect();
    for name in SPICE_CHILDREN {
        if let Some(c) = child(node, name) {
            out.push(RawElement::from_node(c, false));
        }
    }
    Ok(out)
}

impl GraphicsDef {
    /// The `<listen>` children (and the legacy `listen` and `socket` attributes) of the
    /// graphics types that listen: vnc, spice and rdp.
    fn parse_listens(node: Node<'_, '_>, t: &str, live: bool) -> Result<Vec<GraphicsListen>> {
        let addr_compat = node.attribute("listen").filter(|a| !a.is_empty());
        let socket_compat = node.attribute("socket").filter(|_| t == "vnc");
        let mut listens = Vec::new();
        for (i, l) in node
            .children()
            .filter(|c| c.has_tag_name("listen"))
            .enumerate()
        {
            let lt = attr_enum(l, "type", &["address", "network", "socket", "none"])?;
            let Some(lt) = lt else {
                return Err(xml::xml_error("graphics listen type must be specified"));
            };
            if (lt == "socket" || lt == "none") && t != "vnc" && t != "spice" {
                return Err(xml::config_unsupported(format!(
                    "listen type '{lt}' is not available for graphics type '{t}'"
                )));
            }
            let mut address = l.attribute("address").filter(|a| !a.is_empty());
            let mut socket = l.attribute("socket").filter(|a| !a.is_empty());
            if i == 0 && lt == "address" {
                if let (Some(a), Some(c)) = (address, addr_compat) {
                    if a != c {
                        return Err(xml::config_unsupported(format!(
                            "graphics 'listen' attribute '{c}' must match 'address' attribute of first listen element (found '{a}')"
                        )));
                    }
                }
                address = address.or(addr_compat);
            }
            if i == 0 && lt == "socket" {
                let compat = node.attribute("socket");
                if let (Some(s), Some(c)) = (socket, compat) {
                    if s != c {
                        return Err(xml::config_unsupported(format!(
                            "graphics 'socket' attribute '{c}' must match 'socket' attribute of first listen element (found '{s}')"
                        )));
                    }
                }
                socket = socket.or(compat.filter(|c| !c.is_empty()));
            }
            let network = l.attribute("network").filter(|n| !n.is_empty());
            if network.is_some() && lt != "network" {
                return Err(xml::xml_error(
                    "'network' attribute is valid only for listen type 'network'",
                ));
            }
            if socket.is_some() && lt != "socket" {
                return Err(xml::xml_error(
                    "'socket' attribute is valid only for listen type 'socket'",
                ));
            }
            let keep_address = lt == "address" || (lt == "network" && live);
            // A status file's bookkeeping, as libvirt reads it back.
            let (from_config, auto_generated) = if live {
                let from_config = match l.attribute("fromConfig") {
                    None => false,
                    Some(v) => {
                        v.trim().parse::<i32>().map_err(|_| {
                            xml::xml_error(format!(
                                "Invalid value for attribute 'fromConfig' in element 'listen': \
                             '{v}'. Expected integer value"
                            ))
                        })? != 0
                    }
                };
                let auto_generated = match l.attribute("autoGenerated") {
                    None | Some("no") => false,
                    Some("yes") => true,
                    Some(v) => {
                        return Err(xml::xml_error(format!("Invalid autoGenerated value: {v}")));
                    }
                };
                (from_config, auto_generated)
            } else {
                (false, false)
            };
            listens.push(GraphicsListen {
                listen_type: lt.to_string(),
                address: address.filter(|_| keep_address).map(str::to_string),
                network: network.map(str::to_string),
                socket: socket.map(str::to_string),
                from_config,
                auto_generated,
            });
        }
        let compat = match socket_compat {
            Some(s) => GraphicsListen {
                listen_type: "socket".into(),
                address: None,
                network: None,
                socket: Some(s.to_string()),
                from_config: false,
                auto_generated: false,
            },
            None => GraphicsListen {
                listen_type: "address".into(),
                address: addr_compat.map(str::to_string),
                network: None,
                socket: None,
                from_config: false,
                auto_generated: false,
            },
        };
        match listens.first_mut() {
            None => listens.push(compat),
            Some(first)
                if matches!(first.listen_type.as_str(), "address" | "network")
                    && compat.listen_type == "socket" =>
            {
                *first = compat;
            }
            Some(_) => {}
        }
        Ok(listens)
    }

    fn parse(node: Node<'_, '_>, live: bool) -> Result<GraphicsDef> {
        let Some(t) = attr_enum(node, "type", GRAPHICS_TYPES)? else {
            return Err(xml::xml_error("missing graphics device type"));
        };
        let listens = if matches!(t, "vnc" | "spice" | "rdp") {
            Self::parse_listens(node, t, live)?
        } else {
            Vec::new()
        };
        // vnc and rdp word a bad port themselves; spice's are read as plain integers.
        let int_attr = |name: &str| -> Result<Option<i32>> {
            match node.attribute(name) {
                None => Ok(None),
                Some(p) => p.trim().parse().map(Some).map_err(|_| {
                    if t == "spice" {
                        xml::xml_error(format!(
                            "Invalid value for attribute '{name}' in element 'graphics': \
                             '{p}'. Expected integer value"
                        ))
                    } else {
                        xml::internal_error(format!("cannot parse {t} port {p}"))
                    }
                }),
            }
        };
        let mut port = 0;
        let mut tls_port = 0;
        let mut autoport = false;
        let yes_no = node.attribute("autoport");
        match t {
            "vnc" => {
                match int_attr("port")? {
                    Some(-1) => {
                        autoport = true;
                        port = if live { -1 } else { 0 };
                    }
                    Some(p) => port = p,
                    None => autoport = true,
                }
                match yes_no {
                    Some("yes") => autoport = true,
                    Some("no") => autoport = false,
                    _ => {}
                }
                if autoport && !live {
                    port = 0;
                }
            }
            "rdp" => {
                match int_attr("port")? {
                    Some(p) => {
                        port = p;
                        autoport = p == -1;
                    }
                    None => autoport = true,
                }
                if yes_no == Some("yes") {
                    autoport = true;
                }
                if autoport && !live {
                    port = 0;
                }
            }
            "spice" => {
                port = int_attr("port")?.unwrap_or(0);
                tls_port = int_attr("tlsPort")?.unwrap_or(0);
                autoport = attr_enum(node, "autoport", &["yes", "no"])? == Some("yes");
                if port == -1 && tls_port == -1 {
                    autoport = true;
                }
                if autoport && !live {
                    port = 0;
                    tls_port = 0;
                }
            }
            _ => {}
        }
        let mut listens = listens;
        // Spice without ports or autoport listens nowhere: libvirt's listen type none.
        if t == "spice" && port == 0 && tls_port == 0 && !autoport {
            if let Some(first) = listens.first_mut().filter(|l| l.listen_type == "address") {
                first.listen_type = "none".into();
                first.address = None;
            }
        }
        let order: &[&str] = match t {
            "vnc" => &[
                "websocket",
                "keymap",
                "sharePolicy",
                "powerControl",
                "passwdValidTo",
                "connected",
            ],
            "spice" => &["keymap", "defaultMode", "passwdValidTo", "connected"],
            "rdp" => &["replaceUser", "multiUser"],
            _ => &["display", "xauth", "fullscreen"],
        };
        let mut extra_attrs: Vec<(String, String)> = attrs_of(node)
            .into_iter()
            .filter(|(k, _)| order.contains(&k.as_str()))
            .filter(|(k, v)| {
                !matches!(k.as_str(), "fullscreen" | "replaceUser" | "multiUser") || v == "yes"
            })
            .collect();
        sort_attrs(&mut extra_attrs, order);
        Ok(GraphicsDef {
            graphics_type: t.to_string(),
            port,
            tls_port,
            autoport,
            passwd: node.attribute("passwd").map(str::to_string),
            extra_attrs,
            listens,
            extra: if t == "spice" {
                spice_children(node)?
            } else {
                raw_children(node, &["listen"])
            },
        })
    }

    fn format(&self, o: &mut Out, opts: &crate::domain::FormatOptions) {
        let (inactive, secure, migratable) = (opts.inactive, opts.secure, opts.migratable);
        let first = self.listens.first();
        let first_type = first.map_or("", |l| l.listen_type.as_str());
        o.open("graphics");
        o.attr("type", &self.graphics_type);
        // The legacy `listen` attribute repeats the first listen's address.
        let listen_attr = first
            .filter(|l| !(migratable && l.from_config))
            .filter(|l| {
                l.listen_type == "address"
                    || (l.listen_type == "network" && !inactive && !migratable)
            })
            .and_then(|l| l.address.as_deref());
        let (auth, attrs): (Vec<_>, Vec<_>) = self
            .extra_attrs
            .iter()
            .partition(|(k, _)| k == "passwdValidTo" || k == "connected");
        let (websocket, attrs): (Vec<_>, Vec<_>) =
            attrs.into_iter().partition(|(k, _)| k == "websocket");
        match self.graphics_type.as_str() {
            "vnc" => match first_type {
                "socket" => o.attr_opt(
                    "socket",
                    first
                        .filter(|l| !(migratable && (l.auto_generated || l.from_config)))
                        .and_then(|l| l.socket.as_deref()),
                ),
                "address" | "network" => {
                    if self.port != 0 && (!self.autoport || !inactive) {
                        o.attr("port", &self.port.to_string());
                    } else if self.autoport {
                        o.attr("port", "-1");
                    }
                    o.attr("autoport", if self.autoport { "yes" } else { "no" });
                    for (k, v) in &websocket {
                        o.attr(k, v);
                    }
                    o.attr_opt("listen", listen_attr);
                }
                _ => {}
            },
            "spice" => match first_type {
                "address" | "network" => {
                    if self.port != 0 {
                        o.attr("port", &self.port.to_string());
                    }
                    if self.tls_port != 0 {
                        o.attr("tlsPort", &self.tls_port.to_string());
                    }
                    o.attr("autoport", if self.autoport { "yes" } else { "no" });
                    o.attr_opt("listen", listen_attr);
                }
                "none" if migratable => o.attr("autoport", "no"),
                _ => {}
            },
            "rdp" => {
                if self.port != 0 {
                    o.attr("port", &self.port.to_string());
                } else if self.autoport {
                    o.attr("port", "0");
                }
                if self.autoport {
                    o.attr("autoport", "yes");
                }
            }
            _ => {}
        }
        for (k, v) in &attrs {
            o.attr(k, v);
        }
        if self.graphics_type == "rdp" {
            o.attr_opt("listen", listen_attr);
        }
        if let Some(p) = &self.passwd {
            if secure {
                o.attr("passwd", p);
            }
            for (k, v) in &auth {
                o.attr(k, v);
            }
        }
        let m = o.start_children();
        for l in &self.listens {
            // Migratable XML leaves out what older libvirt would not read: a vnc socket the
            // user gave (the `socket` attribute carries it) and spice's listen type none.
            // A listen from the driver's configuration is the target host's business.
            if migratable
                && (l.from_config
                    || (self.graphics_type == "vnc"
                        && l.listen_type == "socket"
                        && l.socket.is_some()
                        && !l.auto_generated)
                    || (self.graphics_type == "spice" && l.listen_type == "none"))
            {
                continue;
            }
            o.open("listen");
            o.attr("type", &l.listen_type);
            o.attr_opt("address", l.address.as_deref());
            o.attr_opt("network", l.network.as_deref());
            o.attr_opt(
                "socket",
                l.socket
                    .as_deref()
                    .filter(|_| !(migratable && l.auto_generated)),
            );
            if opts.status {
                o.attr("fromConfig", if l.from_config { "1" } else { "0" });
                o.attr("autoGenerated", if l.auto_generated { "yes" } else { "no" });
            }
            o.close_empty();
        }
        for e in &self.extra {
            o.raw(e);
        }
        // libvirt opens vnc's element for its children even when it has none.
        if self.graphics_type == "vnc" {
            o.end("graphics");
        } else {
            o.end_children("graphics", m);
        }
    }
}

/// `<video>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoDef {
    /// `<model type>`; empty until defaults are filled.
    pub model: String,
    /// `ram` in KiB (qxl).
    pub ram: u32,
    /// `vram` in KiB.
    pub vram: u32,
    /// `vram64` in KiB.
    pub vram64: u32,
    /// `vgamem` in KiB.
    pub vgamem: u32,
    /// `heads`.
    pub heads: u32,
    /// `primary='yes'`.
    pub primary: bool,
    /// Children of `<model>` (acceleration, resolution).
    pub model_children: Vec<RawElement>,
    /// Other children (driver).
    pub extra: Vec<RawElement>,
    /// Alias and address.
    pub info: DeviceInfo,
}

const VIDEO_TYPES: &[&str] = &[
    "vga",
    "cirrus",
    "vmvga",
    "xen",
    "vbox",
    "qxl",
    "parallels",
    "virtio",
    "gop",
    "none",
    "bochs",
    "ramfb",
];

/// Default video memory in KiB for a model, as libvirt fills it.
fn video_default_ram(virt_type: &str, model: &str) -> u32 {
    match model {
        "vga" | "cirrus" | "vmvga" => match virt_type {
            "vbox" => 8 * 1024,
            "vmware" => 4 * 1024,
            _ => 16 * 1024,
        },
        "bochs" => 16 * 1024,
        "xen" => 4 * 1024,
        "qxl" => 64 * 1024,
        _ => 0,
    }
}

impl VideoDef {
    fn parse(node: Node<'_, '_>) -> Result<VideoDef> {
        let model = child(node, "model");
        let mtype = model.and_then(|m| m.attribute("type")).unwrap_or("");
        if !mtype.is_empty() && !VIDEO_TYPES.contains(&mtype) {
            return Err(xml::config_unsupported(format!(
                "unknown video model '{mtype}'"
            )));
        }
        let num = |name: &str, what: &str| -> Result<u32> {
            match model.and_then(|m| m.attribute(name)) {
                None => Ok(0),
                Some(v) => v.trim().parse().map_err(|_| {
                    let msg = format!("cannot parse video {what} '{v}'");
                    if what == "heads" {
                        xml::internal_error(msg)
                    } else {
                        xml::xml_error(msg)
                    }
                }),
            }
        };
        let heads = match model.and_then(|m| m.attribute("heads")) {
            None => 1,
            Some(_) => num("heads", "heads")?,
        };
        let primary = model.and_then(|m| m.attribute("primary")) == Some("yes");
        Ok(VideoDef {
            model: mtype.to_string(),
            ram: num("ram", "ram")?,
            vram: num("vram", "ram")?,
            vram64: num("vram64", "vram64")?,
            vgamem: num("vgamem", "vgamem")?,
            heads,
            primary,
            model_children: model.map(|m| raw_children(m, &[])).unwrap_or_default(),
            extra: raw_children(node, &["model", "alias", "address"]),
            info: DeviceInfo::parse(node, false)?,
        })
    }

    fn format(&self, o: &mut Out) {
        o.open("video");
        o.start_children();
        // libvirt prints the driver before the model.
        for e in self.extra.iter().filter(|e| e.name == "driver") {
            o.raw(e);
        }
        o.open("model");
        o.attr("type", &self.model);
        // A `none` video is only a placeholder: libvirt prints nothing else of it.
        let sizes = if self.model == "none" {
            [
                ("ram", 0),
                ("vram", 0),
                ("vram64", 0),
                ("vgamem", 0),
                ("heads", 0),
            ]
        } else {
            [
                ("ram", self.ram),
                ("vram", self.vram),
                ("vram64", self.vram64),
                ("vgamem", self.vgamem),
                ("heads", self.heads),
            ]
        };
        for (k, v) in sizes {
            if v != 0 {
                o.attr(k, &v.to_string());
            }
        }
        if self.primary && self.model != "none" {
            o.attr("primary", "yes");
        }
        if self.model_children.is_empty() {
            o.close_empty();
        } else {
            o.start_children();
            for c in &self.model_children {
                o.raw(c);
            }
            o.end("model");
        }
        for e in self.extra.iter().filter(|e| e.name != "driver") {
            o.raw(e);
        }
        self.info.format(o);
        o.end("video");
    }
}

/// `<memballoon>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemballoonDef {
    /// `model`: virtio, xen, none…
    pub model: String,
    /// Other attributes (autodeflate, freePageReporting).
    pub extra_attrs: Vec<(String, String)>,
    /// `<stats period>`.
    pub stats_period: Option<u32>,
    /// Other children (driver).
    pub extra: Vec<RawElement>,
    /// Alias and address.
    pub info: DeviceInfo,
}

impl MemballoonDef {
    fn parse(node: Node<'_, '_>) -> Result<MemballoonDef> {
        let Some(model) = node.attribute("model") else {
            return Err(xml::xml_error("balloon memory must contain model name"));
        };
        if ![
            "virtio",
            "xen",
            "none",
            "virtio-transitional",
            "virtio-non-transitional",
        ]
        .contains(&model)
        {
            return Err(xml::xml_error(format!(
                "Invalid value for attribute 'model' in element 'memballoon': '{model}'."
            )));
        }
        let stats_period =
            match child(node, "stats").and_then(|s| s.attribute("period")) {
                None => None,
                Some(p) => Some(p.trim().parse::<u32>().map_err(|_| {
                    xml::xml_error("invalid statistics collection period".to_string())
                })?),
            };
        let mut extra_attrs: Vec<(String, String)> = attrs_of(node)
            .into_iter()
            .filter(|(k, _)| k != "model")
            .collect();
        sort_attrs(&mut extra_attrs, &["autodeflate", "freePageReporting"]);
        Ok(MemballoonDef {
            model: model.to_string(),
            extra_attrs,
            stats_period,
            extra: raw_children(node, &["stats", "alias", "address"]),
            info: DeviceInfo::parse(node, false)?,
        })
    }

    fn format(&self, o: &mut Out) {
        o.open("memballoon");
        o.attr("model", &self.model);
        write_attrs(o, &self.extra_attrs);
        let m = o.start_children();
        if let Some(p) = self.stats_period {
            o.open("stats");
            o.attr("period", &p.to_string());
            o.close_empty();
        }
        self.info.format(o);
        for e in &self.extra {
            o.raw(e);
        }
        o.end_children("memballoon", m);
    }
}

/// Where a device kept as a raw element goes among the others, in libvirt's order of
/// `<devices>` children (`None` for an element that is not such a device).
pub fn other_device_slot(name: &str) -> Option<u8> {
    Some(match name {
        "lease" => 0,
        "filesystem" => 2,
        "smartcard" => 4,
        "tpm" => 6,
        "sound" => 8,
        "audio" => 9,
        "hostdev" => 10,
        "redirdev" => 12,
        "redirfilter" => 14,
        "hub" => 16,
        "watchdog" => 18,
        "rng" => 20,
        "panic" => 22,
        "shmem" => 24,
        "memory" => 26,
        "iommu" => 28,
        "vsock" => 30,
        _ => return None,
    })
}

/// Checks of kept devices that are not about one attribute's value.
fn check_other_device(node: Node<'_, '_>) -> Result<()> {
    match node.tag_name().name() {
        "shmem" if node.attribute("name").is_none() => Err(xml::xml_error(
            "shmem element must contain 'name' attribute",
        )),
        "filesystem" if child(node, "target").is_none() => {
            let src = child(node, "source").and_then(|s| {
                ["dir", "file", "dev", "name", "socket"]
                    .iter()
                    .find_map(|a| s.attribute(*a))
            });
            Err(Error::new(
                ErrorDomain::DOMAIN,
                ErrorNumber::NO_TARGET,
                src.map(str::to_string),
            ))
        }
        _ => Ok(()),
    }
}

/// Ends an open `<source` tag: empty, or holding a `<reconnect enabled timeout>` (the
/// timeout only when enabled), as libvirt prints a chardev's or vhost-user's source.
fn close_source(o: &mut Out, reconnect: Option<(bool, u32)>) {
    let Some((enabled, timeout)) = reconnect else {
        o.close_empty();
        return;
    };
    o.start_children();
    o.open("reconnect");
    o.attr("enabled", if enabled { "yes" } else { "no" });
    if enabled {
        o.attr("timeout", &timeout.to_string());
    }
    o.close_empty();
    o.end("source");
}

const AUDIO_TYPES: &[&str] = &[
    "none",
    "alsa",
    "coreaudio",
    "jack",
    "oss",
    "pulseaudio",
    "sdl",
    "spice",
    "file",
    "dbus",
];

/// `<audio>` in libvirt's form: id, type, timer period and the attributes its type reads, then
/// its `<input>` and `<output>` (kept as written).
fn audio_canon(el: &mut RawElement, node: Node<'_, '_>) -> Result<()> {
    let Some(kind) = node.attribute("type") else {
        return Err(xml::xml_error(
            "Missing required attribute 'type' in element 'audio'",
        ));
    };
    if !AUDIO_TYPES.contains(&kind) {
        return Err(xml::invalid_enum_attr("type", "audio", kind));
    }
    let id = xml::prop_u32(node, "id", true, true)?.unwrap_or(0);
    let timer = xml::prop_u32(node, "timerPeriod", false, true)?;
    let mut attrs = vec![
        ("id".to_string(), id.to_string()),
        ("type".to_string(), kind.to_string()),
    ];
    if let Some(t) = timer {
        attrs.push(("timerPeriod".to_string(), t.to_string()));
    }
    let own: &[&str] = match kind {
        "oss" => &["tryMMap", "exclusive", "dspPolicy"],
        "pulseaudio" => &["serverName"],
        "sdl" => &["driver"],
        "file" => &["path"],
        _ => &[],
    };
    for k in own {
        if let Some(v) = node.attribute(*k) {
            attrs.push(((*k).to_string(), v.to_string()));
        }
    }
    el.attrs = attrs;
    let kept = |name: &str| {
        el.children.iter().find_map(|c| match c {
            RawNode::Element(e) if e.name == name => Some(RawNode::Element(e.clone())),
            _ => None,
        })
    };
    let children: Vec<RawNode> = [kept("input"), kept("output")]
        .into_iter()
        .flatten()
        .collect();
    el.children = children;
    Ok(())
}

/// libvirt's checks of audio backends: unique ids, and every `<sound><audio id>` naming one.
pub(crate) fn validate_audio(other: &[(u8, RawElement)]) -> Result<()> {
    let ids: Vec<&str> = other
        .iter()
        .filter(|(_, e)| e.name == "audio")
        .filter_map(|(_, e)| e.attr("id"))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(xml::xml_error(format!(
                "audio ID {id} is used multiple times"
            )));
        }
    }
    for (_, sound) in other.iter().filter(|(_, e)| e.name == "sound") {
        let Some(id) = sound.child("audio").and_then(|a| a.attr("id")) else {
            continue;
        };
        let n = id.trim().parse::<u32>().unwrap_or(0);
        if n != 0 && !ids.iter().any(|i| i.parse::<u32>().ok() == Some(n)) {
            return Err(xml::xml_error(format!("no audio device with ID {n}")));
        }
    }
    Ok(())
}

/// The device information of a device kept as a tree, as libvirt prints it: its address in
/// libvirt's form (where it stands). Its alias stays: `Devices::drop_runtime_aliases` leaves only
/// a user's (`ua-…`) in a definition that is not live status.
fn normalize_info(el: &mut RawElement, node: Node<'_, '_>) -> Result<()> {
    if let Some(address) = Address::parse_child(node)? {
        let info = DeviceInfo {
            address: Some(address),
            ..DeviceInfo::default()
        };
        if let (Some(new), Some(slot)) = (info.to_raw(None).pop(), el.child_mut("address")) {
            *slot = new;
        }
    }
    Ok(())
}

/// `<filesystem>` after libvirt's post-parse: an access mode of passthrough unless one is
/// given or the source is a socket (virtiofsd), and a RAM file system's usage in KiB.
fn filesystem_canon(el: &mut RawElement) -> Result<()> {
    let is_ram = el.attr("type") == Some("ram");
    let source = el.child_mut("source");
    let has_socket = source.as_ref().is_some_and(|s| s.attr("socket").is_some());
    if is_ram {
        let usage = source
            .as_ref()
            .and_then(|s| s.attr("usage"))
            .map(str::to_string);
        let Some(usage) = usage else {
            return Err(xml::xml_error(
                "missing 'usage' attribute for RAM filesystem",
            ));
        };
        let Some(value) = crate::units::parse_ull(&usage) else {
            return Err(xml::xml_error(format!(
                "cannot parse usage '{usage}' for RAM filesystem"
            )));
        };
        let source = source.expect("usage came from the source");
        let unit = source.attr("units").unwrap_or("");
        let Some(scale) = crate::units::unit_scale(unit, 1024) else {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("unknown suffix '{unit}'"),
            ));
        };
        let Some(bytes) = value.checked_mul(scale) else {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::OVERFLOW,
                format!("value too large: {value}{unit}"),
            ));
        };
        source.attrs = vec![
            ("usage".to_string(), (bytes / 1024).to_string()),
            ("units".to_string(), "KiB".to_string()),
        ];
    }
    if el.attr("type").is_none() {
        el.attrs
            .insert(0, ("type".to_string(), "mount".to_string()));
    }
    if el.attr("accessmode").is_none() && !has_socket {
        el.attrs
            .insert(1, ("accessmode".to_string(), "passthrough".to_string()));
    }
    for attr in ["fmode", "dmode"] {
        let Some(v) = el.attr(attr).map(str::to_string) else {
            continue;
        };
        // Octal, as libvirt reads it; zero means unset and is not printed.
        let Ok(mode) = u32::from_str_radix(v.trim(), 8) else {
            return Err(xml::xml_error(format!(
                "Invalid value for attribute '{attr}' in element 'filesystem': '{v}'. \
                 Expected non-negative integer value"
            )));
        };
        if mode > 0o777 {
            return Err(xml::xml_error(format!("invalid {attr}: '0{mode:o}'")));
        }
        el.attrs.retain(|(k, _)| k != attr);
        if mode != 0 {
            el.attrs.push((attr.to_string(), format!("{mode:04o}")));
        }
    }
    Ok(())
}

/// Reads an integer attribute as libvirt's `virXMLPropInt` with base 0 does.
fn int_attr_auto(el: &RawElement, attr: &str) -> Result<Option<i64>> {
    let Some(v) = el.attr(attr) else {
        return Ok(None);
    };
    let t = v.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match parse_uint_auto(digits) {
        Some(n) => Ok(Some(if neg { -i64::from(n) } else { i64::from(n) })),
        None => Err(xml::xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{}': '{v}'. Expected integer value",
            el.name
        ))),
    }
}

/// A redirection filter's USB version (`2.0`, `1.1`, `2.00`) as libvirt reads it: two
/// decimal numbers below 100 (a one-digit minor counting tens), in binary-coded decimal
/// (`0x0200`, `0x0110`).
pub fn usb_version_bcd(v: &str) -> Result<u32> {
    let bad = || xml::xml_error(format!("Cannot parse USB device version {v}"));
    let (major, minor) = v.split_once('.').ok_or_else(bad)?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return Err(bad());
    }
    let (Ok(major), Ok(mut minor)) = (major.parse::<u32>(), minor.parse::<u32>()) else {
        return Err(bad());
    };
    if major >= 100 || minor >= 100 {
        return Err(bad());
    }
    if v.split_once('.').is_some_and(|(_, m)| m.len() == 1) {
        minor *= 10;
    }
    Ok((major / 10) << 12 | (major % 10) << 8 | (minor / 10) << 4 | (minor % 10))
}

/// A redirection filter's USB version as libvirt writes it back (`M.mm`: `2.00`, `1.10`).
fn usb_version_text(v: &str) -> Result<String> {
    let bcd = usb_version_bcd(v)?;
    let major = (bcd >> 12) * 10 + ((bcd >> 8) & 0xf);
    Ok(format!("{major}.{}{}", (bcd >> 4) & 0xf, bcd & 0xf))
}

/// The devices kept as raw elements that hold a character device: where it is, see
/// [`raw_chardevs_mut`].
const RAW_CHARDEV_HOLDERS: [&str; 3] = ["rng", "redirdev", "smartcard"];

/// The character devices of a device kept as a raw element: an EGD generator's backend, a
/// redirected USB device or a smartcard itself (none for other elements).
fn raw_chardevs_mut(el: &mut RawElement) -> Vec<&mut RawElement> {
    match el.name.as_str() {
        "redirdev" | "smartcard" => vec![el],
        "rng" => (el.children.iter_mut())
            .filter_map(|c| match c {
                RawNode::Element(b) if b.name == "backend" && b.attr("model") == Some("egd") => {
                    Some(b)
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The tcp character-device sources of a device kept as a raw element (see
/// [`raw_chardevs_mut`]). libvirt's driver marks those (`tls`) as it marks a serial port's.
pub fn raw_tcp_sources_mut(el: &mut RawElement) -> Vec<&mut RawElement> {
    (raw_chardevs_mut(el).into_iter())
        .filter(|c| c.attr("type") == Some("tcp"))
        .flat_map(|c| {
            c.children.iter_mut().filter_map(|s| match s {
                RawNode::Element(e) if e.name == "source" => Some(e),
                _ => None,
            })
        })
        .collect()
}

/// The status file's mark of a `tls` the driver set on a raw element's tcp source.
const TLS_MARK: &str = "tlsFromConfig";

/// Marks the tcp sources of a device kept as a raw element that do not say whether they use
/// TLS as not using it, from the driver's configuration (see [`ChrDef::tls_from_config`]):
/// `tls='no'`, and the status file's mark.
pub fn mark_raw_tls_from_config(el: &mut RawElement) {
    for s in raw_tcp_sources_mut(el) {
        if s.attr("tls").is_none() {
            s.attrs.push(("tls".into(), "no".into()));
            s.attrs.push((TLS_MARK.into(), "1".into()));
        }
    }
}

/// A raw element as a document other than the status file shows it: without the driver's
/// `tls` marks, and (migratable XML) without the `tls` they stand for. `None` when it has no
/// mark.
fn without_tls_marks(el: &RawElement, migratable: bool) -> Option<RawElement> {
    if !RAW_CHARDEV_HOLDERS.contains(&el.name.as_str()) {
        return None;
    }
    let mut el = el.clone();
    let mut marked = false;
    for s in raw_tcp_sources_mut(&mut el) {
        if let Some(i) = s.attrs.iter().position(|(k, _)| k == TLS_MARK) {
            let (_, v) = s.attrs.remove(i);
            if migratable && v == "1" {
                s.attrs.retain(|(k, _)| k != "tls");
            }
            marked = true;
        }
    }
    marked.then_some(el)
}

/// A character device kept as a raw element (a redirected USB device, an EGD backend) in
/// libvirt's form: its sources' attributes in libvirt's order, and a tcp one's default
/// protocol after its source (`<protocol type='raw'/>`).
fn raw_chardev_canon(el: &mut RawElement) {
    for c in &mut el.children {
        if let RawNode::Element(s) = c
            && s.name == "source"
        {
            sort_attrs(&mut s.attrs, CHR_SOURCE_ORDER);
        }
    }
    if el.attr("type") != Some("tcp") || el.child("protocol").is_some() {
        return;
    }
    let at = (el.children.iter())
        .rposition(|c| matches!(c, RawNode::Element(e) if e.name == "source"))
        .map_or(0, |i| i + 1);
    el.children.insert(
        at,
        RawNode::Element(RawElement {
            name: "protocol".into(),
            attrs: vec![("type".into(), "raw".into())],
            children: Vec::new(),
        }),
    );
}

/// `<redirdev>` and `<redirfilter>` in libvirt's form, and an EGD generator's: a redirected
/// device's or an EGD backend's character device (see [`raw_chardev_canon`]), a filter's USB
/// class, vendor and product in upper-case hex. False when the element is dropped (a filter
/// without devices).
fn redir_canon(el: &mut RawElement) -> Result<bool> {
    match el.name.as_str() {
        "redirdev" | "rng" => {
            raw_chardevs_mut(el).into_iter().for_each(raw_chardev_canon);
            Ok(true)
        }
        "redirfilter" => {
            let mut devs = Vec::new();
            for c in &el.children {
                let RawNode::Element(u) = c else { continue };
                if u.name != "usbdev" {
                    continue;
                }
                let mut attrs = Vec::new();
                let class = int_attr_auto(u, "class")?;
                if let Some(c) = class.filter(|c| *c != -1) {
                    if !(0..=0xff).contains(&c) {
                        return Err(xml::internal_error(format!(
                            "Invalid USB Class code 0x{:x}",
                            c as u32
                        )));
                    }
                    attrs.push(("class".to_string(), format!("0x{c:02X}")));
                }
                for k in ["vendor", "product"] {
                    if let Some(v) = int_attr_auto(u, k)?.filter(|v| *v >= 0) {
                        attrs.push((k.to_string(), format!("0x{v:04X}")));
                    }
                }
                if let Some(v) = u.attr("version").filter(|v| *v != "-1") {
                    attrs.push(("version".to_string(), usb_version_text(v)?));
                }
                match u.attr("allow") {
                    None => {
                        return Err(xml::xml_error(
                            "Missing required attribute 'allow' in element 'usbdev'",
                        ));
                    }
                    Some(a) if a == "yes" || a == "no" => {
                        attrs.push(("allow".to_string(), a.to_string()));
                    }
                    Some(a) => return Err(xml::invalid_enum_attr("allow", "usbdev", a)),
                }
                devs.push(RawNode::Element(RawElement {
                    name: "usbdev".into(),
                    attrs,
                    children: Vec::new(),
                }));
            }
            el.attrs.clear();
            el.children = devs;
            Ok(!el.children.is_empty())
        }
        _ => Ok(true),
    }
}

/// `<devices>`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Devices {
    /// `<emulator>`.
    pub emulator: Option<String>,
    /// `<disk>`s in libvirt's order.
    pub disks: Vec<DiskDef>,
    /// `<controller>`s, grouped by type, by index.
    pub controllers: Vec<ControllerDef>,
    /// `<interface>`s.
    pub interfaces: Vec<NetDef>,
    /// `<serial>`s.
    pub serials: Vec<ChrDef>,
    /// `<parallel>`s.
    pub parallels: Vec<ChrDef>,
    /// `<console>`s. The first one of an HVM guest is an alias of the first serial port
    /// (target type `serial`), as libvirt keeps it.
    pub consoles: Vec<ChrDef>,
    /// `<channel>`s.
    pub channels: Vec<ChrDef>,
    /// `<input>`s.
    pub inputs: Vec<InputDef>,
    /// `<graphics>`.
    pub graphics: Vec<GraphicsDef>,
    /// `<video>`s.
    pub videos: Vec<VideoDef>,
    /// `<memballoon>`.
    pub memballoon: Option<MemballoonDef>,
    /// Devices rvirt keeps without modelling them (sound, watchdog, rng, hostdev…), with their
    /// position in libvirt's order.
    pub other: Vec<(u8, RawElement)>,
}

static EMPTY_DEVICES: Devices = Devices {
    emulator: None,
    disks: Vec::new(),
    controllers: Vec::new(),
    interfaces: Vec::new(),
    serials: Vec::new(),
    parallels: Vec::new(),
    consoles: Vec::new(),
    channels: Vec::new(),
    inputs: Vec::new(),
    graphics: Vec::new(),
    videos: Vec::new(),
    memballoon: None,
    other: Vec::new(),
};

impl crate::sparse::Empty for Devices {
    fn empty() -> &'static Self {
        &EMPTY_DEVICES
    }
}

/// What parsing devices needs to know about the domain.
pub(crate) struct DeviceContext<'a> {
    pub live: bool,
    pub os_type: &'a str,
    pub x86: bool,
    pub virt_type: &'a str,
}

/// Where libvirt inserts a controller: after the last one of its type, but before the first
/// one of its type with a higher index (a master before its companions).
fn controller_insert_pos(
    list: &[ControllerDef],
    indexed: &[bool],
    new: &ControllerDef,
    has_index: bool,
) -> usize {
    let is_companion = |c: &ControllerDef| c.extra.iter().any(|e| e.name == "master");
    let mut at: Option<usize> = None;
    for i in (0..list.len()).rev() {
        let cur = &list[i];
        if cur.ctrl_type != new.ctrl_type {
            continue;
        }
        if !has_index {
            return i + 1;
        }
        let later = indexed[i] && cur.index > new.index;
        let own_companion =
            !is_companion(new) && is_companion(cur) && indexed[i] && cur.index == new.index;
        if later || own_companion {
            at = Some(i);
        } else if at.is_none() {
            at = Some(i + 1);
        }
    }
    at.unwrap_or(list.len())
}

/// Gives controllers without an index one, as libvirt does after parsing: the lowest index
/// unused by controllers of that type, except that a USB2 companion (ICH9 EHCI1/UHCI1-3)
/// right after another USB2 controller joins that one's index unless a controller of its own
/// model is there already.
fn assign_controller_indexes(list: &mut [ControllerDef], indexed: &mut [bool]) {
    let is_usb2 = |c: &ControllerDef| {
        c.ctrl_type == "usb"
            && matches!(
                c.model.as_deref(),
                Some("ich9-ehci1" | "ich9-uhci1" | "ich9-uhci2" | "ich9-uhci3")
            )
    };
    for i in 0..list.len() {
        if indexed[i] {
            continue;
        }
        let mut index = None;
        if i > 0 && is_usb2(&list[i]) {
            let prev = (0..i).rev().find(|&j| list[j].ctrl_type == "usb");
            if let Some(p) = prev.filter(|&p| is_usb2(&list[p])) {
                let taken = (0..list.len()).any(|j| {
                    j != i
                        && indexed[j]
                        && list[j].ctrl_type == "usb"
                        && list[j].index == list[p].index
                        && list[j].model == list[i].model
                });
                if !taken {
                    index = Some(list[p].index);
                }
            }
        }
        let index = index.unwrap_or_else(|| {
            let t = &list[i].ctrl_type;
            (0u32..)
                .find(|n| {
                    !(0..list.len())
                        .any(|j| indexed[j] && list[j].ctrl_type == *t && list[j].index == *n)
                })
                .unwrap_or(0)
        });
        list[i].index = index;
        indexed[i] = true;
    }
}

fn insert_disk(disks: &mut Vec<DiskDef>, disk: DiskDef) {
    let new_idx = disk_name_to_index(&disk.target_dev);
    let mut insert_at: Option<usize> = None;
    for i in (0..disks.len()).rev() {
        let d = &disks[i];
        if d.bus != disk.bus {
            continue;
        }
        let cur = disk_name_to_index(&d.target_dev);
        if cur.is_some() && new_idx.is_some() && cur > new_idx {
            insert_at = Some(i);
        } else if insert_at.is_none() {
            insert_at = Some(i + 1);
        }
    }
    match insert_at {
        Some(i) => disks.insert(i, disk),
        None => disks.push(disk),
    }
}

impl Devices {
    /// The character devices in libvirt's order (`virDomainChrDefForeach`): serial ports,
    /// parallel ports, channels, consoles.
    pub fn character_devices(&self) -> impl Iterator<Item = &ChrDef> {
        self.serials
            .iter()
            .chain(&self.parallels)
            .chain(&self.channels)
            .chain(&self.consoles)
    }

    /// Adds device element `e` (one kept as a tree: memory device, generator, audio backend…)
    /// after the others of its kind, in libvirt's device order.
    pub fn insert_other(&mut self, e: RawElement) {
        let slot = other_device_slot(&e.name).unwrap_or(u8::MAX);
        let at = self
            .other
            .iter()
            .position(|(s, _)| *s > slot)
            .unwrap_or(self.other.len());
        self.other.insert(at, (slot, e));
    }

    pub(crate) fn parse(node: Node<'_, '_>, ctx: &DeviceContext<'_>) -> Result<Devices> {
        let mut d = Devices::default();
        // Whether each controller (in list order) had an index in the document.
        let mut indexed: Vec<bool> = Vec::new();
        for c in node.children().filter(|c| c.is_element()) {
            match c.tag_name().name() {
                "emulator" => {
                    if d.emulator.is_none() {
                        d.emulator = Some(c.text().unwrap_or("").to_string());
                    }
                }
                "disk" => {
                    let disk = DiskDef::parse(c)?;
                    insert_disk(&mut d.disks, disk);
                }
                "controller" => {
                    let (ctrl, has_index) = ControllerDef::parse(c)?;
                    let at = controller_insert_pos(&d.controllers, &indexed, &ctrl, has_index);
                    d.controllers.insert(at, ctrl);
                    indexed.insert(at, has_index);
                }
                "interface" => d.interfaces.push(NetDef::parse(c, ctx.live)?),
                "serial" => d.serials.push(ChrDef::parse(c, ctx.live)?),
                "parallel" => d.parallels.push(ChrDef::parse(c, ctx.live)?),
                "console" => d.consoles.push(ChrDef::parse(c, ctx.live)?),
                "channel" => d.channels.push(ChrDef::parse(c, ctx.live)?),
                "input" => d.inputs.push(InputDef::parse(c, ctx.os_type, ctx.x86)?),
                "graphics" => d.graphics.push(GraphicsDef::parse(c, ctx.live)?),
                "video" => d.videos.push(VideoDef::parse(c)?),
                "memballoon" => {
                    if d.memballoon.is_none() {
                        d.memballoon = Some(MemballoonDef::parse(c)?);
                    }
                }
                "hostdev" => {
                    let el = super::hostdev::parse(c)?;
                    d.other.push((10, el));
                }
                "memory" => {
                    let el = super::memdev::parse(c)?;
                    d.other.push((26, el));
                }
                "lease" => {
                    let el = super::lease::parse(c)?;
                    d.other.push((0, el));
                }
                name => {
                    if let Some(slot) = other_device_slot(name) {
                        if name == "redirfilter"
                            && d.other.iter().any(|(_, e)| e.name == "redirfilter")
                        {
                            return Err(xml::internal_error(
                                "only one set of redirection filter rule is supported",
                            ));
                        }
                        let mut el = RawElement::from_node(c, false);
                        if !ctx.live {
                            // Only the driver's status file marks where a `tls` came from.
                            for s in raw_tcp_sources_mut(&mut el) {
                                s.attrs.retain(|(k, _)| k != TLS_MARK);
                            }
                        }
                        check_other_device(c)?;
                        super::canon::canonicalize(&mut el, name)?;
                        normalize_info(&mut el, c)?;
                        if name == "audio" {
                            audio_canon(&mut el, c)?;
                        }
                        if name == "filesystem" {
                            filesystem_canon(&mut el)?;
                        }
                        if name == "tpm" {
                            super::tpm::canon(&mut el)?;
                        }
                        if redir_canon(&mut el)? {
                            d.other.push((slot, el));
                        }
                    }
                }
            }
        }
        // libvirt adds the SCSI controllers of SCSI host devices while it reads them, before
        // controllers without an index get one.
        let hostdevs: Vec<&RawElement> = d
            .other
            .iter()
            .map(|(_, e)| e)
            .filter(|e| super::hostdev::is_scsi(e))
            .collect();
        super::hostdev::parse_time_controllers(&hostdevs, &mut d.controllers, &mut indexed);
        assign_controller_indexes(&mut d.controllers, &mut indexed);
        for (i, a) in d.controllers.iter().enumerate() {
            // Several USB controllers may share an index (companions).
            if a.ctrl_type != "usb"
                && d.controllers[..i]
                    .iter()
                    .any(|b| b.ctrl_type == a.ctrl_type && b.index == a.index)
            {
                return Err(xml::xml_error(format!(
                    "Multiple '{}' controllers with index '{}'",
                    a.ctrl_type, a.index
                )));
            }
        }
        d.other.sort_by_key(|(slot, _)| *slot);
        if !ctx.live {
            d.drop_runtime_aliases();
        }
        d.post_parse(ctx)?;
        Ok(d)
    }

    /// What libvirt's parser keeps of aliases in a definition that is not live status: only
    /// user aliases (`ua-` and then letters, digits, `_` and `-`); the names a hypervisor
    /// gave devices of a running domain are its own.
    pub(crate) fn drop_runtime_aliases(&mut self) {
        let keep = |a: &str| is_user_alias(a);
        self.for_each_info(|info| {
            if info.alias.as_deref().is_some_and(|a| !keep(a)) {
                info.alias = None;
            }
        });
        for (_, el) in &mut self.other {
            el.children.retain(|c| match c {
                RawNode::Element(e) if e.name == "alias" => e.attr("name").is_some_and(keep),
                _ => true,
            });
        }
    }

    /// Whether any device has an alias other than a user alias.
    pub(crate) fn has_runtime_aliases(&self) -> bool {
        let mut found = false;
        // `for_each_info` visits mutably; a clone is cheap next to formatting.
        self.clone().for_each_info(|i| {
            found |= i.alias.as_deref().is_some_and(|a| !is_user_alias(a));
        });
        found
            || self.other.iter().any(|(_, e)| {
                e.child("alias")
                    .and_then(|a| a.attr("name"))
                    .is_some_and(|a| !is_user_alias(a))
            })
    }

    /// Calls `f` on the [`DeviceInfo`] of every modelled device (those kept as raw elements
    /// carry theirs as an `<alias>` child, see [`raw_alias`] and [`set_raw_alias`]).
    pub fn for_each_info(&mut self, mut f: impl FnMut(&mut DeviceInfo)) {
        let Devices {
            disks,
            controllers,
            interfaces,
            serials,
            parallels,
            consoles,
            channels,
            inputs,
            videos,
            memballoon,
            ..
        } = self;
        disks.iter_mut().for_each(|d| f(&mut d.info));
        controllers.iter_mut().for_each(|d| f(&mut d.info));
        interfaces.iter_mut().for_each(|d| f(&mut d.info));
        for c in [serials, parallels, consoles, channels] {
            c.iter_mut().for_each(|d| f(&mut d.info));
        }
        inputs.iter_mut().for_each(|d| f(&mut d.info));
        videos.iter_mut().for_each(|d| f(&mut d.info));
        if let Some(b) = memballoon {
            f(&mut b.info);
        }
    }

    fn post_parse(&mut self, ctx: &DeviceContext<'_>) -> Result<()> {
        // Disks: bus from the name, drive addresses, duplicates, implicit controllers.
        let scsi_hostdevs: Vec<&RawElement> = self
            .other
            .iter()
            .map(|(_, e)| e)
            .filter(|e| super::hostdev::is_scsi(e))
            .collect();
        for disk in &mut self.disks {
            disk.fill_bus();
            if disk.info.address.is_none() {
                disk.assign_address();
                if disk.bus == "scsi" {
                    super::hostdev::check_disk_address(disk, &scsi_hostdevs)?;
                }
            }
        }
        super::hostdev::assign_addresses(&mut self.other, &self.controllers, &self.disks)?;
        for (i, a) in self.disks.iter().enumerate() {
            if matches!(a.device.as_str(), "disk" | "lun")
                && a.source.is_none()
                && a.disk_type != "nvme"
            {
                return Err(Error::with_detail(
                    ErrorDomain::DOMAIN,
                    ErrorNumber::NO_SOURCE,
                    a.target_dev.clone(),
                ));
            }
            for b in &self.disks[i + 1..] {
                if a.target_dev == b.target_dev {
                    return Err(xml::xml_error(format!(
                        "target '{}' duplicated for disk sources '{}' and '{}'",
                        a.target_dev,
                        a.source_path().unwrap_or("<null>"),
                        b.source_path().unwrap_or("<null>")
                    )));
                }
            }
        }
        for bus in ["scsi", "fdc", "ide", "sata"] {
            let max = self
                .disks
                .iter()
                .filter(|d| d.bus == bus)
                .filter_map(|d| match d.info.address {
                    Some(Address::Drive { controller, .. }) => Some(controller),
                    _ => None,
                })
                .max();
            let Some(max) = max else { continue };
            for idx in 0..=max.min(255) {
                if !self
                    .controllers
                    .iter()
                    .any(|c| c.ctrl_type == bus && c.index == idx)
                {
                    let ctrl = ControllerDef {
                        ctrl_type: bus.to_string(),
                        index: idx,
                        model: None,
                        extra_attrs: Vec::new(),
                        extra: Vec::new(),
                        info: DeviceInfo::default(),
                    };
                    // Appended, not inserted in order: libvirt does the same (so its
                    // own output is not always a fixed point).
                    self.controllers.push(ctrl);
                }
            }
        }
        // A virtio channel or console needs a virtio-serial controller (libvirt appends
        // the implicit controllers it adds, in this order: disks, virtio-serial, ccid).
        let vioser: Vec<u32> = self
            .channels
            .iter()
            .filter(|c| c.target_type.as_deref() == Some("virtio"))
            .map(|c| match c.info.address {
                Some(Address::VirtioSerial { controller, .. }) => controller,
                _ => 0,
            })
            .collect();
        for idx in vioser {
            self.maybe_add_controller("virtio-serial", idx);
        }
        if self
            .consoles
            .iter()
            .any(|c| c.target_type.as_deref() == Some("virtio"))
        {
            self.maybe_add_controller("virtio-serial", 0);
        }
        self.smartcard_addresses();
        self.rng_default_files();
        super::hostdev::implicit_controllers(&self.other, &mut self.controllers);
        super::hostdev::validate(&self.other)?;
        validate_audio(&self.other)?;
        // A USB redirected device needs a USB controller (of a model other than none). An x86
        // QEMU guest without one gets the machine's own from the QEMU driver first.
        let usb: Vec<&ControllerDef> = (self.controllers.iter())
            .filter(|c| c.ctrl_type == "usb")
            .collect();
        let has_usb = usb.iter().any(|c| c.model.as_deref() != Some("none"))
            || (usb.is_empty() && ctx.x86 && matches!(ctx.virt_type, "qemu" | "kvm"));
        if !has_usb
            && self
                .other
                .iter()
                .any(|(_, e)| e.name == "redirdev" && e.attr("bus").is_none_or(|b| b == "usb"))
        {
            return Err(xml::config_unsupported(
                "cannot add redirected USB device: USB is disabled for this domain",
            ));
        }
        // Serial ports and consoles without a port number take one past the highest of
        // their kind (including ports given further down, as libvirt numbers them).
        for list in [&mut self.serials, &mut self.consoles] {
            for i in 0..list.len() {
                if list[i].target_port.is_none() {
                    let max = list.iter().filter_map(|c| c.target_port).max();
                    list[i].target_port = Some(max.map_or(0, |m| m.saturating_add(1)));
                }
            }
        }
        self.console_compat(ctx.os_type)?;
        // Videos: an implicit one with graphics, default model and memory, the primary one.
        if self.videos.is_empty() && !self.graphics.is_empty() {
            self.videos.push(VideoDef {
                model: String::new(),
                ram: 0,
                vram: 0,
                vram64: 0,
                vgamem: 0,
                heads: 1,
                primary: false,
                model_children: Vec::new(),
                extra: Vec::new(),
                info: DeviceInfo::default(),
            });
        }
        for v in &mut self.videos {
            if v.model.is_empty() {
                v.model = if ctx.os_type == "xen" || ctx.os_type == "linux" {
                    "xen"
                } else {
                    "cirrus"
                }
                .into();
            }
            if v.vram == 0 {
                v.vram = video_default_ram(ctx.virt_type, &v.model);
            }
            if v.model == "qxl" && v.ram == 0 {
                v.ram = 64 * 1024;
            }
        }
        if self.videos.iter().filter(|v| v.primary).count() > 1 {
            return Err(xml::xml_error("Only one primary video device is supported"));
        }
        if let Some(p) = self.videos.iter().position(|v| v.primary) {
            let v = self.videos.remove(p);
            self.videos.insert(0, v);
        } else if let Some(first) = self.videos.first_mut() {
            first.primary = true;
        }
        Ok(())
    }

    /// A `random` generator backend without a host file reads `/dev/random`, written into
    /// the definition as libvirt's post-parse does.
    fn rng_default_files(&mut self) {
        for (_, e) in self.other.iter_mut().filter(|(_, e)| e.name == "rng") {
            let Some(b) = e.child_mut("backend") else {
                continue;
            };
            let named = b.text().is_some_and(|t| !t.is_empty());
            if b.attr("model") == Some("random") && !named {
                b.children.retain(|c| !matches!(c, RawNode::Text(_)));
                b.children.push(RawNode::Text("/dev/random".into()));
            }
        }
    }

    /// Adds controller `ctrl_type` number `index` at the end unless there is one.
    fn maybe_add_controller(&mut self, ctrl_type: &str, index: u32) {
        if self
            .controllers
            .iter()
            .any(|c| c.ctrl_type == ctrl_type && c.index == index)
        {
            return;
        }
        self.controllers.push(ControllerDef {
            ctrl_type: ctrl_type.to_string(),
            index,
            model: None,
            extra_attrs: Vec::new(),
            extra: Vec::new(),
            info: DeviceInfo::default(),
        });
    }

    /// Smartcards without an address take the next slot of CCID controller 0; every
    /// smartcard's controller is added when missing.
    fn smartcard_addresses(&mut self) {
        fn ccid(el: &RawElement) -> Option<(u32, u32)> {
            let a = el.child("address")?;
            if a.attr("type") != Some("ccid") {
                return None;
            }
            let num = |k: &str| a.attr(k).and_then(parse_uint_auto).unwrap_or(0);
            Some((num("controller"), num("slot")))
        }
        let cards: Vec<usize> = (0..self.other.len())
            .filter(|&i| self.other[i].1.name == "smartcard")
            .collect();
        for &i in &cards {
            let el = &self.other[i].1;
            let has_address = el.child("address").is_some();
            let idx = match ccid(el) {
                Some((controller, _)) => controller,
                None if has_address => 0,
                None => {
                    let next = cards
                        .iter()
                        .filter_map(|&j| ccid(&self.other[j].1))
                        .filter(|(c, _)| *c == 0)
                        .map(|(_, slot)| slot + 1)
                        .max()
                        .unwrap_or(0);
                    self.other[i].1.children.push(RawNode::Element(RawElement {
                        name: "address".into(),
                        attrs: vec![
                            ("type".into(), "ccid".into()),
                            ("controller".into(), "0".into()),
                            ("slot".into(), next.to_string()),
                        ],
                        children: Vec::new(),
                    }));
                    0
                }
            };
            self.maybe_add_controller("ccid", idx);
        }
    }

    fn console_compat(&mut self, os_type: &str) -> Result<()> {
        if self
            .consoles
            .iter()
            .skip(1)
            .any(|c| c.target_type.as_deref() == Some("serial"))
        {
            return Err(xml::config_unsupported(
                "Only the first console can be a serial port",
            ));
        }
        if os_type != "hvm" {
            return Ok(());
        }
        let first_is_serial = self
            .consoles
            .first()
            .is_some_and(|c| c.target_type.is_none() || c.target_type.as_deref() == Some("serial"));
        if first_is_serial {
            let mut con = self.consoles.remove(0);
            let mut alias = serial_alias();
            if self.serials.is_empty() {
                con.target_type = None;
                con.target_port = Some(0);
                self.serials.push(con);
            } else if self.serials[0].same_source(&con) {
                // libvirt keeps a console written for the port as it was read, its number
                // with it (the next console's number counts it); a stand-in it makes has
                // none.
                alias.target_port = con.target_port;
            }
            self.consoles.insert(0, alias);
        } else if self.serials.first().is_some_and(|s| {
            // A PCI or USB serial port (or the ISA debug port) has no console standing for it.
            !matches!(
                s.target_type.as_deref(),
                Some("pci-serial" | "usb-serial" | "isa-debug")
            )
        }) {
            self.consoles.insert(0, serial_alias());
        }
        Ok(())
    }

    /// True when any device carries a `<boot order>`.
    pub fn has_boot_order(&self) -> bool {
        self.disks.iter().any(|d| d.info.boot_order.is_some())
            || self.interfaces.iter().any(|n| n.info.boot_order.is_some())
            || self.other.iter().any(|(_, e)| {
                matches!(e.name.as_str(), "hostdev" | "filesystem" | "redirdev")
                    && e.child("boot").is_some()
            })
    }

    pub(crate) fn format(&self, o: &mut Out, opts: &crate::domain::FormatOptions) {
        let (inactive, migratable, status) = (opts.inactive, opts.migratable, opts.status);
        o.open("devices");
        o.start_children();
        if let Some(e) = &self.emulator {
            o.text_el("emulator", e);
        }
        for d in &self.disks {
            d.format(o);
        }
        for c in &self.controllers {
            c.format(o);
        }
        let mut other = self.other.iter().peekable();
        let mut flush = |o: &mut Out, upto: u8| {
            while let Some((_, el)) = other.next_if(|(s, _)| *s <= upto) {
                // libvirt always writes a redirdev's start and end tags.
                if el.name == "redirdev" && el.children.is_empty() {
                    o.open(&el.name);
                    write_attrs(o, &el.attrs);
                    o.start_children();
                    o.end(&el.name);
                } else if inactive && el.name == "memory" {
                    // A virtio-mem device's plugged size exists only while it runs.
                    let mut el = el.clone();
                    if let Some(t) = el.child_mut("target") {
                        t.children
                            .retain(|c| !matches!(c, RawNode::Element(e) if e.name == "current"));
                    }
                    o.raw(&el);
                } else if !status && let Some(el) = without_tls_marks(el, migratable) {
                    o.raw(&el);
                } else {
                    o.raw(el);
                }
            }
        };
        flush(o, 2);
        for n in &self.interfaces {
            n.format(o, opts);
        }
        flush(o, 4);
        for s in &self.serials {
            s.format(o, "serial", None, opts);
        }
        for p in &self.parallels {
            p.format(o, "parallel", None, opts);
        }
        for (i, c) in self.consoles.iter().enumerate() {
            if i == 0 && c.is_serial_alias() {
                if let Some(s) = self.serials.first() {
                    s.format(o, "console", Some("serial"), opts);
                    continue;
                }
            }
            c.format(o, "console", None, opts);
        }
        for c in &self.channels {
            c.format(o, "channel", None, opts);
        }
        for i in &self.inputs {
            // Not in migratable XML, for older libvirt on the other side (as libvirt).
            let implicit_kbd =
                i.input_type == "keyboard" && matches!(i.bus.as_deref(), Some("ps2" | "xen"));
            if !(migratable && implicit_kbd) {
                i.format(o);
            }
        }
        flush(o, 6);
        for g in &self.graphics {
            g.format(o, opts);
        }
        flush(o, 9);
        for v in &self.videos {
            v.format(o);
        }
        flush(o, 18);
        if let Some(b) = &self.memballoon {
            b.format(o);
        }
        flush(o, u8::MAX);
        o.end("devices");
    }
}

/// A user alias as libvirt accepts it in an inactive definition: `ua-` and then only
/// letters, digits, `_` and `-`.
pub fn is_user_alias(alias: &str) -> bool {
    alias.starts_with("ua-")
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The `<alias name>` of a device kept as a raw element (sound, watchdog, rng…).
pub fn raw_alias(el: &RawElement) -> Option<&str> {
    el.child("alias").and_then(|a| a.attr("name"))
}

/// Gives a device kept as a raw element the alias `name`, where libvirt prints it: before
/// the `<address>` (which comes last), or last.
pub fn set_raw_alias(el: &mut RawElement, name: &str) {
    el.children
        .retain(|c| !matches!(c, RawNode::Element(e) if e.name == "alias"));
    let alias = RawNode::Element(RawElement {
        name: "alias".into(),
        attrs: vec![("name".into(), name.into())],
        children: Vec::new(),
    });
    let at = el
        .children
        .iter()
        .position(|c| matches!(c, RawNode::Element(e) if e.name == "address"))
        .unwrap_or(el.children.len());
    el.children.insert(at, alias);
}

pub(super) fn serial_alias() -> ChrDef {
    let mut c = ChrDef::new("pty", Vec::new());
    c.target_type = Some("serial".into());
    c
}

impl ChrDef {
    fn is_serial_alias(&self) -> bool {
        self.target_type.as_deref() == Some("serial")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_names() {
        assert_eq!(disk_name_to_index("sda"), Some(0));
        assert_eq!(disk_name_to_index("hdz"), Some(25));
        assert_eq!(disk_name_to_index("vdaa"), Some(26));
        assert_eq!(disk_name_to_index("sdb1"), Some(1));
        assert_eq!(disk_name_to_index("foo"), None);
    }

    #[test]
    fn macs() {
        assert_eq!(
            parse_mac("52:54:0:AB:cd:1")
                .map(|m| format_mac(&m))
                .as_deref(),
            Some("52:54:00:ab:cd:01")
        );
        assert!(parse_mac("zz").is_none());
        assert!(parse_mac("1:2:3:4:5:6:7").is_none());
        assert!(generate_mac().starts_with("52:54:00:"));
    }
}
