//! One trait per object family. Each method mirrors a libvirt driver entry point; its default
//! answers `VIR_ERR_NO_SUPPORT` naming the public `vir…` function.

use crate::events::{CallbackId, DomainEventCallback};
use crate::stream::StreamBackend;
use crate::{DomainRef, SnapshotRef, unsupported};
use rvirt_types::domain::*;
use rvirt_types::records::*;
use rvirt_types::snapshot::*;
use rvirt_types::{Result, TypedParam};
use std::os::fd::BorrowedFd;

/// Connection-wide and host calls (`virConnect*`, `virNode*`).
pub trait HostDriver {
    /// `virConnectGetType`: the driver's name, e.g. `TEST`.
    async fn connect_get_type(&self) -> Result<String> {
        unsupported("virConnectGetType")
    }
    /// `virConnectGetVersion`: the hypervisor version as major * 1,000,000 + minor * 1,000 + micro.
    async fn connect_get_version(&self) -> Result<u64> {
        unsupported("virConnectGetVersion")
    }
    /// `virConnectGetHostname`.
    async fn connect_get_hostname(&self) -> Result<String> {
        unsupported("virConnectGetHostname")
    }
    /// `virConnectGetURI`: the canonical URI of the connection.
    async fn connect_get_uri(&self) -> Result<String> {
        unsupported("virConnectGetURI")
    }
    /// `virConnectGetMaxVcpus` for a domain type.
    async fn connect_get_max_vcpus(&self, _virt_type: Option<&str>) -> Result<i32> {
        unsupported("virConnectGetMaxVcpus")
    }
    /// `virConnectGetCapabilities`: the capabilities XML.
    async fn connect_get_capabilities(&self) -> Result<String> {
        unsupported("virConnectGetCapabilities")
    }
    /// `virConnectGetDomainCapabilities`: what a domain of type `virttype` for architecture
    /// `arch` and machine type `machine`, run by emulator `emulatorbin`, can use (each `None`
    /// picks the driver's default), as a `<domainCapabilities>` document.
    async fn connect_get_domain_capabilities(
        &self,
        _emulatorbin: Option<&str>,
        _arch: Option<&str>,
        _machine: Option<&str>,
        _virttype: Option<&str>,
        _flags: u32,
    ) -> Result<String> {
        unsupported("virConnectGetDomainCapabilities")
    }
    /// `virConnectDomainXMLToNative`: a domain definition in the hypervisor's own format
    /// (`qemu-argv` for QEMU).
    async fn connect_domain_xml_to_native(
        &self,
        _format: &str,
        _xml: &str,
        _flags: u32,
    ) -> Result<String> {
        unsupported("virConnectDomainXMLToNative")
    }
    /// `virConnectGetSysinfo`: the host's SMBIOS data as XML.
    async fn connect_get_sysinfo(&self, _flags: u32) -> Result<String> {
        unsupported("virConnectGetSysinfo")
    }
    /// `virConnectIsSecure`.
    async fn connect_is_secure(&self) -> Result<bool> {
        unsupported("virConnectIsSecure")
    }
    /// `virConnectIsEncrypted`.
    async fn connect_is_encrypted(&self) -> Result<bool> {
        unsupported("virConnectIsEncrypted")
    }
    /// `virConnectIsAlive`.
    async fn connect_is_alive(&self) -> Result<bool> {
        unsupported("virConnectIsAlive")
    }
    /// `virConnectSetKeepAlive`: probe the peer after `interval` seconds of silence and give up
    /// after `count` unanswered probes (`interval <= 0` stops probing). 0 when set up, 1 when
    /// the peer cannot take part.
    async fn connect_set_keep_alive(&self, _interval: i32, _count: u32) -> Result<i32> {
        unsupported("virConnectSetKeepAlive")
    }
    /// `virConnectRegisterCloseCallback`. Drivers whose connections cannot close on their own
    /// (every local one) accept and never call it, as libvirt's do.
    async fn connect_register_close_callback(
        &self,
        _callback: crate::events::CloseCallback,
    ) -> Result<()> {
        Ok(())
    }
    /// `virConnectUnregisterCloseCallback`; see [`HostDriver::connect_register_close_callback`].
    async fn connect_unregister_close_callback(&self) -> Result<()> {
        Ok(())
    }
    /// libvirt's internal `virConnectSupportsFeature`: whether the driver has optional behaviour
    /// `feature` (a `VIR_DRV_FEATURE_*` value). Unknown features are unsupported.
    async fn connect_supports_feature(&self, _feature: i32) -> Result<bool> {
        Ok(false)
    }
    /// `virNodeGetInfo`.
    async fn node_get_info(&self) -> Result<NodeInfo> {
        unsupported("virNodeGetInfo")
    }
    /// `virNodeGetCellsFreeMemory`: free memory in bytes of cells `start..start+max`.
    async fn node_get_cells_free_memory(&self, _start: i32, _max: i32) -> Result<Vec<u64>> {
        unsupported("virNodeGetCellsFreeMemory")
    }
    /// `virNodeGetFreeMemory`: free memory in bytes.
    async fn node_get_free_memory(&self) -> Result<u64> {
        unsupported("virNodeGetFreeMemory")
    }
    /// `virNodeGetCPUMap`.
    async fn node_get_cpu_map(&self, _flags: u32) -> Result<CpuMap> {
        unsupported("virNodeGetCPUMap")
    }
    /// `virNodeGetCPUStats` for one CPU, or all with -1.
    async fn node_get_cpu_stats(&self, _cpu: i32, _flags: u32) -> Result<Vec<NodeStat>> {
        unsupported("virNodeGetCPUStats")
    }
    /// `virNodeGetMemoryStats` for one cell, or all with -1.
    async fn node_get_memory_stats(&self, _cell: i32, _flags: u32) -> Result<Vec<NodeStat>> {
        unsupported("virNodeGetMemoryStats")
    }
    /// `virNodeGetSecurityModel`.
    async fn node_get_security_model(&self) -> Result<SecurityModel> {
        unsupported("virNodeGetSecurityModel")
    }
    /// `virConnectGetCPUModelNames`: the CPU models the hypervisor knows for architecture
    /// `arch`, in the CPU map's order (empty when every model is accepted).
    async fn connect_get_cpu_model_names(&self, _arch: &str, _flags: u32) -> Result<Vec<String>> {
        unsupported("virConnectGetCPUModelNames")
    }
    /// `virConnectBaselineCPU`: the guest CPU that every host CPU of `xml_cpus` (one `<cpu>`
    /// document each) can run, as CPU XML.
    async fn connect_baseline_cpu(&self, _xml_cpus: &[String], _flags: u32) -> Result<String> {
        unsupported("virConnectBaselineCPU")
    }
    /// `virConnectCompareCPU`: how the host's CPU compares with CPU `xml` (a `<cpu>`
    /// document): `VIR_CPU_COMPARE_*` (0 incompatible, 1 identical, 2 superset).
    async fn connect_compare_cpu(&self, _xml: &str, _flags: u32) -> Result<i32> {
        unsupported("virConnectCompareCPU")
    }
    /// `virConnectCompareHypervisorCPU`: how the CPU the hypervisor can give a domain of type
    /// `virttype`, architecture `arch` and machine type `machine` run by `emulator` (each
    /// `None` picks the driver's default) compares with CPU `xml`: `VIR_CPU_COMPARE_*`.
    async fn connect_compare_hypervisor_cpu(
        &self,
        _emulator: Option<&str>,
        _arch: Option<&str>,
        _machine: Option<&str>,
        _virttype: Option<&str>,
        _xml: &str,
        _flags: u32,
    ) -> Result<i32> {
        unsupported("virConnectCompareHypervisorCPU")
    }
    /// `virConnectBaselineHypervisorCPU`: the guest CPU every CPU of `xml_cpus` can run that
    /// the hypervisor (chosen as for [`HostDriver::connect_compare_hypervisor_cpu`]) offers.
    async fn connect_baseline_hypervisor_cpu(
        &self,
        _emulator: Option<&str>,
        _arch: Option<&str>,
        _machine: Option<&str>,
        _virttype: Option<&str>,
        _xml_cpus: &[String],
        _flags: u32,
    ) -> Result<String> {
        unsupported("virConnectBaselineHypervisorCPU")
    }
    /// `virNodeGetFreePages`: free pages of each size in `pages` (KiB) on cells
    /// `start_cell..start_cell+cell_count`, cell by cell. The list holds as many counts as the
    /// driver reports filled, which may be fewer than asked (libvirt's test driver reports none).
    async fn node_get_free_pages(
        &self,
        _pages: &[u32],
        _start_cell: i32,
        _cell_count: u32,
        _flags: u32,
    ) -> Result<Vec<u64>> {
        unsupported("virNodeGetFreePages")
    }
}

/// Domain calls (`virDomain*`, `virConnect*Domain*`).
pub trait DomainDriver {
    /// `virConnectListAllDomains`.
    async fn connect_list_all_domains(
        &self,
        _flags: ConnectListAllDomainsFlags,
    ) -> Result<Vec<DomainRef>> {
        unsupported("virConnectListAllDomains")
    }
    /// `virConnectListDomains`: ids of running domains, at most `max`.
    async fn connect_list_domains(&self, _max: i32) -> Result<Vec<i32>> {
        unsupported("virConnectListDomains")
    }
    /// `virConnectNumOfDomains`.
    async fn connect_num_of_domains(&self) -> Result<i32> {
        unsupported("virConnectNumOfDomains")
    }
    /// `virConnectListDefinedDomains`: names of inactive persistent domains, at most `max`.
    async fn connect_list_defined_domains(&self, _max: i32) -> Result<Vec<String>> {
        unsupported("virConnectListDefinedDomains")
    }
    /// `virConnectNumOfDefinedDomains`.
    async fn connect_num_of_defined_domains(&self) -> Result<i32> {
        unsupported("virConnectNumOfDefinedDomains")
    }
    /// `virDomainLookupByID`.
    async fn domain_lookup_by_id(&self, _id: i32) -> Result<DomainRef> {
        unsupported("virDomainLookupByID")
    }
    /// `virDomainLookupByName`.
    async fn domain_lookup_by_name(&self, _name: &str) -> Result<DomainRef> {
        unsupported("virDomainLookupByName")
    }
    /// `virDomainLookupByUUID`.
    async fn domain_lookup_by_uuid(&self, _uuid: &rvirt_types::Uuid) -> Result<DomainRef> {
        unsupported("virDomainLookupByUUID")
    }
    /// `virDomainDefineXMLFlags`.
    async fn domain_define_xml(&self, _xml: &str, _flags: DomainDefineFlags) -> Result<DomainRef> {
        unsupported("virDomainDefineXML")
    }
    /// `virDomainUndefineFlags`.
    async fn domain_undefine(&self, _dom: &DomainRef, _flags: DomainUndefineFlags) -> Result<()> {
        unsupported("virDomainUndefine")
    }
    /// `virDomainCreateWithFlags`.
    async fn domain_create(
        &self,
        _dom: &DomainRef,
        _flags: DomainCreateFlags,
    ) -> Result<DomainRef> {
        unsupported("virDomainCreate")
    }
    /// `virDomainCreateXML`: a transient domain, started at once.
    async fn domain_create_xml(&self, _xml: &str, _flags: DomainCreateFlags) -> Result<DomainRef> {
        unsupported("virDomainCreateXML")
    }
    /// `virDomainCreateXMLWithFiles`: a transient domain started with `files` handed to the
    /// guest. The public API has already refused descriptors the driver cannot take.
    async fn domain_create_xml_with_files(
        &self,
        _xml: &str,
        _files: &[BorrowedFd<'_>],
        _flags: DomainCreateFlags,
    ) -> Result<DomainRef> {
        unsupported("virDomainCreateXMLWithFiles")
    }
    /// `virDomainCreateWithFiles`: starts a defined domain with `files` handed to the guest.
    async fn domain_create_with_files(
        &self,
        _dom: &DomainRef,
        _files: &[BorrowedFd<'_>],
        _flags: DomainCreateFlags,
    ) -> Result<DomainRef> {
        unsupported("virDomainCreateWithFiles")
    }
    /// `virDomainShutdownFlags`.
    async fn domain_shutdown(&self, _dom: &DomainRef, _flags: DomainShutdownFlags) -> Result<()> {
        unsupported("virDomainShutdown")
    }
    /// `virDomainReboot`.
    async fn domain_reboot(&self, _dom: &DomainRef, _flags: DomainRebootFlags) -> Result<()> {
        unsupported("virDomainReboot")
    }
    /// `virDomainReset`.
    async fn domain_reset(&self, _dom: &DomainRef, _flags: u32) -> Result<()> {
        unsupported("virDomainReset")
    }
    /// `virDomainDestroyFlags`.
    async fn domain_destroy(&self, _dom: &DomainRef, _flags: DomainDestroyFlags) -> Result<()> {
        unsupported("virDomainDestroy")
    }
    /// `virDomainSuspend`.
    async fn domain_suspend(&self, _dom: &DomainRef) -> Result<()> {
        unsupported("virDomainSuspend")
    }
    /// `virDomainResume`.
    async fn domain_resume(&self, _dom: &DomainRef) -> Result<()> {
        unsupported("virDomainResume")
    }
    /// `virDomainSaveFlags`.
    async fn domain_save(
        &self,
        _dom: &DomainRef,
        _path: &str,
        _dxml: Option<&str>,
        _flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        unsupported("virDomainSave")
    }
    /// `virDomainRestoreFlags`.
    async fn domain_restore(
        &self,
        _path: &str,
        _dxml: Option<&str>,
        _flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        unsupported("virDomainRestore")
    }
    /// `virDomainSaveImageGetXMLDesc`.
    async fn domain_save_image_get_xml_desc(
        &self,
        _path: &str,
        _flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        unsupported("virDomainSaveImageGetXMLDesc")
    }
    /// `virDomainSaveImageDefineXML`.
    async fn domain_save_image_define_xml(
        &self,
        _path: &str,
        _dxml: &str,
        _flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        unsupported("virDomainSaveImageDefineXML")
    }
    /// `virDomainManagedSave`.
    async fn domain_managed_save(
        &self,
        _dom: &DomainRef,
        _flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        unsupported("virDomainManagedSave")
    }
    /// `virDomainHasManagedSaveImage`.
    async fn domain_has_managed_save_image(&self, _dom: &DomainRef, _flags: u32) -> Result<bool> {
        unsupported("virDomainHasManagedSaveImage")
    }
    /// `virDomainManagedSaveRemove`.
    async fn domain_managed_save_remove(&self, _dom: &DomainRef, _flags: u32) -> Result<()> {
        unsupported("virDomainManagedSaveRemove")
    }
    /// `virDomainManagedSaveGetXMLDesc`.
    async fn domain_managed_save_get_xml_desc(
        &self,
        _dom: &DomainRef,
        _flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        unsupported("virDomainManagedSaveGetXMLDesc")
    }
    /// `virDomainGetAutostart`.
    async fn domain_get_autostart(&self, _dom: &DomainRef) -> Result<bool> {
        unsupported("virDomainGetAutostart")
    }
    /// `virDomainSetAutostart`.
    async fn domain_set_autostart(&self, _dom: &DomainRef, _autostart: bool) -> Result<()> {
        unsupported("virDomainSetAutostart")
    }
    /// `virDomainSetMemoryFlags` (KiB).
    async fn domain_set_memory(
        &self,
        _dom: &DomainRef,
        _kib: u64,
        _flags: DomainMemoryModFlags,
    ) -> Result<()> {
        unsupported("virDomainSetMemory")
    }
    /// `virDomainSetMemoryStatsPeriod`: how often (seconds, 0 to stop) the balloon driver
    /// collects memory statistics, in the live or the persistent definition.
    async fn domain_set_memory_stats_period(
        &self,
        _dom: &DomainRef,
        _period: i32,
        _flags: DomainModificationImpact,
    ) -> Result<()> {
        unsupported("virDomainSetMemoryStatsPeriod")
    }
    /// `virDomainSetMaxMemory` (KiB).
    async fn domain_set_max_memory(&self, _dom: &DomainRef, _kib: u64) -> Result<()> {
        unsupported("virDomainSetMaxMemory")
    }
    /// `virDomainSetVcpusFlags`.
    async fn domain_set_vcpus(
        &self,
        _dom: &DomainRef,
        _n: u32,
        _flags: DomainVcpuFlags,
    ) -> Result<()> {
        unsupported("virDomainSetVcpus")
    }
    /// `virDomainGetVcpusFlags`.
    async fn domain_get_vcpus_flags(
        &self,
        _dom: &DomainRef,
        _flags: DomainVcpuFlags,
    ) -> Result<i32> {
        unsupported("virDomainGetVcpusFlags")
    }
    /// `virDomainRename`.
    async fn domain_rename(
        &self,
        _dom: &DomainRef,
        _new_name: &str,
        _flags: u32,
    ) -> Result<DomainRef> {
        unsupported("virDomainRename")
    }
    /// `virDomainSetMetadata`.
    async fn domain_set_metadata(
        &self,
        _dom: &DomainRef,
        _kind: DomainMetadataType,
        _metadata: Option<&str>,
        _key: Option<&str>,
        _uri: Option<&str>,
        _flags: DomainModificationImpact,
    ) -> Result<()> {
        unsupported("virDomainSetMetadata")
    }
    /// `virDomainGetMetadata`.
    async fn domain_get_metadata(
        &self,
        _dom: &DomainRef,
        _kind: DomainMetadataType,
        _uri: Option<&str>,
        _flags: DomainModificationImpact,
    ) -> Result<String> {
        unsupported("virDomainGetMetadata")
    }
    /// `virDomainGetInfo`.
    async fn domain_get_info(&self, _dom: &DomainRef) -> Result<DomainInfo> {
        unsupported("virDomainGetInfo")
    }
    /// `virDomainGetState`: the state and its reason.
    async fn domain_get_state(&self, _dom: &DomainRef, _flags: u32) -> Result<(DomainState, i32)> {
        unsupported("virDomainGetState")
    }
    /// `virDomainGetXMLDesc`.
    async fn domain_get_xml_desc(
        &self,
        _dom: &DomainRef,
        _flags: DomainXMLFlags,
    ) -> Result<String> {
        unsupported("virDomainGetXMLDesc")
    }
    /// `virDomainIsActive`.
    async fn domain_is_active(&self, _dom: &DomainRef) -> Result<bool> {
        unsupported("virDomainIsActive")
    }
    /// `virDomainIsPersistent`.
    async fn domain_is_persistent(&self, _dom: &DomainRef) -> Result<bool> {
        unsupported("virDomainIsPersistent")
    }
    /// `virDomainIsUpdated`.
    async fn domain_is_updated(&self, _dom: &DomainRef) -> Result<bool> {
        unsupported("virDomainIsUpdated")
    }
    /// `virDomainGetOSType`.
    async fn domain_get_os_type(&self, _dom: &DomainRef) -> Result<String> {
        unsupported("virDomainGetOSType")
    }
    /// `virDomainGetMaxMemory` (KiB).
    async fn domain_get_max_memory(&self, _dom: &DomainRef) -> Result<u64> {
        unsupported("virDomainGetMaxMemory")
    }
    /// `virDomainGetVcpus`: at most `maxinfo` vCPUs, and for each the `maplen`-byte map of the
    /// host CPUs it may run on (all maps concatenated, `maxinfo * maplen` bytes).
    async fn domain_get_vcpus(
        &self,
        _dom: &DomainRef,
        _maxinfo: i32,
        _maplen: i32,
    ) -> Result<(Vec<VcpuInfo>, Vec<u8>)> {
        unsupported("virDomainGetVcpus")
    }
    /// `virDomainScreenshot`: the MIME type of the image of `screen`, and the stream its
    /// bytes come from.
    async fn domain_screenshot(
        &self,
        _dom: &DomainRef,
        _screen: u32,
        _flags: u32,
    ) -> Result<(String, Box<dyn StreamBackend>)> {
        unsupported("virDomainScreenshot")
    }
    /// `virDomainGetMaxVcpus`.
    async fn domain_get_max_vcpus(&self, _dom: &DomainRef) -> Result<i32> {
        unsupported("virDomainGetMaxVcpus")
    }
    /// `virDomainGetHostname`.
    async fn domain_get_hostname(
        &self,
        _dom: &DomainRef,
        _flags: DomainGetHostnameFlags,
    ) -> Result<String> {
        unsupported("virDomainGetHostname")
    }
    /// `virDomainQemuMonitorCommand` (libvirt-qemu): `cmd`, a QMP command object or, with
    /// `VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP` (1) in `flags`, a human monitor command line, run
    /// on the running domain's monitor; QEMU's reply as text (a QMP error reply is a result
    /// too, as in libvirt).
    async fn domain_qemu_monitor_command(
        &self,
        _dom: &DomainRef,
        _cmd: &str,
        _flags: u32,
    ) -> Result<String> {
        unsupported("virDomainQemuMonitorCommand")
    }
    /// `virDomainQemuAgentCommand` (libvirt-qemu): `cmd` run by the guest agent, waiting
    /// `timeout` seconds (or libvirt's -2 default, -1 block, 0 no wait); its reply.
    async fn domain_qemu_agent_command(
        &self,
        _dom: &DomainRef,
        _cmd: &str,
        _timeout: i32,
        _flags: u32,
    ) -> Result<Option<String>> {
        unsupported("virDomainQemuAgentCommand")
    }
    /// `virDomainGetTime`.
    async fn domain_get_time(&self, _dom: &DomainRef, _flags: u32) -> Result<DomainTime> {
        unsupported("virDomainGetTime")
    }
    /// `virDomainSetTime`: sets the guest's clock to `seconds`.`nseconds` since the epoch, or
    /// (`VIR_DOMAIN_TIME_SYNC`) from its RTC.
    async fn domain_set_time(
        &self,
        _dom: &DomainRef,
        _seconds: i64,
        _nseconds: u32,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetTime")
    }
    /// `virDomainPinVcpuFlags`: vCPU `vcpu` may run only on the host CPUs set in `cpumap`
    /// (a bitmap, CPU 0 in the low bit of the first byte), live and/or in the config.
    async fn domain_pin_vcpu(
        &self,
        _dom: &DomainRef,
        _vcpu: u32,
        _cpumap: &[u8],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainPinVcpuFlags")
    }
    /// `virDomainGetVcpuPinInfo`: the host CPUs each of the first `ncpumaps` vCPUs may run on,
    /// `maplen` bytes each; how many maps were filled.
    async fn domain_get_vcpu_pin_info(
        &self,
        _dom: &DomainRef,
        _ncpumaps: i32,
        _maplen: i32,
        _flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        unsupported("virDomainGetVcpuPinInfo")
    }
    /// `virDomainPinEmulator`: the emulator threads may run only on the CPUs in `cpumap`.
    async fn domain_pin_emulator(
        &self,
        _dom: &DomainRef,
        _cpumap: &[u8],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainPinEmulator")
    }
    /// `virDomainGetEmulatorPinInfo`: the CPUs the emulator threads may run on, `maplen`
    /// bytes; 1 (one map).
    async fn domain_get_emulator_pin_info(
        &self,
        _dom: &DomainRef,
        _maplen: i32,
        _flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        unsupported("virDomainGetEmulatorPinInfo")
    }
    /// `virDomainGetMessages`: the domain's taint and deprecation messages (`flags`: 1
    /// deprecations only, 2 taints only, 0 both).
    async fn domain_get_messages(&self, _dom: &DomainRef, _flags: u32) -> Result<Vec<String>> {
        unsupported("virDomainGetMessages")
    }
    /// `virDomainGetBlockInfo`: the sizes of the disk named by target or source path.
    async fn domain_get_block_info(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _flags: u32,
    ) -> Result<DomainBlockInfo> {
        unsupported("virDomainGetBlockInfo")
    }
    /// `virDomainGetDiskErrors`: the disks with I/O errors (at most `maxerrors`), and their
    /// number; with `maxerrors` 0, no list and the number of disks to ask about.
    async fn domain_get_disk_errors(
        &self,
        _dom: &DomainRef,
        _maxerrors: u32,
        _flags: u32,
    ) -> Result<(Vec<DomainDiskError>, i32)> {
        unsupported("virDomainGetDiskErrors")
    }
    /// `virDomainGetIOThreadInfo`: the domain's I/O threads and where they may run.
    async fn domain_get_iothread_info(
        &self,
        _dom: &DomainRef,
        _flags: u32,
    ) -> Result<Vec<DomainIOThreadInfo>> {
        unsupported("virDomainGetIOThreadInfo")
    }
    /// `virDomainAddIOThread`: a new I/O thread `id`, live and/or in the config.
    async fn domain_add_iothread(&self, _dom: &DomainRef, _id: u32, _flags: u32) -> Result<()> {
        unsupported("virDomainAddIOThread")
    }
    /// `virDomainDelIOThread`: removes I/O thread `id`.
    async fn domain_del_iothread(&self, _dom: &DomainRef, _id: u32, _flags: u32) -> Result<()> {
        unsupported("virDomainDelIOThread")
    }
    /// `virDomainPinIOThread`: I/O thread `id` may run only on the CPUs in `cpumap`.
    async fn domain_pin_iothread(
        &self,
        _dom: &DomainRef,
        _id: u32,
        _cpumap: &[u8],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainPinIOThread")
    }
    /// `virDomainPMSuspendForDuration`: the guest suspends itself (through its agent) to
    /// memory, disk or both (`target`, a `virNodeSuspendTarget`), for `duration` seconds
    /// (0: until woken).
    async fn domain_pm_suspend_for_duration(
        &self,
        _dom: &DomainRef,
        _target: u32,
        _duration: u64,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainPMSuspendForDuration")
    }
    /// `virDomainPMWakeup`: wakes a guest suspended to memory.
    async fn domain_pm_wakeup(&self, _dom: &DomainRef, _flags: u32) -> Result<()> {
        unsupported("virDomainPMWakeup")
    }
    /// `virDomainInjectNMI`: a non-maskable interrupt for the guest.
    async fn domain_inject_nmi(&self, _dom: &DomainRef, _flags: u32) -> Result<()> {
        unsupported("virDomainInjectNMI")
    }
    /// `virDomainSendKey`: press `keycodes` (codes of `codeset`, a `virKeycodeSet` value)
    /// together, hold them `holdtime` ms (0: the hypervisor's default), release them.
    async fn domain_send_key(
        &self,
        _dom: &DomainRef,
        _codeset: u32,
        _holdtime: u32,
        _keycodes: &[u32],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSendKey")
    }
    /// `virDomainSendProcessSignal`: signal `signum` (a `virDomainProcessSignal` number) to
    /// process `pid` in the guest.
    async fn domain_send_process_signal(
        &self,
        _dom: &DomainRef,
        _pid: i64,
        _signum: u32,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSendProcessSignal")
    }
    /// `virDomainCoreDump` (`format` `None`) and `virDomainCoreDumpWithFormat`: the guest's
    /// core to the absolute path `to`.
    async fn domain_core_dump(
        &self,
        _dom: &DomainRef,
        _to: &str,
        format: Option<u32>,
        _flags: u32,
    ) -> Result<()> {
        unsupported(if format.is_some() {
            "virDomainCoreDumpWithFormat"
        } else {
            "virDomainCoreDump"
        })
    }
    /// `virDomainMemoryPeek`: `size` bytes of guest memory from `start` (`flags`
    /// `VIR_MEMORY_VIRTUAL` 1 or `VIR_MEMORY_PHYSICAL` 2).
    async fn domain_memory_peek(
        &self,
        _dom: &DomainRef,
        _start: u64,
        _size: u32,
        _flags: u32,
    ) -> Result<Vec<u8>> {
        unsupported("virDomainMemoryPeek")
    }
    /// `virDomainGetControlInfo`: whether the hypervisor's control of the domain is free, busy
    /// with a job, or broken.
    async fn domain_get_control_info(
        &self,
        _dom: &DomainRef,
        _flags: u32,
    ) -> Result<DomainControlInfo> {
        unsupported("virDomainGetControlInfo")
    }
    /// `virDomainSetLifecycleAction`: what the domain does on power-off, reboot or crash
    /// (`virDomainLifecycle` `kind`, `virDomainLifecycleAction` `action`), live and/or in its
    /// config.
    async fn domain_set_lifecycle_action(
        &self,
        _dom: &DomainRef,
        _kind: u32,
        _action: u32,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetLifecycleAction")
    }
    /// `virDomainGetLaunchSecurityInfo`: the launch measurement of a confidential guest.
    async fn domain_get_launch_security_info(
        &self,
        _dom: &DomainRef,
        _flags: u32,
    ) -> Result<Vec<TypedParam>> {
        unsupported("virDomainGetLaunchSecurityInfo")
    }
    /// `virDomainFSFreeze`: freezes the guest's file systems (all, or those mounted at
    /// `mountpoints`) through its agent; how many were frozen.
    async fn domain_fs_freeze(
        &self,
        _dom: &DomainRef,
        _mountpoints: &[String],
        _flags: u32,
    ) -> Result<i32> {
        unsupported("virDomainFSFreeze")
    }
    /// `virDomainFSThaw`: thaws what [`DomainDriver::domain_fs_freeze`] froze; how many.
    async fn domain_fs_thaw(
        &self,
        _dom: &DomainRef,
        _mountpoints: &[String],
        _flags: u32,
    ) -> Result<i32> {
        unsupported("virDomainFSThaw")
    }
    /// `virDomainFSTrim`: discards unused blocks of the guest's file systems (free extents of
    /// `minimum` bytes and more), of all or of the one at `mountpoint`.
    async fn domain_fs_trim(
        &self,
        _dom: &DomainRef,
        _mountpoint: Option<&str>,
        _minimum: u64,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainFSTrim")
    }
    /// `virDomainGetFSInfo`: the guest's mounted file systems.
    async fn domain_get_fs_info(&self, _dom: &DomainRef, _flags: u32) -> Result<Vec<DomainFSInfo>> {
        unsupported("virDomainGetFSInfo")
    }
    /// `virDomainSetUserPassword`: sets `user`'s password in the guest (`flags` 1,
    /// `VIR_DOMAIN_PASSWORD_ENCRYPTED`: `password` is already crypted).
    async fn domain_set_user_password(
        &self,
        _dom: &DomainRef,
        _user: &str,
        _password: &str,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetUserPassword")
    }
    /// `virDomainAuthorizedSSHKeysGet`: the keys in `user`'s `~/.ssh/authorized_keys` in the
    /// guest, one per line of the file.
    async fn domain_authorized_ssh_keys_get(
        &self,
        _dom: &DomainRef,
        _user: &str,
        _flags: u32,
    ) -> Result<Vec<String>> {
        unsupported("virDomainAuthorizedSSHKeysGet")
    }
    /// `virDomainAuthorizedSSHKeysSet`: `keys` replace `user`'s authorized keys in the guest,
    /// or are added to them (`VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND`) or removed from them
    /// (`…_REMOVE`).
    async fn domain_authorized_ssh_keys_set(
        &self,
        _dom: &DomainRef,
        _user: &str,
        _keys: &[String],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainAuthorizedSSHKeysSet")
    }
    /// `virDomainGetGuestInfo`: what the guest agent knows of the guest, of the
    /// `VIR_DOMAIN_GUEST_INFO_*` `types` (all with 0), as typed parameters.
    async fn domain_get_guest_info(
        &self,
        _dom: &DomainRef,
        _types: u32,
        _flags: u32,
    ) -> Result<Vec<TypedParam>> {
        unsupported("virDomainGetGuestInfo")
    }
    /// `virDomainGetGuestVcpus`: the guest's view of its vCPUs (`vcpus`, `online`,
    /// `offlinable` as CPU lists).
    async fn domain_get_guest_vcpus(
        &self,
        _dom: &DomainRef,
        _flags: u32,
    ) -> Result<Vec<TypedParam>> {
        unsupported("virDomainGetGuestVcpus")
    }
    /// `virDomainSetGuestVcpus`: brings the guest's vCPUs in the list `cpumap` online
    /// (`state` 1) or offline (0).
    async fn domain_set_guest_vcpus(
        &self,
        _dom: &DomainRef,
        _cpumap: &str,
        _state: i32,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetGuestVcpus")
    }
    /// `virDomainAgentSetResponseTimeout`: how long agent calls of the domain wait (seconds;
    /// -2 block, -1 default, 0 no wait).
    async fn domain_agent_set_response_timeout(
        &self,
        _dom: &DomainRef,
        _timeout: i32,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainAgentSetResponseTimeout")
    }
    /// `virDomainGetCPUStats`: per CPU `start..start+ncpus` or the total with `start == -1`.
    async fn domain_get_cpu_stats(
        &self,
        _dom: &DomainRef,
        _start: i32,
        _ncpus: u32,
        _flags: u32,
    ) -> Result<Vec<Vec<TypedParam>>> {
        unsupported("virDomainGetCPUStats")
    }
    /// `virDomainGetJobInfo`: the progress of the domain's background job.
    async fn domain_get_job_info(&self, _dom: &DomainRef) -> Result<DomainJobInfo> {
        unsupported("virDomainGetJobInfo")
    }
    /// `virDomainGetJobStats`: the job's type (a `virDomainJobType` value) and its statistics
    /// as typed parameters; with `VIR_DOMAIN_JOB_STATS_COMPLETED`, those of the last completed
    /// job.
    async fn domain_get_job_stats(
        &self,
        _dom: &DomainRef,
        _flags: u32,
    ) -> Result<(i32, Vec<TypedParam>)> {
        unsupported("virDomainGetJobStats")
    }
    /// `virDomainAbortJob`: cancels the domain's background job.
    async fn domain_abort_job(&self, _dom: &DomainRef) -> Result<()> {
        unsupported("virDomainAbortJob")
    }
    /// `virDomainAbortJobFlags`: [`DomainDriver::domain_abort_job`] with
    /// `virDomainAbortJobFlagsValues`.
    async fn domain_abort_job_flags(&self, _dom: &DomainRef, _flags: u32) -> Result<()> {
        unsupported("virDomainAbortJobFlags")
    }
    /// `virDomainBlockCommit`: starts merging the images from `top` (the active image when
    /// `None`) down into `base` (the bottom of the chain when `None`) of a disk (by target or
    /// source path); `virDomainBlockCommitFlags`.
    async fn domain_block_commit(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _base: Option<&str>,
        _top: Option<&str>,
        _bandwidth: u64,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainBlockCommit")
    }
    /// `virDomainBlockPull`: starts copying the whole backing chain into a disk's active image.
    async fn domain_block_pull(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _bandwidth: u64,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainBlockPull")
    }
    /// `virDomainBlockRebase`: a pull down to `base` (or, with `VIR_DOMAIN_BLOCK_REBASE_COPY`,
    /// a copy).
    async fn domain_block_rebase(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _base: Option<&str>,
        _bandwidth: u64,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainBlockRebase")
    }
    /// `virDomainGetBlockJobInfo`: the disk's block job, `None` when it has none.
    async fn domain_get_block_job_info(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _flags: u32,
    ) -> Result<Option<DomainBlockJobInfo>> {
        unsupported("virDomainGetBlockJobInfo")
    }
    /// `virDomainBlockJobAbort`: cancels the disk's block job, or with
    /// `VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT` completes a ready one.
    async fn domain_block_job_abort(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainBlockJobAbort")
    }
    /// `virDomainBlockJobSetSpeed`: the rate limit of the disk's block job.
    async fn domain_block_job_set_speed(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _bandwidth: u64,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainBlockJobSetSpeed")
    }
    /// `virDomainBlockStats` for a disk by target name or source path.
    async fn domain_block_stats(&self, _dom: &DomainRef, _disk: &str) -> Result<DomainBlockStats> {
        unsupported("virDomainBlockStats")
    }
    /// `virDomainBlockStatsFlags`: a disk's counters (by target or source path; the sum over
    /// every disk for an empty name) as typed parameters, in the order the driver gives them.
    async fn domain_block_stats_flags(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _flags: u32,
    ) -> Result<Vec<TypedParam>> {
        unsupported("virDomainBlockStatsFlags")
    }
    /// `virDomainInterfaceStats` for an interface by target name or MAC.
    async fn domain_interface_stats(
        &self,
        _dom: &DomainRef,
        _device: &str,
    ) -> Result<DomainInterfaceStats> {
        unsupported("virDomainInterfaceStats")
    }
    /// `virDomainMemoryStats`.
    async fn domain_memory_stats(
        &self,
        _dom: &DomainRef,
        _nr_stats: u32,
        _flags: u32,
    ) -> Result<Vec<DomainMemoryStat>> {
        unsupported("virDomainMemoryStats")
    }
    /// `virConnectGetAllDomainStats` (or `virDomainListGetStats` with `doms`).
    async fn connect_get_all_domain_stats(
        &self,
        _doms: Option<&[DomainRef]>,
        _stats: DomainStatsTypes,
        _flags: ConnectGetAllDomainStatsFlags,
    ) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
        unsupported("virConnectGetAllDomainStats")
    }
    /// `virDomainGetSecurityLabel`.
    async fn domain_get_security_label(&self, _dom: &DomainRef) -> Result<SecurityLabel> {
        unsupported("virDomainGetSecurityLabel")
    }
    /// `virDomainInterfaceAddresses`: the guest's interfaces and their addresses, as `source`
    /// knows them.
    async fn domain_interface_addresses(
        &self,
        _dom: &DomainRef,
        _source: DomainInterfaceAddressesSource,
        _flags: u32,
    ) -> Result<Vec<DomainInterface>> {
        unsupported("virDomainInterfaceAddresses")
    }
    /// `virDomainAttachDevice`: adds the device described by `xml` to the running domain
    /// (libvirt's drivers treat it as the `_flags` form with `VIR_DOMAIN_AFFECT_LIVE`).
    async fn domain_attach_device(&self, _dom: &DomainRef, _xml: &str) -> Result<()> {
        unsupported("virDomainAttachDevice")
    }
    /// `virDomainAttachDeviceFlags`: adds the device described by `xml` to the live domain,
    /// its persistent definition, or both, as `flags` (`DomainDeviceModifyFlags`) say.
    async fn domain_attach_device_flags(
        &self,
        _dom: &DomainRef,
        _xml: &str,
        _flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        unsupported("virDomainAttachDeviceFlags")
    }
    /// `virDomainDetachDevice`: removes the device `xml` names from the running domain.
    async fn domain_detach_device(&self, _dom: &DomainRef, _xml: &str) -> Result<()> {
        unsupported("virDomainDetachDevice")
    }
    /// `virDomainDetachDeviceFlags`: removes the device `xml` names from the live domain, its
    /// persistent definition, or both.
    async fn domain_detach_device_flags(
        &self,
        _dom: &DomainRef,
        _xml: &str,
        _flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        unsupported("virDomainDetachDeviceFlags")
    }
    /// `virDomainUpdateDeviceFlags`: changes a device in place (a CD-ROM's media, an
    /// interface's link state, ...).
    async fn domain_update_device_flags(
        &self,
        _dom: &DomainRef,
        _xml: &str,
        _flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        unsupported("virDomainUpdateDeviceFlags")
    }
    /// `virDomainDetachDeviceAlias`: asks for the removal of the device whose alias is `alias`
    /// and returns without waiting for the guest to release it.
    async fn domain_detach_device_alias(
        &self,
        _dom: &DomainRef,
        _alias: &str,
        _flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        unsupported("virDomainDetachDeviceAlias")
    }
    /// `virConnectDomainEventRegisterAny`.
    async fn connect_domain_event_register_any(
        &self,
        _dom: Option<&DomainRef>,
        _event_id: DomainEventID,
        _cb: DomainEventCallback,
    ) -> Result<CallbackId> {
        unsupported("virConnectDomainEventRegisterAny")
    }
    /// `virConnectDomainEventDeregisterAny`.
    async fn connect_domain_event_deregister_any(&self, _id: CallbackId) -> Result<()> {
        unsupported("virConnectDomainEventDeregisterAny")
    }
}

/// Snapshot calls (`virDomainSnapshot*`).
pub trait SnapshotDriver {
    /// `virDomainSnapshotCreateXML`.
    async fn snapshot_create_xml(
        &self,
        _dom: &DomainRef,
        _xml: &str,
        _flags: DomainSnapshotCreateFlags,
    ) -> Result<SnapshotRef> {
        unsupported("virDomainSnapshotCreateXML")
    }
    /// `virDomainListAllSnapshots`.
    async fn domain_list_all_snapshots(
        &self,
        _dom: &DomainRef,
        _flags: DomainSnapshotListFlags,
    ) -> Result<Vec<SnapshotRef>> {
        unsupported("virDomainListAllSnapshots")
    }
    /// `virDomainSnapshotListAllChildren`.
    async fn snapshot_list_all_children(
        &self,
        _snap: &SnapshotRef,
        _flags: DomainSnapshotListFlags,
    ) -> Result<Vec<SnapshotRef>> {
        unsupported("virDomainSnapshotListAllChildren")
    }
    /// `virDomainSnapshotNum`.
    async fn domain_snapshot_num(
        &self,
        _dom: &DomainRef,
        _flags: DomainSnapshotListFlags,
    ) -> Result<i32> {
        unsupported("virDomainSnapshotNum")
    }
    /// `virDomainSnapshotLookupByName`.
    async fn snapshot_lookup_by_name(
        &self,
        _dom: &DomainRef,
        _name: &str,
        _flags: u32,
    ) -> Result<SnapshotRef> {
        unsupported("virDomainSnapshotLookupByName")
    }
    /// `virDomainHasCurrentSnapshot`.
    async fn domain_has_current_snapshot(&self, _dom: &DomainRef, _flags: u32) -> Result<bool> {
        unsupported("virDomainHasCurrentSnapshot")
    }
    /// `virDomainSnapshotCurrent`.
    async fn snapshot_current(&self, _dom: &DomainRef, _flags: u32) -> Result<SnapshotRef> {
        unsupported("virDomainSnapshotCurrent")
    }
    /// `virDomainSnapshotGetParent`.
    async fn snapshot_get_parent(&self, _snap: &SnapshotRef, _flags: u32) -> Result<SnapshotRef> {
        unsupported("virDomainSnapshotGetParent")
    }
    /// `virDomainSnapshotGetXMLDesc`.
    async fn snapshot_get_xml_desc(
        &self,
        _snap: &SnapshotRef,
        _flags: DomainSnapshotXMLFlags,
    ) -> Result<String> {
        unsupported("virDomainSnapshotGetXMLDesc")
    }
    /// `virDomainSnapshotIsCurrent`.
    async fn snapshot_is_current(&self, _snap: &SnapshotRef, _flags: u32) -> Result<bool> {
        unsupported("virDomainSnapshotIsCurrent")
    }
    /// `virDomainSnapshotHasMetadata`.
    async fn snapshot_has_metadata(&self, _snap: &SnapshotRef, _flags: u32) -> Result<bool> {
        unsupported("virDomainSnapshotHasMetadata")
    }
    /// `virDomainRevertToSnapshot`.
    async fn snapshot_revert(
        &self,
        _snap: &SnapshotRef,
        _flags: DomainSnapshotRevertFlags,
    ) -> Result<()> {
        unsupported("virDomainRevertToSnapshot")
    }
    /// `virDomainSnapshotDelete`.
    async fn snapshot_delete(
        &self,
        _snap: &SnapshotRef,
        _flags: DomainSnapshotDeleteFlags,
    ) -> Result<()> {
        unsupported("virDomainSnapshotDelete")
    }
}
