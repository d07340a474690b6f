//! Node device events through rvirtd, at the protocol level: a client registered with
//! `CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY` gets `NODE_DEVICE_EVENT_LIFECYCLE` messages carrying
//! its callback id when a vHBA is created and destroyed, and libvirtd's errors for ids it does
//! not know.

#![allow(clippy::unwrap_used)]

mod common;
mod raw;

use common::Daemon;
use raw::{Client, packet};
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{self, Procedure, calls};
use rvirt_proto::{MessageStatus, MessageType, Packet, RemoteCall};

/// Calls `C`; returns its reply and the first event message (which may follow the reply).
fn call_with_event<C: RemoteCall>(c: &mut Client, args: &C::Args) -> (Packet, Packet) {
    let mut header = remote::call_header(C::PROCEDURE, 0);
    header.serial = c.next_serial();
    c.send_bytes(&packet(&header, args));
    let (mut reply, mut event) = (None, None);
    while reply.is_none() || event.is_none() {
        let p = c.read_packet().unwrap().unwrap();
        match p.header.kind {
            MessageType::Message => event = Some(p),
            _ => reply = Some(p),
        }
    }
    (reply.unwrap(), event.unwrap())
}

const VHBA: &str = "<device><parent>scsi_host1</parent><capability type='scsi_host'>\
    <capability type='fc_host'><wwnn>2000000012345678</wwnn><wwpn>1000000012345678</wwpn>\
    </capability></capability></device>";

#[test]
fn vhba_lifecycle_events_reach_the_registered_client() {
    let d = Daemon::start("");
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
    let reg = c
        .call::<calls::ConnectNodeDeviceEventRegisterAny>(&ConnectNodeDeviceEventRegisterAnyArgs {
            event_id: 0,
            dev: None,
        })
        .unwrap();
    let (reply, ev) = call_with_event::<calls::NodeDeviceCreateXml>(
        &mut c,
        &NodeDeviceCreateXmlArgs {
            xml_desc: VHBA.try_into().unwrap(),
            flags: 0,
        },
    );
    assert_eq!(reply.header.status, MessageStatus::Ok);
    assert_eq!(
        ev.header.procedure,
        Procedure::NodeDeviceEventLifecycle.number()
    );
    let msg: NodeDeviceEventLifecycleMsg = ev.decode_payload().unwrap();
    assert_eq!(
        (msg.callback_id, msg.dev.name.as_str(), msg.event),
        (reg.callback_id, "scsi_host12", 0)
    );
    let (reply, ev) = call_with_event::<calls::NodeDeviceDestroy>(
        &mut c,
        &NodeDeviceDestroyArgs {
            name: "scsi_host12".try_into().unwrap(),
        },
    );
    assert_eq!(reply.header.status, MessageStatus::Ok);
    let msg: NodeDeviceEventLifecycleMsg = ev.decode_payload().unwrap();
    assert_eq!((msg.dev.name.as_str(), msg.event), ("scsi_host12", 1));

    c.call::<calls::ConnectNodeDeviceEventDeregisterAny>(
        &ConnectNodeDeviceEventDeregisterAnyArgs {
            callback_id: reg.callback_id,
        },
    )
    .unwrap();
    let e = c
        .call::<calls::ConnectNodeDeviceEventDeregisterAny>(
            &ConnectNodeDeviceEventDeregisterAnyArgs {
                callback_id: reg.callback_id,
            },
        )
        .unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some(
            format!(
                "internal error: node device event callback {} not registered",
                reg.callback_id
            )
            .as_str()
        )
    );
    let e = c
        .call::<calls::ConnectNodeDeviceEventRegisterAny>(&ConnectNodeDeviceEventRegisterAnyArgs {
            event_id: 2,
            dev: None,
        })
        .unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some("internal error: unsupported node device event ID 2")
    );
}
