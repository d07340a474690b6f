//! Network events through rvirtd, at the protocol level: a client registered with
//! `CONNECT_NETWORK_EVENT_REGISTER_ANY` gets `NETWORK_EVENT_LIFECYCLE` messages carrying its
//! callback id, and deregistration keeps domain and network registrations apart, as libvirtd's
//! separate lists do.

#![allow(clippy::unwrap_used)]

mod common;
mod raw;

use common::Daemon;
use raw::{Client, packet};
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{self, Procedure, calls};
use rvirt_proto::{MessageStatus, MessageType, Packet, RemoteCall};

/// Calls `C` and returns its reply's status and payload with the event messages that came
/// before the reply.
fn call_collecting<C: RemoteCall>(c: &mut Client, args: &C::Args) -> (Packet, Vec<Packet>) {
    let mut header = remote::call_header(C::PROCEDURE, 0);
    header.serial = c.next_serial();
    c.send_bytes(&packet(&header, args));
    let mut events = Vec::new();
    loop {
        let p = c.read_packet().unwrap().unwrap();
        match p.header.kind {
            MessageType::Message => events.push(p),
            _ => {
                assert_eq!(p.header.serial, header.serial);
                return (p, events);
            }
        }
    }
}

#[test]
fn network_events_reach_the_registered_client_and_families_stay_apart() {
    let d = Daemon::start("");
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
    let reg = c
        .call::<calls::ConnectNetworkEventRegisterAny>(&ConnectNetworkEventRegisterAnyArgs {
            event_id: 0,
            net: None,
        })
        .unwrap();
    let (reply, mut events) = call_collecting::<calls::NetworkDefineXml>(
        &mut c,
        &NetworkDefineXmlArgs {
            xml: "<network><name>ev</name></network>".try_into().unwrap(),
        },
    );
    assert_eq!(reply.header.status, MessageStatus::Ok);
    if events.is_empty() {
        // The event may follow the reply.
        events.push(c.read_packet().unwrap().unwrap());
    }
    let ev = &events[0];
    assert_eq!(
        ev.header.procedure,
        Procedure::NetworkEventLifecycle.number()
    );
    let msg: NetworkEventLifecycleMsg = ev.decode_payload().unwrap();
    assert_eq!(
        (msg.callback_id, msg.net.name.as_str(), msg.event),
        (reg.callback_id, "ev", 0)
    );

    // A network callback id is no domain callback.
    let e = c
        .call::<calls::ConnectDomainEventCallbackDeregisterAny>(
            &ConnectDomainEventCallbackDeregisterAnyArgs {
                callback_id: reg.callback_id,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, 8, "{:?}", e.message);
    c.call::<calls::ConnectNetworkEventDeregisterAny>(&ConnectNetworkEventDeregisterAnyArgs {
        callback_id: reg.callback_id,
    })
    .unwrap();
    let e = c
        .call::<calls::ConnectNetworkEventDeregisterAny>(&ConnectNetworkEventDeregisterAnyArgs {
            callback_id: reg.callback_id,
        })
        .unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some(
            format!(
                "internal error: network event callback {} not registered",
                reg.callback_id
            )
            .as_str()
        )
    );
    let e = c
        .call::<calls::ConnectNetworkEventRegisterAny>(&ConnectNetworkEventRegisterAnyArgs {
            event_id: 1,
            net: None,
        })
        .unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some("internal error: unsupported network event ID 1")
    );
}
