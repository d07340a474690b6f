//! Definitions of libvirt objects and their XML.
//!
//! Each definition goes through the same passes as in libvirt: parse (roxmltree, DTDs refused)
//! → post-parse defaults → validate → format (our own writer, libvirt's canonical layout: single
//! quotes, two-space indent, libvirt's element order). Text is never round-tripped.

pub mod checkpoint;
pub mod cpu_map;
pub mod domain;
pub mod fuzzing;
pub mod interface;
pub mod moment;
pub mod network;
pub mod networkport;
pub mod node;
pub mod nodedev;
pub mod raw;
pub mod schema;
pub mod snapshot;
pub mod sparse;
pub mod storage;
pub mod units;
pub mod xml;

pub use checkpoint::CheckpointDef;
pub use domain::{DomainDef, FormatOptions, ParseOptions};
pub use interface::InterfaceDef;
pub use network::NetworkDef;
pub use snapshot::SnapshotDef;
