//! `<hostdev>`: the checks libvirt applies to every host device in subsystem mode, and SCSI host
//! devices (`type='scsi'`, a host adapter's LUN or an iSCSI target) in libvirt's model. SCSI host
//! devices sit on the guest's SCSI controllers beside SCSI disks, so they get a drive address
//! (the first free unit, controller by controller) and an implicit controller when there is
//! none, as libvirt's post-parse does. The other kinds are kept as trees ([`RawElement`]).

use super::devices::{Address, ControllerDef, DeviceInfo, DiskDef};
use super::netdev::{element, pair};
use crate::raw::{RawElement, RawNode};
use crate::xml::{self, attr_enum, child};
use roxmltree::Node;
use rvirt_types::{Result, Uuid};

const SUBSYS_TYPES: &[&str] = &["usb", "pci", "scsi", "scsi_host", "mdev"];

/// Units per SCSI controller libvirt's test driver gives out (a narrow bus: 0 to 6).
const SCSI_UNITS: u32 = 7;

/// libvirt's `virXMLPropUInt`/`virXMLPropULongLong` with base 0 and `VIR_XML_PROP_REQUIRED`.
fn required_uint(node: Node<'_, '_>, attr: &str, max: u64) -> Result<u64> {
    let Some(v) = node.attribute(attr) else {
        return Err(xml::xml_error(format!(
            "Missing required attribute '{attr}' in element '{}'",
            node.tag_name().name()
        )));
    };
    parse_c_unsigned(v).filter(|n| *n <= max).ok_or_else(|| {
        xml::xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{}': '{v}'. \
             Expected non-negative integer value",
            node.tag_name().name()
        ))
    })
}

/// An unsigned number as `strtoull` with base 0 reads it (leading blanks, `0x` hex, leading-zero
/// octal), with nothing after it; a minus sign is refused, as libvirt's `virStrToLong_u*p` do.
fn parse_c_unsigned(s: &str) -> Option<u64> {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u64::from_str_radix(&t[1..], 8).ok()
    } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse().ok()
    } else {
        None
    }
}

/// Parses a `<hostdev>` into libvirt's canonical form. Subsystem devices get libvirt's common
/// checks (type, source, startupPolicy, sgio, rawio, model); SCSI ones are rebuilt from their
/// model; the others are kept as written and canonicalized by the generic rules.
pub(crate) fn parse(node: Node<'_, '_>) -> Result<RawElement> {
    let mode = node.attribute("mode");
    match mode {
        None | Some("subsystem") => {}
        Some("capabilities") => return caps(node),
        Some(m) => {
            return Err(xml::config_unsupported(format!(
                "unknown hostdev mode '{m}'"
            )));
        }
    }
    let Some(subsys) = node.attribute("type") else {
        return Err(xml::xml_error("missing source address type"));
    };
    if !SUBSYS_TYPES.contains(&subsys) {
        return Err(xml::config_unsupported(format!(
            "unknown host device source address type '{subsys}'"
        )));
    }
    let Some(source) = child(node, "source") else {
        return Err(xml::xml_error("Missing <source> element in hostdev device"));
    };
    if subsys != "usb" && source.attribute("startupPolicy").is_some() {
        return Err(xml::config_unsupported(
            "Setting startupPolicy is only allowed for USB devices",
        ));
    }
    let is_scsi = subsys == "scsi";
    let sgio = attr_enum(node, "sgio", &["filtered", "unfiltered"])?;
    if sgio.is_some() && !is_scsi {
        return Err(xml::xml_error(
            "sgio is only supported for scsi host device",
        ));
    }
    let rawio = attr_enum(node, "rawio", &["yes", "no"])?;
    if rawio.is_some() && !is_scsi {
        return Err(xml::xml_error(
            "rawio is only supported for scsi host device",
        ));
    }
    if node.attribute("model").is_some() && !matches!(subsys, "mdev" | "scsi_host") {
        return Err(xml::xml_error(format!(
            "'model' attribute in <hostdev> is only supported when type='{subsys}'"
        )));
    }
    if !is_scsi {
        let mut el = raw(node)?;
        // Only SCSI host devices can be read-only or shared.
        el.children.retain(
            |c| !matches!(c, RawNode::Element(e) if e.name == "readonly" || e.name == "shareable"),
        );
        if subsys == "pci" {
            pci_source(source, &mut el)?;
        }
        // Boot order, alias, ROM and address come last, in libvirt's form.
        let info = DeviceInfo::parse(node, true)?;
        el.children.retain(|c| {
            !matches!(c, RawNode::Element(e)
                if matches!(e.name.as_str(), "boot" | "alias" | "address" | "rom"))
        });
        let rom = child(node, "rom").map(|r| RawElement::from_node(r, false));
        el.children
            .extend(info.to_raw(rom.as_ref()).into_iter().map(RawNode::Element));
        return Ok(el);
    }
    let mut attrs = vec![
        pair("mode", "subsystem"),
        pair("type", "scsi"),
        pair(
            "managed",
            if node.attribute("managed") == Some("yes") {
                "yes"
            } else {
                "no"
            },
        ),
    ];
    if let Some(s) = sgio {
        attrs.push(pair("sgio", s));
    }
    if let Some(r) = rawio {
        attrs.push(pair("rawio", r));
    }
    let mut children = vec![scsi_source(source)?];
    let info = DeviceInfo::parse(node, true)?;
    if let Some(a) = &info.address {
        if !matches!(a, Address::Drive { .. }) {
            return Err(xml::config_unsupported(
                "SCSI host device must use 'drive' address type",
            ));
        }
    }
    if sgio == Some("unfiltered") {
        return Err(xml::config_unsupported(
            "unfiltered sgio is no longer supported",
        ));
    }
    for flag in ["readonly", "shareable"] {
        if child(node, flag).is_some() {
            children.push(element(flag, Vec::new(), Vec::new()));
        }
    }
    if let Some(order) = info.boot_order {
        children.push(element(
            "boot",
            vec![pair("order", order.to_string())],
            Vec::new(),
        ));
    }
    if let Some(alias) = &info.alias {
        children.push(element("alias", vec![pair("name", alias)], Vec::new()));
    }
    if let Some(rom) = child(node, "rom") {
        children.push(RawElement::from_node(rom, false));
    }
    let mut el = element("hostdev", attrs, children);
    if let Some(Address::Drive {
        controller,
        bus,
        target,
        unit,
    }) = info.address
    {
        set_drive_address(&mut el, [controller, bus, target, unit]);
    }
    Ok(el)
}

/// A PCI host device's `<source>` as libvirt formats it: `writeFiltering`, then the host
/// address in hex (all zero when none is given).
fn pci_source(source: Node<'_, '_>, el: &mut RawElement) -> Result<()> {
    let write_filtering = attr_enum(source, "writeFiltering", &["yes", "no"])?;
    let mut numbers = [0u32; 4];
    if let Some(address) = child(source, "address") {
        for (slot, attr) in numbers
            .iter_mut()
            .zip(["domain", "bus", "slot", "function"])
        {
            if address.attribute(attr).is_some() {
                *slot = required_uint(address, attr, u64::from(u32::MAX))? as u32;
            }
        }
        attr_enum(address, "multifunction", &["on", "off"])?;
        let [domain, bus, slot, function] = numbers;
        if numbers != [0; 4] {
            super::devices::pci_limit("domain", domain, 0xFFFF, 4)?;
            super::devices::pci_limit("bus", bus, 0xFF, 2)?;
            super::devices::pci_limit("slot", slot, 0x1F, 2)?;
            super::devices::pci_limit("function", function, 7, 1)?;
        }
    }
    let [domain, bus, slot, function] = numbers;
    let mut attrs = Vec::new();
    if let Some(w) = write_filtering {
        attrs.push(pair("writeFiltering", w));
    }
    let address = element(
        "address",
        vec![
            pair("domain", format!("0x{domain:04x}")),
            pair("bus", format!("0x{bus:02x}")),
            pair("slot", format!("0x{slot:02x}")),
            pair("function", format!("0x{function}")),
        ],
        Vec::new(),
    );
    if let Some(src) = el.child_mut("source") {
        *src = element("source", attrs, vec![address]);
    }
    Ok(())
}

/// A host device in capabilities mode (a block or character device, or a network interface,
/// for containers): libvirt's checks, `mode` and `type` only, the rest kept as written.
fn caps(node: Node<'_, '_>) -> Result<RawElement> {
    let Some(kind) = node.attribute("type") else {
        return Err(xml::xml_error("missing source address type"));
    };
    let (inner, what) = match kind {
        "storage" => ("block", "storage"),
        "misc" => ("char", "character"),
        "net" => ("interface", "net"),
        _ => {
            return Err(xml::config_unsupported(format!(
                "unknown host device source address type '{kind}'"
            )));
        }
    };
    let Some(source) = child(node, "source") else {
        return Err(xml::xml_error("Missing <source> element in hostdev device"));
    };
    // Blank text counts as none (the kept element drops whitespace-only text, so it could
    // not be read back).
    if child(source, inner)
        .and_then(|b| b.text())
        .is_none_or(|t| t.trim().is_empty())
    {
        return Err(xml::xml_error(format!(
            "Missing <{inner}> element in hostdev {what} device"
        )));
    }
    let mut el = RawElement::from_node(node, false);
    el.attrs = vec![pair("mode", "capabilities"), pair("type", kind)];
    Ok(el)
}

/// A device kept as written, canonicalized by the generic rules.
fn raw(node: Node<'_, '_>) -> Result<RawElement> {
    let mut el = RawElement::from_node(node, false);
    super::canon::canonicalize(&mut el, "hostdev")?;
    Ok(el)
}

/// The `<source>` of a SCSI host device: a host adapter's bus, target and unit, or an iSCSI
/// target (one host, optional auth and initiator).
fn scsi_source(source: Node<'_, '_>) -> Result<RawElement> {
    match source.attribute("protocol") {
        None | Some("adapter") => {
            let Some(address) = child(source, "address") else {
                return Err(xml::xml_error(
                    "'address' must be specified for scsi hostdev source",
                ));
            };
            let bus = required_uint(address, "bus", u64::from(u32::MAX))?;
            let target = required_uint(address, "target", u64::from(u32::MAX))?;
            let unit = required_uint(address, "unit", u64::MAX)?;
            let Some(adapter) = child(source, "adapter")
                .and_then(|a| a.attribute("name"))
                .filter(|n| !n.is_empty())
            else {
                return Err(xml::xml_error(
                    "'adapter' name must be specified for scsi hostdev source",
                ));
            };
            Ok(element(
                "source",
                Vec::new(),
                vec![
                    element("adapter", vec![pair("name", adapter)], Vec::new()),
                    element(
                        "address",
                        vec![
                            pair("bus", bus.to_string()),
                            pair("target", target.to_string()),
                            pair("unit", unit.to_string()),
                        ],
                        Vec::new(),
                    ),
                ],
            ))
        }
        Some("iscsi") => iscsi_source(source),
        Some(p) => Err(xml::config_unsupported(format!(
            "Unknown SCSI subsystem protocol '{p}'"
        ))),
    }
}

fn iscsi_source(source: Node<'_, '_>) -> Result<RawElement> {
    let Some(name) = source.attribute("name") else {
        return Err(xml::xml_error("missing iSCSI hostdev source path name"));
    };
    let mut hosts: Vec<RawElement> = source
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "host")
        .map(|c| RawElement::from_node(c, false))
        .collect();
    super::devices::network_hosts("", &mut hosts)?;
    let host = match hosts.as_slice() {
        [] => {
            return Err(xml::xml_error(
                "missing the host address for the iSCSI hostdev",
            ));
        }
        [h] => h,
        _ => {
            return Err(xml::xml_error(
                "only one source host address may be specified for the iSCSI hostdev",
            ));
        }
    };
    // Only the name and port are formatted back, whatever the transport.
    let host_attrs = host
        .attrs
        .iter()
        .filter(|(k, _)| k == "name" || k == "port")
        .cloned()
        .collect();
    let mut children = vec![element("host", host_attrs, Vec::new())];
    if let Some(auth) = child(source, "auth") {
        children.push(iscsi_auth(auth)?);
    }
    let iqn = child(source, "initiator")
        .and_then(|i| child(i, "iqn"))
        .and_then(|i| i.attribute("name"))
        .filter(|n| !n.is_empty());
    if let Some(iqn) = iqn {
        children.push(element(
            "initiator",
            Vec::new(),
            vec![element("iqn", vec![pair("name", iqn)], Vec::new())],
        ));
    }
    // An IQN without a LUN means LUN 0.
    let path = if name.contains('/') {
        name.to_string()
    } else {
        format!("{name}/0")
    };
    Ok(element(
        "source",
        vec![pair("protocol", "iscsi"), pair("name", path)],
        children,
    ))
}

/// `<auth>` of an iSCSI host device: a user name, an optional type, and a secret of usage type
/// `iscsi` named by UUID or usage.
fn iscsi_auth(auth: Node<'_, '_>) -> Result<RawElement> {
    let Some(username) = auth.attribute("username").filter(|u| !u.is_empty()) else {
        return Err(xml::xml_error("missing username for auth"));
    };
    let auth_type = match auth.attribute("type") {
        None | Some("none") => None,
        Some(t @ ("chap" | "ceph")) => Some(t),
        Some(t) => {
            return Err(xml::config_unsupported(format!("unknown auth type '{t}'")));
        }
    };
    let Some(secret) = child(auth, "secret") else {
        return Err(xml::xml_error("Missing <secret> element in auth"));
    };
    let lookup = match (secret.attribute("uuid"), secret.attribute("usage")) {
        (None, None) => {
            return Err(xml::xml_error("missing secret uuid or usage attribute"));
        }
        (Some(_), Some(_)) => {
            return Err(xml::xml_error("either secret uuid or usage expected"));
        }
        (Some(u), None) => match Uuid::parse(u) {
            Ok(uuid) => pair("uuid", uuid.to_string()),
            Err(_) => return Err(xml::xml_error(format!("invalid secret uuid '{u}'"))),
        },
        (None, Some(u)) => pair("usage", u),
    };
    let secret_type = secret.attribute("type");
    match secret_type {
        Some("iscsi") => {}
        Some(t @ ("none" | "volume" | "ceph" | "tls" | "vtpm")) => {
            return Err(xml::internal_error(format!(
                "hostdev invalid secret type '{t}'"
            )));
        }
        other => {
            return Err(xml::config_unsupported(format!(
                "invalid secret type {}",
                other.unwrap_or("(null)")
            )));
        }
    }
    let mut attrs = Vec::new();
    if let Some(t) = auth_type {
        attrs.push(pair("type", t));
    }
    attrs.push(pair("username", username));
    Ok(element(
        "auth",
        attrs,
        vec![element(
            "secret",
            vec![pair("type", "iscsi"), lookup],
            Vec::new(),
        )],
    ))
}

/// True for a SCSI host device (as rebuilt by [`parse`]).
pub(crate) fn is_scsi(el: &RawElement) -> bool {
    el.name == "hostdev" && el.attr("type") == Some("scsi") && el.attr("mode") == Some("subsystem")
}

/// The drive address of a SCSI host device: controller, bus, target, unit.
pub(crate) fn drive_address(el: &RawElement) -> Option<[u32; 4]> {
    let a = el.child("address")?;
    let n = |k: &str| a.attr(k).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
    Some([n("controller"), n("bus"), n("target"), n("unit")])
}

/// Sets the drive address of a SCSI host device, as the last child.
fn set_drive_address(el: &mut RawElement, [controller, bus, target, unit]: [u32; 4]) {
    el.children
        .retain(|c| !matches!(c, RawNode::Element(e) if e.name == "address"));
    el.children.push(RawNode::Element(element(
        "address",
        vec![
            pair("type", "drive"),
            pair("controller", controller.to_string()),
            pair("bus", bus.to_string()),
            pair("target", target.to_string()),
            pair("unit", unit.to_string()),
        ],
        Vec::new(),
    )));
}

/// What identifies the host device behind a SCSI hostdev: adapter, bus, target and unit, or
/// the iSCSI host name, port and path.
fn scsi_identity(el: &RawElement) -> Vec<&str> {
    let Some(src) = el.child("source") else {
        return Vec::new();
    };
    fn attr<'a>(e: Option<&'a RawElement>, k: &str) -> &'a str {
        e.and_then(|e| e.attr(k)).unwrap_or("")
    }
    match src.attr("protocol") {
        Some(p) => {
            let host = src.child("host");
            vec![
                p,
                attr(host, "name"),
                attr(host, "port"),
                attr(Some(src), "name"),
            ]
        }
        None => {
            let addr = src.child("address");
            vec![
                "adapter",
                attr(src.child("adapter"), "name"),
                attr(addr, "bus"),
                attr(addr, "target"),
                attr(addr, "unit"),
            ]
        }
    }
}

/// Whether the SCSI unit at `addr` is taken: beyond what the controller's model offers,
/// the controller's own unit, or the address of a SCSI disk or SCSI host device.
fn scsi_unit_taken(
    addr: [u32; 4],
    controllers: &[ControllerDef],
    disks: &[DiskDef],
    hostdevs: &[&RawElement],
) -> bool {
    let model = controllers
        .iter()
        .find(|c| c.ctrl_type == "scsi" && c.index == addr[0])
        .and_then(|c| c.model.as_deref());
    let (max, reserved) = match model {
        Some("virtio-scsi" | "virtio-transitional" | "virtio-non-transitional") => {
            (Some(16383), None)
        }
        Some("ibmvscsi") => (Some(31), Some(7)),
        Some("lsisas1068") => (Some(1), None),
        Some("lsisas1078") => (Some(255), None),
        Some("lsilogic" | "vmpvscsi" | "buslogic") => (None, Some(7)),
        Some("ncr53c90" | "dc390" | "am53c974") => (Some(6), None),
        _ => (None, None),
    };
    if max.is_some_and(|m| addr[3] > m) || reserved == Some(addr[3]) {
        return true;
    }
    disk_at(disks, addr).is_some() || hostdevs.iter().any(|h| drive_address(h) == Some(addr))
}

/// The SCSI disk with drive address `addr`.
fn disk_at(disks: &[DiskDef], addr: [u32; 4]) -> Option<&DiskDef> {
    disks.iter().find(|d| {
        d.bus == "scsi"
            && matches!(d.info.address, Some(Address::Drive { controller, bus, target, unit })
                if [controller, bus, target, unit] == addr)
    })
}

/// A SCSI disk's default drive address must not be one a SCSI host device was given.
pub(crate) fn check_disk_address(disk: &DiskDef, hostdevs: &[&RawElement]) -> Result<()> {
    let Some(Address::Drive {
        controller, unit, ..
    }) = disk.info.address
    else {
        return Ok(());
    };
    let addr = [controller, 0, 0, unit];
    if hostdevs.iter().any(|h| drive_address(h) == Some(addr)) {
        return Err(xml::config_unsupported(format!(
            "using disk target name '{}' conflicts with SCSI host device address \
             controller='{controller}' bus='0' target='0' unit='{unit}",
            disk.target_dev
        )));
    }
    Ok(())
}

/// The SCSI controllers libvirt adds while it reads each SCSI host device: every index up to
/// the highest one a device names (0 for one without an address), of the model of the
/// controller that highest device sits on. `has_index[i]` tells whether controller `i` has
/// its index yet (an unindexed one gets it later and is not found here).
pub(crate) fn parse_time_controllers(
    hostdevs: &[&RawElement],
    controllers: &mut Vec<ControllerDef>,
    has_index: &mut Vec<bool>,
) {
    let mut max: Option<u32> = None;
    let mut model: Option<String> = None;
    for h in hostdevs.iter().filter(|h| is_scsi(h)) {
        let controller = drive_address(h).map_or(0, |a| a[0]);
        if max.is_none_or(|m| controller > m) {
            max = Some(controller);
            let found = controllers
                .iter()
                .zip(has_index.iter())
                .find(|(c, indexed)| **indexed && c.ctrl_type == "scsi" && c.index == controller);
            if let Some(m) = found.and_then(|(c, _)| c.model.clone()) {
                model = Some(m);
            }
        }
        let Some(top) = max else { continue };
        for idx in 0..=top.min(255) {
            let exists = controllers
                .iter()
                .zip(has_index.iter())
                .any(|(c, indexed)| *indexed && c.ctrl_type == "scsi" && c.index == idx);
            if !exists {
                controllers.push(scsi_controller(idx, model.clone()));
                has_index.push(true);
            }
        }
    }
}

fn scsi_controller(index: u32, model: Option<String>) -> ControllerDef {
    ControllerDef {
        ctrl_type: "scsi".to_string(),
        index,
        model,
        extra_attrs: Vec::new(),
        extra: Vec::new(),
        info: DeviceInfo::default(),
    }
}

/// Post-parse of SCSI host devices, after the disks got their addresses: each one without an
/// address takes the first free unit (bus 0, target 0), controller by controller; none may sit
/// where a SCSI disk is.
pub(crate) fn assign_addresses(
    other: &mut [(u8, RawElement)],
    controllers: &[ControllerDef],
    disks: &[DiskDef],
) -> Result<()> {
    for i in 0..other.len() {
        if !is_scsi(&other[i].1) {
            continue;
        }
        if drive_address(&other[i].1).is_none() {
            let hostdevs: Vec<&RawElement> = other
                .iter()
                .map(|(_, e)| e)
                .filter(|e| is_scsi(e))
                .collect();
            let mut controller = 0u32;
            let unit = loop {
                let free = (0..SCSI_UNITS).find(|u| {
                    !scsi_unit_taken([controller, 0, 0, *u], controllers, disks, &hostdevs)
                });
                match free {
                    Some(u) => break u,
                    None => controller += 1,
                }
            };
            set_drive_address(&mut other[i].1, [controller, 0, 0, unit]);
        }
        let addr = drive_address(&other[i].1).unwrap_or_default();
        if disk_at(disks, addr).is_some() {
            return Err(xml::xml_error(format!(
                "SCSI host address controller='{}' bus='{}' target='{}' unit='{}' in use by a \
                 SCSI disk",
                addr[0], addr[1], addr[2], addr[3]
            )));
        }
    }
    Ok(())
}

/// The SCSI controllers libvirt adds after post-parse for SCSI host devices: every index up to
/// the highest one in use, of the model of the controller the device with the highest index
/// sits on (when that one exists and has a model).
pub(crate) fn implicit_controllers(
    other: &[(u8, RawElement)],
    controllers: &mut Vec<ControllerDef>,
) {
    let mut max: Option<u32> = None;
    let mut model: Option<String> = None;
    for (_, h) in other.iter().filter(|(_, h)| is_scsi(h)) {
        let controller = drive_address(h).map_or(0, |a| a[0]);
        if max.is_none_or(|m| controller > m) {
            max = Some(controller);
            let found = controllers
                .iter()
                .find(|c| c.ctrl_type == "scsi" && c.index == controller);
            if let Some(m) = found.and_then(|c| c.model.clone()) {
                model = Some(m);
            }
        }
    }
    let Some(top) = max else { return };
    for idx in 0..=top.min(255) {
        if !controllers
            .iter()
            .any(|c| c.ctrl_type == "scsi" && c.index == idx)
        {
            controllers.push(scsi_controller(idx, model.clone()));
        }
    }
}

/// libvirt's checks of SCSI host devices against each other: the same host device twice, or
/// two at one drive address.
pub(crate) fn validate(other: &[(u8, RawElement)]) -> Result<()> {
    let hostdevs: Vec<&RawElement> = other
        .iter()
        .map(|(_, e)| e)
        .filter(|e| is_scsi(e))
        .collect();
    for (i, a) in hostdevs.iter().enumerate() {
        let id = scsi_identity(a);
        if hostdevs[i + 1..].iter().any(|b| scsi_identity(b) == id) {
            return Err(xml::xml_error(
                "Hostdev already exists in the domain configuration",
            ));
        }
    }
    for (i, a) in hostdevs.iter().enumerate() {
        let Some(addr) = drive_address(a) else {
            continue;
        };
        if hostdevs[i + 1..]
            .iter()
            .any(|b| drive_address(b) == Some(addr))
        {
            // libvirt prints the bus as the controller and the controller as the bus.
            return Err(xml::config_unsupported(format!(
                "SCSI host address controller='{}' bus='{}' target='{}' unit='{}' in use by \
                 another SCSI host device",
                addr[1], addr[0], addr[2], addr[3]
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_unsigned_numbers() {
        assert_eq!(parse_c_unsigned(" 010"), Some(8));
        assert_eq!(parse_c_unsigned("0x1f"), Some(31));
        assert_eq!(parse_c_unsigned("12"), Some(12));
        assert_eq!(parse_c_unsigned("-1"), None);
        assert_eq!(parse_c_unsigned(""), None);
        assert_eq!(parse_c_unsigned("1x"), None);
    }
}
