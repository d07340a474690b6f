//! Node device calls and node device events over the wire.

use crate::RemoteDriver;
use crate::events::{Callback, Event, Incoming};
use crate::wire::{one_call_methods, opt_string, remote_rpc, string};
use rvirt_driver::{
    CallbackId, NodeDeviceDriver, NodeDeviceEvent, NodeDeviceEventCallback, NodeDeviceRef,
};
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{Procedure, calls};
use rvirt_types::Result;
use rvirt_types::nodedev::*;
use rvirt_xdr::{XdrDecode, XdrReader};

/// `REMOTE_NODE_DEVICE_LIST_MAX` and `REMOTE_NODE_DEVICE_CAPS_LIST_MAX`.
const LIST_MAX: i32 = 65536;

/// A node device handle for the wire.
pub fn nonnull_node_device(d: &NodeDeviceRef) -> NonnullNodeDevice {
    NonnullNodeDevice {
        name: rvirt_proto::convert::nonnull(&d.name),
    }
}

/// A node device handle from the wire.
pub fn node_device_ref(d: NonnullNodeDevice) -> NodeDeviceRef {
    NodeDeviceRef::new(d.name.as_str())
}

fn check_max(function: &str, max: i32) -> Result<()> {
    if max > LIST_MAX {
        return Err(remote_rpc(format!(
            "too many remote strings: {max} > {LIST_MAX},in parameter 'names' for '{function}'"
        )));
    }
    Ok(())
}

/// Names from a reply, refused when the server sent more than asked for.
fn names(
    function: &str,
    max: i32,
    got: Vec<rvirt_xdr::RemoteNonnullString>,
) -> Result<Vec<String>> {
    if got.len() > usize::try_from(max).unwrap_or(0) {
        return Err(remote_rpc(format!(
            "too many remote strings: {} > {max},in parameter 'names' for '{function}'",
            got.len()
        )));
    }
    Ok(got.into_iter().map(|n| n.into_inner()).collect())
}

/// The node device event a `MESSAGE` of the remote program carries, if it is one.
pub(crate) fn decode_event(p: Procedure, payload: &[u8]) -> Option<Incoming> {
    let mut r = XdrReader::new(payload);
    let (remote_id, event) = match p {
        Procedure::NodeDeviceEventLifecycle => {
            let m = NodeDeviceEventLifecycleMsg::decode(&mut r).ok()?;
            (
                m.callback_id,
                NodeDeviceEvent::Lifecycle {
                    dev: node_device_ref(m.dev),
                    event: NodeDeviceEventLifecycleType(m.event),
                    detail: m.detail,
                },
            )
        }
        Procedure::NodeDeviceEventUpdate => {
            let m = NodeDeviceEventUpdateMsg::decode(&mut r).ok()?;
            (
                m.callback_id,
                NodeDeviceEvent::Update {
                    dev: node_device_ref(m.dev),
                },
            )
        }
        _ => return None,
    };
    Some(Incoming {
        remote_id,
        event: Event::NodeDevice(event),
    })
}

impl NodeDeviceDriver for RemoteDriver {
    one_call_methods! {
        fn connect_list_all_node_devices(flags: ConnectListAllNodeDevicesFlags) -> Vec<NodeDeviceRef>
            = ConnectListAllNodeDevices(ConnectListAllNodeDevicesArgs {
                need_results: 1,
                flags: flags.bits(),
            }) => |r| r.devices .into_inner() .into_iter() .map(node_device_ref) .collect();
        fn node_num_of_devices(cap: Option<&str>, flags: u32) -> i32
            = NodeNumOfDevices(NodeNumOfDevicesArgs { cap: opt_string(cap)?, flags }) => |r| r.num;
    }

    async fn node_list_devices(
        &self,
        cap: Option<&str>,
        max: i32,
        flags: u32,
    ) -> Result<Vec<String>> {
        let f = "virNodeListDevices";
        check_max(f, max)?;
        let args = NodeListDevicesArgs {
            cap: opt_string(cap)?,
            maxnames: max,
            flags,
        };
        let r = self.client.call::<calls::NodeListDevices>(&args).await?;
        names(f, max, r.names.into_inner())
    }

    one_call_methods! {
        fn node_device_lookup_by_name(name: &str) -> NodeDeviceRef
            = NodeDeviceLookupByName(NodeDeviceLookupByNameArgs {
                name: string(name)?,
            }) => |r| node_device_ref(r.dev);
        fn node_device_lookup_scsi_host_by_wwn(wwnn: &str, wwpn: &str, flags: u32) -> NodeDeviceRef
            = NodeDeviceLookupScsiHostByWwn(NodeDeviceLookupScsiHostByWwnArgs {
                wwnn: string(wwnn)?,
                wwpn: string(wwpn)?,
                flags,
            }) => |r| node_device_ref(r.dev);
        fn node_device_get_xml_desc(dev: &NodeDeviceRef, flags: u32) -> String
            = NodeDeviceGetXmlDesc(NodeDeviceGetXmlDescArgs {
                name: string(&dev.name)?,
                flags,
            }) => |r| r.xml.into_inner();
        fn node_device_get_parent(dev: &NodeDeviceRef) -> Option<String>
            = NodeDeviceGetParent(NodeDeviceGetParentArgs {
                name: string(&dev.name)?,
            }) => |r| r.parent_name.map(|s| s.into_inner());
        fn node_device_num_of_caps(dev: &NodeDeviceRef) -> i32
            = NodeDeviceNumOfCaps(NodeDeviceNumOfCapsArgs {
                name: string(&dev.name)?,
            }) => |r| r.num;
    }

    async fn node_device_list_caps(&self, dev: &NodeDeviceRef, max: i32) -> Result<Vec<String>> {
        let f = "virNodeDeviceListCaps";
        check_max(f, max)?;
        let args = NodeDeviceListCapsArgs {
            name: string(&dev.name)?,
            maxnames: max,
        };
        let r = self.client.call::<calls::NodeDeviceListCaps>(&args).await?;
        names(f, max, r.names.into_inner())
    }

    one_call_methods! {
        fn node_device_dettach(dev: &NodeDeviceRef) -> ()
            = NodeDeviceDettach(NodeDeviceDettachArgs { name: string(&dev.name)? });
        fn node_device_detach_flags(dev: &NodeDeviceRef, driver_name: Option<&str>, flags: u32) -> ()
            = NodeDeviceDetachFlags(NodeDeviceDetachFlagsArgs {
                name: string(&dev.name)?,
                driver_name: opt_string(driver_name)?,
                flags,
            });
        fn node_device_re_attach(dev: &NodeDeviceRef) -> ()
            = NodeDeviceReAttach(NodeDeviceReAttachArgs { name: string(&dev.name)? });
        fn node_device_reset(dev: &NodeDeviceRef) -> ()
            = NodeDeviceReset(NodeDeviceResetArgs { name: string(&dev.name)? });
        fn node_device_create_xml(xml: &str, flags: NodeDeviceCreateXMLFlags) -> NodeDeviceRef
            = NodeDeviceCreateXml(NodeDeviceCreateXmlArgs {
                xml_desc: string(xml)?,
                flags: flags.bits(),
            }) => |r| node_device_ref(r.dev);
        fn node_device_destroy(dev: &NodeDeviceRef) -> ()
            = NodeDeviceDestroy(NodeDeviceDestroyArgs { name: string(&dev.name)? });
        fn node_device_define_xml(xml: &str, flags: NodeDeviceDefineXMLFlags) -> NodeDeviceRef
            = NodeDeviceDefineXml(NodeDeviceDefineXmlArgs {
                xml_desc: string(xml)?,
                flags: flags.bits(),
            }) => |r| node_device_ref(r.dev);
        fn node_device_undefine(dev: &NodeDeviceRef, flags: u32) -> ()
            = NodeDeviceUndefine(NodeDeviceUndefineArgs { name: string(&dev.name)?, flags });
        fn node_device_create(dev: &NodeDeviceRef, flags: u32) -> ()
            = NodeDeviceCreate(NodeDeviceCreateArgs { name: string(&dev.name)?, flags });
        fn node_device_get_autostart(dev: &NodeDeviceRef) -> bool
            = NodeDeviceGetAutostart(NodeDeviceGetAutostartArgs {
                name: string(&dev.name)?,
            }) => |r| r.autostart != 0;
        fn node_device_set_autostart(dev: &NodeDeviceRef, on: bool) -> ()
            = NodeDeviceSetAutostart(NodeDeviceSetAutostartArgs {
                name: string(&dev.name)?,
                autostart: on.into(),
            });
        fn node_device_is_persistent(dev: &NodeDeviceRef) -> bool
            = NodeDeviceIsPersistent(NodeDeviceIsPersistentArgs {
                name: string(&dev.name)?,
            }) => |r| r.persistent != 0;
        fn node_device_is_active(dev: &NodeDeviceRef) -> bool
            = NodeDeviceIsActive(NodeDeviceIsActiveArgs {
                name: string(&dev.name)?,
            }) => |r| r.active != 0;
    }

    async fn connect_node_device_event_register_any(
        &self,
        dev: Option<&NodeDeviceRef>,
        event_id: NodeDeviceEventID,
        cb: NodeDeviceEventCallback,
    ) -> Result<CallbackId> {
        let args = ConnectNodeDeviceEventRegisterAnyArgs {
            event_id: event_id.0,
            dev: dev.map(nonnull_node_device),
        };
        let r = self
            .client
            .call::<calls::ConnectNodeDeviceEventRegisterAny>(&args)
            .await?;
        Ok(self.events.add(r.callback_id, Callback::NodeDevice(cb)))
    }

    async fn connect_node_device_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        let remote_id = self.events.remove(id)?;
        let args = ConnectNodeDeviceEventDeregisterAnyArgs {
            callback_id: remote_id,
        };
        self.client
            .call::<calls::ConnectNodeDeviceEventDeregisterAny>(&args)
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_node_device_events() {
        let msg = NodeDeviceEventLifecycleMsg {
            callback_id: 3,
            dev: NonnullNodeDevice {
                name: "scsi_host12".try_into().unwrap(),
            },
            event: 1,
            detail: 0,
        };
        let bytes = rvirt_xdr::to_bytes(&msg);
        let inc = decode_event(Procedure::NodeDeviceEventLifecycle, &bytes).unwrap();
        assert_eq!(inc.remote_id, 3);
        match inc.event {
            Event::NodeDevice(NodeDeviceEvent::Lifecycle { dev, event, .. }) => {
                assert_eq!(
                    (&*dev.name, event),
                    ("scsi_host12", NodeDeviceEventLifecycleType::DELETED)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(decode_event(Procedure::NodeDeviceEventLifecycle, &bytes[..5]).is_none());
    }
}
