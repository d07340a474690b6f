//! Virtual networks of a QEMU connection, with the semantics of libvirt's bridge driver:
//! persistent definitions (one file each, written atomically) with autostart links, transient
//! networks, bridge names (`virbrN`) and MACs assigned when a network is defined, status files
//! of active networks so that a restarted driver finds them, lifecycle events, live and
//! config updates, and DHCP leases. Starting an isolated, nat, route or open network builds it
//! on the host (see `netvirt`); a `bridge` network names a host bridge that exists already.
//! Guests' `<interface type='network'>` resolve to a tap device on the network's bridge.

use crate::netvirt::{self, NetDirs};
use crate::{QemuDriver, util};
use parking_lot::Mutex;
use rvirt_conf::NetworkDef;
use rvirt_conf::networkport::PortPlug;
use rvirt_driver::network::{NetworkEventBus, NetworkEventCallback};
use rvirt_driver::network_obj::{self, NetworkObj};
use rvirt_driver::{CallbackId, NetworkDriver, NetworkEvent, NetworkRef, check_flags};
use rvirt_types::network::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::path::{Path, PathBuf};

const FROM: ErrorDomain = ErrorDomain::NETWORK;

fn err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, code, detail)
}

/// `VIR_ERR_NO_NETWORK` for a network name the driver does not know.
fn no_network(name: &str) -> Error {
    err(
        ErrorNumber::NO_NETWORK,
        format!("no network with matching name '{name}'"),
    )
}

/// The virtual networks of one driver.
pub(crate) struct Networks {
    pub(crate) dirs: NetDirs,
    objs: Mutex<Vec<NetworkObj>>,
    events: NetworkEventBus,
    /// The ports of the active networks.
    pub(crate) ports: crate::netport::Ports,
}

fn config_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.xml"))
}

/// Writes `def` as `NAME.xml` in `dir`, atomically; `what` names the file in the error.
fn save_network_file(dir: &Path, def: &NetworkDef, what: &str) -> Result<()> {
    let path = config_file(dir, &def.name);
    std::fs::create_dir_all(dir)
        .and_then(|()| util::write_atomic(&path, def.format().as_bytes()))
        .map_err(|e| {
            Error::system(
                FROM,
                format!("cannot save {what} file '{}'", path.display()),
                &e,
            )
        })
}

/// Whether libvirt builds the network on the host itself (a bridge of its own).
fn is_virtual(def: &NetworkDef) -> bool {
    def.has_bridge_mode()
}

impl Networks {
    /// The networks under `dirs`: the persistent configs, their autostart links, and the
    /// status files of those still active (a virtual network whose bridge is gone is not).
    pub(crate) fn load(dirs: NetDirs) -> Networks {
        let mut objs = Vec::new();
        let parse = |p: &Path| {
            std::fs::read_to_string(p)
                .ok()
                .and_then(|t| NetworkDef::parse_xml(&t).ok())
        };
        for e in std::fs::read_dir(&dirs.config)
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "xml") || !path.is_file() {
                continue;
            }
            let Some(def) = parse(&path) else { continue };
            if let Ok(i) = network_obj::assign_def(&mut objs, def, false) {
                let name = objs[i].def.name.clone();
                objs[i].autostart = config_file(&dirs.autostart, &name).exists();
            }
        }
        for e in std::fs::read_dir(&dirs.state)
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "xml") {
                continue;
            }
            let Some(live) = parse(&path) else { continue };
            let running = if is_virtual(&live) {
                live.bridge.as_deref().is_some_and(crate::tap::exists)
            } else {
                true
            };
            if !running {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            if let Ok(i) = network_obj::assign_def(&mut objs, live, true) {
                objs[i].active = true;
            }
        }
        let active: Vec<String> = objs
            .iter()
            .filter(|o| o.active)
            .map(|o| o.def.name.clone())
            .collect();
        Networks {
            ports: crate::netport::Ports::load(&dirs, &active),
            dirs,
            objs: Mutex::new(objs),
            events: NetworkEventBus::default(),
        }
    }

    fn emit(&self, net: NetworkRef, event: NetworkEventLifecycleType) {
        self.events.emit(&NetworkEvent::lifecycle(net, event));
    }
}

/// `networkObjFromNetwork`: the object behind a handle, by UUID.
fn index_of(objs: &[NetworkObj], net: &NetworkRef) -> Result<usize> {
    objs.iter()
        .position(|o| o.def.uuid == net.uuid)
        .ok_or_else(|| {
            err(
                ErrorNumber::NO_NETWORK,
                format!(
                    "no network with matching uuid '{}' ({})",
                    net.uuid, net.name
                ),
            )
        })
}

impl QemuDriver {
    fn save_network_config(&self, def: &NetworkDef) -> Result<()> {
        save_network_file(&self.networks.dirs.config, def, "config")
    }

    fn save_network_status(&self, def: &NetworkDef) -> Result<()> {
        save_network_file(&self.networks.dirs.state, def, "status")
    }

    /// `networkValidate`: a bridge name (the first free `virbrN`, or the template's) and a
    /// MAC for the networks libvirt builds; no host-side settings for the others.
    fn validate_network(&self, objs: &[NetworkObj], def: &mut NetworkDef) -> Result<()> {
        if def.name.contains('\n') {
            return Err(Error::with_detail(
                ErrorDomain::XML,
                ErrorNumber::XML_DETAIL,
                format!("invalid name '{}': contains forbidden characters", def.name),
            ));
        }
        let mode = def.forward_mode().to_string();
        if is_virtual(def) {
            let in_use = |name: &str| {
                objs.iter().any(|o| {
                    o.def.name != def.name
                        && (o.def.bridge.as_deref() == Some(name)
                            || o.new_def.as_ref().and_then(|d| d.bridge.as_deref()) == Some(name))
                })
            };
            match def.bridge.clone() {
                Some(b) if !b.contains("%d") => {
                    if in_use(&b) {
                        return Err(err(
                            ErrorNumber::INTERNAL_ERROR,
                            format!("bridge name '{b}' already in use."),
                        ));
                    }
                }
                template => {
                    let templ = template
                        .filter(|t| t.matches('%').count() == 1)
                        .unwrap_or_else(|| "virbr%d".into());
                    let name = (0..=256)
                        .map(|i| templ.replacen("%d", &i.to_string(), 1))
                        .find(|n| !in_use(n) && !crate::tap::exists(n))
                        .ok_or_else(|| {
                            err(
                                ErrorNumber::INTERNAL_ERROR,
                                "Bridge generation exceeded max id 256",
                            )
                        })?;
                    def.bridge = Some(name);
                }
            }
            if def.mac.is_none() {
                def.mac = rvirt_conf::domain::parse_mac(&rvirt_conf::domain::generate_mac());
            }
            return Ok(());
        }
        let refuse = |what: &str| {
            err(
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!(
                    "Unsupported {what} element in network {} with forward mode='{mode}'",
                    def.name
                ),
            )
        };
        if def.mac.is_some() {
            return Err(refuse("<mac>"));
        }
        if !def.ips.is_empty() {
            return Err(refuse("<ip>"));
        }
        if !def.dns.txts.is_empty() || !def.dns.hosts.is_empty() || !def.dns.srvs.is_empty() {
            return Err(refuse("<dns>"));
        }
        if def.domain.is_some() {
            return Err(refuse("<domain>"));
        }
        Ok(())
    }

    /// `networkStartNetwork` for the object at `i` (its lock held by the caller).
    fn start_network(&self, o: &mut NetworkObj) -> Result<()> {
        if o.active {
            return Err(err(
                ErrorNumber::OPERATION_INVALID,
                "network is already active",
            ));
        }
        let def = o.def.clone();
        match def.forward_mode() {
            "none" | "nat" | "route" | "open" => netvirt::start(&def, &self.networks.dirs)?,
            "bridge" if def.bridge.is_some() => {}
            // macvtap networks: the host's devices exist already; a port picks one.
            "bridge" | "private" | "vepa" | "passthrough"
                if def.forward.as_ref().is_none_or(|f| f.pf.is_none()) => {}
            mode => {
                return Err(err(
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!(
                        "network '{}' with forward mode '{mode}' is not supported by rvirt's \
                         QEMU driver yet",
                        def.name
                    ),
                ));
            }
        }
        if let Err(e) = self.save_network_status(&def) {
            if is_virtual(&def) {
                netvirt::stop(&def, &self.networks.dirs);
            }
            return Err(e);
        }
        if o.persistent && o.new_def.is_none() {
            o.new_def = Some(def);
        }
        o.active = true;
        Ok(())
    }

    /// `networkShutdownNetwork` and what `virNetworkObjUnsetDefTransient` does after it.
    fn stop_network(&self, o: &mut NetworkObj) {
        if is_virtual(&o.def) {
            netvirt::stop(&o.def, &self.networks.dirs);
        }
        self.networks
            .ports
            .remove_all(&self.networks.dirs, &o.def.name);
        let _ = std::fs::remove_file(config_file(&self.networks.dirs.state, &o.def.name));
        o.active = false;
        if let Some(d) = o.new_def.take() {
            o.def = d;
        }
    }

    /// The address a graphics console with a listen on network `name` listens on, as
    /// libvirt's `qemuProcessGetNetworkAddress` finds it: the network's first `<ip>` for the
    /// routed kinds (none, nat, route, open), else the first address of its bridge or of the
    /// first device of its forward pool.
    pub(crate) fn graphics_network_address(&self, name: &str) -> Result<String> {
        let dev = {
            let objs = self.networks.objs.lock();
            let o = objs
                .iter()
                .find(|o| o.def.name == name)
                .ok_or_else(|| no_network(name))?;
            let def = &o.def;
            match def.forward_mode() {
                "none" | "nat" | "route" | "open" => {
                    return def
                        .ips
                        .first()
                        .map(|ip| ip.address.to_string())
                        .ok_or_else(|| {
                            Error::internal(
                                ErrorDomain::QEMU,
                                format!("network '{name}' doesn't have an IP address"),
                            )
                        });
                }
                "bridge" if def.bridge.is_some() => def.bridge.clone(),
                _ => def
                    .forward
                    .as_ref()
                    .and_then(|f| f.ifs.first())
                    .and_then(|i| match i {
                        rvirt_conf::network::ForwardIf::Netdev(d) => Some(d.clone()),
                        rvirt_conf::network::ForwardIf::Pci(_) => None,
                    }),
            }
        };
        let dev = dev.ok_or_else(|| {
            Error::internal(
                ErrorDomain::QEMU,
                format!("network '{name}' has no associated interface or bridge"),
            )
        })?;
        Ok(crate::graphics::interface_address(&dev)?.to_string())
    }

    /// Points a guest's `<interface type='network'>` at its network: the network must be
    /// active; the interface gets a port id and the network's bridge in its `<source>`, as
    /// libvirt's live XML shows them, and then runs as a bridged tap.
    pub(crate) fn resolve_network_interface(
        &self,
        n: &mut rvirt_conf::domain::NetDef,
        owner: (&str, Uuid),
    ) -> Result<()> {
        if n.net_type != "network" {
            return Ok(());
        }
        let name = n.source_attr("network").unwrap_or_default().to_string();
        let objs = self.networks.objs.lock();
        let o = objs
            .iter()
            .find(|o| o.def.name == name)
            .ok_or_else(|| no_network(&name))?;
        if !o.active {
            return Err(err(
                ErrorNumber::OPERATION_INVALID,
                format!("network '{name}' is not active"),
            ));
        }
        let def = o.def.clone();
        drop(objs);
        let group = n.source_attr("portgroup").map(str::to_string);
        let port = self.allocate_port(
            &def,
            rvirt_conf::networkport::NetworkPortDef {
                uuid: Uuid::generate(),
                owner_name: owner.0.to_string(),
                owner_uuid: owner.1,
                group,
                mac: rvirt_conf::domain::parse_mac(&n.mac).unwrap_or_default(),
                virtualport: None,
                bandwidth: None,
                class_id: 0,
                vlan: None,
                isolated: n.port_isolated(),
                trust_guest_rx_filters: None,
                plug: rvirt_conf::networkport::PortPlug::None,
            },
        )?;
        n.source.retain(|(k, _)| k == "network" || k == "portgroup");
        n.source.push(("portid".into(), port.uuid.to_string()));
        n.network_port_isolated = port.isolated;
        // What libvirt's live XML shows: the network's bridge, a host bridge, or a macvtap's
        // device and mode.
        match port.plug {
            PortPlug::Bridge {
                network, bridge, ..
            } => {
                n.actual_type = (!network).then(|| "bridge".into());
                n.source.push(("bridge".into(), bridge));
            }
            PortPlug::Direct { dev, mode } => {
                n.actual_type = Some("direct".into());
                n.source.push(("dev".into(), dev));
                n.source.push(("mode".into(), mode.into()));
            }
            PortPlug::None | PortPlug::HostdevPci { .. } => {
                self.release_port(&name, &port.uuid);
                return Err(err(
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!(
                        "interfaces on network '{name}' (forward mode '{}') are not supported \
                         by rvirt's QEMU driver yet",
                        def.forward_mode()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Releases the port a guest interface on a network holds (the guest stopped, or the
    /// interface was unplugged).
    pub(crate) fn release_network_interface(&self, n: &rvirt_conf::domain::NetDef) {
        if n.net_type != "network" {
            return;
        }
        if let (Some(net), Some(Ok(uuid))) = (
            n.source_attr("network"),
            n.source_attr("portid").map(str::parse),
        ) {
            self.release_port(net, &uuid);
        }
    }

    /// The live definition of network `net` and whether it is active.
    pub(crate) fn network_state(&self, net: &NetworkRef) -> Result<(NetworkDef, bool)> {
        self.net_obj(net, |objs, i| Ok((objs[i].def.clone(), objs[i].active)))
    }

    fn net_obj<T>(
        &self,
        net: &NetworkRef,
        f: impl FnOnce(&mut Vec<NetworkObj>, usize) -> Result<T>,
    ) -> Result<T> {
        let mut objs = self.networks.objs.lock();
        let i = index_of(&objs, net)?;
        f(&mut objs, i)
    }
}

/// The live XML of a network with `n` ports in use: `connections='N'` on `<network>`, after
/// any namespace declaration and before `ipv6` and `trustGuestRxFilters`, as libvirt puts it.
fn with_connections(xml: String, n: usize) -> String {
    if n == 0 {
        return xml;
    }
    let tag_end = xml.find('>').unwrap_or(0);
    let at = [" ipv6=", " trustGuestRxFilters="]
        .iter()
        .filter_map(|a| xml[..tag_end].find(a))
        .min()
        .unwrap_or(tag_end);
    let mut out = xml;
    out.insert_str(at, &format!(" connections='{n}'"));
    out
}

/// dnsmasq's lease file: `EXPIRY MAC IP HOSTNAME CLIENTID` per line (`*` for none).
pub(crate) fn parse_leases(text: &str, iface: &str, prefix: u32) -> Vec<NetworkDhcpLease> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let opt = |i: usize| f.get(i).filter(|s| **s != "*").map(|s| s.to_string());
            if f.len() < 3 || f[0] == "duid" {
                return None;
            }
            Some(NetworkDhcpLease {
                iface: iface.to_string(),
                expiry_time: f[0].parse().ok()?,
                addr_type: if f[2].contains(':') { 1 } else { 0 },
                mac: Some(f[1].to_string()),
                iaid: None,
                ipaddr: f[2].to_string(),
                prefix,
                hostname: opt(3),
                clientid: opt(4),
            })
        })
        .collect()
}

impl NetworkDriver for QemuDriver {
    async fn connect_list_all_networks(
        &self,
        flags: ConnectListAllNetworksFlags,
    ) -> Result<Vec<NetworkRef>> {
        check_flags(
            FROM,
            "networkConnectListAllNetworks",
            flags.bits(),
            ConnectListAllNetworksFlags::all().bits(),
        )?;
        Ok(self
            .networks
            .objs
            .lock()
            .iter()
            .filter(|o| o.matches(flags))
            .map(NetworkObj::r)
            .collect())
    }

    async fn connect_num_of_networks(&self) -> Result<i32> {
        Ok(self
            .networks
            .objs
            .lock()
            .iter()
            .filter(|o| o.active)
            .count() as i32)
    }

    async fn connect_list_networks(&self, max: i32) -> Result<Vec<String>> {
        Ok(network_obj::names(&self.networks.objs.lock(), true, max))
    }

    async fn connect_num_of_defined_networks(&self) -> Result<i32> {
        Ok(self
            .networks
            .objs
            .lock()
            .iter()
            .filter(|o| !o.active)
            .count() as i32)
    }

    async fn connect_list_defined_networks(&self, max: i32) -> Result<Vec<String>> {
        Ok(network_obj::names(&self.networks.objs.lock(), false, max))
    }

    async fn network_lookup_by_name(&self, name: &str) -> Result<NetworkRef> {
        self.networks
            .objs
            .lock()
            .iter()
            .find(|o| o.def.name == name)
            .map(NetworkObj::r)
            .ok_or_else(|| {
                err(
                    ErrorNumber::NO_NETWORK,
                    format!("no network with matching name '{name}'"),
                )
            })
    }

    async fn network_lookup_by_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        self.networks
            .objs
            .lock()
            .iter()
            .find(|o| o.def.uuid == *uuid)
            .map(NetworkObj::r)
            .ok_or_else(|| {
                err(
                    ErrorNumber::NO_NETWORK,
                    format!("no network with matching uuid '{uuid}'"),
                )
            })
    }

    async fn network_create_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        check_flags(
            FROM,
            "networkCreateXMLFlags",
            flags,
            NetworkCreateFlags::VALIDATE.bits(),
        )?;
        let mut def = NetworkDef::parse_xml(xml)?;
        let r = {
            let mut objs = self.networks.objs.lock();
            self.validate_network(&objs, &mut def)?;
            let i = network_obj::assign_def(&mut objs, def, true)?;
            if let Err(e) = self.start_network(&mut objs[i]) {
                if !objs[i].persistent {
                    objs.remove(i);
                }
                return Err(e);
            }
            objs[i].r()
        };
        self.networks
            .emit(r.clone(), NetworkEventLifecycleType::STARTED);
        Ok(r)
    }

    async fn network_define_xml(&self, xml: &str, flags: u32) -> Result<NetworkRef> {
        check_flags(
            FROM,
            "networkDefineXMLFlags",
            flags,
            NetworkDefineFlags::VALIDATE.bits(),
        )?;
        let mut def = NetworkDef::parse_xml(xml)?;
        let r = {
            let mut objs = self.networks.objs.lock();
            self.validate_network(&objs, &mut def)?;
            let before = objs.clone();
            let i = network_obj::assign_def(&mut objs, def.clone(), false)?;
            if let Err(e) = self.save_network_config(&def) {
                // The object goes back to what it was: nothing half-defined.
                *objs = before;
                return Err(e);
            }
            objs[i].r()
        };
        self.networks
            .emit(r.clone(), NetworkEventLifecycleType::DEFINED);
        Ok(r)
    }

    async fn network_undefine(&self, net: &NetworkRef) -> Result<()> {
        let r = self.net_obj(net, |objs, i| {
            if !objs[i].persistent {
                return Err(err(
                    ErrorNumber::OPERATION_INVALID,
                    "can't undefine transient network",
                ));
            }
            let name = objs[i].def.name.clone();
            let path = config_file(&self.networks.dirs.config, &name);
            util::remove_durably(&path).map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot remove config file '{}'", path.display()),
                    &e,
                )
            })?;
            let _ = std::fs::remove_file(config_file(&self.networks.dirs.autostart, &name));
            let r = objs[i].r();
            if objs[i].active {
                objs[i].persistent = false;
                objs[i].autostart = false;
                objs[i].new_def = None;
            } else {
                objs.remove(i);
            }
            Ok(r)
        })?;
        self.networks.emit(r, NetworkEventLifecycleType::UNDEFINED);
        Ok(())
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
        let both = NetworkUpdateFlags::AFFECT_LIVE | NetworkUpdateFlags::AFFECT_CONFIG;
        check_flags(FROM, "networkUpdate", flags, both.bits())?;
        let flags = NetworkUpdateFlags::from_bits_retain(flags);
        let update = network_obj::Update {
            command,
            section,
            parent_index,
            xml,
        };
        self.net_obj(net, |objs, i| {
            let o = &mut objs[i];
            let (live, config) = network_obj::updated_defs(o, update, flags)?;
            if let Some(c) = config {
                self.save_network_config(&c)?;
                if o.active {
                    o.new_def = Some(c);
                } else {
                    o.def = c;
                }
            }
            if let Some(l) = live {
                // The DHCP and DNS data live in dnsmasq: it restarts with the new definition.
                if is_virtual(&l) && !l.ips.is_empty() {
                    netvirt::restart_dnsmasq(&l, &self.networks.dirs)?;
                }
                self.save_network_status(&l)?;
                o.def = l;
            }
            Ok(())
        })
    }

    async fn network_create(&self, net: &NetworkRef) -> Result<()> {
        let r = self.net_obj(net, |objs, i| {
            self.start_network(&mut objs[i])?;
            Ok(objs[i].r())
        })?;
        self.networks.emit(r, NetworkEventLifecycleType::STARTED);
        Ok(())
    }

    async fn network_destroy(&self, net: &NetworkRef) -> Result<()> {
        let r = self.net_obj(net, |objs, i| {
            if !objs[i].active {
                return Err(err(
                    ErrorNumber::OPERATION_INVALID,
                    format!("network '{}' is not active", objs[i].def.name),
                ));
            }
            self.stop_network(&mut objs[i]);
            let r = objs[i].r();
            if !objs[i].persistent {
                objs.remove(i);
            }
            Ok(r)
        })?;
        self.networks.emit(r, NetworkEventLifecycleType::STOPPED);
        Ok(())
    }

    async fn network_get_xml_desc(&self, net: &NetworkRef, flags: u32) -> Result<String> {
        check_flags(
            FROM,
            "networkGetXMLDesc",
            flags,
            NetworkXMLFlags::INACTIVE.bits(),
        )?;
        let inactive = flags & NetworkXMLFlags::INACTIVE.bits() != 0;
        let (xml, connections) = self.net_obj(net, |objs, i| {
            let o = &objs[i];
            Ok(match &o.new_def {
                Some(d) if inactive => (d.format(), 0),
                _ if inactive || !o.active => (o.def.format(), 0),
                _ => {
                    // The ports' connections, counted on the network and on each device.
                    let ports = self.networks.ports.list(&o.def.name);
                    let xml = o.def.format_with_connections(&|dev| {
                        crate::netport::direct_connections(&ports, dev)
                    });
                    (xml, ports.len())
                }
            })
        })?;
        Ok(with_connections(xml, connections))
    }

    async fn network_get_bridge_name(&self, net: &NetworkRef) -> Result<String> {
        self.net_obj(net, |objs, i| {
            let def = &objs[i].def;
            def.bridge.clone().ok_or_else(|| {
                err(
                    ErrorNumber::INTERNAL_ERROR,
                    format!("network '{}' does not have a bridge name.", def.name),
                )
            })
        })
    }

    async fn network_get_autostart(&self, net: &NetworkRef) -> Result<bool> {
        self.net_obj(net, |objs, i| Ok(objs[i].autostart))
    }

    async fn network_set_autostart(&self, net: &NetworkRef, autostart: bool) -> Result<()> {
        self.net_obj(net, |objs, i| {
            let o = &mut objs[i];
            if !o.persistent {
                return Err(err(
                    ErrorNumber::OPERATION_INVALID,
                    "cannot set autostart for transient network",
                ));
            }
            if o.autostart == autostart {
                return Ok(());
            }
            let dirs = &self.networks.dirs;
            let link = config_file(&dirs.autostart, &o.def.name);
            let target = config_file(&dirs.config, &o.def.name);
            if autostart {
                std::fs::create_dir_all(&dirs.autostart).map_err(|e| {
                    Error::system(
                        FROM,
                        format!(
                            "cannot create autostart directory '{}'",
                            dirs.autostart.display()
                        ),
                        &e,
                    )
                })?;
                std::os::unix::fs::symlink(&target, &link).map_err(|e| {
                    Error::system(
                        FROM,
                        format!(
                            "Failed to create symlink '{}' to '{}'",
                            link.display(),
                            target.display()
                        ),
                        &e,
                    )
                })?;
            } else if let Err(e) = std::fs::remove_file(&link)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                return Err(Error::system(
                    FROM,
                    format!("Failed to delete symlink '{}'", link.display()),
                    &e,
                ));
            }
            o.autostart = autostart;
            Ok(())
        })
    }

    async fn network_is_active(&self, net: &NetworkRef) -> Result<bool> {
        self.net_obj(net, |objs, i| Ok(objs[i].active))
    }

    async fn network_is_persistent(&self, net: &NetworkRef) -> Result<bool> {
        self.net_obj(net, |objs, i| Ok(objs[i].persistent))
    }

    async fn network_get_dhcp_leases(
        &self,
        net: &NetworkRef,
        mac: Option<&str>,
        flags: u32,
    ) -> Result<Vec<NetworkDhcpLease>> {
        check_flags(FROM, "networkGetDHCPLeases", flags, 0)?;
        let (def, active) =
            self.net_obj(net, |objs, i| Ok((objs[i].def.clone(), objs[i].active)))?;
        Ok(self.current_leases(&def, active, mac))
    }

    async fn network_list_all_ports(
        &self,
        net: &NetworkRef,
        flags: u32,
    ) -> Result<Vec<rvirt_driver::NetworkPortRef>> {
        self.list_ports(net, flags)
    }

    async fn network_port_lookup_by_uuid(
        &self,
        net: &NetworkRef,
        uuid: &Uuid,
    ) -> Result<rvirt_driver::NetworkPortRef> {
        let port = rvirt_driver::NetworkPortRef {
            net: net.clone(),
            uuid: *uuid,
        };
        self.port_def(&port)?;
        Ok(port)
    }

    async fn network_port_create_xml(
        &self,
        net: &NetworkRef,
        xml: &str,
        flags: u32,
    ) -> Result<rvirt_driver::NetworkPortRef> {
        self.create_port(net, xml, flags)
    }

    async fn network_port_get_xml_desc(
        &self,
        port: &rvirt_driver::NetworkPortRef,
        flags: u32,
    ) -> Result<String> {
        check_flags(FROM, "networkPortGetXMLDesc", flags, 0)?;
        Ok(self.port_def(port)?.format())
    }

    async fn network_port_delete(
        &self,
        port: &rvirt_driver::NetworkPortRef,
        flags: u32,
    ) -> Result<()> {
        self.delete_port(port, flags)
    }

    async fn connect_network_event_register_any(
        &self,
        net: Option<&NetworkRef>,
        event_id: NetworkEventID,
        callback: NetworkEventCallback,
    ) -> Result<CallbackId> {
        let id = self.events.allocate_id();
        self.networks
            .events
            .register(id, net.map(|n| n.uuid), event_id, callback)?;
        Ok(id)
    }

    async fn connect_network_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.networks.events.deregister(id)
    }
}

impl QemuDriver {
    /// The current leases of MAC `mac` on active network `name` (libvirt's
    /// `virDomainNetDHCPInterfaces` asks the network driver the same).
    pub(crate) fn leases_of(&self, name: &str, mac: &str) -> Result<Vec<NetworkDhcpLease>> {
        let found = self
            .networks
            .objs
            .lock()
            .iter()
            .find(|o| o.def.name == name)
            .map(|o| (o.def.clone(), o.active));
        let (def, active) = found.ok_or_else(|| {
            err(
                ErrorNumber::NO_NETWORK,
                format!("no network with matching name '{name}'"),
            )
        })?;
        Ok(self.current_leases(&def, active, Some(mac)))
    }

    /// The unexpired leases dnsmasq recorded for `def` (of `mac` only, if given).
    fn current_leases(
        &self,
        def: &NetworkDef,
        active: bool,
        mac: Option<&str>,
    ) -> Vec<NetworkDhcpLease> {
        if !active {
            return Vec::new();
        }
        let text =
            std::fs::read_to_string(self.networks.dirs.lease_file(&def.name)).unwrap_or_default();
        let prefix = def
            .ips
            .iter()
            .find(|i| i.address.is_ipv4())
            .map_or(0, |i| i.effective_prefix().max(0) as u32);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        parse_leases(&text, def.bridge.as_deref().unwrap_or_default(), prefix)
            .into_iter()
            .filter(|l| l.expiry_time == 0 || l.expiry_time > now)
            .filter(|l| {
                mac.is_none_or(|m| l.mac.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(m)))
            })
            .collect()
    }

    /// Starts the networks marked autostart that are not running, as libvirt's network driver
    /// does when it starts; one that fails is left inactive.
    pub(crate) fn autostart_networks(&self) {
        let mut started = Vec::new();
        {
            let mut objs = self.networks.objs.lock();
            for o in objs.iter_mut().filter(|o| o.autostart && !o.active) {
                if self.start_network(o).is_ok() {
                    started.push(o.r());
                }
            }
        }
        for r in started {
            self.networks.emit(r, NetworkEventLifecycleType::STARTED);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn connections_go_where_libvirt_puts_them() {
        use super::with_connections;
        assert_eq!(
            with_connections("<network>\n  <name>n</name>".into(), 2),
            "<network connections='2'>\n  <name>n</name>"
        );
        assert_eq!(
            with_connections("<network ipv6='yes'>".into(), 1),
            "<network connections='1' ipv6='yes'>"
        );
        assert_eq!(with_connections("<network>".into(), 0), "<network>");
    }

    #[test]
    fn dnsmasq_leases() {
        let l = super::parse_leases(
            "1732300000 52:54:00:aa:bb:01 192.168.122.57 guest01 01:52:54:00:aa:bb:01\n\
             1732300100 52:54:00:aa:bb:02 192.168.122.58 * *\nduid 00:01\n",
            "virbr0",
            24,
        );
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].hostname.as_deref(), Some("guest01"));
        assert_eq!(
            (l[1].hostname.as_deref(), l[1].clientid.as_deref()),
            (None, None)
        );
        assert_eq!(
            (l[1].ipaddr.as_str(), l[1].prefix, l[1].addr_type),
            ("192.168.122.58", 24, 0)
        );
    }
}
