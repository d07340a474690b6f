//! libvirt's vocabulary, shared by every rvirt crate.
//!
//! Nothing here does I/O: these are the identifiers, enums (with the numeric values libvirt puts
//! on the wire), flag sets, typed parameters and the error record that the drivers, the public
//! API, the daemon and the CLI all speak. Enum and flag names follow the C names without `vir`,
//! and each constant is the C member without the common prefix:
//! `VIR_CONNECT_LIST_DOMAINS_ACTIVE` is [`domain::ConnectListAllDomainsFlags::ACTIVE`].

#[macro_use]
mod macros;
pub mod checkpoint;
pub mod domain;
pub mod error;
pub mod host;
pub mod interface;
pub mod network;
pub mod nodedev;
pub mod records;
pub mod snapshot;
pub mod storage;
pub mod typed_param;
pub mod uuid;

pub use error::{Error, ErrorDomain, ErrorLevel, ErrorNumber, Result};
pub use typed_param::{TypedParam, TypedParamValue};
pub use uuid::Uuid;
