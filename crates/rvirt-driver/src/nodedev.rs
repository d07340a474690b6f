//! Node devices: the handle drivers hand out ([`NodeDeviceRef`]), node device events and their
//! bus, and the [`NodeDeviceDriver`] trait (`virNodeDevice*`, `virNodeNumOfDevices`,
//! `virNodeListDevices`, `virConnect*NodeDevice*`).
//!
//! Detach, reattach and reset belong to the hypervisor driver in libvirt (`conn->driver`), but
//! they are about node devices and answer from the node device error domain, so they live here.

use crate::events::CallbackId;
use parking_lot::RwLock;
use rvirt_conf::nodedev::NodeDeviceDef;
use rvirt_types::nodedev::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::sync::Arc;

/// What a node device handle carries, as `virNodeDevicePtr` does: the name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeDeviceRef {
    /// The device's name: what drivers look it up by.
    pub name: Arc<str>,
}

impl NodeDeviceRef {
    /// A handle for the device called `name`.
    pub fn new(name: &str) -> NodeDeviceRef {
        NodeDeviceRef { name: name.into() }
    }
}

/// `VIR_ERR_NO_SUPPORT` for a node device function the driver does not implement (from the
/// node device error domain, as libvirt's `libvirt-nodedev.c` reports it).
pub fn nodedev_unsupported<T>(function: &str) -> Result<T> {
    Err(Error::no_support(ErrorDomain::NODEDEV, function))
}

/// A node device event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeDeviceEvent {
    /// `VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE`.
    Lifecycle {
        /// The device.
        dev: NodeDeviceRef,
        /// What happened.
        event: NodeDeviceEventLifecycleType,
        /// Its detail (always 0 in libvirt 9.0).
        detail: i32,
    },
    /// `VIR_NODE_DEVICE_EVENT_ID_UPDATE`: the device's definition changed.
    Update {
        /// The device.
        dev: NodeDeviceRef,
    },
}

impl NodeDeviceEvent {
    /// The device the event is about.
    pub fn device(&self) -> &NodeDeviceRef {
        match self {
            NodeDeviceEvent::Lifecycle { dev, .. } | NodeDeviceEvent::Update { dev } => dev,
        }
    }

    /// The event id callbacks register for.
    pub fn id(&self) -> NodeDeviceEventID {
        match self {
            NodeDeviceEvent::Lifecycle { .. } => NodeDeviceEventID::LIFECYCLE,
            NodeDeviceEvent::Update { .. } => NodeDeviceEventID::UPDATE,
        }
    }

    /// A lifecycle event with detail 0.
    pub fn lifecycle(name: &str, event: NodeDeviceEventLifecycleType) -> NodeDeviceEvent {
        NodeDeviceEvent::Lifecycle {
            dev: NodeDeviceRef::new(name),
            event,
            detail: 0,
        }
    }
}

/// A node device event callback.
pub type NodeDeviceEventCallback = Arc<dyn Fn(&NodeDeviceEvent) + Send + Sync>;

struct Registration {
    id: CallbackId,
    event_id: NodeDeviceEventID,
    device: Option<Arc<str>>,
    callback: NodeDeviceEventCallback,
}

/// The node device callbacks of one driver instance. Ids come from the caller, so that the
/// callbacks of every object family of a connection share one sequence, as in libvirt.
#[derive(Default)]
pub struct NodeDeviceEventBus {
    regs: RwLock<Vec<Registration>>,
}

impl NodeDeviceEventBus {
    /// Registers `callback` as `id` for events of `event_id` (about `device` only if given).
    pub fn register(
        &self,
        id: CallbackId,
        device: Option<&NodeDeviceRef>,
        event_id: NodeDeviceEventID,
        callback: NodeDeviceEventCallback,
    ) -> Result<()> {
        if !(0..=1).contains(&event_id.0) {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("unsupported event ID {}", event_id.0),
            ));
        }
        self.regs.write().push(Registration {
            id,
            event_id,
            device: device.map(|d| d.name.clone()),
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
    pub fn emit(&self, event: &NodeDeviceEvent) {
        let id = event.id();
        let name = &event.device().name;
        let targets: Vec<NodeDeviceEventCallback> = self
            .regs
            .read()
            .iter()
            .filter(|r| r.event_id == id && r.device.as_ref().is_none_or(|d| d == name))
            .map(|r| r.callback.clone())
            .collect();
        for cb in targets {
            cb(event);
        }
    }
}

/// Node device calls. Every method defaults to `VIR_ERR_NO_SUPPORT` naming the public function.
pub trait NodeDeviceDriver {
    /// `virConnectListAllNodeDevices`.
    async fn connect_list_all_node_devices(
        &self,
        _flags: ConnectListAllNodeDevicesFlags,
    ) -> Result<Vec<NodeDeviceRef>> {
        nodedev_unsupported("virConnectListAllNodeDevices")
    }
    /// `virNodeNumOfDevices`: devices with capability `cap` (all when `None`).
    async fn node_num_of_devices(&self, _cap: Option<&str>, _flags: u32) -> Result<i32> {
        nodedev_unsupported("virNodeNumOfDevices")
    }
    /// `virNodeListDevices`: names of devices with capability `cap`, at most `max`.
    async fn node_list_devices(
        &self,
        _cap: Option<&str>,
        _max: i32,
        _flags: u32,
    ) -> Result<Vec<String>> {
        nodedev_unsupported("virNodeListDevices")
    }
    /// `virNodeDeviceLookupByName`.
    async fn node_device_lookup_by_name(&self, _name: &str) -> Result<NodeDeviceRef> {
        nodedev_unsupported("virNodeDeviceLookupByName")
    }
    /// `virNodeDeviceLookupSCSIHostByWWN`.
    async fn node_device_lookup_scsi_host_by_wwn(
        &self,
        _wwnn: &str,
        _wwpn: &str,
        _flags: u32,
    ) -> Result<NodeDeviceRef> {
        nodedev_unsupported("virNodeDeviceLookupSCSIHostByWWN")
    }
    /// `virNodeDeviceGetXMLDesc`.
    async fn node_device_get_xml_desc(&self, _dev: &NodeDeviceRef, _flags: u32) -> Result<String> {
        nodedev_unsupported("virNodeDeviceGetXMLDesc")
    }
    /// `virNodeDeviceGetParent`: the parent's name, `None` for a device without one.
    async fn node_device_get_parent(&self, _dev: &NodeDeviceRef) -> Result<Option<String>> {
        Ok(None)
    }
    /// `virNodeDeviceNumOfCaps`.
    async fn node_device_num_of_caps(&self, _dev: &NodeDeviceRef) -> Result<i32> {
        nodedev_unsupported("virNodeDeviceNumOfCaps")
    }
    /// `virNodeDeviceListCaps`: at most `max` capability names.
    async fn node_device_list_caps(&self, _dev: &NodeDeviceRef, _max: i32) -> Result<Vec<String>> {
        nodedev_unsupported("virNodeDeviceListCaps")
    }
    /// `virNodeDeviceDettach`.
    async fn node_device_dettach(&self, _dev: &NodeDeviceRef) -> Result<()> {
        nodedev_unsupported("virNodeDeviceDettach")
    }
    /// `virNodeDeviceDetachFlags`.
    async fn node_device_detach_flags(
        &self,
        _dev: &NodeDeviceRef,
        _driver_name: Option<&str>,
        _flags: u32,
    ) -> Result<()> {
        nodedev_unsupported("virNodeDeviceDetachFlags")
    }
    /// `virNodeDeviceReAttach`.
    async fn node_device_re_attach(&self, _dev: &NodeDeviceRef) -> Result<()> {
        nodedev_unsupported("virNodeDeviceReAttach")
    }
    /// `virNodeDeviceReset`.
    async fn node_device_reset(&self, _dev: &NodeDeviceRef) -> Result<()> {
        nodedev_unsupported("virNodeDeviceReset")
    }
    /// `virNodeDeviceCreateXML`.
    async fn node_device_create_xml(
        &self,
        _xml: &str,
        _flags: NodeDeviceCreateXMLFlags,
    ) -> Result<NodeDeviceRef> {
        nodedev_unsupported("virNodeDeviceCreateXML")
    }
    /// `virNodeDeviceDestroy`.
    async fn node_device_destroy(&self, _dev: &NodeDeviceRef) -> Result<()> {
        nodedev_unsupported("virNodeDeviceDestroy")
    }
    /// `virNodeDeviceDefineXML`.
    async fn node_device_define_xml(
        &self,
        _xml: &str,
        _flags: NodeDeviceDefineXMLFlags,
    ) -> Result<NodeDeviceRef> {
        nodedev_unsupported("virNodeDeviceDefineXML")
    }
    /// `virNodeDeviceUndefine`.
    async fn node_device_undefine(&self, _dev: &NodeDeviceRef, _flags: u32) -> Result<()> {
        nodedev_unsupported("virNodeDeviceUndefine")
    }
    /// `virNodeDeviceCreate`: starts a defined device.
    async fn node_device_create(&self, _dev: &NodeDeviceRef, _flags: u32) -> Result<()> {
        nodedev_unsupported("virNodeDeviceCreate")
    }
    /// `virNodeDeviceGetAutostart`.
    async fn node_device_get_autostart(&self, _dev: &NodeDeviceRef) -> Result<bool> {
        nodedev_unsupported("virNodeDeviceGetAutostart")
    }
    /// `virNodeDeviceSetAutostart`.
    async fn node_device_set_autostart(&self, _dev: &NodeDeviceRef, _on: bool) -> Result<()> {
        nodedev_unsupported("virNodeDeviceSetAutostart")
    }
    /// `virNodeDeviceIsPersistent`.
    async fn node_device_is_persistent(&self, _dev: &NodeDeviceRef) -> Result<bool> {
        nodedev_unsupported("virNodeDeviceIsPersistent")
    }
    /// `virNodeDeviceIsActive`.
    async fn node_device_is_active(&self, _dev: &NodeDeviceRef) -> Result<bool> {
        nodedev_unsupported("virNodeDeviceIsActive")
    }
    /// `virConnectNodeDeviceEventRegisterAny`.
    async fn connect_node_device_event_register_any(
        &self,
        _dev: Option<&NodeDeviceRef>,
        _event_id: NodeDeviceEventID,
        _cb: NodeDeviceEventCallback,
    ) -> Result<CallbackId> {
        nodedev_unsupported("virConnectNodeDeviceEventRegisterAny")
    }
    /// `virConnectNodeDeviceEventDeregisterAny`.
    async fn connect_node_device_event_deregister_any(&self, _id: CallbackId) -> Result<()> {
        nodedev_unsupported("virConnectNodeDeviceEventDeregisterAny")
    }
}

/// `no node device with matching name 'NAME'` (`VIR_ERR_NO_NODE_DEVICE`), raised from error
/// domain `from` (the test driver raises it as itself, the node device driver as `NODEDEV`).
pub fn no_node_device(from: ErrorDomain, name: &str) -> Error {
    Error::with_detail(
        from,
        ErrorNumber::NO_NODE_DEVICE,
        format!("no node device with matching name '{name}'"),
    )
}

/// The device named `name` among `devs`, or libvirt's error ([`no_node_device`]) from `from`.
pub fn find_device<'a>(
    from: ErrorDomain,
    devs: &'a [NodeDeviceDef],
    name: &str,
) -> Result<&'a NodeDeviceDef> {
    devs.iter()
        .find(|d| d.name == name)
        .ok_or_else(|| no_node_device(from, name))
}

/// Whether `def` passes the capability filters of `virConnectListAllNodeDevices` (`flags`
/// without capability bits lets every device through).
pub fn matches_cap_filter(def: &NodeDeviceDef, flags: ConnectListAllNodeDevicesFlags) -> bool {
    let caps = flags.bits() & ConnectListAllNodeDevicesFlags::FILTERS_CAP.bits();
    caps == 0 || (0..32).any(|i| caps & (1 << i) != 0 && def.has_cap(i))
}

/// `virNodeListDevices`: the names of the devices with capability `cap` (all when `None`), at
/// most `max`.
pub fn names_with_cap(devs: &[NodeDeviceDef], cap: Option<&str>, max: i32) -> Vec<String> {
    devs.iter()
        .filter(|d| cap.is_none_or(|c| d.has_cap_named(c)))
        .take(max.max(0) as usize)
        .map(|d| d.name.clone())
        .collect()
}

/// `virNodeNumOfDevices`: how many devices have capability `cap` (all when `None`).
pub fn count_with_cap(devs: &[NodeDeviceDef], cap: Option<&str>) -> i32 {
    devs.iter()
        .filter(|d| cap.is_none_or(|c| d.has_cap_named(c)))
        .count() as i32
}

/// `virNodeDeviceListCaps`: the names of a device's capabilities, at most `max`.
pub fn cap_names(def: &NodeDeviceDef, max: i32) -> Vec<String> {
    def.caps
        .iter()
        .take(max.max(0) as usize)
        .map(|c| c.type_name().to_string())
        .collect()
}
