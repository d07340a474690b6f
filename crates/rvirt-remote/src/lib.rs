//! rvirt's remote driver: a connection to a libvirt daemon (libvirtd, virtqemud, rvirtd) over
//! libvirt's RPC protocol, the client side of [`rvirt_proto`].
//!
//! [`RemoteDriver::open`] takes any URI libvirt's remote driver takes: `test+unix:///default?
//! socket=PATH`, `qemu:///system` (the local daemon's socket), `qemu+ssh://user@host/system`,
//! `qemu+tcp://host/system`, `qemu+tls://host/system` (or `qemu://host/system`: x509
//! certificates in libvirt's pki layout or `pkipath=DIR`, through [`rvirt_tls`]),
//! `qemu+ext:///system?command=…`. The URI's transport and the driver's own query parameters
//! (`socket`, `mode`, `proxy`, `netcat`, `command`, `keyfile`, `no_verify`, `no_sanity`,
//! `no_tty`, `pkipath`, `name`, …) are decided as libvirt decides them ([`target`]) and stripped
//! from the name sent to the server. The libssh transports are not available and answer
//! `VIR_ERR_NO_SUPPORT`.
//!
//! The driver implements every method of rvirt's driver traits by calling the matching
//! procedure, with libvirt's client-side checks and conversions. Errors the server reports reach
//! the caller as the server sent them. Each connection has a thread for its I/O (see
//! [`client`]) and one for event callbacks, so the futures need no runtime.

mod checkpoint;
pub mod client;
mod domain;
pub mod events;
mod host;
mod interface;
pub mod keepalive;
mod network;
mod nodedev;
mod open;
mod snapshot;
pub mod ssh;
mod storage;
pub mod stream;
pub mod target;
pub mod transport;
mod tuning;
pub mod uri;
mod wire;

use client::Client;
use rvirt_types::Result;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use target::{Environment, Target, Transport};

/// A connection to a daemon, as a driver.
pub struct RemoteDriver {
    client: Client,
    /// The URI the connection was opened with, which `virConnectGetURI` answers.
    uri: String,
    /// Whether the transport is secure (unix socket, ssh, TLS).
    secure: bool,
    /// Whether the server answers keepalive PINGs.
    server_keepalive: bool,
    /// Whether the server has the per-callback event procedures (libvirt 1.2.1 and later); the
    /// older per-event-id ones are not implemented.
    event_callbacks: bool,
    /// Whether the server takes part in close callbacks (tells the client when its own
    /// connection to the hypervisor closes).
    server_close_callback: bool,
    events: Arc<events::Registry>,
    /// `virConnectGetType` never changes for a connection: asked once.
    driver_type: OnceLock<String>,
}

impl std::fmt::Debug for RemoteDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteDriver")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

impl RemoteDriver {
    /// Connects to the daemon `uri` names and opens its driver: authentication, the keepalive
    /// and event-callback feature checks, `CONNECT_OPEN` (read-only if `read_only`).
    pub async fn open(uri: &str, read_only: bool) -> Result<Arc<RemoteDriver>> {
        open::open(uri, read_only, &Environment::current()).await
    }

    /// The URI the connection was opened with.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// `virConnectSetKeepAlive`: PING the server after `interval` of silence and give up after
    /// `count` unanswered PINGs; `None` stops. Connections start with libvirt's 5 s and 5.
    /// Returns `false` (and changes nothing) when the server does not support keepalive.
    pub fn set_keepalive(&self, interval: Option<Duration>, count: u32) -> bool {
        if !self.server_keepalive {
            return false;
        }
        self.client.set_keepalive(interval, count);
        true
    }

    /// Closes the connection now (`CONNECT_CLOSE`, then the socket), as dropping the driver
    /// does. Later calls answer `client socket is closed`.
    pub fn close(&self) {
        self.client.close();
    }
}
