//! Host interfaces: the handle drivers hand out ([`InterfaceRef`]) and the driver trait
//! ([`InterfaceDriver`], `virInterfaceDriver`).

use rvirt_types::interface::ConnectListAllInterfacesFlags;
use rvirt_types::{Error, ErrorDomain, Result};
use std::sync::Arc;

/// What an interface handle carries, as `virInterfacePtr` does: the name and the MAC address
/// (empty when the interface has none).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InterfaceRef {
    /// The interface's name.
    pub name: Arc<str>,
    /// The MAC address as the driver (or the caller of a lookup by MAC) spelled it.
    pub mac: Arc<str>,
}

/// `VIR_ERR_NO_SUPPORT` for an interface function the driver does not implement (reported from
/// the interface error domain, as libvirt's `libvirt-interface.c` does).
pub fn interface_unsupported<T>(function: &str) -> Result<T> {
    Err(Error::no_support(ErrorDomain::INTERFACE, function))
}

/// Host interface calls (`virInterface*`, `virConnect*Interface*`).
pub trait InterfaceDriver {
    /// `virConnectListAllInterfaces`.
    async fn connect_list_all_interfaces(
        &self,
        _flags: ConnectListAllInterfacesFlags,
    ) -> Result<Vec<InterfaceRef>> {
        interface_unsupported("virConnectListAllInterfaces")
    }
    /// `virConnectNumOfInterfaces`: active interfaces.
    async fn connect_num_of_interfaces(&self) -> Result<i32> {
        interface_unsupported("virConnectNumOfInterfaces")
    }
    /// `virConnectListInterfaces`: names of active interfaces, at most `max`.
    async fn connect_list_interfaces(&self, _max: i32) -> Result<Vec<String>> {
        interface_unsupported("virConnectListInterfaces")
    }
    /// `virConnectNumOfDefinedInterfaces`: inactive interfaces.
    async fn connect_num_of_defined_interfaces(&self) -> Result<i32> {
        interface_unsupported("virConnectNumOfDefinedInterfaces")
    }
    /// `virConnectListDefinedInterfaces`: names of inactive interfaces, at most `max`.
    async fn connect_list_defined_interfaces(&self, _max: i32) -> Result<Vec<String>> {
        interface_unsupported("virConnectListDefinedInterfaces")
    }
    /// `virInterfaceLookupByName`.
    async fn interface_lookup_by_name(&self, _name: &str) -> Result<InterfaceRef> {
        interface_unsupported("virInterfaceLookupByName")
    }
    /// `virInterfaceLookupByMACString`.
    async fn interface_lookup_by_mac_string(&self, _mac: &str) -> Result<InterfaceRef> {
        interface_unsupported("virInterfaceLookupByMACString")
    }
    /// `virInterfaceGetXMLDesc`.
    async fn interface_get_xml_desc(&self, _iface: &InterfaceRef, _flags: u32) -> Result<String> {
        interface_unsupported("virInterfaceGetXMLDesc")
    }
    /// `virInterfaceDefineXML`.
    async fn interface_define_xml(&self, _xml: &str, _flags: u32) -> Result<InterfaceRef> {
        interface_unsupported("virInterfaceDefineXML")
    }
    /// `virInterfaceUndefine`.
    async fn interface_undefine(&self, _iface: &InterfaceRef) -> Result<()> {
        interface_unsupported("virInterfaceUndefine")
    }
    /// `virInterfaceCreate`: brings the interface up.
    async fn interface_create(&self, _iface: &InterfaceRef, _flags: u32) -> Result<()> {
        interface_unsupported("virInterfaceCreate")
    }
    /// `virInterfaceDestroy`: brings the interface down.
    async fn interface_destroy(&self, _iface: &InterfaceRef, _flags: u32) -> Result<()> {
        interface_unsupported("virInterfaceDestroy")
    }
    /// `virInterfaceIsActive`.
    async fn interface_is_active(&self, _iface: &InterfaceRef) -> Result<bool> {
        interface_unsupported("virInterfaceIsActive")
    }
    /// `virInterfaceChangeBegin`: saves the configuration as a restore point.
    async fn interface_change_begin(&self, _flags: u32) -> Result<()> {
        interface_unsupported("virInterfaceChangeBegin")
    }
    /// `virInterfaceChangeCommit`: drops the restore point.
    async fn interface_change_commit(&self, _flags: u32) -> Result<()> {
        interface_unsupported("virInterfaceChangeCommit")
    }
    /// `virInterfaceChangeRollback`: goes back to the restore point.
    async fn interface_change_rollback(&self, _flags: u32) -> Result<()> {
        interface_unsupported("virInterfaceChangeRollback")
    }
}
