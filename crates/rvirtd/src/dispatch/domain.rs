//! Domain procedures.

use super::internal;
use super::wire::{nonnull_domain, opt};
use crate::session::Session;
use rvirt::flags::*;
use rvirt::{Domain, Error, ErrorDomain, Result, Uuid};
use rvirt_proto::convert::{bounded, nonnull, typed_param_to_wire};
use rvirt_proto::remote::types::*;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

/// The domain a call names.
fn dom(s: &Session, d: &NonnullDomain) -> Result<Domain> {
    Ok(super::wire::dom(&s.conn()?, d))
}

/// Handlers whose arguments are a domain (and maybe flags) and whose reply is empty.
macro_rules! domain_actions {
    ($($name:ident($args:ty) => |$d:ident, $a:ident| $call:expr;)*) => {$(
        pub async fn $name(s: Arc<Session>, $a: $args) -> Result<()> {
            let $d = dom(&s, &$a.dom)?;
            $call.await
        }
    )*};
}

domain_actions! {
    undefine(DomainUndefineArgs) => |d, _a| d.undefine();
    undefine_flags(DomainUndefineFlagsArgs) => |d, a| d.undefine_flags(DomainUndefineFlags::from_bits_retain(a.flags));
    create(DomainCreateArgs) => |d, _a| d.create();
    shutdown(DomainShutdownArgs) => |d, _a| d.shutdown();
    shutdown_flags(DomainShutdownFlagsArgs) => |d, a| d.shutdown_flags(DomainShutdownFlags::from_bits_retain(a.flags));
    reboot(DomainRebootArgs) => |d, a| d.reboot(DomainRebootFlags::from_bits_retain(a.flags));
    reset(DomainResetArgs) => |d, a| d.reset(a.flags);
    destroy(DomainDestroyArgs) => |d, _a| d.destroy();
    destroy_flags(DomainDestroyFlagsArgs) => |d, a| d.destroy_flags(DomainDestroyFlags::from_bits_retain(a.flags));
    suspend(DomainSuspendArgs) => |d, _a| d.suspend();
    resume(DomainResumeArgs) => |d, _a| d.resume();
    save(DomainSaveArgs) => |d, a| d.save(a.to.as_str());
    save_flags(DomainSaveFlagsArgs) => |d, a| d.save_flags(a.to.as_str(), opt(&a.dxml), DomainSaveRestoreFlags::from_bits_retain(a.flags));
    managed_save(DomainManagedSaveArgs) => |d, a| d.managed_save(DomainSaveRestoreFlags::from_bits_retain(a.flags));
    managed_save_remove(DomainManagedSaveRemoveArgs) => |d, a| d.managed_save_remove(a.flags);
    set_autostart(DomainSetAutostartArgs) => |d, a| d.set_autostart(a.autostart != 0);
    set_time(DomainSetTimeArgs) => |d, a| d.set_time(a.seconds, a.nseconds, a.flags);
    inject_nmi(DomainInjectNmiArgs) => |d, a| d.inject_nmi(a.flags);
    pm_suspend_for_duration(DomainPmSuspendForDurationArgs) => |d, a| d.pm_suspend_for_duration(a.target, a.duration, a.flags);
    pm_wakeup(DomainPmWakeupArgs) => |d, a| d.pm_wakeup(a.flags);
    send_key(DomainSendKeyArgs) => |d, a| d.send_key(a.codeset, a.holdtime, &a.keycodes, a.flags);
    send_process_signal(DomainSendProcessSignalArgs) => |d, a| d.send_process_signal(a.pid_value, a.signum, a.flags);
    core_dump(DomainCoreDumpArgs) => |d, a| d.core_dump(a.to.as_str(), a.flags);
    core_dump_with_format(DomainCoreDumpWithFormatArgs) => |d, a| d.core_dump_with_format(a.to.as_str(), a.dumpformat, a.flags);
    add_iothread(DomainAddIothreadArgs) => |d, a| d.add_iothread(a.iothread_id, a.flags);
    del_iothread(DomainDelIothreadArgs) => |d, a| d.del_iothread(a.iothread_id, a.flags);
    pin_iothread(DomainPinIothreadArgs) => |d, a| d.pin_iothread(a.iothreads_id, &a.cpumap, a.flags);
    pin_vcpu(DomainPinVcpuArgs) => |d, a| d.pin_vcpu(a.vcpu, &a.cpumap);
    pin_vcpu_flags(DomainPinVcpuFlagsArgs) => |d, a| d.pin_vcpu_flags(a.vcpu, &a.cpumap, a.flags);
    pin_emulator(DomainPinEmulatorArgs) => |d, a| d.pin_emulator(&a.cpumap, a.flags);
    set_lifecycle_action(DomainSetLifecycleActionArgs) => |d, a| d.set_lifecycle_action(a.r#type, a.action, a.flags);
    fstrim(DomainFstrimArgs) => |d, a| d.fs_trim(a.mount_point.as_ref().map(|m| m.as_str()), a.minimum, a.flags);
    set_guest_vcpus(DomainSetGuestVcpusArgs) => |d, a| d.set_guest_vcpus(a.cpumap.as_str(), a.state, a.flags);
    set_memory(DomainSetMemoryArgs) => |d, a| d.set_memory(a.memory);
    set_memory_flags(DomainSetMemoryFlagsArgs) => |d, a| d.set_memory_flags(a.memory, DomainMemoryModFlags::from_bits_retain(a.flags));
    set_memory_stats_period(DomainSetMemoryStatsPeriodArgs) => |d, a| d.set_memory_stats_period(a.period, DomainModificationImpact::from_bits_retain(a.flags));
    set_max_memory(DomainSetMaxMemoryArgs) => |d, a| d.set_max_memory(a.memory);
    set_vcpus(DomainSetVcpusArgs) => |d, a| d.set_vcpus(a.nvcpus);
    set_vcpus_flags(DomainSetVcpusFlagsArgs) => |d, a| d.set_vcpus_flags(a.nvcpus, DomainVcpuFlags::from_bits_retain(a.flags));
    attach_device(DomainAttachDeviceArgs) => |d, a| d.attach_device(a.xml.as_str());
    attach_device_flags(DomainAttachDeviceFlagsArgs) => |d, a| d.attach_device_flags(a.xml.as_str(), DomainDeviceModifyFlags::from_bits_retain(a.flags));
    detach_device(DomainDetachDeviceArgs) => |d, a| d.detach_device(a.xml.as_str());
    detach_device_flags(DomainDetachDeviceFlagsArgs) => |d, a| d.detach_device_flags(a.xml.as_str(), DomainDeviceModifyFlags::from_bits_retain(a.flags));
    update_device_flags(DomainUpdateDeviceFlagsArgs) => |d, a| d.update_device_flags(a.xml.as_str(), DomainDeviceModifyFlags::from_bits_retain(a.flags));
    detach_device_alias(DomainDetachDeviceAliasArgs) => |d, a| d.detach_device_alias(a.alias.as_str(), DomainDeviceModifyFlags::from_bits_retain(a.flags));
    set_metadata(DomainSetMetadataArgs) => |d, a| d.set_metadata(
        DomainMetadataType(a.r#type),
        opt(&a.metadata),
        opt(&a.key),
        opt(&a.uri),
        DomainModificationImpact::from_bits_retain(a.flags),
    );
}

pub async fn create_with_flags(
    s: Arc<Session>,
    a: DomainCreateWithFlagsArgs,
) -> Result<DomainCreateWithFlagsRet> {
    let d = dom(&s, &a.dom)?;
    d.create_with_flags(DomainCreateFlags::from_bits_retain(a.flags))
        .await?;
    // The reply carries the domain with the id it now has.
    Ok(DomainCreateWithFlagsRet {
        dom: nonnull_domain(&d),
    })
}

pub async fn restore(s: Arc<Session>, a: DomainRestoreArgs) -> Result<()> {
    s.conn()?.restore(a.from.as_str()).await
}

pub async fn restore_flags(s: Arc<Session>, a: DomainRestoreFlagsArgs) -> Result<()> {
    s.conn()?
        .restore_flags(
            a.from.as_str(),
            opt(&a.dxml),
            DomainSaveRestoreFlags::from_bits_retain(a.flags),
        )
        .await
}

pub async fn save_image_get_xml_desc(
    s: Arc<Session>,
    a: DomainSaveImageGetXmlDescArgs,
) -> Result<DomainSaveImageGetXmlDescRet> {
    let xml = s
        .conn()?
        .save_image_get_xml_desc(
            a.file.as_str(),
            DomainSaveImageXMLFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(DomainSaveImageGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn save_image_define_xml(s: Arc<Session>, a: DomainSaveImageDefineXmlArgs) -> Result<()> {
    s.conn()?
        .save_image_define_xml(
            a.file.as_str(),
            a.dxml.as_str(),
            DomainSaveRestoreFlags::from_bits_retain(a.flags),
        )
        .await
}

pub async fn managed_save_get_xml_desc(
    s: Arc<Session>,
    a: DomainManagedSaveGetXmlDescArgs,
) -> Result<DomainManagedSaveGetXmlDescRet> {
    let xml = dom(&s, &a.dom)?
        .managed_save_get_xml_desc(DomainSaveImageXMLFlags::from_bits_retain(a.flags))
        .await?;
    Ok(DomainManagedSaveGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn has_managed_save_image(
    s: Arc<Session>,
    a: DomainHasManagedSaveImageArgs,
) -> Result<DomainHasManagedSaveImageRet> {
    let r = dom(&s, &a.dom)?.has_managed_save_image(a.flags).await?;
    Ok(DomainHasManagedSaveImageRet {
        result: i32::from(r),
    })
}

pub async fn get_autostart(
    s: Arc<Session>,
    a: DomainGetAutostartArgs,
) -> Result<DomainGetAutostartRet> {
    let r = dom(&s, &a.dom)?.get_autostart().await?;
    Ok(DomainGetAutostartRet {
        autostart: i32::from(r),
    })
}

pub async fn get_vcpus_flags(
    s: Arc<Session>,
    a: DomainGetVcpusFlagsArgs,
) -> Result<DomainGetVcpusFlagsRet> {
    let num = dom(&s, &a.dom)?
        .get_vcpus_flags(DomainVcpuFlags::from_bits_retain(a.flags))
        .await?;
    Ok(DomainGetVcpusFlagsRet { num })
}

/// `DOMAIN_SCREENSHOT`: the image comes on a stream that starts once this reply is out.
pub async fn screenshot(
    s: Arc<Session>,
    a: DomainScreenshotArgs,
    serial: u32,
) -> Result<DomainScreenshotRet> {
    let conn = s.conn()?;
    let stream = conn.new_stream(0);
    let mime = dom(&s, &a.dom)?
        .screenshot(&stream, a.screen, a.flags)
        .await?;
    s.streams.lock().insert(
        serial,
        crate::stream::Slot::Starting(stream, rvirt_proto::StreamDirection::Read),
    );
    Ok(DomainScreenshotRet {
        mime: Some(nonnull(&mime)),
    })
}

pub async fn get_vcpus(s: Arc<Session>, a: DomainGetVcpusArgs) -> Result<DomainGetVcpusRet> {
    if a.maxinfo > 16384 {
        return Err(internal("maxinfo > REMOTE_VCPUINFO_MAX"));
    }
    if i64::from(a.maxinfo) * i64::from(a.maplen) > 8_388_608 {
        return Err(internal("maxinfo * maplen > REMOTE_CPUMAPS_MAX"));
    }
    let (info, mut maps) = dom(&s, &a.dom)?.get_vcpus(a.maxinfo, a.maplen).await?;
    // The maps buffer is always the size the client asked for, as libvirtd sends it.
    maps.resize((a.maxinfo.max(0) as usize) * (a.maplen.max(0) as usize), 0);
    Ok(DomainGetVcpusRet {
        info: bounded(info.iter().map(|v| VcpuInfo {
            number: v.number,
            state: v.state,
            cpu_time: v.cpu_time,
            cpu: v.cpu,
        })),
        cpumaps: rvirt_xdr::BoundedOpaque::new(maps)
            .map_err(|_| internal("maxinfo * maplen > REMOTE_CPUMAPS_MAX"))?,
    })
}

pub async fn get_max_vcpus(
    s: Arc<Session>,
    a: DomainGetMaxVcpusArgs,
) -> Result<DomainGetMaxVcpusRet> {
    Ok(DomainGetMaxVcpusRet {
        num: dom(&s, &a.dom)?.get_max_vcpus().await?,
    })
}

pub async fn get_max_memory(
    s: Arc<Session>,
    a: DomainGetMaxMemoryArgs,
) -> Result<DomainGetMaxMemoryRet> {
    Ok(DomainGetMaxMemoryRet {
        memory: dom(&s, &a.dom)?.get_max_memory().await?,
    })
}

pub async fn rename(s: Arc<Session>, a: DomainRenameArgs) -> Result<DomainRenameRet> {
    let d = dom(&s, &a.dom)?;
    let Some(new_name) = opt(&a.new_name) else {
        // libvirt's public API refuses a NULL name before reaching any driver.
        return Err(Error::invalid_arg_raw(
            ErrorDomain::DOMAIN,
            "virDomainRename",
            "new_name",
            "new_name in virDomainRename must not be NULL".into(),
        ));
    };
    d.rename(new_name, a.flags).await?;
    Ok(DomainRenameRet { retcode: 0 })
}

pub async fn get_metadata(
    s: Arc<Session>,
    a: DomainGetMetadataArgs,
) -> Result<DomainGetMetadataRet> {
    let m = dom(&s, &a.dom)?
        .get_metadata(
            DomainMetadataType(a.r#type),
            opt(&a.uri),
            DomainModificationImpact::from_bits_retain(a.flags),
        )
        .await?;
    Ok(DomainGetMetadataRet {
        metadata: nonnull(&m),
    })
}

pub async fn get_info(s: Arc<Session>, a: DomainGetInfoArgs) -> Result<DomainGetInfoRet> {
    Ok((&dom(&s, &a.dom)?.get_info().await?).into())
}

pub async fn get_state(s: Arc<Session>, a: DomainGetStateArgs) -> Result<DomainGetStateRet> {
    let (state, reason) = dom(&s, &a.dom)?.get_state(a.flags).await?;
    Ok(DomainGetStateRet {
        state: state.0,
        reason,
    })
}

pub async fn get_xml_desc(s: Arc<Session>, a: DomainGetXmlDescArgs) -> Result<DomainGetXmlDescRet> {
    let xml = dom(&s, &a.dom)?
        .get_xml_desc(DomainXMLFlags::from_bits_retain(a.flags))
        .await?;
    Ok(DomainGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn is_active(s: Arc<Session>, a: DomainIsActiveArgs) -> Result<DomainIsActiveRet> {
    Ok(DomainIsActiveRet {
        active: i32::from(dom(&s, &a.dom)?.is_active().await?),
    })
}

pub async fn is_persistent(
    s: Arc<Session>,
    a: DomainIsPersistentArgs,
) -> Result<DomainIsPersistentRet> {
    Ok(DomainIsPersistentRet {
        persistent: i32::from(dom(&s, &a.dom)?.is_persistent().await?),
    })
}

pub async fn is_updated(s: Arc<Session>, a: DomainIsUpdatedArgs) -> Result<DomainIsUpdatedRet> {
    Ok(DomainIsUpdatedRet {
        updated: i32::from(dom(&s, &a.dom)?.is_updated().await?),
    })
}

pub async fn get_os_type(s: Arc<Session>, a: DomainGetOsTypeArgs) -> Result<DomainGetOsTypeRet> {
    Ok(DomainGetOsTypeRet {
        r#type: nonnull(&dom(&s, &a.dom)?.get_os_type().await?),
    })
}

pub async fn get_hostname(
    s: Arc<Session>,
    a: DomainGetHostnameArgs,
) -> Result<DomainGetHostnameRet> {
    let h = dom(&s, &a.dom)?
        .get_hostname(DomainGetHostnameFlags::from_bits_retain(a.flags))
        .await?;
    Ok(DomainGetHostnameRet {
        hostname: nonnull(&h),
    })
}

fn mountpoints(m: &[rvirt_xdr::RemoteNonnullString]) -> Vec<String> {
    m.iter().map(|s| s.as_str().to_string()).collect()
}

pub async fn get_vcpu_pin_info(
    s: Arc<Session>,
    a: DomainGetVcpuPinInfoArgs,
) -> Result<DomainGetVcpuPinInfoRet> {
    // libvirtd's limits.
    if a.ncpumaps > 16384 {
        return Err(internal("ncpumaps > REMOTE_VCPUINFO_MAX"));
    }
    if a.ncpumaps
        .checked_mul(a.maplen)
        .is_none_or(|n| n > 8_388_608)
    {
        return Err(internal("maxinfo * maplen > REMOTE_CPUMAPS_MAX"));
    }
    let (maps, num) = dom(&s, &a.dom)?
        .get_vcpu_pin_info(a.ncpumaps, a.maplen, a.flags)
        .await?;
    Ok(DomainGetVcpuPinInfoRet {
        cpumaps: rvirt_xdr::BoundedOpaque::new(maps).map_err(|_| internal("cpumaps too large"))?,
        num,
    })
}

pub async fn get_emulator_pin_info(
    s: Arc<Session>,
    a: DomainGetEmulatorPinInfoArgs,
) -> Result<DomainGetEmulatorPinInfoRet> {
    if a.maplen > 8_388_608 {
        return Err(internal("maplen > REMOTE_CPUMAPS_MAX"));
    }
    let (maps, ret) = dom(&s, &a.dom)?
        .get_emulator_pin_info(a.maplen, a.flags)
        .await?;
    Ok(DomainGetEmulatorPinInfoRet {
        cpumaps: rvirt_xdr::BoundedOpaque::new(maps).map_err(|_| internal("cpumaps too large"))?,
        ret,
    })
}

pub async fn get_messages(
    s: Arc<Session>,
    a: DomainGetMessagesArgs,
) -> Result<DomainGetMessagesRet> {
    let msgs = dom(&s, &a.dom)?.get_messages(a.flags).await?;
    // REMOTE_DOMAIN_MESSAGES_MAX.
    if msgs.len() > 2048 {
        return Err(internal(format!(
            "Number of messages {} exceeds limit 2048",
            msgs.len()
        )));
    }
    Ok(DomainGetMessagesRet {
        msgs: bounded(msgs.iter().map(|m| nonnull(m))),
    })
}

pub async fn get_block_info(
    s: Arc<Session>,
    a: DomainGetBlockInfoArgs,
) -> Result<DomainGetBlockInfoRet> {
    let i = dom(&s, &a.dom)?
        .get_block_info(a.path.as_str(), a.flags)
        .await?;
    Ok(DomainGetBlockInfoRet {
        allocation: i.allocation,
        capacity: i.capacity,
        physical: i.physical,
    })
}

pub async fn get_disk_errors(
    s: Arc<Session>,
    a: DomainGetDiskErrorsArgs,
) -> Result<DomainGetDiskErrorsRet> {
    if a.maxerrors > 256 {
        return Err(internal("maxerrors too large"));
    }
    let (errors, nerrors) = dom(&s, &a.dom)?
        .get_disk_errors(a.maxerrors, a.flags)
        .await?;
    Ok(DomainGetDiskErrorsRet {
        errors: bounded(errors.iter().map(|e| DomainDiskError {
            disk: nonnull(&e.disk),
            error: e.error,
        })),
        nerrors,
    })
}

pub async fn get_iothread_info(
    s: Arc<Session>,
    a: DomainGetIothreadInfoArgs,
) -> Result<DomainGetIothreadInfoRet> {
    let info = dom(&s, &a.dom)?.get_iothread_info(a.flags).await?;
    if info.len() > 16384 {
        return Err(internal(format!(
            "Too many IOThreads in info: {} for limit 16384",
            info.len()
        )));
    }
    let ret = info.len() as u32;
    let info = info
        .into_iter()
        .map(|i| {
            Ok(DomainIothreadInfo {
                iothread_id: i.iothread_id,
                cpumap: rvirt_xdr::BoundedOpaque::new(i.cpumap)
                    .map_err(|_| internal("cpumap too large"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DomainGetIothreadInfoRet {
        info: bounded(info),
        ret,
    })
}

pub async fn get_control_info(
    s: Arc<Session>,
    a: DomainGetControlInfoArgs,
) -> Result<DomainGetControlInfoRet> {
    let i = dom(&s, &a.dom)?.get_control_info(a.flags).await?;
    Ok(DomainGetControlInfoRet {
        state: i.state,
        details: i.details,
        state_time: i.state_time,
    })
}

pub async fn get_launch_security_info(
    s: Arc<Session>,
    a: DomainGetLaunchSecurityInfoArgs,
) -> Result<DomainGetLaunchSecurityInfoRet> {
    let params = dom(&s, &a.dom)?.get_launch_security_info(a.flags).await?;
    Ok(DomainGetLaunchSecurityInfoRet {
        params: bounded(params.iter().map(typed_param_to_wire)),
    })
}

pub async fn fsfreeze(s: Arc<Session>, a: DomainFsfreezeArgs) -> Result<DomainFsfreezeRet> {
    let filesystems = dom(&s, &a.dom)?
        .fs_freeze(&mountpoints(&a.mountpoints), a.flags)
        .await?;
    Ok(DomainFsfreezeRet { filesystems })
}

pub async fn fsthaw(s: Arc<Session>, a: DomainFsthawArgs) -> Result<DomainFsthawRet> {
    let filesystems = dom(&s, &a.dom)?
        .fs_thaw(&mountpoints(&a.mountpoints), a.flags)
        .await?;
    Ok(DomainFsthawRet { filesystems })
}

pub async fn get_fsinfo(s: Arc<Session>, a: DomainGetFsinfoArgs) -> Result<DomainGetFsinfoRet> {
    let info = dom(&s, &a.dom)?.get_fs_info(a.flags).await?;
    // libvirtd's limits on the reply.
    if info.len() > 256 {
        return Err(internal(format!(
            "Too many mountpoints in fsinfo: {} for limit 256",
            info.len()
        )));
    }
    let ret = info.len() as u32;
    let info = info
        .iter()
        .map(|f| DomainFsinfo {
            mountpoint: nonnull(&f.mountpoint),
            name: nonnull(&f.name),
            fstype: nonnull(&f.fstype),
            dev_aliases: bounded(f.dev_aliases.iter().map(|a| nonnull(a))),
        })
        .collect::<Vec<_>>();
    Ok(DomainGetFsinfoRet {
        info: bounded(info),
        ret,
    })
}

pub async fn set_user_password(s: Arc<Session>, a: DomainSetUserPasswordArgs) -> Result<()> {
    let d = dom(&s, &a.dom)?;
    // libvirt's public API refuses a NULL user or password before reaching any driver.
    let null = |arg: &str| {
        Error::invalid_arg_raw(
            ErrorDomain::DOMAIN,
            "virDomainSetUserPassword",
            arg,
            format!("{arg} in virDomainSetUserPassword must not be NULL"),
        )
    };
    let user = opt(&a.user).ok_or_else(|| null("user"))?;
    let password = opt(&a.password).ok_or_else(|| null("password"))?;
    d.set_user_password(user, password, a.flags).await
}

pub async fn authorized_ssh_keys_get(
    s: Arc<Session>,
    a: DomainAuthorizedSshKeysGetArgs,
) -> Result<DomainAuthorizedSshKeysGetRet> {
    let keys = dom(&s, &a.dom)?
        .authorized_ssh_keys_get(a.user.as_str(), a.flags)
        .await?;
    // REMOTE_DOMAIN_AUTHORIZED_SSH_KEYS_MAX.
    if keys.len() > 2048 {
        return Err(internal(format!(
            "Number of keys {}, which exceeds max limit: 2048",
            keys.len()
        )));
    }
    Ok(DomainAuthorizedSshKeysGetRet {
        keys: bounded(keys.iter().map(|k| nonnull(k))),
    })
}

pub async fn authorized_ssh_keys_set(
    s: Arc<Session>,
    a: DomainAuthorizedSshKeysSetArgs,
) -> Result<()> {
    let keys: Vec<String> = a.keys.iter().map(|k| k.as_str().to_string()).collect();
    dom(&s, &a.dom)?
        .authorized_ssh_keys_set(a.user.as_str(), &keys, a.flags)
        .await
}

/// virTypedParamsSerialize's refusal of more parameters than the protocol carries.
fn too_many_params(n: usize, limit: usize) -> Error {
    Error::with_detail(
        ErrorDomain::NONE,
        rvirt::ErrorNumber::RPC,
        format!("too many parameters '{n}' for limit '{limit}'"),
    )
}

pub async fn get_guest_info(
    s: Arc<Session>,
    a: DomainGetGuestInfoArgs,
) -> Result<DomainGetGuestInfoRet> {
    let params = dom(&s, &a.dom)?.get_guest_info(a.types, a.flags).await?;
    // REMOTE_DOMAIN_GUEST_INFO_PARAMS_MAX.
    if params.len() > 2048 {
        return Err(too_many_params(params.len(), 2048));
    }
    Ok(DomainGetGuestInfoRet {
        params: bounded(params.iter().map(typed_param_to_wire)),
    })
}

pub async fn get_guest_vcpus(
    s: Arc<Session>,
    a: DomainGetGuestVcpusArgs,
) -> Result<DomainGetGuestVcpusRet> {
    let params = dom(&s, &a.dom)?.get_guest_vcpus(a.flags).await?;
    // REMOTE_DOMAIN_GUEST_VCPU_PARAMS_MAX.
    if params.len() > 64 {
        return Err(too_many_params(params.len(), 64));
    }
    Ok(DomainGetGuestVcpusRet {
        params: bounded(params.iter().map(typed_param_to_wire)),
    })
}

pub async fn agent_set_response_timeout(
    s: Arc<Session>,
    a: DomainAgentSetResponseTimeoutArgs,
) -> Result<DomainAgentSetResponseTimeoutRet> {
    dom(&s, &a.dom)?
        .agent_set_response_timeout(a.timeout, a.flags)
        .await?;
    Ok(DomainAgentSetResponseTimeoutRet { result: 0 })
}

pub async fn memory_peek(s: Arc<Session>, a: DomainMemoryPeekArgs) -> Result<DomainMemoryPeekRet> {
    if a.size > 4 * 1024 * 1024 {
        return Err(internal("size > maximum buffer size"));
    }
    let buffer = dom(&s, &a.dom)?
        .memory_peek(a.offset, a.size, a.flags)
        .await?;
    Ok(DomainMemoryPeekRet {
        buffer: rvirt_xdr::BoundedOpaque::new(buffer)
            .map_err(|_| internal("size > maximum buffer size"))?,
    })
}

pub async fn get_time(s: Arc<Session>, a: DomainGetTimeArgs) -> Result<DomainGetTimeRet> {
    Ok((&dom(&s, &a.dom)?.get_time(a.flags).await?).into())
}

pub async fn get_cpu_stats(
    s: Arc<Session>,
    a: DomainGetCpuStatsArgs,
) -> Result<DomainGetCpuStatsRet> {
    if a.nparams > 16 {
        return Err(internal("nparams too large"));
    }
    if a.ncpus > 128 {
        return Err(internal("ncpus too large"));
    }
    let groups = dom(&s, &a.dom)?
        .get_cpu_stats(a.start_cpu, a.ncpus, a.flags)
        .await?;
    let per_cpu = groups.first().map_or(0, Vec::len);
    if a.nparams == 0 {
        // The two count queries: with ncpus 0, how many CPUs there are; otherwise how many
        // parameters each CPU has.
        let count = if a.ncpus == 0 && a.start_cpu != -1 {
            groups.len()
        } else {
            per_cpu
        };
        return Ok(DomainGetCpuStatsRet {
            params: Default::default(),
            nparams: count as i32,
        });
    }
    let want = a.nparams as usize;
    let params = bounded(
        groups
            .iter()
            .flat_map(|g| g.iter().take(want))
            .map(typed_param_to_wire),
    );
    Ok(DomainGetCpuStatsRet {
        params,
        nparams: per_cpu.min(want) as i32,
    })
}

pub async fn get_job_info(s: Arc<Session>, a: DomainGetJobInfoArgs) -> Result<DomainGetJobInfoRet> {
    Ok((&dom(&s, &a.dom)?.get_job_info().await?).into())
}

pub async fn get_job_stats(
    s: Arc<Session>,
    a: DomainGetJobStatsArgs,
) -> Result<DomainGetJobStatsRet> {
    let (r#type, params) = dom(&s, &a.dom)?.get_job_stats(a.flags).await?;
    Ok(DomainGetJobStatsRet {
        r#type,
        params: bounded(params.iter().map(typed_param_to_wire)),
    })
}

pub async fn abort_job(s: Arc<Session>, a: DomainAbortJobArgs) -> Result<()> {
    dom(&s, &a.dom)?.abort_job().await
}

pub async fn abort_job_flags(s: Arc<Session>, a: DomainAbortJobFlagsArgs) -> Result<()> {
    dom(&s, &a.dom)?.abort_job_flags(a.flags).await
}

pub async fn block_commit(s: Arc<Session>, a: DomainBlockCommitArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .block_commit(
            a.disk.as_str(),
            opt(&a.base),
            opt(&a.top),
            a.bandwidth,
            a.flags,
        )
        .await
}

pub async fn block_pull(s: Arc<Session>, a: DomainBlockPullArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .block_pull(a.path.as_str(), a.bandwidth, a.flags)
        .await
}

pub async fn block_rebase(s: Arc<Session>, a: DomainBlockRebaseArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .block_rebase(a.path.as_str(), opt(&a.base), a.bandwidth, a.flags)
        .await
}

pub async fn get_block_job_info(
    s: Arc<Session>,
    a: DomainGetBlockJobInfoArgs,
) -> Result<DomainGetBlockJobInfoRet> {
    let info = dom(&s, &a.dom)?
        .get_block_job_info(a.path.as_str(), a.flags)
        .await?;
    Ok(match info {
        Some(i) => DomainGetBlockJobInfoRet {
            found: 1,
            r#type: i.job_type,
            bandwidth: i.bandwidth,
            cur: i.cur,
            end: i.end,
        },
        None => DomainGetBlockJobInfoRet::default(),
    })
}

pub async fn block_job_abort(s: Arc<Session>, a: DomainBlockJobAbortArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .block_job_abort(a.path.as_str(), a.flags)
        .await
}

pub async fn block_job_set_speed(s: Arc<Session>, a: DomainBlockJobSetSpeedArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .block_job_set_speed(a.path.as_str(), a.bandwidth, a.flags)
        .await
}

pub async fn block_stats(s: Arc<Session>, a: DomainBlockStatsArgs) -> Result<DomainBlockStatsRet> {
    Ok((&dom(&s, &a.dom)?.block_stats(a.path.as_str()).await?).into())
}

pub async fn block_stats_flags(
    s: Arc<Session>,
    a: DomainBlockStatsFlagsArgs,
) -> Result<DomainBlockStatsFlagsRet> {
    // The nparams protocol: 0 asks how many there are.
    if !(0..=16).contains(&a.nparams) {
        return Err(internal("nparams too large"));
    }
    let stats = dom(&s, &a.dom)?
        .block_stats_flags(a.path.as_str(), a.flags)
        .await?;
    if a.nparams == 0 {
        return Ok(DomainBlockStatsFlagsRet {
            params: Default::default(),
            nparams: stats.len() as i32,
        });
    }
    let params: rvirt_xdr::BoundedVec<rvirt_xdr::RemoteTypedParam, 16> = bounded(
        stats
            .iter()
            .take(a.nparams as usize)
            .map(typed_param_to_wire),
    );
    let nparams = params.len() as i32;
    Ok(DomainBlockStatsFlagsRet { params, nparams })
}

pub async fn interface_stats(
    s: Arc<Session>,
    a: DomainInterfaceStatsArgs,
) -> Result<DomainInterfaceStatsRet> {
    Ok((&dom(&s, &a.dom)?.interface_stats(a.device.as_str()).await?).into())
}

pub async fn memory_stats(
    s: Arc<Session>,
    a: DomainMemoryStatsArgs,
) -> Result<DomainMemoryStatsRet> {
    if a.max_stats > 1024 {
        return Err(internal("maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX"));
    }
    let stats = dom(&s, &a.dom)?.memory_stats(a.max_stats, a.flags).await?;
    Ok(DomainMemoryStatsRet {
        stats: bounded(stats.iter().map(Into::into)),
    })
}

pub async fn get_security_label(
    s: Arc<Session>,
    a: DomainGetSecurityLabelArgs,
) -> Result<DomainGetSecurityLabelRet> {
    Ok((&dom(&s, &a.dom)?.get_security_label().await?).into())
}

/// `REMOTE_DOMAIN_INTERFACE_MAX` and `REMOTE_DOMAIN_IP_ADDR_MAX`.
const INTERFACE_MAX: usize = 2048;

pub async fn interface_addresses(
    s: Arc<Session>,
    a: DomainInterfaceAddressesArgs,
) -> Result<DomainInterfaceAddressesRet> {
    let ifaces = dom(&s, &a.dom)?
        .interface_addresses(DomainInterfaceAddressesSource(a.source as i32), a.flags)
        .await?;
    // libvirtd words both limits alike.
    let over = |n: usize| {
        internal(format!(
            "Number of interfaces, {n} exceeds the max limit: {INTERFACE_MAX}"
        ))
    };
    if ifaces.len() > INTERFACE_MAX {
        return Err(over(ifaces.len()));
    }
    if let Some(i) = ifaces.iter().find(|i| i.addrs.len() > INTERFACE_MAX) {
        return Err(over(i.addrs.len()));
    }
    Ok(DomainInterfaceAddressesRet {
        ifaces: bounded(ifaces.iter().map(Into::into)),
    })
}

pub async fn list_all(
    s: Arc<Session>,
    a: ConnectListAllDomainsArgs,
) -> Result<ConnectListAllDomainsRet> {
    let doms = s
        .conn()?
        .list_all_domains(ConnectListAllDomainsFlags::from_bits_retain(a.flags))
        .await?;
    if doms.len() > rvirt_proto::remote::DOMAIN_LIST_MAX {
        return Err(internal(format!(
            "Too many domains '{}' for limit '{}'",
            doms.len(),
            rvirt_proto::remote::DOMAIN_LIST_MAX
        )));
    }
    Ok(ConnectListAllDomainsRet {
        ret: doms.len() as u32,
        domains: if a.need_results != 0 {
            bounded(doms.iter().map(nonnull_domain))
        } else {
            Default::default()
        },
    })
}

pub async fn list_ids(s: Arc<Session>, a: ConnectListDomainsArgs) -> Result<ConnectListDomainsRet> {
    if a.maxids > rvirt_proto::remote::DOMAIN_LIST_MAX as i32 {
        return Err(internal("maxids > REMOTE_DOMAIN_LIST_MAX"));
    }
    Ok(ConnectListDomainsRet {
        ids: bounded(s.conn()?.list_domains(a.maxids).await?),
    })
}

pub async fn num_of_domains(s: Arc<Session>, _a: ()) -> Result<ConnectNumOfDomainsRet> {
    Ok(ConnectNumOfDomainsRet {
        num: s.conn()?.num_of_domains().await?,
    })
}

pub async fn list_defined(
    s: Arc<Session>,
    a: ConnectListDefinedDomainsArgs,
) -> Result<ConnectListDefinedDomainsRet> {
    if a.maxnames > rvirt_proto::remote::DOMAIN_LIST_MAX as i32 {
        return Err(internal("maxnames > REMOTE_DOMAIN_LIST_MAX"));
    }
    let names = s.conn()?.list_defined_domains(a.maxnames).await?;
    Ok(ConnectListDefinedDomainsRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn num_of_defined(s: Arc<Session>, _a: ()) -> Result<ConnectNumOfDefinedDomainsRet> {
    Ok(ConnectNumOfDefinedDomainsRet {
        num: s.conn()?.num_of_defined_domains().await?,
    })
}

pub async fn get_all_stats(
    s: Arc<Session>,
    a: ConnectGetAllDomainStatsArgs,
) -> Result<ConnectGetAllDomainStatsRet> {
    let conn = s.conn()?;
    let stats = DomainStatsTypes::from_bits_retain(a.stats);
    let flags = ConnectGetAllDomainStatsFlags::from_bits_retain(a.flags);
    let recs = if a.doms.is_empty() {
        conn.get_all_domain_stats(stats, flags).await?
    } else {
        let doms: Vec<Domain> = a.doms.iter().map(|d| super::wire::dom(&conn, d)).collect();
        conn.domain_list_get_stats(&doms, stats, flags).await?
    };
    Ok(ConnectGetAllDomainStatsRet {
        ret_stats: bounded(recs.iter().map(|(d, params)| DomainStatsRecord {
            dom: nonnull_domain(d),
            params: bounded(params.iter().map(typed_param_to_wire)),
        })),
    })
}

pub async fn lookup_by_id(s: Arc<Session>, a: DomainLookupByIdArgs) -> Result<DomainLookupByIdRet> {
    Ok(DomainLookupByIdRet {
        dom: nonnull_domain(&s.conn()?.lookup_by_id(a.id).await?),
    })
}

pub async fn lookup_by_name(
    s: Arc<Session>,
    a: DomainLookupByNameArgs,
) -> Result<DomainLookupByNameRet> {
    Ok(DomainLookupByNameRet {
        dom: nonnull_domain(&s.conn()?.lookup_by_name(a.name.as_str()).await?),
    })
}

pub async fn lookup_by_uuid(
    s: Arc<Session>,
    a: DomainLookupByUuidArgs,
) -> Result<DomainLookupByUuidRet> {
    let uuid = Uuid::from_bytes(a.uuid);
    Ok(DomainLookupByUuidRet {
        dom: nonnull_domain(&s.conn()?.lookup_by_uuid(&uuid).await?),
    })
}

pub async fn define_xml(s: Arc<Session>, a: DomainDefineXmlArgs) -> Result<DomainDefineXmlRet> {
    Ok(DomainDefineXmlRet {
        dom: nonnull_domain(&s.conn()?.define_xml(a.xml.as_str()).await?),
    })
}

pub async fn define_xml_flags(
    s: Arc<Session>,
    a: DomainDefineXmlFlagsArgs,
) -> Result<DomainDefineXmlFlagsRet> {
    let d = s
        .conn()?
        .define_xml_flags(a.xml.as_str(), DomainDefineFlags::from_bits_retain(a.flags))
        .await?;
    Ok(DomainDefineXmlFlagsRet {
        dom: nonnull_domain(&d),
    })
}

pub async fn create_xml(s: Arc<Session>, a: DomainCreateXmlArgs) -> Result<DomainCreateXmlRet> {
    let d = s
        .conn()?
        .create_xml(
            a.xml_desc.as_str(),
            DomainCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(DomainCreateXmlRet {
        dom: nonnull_domain(&d),
    })
}

/// Borrows each descriptor a call passed, for the API to use while the call lasts.
fn borrowed(files: &[OwnedFd]) -> Vec<BorrowedFd<'_>> {
    files.iter().map(AsFd::as_fd).collect()
}

pub async fn create_xml_with_files(
    s: Arc<Session>,
    a: DomainCreateXmlWithFilesArgs,
    files: Vec<OwnedFd>,
) -> Result<DomainCreateXmlWithFilesRet> {
    let d = s
        .conn()?
        .create_xml_with_files(
            a.xml_desc.as_str(),
            &borrowed(&files),
            DomainCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(DomainCreateXmlWithFilesRet {
        dom: nonnull_domain(&d),
    })
}

pub async fn create_with_files(
    s: Arc<Session>,
    a: DomainCreateWithFilesArgs,
    files: Vec<OwnedFd>,
) -> Result<DomainCreateWithFilesRet> {
    let d = dom(&s, &a.dom)?;
    d.create_with_files(
        &borrowed(&files),
        DomainCreateFlags::from_bits_retain(a.flags),
    )
    .await?;
    Ok(DomainCreateWithFilesRet {
        dom: nonnull_domain(&d),
    })
}
