//! `virNetworkDefUpdateSection`: one change (`virNetworkUpdate`'s command) to one section of a
//! network definition, with libvirt's checks and wording.

use super::{
    DhcpHost, ForwardDef, ForwardIf, NetworkDef, parse_dhcp_host, parse_dhcp_range, parse_dns_host,
    parse_dns_srv, parse_dns_txt, parse_portgroup,
};
use crate::xml;
use rvirt_types::network::{NetworkUpdateCommand, NetworkUpdateSection};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

fn net_err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::NETWORK, code, detail)
}

fn invalid(detail: impl Into<String>) -> Error {
    net_err(ErrorNumber::OPERATION_INVALID, detail)
}

fn no_support(def: &NetworkDef, section: &str) -> Error {
    net_err(
        ErrorNumber::OPERATION_UNSUPPORTED,
        format!("can't update '{section}' section of network '{}'", def.name),
    )
}

fn unknown_command(command: NetworkUpdateCommand) -> Error {
    net_err(
        ErrorNumber::OPERATION_UNSUPPORTED,
        format!("unrecognized network update command code {}", command.0),
    )
}

fn check_name(def: &NetworkDef, node: roxmltree::Node<'_, '_>, section: &str) -> Result<()> {
    let name = node.tag_name().name();
    if name != section {
        return Err(net_err(
            ErrorNumber::XML_ERROR,
            format!(
                "unexpected element <{name}>, expecting <{section}>, while updating network '{}'",
                def.name
            ),
        ));
    }
    Ok(())
}

fn is_add(c: NetworkUpdateCommand) -> bool {
    c == NetworkUpdateCommand::ADD_FIRST || c == NetworkUpdateCommand::ADD_LAST
}

fn insert<T>(list: &mut Vec<T>, command: NetworkUpdateCommand, item: T) {
    if command == NetworkUpdateCommand::ADD_FIRST {
        list.insert(0, item);
    } else {
        list.push(item);
    }
}

/// libvirt's `virNetworkIPDefByIndex`: the `<ip>` a DHCP change applies to.
fn ip_index(def: &NetworkDef, parent_index: i32) -> Result<usize> {
    if parent_index >= 0 {
        return if (parent_index as usize) < def.ips.len() {
            Ok(parent_index as usize)
        } else {
            Err(invalid(format!(
                "couldn't update dhcp host entry - no <ip> element found at index {parent_index} in network '{}'",
                def.name
            )))
        };
    }
    def.ips
        .iter()
        .position(|ip| !ip.ranges.is_empty() || !ip.hosts.is_empty())
        .or_else(|| def.ips.iter().position(|ip| ip.address.is_ipv4()))
        .or_else(|| def.ips.iter().position(|ip| ip.address.is_ipv6()))
        .ok_or_else(|| {
            invalid(format!(
                "couldn't update dhcp host entry - no <ip> element found in network '{}'",
                def.name
            ))
        })
}

/// `virNetworkDefUpdateCheckMultiDHCP`: DHCP on one address of each family only.
fn check_multi_dhcp(def: &NetworkDef, index: usize) -> Result<()> {
    let v4 = def.ips[index].address.is_ipv4();
    let other = def.ips.iter().enumerate().any(|(i, ip)| {
        i != index && ip.address.is_ipv4() == v4 && (!ip.ranges.is_empty() || !ip.hosts.is_empty())
    });
    if other {
        return Err(invalid(format!(
            "dhcp is supported only for a single {} address on each network",
            if v4 { "IPv4" } else { "IPv6" }
        )));
    }
    Ok(())
}

fn same_mac(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn update_dhcp_host(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    parent_index: i32,
    node: roxmltree::Node<'_, '_>,
) -> Result<()> {
    check_name(def, node, "host")?;
    let idx = ip_index(def, parent_index)?;
    let partial = command == NetworkUpdateCommand::DELETE;
    let v6 = def.ips[idx].address.is_ipv6();
    let host = parse_dhcp_host(node, &def.name, v6, partial)?;
    if !partial && host.ip.is_some_and(|ip| ip.is_ipv6() != v6) {
        return Err(invalid(
            "the address family of a host entry IP must match the address family of the dhcp element's parent",
        ));
    }
    let name = def.name.clone();
    let describe = |h: &DhcpHost| {
        (
            h.mac.clone().unwrap_or_else(|| "unknown".into()),
            h.name.clone().unwrap_or_else(|| "(null)".into()),
            h.ip.map_or_else(|| "unknown".into(), |i| i.to_string()),
        )
    };
    if command == NetworkUpdateCommand::MODIFY {
        let ip = &mut def.ips[idx];
        let Some(i) = ip.hosts.iter().position(|h| {
            same_mac(&host.mac, &h.mac)
                || (host.ip.is_some() && host.ip == h.ip)
                || (host.name.is_some() && host.name == h.name)
        }) else {
            let (m, n, a) = describe(&host);
            return Err(invalid(format!(
                "couldn't locate an existing dhcp host entry with \"mac='{m}'\" \"name='{n}'\" \"ip='{a}'\" in network '{name}'"
            )));
        };
        ip.hosts[i] = host;
    } else if is_add(command) {
        check_multi_dhcp(def, idx)?;
        let ip = &mut def.ips[idx];
        if ip.hosts.iter().any(|h| {
            same_mac(&host.mac, &h.mac)
                || (host.name.is_some() && host.name == h.name)
                || (host.ip.is_some() && host.ip == h.ip)
        }) {
            let (m, n, a) = describe(&host);
            return Err(invalid(format!(
                "there is an existing dhcp host entry in network '{name}' that matches \"<host mac='{m}' name='{n}' ip='{a}'/>\""
            )));
        }
        insert(&mut ip.hosts, command, host);
    } else if command == NetworkUpdateCommand::DELETE {
        let ip = &mut def.ips[idx];
        let Some(i) = ip.hosts.iter().position(|h| {
            (host.mac.is_none() || h.mac.is_none() || same_mac(&host.mac, &h.mac))
                && (host.name.is_none() || host.name == h.name)
                && (host.ip.is_none() || host.ip == h.ip)
        }) else {
            return Err(invalid(format!(
                "couldn't locate a matching dhcp host entry in network '{name}'"
            )));
        };
        ip.hosts.remove(i);
    } else {
        return Err(unknown_command(command));
    }
    Ok(())
}

fn update_dhcp_range(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    parent_index: i32,
    node: roxmltree::Node<'_, '_>,
) -> Result<()> {
    check_name(def, node, "range")?;
    let idx = ip_index(def, parent_index)?;
    if command == NetworkUpdateCommand::MODIFY {
        return Err(net_err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "dhcp ranges cannot be modified, only added or deleted",
        ));
    }
    let range = parse_dhcp_range(node, &def.name)?;
    if range.start.is_ipv6() != def.ips[idx].address.is_ipv6() {
        return Err(invalid(
            "the address family of a dhcp range must match the address family of the dhcp element's parent",
        ));
    }
    let found = def.ips[idx]
        .ranges
        .iter()
        .position(|r| r.start == range.start && r.end == range.end);
    if is_add(command) {
        check_multi_dhcp(def, idx)?;
        if found.is_some() {
            return Err(invalid(format!(
                "there is an existing dhcp range entry in network '{}' that matches \"<range start='{}' end='{}'/>\"",
                def.name, range.start, range.end
            )));
        }
        insert(&mut def.ips[idx].ranges, command, range);
    } else if command == NetworkUpdateCommand::DELETE {
        let Some(i) = found else {
            return Err(invalid(format!(
                "couldn't locate a matching dhcp range entry in network '{}'",
                def.name
            )));
        };
        def.ips[idx].ranges.remove(i);
    } else {
        return Err(unknown_command(command));
    }
    Ok(())
}

fn update_portgroup(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    node: roxmltree::Node<'_, '_>,
) -> Result<()> {
    check_name(def, node, "portgroup")?;
    let pg = parse_portgroup(node, &def.name)?;
    let found = def.portgroups.iter().position(|p| p.name == pg.name);
    let name = def.name.clone();
    let modify_or_delete =
        command == NetworkUpdateCommand::MODIFY || command == NetworkUpdateCommand::DELETE;
    if found.is_none() && modify_or_delete {
        return Err(invalid(format!(
            "couldn't find a portgroup entry in network '{name}' matching <portgroup name='{}'>",
            pg.name
        )));
    }
    if found.is_some() && is_add(command) {
        return Err(invalid(format!(
            "there is an existing portgroup entry in network '{name}' that matches \"<portgroup name='{}'>\"",
            pg.name
        )));
    }
    if pg.is_default
        && def
            .portgroups
            .iter()
            .enumerate()
            .any(|(i, p)| p.is_default && Some(i) != found)
    {
        return Err(invalid(format!(
            "a different portgroup entry in network '{name}' is already set as the default. Only one default is allowed."
        )));
    }
    match (command, found) {
        (NetworkUpdateCommand::MODIFY, Some(i)) => def.portgroups[i] = pg,
        (NetworkUpdateCommand::DELETE, Some(i)) => {
            def.portgroups.remove(i);
        }
        (c, _) if is_add(c) => insert(&mut def.portgroups, c, pg),
        (c, _) => return Err(unknown_command(c)),
    }
    Ok(())
}

/// Adds `item` to `list` (none of the records at `matches` may exist yet) or deletes the one
/// record at `matches`, as libvirt does for DNS HOST and SRV records. `messages` say, before
/// "in network NAME", that a match exists, that none does, and that several do.
fn add_or_delete_record<T>(
    list: &mut Vec<T>,
    command: NetworkUpdateCommand,
    item: T,
    matches: &[usize],
    network: &str,
    messages: [&str; 3],
) -> Result<()> {
    let [exists, missing, ambiguous] = messages;
    let fail = |what: &str| Err(invalid(format!("{what} in network {network}")));
    if is_add(command) {
        if !matches.is_empty() {
            return fail(exists);
        }
        insert(list, command, item);
        return Ok(());
    }
    if command != NetworkUpdateCommand::DELETE {
        return Err(unknown_command(command));
    }
    match matches {
        [] => fail(missing),
        [i] => {
            list.remove(*i);
            Ok(())
        }
        _ => fail(ambiguous),
    }
}

fn update_dns_host(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    node: roxmltree::Node<'_, '_>,
) -> Result<()> {
    if command == NetworkUpdateCommand::MODIFY {
        return Err(net_err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "DNS HOST records cannot be modified, only added or deleted",
        ));
    }
    check_name(def, node, "host")?;
    let add = is_add(command);
    let host = parse_dns_host(node, &def.name, !add)?;
    let matches: Vec<usize> = def
        .dns
        .hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            (host.ip.is_some() && host.ip == h.ip)
                || (!add && host.names.iter().any(|n| h.names.contains(n)))
        })
        .map(|(i, _)| i)
        .collect();
    add_or_delete_record(
        &mut def.dns.hosts,
        command,
        host,
        &matches,
        &def.name,
        [
            "there is already at least one DNS HOST record with a matching field",
            "couldn't locate a matching DNS HOST record",
            "multiple matching DNS HOST records were found",
        ],
    )
}

fn update_dns_txt(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    node: roxmltree::Node<'_, '_>,
) -> Result<()> {
    if command == NetworkUpdateCommand::MODIFY {
        return Err(net_err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "DNS TXT records cannot be modified, only added or deleted",
        ));
    }
    check_name(def, node, "txt")?;
    let add = is_add(command);
    let txt = parse_dns_txt(node, &def.name, !add)?;
    let found = def.dns.txts.iter().position(|t| t.name == txt.name);
    if add {
        if found.is_some() {
            return Err(invalid(format!(
                "there is already a DNS TXT record with name '{}' in network {}",
                txt.name, def.name
            )));
        }
        insert(&mut def.dns.txts, command, txt);
    } else if command == NetworkUpdateCommand::DELETE {
        let Some(i) = found else {
            return Err(invalid(format!(
                "couldn't locate a matching DNS TXT record in network {}",
                def.name
            )));
        };
        def.dns.txts.remove(i);
    } else {
        return Err(unknown_command(command));
    }
    Ok(())
}

fn update_dns_srv(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    node: roxmltree::Node<'_, '_>,
) -> Result<()> {
    if command == NetworkUpdateCommand::MODIFY {
        return Err(net_err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "DNS SRV records cannot be modified, only added or deleted",
        ));
    }
    check_name(def, node, "srv")?;
    let add = is_add(command);
    let srv = parse_dns_srv(node, &def.name, !add)?;
    let field = |mine: &Option<String>, theirs: &Option<String>| mine.is_none() || mine == theirs;
    let found: Vec<usize> = def
        .dns
        .srvs
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            field(&srv.domain, &s.domain)
                && field(&srv.service, &s.service)
                && field(&srv.protocol, &s.protocol)
                && field(&srv.target, &s.target)
        })
        .map(|(i, _)| i)
        .collect();
    add_or_delete_record(
        &mut def.dns.srvs,
        command,
        srv,
        &found,
        &def.name,
        [
            "there is already at least one DNS SRV record matching all specified fields",
            "couldn't locate a matching DNS SRV record",
            "multiple DNS SRV records matching all specified fields were found",
        ],
    )
}

fn update_forward_interface(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    node: roxmltree::Node<'_, '_>,
) -> Result<()> {
    check_name(def, node, "interface")?;
    if command == NetworkUpdateCommand::MODIFY {
        return Err(net_err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "forward interface entries cannot be modified, only added or deleted",
        ));
    }
    let Some(dev) = node.attribute("dev") else {
        return Err(net_err(
            ErrorNumber::XML_ERROR,
            "missing dev attribute in <interface> element",
        ));
    };
    let name = def.name.clone();
    let fwd = def.forward.get_or_insert_with(|| ForwardDef {
        mode: "none".into(),
        ..ForwardDef::default()
    });
    let found = fwd
        .ifs
        .iter()
        .position(|i| matches!(i, ForwardIf::Netdev(d) if d == dev));
    if is_add(command) {
        if found.is_some() {
            return Err(invalid(format!(
                "there is an existing interface entry in network '{name}' that matches \"<interface dev='{dev}'>\""
            )));
        }
        insert(&mut fwd.ifs, command, ForwardIf::Netdev(dev.to_string()));
    } else if command == NetworkUpdateCommand::DELETE {
        let Some(i) = found else {
            return Err(invalid(format!(
                "couldn't find an interface entry in network '{name}' matching <interface dev='{dev}'>"
            )));
        };
        fwd.ifs.remove(i);
    } else {
        return Err(unknown_command(command));
    }
    Ok(())
}

/// Applies one `virNetworkUpdate` change to `def`. Sections libvirt cannot change (bridge,
/// domain, ip, forward, forward pf) answer `VIR_ERR_OPERATION_UNSUPPORTED`.
pub fn update_section(
    def: &mut NetworkDef,
    command: NetworkUpdateCommand,
    section: NetworkUpdateSection,
    parent_index: i32,
    text: &str,
) -> Result<()> {
    let doc = xml::parse_document(text, "network_update_xml", ErrorDomain::NETWORK)?;
    let node = doc.root_element();
    match section {
        NetworkUpdateSection::BRIDGE => Err(no_support(def, "bridge")),
        NetworkUpdateSection::DOMAIN => Err(no_support(def, "domain")),
        NetworkUpdateSection::IP => Err(no_support(def, "ip")),
        NetworkUpdateSection::FORWARD => Err(no_support(def, "forward")),
        NetworkUpdateSection::FORWARD_PF => Err(no_support(def, "forward pf")),
        NetworkUpdateSection::FORWARD_INTERFACE => update_forward_interface(def, command, node),
        NetworkUpdateSection::DNS_SRV => update_dns_srv(def, command, node),
        NetworkUpdateSection::IP_DHCP_HOST => update_dhcp_host(def, command, parent_index, node),
        NetworkUpdateSection::IP_DHCP_RANGE => update_dhcp_range(def, command, parent_index, node),
        NetworkUpdateSection::PORTGROUP => update_portgroup(def, command, node),
        NetworkUpdateSection::DNS_HOST => update_dns_host(def, command, node),
        NetworkUpdateSection::DNS_TXT => update_dns_txt(def, command, node),
        _ => Err(net_err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "can't update unrecognized section of network",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_net() -> NetworkDef {
        NetworkDef::parse_xml(
            "<network><name>default</name><forward/><ip address='192.168.122.1' \
             netmask='255.255.255.0'><dhcp><range start='192.168.122.2' \
             end='192.168.122.254'/></dhcp></ip></network>",
        )
        .expect("the default network parses")
    }

    const HOST: &str = "<host mac='00:16:3e:77:e2:ed' name='foo' ip='192.168.122.10'/>";

    #[test]
    fn dhcp_hosts_are_added_refused_twice_and_deleted() {
        let mut d = default_net();
        let add = NetworkUpdateCommand::ADD_LAST;
        let sect = NetworkUpdateSection::IP_DHCP_HOST;
        update_section(&mut d, add, sect, -1, HOST).expect("added");
        assert!(d.format().contains(HOST));
        let e = update_section(&mut d, add, sect, -1, HOST).expect_err("a duplicate");
        assert_eq!(
            e.message,
            "Requested operation is not valid: there is an existing dhcp host entry in network 'default' that matches \"<host mac='00:16:3e:77:e2:ed' name='foo' ip='192.168.122.10'/>\""
        );
        update_section(
            &mut d,
            NetworkUpdateCommand::DELETE,
            sect,
            -1,
            "<host name='foo'/>",
        )
        .expect("deleted");
        assert!(d.ips[0].hosts.is_empty());
    }

    #[test]
    fn fixed_sections_and_bad_commands_are_refused_as_libvirt() {
        let mut d = default_net();
        let e = update_section(
            &mut d,
            NetworkUpdateCommand::MODIFY,
            NetworkUpdateSection::BRIDGE,
            -1,
            "<bridge name='x'/>",
        )
        .expect_err("refused");
        assert_eq!(
            e.message,
            "Operation not supported: can't update 'bridge' section of network 'default'"
        );
        let e = update_section(
            &mut d,
            NetworkUpdateCommand(5),
            NetworkUpdateSection::IP_DHCP_HOST,
            -1,
            HOST,
        )
        .expect_err("refused");
        assert_eq!(
            e.message,
            "Operation not supported: unrecognized network update command code 5"
        );
        let e = update_section(
            &mut d,
            NetworkUpdateCommand::ADD_LAST,
            NetworkUpdateSection(100),
            -1,
            "<host/>",
        )
        .expect_err("refused");
        assert_eq!(e.code, ErrorNumber::OPERATION_UNSUPPORTED);
    }

    #[test]
    fn dns_txt_records_are_added_and_deleted() {
        let mut d = default_net();
        let s = NetworkUpdateSection::DNS_TXT;
        update_section(
            &mut d,
            NetworkUpdateCommand::ADD_FIRST,
            s,
            -1,
            "<txt name='a' value='b'/>",
        )
        .expect("added");
        assert!(d.format().contains("<txt name='a' value='b'/>"));
        update_section(
            &mut d,
            NetworkUpdateCommand::DELETE,
            s,
            -1,
            "<txt name='a'/>",
        )
        .expect("deleted");
        assert!(d.dns.txts.is_empty());
    }

    #[test]
    fn dns_srv_records_and_forward_interfaces_are_added_and_deleted() {
        let mut d = default_net();
        let srv = NetworkUpdateSection::DNS_SRV;
        let add = NetworkUpdateCommand::ADD_LAST;
        update_section(&mut d, add, srv, -1, "<srv service='http' protocol='tcp'/>")
            .expect("added");
        let e = update_section(
            &mut d,
            add,
            srv,
            -1,
            "<srv service='x' protocol='udp' port='53'/>",
        )
        .expect_err("a port needs a target");
        assert_eq!(
            e.message,
            "DNS SRV port attribute not permitted without target for service 'x' in network 'default'"
        );
        update_section(
            &mut d,
            NetworkUpdateCommand::DELETE,
            srv,
            -1,
            "<srv service='http'/>",
        )
        .expect("deleted");
        assert!(d.dns.srvs.is_empty());
        let fwd = NetworkUpdateSection::FORWARD_INTERFACE;
        update_section(&mut d, add, fwd, -1, "<interface dev='eth0'/>").expect("added");
        assert!(d.format().contains("<interface dev='eth0'/>"));
        let e = update_section(
            &mut d,
            NetworkUpdateCommand::MODIFY,
            fwd,
            -1,
            "<interface dev='eth0'/>",
        )
        .expect_err("no modify");
        assert_eq!(e.code, ErrorNumber::OPERATION_UNSUPPORTED);
    }
}
