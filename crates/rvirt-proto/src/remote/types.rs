// Transcribed from libvirt 9.0's src/remote/remote_protocol.x by
// tools/transcribe_remote_protocol.py; reviewed and committed, never generated at build time.

//! The remote program's argument, return and message structures.

#![allow(missing_docs)]

use rvirt_xdr::{
    BoundedOpaque, BoundedVec, CharArray, RemoteNonnullString, RemoteString, RemoteTypedParam,
    RemoteTypedParamValue, XdrDecode, XdrEncode,
};

/// `remote_nonnull_domain`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullDomain {
    pub name: RemoteNonnullString,
    pub uuid: [u8; 16],
    pub id: i32,
}

/// `remote_nonnull_network`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullNetwork {
    pub name: RemoteNonnullString,
    pub uuid: [u8; 16],
}

/// `remote_nonnull_network_port`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullNetworkPort {
    pub net: NonnullNetwork,
    pub uuid: [u8; 16],
}

/// `remote_nonnull_nwfilter`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullNwfilter {
    pub name: RemoteNonnullString,
    pub uuid: [u8; 16],
}

/// `remote_nonnull_nwfilter_binding`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullNwfilterBinding {
    pub portdev: RemoteNonnullString,
    pub filtername: RemoteNonnullString,
}

/// `remote_nonnull_interface`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullInterface {
    pub name: RemoteNonnullString,
    pub mac: RemoteNonnullString,
}

/// `remote_nonnull_storage_pool`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullStoragePool {
    pub name: RemoteNonnullString,
    pub uuid: [u8; 16],
}

/// `remote_nonnull_storage_vol`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullStorageVol {
    pub pool: RemoteNonnullString,
    pub name: RemoteNonnullString,
    pub key: RemoteNonnullString,
}

/// `remote_nonnull_node_device`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullNodeDevice {
    pub name: RemoteNonnullString,
}

/// `remote_nonnull_secret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullSecret {
    pub uuid: [u8; 16],
    pub usage_type: i32,
    pub usage_id: RemoteNonnullString,
}

/// `remote_nonnull_domain_checkpoint`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullDomainCheckpoint {
    pub name: RemoteNonnullString,
    pub dom: NonnullDomain,
}

/// `remote_nonnull_domain_snapshot`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NonnullDomainSnapshot {
    pub name: RemoteNonnullString,
    pub dom: NonnullDomain,
}

/// `remote_vcpu_info`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct VcpuInfo {
    pub number: u32,
    pub state: i32,
    pub cpu_time: u64,
    pub cpu: i32,
}

/// `remote_typed_param`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct TypedParam {
    pub field: RemoteNonnullString,
    pub value: RemoteTypedParamValue,
}

/// `remote_node_get_cpu_stats`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetCpuStats {
    pub field: RemoteNonnullString,
    pub value: u64,
}

/// `remote_node_get_memory_stats`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetMemoryStats {
    pub field: RemoteNonnullString,
    pub value: u64,
}

/// `remote_domain_disk_error`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDiskError {
    pub disk: RemoteNonnullString,
    pub error: i32,
}

/// `remote_connect_open_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectOpenArgs {
    pub name: RemoteString,
    pub flags: u32,
}

/// `remote_connect_supports_feature_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectSupportsFeatureArgs {
    pub feature: i32,
}

/// `remote_connect_supports_feature_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectSupportsFeatureRet {
    pub supported: i32,
}

/// `remote_connect_get_type_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetTypeRet {
    pub r#type: RemoteNonnullString,
}

/// `remote_connect_get_version_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetVersionRet {
    pub hv_ver: u64,
}

/// `remote_connect_get_lib_version_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetLibVersionRet {
    pub lib_ver: u64,
}

/// `remote_connect_get_hostname_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetHostnameRet {
    pub hostname: RemoteNonnullString,
}

/// `remote_connect_get_sysinfo_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetSysinfoArgs {
    pub flags: u32,
}

/// `remote_connect_get_sysinfo_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetSysinfoRet {
    pub sysinfo: RemoteNonnullString,
}

/// `remote_connect_get_uri_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetUriRet {
    pub uri: RemoteNonnullString,
}

/// `remote_connect_get_max_vcpus_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetMaxVcpusArgs {
    pub r#type: RemoteString,
}

/// `remote_connect_get_max_vcpus_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetMaxVcpusRet {
    pub max_vcpus: i32,
}

/// `remote_node_get_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetInfoRet {
    pub model: CharArray<32>,
    pub memory: u64,
    pub cpus: i32,
    pub mhz: i32,
    pub nodes: i32,
    pub sockets: i32,
    pub cores: i32,
    pub threads: i32,
}

/// `remote_connect_get_capabilities_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetCapabilitiesRet {
    pub capabilities: RemoteNonnullString,
}

/// `remote_connect_get_domain_capabilities_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetDomainCapabilitiesArgs {
    pub emulatorbin: RemoteString,
    pub arch: RemoteString,
    pub machine: RemoteString,
    pub virttype: RemoteString,
    pub flags: u32,
}

/// `remote_connect_get_domain_capabilities_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetDomainCapabilitiesRet {
    pub capabilities: RemoteNonnullString,
}

/// `remote_node_get_cpu_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetCpuStatsArgs {
    pub cpu_num: i32,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_node_get_cpu_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetCpuStatsRet {
    pub params: BoundedVec<NodeGetCpuStats, 16>,
    pub nparams: i32,
}

/// `remote_node_get_memory_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetMemoryStatsArgs {
    pub nparams: i32,
    pub cell_num: i32,
    pub flags: u32,
}

/// `remote_node_get_memory_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetMemoryStatsRet {
    pub params: BoundedVec<NodeGetMemoryStats, 16>,
    pub nparams: i32,
}

/// `remote_node_get_cells_free_memory_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetCellsFreeMemoryArgs {
    pub start_cell: i32,
    pub maxcells: i32,
}

/// `remote_node_get_cells_free_memory_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetCellsFreeMemoryRet {
    pub cells: BoundedVec<u64, 1024>,
}

/// `remote_node_get_free_memory_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetFreeMemoryRet {
    pub free_mem: u64,
}

/// `remote_domain_get_scheduler_type_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSchedulerTypeArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_scheduler_type_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSchedulerTypeRet {
    pub r#type: RemoteNonnullString,
    pub nparams: i32,
}

/// `remote_domain_get_scheduler_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSchedulerParametersArgs {
    pub dom: NonnullDomain,
    pub nparams: i32,
}

/// `remote_domain_get_scheduler_parameters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSchedulerParametersRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
}

/// `remote_domain_get_scheduler_parameters_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSchedulerParametersFlagsArgs {
    pub dom: NonnullDomain,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_domain_get_scheduler_parameters_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSchedulerParametersFlagsRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
}

/// `remote_domain_set_scheduler_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetSchedulerParametersArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 16>,
}

/// `remote_domain_set_scheduler_parameters_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetSchedulerParametersFlagsArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub flags: u32,
}

/// `remote_domain_set_blkio_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetBlkioParametersArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub flags: u32,
}

/// `remote_domain_get_blkio_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlkioParametersArgs {
    pub dom: NonnullDomain,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_domain_get_blkio_parameters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlkioParametersRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub nparams: i32,
}

/// `remote_domain_set_memory_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetMemoryParametersArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub flags: u32,
}

/// `remote_domain_get_memory_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMemoryParametersArgs {
    pub dom: NonnullDomain,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_domain_get_memory_parameters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMemoryParametersRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub nparams: i32,
}

/// `remote_domain_block_resize_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockResizeArgs {
    pub dom: NonnullDomain,
    pub disk: RemoteNonnullString,
    pub size: u64,
    pub flags: u32,
}

/// `remote_domain_set_numa_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetNumaParametersArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub flags: u32,
}

/// `remote_domain_get_numa_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetNumaParametersArgs {
    pub dom: NonnullDomain,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_domain_get_numa_parameters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetNumaParametersRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub nparams: i32,
}

/// `remote_domain_set_perf_events_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetPerfEventsArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub flags: u32,
}

/// `remote_domain_get_perf_events_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetPerfEventsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_perf_events_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetPerfEventsRet {
    pub params: BoundedVec<RemoteTypedParam, 64>,
}

/// `remote_domain_block_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockStatsArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
}

/// `remote_domain_block_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockStatsRet {
    pub rd_req: i64,
    pub rd_bytes: i64,
    pub wr_req: i64,
    pub wr_bytes: i64,
    pub errs: i64,
}

/// `remote_domain_block_stats_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockStatsFlagsArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_domain_block_stats_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockStatsFlagsRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub nparams: i32,
}

/// `remote_domain_interface_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainInterfaceStatsArgs {
    pub dom: NonnullDomain,
    pub device: RemoteNonnullString,
}

/// `remote_domain_interface_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainInterfaceStatsRet {
    pub rx_bytes: i64,
    pub rx_packets: i64,
    pub rx_errs: i64,
    pub rx_drop: i64,
    pub tx_bytes: i64,
    pub tx_packets: i64,
    pub tx_errs: i64,
    pub tx_drop: i64,
}

/// `remote_domain_set_interface_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetInterfaceParametersArgs {
    pub dom: NonnullDomain,
    pub device: RemoteNonnullString,
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub flags: u32,
}

/// `remote_domain_get_interface_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetInterfaceParametersArgs {
    pub dom: NonnullDomain,
    pub device: RemoteNonnullString,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_domain_get_interface_parameters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetInterfaceParametersRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub nparams: i32,
}

/// `remote_domain_memory_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMemoryStatsArgs {
    pub dom: NonnullDomain,
    pub max_stats: u32,
    pub flags: u32,
}

/// `remote_domain_memory_stat`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMemoryStat {
    pub tag: i32,
    pub val: u64,
}

/// `remote_domain_memory_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMemoryStatsRet {
    pub stats: BoundedVec<DomainMemoryStat, 1024>,
}

/// `remote_domain_block_peek_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockPeekArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub offset: u64,
    pub size: u32,
    pub flags: u32,
}

/// `remote_domain_block_peek_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockPeekRet {
    pub buffer: BoundedOpaque<4194304>,
}

/// `remote_domain_memory_peek_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMemoryPeekArgs {
    pub dom: NonnullDomain,
    pub offset: u64,
    pub size: u32,
    pub flags: u32,
}

/// `remote_domain_memory_peek_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMemoryPeekRet {
    pub buffer: BoundedOpaque<4194304>,
}

/// `remote_domain_get_block_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlockInfoArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_get_block_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlockInfoRet {
    pub allocation: u64,
    pub capacity: u64,
    pub physical: u64,
}

/// `remote_connect_list_domains_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDomainsArgs {
    pub maxids: i32,
}

/// `remote_connect_list_domains_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDomainsRet {
    pub ids: BoundedVec<i32, 16384>,
}

/// `remote_connect_num_of_domains_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfDomainsRet {
    pub num: i32,
}

/// `remote_domain_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateXmlArgs {
    pub xml_desc: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateXmlRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_create_xml_with_files_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateXmlWithFilesArgs {
    pub xml_desc: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_create_xml_with_files_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateXmlWithFilesRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_lookup_by_id_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainLookupByIdArgs {
    pub id: i32,
}

/// `remote_domain_lookup_by_id_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainLookupByIdRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_lookup_by_uuid_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainLookupByUuidArgs {
    pub uuid: [u8; 16],
}

/// `remote_domain_lookup_by_uuid_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainLookupByUuidRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainLookupByNameArgs {
    pub name: RemoteNonnullString,
}

/// `remote_domain_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainLookupByNameRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_suspend_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSuspendArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_resume_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainResumeArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_pm_suspend_for_duration_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainPmSuspendForDurationArgs {
    pub dom: NonnullDomain,
    pub target: u32,
    pub duration: u64,
    pub flags: u32,
}

/// `remote_domain_pm_wakeup_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainPmWakeupArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_shutdown_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainShutdownArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_reboot_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainRebootArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_reset_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainResetArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_destroy_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDestroyArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_destroy_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDestroyFlagsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_os_type_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetOsTypeArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_os_type_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetOsTypeRet {
    pub r#type: RemoteNonnullString,
}

/// `remote_domain_get_max_memory_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMaxMemoryArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_max_memory_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMaxMemoryRet {
    pub memory: u64,
}

/// `remote_domain_set_max_memory_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetMaxMemoryArgs {
    pub dom: NonnullDomain,
    pub memory: u64,
}

/// `remote_domain_set_memory_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetMemoryArgs {
    pub dom: NonnullDomain,
    pub memory: u64,
}

/// `remote_domain_set_memory_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetMemoryFlagsArgs {
    pub dom: NonnullDomain,
    pub memory: u64,
    pub flags: u32,
}

/// `remote_domain_set_memory_stats_period_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetMemoryStatsPeriodArgs {
    pub dom: NonnullDomain,
    pub period: i32,
    pub flags: u32,
}

/// `remote_domain_get_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetInfoArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetInfoRet {
    pub state: u8,
    pub max_mem: u64,
    pub memory: u64,
    pub nr_virt_cpu: u16,
    pub cpu_time: u64,
}

/// `remote_domain_save_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSaveArgs {
    pub dom: NonnullDomain,
    pub to: RemoteNonnullString,
}

/// `remote_domain_save_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSaveFlagsArgs {
    pub dom: NonnullDomain,
    pub to: RemoteNonnullString,
    pub dxml: RemoteString,
    pub flags: u32,
}

/// `remote_domain_save_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSaveParamsArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub flags: u32,
}

/// `remote_domain_restore_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainRestoreArgs {
    pub from: RemoteNonnullString,
}

/// `remote_domain_restore_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainRestoreFlagsArgs {
    pub from: RemoteNonnullString,
    pub dxml: RemoteString,
    pub flags: u32,
}

/// `remote_domain_restore_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainRestoreParamsArgs {
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub flags: u32,
}

/// `remote_domain_save_image_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSaveImageGetXmlDescArgs {
    pub file: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_save_image_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSaveImageGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_domain_save_image_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSaveImageDefineXmlArgs {
    pub file: RemoteNonnullString,
    pub dxml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_core_dump_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCoreDumpArgs {
    pub dom: NonnullDomain,
    pub to: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_core_dump_with_format_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCoreDumpWithFormatArgs {
    pub dom: NonnullDomain,
    pub to: RemoteNonnullString,
    pub dumpformat: u32,
    pub flags: u32,
}

/// `remote_domain_screenshot_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainScreenshotArgs {
    pub dom: NonnullDomain,
    pub screen: u32,
    pub flags: u32,
}

/// `remote_domain_screenshot_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainScreenshotRet {
    pub mime: RemoteString,
}

/// `remote_domain_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetXmlDescArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_domain_migrate_prepare_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepareArgs {
    pub uri_in: RemoteString,
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
}

/// `remote_domain_migrate_prepare_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepareRet {
    pub cookie: BoundedOpaque<4194304>,
    pub uri_out: RemoteString,
}

/// `remote_domain_migrate_perform_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePerformArgs {
    pub dom: NonnullDomain,
    pub cookie: BoundedOpaque<4194304>,
    pub uri: RemoteNonnullString,
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
}

/// `remote_domain_migrate_finish_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinishArgs {
    pub dname: RemoteNonnullString,
    pub cookie: BoundedOpaque<4194304>,
    pub uri: RemoteNonnullString,
    pub flags: u64,
}

/// `remote_domain_migrate_finish_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinishRet {
    pub ddom: NonnullDomain,
}

/// `remote_domain_migrate_prepare2_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepare2Args {
    pub uri_in: RemoteString,
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
    pub dom_xml: RemoteNonnullString,
}

/// `remote_domain_migrate_prepare2_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepare2Ret {
    pub cookie: BoundedOpaque<4194304>,
    pub uri_out: RemoteString,
}

/// `remote_domain_migrate_finish2_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinish2Args {
    pub dname: RemoteNonnullString,
    pub cookie: BoundedOpaque<4194304>,
    pub uri: RemoteNonnullString,
    pub flags: u64,
    pub retcode: i32,
}

/// `remote_domain_migrate_finish2_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinish2Ret {
    pub ddom: NonnullDomain,
}

/// `remote_connect_list_defined_domains_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedDomainsArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_defined_domains_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedDomainsRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_connect_num_of_defined_domains_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfDefinedDomainsRet {
    pub num: i32,
}

/// `remote_domain_create_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_create_with_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateWithFlagsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_create_with_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateWithFlagsRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_create_with_files_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateWithFilesArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_create_with_files_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCreateWithFilesRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDefineXmlArgs {
    pub xml: RemoteNonnullString,
}

/// `remote_domain_define_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDefineXmlRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_define_xml_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDefineXmlFlagsArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_define_xml_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDefineXmlFlagsRet {
    pub dom: NonnullDomain,
}

/// `remote_domain_undefine_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainUndefineArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_undefine_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainUndefineFlagsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_inject_nmi_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainInjectNmiArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_send_key_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSendKeyArgs {
    pub dom: NonnullDomain,
    pub codeset: u32,
    pub holdtime: u32,
    pub keycodes: BoundedVec<u32, 16>,
    pub flags: u32,
}

/// `remote_domain_send_process_signal_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSendProcessSignalArgs {
    pub dom: NonnullDomain,
    pub pid_value: i64,
    pub signum: u32,
    pub flags: u32,
}

/// `remote_domain_set_vcpus_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetVcpusArgs {
    pub dom: NonnullDomain,
    pub nvcpus: u32,
}

/// `remote_domain_set_vcpus_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetVcpusFlagsArgs {
    pub dom: NonnullDomain,
    pub nvcpus: u32,
    pub flags: u32,
}

/// `remote_domain_get_vcpus_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetVcpusFlagsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_vcpus_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetVcpusFlagsRet {
    pub num: i32,
}

/// `remote_domain_pin_vcpu_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainPinVcpuArgs {
    pub dom: NonnullDomain,
    pub vcpu: u32,
    pub cpumap: BoundedOpaque<2048>,
}

/// `remote_domain_pin_vcpu_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainPinVcpuFlagsArgs {
    pub dom: NonnullDomain,
    pub vcpu: u32,
    pub cpumap: BoundedOpaque<2048>,
    pub flags: u32,
}

/// `remote_domain_get_vcpu_pin_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetVcpuPinInfoArgs {
    pub dom: NonnullDomain,
    pub ncpumaps: i32,
    pub maplen: i32,
    pub flags: u32,
}

/// `remote_domain_get_vcpu_pin_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetVcpuPinInfoRet {
    pub cpumaps: BoundedOpaque<8388608>,
    pub num: i32,
}

/// `remote_domain_pin_emulator_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainPinEmulatorArgs {
    pub dom: NonnullDomain,
    pub cpumap: BoundedOpaque<2048>,
    pub flags: u32,
}

/// `remote_domain_get_emulator_pin_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetEmulatorPinInfoArgs {
    pub dom: NonnullDomain,
    pub maplen: i32,
    pub flags: u32,
}

/// `remote_domain_get_emulator_pin_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetEmulatorPinInfoRet {
    pub cpumaps: BoundedOpaque<8388608>,
    pub ret: i32,
}

/// `remote_domain_get_vcpus_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetVcpusArgs {
    pub dom: NonnullDomain,
    pub maxinfo: i32,
    pub maplen: i32,
}

/// `remote_domain_get_vcpus_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetVcpusRet {
    pub info: BoundedVec<VcpuInfo, 16384>,
    pub cpumaps: BoundedOpaque<8388608>,
}

/// `remote_domain_get_max_vcpus_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMaxVcpusArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_max_vcpus_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMaxVcpusRet {
    pub num: i32,
}

/// `remote_domain_iothread_info`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIothreadInfo {
    pub iothread_id: u32,
    pub cpumap: BoundedOpaque<2048>,
}

/// `remote_domain_get_iothread_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetIothreadInfoArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_iothread_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetIothreadInfoRet {
    pub info: BoundedVec<DomainIothreadInfo, 16384>,
    pub ret: u32,
}

/// `remote_domain_pin_iothread_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainPinIothreadArgs {
    pub dom: NonnullDomain,
    pub iothreads_id: u32,
    pub cpumap: BoundedOpaque<2048>,
    pub flags: u32,
}

/// `remote_domain_add_iothread_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAddIothreadArgs {
    pub dom: NonnullDomain,
    pub iothread_id: u32,
    pub flags: u32,
}

/// `remote_domain_del_iothread_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDelIothreadArgs {
    pub dom: NonnullDomain,
    pub iothread_id: u32,
    pub flags: u32,
}

/// `remote_domain_set_iothread_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetIothreadParamsArgs {
    pub dom: NonnullDomain,
    pub iothread_id: u32,
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub flags: u32,
}

/// `remote_domain_get_security_label_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSecurityLabelArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_security_label_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSecurityLabelRet {
    pub label: BoundedVec<i8, 4097>,
    pub enforcing: i32,
}

/// `remote_domain_get_security_label_list_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSecurityLabelListArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_security_label_list_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetSecurityLabelListRet {
    pub labels: BoundedVec<DomainGetSecurityLabelRet, 64>,
    pub ret: i32,
}

/// `remote_node_get_security_model_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetSecurityModelRet {
    pub model: BoundedVec<i8, 257>,
    pub doi: BoundedVec<i8, 257>,
}

/// `remote_domain_attach_device_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAttachDeviceArgs {
    pub dom: NonnullDomain,
    pub xml: RemoteNonnullString,
}

/// `remote_domain_attach_device_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAttachDeviceFlagsArgs {
    pub dom: NonnullDomain,
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_detach_device_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDetachDeviceArgs {
    pub dom: NonnullDomain,
    pub xml: RemoteNonnullString,
}

/// `remote_domain_detach_device_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDetachDeviceFlagsArgs {
    pub dom: NonnullDomain,
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_update_device_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainUpdateDeviceFlagsArgs {
    pub dom: NonnullDomain,
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_detach_device_alias_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainDetachDeviceAliasArgs {
    pub dom: NonnullDomain,
    pub alias: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_get_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetAutostartArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_autostart_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetAutostartRet {
    pub autostart: i32,
}

/// `remote_domain_set_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetAutostartArgs {
    pub dom: NonnullDomain,
    pub autostart: i32,
}

/// `remote_domain_set_metadata_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetMetadataArgs {
    pub dom: NonnullDomain,
    pub r#type: i32,
    pub metadata: RemoteString,
    pub key: RemoteString,
    pub uri: RemoteString,
    pub flags: u32,
}

/// `remote_domain_get_metadata_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMetadataArgs {
    pub dom: NonnullDomain,
    pub r#type: i32,
    pub uri: RemoteString,
    pub flags: u32,
}

/// `remote_domain_get_metadata_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMetadataRet {
    pub metadata: RemoteNonnullString,
}

/// `remote_domain_block_job_abort_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockJobAbortArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_get_block_job_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlockJobInfoArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_get_block_job_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlockJobInfoRet {
    pub found: i32,
    pub r#type: i32,
    pub bandwidth: u64,
    pub cur: u64,
    pub end: u64,
}

/// `remote_domain_block_job_set_speed_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockJobSetSpeedArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub bandwidth: u64,
    pub flags: u32,
}

/// `remote_domain_block_pull_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockPullArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub bandwidth: u64,
    pub flags: u32,
}

/// `remote_domain_block_rebase_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockRebaseArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub base: RemoteString,
    pub bandwidth: u64,
    pub flags: u32,
}

/// `remote_domain_block_copy_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockCopyArgs {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub destxml: RemoteNonnullString,
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub flags: u32,
}

/// `remote_domain_block_commit_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBlockCommitArgs {
    pub dom: NonnullDomain,
    pub disk: RemoteNonnullString,
    pub base: RemoteString,
    pub top: RemoteString,
    pub bandwidth: u64,
    pub flags: u32,
}

/// `remote_domain_set_block_io_tune_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetBlockIoTuneArgs {
    pub dom: NonnullDomain,
    pub disk: RemoteNonnullString,
    pub params: BoundedVec<RemoteTypedParam, 32>,
    pub flags: u32,
}

/// `remote_domain_get_block_io_tune_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlockIoTuneArgs {
    pub dom: NonnullDomain,
    pub disk: RemoteString,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_domain_get_block_io_tune_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetBlockIoTuneRet {
    pub params: BoundedVec<RemoteTypedParam, 32>,
    pub nparams: i32,
}

/// `remote_domain_get_cpu_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetCpuStatsArgs {
    pub dom: NonnullDomain,
    pub nparams: u32,
    pub start_cpu: i32,
    pub ncpus: u32,
    pub flags: u32,
}

/// `remote_domain_get_cpu_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetCpuStatsRet {
    pub params: BoundedVec<RemoteTypedParam, 2048>,
    pub nparams: i32,
}

/// `remote_domain_get_hostname_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetHostnameArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_hostname_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetHostnameRet {
    pub hostname: RemoteNonnullString,
}

/// `remote_connect_num_of_networks_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfNetworksRet {
    pub num: i32,
}

/// `remote_connect_list_networks_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListNetworksArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_networks_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListNetworksRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_connect_num_of_defined_networks_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfDefinedNetworksRet {
    pub num: i32,
}

/// `remote_connect_list_defined_networks_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedNetworksArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_defined_networks_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedNetworksRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_network_lookup_by_uuid_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkLookupByUuidArgs {
    pub uuid: [u8; 16],
}

/// `remote_network_lookup_by_uuid_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkLookupByUuidRet {
    pub net: NonnullNetwork,
}

/// `remote_network_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkLookupByNameArgs {
    pub name: RemoteNonnullString,
}

/// `remote_network_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkLookupByNameRet {
    pub net: NonnullNetwork,
}

/// `remote_network_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkCreateXmlArgs {
    pub xml: RemoteNonnullString,
}

/// `remote_network_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkCreateXmlRet {
    pub net: NonnullNetwork,
}

/// `remote_network_create_xml_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkCreateXmlFlagsArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_network_create_xml_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkCreateXmlFlagsRet {
    pub net: NonnullNetwork,
}

/// `remote_network_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkDefineXmlArgs {
    pub xml: RemoteNonnullString,
}

/// `remote_network_define_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkDefineXmlRet {
    pub net: NonnullNetwork,
}

/// `remote_network_define_xml_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkDefineXmlFlagsArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_network_define_xml_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkDefineXmlFlagsRet {
    pub net: NonnullNetwork,
}

/// `remote_network_undefine_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkUndefineArgs {
    pub net: NonnullNetwork,
}

/// `remote_network_update_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkUpdateArgs {
    pub net: NonnullNetwork,
    pub command: u32,
    pub section: u32,
    pub parent_index: i32,
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_network_create_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkCreateArgs {
    pub net: NonnullNetwork,
}

/// `remote_network_destroy_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkDestroyArgs {
    pub net: NonnullNetwork,
}

/// `remote_network_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetXmlDescArgs {
    pub net: NonnullNetwork,
    pub flags: u32,
}

/// `remote_network_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_network_get_bridge_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetBridgeNameArgs {
    pub net: NonnullNetwork,
}

/// `remote_network_get_bridge_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetBridgeNameRet {
    pub name: RemoteNonnullString,
}

/// `remote_network_get_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetAutostartArgs {
    pub net: NonnullNetwork,
}

/// `remote_network_get_autostart_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetAutostartRet {
    pub autostart: i32,
}

/// `remote_network_set_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkSetAutostartArgs {
    pub net: NonnullNetwork,
    pub autostart: i32,
}

/// `remote_connect_num_of_nwfilters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfNwfiltersRet {
    pub num: i32,
}

/// `remote_connect_list_nwfilters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListNwfiltersArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_nwfilters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListNwfiltersRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_nwfilter_lookup_by_uuid_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterLookupByUuidArgs {
    pub uuid: [u8; 16],
}

/// `remote_nwfilter_lookup_by_uuid_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterLookupByUuidRet {
    pub nwfilter: NonnullNwfilter,
}

/// `remote_nwfilter_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterLookupByNameArgs {
    pub name: RemoteNonnullString,
}

/// `remote_nwfilter_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterLookupByNameRet {
    pub nwfilter: NonnullNwfilter,
}

/// `remote_nwfilter_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterDefineXmlArgs {
    pub xml: RemoteNonnullString,
}

/// `remote_nwfilter_define_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterDefineXmlRet {
    pub nwfilter: NonnullNwfilter,
}

/// `remote_nwfilter_define_xml_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterDefineXmlFlagsArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_nwfilter_define_xml_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterDefineXmlFlagsRet {
    pub nwfilter: NonnullNwfilter,
}

/// `remote_nwfilter_undefine_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterUndefineArgs {
    pub nwfilter: NonnullNwfilter,
}

/// `remote_nwfilter_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterGetXmlDescArgs {
    pub nwfilter: NonnullNwfilter,
    pub flags: u32,
}

/// `remote_nwfilter_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_connect_num_of_interfaces_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfInterfacesRet {
    pub num: i32,
}

/// `remote_connect_list_interfaces_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListInterfacesArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_interfaces_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListInterfacesRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_connect_num_of_defined_interfaces_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfDefinedInterfacesRet {
    pub num: i32,
}

/// `remote_connect_list_defined_interfaces_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedInterfacesArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_defined_interfaces_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedInterfacesRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_interface_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceLookupByNameArgs {
    pub name: RemoteNonnullString,
}

/// `remote_interface_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceLookupByNameRet {
    pub iface: NonnullInterface,
}

/// `remote_interface_lookup_by_mac_string_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceLookupByMacStringArgs {
    pub mac: RemoteNonnullString,
}

/// `remote_interface_lookup_by_mac_string_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceLookupByMacStringRet {
    pub iface: NonnullInterface,
}

/// `remote_interface_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceGetXmlDescArgs {
    pub iface: NonnullInterface,
    pub flags: u32,
}

/// `remote_interface_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_interface_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceDefineXmlArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_interface_define_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceDefineXmlRet {
    pub iface: NonnullInterface,
}

/// `remote_interface_undefine_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceUndefineArgs {
    pub iface: NonnullInterface,
}

/// `remote_interface_create_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceCreateArgs {
    pub iface: NonnullInterface,
    pub flags: u32,
}

/// `remote_interface_destroy_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceDestroyArgs {
    pub iface: NonnullInterface,
    pub flags: u32,
}

/// `remote_interface_change_begin_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceChangeBeginArgs {
    pub flags: u32,
}

/// `remote_interface_change_commit_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceChangeCommitArgs {
    pub flags: u32,
}

/// `remote_interface_change_rollback_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceChangeRollbackArgs {
    pub flags: u32,
}

/// `remote_auth_list_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct AuthListRet {
    pub types: BoundedVec<i32, 20>,
}

/// `remote_auth_sasl_init_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct AuthSaslInitRet {
    pub mechlist: RemoteNonnullString,
}

/// `remote_auth_sasl_start_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct AuthSaslStartArgs {
    pub mech: RemoteNonnullString,
    pub nil: i32,
    pub data: BoundedVec<i8, 65536>,
}

/// `remote_auth_sasl_start_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct AuthSaslStartRet {
    pub complete: i32,
    pub nil: i32,
    pub data: BoundedVec<i8, 65536>,
}

/// `remote_auth_sasl_step_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct AuthSaslStepArgs {
    pub nil: i32,
    pub data: BoundedVec<i8, 65536>,
}

/// `remote_auth_sasl_step_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct AuthSaslStepRet {
    pub complete: i32,
    pub nil: i32,
    pub data: BoundedVec<i8, 65536>,
}

/// `remote_auth_polkit_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct AuthPolkitRet {
    pub complete: i32,
}

/// `remote_connect_num_of_storage_pools_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfStoragePoolsRet {
    pub num: i32,
}

/// `remote_connect_list_storage_pools_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListStoragePoolsArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_storage_pools_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListStoragePoolsRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_connect_num_of_defined_storage_pools_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfDefinedStoragePoolsRet {
    pub num: i32,
}

/// `remote_connect_list_defined_storage_pools_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedStoragePoolsArgs {
    pub maxnames: i32,
}

/// `remote_connect_list_defined_storage_pools_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListDefinedStoragePoolsRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_connect_find_storage_pool_sources_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectFindStoragePoolSourcesArgs {
    pub r#type: RemoteNonnullString,
    pub src_spec: RemoteString,
    pub flags: u32,
}

/// `remote_connect_find_storage_pool_sources_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectFindStoragePoolSourcesRet {
    pub xml: RemoteNonnullString,
}

/// `remote_storage_pool_lookup_by_uuid_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByUuidArgs {
    pub uuid: [u8; 16],
}

/// `remote_storage_pool_lookup_by_uuid_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByUuidRet {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByNameArgs {
    pub name: RemoteNonnullString,
}

/// `remote_storage_pool_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByNameRet {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_lookup_by_volume_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByVolumeArgs {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_pool_lookup_by_volume_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByVolumeRet {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_lookup_by_target_path_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByTargetPathArgs {
    pub path: RemoteNonnullString,
}

/// `remote_storage_pool_lookup_by_target_path_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolLookupByTargetPathRet {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolCreateXmlArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_storage_pool_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolCreateXmlRet {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolDefineXmlArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_storage_pool_define_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolDefineXmlRet {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_build_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolBuildArgs {
    pub pool: NonnullStoragePool,
    pub flags: u32,
}

/// `remote_storage_pool_undefine_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolUndefineArgs {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_create_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolCreateArgs {
    pub pool: NonnullStoragePool,
    pub flags: u32,
}

/// `remote_storage_pool_destroy_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolDestroyArgs {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_delete_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolDeleteArgs {
    pub pool: NonnullStoragePool,
    pub flags: u32,
}

/// `remote_storage_pool_refresh_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolRefreshArgs {
    pub pool: NonnullStoragePool,
    pub flags: u32,
}

/// `remote_storage_pool_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolGetXmlDescArgs {
    pub pool: NonnullStoragePool,
    pub flags: u32,
}

/// `remote_storage_pool_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_storage_pool_get_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolGetInfoArgs {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_get_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolGetInfoRet {
    pub state: u8,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
}

/// `remote_storage_pool_get_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolGetAutostartArgs {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_get_autostart_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolGetAutostartRet {
    pub autostart: i32,
}

/// `remote_storage_pool_set_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolSetAutostartArgs {
    pub pool: NonnullStoragePool,
    pub autostart: i32,
}

/// `remote_storage_pool_num_of_volumes_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolNumOfVolumesArgs {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_num_of_volumes_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolNumOfVolumesRet {
    pub num: i32,
}

/// `remote_storage_pool_list_volumes_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolListVolumesArgs {
    pub pool: NonnullStoragePool,
    pub maxnames: i32,
}

/// `remote_storage_pool_list_volumes_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolListVolumesRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_storage_vol_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolLookupByNameArgs {
    pub pool: NonnullStoragePool,
    pub name: RemoteNonnullString,
}

/// `remote_storage_vol_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolLookupByNameRet {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_vol_lookup_by_key_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolLookupByKeyArgs {
    pub key: RemoteNonnullString,
}

/// `remote_storage_vol_lookup_by_key_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolLookupByKeyRet {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_vol_lookup_by_path_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolLookupByPathArgs {
    pub path: RemoteNonnullString,
}

/// `remote_storage_vol_lookup_by_path_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolLookupByPathRet {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_vol_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolCreateXmlArgs {
    pub pool: NonnullStoragePool,
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_storage_vol_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolCreateXmlRet {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_vol_create_xml_from_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolCreateXmlFromArgs {
    pub pool: NonnullStoragePool,
    pub xml: RemoteNonnullString,
    pub clonevol: NonnullStorageVol,
    pub flags: u32,
}

/// `remote_storage_vol_create_xml_from_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolCreateXmlFromRet {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_vol_delete_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolDeleteArgs {
    pub vol: NonnullStorageVol,
    pub flags: u32,
}

/// `remote_storage_vol_wipe_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolWipeArgs {
    pub vol: NonnullStorageVol,
    pub flags: u32,
}

/// `remote_storage_vol_wipe_pattern_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolWipePatternArgs {
    pub vol: NonnullStorageVol,
    pub algorithm: u32,
    pub flags: u32,
}

/// `remote_storage_vol_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetXmlDescArgs {
    pub vol: NonnullStorageVol,
    pub flags: u32,
}

/// `remote_storage_vol_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_storage_vol_get_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetInfoArgs {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_vol_get_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetInfoRet {
    pub r#type: i8,
    pub capacity: u64,
    pub allocation: u64,
}

/// `remote_storage_vol_get_info_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetInfoFlagsArgs {
    pub vol: NonnullStorageVol,
    pub flags: u32,
}

/// `remote_storage_vol_get_info_flags_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetInfoFlagsRet {
    pub r#type: i8,
    pub capacity: u64,
    pub allocation: u64,
}

/// `remote_storage_vol_get_path_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetPathArgs {
    pub vol: NonnullStorageVol,
}

/// `remote_storage_vol_get_path_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolGetPathRet {
    pub name: RemoteNonnullString,
}

/// `remote_storage_vol_resize_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolResizeArgs {
    pub vol: NonnullStorageVol,
    pub capacity: u64,
    pub flags: u32,
}

/// `remote_node_num_of_devices_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeNumOfDevicesArgs {
    pub cap: RemoteString,
    pub flags: u32,
}

/// `remote_node_num_of_devices_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeNumOfDevicesRet {
    pub num: i32,
}

/// `remote_node_list_devices_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeListDevicesArgs {
    pub cap: RemoteString,
    pub maxnames: i32,
    pub flags: u32,
}

/// `remote_node_list_devices_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeListDevicesRet {
    pub names: BoundedVec<RemoteNonnullString, 65536>,
}

/// `remote_node_device_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceLookupByNameArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceLookupByNameRet {
    pub dev: NonnullNodeDevice,
}

/// `remote_node_device_lookup_scsi_host_by_wwn_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceLookupScsiHostByWwnArgs {
    pub wwnn: RemoteNonnullString,
    pub wwpn: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_node_device_lookup_scsi_host_by_wwn_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceLookupScsiHostByWwnRet {
    pub dev: NonnullNodeDevice,
}

/// `remote_node_device_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceGetXmlDescArgs {
    pub name: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_node_device_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_node_device_get_parent_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceGetParentArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_get_parent_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceGetParentRet {
    pub parent_name: RemoteString,
}

/// `remote_node_device_num_of_caps_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceNumOfCapsArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_num_of_caps_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceNumOfCapsRet {
    pub num: i32,
}

/// `remote_node_device_list_caps_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceListCapsArgs {
    pub name: RemoteNonnullString,
    pub maxnames: i32,
}

/// `remote_node_device_list_caps_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceListCapsRet {
    pub names: BoundedVec<RemoteNonnullString, 65536>,
}

/// `remote_node_device_dettach_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceDettachArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_detach_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceDetachFlagsArgs {
    pub name: RemoteNonnullString,
    pub driver_name: RemoteString,
    pub flags: u32,
}

/// `remote_node_device_re_attach_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceReAttachArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_reset_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceResetArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceCreateXmlArgs {
    pub xml_desc: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_node_device_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceCreateXmlRet {
    pub dev: NonnullNodeDevice,
}

/// `remote_node_device_destroy_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceDestroyArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceDefineXmlArgs {
    pub xml_desc: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_node_device_define_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceDefineXmlRet {
    pub dev: NonnullNodeDevice,
}

/// `remote_node_device_undefine_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceUndefineArgs {
    pub name: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_node_device_create_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceCreateArgs {
    pub name: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_node_device_get_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceGetAutostartArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_get_autostart_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceGetAutostartRet {
    pub autostart: i32,
}

/// `remote_node_device_set_autostart_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceSetAutostartArgs {
    pub name: RemoteNonnullString,
    pub autostart: i32,
}

/// `remote_node_device_is_persistent_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceIsPersistentArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_is_persistent_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceIsPersistentRet {
    pub persistent: i32,
}

/// `remote_node_device_is_active_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceIsActiveArgs {
    pub name: RemoteNonnullString,
}

/// `remote_node_device_is_active_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceIsActiveRet {
    pub active: i32,
}

/// `remote_connect_domain_event_register_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainEventRegisterRet {
    pub cb_registered: i32,
}

/// `remote_connect_domain_event_deregister_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainEventDeregisterRet {
    pub cb_registered: i32,
}

/// `remote_domain_event_lifecycle_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventLifecycleMsg {
    pub dom: NonnullDomain,
    pub event: i32,
    pub detail: i32,
}

/// `remote_domain_event_callback_lifecycle_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackLifecycleMsg {
    pub callback_id: i32,
    pub msg: DomainEventLifecycleMsg,
}

/// `remote_connect_domain_xml_from_native_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainXmlFromNativeArgs {
    pub native_format: RemoteNonnullString,
    pub native_config: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_connect_domain_xml_from_native_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainXmlFromNativeRet {
    pub domain_xml: RemoteNonnullString,
}

/// `remote_connect_domain_xml_to_native_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainXmlToNativeArgs {
    pub native_format: RemoteNonnullString,
    pub domain_xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_connect_domain_xml_to_native_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainXmlToNativeRet {
    pub native_config: RemoteNonnullString,
}

/// `remote_connect_num_of_secrets_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNumOfSecretsRet {
    pub num: i32,
}

/// `remote_connect_list_secrets_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListSecretsArgs {
    pub maxuuids: i32,
}

/// `remote_connect_list_secrets_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListSecretsRet {
    pub uuids: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_secret_lookup_by_uuid_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretLookupByUuidArgs {
    pub uuid: [u8; 16],
}

/// `remote_secret_lookup_by_uuid_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretLookupByUuidRet {
    pub secret: NonnullSecret,
}

/// `remote_secret_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretDefineXmlArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_secret_define_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretDefineXmlRet {
    pub secret: NonnullSecret,
}

/// `remote_secret_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretGetXmlDescArgs {
    pub secret: NonnullSecret,
    pub flags: u32,
}

/// `remote_secret_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_secret_set_value_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretSetValueArgs {
    pub secret: NonnullSecret,
    pub value: BoundedOpaque<65536>,
    pub flags: u32,
}

/// `remote_secret_get_value_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretGetValueArgs {
    pub secret: NonnullSecret,
    pub flags: u32,
}

/// `remote_secret_get_value_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretGetValueRet {
    pub value: BoundedOpaque<65536>,
}

/// `remote_secret_undefine_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretUndefineArgs {
    pub secret: NonnullSecret,
}

/// `remote_secret_lookup_by_usage_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretLookupByUsageArgs {
    pub usage_type: i32,
    pub usage_id: RemoteNonnullString,
}

/// `remote_secret_lookup_by_usage_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretLookupByUsageRet {
    pub secret: NonnullSecret,
}

/// `remote_domain_migrate_prepare_tunnel_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepareTunnelArgs {
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
    pub dom_xml: RemoteNonnullString,
}

/// `remote_connect_is_secure_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectIsSecureRet {
    pub secure: i32,
}

/// `remote_domain_is_active_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIsActiveArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_is_active_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIsActiveRet {
    pub active: i32,
}

/// `remote_domain_is_persistent_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIsPersistentArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_is_persistent_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIsPersistentRet {
    pub persistent: i32,
}

/// `remote_domain_is_updated_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIsUpdatedArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_is_updated_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIsUpdatedRet {
    pub updated: i32,
}

/// `remote_network_is_active_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkIsActiveArgs {
    pub net: NonnullNetwork,
}

/// `remote_network_is_active_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkIsActiveRet {
    pub active: i32,
}

/// `remote_network_is_persistent_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkIsPersistentArgs {
    pub net: NonnullNetwork,
}

/// `remote_network_is_persistent_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkIsPersistentRet {
    pub persistent: i32,
}

/// `remote_storage_pool_is_active_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolIsActiveArgs {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_is_active_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolIsActiveRet {
    pub active: i32,
}

/// `remote_storage_pool_is_persistent_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolIsPersistentArgs {
    pub pool: NonnullStoragePool,
}

/// `remote_storage_pool_is_persistent_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolIsPersistentRet {
    pub persistent: i32,
}

/// `remote_interface_is_active_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceIsActiveArgs {
    pub iface: NonnullInterface,
}

/// `remote_interface_is_active_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct InterfaceIsActiveRet {
    pub active: i32,
}

/// `remote_connect_compare_cpu_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectCompareCpuArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_connect_compare_cpu_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectCompareCpuRet {
    pub result: i32,
}

/// `remote_connect_baseline_cpu_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectBaselineCpuArgs {
    pub xml_cp_us: BoundedVec<RemoteNonnullString, 256>,
    pub flags: u32,
}

/// `remote_connect_baseline_cpu_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectBaselineCpuRet {
    pub cpu: RemoteNonnullString,
}

/// `remote_domain_get_job_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetJobInfoArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_get_job_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetJobInfoRet {
    pub r#type: i32,
    pub time_elapsed: u64,
    pub time_remaining: u64,
    pub data_total: u64,
    pub data_processed: u64,
    pub data_remaining: u64,
    pub mem_total: u64,
    pub mem_processed: u64,
    pub mem_remaining: u64,
    pub file_total: u64,
    pub file_processed: u64,
    pub file_remaining: u64,
}

/// `remote_domain_get_job_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetJobStatsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_job_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetJobStatsRet {
    pub r#type: i32,
    pub params: BoundedVec<RemoteTypedParam, 64>,
}

/// `remote_domain_abort_job_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAbortJobArgs {
    pub dom: NonnullDomain,
}

/// `remote_domain_abort_job_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAbortJobFlagsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_migrate_get_max_downtime_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateGetMaxDowntimeArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_migrate_get_max_downtime_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateGetMaxDowntimeRet {
    pub downtime: u64,
}

/// `remote_domain_migrate_set_max_downtime_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateSetMaxDowntimeArgs {
    pub dom: NonnullDomain,
    pub downtime: u64,
    pub flags: u32,
}

/// `remote_domain_migrate_get_compression_cache_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateGetCompressionCacheArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_migrate_get_compression_cache_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateGetCompressionCacheRet {
    pub cache_size: u64,
}

/// `remote_domain_migrate_set_compression_cache_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateSetCompressionCacheArgs {
    pub dom: NonnullDomain,
    pub cache_size: u64,
    pub flags: u32,
}

/// `remote_domain_migrate_set_max_speed_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateSetMaxSpeedArgs {
    pub dom: NonnullDomain,
    pub bandwidth: u64,
    pub flags: u32,
}

/// `remote_domain_migrate_get_max_speed_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateGetMaxSpeedArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_migrate_get_max_speed_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateGetMaxSpeedRet {
    pub bandwidth: u64,
}

/// `remote_connect_domain_event_register_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainEventRegisterAnyArgs {
    pub event_id: i32,
}

/// `remote_connect_domain_event_deregister_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainEventDeregisterAnyArgs {
    pub event_id: i32,
}

/// `remote_connect_domain_event_callback_register_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainEventCallbackRegisterAnyArgs {
    pub event_id: i32,
    pub dom: Option<NonnullDomain>,
}

/// `remote_connect_domain_event_callback_register_any_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainEventCallbackRegisterAnyRet {
    pub callback_id: i32,
}

/// `remote_connect_domain_event_callback_deregister_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainEventCallbackDeregisterAnyArgs {
    pub callback_id: i32,
}

/// `remote_domain_event_reboot_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventRebootMsg {
    pub dom: NonnullDomain,
}

/// `remote_domain_event_callback_reboot_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackRebootMsg {
    pub callback_id: i32,
    pub msg: DomainEventRebootMsg,
}

/// `remote_domain_event_rtc_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventRtcChangeMsg {
    pub dom: NonnullDomain,
    pub offset: i64,
}

/// `remote_domain_event_callback_rtc_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackRtcChangeMsg {
    pub callback_id: i32,
    pub msg: DomainEventRtcChangeMsg,
}

/// `remote_domain_event_watchdog_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventWatchdogMsg {
    pub dom: NonnullDomain,
    pub action: i32,
}

/// `remote_domain_event_callback_watchdog_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackWatchdogMsg {
    pub callback_id: i32,
    pub msg: DomainEventWatchdogMsg,
}

/// `remote_domain_event_io_error_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventIoErrorMsg {
    pub dom: NonnullDomain,
    pub src_path: RemoteNonnullString,
    pub dev_alias: RemoteNonnullString,
    pub action: i32,
}

/// `remote_domain_event_callback_io_error_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackIoErrorMsg {
    pub callback_id: i32,
    pub msg: DomainEventIoErrorMsg,
}

/// `remote_domain_event_io_error_reason_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventIoErrorReasonMsg {
    pub dom: NonnullDomain,
    pub src_path: RemoteNonnullString,
    pub dev_alias: RemoteNonnullString,
    pub action: i32,
    pub reason: RemoteNonnullString,
}

/// `remote_domain_event_callback_io_error_reason_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackIoErrorReasonMsg {
    pub callback_id: i32,
    pub msg: DomainEventIoErrorReasonMsg,
}

/// `remote_domain_event_graphics_address`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventGraphicsAddress {
    pub family: i32,
    pub node: RemoteNonnullString,
    pub service: RemoteNonnullString,
}

/// `remote_domain_event_graphics_identity`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventGraphicsIdentity {
    pub r#type: RemoteNonnullString,
    pub name: RemoteNonnullString,
}

/// `remote_domain_event_graphics_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventGraphicsMsg {
    pub dom: NonnullDomain,
    pub phase: i32,
    pub local: DomainEventGraphicsAddress,
    pub remote: DomainEventGraphicsAddress,
    pub auth_scheme: RemoteNonnullString,
    pub subject: BoundedVec<DomainEventGraphicsIdentity, 20>,
}

/// `remote_domain_event_callback_graphics_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackGraphicsMsg {
    pub callback_id: i32,
    pub msg: DomainEventGraphicsMsg,
}

/// `remote_domain_event_block_job_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventBlockJobMsg {
    pub dom: NonnullDomain,
    pub path: RemoteNonnullString,
    pub r#type: i32,
    pub status: i32,
}

/// `remote_domain_event_callback_block_job_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackBlockJobMsg {
    pub callback_id: i32,
    pub msg: DomainEventBlockJobMsg,
}

/// `remote_domain_event_disk_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventDiskChangeMsg {
    pub dom: NonnullDomain,
    pub old_src_path: RemoteString,
    pub new_src_path: RemoteString,
    pub dev_alias: RemoteNonnullString,
    pub reason: i32,
}

/// `remote_domain_event_callback_disk_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackDiskChangeMsg {
    pub callback_id: i32,
    pub msg: DomainEventDiskChangeMsg,
}

/// `remote_domain_event_tray_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventTrayChangeMsg {
    pub dom: NonnullDomain,
    pub dev_alias: RemoteNonnullString,
    pub reason: i32,
}

/// `remote_domain_event_callback_tray_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackTrayChangeMsg {
    pub callback_id: i32,
    pub msg: DomainEventTrayChangeMsg,
}

/// `remote_domain_event_pmwakeup_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventPmwakeupMsg {
    pub dom: NonnullDomain,
}

/// `remote_domain_event_callback_pmwakeup_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackPmwakeupMsg {
    pub callback_id: i32,
    pub reason: i32,
    pub msg: DomainEventPmwakeupMsg,
}

/// `remote_domain_event_pmsuspend_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventPmsuspendMsg {
    pub dom: NonnullDomain,
}

/// `remote_domain_event_callback_pmsuspend_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackPmsuspendMsg {
    pub callback_id: i32,
    pub reason: i32,
    pub msg: DomainEventPmsuspendMsg,
}

/// `remote_domain_event_balloon_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventBalloonChangeMsg {
    pub dom: NonnullDomain,
    pub actual: u64,
}

/// `remote_domain_event_callback_balloon_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackBalloonChangeMsg {
    pub callback_id: i32,
    pub msg: DomainEventBalloonChangeMsg,
}

/// `remote_domain_event_pmsuspend_disk_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventPmsuspendDiskMsg {
    pub dom: NonnullDomain,
}

/// `remote_domain_event_callback_pmsuspend_disk_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackPmsuspendDiskMsg {
    pub callback_id: i32,
    pub reason: i32,
    pub msg: DomainEventPmsuspendDiskMsg,
}

/// `remote_domain_managed_save_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainManagedSaveArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_has_managed_save_image_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainHasManagedSaveImageArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_has_managed_save_image_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainHasManagedSaveImageRet {
    pub result: i32,
}

/// `remote_domain_managed_save_remove_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainManagedSaveRemoveArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_managed_save_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainManagedSaveGetXmlDescArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_managed_save_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainManagedSaveGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_domain_managed_save_define_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainManagedSaveDefineXmlArgs {
    pub dom: NonnullDomain,
    pub dxml: RemoteString,
    pub flags: u32,
}

/// `remote_domain_snapshot_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotCreateXmlArgs {
    pub dom: NonnullDomain,
    pub xml_desc: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_snapshot_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotCreateXmlRet {
    pub snap: NonnullDomainSnapshot,
}

/// `remote_domain_snapshot_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotGetXmlDescArgs {
    pub snap: NonnullDomainSnapshot,
    pub flags: u32,
}

/// `remote_domain_snapshot_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_domain_snapshot_num_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotNumArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_snapshot_num_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotNumRet {
    pub num: i32,
}

/// `remote_domain_snapshot_list_names_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotListNamesArgs {
    pub dom: NonnullDomain,
    pub maxnames: i32,
    pub flags: u32,
}

/// `remote_domain_snapshot_list_names_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotListNamesRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_domain_list_all_snapshots_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainListAllSnapshotsArgs {
    pub dom: NonnullDomain,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_domain_list_all_snapshots_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainListAllSnapshotsRet {
    pub snapshots: BoundedVec<NonnullDomainSnapshot, 16384>,
    pub ret: i32,
}

/// `remote_domain_snapshot_num_children_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotNumChildrenArgs {
    pub snap: NonnullDomainSnapshot,
    pub flags: u32,
}

/// `remote_domain_snapshot_num_children_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotNumChildrenRet {
    pub num: i32,
}

/// `remote_domain_snapshot_list_children_names_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotListChildrenNamesArgs {
    pub snap: NonnullDomainSnapshot,
    pub maxnames: i32,
    pub flags: u32,
}

/// `remote_domain_snapshot_list_children_names_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotListChildrenNamesRet {
    pub names: BoundedVec<RemoteNonnullString, 16384>,
}

/// `remote_domain_snapshot_list_all_children_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotListAllChildrenArgs {
    pub snapshot: NonnullDomainSnapshot,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_domain_snapshot_list_all_children_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotListAllChildrenRet {
    pub snapshots: BoundedVec<NonnullDomainSnapshot, 16384>,
    pub ret: i32,
}

/// `remote_domain_snapshot_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotLookupByNameArgs {
    pub dom: NonnullDomain,
    pub name: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_snapshot_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotLookupByNameRet {
    pub snap: NonnullDomainSnapshot,
}

/// `remote_domain_has_current_snapshot_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainHasCurrentSnapshotArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_has_current_snapshot_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainHasCurrentSnapshotRet {
    pub result: i32,
}

/// `remote_domain_snapshot_get_parent_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotGetParentArgs {
    pub snap: NonnullDomainSnapshot,
    pub flags: u32,
}

/// `remote_domain_snapshot_get_parent_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotGetParentRet {
    pub snap: NonnullDomainSnapshot,
}

/// `remote_domain_snapshot_current_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotCurrentArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_snapshot_current_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotCurrentRet {
    pub snap: NonnullDomainSnapshot,
}

/// `remote_domain_snapshot_is_current_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotIsCurrentArgs {
    pub snap: NonnullDomainSnapshot,
    pub flags: u32,
}

/// `remote_domain_snapshot_is_current_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotIsCurrentRet {
    pub current: i32,
}

/// `remote_domain_snapshot_has_metadata_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotHasMetadataArgs {
    pub snap: NonnullDomainSnapshot,
    pub flags: u32,
}

/// `remote_domain_snapshot_has_metadata_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotHasMetadataRet {
    pub metadata: i32,
}

/// `remote_domain_revert_to_snapshot_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainRevertToSnapshotArgs {
    pub snap: NonnullDomainSnapshot,
    pub flags: u32,
}

/// `remote_domain_snapshot_delete_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSnapshotDeleteArgs {
    pub snap: NonnullDomainSnapshot,
    pub flags: u32,
}

/// `remote_domain_open_console_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainOpenConsoleArgs {
    pub dom: NonnullDomain,
    pub dev_name: RemoteString,
    pub flags: u32,
}

/// `remote_domain_open_channel_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainOpenChannelArgs {
    pub dom: NonnullDomain,
    pub name: RemoteString,
    pub flags: u32,
}

/// `remote_storage_vol_upload_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolUploadArgs {
    pub vol: NonnullStorageVol,
    pub offset: u64,
    pub length: u64,
    pub flags: u32,
}

/// `remote_storage_vol_download_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StorageVolDownloadArgs {
    pub vol: NonnullStorageVol,
    pub offset: u64,
    pub length: u64,
    pub flags: u32,
}

/// `remote_domain_get_state_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetStateArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_state_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetStateRet {
    pub state: i32,
    pub reason: i32,
}

/// `remote_domain_migrate_begin3_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateBegin3Args {
    pub dom: NonnullDomain,
    pub xmlin: RemoteString,
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
}

/// `remote_domain_migrate_begin3_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateBegin3Ret {
    pub cookie_out: BoundedOpaque<4194304>,
    pub xml: RemoteNonnullString,
}

/// `remote_domain_migrate_prepare3_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepare3Args {
    pub cookie_in: BoundedOpaque<4194304>,
    pub uri_in: RemoteString,
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
    pub dom_xml: RemoteNonnullString,
}

/// `remote_domain_migrate_prepare3_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepare3Ret {
    pub cookie_out: BoundedOpaque<4194304>,
    pub uri_out: RemoteString,
}

/// `remote_domain_migrate_prepare_tunnel3_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepareTunnel3Args {
    pub cookie_in: BoundedOpaque<4194304>,
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
    pub dom_xml: RemoteNonnullString,
}

/// `remote_domain_migrate_prepare_tunnel3_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepareTunnel3Ret {
    pub cookie_out: BoundedOpaque<4194304>,
}

/// `remote_domain_migrate_perform3_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePerform3Args {
    pub dom: NonnullDomain,
    pub xmlin: RemoteString,
    pub cookie_in: BoundedOpaque<4194304>,
    pub dconnuri: RemoteString,
    pub uri: RemoteString,
    pub flags: u64,
    pub dname: RemoteString,
    pub resource: u64,
}

/// `remote_domain_migrate_perform3_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePerform3Ret {
    pub cookie_out: BoundedOpaque<4194304>,
}

/// `remote_domain_migrate_finish3_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinish3Args {
    pub dname: RemoteNonnullString,
    pub cookie_in: BoundedOpaque<4194304>,
    pub dconnuri: RemoteString,
    pub uri: RemoteString,
    pub flags: u64,
    pub cancelled: i32,
}

/// `remote_domain_migrate_finish3_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinish3Ret {
    pub dom: NonnullDomain,
    pub cookie_out: BoundedOpaque<4194304>,
}

/// `remote_domain_migrate_confirm3_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateConfirm3Args {
    pub dom: NonnullDomain,
    pub cookie_in: BoundedOpaque<4194304>,
    pub flags: u64,
    pub cancelled: i32,
}

/// `remote_domain_event_control_error_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventControlErrorMsg {
    pub dom: NonnullDomain,
}

/// `remote_domain_event_callback_control_error_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackControlErrorMsg {
    pub callback_id: i32,
    pub msg: DomainEventControlErrorMsg,
}

/// `remote_domain_get_control_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetControlInfoArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_control_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetControlInfoRet {
    pub state: u32,
    pub details: u32,
    pub state_time: u64,
}

/// `remote_domain_open_graphics_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainOpenGraphicsArgs {
    pub dom: NonnullDomain,
    pub idx: u32,
    pub flags: u32,
}

/// `remote_domain_open_graphics_fd_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainOpenGraphicsFdArgs {
    pub dom: NonnullDomain,
    pub idx: u32,
    pub flags: u32,
}

/// `remote_node_suspend_for_duration_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeSuspendForDurationArgs {
    pub target: u32,
    pub duration: u64,
    pub flags: u32,
}

/// `remote_domain_shutdown_flags_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainShutdownFlagsArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_disk_errors_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetDiskErrorsArgs {
    pub dom: NonnullDomain,
    pub maxerrors: u32,
    pub flags: u32,
}

/// `remote_domain_get_disk_errors_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetDiskErrorsRet {
    pub errors: BoundedVec<DomainDiskError, 256>,
    pub nerrors: i32,
}

/// `remote_connect_list_all_domains_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllDomainsArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_domains_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllDomainsRet {
    pub domains: BoundedVec<NonnullDomain, 16384>,
    pub ret: u32,
}

/// `remote_connect_list_all_storage_pools_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllStoragePoolsArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_storage_pools_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllStoragePoolsRet {
    pub pools: BoundedVec<NonnullStoragePool, 16384>,
    pub ret: u32,
}

/// `remote_storage_pool_list_all_volumes_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolListAllVolumesArgs {
    pub pool: NonnullStoragePool,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_storage_pool_list_all_volumes_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolListAllVolumesRet {
    pub vols: BoundedVec<NonnullStorageVol, 16384>,
    pub ret: u32,
}

/// `remote_connect_list_all_networks_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNetworksArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_networks_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNetworksRet {
    pub nets: BoundedVec<NonnullNetwork, 16384>,
    pub ret: u32,
}

/// `remote_connect_list_all_interfaces_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllInterfacesArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_interfaces_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllInterfacesRet {
    pub ifaces: BoundedVec<NonnullInterface, 16384>,
    pub ret: u32,
}

/// `remote_connect_list_all_node_devices_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNodeDevicesArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_node_devices_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNodeDevicesRet {
    pub devices: BoundedVec<NonnullNodeDevice, 65536>,
    pub ret: u32,
}

/// `remote_connect_list_all_nwfilters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNwfiltersArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_nwfilters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNwfiltersRet {
    pub filters: BoundedVec<NonnullNwfilter, 16384>,
    pub ret: u32,
}

/// `remote_connect_list_all_secrets_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllSecretsArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_secrets_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllSecretsRet {
    pub secrets: BoundedVec<NonnullSecret, 16384>,
    pub ret: u32,
}

/// `remote_node_set_memory_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeSetMemoryParametersArgs {
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub flags: u32,
}

/// `remote_node_get_memory_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetMemoryParametersArgs {
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_node_get_memory_parameters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetMemoryParametersRet {
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub nparams: i32,
}

/// `remote_node_get_cpu_map_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetCpuMapArgs {
    pub need_map: i32,
    pub need_online: i32,
    pub flags: u32,
}

/// `remote_node_get_cpu_map_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetCpuMapRet {
    pub cpumap: BoundedOpaque<2048>,
    pub online: u32,
    pub ret: i32,
}

/// `remote_domain_fstrim_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainFstrimArgs {
    pub dom: NonnullDomain,
    pub mount_point: RemoteString,
    pub minimum: u64,
    pub flags: u32,
}

/// `remote_domain_get_time_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetTimeArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_time_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetTimeRet {
    pub seconds: i64,
    pub nseconds: u32,
}

/// `remote_domain_set_time_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetTimeArgs {
    pub dom: NonnullDomain,
    pub seconds: i64,
    pub nseconds: u32,
    pub flags: u32,
}

/// `remote_domain_migrate_begin3_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateBegin3ParamsArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub flags: u32,
}

/// `remote_domain_migrate_begin3_params_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateBegin3ParamsRet {
    pub cookie_out: BoundedOpaque<4194304>,
    pub xml: RemoteNonnullString,
}

/// `remote_domain_migrate_prepare3_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepare3ParamsArgs {
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub cookie_in: BoundedOpaque<4194304>,
    pub flags: u32,
}

/// `remote_domain_migrate_prepare3_params_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepare3ParamsRet {
    pub cookie_out: BoundedOpaque<4194304>,
    pub uri_out: RemoteString,
}

/// `remote_domain_migrate_prepare_tunnel3_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepareTunnel3ParamsArgs {
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub cookie_in: BoundedOpaque<4194304>,
    pub flags: u32,
}

/// `remote_domain_migrate_prepare_tunnel3_params_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePrepareTunnel3ParamsRet {
    pub cookie_out: BoundedOpaque<4194304>,
}

/// `remote_domain_migrate_perform3_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePerform3ParamsArgs {
    pub dom: NonnullDomain,
    pub dconnuri: RemoteString,
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub cookie_in: BoundedOpaque<4194304>,
    pub flags: u32,
}

/// `remote_domain_migrate_perform3_params_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigratePerform3ParamsRet {
    pub cookie_out: BoundedOpaque<4194304>,
}

/// `remote_domain_migrate_finish3_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinish3ParamsArgs {
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub cookie_in: BoundedOpaque<4194304>,
    pub flags: u32,
    pub cancelled: i32,
}

/// `remote_domain_migrate_finish3_params_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateFinish3ParamsRet {
    pub dom: NonnullDomain,
    pub cookie_out: BoundedOpaque<4194304>,
}

/// `remote_domain_migrate_confirm3_params_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateConfirm3ParamsArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub cookie_in: BoundedOpaque<4194304>,
    pub flags: u32,
    pub cancelled: i32,
}

/// `remote_domain_event_device_removed_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventDeviceRemovedMsg {
    pub dom: NonnullDomain,
    pub dev_alias: RemoteNonnullString,
}

/// `remote_domain_event_callback_device_removed_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackDeviceRemovedMsg {
    pub callback_id: i32,
    pub msg: DomainEventDeviceRemovedMsg,
}

/// `remote_domain_event_block_job_2_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventBlockJob2Msg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub dst: RemoteNonnullString,
    pub r#type: i32,
    pub status: i32,
}

/// `remote_domain_event_block_threshold_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventBlockThresholdMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub dev: RemoteNonnullString,
    pub path: RemoteString,
    pub threshold: u64,
    pub excess: u64,
}

/// `remote_domain_event_callback_tunable_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackTunableMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 2048>,
}

/// `remote_domain_event_callback_device_added_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackDeviceAddedMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub dev_alias: RemoteNonnullString,
}

/// `remote_connect_event_connection_closed_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectEventConnectionClosedMsg {
    pub reason: i32,
}

/// `remote_connect_get_cpu_model_names_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetCpuModelNamesArgs {
    pub arch: RemoteNonnullString,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_get_cpu_model_names_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetCpuModelNamesRet {
    pub models: BoundedVec<RemoteNonnullString, 8192>,
    pub ret: i32,
}

/// `remote_connect_network_event_register_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNetworkEventRegisterAnyArgs {
    pub event_id: i32,
    pub net: Option<NonnullNetwork>,
}

/// `remote_connect_network_event_register_any_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNetworkEventRegisterAnyRet {
    pub callback_id: i32,
}

/// `remote_connect_network_event_deregister_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNetworkEventDeregisterAnyArgs {
    pub callback_id: i32,
}

/// `remote_network_event_lifecycle_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkEventLifecycleMsg {
    pub callback_id: i32,
    pub net: NonnullNetwork,
    pub event: i32,
    pub detail: i32,
}

/// `remote_connect_storage_pool_event_register_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectStoragePoolEventRegisterAnyArgs {
    pub event_id: i32,
    pub pool: Option<NonnullStoragePool>,
}

/// `remote_connect_storage_pool_event_register_any_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectStoragePoolEventRegisterAnyRet {
    pub callback_id: i32,
}

/// `remote_connect_storage_pool_event_deregister_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectStoragePoolEventDeregisterAnyArgs {
    pub callback_id: i32,
}

/// `remote_storage_pool_event_lifecycle_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolEventLifecycleMsg {
    pub callback_id: i32,
    pub pool: NonnullStoragePool,
    pub event: i32,
    pub detail: i32,
}

/// `remote_storage_pool_event_refresh_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct StoragePoolEventRefreshMsg {
    pub callback_id: i32,
    pub pool: NonnullStoragePool,
}

/// `remote_connect_node_device_event_register_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNodeDeviceEventRegisterAnyArgs {
    pub event_id: i32,
    pub dev: Option<NonnullNodeDevice>,
}

/// `remote_connect_node_device_event_register_any_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNodeDeviceEventRegisterAnyRet {
    pub callback_id: i32,
}

/// `remote_connect_node_device_event_deregister_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectNodeDeviceEventDeregisterAnyArgs {
    pub callback_id: i32,
}

/// `remote_node_device_event_lifecycle_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceEventLifecycleMsg {
    pub callback_id: i32,
    pub dev: NonnullNodeDevice,
    pub event: i32,
    pub detail: i32,
}

/// `remote_node_device_event_update_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeDeviceEventUpdateMsg {
    pub callback_id: i32,
    pub dev: NonnullNodeDevice,
}

/// `remote_domain_fsfreeze_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainFsfreezeArgs {
    pub dom: NonnullDomain,
    pub mountpoints: BoundedVec<RemoteNonnullString, 256>,
    pub flags: u32,
}

/// `remote_domain_fsfreeze_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainFsfreezeRet {
    pub filesystems: i32,
}

/// `remote_domain_fsthaw_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainFsthawArgs {
    pub dom: NonnullDomain,
    pub mountpoints: BoundedVec<RemoteNonnullString, 256>,
    pub flags: u32,
}

/// `remote_domain_fsthaw_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainFsthawRet {
    pub filesystems: i32,
}

/// `remote_node_get_free_pages_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetFreePagesArgs {
    pub pages: BoundedVec<u32, 1024>,
    pub start_cell: i32,
    pub cell_count: u32,
    pub flags: u32,
}

/// `remote_node_get_free_pages_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetFreePagesRet {
    pub counts: BoundedVec<u64, 1024>,
}

/// `remote_node_alloc_pages_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeAllocPagesArgs {
    pub page_sizes: BoundedVec<u32, 1024>,
    pub page_counts: BoundedVec<u64, 1024>,
    pub start_cell: i32,
    pub cell_count: u32,
    pub flags: u32,
}

/// `remote_node_alloc_pages_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeAllocPagesRet {
    pub ret: i32,
}

/// `remote_network_dhcp_lease`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkDhcpLease {
    pub iface: RemoteNonnullString,
    pub expirytime: i64,
    pub r#type: i32,
    pub mac: RemoteString,
    pub iaid: RemoteString,
    pub ipaddr: RemoteNonnullString,
    pub prefix: u32,
    pub hostname: RemoteString,
    pub clientid: RemoteString,
}

/// `remote_network_get_dhcp_leases_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetDhcpLeasesArgs {
    pub net: NonnullNetwork,
    pub mac: RemoteString,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_network_get_dhcp_leases_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkGetDhcpLeasesRet {
    pub leases: BoundedVec<NetworkDhcpLease, 65536>,
    pub ret: u32,
}

/// `remote_domain_stats_record`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainStatsRecord {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 262144>,
}

/// `remote_connect_get_all_domain_stats_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetAllDomainStatsArgs {
    pub doms: BoundedVec<NonnullDomain, 16384>,
    pub stats: u32,
    pub flags: u32,
}

/// `remote_domain_event_callback_agent_lifecycle_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackAgentLifecycleMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub state: i32,
    pub reason: i32,
}

/// `remote_connect_get_all_domain_stats_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetAllDomainStatsRet {
    pub ret_stats: BoundedVec<DomainStatsRecord, 16384>,
}

/// `remote_domain_fsinfo`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainFsinfo {
    pub mountpoint: RemoteNonnullString,
    pub name: RemoteNonnullString,
    pub fstype: RemoteNonnullString,
    pub dev_aliases: BoundedVec<RemoteNonnullString, 256>,
}

/// `remote_domain_get_fsinfo_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetFsinfoArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_fsinfo_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetFsinfoRet {
    pub info: BoundedVec<DomainFsinfo, 256>,
    pub ret: u32,
}

/// `remote_domain_ip_addr`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainIpAddr {
    pub r#type: i32,
    pub addr: RemoteNonnullString,
    pub prefix: u32,
}

/// `remote_domain_interface`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainInterface {
    pub name: RemoteNonnullString,
    pub hwaddr: RemoteString,
    pub addrs: BoundedVec<DomainIpAddr, 2048>,
}

/// `remote_domain_interface_addresses_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainInterfaceAddressesArgs {
    pub dom: NonnullDomain,
    pub source: u32,
    pub flags: u32,
}

/// `remote_domain_interface_addresses_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainInterfaceAddressesRet {
    pub ifaces: BoundedVec<DomainInterface, 2048>,
}

/// `remote_domain_set_user_password_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetUserPasswordArgs {
    pub dom: NonnullDomain,
    pub user: RemoteString,
    pub password: RemoteString,
    pub flags: u32,
}

/// `remote_domain_rename_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainRenameArgs {
    pub dom: NonnullDomain,
    pub new_name: RemoteString,
    pub flags: u32,
}

/// `remote_domain_rename_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainRenameRet {
    pub retcode: i32,
}

/// `remote_domain_event_callback_migration_iteration_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackMigrationIterationMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub iteration: i32,
}

/// `remote_domain_event_callback_job_completed_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackJobCompletedMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 64>,
}

/// `remote_domain_migrate_start_post_copy_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMigrateStartPostCopyArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_event_callback_device_removal_failed_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackDeviceRemovalFailedMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub dev_alias: RemoteNonnullString,
}

/// `remote_domain_get_guest_vcpus_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetGuestVcpusArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_guest_vcpus_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetGuestVcpusRet {
    pub params: BoundedVec<RemoteTypedParam, 64>,
}

/// `remote_domain_set_guest_vcpus_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetGuestVcpusArgs {
    pub dom: NonnullDomain,
    pub cpumap: RemoteNonnullString,
    pub state: i32,
    pub flags: u32,
}

/// `remote_domain_set_vcpu_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetVcpuArgs {
    pub dom: NonnullDomain,
    pub cpumap: RemoteNonnullString,
    pub state: i32,
    pub flags: u32,
}

/// `remote_domain_event_callback_metadata_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventCallbackMetadataChangeMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub r#type: i32,
    pub nsuri: RemoteString,
}

/// `remote_domain_event_memory_failure_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventMemoryFailureMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub recipient: i32,
    pub action: i32,
    pub flags: u32,
}

/// `remote_connect_secret_event_register_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectSecretEventRegisterAnyArgs {
    pub event_id: i32,
    pub secret: Option<NonnullSecret>,
}

/// `remote_connect_secret_event_register_any_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectSecretEventRegisterAnyRet {
    pub callback_id: i32,
}

/// `remote_connect_secret_event_deregister_any_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectSecretEventDeregisterAnyArgs {
    pub callback_id: i32,
}

/// `remote_secret_event_lifecycle_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretEventLifecycleMsg {
    pub callback_id: i32,
    pub secret: NonnullSecret,
    pub event: i32,
    pub detail: i32,
}

/// `remote_secret_event_value_changed_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct SecretEventValueChangedMsg {
    pub callback_id: i32,
    pub secret: NonnullSecret,
}

/// `remote_domain_set_block_threshold_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetBlockThresholdArgs {
    pub dom: NonnullDomain,
    pub dev: RemoteNonnullString,
    pub threshold: u64,
    pub flags: u32,
}

/// `remote_domain_set_lifecycle_action_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetLifecycleActionArgs {
    pub dom: NonnullDomain,
    pub r#type: u32,
    pub action: u32,
    pub flags: u32,
}

/// `remote_connect_compare_hypervisor_cpu_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectCompareHypervisorCpuArgs {
    pub emulator: RemoteString,
    pub arch: RemoteString,
    pub machine: RemoteString,
    pub virttype: RemoteString,
    pub xml_cpu: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_connect_compare_hypervisor_cpu_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectCompareHypervisorCpuRet {
    pub result: i32,
}

/// `remote_connect_baseline_hypervisor_cpu_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectBaselineHypervisorCpuArgs {
    pub emulator: RemoteString,
    pub arch: RemoteString,
    pub machine: RemoteString,
    pub virttype: RemoteString,
    pub xml_cp_us: BoundedVec<RemoteNonnullString, 256>,
    pub flags: u32,
}

/// `remote_connect_baseline_hypervisor_cpu_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectBaselineHypervisorCpuRet {
    pub cpu: RemoteNonnullString,
}

/// `remote_node_get_sev_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetSevInfoArgs {
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_node_get_sev_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NodeGetSevInfoRet {
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub nparams: i32,
}

/// `remote_domain_get_launch_security_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetLaunchSecurityInfoArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_launch_security_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetLaunchSecurityInfoRet {
    pub params: BoundedVec<RemoteTypedParam, 64>,
}

/// `remote_domain_set_launch_security_state_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainSetLaunchSecurityStateArgs {
    pub dom: NonnullDomain,
    pub params: BoundedVec<RemoteTypedParam, 64>,
    pub flags: u32,
}

/// `remote_nwfilter_binding_lookup_by_port_dev_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterBindingLookupByPortDevArgs {
    pub name: RemoteNonnullString,
}

/// `remote_nwfilter_binding_lookup_by_port_dev_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterBindingLookupByPortDevRet {
    pub nwfilter: NonnullNwfilterBinding,
}

/// `remote_nwfilter_binding_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterBindingCreateXmlArgs {
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_nwfilter_binding_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterBindingCreateXmlRet {
    pub nwfilter: NonnullNwfilterBinding,
}

/// `remote_nwfilter_binding_delete_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterBindingDeleteArgs {
    pub nwfilter: NonnullNwfilterBinding,
}

/// `remote_nwfilter_binding_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterBindingGetXmlDescArgs {
    pub nwfilter: NonnullNwfilterBinding,
    pub flags: u32,
}

/// `remote_nwfilter_binding_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NwfilterBindingGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_connect_list_all_nwfilter_bindings_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNwfilterBindingsArgs {
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_connect_list_all_nwfilter_bindings_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectListAllNwfilterBindingsRet {
    pub bindings: BoundedVec<NonnullNwfilterBinding, 16384>,
    pub ret: u32,
}

/// `remote_connect_get_storage_pool_capabilities_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetStoragePoolCapabilitiesArgs {
    pub flags: u32,
}

/// `remote_connect_get_storage_pool_capabilities_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectGetStoragePoolCapabilitiesRet {
    pub capabilities: RemoteNonnullString,
}

/// `remote_network_list_all_ports_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkListAllPortsArgs {
    pub network: NonnullNetwork,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_network_list_all_ports_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkListAllPortsRet {
    pub ports: BoundedVec<NonnullNetworkPort, 16384>,
    pub ret: u32,
}

/// `remote_network_port_lookup_by_uuid_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortLookupByUuidArgs {
    pub network: NonnullNetwork,
    pub uuid: [u8; 16],
}

/// `remote_network_port_lookup_by_uuid_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortLookupByUuidRet {
    pub port: NonnullNetworkPort,
}

/// `remote_network_port_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortCreateXmlArgs {
    pub network: NonnullNetwork,
    pub xml: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_network_port_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortCreateXmlRet {
    pub port: NonnullNetworkPort,
}

/// `remote_network_port_set_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortSetParametersArgs {
    pub port: NonnullNetworkPort,
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub flags: u32,
}

/// `remote_network_port_get_parameters_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortGetParametersArgs {
    pub port: NonnullNetworkPort,
    pub nparams: i32,
    pub flags: u32,
}

/// `remote_network_port_get_parameters_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortGetParametersRet {
    pub params: BoundedVec<RemoteTypedParam, 16>,
    pub nparams: i32,
}

/// `remote_network_port_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortGetXmlDescArgs {
    pub port: NonnullNetworkPort,
    pub flags: u32,
}

/// `remote_network_port_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_network_port_delete_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct NetworkPortDeleteArgs {
    pub port: NonnullNetworkPort,
    pub flags: u32,
}

/// `remote_domain_checkpoint_create_xml_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointCreateXmlArgs {
    pub dom: NonnullDomain,
    pub xml_desc: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_checkpoint_create_xml_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointCreateXmlRet {
    pub checkpoint: NonnullDomainCheckpoint,
}

/// `remote_domain_checkpoint_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointGetXmlDescArgs {
    pub checkpoint: NonnullDomainCheckpoint,
    pub flags: u32,
}

/// `remote_domain_checkpoint_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_domain_list_all_checkpoints_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainListAllCheckpointsArgs {
    pub dom: NonnullDomain,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_domain_list_all_checkpoints_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainListAllCheckpointsRet {
    pub checkpoints: BoundedVec<NonnullDomainCheckpoint, 16384>,
    pub ret: i32,
}

/// `remote_domain_checkpoint_list_all_children_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointListAllChildrenArgs {
    pub checkpoint: NonnullDomainCheckpoint,
    pub need_results: i32,
    pub flags: u32,
}

/// `remote_domain_checkpoint_list_all_children_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointListAllChildrenRet {
    pub checkpoints: BoundedVec<NonnullDomainCheckpoint, 16384>,
    pub ret: i32,
}

/// `remote_domain_checkpoint_lookup_by_name_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointLookupByNameArgs {
    pub dom: NonnullDomain,
    pub name: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_checkpoint_lookup_by_name_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointLookupByNameRet {
    pub checkpoint: NonnullDomainCheckpoint,
}

/// `remote_domain_checkpoint_get_parent_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointGetParentArgs {
    pub checkpoint: NonnullDomainCheckpoint,
    pub flags: u32,
}

/// `remote_domain_checkpoint_get_parent_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointGetParentRet {
    pub parent: NonnullDomainCheckpoint,
}

/// `remote_domain_checkpoint_delete_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainCheckpointDeleteArgs {
    pub checkpoint: NonnullDomainCheckpoint,
    pub flags: u32,
}

/// `remote_domain_get_guest_info_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetGuestInfoArgs {
    pub dom: NonnullDomain,
    pub types: u32,
    pub flags: u32,
}

/// `remote_domain_get_guest_info_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetGuestInfoRet {
    pub params: BoundedVec<RemoteTypedParam, 2048>,
}

/// `remote_connect_set_identity_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectSetIdentityArgs {
    pub params: BoundedVec<RemoteTypedParam, 20>,
    pub flags: u32,
}

/// `remote_domain_agent_set_response_timeout_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAgentSetResponseTimeoutArgs {
    pub dom: NonnullDomain,
    pub timeout: i32,
    pub flags: u32,
}

/// `remote_domain_agent_set_response_timeout_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAgentSetResponseTimeoutRet {
    pub result: i32,
}

/// `remote_domain_backup_begin_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBackupBeginArgs {
    pub dom: NonnullDomain,
    pub backup_xml: RemoteNonnullString,
    pub checkpoint_xml: RemoteString,
    pub flags: u32,
}

/// `remote_domain_backup_get_xml_desc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBackupGetXmlDescArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_backup_get_xml_desc_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainBackupGetXmlDescRet {
    pub xml: RemoteNonnullString,
}

/// `remote_domain_authorized_ssh_keys_get_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAuthorizedSshKeysGetArgs {
    pub dom: NonnullDomain,
    pub user: RemoteNonnullString,
    pub flags: u32,
}

/// `remote_domain_authorized_ssh_keys_get_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAuthorizedSshKeysGetRet {
    pub keys: BoundedVec<RemoteNonnullString, 2048>,
}

/// `remote_domain_authorized_ssh_keys_set_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAuthorizedSshKeysSetArgs {
    pub dom: NonnullDomain,
    pub user: RemoteNonnullString,
    pub keys: BoundedVec<RemoteNonnullString, 2048>,
    pub flags: u32,
}

/// `remote_domain_get_messages_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMessagesArgs {
    pub dom: NonnullDomain,
    pub flags: u32,
}

/// `remote_domain_get_messages_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainGetMessagesRet {
    pub msgs: BoundedVec<RemoteNonnullString, 2048>,
}

/// `remote_domain_start_dirty_rate_calc_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainStartDirtyRateCalcArgs {
    pub dom: NonnullDomain,
    pub seconds: i32,
    pub flags: u32,
}

/// `remote_domain_event_memory_device_size_change_msg`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainEventMemoryDeviceSizeChangeMsg {
    pub callback_id: i32,
    pub dom: NonnullDomain,
    pub alias: RemoteNonnullString,
    pub size: u64,
}

/// `remote_domain_fd_associate_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainFdAssociateArgs {
    pub dom: NonnullDomain,
    pub name: RemoteNonnullString,
    pub flags: u32,
}
