//! Virtual networks: the handle drivers hand out ([`NetworkRef`]), the driver trait
//! ([`NetworkDriver`], `virNetworkDriver`) and network events.

use crate::events::CallbackId;
use parking_lot::RwLock;
use rvirt_types::network::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, Uuid};
use std::sync::Arc;

/// What a network handle carries, as `virNetworkPtr` does: the name and the UUID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NetworkRef {
    /// The network's name.
    pub name: Arc<str>,
    /// The network's UUID.
    pub uuid: Uuid,
}

/// What a network port handle carries, as `virNetworkPortPtr` does: its network and its UUID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NetworkPortRef {
    /// The network the port belongs to.
    pub net: NetworkRef,
    /// The port's UUID.
    pub uuid: Uuid,
}

/// `VIR_ERR_NO_SUPPORT` for a network function the driver does not implement (reported from
/// the network error domain, as libvirt's `libvirt-network.c` does).
pub fn network_unsupported<T>(function: &str) -> Result<T> {
    Err(Error::no_support(ErrorDomain::NETWORK, function))
}

/// A network event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkEvent {
    /// `VIR_NETWORK_EVENT_ID_LIFECYCLE`.
    Lifecycle {
        /// The network.
        net: NetworkRef,
        /// What happened.
        event: NetworkEventLifecycleType,
        /// Its detail (always 0 in libvirt 9.0).
        detail: i32,
    },
}

impl NetworkEvent {
    /// The network the event is about.
    pub fn network(&self) -> &NetworkRef {
        match self {
            NetworkEvent::Lifecycle { net, .. } => net,
        }
    }

    /// The event id callbacks register for.
    pub fn id(&self) -> NetworkEventID {
        NetworkEventID::LIFECYCLE
    }

    /// A lifecycle event with detail 0.
    pub fn lifecycle(net: NetworkRef, event: NetworkEventLifecycleType) -> NetworkEvent {
        NetworkEvent::Lifecycle {
            net,
            event,
            detail: 0,
        }
    }
}

/// A network event callback.
pub type NetworkEventCallback = Arc<dyn Fn(&NetworkEvent) + Send + Sync>;

struct Registration {
    id: CallbackId,
    network: Option<Uuid>,
    callback: NetworkEventCallback,
}

/// The network callbacks of one driver instance. Ids come from the caller, so that domain and
/// network callbacks of a connection share one sequence, as in libvirt.
#[derive(Default)]
pub struct NetworkEventBus {
    regs: RwLock<Vec<Registration>>,
}

impl NetworkEventBus {
    /// Registers `callback` as `id` for events of `event_id` (about `network` only if given).
    pub fn register(
        &self,
        id: CallbackId,
        network: Option<Uuid>,
        event_id: NetworkEventID,
        callback: NetworkEventCallback,
    ) -> Result<()> {
        if event_id != NetworkEventID::LIFECYCLE {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("unsupported event ID {}", event_id.0),
            ));
        }
        self.regs.write().push(Registration {
            id,
            network,
            callback,
        });
        Ok(())
    }

    /// Removes callback `id`, with libvirt's error when there is none.
    pub fn deregister(&self, id: CallbackId) -> Result<()> {
        let mut regs = self.regs.write();
        let before = regs.len();
        regs.retain(|r| r.id != id);
        if regs.len() == before {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("could not find event callback {id} for deletion"),
            ));
        }
        Ok(())
    }

    /// Delivers `event` to the matching callbacks. Call with no driver lock held.
    pub fn emit(&self, event: &NetworkEvent) {
        let uuid = event.network().uuid;
        let targets: Vec<NetworkEventCallback> = self
            .regs
            .read()
            .iter()
            .filter(|r| r.network.is_none_or(|u| u == uuid))
            .map(|r| r.callback.clone())
            .collect();
        for cb in targets {
            cb(event);
        }
    }
}

/// Network calls (`virNetwork*`, `virConnect*Network*`).
pub trait NetworkDriver {
    /// `virConnectListAllNetworks`.
    async fn connect_list_all_networks(
        &self,
        _flags: ConnectListAllNetworksFlags,
    ) -> Result<Vec<NetworkRef>> {
        network_unsupported("virConnectListAllNetworks")
    }
    /// `virConnectNumOfNetworks`: active networks.
    async fn connect_num_of_networks(&self) -> Result<i32> {
        network_unsupported("virConnectNumOfNetworks")
    }
    /// `virConnectListNetworks`: names of active networks, at most `max`.
    async fn connect_list_networks(&self, _max: i32) -> Result<Vec<String>> {
        network_unsupported("virConnectListNetworks")
    }
    /// `virConnectNumOfDefinedNetworks`: inactive networks.
    async fn connect_num_of_defined_networks(&self) -> Result<i32> {
        network_unsupported("virConnectNumOfDefinedNetworks")
    }
    /// `virConnectListDefinedNetworks`: names of inactive networks, at most `max`.
    async fn connect_list_defined_networks(&self, _max: i32) -> Result<Vec<String>> {
        network_unsupported("virConnectListDefinedNetworks")
    }
    /// `virNetworkLookupByName`.
    async fn network_lookup_by_name(&self, _name: &str) -> Result<NetworkRef> {
        network_unsupported("virNetworkLookupByName")
    }
    /// `virNetworkLookupByUUID`.
    async fn network_lookup_by_uuid(&self, _uuid: &Uuid) -> Result<NetworkRef> {
        network_unsupported("virNetworkLookupByUUID")
    }
    /// `virNetworkCreateXMLFlags`: a transient network, started at once.
    async fn network_create_xml(&self, _xml: &str, _flags: u32) -> Result<NetworkRef> {
        network_unsupported("virNetworkCreateXML")
    }
    /// `virNetworkDefineXMLFlags`.
    async fn network_define_xml(&self, _xml: &str, _flags: u32) -> Result<NetworkRef> {
        network_unsupported("virNetworkDefineXML")
    }
    /// `virNetworkUndefine`.
    async fn network_undefine(&self, _net: &NetworkRef) -> Result<()> {
        network_unsupported("virNetworkUndefine")
    }
    /// `virNetworkUpdate`.
    async fn network_update(
        &self,
        _net: &NetworkRef,
        _command: NetworkUpdateCommand,
        _section: NetworkUpdateSection,
        _parent_index: i32,
        _xml: &str,
        _flags: u32,
    ) -> Result<()> {
        network_unsupported("virNetworkUpdate")
    }
    /// `virNetworkCreate`: starts a defined network.
    async fn network_create(&self, _net: &NetworkRef) -> Result<()> {
        network_unsupported("virNetworkCreate")
    }
    /// `virNetworkDestroy`.
    async fn network_destroy(&self, _net: &NetworkRef) -> Result<()> {
        network_unsupported("virNetworkDestroy")
    }
    /// `virNetworkGetXMLDesc`.
    async fn network_get_xml_desc(&self, _net: &NetworkRef, _flags: u32) -> Result<String> {
        network_unsupported("virNetworkGetXMLDesc")
    }
    /// `virNetworkGetBridgeName`.
    async fn network_get_bridge_name(&self, _net: &NetworkRef) -> Result<String> {
        network_unsupported("virNetworkGetBridgeName")
    }
    /// `virNetworkGetAutostart`.
    async fn network_get_autostart(&self, _net: &NetworkRef) -> Result<bool> {
        network_unsupported("virNetworkGetAutostart")
    }
    /// `virNetworkSetAutostart`.
    async fn network_set_autostart(&self, _net: &NetworkRef, _autostart: bool) -> Result<()> {
        network_unsupported("virNetworkSetAutostart")
    }
    /// `virNetworkIsActive`.
    async fn network_is_active(&self, _net: &NetworkRef) -> Result<bool> {
        network_unsupported("virNetworkIsActive")
    }
    /// `virNetworkIsPersistent`.
    async fn network_is_persistent(&self, _net: &NetworkRef) -> Result<bool> {
        network_unsupported("virNetworkIsPersistent")
    }
    /// `virNetworkGetDHCPLeases`: the leases of `mac` (all with `None`).
    async fn network_get_dhcp_leases(
        &self,
        _net: &NetworkRef,
        _mac: Option<&str>,
        _flags: u32,
    ) -> Result<Vec<NetworkDhcpLease>> {
        network_unsupported("virNetworkGetDHCPLeases")
    }
    /// `virNetworkListAllPorts`.
    async fn network_list_all_ports(
        &self,
        _net: &NetworkRef,
        _flags: u32,
    ) -> Result<Vec<NetworkPortRef>> {
        network_unsupported("virNetworkListAllPorts")
    }
    /// `virNetworkPortLookupByUUID`.
    async fn network_port_lookup_by_uuid(
        &self,
        _net: &NetworkRef,
        _uuid: &Uuid,
    ) -> Result<NetworkPortRef> {
        network_unsupported("virNetworkPortLookupByUUID")
    }
    /// `virNetworkPortCreateXML`.
    async fn network_port_create_xml(
        &self,
        _net: &NetworkRef,
        _xml: &str,
        _flags: u32,
    ) -> Result<NetworkPortRef> {
        network_unsupported("virNetworkPortCreateXML")
    }
    /// `virNetworkPortGetXMLDesc`.
    async fn network_port_get_xml_desc(
        &self,
        _port: &NetworkPortRef,
        _flags: u32,
    ) -> Result<String> {
        network_unsupported("virNetworkPortGetXMLDesc")
    }
    /// `virNetworkPortGetParameters`: the port's bandwidth settings.
    async fn network_port_get_parameters(
        &self,
        _port: &NetworkPortRef,
        _flags: u32,
    ) -> Result<Vec<TypedParam>> {
        network_unsupported("virNetworkPortGetParameters")
    }
    /// `virNetworkPortSetParameters`.
    async fn network_port_set_parameters(
        &self,
        _port: &NetworkPortRef,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        network_unsupported("virNetworkPortSetParameters")
    }
    /// `virNetworkPortDelete`.
    async fn network_port_delete(&self, _port: &NetworkPortRef, _flags: u32) -> Result<()> {
        network_unsupported("virNetworkPortDelete")
    }
    /// `virConnectNetworkEventRegisterAny`.
    async fn connect_network_event_register_any(
        &self,
        _net: Option<&NetworkRef>,
        _event_id: NetworkEventID,
        _callback: NetworkEventCallback,
    ) -> Result<CallbackId> {
        network_unsupported("virConnectNetworkEventRegisterAny")
    }
    /// `virConnectNetworkEventDeregisterAny`.
    async fn connect_network_event_deregister_any(&self, _id: CallbackId) -> Result<()> {
        network_unsupported("virConnectNetworkEventDeregisterAny")
    }
}
