//! Network ports, `net-port-*` (virsh-network.c). virsh 9.0's `net-port-dumpxml` and
//! `net-port-delete` report their failures but still succeed (their result starts out true);
//! rvirsh does the same, so scripts see the same exit status.

use super::network::network;
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::fmt::Table;
use crate::parse::Cmd;
use rvirt::blocking::{Network, NetworkPort};
use rvirt::network_flags::NetworkPortCreateFlags;

/// virshCommandOptNetworkPort: the port `--port` names (a UUID) on `net`.
fn port(ctl: &mut Ctl, cmd: &Cmd, net: &Network) -> Result<NetworkPort, Failed> {
    let uuid = ctl.req_str(cmd, "port")?;
    match net.port_lookup_by_uuid_string(uuid) {
        Ok(p) => Ok(p),
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail(&format!("failed to get network port '{uuid}'"))
        }
    }
}

pub(super) fn cmd_net_port_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (net, _) = network(ctl, cmd)?;
    let from = ctl.req_str(cmd, "file")?;
    let flags = if cmd.has("validate") {
        NetworkPortCreateFlags::VALIDATE
    } else {
        NetworkPortCreateFlags::empty()
    };
    let xml = ctl.lib(read_file(from))?;
    match net.port_create_xml(&xml, flags) {
        Ok(p) => {
            let uuid = p.get_uuid_string();
            ctl.print_extra(&format!("Network port {uuid} created from {from}\n"));
            Ok(())
        }
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail(&format!("Failed to create network from {from}"))
        }
    }
}

pub(super) fn cmd_net_port_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let Ok((net, _)) = network(ctl, cmd) else {
        return Ok(());
    };
    let Ok(port) = port(ctl, cmd, &net) else {
        return Ok(());
    };
    ctl.opt_str(cmd, "xpath")?;
    let xml = match port.get_xml_desc(0) {
        Ok(x) => x,
        Err(e) => {
            ctl.last_error = Some(e);
            return Ok(());
        }
    };
    ctl.dump_xml(cmd, &xml)
}

pub(super) fn cmd_net_port_delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let Ok((net, _)) = network(ctl, cmd) else {
        return Ok(());
    };
    let Ok(port) = port(ctl, cmd, &net) else {
        return Ok(());
    };
    let uuid = port.get_uuid_string();
    match port.delete(0) {
        Ok(()) => ctl.print_extra(&format!("Network port {uuid} deleted\n")),
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.error(&format!("Failed to delete network port {uuid}"));
        }
    }
    Ok(())
}

pub(super) fn cmd_net_port_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (table, uuid) = (cmd.has("table"), cmd.has("uuid"));
    if table && uuid {
        return ctl.fail("Only one argument from --table and --uuid may be specified.");
    }
    let (net, _) = network(ctl, cmd)?;
    let r = net.list_all_ports(0);
    let mut ports = ctl.lib(r)?;
    // virshNetworkPortSorter: by the UUID's bytes.
    ports.sort_by_key(|p| *p.get_uuid().as_bytes());
    if uuid {
        let out: String = ports
            .iter()
            .map(|p| format!("{}\n", p.get_uuid_string()))
            .collect();
        ctl.print(&out);
        return Ok(());
    }
    let mut t = Table::new(&["UUID"]);
    for p in &ports {
        t.row(vec![p.get_uuid_string()]);
    }
    ctl.print(&t.render(true));
    Ok(())
}
