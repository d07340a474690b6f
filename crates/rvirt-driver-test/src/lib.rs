//! The test hypervisor: an in-memory machine with libvirt's test-driver semantics.
//!
//! `test:///default` starts from the same machine as libvirt's test driver (domain `test`,
//! network `default`, pool `default-pool`, interface `eth1`, a 16-CPU two-cell host);
//! `test:///ABS/PATH.xml` starts from a `<node>` document.
//!
//! As in libvirt, every `test:///default` connection of a process shares one machine, which goes
//! back to the default when the last connection to it closes; each `test:///PATH.xml` connection
//! has a machine of its own. `test:///default?private=1` (an rvirt extension, for tests that run
//! side by side in one process) opens a default machine of its own.

mod checkpoint;
mod control;
mod default_machine;
mod domain;
mod guest;
mod host;
mod interface;
mod moment;
mod network;
mod nodedev;
mod save_image;
pub mod screenshot;
mod snapshot;
mod stats;
mod storage;
mod tuning;

use parking_lot::Mutex;
use rvirt_conf::DomainDef;
use rvirt_driver::{DomainObjList, DomainRef, EventBus};
use rvirt_types::records::NodeInfo;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicI32;

/// The error domain of everything this driver reports.
pub(crate) const FROM: ErrorDomain = ErrorDomain::TEST;

/// An error of this driver with a detail.
pub(crate) fn err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, code, detail)
}

/// A NUMA cell of the fake host.
#[derive(Clone, Debug)]
pub(crate) struct Cell {
    /// Number of CPUs in the cell.
    pub num_cpus: u32,
    /// Memory in KiB.
    pub mem: u64,
    /// Free memory in KiB.
    pub free_mem: u64,
}

/// One instance of the test hypervisor: what a `test:///…` connection talks to.
pub struct TestDriver {
    uri: String,
    pub(crate) node: NodeInfo,
    pub(crate) cells: Vec<Cell>,
    /// The virtual networks and their event callbacks.
    pub(crate) networks: network::NetworkList,
    pub(crate) domains: DomainObjList,
    pub(crate) next_id: AtomicI32,
    pub(crate) events: EventBus,
    pub(crate) snapshots: Mutex<HashMap<Uuid, rvirt_driver::SnapshotStore>>,
    /// Each domain's checkpoints, by the domain's UUID.
    pub(crate) checkpoints: Mutex<HashMap<Uuid, rvirt_driver::CheckpointStore>>,
    /// Storage pools and their volumes.
    pub(crate) storage: storage::TestStorage,
    /// Host interfaces.
    pub(crate) interfaces: interface::InterfaceList,
    /// Node devices.
    pub(crate) nodedevs: nodedev::TestNodeDevices,
    /// Which of each running domain's two file systems (`/`, `/boot`) are frozen.
    pub(crate) frozen: Mutex<HashMap<Uuid, [bool; 2]>>,
    /// Each domain's I/O-thread polling parameters, as libvirt's test driver keeps them beside
    /// the definition: only for threads added through the API.
    pub(crate) iothread_polls: Mutex<HashMap<Uuid, Vec<tuning::IoThreadPoll>>>,
}

impl TestDriver {
    /// Drops what the driver keeps beside a domain object that is gone for good.
    pub(crate) fn forget(&self, uuid: &Uuid) {
        self.snapshots.lock().remove(uuid);
        self.checkpoints.lock().remove(uuid);
        self.frozen.lock().remove(uuid);
        self.iothread_polls.lock().remove(uuid);
    }

    /// Opens a test machine for `uri`: `test:///default`, or `test:///ABS/PATH.xml`.
    pub fn open(uri: &str) -> Result<Arc<TestDriver>> {
        let path = uri
            .strip_prefix("test://")
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .map(|p| p.split('?').next().unwrap_or(p))
            .unwrap_or("");
        let private = uri
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|p| p == "private=1"));
        match path {
            "/default" if private => default_machine::build(uri),
            "/default" => default_machine::shared(uri),
            p if p.starts_with('/') && p.len() > 1 => default_machine::build_from_file(uri, p),
            _ => Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                "testOpen: supply a path or use test:///default",
            )),
        }
    }

    pub(crate) fn empty(
        uri: &str,
        node: NodeInfo,
        cells: Vec<Cell>,
        networks: Vec<rvirt_conf::NetworkDef>,
    ) -> TestDriver {
        TestDriver {
            uri: uri.to_string(),
            node,
            cells,
            networks: network::NetworkList::seeded(networks),
            domains: DomainObjList::default(),
            next_id: AtomicI32::new(1),
            events: EventBus::default(),
            snapshots: Mutex::new(HashMap::new()),
            checkpoints: Mutex::new(HashMap::new()),
            storage: storage::TestStorage::default(),
            interfaces: interface::InterfaceList::default(),
            nodedevs: nodedev::TestNodeDevices::default(),
            frozen: Mutex::default(),
            iothread_polls: Mutex::default(),
        }
    }

    /// The URI this machine was opened with.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The number of domains, for tests and benchmarks.
    pub fn domain_count(&self) -> usize {
        self.domains.len()
    }

    /// A handle for a domain definition already in the list (used when seeding).
    pub(crate) fn seed_domain(&self, def: DomainDef, running: bool) -> Result<DomainRef> {
        domain::seed(self, def, running)
    }
}
