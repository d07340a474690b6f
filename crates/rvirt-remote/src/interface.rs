//! Host interface calls.

use crate::RemoteDriver;
use crate::wire::{remote_rpc, string};
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
    async fn connect_list_all_interfaces(
        &self,
        flags: ConnectListAllInterfacesFlags,
    ) -> Result<Vec<InterfaceRef>> {
        let args = ConnectListAllInterfacesArgs {
            need_results: 1,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::ConnectListAllInterfaces>(&args)
            .await?;
        Ok(r.ifaces
            .into_inner()
            .into_iter()
            .map(interface_ref)
            .collect())
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

    async fn interface_lookup_by_name(&self, name: &str) -> Result<InterfaceRef> {
        let args = InterfaceLookupByNameArgs {
            name: string(name)?,
        };
        let r = self
            .client
            .call::<calls::InterfaceLookupByName>(&args)
            .await?;
        Ok(interface_ref(r.iface))
    }

    async fn interface_lookup_by_mac_string(&self, mac: &str) -> Result<InterfaceRef> {
        let args = InterfaceLookupByMacStringArgs { mac: string(mac)? };
        let r = self
            .client
            .call::<calls::InterfaceLookupByMacString>(&args)
            .await?;
        Ok(interface_ref(r.iface))
    }

    async fn interface_get_xml_desc(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        let args = InterfaceGetXmlDescArgs {
            iface: nonnull_interface(iface),
            flags,
        };
        let r = self
            .client
            .call::<calls::InterfaceGetXmlDesc>(&args)
            .await?;
        Ok(r.xml.as_str().to_string())
    }

    async fn interface_define_xml(&self, xml: &str, flags: u32) -> Result<InterfaceRef> {
        let args = InterfaceDefineXmlArgs {
            xml: string(xml)?,
            flags,
        };
        let r = self.client.call::<calls::InterfaceDefineXml>(&args).await?;
        Ok(interface_ref(r.iface))
    }

    async fn interface_undefine(&self, iface: &InterfaceRef) -> Result<()> {
        let args = InterfaceUndefineArgs {
            iface: nonnull_interface(iface),
        };
        self.client.call::<calls::InterfaceUndefine>(&args).await
    }

    async fn interface_create(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        let args = InterfaceCreateArgs {
            iface: nonnull_interface(iface),
            flags,
        };
        self.client.call::<calls::InterfaceCreate>(&args).await
    }

    async fn interface_destroy(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        let args = InterfaceDestroyArgs {
            iface: nonnull_interface(iface),
            flags,
        };
        self.client.call::<calls::InterfaceDestroy>(&args).await
    }

    async fn interface_is_active(&self, iface: &InterfaceRef) -> Result<bool> {
        let args = InterfaceIsActiveArgs {
            iface: nonnull_interface(iface),
        };
        let r = self.client.call::<calls::InterfaceIsActive>(&args).await?;
        Ok(r.active != 0)
    }

    async fn interface_change_begin(&self, flags: u32) -> Result<()> {
        let args = InterfaceChangeBeginArgs { flags };
        self.client.call::<calls::InterfaceChangeBegin>(&args).await
    }

    async fn interface_change_commit(&self, flags: u32) -> Result<()> {
        let args = InterfaceChangeCommitArgs { flags };
        self.client
            .call::<calls::InterfaceChangeCommit>(&args)
            .await
    }

    async fn interface_change_rollback(&self, flags: u32) -> Result<()> {
        let args = InterfaceChangeRollbackArgs { flags };
        self.client
            .call::<calls::InterfaceChangeRollback>(&args)
            .await
    }
}
