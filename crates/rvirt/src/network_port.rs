//! Network port handles (`virNetworkPortPtr`) and the network's port calls, with the checks
//! `libvirt-network.c` makes before it calls a driver.

use crate::Network;
use crate::connect::dispatch;
use rvirt_driver::{NetworkDriver, NetworkPortRef};
use rvirt_types::network::NetworkPortCreateFlags;
use rvirt_types::{Error, ErrorDomain, Result, TypedParam, Uuid};

/// A handle to a port of a virtual network: its network and UUID. Like `virNetworkPortPtr`, it
/// outlives the port.
#[derive(Clone, PartialEq)]
pub struct NetworkPort {
    net: Network,
    uuid: Uuid,
}

impl std::fmt::Debug for NetworkPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkPort")
            .field("network", &self.net.get_name())
            .field("uuid", &self.uuid)
            .finish()
    }
}

impl NetworkPort {
    fn r(&self) -> NetworkPortRef {
        NetworkPortRef {
            net: self.net.r().clone(),
            uuid: self.uuid,
        }
    }

    /// `virNetworkPortGetNetwork`.
    pub fn get_network(&self) -> &Network {
        &self.net
    }

    /// `virNetworkPortGetUUID`.
    pub fn get_uuid(&self) -> Uuid {
        self.uuid
    }

    /// `virNetworkPortGetUUIDString`.
    pub fn get_uuid_string(&self) -> String {
        self.uuid.to_string()
    }

    /// `virNetworkPortGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: u32) -> Result<String> {
        let conn = self.net.get_connect();
        dispatch!(conn, d => d.network_port_get_xml_desc(&self.r(), flags))
    }

    /// `virNetworkPortGetParameters`: the port's bandwidth settings.
    pub async fn get_parameters(&self, flags: u32) -> Result<Vec<TypedParam>> {
        let conn = self.net.get_connect();
        dispatch!(conn, d => d.network_port_get_parameters(&self.r(), flags))
    }

    /// `virNetworkPortSetParameters`.
    pub async fn set_parameters(&self, params: &[TypedParam], flags: u32) -> Result<()> {
        let conn = self.net.get_connect();
        conn.check_rw_in(ErrorDomain::NETWORK, "virNetworkPortSetParameters")?;
        dispatch!(conn, d => d.network_port_set_parameters(&self.r(), params, flags))
    }

    /// `virNetworkPortDelete`.
    pub async fn delete(&self, flags: u32) -> Result<()> {
        let conn = self.net.get_connect();
        conn.check_rw_in(ErrorDomain::NETWORK, "virNetworkPortDelete")?;
        dispatch!(conn, d => d.network_port_delete(&self.r(), flags))
    }
}

impl Network {
    /// `virGetNetworkPort`: a handle for a port known by UUID, made without asking the driver
    /// (how a daemon turns a client's reference back into a handle).
    pub fn port_handle(&self, uuid: Uuid) -> NetworkPort {
        NetworkPort {
            net: self.clone(),
            uuid,
        }
    }

    fn port(&self, r: NetworkPortRef) -> NetworkPort {
        self.port_handle(r.uuid)
    }

    /// `virNetworkListAllPorts`.
    pub async fn list_all_ports(&self, flags: u32) -> Result<Vec<NetworkPort>> {
        let refs = dispatch!(self.get_connect(), d => d.network_list_all_ports(self.r(), flags))?;
        Ok(refs.into_iter().map(|r| self.port(r)).collect())
    }

    /// `virNetworkPortLookupByUUID`.
    pub async fn port_lookup_by_uuid(&self, uuid: &Uuid) -> Result<NetworkPort> {
        let r = dispatch!(self.get_connect(), d => d.network_port_lookup_by_uuid(self.r(), uuid))?;
        Ok(self.port(r))
    }

    /// `virNetworkPortLookupByUUIDString`.
    pub async fn port_lookup_by_uuid_string(&self, uuid: &str) -> Result<NetworkPort> {
        let u = Uuid::parse(uuid).map_err(|_| {
            Error::invalid_arg_raw(
                ErrorDomain::NETWORK,
                "virNetworkPortLookupByUUIDString",
                "uuidstr",
                "uuidstr in virNetworkPortLookupByUUIDString must be a valid UUID".into(),
            )
        })?;
        self.port_lookup_by_uuid(&u).await
    }

    /// `virNetworkPortCreateXML`.
    pub async fn port_create_xml(
        &self,
        xml: &str,
        flags: NetworkPortCreateFlags,
    ) -> Result<NetworkPort> {
        let conn = self.get_connect();
        conn.check_rw_in(ErrorDomain::NETWORK, "virNetworkPortCreateXML")?;
        let r = dispatch!(conn, d => d.network_port_create_xml(self.r(), xml, flags.bits()))?;
        Ok(self.port(r))
    }
}

#[cfg(test)]
mod tests {
    use crate::Connect;
    use rvirt_types::network::NetworkPortCreateFlags;
    use rvirt_types::{ErrorDomain, ErrorNumber};

    fn default_network(read_only: bool) -> crate::Network {
        let uri = "test:///default?private=1";
        let c = if read_only {
            pollster::block_on(Connect::open_read_only(uri))
        } else {
            pollster::block_on(Connect::open(uri))
        }
        .expect("a connection");
        pollster::block_on(c.network_lookup_by_name("default")).expect("default")
    }

    #[test]
    fn the_test_driver_has_no_network_ports() {
        let n = default_network(false);
        let e = pollster::block_on(n.list_all_ports(0)).expect_err("unsupported");
        assert_eq!(
            (e.code, e.domain, e.message.as_str()),
            (
                ErrorNumber::NO_SUPPORT,
                ErrorDomain::NETWORK,
                "this function is not supported by the connection driver: virNetworkListAllPorts"
            )
        );
        let e = pollster::block_on(
            n.port_create_xml("<networkport/>", NetworkPortCreateFlags::empty()),
        )
        .expect_err("unsupported");
        assert_eq!(e.code, ErrorNumber::NO_SUPPORT);
        let port = n.port_handle(n.get_uuid());
        let e = pollster::block_on(port.delete(0)).expect_err("unsupported");
        assert!(e.message.ends_with("virNetworkPortDelete"), "{}", e.message);
    }

    #[test]
    fn port_arguments_are_checked_before_the_driver() {
        let n = default_network(true);
        let e = pollster::block_on(n.port_lookup_by_uuid_string("nope")).expect_err("bad uuid");
        assert_eq!(
            (e.code, e.domain),
            (ErrorNumber::INVALID_ARG, ErrorDomain::NETWORK)
        );
        let e = pollster::block_on(
            n.port_create_xml("<networkport/>", NetworkPortCreateFlags::empty()),
        )
        .expect_err("read-only");
        assert_eq!(
            e.message,
            "operation forbidden: read only access prevents virNetworkPortCreateXML"
        );
        let port = n.port_handle(n.get_uuid());
        let e = pollster::block_on(port.set_parameters(&[], 0)).expect_err("read-only");
        assert_eq!(e.code, ErrorNumber::OPERATION_DENIED);
        let e = pollster::block_on(port.get_xml_desc(0)).expect_err("unsupported");
        assert_eq!(e.code, ErrorNumber::NO_SUPPORT);
    }
}
