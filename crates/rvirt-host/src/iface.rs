//! Host interfaces as libvirt's udev interface backend (`interface_backend_udev.c`) reports
//! them: every `net` device that is neither a bridge port nor a tap device, active when its
//! `operstate` is `up`; its definition read from sysfs (type from the devtype, with the name
//! and `bonding/` fallbacks; MTU, link, MAC; bridge members, bond slaves and settings, VLAN
//! tag and device from `/proc/net/vlan`). Like libvirt's backend it reports no IP addresses
//! and changes nothing.

use crate::netdev;
use crate::udev::{HostPaths, UdevDevice, entries, net_device};
use rvirt_conf::interface::{BOND_MODES, BondMonitor, InterfaceDef, InterfaceKind, LinkDef};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::fs;

/// One listed interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInterface {
    /// Its name.
    pub name: String,
    /// Its MAC address (`address` in sysfs).
    pub mac: Option<String>,
    /// Its `operstate` (`up`, `down`, `unknown`, …).
    pub operstate: Option<String>,
}

impl HostInterface {
    /// Whether libvirt counts it as active: its operstate is `up`.
    pub fn is_active(&self) -> bool {
        self.operstate.as_deref() == Some("up")
    }

    fn of(d: &UdevDevice) -> HostInterface {
        HostInterface {
            name: d.sysname.clone(),
            mac: d.attr("address"),
            operstate: d.attr("operstate"),
        }
    }
}

/// The interfaces libvirt's udev backend lists, sorted by name: net devices but bridge ports
/// (`brport/state`) and tap devices (`tun_flags`).
pub fn list(paths: &HostPaths) -> Vec<HostInterface> {
    entries(&paths.sys.join("class/net"))
        .into_iter()
        .filter_map(|(_, p)| UdevDevice::from_syspath(paths, &p))
        .filter(|d| d.subsystem.as_deref() == Some("net"))
        .filter(|d| d.attr("brport/state").is_none() && d.attr("tun_flags").is_none())
        .map(|d| HostInterface::of(&d))
        .collect()
}

/// The interface called `name`, bridge ports and tap devices included (libvirt's lookup by
/// name finds them too); `VIR_ERR_NO_INTERFACE` when there is none.
pub fn lookup(paths: &HostPaths, name: &str) -> Result<HostInterface> {
    net_device(paths, name)
        .map(|d| HostInterface::of(&d))
        .ok_or_else(|| no_interface(name))
}

fn no_interface(name: &str) -> Error {
    Error::with_detail(
        ErrorDomain::INTERFACE,
        ErrorNumber::NO_INTERFACE,
        format!("couldn't find interface named '{name}'"),
    )
}

fn internal(detail: String) -> Error {
    Error::with_detail(ErrorDomain::INTERFACE, ErrorNumber::INTERNAL_ERROR, detail)
}

/// A `bonding/` value that libvirt requires, as an integer (`what` names it in errors).
fn bond_int(d: &UdevDevice, name: &str, what: &str) -> Result<i32> {
    let v = d
        .attr(what)
        .ok_or_else(|| internal(format!("Could not retrieve '{what}' for '{name}'")))?;
    v.trim()
        .parse()
        .map_err(|_| internal(format!("Could not parse '{what}' '{v}' for '{name}'")))
}

/// The number after the space of `bonding/mode` (`balance-rr 0`) and similar values.
fn bond_number(d: &UdevDevice, name: &str, what: &str) -> Result<i32> {
    let v = d
        .attr(what)
        .ok_or_else(|| internal(format!("Could not retrieve '{what}' for '{name}'")))?;
    let (_, n) = v
        .split_once(' ')
        .ok_or_else(|| internal(format!("Invalid format for '{what}' for '{name}'")))?;
    if n.is_empty() {
        return Err(internal(format!(
            "Unable to find correct value in '{what}' for '{name}'"
        )));
    }
    n.trim()
        .parse()
        .map_err(|_| internal(format!("Could not parse '{what}' ' {n}' for '{name}'")))
}

fn bond(paths: &HostPaths, d: &UdevDevice, name: &str, depth: u32) -> Result<InterfaceKind> {
    let downdelay = bond_int(d, name, "bonding/downdelay")?;
    let updelay = bond_int(d, name, "bonding/updelay")?;
    let freq = bond_int(d, name, "bonding/miimon")?;
    let interval = bond_int(d, name, "bonding/arp_interval")?;
    let mode = bond_number(d, name, "bonding/mode")?;
    let validate = bond_number(d, name, "bonding/arp_validate")?;
    let carrier = bond_int(d, name, "bonding/use_carrier")?;
    let target = d.attr("bonding/arp_ip_target").ok_or_else(|| {
        internal(format!(
            "Could not retrieve 'bonding/arp_ip_target' for '{name}'"
        ))
    })?;
    let monitor = if interval > 0 {
        Some(BondMonitor::Arp {
            interval,
            target,
            validate: match validate {
                1 => Some("active"),
                2 => Some("backup"),
                3 => Some("all"),
                _ => None,
            },
        })
    } else if freq > 0 {
        Some(BondMonitor::Mii {
            freq,
            downdelay,
            updelay,
            carrier: match carrier {
                0 => Some("ioctl"),
                1 => Some("netif"),
                _ => None,
            },
        })
    } else {
        None
    };
    let mut interfaces = Vec::new();
    for (entry, _) in entries(&d.syspath) {
        let Some(slave) = entry.strip_prefix("slave_") else {
            continue;
        };
        if slave.is_empty() {
            return Err(internal(format!(
                "Invalid enslaved interface name '{entry}' seen for bond '{name}'"
            )));
        }
        interfaces.push(define_at(paths, slave, depth + 1).map_err(|_| {
            internal(format!(
                "Could not get interface information for '{entry}', which is a enslaved in \
                 bond '{name}'"
            ))
        })?);
    }
    Ok(InterfaceKind::Bond {
        mode: usize::try_from(mode)
            .ok()
            .and_then(|m| BOND_MODES.get(m).copied()),
        monitor,
        interfaces,
    })
}

fn bridge(paths: &HostPaths, d: &UdevDevice, name: &str, depth: u32) -> Result<InterfaceKind> {
    let delay = d.attr("bridge/forward_delay").ok_or_else(|| {
        internal(format!(
            "Could not retrieve 'bridge/forward_delay' for '{name}'"
        ))
    })?;
    let stp_s = d.attr("bridge/stp_state").ok_or_else(|| {
        internal(format!(
            "Could not retrieve 'bridge/stp_state' for '{name}'"
        ))
    })?;
    let stp: i32 = stp_s.trim().parse().map_err(|_| {
        internal(format!(
            "Could not parse 'bridge/stp_state' '{stp_s}' for '{name}'"
        ))
    })?;
    let stp = match stp {
        -1 => None,
        0 => Some(false),
        1 => Some(true),
        n => {
            return Err(internal(format!(
                "Invalid STP state value {n} received for '{name}'. Must be -1, 0, or 1."
            )));
        }
    };
    let brif = d.syspath.join("brif");
    if !brif.is_dir() {
        return Err(internal(format!(
            "Could not get members of bridge '{name}'"
        )));
    }
    let mut interfaces = Vec::new();
    for (member, _) in entries(&brif) {
        // Guests' tap devices (vnetN) are not shown.
        let b = member.as_bytes();
        if member.starts_with("vnet") && b.len() >= 5 && b[4].is_ascii_digit() {
            continue;
        }
        interfaces.push(define_at(paths, &member, depth + 1).map_err(|_| {
            internal(format!(
                "Could not get interface information for '{member}', which is a member of \
                 bridge '{name}'"
            ))
        })?);
    }
    Ok(InterfaceKind::Bridge {
        stp,
        delay: Some(delay),
        interfaces,
    })
}

fn vlan(paths: &HostPaths, name: &str) -> Result<InterfaceKind> {
    let path = paths.proc.join("net/vlan").join(name);
    let buf = fs::read_to_string(&path).map_err(|e| {
        Error::with_detail(
            ErrorDomain::INTERFACE,
            ErrorNumber::SYSTEM_ERROR,
            format!("Failed to open file '{}': {e}", path.display()),
        )
    })?;
    let no_vid = || {
        internal(format!(
            "failed to find the VID for the VLAN device '{name}'"
        ))
    };
    let at = buf.find("VID: ").ok_or_else(no_vid)? + 5;
    let rest = &buf[at..];
    let len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || !rest[len..].starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err(no_vid());
    }
    let tag = rest[..len].to_string();
    let no_dev = || {
        internal(format!(
            "failed to find the real device for the VLAN device '{name}'"
        ))
    };
    let at = rest[len..].find("\nDevice: ").ok_or_else(no_dev)? + len + 9;
    let device: String = rest[at..].chars().take_while(|c| *c != '\n').collect();
    if device.is_empty() {
        return Err(no_dev());
    }
    Ok(InterfaceKind::Vlan { tag, device })
}

/// The definition of interface `name` (`udevGetIfaceDef`).
pub fn define(paths: &HostPaths, name: &str) -> Result<InterfaceDef> {
    define_at(paths, name, 0)
}

fn define_at(paths: &HostPaths, name: &str, depth: u32) -> Result<InterfaceDef> {
    // Sysfs cannot nest bridges and bonds deeply; a loop would be a broken tree.
    if depth > 8 {
        return Err(internal(format!("interface '{name}' is nested too deeply")));
    }
    let d = net_device(paths, name).ok_or_else(|| no_interface(name))?;
    let mac = d.attr("address");
    let (state, speed) = netdev::link_info(paths, name)
        .ok_or_else(|| internal(format!("Unable to read the link state of '{name}'")))?;
    let mtu_s = d.attr("mtu");
    let mtu: u32 = mtu_s
        .as_deref()
        .and_then(|m| m.trim().parse().ok())
        .ok_or_else(|| {
            internal(format!(
                "Could not parse MTU value '{}'",
                mtu_s.as_deref().unwrap_or("(null)")
            ))
        })?;
    let kind = match d.devtype.as_deref() {
        Some("vlan") => "vlan",
        Some("bridge") => "bridge",
        Some("bond") => "bond",
        _ if d.attr("bonding/mode").is_some() => "bond",
        _ if name.contains('.') => "vlan",
        _ => "ethernet",
    };
    let kind = match kind {
        "vlan" => vlan(paths, name)?,
        "bridge" => bridge(paths, &d, name, depth)?,
        "bond" => bond(paths, &d, name, depth)?,
        // Only an ethernet interface shows its MAC in libvirt's XML.
        _ => InterfaceKind::Ethernet { mac },
    };
    Ok(InterfaceDef {
        name: name.to_string(),
        start_mode: None,
        mtu,
        link: LinkDef {
            speed,
            state: state as u32,
        },
        protocols: Vec::new(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testsys::FakeSys;

    /// A bridge `br0` with `ens99` on it, a tap device, a VLAN on ens99.
    #[test]
    fn bridges_taps_and_vlans() {
        let t = tempfile::tempdir().unwrap();
        let f = FakeSys::new(t.path());
        f.nic();
        let nic = "devices/pci0000:00/0000:00:03.0/net/ens99";
        f.w(&format!("{nic}/brport/state"), "3\n");
        let br0 = f.net("devices/virtual", "br0", "52:54:00:00:00:01", "down");
        f.w(&format!("{br0}/uevent"), "DEVTYPE=bridge\nINTERFACE=br0\n");
        f.w(&format!("{br0}/bridge/forward_delay"), "1500\n");
        f.w(&format!("{br0}/bridge/stp_state"), "1\n");
        f.link(nic, &format!("{br0}/brif/ens99"));
        f.link(nic, &format!("{br0}/brif/vnet0"));
        let tap = f.net("devices/virtual", "tap0", "fe:00:00:00:00:01", "up");
        f.w(&format!("{tap}/tun_flags"), "0x1002\n");
        f.net("devices/virtual", "ens99.7", "52:54:00:12:34:56", "up");
        fs::create_dir_all(f.paths.proc.join("net/vlan")).unwrap();
        fs::write(
            f.paths.proc.join("net/vlan/ens99.7"),
            "ens99.7  VID: 7\t REORDER_HDR: 1  dev->priv_flags: 1\n\
             total frames received 0\nDevice: ens99\nINGRESS priority mappings: 0\n",
        )
        .unwrap();

        let names: Vec<String> = list(&f.paths).into_iter().map(|i| i.name).collect();
        assert_eq!(names, ["br0", "ens99.7"]);
        assert!(lookup(&f.paths, "ens99").is_ok());
        let e = lookup(&f.paths, "nosuch").unwrap_err();
        assert_eq!(e.code, ErrorNumber::NO_INTERFACE);
        assert_eq!(
            define(&f.paths, "br0").unwrap().format(),
            "<interface type='bridge' name='br0'>
  <mtu size='1500'/>
  <bridge stp='on' delay='1500'>
    <interface type='ethernet' name='ens99'>
      <link speed='1000' state='up'/>
      <mac address='52:54:00:12:34:56'/>
    </interface>
  </bridge>
</interface>
"
        );
        assert_eq!(
            define(&f.paths, "ens99.7").unwrap().format(),
            "<interface type='vlan' name='ens99.7'>
  <mtu size='1500'/>
  <link speed='1000' state='up'/>
  <vlan tag='7'>
    <interface name='ens99'/>
  </vlan>
</interface>
"
        );
    }
}
