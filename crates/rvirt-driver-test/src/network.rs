//! The test hypervisor's virtual networks, with libvirt's test-driver semantics
//! (`testNetwork*` in `test_driver.c`): define/undefine, create (transient), start, destroy,
//! autostart, update, XML, listing with filters, lifecycle events, and the made-up addresses of
//! guest interfaces on them (`virDomainInterfaceAddresses`).

use crate::{FROM, TestDriver, err};
use parking_lot::Mutex;
use rvirt_conf::NetworkDef;
use rvirt_driver::network::{NetworkEventBus, NetworkEventCallback};
use rvirt_driver::network_obj::{self, NetworkObj};
use rvirt_driver::{
    CallbackId, DomainObjState, NetworkDriver, NetworkEvent, NetworkRef, check_flags,
};
use rvirt_types::domain::IPAddrType;
use rvirt_types::network::*;
use rvirt_types::records::{DomainIPAddress, DomainInterface};
use rvirt_types::{Error, ErrorNumber, Result, Uuid};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The networks of one test machine and their event callbacks.
#[derive(Default)]
pub(crate) struct NetworkList {
    objs: Mutex<Vec<NetworkObj>>,
    events: NetworkEventBus,
}

impl NetworkList {
    /// Networks of a machine as it starts: defined and running, as the test driver loads them.
    pub fn seeded(defs: Vec<NetworkDef>) -> NetworkList {
        let objs = defs
            .into_iter()
            .map(|def| NetworkObj {
                def,
                new_def: None,
                active: true,
                persistent: true,
                autostart: false,
            })
            .collect();
        NetworkList {
            objs: Mutex::new(objs),
            events: NetworkEventBus::default(),
        }
    }

    /// The live definition of network `name`, if there is one.
    pub fn def_by_name(&self, name: &str) -> Option<NetworkDef> {
        self.objs
            .lock()
            .iter()
            .find(|o| o.def.name == name)
            .map(|o| o.def.clone())
    }
}

/// `VIR_ERR_NO_NETWORK` for a name, as the test driver words it.
fn no_network(name: &str) -> Error {
    err(
        ErrorNumber::NO_NETWORK,
        format!("no network with matching name '{name}'"),
    )
}

/// `VIR_ERR_NO_NETWORK` for a UUID.
fn no_network_uuid(uuid: &Uuid) -> Error {
    err(
        ErrorNumber::NO_NETWORK,
        format!("no network with matching uuid '{uuid}'"),
    )
}

impl TestDriver {
    /// Runs `f` on the object named `name` (by the name the handle carries, as the test driver
    /// finds most calls' networks).
    fn with_net_by_name<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut Vec<NetworkObj>, usize) -> Result<T>,
    ) -> Result<T> {
        let mut objs = self.networks.objs.lock();
        let i = objs
            .iter()
            .position(|o| o.def.name == name)
            .ok_or_else(|| no_network(name))?;
        f(&mut objs, i)
    }

    fn with_net_by_uuid<T>(
        &self,
        uuid: &Uuid,
        f: impl FnOnce(&mut Vec<NetworkObj>, usize) -> Result<T>,
    ) -> Result<T> {
        let mut objs = self.networks.objs.lock();
        let i = objs
            .iter()
            .position(|o| o.def.uuid == *uuid)
            .ok_or_else(|| no_network_uuid(uuid))?;
        f(&mut objs, i)
    }

    fn emit_network(&self, net: NetworkRef, event: NetworkEventLifecycleType) {
        self.networks
            .events
            .emit(&NetworkEvent::lifecycle(net, event));
    }

    /// `virNetworkObjAssignDef`: adds `def` or replaces the definition of the network with its
    /// UUID. `live`: the definition is of a network being started (`VIR_NETWORK_OBJ_LIST_ADD_LIVE
    /// | ADD_CHECK_LIVE`).
    fn assign_def(&self, def: NetworkDef, live: bool) -> Result<NetworkRef> {
        let mut objs = self.networks.objs.lock();
        let i = network_obj::assign_def(&mut objs, def, live)?;
        Ok(objs[i].r())
    }

    /// libvirt's test driver's answer to `virDomainInterfaceAddresses` for a running domain,
    /// whatever the source: one made-up address per interface of its definition. An interface on
    /// a virtual network gets an address of that network's first `<ip>`, different per interface
    /// and domain id; any other interface gets `192.168.0.N/24`, N counting interfaces from 1.
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
                    let def = self
                        .networks
                        .def_by_name(name)
                        .ok_or_else(|| no_network(name))?;
                    let offset = 20 * (i64::from(st.id) - 1) + i as i64 + 1;
                    guest_address(&def, offset as u64)?
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

/// libvirt's test driver's made-up address for the guest interface `offset` places after the
/// start of the network's first DHCP range (or its address): IPv4 adds to the whole address, an
/// `ipv6` family adds to its last byte alone.
fn guest_address(def: &NetworkDef, offset: u64) -> Result<DomainIPAddress> {
    let Some(ip) = def.ips.first() else {
        // libvirt's test driver would read a missing address here; say so instead.
        return Err(err(
            ErrorNumber::INTERNAL_ERROR,
            format!("network '{}' has no IP address", def.name),
        ));
    };
    let base = ip.ranges.first().map_or(ip.address, |r| r.start);
    let prefix = ip.effective_prefix() as u32;
    let (addr_type, addr) = match base {
        IpAddr::V6(a) => {
            let mut octets = a.octets();
            octets[15] = octets[15].wrapping_add(offset as u8);
            (IPAddrType::IPV6, Ipv6Addr::from(octets).to_string())
        }
        IpAddr::V4(a) => (
            IPAddrType::IPV4,
            Ipv4Addr::from(u32::from(a).wrapping_add(offset as u32)).to_string(),
        ),
    };
    Ok(DomainIPAddress {
        addr_type,
        addr,
        prefix,
    })
}

impl NetworkDriver for TestDriver {
    async fn connect_list_all_networks(
        &self,
        flags: ConnectListAllNetworksFlags,
    ) -> Result<Vec<NetworkRef>> {
        check_flags(
            FROM,
            "testConnectListAllNetworks",
            flags.bits(),
            ConnectListAllNetworksFlags::all().bits(),
        )?;
        Ok(self
            .networks
            .objs
            .lock()
            .iter()
            .filter(|o| o.matches(flags))
            .map(NetworkObj::r)
            .collect())
    }

    async fn connect_num_of_networks(&self) -> Result<i32> {
        Ok(self
            .networks
            .objs
            .lock()
            .iter()
            .filter(|o| o.active)
            .count() as i32)
    }

    async fn connect_list_networks(&self, max: i32) -> Result<Vec<String>> {
        Ok(names(self, true, max))
    }

    async fn connect_num_of_defined_networks(&self) -> Result<i32> {
        Ok(self
            .networks
            .objs
            .lock()
            .iter()
            .filter(|o| !o.active)
            .count() as i32)
    }

    async fn connect_list_defined_networks(&self, max: i32) -> Result<Vec<String>> {
        Ok(names(self, false, max))
    }

    async fn network_lookup_by_name(&self, name: &str) -> Result<NetworkRef> {
        self.with_net_by_name(name, |objs, i| Ok(objs[i].r()))
    }

    async fn network_lookup_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        self.with_net_by_uuid(uuid, |objs, i| Ok(objs[i].r()))
    }

    async fn network_create_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        check_flags(
            FROM,
            "testNetworkCreateXMLFlags",
            flags,
            NetworkCreateFlags::VALIDATE.bits(),
        )?;
        let def = NetworkDef::parse_xml(xml)?;
        let r = self.assign_def(def, true)?;
        self.with_net_by_uuid(&r.uuid, |objs, i| {
            objs[i].active = true;
            Ok(())
        })?;
        self.emit_network(r.clone(), NetworkEventLifecycleType::STARTED);
        Ok(r)
    }

    async fn network_define_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        check_flags(
            FROM,
            "testNetworkDefineXMLFlags",
            flags,
            NetworkDefineFlags::VALIDATE.bits(),
        )?;
        let def = NetworkDef::parse_xml(xml)?;
        let r = self.assign_def(def, false)?;
        self.emit_network(r.clone(), NetworkEventLifecycleType::DEFINED);
        Ok(r)
    }

    async fn network_undefine(&self, net: &NetworkRef) -> Result<()> {
        self.with_net_by_name(&net.name, |objs, i| {
            if objs[i].active {
                return Err(err(
                    ErrorNumber::OPERATION_INVALID,
                    format!("Network '{}' is still running", net.name),
                ));
            }
            objs.remove(i);
            Ok(())
        })?;
        self.emit_network(net.clone(), NetworkEventLifecycleType::UNDEFINED);
        Ok(())
    }

    async fn network_update(
        &self,
        net: &NetworkRef,
        command: NetworkUpdateCommand,
        section: NetworkUpdateSection,
        parent_index: i32,
        xml: &str,
        flags: u32,
    ) -> Result<()> {
        let both = NetworkUpdateFlags::AFFECT_LIVE | NetworkUpdateFlags::AFFECT_CONFIG;
        check_flags(FROM, "testNetworkUpdate", flags, both.bits())?;
        let flags = NetworkUpdateFlags::from_bits_retain(flags);
        let update = network_obj::Update {
            command,
            section,
            parent_index,
            xml,
        };
        self.with_net_by_uuid(&net.uuid, |objs, i| {
            let o = &mut objs[i];
            let (live, config) = network_obj::updated_defs(o, update, flags)?;
            if let Some(c) = config {
                if o.active {
                    o.new_def = Some(c);
                } else {
                    o.def = c;
                }
            }
            if let Some(l) = live {
                o.def = l;
            }
            Ok(())
        })
    }

    async fn network_create(&self, net: &NetworkRef) -> Result<()> {
        let r = self.with_net_by_name(&net.name, |objs, i| {
            if objs[i].active {
                return Err(err(
                    ErrorNumber::OPERATION_INVALID,
                    format!("Network '{}' is already running", net.name),
                ));
            }
            objs[i].active = true;
            Ok(objs[i].r())
        })?;
        self.emit_network(r, NetworkEventLifecycleType::STARTED);
        Ok(())
    }

    async fn network_destroy(&self, net: &NetworkRef) -> Result<()> {
        // As libvirt 9.0's test driver: no check that the network runs, and an active
        // persistent network keeps its live definition.
        let r = self.with_net_by_name(&net.name, |objs, i| {
            objs[i].active = false;
            let r = objs[i].r();
            if !objs[i].persistent {
                objs.remove(i);
            }
            Ok(r)
        })?;
        self.emit_network(r, NetworkEventLifecycleType::STOPPED);
        Ok(())
    }

    async fn network_get_xml_desc(&self, net: &NetworkRef, flags: u32) -> Result<String> {
        check_flags(FROM, "testNetworkGetXMLDesc", flags, 0)?;
        self.with_net_by_name(&net.name, |objs, i| Ok(objs[i].def.format()))
    }

    async fn network_get_bridge_name(&self, net: &NetworkRef) -> Result<String> {
        self.with_net_by_name(&net.name, |objs, i| {
            let def = &objs[i].def;
            def.bridge.clone().ok_or_else(|| {
                err(
                    ErrorNumber::INTERNAL_ERROR,
                    format!("network '{}' does not have a bridge name.", def.name),
                )
            })
        })
    }

    async fn network_get_autostart(&self, net: &NetworkRef) -> Result<bool> {
        self.with_net_by_name(&net.name, |objs, i| Ok(objs[i].autostart))
    }

    async fn network_set_autostart(&self, net: &NetworkRef, autostart: bool) -> Result<()> {
        self.with_net_by_name(&net.name, |objs, i| {
            objs[i].autostart = autostart;
            Ok(())
        })
    }

    async fn network_is_active(&self, net: &NetworkRef) -> Result<bool> {
        self.with_net_by_uuid(&net.uuid, |objs, i| Ok(objs[i].active))
    }

    async fn network_is_persistent(&self, net: &NetworkRef) -> Result<bool> {
        self.with_net_by_uuid(&net.uuid, |objs, i| Ok(objs[i].persistent))
    }

    async fn connect_network_event_register_any(
        &self,
        net: Option<&NetworkRef>,
        event_id: NetworkEventID,
        callback: NetworkEventCallback,
    ) -> Result<CallbackId> {
        let id = self.events.allocate_id();
        self.networks
            .events
            .register(id, net.map(|n| n.uuid), event_id, callback)?;
        Ok(id)
    }

    async fn connect_network_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.networks.events.deregister(id)
    }
}

/// Names of the active (or inactive) networks, at most `max`.
fn names(drv: &TestDriver, active: bool, max: i32) -> Vec<String> {
    network_obj::names(&drv.networks.objs.lock(), active, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pollster::block_on;

    fn drv() -> std::sync::Arc<TestDriver> {
        TestDriver::open("test:///default?private=1").expect("a private default machine")
    }

    #[test]
    fn the_default_machine_has_libvirts_default_network() {
        let d = drv();
        let r = block_on(d.network_lookup_by_name("default")).expect("default exists");
        assert_eq!(r.uuid.to_string(), "dd8fe884-6c02-601e-7551-cca97df1c5df");
        let xml = block_on(d.network_get_xml_desc(&r, 0)).expect("its XML");
        assert!(
            xml.contains("<forward mode='nat'/>\n  <bridge name='virbr0' stp='on' delay='0'/>")
        );
        assert_eq!(
            block_on(d.network_get_bridge_name(&r)).expect("a bridge"),
            "virbr0"
        );
        let e = block_on(d.network_get_xml_desc(&r, 1)).expect_err("no flags");
        assert_eq!(
            e.message,
            "unsupported flags (0x1) in function testNetworkGetXMLDesc"
        );
    }

    #[test]
    fn lifecycle_follows_the_test_driver() {
        let d = drv();
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        block_on(d.connect_network_event_register_any(
            None,
            NetworkEventID::LIFECYCLE,
            std::sync::Arc::new(move |e: &NetworkEvent| {
                let NetworkEvent::Lifecycle { event, .. } = e;
                s.lock().push(event.0);
            }),
        ))
        .expect("registered");
        let def = block_on(d.network_define_xml("<network><name>n1</name></network>", 0))
            .expect("defined");
        assert!(!block_on(d.network_is_active(&def)).expect("state"));
        block_on(d.network_create(&def)).expect("started");
        let e = block_on(d.network_create(&def)).expect_err("already running");
        assert_eq!(
            e.message,
            "Requested operation is not valid: Network 'n1' is already running"
        );
        let e = block_on(d.network_undefine(&def)).expect_err("still running");
        assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
        block_on(d.network_destroy(&def)).expect("stopped");
        block_on(d.network_undefine(&def)).expect("undefined");
        let e = block_on(d.network_lookup_by_name("n1")).expect_err("gone");
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                ErrorNumber::NO_NETWORK,
                "Network not found: no network with matching name 'n1'"
            )
        );
        let t = block_on(d.network_create_xml("<network><name>t</name></network>", 0))
            .expect("a transient network");
        assert!(!block_on(d.network_is_persistent(&t)).expect("state"));
        block_on(d.network_destroy(&t)).expect("stopped");
        assert!(block_on(d.network_lookup_by_name("t")).is_err());
        assert_eq!(*seen.lock(), vec![0, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn duplicates_are_refused_with_libvirts_words() {
        let d = drv();
        let e = block_on(d.network_define_xml("<network><name>default</name></network>", 0))
            .expect_err("a duplicate name");
        assert_eq!(
            e.message,
            "operation failed: network 'default' already exists with uuid dd8fe884-6c02-601e-7551-cca97df1c5df"
        );
        let e = block_on(d.network_create_xml(
            "<network><name>default</name><uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid></network>",
            0,
        ))
        .expect_err("already active");
        assert_eq!(
            e.message,
            "Requested operation is not valid: network is already active as 'default'"
        );
    }

    #[test]
    fn listing_filters_combine() {
        let d = drv();
        block_on(d.network_define_xml("<network><name>off</name></network>", 0)).expect("defined");
        let list = |f: ConnectListAllNetworksFlags| -> Vec<String> {
            block_on(d.connect_list_all_networks(f))
                .expect("a list")
                .into_iter()
                .map(|r| r.name.to_string())
                .collect()
        };
        use ConnectListAllNetworksFlags as F;
        assert_eq!(list(F::empty()), ["default", "off"]);
        assert_eq!(list(F::ACTIVE), ["default"]);
        assert_eq!(list(F::INACTIVE | F::PERSISTENT), ["off"]);
        assert!(list(F::TRANSIENT).is_empty());
        assert_eq!(list(F::NO_AUTOSTART).len(), 2);
        assert_eq!(
            block_on(d.connect_list_defined_networks(10)).expect("names"),
            ["off"]
        );
        assert_eq!(block_on(d.connect_num_of_networks()).expect("a count"), 1);
    }

    #[test]
    fn updates_of_an_active_network_keep_live_and_config_apart() {
        let d = drv();
        let r = block_on(d.network_lookup_by_name("default")).expect("default");
        let host = |m: &str, n: &str, ip: &str| {
            format!("<host mac='00:16:3e:77:e2:{m}' name='{n}' ip='192.168.122.{ip}'/>")
        };
        let add = NetworkUpdateCommand::ADD_LAST;
        let sect = NetworkUpdateSection::IP_DHCP_HOST;
        block_on(d.network_update(&r, add, sect, -1, &host("ee", "a", "11"), 1)).expect("live");
        block_on(d.network_update(&r, add, sect, -1, &host("ef", "b", "12"), 2)).expect("config");
        let xml = block_on(d.network_get_xml_desc(&r, 0)).expect("XML");
        assert!(xml.contains("name='a'") && !xml.contains("name='b'"));
        block_on(d.network_destroy(&r)).expect("stopped");
        let e = block_on(d.network_update(&r, add, sect, -1, &host("f0", "c", "13"), 1))
            .expect_err("not running");
        assert_eq!(
            e.message,
            "Requested operation is not valid: network is not running"
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
