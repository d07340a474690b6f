//! Networking (help keyword `network`): virtual networks, `net-*` (virsh-network.c).

use crate::cmd::{CmdDef, Group, Opt, OptKind};
use crate::commands::domain::{ask_reedit, edit_text};
use crate::commands::events::wait_for_events;
use crate::commands::network_port::*;
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::fmt::Table;
use crate::parse::Cmd;
use rvirt::blocking::Network;
use rvirt::network_flags::{
    ConnectListAllNetworksFlags as L, NetworkCreateFlags, NetworkDefineFlags, NetworkEventID,
    NetworkUpdateCommand, NetworkUpdateFlags, NetworkUpdateSection, NetworkXMLFlags,
};
use rvirt::{ErrorNumber, NetworkEvent};
use std::sync::mpsc;

/// The group.
pub static GROUP: Group = Group {
    name: "Networking",
    keyword: "network",
    commands: COMMANDS,
};

const NET: Opt = Opt::new("network", OptKind::Data, "network name or uuid").required();
const PORT: Opt = Opt::new("port", OptKind::Data, "port UUID").required();

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "net-autostart",
        help: "autostart a network",
        desc: "Configure a network to be automatically started at boot.",
        opts: &[NET, Opt::new("disable", OptKind::Bool, "disable autostarting")],
        ..CmdDef::new(cmd_net_autostart)
    },
    CmdDef {
        name: "net-create",
        help: "create a network from an XML file",
        desc: "Create a network.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML network description",
            )
            .required(),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_net_create)
    },
    CmdDef {
        name: "net-define",
        help: "define an inactive persistent virtual network or modify an existing persistent one from an XML file",
        desc: "Define or modify a persistent virtual network.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML network description",
            )
            .required(),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_net_define)
    },
    CmdDef {
        name: "net-destroy",
        help: "destroy (stop) a network",
        desc: "Forcefully stop a given network.",
        opts: &[NET],
        ..CmdDef::new(cmd_net_destroy)
    },
    CmdDef {
        name: "net-dhcp-leases",
        help: "print lease info for a given network",
        desc: "Print lease info for a given network",
        opts: &[NET, Opt::new("mac", OptKind::String, "MAC address")],
        ..CmdDef::new(cmd_net_dhcp_leases)
    },
    CmdDef {
        name: "net-dumpxml",
        help: "network information in XML",
        desc: "Output the network information as an XML dump to stdout.",
        opts: &[
            NET,
            Opt::new("inactive", OptKind::Bool, "show inactive defined XML"),
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
        ..CmdDef::new(cmd_net_dumpxml)
    },
    CmdDef {
        name: "net-edit",
        help: "edit XML configuration for a network",
        desc: "Edit the XML configuration for a network.",
        opts: &[NET],
        ..CmdDef::new(cmd_net_edit)
    },
    CmdDef {
        name: "net-event",
        help: "Network Events",
        desc: "List event types, or wait for network events to occur",
        opts: &[
            Opt::new("network", OptKind::String, "filter by network name or uuid"),
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
        ..CmdDef::new(cmd_net_event)
    },
    CmdDef {
        name: "net-info",
        help: "network information",
        desc: "Returns basic information about the network",
        opts: &[NET],
        ..CmdDef::new(cmd_net_info)
    },
    CmdDef {
        name: "net-list",
        help: "list networks",
        desc: "Returns list of networks.",
        opts: &[
            Opt::new("inactive", OptKind::Bool, "list inactive networks"),
            Opt::new("all", OptKind::Bool, "list inactive & active networks"),
            Opt::new("persistent", OptKind::Bool, "list persistent networks"),
            Opt::new("transient", OptKind::Bool, "list transient networks"),
            Opt::new(
                "autostart",
                OptKind::Bool,
                "list networks with autostart enabled",
            ),
            Opt::new(
                "no-autostart",
                OptKind::Bool,
                "list networks with autostart disabled",
            ),
            Opt::new("uuid", OptKind::Bool, "list uuid's only"),
            Opt::new("name", OptKind::Bool, "list network names only"),
            Opt::new("table", OptKind::Bool, "list table (default)"),
        ],
        ..CmdDef::new(cmd_net_list)
    },
    CmdDef {
        name: "net-name",
        help: "convert a network UUID to network name",
        desc: "",
        opts: &[Opt::new("network", OptKind::Data, "network uuid").required()],
        ..CmdDef::new(cmd_net_name)
    },
    CmdDef {
        name: "net-start",
        help: "start a (previously defined) inactive network",
        desc: "Start a network.",
        opts: &[NET],
        ..CmdDef::new(cmd_net_start)
    },
    CmdDef {
        name: "net-undefine",
        help: "undefine a persistent network",
        desc: "Undefine the configuration for a persistent network.",
        opts: &[NET],
        ..CmdDef::new(cmd_net_undefine)
    },
    CmdDef {
        name: "net-update",
        help: "update parts of an existing network's configuration",
        desc: "",
        opts: &[
            NET,
            Opt::new(
                "command",
                OptKind::Data,
                "type of update (add-first, add-last (add), delete, or modify)",
            )
            .required(),
            Opt::new(
                "section",
                OptKind::Data,
                "which section of network configuration to update",
            )
            .required(),
            Opt::new(
                "xml",
                OptKind::Data,
                "name of file containing xml (or, if it starts with '<', the complete xml element itself) to add/modify, or to be matched for search",
            )
            .required(),
            Opt::new(
                "parent-index",
                OptKind::Int,
                "which parent object to search through",
            ),
            Opt::new("config", OptKind::Bool, "affect next network startup"),
            Opt::new("live", OptKind::Bool, "affect running network"),
            Opt::new("current", OptKind::Bool, "affect current state of network"),
        ],
        ..CmdDef::new(cmd_net_update)
    },
    CmdDef {
        name: "net-uuid",
        help: "convert a network name to network UUID",
        desc: "",
        opts: &[Opt::new("network", OptKind::Data, "network name").required()],
        ..CmdDef::new(cmd_net_uuid)
    },
    CmdDef {
        name: "net-port-list",
        help: "list network ports",
        desc: "Returns list of network ports.",
        opts: &[
            NET,
            Opt::new("uuid", OptKind::Bool, "list uuid's only"),
            Opt::new("table", OptKind::Bool, "list table (default)"),
        ],
        ..CmdDef::new(cmd_net_port_list)
    },
    CmdDef {
        name: "net-port-create",
        help: "create a network port from an XML file",
        desc: "Create a network port.",
        opts: &[
            NET,
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML network port description",
            )
            .required(),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_net_port_create)
    },
    CmdDef {
        name: "net-port-dumpxml",
        help: "network port information in XML",
        desc: "Output the network port information as an XML dump to stdout.",
        opts: &[
            NET,
            PORT,
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
        ..CmdDef::new(cmd_net_port_dumpxml)
    },
    CmdDef {
        name: "net-port-delete",
        help: "delete the specified network port",
        desc: "Delete the specified network port.",
        opts: &[NET, PORT],
        ..CmdDef::new(cmd_net_port_delete)
    },
];

/// Look a network up by UUID.
const BY_UUID: u8 = 1;
/// Look a network up by name.
const BY_NAME: u8 = 2;

/// virshCommandOptNetworkBy: the network named by `--network`, as a UUID (if it has a UUID's
/// length) then as a name, as asked. On failure, virsh's message, then libvirt's last error.
fn network_by<'c>(ctl: &mut Ctl, cmd: &'c Cmd, by: u8) -> Result<(Network, &'c str), Failed> {
    let name = ctl.req_str(cmd, "network")?;
    let n = lookup(ctl, name, by)?;
    Ok((n, name))
}

fn lookup(ctl: &mut Ctl, name: &str, by: u8) -> Result<Network, Failed> {
    let conn = ctl.conn()?.clone();
    let mut last = None;
    if by & BY_UUID != 0 && name.len() == 36 {
        match conn.network_lookup_by_uuid_string(name) {
            Ok(n) => return Ok(n),
            Err(e) => last = Some(e),
        }
    }
    if by & BY_NAME != 0 {
        match conn.network_lookup_by_name(name) {
            Ok(n) => return Ok(n),
            Err(e) => last = Some(e),
        }
    }
    ctl.last_error = last;
    ctl.fail(&format!("failed to get network '{name}'"))
}

pub(super) fn network<'c>(ctl: &mut Ctl, cmd: &'c Cmd) -> Result<(Network, &'c str), Failed> {
    network_by(ctl, cmd, BY_UUID | BY_NAME)
}

/// A call on the network `--network` names: virsh's message on success, its failure message
/// (`{name}` stands for the name given) and libvirt's error otherwise.
fn act(
    ctl: &mut Ctl,
    cmd: &Cmd,
    call: impl FnOnce(&Network) -> rvirt::Result<()>,
    done: &str,
    failed: &str,
) -> CmdResult {
    let (net, name) = network(ctl, cmd)?;
    match call(&net) {
        Ok(()) => {
            ctl.print_extra(&done.replace("{name}", name));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &failed.replace("{name}", name)),
    }
}

fn cmd_net_autostart(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (net, name) = network(ctl, cmd)?;
    let on = !cmd.has("disable");
    if let Err(e) = net.set_autostart(on) {
        let what = if on { "mark" } else { "unmark" };
        return ctl.lib_fail(
            e,
            &format!("failed to {what} network {name} as autostarted"),
        );
    }
    let what = if on { "marked" } else { "unmarked" };
    ctl.print_extra(&format!("Network {name} {what} as autostarted\n"));
    Ok(())
}

fn cmd_net_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let xml = ctl.lib(read_file(from))?;
    let conn = ctl.conn()?.clone();
    let r = if cmd.has("validate") {
        conn.network_create_xml_flags(&xml, NetworkCreateFlags::VALIDATE)
    } else {
        conn.network_create_xml(&xml)
    };
    match r {
        Ok(n) => {
            ctl.print_extra(&format!("Network {} created from {from}\n", n.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create network from {from}")),
    }
}

fn cmd_net_define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let xml = ctl.lib(read_file(from))?;
    let conn = ctl.conn()?.clone();
    let r = if cmd.has("validate") {
        conn.network_define_xml_flags(&xml, NetworkDefineFlags::VALIDATE)
    } else {
        conn.network_define_xml(&xml)
    };
    match r {
        Ok(n) => {
            ctl.print_extra(&format!("Network {} defined from {from}\n", n.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to define network from {from}")),
    }
}

fn cmd_net_destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        |n| n.destroy(),
        "Network {name} destroyed\n",
        "Failed to destroy network {name}",
    )
}

fn cmd_net_dhcp_leases(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mac = ctl.opt_str(cmd, "mac")?;
    let (net, name) = network(ctl, cmd)?;
    let mut leases = match net.get_dhcp_leases(mac, 0) {
        Ok(l) => l,
        Err(e) => return ctl.lib_fail(e, &format!("Failed to get leases info for {name}")),
    };
    leases.sort_by_key(|l| l.mac.as_deref().unwrap_or("").to_ascii_lowercase());
    let mut t = Table::new(&[
        "Expiry Time",
        "MAC address",
        "Protocol",
        "IP address",
        "Hostname",
        "Client ID or DUID",
    ]);
    for l in leases {
        let proto = match l.addr_type {
            0 => "ipv4",
            1 => "ipv6",
            _ => "-",
        };
        let dash = |s: Option<String>| s.unwrap_or_else(|| "-".into());
        t.row(vec![
            expiry_text(l.expiry_time),
            dash(l.mac),
            proto.into(),
            format!("{}/{}", l.ipaddr, l.prefix),
            dash(l.hostname),
            dash(l.clientid),
        ]);
    }
    ctl.print(&t.render(true));
    Ok(())
}

/// `%Y-%m-%d %H:%M:%S` of a Unix time (UTC: rvirsh has no time zone database).
fn expiry_text(secs: i64) -> String {
    crate::fmt::utc_date(secs)
}

fn cmd_net_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (net, _) = network(ctl, cmd)?;
    let flags = if cmd.has("inactive") {
        NetworkXMLFlags::INACTIVE
    } else {
        NetworkXMLFlags::empty()
    };
    let r = net.get_xml_desc(flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

/// virshNetworkGetXMLDesc: the inactive XML, or the XML when the driver refuses the flag.
fn edit_xml(ctl: &mut Ctl, net: &Network) -> Result<String, Failed> {
    match net.get_xml_desc(NetworkXMLFlags::INACTIVE) {
        Err(e) if e.code == ErrorNumber::INVALID_ARG => {
            let r = net.get_xml_desc(NetworkXMLFlags::empty());
            ctl.lib(r)
        }
        r => ctl.lib(r),
    }
}

fn cmd_net_edit(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (net, _) = network(ctl, cmd)?;
    let mut doc = edit_xml(ctl, &net)?;
    let not_changed = |ctl: &mut Ctl| {
        ctl.print_extra(&format!(
            "Network {} XML configuration not changed.\n",
            net.get_name()
        ));
        Ok(())
    };
    let mut edited = edit_text(ctl, &doc)?;
    if edited == doc {
        return not_changed(ctl);
    }
    loop {
        let reread = edit_xml(ctl, &net)?;
        let msg = if reread != doc {
            doc = reread;
            "The XML configuration was changed by another user."
        } else {
            let conn = ctl.conn()?.clone();
            match conn.network_define_xml(&edited) {
                Ok(n) => {
                    ctl.print_extra(&format!(
                        "Network {} XML configuration edited.\n",
                        n.get_name()
                    ));
                    return Ok(());
                }
                Err(e) => {
                    ctl.last_error = Some(e);
                    "Failed."
                }
            }
        };
        match ask_reedit(ctl, msg, false) {
            Some(b'y') => {
                edited = edit_text(ctl, &edited)?;
                if edited == doc {
                    return not_changed(ctl);
                }
            }
            Some(b'f') => {}
            Some(_) => return Err(Failed),
            None => return ctl.fail(msg),
        }
    }
}

/// The line `net-event` prints for an event.
fn event_line(e: &NetworkEvent) -> String {
    let NetworkEvent::Lifecycle { net, event, .. } = e;
    let what = match event.0 {
        0 => "Defined",
        1 => "Undefined",
        2 => "Started",
        3 => "Stopped",
        _ => "unknown",
    };
    format!("event 'lifecycle' for network {}: {what}\n", net.name)
}

fn cmd_net_event(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if cmd.has("list") {
        ctl.print("lifecycle\n");
        return Ok(());
    }
    let Some(name) = ctl.opt_str(cmd, "event")? else {
        return ctl.fail("either --list or --event <type> is required");
    };
    if name != "lifecycle" {
        return ctl.fail(&format!("unknown event type {name}"));
    }
    let timeout = ctl.opt_timeout_ms(cmd)?;
    let filter = if cmd.has("network") {
        let n = ctl.req_str(cmd, "network")?;
        lookup(ctl, n, BY_UUID | BY_NAME).ok()
    } else {
        None
    };
    let (looping, stamp) = (cmd.has("loop"), cmd.has("timestamp"));
    let conn = ctl.conn()?.clone();
    let (tx, rx) = mpsc::channel::<String>();
    let r = conn.network_event_register_any(
        filter.as_ref(),
        NetworkEventID::LIFECYCLE,
        move |_, _, e| {
            let _ = tx.send(event_line(e));
        },
    );
    let id = ctl.lib(r)?;
    let count = wait_for_events(ctl, &rx, timeout, looping, stamp);
    let deregistered = conn.network_event_deregister_any(id).is_ok();
    if count > 0 && deregistered {
        Ok(())
    } else {
        Err(Failed)
    }
}

fn cmd_net_info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (net, _) = network(ctl, cmd)?;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut out = format!("{:<15} {}\n", "Name:", net.get_name());
    out += &format!("{:<15} {}\n", "UUID:", net.get_uuid_string());
    if let Ok(a) = net.is_active() {
        out += &format!("{:<15} {}\n", "Active:", yes_no(a));
    }
    let persistent = net.is_persistent().map_or("unknown", yes_no);
    out += &format!("{:<15} {persistent}\n", "Persistent:");
    let autostart = net.get_autostart().map_or("no autostart", yes_no);
    out += &format!("{:<15} {autostart}\n", "Autostart:");
    if let Ok(b) = net.get_bridge_name() {
        out += &format!("{:<15} {b}\n", "Bridge:");
    }
    ctl.print(&out);
    Ok(())
}

fn cmd_net_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = L::ACTIVE;
    if cmd.has("inactive") {
        flags = L::INACTIVE;
    }
    if cmd.has("all") {
        flags = L::ACTIVE | L::INACTIVE;
    }
    for (o, f) in [
        ("persistent", L::PERSISTENT),
        ("transient", L::TRANSIENT),
        ("autostart", L::AUTOSTART),
        ("no-autostart", L::NO_AUTOSTART),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let (table, name, uuid) = (cmd.has("table"), cmd.has("name"), cmd.has("uuid"));
    if u8::from(table) + u8::from(name) + u8::from(uuid) > 1 {
        return ctl.fail("Only one argument from --table, --name and --uuid may be specified.");
    }
    let r = ctl.conn()?.list_all_networks(flags);
    let Ok(mut nets) = ctl.lib(r) else {
        return ctl.fail("Failed to list networks");
    };
    // virshNetworkSorter: by name, ignoring case.
    nets.sort_by_key(|n| n.get_name().to_ascii_lowercase());
    if name || uuid {
        let out: String = nets
            .iter()
            .map(|n| {
                if uuid {
                    format!("{}\n", n.get_uuid_string())
                } else {
                    format!("{}\n", n.get_name())
                }
            })
            .collect();
        ctl.print(&out);
        return Ok(());
    }
    let mut t = Table::new(&["Name", "State", "Autostart", "Persistent"]);
    for n in &nets {
        let autostart = n
            .get_autostart()
            .map_or("no autostart", |a| if a { "yes" } else { "no" });
        let active = n.is_active().unwrap_or(false);
        let persistent = n.is_persistent().unwrap_or(false);
        t.row(vec![
            n.get_name().into(),
            if active { "active" } else { "inactive" }.into(),
            autostart.into(),
            if persistent { "yes" } else { "no" }.into(),
        ]);
    }
    ctl.print(&t.render(true));
    Ok(())
}

fn cmd_net_name(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (net, _) = network_by(ctl, cmd, BY_UUID)?;
    ctl.print(&format!("{}\n", net.get_name()));
    Ok(())
}

fn cmd_net_start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        |n| n.create(),
        "Network {name} started\n",
        "Failed to start network {name}",
    )
}

fn cmd_net_undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        |n| n.undefine(),
        "Network {name} has been undefined\n",
        "Failed to undefine network {name}",
    )
}

/// virsh's names of `virNetworkUpdateCommand`, by value.
const COMMAND_NAMES: [&str; 5] = ["none", "modify", "delete", "add-last", "add-first"];
/// virsh's names of `virNetworkUpdateSection`, by value.
const SECTION_NAMES: [&str; 13] = [
    "none",
    "bridge",
    "domain",
    "ip",
    "ip-dhcp-host",
    "ip-dhcp-range",
    "forward",
    "forward-interface",
    "forward-pf",
    "portgroup",
    "dns-host",
    "dns-txt",
    "dns-srv",
];

fn cmd_net_update(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let (config, live) = (cmd.has("config"), cmd.has("live"));
    let (net, _) = network(ctl, cmd)?;
    let command_str = ctl.req_str(cmd, "command")?;
    let command = if command_str == "add" {
        NetworkUpdateCommand::ADD_LAST
    } else {
        match COMMAND_NAMES.iter().position(|c| *c == command_str) {
            Some(i) if i > 0 => NetworkUpdateCommand(i as i32),
            _ => return ctl.fail(&format!("unrecognized command name '{command_str}'")),
        }
    };
    let section_str = ctl.req_str(cmd, "section")?;
    let section = match SECTION_NAMES.iter().position(|s| *s == section_str) {
        Some(i) if i > 0 => NetworkUpdateSection(i as i32),
        _ => return ctl.fail(&format!("unrecognized section name '{section_str}'")),
    };
    let parent_index = ctl.opt_int(cmd, "parent-index")?.unwrap_or(-1);
    let xml_arg = ctl.req_str(cmd, "xml")?;
    let xml = if xml_arg.starts_with('<') {
        xml_arg.to_string()
    } else {
        let r = read_file(xml_arg);
        ctl.lib(r)?
    };
    let mut flags = NetworkUpdateFlags::empty();
    if config {
        flags |= NetworkUpdateFlags::AFFECT_CONFIG;
    }
    if live {
        flags |= NetworkUpdateFlags::AFFECT_LIVE;
    }
    let name = net.get_name().to_string();
    if let Err(e) = net.update(command, section, parent_index, &xml, flags) {
        return ctl.lib_fail(e, &format!("Failed to update network {name}"));
    }
    // virsh prints these without a newline.
    let what = match (config, live) {
        (true, true) => "persistent config and live state",
        (true, false) => "persistent config",
        (false, true) => "live state",
        (false, false) if net.is_active().unwrap_or(false) => "live state",
        (false, false) => "persistent config",
    };
    ctl.print_extra(&format!("Updated network {name} {what}"));
    Ok(())
}

fn cmd_net_uuid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (net, _) = network_by(ctl, cmd, BY_NAME)?;
    ctl.print(&format!("{}\n", net.get_uuid_string()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_times_read_as_virsh_prints_them_in_utc() {
        assert_eq!(expiry_text(0), "1970-01-01 00:00:00");
        assert_eq!(expiry_text(1_700_000_000), "2023-11-14 22:13:20");
    }

    #[test]
    fn update_names_follow_libvirts_enums() {
        assert_eq!(
            COMMAND_NAMES[NetworkUpdateCommand::ADD_FIRST.0 as usize],
            "add-first"
        );
        assert_eq!(
            SECTION_NAMES[NetworkUpdateSection::DNS_SRV.0 as usize],
            "dns-srv"
        );
    }
}
