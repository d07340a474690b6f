//! Network procedures, and the network events pushed to registered clients.

use super::internal;
use crate::session::{EventRegistration, Session};
use rvirt::network_flags::{
    ConnectListAllNetworksFlags, NetworkCreateFlags, NetworkDefineFlags, NetworkEventID,
    NetworkUpdateCommand, NetworkUpdateFlags, NetworkUpdateSection, NetworkXMLFlags,
};
use rvirt::{Connect, Network, NetworkEvent, Result, Uuid};
use rvirt_proto::convert::{bounded, nonnull};
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{Procedure, event_header};
use std::sync::{Arc, Weak};

/// `REMOTE_NETWORK_LIST_MAX`.
const NETWORK_LIST_MAX: usize = 16384;

/// A handle for a network reference received from the client.
pub(super) fn net(s: &Session, n: &NonnullNetwork) -> Result<Network> {
    Ok(s.conn()?
        .network_handle(n.name.as_str(), Uuid::from_bytes(n.uuid)))
}

/// A network reference for the client.
fn nonnull_network(n: &Network) -> NonnullNetwork {
    NonnullNetwork {
        name: nonnull(n.get_name()),
        uuid: *n.get_uuid().as_bytes(),
    }
}

/// Handlers whose arguments are a network (and maybe more) and whose reply is empty.
macro_rules! network_actions {
    ($($name:ident($args:ty) => |$n:ident, $a:ident| $call:expr;)*) => {$(
        pub async fn $name(s: Arc<Session>, $a: $args) -> Result<()> {
            let $n = net(&s, &$a.net)?;
            $call.await
        }
    )*};
}

network_actions! {
    create(NetworkCreateArgs) => |n, _a| n.create();
    destroy(NetworkDestroyArgs) => |n, _a| n.destroy();
    undefine(NetworkUndefineArgs) => |n, _a| n.undefine();
    set_autostart(NetworkSetAutostartArgs) => |n, a| n.set_autostart(a.autostart != 0);
    update(NetworkUpdateArgs) => |n, a| n.update(
        NetworkUpdateCommand(a.command as i32),
        NetworkUpdateSection(a.section as i32),
        a.parent_index,
        a.xml.as_str(),
        NetworkUpdateFlags::from_bits_retain(a.flags),
    );
}

pub async fn list_all(
    s: Arc<Session>,
    a: ConnectListAllNetworksArgs,
) -> Result<ConnectListAllNetworksRet> {
    let nets = s
        .conn()?
        .list_all_networks(ConnectListAllNetworksFlags::from_bits_retain(a.flags))
        .await?;
    if nets.len() > NETWORK_LIST_MAX {
        return Err(internal(format!(
            "Too many networks '{}' for limit '{NETWORK_LIST_MAX}'",
            nets.len()
        )));
    }
    Ok(ConnectListAllNetworksRet {
        ret: nets.len() as u32,
        nets: if a.need_results != 0 {
            bounded(nets.iter().map(nonnull_network))
        } else {
            Default::default()
        },
    })
}

pub async fn num_of_networks(s: Arc<Session>, _a: ()) -> Result<ConnectNumOfNetworksRet> {
    Ok(ConnectNumOfNetworksRet {
        num: s.conn()?.num_of_networks().await?,
    })
}

pub async fn num_of_defined(s: Arc<Session>, _a: ()) -> Result<ConnectNumOfDefinedNetworksRet> {
    Ok(ConnectNumOfDefinedNetworksRet {
        num: s.conn()?.num_of_defined_networks().await?,
    })
}

pub async fn list_networks(
    s: Arc<Session>,
    a: ConnectListNetworksArgs,
) -> Result<ConnectListNetworksRet> {
    if a.maxnames > NETWORK_LIST_MAX as i32 {
        return Err(internal("maxnames > REMOTE_NETWORK_LIST_MAX"));
    }
    let names = s.conn()?.list_networks(a.maxnames).await?;
    Ok(ConnectListNetworksRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn list_defined(
    s: Arc<Session>,
    a: ConnectListDefinedNetworksArgs,
) -> Result<ConnectListDefinedNetworksRet> {
    if a.maxnames > NETWORK_LIST_MAX as i32 {
        return Err(internal("maxnames > REMOTE_NETWORK_LIST_MAX"));
    }
    let names = s.conn()?.list_defined_networks(a.maxnames).await?;
    Ok(ConnectListDefinedNetworksRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn lookup_by_name(
    s: Arc<Session>,
    a: NetworkLookupByNameArgs,
) -> Result<NetworkLookupByNameRet> {
    let n = s.conn()?.network_lookup_by_name(a.name.as_str()).await?;
    Ok(NetworkLookupByNameRet {
        net: nonnull_network(&n),
    })
}

pub async fn lookup_by_uuid(
    s: Arc<Session>,
    a: NetworkLookupByUuidArgs,
) -> Result<NetworkLookupByUuidRet> {
    let n = s
        .conn()?
        .network_lookup_by_uuid(&Uuid::from_bytes(a.uuid))
        .await?;
    Ok(NetworkLookupByUuidRet {
        net: nonnull_network(&n),
    })
}

pub async fn create_xml(s: Arc<Session>, a: NetworkCreateXmlArgs) -> Result<NetworkCreateXmlRet> {
    let n = s.conn()?.network_create_xml(a.xml.as_str()).await?;
    Ok(NetworkCreateXmlRet {
        net: nonnull_network(&n),
    })
}

pub async fn create_xml_flags(
    s: Arc<Session>,
    a: NetworkCreateXmlFlagsArgs,
) -> Result<NetworkCreateXmlFlagsRet> {
    let n = s
        .conn()?
        .network_create_xml_flags(
            a.xml.as_str(),
            NetworkCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(NetworkCreateXmlFlagsRet {
        net: nonnull_network(&n),
    })
}

pub async fn define_xml(s: Arc<Session>, a: NetworkDefineXmlArgs) -> Result<NetworkDefineXmlRet> {
    let n = s.conn()?.network_define_xml(a.xml.as_str()).await?;
    Ok(NetworkDefineXmlRet {
        net: nonnull_network(&n),
    })
}

pub async fn define_xml_flags(
    s: Arc<Session>,
    a: NetworkDefineXmlFlagsArgs,
) -> Result<NetworkDefineXmlFlagsRet> {
    let n = s
        .conn()?
        .network_define_xml_flags(
            a.xml.as_str(),
            NetworkDefineFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(NetworkDefineXmlFlagsRet {
        net: nonnull_network(&n),
    })
}

pub async fn get_xml_desc(
    s: Arc<Session>,
    a: NetworkGetXmlDescArgs,
) -> Result<NetworkGetXmlDescRet> {
    let xml = net(&s, &a.net)?
        .get_xml_desc(NetworkXMLFlags::from_bits_retain(a.flags))
        .await?;
    Ok(NetworkGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn get_bridge_name(
    s: Arc<Session>,
    a: NetworkGetBridgeNameArgs,
) -> Result<NetworkGetBridgeNameRet> {
    let name = net(&s, &a.net)?.get_bridge_name().await?;
    Ok(NetworkGetBridgeNameRet {
        name: nonnull(&name),
    })
}

pub async fn get_autostart(
    s: Arc<Session>,
    a: NetworkGetAutostartArgs,
) -> Result<NetworkGetAutostartRet> {
    Ok(NetworkGetAutostartRet {
        autostart: i32::from(net(&s, &a.net)?.get_autostart().await?),
    })
}

pub async fn is_active(s: Arc<Session>, a: NetworkIsActiveArgs) -> Result<NetworkIsActiveRet> {
    Ok(NetworkIsActiveRet {
        active: i32::from(net(&s, &a.net)?.is_active().await?),
    })
}

pub async fn is_persistent(
    s: Arc<Session>,
    a: NetworkIsPersistentArgs,
) -> Result<NetworkIsPersistentRet> {
    Ok(NetworkIsPersistentRet {
        persistent: i32::from(net(&s, &a.net)?.is_persistent().await?),
    })
}

pub async fn get_dhcp_leases(
    s: Arc<Session>,
    a: NetworkGetDhcpLeasesArgs,
) -> Result<NetworkGetDhcpLeasesRet> {
    let leases = net(&s, &a.net)?
        .get_dhcp_leases(super::wire::opt(&a.mac), a.flags)
        .await?;
    let opt = |s: &Option<String>| s.as_deref().map(nonnull);
    Ok(NetworkGetDhcpLeasesRet {
        ret: leases.len() as u32,
        leases: if a.need_results != 0 {
            bounded(leases.iter().map(|l| NetworkDhcpLease {
                iface: nonnull(&l.iface),
                expirytime: l.expiry_time,
                r#type: l.addr_type,
                mac: opt(&l.mac),
                iaid: opt(&l.iaid),
                ipaddr: nonnull(&l.ipaddr),
                prefix: l.prefix,
                hostname: opt(&l.hostname),
                clientid: opt(&l.clientid),
            }))
        } else {
            Default::default()
        },
    })
}

/// Sends a network event to the client under its registration's id.
fn relay(session: &Weak<Session>, wire_id: i32, n: &Network, ev: &NetworkEvent) {
    let Some(s) = session.upgrade() else { return };
    let NetworkEvent::Lifecycle { event, detail, .. } = ev;
    let msg = NetworkEventLifecycleMsg {
        callback_id: wire_id,
        net: nonnull_network(n),
        event: event.0,
        detail: *detail,
    };
    let mut packet = Vec::new();
    let header = event_header(Procedure::NetworkEventLifecycle);
    if rvirt_proto::encode_packet(&mut packet, &header, &msg).is_ok() {
        s.send_now(packet);
    }
}

pub async fn event_register_any(
    s: Arc<Session>,
    a: ConnectNetworkEventRegisterAnyArgs,
) -> Result<ConnectNetworkEventRegisterAnyRet> {
    let conn = s.conn()?;
    if a.event_id != NetworkEventID::LIFECYCLE.0 {
        return Err(internal(format!(
            "unsupported network event ID {}",
            a.event_id
        )));
    }
    let wire_id = super::events::next_wire_id();
    let weak = Arc::downgrade(&s);
    let filter = a
        .net
        .as_ref()
        .map(|n| conn.network_handle(n.name.as_str(), Uuid::from_bytes(n.uuid)));
    let id = conn
        .network_event_register_any(
            filter.as_ref(),
            NetworkEventID(a.event_id),
            move |_c: &Connect, n: &Network, ev: &NetworkEvent| relay(&weak, wire_id, n, ev),
        )
        .await?;
    s.events.lock().insert(
        wire_id,
        EventRegistration {
            id,
            legacy: false,
            event_id: a.event_id,
            network: true,
        },
    );
    Ok(ConnectNetworkEventRegisterAnyRet {
        callback_id: wire_id,
    })
}

pub async fn event_deregister_any(
    s: Arc<Session>,
    a: ConnectNetworkEventDeregisterAnyArgs,
) -> Result<()> {
    let conn = s.conn()?;
    let Some(reg) = super::events::take_registration(&s, a.callback_id, true) else {
        return Err(internal(format!(
            "network event callback {} not registered",
            a.callback_id
        )));
    };
    conn.network_event_deregister_any(reg.id).await
}
