//! Virtual network handles (`virNetworkPtr`) and the connection's network calls, with the checks
//! `libvirt-network.c` makes before it calls a driver.

use crate::Connect;
use crate::connect::dispatch;
use rvirt_driver::{CallbackId, NetworkDriver, NetworkEvent, NetworkRef};
use rvirt_types::network::*;
use rvirt_types::{Error, ErrorDomain, Result, Uuid};
use std::sync::Arc;

/// A handle to a virtual network: its connection, name and UUID. Like `virNetworkPtr`, it
/// outlives the network (calls through it then answer `VIR_ERR_NO_NETWORK`).
#[derive(Clone)]
pub struct Network {
    conn: Connect,
    r: NetworkRef,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("name", &self.r.name)
            .field("uuid", &self.r.uuid)
            .finish()
    }
}

impl PartialEq for Network {
    fn eq(&self, other: &Self) -> bool {
        self.r.uuid == other.r.uuid && Arc::ptr_eq(&self.conn.inner, &other.conn.inner)
    }
}

impl Network {
    fn rw(&self, function: &str) -> Result<()> {
        self.conn.check_rw_in(ErrorDomain::NETWORK, function)
    }

    /// `virNetworkGetName`.
    pub fn get_name(&self) -> &str {
        &self.r.name
    }

    /// `virNetworkGetUUID`.
    pub fn get_uuid(&self) -> Uuid {
        self.r.uuid
    }

    /// `virNetworkGetUUIDString`.
    pub fn get_uuid_string(&self) -> String {
        self.r.uuid.to_string()
    }

    /// `virNetworkGetConnect`.
    pub fn get_connect(&self) -> &Connect {
        &self.conn
    }

    /// What drivers know the network by.
    pub(crate) fn r(&self) -> &NetworkRef {
        &self.r
    }

    /// `virNetworkGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: NetworkXMLFlags) -> Result<String> {
        dispatch!(self.conn, d => d.network_get_xml_desc(&self.r, flags.bits()))
    }

    /// `virNetworkGetBridgeName`.
    pub async fn get_bridge_name(&self) -> Result<String> {
        dispatch!(self.conn, d => d.network_get_bridge_name(&self.r))
    }

    /// `virNetworkGetAutostart`.
    pub async fn get_autostart(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.network_get_autostart(&self.r))
    }

    /// `virNetworkSetAutostart`.
    pub async fn set_autostart(&self, autostart: bool) -> Result<()> {
        self.rw("virNetworkSetAutostart")?;
        dispatch!(self.conn, d => d.network_set_autostart(&self.r, autostart))
    }

    /// `virNetworkIsActive`.
    pub async fn is_active(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.network_is_active(&self.r))
    }

    /// `virNetworkIsPersistent`.
    pub async fn is_persistent(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.network_is_persistent(&self.r))
    }

    /// `virNetworkCreate`: starts a defined network.
    pub async fn create(&self) -> Result<()> {
        self.rw("virNetworkCreate")?;
        dispatch!(self.conn, d => d.network_create(&self.r))
    }

    /// `virNetworkDestroy`: stops the network (a transient one goes away).
    pub async fn destroy(&self) -> Result<()> {
        self.rw("virNetworkDestroy")?;
        dispatch!(self.conn, d => d.network_destroy(&self.r))
    }

    /// `virNetworkUndefine`.
    pub async fn undefine(&self) -> Result<()> {
        self.rw("virNetworkUndefine")?;
        dispatch!(self.conn, d => d.network_undefine(&self.r))
    }

    /// `virNetworkUpdate`: one change (`command`) to one `section` of the live and/or persistent
    /// definition (`flags`; neither flag: the live one if the network runs); `parent_index` picks
    /// the `<ip>` for DHCP changes (-1: the one with DHCP).
    pub async fn update(
        &self,
        command: NetworkUpdateCommand,
        section: NetworkUpdateSection,
        parent_index: i32,
        xml: &str,
        flags: NetworkUpdateFlags,
    ) -> Result<()> {
        self.rw("virNetworkUpdate")?;
        dispatch!(self.conn, d => d.network_update(&self.r, command, section, parent_index, xml, flags.bits()))
    }

    /// `virNetworkGetDHCPLeases`: the leases of `mac` (all with `None`).
    pub async fn get_dhcp_leases(
        &self,
        mac: Option<&str>,
        flags: u32,
    ) -> Result<Vec<NetworkDhcpLease>> {
        dispatch!(self.conn, d => d.network_get_dhcp_leases(&self.r, mac, flags))
    }
}

/// `virCheckNonNegativeArg` on `maxnames`, from the network error domain.
fn non_negative(function: &str, max_names: i32) -> Result<()> {
    if max_names < 0 {
        return Err(Error::invalid_arg_raw(
            ErrorDomain::NETWORK,
            function,
            "maxnames",
            format!("maxnames in {function} must be zero or greater"),
        ));
    }
    Ok(())
}

impl Connect {
    /// `virGetNetwork`: a handle for a network known by name and UUID, made without asking the
    /// driver (how a daemon turns a client's reference back into a handle).
    pub fn network_handle(&self, name: &str, uuid: Uuid) -> Network {
        self.network(NetworkRef {
            name: name.into(),
            uuid,
        })
    }

    pub(crate) fn network(&self, r: NetworkRef) -> Network {
        Network {
            conn: self.clone(),
            r,
        }
    }

    fn networks(&self, refs: Vec<NetworkRef>) -> Vec<Network> {
        refs.into_iter().map(|r| self.network(r)).collect()
    }

    /// `virConnectListAllNetworks`: the networks passing every flag group.
    pub async fn list_all_networks(
        &self,
        flags: ConnectListAllNetworksFlags,
    ) -> Result<Vec<Network>> {
        let refs = dispatch!(self, d => d.connect_list_all_networks(flags))?;
        Ok(self.networks(refs))
    }

    /// `virConnectNumOfNetworks`: active networks.
    pub async fn num_of_networks(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_networks())
    }

    /// `virConnectListNetworks`: names of active networks, at most `max_names`.
    pub async fn list_networks(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative("virConnectListNetworks", max_names)?;
        dispatch!(self, d => d.connect_list_networks(max_names))
    }

    /// `virConnectNumOfDefinedNetworks`: inactive networks.
    pub async fn num_of_defined_networks(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_defined_networks())
    }

    /// `virConnectListDefinedNetworks`: names of inactive networks, at most `max_names`.
    pub async fn list_defined_networks(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative("virConnectListDefinedNetworks", max_names)?;
        dispatch!(self, d => d.connect_list_defined_networks(max_names))
    }

    /// `virNetworkLookupByName`.
    pub async fn network_lookup_by_name(&self, name: &str) -> Result<Network> {
        let r = dispatch!(self, d => d.network_lookup_by_name(name))?;
        Ok(self.network(r))
    }

    /// `virNetworkLookupByUUID`.
    pub async fn network_lookup_by_uuid(&self, uuid: &Uuid) -> Result<Network> {
        let r = dispatch!(self, d => d.network_lookup_by_uuid(uuid))?;
        Ok(self.network(r))
    }

    /// `virNetworkLookupByUUIDString`.
    pub async fn network_lookup_by_uuid_string(&self, uuid: &str) -> Result<Network> {
        let u = Uuid::parse(uuid).map_err(|_| {
            Error::invalid_arg_raw(
                ErrorDomain::NETWORK,
                "virNetworkLookupByUUIDString",
                "uuidstr",
                "uuidstr in virNetworkLookupByUUIDString must be a valid UUID".into(),
            )
        })?;
        self.network_lookup_by_uuid(&u).await
    }

    /// `virNetworkDefineXML`.
    pub async fn network_define_xml(&self, xml: &str) -> Result<Network> {
        self.check_rw_in(ErrorDomain::NETWORK, "virNetworkDefineXML")?;
        self.network_define_xml_flags(xml, NetworkDefineFlags::empty())
            .await
    }

    /// `virNetworkDefineXMLFlags`.
    pub async fn network_define_xml_flags(
        &self,
        xml: &str,
        flags: NetworkDefineFlags,
    ) -> Result<Network> {
        self.check_rw_in(ErrorDomain::NETWORK, "virNetworkDefineXMLFlags")?;
        let r = dispatch!(self, d => d.network_define_xml(xml, flags.bits()))?;
        Ok(self.network(r))
    }

    /// `virNetworkCreateXML`: a transient network, started at once.
    pub async fn network_create_xml(&self, xml: &str) -> Result<Network> {
        self.check_rw_in(ErrorDomain::NETWORK, "virNetworkCreateXML")?;
        self.network_create_xml_flags(xml, NetworkCreateFlags::empty())
            .await
    }

    /// `virNetworkCreateXMLFlags`.
    pub async fn network_create_xml_flags(
        &self,
        xml: &str,
        flags: NetworkCreateFlags,
    ) -> Result<Network> {
        self.check_rw_in(ErrorDomain::NETWORK, "virNetworkCreateXMLFlags")?;
        let r = dispatch!(self, d => d.network_create_xml(xml, flags.bits()))?;
        Ok(self.network(r))
    }

    /// `virConnectNetworkEventRegisterAny`: calls `callback` with this connection, the network
    /// and the event for every event of `event_id` (about `net` only, if given).
    pub async fn network_event_register_any(
        &self,
        net: Option<&Network>,
        event_id: NetworkEventID,
        callback: impl Fn(&Connect, &Network, &NetworkEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let weak = Arc::downgrade(&self.inner);
        let cb: rvirt_driver::NetworkEventCallback = Arc::new(move |ev: &NetworkEvent| {
            if let Some(inner) = weak.upgrade() {
                let conn = Connect { inner };
                let net = conn.network(ev.network().clone());
                callback(&conn, &net, ev);
            }
        });
        let r = net.map(|n| &n.r);
        let id =
            dispatch!(self, d => d.connect_network_event_register_any(r, event_id, cb.clone()))?;
        self.inner.callbacks.lock().push(id);
        Ok(id)
    }

    /// `virConnectNetworkEventDeregisterAny`: removes a callback this connection registered.
    pub async fn network_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.forget_callback(id)?;
        dispatch!(self, d => d.connect_network_event_deregister_any(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_connections_may_look_but_not_change_networks() {
        let c = pollster::block_on(Connect::open_read_only("test:///default?private=1"))
            .expect("a connection");
        let n = pollster::block_on(c.network_lookup_by_name("default")).expect("default");
        assert!(pollster::block_on(n.is_active()).expect("state"));
        let e = pollster::block_on(n.destroy()).expect_err("read-only");
        assert_eq!(
            (e.code, e.domain, e.message.as_str()),
            (
                rvirt_types::ErrorNumber::OPERATION_DENIED,
                ErrorDomain::NETWORK,
                "operation forbidden: read only access prevents virNetworkDestroy"
            )
        );
    }

    #[test]
    fn a_bad_uuid_string_is_an_invalid_argument() {
        let c =
            pollster::block_on(Connect::open("test:///default?private=1")).expect("a connection");
        let e = pollster::block_on(c.network_lookup_by_uuid_string("nope")).expect_err("refused");
        assert_eq!(e.code, rvirt_types::ErrorNumber::INVALID_ARG);
    }
}
