//! Host interface procedures.

use super::internal;
use crate::session::Session;
use rvirt::interface_flags::{
    ConnectListAllInterfacesFlags, InterfaceDefineFlags, InterfaceXMLFlags,
};
use rvirt::{Interface, Result};
use rvirt_proto::convert::{bounded, nonnull};
use rvirt_proto::remote::types::*;
use std::sync::Arc;

/// `REMOTE_INTERFACE_LIST_MAX`.
const INTERFACE_LIST_MAX: usize = 16384;

/// A handle for an interface reference received from the client.
fn iface(s: &Session, i: &NonnullInterface) -> Result<Interface> {
    Ok(s.conn()?.interface_handle(i.name.as_str(), i.mac.as_str()))
}

/// An interface reference for the client.
fn nonnull_interface(i: &Interface) -> NonnullInterface {
    NonnullInterface {
        name: nonnull(i.get_name()),
        mac: nonnull(i.get_mac_string()),
    }
}

pub async fn list_all(
    s: Arc<Session>,
    a: ConnectListAllInterfacesArgs,
) -> Result<ConnectListAllInterfacesRet> {
    let ifaces = s
        .conn()?
        .list_all_interfaces(ConnectListAllInterfacesFlags::from_bits_retain(a.flags))
        .await?;
    if ifaces.len() > INTERFACE_LIST_MAX {
        return Err(internal(format!(
            "Too many interfaces '{}' for limit '{INTERFACE_LIST_MAX}'",
            ifaces.len()
        )));
    }
    Ok(ConnectListAllInterfacesRet {
        ret: ifaces.len() as u32,
        ifaces: if a.need_results != 0 {
            bounded(ifaces.iter().map(nonnull_interface))
        } else {
            Default::default()
        },
    })
}

pub async fn num_of_interfaces(s: Arc<Session>, _a: ()) -> Result<ConnectNumOfInterfacesRet> {
    Ok(ConnectNumOfInterfacesRet {
        num: s.conn()?.num_of_interfaces().await?,
    })
}

pub async fn num_of_defined(s: Arc<Session>, _a: ()) -> Result<ConnectNumOfDefinedInterfacesRet> {
    Ok(ConnectNumOfDefinedInterfacesRet {
        num: s.conn()?.num_of_defined_interfaces().await?,
    })
}

pub async fn list_interfaces(
    s: Arc<Session>,
    a: ConnectListInterfacesArgs,
) -> Result<ConnectListInterfacesRet> {
    if a.maxnames > INTERFACE_LIST_MAX as i32 {
        return Err(internal("maxnames > REMOTE_INTERFACE_LIST_MAX"));
    }
    let names = s.conn()?.list_interfaces(a.maxnames).await?;
    Ok(ConnectListInterfacesRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn list_defined(
    s: Arc<Session>,
    a: ConnectListDefinedInterfacesArgs,
) -> Result<ConnectListDefinedInterfacesRet> {
    if a.maxnames > INTERFACE_LIST_MAX as i32 {
        return Err(internal("maxnames > REMOTE_INTERFACE_LIST_MAX"));
    }
    let names = s.conn()?.list_defined_interfaces(a.maxnames).await?;
    Ok(ConnectListDefinedInterfacesRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn lookup_by_name(
    s: Arc<Session>,
    a: InterfaceLookupByNameArgs,
) -> Result<InterfaceLookupByNameRet> {
    let i = s.conn()?.interface_lookup_by_name(a.name.as_str()).await?;
    Ok(InterfaceLookupByNameRet {
        iface: nonnull_interface(&i),
    })
}

pub async fn lookup_by_mac_string(
    s: Arc<Session>,
    a: InterfaceLookupByMacStringArgs,
) -> Result<InterfaceLookupByMacStringRet> {
    let i = s
        .conn()?
        .interface_lookup_by_mac_string(a.mac.as_str())
        .await?;
    Ok(InterfaceLookupByMacStringRet {
        iface: nonnull_interface(&i),
    })
}

pub async fn get_xml_desc(
    s: Arc<Session>,
    a: InterfaceGetXmlDescArgs,
) -> Result<InterfaceGetXmlDescRet> {
    let xml = iface(&s, &a.iface)?
        .get_xml_desc(InterfaceXMLFlags::from_bits_retain(a.flags))
        .await?;
    Ok(InterfaceGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn define_xml(
    s: Arc<Session>,
    a: InterfaceDefineXmlArgs,
) -> Result<InterfaceDefineXmlRet> {
    let i = s
        .conn()?
        .interface_define_xml(
            a.xml.as_str(),
            InterfaceDefineFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(InterfaceDefineXmlRet {
        iface: nonnull_interface(&i),
    })
}

pub async fn undefine(s: Arc<Session>, a: InterfaceUndefineArgs) -> Result<()> {
    iface(&s, &a.iface)?.undefine().await
}

pub async fn create(s: Arc<Session>, a: InterfaceCreateArgs) -> Result<()> {
    iface(&s, &a.iface)?.create(a.flags).await
}

pub async fn destroy(s: Arc<Session>, a: InterfaceDestroyArgs) -> Result<()> {
    iface(&s, &a.iface)?.destroy(a.flags).await
}

pub async fn is_active(s: Arc<Session>, a: InterfaceIsActiveArgs) -> Result<InterfaceIsActiveRet> {
    let active = iface(&s, &a.iface)?.is_active().await?;
    Ok(InterfaceIsActiveRet {
        active: i32::from(active),
    })
}

pub async fn change_begin(s: Arc<Session>, a: InterfaceChangeBeginArgs) -> Result<()> {
    s.conn()?.interface_change_begin(a.flags).await
}

pub async fn change_commit(s: Arc<Session>, a: InterfaceChangeCommitArgs) -> Result<()> {
    s.conn()?.interface_change_commit(a.flags).await
}

pub async fn change_rollback(s: Arc<Session>, a: InterfaceChangeRollbackArgs) -> Result<()> {
    s.conn()?.interface_change_rollback(a.flags).await
}
