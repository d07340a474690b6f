//! Calls: check them against the procedure table, decode the arguments, run the handler, encode
//! the reply. Handlers call rvirt's public API, so a call through the daemon checks its arguments
//! exactly as an in-process call does.

mod checkpoint;
mod domain;
mod events;
mod host;
mod interface;
mod network;
mod network_port;
mod nodedev;
mod qemu;
mod snapshot;
mod storage;
mod tuning;

use crate::session::Session;
use rvirt::{Error, ErrorDomain, ErrorNumber, Result};
use rvirt_proto::remote::{self, Procedure};
use rvirt_proto::{Access, Header, MessageStatus, Priority, RawPayload, RemoteCall, RemoteError};
use rvirt_xdr::{XdrDecode, XdrReader};
use std::future::Future;
use std::os::fd::OwnedFd;
use std::sync::Arc;

fn rpc_error(message: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::RPC, ErrorNumber::RPC, message.into())
}

/// An internal error of the daemon's RPC layer (`VIR_ERR_INTERNAL_ERROR` from `VIR_FROM_RPC`),
/// as libvirtd raises them for calls it refuses itself: limits, state of the client.
pub(crate) fn internal(message: impl Into<String>) -> Error {
    Error::with_detail(
        ErrorDomain::RPC,
        ErrorNumber::INTERNAL_ERROR,
        message.into(),
    )
}

/// libvirtd's answer when a library function reports failure without raising an error: an
/// internal error of the RPC layer with a fixed message and nothing else filled in.
fn unset_error() -> Error {
    Error {
        code: ErrorNumber::INTERNAL_ERROR,
        domain: ErrorDomain::RPC,
        level: rvirt::ErrorLevel::Error,
        message: "Library function returned error but did not set virError".into(),
        str1: None,
        str2: None,
        str3: None,
        int1: 0,
        int2: 0,
    }
}

/// Runs one call and returns the reply packet.
/// `files` are the descriptors passed with the call (`VIR_NET_CALL_WITH_FDS`); they are closed
/// once the call is done.
pub(crate) async fn call(
    s: &Arc<Session>,
    header: Header,
    payload: Vec<u8>,
    files: Vec<OwnedFd>,
) -> Vec<u8> {
    let result = route(s, &header, &payload, files).await;
    crate::trim::note_call();
    let mut out = Vec::new();
    let encoded = match result {
        Ok(body) => {
            out.reserve(28 + body.len());
            rvirt_proto::encode_packet(
                &mut out,
                &header.reply(MessageStatus::Ok),
                &RawPayload(&body),
            )
        }
        Err(e) => return failure_reply(&header, &e),
    };
    if encoded.is_err() {
        // The return value would not fit in a packet: answer with libvirt's error instead.
        return failure_reply(&header, &rpc_error("Unable to encode message payload"));
    }
    out
}

/// The reply packet to the call of `header` that failed with `e`.
fn failure_reply(header: &Header, e: &Error) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = rvirt_proto::encode_packet(
        &mut out,
        &header.reply(MessageStatus::Error),
        &RemoteError::from(e),
    );
    out
}

/// Decodes `C`'s arguments, runs `handler` and encodes its return value.
async fn run<C, F, Fut>(s: &Arc<Session>, payload: &[u8], handler: F) -> Result<Vec<u8>>
where
    C: RemoteCall,
    F: FnOnce(Arc<Session>, C::Args) -> Fut,
    Fut: Future<Output = Result<C::Ret>>,
{
    // Like libvirt's XDR filters, trailing bytes after the arguments are ignored.
    let args = C::Args::decode(&mut XdrReader::new(payload))
        .map_err(|_| rpc_error("Unable to decode message payload"))?;
    let ret = handler(s.clone(), args).await?;
    Ok(rvirt_xdr::to_bytes(&ret))
}

/// [`run`] on the heap: the dispatch function's stack frame then holds a pointer per
/// procedure rather than every handler's state (in a debug build, where frames are not
/// shared between match arms, those states once overflowed a runtime thread's 2 MiB stack).
fn run_boxed<'a, C, F, Fut>(
    s: &'a Arc<Session>,
    payload: &'a [u8],
    handler: F,
) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<u8>>> + Send + 'a>>
where
    C: RemoteCall + 'a,
    C::Args: Send,
    C::Ret: Send,
    F: FnOnce(Arc<Session>, C::Args) -> Fut + Send + 'a,
    Fut: Future<Output = Result<C::Ret>> + Send + 'a,
{
    Box::pin(run::<C, F, Fut>(s, payload, handler))
}

/// The procedures that work before `CONNECT_OPEN`.
fn allowed_before_open(p: Procedure) -> bool {
    matches!(
        p,
        Procedure::ConnectOpen
            | Procedure::ConnectClose
            | Procedure::ConnectSupportsFeature
            | Procedure::AuthList
    )
}

async fn route(
    s: &Arc<Session>,
    header: &Header,
    payload: &[u8],
    files: Vec<OwnedFd>,
) -> Result<Vec<u8>> {
    // libvirtd finds a program by number and version together.
    let qemu_program = header.program == rvirt_proto::qemu::PROGRAM
        && header.version == rvirt_proto::qemu::VERSION;
    if !qemu_program && (header.program != remote::PROGRAM || header.version != remote::VERSION) {
        return Err(rpc_error(format!(
            "Cannot find program {} version {}",
            header.program as i32, header.version as i32
        )));
    }
    if header.status != MessageStatus::Ok {
        return Err(rpc_error(format!(
            "Unexpected message status {}",
            header.status.to_i32() as u32
        )));
    }
    if qemu_program {
        // libvirt-qemu's calls all change or may change the domain (ACL domain:write), and may
        // wait on QEMU: a worker each, refused on a read-only connection by the API itself.
        if s.conn.lock().is_none() {
            return Err(s
                .conn()
                .err()
                .unwrap_or_else(|| rpc_error("connection not open")));
        }
        let _worker = s
            .shared
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| rpc_error("daemon is shutting down"))?;
        return qemu::route(s, header.procedure, payload).await;
    }
    let Some(p) = Procedure::from_number(header.procedure) else {
        return Err(rpc_error(format!(
            "unknown procedure: {}",
            header.procedure
        )));
    };
    // virDomainRename checks its arguments before the connection's access: the handler's call
    // of the public API makes both checks in libvirt's order.
    if let Access::ReadWrite(domain) = p.access()
        && p != Procedure::DomainRename
        && s.conn.lock().as_ref().is_some_and(|c| c.is_read_only())
    {
        return Err(Error::read_only(domain, p.api_name()));
    }
    if !allowed_before_open(p) && s.conn.lock().is_none() {
        return Err(s
            .conn()
            .err()
            .unwrap_or_else(|| rpc_error("connection not open")));
    }
    // Calls that may wait on a hypervisor share the daemon's workers; high-priority calls never
    // wait for one.
    let _worker = match p.priority() {
        Priority::Low => Some(
            s.shared
                .workers
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| rpc_error("daemon is shutting down"))?,
        ),
        Priority::High => None,
    };
    if p == Procedure::DomainScreenshot {
        // A streaming call: its handler needs the call's serial to leave the stream under.
        let serial = header.serial;
        return run::<remote::calls::DomainScreenshot, _, _>(s, payload, |s, a| {
            domain::screenshot(s, a, serial)
        })
        .await;
    }
    match p {
        Procedure::DomainCreateXmlWithFiles => {
            return run::<remote::calls::DomainCreateXmlWithFiles, _, _>(s, payload, |s, a| {
                domain::create_xml_with_files(s, a, files)
            })
            .await;
        }
        Procedure::DomainCreateWithFiles => {
            return run::<remote::calls::DomainCreateWithFiles, _, _>(s, payload, |s, a| {
                domain::create_with_files(s, a, files)
            })
            .await;
        }
        _ => {}
    }
    if let Some(r) = storage_stream(s, p, header.serial, payload).await {
        return r;
    }
    dispatch(s, p, payload).await
}

/// The storage procedures that open a stream: their handlers need the call's serial.
async fn storage_stream(
    s: &Arc<Session>,
    p: Procedure,
    serial: u32,
    payload: &[u8],
) -> Option<Result<Vec<u8>>> {
    Some(match p {
        Procedure::StorageVolDownload => {
            run::<remote::calls::StorageVolDownload, _, _>(s, payload, |s, a| {
                storage::vol_download(s, a, serial)
            })
            .await
        }
        Procedure::StorageVolUpload => {
            run::<remote::calls::StorageVolUpload, _, _>(s, payload, |s, a| {
                storage::vol_upload(s, a, serial)
            })
            .await
        }
        _ => return None,
    })
}

/// One arm per served procedure: the procedure's [`RemoteCall`] type fixes what the handler
/// takes and returns, so the table and the handlers cannot disagree.
macro_rules! routes {
    ($s:ident, $p:ident, $payload:ident; $($name:ident => $handler:path,)*) => {
        match $p {
            $(Procedure::$name => run_boxed::<remote::calls::$name, _, _>($s, $payload, $handler).await,)*
            other => Err(not_supported(other)),
        }
    };
}

/// libvirt's answer for a procedure no driver here implements: "not supported", raised by the
/// public API function from its own error domain.
fn not_supported(p: Procedure) -> Error {
    match p.access() {
        Access::Event => rpc_error(format!("unknown procedure: {}", p.number())),
        _ => Error::no_support(p.error_domain(), p.api_name()),
    }
}

async fn dispatch(s: &Arc<Session>, p: Procedure, payload: &[u8]) -> Result<Vec<u8>> {
    routes! { s, p, payload;
        ConnectOpen => host::connect_open,
        ConnectClose => host::connect_close,
        AuthList => host::auth_list,
        ConnectSupportsFeature => host::supports_feature,
        ConnectRegisterCloseCallback => host::register_close_callback,
        ConnectUnregisterCloseCallback => host::unregister_close_callback,
        ConnectGetType => host::get_type,
        ConnectGetVersion => host::get_version,
        ConnectGetLibVersion => host::get_lib_version,
        ConnectGetHostname => host::get_hostname,
        ConnectGetUri => host::get_uri,
        ConnectGetMaxVcpus => host::get_max_vcpus,
        ConnectGetCapabilities => host::get_capabilities,
        ConnectGetSysinfo => host::get_sysinfo,
        ConnectGetDomainCapabilities => host::get_domain_capabilities,
        ConnectDomainXmlToNative => host::domain_xml_to_native,
        ConnectIsSecure => host::is_secure,
        NodeGetInfo => host::node_get_info,
        NodeGetCellsFreeMemory => host::node_get_cells_free_memory,
        NodeGetFreeMemory => host::node_get_free_memory,
        NodeGetCpuMap => host::node_get_cpu_map,
        NodeGetCpuStats => host::node_get_cpu_stats,
        NodeGetMemoryStats => host::node_get_memory_stats,
        NodeGetSecurityModel => host::node_get_security_model,
        NodeGetFreePages => host::node_get_free_pages,
        ConnectGetCpuModelNames => host::get_cpu_model_names,
        ConnectBaselineCpu => host::baseline_cpu,
        ConnectCompareCpu => host::compare_cpu,
        ConnectCompareHypervisorCpu => host::compare_hypervisor_cpu,
        ConnectBaselineHypervisorCpu => host::baseline_hypervisor_cpu,

        ConnectListAllDomains => domain::list_all,
        ConnectListDomains => domain::list_ids,
        ConnectNumOfDomains => domain::num_of_domains,
        ConnectListDefinedDomains => domain::list_defined,
        ConnectNumOfDefinedDomains => domain::num_of_defined,
        ConnectGetAllDomainStats => domain::get_all_stats,
        DomainLookupById => domain::lookup_by_id,
        DomainLookupByName => domain::lookup_by_name,
        DomainLookupByUuid => domain::lookup_by_uuid,
        DomainDefineXml => domain::define_xml,
        DomainDefineXmlFlags => domain::define_xml_flags,
        DomainUndefine => domain::undefine,
        DomainUndefineFlags => domain::undefine_flags,
        DomainCreate => domain::create,
        DomainCreateWithFlags => domain::create_with_flags,
        DomainCreateXml => domain::create_xml,
        DomainShutdown => domain::shutdown,
        DomainShutdownFlags => domain::shutdown_flags,
        DomainReboot => domain::reboot,
        DomainReset => domain::reset,
        DomainDestroy => domain::destroy,
        DomainDestroyFlags => domain::destroy_flags,
        DomainSuspend => domain::suspend,
        DomainResume => domain::resume,
        DomainSave => domain::save,
        DomainSaveFlags => domain::save_flags,
        DomainRestore => domain::restore,
        DomainRestoreFlags => domain::restore_flags,
        DomainSaveImageGetXmlDesc => domain::save_image_get_xml_desc,
        DomainSaveImageDefineXml => domain::save_image_define_xml,
        DomainManagedSave => domain::managed_save,
        DomainHasManagedSaveImage => domain::has_managed_save_image,
        DomainManagedSaveRemove => domain::managed_save_remove,
        DomainManagedSaveGetXmlDesc => domain::managed_save_get_xml_desc,
        DomainGetAutostart => domain::get_autostart,
        DomainSetAutostart => domain::set_autostart,
        DomainAttachDevice => domain::attach_device,
        DomainAttachDeviceFlags => domain::attach_device_flags,
        DomainDetachDevice => domain::detach_device,
        DomainDetachDeviceFlags => domain::detach_device_flags,
        DomainUpdateDeviceFlags => domain::update_device_flags,
        DomainDetachDeviceAlias => domain::detach_device_alias,
        DomainSetMemory => domain::set_memory,
        DomainSetMemoryFlags => domain::set_memory_flags,
        DomainSetMemoryStatsPeriod => domain::set_memory_stats_period,
        DomainSetMaxMemory => domain::set_max_memory,
        DomainSetVcpus => domain::set_vcpus,
        DomainSetVcpusFlags => domain::set_vcpus_flags,
        DomainGetVcpusFlags => domain::get_vcpus_flags,
        DomainGetMaxVcpus => domain::get_max_vcpus,
        DomainGetVcpus => domain::get_vcpus,
        DomainGetMaxMemory => domain::get_max_memory,
        DomainRename => domain::rename,
        DomainSetMetadata => domain::set_metadata,
        DomainGetMetadata => domain::get_metadata,
        DomainGetInfo => domain::get_info,
        DomainGetState => domain::get_state,
        DomainGetXmlDesc => domain::get_xml_desc,
        DomainIsActive => domain::is_active,
        DomainIsPersistent => domain::is_persistent,
        DomainIsUpdated => domain::is_updated,
        DomainGetOsType => domain::get_os_type,
        DomainGetHostname => domain::get_hostname,
        DomainGetTime => domain::get_time,
        DomainSetTime => domain::set_time,
        DomainInjectNmi => domain::inject_nmi,
        DomainPmSuspendForDuration => domain::pm_suspend_for_duration,
        DomainPmWakeup => domain::pm_wakeup,
        DomainSendKey => domain::send_key,
        DomainSendProcessSignal => domain::send_process_signal,
        DomainCoreDump => domain::core_dump,
        DomainCoreDumpWithFormat => domain::core_dump_with_format,
        DomainMemoryPeek => domain::memory_peek,
        DomainGetIothreadInfo => domain::get_iothread_info,
        DomainGetDiskErrors => domain::get_disk_errors,
        DomainGetBlockInfo => domain::get_block_info,
        DomainGetMessages => domain::get_messages,
        DomainAddIothread => domain::add_iothread,
        DomainDelIothread => domain::del_iothread,
        DomainPinIothread => domain::pin_iothread,
        DomainPinVcpu => domain::pin_vcpu,
        DomainPinVcpuFlags => domain::pin_vcpu_flags,
        DomainGetVcpuPinInfo => domain::get_vcpu_pin_info,
        DomainPinEmulator => domain::pin_emulator,
        DomainGetEmulatorPinInfo => domain::get_emulator_pin_info,
        DomainGetControlInfo => domain::get_control_info,
        DomainSetLifecycleAction => domain::set_lifecycle_action,
        DomainGetLaunchSecurityInfo => domain::get_launch_security_info,
        DomainFsfreeze => domain::fsfreeze,
        DomainFsthaw => domain::fsthaw,
        DomainFstrim => domain::fstrim,
        DomainGetFsinfo => domain::get_fsinfo,
        DomainSetUserPassword => domain::set_user_password,
        DomainAuthorizedSshKeysGet => domain::authorized_ssh_keys_get,
        DomainAuthorizedSshKeysSet => domain::authorized_ssh_keys_set,
        DomainGetGuestInfo => domain::get_guest_info,
        DomainGetGuestVcpus => domain::get_guest_vcpus,
        DomainSetGuestVcpus => domain::set_guest_vcpus,
        DomainAgentSetResponseTimeout => domain::agent_set_response_timeout,
        DomainGetCpuStats => domain::get_cpu_stats,
        DomainGetMemoryParameters => tuning::get_memory_parameters,
        DomainSetMemoryParameters => tuning::set_memory_parameters,
        DomainGetBlkioParameters => tuning::get_blkio_parameters,
        DomainSetBlkioParameters => tuning::set_blkio_parameters,
        DomainGetNumaParameters => tuning::get_numa_parameters,
        DomainSetNumaParameters => tuning::set_numa_parameters,
        DomainGetInterfaceParameters => tuning::get_interface_parameters,
        DomainSetInterfaceParameters => tuning::set_interface_parameters,
        DomainGetBlockIoTune => tuning::get_block_io_tune,
        DomainSetBlockIoTune => tuning::set_block_io_tune,
        DomainGetSchedulerType => tuning::get_scheduler_type,
        DomainGetSchedulerParameters => tuning::get_scheduler_parameters,
        DomainGetSchedulerParametersFlags => tuning::get_scheduler_parameters_flags,
        DomainSetSchedulerParameters => tuning::set_scheduler_parameters,
        DomainSetSchedulerParametersFlags => tuning::set_scheduler_parameters_flags,
        DomainGetPerfEvents => tuning::get_perf_events,
        DomainSetPerfEvents => tuning::set_perf_events,
        DomainSetIothreadParams => tuning::set_iothread_params,
        DomainGetJobInfo => domain::get_job_info,
        DomainGetJobStats => domain::get_job_stats,
        DomainAbortJob => domain::abort_job,
        DomainAbortJobFlags => domain::abort_job_flags,
        DomainBlockCommit => domain::block_commit,
        DomainBlockPull => domain::block_pull,
        DomainBlockRebase => domain::block_rebase,
        DomainGetBlockJobInfo => domain::get_block_job_info,
        DomainBlockJobAbort => domain::block_job_abort,
        DomainBlockJobSetSpeed => domain::block_job_set_speed,
        DomainBlockStats => domain::block_stats,
        DomainBlockStatsFlags => domain::block_stats_flags,
        DomainInterfaceStats => domain::interface_stats,
        DomainMemoryStats => domain::memory_stats,
        DomainGetSecurityLabel => domain::get_security_label,
        DomainInterfaceAddresses => domain::interface_addresses,

        DomainSnapshotCreateXml => snapshot::create_xml,
        DomainListAllSnapshots => snapshot::list_all,
        DomainSnapshotListAllChildren => snapshot::list_all_children,
        DomainSnapshotNumChildren => snapshot::num_children,
        DomainSnapshotListChildrenNames => snapshot::list_children_names,
        DomainSnapshotNum => snapshot::num,
        DomainSnapshotListNames => snapshot::list_names,
        DomainSnapshotLookupByName => snapshot::lookup_by_name,
        DomainHasCurrentSnapshot => snapshot::has_current,
        DomainSnapshotCurrent => snapshot::current,
        DomainSnapshotGetParent => snapshot::get_parent,
        DomainSnapshotGetXmlDesc => snapshot::get_xml_desc,
        DomainSnapshotIsCurrent => snapshot::is_current,
        DomainSnapshotHasMetadata => snapshot::has_metadata,
        DomainRevertToSnapshot => snapshot::revert,
        DomainSnapshotDelete => snapshot::delete,
        DomainCheckpointCreateXml => checkpoint::create_xml,
        DomainListAllCheckpoints => checkpoint::list_all,
        DomainCheckpointListAllChildren => checkpoint::list_all_children,
        DomainCheckpointLookupByName => checkpoint::lookup_by_name,
        DomainCheckpointGetParent => checkpoint::get_parent,
        DomainCheckpointGetXmlDesc => checkpoint::get_xml_desc,
        DomainCheckpointDelete => checkpoint::delete,

        ConnectDomainEventRegisterAny => events::register_any,
        ConnectDomainEventDeregisterAny => events::deregister_any,
        ConnectDomainEventCallbackRegisterAny => events::callback_register_any,
        ConnectDomainEventCallbackDeregisterAny => events::callback_deregister_any,

        ConnectListAllNetworks => network::list_all,
        ConnectNumOfNetworks => network::num_of_networks,
        ConnectListNetworks => network::list_networks,
        ConnectNumOfDefinedNetworks => network::num_of_defined,
        ConnectListDefinedNetworks => network::list_defined,
        NetworkLookupByName => network::lookup_by_name,
        NetworkLookupByUuid => network::lookup_by_uuid,
        NetworkCreateXml => network::create_xml,
        NetworkCreateXmlFlags => network::create_xml_flags,
        NetworkDefineXml => network::define_xml,
        NetworkDefineXmlFlags => network::define_xml_flags,
        NetworkUndefine => network::undefine,
        NetworkUpdate => network::update,
        NetworkCreate => network::create,
        NetworkDestroy => network::destroy,
        NetworkGetXmlDesc => network::get_xml_desc,
        NetworkGetBridgeName => network::get_bridge_name,
        NetworkGetAutostart => network::get_autostart,
        NetworkSetAutostart => network::set_autostart,
        NetworkIsActive => network::is_active,
        NetworkIsPersistent => network::is_persistent,
        NetworkGetDhcpLeases => network::get_dhcp_leases,
        ConnectNetworkEventRegisterAny => network::event_register_any,
        ConnectNetworkEventDeregisterAny => network::event_deregister_any,
        NetworkListAllPorts => network_port::list_all,
        NetworkPortLookupByUuid => network_port::lookup_by_uuid,
        NetworkPortCreateXml => network_port::create_xml,
        NetworkPortGetXmlDesc => network_port::get_xml_desc,
        NetworkPortGetParameters => network_port::get_parameters,
        NetworkPortSetParameters => network_port::set_parameters,
        NetworkPortDelete => network_port::delete,
        ConnectListAllInterfaces => interface::list_all,
        ConnectNumOfInterfaces => interface::num_of_interfaces,
        ConnectListInterfaces => interface::list_interfaces,
        ConnectNumOfDefinedInterfaces => interface::num_of_defined,
        ConnectListDefinedInterfaces => interface::list_defined,
        InterfaceLookupByName => interface::lookup_by_name,
        InterfaceLookupByMacString => interface::lookup_by_mac_string,
        InterfaceGetXmlDesc => interface::get_xml_desc,
        InterfaceDefineXml => interface::define_xml,
        InterfaceUndefine => interface::undefine,
        InterfaceCreate => interface::create,
        InterfaceDestroy => interface::destroy,
        InterfaceIsActive => interface::is_active,
        InterfaceChangeBegin => interface::change_begin,
        InterfaceChangeCommit => interface::change_commit,
        InterfaceChangeRollback => interface::change_rollback,

        ConnectListAllNodeDevices => nodedev::list_all,
        NodeNumOfDevices => nodedev::num_of_devices,
        NodeListDevices => nodedev::list_devices,
        NodeDeviceLookupByName => nodedev::lookup_by_name,
        NodeDeviceLookupScsiHostByWwn => nodedev::lookup_scsi_host_by_wwn,
        NodeDeviceGetXmlDesc => nodedev::get_xml_desc,
        NodeDeviceGetParent => nodedev::get_parent,
        NodeDeviceNumOfCaps => nodedev::num_of_caps,
        NodeDeviceListCaps => nodedev::list_caps,
        NodeDeviceDettach => nodedev::dettach,
        NodeDeviceDetachFlags => nodedev::detach_flags,
        NodeDeviceReAttach => nodedev::re_attach,
        NodeDeviceReset => nodedev::reset,
        NodeDeviceCreateXml => nodedev::create_xml,
        NodeDeviceDestroy => nodedev::destroy,
        NodeDeviceDefineXml => nodedev::define_xml,
        NodeDeviceUndefine => nodedev::undefine,
        NodeDeviceCreate => nodedev::create,
        NodeDeviceGetAutostart => nodedev::get_autostart,
        NodeDeviceSetAutostart => nodedev::set_autostart,
        NodeDeviceIsPersistent => nodedev::is_persistent,
        NodeDeviceIsActive => nodedev::is_active,
        ConnectNodeDeviceEventRegisterAny => nodedev::event_register_any,
        ConnectNodeDeviceEventDeregisterAny => nodedev::event_deregister_any,
        ConnectNumOfStoragePools => storage::num_of_pools,
        ConnectListStoragePools => storage::list_pools,
        ConnectNumOfDefinedStoragePools => storage::num_of_defined_pools,
        ConnectListDefinedStoragePools => storage::list_defined_pools,
        ConnectListAllStoragePools => storage::list_all_pools,
        ConnectFindStoragePoolSources => storage::find_pool_sources,
        StoragePoolLookupByName => storage::pool_lookup_by_name,
        StoragePoolLookupByUuid => storage::pool_lookup_by_uuid,
        StoragePoolLookupByVolume => storage::pool_lookup_by_volume,
        StoragePoolCreateXml => storage::pool_create_xml,
        StoragePoolDefineXml => storage::pool_define_xml,
        StoragePoolCreate => storage::pool_create,
        StoragePoolBuild => storage::pool_build,
        StoragePoolDestroy => storage::pool_destroy,
        StoragePoolDelete => storage::pool_delete,
        StoragePoolUndefine => storage::pool_undefine,
        StoragePoolRefresh => storage::pool_refresh,
        StoragePoolGetInfo => storage::pool_get_info,
        StoragePoolGetXmlDesc => storage::pool_get_xml_desc,
        StoragePoolGetAutostart => storage::pool_get_autostart,
        StoragePoolSetAutostart => storage::pool_set_autostart,
        StoragePoolNumOfVolumes => storage::pool_num_of_volumes,
        StoragePoolListVolumes => storage::pool_list_volumes,
        StoragePoolListAllVolumes => storage::pool_list_all_volumes,
        StoragePoolIsActive => storage::pool_is_active,
        StoragePoolIsPersistent => storage::pool_is_persistent,
        StorageVolLookupByName => storage::vol_lookup_by_name,
        StorageVolLookupByKey => storage::vol_lookup_by_key,
        StorageVolLookupByPath => storage::vol_lookup_by_path,
        StorageVolCreateXml => storage::vol_create_xml,
        StorageVolCreateXmlFrom => storage::vol_create_xml_from,
        StorageVolDelete => storage::vol_delete,
        StorageVolWipe => storage::vol_wipe,
        StorageVolWipePattern => storage::vol_wipe_pattern,
        StorageVolResize => storage::vol_resize,
        StorageVolGetInfo => storage::vol_get_info,
        StorageVolGetInfoFlags => storage::vol_get_info_flags,
        StorageVolGetXmlDesc => storage::vol_get_xml_desc,
        StorageVolGetPath => storage::vol_get_path,
        ConnectStoragePoolEventRegisterAny => storage::event_register_any,
        ConnectStoragePoolEventDeregisterAny => storage::event_deregister_any,
    }
}

/// Wire helpers shared by the handler modules.
pub(crate) mod wire {
    use rvirt::{Connect, Domain, Uuid};
    use rvirt_proto::remote::types::NonnullDomain;
    use rvirt_xdr::RemoteString;

    /// A handle for a domain reference received from the client.
    pub fn dom(conn: &Connect, d: &NonnullDomain) -> Domain {
        conn.domain_handle(d.name.as_str(), Uuid::from_bytes(d.uuid), d.id)
    }

    /// A domain reference for the client.
    pub fn nonnull_domain(d: &Domain) -> NonnullDomain {
        NonnullDomain {
            name: rvirt_proto::convert::nonnull(d.get_name()),
            uuid: *d.get_uuid().as_bytes(),
            id: d.get_id(),
        }
    }

    /// An optional string from the wire.
    pub fn opt(s: &RemoteString) -> Option<&str> {
        s.as_ref().map(|s| s.as_str())
    }
}
