//! Ports of the QEMU connection's virtual networks (libvirt's `virNetworkPort`): each guest
//! interface on a network holds one, made when the interface is plugged and released when the
//! guest stops; `virNetworkPortCreateXML` makes others. A port records its owner, MAC and how
//! it is plugged (the network's bridge), and is kept in the network's state folder so that a
//! restarted driver still lists it.

use crate::QemuDriver;
use crate::netvirt::NetDirs;
use parking_lot::Mutex;
use rvirt_conf::NetworkDef;
use rvirt_conf::networkport::{NetworkPortDef, PortPlug};
use rvirt_driver::{NetworkPortRef, NetworkRef, check_flags};
use rvirt_types::network::NetworkPortCreateFlags;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::collections::HashMap;
use std::path::PathBuf;

const FROM: ErrorDomain = ErrorDomain::NETWORK;

/// The ports of every network, by network name.
#[derive(Default)]
pub(crate) struct Ports(Mutex<HashMap<String, Vec<NetworkPortDef>>>);

fn port_dir(dirs: &NetDirs, network: &str) -> PathBuf {
    dirs.state.join(network)
}

impl Ports {
    /// The ports recorded under `dirs` for the active networks `names`.
    pub(crate) fn load(dirs: &NetDirs, names: &[String]) -> Ports {
        let mut map = HashMap::new();
        for name in names {
            let ports: Vec<NetworkPortDef> = std::fs::read_dir(port_dir(dirs, name))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    NetworkPortDef::parse_xml(&text).ok()
                })
                .collect();
            if !ports.is_empty() {
                map.insert(name.clone(), ports);
            }
        }
        Ports(Mutex::new(map))
    }

    /// Records `port` on network `network`; a port not plugged yet is plugged as `plug`
    /// decides from the network's other ports (under the same lock: two ports never pick
    /// the same device for themselves). The port as recorded.
    fn add(
        &self,
        dirs: &NetDirs,
        network: &str,
        mut port: NetworkPortDef,
        plug: Option<&NetworkDef>,
    ) -> Result<NetworkPortDef> {
        let mut map = self.0.lock();
        let ports = map.entry(network.to_string()).or_default();
        if let Some(def) = plug
            && port.plug == PortPlug::None
        {
            port.plug = plug_of(def, ports)?;
        }
        // A port that does not say takes the network's isolation (libvirt's
        // networkAllocatePort).
        if let Some(def) = plug
            && port.isolated.is_none()
        {
            port.isolated = def.port_isolated;
        }
        let dir = port_dir(dirs, network);
        let path = dir.join(format!("{}.xml", port.uuid));
        std::fs::create_dir_all(&dir)
            .and_then(|()| crate::util::write_atomic(&path, port.format().as_bytes()))
            .map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot save port file '{}'", path.display()),
                    &e,
                )
            })?;
        ports.push(port.clone());
        Ok(port)
    }

    /// Forgets port `uuid` of `network`; whether there was one.
    pub(crate) fn remove(&self, dirs: &NetDirs, network: &str, uuid: &Uuid) -> bool {
        let mut map = self.0.lock();
        let Some(ports) = map.get_mut(network) else {
            return false;
        };
        let before = ports.len();
        ports.retain(|p| p.uuid != *uuid);
        let _ = std::fs::remove_file(port_dir(dirs, network).join(format!("{uuid}.xml")));
        before != ports.len()
    }

    /// Forgets every port of `network` (it stopped).
    pub(crate) fn remove_all(&self, dirs: &NetDirs, network: &str) {
        self.0.lock().remove(network);
        let _ = std::fs::remove_dir_all(port_dir(dirs, network));
    }

    /// The ports of `network`.
    pub(crate) fn list(&self, network: &str) -> Vec<NetworkPortDef> {
        self.0.lock().get(network).cloned().unwrap_or_default()
    }
}

fn no_port(uuid: &Uuid) -> Error {
    Error::with_detail(
        FROM,
        ErrorNumber::NO_NETWORK_PORT,
        format!("Network port with UUID {uuid} does not exist"),
    )
}

/// How many of `ports` are macvtaps on host device `dev`.
pub(crate) fn direct_connections(ports: &[NetworkPortDef], dev: &str) -> usize {
    ports
        .iter()
        .filter(|p| matches!(&p.plug, PortPlug::Direct { dev: d, .. } if d == dev))
        .count()
}

/// How a new port on `def` (whose ports are `ports`) is plugged, as libvirt's
/// `networkAllocatePort` decides it: into the network's own bridge (`network`), a host bridge
/// (`bridge`), or a macvtap in the network's mode on one of its devices: the least used one,
/// or (passthrough) one no port uses.
pub(crate) fn plug_of(def: &NetworkDef, ports: &[NetworkPortDef]) -> Result<PortPlug> {
    let mode = def.forward_mode();
    let macvtap_mode = match (mode, def.bridge.clone()) {
        ("none" | "nat" | "route" | "open", Some(bridge)) | ("bridge", Some(bridge)) => {
            return Ok(PortPlug::Bridge {
                network: mode != "bridge",
                bridge,
                mac_table_manager: None,
            });
        }
        ("bridge", None) => "bridge",
        ("private", _) => "private",
        ("vepa", _) => "vepa",
        ("passthrough", _) => "passthrough",
        _ => {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!(
                    "network '{}' with forward mode '{mode}' cannot hold ports in rvirt's QEMU \
                     driver yet",
                    def.name
                ),
            ));
        }
    };
    let devs: Vec<&str> = (def.forward.iter().flat_map(|f| &f.ifs))
        .filter_map(|i| match i {
            rvirt_conf::network::ForwardIf::Netdev(d) => Some(d.as_str()),
            rvirt_conf::network::ForwardIf::Pci(_) => None,
        })
        .collect();
    if devs.is_empty() {
        return Err(Error::internal(
            FROM,
            format!(
                "network '{}' uses a direct mode, but has no forward dev and no interface pool",
                def.name
            ),
        ));
    }
    let used = |d: &str| direct_connections(ports, d);
    let dev = if macvtap_mode == "passthrough" {
        devs.iter().find(|d| used(d) == 0)
    } else {
        // The first of the least used.
        devs.iter().min_by_key(|d| used(d))
    };
    let Some(dev) = dev else {
        return Err(Error::internal(
            FROM,
            format!(
                "network '{}' requires exclusive access to interfaces, but none are available",
                def.name
            ),
        ));
    };
    Ok(PortPlug::Direct {
        dev: dev.to_string(),
        mode: macvtap_mode,
    })
}

impl QemuDriver {
    /// The network of a port handle, active, with its definition.
    fn active_network(&self, net: &NetworkRef) -> Result<NetworkDef> {
        let (def, active) = self.network_state(net)?;
        if !active {
            return Err(Error::operation_invalid(
                FROM,
                format!("network '{}' is not active", def.name),
            ));
        }
        Ok(def)
    }

    /// Makes the port of a guest interface on network `def` (libvirt's `networkAllocatePort`).
    pub(crate) fn allocate_port(
        &self,
        def: &NetworkDef,
        port: NetworkPortDef,
    ) -> Result<NetworkPortDef> {
        self.networks
            .ports
            .add(&self.networks.dirs, &def.name, port, Some(def))
    }

    /// Releases port `uuid` of network `network`, if it holds one (a guest stopped).
    pub(crate) fn release_port(&self, network: &str, uuid: &Uuid) {
        self.networks
            .ports
            .remove(&self.networks.dirs, network, uuid);
    }

    pub(crate) fn list_ports(&self, net: &NetworkRef, flags: u32) -> Result<Vec<NetworkPortRef>> {
        check_flags(FROM, "networkListAllPorts", flags, 0)?;
        let def = self.active_network(net)?;
        Ok(self
            .networks
            .ports
            .list(&def.name)
            .iter()
            .map(|p| NetworkPortRef {
                net: net.clone(),
                uuid: p.uuid,
            })
            .collect())
    }

    pub(crate) fn port_def(&self, port: &NetworkPortRef) -> Result<NetworkPortDef> {
        let def = self.active_network(&port.net)?;
        self.networks
            .ports
            .list(&def.name)
            .into_iter()
            .find(|p| p.uuid == port.uuid)
            .ok_or_else(|| no_port(&port.uuid))
    }

    pub(crate) fn create_port(
        &self,
        net: &NetworkRef,
        xml: &str,
        flags: u32,
    ) -> Result<NetworkPortRef> {
        check_flags(
            FROM,
            "networkPortCreateXML",
            flags,
            NetworkPortCreateFlags::all().bits(),
        )?;
        let port = NetworkPortDef::parse_xml(xml)?;
        let def = self.active_network(net)?;
        let reclaim = flags & NetworkPortCreateFlags::RECLAIM.bits() != 0;
        match (&port.plug, reclaim) {
            (PortPlug::None, true) => {
                return Err(Error::invalid_arg(
                    FROM,
                    "Port reclaim requested but plug type is none",
                ));
            }
            (PortPlug::None, false) => {}
            (_, false) => {
                return Err(Error::invalid_arg(
                    FROM,
                    "Port reclaim not requested but plug type is not none",
                ));
            }
            (_, true) => {}
        }
        if self
            .networks
            .ports
            .list(&def.name)
            .iter()
            .any(|p| p.uuid == port.uuid)
        {
            return Err(Error::operation_invalid(
                FROM,
                format!("Network port with UUID {} already exists", port.uuid),
            ));
        }
        let port = if reclaim {
            self.networks
                .ports
                .add(&self.networks.dirs, &def.name, port, None)?
        } else {
            self.allocate_port(&def, port)?
        };
        Ok(NetworkPortRef {
            net: net.clone(),
            uuid: port.uuid,
        })
    }

    pub(crate) fn delete_port(&self, port: &NetworkPortRef, flags: u32) -> Result<()> {
        check_flags(FROM, "networkPortDelete", flags, 0)?;
        let def = self.active_network(&port.net)?;
        if !self
            .networks
            .ports
            .remove(&self.networks.dirs, &def.name, &port.uuid)
        {
            return Err(no_port(&port.uuid));
        }
        Ok(())
    }
}
