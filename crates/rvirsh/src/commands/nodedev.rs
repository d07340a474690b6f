//! Node Device (help keyword `nodedev`): `nodedev-*` (virsh-nodedev.c).

use crate::cmd::{CmdDef, Group, Opt, OptKind};
use crate::commands::events::wait_for_events;
use crate::commands::moment::tree;
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::parse::Cmd;
use rvirt::blocking::NodeDevice;
use rvirt::nodedev_flags::{
    ConnectListAllNodeDevicesFlags as L, NODE_DEV_CAP_NAMES, NodeDeviceCreateXMLFlags,
    NodeDeviceDefineXMLFlags, NodeDeviceEventID,
};
use rvirt::{ErrorNumber, NodeDeviceEvent};
use std::sync::mpsc;

/// The group.
pub static GROUP: Group = Group {
    name: "Node Device",
    keyword: "nodedev",
    commands: COMMANDS,
};

const DEVICE: Opt = Opt::new(
    "device",
    OptKind::Data,
    "device name or wwn pair in 'wwnn,wwpn' format",
)
.required();
const DEVICE_KEY: Opt = Opt::new("device", OptKind::Data, "device key").required();
const FILE: Opt = Opt::new(
    "file",
    OptKind::Data,
    "file containing an XML description of the device",
)
.required();
const VALIDATE: Opt = Opt::new(
    "validate",
    OptKind::Bool,
    "validate the XML against the schema",
);

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "nodedev-create",
        help: "create a device defined by an XML file on the node",
        desc: "Create a device on the node.  Note that this command creates devices on the physical host that can then be assigned to a virtual machine.",
        opts: &[FILE, VALIDATE],
        ..CmdDef::new(cmd_create)
    },
    CmdDef {
        name: "nodedev-destroy",
        help: "destroy (stop) a device on the node",
        desc: "Destroy a device on the node.  Note that this command destroys devices on the physical host",
        opts: &[Opt::new("name", OptKind::Alias, "device"), DEVICE],
        ..CmdDef::new(cmd_destroy)
    },
    CmdDef {
        name: "nodedev-detach",
        help: "detach node device from its device driver",
        desc: "Detach node device from its device driver before assigning to a domain.",
        opts: &[
            DEVICE_KEY,
            Opt::new(
                "driver",
                OptKind::String,
                "pci device assignment backend driver (e.g. 'vfio' or 'xen')",
            ),
        ],
        ..CmdDef::new(cmd_detach)
    },
    CmdDef::alias("nodedev-dettach", "nodedev-detach"),
    CmdDef {
        name: "nodedev-dumpxml",
        help: "node device details in XML",
        desc: "Output the node device details as an XML dump to stdout.",
        opts: &[
            DEVICE,
            Opt::new(
                "xpath",
                OptKind::String,
                "xpath expression to filter the XML document",
            )
            .named_only(),
            Opt::new(
                "wrap",
                OptKind::Bool,
                "wrap xpath results in an common root element",
            ),
        ],
        ..CmdDef::new(cmd_dumpxml)
    },
    CmdDef {
        name: "nodedev-list",
        help: "enumerate devices on this host",
        desc: "",
        opts: &[
            Opt::new("tree", OptKind::Bool, "list devices in a tree"),
            Opt::new(
                "cap",
                OptKind::String,
                "capability names, separated by comma",
            ),
            Opt::new("inactive", OptKind::Bool, "list inactive devices"),
            Opt::new("all", OptKind::Bool, "list inactive & active devices"),
        ],
        ..CmdDef::new(cmd_list)
    },
    CmdDef {
        name: "nodedev-reattach",
        help: "reattach node device to its device driver",
        desc: "Reattach node device to its device driver once released by the domain.",
        opts: &[DEVICE_KEY],
        ..CmdDef::new(cmd_reattach)
    },
    CmdDef {
        name: "nodedev-reset",
        help: "reset node device",
        desc: "Reset node device before or after assigning to a domain.",
        opts: &[DEVICE_KEY],
        ..CmdDef::new(cmd_reset)
    },
    CmdDef {
        name: "nodedev-event",
        help: "Node Device Events",
        desc: "List event types, or wait for node device events to occur",
        opts: &[
            Opt::new("device", OptKind::String, "filter by node device name"),
            Opt::new("event", OptKind::String, "which event type to wait for"),
            Opt::new(
                "loop",
                OptKind::Bool,
                "loop until timeout or interrupt, rather than one-shot",
            ),
            Opt::new("timeout", OptKind::Int, "timeout seconds"),
            Opt::new("list", OptKind::Bool, "list valid event types"),
            Opt::new(
                "timestamp",
                OptKind::Bool,
                "show timestamp for each printed event",
            ),
        ],
        ..CmdDef::new(cmd_event)
    },
    CmdDef {
        name: "nodedev-define",
        help: "Define a device by an xml file on a node",
        desc: "Defines a persistent device on the node that can be assigned to a domain. The device must be started before it can be assigned to a domain.",
        opts: &[FILE, VALIDATE],
        ..CmdDef::new(cmd_define)
    },
    CmdDef {
        name: "nodedev-undefine",
        help: "Undefine an inactive node device",
        desc: "Undefines the configuration for an inactive node device",
        opts: &[DEVICE],
        ..CmdDef::new(cmd_undefine)
    },
    CmdDef {
        name: "nodedev-start",
        help: "Start an inactive node device",
        desc: "Starts an inactive node device that was previously defined",
        opts: &[Opt::new("device", OptKind::Data, "device name").required()],
        ..CmdDef::new(cmd_start)
    },
    CmdDef {
        name: "nodedev-autostart",
        help: "autostart a defined node device",
        desc: "Configure a node device to be automatically started at boot.",
        opts: &[
            DEVICE,
            Opt::new("disable", OptKind::Bool, "disable autostarting"),
        ],
        ..CmdDef::new(cmd_autostart)
    },
    CmdDef {
        name: "nodedev-info",
        help: "node device information",
        desc: "Returns basic information about the node device",
        opts: &[DEVICE],
        ..CmdDef::new(cmd_info)
    },
];

/// vshStringToArray: `s` split at commas, `,,` standing for a comma.
fn split_commas(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ',' if chars.peek() == Some(&',') => {
                chars.next();
                if let Some(l) = out.last_mut() {
                    l.push(',');
                }
            }
            ',' => out.push(String::new()),
            c => {
                if let Some(l) = out.last_mut() {
                    l.push(c);
                }
            }
        }
    }
    out
}

/// virValidateWWN: 16 hex digits, maybe after `0x`.
fn valid_wwn(w: &str) -> bool {
    let p = w.strip_prefix("0x").unwrap_or(w);
    p.len() == 16 && p.chars().all(|c| c.is_ascii_hexdigit())
}

/// vshFindNodeDevice: by name, or by a `wwnn,wwpn` pair.
fn find(ctl: &mut Ctl, value: &str) -> Result<NodeDevice, Failed> {
    let conn = ctl.conn()?.clone();
    let r = if value.contains(',') {
        let parts = split_commas(value);
        if parts.len() != 2 {
            return ctl.fail(&format!("Malformed device value '{value}'"));
        }
        if let Some(bad) = parts.iter().find(|p| !valid_wwn(p)) {
            let e = rvirt::Error::with_detail(
                rvirt::ErrorDomain::NONE,
                ErrorNumber::INTERNAL_ERROR,
                format!("Malformed wwn: {bad}"),
            );
            ctl.last_error = Some(e);
            return Err(Failed);
        }
        conn.node_device_lookup_scsi_host_by_wwn(&parts[0], &parts[1], 0)
    } else {
        conn.node_device_lookup_by_name(value)
    };
    r.or_else(|e| ctl.lib_fail(e, &format!("Could not find matching device '{value}'")))
}

/// The device `--device` names (by name only, as detach, reattach, reset and start look it up).
fn by_name<'c>(ctl: &mut Ctl, cmd: &'c Cmd) -> Result<(NodeDevice, &'c str), Failed> {
    let name = ctl.req_str(cmd, "device")?;
    let conn = ctl.conn()?.clone();
    match conn.node_device_lookup_by_name(name) {
        Ok(d) => Ok((d, name)),
        Err(e) => ctl.lib_fail(e, &format!("Could not find matching device '{name}'")),
    }
}

fn cmd_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let xml = ctl.lib(read_file(from))?;
    let mut flags = NodeDeviceCreateXMLFlags::empty();
    if cmd.has("validate") {
        flags |= NodeDeviceCreateXMLFlags::VALIDATE;
    }
    let conn = ctl.conn()?.clone();
    match conn.node_device_create_xml(&xml, flags) {
        Ok(d) => {
            ctl.print_extra(&format!(
                "Node device {} created from {from}\n",
                d.get_name()
            ));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create node device from {from}")),
    }
}

fn cmd_define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let xml = ctl.lib(read_file(from))?;
    let mut flags = NodeDeviceDefineXMLFlags::empty();
    if cmd.has("validate") {
        flags |= NodeDeviceDefineXMLFlags::VALIDATE;
    }
    let conn = ctl.conn()?.clone();
    match conn.node_device_define_xml(&xml, flags) {
        Ok(d) => {
            ctl.print_extra(&format!(
                "Node device '{}' defined from '{from}'\n",
                d.get_name()
            ));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to define node device from '{from}'")),
    }
}

fn cmd_destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let value = ctl.req_str(cmd, "device")?;
    let dev = find(ctl, value)?;
    match dev.destroy() {
        Ok(()) => {
            ctl.print_extra(&format!("Destroyed node device '{value}'\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to destroy node device '{value}'")),
    }
}

fn cmd_undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let value = ctl.req_str(cmd, "device")?;
    let dev = find(ctl, value)?;
    match dev.undefine(0) {
        Ok(()) => {
            ctl.print_extra(&format!("Undefined node device '{value}'\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to undefine node device '{value}'")),
    }
}

fn cmd_detach(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let driver = ctl.opt_str(cmd, "driver")?;
    let (dev, name) = by_name(ctl, cmd)?;
    let r = match driver {
        Some(d) => dev.detach_flags(Some(d), 0),
        None => dev.dettach(),
    };
    match r {
        Ok(()) => {
            ctl.print_extra(&format!("Device {name} detached\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to detach device {name}")),
    }
}

/// A call on the device `--device` names: virsh's messages around it.
fn act(
    ctl: &mut Ctl,
    cmd: &Cmd,
    call: impl FnOnce(&NodeDevice) -> rvirt::Result<()>,
    done: &str,
    failed: &str,
) -> CmdResult {
    let (dev, name) = by_name(ctl, cmd)?;
    match call(&dev) {
        Ok(()) => {
            ctl.print_extra(&done.replace("{name}", name));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &failed.replace("{name}", name)),
    }
}

fn cmd_reattach(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        NodeDevice::re_attach,
        "Device {name} re-attached\n",
        "Failed to re-attach device {name}",
    )
}

fn cmd_reset(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        NodeDevice::reset,
        "Device {name} reset\n",
        "Failed to reset device {name}",
    )
}

fn cmd_start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        |d| d.create(0),
        "Device {name} started\n",
        "Failed to start device {name}",
    )
}

fn cmd_autostart(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let value = ctl.req_str(cmd, "device")?;
    let dev = find(ctl, value)?;
    let on = !cmd.has("disable");
    let what = if on { "mark" } else { "unmark" };
    match dev.set_autostart(on) {
        Ok(()) => {
            ctl.print_extra(&format!("Device {value} {what}ed as autostarted\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(
            e,
            &format!("failed to {what} device {value} as autostarted"),
        ),
    }
}

fn cmd_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let value = ctl.req_str(cmd, "device")?;
    ctl.opt_str(cmd, "xpath")?;
    let dev = find(ctl, value)?;
    let r = dev.get_xml_desc(0);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

fn cmd_info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let value = ctl.req_str(cmd, "device")?;
    let dev = find(ctl, value)?;
    let parent = dev.get_parent().ok().flatten().unwrap_or_default();
    // virsh prints a failed call's -1 as true.
    let yes_no = |r: rvirt::Result<bool>| if r.unwrap_or(true) { "yes" } else { "no" };
    let mut out = format!("{:<15} {}\n", "Name:", dev.get_name());
    out += &format!("{:<15} {parent}\n", "Parent:");
    out += &format!("{:<15} {}\n", "Active:", yes_no(dev.is_active()));
    out += &format!("{:<15} {}\n", "Persistent:", yes_no(dev.is_persistent()));
    let autostart = match dev.get_autostart() {
        Ok(true) => "yes",
        Ok(false) => "no",
        Err(_) => "no autostart",
    };
    out += &format!("{:<15} {autostart}\n", "Autostart:");
    ctl.print(&out);
    Ok(())
}

/// virshNodeDeviceListCollect's fallback for drivers without `virConnectListAllNodeDevices`:
/// every device by name, filtered on the capabilities asked for.
fn collect_legacy(ctl: &mut Ctl, caps: &[String]) -> Result<Vec<NodeDevice>, Failed> {
    let conn = ctl.conn()?.clone();
    let n = match conn.node_num_of_devices(None, 0) {
        Ok(n) => n,
        Err(e) => return ctl.lib_fail(e, "Failed to count node devices"),
    };
    if n == 0 {
        return Ok(Vec::new());
    }
    let names = match conn.node_list_devices(None, n, 0) {
        Ok(n) => n,
        Err(e) => return ctl.lib_fail(e, "Failed to list node devices"),
    };
    let mut out = Vec::new();
    for name in names {
        let Ok(d) = conn.node_device_lookup_by_name(&name) else {
            continue;
        };
        if !caps.is_empty() {
            let n = match d.num_of_caps() {
                Ok(n) => n,
                Err(e) => {
                    return ctl.lib_fail(e, "Failed to get capability numbers of the device");
                }
            };
            let have = match d.list_caps(n) {
                Ok(c) => c,
                Err(e) => {
                    return ctl.lib_fail(e, "Failed to get capability names of the device");
                }
            };
            if !have.iter().any(|c| caps.contains(c)) {
                continue;
            }
        }
        out.push(d);
    }
    Ok(out)
}

fn cmd_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let tree_mode = cmd.has("tree");
    let (inactive, all) = (cmd.has("inactive"), cmd.has("all"));
    let cap_str = ctl.opt_str(cmd, "cap").ok().flatten();
    let caps: Vec<String> = cap_str.map(split_commas).unwrap_or_default();
    if all && inactive {
        return ctl.fail("Option --all is incompatible with --inactive");
    }
    if tree_mode && (cap_str.is_some() || inactive) {
        return ctl.fail("Option --tree is incompatible with --cap and --inactive");
    }
    let mut flags = L::empty();
    for c in &caps {
        match NODE_DEV_CAP_NAMES.iter().position(|n| n == c) {
            Some(i) => flags |= L::from_bits_retain(1 << i),
            None => return ctl.fail("Invalid capability type"),
        }
    }
    if inactive || all {
        flags |= L::INACTIVE;
    }
    if !inactive {
        flags |= L::ACTIVE;
    }
    let conn = ctl.conn()?.clone();
    let mut devs = match conn.list_all_node_devices(flags) {
        Ok(d) => d,
        Err(e) if e.code == ErrorNumber::NO_SUPPORT => collect_legacy(ctl, &caps)?,
        Err(e) => return ctl.lib_fail(e, "Failed to list node devices"),
    };
    devs.sort_by_key(|d| d.get_name().to_ascii_lowercase());
    if tree_mode {
        let items: Vec<(String, Option<String>)> = devs
            .iter()
            .map(|d| {
                let name = d.get_name().to_string();
                let parent = if name == "computer" {
                    None
                } else {
                    d.get_parent().ok().flatten()
                };
                (name, parent)
            })
            .collect();
        let mut out = String::new();
        for i in 0..items.len() {
            if items[i].1.is_none() {
                tree(&mut out, &items, i, Some(i), true, &mut String::new());
            }
        }
        ctl.print(&out);
    } else {
        let out: String = devs.iter().map(|d| format!("{}\n", d.get_name())).collect();
        ctl.print(&out);
    }
    Ok(())
}

fn event_line(e: &NodeDeviceEvent) -> String {
    match e {
        NodeDeviceEvent::Lifecycle { dev, event, .. } => {
            let what = match event.0 {
                0 => "Created",
                1 => "Deleted",
                2 => "Defined",
                3 => "Undefined",
                _ => "unknown",
            };
            format!("event 'lifecycle' for node device {}: {what}\n", dev.name)
        }
        NodeDeviceEvent::Update { dev } => format!("event 'update' for node device {}\n", dev.name),
    }
}

fn cmd_event(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    const EVENTS: [&str; 2] = ["lifecycle", "update"];
    if cmd.has("list") {
        ctl.print("lifecycle\nupdate\n");
        return Ok(());
    }
    let Some(name) = ctl.opt_str(cmd, "event")? else {
        return ctl.fail("either --list or --event <type> is required");
    };
    let Some(event_id) = EVENTS.iter().position(|e| *e == name) else {
        return ctl.fail(&format!("unknown event type {name}"));
    };
    let timeout = ctl.opt_timeout_ms(cmd)?;
    let filter = match ctl.opt_str(cmd, "device")? {
        Some(d) => {
            let conn = ctl.conn()?.clone();
            match conn.node_device_lookup_by_name(d) {
                Ok(dev) => Some(dev),
                Err(e) => {
                    return ctl.lib_fail(e, &format!("Could not find matching device '{d}'"));
                }
            }
        }
        None => None,
    };
    let (looping, stamp) = (cmd.has("loop"), cmd.has("timestamp"));
    let conn = ctl.conn()?.clone();
    let (tx, rx) = mpsc::channel::<String>();
    let r = conn.node_device_event_register_any(
        filter.as_ref(),
        NodeDeviceEventID(event_id as i32),
        move |_, _, e| {
            let _ = tx.send(event_line(e));
        },
    );
    let id = ctl.lib(r)?;
    let count = wait_for_events(ctl, &rx, timeout, looping, stamp);
    let deregistered = conn.node_device_event_deregister_any(id).is_ok();
    if count > 0 && deregistered {
        Ok(())
    } else {
        Err(Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_split_as_vsh_does() {
        assert_eq!(split_commas("a,b"), ["a", "b"]);
        assert_eq!(split_commas("a,,b"), ["a,b"]);
        assert!(valid_wwn("0x2000000012341234") && !valid_wwn("2000"));
    }
}
