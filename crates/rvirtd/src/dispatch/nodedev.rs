//! Node device procedures, and the node device events pushed to registered clients.

use super::internal;
use super::wire::opt;
use crate::session::Session;
use rvirt::nodedev_flags::{
    ConnectListAllNodeDevicesFlags, NodeDeviceCreateXMLFlags, NodeDeviceDefineXMLFlags,
    NodeDeviceEventID,
};
use rvirt::{Connect, NodeDevice, NodeDeviceEvent, Result};
use rvirt_proto::convert::{bounded, nonnull};
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{Procedure, event_header};
use std::sync::{Arc, Weak};

/// `REMOTE_NODE_DEVICE_LIST_MAX` (and `REMOTE_NODE_DEVICE_CAPS_LIST_MAX`).
const LIST_MAX: usize = 65536;

/// A handle for the device the client names.
fn dev(s: &Session, name: &rvirt_xdr::RemoteNonnullString) -> Result<NodeDevice> {
    Ok(s.conn()?.node_device_handle(name.as_str()))
}

/// A device reference for the client.
fn nonnull_dev(d: &NodeDevice) -> NonnullNodeDevice {
    NonnullNodeDevice {
        name: nonnull(d.get_name()),
    }
}

/// Handlers whose argument names a device and whose reply is empty.
macro_rules! device_actions {
    ($($name:ident($args:ty) => |$d:ident, $a:ident| $call:expr;)*) => {$(
        pub async fn $name(s: Arc<Session>, $a: $args) -> Result<()> {
            let $d = dev(&s, &$a.name)?;
            $call.await
        }
    )*};
}

device_actions! {
    dettach(NodeDeviceDettachArgs) => |d, _a| d.dettach();
    detach_flags(NodeDeviceDetachFlagsArgs) => |d, a| d.detach_flags(opt(&a.driver_name), a.flags);
    re_attach(NodeDeviceReAttachArgs) => |d, _a| d.re_attach();
    reset(NodeDeviceResetArgs) => |d, _a| d.reset();
    destroy(NodeDeviceDestroyArgs) => |d, _a| d.destroy();
    undefine(NodeDeviceUndefineArgs) => |d, a| d.undefine(a.flags);
    create(NodeDeviceCreateArgs) => |d, a| d.create(a.flags);
    set_autostart(NodeDeviceSetAutostartArgs) => |d, a| d.set_autostart(a.autostart != 0);
}

pub async fn list_all(
    s: Arc<Session>,
    a: ConnectListAllNodeDevicesArgs,
) -> Result<ConnectListAllNodeDevicesRet> {
    let devs = s
        .conn()?
        .list_all_node_devices(ConnectListAllNodeDevicesFlags::from_bits_retain(a.flags))
        .await?;
    if devs.len() > LIST_MAX {
        return Err(internal(format!(
            "Too many node devices '{}' for limit '{LIST_MAX}'",
            devs.len()
        )));
    }
    Ok(ConnectListAllNodeDevicesRet {
        ret: devs.len() as u32,
        devices: if a.need_results != 0 {
            bounded(devs.iter().map(nonnull_dev))
        } else {
            Default::default()
        },
    })
}

pub async fn num_of_devices(
    s: Arc<Session>,
    a: NodeNumOfDevicesArgs,
) -> Result<NodeNumOfDevicesRet> {
    Ok(NodeNumOfDevicesRet {
        num: s.conn()?.node_num_of_devices(opt(&a.cap), a.flags).await?,
    })
}

pub async fn list_devices(s: Arc<Session>, a: NodeListDevicesArgs) -> Result<NodeListDevicesRet> {
    if a.maxnames > LIST_MAX as i32 {
        return Err(internal("maxnames > REMOTE_NODE_DEVICE_LIST_MAX"));
    }
    let names = s
        .conn()?
        .node_list_devices(opt(&a.cap), a.maxnames, a.flags)
        .await?;
    Ok(NodeListDevicesRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn lookup_by_name(
    s: Arc<Session>,
    a: NodeDeviceLookupByNameArgs,
) -> Result<NodeDeviceLookupByNameRet> {
    let d = s
        .conn()?
        .node_device_lookup_by_name(a.name.as_str())
        .await?;
    Ok(NodeDeviceLookupByNameRet {
        dev: nonnull_dev(&d),
    })
}

pub async fn lookup_scsi_host_by_wwn(
    s: Arc<Session>,
    a: NodeDeviceLookupScsiHostByWwnArgs,
) -> Result<NodeDeviceLookupScsiHostByWwnRet> {
    let d = s
        .conn()?
        .node_device_lookup_scsi_host_by_wwn(a.wwnn.as_str(), a.wwpn.as_str(), a.flags)
        .await?;
    Ok(NodeDeviceLookupScsiHostByWwnRet {
        dev: nonnull_dev(&d),
    })
}

pub async fn get_xml_desc(
    s: Arc<Session>,
    a: NodeDeviceGetXmlDescArgs,
) -> Result<NodeDeviceGetXmlDescRet> {
    let xml = dev(&s, &a.name)?.get_xml_desc(a.flags).await?;
    Ok(NodeDeviceGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn get_parent(
    s: Arc<Session>,
    a: NodeDeviceGetParentArgs,
) -> Result<NodeDeviceGetParentRet> {
    // libvirtd looks the device up first, so a device that is gone is an error.
    let d = s
        .conn()?
        .node_device_lookup_by_name(a.name.as_str())
        .await?;
    let parent = d.get_parent().await?;
    Ok(NodeDeviceGetParentRet {
        parent_name: parent.as_deref().map(nonnull),
    })
}

pub async fn num_of_caps(
    s: Arc<Session>,
    a: NodeDeviceNumOfCapsArgs,
) -> Result<NodeDeviceNumOfCapsRet> {
    Ok(NodeDeviceNumOfCapsRet {
        num: dev(&s, &a.name)?.num_of_caps().await?,
    })
}

pub async fn list_caps(
    s: Arc<Session>,
    a: NodeDeviceListCapsArgs,
) -> Result<NodeDeviceListCapsRet> {
    if a.maxnames > LIST_MAX as i32 {
        return Err(internal("maxnames > REMOTE_NODE_DEVICE_CAPS_LIST_MAX"));
    }
    let names = dev(&s, &a.name)?.list_caps(a.maxnames).await?;
    Ok(NodeDeviceListCapsRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn create_xml(
    s: Arc<Session>,
    a: NodeDeviceCreateXmlArgs,
) -> Result<NodeDeviceCreateXmlRet> {
    let d = s
        .conn()?
        .node_device_create_xml(
            a.xml_desc.as_str(),
            NodeDeviceCreateXMLFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(NodeDeviceCreateXmlRet {
        dev: nonnull_dev(&d),
    })
}

pub async fn define_xml(
    s: Arc<Session>,
    a: NodeDeviceDefineXmlArgs,
) -> Result<NodeDeviceDefineXmlRet> {
    let d = s
        .conn()?
        .node_device_define_xml(
            a.xml_desc.as_str(),
            NodeDeviceDefineXMLFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(NodeDeviceDefineXmlRet {
        dev: nonnull_dev(&d),
    })
}

pub async fn get_autostart(
    s: Arc<Session>,
    a: NodeDeviceGetAutostartArgs,
) -> Result<NodeDeviceGetAutostartRet> {
    Ok(NodeDeviceGetAutostartRet {
        autostart: i32::from(dev(&s, &a.name)?.get_autostart().await?),
    })
}

pub async fn is_persistent(
    s: Arc<Session>,
    a: NodeDeviceIsPersistentArgs,
) -> Result<NodeDeviceIsPersistentRet> {
    Ok(NodeDeviceIsPersistentRet {
        persistent: i32::from(dev(&s, &a.name)?.is_persistent().await?),
    })
}

pub async fn is_active(
    s: Arc<Session>,
    a: NodeDeviceIsActiveArgs,
) -> Result<NodeDeviceIsActiveRet> {
    Ok(NodeDeviceIsActiveRet {
        active: i32::from(dev(&s, &a.name)?.is_active().await?),
    })
}

/// Sends a node device event to the client under its registration's id.
fn relay(session: &Weak<Session>, wire_id: i32, d: &NodeDevice, ev: &NodeDeviceEvent) {
    let Some(s) = session.upgrade() else { return };
    let mut packet = Vec::new();
    let ok = match ev {
        NodeDeviceEvent::Lifecycle { event, detail, .. } => rvirt_proto::encode_packet(
            &mut packet,
            &event_header(Procedure::NodeDeviceEventLifecycle),
            &NodeDeviceEventLifecycleMsg {
                callback_id: wire_id,
                dev: nonnull_dev(d),
                event: event.0,
                detail: *detail,
            },
        ),
        NodeDeviceEvent::Update { .. } => rvirt_proto::encode_packet(
            &mut packet,
            &event_header(Procedure::NodeDeviceEventUpdate),
            &NodeDeviceEventUpdateMsg {
                callback_id: wire_id,
                dev: nonnull_dev(d),
            },
        ),
    };
    if ok.is_ok() {
        s.send_now(packet);
    }
}

pub async fn event_register_any(
    s: Arc<Session>,
    a: ConnectNodeDeviceEventRegisterAnyArgs,
) -> Result<ConnectNodeDeviceEventRegisterAnyRet> {
    let conn = s.conn()?;
    if !(0..=NodeDeviceEventID::UPDATE.0).contains(&a.event_id) {
        return Err(internal(format!(
            "unsupported node device event ID {}",
            a.event_id
        )));
    }
    let wire_id = super::events::next_wire_id();
    let weak = Arc::downgrade(&s);
    let filter = a
        .dev
        .as_ref()
        .map(|d| conn.node_device_handle(d.name.as_str()));
    let id = conn
        .node_device_event_register_any(
            filter.as_ref(),
            NodeDeviceEventID(a.event_id),
            move |_c: &Connect, d: &NodeDevice, ev: &NodeDeviceEvent| relay(&weak, wire_id, d, ev),
        )
        .await?;
    s.nodedev_events.lock().insert(wire_id, id);
    Ok(ConnectNodeDeviceEventRegisterAnyRet {
        callback_id: wire_id,
    })
}

pub async fn event_deregister_any(
    s: Arc<Session>,
    a: ConnectNodeDeviceEventDeregisterAnyArgs,
) -> Result<()> {
    let conn = s.conn()?;
    let id = s.nodedev_events.lock().remove(&a.callback_id);
    let Some(id) = id else {
        return Err(internal(format!(
            "node device event callback {} not registered",
            a.callback_id
        )));
    };
    conn.node_device_event_deregister_any(id).await
}
