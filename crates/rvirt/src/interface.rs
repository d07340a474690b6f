//! Host interface handles (`virInterfacePtr`) and the connection's interface calls, with the
//! checks `libvirt-interface.c` makes before it calls a driver.

use crate::Connect;
use crate::connect::dispatch;
use rvirt_driver::{InterfaceDriver, InterfaceRef};
use rvirt_types::interface::*;
use rvirt_types::{Error, ErrorDomain, Result};
use std::sync::Arc;

/// A handle to a host interface: its connection, name and MAC address. Like `virInterfacePtr`,
/// it outlives the interface (calls through it then answer `VIR_ERR_NO_INTERFACE`).
#[derive(Clone)]
pub struct Interface {
    conn: Connect,
    r: InterfaceRef,
}

impl std::fmt::Debug for Interface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interface")
            .field("name", &self.r.name)
            .field("mac", &self.r.mac)
            .finish()
    }
}

impl PartialEq for Interface {
    fn eq(&self, other: &Self) -> bool {
        self.r == other.r && Arc::ptr_eq(&self.conn.inner, &other.conn.inner)
    }
}

impl Interface {
    fn rw(&self, function: &str) -> Result<()> {
        self.conn.check_rw_in(ErrorDomain::INTERFACE, function)
    }

    /// `virInterfaceGetName`.
    pub fn get_name(&self) -> &str {
        &self.r.name
    }

    /// `virInterfaceGetMACString`: empty for an interface without one.
    pub fn get_mac_string(&self) -> &str {
        &self.r.mac
    }

    /// `virInterfaceGetConnect`.
    pub fn get_connect(&self) -> &Connect {
        &self.conn
    }

    /// `virInterfaceGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: InterfaceXMLFlags) -> Result<String> {
        dispatch!(self.conn, d => d.interface_get_xml_desc(&self.r, flags.bits()))
    }

    /// `virInterfaceUndefine`.
    pub async fn undefine(&self) -> Result<()> {
        self.rw("virInterfaceUndefine")?;
        dispatch!(self.conn, d => d.interface_undefine(&self.r))
    }

    /// `virInterfaceCreate`: brings the interface up.
    pub async fn create(&self, flags: u32) -> Result<()> {
        self.rw("virInterfaceCreate")?;
        dispatch!(self.conn, d => d.interface_create(&self.r, flags))
    }

    /// `virInterfaceDestroy`: brings the interface down.
    pub async fn destroy(&self, flags: u32) -> Result<()> {
        self.rw("virInterfaceDestroy")?;
        dispatch!(self.conn, d => d.interface_destroy(&self.r, flags))
    }

    /// `virInterfaceIsActive`.
    pub async fn is_active(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.interface_is_active(&self.r))
    }
}

/// `virCheckNonNegativeArg` on `maxnames`, from the interface error domain.
fn non_negative(function: &str, max_names: i32) -> Result<()> {
    if max_names < 0 {
        return Err(Error::invalid_arg_raw(
            ErrorDomain::INTERFACE,
            function,
            "maxnames",
            format!("maxnames in {function} must be zero or greater"),
        ));
    }
    Ok(())
}

impl Connect {
    /// `virGetInterface`: a handle for an interface known by name and MAC, made without asking
    /// the driver (how a daemon turns a client's reference back into a handle).
    pub fn interface_handle(&self, name: &str, mac: &str) -> Interface {
        self.interface(InterfaceRef {
            name: name.into(),
            mac: mac.into(),
        })
    }

    fn interface(&self, r: InterfaceRef) -> Interface {
        Interface {
            conn: self.clone(),
            r,
        }
    }

    /// `virConnectListAllInterfaces`: the interfaces passing the flags' filter.
    pub async fn list_all_interfaces(
        &self,
        flags: ConnectListAllInterfacesFlags,
    ) -> Result<Vec<Interface>> {
        let refs = dispatch!(self, d => d.connect_list_all_interfaces(flags))?;
        Ok(refs.into_iter().map(|r| self.interface(r)).collect())
    }

    /// `virConnectNumOfInterfaces`: active interfaces.
    pub async fn num_of_interfaces(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_interfaces())
    }

    /// `virConnectListInterfaces`: names of active interfaces, at most `max_names`.
    pub async fn list_interfaces(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative("virConnectListInterfaces", max_names)?;
        dispatch!(self, d => d.connect_list_interfaces(max_names))
    }

    /// `virConnectNumOfDefinedInterfaces`: inactive interfaces.
    pub async fn num_of_defined_interfaces(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_defined_interfaces())
    }

    /// `virConnectListDefinedInterfaces`: names of inactive interfaces, at most `max_names`.
    pub async fn list_defined_interfaces(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative("virConnectListDefinedInterfaces", max_names)?;
        dispatch!(self, d => d.connect_list_defined_interfaces(max_names))
    }

    /// `virInterfaceLookupByName`.
    pub async fn interface_lookup_by_name(&self, name: &str) -> Result<Interface> {
        let r = dispatch!(self, d => d.interface_lookup_by_name(name))?;
        Ok(self.interface(r))
    }

    /// `virInterfaceLookupByMACString`.
    pub async fn interface_lookup_by_mac_string(&self, mac: &str) -> Result<Interface> {
        let r = dispatch!(self, d => d.interface_lookup_by_mac_string(mac))?;
        Ok(self.interface(r))
    }

    /// `virInterfaceDefineXML`.
    pub async fn interface_define_xml(
        &self,
        xml: &str,
        flags: InterfaceDefineFlags,
    ) -> Result<Interface> {
        self.check_rw_in(ErrorDomain::INTERFACE, "virInterfaceDefineXML")?;
        let r = dispatch!(self, d => d.interface_define_xml(xml, flags.bits()))?;
        Ok(self.interface(r))
    }

    /// `virInterfaceChangeBegin`: saves the interface configuration as a restore point.
    pub async fn interface_change_begin(&self, flags: u32) -> Result<()> {
        self.check_rw_in(ErrorDomain::INTERFACE, "virInterfaceChangeBegin")?;
        dispatch!(self, d => d.interface_change_begin(flags))
    }

    /// `virInterfaceChangeCommit`: keeps the changes made since the restore point.
    pub async fn interface_change_commit(&self, flags: u32) -> Result<()> {
        self.check_rw_in(ErrorDomain::INTERFACE, "virInterfaceChangeCommit")?;
        dispatch!(self, d => d.interface_change_commit(flags))
    }

    /// `virInterfaceChangeRollback`: goes back to the restore point.
    pub async fn interface_change_rollback(&self, flags: u32) -> Result<()> {
        self.check_rw_in(ErrorDomain::INTERFACE, "virInterfaceChangeRollback")?;
        dispatch!(self, d => d.interface_change_rollback(flags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_connections_may_look_but_not_change_interfaces() {
        let c = pollster::block_on(Connect::open_read_only("test:///default?private=1"))
            .expect("a connection");
        let i = pollster::block_on(c.interface_lookup_by_name("eth1")).expect("eth1");
        assert_eq!(i.get_mac_string(), "aa:bb:cc:dd:ee:ff");
        assert!(pollster::block_on(i.is_active()).expect("state"));
        let e = pollster::block_on(i.destroy(0)).expect_err("read-only");
        assert_eq!(
            (e.code, e.domain, e.message.as_str()),
            (
                rvirt_types::ErrorNumber::OPERATION_DENIED,
                ErrorDomain::INTERFACE,
                "operation forbidden: read only access prevents virInterfaceDestroy"
            )
        );
    }
}
