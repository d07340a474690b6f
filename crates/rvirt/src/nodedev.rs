//! Node device handles (`virNodeDevicePtr`) and the connection's node device calls, with the
//! checks `libvirt-nodedev.c` makes before it calls a driver.

use crate::Connect;
use crate::connect::dispatch;
use rvirt_driver::{CallbackId, NodeDeviceDriver, NodeDeviceEvent, NodeDeviceRef};
use rvirt_types::nodedev::*;
use rvirt_types::{Error, ErrorDomain, Result};
use std::sync::Arc;

const FROM: ErrorDomain = ErrorDomain::NODEDEV;

/// A handle to a node device: its connection and name. Like `virNodeDevicePtr`, it outlives the
/// device (calls through it then answer `VIR_ERR_NO_NODE_DEVICE`).
#[derive(Clone)]
pub struct NodeDevice {
    conn: Connect,
    r: NodeDeviceRef,
}

impl std::fmt::Debug for NodeDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeDevice")
            .field("name", &self.r.name)
            .finish()
    }
}

impl PartialEq for NodeDevice {
    fn eq(&self, other: &Self) -> bool {
        self.r == other.r && Arc::ptr_eq(&self.conn.inner, &other.conn.inner)
    }
}

/// `virCheckNonNegativeArg`, from the node device error domain.
fn non_negative(function: &str, arg: &str, value: i64) -> Result<()> {
    if value < 0 {
        return Err(Error::invalid_arg_raw(
            FROM,
            function,
            arg,
            format!("{arg} in {function} must be zero or greater"),
        ));
    }
    Ok(())
}

impl NodeDevice {
    fn rw(&self, function: &str) -> Result<()> {
        self.conn.check_rw_in(FROM, function)
    }

    /// `virNodeDeviceGetName`.
    pub fn get_name(&self) -> &str {
        &self.r.name
    }

    /// `virNodeDeviceGetConnect`.
    pub fn get_connect(&self) -> &Connect {
        &self.conn
    }

    /// `virNodeDeviceGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: u32) -> Result<String> {
        dispatch!(self.conn, d => d.node_device_get_xml_desc(&self.r, flags))
    }

    /// `virNodeDeviceGetParent`: the parent's name, `None` for a root device.
    pub async fn get_parent(&self) -> Result<Option<String>> {
        dispatch!(self.conn, d => d.node_device_get_parent(&self.r))
    }

    /// `virNodeDeviceNumOfCaps`.
    pub async fn num_of_caps(&self) -> Result<i32> {
        dispatch!(self.conn, d => d.node_device_num_of_caps(&self.r))
    }

    /// `virNodeDeviceListCaps`: at most `max_names` capability names.
    pub async fn list_caps(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative("virNodeDeviceListCaps", "maxnames", max_names.into())?;
        dispatch!(self.conn, d => d.node_device_list_caps(&self.r, max_names))
    }

    /// `virNodeDeviceDettach`.
    pub async fn dettach(&self) -> Result<()> {
        self.rw("virNodeDeviceDettach")?;
        dispatch!(self.conn, d => d.node_device_dettach(&self.r))
    }

    /// `virNodeDeviceDetachFlags`.
    pub async fn detach_flags(&self, driver_name: Option<&str>, flags: u32) -> Result<()> {
        self.rw("virNodeDeviceDetachFlags")?;
        dispatch!(self.conn, d => d.node_device_detach_flags(&self.r, driver_name, flags))
    }

    /// `virNodeDeviceReAttach`.
    pub async fn re_attach(&self) -> Result<()> {
        self.rw("virNodeDeviceReAttach")?;
        dispatch!(self.conn, d => d.node_device_re_attach(&self.r))
    }

    /// `virNodeDeviceReset`.
    pub async fn reset(&self) -> Result<()> {
        self.rw("virNodeDeviceReset")?;
        dispatch!(self.conn, d => d.node_device_reset(&self.r))
    }

    /// `virNodeDeviceDestroy`.
    pub async fn destroy(&self) -> Result<()> {
        self.rw("virNodeDeviceDestroy")?;
        dispatch!(self.conn, d => d.node_device_destroy(&self.r))
    }

    /// `virNodeDeviceUndefine`.
    pub async fn undefine(&self, flags: u32) -> Result<()> {
        self.rw("virNodeDeviceUndefine")?;
        dispatch!(self.conn, d => d.node_device_undefine(&self.r, flags))
    }

    /// `virNodeDeviceCreate`: starts a defined device.
    pub async fn create(&self, flags: u32) -> Result<()> {
        self.rw("virNodeDeviceCreate")?;
        dispatch!(self.conn, d => d.node_device_create(&self.r, flags))
    }

    /// `virNodeDeviceGetAutostart` (libvirt refuses it on read-only connections too).
    pub async fn get_autostart(&self) -> Result<bool> {
        self.rw("virNodeDeviceGetAutostart")?;
        dispatch!(self.conn, d => d.node_device_get_autostart(&self.r))
    }

    /// `virNodeDeviceSetAutostart`.
    pub async fn set_autostart(&self, autostart: bool) -> Result<()> {
        self.rw("virNodeDeviceSetAutostart")?;
        dispatch!(self.conn, d => d.node_device_set_autostart(&self.r, autostart))
    }

    /// `virNodeDeviceIsPersistent`.
    pub async fn is_persistent(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.node_device_is_persistent(&self.r))
    }

    /// `virNodeDeviceIsActive`.
    pub async fn is_active(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.node_device_is_active(&self.r))
    }
}

impl Connect {
    /// `virGetNodeDevice`: a handle for a device known by name, made without asking the driver
    /// (how a daemon turns a client's reference back into a handle).
    pub fn node_device_handle(&self, name: &str) -> NodeDevice {
        self.node_device(NodeDeviceRef::new(name))
    }

    pub(crate) fn node_device(&self, r: NodeDeviceRef) -> NodeDevice {
        NodeDevice {
            conn: self.clone(),
            r,
        }
    }

    /// `virConnectListAllNodeDevices`.
    pub async fn list_all_node_devices(
        &self,
        flags: ConnectListAllNodeDevicesFlags,
    ) -> Result<Vec<NodeDevice>> {
        let refs = dispatch!(self, d => d.connect_list_all_node_devices(flags))?;
        Ok(refs.into_iter().map(|r| self.node_device(r)).collect())
    }

    /// `virNodeNumOfDevices`: devices with capability `cap` (all with `None`).
    pub async fn node_num_of_devices(&self, cap: Option<&str>, flags: u32) -> Result<i32> {
        dispatch!(self, d => d.node_num_of_devices(cap, flags))
    }

    /// `virNodeListDevices`: names of devices with capability `cap`, at most `max_names`.
    pub async fn node_list_devices(
        &self,
        cap: Option<&str>,
        max_names: i32,
        flags: u32,
    ) -> Result<Vec<String>> {
        non_negative("virNodeListDevices", "maxnames", max_names.into())?;
        dispatch!(self, d => d.node_list_devices(cap, max_names, flags))
    }

    /// `virNodeDeviceLookupByName`.
    pub async fn node_device_lookup_by_name(&self, name: &str) -> Result<NodeDevice> {
        let r = dispatch!(self, d => d.node_device_lookup_by_name(name))?;
        Ok(self.node_device(r))
    }

    /// `virNodeDeviceLookupSCSIHostByWWN`.
    pub async fn node_device_lookup_scsi_host_by_wwn(
        &self,
        wwnn: &str,
        wwpn: &str,
        flags: u32,
    ) -> Result<NodeDevice> {
        let r = dispatch!(self, d => d.node_device_lookup_scsi_host_by_wwn(wwnn, wwpn, flags))?;
        Ok(self.node_device(r))
    }

    /// `virNodeDeviceCreateXML`.
    pub async fn node_device_create_xml(
        &self,
        xml: &str,
        flags: NodeDeviceCreateXMLFlags,
    ) -> Result<NodeDevice> {
        self.check_rw_in(FROM, "virNodeDeviceCreateXML")?;
        let r = dispatch!(self, d => d.node_device_create_xml(xml, flags))?;
        Ok(self.node_device(r))
    }

    /// `virNodeDeviceDefineXML`.
    pub async fn node_device_define_xml(
        &self,
        xml: &str,
        flags: NodeDeviceDefineXMLFlags,
    ) -> Result<NodeDevice> {
        self.check_rw_in(FROM, "virNodeDeviceDefineXML")?;
        let r = dispatch!(self, d => d.node_device_define_xml(xml, flags))?;
        Ok(self.node_device(r))
    }

    /// `virConnectNodeDeviceEventRegisterAny`: calls `callback` with this connection, the device
    /// and the event for every event of `event_id` (about `dev` only, if given).
    pub async fn node_device_event_register_any(
        &self,
        dev: Option<&NodeDevice>,
        event_id: NodeDeviceEventID,
        callback: impl Fn(&Connect, &NodeDevice, &NodeDeviceEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let function = "virConnectNodeDeviceEventRegisterAny";
        non_negative(function, "eventID", event_id.0.into())?;
        if event_id.0 > NodeDeviceEventID::UPDATE.0 {
            return Err(Error::invalid_arg_raw(
                FROM,
                function,
                "eventID",
                format!("eventID in {function} must be less than 2"),
            ));
        }
        let weak = Arc::downgrade(&self.inner);
        let cb: rvirt_driver::NodeDeviceEventCallback = Arc::new(move |ev: &NodeDeviceEvent| {
            if let Some(inner) = weak.upgrade() {
                let conn = Connect { inner };
                let dev = conn.node_device(ev.device().clone());
                callback(&conn, &dev, ev);
            }
        });
        let r = dev.map(|n| &n.r);
        let id = dispatch!(self, d => d.connect_node_device_event_register_any(r, event_id, cb.clone()))?;
        self.inner.callbacks.lock().push(id);
        Ok(id)
    }

    /// `virConnectNodeDeviceEventDeregisterAny`: removes a callback this connection registered.
    pub async fn node_device_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        non_negative(
            "virConnectNodeDeviceEventDeregisterAny",
            "callbackID",
            id.into(),
        )?;
        self.forget_callback(id)?;
        dispatch!(self, d => d.connect_node_device_event_deregister_any(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_connections_may_look_but_not_create_devices() {
        let c = pollster::block_on(Connect::open_read_only("test:///default?private=1"))
            .expect("a connection");
        let d = pollster::block_on(c.node_device_lookup_by_name("scsi_host1")).expect("found");
        assert_eq!(
            pollster::block_on(d.get_parent())
                .expect("parent")
                .as_deref(),
            Some("computer")
        );
        let e = pollster::block_on(d.destroy()).expect_err("read-only");
        assert_eq!(
            (e.code, e.domain, e.message.as_str()),
            (
                rvirt_types::ErrorNumber::OPERATION_DENIED,
                ErrorDomain::NODEDEV,
                "operation forbidden: read only access prevents virNodeDeviceDestroy"
            )
        );
    }
}
