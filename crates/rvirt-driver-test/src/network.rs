//! The little the test hypervisor knows of its virtual networks: their names and first IP
//! definitions, from which libvirt's test driver makes up the addresses of guest interfaces on
//! them (`virDomainInterfaceAddresses`). rvirt has no network objects yet, so these never change.

use crate::{TestDriver, err};
use rvirt_conf::xml::child;
use rvirt_driver::DomainObjState;
use rvirt_types::domain::IPAddrType;
use rvirt_types::records::{DomainIPAddress, DomainInterface};
use rvirt_types::{ErrorNumber, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A virtual network of the test machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TestNetwork {
    /// `<name>`.
    pub name: String,
    /// What its first `<ip>` gives guests, if it has one.
    pub ip: Option<NetworkIp>,
}

/// The addressing of a network's first `<ip>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NetworkIp {
    /// The start of the first DHCP range, or the network's own address without one: guest
    /// addresses count up from here.
    pub base: IpAddr,
    /// The prefix length as libvirt's `virSocketAddrGetIPPrefix` gives it (`u32::MAX` for its -1).
    pub prefix: u32,
}

/// libvirt's `virSocketAddrGetIPPrefix`: the explicit prefix, else the netmask's length, else
/// the natural prefix of the address (classful for IPv4, 64 for IPv6, 0 for a wildcard); -1 when
/// none applies.
fn ip_prefix(address: IpAddr, netmask: Option<IpAddr>, prefix: u32) -> i32 {
    if prefix > 0 {
        return prefix as i32;
    }
    if let Some(mask) = netmask {
        return netmask_bits(mask);
    }
    match address {
        IpAddr::V4(a) => {
            let octet = a.octets()[0];
            if a.is_unspecified() {
                0
            } else if octet & 0x80 == 0 {
                8
            } else if octet & 0xC0 == 0x80 {
                16
            } else if octet & 0xE0 == 0xC0 {
                24
            } else {
                -1
            }
        }
        IpAddr::V6(a) if a.is_unspecified() => 0,
        IpAddr::V6(_) => 64,
    }
}

/// libvirt's `virSocketAddrGetNumNetmaskBits`: the number of leading one bits, -1 if ones follow
/// the first zero.
fn netmask_bits(mask: IpAddr) -> i32 {
    let bits = match mask {
        IpAddr::V4(m) => u128::from(u32::from(m)) << 96,
        IpAddr::V6(m) => u128::from(m),
    };
    let ones = bits.leading_ones();
    if bits.checked_shl(ones).unwrap_or(0) != 0 {
        -1
    } else {
        ones as i32
    }
}

impl TestNetwork {
    /// Reads what guest addresses need from a `<network>` document; `None` if it has no name.
    /// Attributes that do not parse are taken as absent: libvirt would have refused the document.
    pub fn parse(xml: &str) -> Option<TestNetwork> {
        let doc = roxmltree::Document::parse(xml).ok()?;
        let root = doc.root_element();
        let name = child(root, "name")?.text()?.to_string();
        let ip = child(root, "ip").and_then(|ip| {
            let address: IpAddr = ip.attribute("address")?.parse().ok()?;
            let netmask = ip.attribute("netmask").and_then(|m| m.parse().ok());
            let prefix = ip
                .attribute("prefix")
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let range_start = child(ip, "dhcp")
                .and_then(|d| child(d, "range"))
                .and_then(|r| r.attribute("start"))
                .and_then(|s| s.parse().ok());
            Some(NetworkIp {
                base: range_start.unwrap_or(address),
                prefix: ip_prefix(address, netmask, prefix) as u32,
            })
        });
        Some(TestNetwork { name, ip })
    }

    /// libvirt's test driver's made-up address for the guest interface `offset` places after the
    /// network's base: IPv4 adds to the whole address, IPv6 to its last byte alone.
    pub fn guest_address(&self, offset: u64) -> Result<DomainIPAddress> {
        let Some(ip) = self.ip else {
            // libvirt's test driver would read a missing address here; say so instead.
            return Err(err(
                ErrorNumber::INTERNAL_ERROR,
                format!("network '{}' has no IP address", self.name),
            ));
        };
        let (addr_type, addr) = match ip.base {
            IpAddr::V4(a) => (
                IPAddrType::IPV4,
                Ipv4Addr::from(u32::from(a).wrapping_add(offset as u32)).to_string(),
            ),
            IpAddr::V6(a) => {
                let mut octets = a.octets();
                octets[15] = octets[15].wrapping_add(offset as u8);
                (IPAddrType::IPV6, Ipv6Addr::from(octets).to_string())
            }
        };
        Ok(DomainIPAddress {
            addr_type,
            addr,
            prefix: ip.prefix,
        })
    }
}

impl TestDriver {
    /// libvirt's test driver's answer to `virDomainInterfaceAddresses` for a running domain,
    /// whatever the source: one made-up address per interface of its definition. An interface on
    /// a virtual network gets an address of that network, different per interface and domain id;
    /// any other interface gets `192.168.0.N/24`, N counting interfaces from 1.
    pub(crate) fn interface_addresses(&self, st: &DomainObjState) -> Result<Vec<DomainInterface>> {
        st.def
            .devices
            .interfaces
            .iter()
            .enumerate()
            .map(|(i, net)| {
                let addr = if net.net_type == "network" {
                    let name = net
                        .source
                        .iter()
                        .find(|(k, _)| k == "network")
                        .map_or("", |(_, v)| v.as_str());
                    let network = self
                        .networks
                        .iter()
                        .find(|n| n.name == name)
                        .ok_or_else(|| no_network(name))?;
                    let offset = 20 * (i64::from(st.id) - 1) + i as i64 + 1;
                    network.guest_address(offset as u64)?
                } else {
                    DomainIPAddress {
                        addr_type: IPAddrType::IPV4,
                        addr: format!("192.168.0.{}", i + 1),
                        prefix: 24,
                    }
                };
                Ok(DomainInterface {
                    name: net.target_dev.clone().unwrap_or_default(),
                    hwaddr: Some(net.mac.clone()),
                    addrs: vec![addr],
                })
            })
            .collect()
    }
}

/// `VIR_ERR_NO_NETWORK` as the test driver reports a network it does not have.
fn no_network(name: &str) -> rvirt_types::Error {
    err(
        ErrorNumber::NO_NETWORK,
        format!("no network with matching name '{name}'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_network_gives_addresses_after_its_dhcp_range_start() {
        let n = TestNetwork::parse(
            "<network><name>default</name><ip address='192.168.122.1' netmask='255.255.255.0'>\
             <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>",
        )
        .expect("a network");
        assert_eq!(n.name, "default");
        let a = n.guest_address(1).expect("an address");
        assert_eq!(
            (a.addr_type, a.addr.as_str(), a.prefix),
            (IPAddrType::IPV4, "192.168.122.3", 24)
        );
    }

    #[test]
    fn prefixes_follow_libvirt() {
        let v4 = |s: &str| IpAddr::V4(s.parse().expect("an IPv4 address"));
        assert_eq!(ip_prefix(v4("10.0.0.1"), None, 0), 8);
        assert_eq!(ip_prefix(v4("172.16.0.1"), None, 0), 16);
        assert_eq!(ip_prefix(v4("192.168.1.1"), None, 0), 24);
        assert_eq!(ip_prefix(v4("224.0.0.1"), None, 0), -1);
        assert_eq!(ip_prefix(v4("0.0.0.0"), None, 0), 0);
        assert_eq!(ip_prefix(v4("10.0.0.1"), Some(v4("255.255.0.0")), 0), 16);
        assert_eq!(ip_prefix(v4("10.0.0.1"), Some(v4("255.0.255.0")), 0), -1);
        assert_eq!(ip_prefix(v4("10.0.0.1"), None, 20), 20);
        let n = TestNetwork::parse(
            "<network><name>v6</name><ip family='ipv6' address='2001:db8::1' prefix='64'>\
             <dhcp><range start='2001:db8::ff' end='2001:db8::1ff'/></dhcp></ip></network>",
        )
        .expect("a network");
        let a = n.guest_address(3).expect("an address");
        assert_eq!(
            (a.addr_type, a.addr.as_str(), a.prefix),
            (IPAddrType::IPV6, "2001:db8::2", 64)
        );
    }

    /// A node document's networks, with libvirt 9.0's answers for them.
    #[test]
    fn node_document_networks_give_libvirts_addresses() {
        use rvirt_driver::DomainDriver;
        use rvirt_types::domain::DomainInterfaceAddressesSource;
        let dir = tempfile::tempdir().expect("a scratch folder");
        let path = dir.path().join("node.xml");
        let net = |t: &str, m: &str, n: &str| {
            format!(
                "<interface type='{t}'><mac address='52:54:00:00:00:{m}'/><source {n}/></interface>"
            )
        };
        let doc = format!(
            "<node><domain type='test'><name>g1</name><memory>1048576</memory><vcpu>1</vcpu>\
             <os><type>hvm</type></os><devices>{}{}{}{}</devices></domain>\
             <network><name>v6</name><ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'>\
             <dhcp><range start='2001:db8:ca2:2:1::fe' end='2001:db8:ca2:2:1::ff'/></dhcp></ip>\
             </network><network><name>classb</name><ip address='172.16.5.1'/></network>\
             <network><name>wrap</name><ip address='10.0.0.254' prefix='20'/></network></node>",
            net("network", "0a", "network='v6'"),
            net("network", "0b", "network='classb'"),
            net("network", "0c", "network='wrap'"),
            net("bridge", "0d", "bridge='br0'"),
        );
        std::fs::write(&path, doc).expect("the node document is written");
        let drv = TestDriver::open(&format!("test://{}", path.display())).expect("it opens");
        let dom = pollster::block_on(drv.domain_lookup_by_name("g1")).expect("g1 exists");
        let ifaces = pollster::block_on(drv.domain_interface_addresses(
            &dom,
            DomainInterfaceAddressesSource::LEASE,
            0,
        ))
        .expect("addresses");
        let got: Vec<(String, String, String, i32, u32)> = ifaces
            .into_iter()
            .map(|i| {
                let a = &i.addrs[0];
                let hw = i.hwaddr.unwrap_or_default();
                (i.name, hw, a.addr.clone(), a.addr_type.0, a.prefix)
            })
            .collect();
        let want = [
            (
                "testnet0",
                "52:54:00:00:00:0a",
                "2001:db8:ca2:2:1::ff",
                1,
                64,
            ),
            ("testnet1", "52:54:00:00:00:0b", "172.16.5.3", 0, 16),
            ("testnet2", "52:54:00:00:00:0c", "10.0.1.1", 0, 20),
            ("testnet3", "52:54:00:00:00:0d", "192.168.0.4", 0, 24),
        ];
        let want: Vec<(String, String, String, i32, u32)> = want
            .iter()
            .map(|&(n, h, a, t, p)| (n.into(), h.into(), a.into(), t, p))
            .collect();
        assert_eq!(got, want);
    }
}
