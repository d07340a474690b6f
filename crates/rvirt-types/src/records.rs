//! Plain records that calls return: `virDomainInfo`, `virNodeInfo`, stats and security records.

use crate::domain::{DomainState, IPAddrType};

/// `virDomainInfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainInfo {
    /// The running state.
    pub state: DomainState,
    /// The maximum memory in KiB allowed.
    pub max_mem: u64,
    /// The memory in KiB used by the domain.
    pub memory: u64,
    /// The number of virtual CPUs.
    pub nr_virt_cpu: u32,
    /// The CPU time used, in nanoseconds.
    pub cpu_time: u64,
}

/// `virNodeInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NodeInfo {
    /// CPU model, at most 31 bytes (`char model[32]`).
    pub model: String,
    /// Memory size in KiB.
    pub memory: u64,
    /// The number of active CPUs.
    pub cpus: u32,
    /// Expected CPU frequency in MHz.
    pub mhz: u32,
    /// The number of NUMA cells.
    pub nodes: u32,
    /// The number of CPU sockets per node.
    pub sockets: u32,
    /// The number of cores per socket.
    pub cores: u32,
    /// The number of threads per core.
    pub threads: u32,
}

/// `virDomainJobInfo`: the progress of a domain's background job (all zero with type
/// `VIR_DOMAIN_JOB_NONE` when there is none). Times in milliseconds, sizes in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainJobInfo {
    /// The job's state, a `virDomainJobType` value.
    pub job_type: i32,
    /// Time since the job started.
    pub time_elapsed: u64,
    /// Expected time left (bounded jobs only).
    pub time_remaining: u64,
    /// Memory plus file data, in all.
    pub data_total: u64,
    /// Memory plus file data done.
    pub data_processed: u64,
    /// Memory plus file data left.
    pub data_remaining: u64,
    /// Guest memory in all.
    pub mem_total: u64,
    /// Guest memory done.
    pub mem_processed: u64,
    /// Guest memory left.
    pub mem_remaining: u64,
    /// File (disk) data in all.
    pub file_total: u64,
    /// File data done.
    pub file_processed: u64,
    /// File data left.
    pub file_remaining: u64,
}

/// `virDomainBlockJobInfo`: a disk's block job (commit, pull, copy) and its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainBlockJobInfo {
    /// The job's kind, a `virDomainBlockJobType` value.
    pub job_type: i32,
    /// The rate limit: MiB/s, or bytes/s with `VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES`
    /// (0: none).
    pub bandwidth: u64,
    /// Work done, in an arbitrary unit.
    pub cur: u64,
    /// Work in all, in the same unit (`cur == end`: the job is done or ready to pivot).
    pub end: u64,
}

/// `virDomainBlockStatsStruct`: -1 where a counter is not supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainBlockStats {
    /// Number of read requests.
    pub rd_req: i64,
    /// Number of read bytes.
    pub rd_bytes: i64,
    /// Number of write requests.
    pub wr_req: i64,
    /// Number of written bytes.
    pub wr_bytes: i64,
    /// Xen-specific oo_req, -1 elsewhere.
    pub errs: i64,
}

/// `virDomainInterfaceStatsStruct`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainInterfaceStats {
    /// Bytes received.
    pub rx_bytes: i64,
    /// Packets received.
    pub rx_packets: i64,
    /// Receive errors.
    pub rx_errs: i64,
    /// Received packets dropped.
    pub rx_drop: i64,
    /// Bytes sent.
    pub tx_bytes: i64,
    /// Packets sent.
    pub tx_packets: i64,
    /// Send errors.
    pub tx_errs: i64,
    /// Sent packets dropped.
    pub tx_drop: i64,
}

/// One `virDomainMemoryStatStruct`: a tag from [`crate::domain::DomainMemoryStatTags`] and its
/// value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainMemoryStat {
    /// Which statistic.
    pub tag: crate::domain::DomainMemoryStatTags,
    /// Its value (KiB for sizes).
    pub val: u64,
}

/// `virSecurityModel`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SecurityModel {
    /// The model name, e.g. `selinux`.
    pub model: String,
    /// The domain of interpretation.
    pub doi: String,
}

/// `virSecurityLabel`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SecurityLabel {
    /// The label.
    pub label: String,
    /// Whether the security model enforces it.
    pub enforcing: bool,
}

/// One CPU's (or the total's) `virNodeCPUStats` / `virNodeMemoryStats` entry: a name and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStat {
    /// The field name, e.g. `kernel`, `user`, `total`, `free`.
    pub field: String,
    /// Its value.
    pub value: u64,
}

/// The time a guest reports (`virDomainGetTime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainTime {
    /// Seconds since the epoch.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nseconds: u32,
}

/// A disk's sizes (`virDomainGetBlockInfo`), in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainBlockInfo {
    /// What the guest sees.
    pub capacity: u64,
    /// What the host has given it (for a sparse file, its used blocks).
    pub allocation: u64,
    /// What the host holds for it (the file's size).
    pub physical: u64,
}

/// A disk with an I/O error (`virDomainGetDiskErrors`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DomainDiskError {
    /// The disk's target (`vda`).
    pub disk: String,
    /// A `virDomainDiskErrorCode` value: 1 unspecified, 2 no space.
    pub error: i32,
}

/// One I/O thread of a domain and the host CPUs it may run on (`virDomainGetIOThreadInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DomainIOThreadInfo {
    /// The thread's id.
    pub iothread_id: u32,
    /// Its CPU map (CPU `n` is bit `n % 8` of byte `n / 8`), just long enough.
    pub cpumap: Vec<u8>,
}

/// `virDomainGetControlInfo`: the state of the hypervisor's control of a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DomainControlInfo {
    /// A `virDomainControlState` value.
    pub state: u32,
    /// For the error state, a `virDomainControlErrorReason` value.
    pub details: u32,
    /// How long the control has been in this state, in milliseconds.
    pub state_time: u64,
}

/// One file system of a guest, as its agent reports it (`virDomainGetFSInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DomainFSInfo {
    /// Where it is mounted in the guest.
    pub mountpoint: String,
    /// Its device name in the guest (`vda1`).
    pub name: String,
    /// Its type (`ext4`).
    pub fstype: String,
    /// The targets (`vda`) of the domain's disks it sits on.
    pub dev_aliases: Vec<String>,
}

/// `virNodeGetCPUMap`: which host CPUs exist and are online.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CpuMap {
    /// The number of CPUs present.
    pub cpus: u32,
    /// One bit per CPU, set when online (LSB of byte 0 is CPU 0).
    pub map: Vec<u8>,
    /// The number of online CPUs.
    pub online: u32,
}

/// `virVcpuInfo`: one virtual CPU of a running domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VcpuInfo {
    /// The vCPU's number.
    pub number: u32,
    /// A `virVcpuState` value.
    pub state: i32,
    /// CPU time used, in nanoseconds.
    pub cpu_time: u64,
    /// The host CPU it runs on.
    pub cpu: i32,
}

/// `virDomainIPAddress`: one address of a guest interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainIPAddress {
    /// IPv4 or IPv6.
    pub addr_type: IPAddrType,
    /// The address as text, e.g. `192.168.122.3`.
    pub addr: String,
    /// The network prefix length.
    pub prefix: u32,
}

/// `virDomainInterface`: a guest network interface and its addresses
/// (`virDomainInterfaceAddresses`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainInterface {
    /// The interface name (the host-side device name for drivers that make addresses up).
    pub name: String,
    /// The hardware (MAC) address, when known.
    pub hwaddr: Option<String>,
    /// Its addresses.
    pub addrs: Vec<DomainIPAddress>,
}
