//! Device commands of the Domain Management group: attach-device, attach-disk,
//! attach-interface, detach-device, detach-device-alias, detach-disk, detach-interface,
//! update-device. Their declarations are listed in `domain.rs`'s table at virsh's places.

use crate::cmd::{CmdDef, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::parse::Cmd;
use rvirt::blocking::Domain;
use rvirt::flags::{DomainDeviceModifyFlags, DomainXMLFlags};

/// `attach-device`.
pub const ATTACH_DEVICE: CmdDef = CmdDef {
    name: "attach-device",
    help: "attach device from an XML file",
    desc: "Attach device from an XML <file>.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("file", OptKind::Data, "XML file").required(),
        Opt::PERSISTENT,
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_attach_device)
};

/// `domif-setlink`.
pub const DOMIF_SETLINK: CmdDef = CmdDef {
    name: "domif-setlink",
    help: "set link state of a virtual interface",
    desc: "Set link state of a domain's virtual interface. This command wraps usage of \
           update-device command.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("interface", OptKind::Data, "interface device (MAC Address)").required(),
        Opt::new("state", OptKind::Data, "new state of the device").required(),
        Opt::new("persistent", OptKind::Alias, "config"),
        Opt::CONFIG,
        Opt::new(
            "print-xml",
            OptKind::Bool,
            "print XML document rather than set the interface link state",
        ),
    ],
    ..CmdDef::new(cmd_domif_setlink)
};

/// `attach-disk`.
pub const ATTACH_DISK: CmdDef = CmdDef {
    name: "attach-disk",
    help: "attach disk device",
    desc: "Attach new disk device.",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "source",
            OptKind::Data,
            "source of disk device or name of network disk",
        )
        .required()
        .empty_ok(),
        Opt::new("target", OptKind::Data, "target of disk device").required(),
        Opt::new("targetbus", OptKind::String, "target bus of disk device"),
        Opt::new("driver", OptKind::String, "driver of disk device"),
        Opt::new("subdriver", OptKind::String, "subdriver of disk device"),
        Opt::new(
            "iothread",
            OptKind::String,
            "IOThread to be used by supported device",
        ),
        Opt::new("cache", OptKind::String, "cache mode of disk device"),
        Opt::new("io", OptKind::String, "io policy of disk device"),
        Opt::new("type", OptKind::String, "target device type"),
        Opt::new("shareable", OptKind::Alias, "mode=shareable"),
        Opt::new(
            "mode",
            OptKind::String,
            "mode of device reading and writing",
        ),
        Opt::new(
            "sourcetype",
            OptKind::String,
            "type of source (block|file|network)",
        ),
        Opt::new("serial", OptKind::String, "serial of disk device"),
        Opt::new("wwn", OptKind::String, "wwn of disk device"),
        Opt::new("alias", OptKind::String, "custom alias name of disk device"),
        Opt::new("rawio", OptKind::Bool, "needs rawio capability"),
        Opt::new("address", OptKind::String, "address of disk device"),
        Opt::new(
            "multifunction",
            OptKind::Bool,
            "use multifunction pci under specified address",
        ),
        Opt::new(
            "print-xml",
            OptKind::Bool,
            "print XML document rather than attach the disk",
        ),
        Opt::new(
            "source-protocol",
            OptKind::String,
            "protocol used by disk device source",
        ),
        Opt::new(
            "source-host-name",
            OptKind::String,
            "host name for source of disk device",
        ),
        Opt::new(
            "source-host-transport",
            OptKind::String,
            "host transport for source of disk device",
        ),
        Opt::new(
            "source-host-socket",
            OptKind::String,
            "host socket for source of disk device",
        ),
        Opt::PERSISTENT,
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_attach_disk)
};

/// `attach-interface`.
pub const ATTACH_INTERFACE: CmdDef = CmdDef {
    name: "attach-interface",
    help: "attach network interface",
    desc: "Attach new network interface.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("type", OptKind::Data, "network interface type").required(),
        Opt::new("source", OptKind::Data, "source of network interface").required(),
        Opt::new("target", OptKind::String, "target network name"),
        Opt::new("mac", OptKind::String, "MAC address"),
        Opt::new(
            "script",
            OptKind::String,
            "script used to bridge network interface",
        ),
        Opt::new("model", OptKind::String, "model type"),
        Opt::new(
            "alias",
            OptKind::String,
            "custom alias name of interface device",
        ),
        Opt::new(
            "inbound",
            OptKind::String,
            "control domain's incoming traffics",
        ),
        Opt::new(
            "outbound",
            OptKind::String,
            "control domain's outgoing traffics",
        ),
        Opt::PERSISTENT,
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
        Opt::new(
            "print-xml",
            OptKind::Bool,
            "print XML document rather than attach the interface",
        ),
        Opt::new(
            "managed",
            OptKind::Bool,
            "libvirt will automatically detach/attach the device from/to host",
        ),
        Opt::new(
            "source-mode",
            OptKind::String,
            "mode attribute of <source/> element",
        ),
    ],
    ..CmdDef::new(cmd_attach_interface)
};

/// `detach-device`.
pub const DETACH_DEVICE: CmdDef = CmdDef {
    name: "detach-device",
    help: "detach device from an XML file",
    desc: "Detach device from an XML <file>",
    opts: &[
        Opt::DOMAIN,
        Opt::new("file", OptKind::Data, "XML file").required(),
        Opt::PERSISTENT,
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_detach_device)
};

/// `detach-device-alias`.
pub const DETACH_DEVICE_ALIAS: CmdDef = CmdDef {
    name: "detach-device-alias",
    help: "detach device from an alias",
    desc: "Detach device identified by the given alias from a domain",
    opts: &[
        Opt::DOMAIN,
        Opt::new("alias", OptKind::Data, "device alias").required(),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_detach_device_alias)
};

/// `detach-disk`.
pub const DETACH_DISK: CmdDef = CmdDef {
    name: "detach-disk",
    help: "detach disk device",
    desc: "Detach disk device.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("target", OptKind::Data, "target of disk device").required(),
        Opt::PERSISTENT,
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
        Opt::new(
            "print-xml",
            OptKind::Bool,
            "print XML document rather than detach the disk",
        ),
    ],
    ..CmdDef::new(cmd_detach_disk)
};

/// `change-media`.
pub const CHANGE_MEDIA: CmdDef = CmdDef {
    name: "change-media",
    help: "Change media of CD or floppy drive",
    desc: "Change media of CD or floppy drive.",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "path",
            OptKind::Data,
            "Fully-qualified path or target of disk device",
        )
        .required(),
        Opt::new("source", OptKind::String, "source of the media"),
        Opt::new("eject", OptKind::Bool, "Eject the media"),
        Opt::new("insert", OptKind::Bool, "Insert the media"),
        Opt::new("update", OptKind::Bool, "Update the media"),
        Opt::new(
            "current",
            OptKind::Bool,
            "can be either or both of --live and --config, depends on implementation hypervisor driver",
        ),
        Opt::new(
            "live",
            OptKind::Bool,
            "alter live configuration of running domain",
        ),
        Opt::new(
            "config",
            OptKind::Bool,
            "alter persistent configuration, effect observed on next boot",
        ),
        Opt::new("force", OptKind::Bool, "force media changing"),
        Opt::new(
            "print-xml",
            OptKind::Bool,
            "print XML document rather than change media",
        ),
        Opt::new("block", OptKind::Bool, "source media is a block device"),
    ],
    ..CmdDef::new(cmd_change_media)
};

/// `detach-interface`.
pub const DETACH_INTERFACE: CmdDef = CmdDef {
    name: "detach-interface",
    help: "detach network interface",
    desc: "Detach network interface.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("type", OptKind::Data, "network interface type").required(),
        Opt::new("mac", OptKind::String, "MAC address"),
        Opt::PERSISTENT,
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
        Opt::new(
            "print-xml",
            OptKind::Bool,
            "print XML document rather than detach the interface",
        ),
    ],
    ..CmdDef::new(cmd_detach_interface)
};

/// `update-device`.
pub const UPDATE_DEVICE: CmdDef = CmdDef {
    name: "update-device",
    help: "update device from an XML file",
    desc: "Update device from an XML <file>.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("file", OptKind::Data, "XML file").required(),
        Opt::PERSISTENT,
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
        Opt::new("force", OptKind::Bool, "force device update"),
    ],
    ..CmdDef::new(cmd_update_device)
};

type Flags = DomainDeviceModifyFlags;

/// The scope options every device command shares, checked as virsh checks them
/// (`--persistent` is `--config`, plus `--live` once the domain is known to run).
struct Scope {
    flags: Flags,
    current: bool,
    persistent: bool,
}

fn scope(ctl: &mut Ctl, cmd: &Cmd, persistent_opt: bool) -> Result<Scope, Failed> {
    if persistent_opt {
        ctl.exclusive(cmd, &[("persistent", "current")])?;
    }
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let persistent = persistent_opt && cmd.has("persistent");
    let mut flags = Flags::empty();
    if cmd.has("config") || persistent {
        flags |= Flags::CONFIG;
    }
    if cmd.has("live") {
        flags |= Flags::LIVE;
    }
    Ok(Scope {
        flags,
        current: cmd.has("current"),
        persistent,
    })
}

impl Scope {
    /// `--persistent` on a running domain affects it live too.
    fn settle(&mut self, dom: &Domain) {
        if self.persistent && dom.is_active().unwrap_or(false) {
            self.flags |= Flags::LIVE;
        }
    }

    /// Whether virsh calls the `…Flags` form of the API.
    fn with_flags(&self) -> bool {
        !self.flags.is_empty() || self.current
    }
}

fn attach(dom: &Domain, xml: &str, s: &Scope) -> rvirt::Result<()> {
    if s.with_flags() {
        dom.attach_device_flags(xml, s.flags)
    } else {
        dom.attach_device(xml)
    }
}

fn detach(dom: &Domain, xml: &str, s: &Scope) -> rvirt::Result<()> {
    if s.with_flags() {
        dom.detach_device_flags(xml, s.flags)
    } else {
        dom.detach_device(xml)
    }
}

fn cmd_attach_device(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut s = scope(ctl, cmd, true)?;
    let (dom, _) = ctl.domain(cmd)?;
    let from = ctl.req_str(cmd, "file")?;
    s.settle(&dom);
    let xml = ctl.lib(read_file(from))?;
    if let Err(e) = attach(&dom, &xml, &s) {
        return ctl.lib_fail(e, &format!("Failed to attach device from {from}"));
    }
    ctl.print_extra("Device attached successfully\n");
    Ok(())
}

fn cmd_detach_device(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut s = scope(ctl, cmd, true)?;
    let (dom, _) = ctl.domain(cmd)?;
    s.settle(&dom);
    let from = ctl.req_str(cmd, "file")?;
    let xml = ctl.lib(read_file(from))?;
    if let Err(e) = detach(&dom, &xml, &s) {
        return ctl.lib_fail(e, &format!("Failed to detach device from {from}"));
    }
    ctl.print_extra("Device detached successfully\n");
    Ok(())
}

fn cmd_update_device(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut s = scope(ctl, cmd, true)?;
    let (dom, _) = ctl.domain(cmd)?;
    let from = ctl.req_str(cmd, "file")?;
    s.settle(&dom);
    let xml = ctl.lib(read_file(from))?;
    if cmd.has("force") {
        s.flags |= Flags::FORCE;
    }
    if let Err(e) = dom.update_device_flags(&xml, s.flags) {
        return ctl.lib_fail(e, &format!("Failed to update device from {from}"));
    }
    ctl.print_extra("Device updated successfully\n");
    Ok(())
}

fn cmd_detach_device_alias(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let s = scope(ctl, cmd, false)?;
    let (dom, _) = ctl.domain(cmd)?;
    let alias = ctl.req_str(cmd, "alias")?;
    if let Err(e) = dom.detach_device_alias(alias, s.flags) {
        return ctl.lib_fail(e, &format!("Failed to detach device with alias {alias}"));
    }
    ctl.print_extra("Device detach request sent successfully\n");
    Ok(())
}

/// virBufferEscapeString's escaping of an attribute value.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// ` NAME='VALUE'` (escaped) when the value is there.
fn attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.push_str(&format!(" {name}='{}'", esc(v)));
    }
}

/// virStrToLong_uip/ullp with an end pointer: leading digits in `radix`, at least one.
fn leading_number(s: &str, radix: u32) -> Option<(u64, &str)> {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let t = if radix == 16 {
        t.strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t)
    } else {
        t
    };
    let n = t.chars().take_while(|c| c.is_digit(radix)).count();
    if n == 0 {
        return None;
    }
    let v = u64::from_str_radix(&t[..n], radix).ok()?;
    Some((v, &t[n..]))
}

/// An address as virshAddressParse reads it (`pci:D.B.S.F`, `scsi:C.B.U`, ...): the type and
/// its numbers, each field after one separator character.
struct Address {
    kind: &'static str,
    fields: Vec<u64>,
    multifunction: bool,
}

fn parse_address(s: &str, multifunction: bool) -> Option<Address> {
    let (kind, rest) = s.split_once(':')?;
    let (kind, radix, widths): (&'static str, u32, &[u64]) = match kind {
        "pci" => ("pci", 16, &[u32::MAX as u64; 4]),
        "scsi" => ("scsi", 10, &[u32::MAX as u64, u32::MAX as u64, u64::MAX]),
        "ide" => ("ide", 10, &[u32::MAX as u64, u32::MAX as u64, u64::MAX]),
        "sata" => ("sata", 10, &[u32::MAX as u64, u32::MAX as u64, u64::MAX]),
        "ccw" => ("ccw", 16, &[u32::MAX as u64; 3]),
        "usb" => ("usb", 10, &[u32::MAX as u64; 2]),
        _ => return None,
    };
    let mut fields = Vec::new();
    // The first field follows the ':', each other one character after the previous field.
    let mut at = rest;
    for (i, max) in widths.iter().enumerate() {
        if i > 0 {
            let mut chars = at.chars();
            chars.next()?;
            at = chars.as_str();
        }
        let (v, next) = leading_number(at, radix)?;
        if v > *max {
            return None;
        }
        fields.push(v);
        at = next;
    }
    Some(Address {
        kind,
        fields,
        multifunction,
    })
}

/// virshAddressFormat.
fn format_address(out: &mut String, a: &Address) {
    let f = &a.fields;
    match a.kind {
        "pci" => {
            out.push_str(&format!(
                "<address type='pci' domain='0x{:04x}' bus='0x{:02x}' slot='0x{:02x}' function='0x{:x}'",
                f[0], f[1], f[2], f[3]
            ));
            if a.multifunction {
                out.push_str(" multifunction='on'");
            }
            out.push_str("/>\n");
        }
        "ccw" => out.push_str(&format!(
            "<address type='ccw' cssid='0x{:02x}' ssid='0x{:x}' devno='0x{:04x}'/>\n",
            f[0], f[1], f[2]
        )),
        "usb" => out.push_str(&format!(
            "<address type='usb' bus='{}' port='{}'/>\n",
            f[0], f[1]
        )),
        _ => out.push_str(&format!(
            "<address type='drive' controller='{}' bus='{}' unit='{}'/>\n",
            f[0], f[1], f[2]
        )),
    }
}

/// Indents every line of `inner` by two spaces (virBuffer's child indentation).
fn indented(inner: &str) -> String {
    inner
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect::<String>()
}

/// virXMLFormatElement: `<NAME ATTRS/>`, `<NAME ATTRS>` children `</NAME>`, or nothing.
fn element(out: &mut String, name: &str, attrs: &str, children: &str) {
    if attrs.is_empty() && children.is_empty() {
        return;
    }
    if children.is_empty() {
        out.push_str(&format!("<{name}{attrs}/>\n"));
    } else {
        out.push_str(&format!(
            "<{name}{attrs}>\n{}</{name}>\n",
            indented(children)
        ));
    }
}

fn cmd_attach_disk(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut s = scope(ctl, cmd, true)?;
    for (a, b) in [
        ("source-host-name", "source-protocol"),
        ("source-host-transport", "source-protocol"),
        ("source-host-socket", "source-protocol"),
        ("source-host-socket", "source-host-transport"),
    ] {
        if cmd.has(a) && !cmd.has(b) {
            return ctl.fail(&format!("Option --{b} is required by option --{a}"));
        }
    }
    ctl.exclusive(cmd, &[("source-host-name", "source-host-socket")])?;
    let mut v = std::collections::HashMap::new();
    for name in [
        "source",
        "target",
        "driver",
        "subdriver",
        "type",
        "mode",
        "iothread",
        "cache",
        "io",
        "serial",
        "wwn",
        "address",
        "targetbus",
        "alias",
        "sourcetype",
        "source-protocol",
        "source-host-name",
        "source-host-transport",
        "source-host-socket",
    ] {
        v.insert(name, ctl.opt_str(cmd, name)?);
    }
    let get = |n: &str| v.get(n).copied().flatten();
    let (source, target) = (get("source"), get("target").unwrap_or_default());
    let (driver, protocol) = (get("driver"), get("source-protocol"));
    let kind = match get("sourcetype") {
        Some(t @ ("file" | "block" | "network")) => t,
        Some(t) if !t.is_empty() => return ctl.fail(&format!("Unknown source type: '{t}'")),
        _ if protocol.is_some() => "network",
        _ => {
            use std::os::unix::fs::FileTypeExt;
            let block = !matches!(driver, Some("file" | "tap"))
                && source.is_some_and(|p| {
                    std::fs::metadata(p).is_ok_and(|m| m.file_type().is_block_device())
                });
            if block { "block" } else { "file" }
        }
    };
    if (kind == "network") != protocol.is_some() {
        return ctl.fail("--source-protocol option requires --sourcetype network");
    }
    let mode = get("mode");
    if let Some(m) = mode
        && m != "readonly"
        && m != "shareable"
    {
        return ctl.fail(&format!("No support for {m} in command 'attach-disk'"));
    }
    if let Some(w) = get("wwn") {
        let digits = w.strip_prefix("0x").unwrap_or(w);
        if digits.len() != 16 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            ctl.last_error = Some(rvirt::Error::internal(
                rvirt::ErrorDomain::NONE,
                format!("Malformed wwn: {w}"),
            ));
            return Err(Failed);
        }
    }
    let mut disk_attrs = format!(" type='{kind}'");
    attr(&mut disk_attrs, "device", get("type"));
    if cmd.has("rawio") {
        disk_attrs.push_str(" rawio='yes'");
    }
    let mut driver_attrs = String::new();
    attr(&mut driver_attrs, "name", driver);
    attr(&mut driver_attrs, "type", get("subdriver"));
    attr(&mut driver_attrs, "iothread", get("iothread"));
    attr(&mut driver_attrs, "cache", get("cache"));
    attr(&mut driver_attrs, "io", get("io"));
    let mut children = String::new();
    element(&mut children, "driver", &driver_attrs, "");
    let (mut source_attrs, mut source_children) = (String::new(), String::new());
    match kind {
        "file" => attr(&mut source_attrs, "file", source),
        "block" => attr(&mut source_attrs, "dev", source),
        _ => {
            attr(&mut source_attrs, "protocol", protocol);
            attr(&mut source_attrs, "name", source);
            let mut host = String::new();
            attr(&mut host, "transport", get("source-host-transport"));
            attr(&mut host, "socket", get("source-host-socket"));
            if let Some(h) = get("source-host-name") {
                let (name, port) = match h.split_once(':') {
                    Some((n, p)) => (n, Some(p)),
                    None => (h, None),
                };
                attr(&mut host, "name", Some(name));
                attr(&mut host, "port", port);
            }
            element(&mut source_children, "host", &host, "");
        }
    }
    element(&mut children, "source", &source_attrs, &source_children);
    children.push_str(&format!("<target dev='{target}'"));
    if let Some(bus) = get("targetbus") {
        children.push_str(&format!(" bus='{bus}'"));
    }
    children.push_str("/>\n");
    if let Some(m) = mode {
        children.push_str(&format!("<{m}/>\n"));
    }
    if let Some(serial) = get("serial") {
        children.push_str(&format!("<serial>{serial}</serial>\n"));
    }
    if let Some(alias) = get("alias") {
        children.push_str(&format!("<alias name='{alias}'/>\n"));
    }
    if let Some(w) = get("wwn") {
        children.push_str(&format!("<wwn>{w}</wwn>\n"));
    }
    if let Some(a) = get("address") {
        let Some(addr) = parse_address(a, cmd.has("multifunction")) else {
            return ctl.fail("Invalid address.");
        };
        let wrong = if target.starts_with("vd") {
            (!matches!(addr.kind, "pci" | "ccw"))
                .then_some("expecting a pci:0000.00.00.00 or ccw:00.0.0000 address.")
        } else if target.starts_with("sd") {
            (!matches!(addr.kind, "scsi" | "usb" | "sata"))
                .then_some("expecting a scsi:00.00.00 or usb:00.00 or sata:00.00.00 address.")
        } else if target.starts_with("hd") {
            (addr.kind != "ide").then_some("expecting an ide:00.00.00 address.")
        } else {
            None
        };
        if let Some(msg) = wrong {
            return ctl.fail(msg);
        }
        format_address(&mut children, &addr);
    }
    let mut xml = String::new();
    element(&mut xml, "disk", &disk_attrs, &children);
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let (dom, _) = ctl.domain(cmd)?;
    s.settle(&dom);
    if let Err(e) = attach(&dom, &xml, &s) {
        return ctl.lib_fail(e, "Failed to attach disk");
    }
    ctl.print_extra("Disk attached successfully\n");
    Ok(())
}

/// libvirt's `virDomainNetType` names.
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

/// virshParseRateStr: `average,peak,burst,floor`, each optional.
pub(super) fn parse_rate(ctl: &mut Ctl, s: &str) -> Result<[u64; 4], Failed> {
    let tok: Vec<&str> = s.split(',').collect();
    if tok.len() > 4 {
        return ctl.fail(&format!("Rate string '{s}' has too many fields"));
    }
    let mut rate = [0u64; 4];
    for (i, name) in ["average", "peak", "burst", "floor"].iter().enumerate() {
        if let Some(t) = tok.get(i).filter(|t| !t.is_empty()) {
            match t.parse::<u64>() {
                Ok(v) if !t.starts_with('+') => rate[i] = v,
                _ => return ctl.fail(&format!("field '{name}' is malformed")),
            }
        }
    }
    Ok(rate)
}

fn cmd_attach_interface(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut s = scope(ctl, cmd, true)?;
    let mut v = std::collections::HashMap::new();
    for name in [
        "type",
        "source",
        "target",
        "mac",
        "script",
        "model",
        "alias",
        "inbound",
        "outbound",
        "source-mode",
    ] {
        v.insert(name, ctl.opt_str(cmd, name)?);
    }
    let get = |n: &str| v.get(n).copied().flatten();
    let (kind, source) = (
        get("type").unwrap_or_default(),
        get("source").unwrap_or_default(),
    );
    if !NET_TYPES.contains(&kind) {
        return ctl.fail(&format!(
            "No support for {kind} in command 'attach-interface'"
        ));
    }
    let source_mode = match get("source-mode") {
        Some(m @ ("server" | "client")) => Some(m),
        Some(m) => return ctl.fail(&format!("Invalid source mode: {m}")),
        None => None,
    };
    let inbound = match get("inbound") {
        Some(r) => {
            let rate = parse_rate(ctl, r)?;
            if rate[0] == 0 && rate[3] == 0 {
                return ctl.fail("either inbound average or floor is mandatory");
            }
            Some(rate)
        }
        None => None,
    };
    let outbound = match get("outbound") {
        Some(r) => {
            let rate = parse_rate(ctl, r)?;
            if rate[0] == 0 {
                return ctl.fail("outbound average is mandatory");
            }
            if rate[3] != 0 {
                return ctl.fail("outbound floor is unsupported yet");
            }
            Some(rate)
        }
        None => None,
    };
    let mut body = String::new();
    match kind {
        "network" | "bridge" => body.push_str(&format!("<source {kind}='{source}'/>\n")),
        "direct" => body.push_str(&format!("<source dev='{source}'/>\n")),
        "hostdev" => {
            let Some(addr) = parse_address(&format!("pci:{source}"), false) else {
                return ctl.fail(&format!(
                    "cannot parse pci address '{source}' for network interface"
                ));
            };
            let mut a = String::new();
            format_address(&mut a, &addr);
            body.push_str(&format!("<source>\n{}</source>\n", indented(&a)));
        }
        "vhostuser" => {
            let Some(mode) = source_mode else {
                return ctl.fail("source-mode is mandatory");
            };
            body.push_str(&format!(
                "<source type='unix' path='{source}' mode='{mode}'/>\n"
            ));
        }
        _ => {
            return ctl.fail(&format!(
                "No support for {kind} in command 'attach-interface'"
            ));
        }
    }
    for (name, el, at) in [
        ("target", "target", "dev"),
        ("mac", "mac", "address"),
        ("script", "script", "path"),
        ("model", "model", "type"),
        ("alias", "alias", "name"),
    ] {
        if let Some(x) = get(name) {
            body.push_str(&format!("<{el} {at}='{x}'/>\n"));
        }
    }
    if inbound.is_some() || outbound.is_some() {
        let mut bw = String::new();
        let names = ["average", "peak", "burst", "floor"];
        if let Some(r) = inbound {
            bw.push_str("<inbound");
            for (i, n) in names.iter().enumerate() {
                if r[i] > 0 {
                    bw.push_str(&format!(" {n}='{}'", r[i]));
                }
            }
            bw.push_str("/>\n");
        }
        if let Some(r) = outbound {
            bw.push_str("<outbound");
            for (i, n) in names.iter().take(3).enumerate() {
                if r[i] > 0 {
                    bw.push_str(&format!(" {n}='{}'", r[i]));
                }
            }
            bw.push_str("/>\n");
        }
        body.push_str(&format!("<bandwidth>\n{}</bandwidth>\n", indented(&bw)));
    }
    let managed = if cmd.has("managed") {
        " managed='yes'"
    } else {
        ""
    };
    let xml = format!(
        "<interface type='{kind}'{managed}>\n{}</interface>\n",
        indented(&body)
    );
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let (dom, _) = ctl.domain(cmd)?;
    s.settle(&dom);
    if let Err(e) = attach(&dom, &xml, &s) {
        return ctl.lib_fail(e, "Failed to attach interface");
    }
    ctl.print_extra("Interface attached successfully\n");
    Ok(())
}

/// virsh's `domif-setlink`: the interface (by MAC or target device) of the live (or, with
/// `--config` or a shut-off domain, the persistent) XML with `<link state>` set, given to
/// `virDomainUpdateDeviceFlags` (or printed as libxml2 dumps it).
fn cmd_domif_setlink(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let iface = ctl.req_str(cmd, "interface")?.to_string();
    let state = ctl.req_str(cmd, "state")?.to_string();
    if state != "up" && state != "down" {
        return ctl.fail(&format!("invalid link state '{state}'"));
    }
    let (mut flags, xml_flags) = if cmd.has("config") {
        (DomainDeviceModifyFlags::CONFIG, DomainXMLFlags::INACTIVE)
    } else {
        (DomainDeviceModifyFlags::LIVE, DomainXMLFlags::empty())
    };
    if dom.is_active().ok() == Some(false) {
        flags = DomainDeviceModifyFlags::CONFIG;
    }
    let xml = ctl.lib(dom.get_xml_desc(xml_flags))?;
    let Ok(doc) = roxmltree::Document::parse(&xml) else {
        return ctl.fail("Failed to extract interface information or no interfaces found");
    };
    let ifaces: Vec<roxmltree::Node> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("devices"))
        .flat_map(|d| d.children().filter(|n| n.has_tag_name("interface")))
        .collect();
    if ifaces.is_empty() {
        return ctl.fail("Failed to extract interface information or no interfaces found");
    }
    let child_attr = |n: &roxmltree::Node, child: &str, attr: &str| {
        n.children()
            .find(|c| c.has_tag_name(child))
            .and_then(|c| c.attribute(attr))
            .map(str::to_string)
    };
    let Some(node) = ifaces.iter().find(|n| {
        child_attr(n, "mac", "address").is_some_and(|m| m.eq_ignore_ascii_case(&iface))
            || child_attr(n, "target", "dev").is_some_and(|t| t.eq_ignore_ascii_case(&iface))
    }) else {
        return ctl.fail(&format!("interface '{iface}' not found"));
    };
    let mut out = node_to_string(*node, None);
    // The <link> element's state set in place, or a new <link> appended last, as libxml2's
    // xmlSetProp/xmlNewChild leave them.
    match node.children().find(|c| c.has_tag_name("link")) {
        Some(link) => {
            let old = node_to_string(link, None);
            let new = match link.attribute("state") {
                Some(v) => {
                    old.replacen(&format!("state=\"{v}\""), &format!("state=\"{state}\""), 1)
                }
                None => old.replacen("/>", &format!(" state=\"{state}\"/>"), 1),
            };
            out = out.replacen(&old, &new, 1);
        }
        None => {
            let end = out.rfind("</interface>").unwrap_or(out.len());
            out.insert_str(end, &format!("<link state=\"{state}\"/>"));
        }
    }
    if cmd.has("print-xml") {
        ctl.print(&out);
        return Ok(());
    }
    if let Err(e) = dom.update_device_flags(&out, flags) {
        return ctl.lib_fail(e, "Failed to update interface link state");
    }
    ctl.print_extra("Device updated successfully\n");
    Ok(())
}

/// libxml2's serialization of one element (`xmlNodeDump` without formatting): double-quoted
/// attributes, the whitespace inside kept; `skip` leaves out the first child element of that
/// name (but not the text around it), as `xmlUnlinkNode` does.
fn node_to_string(node: roxmltree::Node, skip: Option<&str>) -> String {
    fn text(out: &mut String, s: &str, attr: bool) {
        for c in s.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' if attr => out.push_str("&quot;"),
                '\n' if attr => out.push_str("&#10;"),
                '\t' if attr => out.push_str("&#9;"),
                '\r' => out.push_str("&#13;"),
                c => out.push(c),
            }
        }
    }
    fn walk(out: &mut String, node: roxmltree::Node, skip: Option<&str>) {
        if node.is_text() {
            text(out, node.text().unwrap_or_default(), false);
            return;
        }
        if node.is_comment() {
            out.push_str(&format!("<!--{}-->", node.text().unwrap_or_default()));
            return;
        }
        if !node.is_element() {
            return;
        }
        let name = node.tag_name().name();
        out.push('<');
        out.push_str(name);
        for a in node.attributes() {
            out.push_str(&format!(" {}=\"", a.name()));
            text(out, a.value(), true);
            out.push('"');
        }
        if !node.has_children() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        let mut skip = skip;
        for c in node.children() {
            if c.is_element() && skip.is_some_and(|s| s == c.tag_name().name()) {
                skip = None;
                continue;
            }
            walk(out, c, None);
        }
        out.push_str(&format!("</{name}>"));
    }
    let mut out = String::new();
    walk(&mut out, node, skip);
    out
}

/// virshFindDisk: the disk whose target or source is `path`, as XML.
fn find_disk(ctl: &mut Ctl, doc: &str, path: &str) -> Result<String, Failed> {
    let Ok(d) = roxmltree::Document::parse(doc) else {
        return ctl.fail("Failed to get disk information");
    };
    let disk = find_disk_node(ctl, &d, path, false)?;
    Ok(node_to_string(disk, Some("backingStore")))
}

/// virshFindDisk's search: among the disks (only CD and floppy drives when `changeable`), the
/// first whose target or source is `path`.
fn find_disk_node<'a, 'i>(
    ctl: &mut Ctl,
    d: &'a roxmltree::Document<'i>,
    path: &str,
    changeable: bool,
) -> Result<roxmltree::Node<'a, 'i>, Failed> {
    let disks: Vec<_> = d
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("devices"))
        .flat_map(|n| n.children().filter(|c| c.has_tag_name("disk")))
        .collect();
    if disks.is_empty() {
        return ctl.fail("Failed to get disk information");
    }
    for disk in disks {
        if changeable
            && disk
                .attribute("device")
                .is_some_and(|dev| dev != "cdrom" && dev != "floppy")
        {
            continue;
        }
        let src = disk.children().find(|c| c.has_tag_name("source"));
        let target = disk
            .children()
            .find(|c| c.has_tag_name("target"))
            .and_then(|t| t.attribute("dev"));
        let hit = target == Some(path)
            || src.is_some_and(|s| {
                ["file", "dev", "dir", "name"]
                    .iter()
                    .any(|a| s.attribute(*a) == Some(path))
            });
        if hit {
            return Ok(disk);
        }
    }
    ctl.fail(&format!(
        "No disk found whose source path or target is {path}"
    ))
}

/// What `change-media` does to a drive.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    Eject,
    Insert,
    Update,
}

/// virshUpdateDiskXML: the drive's XML (as libxml2 prints it, backing store left out) with its
/// `<source>` replaced by `source` (a file, or a device with `block`), none when ejecting.
fn media_xml(
    ctl: &mut Ctl,
    disk: roxmltree::Node,
    source: Option<&str>,
    block: bool,
    path: &str,
    how: Media,
) -> Result<String, Failed> {
    if !matches!(disk.attribute("device"), Some("cdrom" | "floppy")) {
        return ctl.fail(&format!("The disk device '{path}' is not removable"));
    }
    let old = disk.children().find(|c| c.has_tag_name("source"));
    let (source, block) = match how {
        Media::Eject if old.is_none() => {
            return ctl.fail(&format!("The disk device '{path}' doesn't have media"));
        }
        Media::Eject => (None, false),
        _ => match source {
            Some(s) => (Some(s), block),
            None => return ctl.fail("New disk media source was not specified"),
        },
    };
    let startup = old.and_then(|o| o.attribute("startupPolicy"));
    if let Some(o) = old {
        let has_media = ["file", "dev", "dir", "pool", "name"]
            .iter()
            .any(|a| o.attribute(*a).is_some());
        if has_media && how == Media::Insert {
            return ctl.fail(&format!("The disk device '{path}' already has media"));
        }
    }
    // The disk element with its type set, its children without the old source (nor the
    // backing store), the new source before the target, indented as the target is.
    let full = node_to_string(disk, Some("backingStore"));
    let kind = if block { "block" } else { "file" };
    let open_end = full.find('>').unwrap_or(full.len());
    let mut head = full[..open_end].to_string();
    let self_closing = head.ends_with('/');
    if self_closing {
        head.pop();
    }
    match head.find(" type=\"") {
        Some(at) => {
            let start = at + " type=\"".len();
            let end = head[start..].find('"').map_or(head.len(), |e| start + e);
            head.replace_range(start..end, kind);
        }
        None => head.push_str(&format!(" type=\"{kind}\"")),
    }
    let mut out = head;
    out.push('>');
    let mut indent: Option<&str> = None;
    let (mut source_gone, mut target_seen) = (false, false);
    for c in disk.children() {
        if c.is_text() && !target_seen {
            indent = c.text();
        }
        if c.has_tag_name("backingStore") {
            continue;
        }
        if c.has_tag_name("source") && !source_gone {
            source_gone = true;
            continue;
        }
        if c.has_tag_name("target") && !target_seen {
            target_seen = true;
            if let Some(src) = source {
                let attr = if block { "dev" } else { "file" };
                out.push_str(&format!("<source {attr}=\"{}\"", esc_attr(src)));
                if let Some(p) = startup {
                    out.push_str(&format!(" startupPolicy=\"{}\"", esc_attr(p)));
                }
                out.push_str("/>");
                out.push_str(indent.unwrap_or(""));
            }
        }
        out.push_str(&node_to_string(c, None));
    }
    out.push_str("</disk>");
    Ok(out)
}

/// An attribute value as libxml2 escapes it.
fn esc_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn cmd_change_media(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (mut eject, insert, mut update) = (cmd.has("eject"), cmd.has("insert"), cmd.has("update"));
    ctl.exclusive(
        cmd,
        &[
            ("eject", "insert"),
            ("eject", "update"),
            ("insert", "update"),
            ("eject", "block"),
        ],
    )?;
    let source = ctl.opt_str(cmd, "source")?;
    // Updating to no source is ejecting.
    if update && source.is_none() {
        update = false;
        eject = true;
    }
    let (how, action, done) = if eject {
        (Media::Eject, "eject", "Successfully ejected media.")
    } else if insert {
        (Media::Insert, "insert", "Successfully inserted media.")
    } else {
        let _ = update;
        (Media::Update, "update", "Successfully updated media.")
    };
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let mut flags = Flags::empty();
    if cmd.has("config") {
        flags |= Flags::CONFIG;
    }
    if cmd.has("live") {
        flags |= Flags::LIVE;
    }
    if cmd.has("force") {
        flags |= Flags::FORCE;
    }
    let (dom, _) = ctl.domain(cmd)?;
    let path = ctl.req_str(cmd, "path")?;
    let xml_flags = if flags.contains(Flags::CONFIG) {
        DomainXMLFlags::INACTIVE
    } else {
        DomainXMLFlags::empty()
    };
    let doc = ctl.lib(dom.get_xml_desc(xml_flags))?;
    let Ok(d) = roxmltree::Document::parse(&doc) else {
        return ctl.fail("Failed to get disk information");
    };
    let disk = find_disk_node(ctl, &d, path, true)?;
    let xml = media_xml(ctl, disk, source, cmd.has("block"), path, how)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    if let Err(e) = dom.update_device_flags(&xml, flags) {
        return ctl.lib_fail(e, &format!("Failed to complete action {action} on media"));
    }
    ctl.print(done);
    Ok(())
}

fn cmd_detach_disk(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut s = scope(ctl, cmd, true)?;
    let (dom, _) = ctl.domain(cmd)?;
    let target = ctl.req_str(cmd, "target")?;
    let xml_flags = if s.flags == Flags::CONFIG {
        DomainXMLFlags::INACTIVE
    } else {
        DomainXMLFlags::empty()
    };
    let doc = ctl.lib(dom.get_xml_desc(xml_flags))?;
    s.settle(&dom);
    let disk = find_disk(ctl, &doc, target)?;
    if cmd.has("print-xml") {
        ctl.print(&disk);
        return Ok(());
    }
    if let Err(e) = detach(&dom, &disk, &s) {
        return ctl.lib_fail(e, "Failed to detach disk");
    }
    ctl.print_extra("Disk detached successfully\n");
    Ok(())
}

/// A MAC address's six bytes, for virMacAddrCompare.
fn mac_bytes(s: &str) -> Option<Vec<u8>> {
    let v: Vec<u8> = s
        .split([':', '-'])
        .map(|p| u8::from_str_radix(p, 16).ok())
        .collect::<Option<_>>()?;
    (v.len() == 6).then_some(v)
}

fn same_mac(a: &str, b: &str) -> bool {
    match (mac_bytes(a), mac_bytes(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// virshDomainDetachInterface: finds the interface in `doc` and detaches it (or prints it).
fn detach_interface_in(
    ctl: &mut Ctl,
    dom: &Domain,
    doc: &str,
    s: &Scope,
    kind: &str,
    mac: Option<&str>,
    print_xml: bool,
) -> Result<bool, Failed> {
    let Ok(d) = roxmltree::Document::parse(doc) else {
        ctl.error("Failed to get interface information");
        return Ok(false);
    };
    let nodes: Vec<_> = d
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("devices"))
        .flat_map(|n| {
            n.children()
                .filter(|c| c.has_tag_name("interface") && c.attribute("type") == Some(kind))
        })
        .collect();
    if nodes.is_empty() {
        ctl.error(&format!("No interface found whose type is {kind}"));
        return Ok(false);
    }
    let found = match mac {
        Some(mac) => {
            let mut found = None;
            for n in &nodes {
                let m = n
                    .children()
                    .find(|c| c.has_tag_name("mac"))
                    .and_then(|c| c.attribute("address"));
                if m.is_some_and(|m| same_mac(m, mac)) {
                    if found.is_some() {
                        ctl.error(&format!(
                            "Domain has multiple interfaces matching MAC address {mac}. You must use detach-device and specify the device pci address to remove it."
                        ));
                        return Ok(false);
                    }
                    found = Some(*n);
                }
            }
            found
        }
        None if nodes.len() > 1 => {
            ctl.error(&format!(
                "Domain has {} interfaces. Please specify which one to detach using --mac",
                nodes.len()
            ));
            return Ok(false);
        }
        None => Some(nodes[0]),
    };
    let Some(node) = found else {
        ctl.error(&format!(
            "No interface with MAC address {} was found",
            mac.unwrap_or_default()
        ));
        return Ok(false);
    };
    let xml = node_to_string(node, None);
    if print_xml {
        ctl.print(&xml);
        return Ok(true);
    }
    match detach(dom, &xml, s) {
        Ok(()) => Ok(true),
        Err(e) => {
            ctl.last_error = Some(e);
            Ok(false)
        }
    }
}

fn cmd_detach_interface(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let s = scope(ctl, cmd, true)?;
    let print_xml = cmd.has("print-xml");
    let (dom, _) = ctl.domain(cmd)?;
    let ok = detach_interface_stages(ctl, cmd, &dom, &s, print_xml)?;
    if print_xml && ok {
        return Ok(());
    }
    if !ok {
        return ctl.fail("Failed to detach interface");
    }
    ctl.print_extra("Interface detached successfully\n");
    Ok(())
}

/// cmdDetachInterface's two passes: the persistent definition (`--config`/`--persistent`),
/// then the live one (`--live`, `--persistent` on a running domain, or neither option).
fn detach_interface_stages(
    ctl: &mut Ctl,
    cmd: &Cmd,
    dom: &Domain,
    s: &Scope,
    print_xml: bool,
) -> Result<bool, Failed> {
    let Ok(kind) = ctl.req_str(cmd, "type") else {
        return Ok(false);
    };
    let Ok(mac) = ctl.opt_str(cmd, "mac") else {
        return Ok(false);
    };
    let affect_config = s.flags.contains(Flags::CONFIG);
    let mut ok = false;
    if affect_config {
        let Ok(doc) = ctl.lib(dom.get_xml_desc(DomainXMLFlags::INACTIVE)) else {
            return Ok(false);
        };
        let stage = Scope {
            flags: Flags::CONFIG,
            current: s.current,
            persistent: false,
        };
        ok = detach_interface_in(ctl, dom, &doc, &stage, kind, mac, print_xml)?;
        if !ok {
            return Ok(false);
        }
    }
    let affect_live =
        s.flags.contains(Flags::LIVE) || (s.persistent && dom.is_active().unwrap_or(false));
    if affect_live || !affect_config {
        let Ok(doc) = ctl.lib(dom.get_xml_desc(DomainXMLFlags::empty())) else {
            return Ok(false);
        };
        let stage = Scope {
            flags: if affect_live {
                Flags::LIVE
            } else {
                Flags::empty()
            },
            current: s.current,
            persistent: false,
        };
        ok = detach_interface_in(ctl, dom, &doc, &stage, kind, mac, print_xml)?;
    }
    Ok(ok)
}
