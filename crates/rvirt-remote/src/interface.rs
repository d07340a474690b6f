//! Host interface calls.

use crate::RemoteDriver;
use crate::wire::{one_call_methods, remote_rpc, string};
use rvirt_driver::{InterfaceDriver, InterfaceRef};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::Result;
use rvirt_types::interface::ConnectListAllInterfacesFlags;

/// `REMOTE_INTERFACE_LIST_MAX`.
const INTERFACE_LIST_MAX: i32 = 16384;

/// An interface handle for the wire.
pub fn nonnull_interface(i: &InterfaceRef) -> NonnullInterface {
    NonnullInterface {
        name: rvirt_proto::convert::nonnull(&i.name),
        mac: rvirt_proto::convert::nonnull(&i.mac),
    }
}

/// An interface handle from the wire.
pub fn interface_ref(i: NonnullInterface) -> InterfaceRef {
    InterfaceRef {
        name: i.name.as_str().into(),
        mac: i.mac.as_str().into(),
    }
}

fn too_many(function: &str, n: i64, limit: i64) -> rvirt_types::Error {
    remote_rpc(format!(
        "too many remote strings: {n} > {limit},in parameter 'names' for '{function}'"
    ))
}

/// The names a legacy list call returned, refused if the server sent more than asked for.
fn checked_names(
    function: &str,
    max: i32,
    names: Vec<rvirt_xdr::RemoteNonnullString>,
) -> Result<Vec<String>> {
    if names.len() > usize::try_from(max).unwrap_or(0) {
        return Err(too_many(function, names.len() as i64, max.into()));
    }
    Ok(names.into_iter().map(|s| s.as_str().to_string()).collect())
}

impl InterfaceDriver for RemoteDriver {
    one_call_methods! {
        fn connect_list_all_interfaces(flags: ConnectListAllInterfacesFlags) -> Vec<InterfaceRef>
            = ConnectListAllInterfaces(ConnectListAllInterfacesArgs {
                need_results: 1,
                flags: flags.bits(),
            }) => |r| r.ifaces .into_inner() .into_iter() .map(interface_ref) .collect();
    }

    async fn connect_num_of_interfaces(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfInterfaces>(&())
            .await?
            .num)
    }

    async fn connect_list_interfaces(&self, max: i32) -> Result<Vec<String>> {
        const F: &str = "virConnectListInterfaces";
        if max > INTERFACE_LIST_MAX {
            return Err(too_many(F, max.into(), INTERFACE_LIST_MAX.into()));
        }
        let args = ConnectListInterfacesArgs { maxnames: max };
        let r = self
            .client
            .call::<calls::ConnectListInterfaces>(&args)
            .await?;
        checked_names(F, max, r.names.into_inner())
    }

    async fn connect_num_of_defined_interfaces(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfDefinedInterfaces>(&())
            .await?
            .num)
    }

    async fn connect_list_defined_interfaces(&self, max: i32) -> Result<Vec<String>> {
        const F: &str = "virConnectListDefinedInterfaces";
        if max > INTERFACE_LIST_MAX {
            return Err(too_many(F, max.into(), INTERFACE_LIST_MAX.into()));
        }
        let args = ConnectListDefinedInterfacesArgs { maxnames: max };
        let r = self
            .client
            .call::<calls::ConnectListDefinedInterfaces>(&args)
            .await?;
        checked_names(F, max, r.names.into_inner())
    }

    one_call_methods! {
        fn interface_lookup_by_name(name: &str) -> InterfaceRef
            = InterfaceLookupByName(InterfaceLookupByNameArgs {
                name: string(name)?,
            }) => |r| interface_ref(r.iface);
        fn interface_lookup_by_mac_string(mac: &str) -> InterfaceRef
            = InterfaceLookupByMacString(InterfaceLookupByMacStringArgs {
                mac: string(mac)?,
            }) => |r| interface_ref(r.iface);
        fn interface_get_xml_desc(iface: &InterfaceRef, flags: u32) -> String
            = InterfaceGetXmlDesc(InterfaceGetXmlDescArgs {
                iface: nonnull_interface(iface),
                flags,
            }) => |r| r.xml.as_str().to_string();
        fn interface_define_xml(xml: &str, flags: u32) -> InterfaceRef
            = InterfaceDefineXml(InterfaceDefineXmlArgs {
                xml: string(xml)?,
                flags,
            }) => |r| interface_ref(r.iface);
        fn interface_undefine(iface: &InterfaceRef) -> ()
            = InterfaceUndefine(InterfaceUndefineArgs { iface: nonnull_interface(iface) });
        fn interface_create(iface: &InterfaceRef, flags: u32) -> ()
            = InterfaceCreate(InterfaceCreateArgs { iface: nonnull_interface(iface), flags });
        fn interface_destroy(iface: &InterfaceRef, flags: u32) -> ()
            = InterfaceDestroy(InterfaceDestroyArgs { iface: nonnull_interface(iface), flags });
        fn interface_is_active(iface: &InterfaceRef) -> bool
            = InterfaceIsActive(InterfaceIsActiveArgs {
                iface: nonnull_interface(iface),
            }) => |r| r.active != 0;
        fn interface_change_begin(flags: u32) -> ()
            = InterfaceChangeBegin(InterfaceChangeBeginArgs { flags });
        fn interface_change_commit(flags: u32) -> ()
            = InterfaceChangeCommit(InterfaceChangeCommitArgs { flags });
        fn interface_change_rollback(flags: u32) -> ()
            = InterfaceChangeRollback(InterfaceChangeRollbackArgs { flags });
    }
}
