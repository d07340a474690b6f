//! Blocking forms of the host interface calls.

use super::{Connect, Wrap};
use crate::Result;
use rvirt_types::interface::*;

/// A blocking host interface handle.
#[derive(Clone, Debug, PartialEq)]
pub struct Interface(pub crate::Interface);

impl Wrap for crate::Interface {
    type Out = Interface;
    fn wrap(self) -> Interface {
        Interface(self)
    }
}

blocking_methods!(Interface {
    fn get_xml_desc(flags: InterfaceXMLFlags) -> String;
    fn undefine() -> ();
    fn create(flags: u32) -> ();
    fn destroy(flags: u32) -> ();
    fn is_active() -> bool;
});

impl Interface {
    /// `virInterfaceGetName`.
    pub fn get_name(&self) -> &str {
        self.0.get_name()
    }
    /// `virInterfaceGetMACString`.
    pub fn get_mac_string(&self) -> &str {
        self.0.get_mac_string()
    }
}

blocking_methods!(Connect {
    fn list_all_interfaces(flags: ConnectListAllInterfacesFlags) -> Vec<crate::Interface>;
    fn num_of_interfaces() -> i32;
    fn list_interfaces(max_names: i32) -> Vec<String>;
    fn num_of_defined_interfaces() -> i32;
    fn list_defined_interfaces(max_names: i32) -> Vec<String>;
    fn interface_lookup_by_name(name: &str) -> crate::Interface;
    fn interface_lookup_by_mac_string(mac: &str) -> crate::Interface;
    fn interface_define_xml(xml: &str, flags: InterfaceDefineFlags) -> crate::Interface;
    fn interface_change_begin(flags: u32) -> ();
    fn interface_change_commit(flags: u32) -> ();
    fn interface_change_rollback(flags: u32) -> ();
});
