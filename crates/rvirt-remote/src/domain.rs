//! Domain calls. Where libvirt has a procedure without flags and a `…Flags` one, a call without
//! flags takes the first, as libvirt's own client does when called without them.

use crate::RemoteDriver;
use crate::wire::{
    domain_ref, list, nonnull_domain, one_call_methods, opaque, opt_string, remote_rpc, string,
};
use rvirt_driver::{CallbackId, DomainDriver, DomainEventCallback, DomainRef};
use rvirt_proto::convert::typed_param_from_wire;
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::domain::*;
use rvirt_types::records::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam};
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

/// `REMOTE_DOMAIN_LIST_MAX`.
const DOMAIN_LIST_MAX: i32 = 16384;
/// `REMOTE_DOMAIN_MEMORY_STATS_MAX`.
const MEMORY_STATS_MAX: u32 = 1024;
/// `REMOTE_NODE_CPU_STATS_MAX`, which also bounds the per-CPU parameters.
const CPU_STATS_MAX: u32 = 16;
/// `REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX`.
const BLOCK_STATS_MAX: i32 = 16;
/// `REMOTE_DOMAIN_MEMORY_PEEK_BUFFER_MAX`.
const MEMORY_PEEK_MAX: u32 = 4 * 1024 * 1024;
/// `REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX`.
const CPU_STATS_NCPUS_MAX: u32 = 128;

impl DomainDriver for RemoteDriver {
    one_call_methods! {
        fn connect_list_all_domains(flags: ConnectListAllDomainsFlags) -> Vec<DomainRef>
            = ConnectListAllDomains(ConnectListAllDomainsArgs {
                need_results: 1,
                flags: flags.bits(),
            }) => |r| r.domains.into_inner().into_iter().map(domain_ref).collect();
    }

    async fn connect_list_domains(&self, max: i32) -> Result<Vec<i32>> {
        if max > DOMAIN_LIST_MAX {
            return Err(remote_rpc(format!(
                "Too many domains '{max}' for limit '{DOMAIN_LIST_MAX}'"
            )));
        }
        let args = ConnectListDomainsArgs { maxids: max };
        let ids = self
            .client
            .call::<calls::ConnectListDomains>(&args)
            .await?
            .ids
            .into_inner();
        if ids.len() > usize::try_from(max).unwrap_or(0) {
            return Err(remote_rpc(format!(
                "Too many domains '{}' for limit '{max}'",
                ids.len()
            )));
        }
        Ok(ids)
    }

    async fn connect_num_of_domains(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfDomains>(&())
            .await?
            .num)
    }

    async fn connect_list_defined_domains(&self, max: i32) -> Result<Vec<String>> {
        let too_many = |n: i64, limit: i64| {
            remote_rpc(format!(
                "too many remote strings: {n} > {limit},in parameter 'names' for \
                 'virConnectListDefinedDomains'"
            ))
        };
        if max > DOMAIN_LIST_MAX {
            return Err(too_many(max.into(), DOMAIN_LIST_MAX.into()));
        }
        let args = ConnectListDefinedDomainsArgs { maxnames: max };
        let names = self
            .client
            .call::<calls::ConnectListDefinedDomains>(&args)
            .await?
            .names
            .into_inner();
        if names.len() > usize::try_from(max).unwrap_or(0) {
            return Err(too_many(names.len() as i64, max.into()));
        }
        Ok(names.into_iter().map(|n| n.into_inner()).collect())
    }

    async fn connect_num_of_defined_domains(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfDefinedDomains>(&())
            .await?
            .num)
    }

    async fn domain_lookup_by_id(&self, id: i32) -> Result<DomainRef> {
        let r = self
            .client
            .call::<calls::DomainLookupById>(&DomainLookupByIdArgs { id })
            .await?;
        Ok(domain_ref(r.dom))
    }

    one_call_methods! {
        fn domain_lookup_by_name(name: &str) -> DomainRef
            = DomainLookupByName(DomainLookupByNameArgs {
                name: string(name)?,
            }) => |r| domain_ref(r.dom);
        fn domain_lookup_by_uuid(uuid: &rvirt_types::Uuid) -> DomainRef
            = DomainLookupByUuid(DomainLookupByUuidArgs {
                uuid: *uuid.as_bytes(),
            }) => |r| domain_ref(r.dom);
    }

    async fn domain_define_xml(&self, xml: &str, flags: DomainDefineFlags) -> Result<DomainRef> {
        let xml = string(xml)?;
        let dom = if flags.is_empty() {
            let args = DomainDefineXmlArgs { xml };
            self.client.call::<calls::DomainDefineXml>(&args).await?.dom
        } else {
            let args = DomainDefineXmlFlagsArgs {
                xml,
                flags: flags.bits(),
            };
            self.client
                .call::<calls::DomainDefineXmlFlags>(&args)
                .await?
                .dom
        };
        Ok(domain_ref(dom))
    }

    async fn domain_undefine(&self, dom: &DomainRef, flags: DomainUndefineFlags) -> Result<()> {
        let dom = nonnull_domain(dom);
        if flags.is_empty() {
            self.client
                .call::<calls::DomainUndefine>(&DomainUndefineArgs { dom })
                .await
        } else {
            let args = DomainUndefineFlagsArgs {
                dom,
                flags: flags.bits(),
            };
            self.client.call::<calls::DomainUndefineFlags>(&args).await
        }
    }

    async fn domain_create(&self, dom: &DomainRef, flags: DomainCreateFlags) -> Result<DomainRef> {
        if flags.is_empty() {
            // DOMAIN_CREATE answers nothing: the new id comes from a lookup, as in libvirt.
            let args = DomainCreateArgs {
                dom: nonnull_domain(dom),
            };
            self.client.call::<calls::DomainCreate>(&args).await?;
            return self.domain_lookup_by_uuid(&dom.uuid).await;
        }
        let args = DomainCreateWithFlagsArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::DomainCreateWithFlags>(&args)
            .await?;
        Ok(domain_ref(r.dom))
    }

    async fn domain_create_xml(&self, xml: &str, flags: DomainCreateFlags) -> Result<DomainRef> {
        let args = DomainCreateXmlArgs {
            xml_desc: string(xml)?,
            flags: flags.bits(),
        };
        Ok(domain_ref(
            self.client.call::<calls::DomainCreateXml>(&args).await?.dom,
        ))
    }

    async fn domain_create_xml_with_files(
        &self,
        xml: &str,
        files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<DomainRef> {
        let args = DomainCreateXmlWithFilesArgs {
            xml_desc: string(xml)?,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call_with_fds::<calls::DomainCreateXmlWithFiles>(&args, dup_all(files)?)
            .await?;
        Ok(domain_ref(r.dom))
    }

    async fn domain_create_with_files(
        &self,
        dom: &DomainRef,
        files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<DomainRef> {
        let args = DomainCreateWithFilesArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        let r = self
            .client
            .call_with_fds::<calls::DomainCreateWithFiles>(&args, dup_all(files)?)
            .await?;
        Ok(domain_ref(r.dom))
    }

    async fn domain_shutdown(&self, dom: &DomainRef, flags: DomainShutdownFlags) -> Result<()> {
        let dom = nonnull_domain(dom);
        if flags.is_empty() {
            self.client
                .call::<calls::DomainShutdown>(&DomainShutdownArgs { dom })
                .await
        } else {
            let args = DomainShutdownFlagsArgs {
                dom,
                flags: flags.bits(),
            };
            self.client.call::<calls::DomainShutdownFlags>(&args).await
        }
    }

    one_call_methods! {
        fn domain_reboot(dom: &DomainRef, flags: DomainRebootFlags) -> ()
            = DomainReboot(DomainRebootArgs { dom: nonnull_domain(dom), flags: flags.bits() });
        fn domain_reset(dom: &DomainRef, flags: u32) -> ()
            = DomainReset(DomainResetArgs { dom: nonnull_domain(dom), flags });
    }

    async fn domain_destroy(&self, dom: &DomainRef, flags: DomainDestroyFlags) -> Result<()> {
        let dom = nonnull_domain(dom);
        if flags.is_empty() {
            self.client
                .call::<calls::DomainDestroy>(&DomainDestroyArgs { dom })
                .await
        } else {
            let args = DomainDestroyFlagsArgs {
                dom,
                flags: flags.bits(),
            };
            self.client.call::<calls::DomainDestroyFlags>(&args).await
        }
    }

    one_call_methods! {
        fn domain_suspend(dom: &DomainRef) -> ()
            = DomainSuspend(DomainSuspendArgs { dom: nonnull_domain(dom) });
        fn domain_resume(dom: &DomainRef) -> ()
            = DomainResume(DomainResumeArgs { dom: nonnull_domain(dom) });
    }

    async fn domain_save(
        &self,
        dom: &DomainRef,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let dom = nonnull_domain(dom);
        if dxml.is_none() && flags.is_empty() {
            let args = DomainSaveArgs {
                dom,
                to: string(path)?,
            };
            return self.client.call::<calls::DomainSave>(&args).await;
        }
        let args = DomainSaveFlagsArgs {
            dom,
            to: string(path)?,
            dxml: opt_string(dxml)?,
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainSaveFlags>(&args).await
    }

    async fn domain_restore(
        &self,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        if dxml.is_none() && flags.is_empty() {
            let args = DomainRestoreArgs {
                from: string(path)?,
            };
            return self.client.call::<calls::DomainRestore>(&args).await;
        }
        let args = DomainRestoreFlagsArgs {
            from: string(path)?,
            dxml: opt_string(dxml)?,
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainRestoreFlags>(&args).await
    }

    one_call_methods! {
        fn domain_save_image_get_xml_desc(path: &str, flags: DomainSaveImageXMLFlags) -> String
            = DomainSaveImageGetXmlDesc(DomainSaveImageGetXmlDescArgs {
                file: string(path)?,
                flags: flags.bits(),
            }) => |r| r.xml.into_inner();
        fn domain_save_image_define_xml(path: &str, dxml: &str, flags: DomainSaveRestoreFlags) -> ()
            = DomainSaveImageDefineXml(DomainSaveImageDefineXmlArgs {
                file: string(path)?,
                dxml: string(dxml)?,
                flags: flags.bits(),
            });
        fn domain_managed_save(dom: &DomainRef, flags: DomainSaveRestoreFlags) -> ()
            = DomainManagedSave(DomainManagedSaveArgs {
                dom: nonnull_domain(dom),
                flags: flags.bits(),
            });
        fn domain_has_managed_save_image(dom: &DomainRef, flags: u32) -> bool
            = DomainHasManagedSaveImage(DomainHasManagedSaveImageArgs {
                dom: nonnull_domain(dom),
                flags,
            }) => |r| r.result != 0;
        fn domain_managed_save_remove(dom: &DomainRef, flags: u32) -> ()
            = DomainManagedSaveRemove(DomainManagedSaveRemoveArgs {
                dom: nonnull_domain(dom),
                flags,
            });
        fn domain_managed_save_get_xml_desc(dom: &DomainRef, flags: DomainSaveImageXMLFlags) -> String
            = DomainManagedSaveGetXmlDesc(DomainManagedSaveGetXmlDescArgs {
                dom: nonnull_domain(dom),
                flags: flags.bits(),
            }) => |r| r.xml.into_inner();
        fn domain_attach_device(dom: &DomainRef, xml: &str) -> ()
            = DomainAttachDevice(DomainAttachDeviceArgs {
                dom: nonnull_domain(dom),
                xml: string(xml)?,
            });
        fn domain_attach_device_flags(dom: &DomainRef, xml: &str, flags: DomainDeviceModifyFlags) -> ()
            = DomainAttachDeviceFlags(DomainAttachDeviceFlagsArgs {
                dom: nonnull_domain(dom),
                xml: string(xml)?,
                flags: flags.bits(),
            });
        fn domain_detach_device(dom: &DomainRef, xml: &str) -> ()
            = DomainDetachDevice(DomainDetachDeviceArgs {
                dom: nonnull_domain(dom),
                xml: string(xml)?,
            });
        fn domain_detach_device_flags(dom: &DomainRef, xml: &str, flags: DomainDeviceModifyFlags) -> ()
            = DomainDetachDeviceFlags(DomainDetachDeviceFlagsArgs {
                dom: nonnull_domain(dom),
                xml: string(xml)?,
                flags: flags.bits(),
            });
        fn domain_update_device_flags(dom: &DomainRef, xml: &str, flags: DomainDeviceModifyFlags) -> ()
            = DomainUpdateDeviceFlags(DomainUpdateDeviceFlagsArgs {
                dom: nonnull_domain(dom),
                xml: string(xml)?,
                flags: flags.bits(),
            });
        fn domain_detach_device_alias(dom: &DomainRef, alias: &str, flags: DomainDeviceModifyFlags) -> ()
            = DomainDetachDeviceAlias(DomainDetachDeviceAliasArgs {
                dom: nonnull_domain(dom),
                alias: string(alias)?,
                flags: flags.bits(),
            });
        fn domain_get_autostart(dom: &DomainRef) -> bool
            = DomainGetAutostart(DomainGetAutostartArgs {
                dom: nonnull_domain(dom),
            }) => |r| r.autostart != 0;
        fn domain_set_autostart(dom: &DomainRef, autostart: bool) -> ()
            = DomainSetAutostart(DomainSetAutostartArgs {
                dom: nonnull_domain(dom),
                autostart: i32::from(autostart),
            });
        fn domain_set_memory(dom: &DomainRef, kib: u64, flags: DomainMemoryModFlags) -> ()
            = DomainSetMemoryFlags(DomainSetMemoryFlagsArgs {
                dom: nonnull_domain(dom),
                memory: kib,
                flags: flags.bits(),
            });
        fn domain_set_memory_stats_period(dom: &DomainRef, period: i32, flags: DomainModificationImpact) -> ()
            = DomainSetMemoryStatsPeriod(DomainSetMemoryStatsPeriodArgs {
                dom: nonnull_domain(dom),
                period,
                flags: flags.bits(),
            });
        fn domain_set_max_memory(dom: &DomainRef, kib: u64) -> ()
            = DomainSetMaxMemory(DomainSetMaxMemoryArgs { dom: nonnull_domain(dom), memory: kib });
        fn domain_set_vcpus(dom: &DomainRef, n: u32, flags: DomainVcpuFlags) -> ()
            = DomainSetVcpusFlags(DomainSetVcpusFlagsArgs {
                dom: nonnull_domain(dom),
                nvcpus: n,
                flags: flags.bits(),
            });
        fn domain_get_vcpus_flags(dom: &DomainRef, flags: DomainVcpuFlags) -> i32
            = DomainGetVcpusFlags(DomainGetVcpusFlagsArgs {
                dom: nonnull_domain(dom),
                flags: flags.bits(),
            }) => |r| r.num;
    }

    async fn domain_get_vcpus(
        &self,
        dom: &DomainRef,
        maxinfo: i32,
        maplen: i32,
    ) -> Result<(Vec<rvirt_types::records::VcpuInfo>, Vec<u8>)> {
        // The limits libvirt's remote client checks before it asks.
        if maxinfo > 16384 {
            return Err(remote_rpc(format!(
                "vCPU count exceeds maximum: {maxinfo} > 16384"
            )));
        }
        if i64::from(maxinfo) * i64::from(maplen) > 8_388_608 {
            return Err(remote_rpc(format!(
                "vCPU map buffer length exceeds maximum: {} > 8388608",
                i64::from(maxinfo) * i64::from(maplen)
            )));
        }
        let args = DomainGetVcpusArgs {
            dom: nonnull_domain(dom),
            maxinfo,
            maplen,
        };
        let ret = self.client.call::<calls::DomainGetVcpus>(&args).await?;
        let info = ret.info.into_inner();
        let maps = ret.cpumaps.into_inner();
        if info.len() > maxinfo.max(0) as usize
            || maps.len() > (maxinfo.max(0) as usize) * (maplen.max(0) as usize)
        {
            return Err(remote_rpc("host reply too large"));
        }
        let info = info
            .into_iter()
            .map(|v| rvirt_types::records::VcpuInfo {
                number: v.number,
                state: v.state,
                cpu_time: v.cpu_time,
                cpu: v.cpu,
            })
            .collect();
        Ok((info, maps))
    }

    async fn domain_rename(
        &self,
        dom: &DomainRef,
        new_name: &str,
        flags: u32,
    ) -> Result<DomainRef> {
        let args = DomainRenameArgs {
            dom: nonnull_domain(dom),
            new_name: Some(string(new_name)?),
            flags,
        };
        let r = self.client.call::<calls::DomainRename>(&args).await?;
        if r.retcode != 0 {
            return Err(remote_rpc(format!(
                "virDomainRename: the server answered {}",
                r.retcode
            )));
        }
        Ok(DomainRef {
            name: new_name.into(),
            ..dom.clone()
        })
    }

    one_call_methods! {
        fn domain_set_metadata(dom: &DomainRef, kind: DomainMetadataType, metadata: Option<&str>, key: Option<&str>, uri: Option<&str>, flags: DomainModificationImpact) -> ()
            = DomainSetMetadata(DomainSetMetadataArgs {
                dom: nonnull_domain(dom),
                r#type: kind.0,
                metadata: opt_string(metadata)?,
                key: opt_string(key)?,
                uri: opt_string(uri)?,
                flags: flags.bits(),
            });
        fn domain_get_metadata(dom: &DomainRef, kind: DomainMetadataType, uri: Option<&str>, flags: DomainModificationImpact) -> String
            = DomainGetMetadata(DomainGetMetadataArgs {
                dom: nonnull_domain(dom),
                r#type: kind.0,
                uri: opt_string(uri)?,
                flags: flags.bits(),
            }) => |r| r.metadata.into_inner();
        fn domain_get_info(dom: &DomainRef) -> DomainInfo
            = DomainGetInfo(DomainGetInfoArgs { dom: nonnull_domain(dom) });
        fn domain_get_state(dom: &DomainRef, flags: u32) -> (DomainState, i32)
            = DomainGetState(DomainGetStateArgs {
                dom: nonnull_domain(dom),
                flags,
            }) => |r| (DomainState(r.state), r.reason);
        fn domain_get_xml_desc(dom: &DomainRef, flags: DomainXMLFlags) -> String
            = DomainGetXmlDesc(DomainGetXmlDescArgs {
                dom: nonnull_domain(dom),
                flags: flags.bits(),
            }) => |r| r.xml.into_inner();
        fn domain_is_active(dom: &DomainRef) -> bool
            = DomainIsActive(DomainIsActiveArgs { dom: nonnull_domain(dom) }) => |r| r.active != 0;
        fn domain_is_persistent(dom: &DomainRef) -> bool
            = DomainIsPersistent(DomainIsPersistentArgs {
                dom: nonnull_domain(dom),
            }) => |r| r.persistent != 0;
        fn domain_is_updated(dom: &DomainRef) -> bool
            = DomainIsUpdated(DomainIsUpdatedArgs {
                dom: nonnull_domain(dom),
            }) => |r| r.updated != 0;
        fn domain_get_os_type(dom: &DomainRef) -> String
            = DomainGetOsType(DomainGetOsTypeArgs {
                dom: nonnull_domain(dom),
            }) => |r| r.r#type.into_inner();
        fn domain_get_max_memory(dom: &DomainRef) -> u64
            = DomainGetMaxMemory(DomainGetMaxMemoryArgs {
                dom: nonnull_domain(dom),
            }) => |r| r.memory;
    }

    async fn domain_screenshot(
        &self,
        dom: &DomainRef,
        screen: u32,
        flags: u32,
    ) -> Result<(String, Box<dyn rvirt_driver::StreamBackend>)> {
        let args = DomainScreenshotArgs {
            dom: nonnull_domain(dom),
            screen,
            flags,
        };
        let (ret, stream) = self
            .client
            .call_with_stream::<calls::DomainScreenshot>(&args)
            .await?;
        // libvirt's client hands a missing MIME type on as NULL; callers see an empty one.
        let mime = ret.mime.map(|m| m.as_str().to_string()).unwrap_or_default();
        Ok((mime, Box::new(stream)))
    }

    one_call_methods! {
        fn domain_get_max_vcpus(dom: &DomainRef) -> i32
            = DomainGetMaxVcpus(DomainGetMaxVcpusArgs { dom: nonnull_domain(dom) }) => |r| r.num;
        fn domain_get_hostname(dom: &DomainRef, flags: DomainGetHostnameFlags) -> String
            = DomainGetHostname(DomainGetHostnameArgs {
                dom: nonnull_domain(dom),
                flags: flags.bits(),
            }) => |r| r.hostname.into_inner();
        fn domain_get_time(dom: &DomainRef, flags: u32) -> DomainTime
            = DomainGetTime(DomainGetTimeArgs { dom: nonnull_domain(dom), flags });
        fn domain_set_time(dom: &DomainRef, seconds: i64, nseconds: u32, flags: u32) -> ()
            = DomainSetTime(DomainSetTimeArgs { dom: nonnull_domain(dom), seconds, nseconds, flags });
        fn domain_pin_vcpu(dom: &DomainRef, vcpu: u32, cpumap: &[u8], flags: u32) -> ()
            = DomainPinVcpuFlags(DomainPinVcpuFlagsArgs {
                dom: nonnull_domain(dom),
                vcpu,
                cpumap: opaque(cpumap)?,
                flags,
            });
        fn domain_get_vcpu_pin_info(dom: &DomainRef, ncpumaps: i32, maplen: i32, flags: u32) -> (Vec<u8>, i32)
            = DomainGetVcpuPinInfo(DomainGetVcpuPinInfoArgs { dom: nonnull_domain(dom), ncpumaps, maplen, flags })
            => |r| (r.cpumaps.into_inner(), r.num);
        fn domain_pin_emulator(dom: &DomainRef, cpumap: &[u8], flags: u32) -> ()
            = DomainPinEmulator(DomainPinEmulatorArgs {
                dom: nonnull_domain(dom),
                cpumap: opaque(cpumap)?,
                flags,
            });
        fn domain_get_emulator_pin_info(dom: &DomainRef, maplen: i32, flags: u32) -> (Vec<u8>, i32)
            = DomainGetEmulatorPinInfo(DomainGetEmulatorPinInfoArgs { dom: nonnull_domain(dom), maplen, flags })
            => |r| (r.cpumaps.into_inner(), r.ret);
        fn domain_authorized_ssh_keys_get(dom: &DomainRef, user: &str, flags: u32) -> Vec<String>
            = DomainAuthorizedSshKeysGet(DomainAuthorizedSshKeysGetArgs {
                dom: nonnull_domain(dom),
                user: string(user)?,
                flags,
            })
            => |r| r.keys.into_inner().into_iter().map(|k| k.into_inner()).collect();
        fn domain_authorized_ssh_keys_set(dom: &DomainRef, user: &str, keys: &[String], flags: u32) -> ()
            = DomainAuthorizedSshKeysSet(DomainAuthorizedSshKeysSetArgs {
                dom: nonnull_domain(dom),
                user: string(user)?,
                keys: ssh_key_list(keys)?,
                flags,
            });
        fn domain_get_messages(dom: &DomainRef, flags: u32) -> Vec<String>
            = DomainGetMessages(DomainGetMessagesArgs { dom: nonnull_domain(dom), flags })
            => |r| r.msgs.into_inner().into_iter().map(|m| m.into_inner()).collect();
        fn domain_get_block_info(dom: &DomainRef, disk: &str, flags: u32) -> DomainBlockInfo
            = DomainGetBlockInfo(DomainGetBlockInfoArgs { dom: nonnull_domain(dom), path: string(disk)?, flags })
            => |r| DomainBlockInfo { capacity: r.capacity, allocation: r.allocation, physical: r.physical };
        fn domain_get_disk_errors(dom: &DomainRef, maxerrors: u32, flags: u32) -> (Vec<rvirt_types::records::DomainDiskError>, i32)
            = DomainGetDiskErrors(DomainGetDiskErrorsArgs { dom: nonnull_domain(dom), maxerrors, flags })
            => |r| (
                r.errors.into_inner().into_iter().map(|e| rvirt_types::records::DomainDiskError {
                    disk: e.disk.into_inner(),
                    error: e.error,
                }).collect(),
                r.nerrors,
            );
        fn domain_get_iothread_info(dom: &DomainRef, flags: u32) -> Vec<DomainIOThreadInfo>
            = DomainGetIothreadInfo(DomainGetIothreadInfoArgs { dom: nonnull_domain(dom), flags })
            => |r| r.info.into_inner().into_iter().map(|i| DomainIOThreadInfo {
                iothread_id: i.iothread_id,
                cpumap: i.cpumap.into_inner(),
            }).collect();
        fn domain_add_iothread(dom: &DomainRef, id: u32, flags: u32) -> ()
            = DomainAddIothread(DomainAddIothreadArgs { dom: nonnull_domain(dom), iothread_id: id, flags });
        fn domain_del_iothread(dom: &DomainRef, id: u32, flags: u32) -> ()
            = DomainDelIothread(DomainDelIothreadArgs { dom: nonnull_domain(dom), iothread_id: id, flags });
        fn domain_pin_iothread(dom: &DomainRef, id: u32, cpumap: &[u8], flags: u32) -> ()
            = DomainPinIothread(DomainPinIothreadArgs {
                dom: nonnull_domain(dom),
                iothreads_id: id,
                cpumap: opaque(cpumap)?,
                flags,
            });
        fn domain_pm_suspend_for_duration(dom: &DomainRef, target: u32, duration: u64, flags: u32) -> ()
            = DomainPmSuspendForDuration(DomainPmSuspendForDurationArgs {
                dom: nonnull_domain(dom),
                target,
                duration,
                flags,
            });
        fn domain_pm_wakeup(dom: &DomainRef, flags: u32) -> ()
            = DomainPmWakeup(DomainPmWakeupArgs { dom: nonnull_domain(dom), flags });
        fn domain_inject_nmi(dom: &DomainRef, flags: u32) -> ()
            = DomainInjectNmi(DomainInjectNmiArgs { dom: nonnull_domain(dom), flags });
        fn domain_send_key(dom: &DomainRef, codeset: u32, holdtime: u32, keycodes: &[u32], flags: u32) -> ()
            = DomainSendKey(DomainSendKeyArgs {
                dom: nonnull_domain(dom),
                codeset,
                holdtime,
                keycodes: list(keycodes.to_vec())?,
                flags,
            });
        fn domain_send_process_signal(dom: &DomainRef, pid: i64, signum: u32, flags: u32) -> ()
            = DomainSendProcessSignal(DomainSendProcessSignalArgs {
                dom: nonnull_domain(dom),
                pid_value: pid,
                signum,
                flags,
            });
        fn domain_get_control_info(dom: &DomainRef, flags: u32) -> DomainControlInfo
            = DomainGetControlInfo(DomainGetControlInfoArgs { dom: nonnull_domain(dom), flags })
            => |r| DomainControlInfo { state: r.state, details: r.details, state_time: r.state_time };
        fn domain_set_lifecycle_action(dom: &DomainRef, kind: u32, action: u32, flags: u32) -> ()
            = DomainSetLifecycleAction(DomainSetLifecycleActionArgs {
                dom: nonnull_domain(dom),
                r#type: kind,
                action,
                flags,
            });
        fn domain_get_launch_security_info(dom: &DomainRef, flags: u32) -> Vec<TypedParam>
            = DomainGetLaunchSecurityInfo(DomainGetLaunchSecurityInfoArgs { dom: nonnull_domain(dom), flags })
            => |r| r.params.into_inner().into_iter().map(typed_param_from_wire).collect();
        fn domain_fs_freeze(dom: &DomainRef, mountpoints: &[String], flags: u32) -> i32
            = DomainFsfreeze(DomainFsfreezeArgs {
                dom: nonnull_domain(dom),
                mountpoints: mountpoint_list(mountpoints)?,
                flags,
            }) => |r| r.filesystems;
        fn domain_fs_thaw(dom: &DomainRef, mountpoints: &[String], flags: u32) -> i32
            = DomainFsthaw(DomainFsthawArgs {
                dom: nonnull_domain(dom),
                mountpoints: mountpoint_list(mountpoints)?,
                flags,
            }) => |r| r.filesystems;
        fn domain_fs_trim(dom: &DomainRef, mountpoint: Option<&str>, minimum: u64, flags: u32) -> ()
            = DomainFstrim(DomainFstrimArgs {
                dom: nonnull_domain(dom),
                mount_point: opt_string(mountpoint)?,
                minimum,
                flags,
            });
        fn domain_get_fs_info(dom: &DomainRef, flags: u32) -> Vec<rvirt_types::records::DomainFSInfo>
            = DomainGetFsinfo(DomainGetFsinfoArgs { dom: nonnull_domain(dom), flags })
            => |r| r.info.into_inner().into_iter().map(|f| rvirt_types::records::DomainFSInfo {
                mountpoint: f.mountpoint.into_inner(),
                name: f.name.into_inner(),
                fstype: f.fstype.into_inner(),
                dev_aliases: f.dev_aliases.into_inner().into_iter().map(|a| a.into_inner()).collect(),
            }).collect();
        fn domain_set_user_password(dom: &DomainRef, user: &str, password: &str, flags: u32) -> ()
            = DomainSetUserPassword(DomainSetUserPasswordArgs {
                dom: nonnull_domain(dom),
                user: Some(string(user)?),
                password: Some(string(password)?),
                flags,
            });
        fn domain_get_guest_info(dom: &DomainRef, types: u32, flags: u32) -> Vec<TypedParam>
            = DomainGetGuestInfo(DomainGetGuestInfoArgs { dom: nonnull_domain(dom), types, flags })
            => |r| r.params.into_inner().into_iter().map(typed_param_from_wire).collect();
        fn domain_get_guest_vcpus(dom: &DomainRef, flags: u32) -> Vec<TypedParam>
            = DomainGetGuestVcpus(DomainGetGuestVcpusArgs { dom: nonnull_domain(dom), flags })
            => |r| r.params.into_inner().into_iter().map(typed_param_from_wire).collect();
        fn domain_set_guest_vcpus(dom: &DomainRef, cpumap: &str, state: i32, flags: u32) -> ()
            = DomainSetGuestVcpus(DomainSetGuestVcpusArgs {
                dom: nonnull_domain(dom),
                cpumap: string(cpumap)?,
                state,
                flags,
            });
        fn domain_agent_set_response_timeout(dom: &DomainRef, timeout: i32, flags: u32) -> ()
            = DomainAgentSetResponseTimeout(DomainAgentSetResponseTimeoutArgs {
                dom: nonnull_domain(dom),
                timeout,
                flags,
            }) => |_r| ();
    }

    async fn domain_qemu_monitor_command(
        &self,
        dom: &DomainRef,
        cmd: &str,
        flags: u32,
    ) -> Result<String> {
        use rvirt_proto::qemu;
        let r: qemu::DomainMonitorCommandRet = self
            .client
            .call_qemu(
                qemu::PROC_DOMAIN_MONITOR_COMMAND,
                &qemu::DomainMonitorCommandArgs {
                    dom: nonnull_domain(dom),
                    cmd: string(cmd)?,
                    flags,
                },
            )
            .await?;
        Ok(r.result.into_inner())
    }

    async fn domain_qemu_agent_command(
        &self,
        dom: &DomainRef,
        cmd: &str,
        timeout: i32,
        flags: u32,
    ) -> Result<Option<String>> {
        use rvirt_proto::qemu;
        let r: qemu::DomainAgentCommandRet = self
            .client
            .call_qemu(
                qemu::PROC_DOMAIN_AGENT_COMMAND,
                &qemu::DomainAgentCommandArgs {
                    dom: nonnull_domain(dom),
                    cmd: string(cmd)?,
                    timeout,
                    flags,
                },
            )
            .await?;
        Ok(r.result.map(|s| s.into_inner()))
    }

    async fn domain_core_dump(
        &self,
        dom: &DomainRef,
        to: &str,
        format: Option<u32>,
        flags: u32,
    ) -> Result<()> {
        match format {
            None => {
                let args = DomainCoreDumpArgs {
                    dom: nonnull_domain(dom),
                    to: string(to)?,
                    flags,
                };
                self.client.call::<calls::DomainCoreDump>(&args).await
            }
            Some(dumpformat) => {
                let args = DomainCoreDumpWithFormatArgs {
                    dom: nonnull_domain(dom),
                    to: string(to)?,
                    dumpformat,
                    flags,
                };
                self.client
                    .call::<calls::DomainCoreDumpWithFormat>(&args)
                    .await
            }
        }
    }

    async fn domain_memory_peek(
        &self,
        dom: &DomainRef,
        start: u64,
        size: u32,
        flags: u32,
    ) -> Result<Vec<u8>> {
        if size > MEMORY_PEEK_MAX {
            return Err(remote_rpc(format!(
                "memory peek request too large for remote protocol, {size} > {MEMORY_PEEK_MAX}"
            )));
        }
        let args = DomainMemoryPeekArgs {
            dom: nonnull_domain(dom),
            offset: start,
            size,
            flags,
        };
        let r = self.client.call::<calls::DomainMemoryPeek>(&args).await?;
        let buffer = r.buffer.into_inner();
        if buffer.len() != size as usize {
            return Err(remote_rpc("returned buffer is not same size as requested"));
        }
        Ok(buffer)
    }

    async fn domain_get_cpu_stats(
        &self,
        dom: &DomainRef,
        start: i32,
        ncpus: u32,
        flags: u32,
    ) -> Result<Vec<Vec<TypedParam>>> {
        if ncpus > CPU_STATS_NCPUS_MAX {
            return Err(remote_rpc(format!(
                "ncpus count exceeds maximum: {ncpus} > {CPU_STATS_NCPUS_MAX}"
            )));
        }
        let args = |nparams: u32, ncpus: u32| DomainGetCpuStatsArgs {
            dom: nonnull_domain(dom),
            nparams,
            start_cpu: start,
            ncpus,
            flags,
        };
        // First how many parameters a CPU has, then the parameters, as libvirt's callers ask.
        let count = self
            .client
            .call::<calls::DomainGetCpuStats>(&args(0, ncpus.min(1)))
            .await?
            .nparams;
        let nparams = u32::try_from(count).unwrap_or(0).min(CPU_STATS_MAX);
        if nparams == 0 || ncpus == 0 {
            return Ok(Vec::new());
        }
        let r = self
            .client
            .call::<calls::DomainGetCpuStats>(&args(nparams, ncpus))
            .await?;
        let stride = usize::try_from(r.nparams).unwrap_or(0);
        let params = r.params.into_inner();
        if params.len() > (nparams * ncpus) as usize
            || (!params.is_empty()
                && (stride == 0 || params.len() % stride != 0 || stride > nparams as usize))
        {
            return Err(remote_rpc(
                "remoteDomainGetCPUStats: returned number of stats exceeds limit",
            ));
        }
        if params.is_empty() {
            return Ok(Vec::new());
        }
        Ok(params
            .chunks(stride)
            .map(|cpu| cpu.iter().cloned().map(typed_param_from_wire).collect())
            .collect())
    }

    one_call_methods! {
        fn domain_get_job_info(dom: &DomainRef) -> DomainJobInfo
            = DomainGetJobInfo(DomainGetJobInfoArgs { dom: nonnull_domain(dom) });
        fn domain_get_job_stats(dom: &DomainRef, flags: u32) -> (i32, Vec<TypedParam>)
            = DomainGetJobStats(DomainGetJobStatsArgs {
                dom: nonnull_domain(dom),
                flags,
            }) => |r| ( r.r#type, r.params .into_inner() .into_iter() .map(typed_param_from_wire) .collect(), );
        fn domain_abort_job(dom: &DomainRef) -> ()
            = DomainAbortJob(DomainAbortJobArgs { dom: nonnull_domain(dom) });
        fn domain_abort_job_flags(dom: &DomainRef, flags: u32) -> ()
            = DomainAbortJobFlags(DomainAbortJobFlagsArgs { dom: nonnull_domain(dom), flags });
        fn domain_block_commit(dom: &DomainRef, disk: &str, base: Option<&str>, top: Option<&str>, bandwidth: u64, flags: u32) -> ()
            = DomainBlockCommit(DomainBlockCommitArgs {
                dom: nonnull_domain(dom),
                disk: string(disk)?,
                base: opt_string(base)?,
                top: opt_string(top)?,
                bandwidth,
                flags,
            });
        fn domain_block_pull(dom: &DomainRef, disk: &str, bandwidth: u64, flags: u32) -> ()
            = DomainBlockPull(DomainBlockPullArgs {
                dom: nonnull_domain(dom),
                path: string(disk)?,
                bandwidth,
                flags,
            });
        fn domain_block_rebase(dom: &DomainRef, disk: &str, base: Option<&str>, bandwidth: u64, flags: u32) -> ()
            = DomainBlockRebase(DomainBlockRebaseArgs {
                dom: nonnull_domain(dom),
                path: string(disk)?,
                base: opt_string(base)?,
                bandwidth,
                flags,
            });
        fn domain_get_block_job_info(dom: &DomainRef, disk: &str, flags: u32) -> Option<DomainBlockJobInfo>
            = DomainGetBlockJobInfo(DomainGetBlockJobInfoArgs {
                dom: nonnull_domain(dom),
                path: string(disk)?,
                flags,
            }) => |r| (r.found != 0).then_some(DomainBlockJobInfo { job_type: r.r#type, bandwidth: r.bandwidth, cur: r.cur, end: r.end, });
        fn domain_block_job_abort(dom: &DomainRef, disk: &str, flags: u32) -> ()
            = DomainBlockJobAbort(DomainBlockJobAbortArgs {
                dom: nonnull_domain(dom),
                path: string(disk)?,
                flags,
            });
        fn domain_block_job_set_speed(dom: &DomainRef, disk: &str, bandwidth: u64, flags: u32) -> ()
            = DomainBlockJobSetSpeed(DomainBlockJobSetSpeedArgs {
                dom: nonnull_domain(dom),
                path: string(disk)?,
                bandwidth,
                flags,
            });
        fn domain_block_stats(dom: &DomainRef, disk: &str) -> DomainBlockStats
            = DomainBlockStats(DomainBlockStatsArgs {
                dom: nonnull_domain(dom),
                path: string(disk)?,
            });
    }

    async fn domain_block_stats_flags(
        &self,
        dom: &DomainRef,
        disk: &str,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        // The nparams protocol: 0 asks how many there are, then that many are fetched.
        let args = |nparams: i32| -> Result<DomainBlockStatsFlagsArgs> {
            Ok(DomainBlockStatsFlagsArgs {
                dom: nonnull_domain(dom),
                path: string(disk)?,
                nparams,
                flags,
            })
        };
        let n = self
            .client
            .call::<calls::DomainBlockStatsFlags>(&args(0)?)
            .await?
            .nparams;
        if n <= 0 {
            return Ok(Vec::new());
        }
        if n > BLOCK_STATS_MAX {
            return Err(remote_rpc(format!(
                "too many block stats: {n} > {BLOCK_STATS_MAX}"
            )));
        }
        let r = self
            .client
            .call::<calls::DomainBlockStatsFlags>(&args(n)?)
            .await?;
        Ok(r.params
            .into_inner()
            .into_iter()
            .map(typed_param_from_wire)
            .collect())
    }

    one_call_methods! {
        fn domain_interface_stats(dom: &DomainRef, device: &str) -> DomainInterfaceStats
            = DomainInterfaceStats(DomainInterfaceStatsArgs {
                dom: nonnull_domain(dom),
                device: string(device)?,
            });
    }

    async fn domain_memory_stats(
        &self,
        dom: &DomainRef,
        nr_stats: u32,
        flags: u32,
    ) -> Result<Vec<rvirt_types::records::DomainMemoryStat>> {
        if nr_stats > MEMORY_STATS_MAX {
            return Err(remote_rpc(format!(
                "too many memory stats requested: {nr_stats} > {MEMORY_STATS_MAX}"
            )));
        }
        let args = DomainMemoryStatsArgs {
            dom: nonnull_domain(dom),
            max_stats: nr_stats,
            flags,
        };
        let r = self.client.call::<calls::DomainMemoryStats>(&args).await?;
        Ok(r.stats.into_inner().into_iter().map(Into::into).collect())
    }

    async fn connect_get_all_domain_stats(
        &self,
        doms: Option<&[DomainRef]>,
        stats: DomainStatsTypes,
        flags: ConnectGetAllDomainStatsFlags,
    ) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
        let args = ConnectGetAllDomainStatsArgs {
            doms: list(
                doms.unwrap_or_default()
                    .iter()
                    .map(nonnull_domain)
                    .collect(),
            )?,
            stats: stats.bits(),
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::ConnectGetAllDomainStats>(&args)
            .await?;
        Ok(r.ret_stats
            .into_inner()
            .into_iter()
            .map(|rec| {
                let params = rec
                    .params
                    .into_inner()
                    .into_iter()
                    .map(typed_param_from_wire)
                    .collect();
                (domain_ref(rec.dom), params)
            })
            .collect())
    }

    async fn domain_get_security_label(&self, dom: &DomainRef) -> Result<SecurityLabel> {
        let args = DomainGetSecurityLabelArgs {
            dom: nonnull_domain(dom),
        };
        let r = self
            .client
            .call::<calls::DomainGetSecurityLabel>(&args)
            .await?;
        // An absent label leaves the record empty, enforcing included.
        if r.label.is_empty() {
            return Ok(SecurityLabel::default());
        }
        Ok(r.into())
    }

    one_call_methods! {
        fn domain_interface_addresses(dom: &DomainRef, source: DomainInterfaceAddressesSource, flags: u32) -> Vec<rvirt_types::records::DomainInterface>
            = DomainInterfaceAddresses(DomainInterfaceAddressesArgs {
                dom: nonnull_domain(dom),
                source: source.0 as u32,
                flags,
            }) => |r| r.ifaces.into_inner().into_iter().map(Into::into).collect();
    }

    async fn connect_domain_event_register_any(
        &self,
        dom: Option<&DomainRef>,
        event_id: DomainEventID,
        cb: DomainEventCallback,
    ) -> Result<CallbackId> {
        if !self.event_callbacks {
            return Err(rvirt_types::Error::with_detail(
                ErrorDomain::REMOTE,
                ErrorNumber::NO_SUPPORT,
                "the server has no per-callback domain events (libvirt older than 1.2.1)",
            ));
        }
        let args = ConnectDomainEventCallbackRegisterAnyArgs {
            event_id: event_id.0,
            dom: dom.map(nonnull_domain),
        };
        let r = self
            .client
            .call::<calls::ConnectDomainEventCallbackRegisterAny>(&args)
            .await?;
        Ok(self.events.add(r.callback_id, cb))
    }

    async fn connect_domain_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        let remote_id = self.events.remove(id)?;
        let args = ConnectDomainEventCallbackDeregisterAnyArgs {
            callback_id: remote_id,
        };
        self.client
            .call::<calls::ConnectDomainEventCallbackDeregisterAny>(&args)
            .await
    }
}

/// `REMOTE_DOMAIN_FSFREEZE_MOUNTPOINTS_MAX`.
const FSFREEZE_MOUNTPOINTS_MAX: u32 = 256;

/// The mount points of `virDomainFSFreeze`/`virDomainFSThaw` for the wire; more than the
/// protocol carries is refused as libvirt's generated client refuses it.
/// `REMOTE_DOMAIN_AUTHORIZED_SSH_KEYS_MAX`.
const AUTHORIZED_SSH_KEYS_MAX: u32 = 2048;

/// The keys of `virDomainAuthorizedSSHKeysSet` for the wire, refused past the protocol's bound
/// in libvirt's words.
fn ssh_key_list(
    keys: &[String],
) -> Result<rvirt_xdr::BoundedVec<rvirt_xdr::RemoteNonnullString, AUTHORIZED_SSH_KEYS_MAX>> {
    if keys.len() > AUTHORIZED_SSH_KEYS_MAX as usize {
        return Err(remote_rpc(
            "remoteDomainAuthorizedSSHKeysSet: returned number of keys exceeds limit".to_string(),
        ));
    }
    list(keys.iter().map(|k| string(k)).collect::<Result<Vec<_>>>()?)
}

fn mountpoint_list<S: AsRef<str>>(
    mountpoints: &[S],
) -> Result<rvirt_xdr::BoundedVec<rvirt_xdr::RemoteNonnullString, FSFREEZE_MOUNTPOINTS_MAX>> {
    crate::wire::string_list("mountpoints", mountpoints)
}

/// Copies of the caller's descriptors for the message to own until they are sent, as libvirt
/// duplicates each one it adds to a message.
fn dup_all(files: &[BorrowedFd<'_>]) -> Result<Vec<OwnedFd>> {
    files
        .iter()
        .map(|fd| {
            fd.try_clone_to_owned().map_err(|e| {
                Error::system(
                    ErrorDomain::RPC,
                    format!("Unable to duplicate FD {}", fd.as_raw_fd()),
                    &e,
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_bounded_as_libvirts_client_bounds_them() {
        let many = vec!["/"; 257];
        let e = mountpoint_list(&many).unwrap_err();
        assert_eq!(
            (e.code, e.domain, e.message.as_str()),
            (
                ErrorNumber::RPC,
                ErrorDomain::REMOTE,
                "mountpoints length greater than maximum: 257 > 256"
            )
        );
        let list = mountpoint_list(&many[..256]).unwrap();
        assert_eq!(list.len(), 256);
        assert!(mountpoint_list::<&str>(&[]).unwrap().is_empty());
    }
}
