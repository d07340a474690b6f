//! Network port procedures (`NETWORK_LIST_ALL_PORTS`, `NETWORK_PORT_*`).

use super::internal;
use super::network::net;
use crate::session::Session;
use rvirt::network_flags::NetworkPortCreateFlags;
use rvirt::{Error, ErrorDomain, ErrorNumber, NetworkPort, Result, Uuid};
use rvirt_proto::convert::{bounded, nonnull, typed_param_from_wire, typed_param_to_wire};
use rvirt_proto::remote::types::*;
use std::sync::Arc;

/// `REMOTE_NETWORK_PORT_LIST_MAX`.
const NETWORK_PORT_LIST_MAX: usize = 16384;
/// `REMOTE_NETWORK_PORT_PARAMETERS_MAX`.
const NETWORK_PORT_PARAMETERS_MAX: usize = 16;

/// A handle for a port reference received from the client.
fn port(s: &Session, p: &NonnullNetworkPort) -> Result<NetworkPort> {
    Ok(net(s, &p.net)?.port_handle(Uuid::from_bytes(p.uuid)))
}

/// A port reference for the client.
fn nonnull_port(p: &NetworkPort) -> NonnullNetworkPort {
    let n = p.get_network();
    NonnullNetworkPort {
        net: NonnullNetwork {
            name: nonnull(n.get_name()),
            uuid: *n.get_uuid().as_bytes(),
        },
        uuid: *p.get_uuid().as_bytes(),
    }
}

pub async fn list_all(
    s: Arc<Session>,
    a: NetworkListAllPortsArgs,
) -> Result<NetworkListAllPortsRet> {
    let ports = net(&s, &a.network)?.list_all_ports(a.flags).await?;
    if ports.len() > NETWORK_PORT_LIST_MAX {
        return Err(internal(format!(
            "Too many network ports '{}' for limit '{NETWORK_PORT_LIST_MAX}'",
            ports.len()
        )));
    }
    Ok(NetworkListAllPortsRet {
        ret: ports.len() as u32,
        ports: if a.need_results != 0 {
            bounded(ports.iter().map(nonnull_port))
        } else {
            Default::default()
        },
    })
}

pub async fn lookup_by_uuid(
    s: Arc<Session>,
    a: NetworkPortLookupByUuidArgs,
) -> Result<NetworkPortLookupByUuidRet> {
    let p = net(&s, &a.network)?
        .port_lookup_by_uuid(&Uuid::from_bytes(a.uuid))
        .await?;
    Ok(NetworkPortLookupByUuidRet {
        port: nonnull_port(&p),
    })
}

pub async fn create_xml(
    s: Arc<Session>,
    a: NetworkPortCreateXmlArgs,
) -> Result<NetworkPortCreateXmlRet> {
    let p = net(&s, &a.network)?
        .port_create_xml(
            a.xml.as_str(),
            NetworkPortCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(NetworkPortCreateXmlRet {
        port: nonnull_port(&p),
    })
}

pub async fn get_xml_desc(
    s: Arc<Session>,
    a: NetworkPortGetXmlDescArgs,
) -> Result<NetworkPortGetXmlDescRet> {
    let xml = port(&s, &a.port)?.get_xml_desc(a.flags).await?;
    Ok(NetworkPortGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn get_parameters(
    s: Arc<Session>,
    a: NetworkPortGetParametersArgs,
) -> Result<NetworkPortGetParametersRet> {
    let params = port(&s, &a.port)?.get_parameters(a.flags).await?;
    if params.len() > NETWORK_PORT_PARAMETERS_MAX {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::RPC,
            format!(
                "too many parameters '{}' for limit '{NETWORK_PORT_PARAMETERS_MAX}'",
                params.len()
            ),
        ));
    }
    Ok(NetworkPortGetParametersRet {
        nparams: params.len() as i32,
        params: bounded(params.iter().map(typed_param_to_wire)),
    })
}

pub async fn set_parameters(s: Arc<Session>, a: NetworkPortSetParametersArgs) -> Result<()> {
    let params: Vec<_> = a
        .params
        .into_inner()
        .into_iter()
        .map(typed_param_from_wire)
        .collect();
    port(&s, &a.port)?.set_parameters(&params, a.flags).await
}

pub async fn delete(s: Arc<Session>, a: NetworkPortDeleteArgs) -> Result<()> {
    port(&s, &a.port)?.delete(a.flags).await
}
