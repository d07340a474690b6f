//! Blocking forms of the node device calls.

use super::{Connect, Wrap};
use crate::{NodeDeviceEvent, Result};
use rvirt_driver::CallbackId;
use rvirt_types::nodedev::*;

/// A blocking node device handle.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeDevice(pub crate::NodeDevice);

impl Wrap for crate::NodeDevice {
    type Out = NodeDevice;
    fn wrap(self) -> NodeDevice {
        NodeDevice(self)
    }
}

blocking_methods!(NodeDevice {
    fn get_xml_desc(flags: u32) -> String;
    fn num_of_caps() -> i32;
    fn list_caps(max_names: i32) -> Vec<String>;
    fn dettach() -> ();
    fn detach_flags(driver_name: Option<&str>, flags: u32) -> ();
    fn re_attach() -> ();
    fn reset() -> ();
    fn destroy() -> ();
    fn undefine(flags: u32) -> ();
    fn create(flags: u32) -> ();
    fn get_autostart() -> bool;
    fn set_autostart(autostart: bool) -> ();
    fn is_persistent() -> bool;
    fn is_active() -> bool;
});

impl NodeDevice {
    /// `virNodeDeviceGetName`.
    pub fn get_name(&self) -> &str {
        self.0.get_name()
    }
    /// `virNodeDeviceGetParent`: `None` for a root device.
    pub fn get_parent(&self) -> Result<Option<String>> {
        pollster::block_on(self.0.get_parent())
    }
}

blocking_methods!(Connect {
    fn list_all_node_devices(flags: ConnectListAllNodeDevicesFlags) -> Vec<crate::NodeDevice>;
    fn node_num_of_devices(cap: Option<&str>, flags: u32) -> i32;
    fn node_list_devices(cap: Option<&str>, max_names: i32, flags: u32) -> Vec<String>;
    fn node_device_lookup_by_name(name: &str) -> crate::NodeDevice;
    fn node_device_lookup_scsi_host_by_wwn(wwnn: &str, wwpn: &str, flags: u32) -> crate::NodeDevice;
    fn node_device_create_xml(xml: &str, flags: NodeDeviceCreateXMLFlags) -> crate::NodeDevice;
    fn node_device_define_xml(xml: &str, flags: NodeDeviceDefineXMLFlags) -> crate::NodeDevice;
    fn node_device_event_deregister_any(id: CallbackId) -> ();
});

impl Connect {
    /// Blocking form of [`crate::Connect::node_device_event_register_any`]; the callback gets
    /// the async handles.
    pub fn node_device_event_register_any(
        &self,
        dev: Option<&NodeDevice>,
        event_id: NodeDeviceEventID,
        callback: impl Fn(&crate::Connect, &crate::NodeDevice, &NodeDeviceEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        pollster::block_on(self.0.node_device_event_register_any(
            dev.map(|n| &n.0),
            event_id,
            callback,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocking_facade_creates_and_destroys_a_vhba() {
        let c = Connect::open("test:///default?private=1").expect("a connection");
        let xml = "<device><parent>scsi_host2</parent><capability type='scsi_host'>\
                   <capability type='fc_host'><wwnn>20000000aaaa</wwnn><wwpn>10000000aaaa</wwpn>\
                   </capability></capability></device>";
        let d = c
            .node_device_create_xml(xml, NodeDeviceCreateXMLFlags::empty())
            .expect("created");
        assert_eq!(d.get_name(), "scsi_host12");
        assert_eq!(d.list_caps(10).expect("caps"), ["scsi_host"]);
        d.destroy().expect("destroyed");
        assert_eq!(c.node_num_of_devices(None, 0).expect("count"), 4);
    }
}
