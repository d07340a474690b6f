//! Typed replies of the commands the QEMU driver uses, as QEMU 7.2 shapes them. Fields QEMU
//! may omit are `Option` or default; unknown fields are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire::QemuVersion;

/// QEMU's run state (`query-status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Started with `-S`, never run.
    Prelaunch,
    /// Running.
    Running,
    /// Paused by `stop` (or by the user).
    Paused,
    /// Paused because of a disk I/O error.
    IoError,
    /// Shut down, waiting for `quit` (with `-no-shutdown`).
    Shutdown,
    /// Suspended to RAM by the guest.
    Suspended,
    /// Stopped by the watchdog.
    Watchdog,
    /// The guest panicked.
    GuestPanicked,
    /// Waiting for an incoming migration.
    Inmigrate,
    /// Migration finished on the source; not running.
    Postmigrate,
    /// Finishing an outgoing migration.
    FinishMigrate,
    /// Loading a snapshot.
    RestoreVm,
    /// Saving a snapshot.
    SaveVm,
    /// Stopped in the debugger.
    Debug,
    /// An internal error stopped it.
    InternalError,
    /// COLO fault tolerance.
    Colo,
    /// A state this crate does not know.
    #[serde(other)]
    Unknown,
}

/// `query-status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInfo {
    /// Whether the CPUs run.
    pub running: bool,
    /// The detailed state.
    pub status: RunState,
}

/// One vCPU of `query-cpus-fast`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CpuInfoFast {
    /// The vCPU index.
    pub cpu_index: i64,
    /// Its QOM path.
    pub qom_path: String,
    /// The host thread running it.
    pub thread_id: i64,
    /// The target architecture (`x86_64`, ...).
    #[serde(default)]
    pub target: String,
    /// Topology properties (socket-id, core-id, thread-id...).
    #[serde(default)]
    pub props: Option<Value>,
}

/// The counters of one block device (`query-blockstats`' `stats`). Names as QEMU spells them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockDeviceStats {
    /// Bytes read.
    pub rd_bytes: u64,
    /// Bytes written.
    pub wr_bytes: u64,
    /// Read requests.
    pub rd_operations: u64,
    /// Write requests.
    pub wr_operations: u64,
    /// Flush requests.
    pub flush_operations: u64,
    /// Time spent reading, ns.
    pub rd_total_time_ns: u64,
    /// Time spent writing, ns.
    pub wr_total_time_ns: u64,
    /// Time spent flushing, ns.
    pub flush_total_time_ns: u64,
    /// The highest offset written.
    pub wr_highest_offset: u64,
}

/// One entry of `query-blockstats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct BlockStats {
    /// The drive name (empty for -blockdev devices).
    pub device: String,
    /// The node name.
    pub node_name: Option<String>,
    /// The qdev id or path of the device using it.
    pub qdev: Option<String>,
    /// The counters.
    pub stats: BlockDeviceStats,
    /// The protocol layer's statistics, unparsed.
    pub parent: Option<Value>,
}

/// The medium of a block device (`query-block`'s `inserted`), the parts the driver reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct BlockInserted {
    /// The file name.
    pub file: String,
    /// The node name.
    pub node_name: Option<String>,
    /// Read-only.
    pub ro: bool,
    /// The format driver.
    pub drv: String,
    /// The backing file, if any.
    pub backing_file: Option<String>,
    /// Image information (virtual-size, actual-size, format...), unparsed.
    pub image: Option<Value>,
}

/// One entry of `query-block`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockInfo {
    /// The drive name (empty for -blockdev devices).
    pub device: String,
    /// The qdev id or path.
    pub qdev: Option<String>,
    /// Whether the medium can be removed.
    pub removable: bool,
    /// Whether the tray is locked.
    pub locked: bool,
    /// Whether the tray is open (removable devices only).
    pub tray_open: Option<bool>,
    /// The medium, when one is inserted.
    pub inserted: Option<BlockInserted>,
}

/// `query-balloon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalloonInfo {
    /// The guest's memory now, bytes.
    pub actual: u64,
}

/// The balloon driver's `guest-stats` QOM property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct BalloonStats {
    /// `stat-swap-in`, `stat-free-memory`, ... as the guest reported them; QEMU sends
    /// `u64::MAX` for a statistic the guest did not report (see [`BalloonStats::stat`]).
    pub stats: BTreeMap<String, u64>,
    /// When the guest last reported, seconds since the epoch (0: never).
    pub last_update: i64,
}

impl BalloonStats {
    /// One statistic, `None` when the guest did not report it.
    pub fn stat(&self, name: &str) -> Option<u64> {
        self.stats.get(name).copied().filter(|&v| v != u64::MAX)
    }
}

/// The RAM part of `query-migrate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct MigrationRam {
    /// Bytes transferred.
    pub transferred: u64,
    /// Bytes remaining.
    pub remaining: u64,
    /// Total bytes.
    pub total: u64,
    /// How many times the dirty bitmap was synchronised (passes over memory).
    pub dirty_sync_count: u64,
    /// Pages that were all one byte (zero pages, mostly), sent as such.
    pub duplicate: u64,
    /// Pages sent whole.
    pub normal: u64,
    /// Bytes of the pages sent whole.
    pub normal_bytes: u64,
    /// Pages dirtied per second.
    pub dirty_pages_rate: u64,
    /// Throughput in megabits per second.
    pub mbps: f64,
    /// Page requests from the destination in post-copy.
    pub postcopy_requests: u64,
    /// The page size, when QEMU reports it.
    pub page_size: u64,
}

/// `query-migrate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct MigrationInfo {
    /// `none`, `setup`, `active`, `device`, `completed`, `failed`, `cancelled`... (absent
    /// before the first migration).
    pub status: Option<String>,
    /// RAM progress.
    pub ram: Option<MigrationRam>,
    /// Milliseconds since the migration started (or total, once completed).
    pub total_time: Option<u64>,
    /// Milliseconds the setup phase took.
    pub setup_time: Option<u64>,
    /// Why it failed.
    pub error_desc: Option<String>,
}

/// `add-fd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AddFdInfo {
    /// The fd set the descriptor went into.
    pub fdset_id: i64,
    /// QEMU's number for it (usable as `/dev/fdset/N` paths refer to the set).
    pub fd: i64,
}

/// One job of `query-jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct JobInfo {
    /// The job id.
    pub id: String,
    /// The job type (`snapshot-save`, `commit`...).
    #[serde(rename = "type")]
    pub job_type: String,
    /// `created`, `running`, `concluded`, `null`...
    pub status: String,
    /// Progress done.
    pub current_progress: u64,
    /// Progress total.
    pub total_progress: u64,
    /// Why it failed, for a concluded failed job.
    #[serde(default)]
    pub error: Option<String>,
}

/// One machine type of `query-machines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MachineInfo {
    /// The name (`pc-i440fx-7.2`).
    pub name: String,
    /// An alias (`pc`).
    #[serde(default)]
    pub alias: Option<String>,
    /// Whether it is the default machine.
    #[serde(default)]
    pub is_default: bool,
    /// The maximum number of vCPUs.
    pub cpu_max: u32,
    /// Whether vCPUs can be hot-plugged.
    pub hotpluggable_cpus: bool,
    /// Whether NUMA nodes can set `mem` (legacy).
    #[serde(default)]
    pub numa_mem_supported: bool,
    /// Whether the type is deprecated.
    #[serde(default)]
    pub deprecated: bool,
    /// The default CPU model's QOM type.
    #[serde(default)]
    pub default_cpu_type: Option<String>,
    /// The id of the default RAM backend.
    #[serde(default)]
    pub default_ram_id: Option<String>,
}

/// One CPU model of `query-cpu-definitions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CpuDefinition {
    /// The model name.
    pub name: String,
    /// Whether it is safe across migration.
    #[serde(default)]
    pub migration_safe: Option<bool>,
    /// Whether it never changes across QEMU versions.
    #[serde(rename = "static", default)]
    pub static_: bool,
    /// Features that keep it from running with this accelerator and host (empty: usable).
    #[serde(default)]
    pub unavailable_features: Option<Vec<String>>,
    /// The QOM type name.
    #[serde(default)]
    pub typename: String,
    /// The model it is an alias of.
    #[serde(default)]
    pub alias_of: Option<String>,
    /// Whether it is deprecated.
    #[serde(default)]
    pub deprecated: bool,
}

/// `query-kvm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvmInfo {
    /// KVM is the accelerator in use.
    pub enabled: bool,
    /// KVM is available on this host.
    pub present: bool,
}

/// `query-version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The numbers.
    pub qemu: QemuVersion,
    /// The distribution's package string.
    #[serde(default)]
    pub package: String,
}

/// One job of `query-block-jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockJobStatus {
    /// The job id (QEMU calls it `device`).
    pub device: String,
    /// The job type (`commit`, `stream`, `mirror`, `backup`).
    #[serde(rename = "type")]
    pub job_type: String,
    /// Total work.
    pub len: u64,
    /// Work done.
    pub offset: u64,
    /// Whether it is doing I/O right now.
    pub busy: bool,
    /// Whether it is paused.
    pub paused: bool,
    /// Rate limit, bytes per second (0: none).
    pub speed: u64,
    /// Whether it can be completed (mirror, active commit).
    pub ready: bool,
    /// Its job status (`running`, `ready`, `concluded`...).
    #[serde(default)]
    pub status: String,
}
