//! Interface (help keyword `interface`): host interfaces, `iface-*` (virsh-interface.c).

use crate::cmd::{CmdDef, Group, Opt, OptKind};
use crate::commands::domain::{ask_reedit, edit_text};
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::fmt::Table;
use crate::parse::Cmd;
use rvirt::blocking::Interface;
use rvirt::interface_flags::{
    ConnectListAllInterfacesFlags as L, InterfaceDefineFlags, InterfaceXMLFlags,
};

/// The group.
pub static GROUP: Group = Group {
    name: "Interface",
    keyword: "interface",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "iface-begin",
        help: "create a snapshot of current interfaces settings, which can be later committed (iface-commit) or restored (iface-rollback)",
        desc: "Create a restore point for interfaces settings",
        opts: &[],
        ..CmdDef::new(cmd_iface_begin)
    },
    CmdDef {
        name: "iface-bridge",
        help: "create a bridge device and attach an existing network device to it",
        desc: "bridge an existing network device",
        opts: &[
            Opt::new("interface", OptKind::Data, "existing interface name").required(),
            Opt::new("bridge", OptKind::Data, "new bridge device name").required(),
            Opt::new("no-stp", OptKind::Bool, "do not enable STP for this bridge"),
            Opt::new(
                "delay",
                OptKind::Int,
                "number of seconds to squelch traffic on newly connected ports",
            ),
            Opt::new(
                "no-start",
                OptKind::Bool,
                "don't start the bridge immediately",
            ),
        ],
        ..CmdDef::new(cmd_iface_bridge)
    },
    CmdDef {
        name: "iface-commit",
        help: "commit changes made since iface-begin and free restore point",
        desc: "commit changes and free restore point",
        opts: &[],
        ..CmdDef::new(cmd_iface_commit)
    },
    CmdDef {
        name: "iface-define",
        help: "define an inactive persistent physical host interface or modify an existing persistent one from an XML file",
        desc: "Define or modify a persistent physical host interface.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML interface description",
            )
            .required(),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_iface_define)
    },
    CmdDef {
        name: "iface-destroy",
        help: "destroy a physical host interface (disable it / \"if-down\")",
        desc: "forcefully stop a physical host interface.",
        opts: &[Opt::new("interface", OptKind::Data, "interface name or MAC address").required()],
        ..CmdDef::new(cmd_iface_destroy)
    },
    CmdDef {
        name: "iface-dumpxml",
        help: "interface information in XML",
        desc: "Output the physical host interface information as an XML dump to stdout.",
        opts: &[
            Opt::new("interface", OptKind::Data, "interface name or MAC address").required(),
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
        ..CmdDef::new(cmd_iface_dumpxml)
    },
    CmdDef {
        name: "iface-edit",
        help: "edit XML configuration for a physical host interface",
        desc: "Edit the XML configuration for a physical host interface.",
        opts: &[Opt::new("interface", OptKind::Data, "interface name or MAC address").required()],
        ..CmdDef::new(cmd_iface_edit)
    },
    CmdDef {
        name: "iface-list",
        help: "list physical host interfaces",
        desc: "Returns list of physical host interfaces.",
        opts: &[
            Opt::new("inactive", OptKind::Bool, "list inactive interfaces"),
            Opt::new("all", OptKind::Bool, "list inactive & active interfaces"),
        ],
        ..CmdDef::new(cmd_iface_list)
    },
    CmdDef {
        name: "iface-mac",
        help: "convert an interface name to interface MAC address",
        desc: "",
        opts: &[Opt::new("interface", OptKind::Data, "interface name").required()],
        ..CmdDef::new(cmd_iface_mac)
    },
    CmdDef {
        name: "iface-name",
        help: "convert an interface MAC address to interface name",
        desc: "",
        opts: &[Opt::new("interface", OptKind::Data, "interface mac").required()],
        ..CmdDef::new(cmd_iface_name)
    },
    CmdDef {
        name: "iface-rollback",
        help: "rollback to previous saved configuration created via iface-begin",
        desc: "rollback to previous restore point",
        opts: &[],
        ..CmdDef::new(cmd_iface_rollback)
    },
    CmdDef {
        name: "iface-start",
        help: "start a physical host interface (enable it / \"if-up\")",
        desc: "start a physical host interface.",
        opts: &[Opt::new("interface", OptKind::Data, "interface name or MAC address").required()],
        ..CmdDef::new(cmd_iface_start)
    },
    CmdDef {
        name: "iface-unbridge",
        help: "undefine a bridge device after detaching its device(s)",
        desc: "unbridge a network device",
        opts: &[
            Opt::new("bridge", OptKind::Data, "current bridge device name").required(),
            Opt::new(
                "no-start",
                OptKind::Bool,
                "don't start the detached interface immediately (not recommended)",
            ),
        ],
        ..CmdDef::new(cmd_iface_unbridge)
    },
    CmdDef {
        name: "iface-undefine",
        help: "undefine a physical host interface (remove it from configuration)",
        desc: "undefine an interface.",
        opts: &[Opt::new("interface", OptKind::Data, "interface name or MAC address").required()],
        ..CmdDef::new(cmd_iface_undefine)
    },
];

/// Look an interface up by name.
const BY_NAME: u8 = 1;
/// Look an interface up by MAC address.
const BY_MAC: u8 = 2;

/// virMacAddrParse: six colon-separated groups of one or two hex digits, then nothing but
/// white space or control characters.
fn is_mac(s: &str) -> bool {
    let mut rest = s;
    for i in 0..6 {
        let n = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if !(1..=2).contains(&n) {
            return false;
        }
        rest = &rest[n..];
        if i == 5 {
            return rest.bytes().next().is_none_or(|b| b <= b' ');
        }
        match rest.strip_prefix(':') {
            Some(r) => rest = r,
            None => return false,
        }
    }
    false
}

/// virshCommandOptInterfaceBy: the interface option `opt` names, by MAC address if it reads as
/// one, else by name, as allowed by `by`. On failure, virsh's message, then libvirt's error.
fn interface_by<'c>(
    ctl: &mut Ctl,
    cmd: &'c Cmd,
    opt: &str,
    by: u8,
) -> Result<(Interface, &'c str), Failed> {
    let name = ctl.req_str(cmd, opt)?;
    let conn = ctl.conn()?.clone();
    let mac = is_mac(name);
    let r = if !mac && by & BY_NAME != 0 {
        Some(conn.interface_lookup_by_name(name))
    } else if mac && by & BY_MAC != 0 {
        Some(conn.interface_lookup_by_mac_string(name))
    } else {
        None
    };
    match r {
        Some(Ok(i)) => Ok((i, name)),
        Some(Err(e)) => ctl.lib_fail(e, &format!("failed to get interface '{name}'")),
        None => ctl.fail(&format!("failed to get interface '{name}'")),
    }
}

fn interface<'c>(ctl: &mut Ctl, cmd: &'c Cmd) -> Result<(Interface, &'c str), Failed> {
    interface_by(ctl, cmd, "interface", BY_NAME | BY_MAC)
}

/// A call on the interface `--interface` names: virsh's message on success, its failure
/// message (`{name}` stands for the name given) and libvirt's error otherwise.
fn act(
    ctl: &mut Ctl,
    cmd: &Cmd,
    call: impl FnOnce(&Interface) -> rvirt::Result<()>,
    done: &str,
    failed: &str,
) -> CmdResult {
    let (iface, name) = interface(ctl, cmd)?;
    match call(&iface) {
        Ok(()) => {
            ctl.print_extra(&done.replace("{name}", name));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &failed.replace("{name}", name)),
    }
}

/// A change-transaction call: virsh's message on success, its failure message otherwise.
fn transaction(
    ctl: &mut Ctl,
    call: impl FnOnce(&rvirt::blocking::Connect) -> rvirt::Result<()>,
    what: &str,
    done: &str,
) -> CmdResult {
    let conn = ctl.conn()?.clone();
    match call(&conn) {
        Ok(()) => {
            ctl.print_extra(&format!("Network config change transaction {done}\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(
            e,
            &format!("Failed to {what} network config change transaction"),
        ),
    }
}

fn cmd_iface_begin(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    transaction(ctl, |c| c.interface_change_begin(0), "begin", "started")
}

fn cmd_iface_commit(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    transaction(ctl, |c| c.interface_change_commit(0), "commit", "committed")
}

fn cmd_iface_rollback(ctl: &mut Ctl, _cmd: &Cmd) -> CmdResult {
    transaction(
        ctl,
        |c| c.interface_change_rollback(0),
        "rollback",
        "rolled back",
    )
}

/// `iface-bridge` and `iface-unbridge` rewrite the interface's inactive XML. Every driver rvirt
/// has refuses `VIR_INTERFACE_XML_INACTIVE` (as libvirt's test driver does), so both end where
/// virsh ends with those drivers: at that refusal.
fn inactive_xml(ctl: &mut Ctl, iface: &Interface) -> CmdResult {
    let r = iface.get_xml_desc(InterfaceXMLFlags::INACTIVE);
    ctl.lib(r)?;
    ctl.fail("rewriting interface definitions is not supported by rvirsh yet")
}

fn cmd_iface_bridge(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (iface, _) = interface_by(ctl, cmd, "interface", BY_NAME)?;
    let br_name = ctl.req_str(cmd, "bridge")?;
    let conn = ctl.conn()?.clone();
    match conn.interface_lookup_by_name(br_name) {
        Ok(_) => return ctl.fail(&format!("Network device {br_name} already exists")),
        // virsh leaves the failed lookup's error behind; it shows if nothing replaces it.
        Err(e) => ctl.last_error = Some(e),
    }
    ctl.opt_uint(cmd, "delay")?;
    inactive_xml(ctl, &iface)
}

fn cmd_iface_unbridge(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (iface, _) = interface_by(ctl, cmd, "bridge", BY_NAME)?;
    inactive_xml(ctl, &iface)
}

fn cmd_iface_define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let flags = if cmd.has("validate") {
        InterfaceDefineFlags::VALIDATE
    } else {
        InterfaceDefineFlags::empty()
    };
    let xml = ctl.lib(read_file(from))?;
    let r = ctl.conn()?.interface_define_xml(&xml, flags);
    match r {
        Ok(i) => {
            ctl.print_extra(&format!("Interface {} defined from {from}\n", i.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to define interface from {from}")),
    }
}

fn cmd_iface_destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        |i| i.destroy(0),
        "Interface {name} destroyed\n",
        "Failed to destroy interface {name}",
    )?;
    // virsh 9.0 reports failure even when the interface was stopped.
    Err(Failed)
}

fn cmd_iface_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("inactive") {
        InterfaceXMLFlags::INACTIVE
    } else {
        InterfaceXMLFlags::empty()
    };
    let (iface, _) = interface(ctl, cmd)?;
    let r = iface.get_xml_desc(flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

fn cmd_iface_edit(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (iface, _) = interface(ctl, cmd)?;
    let get = |ctl: &mut Ctl| {
        let r = iface.get_xml_desc(InterfaceXMLFlags::INACTIVE);
        ctl.lib(r)
    };
    let mut doc = get(ctl)?;
    let not_changed = |ctl: &mut Ctl| {
        ctl.print_extra(&format!(
            "Interface {} XML configuration not changed.\n",
            iface.get_name()
        ));
        Ok(())
    };
    let mut edited = edit_text(ctl, &doc)?;
    if edited == doc {
        return not_changed(ctl);
    }
    loop {
        let reread = get(ctl)?;
        let msg = if reread != doc {
            doc = reread;
            "The XML configuration was changed by another user."
        } else {
            let r = ctl
                .conn()?
                .interface_define_xml(&edited, InterfaceDefineFlags::empty());
            match r {
                Ok(i) => {
                    ctl.print_extra(&format!(
                        "Interface {} XML configuration edited.\n",
                        i.get_name()
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

fn cmd_iface_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("all", "inactive")])?;
    let mut flags = L::ACTIVE;
    if cmd.has("inactive") {
        flags = L::INACTIVE;
    }
    if cmd.has("all") {
        flags = L::ACTIVE | L::INACTIVE;
    }
    let r = ctl.conn()?.list_all_interfaces(flags);
    let Ok(mut ifaces) = ctl.lib(r) else {
        return ctl.fail("Failed to list interfaces");
    };
    // virshInterfaceSorter: by name, ignoring case.
    ifaces.sort_by_key(|i| i.get_name().to_ascii_lowercase());
    let mut t = Table::new(&["Name", "State", "MAC Address"]);
    for i in &ifaces {
        let active = i.is_active().unwrap_or(false);
        t.row(vec![
            i.get_name().into(),
            if active { "active" } else { "inactive" }.into(),
            i.get_mac_string().into(),
        ]);
    }
    ctl.print(&t.render(true));
    Ok(())
}

fn cmd_iface_mac(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (iface, _) = interface_by(ctl, cmd, "interface", BY_NAME)?;
    ctl.print(&format!("{}\n", iface.get_mac_string()));
    Ok(())
}

fn cmd_iface_name(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (iface, _) = interface_by(ctl, cmd, "interface", BY_MAC)?;
    ctl.print(&format!("{}\n", iface.get_name()));
    Ok(())
}

fn cmd_iface_start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        |i| i.create(0),
        "Interface {name} started\n",
        "Failed to start interface {name}",
    )
}

fn cmd_iface_undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    act(
        ctl,
        cmd,
        |i| i.undefine(),
        "Interface {name} undefined\n",
        "Failed to undefine interface {name}",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_read_as_virmacaddrparse_reads_them() {
        for ok in [
            "aa:bb:cc:dd:ee:ff",
            "a:b:c:d:e:f",
            "AA:BB:CC:DD:EE:FF ",
            "00:11:22:33:44:55\n",
        ] {
            assert!(is_mac(ok), "{ok}");
        }
        for bad in [
            "eth1",
            "aa:bb:cc:dd:ee",
            "aa:bb:cc:dd:ee:ff:00",
            "aaa:bb:cc:dd:ee:ff",
            "aa-bb-cc-dd-ee-ff",
            "aa:bb:cc:dd:ee:fx",
        ] {
            assert!(!is_mac(bad), "{bad}");
        }
    }
}
