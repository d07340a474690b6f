//! Network calls. Calls without flags take libvirt's older procedures (`NETWORK_CREATE_XML`,
//! `NETWORK_DEFINE_XML`), as libvirt's own client does.

use crate::RemoteDriver;
use crate::events::Callback;
use crate::wire::{one_call_methods, opt_string, remote_rpc, string, wire_params};
use rvirt_driver::{CallbackId, NetworkDriver, NetworkEventCallback, NetworkPortRef, NetworkRef};
use rvirt_proto::convert::typed_param_from_wire;
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::network::{
    ConnectListAllNetworksFlags, NetworkDhcpLease, NetworkEventID, NetworkUpdateCommand,
    NetworkUpdateSection,
};
use rvirt_types::{Result, TypedParam, Uuid};

/// `REMOTE_NETWORK_LIST_MAX`.
const NETWORK_LIST_MAX: i32 = 16384;

/// A network handle for the wire (names are bounded by the server that gave them).
pub fn nonnull_network(n: &NetworkRef) -> NonnullNetwork {
    NonnullNetwork {
        name: rvirt_proto::convert::nonnull(&n.name),
        uuid: *n.uuid.as_bytes(),
    }
}

/// A network handle from the wire.
pub fn network_ref(n: NonnullNetwork) -> NetworkRef {
    NetworkRef {
        name: n.name.as_str().into(),
        uuid: Uuid::from_bytes(n.uuid),
    }
}

/// A port handle for the wire.
fn nonnull_port(p: &NetworkPortRef) -> NonnullNetworkPort {
    NonnullNetworkPort {
        net: nonnull_network(&p.net),
        uuid: *p.uuid.as_bytes(),
    }
}

/// A port handle from the wire.
fn port_ref(p: NonnullNetworkPort) -> NetworkPortRef {
    NetworkPortRef {
        net: network_ref(p.net),
        uuid: Uuid::from_bytes(p.uuid),
    }
}

fn too_many(function: &str, n: i64, limit: i64) -> rvirt_types::Error {
    remote_rpc(format!(
        "too many remote strings: {n} > {limit},in parameter 'names' for '{function}'"
    ))
}

impl NetworkDriver for RemoteDriver {
    one_call_methods! {
        fn connect_list_all_networks(flags: ConnectListAllNetworksFlags) -> Vec<NetworkRef>
            = ConnectListAllNetworks(ConnectListAllNetworksArgs {
                need_results: 1,
                flags: flags.bits(),
            }) => |r| r.nets.into_inner().into_iter().map(network_ref).collect();
    }

    async fn connect_num_of_networks(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfNetworks>(&())
            .await?
            .num)
    }

    async fn connect_list_networks(&self, max: i32) -> Result<Vec<String>> {
        if max > NETWORK_LIST_MAX {
            return Err(too_many(
                "virConnectListNetworks",
                max.into(),
                NETWORK_LIST_MAX.into(),
            ));
        }
        let args = ConnectListNetworksArgs { maxnames: max };
        let names = self
            .client
            .call::<calls::ConnectListNetworks>(&args)
            .await?
            .names
            .into_inner();
        if names.len() > usize::try_from(max).unwrap_or(0) {
            return Err(too_many(
                "virConnectListNetworks",
                names.len() as i64,
                max.into(),
            ));
        }
        Ok(names.into_iter().map(|s| s.as_str().to_string()).collect())
    }

    async fn connect_num_of_defined_networks(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfDefinedNetworks>(&())
            .await?
            .num)
    }

    async fn connect_list_defined_networks(&self, max: i32) -> Result<Vec<String>> {
        if max > NETWORK_LIST_MAX {
            return Err(too_many(
                "virConnectListDefinedNetworks",
                max.into(),
                NETWORK_LIST_MAX.into(),
            ));
        }
        let args = ConnectListDefinedNetworksArgs { maxnames: max };
        let names = self
            .client
            .call::<calls::ConnectListDefinedNetworks>(&args)
            .await?
            .names
            .into_inner();
        if names.len() > usize::try_from(max).unwrap_or(0) {
            return Err(too_many(
                "virConnectListDefinedNetworks",
                names.len() as i64,
                max.into(),
            ));
        }
        Ok(names.into_iter().map(|s| s.as_str().to_string()).collect())
    }

    one_call_methods! {
        fn network_lookup_by_name(name: &str) -> NetworkRef
            = NetworkLookupByName(NetworkLookupByNameArgs {
                name: string(name)?,
            }) => |r| network_ref(r.net);
        fn network_lookup_by_uuid(uuid: &Uuid) -> NetworkRef
            = NetworkLookupByUuid(NetworkLookupByUuidArgs {
                uuid: *uuid.as_bytes(),
            }) => |r| network_ref(r.net);
    }

    async fn network_create_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        let net = if flags == 0 {
            let args = NetworkCreateXmlArgs { xml: string(xml)? };
            self.client
                .call::<calls::NetworkCreateXml>(&args)
                .await?
                .net
        } else {
            let args = NetworkCreateXmlFlagsArgs {
                xml: string(xml)?,
                flags,
            };
            self.client
                .call::<calls::NetworkCreateXmlFlags>(&args)
                .await?
                .net
        };
        Ok(network_ref(net))
    }

    async fn network_define_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        let net = if flags == 0 {
            let args = NetworkDefineXmlArgs { xml: string(xml)? };
            self.client
                .call::<calls::NetworkDefineXml>(&args)
                .await?
                .net
        } else {
            let args = NetworkDefineXmlFlagsArgs {
                xml: string(xml)?,
                flags,
            };
            self.client
                .call::<calls::NetworkDefineXmlFlags>(&args)
                .await?
                .net
        };
        Ok(network_ref(net))
    }

    one_call_methods! {
        fn network_undefine(net: &NetworkRef) -> ()
            = NetworkUndefine(NetworkUndefineArgs { net: nonnull_network(net) });
    }

    async fn network_update(
        &self,
        net: &NetworkRef,
        command: NetworkUpdateCommand,
        section: NetworkUpdateSection,
        parent_index: i32,
        xml: &str,
        flags: u32,
    ) -> Result<()> {
        // libvirt's client sends the command and section in the order the server expects
        // (VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER: every server rvirt talks to).
        let args = NetworkUpdateArgs {
            net: nonnull_network(net),
            command: command.0 as u32,
            section: section.0 as u32,
            parent_index,
            xml: string(xml)?,
            flags,
        };
        self.client.call::<calls::NetworkUpdate>(&args).await
    }

    one_call_methods! {
        fn network_create(net: &NetworkRef) -> ()
            = NetworkCreate(NetworkCreateArgs { net: nonnull_network(net) });
        fn network_destroy(net: &NetworkRef) -> ()
            = NetworkDestroy(NetworkDestroyArgs { net: nonnull_network(net) });
        fn network_get_xml_desc(net: &NetworkRef, flags: u32) -> String
            = NetworkGetXmlDesc(NetworkGetXmlDescArgs {
                net: nonnull_network(net),
                flags,
            }) => |r| r.xml.as_str().to_string();
        fn network_get_bridge_name(net: &NetworkRef) -> String
            = NetworkGetBridgeName(NetworkGetBridgeNameArgs {
                net: nonnull_network(net),
            }) => |r| r.name.as_str().to_string();
        fn network_get_autostart(net: &NetworkRef) -> bool
            = NetworkGetAutostart(NetworkGetAutostartArgs {
                net: nonnull_network(net),
            }) => |r| r.autostart != 0;
        fn network_set_autostart(net: &NetworkRef, autostart: bool) -> ()
            = NetworkSetAutostart(NetworkSetAutostartArgs {
                net: nonnull_network(net),
                autostart: i32::from(autostart),
            });
        fn network_is_active(net: &NetworkRef) -> bool
            = NetworkIsActive(NetworkIsActiveArgs {
                net: nonnull_network(net),
            }) => |r| r.active != 0;
        fn network_is_persistent(net: &NetworkRef) -> bool
            = NetworkIsPersistent(NetworkIsPersistentArgs {
                net: nonnull_network(net),
            }) => |r| r.persistent != 0;
    }

    async fn network_get_dhcp_leases(
        &self,
        net: &NetworkRef,
        mac: Option<&str>,
        flags: u32,
    ) -> Result<Vec<NetworkDhcpLease>> {
        let args = NetworkGetDhcpLeasesArgs {
            net: nonnull_network(net),
            mac: opt_string(mac)?,
            need_results: 1,
            flags,
        };
        let r = self
            .client
            .call::<calls::NetworkGetDhcpLeases>(&args)
            .await?;
        let opt = |s: rvirt_xdr::RemoteString| s.map(|s| s.as_str().to_string());
        Ok(r.leases
            .into_inner()
            .into_iter()
            .map(|l| NetworkDhcpLease {
                iface: l.iface.as_str().to_string(),
                expiry_time: l.expirytime,
                addr_type: l.r#type,
                mac: opt(l.mac),
                iaid: opt(l.iaid),
                ipaddr: l.ipaddr.as_str().to_string(),
                prefix: l.prefix,
                hostname: opt(l.hostname),
                clientid: opt(l.clientid),
            })
            .collect())
    }

    async fn connect_network_event_register_any(
        &self,
        net: Option<&NetworkRef>,
        event_id: NetworkEventID,
        callback: NetworkEventCallback,
    ) -> Result<CallbackId> {
        let args = ConnectNetworkEventRegisterAnyArgs {
            event_id: event_id.0,
            net: net.map(nonnull_network),
        };
        let r = self
            .client
            .call::<calls::ConnectNetworkEventRegisterAny>(&args)
            .await?;
        Ok(self.events.add(r.callback_id, Callback::Network(callback)))
    }

    async fn connect_network_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        let remote_id = self.events.remove(id)?;
        let args = ConnectNetworkEventDeregisterAnyArgs {
            callback_id: remote_id,
        };
        self.client
            .call::<calls::ConnectNetworkEventDeregisterAny>(&args)
            .await
    }

    one_call_methods! {
        fn network_list_all_ports(net: &NetworkRef, flags: u32) -> Vec<NetworkPortRef>
            = NetworkListAllPorts(NetworkListAllPortsArgs {
                network: nonnull_network(net),
                need_results: 1,
                flags,
            }) => |r| r.ports.into_inner().into_iter().map(port_ref).collect();
        fn network_port_lookup_by_uuid(net: &NetworkRef, uuid: &Uuid) -> NetworkPortRef
            = NetworkPortLookupByUuid(NetworkPortLookupByUuidArgs {
                network: nonnull_network(net),
                uuid: *uuid.as_bytes(),
            }) => |r| port_ref(r.port);
        fn network_port_create_xml(net: &NetworkRef, xml: &str, flags: u32) -> NetworkPortRef
            = NetworkPortCreateXml(NetworkPortCreateXmlArgs {
                network: nonnull_network(net),
                xml: string(xml)?,
                flags,
            }) => |r| port_ref(r.port);
        fn network_port_get_xml_desc(port: &NetworkPortRef, flags: u32) -> String
            = NetworkPortGetXmlDesc(NetworkPortGetXmlDescArgs {
                port: nonnull_port(port),
                flags,
            }) => |r| r.xml.as_str().to_string();
        fn network_port_get_parameters(port: &NetworkPortRef, flags: u32) -> Vec<TypedParam>
            = NetworkPortGetParameters(NetworkPortGetParametersArgs {
                port: nonnull_port(port),
                nparams: 0,
                flags,
            }) => |r| r.params .into_inner() .into_iter() .map(typed_param_from_wire) .collect();
    }

    async fn network_port_set_parameters(
        &self,
        port: &NetworkPortRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = NetworkPortSetParametersArgs {
            port: nonnull_port(port),
            params: wire_params(params)?,
            flags,
        };
        self.client
            .call::<calls::NetworkPortSetParameters>(&args)
            .await
    }

    one_call_methods! {
        fn network_port_delete(port: &NetworkPortRef, flags: u32) -> ()
            = NetworkPortDelete(NetworkPortDeleteArgs { port: nonnull_port(port), flags });
    }
}
