//! Host ports for the graphics of a starting guest, as libvirt's port allocator hands them out:
//! VNC `autoport` takes the first port from 5900 up that nothing on the host listens on (IPv4
//! or IPv6) and that no other guest being started in this process has taken, and QEMU is told
//! that port (`-vnc 127.0.0.1:N`); QEMU's own `to=` search fails when the first port it tries
//! is taken on one address family.

use parking_lot::Mutex;
use rvirt_conf::DomainDef;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener};

/// The first VNC port, display 0.
const VNC_FIRST: u16 = 5900;
/// The last port the allocator hands out.
const VNC_LAST: u16 = 65535;

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

/// Gives every VNC display of `def` that wants an automatic port (or names none) a free one.
pub(crate) fn assign_graphics_ports(def: &mut DomainDef) -> Result<Reserved> {
    let mut held = Reserved::default();
    for g in def
        .devices
        .graphics
        .iter_mut()
        .filter(|g| g.graphics_type == "vnc" && g.autoport)
        .filter(|g| {
            !g.listens
                .iter()
                .any(|l| l.listen_type == "socket" || l.listen_type == "none")
        })
    {
        let mut starting = STARTING.lock();
        let port = (VNC_FIRST..=VNC_LAST)
            .find(|p| !starting.contains(p) && free(*p))
            .ok_or_else(|| {
                Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::INTERNAL_ERROR,
                    format!(
                        "Unable to find an unused port in range 'display' ({VNC_FIRST}-{VNC_LAST})"
                    ),
                )
            })?;
        starting.insert(port);
        held.0.push(port);
        g.port = i32::from(port);
        g.autoport = true;
    }
    Ok(held)
}
