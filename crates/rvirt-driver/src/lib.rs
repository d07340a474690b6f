//! The driver interface of rvirt and the object layer that drivers share.
//!
//! Like libvirt's `virHypervisorDriver`, a driver implements one trait per object family
//! ([`HostDriver`], [`DomainDriver`], [`SnapshotDriver`], [`CheckpointDriver`]). Every method has a default that answers
//! `VIR_ERR_NO_SUPPORT` naming the `vir…` function, decided in one place ([`unsupported`]), so a
//! driver only writes what it supports. The public `rvirt` crate checks handles and read-only
//! access and dispatches to these traits.

pub mod checkpoint;
pub mod cpumap;
pub mod domain_obj;
pub mod events;
pub mod interface;
pub mod moment;
pub mod network;
pub mod network_obj;
pub mod nodedev;
pub mod snapshot;
pub mod stats;
pub mod storage;
pub mod stream;
pub mod traits;
pub mod tuning;

pub use checkpoint::{CheckpointDriver, CheckpointRef, CheckpointStore};
pub use domain_obj::{DomainObj, DomainObjList, DomainObjState};
pub use events::{CallbackId, CloseCallback, DomainEvent, DomainEventCallback, EventBus};
pub use interface::{InterfaceDriver, InterfaceRef};
pub use moment::{Moment, MomentFilter, MomentList, MomentTree};
pub use network::{NetworkDriver, NetworkEvent, NetworkEventCallback, NetworkPortRef, NetworkRef};
pub use nodedev::{NodeDeviceDriver, NodeDeviceEvent, NodeDeviceEventCallback, NodeDeviceRef};
pub use snapshot::SnapshotStore;
pub use storage::{PoolRef, StorageDriver, StoragePoolEvent, StoragePoolEventBus, VolRef};
pub use stream::{BoxFuture, ReadStream, StreamBackend};
pub use traits::{DomainDriver, HostDriver, SnapshotDriver};
pub use tuning::TuningDriver;

use rvirt_types::{Error, ErrorDomain, Result, Uuid};
use std::sync::Arc;

/// What a domain handle carries, as `virDomainPtr` does: the name, UUID and the id the domain had
/// when the handle was made (-1 when inactive).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DomainRef {
    /// The domain's name.
    pub name: Arc<str>,
    /// The domain's UUID: what drivers look the domain up by.
    pub uuid: Uuid,
    /// The id, or -1 for an inactive domain.
    pub id: i32,
}

/// `VIR_DRV_FEATURE_FD_PASSING`: the driver takes file descriptors passed with calls.
pub const FEATURE_FD_PASSING: i32 = 8;
/// `VIR_DRV_FEATURE_TYPED_PARAM_STRING`: the driver accepts `VIR_TYPED_PARAM_STRING_OKAY`, so
/// typed-parameter getters may return strings.
pub const FEATURE_TYPED_PARAM_STRING: i32 = 9;
/// `VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER`.
pub const FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER: i32 = 16;
/// `VIR_DRV_FEATURE_REMOTE`: the connection goes through the remote driver.
pub const FEATURE_REMOTE: i32 = 2;
/// `VIR_DRV_FEATURE_PROGRAM_KEEPALIVE`.
pub const FEATURE_PROGRAM_KEEPALIVE: i32 = 10;
/// `VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK`.
pub const FEATURE_REMOTE_EVENT_CALLBACK: i32 = 14;
/// `VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK`.
pub const FEATURE_REMOTE_CLOSE_CALLBACK: i32 = 15;

/// The driver features no driver decides for itself (libvirt's `virDriverFeatureIsGlobal`):
/// those of the RPC layer, which a local driver never has, and those every driver has. `None`
/// for a feature each driver answers on its own.
pub fn global_feature(feature: i32) -> Option<bool> {
    match feature {
        FEATURE_REMOTE
        | FEATURE_PROGRAM_KEEPALIVE
        | FEATURE_REMOTE_CLOSE_CALLBACK
        | FEATURE_REMOTE_EVENT_CALLBACK => Some(false),
        FEATURE_TYPED_PARAM_STRING
        | FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER
        | FEATURE_FD_PASSING => Some(true),
        _ => None,
    }
}

/// What a snapshot handle carries: its domain and its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SnapshotRef {
    /// The domain the snapshot belongs to.
    pub domain: DomainRef,
    /// The snapshot's name.
    pub name: Arc<str>,
}

impl SnapshotRef {
    /// A handle to the snapshot `name` of `domain`.
    pub fn new(domain: &DomainRef, name: &str) -> SnapshotRef {
        SnapshotRef {
            domain: domain.clone(),
            name: name.into(),
        }
    }
}

/// The one answer for an operation a driver does not implement: `VIR_ERR_NO_SUPPORT` naming the
/// public function, e.g. `this function is not supported by the connection driver:
/// virDomainSuspend`.
pub fn unsupported<T>(function: &str) -> Result<T> {
    Err(Error::no_support(ErrorDomain::DOMAIN, function))
}

/// The drivers' check of `virDomainMemoryPeek`'s flags (in `function`, error domain `domain`):
/// exactly one of `VIR_MEMORY_VIRTUAL` (1) and `VIR_MEMORY_PHYSICAL` (2).
pub fn check_peek_flags(domain: ErrorDomain, function: &str, flags: u32) -> Result<()> {
    check_flags(domain, function, flags, 3)?;
    if flags != 1 && flags != 2 {
        return Err(Error::invalid_arg(
            domain,
            "flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL",
        ));
    }
    Ok(())
}

/// libvirt's `virCheckFlags`: `VIR_ERR_INVALID_ARG` for any bit of `flags` outside `supported`,
/// worded `unsupported flags (0x…) in function …`.
pub fn check_flags(domain: ErrorDomain, function: &str, flags: u32, supported: u32) -> Result<()> {
    let extra = flags & !supported;
    if extra != 0 {
        return Err(Error::unsupported_flags(domain, function, extra));
    }
    Ok(())
}
