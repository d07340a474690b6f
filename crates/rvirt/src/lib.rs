//! rvirt: libvirt's API, in Rust.
//!
//! [`Connect::open`] picks a driver by URI: the in-process test driver for `test:///default` and
//! `test:///PATH.xml`, and the remote driver (libvirt's RPC protocol to a daemon) for every URI
//! with a transport or a host (`test+unix:///default?socket=PATH`, `qemu+ssh://host/system`) and
//! for local hypervisor URIs (`qemu:///system`). It hands out [`Domain`] and [`DomainSnapshot`]
//! handles whose methods carry libvirt's names (`list_all_domains`, `lookup_by_name`,
//! `get_info`…) and libvirt's errors ([`Error`], with `virErrorNumber` codes). Every call is
//! async; [`blocking`] wraps them for callers that want libvirt's blocking shape. The futures
//! need no particular executor.
//!
//! ```
//! let conn = rvirt::blocking::Connect::open("test:///default").unwrap();
//! let dom = conn.lookup_by_name("test").unwrap();
//! assert_eq!(dom.get_info().unwrap().nr_virt_cpu, 2);
//! ```

mod args;
pub mod blocking;
mod checkpoint;
mod connect;
mod domain;
mod interface;
mod network;
mod network_port;
mod nodedev;
mod snapshot;
mod storage;
mod stream;

pub use checkpoint::DomainCheckpoint;
pub use connect::{Connect, set_inside_daemon};
#[cfg(feature = "qemu-driver")]
pub use connect::{finish_background_work, open_qemu_system_at_start, set_qemu_system_root};
pub use domain::Domain;
pub use interface::Interface;
pub use network::Network;
pub use network_port::NetworkPort;
pub use nodedev::NodeDevice;
pub use rvirt_driver::NetworkEvent;
pub use rvirt_driver::NodeDeviceEvent;
pub use rvirt_driver::StoragePoolEvent;
pub use rvirt_driver::{CallbackId, DomainEvent, DomainRef};
pub use rvirt_types::checkpoint as checkpoint_flags;
pub use rvirt_types::domain as flags;
pub use rvirt_types::host as host_flags;
pub use rvirt_types::host::ConnectCloseReason;
pub use rvirt_types::interface as interface_flags;
pub use rvirt_types::network as network_flags;
pub use rvirt_types::nodedev as nodedev_flags;
pub use rvirt_types::records::*;
pub use rvirt_types::snapshot as snapshot_flags;
pub use rvirt_types::storage as storage_flags;
pub use rvirt_types::typed_param::CountedParams;
pub use rvirt_types::{
    Error, ErrorDomain, ErrorLevel, ErrorNumber, Result, TypedParam, TypedParamValue, Uuid,
};
pub use snapshot::DomainSnapshot;
pub use storage::{StoragePool, StorageVol};
pub use stream::{STREAM_NONBLOCK, Stream};

/// The libvirt API version rvirt implements, as `virGetVersion` reports it
/// (major * 1,000,000 + minor * 1,000 + release): libvirt 9.0.0.
pub const LIBVIRT_API_VERSION: u64 = 9_000_000;

/// `virGetVersion`: the library version.
pub fn get_version() -> u64 {
    LIBVIRT_API_VERSION
}
