//! libvirt's blocking shape: the same API, each call run to completion on the calling thread.
//!
//! rvirt's futures need no reactor of their own (drivers that do I/O own it), so running one here
//! is just polling it: no thread hop, no runtime.

pub use crate::storage::blocking::{StoragePool, StorageVol};
use crate::{DomainEvent, Result};
use rvirt_types::checkpoint::*;
use rvirt_types::domain::*;
use rvirt_types::records::*;
use rvirt_types::snapshot::*;
use rvirt_types::typed_param::CountedParams;
use rvirt_types::{TypedParam, Uuid};
use std::os::fd::BorrowedFd;

/// Turns what an async call returns into what the blocking call returns: handles become
/// blocking handles, everything else stays as it is.
pub trait Wrap {
    /// The blocking form.
    type Out;
    /// Converts.
    fn wrap(self) -> Self::Out;
}

macro_rules! wrap_identity {
    ($($t:ty),* $(,)?) => { $(impl Wrap for $t { type Out = $t; fn wrap(self) -> $t { self } })* };
}
wrap_identity!(
    (),
    u8,
    bool,
    i32,
    u64,
    String,
    Option<String>,
    NodeInfo,
    CpuMap,
    NodeStat,
    SecurityModel,
    SecurityLabel,
    DomainInfo,
    (DomainState, i32),
    DomainTime,
    TypedParam,
    DomainBlockStats,
    DomainJobInfo,
    Option<DomainBlockJobInfo>,
    (i32, Vec<TypedParam>),
    DomainInterfaceStats,
    DomainMemoryStat,
    DomainInterface,
    DomainFSInfo,
    DomainControlInfo,
    DomainIOThreadInfo,
    DomainBlockInfo,
    (Vec<VcpuInfo>, Vec<u8>),
    (Vec<u8>, i32),
    (Vec<DomainDiskError>, i32),
    (String, i32),
    CountedParams
);

impl Wrap for crate::Domain {
    type Out = Domain;
    fn wrap(self) -> Domain {
        Domain(self)
    }
}

impl Wrap for crate::DomainSnapshot {
    type Out = DomainSnapshot;
    fn wrap(self) -> DomainSnapshot {
        DomainSnapshot(self)
    }
}

impl Wrap for crate::DomainCheckpoint {
    type Out = DomainCheckpoint;
    fn wrap(self) -> DomainCheckpoint {
        DomainCheckpoint(self)
    }
}

impl<T: Wrap> Wrap for Vec<T> {
    type Out = Vec<T::Out>;
    fn wrap(self) -> Self::Out {
        self.into_iter().map(Wrap::wrap).collect()
    }
}

impl Wrap for (crate::Domain, Vec<TypedParam>) {
    type Out = (Domain, Vec<TypedParam>);
    fn wrap(self) -> Self::Out {
        (Domain(self.0), self.1)
    }
}

macro_rules! blocking_methods {
    ($ty:ident { $(fn $name:ident($($arg:ident: $t:ty),*) -> $ret:ty;)* }) => {
        impl $ty {
            $(
                #[doc = concat!("Blocking form of [`crate::", stringify!($ty), "::", stringify!($name), "`].")]
                pub fn $name(&self, $($arg: $t),*) -> Result<<$ret as Wrap>::Out> {
                    pollster::block_on(self.0.$name($($arg),*)).map(Wrap::wrap)
                }
            )*
        }
    };
}

/// A blocking connection.
#[derive(Clone, Debug)]
pub struct Connect(pub crate::Connect);

/// A blocking domain handle.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain(pub crate::Domain);

/// A blocking snapshot handle.
#[derive(Clone, Debug)]
pub struct DomainSnapshot(pub crate::DomainSnapshot);

/// A blocking checkpoint handle.
#[derive(Clone, Debug)]
pub struct DomainCheckpoint(pub crate::DomainCheckpoint);

/// A blocking stream.
#[derive(Clone, Debug)]
pub struct Stream(pub crate::Stream);

impl Stream {
    /// `virStreamRecv`, see [`crate::Stream::recv`].
    pub fn recv(&self, nbytes: usize) -> Result<Vec<u8>> {
        pollster::block_on(self.0.recv(nbytes))
    }
    /// `virStreamRecvAll`, see [`crate::Stream::recv_all`].
    pub fn recv_all(&self, handler: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        pollster::block_on(self.0.recv_all(handler))
    }
    /// `virStreamSend`, see [`crate::Stream::send`].
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        pollster::block_on(self.0.send(data))
    }
    /// `virStreamFinish`.
    pub fn finish(&self) -> Result<()> {
        pollster::block_on(self.0.finish())
    }
    /// `virStreamAbort`.
    pub fn abort(&self) -> Result<()> {
        pollster::block_on(self.0.abort())
    }
}

impl Connect {
    /// `virConnectOpen`.
    pub fn open(uri: &str) -> Result<Connect> {
        pollster::block_on(crate::Connect::open(uri)).map(Connect)
    }

    /// `virConnectOpenReadOnly`.
    pub fn open_read_only(uri: &str) -> Result<Connect> {
        pollster::block_on(crate::Connect::open_read_only(uri)).map(Connect)
    }

    /// `virConnectDomainEventRegisterAny`, see [`crate::Connect::domain_event_register_any`].
    pub fn domain_event_register_any(
        &self,
        dom: Option<&Domain>,
        event_id: DomainEventID,
        callback: impl Fn(&Connect, &Domain, &DomainEvent) + Send + Sync + 'static,
    ) -> Result<crate::CallbackId> {
        pollster::block_on(self.0.domain_event_register_any(
            dom.map(|d| &d.0),
            event_id,
            move |c, d, e| callback(&Connect(c.clone()), &Domain(d.clone()), e),
        ))
    }

    /// `virConnectRegisterCloseCallback`, see [`crate::Connect::register_close_callback`].
    pub fn register_close_callback(
        &self,
        callback: impl Fn(rvirt_types::host::ConnectCloseReason) + Send + Sync + 'static,
    ) -> Result<()> {
        pollster::block_on(self.0.register_close_callback(callback))
    }

    /// `virConnectUnregisterCloseCallback`, see [`crate::Connect::unregister_close_callback`].
    pub fn unregister_close_callback(&self) -> Result<()> {
        pollster::block_on(self.0.unregister_close_callback())
    }

    /// `virStreamNew`, see [`crate::Connect::new_stream`].
    pub fn new_stream(&self, flags: u32) -> Stream {
        Stream(self.0.new_stream(flags))
    }

    /// `virConnectGetAllDomainStats` for given domains, see [`crate::Connect::domain_list_get_stats`].
    pub fn domain_list_get_stats(
        &self,
        doms: &[Domain],
        stats: DomainStatsTypes,
        flags: ConnectGetAllDomainStatsFlags,
    ) -> Result<Vec<(Domain, Vec<TypedParam>)>> {
        let doms: Vec<crate::Domain> = doms.iter().map(|d| d.0.clone()).collect();
        pollster::block_on(self.0.domain_list_get_stats(&doms, stats, flags)).map(Wrap::wrap)
    }
}

blocking_methods!(Connect {
    fn get_type() -> String;
    fn get_version() -> u64;
    fn get_lib_version() -> u64;
    fn get_hostname() -> String;
    fn get_uri() -> String;
    fn get_max_vcpus(virt_type: Option<&str>) -> i32;
    fn get_capabilities() -> String;
    fn get_domain_capabilities(emulatorbin: Option<&str>, arch: Option<&str>, machine: Option<&str>, virttype: Option<&str>, flags: u32) -> String;
    fn domain_xml_to_native(format: &str, xml: &str, flags: u32) -> String;
    fn get_sysinfo(flags: u32) -> String;
    fn is_secure() -> bool;
    fn is_encrypted() -> bool;
    fn is_alive() -> bool;
    fn set_keep_alive(interval: i32, count: u32) -> i32;
    fn node_get_info() -> NodeInfo;
    fn node_get_cells_free_memory(start_cell: i32, max_cells: i32) -> Vec<u64>;
    fn node_get_free_memory() -> u64;
    fn node_get_cpu_map(flags: u32) -> CpuMap;
    fn node_get_cpu_stats(cpu: i32, flags: u32) -> Vec<NodeStat>;
    fn node_get_memory_stats(cell: i32, flags: u32) -> Vec<NodeStat>;
    fn node_get_security_model() -> SecurityModel;
    fn node_get_free_pages(pages: &[u32], start_cell: i32, cell_count: u32, flags: u32) -> Vec<u64>;
    fn get_cpu_model_names(arch: &str, flags: u32) -> Vec<String>;
    fn baseline_cpu(xml_cpus: &[String], flags: u32) -> String;
    fn compare_cpu(xml: &str, flags: u32) -> i32;
    fn compare_hypervisor_cpu(emulator: Option<&str>, arch: Option<&str>, machine: Option<&str>, virttype: Option<&str>, xml: &str, flags: u32) -> i32;
    fn baseline_hypervisor_cpu(emulator: Option<&str>, arch: Option<&str>, machine: Option<&str>, virttype: Option<&str>, xml_cpus: &[String], flags: u32) -> String;
    fn list_all_domains(flags: ConnectListAllDomainsFlags) -> Vec<crate::Domain>;
    fn list_domains(max_ids: i32) -> Vec<i32>;
    fn num_of_domains() -> i32;
    fn list_defined_domains(max_names: i32) -> Vec<String>;
    fn num_of_defined_domains() -> i32;
    fn lookup_by_id(id: i32) -> crate::Domain;
    fn lookup_by_name(name: &str) -> crate::Domain;
    fn lookup_by_uuid(uuid: &Uuid) -> crate::Domain;
    fn lookup_by_uuid_string(uuid: &str) -> crate::Domain;
    fn define_xml(xml: &str) -> crate::Domain;
    fn define_xml_flags(xml: &str, flags: DomainDefineFlags) -> crate::Domain;
    fn create_xml(xml: &str, flags: DomainCreateFlags) -> crate::Domain;
    fn create_xml_with_files(xml: &str, files: &[BorrowedFd<'_>], flags: DomainCreateFlags) -> crate::Domain;
    fn restore(path: &str) -> ();
    fn restore_flags(path: &str, dxml: Option<&str>, flags: DomainSaveRestoreFlags) -> ();
    fn save_image_get_xml_desc(path: &str, flags: DomainSaveImageXMLFlags) -> String;
    fn save_image_define_xml(path: &str, dxml: &str, flags: DomainSaveRestoreFlags) -> ();
    fn get_all_domain_stats(stats: DomainStatsTypes, flags: ConnectGetAllDomainStatsFlags) -> Vec<(crate::Domain, Vec<TypedParam>)>;
    fn domain_event_deregister_any(id: crate::CallbackId) -> ();
});

impl Domain {
    /// `virDomainScreenshot`, see [`crate::Domain::screenshot`].
    pub fn screenshot(&self, stream: &Stream, screen: u32, flags: u32) -> Result<String> {
        pollster::block_on(self.0.screenshot(&stream.0, screen, flags))
    }
    /// `virDomainGetName`.
    pub fn get_name(&self) -> &str {
        self.0.get_name()
    }
    /// `virDomainGetUUID`.
    pub fn get_uuid(&self) -> Uuid {
        self.0.get_uuid()
    }
    /// `virDomainGetUUIDString`.
    pub fn get_uuid_string(&self) -> String {
        self.0.get_uuid_string()
    }
    /// `virDomainGetID`.
    pub fn get_id(&self) -> i32 {
        self.0.get_id()
    }
}

blocking_methods!(Domain {
    fn get_info() -> DomainInfo;
    fn set_memory_stats_period(period: i32, flags: DomainModificationImpact) -> ();
    fn get_state(flags: u32) -> (DomainState, i32);
    fn get_xml_desc(flags: DomainXMLFlags) -> String;
    fn create() -> ();
    fn create_with_flags(flags: DomainCreateFlags) -> ();
    fn create_with_files(files: &[BorrowedFd<'_>], flags: DomainCreateFlags) -> ();
    fn undefine() -> ();
    fn undefine_flags(flags: DomainUndefineFlags) -> ();
    fn shutdown() -> ();
    fn shutdown_flags(flags: DomainShutdownFlags) -> ();
    fn reboot(flags: DomainRebootFlags) -> ();
    fn reset(flags: u32) -> ();
    fn destroy() -> ();
    fn destroy_flags(flags: DomainDestroyFlags) -> ();
    fn suspend() -> ();
    fn resume() -> ();
    fn save(path: &str) -> ();
    fn save_flags(path: &str, dxml: Option<&str>, flags: DomainSaveRestoreFlags) -> ();
    fn managed_save(flags: DomainSaveRestoreFlags) -> ();
    fn has_managed_save_image(flags: u32) -> bool;
    fn managed_save_remove(flags: u32) -> ();
    fn managed_save_get_xml_desc(flags: DomainSaveImageXMLFlags) -> String;
    fn get_autostart() -> bool;
    fn set_autostart(autostart: bool) -> ();
    fn set_memory(kib: u64) -> ();
    fn set_memory_flags(kib: u64, flags: DomainMemoryModFlags) -> ();
    fn set_max_memory(kib: u64) -> ();
    fn set_vcpus(n: u32) -> ();
    fn set_vcpus_flags(n: u32, flags: DomainVcpuFlags) -> ();
    fn get_vcpus_flags(flags: DomainVcpuFlags) -> i32;
    fn get_max_vcpus() -> i32;
    fn get_max_memory() -> u64;
    fn rename(new_name: &str, flags: u32) -> crate::Domain;
    fn set_metadata(kind: DomainMetadataType, metadata: Option<&str>, key: Option<&str>, uri: Option<&str>, flags: DomainModificationImpact) -> ();
    fn get_metadata(kind: DomainMetadataType, uri: Option<&str>, flags: DomainModificationImpact) -> String;
    fn attach_device(xml: &str) -> ();
    fn attach_device_flags(xml: &str, flags: DomainDeviceModifyFlags) -> ();
    fn detach_device(xml: &str) -> ();
    fn detach_device_flags(xml: &str, flags: DomainDeviceModifyFlags) -> ();
    fn update_device_flags(xml: &str, flags: DomainDeviceModifyFlags) -> ();
    fn detach_device_alias(alias: &str, flags: DomainDeviceModifyFlags) -> ();
    fn is_active() -> bool;
    fn is_persistent() -> bool;
    fn is_updated() -> bool;
    fn get_os_type() -> String;
    fn get_hostname(flags: DomainGetHostnameFlags) -> String;
    fn get_time(flags: u32) -> DomainTime;
    fn set_time(seconds: i64, nseconds: u32, flags: u32) -> ();
    fn pin_vcpu_flags(vcpu: u32, cpumap: &[u8], flags: u32) -> ();
    fn pin_vcpu(vcpu: u32, cpumap: &[u8]) -> ();
    fn get_vcpu_pin_info(ncpumaps: i32, maplen: i32, flags: u32) -> (Vec<u8>, i32);
    fn pin_emulator(cpumap: &[u8], flags: u32) -> ();
    fn get_emulator_pin_info(maplen: i32, flags: u32) -> (Vec<u8>, i32);
    fn get_messages(flags: u32) -> Vec<String>;
    fn get_block_info(disk: &str, flags: u32) -> DomainBlockInfo;
    fn get_disk_errors(maxerrors: u32, flags: u32) -> (Vec<DomainDiskError>, i32);
    fn get_iothread_info(flags: u32) -> Vec<DomainIOThreadInfo>;
    fn add_iothread(id: u32, flags: u32) -> ();
    fn del_iothread(id: u32, flags: u32) -> ();
    fn pin_iothread(id: u32, cpumap: &[u8], flags: u32) -> ();
    fn inject_nmi(flags: u32) -> ();
    fn pm_suspend_for_duration(target: u32, duration: u64, flags: u32) -> ();
    fn pm_wakeup(flags: u32) -> ();
    fn send_key(codeset: u32, holdtime: u32, keycodes: &[u32], flags: u32) -> ();
    fn send_process_signal(pid: i64, signum: u32, flags: u32) -> ();
    fn core_dump(to: &str, flags: u32) -> ();
    fn core_dump_with_format(to: &str, format: u32, flags: u32) -> ();
    fn memory_peek(start: u64, size: u32, flags: u32) -> Vec<u8>;
    fn get_control_info(flags: u32) -> DomainControlInfo;
    fn set_lifecycle_action(kind: u32, action: u32, flags: u32) -> ();
    fn get_launch_security_info(flags: u32) -> Vec<TypedParam>;
    fn fs_freeze(mountpoints: &[String], flags: u32) -> i32;
    fn fs_thaw(mountpoints: &[String], flags: u32) -> i32;
    fn fs_trim(mountpoint: Option<&str>, minimum: u64, flags: u32) -> ();
    fn get_fs_info(flags: u32) -> Vec<DomainFSInfo>;
    fn set_user_password(user: &str, password: &str, flags: u32) -> ();
    fn authorized_ssh_keys_get(user: &str, flags: u32) -> Vec<String>;
    fn authorized_ssh_keys_set(user: &str, keys: &[String], flags: u32) -> ();
    fn get_guest_info(types: u32, flags: u32) -> Vec<TypedParam>;
    fn get_guest_vcpus(flags: u32) -> Vec<TypedParam>;
    fn set_guest_vcpus(cpumap: &str, state: i32, flags: u32) -> ();
    fn agent_set_response_timeout(timeout: i32, flags: u32) -> ();
    fn get_memory_parameters(flags: u32) -> Vec<TypedParam>;
    fn get_memory_parameters_counted(nparams: i32, flags: u32) -> CountedParams;
    fn get_blkio_parameters_counted(nparams: i32, flags: u32) -> CountedParams;
    fn get_numa_parameters_counted(nparams: i32, flags: u32) -> CountedParams;
    fn get_interface_parameters_counted(device: &str, nparams: i32, flags: u32) -> CountedParams;
    fn get_block_io_tune_counted(disk: Option<&str>, nparams: i32, flags: u32) -> CountedParams;
    fn set_memory_parameters(params: &[TypedParam], flags: u32) -> ();
    fn get_blkio_parameters(flags: u32) -> Vec<TypedParam>;
    fn set_blkio_parameters(params: &[TypedParam], flags: u32) -> ();
    fn get_numa_parameters(flags: u32) -> Vec<TypedParam>;
    fn set_numa_parameters(params: &[TypedParam], flags: u32) -> ();
    fn get_interface_parameters(device: &str, flags: u32) -> Vec<TypedParam>;
    fn set_interface_parameters(device: &str, params: &[TypedParam], flags: u32) -> ();
    fn get_block_io_tune(disk: &str, flags: u32) -> Vec<TypedParam>;
    fn set_block_io_tune(disk: &str, params: &[TypedParam], flags: u32) -> ();
    fn get_scheduler_type() -> (String, i32);
    fn get_scheduler_parameters(nparams: i32) -> Vec<TypedParam>;
    fn get_scheduler_parameters_flags(nparams: i32, flags: u32) -> Vec<TypedParam>;
    fn set_scheduler_parameters(params: &[TypedParam]) -> ();
    fn set_scheduler_parameters_flags(params: &[TypedParam], flags: u32) -> ();
    fn get_perf_events(flags: u32) -> Vec<TypedParam>;
    fn set_perf_events(params: &[TypedParam], flags: u32) -> ();
    fn set_iothread_params(iothread_id: u32, params: &[TypedParam], flags: u32) -> ();
    fn qemu_monitor_command(cmd: &str, flags: u32) -> String;
    fn qemu_agent_command(cmd: &str, timeout: i32, flags: u32) -> Option<String>;
    fn get_cpu_stats(start_cpu: i32, ncpus: u32, flags: u32) -> Vec<Vec<TypedParam>>;
    fn get_vcpus(maxinfo: i32, maplen: i32) -> (Vec<VcpuInfo>, Vec<u8>);
    fn get_job_info() -> DomainJobInfo;
    fn get_job_stats(flags: u32) -> (i32, Vec<TypedParam>);
    fn abort_job() -> ();
    fn abort_job_flags(flags: u32) -> ();
    fn block_commit(disk: &str, base: Option<&str>, top: Option<&str>, bandwidth: u64, flags: u32) -> ();
    fn block_pull(disk: &str, bandwidth: u64, flags: u32) -> ();
    fn block_rebase(disk: &str, base: Option<&str>, bandwidth: u64, flags: u32) -> ();
    fn get_block_job_info(disk: &str, flags: u32) -> Option<DomainBlockJobInfo>;
    fn block_job_abort(disk: &str, flags: u32) -> ();
    fn block_job_set_speed(disk: &str, bandwidth: u64, flags: u32) -> ();
    fn block_stats(disk: &str) -> DomainBlockStats;
    fn block_stats_flags(disk: &str, flags: u32) -> Vec<TypedParam>;
    fn interface_stats(device: &str) -> DomainInterfaceStats;
    fn memory_stats(nr_stats: u32, flags: u32) -> Vec<DomainMemoryStat>;
    fn get_security_label() -> SecurityLabel;
    fn interface_addresses(source: DomainInterfaceAddressesSource, flags: u32) -> Vec<DomainInterface>;
    fn snapshot_create_xml(xml: &str, flags: DomainSnapshotCreateFlags) -> crate::DomainSnapshot;
    fn list_all_snapshots(flags: DomainSnapshotListFlags) -> Vec<crate::DomainSnapshot>;
    fn snapshot_num(flags: DomainSnapshotListFlags) -> i32;
    fn snapshot_lookup_by_name(name: &str, flags: u32) -> crate::DomainSnapshot;
    fn has_current_snapshot(flags: u32) -> bool;
    fn snapshot_current(flags: u32) -> crate::DomainSnapshot;
    fn checkpoint_create_xml(xml: &str, flags: DomainCheckpointCreateFlags) -> crate::DomainCheckpoint;
    fn list_all_checkpoints(flags: DomainCheckpointListFlags) -> Vec<crate::DomainCheckpoint>;
    fn checkpoint_lookup_by_name(name: &str, flags: u32) -> crate::DomainCheckpoint;
});

impl DomainCheckpoint {
    /// `virDomainCheckpointGetName`.
    pub fn get_name(&self) -> &str {
        self.0.get_name()
    }
    /// `virDomainCheckpointGetDomain`.
    pub fn get_domain(&self) -> Domain {
        Domain(self.0.get_domain())
    }
}

blocking_methods!(DomainCheckpoint {
    fn get_xml_desc(flags: DomainCheckpointXMLFlags) -> String;
    fn get_parent(flags: u32) -> crate::DomainCheckpoint;
    fn list_all_children(flags: DomainCheckpointListFlags) -> Vec<crate::DomainCheckpoint>;
    fn delete(flags: DomainCheckpointDeleteFlags) -> ();
});

impl DomainSnapshot {
    /// `virDomainSnapshotGetName`.
    pub fn get_name(&self) -> &str {
        self.0.get_name()
    }
    /// `virDomainSnapshotGetDomain`.
    pub fn get_domain(&self) -> Domain {
        Domain(self.0.get_domain())
    }
}

blocking_methods!(DomainSnapshot {
    fn get_xml_desc(flags: DomainSnapshotXMLFlags) -> String;
    fn get_parent(flags: u32) -> crate::DomainSnapshot;
    fn list_all_children(flags: DomainSnapshotListFlags) -> Vec<crate::DomainSnapshot>;
    fn is_current(flags: u32) -> bool;
    fn num_children(flags: DomainSnapshotListFlags) -> i32;
    fn has_metadata(flags: u32) -> bool;
    fn revert(flags: DomainSnapshotRevertFlags) -> ();
    fn delete(flags: DomainSnapshotDeleteFlags) -> ();
});

mod interface;
mod network;
pub use interface::Interface;
pub use network::{Network, NetworkPort};
mod nodedev;
pub use nodedev::NodeDevice;
