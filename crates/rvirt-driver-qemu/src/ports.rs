//! Host ports for the graphics of a starting guest, as libvirt's port allocator hands them out:
//! an automatic port is the first of `qemu.conf`'s range (`remote_display_port_min/max`, by
//! default 5900 up; VNC websockets `remote_websocket_port_min/max`, 5700 up) that nothing on the
//! host listens on (IPv4 or IPv6) and that no other guest being started in this process has taken,
//! and QEMU is told that port (`-vnc 127.0.0.1:N`, `-spice port=N`); QEMU's own `to=` search
//! fails when the first port it tries is taken on one address family.

use parking_lot::Mutex;
use rvirt_conf::DomainDef;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener};

use crate::config::QemuConfig;

/// Ports taken by guests of this process that are still starting (their QEMU does not yet
/// listen, so a bind test alone would hand the port out twice).
static STARTING: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// Whether nothing listens on `port`, on either address family (a host without IPv6 counts
/// as free there).
fn free(port: u16) -> bool {
    let v4 = TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok();
    let v6 = match TcpListener::bind((Ipv6Addr::UNSPECIFIED, port)) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::AddrNotAvailable,
    };
    v4 && v6
}

/// The ports a starting guest holds until its QEMU listens on them: released when dropped.
#[derive(Debug, Default)]
pub(crate) struct Reserved(Vec<u16>);

impl Drop for Reserved {
    fn drop(&mut self) {
        let mut s = STARTING.lock();
        for p in &self.0 {
            s.remove(p);
        }
    }
}

/// Takes the first free port of `first..=last` for a starting guest.
fn take(held: &mut Reserved, (first, last): (u16, u16), range: &str) -> Result<i32> {
    let mut starting = STARTING.lock();
    let port = (first..=last)
        .find(|p| !starting.contains(p) && free(*p))
        .ok_or_else(|| {
            Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::INTERNAL_ERROR,
                format!("Unable to find an unused port in range '{range}' ({first}-{last})"),
            )
        })?;
    starting.insert(port);
    held.0.push(port);
    Ok(i32::from(port))
}

/// Whether a console listens on a TCP port (its first listen an address or a network).
fn on_tcp(g: &rvirt_conf::domain::GraphicsDef) -> bool {
    g.listens
        .first()
        .is_some_and(|l| matches!(l.listen_type.as_str(), "address" | "network"))
}

/// Gives every VNC and SPICE console of `def` the ports it asks the driver for, as libvirt's
/// `qemuProcessGraphicsAllocatePorts` does: VNC `autoport` a display port, a VNC websocket of
/// `-1` a websocket port, SPICE the ports its channels need (`crate::graphics::spice_needs`)
/// and those given as `-1`. A TLS port is handed out only with `spice_tls` on.
pub(crate) fn assign_graphics_ports(def: &mut DomainDef, cfg: &QemuConfig) -> Result<Reserved> {
    let mut held = Reserved::default();
    for g in def.devices.graphics.iter_mut().filter(|g| on_tcp(g)) {
        match g.graphics_type.as_str() {
            "vnc" => {
                if g.autoport {
                    g.port = take(&mut held, cfg.remote_ports, "display")?;
                }
                if let Some(ws) = g
                    .extra_attrs
                    .iter_mut()
                    .find(|(k, v)| k == "websocket" && v == "-1")
                {
                    ws.1 = take(&mut held, cfg.websocket_ports, "webSocket")?.to_string();
                }
            }
            "spice" => {
                let (plain, tls) = crate::graphics::spice_needs(g, cfg.spice_tls);
                if plain || g.port == -1 {
                    g.port = take(&mut held, cfg.remote_ports, "display")?;
                }
                if tls || g.tls_port == -1 {
                    if !cfg.spice_tls {
                        return Err(Error::with_detail(
                            ErrorDomain::QEMU,
                            ErrorNumber::CONFIG_UNSUPPORTED,
                            "Auto allocation of spice TLS port requested but spice TLS is \
                             disabled in qemu.conf",
                        ));
                    }
                    g.tls_port = take(&mut held, cfg.remote_ports, "display")?;
                }
            }
            _ => {}
        }
    }
    Ok(held)
}

/// The ports `domxml-to-native` shows, which a start would hand out (libvirt's pretend
/// start): 5900 for VNC `autoport`, 5901 and 5902 for SPICE's plain and TLS ports.
pub(crate) fn pretend_graphics_ports(def: &mut DomainDef, spice_tls: bool) {
    for g in def.devices.graphics.iter_mut().filter(|g| on_tcp(g)) {
        match g.graphics_type.as_str() {
            "vnc" if g.autoport => g.port = 5900,
            "spice" => {
                let (plain, tls) = crate::graphics::spice_needs(g, spice_tls);
                if plain || g.port == -1 {
                    g.port = 5901;
                }
                if tls || g.tls_port == -1 {
                    g.tls_port = 5902;
                }
            }
            _ => {}
        }
    }
}
