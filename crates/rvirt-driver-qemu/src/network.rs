//! Virtual networks of a QEMU connection: not there yet. Every call says so plainly, so that a
//! user does not mistake the answer for a missing network.

use crate::QemuDriver;
use rvirt_driver::network::NetworkRef;
use rvirt_driver::{NetworkDriver, NetworkEventCallback};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};

fn not_yet<T>(function: &str) -> Result<T> {
    Err(Error::with_detail(
        ErrorDomain::NETWORK,
        ErrorNumber::NO_SUPPORT,
        format!(
            "{function}: real NAT and bridged virtual networks are not available in rvirt's \
             QEMU driver yet (a later release adds them)"
        ),
    ))
}

impl NetworkDriver for QemuDriver {
    async fn connect_list_all_networks(
        &self,
        _flags: rvirt_types::network::ConnectListAllNetworksFlags,
    ) -> Result<Vec<NetworkRef>> {
        not_yet("virConnectListAllNetworks")
    }
    async fn connect_num_of_networks(&self) -> Result<i32> {
        not_yet("virConnectNumOfNetworks")
    }
    async fn connect_list_networks(&self, _max: i32) -> Result<Vec<String>> {
        not_yet("virConnectListNetworks")
    }
    async fn connect_num_of_defined_networks(&self) -> Result<i32> {
        not_yet("virConnectNumOfDefinedNetworks")
    }
    async fn connect_list_defined_networks(&self, _max: i32) -> Result<Vec<String>> {
        not_yet("virConnectListDefinedNetworks")
    }
    async fn network_lookup_by_name(&self, _name: &str) -> Result<NetworkRef> {
        not_yet("virNetworkLookupByName")
    }
    async fn network_lookup_by_uuid(&self, _uuid: &Uuid) -> Result<NetworkRef> {
        not_yet("virNetworkLookupByUUID")
    }
    async fn network_create_xml(&self, _xml: &str, _flags: u32) -> Result<NetworkRef> {
        not_yet("virNetworkCreateXML")
    }
    async fn network_define_xml(&self, _xml: &str, _flags: u32) -> Result<NetworkRef> {
        not_yet("virNetworkDefineXML")
    }
    async fn connect_network_event_register_any(
        &self,
        _net: Option<&NetworkRef>,
        _event_id: rvirt_types::network::NetworkEventID,
        _cb: NetworkEventCallback,
    ) -> Result<rvirt_driver::CallbackId> {
        not_yet("virConnectNetworkEventRegisterAny")
    }
}
