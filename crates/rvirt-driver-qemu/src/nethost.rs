//! The host side of a guest's tap-based interfaces, made before QEMU starts (or before a live
//! attach), as libvirt's `qemuInterfaceBridgeConnect` and `qemuInterfaceEthernetConnect` make
//! it:
//! - `<interface type='bridge'>`: a new tap device (`vnetN` unless the definition names one),
//!   its MAC the guest's with the first byte `fe` (`fa` if the guest's is `fe`) so the bridge
//!   neither takes it as its own nor sees the guest's address coming back, the bridge's MTU
//!   (or the `<mtu>` asked for), a port of the bridge, up;
//! - `<interface type='ethernet'>`: the same tap without a bridge, or with `<target
//!   managed='no'>` the user's own existing tap device, opened as it is.
//!
//! - `<interface type='direct'>`: a macvtap link on a host device (`crate::macvtap`).
//!
//! QEMU inherits the tap's descriptors (one per queue); the device, not persistent, goes
//! away when QEMU closes them (a macvtap link is deleted when the guest stops). The name goes into the live definition (`<target dev>`), which
//! is how statistics and a restarted driver find it.

use crate::tap::{self, Tap};
use rvirt_conf::domain::{NetDef, parse_mac};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

const FROM: ErrorDomain = ErrorDomain::QEMU;

/// The number the next generated `vnetN` name tries (libvirt's counter, process wide:
/// names are not reused at once, as the kernel's own `vnet%d` would).
static NEXT_VNET: AtomicU32 = AtomicU32::new(0);

/// The same for `macvtapN` names.
static NEXT_MACVTAP: AtomicU32 = AtomicU32::new(0);

/// Whether `n` runs on a tap device (or a macvtap's) this module makes or opens.
pub(crate) fn uses_tap(n: &NetDef) -> bool {
    matches!(
        n.net_type.as_str(),
        "bridge" | "ethernet" | "network" | "direct"
    )
}

/// The `<driver queues>` of `n`: how many tap descriptors (and virtio queue pairs) it gets.
pub(crate) fn queues(n: &NetDef) -> usize {
    n.option_attr("driver", "queues")
        .and_then(|q| q.parse::<usize>().ok())
        .filter(|&q| q > 0)
        .unwrap_or(1)
}

/// The `<mtu size>` of `n`, if any.
pub(crate) fn mtu(n: &NetDef) -> Option<u32> {
    n.option_attr("mtu", "size")
        .and_then(|s| s.parse().ok())
        .filter(|&s| s > 0)
}

/// NIC models whose tap carries the virtio-net header (libvirt's vnet-compatible models).
fn vnet_hdr(n: &NetDef) -> bool {
    matches!(
        n.model.as_deref().unwrap_or("virtio"),
        "virtio" | "virtio-transitional" | "virtio-non-transitional" | "e1000e" | "vmxnet3"
    )
}

fn unsupported(detail: String) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// Refuses what a tap interface may ask for that this driver does not set up, rather than
/// start the guest without it.
fn check_supported(n: &NetDef) -> Result<()> {
    for e in &n.extra {
        let what = match e.name.as_str() {
            // Average, peak and burst are set with tc (crate::qos); a guaranteed floor needs
            // the network's own QoS, which rvirt does not set up yet.
            "bandwidth" if e.child("inbound").and_then(|i| i.attr("floor")).is_some() => {
                "an inbound bandwidth floor"
            }
            "vlan" => return Err(vlan_refused(n)),
            "virtualport" => "virtual port profiles",
            "filterref" => "network filters",
            "driver" if e.attr("name") == Some("vhost") => {
                "vhost-net (this host has no /dev/vhost-net support in rvirt yet)"
            }
            _ => continue,
        };
        return Err(unsupported(format!(
            "interface type '{}' with {what} is not supported by this QEMU driver yet",
            n.net_type
        )));
    }
    Ok(())
}

/// Why a VLAN tag cannot be set, in libvirt's words: only SR-IOV devices (a passthrough
/// macvtap's, a hostdev's) and Open vSwitch bridges take one, and rvirt has neither a VF's
/// setup nor Open vSwitch.
fn vlan_refused(n: &NetDef) -> Error {
    let passthrough = n.plugged_type() == "direct" && n.source_attr("mode") == Some("passthrough");
    match n.source_attr("dev").filter(|_| passthrough) {
        Some(dev) if !Path::new(&format!("/sys/class/net/{dev}/device/physfn")).exists() => {
            Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!("vlan can only be set for SR-IOV VFs, but {dev} is not a VF"),
            )
        }
        Some(dev) => unsupported(format!(
            "a VLAN tag on the SR-IOV VF {dev} is not supported by this QEMU driver yet"
        )),
        None => Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::CONFIG_UNSUPPORTED,
            format!(
                "interface {} - vlan tag not supported for this connection type",
                n.mac
            ),
        ),
    }
}

/// The QEMU driver's checks of an interface's options at define and attach (libvirt's
/// `qemuValidateDomainDeviceDefNetwork`): receive coalescing only on a bridge's tap,
/// failover's persistent side a virtio NIC, its transient side a host device.
pub(crate) fn validate(n: &NetDef) -> Result<()> {
    if n.coalesce_rx_frames().is_some() && !matches!(n.net_type.as_str(), "network" | "bridge") {
        return Err(unsupported(format!(
            "coalesce settings on interface type {} are not supported",
            n.net_type
        )));
    }
    match n.teaming() {
        Some(("persistent", _))
            if !matches!(
                n.model.as_deref(),
                Some("virtio" | "virtio-transitional" | "virtio-non-transitional")
            ) =>
        {
            Err(unsupported(format!(
                "virtio-net teaming persistent interface must be <model type='virtio'/>, not \
                 '{}'",
                n.model.as_deref().unwrap_or("")
            )))
        }
        Some(("transient", _)) if !matches!(n.net_type.as_str(), "hostdev" | "network") => {
            Err(unsupported(format!(
                "virtio-net teaming transient interface must be type='hostdev', not '{}'",
                n.net_type
            )))
        }
        _ => Ok(()),
    }
}

/// The tun clone device an interface's tap is opened through (`<backend tap>`; only a
/// privileged driver may name one).
fn tun_path(n: &NetDef) -> Result<&str> {
    match n.option_attr("backend", "tap") {
        None => Ok(tap::TUN),
        // SAFETY: geteuid has no preconditions.
        Some(_) if unsafe { libc::geteuid() } != 0 => Err(unsupported(
            "cannot use custom tap device in session mode".into(),
        )),
        Some(p) => Ok(p),
    }
}

/// A name for a new device: `<prefix>N` with the next N of `counter` no device has.
fn generate_name_from(prefix: &str, counter: &AtomicU32) -> String {
    loop {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        if n == u32::MAX / 2 {
            counter.store(0, Ordering::Relaxed);
        }
        let name = format!("{prefix}{n}");
        if !tap::exists(&name) {
            return name;
        }
    }
}

/// A name for a new tap device: `vnetN` with the next N no device has.
fn generate_name() -> String {
    generate_name_from("vnet", &NEXT_VNET)
}

/// The host side of `<interface type='direct'>` (libvirt's `qemuInterfaceDirectConnect`): a
/// macvtap link on the `<source dev>` in its `mode` (vepa by default), with the guest's MAC,
/// named as the definition says unless that is a generated name (`macvtapN` otherwise), up
/// unless the guest's link starts down; its tap opened once per queue.
fn connect_direct(n: &mut NetDef, state: &Path) -> Result<Tap> {
    let link = n
        .source_attr("dev")
        .map(str::to_string)
        .ok_or_else(|| Error::internal(FROM, "No source device specified for direct interface"))?;
    let mode_name = n.source_attr("mode").unwrap_or("vepa").to_string();
    let mode = crate::macvtap::mode_value(&mode_name)
        .ok_or_else(|| Error::internal(FROM, format!("unknown macvtap mode '{mode_name}'")))?;
    let mac = parse_mac(&n.mac)
        .ok_or_else(|| Error::internal(FROM, format!("unable to parse mac address '{}'", n.mac)))?;
    // Passthrough: the host device takes the guest's MAC while the guest has it (its own is
    // saved in the driver's state folder and put back when the link goes), as libvirt does.
    let passthrough = mode_name == "passthrough";
    if passthrough {
        lend_device(&link, mac, state)?;
    }
    let name = match n.target_dev.as_deref() {
        Some(t) if !t.starts_with("macvtap") && !t.starts_with("macvlan") => t.to_string(),
        _ => generate_name_from("macvtap", &NEXT_MACVTAP),
    };
    crate::macvtap::create(&name, &link, mode, mac)?;
    let made = (|| {
        if !link_down(n) {
            tap::set_up(&name)?;
        }
        crate::macvtap::open(&name, queues(n), vnet_hdr(n))
    })();
    match made {
        Ok(t) => {
            n.target_dev = Some(name);
            Ok(t)
        }
        Err(e) => {
            let _ = crate::macvtap::delete(&name);
            if passthrough {
                take_device_back(&link, state);
            }
            Err(e)
        }
    }
}

/// The file where the MAC host device `link` had before a passthrough macvtap lent it to a
/// guest is kept (libvirt's saved net config, named after the device).
fn saved_mac_file(link: &str, state: &Path) -> std::path::PathBuf {
    state.join(link)
}

/// Lends host device `link` to a passthrough macvtap: its MAC saved, then the guest's `mac`
/// given to it. On an error the device keeps its own.
fn lend_device(link: &str, mac: [u8; 6], state: &Path) -> Result<()> {
    let path = format!("/sys/class/net/{link}/address");
    let own = std::fs::read_to_string(&path)
        .map_err(|e| Error::system(FROM, format!("Cannot get interface MAC on '{link}'"), &e))?;
    let file = saved_mac_file(link, state);
    crate::util::write_atomic(&file, own.trim().as_bytes()).map_err(|e| {
        Error::system(
            FROM,
            format!(
                "Unable to save net device {link} config to {}",
                file.display()
            ),
            &e,
        )
    })?;
    if let Err(e) = tap::set_mac(link, mac) {
        let _ = std::fs::remove_file(&file);
        return Err(e);
    }
    Ok(())
}

/// Gives host device `link` back its own MAC after a passthrough macvtap, from the saved file.
fn take_device_back(link: &str, state: &Path) {
    let file = saved_mac_file(link, state);
    if let Some(own) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| parse_mac(t.trim()))
    {
        let _ = tap::set_mac(link, own);
    }
    let _ = std::fs::remove_file(&file);
}

/// The tap device's own MAC: the guest's with the first byte made `fe` (`fa` when it already
/// is `fe`).
fn tap_mac(guest: &str) -> Result<[u8; 6]> {
    let mut m = parse_mac(guest)
        .ok_or_else(|| Error::internal(FROM, format!("unable to parse mac address '{guest}'")))?;
    m[0] = if m[0] == 0xfe { 0xfa } else { 0xfe };
    Ok(m)
}

/// Makes (or, for `<target managed='no'>`, opens) the tap device of interface `n`, records
/// its name in `n.target_dev` and returns it with its open descriptors. On error nothing is
/// left behind: a new tap device goes away with its descriptors.
pub(crate) fn connect(n: &mut NetDef, state: &Path) -> Result<Tap> {
    check_supported(n)?;
    // What the network made of the interface is checked as its configured type was.
    rvirt_conf::domain::validate_port_options(n, n.plugged_type())?;
    if n.plugged_type() == "direct" {
        return connect_direct(n, state);
    }
    let queues = queues(n);
    let hdr = vnet_hdr(n);
    let script = n.option_attr("script", "path").map(str::to_string);
    let unmanaged = n.net_type == "ethernet" && n.target_managed.as_deref() == Some("no");
    let tap = if unmanaged {
        let Some(name) = n.target_dev.clone() else {
            return Err(Error::internal(
                FROM,
                "target dev must be supplied when managed='no'",
            ));
        };
        if !tap::exists(&name) {
            return Err(Error::internal(
                FROM,
                "target managed='no' but specified dev doesn't exist",
            ));
        }
        tap::open_tap_at(tun_path(n)?, &name, queues, hdr)?
    } else {
        let name = match &n.target_dev {
            Some(name) => {
                if tap::exists(name) {
                    return Err(Error::operation_invalid(
                        FROM,
                        format!("The {name} interface already exists"),
                    ));
                }
                name.clone()
            }
            None => generate_name(),
        };
        let tap = tap::open_tap_at(tun_path(n)?, &name, queues, hdr)?;
        tap::set_mac(&tap.name, tap_mac(&n.mac)?)?;
        if matches!(n.plugged_type(), "bridge" | "network") {
            let bridge = bridge_of(n)
                .map(str::to_string)
                .ok_or_else(|| Error::internal(FROM, "Missing bridge name"))?;
            // The tap takes the bridge's MTU, so that adding it does not lower the bridge's.
            let want = match mtu(n) {
                Some(m) => m,
                None => tap::mtu(&bridge)?,
            };
            tap::set_mtu(&tap.name, want)?;
            let isolated = n.network_port_isolated.or(n.port_isolated()) == Some(true);
            join_bridge(&bridge, &tap.name, isolated)?;
        } else if let Some(m) = mtu(n) {
            tap::set_mtu(&tap.name, m)?;
        }
        tap::set_up(&tap.name)?;
        if let Some(frames) = n.coalesce_rx_frames() {
            let took = tap::set_coalesce_rx_frames(&tap.name, frames)?;
            n.set_coalesce_rx_frames(took);
        }
        tap
    };
    if let Some(path) = script {
        run_script(&path, &tap.name)?;
    }
    n.target_dev = Some(tap.name.clone());
    Ok(tap)
}

/// The bridge a bridged interface is on (for an interface on a virtual network, the network's
/// bridge once the interface is resolved).
pub(crate) fn bridge_of(n: &NetDef) -> Option<&str> {
    matches!(n.plugged_type(), "bridge" | "network")
        .then(|| n.source_attr("bridge"))
        .flatten()
}

/// Whether `<link state='down'/>` says the guest's link is down.
pub(crate) fn link_down(n: &NetDef) -> bool {
    n.extra
        .iter()
        .any(|e| e.name == "link" && e.attr("state") == Some("down"))
}

/// Moves the tap `ifname` from bridge `old` to bridge `new` (libvirt's
/// `qemuDomainChangeNetBridge`), its port there isolated as `isolated` says (`(old, new)`): a
/// tap that was not on `old` (a bridge rebuilt meanwhile) still joins `new`; should that
/// fail, it goes back to `old` as it was there.
pub(crate) fn move_to_bridge(
    ifname: &str,
    old: &str,
    new: &str,
    isolated: (bool, bool),
) -> Result<()> {
    if !tap::exists(new) {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::OPERATION_FAILED,
            format!("bridge {new} doesn't exist"),
        ));
    }
    let _ = tap::bridge_remove_port(old, ifname);
    if let Err(e) = join_bridge(new, ifname, isolated.1) {
        let _ = join_bridge(old, ifname, isolated.0);
        return Err(e);
    }
    Ok(())
}

/// Makes `ifname` a port of `bridge`, isolated if asked (libvirt's
/// `virNetDevTapAttachBridge`): a port that cannot be isolated is taken off again.
fn join_bridge(bridge: &str, ifname: &str, isolated: bool) -> Result<()> {
    tap::bridge_add_port(bridge, ifname)?;
    if isolated && let Err(e) = tap::bridge_port_set(bridge, ifname, "isolated", 1) {
        let _ = tap::bridge_remove_port(bridge, ifname);
        return Err(e);
    }
    Ok(())
}

/// An ethernet interface's `<script path>`, run with the tap's name as its argument.
fn run_script(path: &str, ifname: &str) -> Result<()> {
    let out = crate::util::host_command(path)
        .arg(ifname)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::system(FROM, format!("Cannot run program '{path}'"), &e))?;
    if !out.status.success() {
        let code = out.status.code().unwrap_or(-1);
        return Err(Error::internal(
            FROM,
            format!(
                "Child process ({path} {ifname}) unexpected exit status {code}: {}",
                String::from_utf8_lossy(&out.stderr).trim_end()
            ),
        ));
    }
    Ok(())
}

/// The tap devices of every tap-based interface of `def`, made in interface order, their
/// names recorded in `def`; keyed by the interface's alias; with the guard of the macvtap
/// links made. All or none: on an error the devices made so far go away (taps with their
/// descriptors, links with the guard).
pub(crate) fn connect_all(
    def: &mut rvirt_conf::DomainDef,
    state: &Path,
) -> Result<(Vec<(String, Tap)>, Links)> {
    let mut out = Vec::new();
    let mut links = Links(Vec::new(), state.to_path_buf());
    for n in def.devices.interfaces.iter_mut().filter(|n| uses_tap(n)) {
        let alias = n.info.alias.clone().unwrap_or_default();
        out.push((alias, connect(n, state)?));
        links.0.extend(Links::one(n, state).take());
    }
    Ok((out, links))
}

/// The macvtap links a starting guest's interfaces (or a NIC being attached) got: deleted
/// when dropped, unless the start or attach went through ([`Links::keep`]). Tap devices need
/// no such care: they go with their descriptors.
pub(crate) struct Links(Vec<NetDef>, std::path::PathBuf);

impl Links {
    /// The link of interface `n` (a live attach), if it is a direct one (`state`: the
    /// driver's state folder, see [`disconnect`]).
    pub(crate) fn one(n: &NetDef, state: &Path) -> Links {
        Links(
            Some(n.clone())
                .filter(|n| n.plugged_type() == "direct")
                .into_iter()
                .collect(),
            state.to_path_buf(),
        )
    }

    /// The guest runs: its links stay until it stops.
    pub(crate) fn keep(self) {
        self.take();
    }

    /// The interfaces whose links the guard holds, the guard emptied.
    fn take(mut self) -> Vec<NetDef> {
        std::mem::take(&mut self.0)
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        for n in &self.0 {
            disconnect(n, &self.1);
        }
    }
}

/// Whether host device `name` is a macvtap link (it has a tap character device).
fn is_macvtap(name: &str) -> bool {
    std::path::Path::new("/sys/class/net")
        .join(name)
        .join("macvtap")
        .is_dir()
}

/// After QEMU has ended: a direct interface's macvtap link is deleted (a passthrough one's
/// host device gets its own MAC back from the driver's state folder `state`); a tap device
/// this driver made for an ethernet interface whose descriptors someone else still holds is
/// made non-persistent, as libvirt does; the user's own (`managed='no'`) is left alone.
pub(crate) fn disconnect(n: &NetDef, state: &Path) {
    // A macvtap link stays until it is deleted.
    if n.plugged_type() == "direct"
        && let Some(name) = n.target_dev.as_deref()
        && is_macvtap(name)
    {
        let _ = crate::macvtap::delete(name);
        if let Some(link) = n.source_attr("dev")
            && n.source_attr("mode") == Some("passthrough")
        {
            take_device_back(link, state);
        }
        return;
    }
    // An ethernet interface's downscript runs first, with the device still there (libvirt's
    // order); its failure is not the stop's.
    if n.net_type == "ethernet"
        && let Some(name) = n.target_dev.as_deref()
        && let Some(path) = n
            .option_attr("downscript", "path")
            .filter(|p| !p.is_empty())
    {
        let _ = run_script(path, name);
    }
    if n.net_type == "ethernet"
        && n.target_managed.as_deref() != Some("no")
        && let Some(name) = n.target_dev.as_deref()
        && tap::exists(name)
    {
        let _ = tap::delete_tap(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tap_mac_differs_from_the_guests_in_its_first_byte() {
        assert_eq!(
            tap_mac("52:54:00:11:22:33").unwrap(),
            [0xfe, 0x54, 0, 0x11, 0x22, 0x33]
        );
        assert_eq!(
            tap_mac("fe:54:00:11:22:33").unwrap(),
            [0xfa, 0x54, 0, 0x11, 0x22, 0x33]
        );
    }
}
