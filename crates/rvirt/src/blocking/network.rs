//! Blocking forms of the network calls.

use super::{Connect, Wrap};
use crate::{NetworkEvent, Result};
use rvirt_driver::CallbackId;
use rvirt_types::Uuid;
use rvirt_types::network::*;

/// A blocking network handle.
#[derive(Clone, Debug, PartialEq)]
pub struct Network(pub crate::Network);

impl Wrap for crate::Network {
    type Out = Network;
    fn wrap(self) -> Network {
        Network(self)
    }
}

impl Wrap for NetworkDhcpLease {
    type Out = NetworkDhcpLease;
    fn wrap(self) -> NetworkDhcpLease {
        self
    }
}

blocking_methods!(Network {
    fn get_xml_desc(flags: NetworkXMLFlags) -> String;
    fn get_bridge_name() -> String;
    fn get_autostart() -> bool;
    fn set_autostart(autostart: bool) -> ();
    fn is_active() -> bool;
    fn is_persistent() -> bool;
    fn create() -> ();
    fn destroy() -> ();
    fn undefine() -> ();
    fn update(command: NetworkUpdateCommand, section: NetworkUpdateSection, parent_index: i32, xml: &str, flags: NetworkUpdateFlags) -> ();
    fn get_dhcp_leases(mac: Option<&str>, flags: u32) -> Vec<NetworkDhcpLease>;
});

blocking_methods!(Network {
    fn list_all_ports(flags: u32) -> Vec<crate::NetworkPort>;
    fn port_lookup_by_uuid(uuid: &Uuid) -> crate::NetworkPort;
    fn port_lookup_by_uuid_string(uuid: &str) -> crate::NetworkPort;
    fn port_create_xml(xml: &str, flags: NetworkPortCreateFlags) -> crate::NetworkPort;
});

/// A blocking network port handle.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPort(pub crate::NetworkPort);

impl Wrap for crate::NetworkPort {
    type Out = NetworkPort;
    fn wrap(self) -> NetworkPort {
        NetworkPort(self)
    }
}

impl NetworkPort {
    /// `virNetworkPortGetNetwork`.
    pub fn get_network(&self) -> Network {
        Network(self.0.get_network().clone())
    }
    /// `virNetworkPortGetUUID`.
    pub fn get_uuid(&self) -> Uuid {
        self.0.get_uuid()
    }
    /// `virNetworkPortGetUUIDString`.
    pub fn get_uuid_string(&self) -> String {
        self.0.get_uuid_string()
    }
}

blocking_methods!(NetworkPort {
    fn get_xml_desc(flags: u32) -> String;
    fn get_parameters(flags: u32) -> Vec<rvirt_types::TypedParam>;
    fn set_parameters(params: &[rvirt_types::TypedParam], flags: u32) -> ();
    fn delete(flags: u32) -> ();
});

impl Network {
    /// `virNetworkGetName`.
    pub fn get_name(&self) -> &str {
        self.0.get_name()
    }
    /// `virNetworkGetUUID`.
    pub fn get_uuid(&self) -> Uuid {
        self.0.get_uuid()
    }
    /// `virNetworkGetUUIDString`.
    pub fn get_uuid_string(&self) -> String {
        self.0.get_uuid_string()
    }
}

blocking_methods!(Connect {
    fn list_all_networks(flags: ConnectListAllNetworksFlags) -> Vec<crate::Network>;
    fn num_of_networks() -> i32;
    fn list_networks(max_names: i32) -> Vec<String>;
    fn num_of_defined_networks() -> i32;
    fn list_defined_networks(max_names: i32) -> Vec<String>;
    fn network_lookup_by_name(name: &str) -> crate::Network;
    fn network_lookup_by_uuid(uuid: &Uuid) -> crate::Network;
    fn network_lookup_by_uuid_string(uuid: &str) -> crate::Network;
    fn network_define_xml(xml: &str) -> crate::Network;
    fn network_define_xml_flags(xml: &str, flags: NetworkDefineFlags) -> crate::Network;
    fn network_create_xml(xml: &str) -> crate::Network;
    fn network_create_xml_flags(xml: &str, flags: NetworkCreateFlags) -> crate::Network;
    fn network_event_deregister_any(id: CallbackId) -> ();
});

impl Connect {
    /// Blocking form of [`crate::Connect::network_event_register_any`]; the callback gets the
    /// async handles.
    pub fn network_event_register_any(
        &self,
        net: Option<&Network>,
        event_id: NetworkEventID,
        callback: impl Fn(&crate::Connect, &crate::Network, &NetworkEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        pollster::block_on(
            self.0
                .network_event_register_any(net.map(|n| &n.0), event_id, callback),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocking_facade_defines_starts_and_lists_networks() {
        let c = Connect::open("test:///default?private=1").expect("a connection");
        let n = c
            .network_define_xml("<network><name>b1</name></network>")
            .expect("defined");
        n.create().expect("started");
        assert!(n.is_active().expect("state"));
        let names: Vec<String> = c
            .list_all_networks(ConnectListAllNetworksFlags::ACTIVE)
            .expect("a list")
            .iter()
            .map(|n| n.get_name().to_string())
            .collect();
        assert_eq!(names, ["default", "b1"]);
    }

    #[test]
    fn the_blocking_facade_reports_ports_unsupported_on_the_test_driver() {
        let c = Connect::open("test:///default?private=1").expect("a connection");
        let n = c.network_lookup_by_name("default").expect("default");
        let e = n.list_all_ports(0).expect_err("unsupported");
        assert_eq!(e.code, rvirt_types::ErrorNumber::NO_SUPPORT);
    }
}
