//! `virDomainInterfaceAddresses` on a running QEMU domain: from the host's ARP table (each
//! guest NIC's MAC looked up among the kernel's IPv4 neighbours), from the DHCP leases of the
//! virtual networks its interfaces are on, or from the guest agent.

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::domain::{
    DomainGetHostnameFlags, DomainInterfaceAddressesSource as Source, IPAddrType,
};
use rvirt_types::records::{DomainIPAddress, DomainInterface};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// `(network, MAC, tap device)` of each interface of `def` on a virtual network.
fn network_nics(def: &rvirt_conf::DomainDef) -> Vec<(String, String, String)> {
    def.devices
        .interfaces
        .iter()
        .filter(|n| n.net_type == "network")
        .map(|n| {
            (
                n.source_attr("network").unwrap_or_default().to_string(),
                n.mac.clone(),
                n.target_dev.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// `(IPv4 address, MAC)` of each complete entry of a `/proc/net/arp` table, in its order.
pub(crate) fn arp_entries(table: &str) -> Vec<(String, String)> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (ip, flags, mac) = (f.first()?, f.get(2)?, f.get(3)?);
            // ATF_COM (0x2): the entry is complete; an incomplete one has no MAC yet.
            let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok()?;
            (flags & 0x2 != 0).then(|| (ip.to_string(), mac.to_ascii_lowercase()))
        })
        .collect()
}

impl QemuDriver {
    pub(crate) async fn interface_addresses(
        &self,
        dom: &DomainRef,
        source: Source,
        flags: u32,
    ) -> Result<Vec<DomainInterface>> {
        check_flags(FROM, "qemuDomainInterfaceAddresses", flags, 0)?;
        let obj = self.obj(dom)?;
        if source == Source::AGENT {
            return self.agent_interfaces(dom).await;
        }
        let st = obj.lock();
        if !st.is_active() {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "domain is not running",
            ));
        }
        match source {
            // Leases come from the DHCP servers of the virtual networks the interfaces are on.
            Source::LEASE => {
                let nics = network_nics(&st.def);
                drop(st);
                let mut out = Vec::new();
                for (net, mac, name) in nics {
                    let leases = self.leases_of(&net, &mac)?;
                    if leases.is_empty() {
                        continue;
                    }
                    out.push(DomainInterface {
                        name,
                        hwaddr: Some(mac),
                        addrs: leases
                            .into_iter()
                            .map(|l| DomainIPAddress {
                                addr_type: if l.addr_type == 1 {
                                    IPAddrType::IPV6
                                } else {
                                    IPAddrType::IPV4
                                },
                                addr: l.ipaddr,
                                prefix: l.prefix,
                            })
                            .collect(),
                    });
                }
                Ok(out)
            }
            Source::ARP => {
                let table = std::fs::read_to_string("/proc/net/arp")
                    .map_err(|e| Error::system(FROM, "unable to read /proc/net/arp", &e))?;
                let entries = arp_entries(&table);
                let mut out = Vec::new();
                for nic in &st.def.devices.interfaces {
                    for (ip, _) in entries.iter().filter(|(_, mac)| *mac == nic.mac) {
                        out.push(DomainInterface {
                            name: nic.target_dev.clone().unwrap_or_default(),
                            hwaddr: Some(nic.mac.clone()),
                            addrs: vec![DomainIPAddress {
                                addr_type: IPAddrType::IPV4,
                                addr: ip.clone(),
                                prefix: 0,
                            }],
                        });
                    }
                }
                Ok(out)
            }
            other => Err(Error::with_detail(
                FROM,
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                format!("Unknown IP address data source {}", other.0),
            )),
        }
    }
}

impl QemuDriver {
    /// `virDomainGetHostname`: from the guest agent (by default), or from the host name a
    /// guest gave with its DHCP request on a virtual network (`LEASE`).
    pub(crate) async fn hostname(
        &self,
        dom: &DomainRef,
        flags: DomainGetHostnameFlags,
    ) -> Result<String> {
        let both = DomainGetHostnameFlags::LEASE | DomainGetHostnameFlags::AGENT;
        check_flags(FROM, "qemuDomainGetHostname", flags.bits(), both.bits())?;
        if flags.contains(both) {
            // VIR_EXCLUSIVE_FLAGS_RET: libvirt's invalid-argument error, without a prefix.
            return Err(Error::invalid_arg_raw(
                FROM,
                "qemuDomainGetHostname",
                "ctl",
                "Flags 'VIR_DOMAIN_GET_HOSTNAME_LEASE' and 'VIR_DOMAIN_GET_HOSTNAME_AGENT' are \
                 mutually exclusive"
                    .into(),
            ));
        }
        let obj = self.obj(dom)?;
        if !flags.contains(DomainGetHostnameFlags::LEASE) {
            return self.agent_hostname(dom).await;
        }
        let (name, nics) = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "domain is not running",
                ));
            }
            let nics = network_nics(&st.def);
            (st.name.to_string(), nics)
        };
        for (net, mac, _) in nics {
            if let Some(h) = self
                .leases_of(&net, &mac)?
                .into_iter()
                .find_map(|l| l.hostname)
            {
                return Ok(h);
            }
        }
        Err(Error::with_detail(
            FROM,
            ErrorNumber::NO_HOSTNAME,
            format!("no hostname found for domain {name}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn complete_arp_entries_only() {
        let table = "IP address       HW type     Flags       HW address            Mask     Device\n\
                     192.168.7.20     0x1         0x2         52:54:00:AA:bb:01     *        br0\n\
                     192.168.7.21     0x1         0x0         00:00:00:00:00:00     *        br0\n";
        assert_eq!(
            super::arp_entries(table),
            [("192.168.7.20".to_string(), "52:54:00:aa:bb:01".to_string())]
        );
    }
}
