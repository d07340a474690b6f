//! Virtual network objects as every driver keeps them (libvirt's `virNetworkObj` and the parts
//! of `virnetworkobj.c` that do not depend on the driver): a network's live and persistent
//! definitions and its state, how a new definition is assigned to the list, and the
//! `virConnectListAllNetworks` filter.

use crate::network::NetworkRef;
use rvirt_conf::NetworkDef;
use rvirt_conf::network::update::update_section;
use rvirt_types::network::{
    ConnectListAllNetworksFlags, NetworkUpdateCommand, NetworkUpdateFlags, NetworkUpdateSection,
};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// A network object: its definitions and state.
#[derive(Clone, Debug)]
pub struct NetworkObj {
    /// The live definition (the only one of an inactive network).
    pub def: NetworkDef,
    /// The persistent definition of an active network whose configuration was changed.
    pub new_def: Option<NetworkDef>,
    /// Running.
    pub active: bool,
    /// Defined (survives a destroy).
    pub persistent: bool,
    /// Started with the host.
    pub autostart: bool,
}

impl NetworkObj {
    /// The handle of this network.
    pub fn r(&self) -> NetworkRef {
        NetworkRef {
            name: self.def.name.as_str().into(),
            uuid: self.def.uuid,
        }
    }

    /// `virNetworkObjGetPersistentDef`.
    pub fn persistent_def(&self) -> &NetworkDef {
        self.new_def.as_ref().unwrap_or(&self.def)
    }

    /// Whether the object passes every group of `virConnectListAllNetworks` `flags` (an empty
    /// group passes everything).
    pub fn matches(&self, flags: ConnectListAllNetworksFlags) -> bool {
        use ConnectListAllNetworksFlags as F;
        let group = |a: F, b: F, is_a: bool| {
            !flags.intersects(a | b) || (flags.contains(a) && is_a) || (flags.contains(b) && !is_a)
        };
        group(F::ACTIVE, F::INACTIVE, self.active)
            && group(F::PERSISTENT, F::TRANSIENT, self.persistent)
            && group(F::AUTOSTART, F::NO_AUTOSTART, self.autostart)
    }
}

fn net_err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::NETWORK, code, detail)
}

/// `virNetworkObjAssignDef`: adds `def` to `objs` or replaces the definition of the network
/// with its UUID; returns the index of its object. `live`: the definition is of a network
/// being started (`VIR_NETWORK_OBJ_LIST_ADD_LIVE | ADD_CHECK_LIVE`), else of one being
/// defined.
pub fn assign_def(objs: &mut Vec<NetworkObj>, def: NetworkDef, live: bool) -> Result<usize> {
    if let Some(i) = objs.iter().position(|o| o.def.uuid == def.uuid) {
        let o = &mut objs[i];
        if o.def.name != def.name {
            return Err(net_err(
                ErrorNumber::OPERATION_FAILED,
                format!(
                    "network '{}' is already defined with uuid {}",
                    o.def.name, o.def.uuid
                ),
            ));
        }
        if live {
            if o.active {
                return Err(net_err(
                    ErrorNumber::OPERATION_INVALID,
                    format!("network is already active as '{}'", o.def.name),
                ));
            }
            if o.persistent && o.new_def.is_none() {
                o.new_def = Some(std::mem::replace(&mut o.def, def));
            } else {
                o.def = def;
            }
        } else {
            if o.active {
                o.new_def = Some(def);
            } else {
                o.new_def = None;
                o.def = def;
            }
            o.persistent = true;
        }
        return Ok(i);
    }
    if let Some(o) = objs.iter().find(|o| o.def.name == def.name) {
        return Err(net_err(
            ErrorNumber::OPERATION_FAILED,
            format!(
                "network '{}' already exists with uuid {}",
                def.name, o.def.uuid
            ),
        ));
    }
    objs.push(NetworkObj {
        def,
        new_def: None,
        active: false,
        persistent: !live,
        autostart: false,
    });
    Ok(objs.len() - 1)
}

/// Names of the active (or inactive) networks in `objs`, at most `max`.
pub fn names(objs: &[NetworkObj], active: bool, max: i32) -> Vec<String> {
    objs.iter()
        .filter(|o| o.active == active)
        .take(max.max(0) as usize)
        .map(|o| o.def.name.clone())
        .collect()
}

/// One `virNetworkUpdate` request.
#[derive(Clone, Copy, Debug)]
pub struct Update<'a> {
    /// Add, delete, modify…
    pub command: NetworkUpdateCommand,
    /// Which part of the definition.
    pub section: NetworkUpdateSection,
    /// Which of several parents (an `<ip>`), -1 for the first that fits.
    pub parent_index: i32,
    /// The element to add, delete or put in place.
    pub xml: &'a str,
}

/// `virNetworkObjUpdate` without the store: the live and the persistent definitions `o` would
/// have after `update` (`None` for the one the flags leave alone), each made on a copy that
/// went through formatting and parsing, and whose result must format and parse again. The
/// flags default to the live definition of an active network, else the config; libvirt's
/// errors for a live change of an inactive network and a config change of a transient one.
pub fn updated_defs(
    o: &NetworkObj,
    update: Update<'_>,
    flags: NetworkUpdateFlags,
) -> Result<(Option<NetworkDef>, Option<NetworkDef>)> {
    let both = NetworkUpdateFlags::AFFECT_LIVE | NetworkUpdateFlags::AFFECT_CONFIG;
    let mut flags = flags;
    if !flags.intersects(both) {
        flags |= if o.active {
            NetworkUpdateFlags::AFFECT_LIVE
        } else {
            NetworkUpdateFlags::AFFECT_CONFIG
        };
    }
    if !o.active && flags.contains(NetworkUpdateFlags::AFFECT_LIVE) {
        return Err(net_err(
            ErrorNumber::OPERATION_INVALID,
            "network is not running",
        ));
    }
    if flags.contains(NetworkUpdateFlags::AFFECT_CONFIG) && !o.persistent {
        return Err(net_err(
            ErrorNumber::OPERATION_INVALID,
            "cannot change persistent config of a transient network",
        ));
    }
    let change = |def: &NetworkDef| -> Result<NetworkDef> {
        let mut d = NetworkDef::parse_xml(&def.format())?;
        update_section(
            &mut d,
            update.command,
            update.section,
            update.parent_index,
            update.xml,
        )?;
        NetworkDef::parse_xml(&d.format())?;
        Ok(d)
    };
    let live = if flags.contains(NetworkUpdateFlags::AFFECT_LIVE) {
        Some(change(&o.def)?)
    } else {
        None
    };
    let config = if flags.contains(NetworkUpdateFlags::AFFECT_CONFIG) {
        Some(change(o.persistent_def())?)
    } else {
        None
    };
    Ok((live, config))
}
