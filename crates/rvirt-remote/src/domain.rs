//! Domain calls. Where libvirt has a procedure without flags and a `…Flags` one, a call without
//! flags takes the first, as libvirt's own client does when called without them.

use crate::RemoteDriver;
use crate::wire::{domain_ref, list, nonnull_domain, opt_string, remote_rpc, string};
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
/// `REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX`.
const CPU_STATS_NCPUS_MAX: u32 = 128;

impl DomainDriver for RemoteDriver {
    async fn connect_list_all_domains(
        &self,
        flags: ConnectListAllDomainsFlags,
    ) -> Result<Vec<DomainRef>> {
        let args = ConnectListAllDomainsArgs {
            need_results: 1,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::ConnectListAllDomains>(&args)
            .await?;
        Ok(r.domains.into_inner().into_iter().map(domain_ref).collect())
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

    async fn domain_lookup_by_name(&self, name: &str) -> Result<DomainRef> {
        let args = DomainLookupByNameArgs {
            name: string(name)?,
        };
        let r = self.client.call::<calls::DomainLookupByName>(&args).await?;
        Ok(domain_ref(r.dom))
    }

    async fn domain_lookup_by_uuid(&self, uuid: &rvirt_types::Uuid) -> Result<DomainRef> {
        let args = DomainLookupByUuidArgs {
            uuid: *uuid.as_bytes(),
        };
        let r = self.client.call::<calls::DomainLookupByUuid>(&args).await?;
        Ok(domain_ref(r.dom))
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

    async fn domain_reboot(&self, dom: &DomainRef, flags: DomainRebootFlags) -> Result<()> {
        let args = DomainRebootArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainReboot>(&args).await
    }

    async fn domain_reset(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let args = DomainResetArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        self.client.call::<calls::DomainReset>(&args).await
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

    async fn domain_suspend(&self, dom: &DomainRef) -> Result<()> {
        let args = DomainSuspendArgs {
            dom: nonnull_domain(dom),
        };
        self.client.call::<calls::DomainSuspend>(&args).await
    }

    async fn domain_resume(&self, dom: &DomainRef) -> Result<()> {
        let args = DomainResumeArgs {
            dom: nonnull_domain(dom),
        };
        self.client.call::<calls::DomainResume>(&args).await
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

    async fn domain_save_image_get_xml_desc(
        &self,
        path: &str,
        flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        let args = DomainSaveImageGetXmlDescArgs {
            file: string(path)?,
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainSaveImageGetXmlDesc>(&args)
            .await?
            .xml
            .into_inner())
    }

    async fn domain_save_image_define_xml(
        &self,
        path: &str,
        dxml: &str,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let args = DomainSaveImageDefineXmlArgs {
            file: string(path)?,
            dxml: string(dxml)?,
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainSaveImageDefineXml>(&args)
            .await
    }

    async fn domain_managed_save(
        &self,
        dom: &DomainRef,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let args = DomainManagedSaveArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainManagedSave>(&args).await
    }

    async fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        let args = DomainHasManagedSaveImageArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainHasManagedSaveImage>(&args)
            .await?;
        Ok(r.result != 0)
    }

    async fn domain_managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let args = DomainManagedSaveRemoveArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        self.client
            .call::<calls::DomainManagedSaveRemove>(&args)
            .await
    }

    async fn domain_managed_save_get_xml_desc(
        &self,
        dom: &DomainRef,
        flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        let args = DomainManagedSaveGetXmlDescArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainManagedSaveGetXmlDesc>(&args)
            .await?
            .xml
            .into_inner())
    }

    async fn domain_attach_device(&self, dom: &DomainRef, xml: &str) -> Result<()> {
        let args = DomainAttachDeviceArgs {
            dom: nonnull_domain(dom),
            xml: string(xml)?,
        };
        self.client.call::<calls::DomainAttachDevice>(&args).await
    }

    async fn domain_attach_device_flags(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        let args = DomainAttachDeviceFlagsArgs {
            dom: nonnull_domain(dom),
            xml: string(xml)?,
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainAttachDeviceFlags>(&args)
            .await
    }

    async fn domain_detach_device(&self, dom: &DomainRef, xml: &str) -> Result<()> {
        let args = DomainDetachDeviceArgs {
            dom: nonnull_domain(dom),
            xml: string(xml)?,
        };
        self.client.call::<calls::DomainDetachDevice>(&args).await
    }

    async fn domain_detach_device_flags(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        let args = DomainDetachDeviceFlagsArgs {
            dom: nonnull_domain(dom),
            xml: string(xml)?,
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainDetachDeviceFlags>(&args)
            .await
    }

    async fn domain_update_device_flags(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        let args = DomainUpdateDeviceFlagsArgs {
            dom: nonnull_domain(dom),
            xml: string(xml)?,
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainUpdateDeviceFlags>(&args)
            .await
    }

    async fn domain_detach_device_alias(
        &self,
        dom: &DomainRef,
        alias: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        let args = DomainDetachDeviceAliasArgs {
            dom: nonnull_domain(dom),
            alias: string(alias)?,
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainDetachDeviceAlias>(&args)
            .await
    }

    async fn domain_get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        let args = DomainGetAutostartArgs {
            dom: nonnull_domain(dom),
        };
        let r = self.client.call::<calls::DomainGetAutostart>(&args).await?;
        Ok(r.autostart != 0)
    }

    async fn domain_set_autostart(&self, dom: &DomainRef, autostart: bool) -> Result<()> {
        let args = DomainSetAutostartArgs {
            dom: nonnull_domain(dom),
            autostart: i32::from(autostart),
        };
        self.client.call::<calls::DomainSetAutostart>(&args).await
    }

    async fn domain_set_memory(
        &self,
        dom: &DomainRef,
        kib: u64,
        flags: DomainMemoryModFlags,
    ) -> Result<()> {
        let args = DomainSetMemoryFlagsArgs {
            dom: nonnull_domain(dom),
            memory: kib,
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainSetMemoryFlags>(&args).await
    }

    async fn domain_set_memory_stats_period(
        &self,
        dom: &DomainRef,
        period: i32,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        let args = DomainSetMemoryStatsPeriodArgs {
            dom: nonnull_domain(dom),
            period,
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainSetMemoryStatsPeriod>(&args)
            .await
    }

    async fn domain_set_max_memory(&self, dom: &DomainRef, kib: u64) -> Result<()> {
        let args = DomainSetMaxMemoryArgs {
            dom: nonnull_domain(dom),
            memory: kib,
        };
        self.client.call::<calls::DomainSetMaxMemory>(&args).await
    }

    async fn domain_set_vcpus(
        &self,
        dom: &DomainRef,
        n: u32,
        flags: DomainVcpuFlags,
    ) -> Result<()> {
        let args = DomainSetVcpusFlagsArgs {
            dom: nonnull_domain(dom),
            nvcpus: n,
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainSetVcpusFlags>(&args).await
    }

    async fn domain_get_vcpus_flags(&self, dom: &DomainRef, flags: DomainVcpuFlags) -> Result<i32> {
        let args = DomainGetVcpusFlagsArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainGetVcpusFlags>(&args)
            .await?
            .num)
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

    async fn domain_set_metadata(
        &self,
        dom: &DomainRef,
        kind: DomainMetadataType,
        metadata: Option<&str>,
        key: Option<&str>,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        let args = DomainSetMetadataArgs {
            dom: nonnull_domain(dom),
            r#type: kind.0,
            metadata: opt_string(metadata)?,
            key: opt_string(key)?,
            uri: opt_string(uri)?,
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainSetMetadata>(&args).await
    }

    async fn domain_get_metadata(
        &self,
        dom: &DomainRef,
        kind: DomainMetadataType,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<String> {
        let args = DomainGetMetadataArgs {
            dom: nonnull_domain(dom),
            r#type: kind.0,
            uri: opt_string(uri)?,
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainGetMetadata>(&args)
            .await?
            .metadata
            .into_inner())
    }

    async fn domain_get_info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        let args = DomainGetInfoArgs {
            dom: nonnull_domain(dom),
        };
        Ok(self
            .client
            .call::<calls::DomainGetInfo>(&args)
            .await?
            .into())
    }

    async fn domain_get_state(&self, dom: &DomainRef, flags: u32) -> Result<(DomainState, i32)> {
        let args = DomainGetStateArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        let r = self.client.call::<calls::DomainGetState>(&args).await?;
        Ok((DomainState(r.state), r.reason))
    }

    async fn domain_get_xml_desc(&self, dom: &DomainRef, flags: DomainXMLFlags) -> Result<String> {
        let args = DomainGetXmlDescArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainGetXmlDesc>(&args)
            .await?
            .xml
            .into_inner())
    }

    async fn domain_is_active(&self, dom: &DomainRef) -> Result<bool> {
        let args = DomainIsActiveArgs {
            dom: nonnull_domain(dom),
        };
        Ok(self
            .client
            .call::<calls::DomainIsActive>(&args)
            .await?
            .active
            != 0)
    }

    async fn domain_is_persistent(&self, dom: &DomainRef) -> Result<bool> {
        let args = DomainIsPersistentArgs {
            dom: nonnull_domain(dom),
        };
        let r = self.client.call::<calls::DomainIsPersistent>(&args).await?;
        Ok(r.persistent != 0)
    }

    async fn domain_is_updated(&self, dom: &DomainRef) -> Result<bool> {
        let args = DomainIsUpdatedArgs {
            dom: nonnull_domain(dom),
        };
        Ok(self
            .client
            .call::<calls::DomainIsUpdated>(&args)
            .await?
            .updated
            != 0)
    }

    async fn domain_get_os_type(&self, dom: &DomainRef) -> Result<String> {
        let args = DomainGetOsTypeArgs {
            dom: nonnull_domain(dom),
        };
        Ok(self
            .client
            .call::<calls::DomainGetOsType>(&args)
            .await?
            .r#type
            .into_inner())
    }

    async fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        let args = DomainGetMaxMemoryArgs {
            dom: nonnull_domain(dom),
        };
        Ok(self
            .client
            .call::<calls::DomainGetMaxMemory>(&args)
            .await?
            .memory)
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

    async fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        let args = DomainGetMaxVcpusArgs {
            dom: nonnull_domain(dom),
        };
        Ok(self
            .client
            .call::<calls::DomainGetMaxVcpus>(&args)
            .await?
            .num)
    }

    async fn domain_get_hostname(
        &self,
        dom: &DomainRef,
        flags: DomainGetHostnameFlags,
    ) -> Result<String> {
        let args = DomainGetHostnameArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainGetHostname>(&args)
            .await?
            .hostname
            .into_inner())
    }

    async fn domain_get_time(&self, dom: &DomainRef, flags: u32) -> Result<DomainTime> {
        let args = DomainGetTimeArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        Ok(self
            .client
            .call::<calls::DomainGetTime>(&args)
            .await?
            .into())
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

    async fn domain_get_job_info(&self, dom: &DomainRef) -> Result<DomainJobInfo> {
        let args = DomainGetJobInfoArgs {
            dom: nonnull_domain(dom),
        };
        Ok(self
            .client
            .call::<calls::DomainGetJobInfo>(&args)
            .await?
            .into())
    }

    async fn domain_get_job_stats(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<(i32, Vec<TypedParam>)> {
        let args = DomainGetJobStatsArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        let r = self.client.call::<calls::DomainGetJobStats>(&args).await?;
        Ok((
            r.r#type,
            r.params
                .into_inner()
                .into_iter()
                .map(typed_param_from_wire)
                .collect(),
        ))
    }

    async fn domain_abort_job(&self, dom: &DomainRef) -> Result<()> {
        let args = DomainAbortJobArgs {
            dom: nonnull_domain(dom),
        };
        self.client.call::<calls::DomainAbortJob>(&args).await
    }

    async fn domain_abort_job_flags(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        let args = DomainAbortJobFlagsArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        self.client.call::<calls::DomainAbortJobFlags>(&args).await
    }

    async fn domain_block_commit(
        &self,
        dom: &DomainRef,
        disk: &str,
        base: Option<&str>,
        top: Option<&str>,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        let args = DomainBlockCommitArgs {
            dom: nonnull_domain(dom),
            disk: string(disk)?,
            base: opt_string(base)?,
            top: opt_string(top)?,
            bandwidth,
            flags,
        };
        self.client.call::<calls::DomainBlockCommit>(&args).await
    }

    async fn domain_block_pull(
        &self,
        dom: &DomainRef,
        disk: &str,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        let args = DomainBlockPullArgs {
            dom: nonnull_domain(dom),
            path: string(disk)?,
            bandwidth,
            flags,
        };
        self.client.call::<calls::DomainBlockPull>(&args).await
    }

    async fn domain_block_rebase(
        &self,
        dom: &DomainRef,
        disk: &str,
        base: Option<&str>,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        let args = DomainBlockRebaseArgs {
            dom: nonnull_domain(dom),
            path: string(disk)?,
            base: opt_string(base)?,
            bandwidth,
            flags,
        };
        self.client.call::<calls::DomainBlockRebase>(&args).await
    }

    async fn domain_get_block_job_info(
        &self,
        dom: &DomainRef,
        disk: &str,
        flags: u32,
    ) -> Result<Option<DomainBlockJobInfo>> {
        let args = DomainGetBlockJobInfoArgs {
            dom: nonnull_domain(dom),
            path: string(disk)?,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetBlockJobInfo>(&args)
            .await?;
        Ok((r.found != 0).then_some(DomainBlockJobInfo {
            job_type: r.r#type,
            bandwidth: r.bandwidth,
            cur: r.cur,
            end: r.end,
        }))
    }

    async fn domain_block_job_abort(&self, dom: &DomainRef, disk: &str, flags: u32) -> Result<()> {
        let args = DomainBlockJobAbortArgs {
            dom: nonnull_domain(dom),
            path: string(disk)?,
            flags,
        };
        self.client.call::<calls::DomainBlockJobAbort>(&args).await
    }

    async fn domain_block_job_set_speed(
        &self,
        dom: &DomainRef,
        disk: &str,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        let args = DomainBlockJobSetSpeedArgs {
            dom: nonnull_domain(dom),
            path: string(disk)?,
            bandwidth,
            flags,
        };
        self.client
            .call::<calls::DomainBlockJobSetSpeed>(&args)
            .await
    }

    async fn domain_block_stats(&self, dom: &DomainRef, disk: &str) -> Result<DomainBlockStats> {
        let args = DomainBlockStatsArgs {
            dom: nonnull_domain(dom),
            path: string(disk)?,
        };
        Ok(self
            .client
            .call::<calls::DomainBlockStats>(&args)
            .await?
            .into())
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

    async fn domain_interface_stats(
        &self,
        dom: &DomainRef,
        device: &str,
    ) -> Result<DomainInterfaceStats> {
        let args = DomainInterfaceStatsArgs {
            dom: nonnull_domain(dom),
            device: string(device)?,
        };
        Ok(self
            .client
            .call::<calls::DomainInterfaceStats>(&args)
            .await?
            .into())
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

    async fn domain_interface_addresses(
        &self,
        dom: &DomainRef,
        source: DomainInterfaceAddressesSource,
        flags: u32,
    ) -> Result<Vec<rvirt_types::records::DomainInterface>> {
        let args = DomainInterfaceAddressesArgs {
            dom: nonnull_domain(dom),
            source: source.0 as u32,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainInterfaceAddresses>(&args)
            .await?;
        Ok(r.ifaces.into_inner().into_iter().map(Into::into).collect())
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
