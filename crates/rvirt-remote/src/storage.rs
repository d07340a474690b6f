//! Storage pool and volume calls of the remote driver, volume streams, and the storage pool
//! event messages the server sends.

use crate::RemoteDriver;
use crate::events::{Event, Incoming};
use crate::wire::{opt_string, remote_rpc, string};
use rvirt_driver::storage::StoragePoolEventCallback;
use rvirt_driver::{CallbackId, PoolRef, StorageDriver, StoragePoolEvent, StreamBackend, VolRef};
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{Procedure, calls};
use rvirt_types::storage::*;
use rvirt_types::{Result, Uuid};
use rvirt_xdr::{XdrDecode, XdrReader};

/// `REMOTE_STORAGE_POOL_LIST_MAX` and `REMOTE_STORAGE_VOL_LIST_MAX`.
const LIST_MAX: i32 = 16384;

fn nonnull_pool(p: &PoolRef) -> NonnullStoragePool {
    NonnullStoragePool {
        name: rvirt_proto::convert::nonnull(&p.name),
        uuid: *p.uuid.as_bytes(),
    }
}

fn pool_ref(p: NonnullStoragePool) -> PoolRef {
    PoolRef {
        name: p.name.as_str().into(),
        uuid: Uuid::from_bytes(p.uuid),
    }
}

fn nonnull_vol(v: &VolRef) -> NonnullStorageVol {
    NonnullStorageVol {
        pool: rvirt_proto::convert::nonnull(&v.pool),
        name: rvirt_proto::convert::nonnull(&v.name),
        key: rvirt_proto::convert::nonnull(&v.key),
    }
}

fn vol_ref(v: NonnullStorageVol) -> VolRef {
    VolRef {
        pool: v.pool.as_str().into(),
        name: v.name.as_str().into(),
        key: v.key.as_str().into(),
    }
}

/// The names of a legacy list call, with libvirt's client-side bound checks.
fn names(
    function: &str,
    max: i32,
    got: Vec<rvirt_xdr::RemoteNonnullString>,
) -> Result<Vec<String>> {
    if got.len() > usize::try_from(max).unwrap_or(0) {
        return Err(remote_rpc(format!(
            "too many remote strings: {} > {max},in parameter 'names' for '{function}'",
            got.len()
        )));
    }
    Ok(got.into_iter().map(|n| n.into_inner()).collect())
}

fn check_max(function: &str, max: i32) -> Result<()> {
    if max > LIST_MAX {
        return Err(remote_rpc(format!(
            "too many remote strings: {max} > {LIST_MAX},in parameter 'names' for '{function}'"
        )));
    }
    Ok(())
}

fn pool_info(state: u8, capacity: u64, allocation: u64, available: u64) -> StoragePoolInfo {
    StoragePoolInfo {
        state: StoragePoolState(state.into()),
        capacity,
        allocation,
        available,
    }
}

/// The storage pool event a `MESSAGE` of the remote program carries, if it is one.
pub(crate) fn decode_event(p: Procedure, payload: &[u8]) -> Option<Incoming> {
    let mut r = XdrReader::new(payload);
    let (remote_id, event) = match p {
        Procedure::StoragePoolEventLifecycle => {
            let m = StoragePoolEventLifecycleMsg::decode(&mut r).ok()?;
            (
                m.callback_id,
                StoragePoolEvent::Lifecycle {
                    pool: pool_ref(m.pool),
                    event: StoragePoolEventLifecycleType(m.event),
                    detail: m.detail,
                },
            )
        }
        Procedure::StoragePoolEventRefresh => {
            let m = StoragePoolEventRefreshMsg::decode(&mut r).ok()?;
            (
                m.callback_id,
                StoragePoolEvent::Refresh {
                    pool: pool_ref(m.pool),
                },
            )
        }
        other => {
            tracing::debug!(?other, "ignoring an event this driver does not deliver");
            return None;
        }
    };
    Some(Incoming {
        remote_id,
        event: Event::StoragePool(event),
    })
}

impl StorageDriver for RemoteDriver {
    async fn connect_num_of_storage_pools(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfStoragePools>(&())
            .await?
            .num)
    }

    async fn connect_list_storage_pools(&self, max: i32) -> Result<Vec<String>> {
        let f = "virConnectListStoragePools";
        check_max(f, max)?;
        let args = ConnectListStoragePoolsArgs { maxnames: max };
        let r = self
            .client
            .call::<calls::ConnectListStoragePools>(&args)
            .await?;
        names(f, max, r.names.into_inner())
    }

    async fn connect_num_of_defined_storage_pools(&self) -> Result<i32> {
        Ok(self
            .client
            .call::<calls::ConnectNumOfDefinedStoragePools>(&())
            .await?
            .num)
    }

    async fn connect_list_defined_storage_pools(&self, max: i32) -> Result<Vec<String>> {
        let f = "virConnectListDefinedStoragePools";
        check_max(f, max)?;
        let args = ConnectListDefinedStoragePoolsArgs { maxnames: max };
        let r = self
            .client
            .call::<calls::ConnectListDefinedStoragePools>(&args)
            .await?;
        names(f, max, r.names.into_inner())
    }

    async fn connect_list_all_storage_pools(
        &self,
        flags: ConnectListAllStoragePoolsFlags,
    ) -> Result<Vec<PoolRef>> {
        let args = ConnectListAllStoragePoolsArgs {
            need_results: 1,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::ConnectListAllStoragePools>(&args)
            .await?;
        Ok(r.pools.into_inner().into_iter().map(pool_ref).collect())
    }

    async fn connect_find_storage_pool_sources(
        &self,
        pool_type: &str,
        src_spec: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        let args = ConnectFindStoragePoolSourcesArgs {
            r#type: string(pool_type)?,
            src_spec: opt_string(src_spec)?,
            flags,
        };
        let r = self
            .client
            .call::<calls::ConnectFindStoragePoolSources>(&args)
            .await?;
        Ok(r.xml.into_inner())
    }

    async fn storage_pool_lookup_by_name(&self, name: &str) -> Result<PoolRef> {
        let args = StoragePoolLookupByNameArgs {
            name: string(name)?,
        };
        let r = self
            .client
            .call::<calls::StoragePoolLookupByName>(&args)
            .await?;
        Ok(pool_ref(r.pool))
    }

    async fn storage_pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        let args = StoragePoolLookupByUuidArgs {
            uuid: *uuid.as_bytes(),
        };
        let r = self
            .client
            .call::<calls::StoragePoolLookupByUuid>(&args)
            .await?;
        Ok(pool_ref(r.pool))
    }

    async fn storage_pool_lookup_by_volume(&self, vol: &VolRef) -> Result<PoolRef> {
        let args = StoragePoolLookupByVolumeArgs {
            vol: nonnull_vol(vol),
        };
        let r = self
            .client
            .call::<calls::StoragePoolLookupByVolume>(&args)
            .await?;
        Ok(pool_ref(r.pool))
    }

    async fn storage_pool_create_xml(
        &self,
        xml: &str,
        flags: StoragePoolCreateFlags,
    ) -> Result<PoolRef> {
        let args = StoragePoolCreateXmlArgs {
            xml: string(xml)?,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::StoragePoolCreateXml>(&args)
            .await?;
        Ok(pool_ref(r.pool))
    }

    async fn storage_pool_define_xml(
        &self,
        xml: &str,
        flags: StoragePoolDefineFlags,
    ) -> Result<PoolRef> {
        let args = StoragePoolDefineXmlArgs {
            xml: string(xml)?,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::StoragePoolDefineXml>(&args)
            .await?;
        Ok(pool_ref(r.pool))
    }

    async fn storage_pool_build(&self, pool: &PoolRef, flags: StoragePoolBuildFlags) -> Result<()> {
        let args = StoragePoolBuildArgs {
            pool: nonnull_pool(pool),
            flags: flags.bits(),
        };
        self.client.call::<calls::StoragePoolBuild>(&args).await
    }

    async fn storage_pool_undefine(&self, pool: &PoolRef) -> Result<()> {
        let args = StoragePoolUndefineArgs {
            pool: nonnull_pool(pool),
        };
        self.client.call::<calls::StoragePoolUndefine>(&args).await
    }

    async fn storage_pool_create(
        &self,
        pool: &PoolRef,
        flags: StoragePoolCreateFlags,
    ) -> Result<()> {
        let args = StoragePoolCreateArgs {
            pool: nonnull_pool(pool),
            flags: flags.bits(),
        };
        self.client.call::<calls::StoragePoolCreate>(&args).await
    }

    async fn storage_pool_destroy(&self, pool: &PoolRef) -> Result<()> {
        let args = StoragePoolDestroyArgs {
            pool: nonnull_pool(pool),
        };
        self.client.call::<calls::StoragePoolDestroy>(&args).await
    }

    async fn storage_pool_delete(
        &self,
        pool: &PoolRef,
        flags: StoragePoolDeleteFlags,
    ) -> Result<()> {
        let args = StoragePoolDeleteArgs {
            pool: nonnull_pool(pool),
            flags: flags.bits(),
        };
        self.client.call::<calls::StoragePoolDelete>(&args).await
    }

    async fn storage_pool_refresh(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        let args = StoragePoolRefreshArgs {
            pool: nonnull_pool(pool),
            flags,
        };
        self.client.call::<calls::StoragePoolRefresh>(&args).await
    }

    async fn storage_pool_get_info(&self, pool: &PoolRef) -> Result<StoragePoolInfo> {
        let args = StoragePoolGetInfoArgs {
            pool: nonnull_pool(pool),
        };
        let r = self.client.call::<calls::StoragePoolGetInfo>(&args).await?;
        Ok(pool_info(r.state, r.capacity, r.allocation, r.available))
    }

    async fn storage_pool_get_xml_desc(
        &self,
        pool: &PoolRef,
        flags: StorageXMLFlags,
    ) -> Result<String> {
        let args = StoragePoolGetXmlDescArgs {
            pool: nonnull_pool(pool),
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::StoragePoolGetXmlDesc>(&args)
            .await?;
        Ok(r.xml.into_inner())
    }

    async fn storage_pool_get_autostart(&self, pool: &PoolRef) -> Result<bool> {
        let args = StoragePoolGetAutostartArgs {
            pool: nonnull_pool(pool),
        };
        let r = self
            .client
            .call::<calls::StoragePoolGetAutostart>(&args)
            .await?;
        Ok(r.autostart != 0)
    }

    async fn storage_pool_set_autostart(&self, pool: &PoolRef, autostart: bool) -> Result<()> {
        let args = StoragePoolSetAutostartArgs {
            pool: nonnull_pool(pool),
            autostart: autostart.into(),
        };
        self.client
            .call::<calls::StoragePoolSetAutostart>(&args)
            .await
    }

    async fn storage_pool_num_of_volumes(&self, pool: &PoolRef) -> Result<i32> {
        let args = StoragePoolNumOfVolumesArgs {
            pool: nonnull_pool(pool),
        };
        Ok(self
            .client
            .call::<calls::StoragePoolNumOfVolumes>(&args)
            .await?
            .num)
    }

    async fn storage_pool_list_volumes(&self, pool: &PoolRef, max: i32) -> Result<Vec<String>> {
        let f = "virStoragePoolListVolumes";
        check_max(f, max)?;
        let args = StoragePoolListVolumesArgs {
            pool: nonnull_pool(pool),
            maxnames: max,
        };
        let r = self
            .client
            .call::<calls::StoragePoolListVolumes>(&args)
            .await?;
        names(f, max, r.names.into_inner())
    }

    async fn storage_pool_list_all_volumes(
        &self,
        pool: &PoolRef,
        flags: u32,
    ) -> Result<Vec<VolRef>> {
        let args = StoragePoolListAllVolumesArgs {
            pool: nonnull_pool(pool),
            need_results: 1,
            flags,
        };
        let r = self
            .client
            .call::<calls::StoragePoolListAllVolumes>(&args)
            .await?;
        Ok(r.vols.into_inner().into_iter().map(vol_ref).collect())
    }

    async fn storage_pool_is_active(&self, pool: &PoolRef) -> Result<bool> {
        let args = StoragePoolIsActiveArgs {
            pool: nonnull_pool(pool),
        };
        let r = self
            .client
            .call::<calls::StoragePoolIsActive>(&args)
            .await?;
        Ok(r.active != 0)
    }

    async fn storage_pool_is_persistent(&self, pool: &PoolRef) -> Result<bool> {
        let args = StoragePoolIsPersistentArgs {
            pool: nonnull_pool(pool),
        };
        let r = self
            .client
            .call::<calls::StoragePoolIsPersistent>(&args)
            .await?;
        Ok(r.persistent != 0)
    }

    async fn storage_vol_lookup_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        let args = StorageVolLookupByNameArgs {
            pool: nonnull_pool(pool),
            name: string(name)?,
        };
        let r = self
            .client
            .call::<calls::StorageVolLookupByName>(&args)
            .await?;
        Ok(vol_ref(r.vol))
    }

    async fn storage_vol_lookup_by_key(&self, key: &str) -> Result<VolRef> {
        let args = StorageVolLookupByKeyArgs { key: string(key)? };
        let r = self
            .client
            .call::<calls::StorageVolLookupByKey>(&args)
            .await?;
        Ok(vol_ref(r.vol))
    }

    async fn storage_vol_lookup_by_path(&self, path: &str) -> Result<VolRef> {
        let args = StorageVolLookupByPathArgs {
            path: string(path)?,
        };
        let r = self
            .client
            .call::<calls::StorageVolLookupByPath>(&args)
            .await?;
        Ok(vol_ref(r.vol))
    }

    async fn storage_vol_create_xml(
        &self,
        pool: &PoolRef,
        xml: &str,
        flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        let args = StorageVolCreateXmlArgs {
            pool: nonnull_pool(pool),
            xml: string(xml)?,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::StorageVolCreateXml>(&args)
            .await?;
        Ok(vol_ref(r.vol))
    }

    async fn storage_vol_create_xml_from(
        &self,
        pool: &PoolRef,
        xml: &str,
        clone: &VolRef,
        flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        let args = StorageVolCreateXmlFromArgs {
            pool: nonnull_pool(pool),
            xml: string(xml)?,
            clonevol: nonnull_vol(clone),
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::StorageVolCreateXmlFrom>(&args)
            .await?;
        Ok(vol_ref(r.vol))
    }

    async fn storage_vol_delete(&self, vol: &VolRef, flags: StorageVolDeleteFlags) -> Result<()> {
        let args = StorageVolDeleteArgs {
            vol: nonnull_vol(vol),
            flags: flags.bits(),
        };
        self.client.call::<calls::StorageVolDelete>(&args).await
    }

    async fn storage_vol_wipe(&self, vol: &VolRef, flags: u32) -> Result<()> {
        let args = StorageVolWipeArgs {
            vol: nonnull_vol(vol),
            flags,
        };
        self.client.call::<calls::StorageVolWipe>(&args).await
    }

    async fn storage_vol_wipe_pattern(
        &self,
        vol: &VolRef,
        algorithm: StorageVolWipeAlgorithm,
        flags: u32,
    ) -> Result<()> {
        let args = StorageVolWipePatternArgs {
            vol: nonnull_vol(vol),
            algorithm: algorithm.0 as u32,
            flags,
        };
        self.client
            .call::<calls::StorageVolWipePattern>(&args)
            .await
    }

    async fn storage_vol_resize(
        &self,
        vol: &VolRef,
        capacity: u64,
        flags: StorageVolResizeFlags,
    ) -> Result<()> {
        let args = StorageVolResizeArgs {
            vol: nonnull_vol(vol),
            capacity,
            flags: flags.bits(),
        };
        self.client.call::<calls::StorageVolResize>(&args).await
    }

    async fn storage_vol_get_info(&self, vol: &VolRef) -> Result<StorageVolInfo> {
        let args = StorageVolGetInfoArgs {
            vol: nonnull_vol(vol),
        };
        let r = self.client.call::<calls::StorageVolGetInfo>(&args).await?;
        Ok(StorageVolInfo {
            vol_type: StorageVolType(r.r#type.into()),
            capacity: r.capacity,
            allocation: r.allocation,
        })
    }

    async fn storage_vol_get_info_flags(
        &self,
        vol: &VolRef,
        flags: StorageVolInfoFlags,
    ) -> Result<StorageVolInfo> {
        let args = StorageVolGetInfoFlagsArgs {
            vol: nonnull_vol(vol),
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::StorageVolGetInfoFlags>(&args)
            .await?;
        Ok(StorageVolInfo {
            vol_type: StorageVolType(r.r#type.into()),
            capacity: r.capacity,
            allocation: r.allocation,
        })
    }

    async fn storage_vol_get_xml_desc(&self, vol: &VolRef, flags: u32) -> Result<String> {
        let args = StorageVolGetXmlDescArgs {
            vol: nonnull_vol(vol),
            flags,
        };
        let r = self
            .client
            .call::<calls::StorageVolGetXmlDesc>(&args)
            .await?;
        Ok(r.xml.into_inner())
    }

    async fn storage_vol_get_path(&self, vol: &VolRef) -> Result<String> {
        let args = StorageVolGetPathArgs {
            vol: nonnull_vol(vol),
        };
        let r = self.client.call::<calls::StorageVolGetPath>(&args).await?;
        Ok(r.name.into_inner())
    }

    async fn storage_vol_download(
        &self,
        vol: &VolRef,
        offset: u64,
        length: u64,
        flags: StorageVolStreamFlags,
    ) -> Result<Box<dyn StreamBackend>> {
        let args = StorageVolDownloadArgs {
            vol: nonnull_vol(vol),
            offset,
            length,
            flags: flags.bits(),
        };
        let ((), stream) = self
            .client
            .call_with_stream::<calls::StorageVolDownload>(&args)
            .await?;
        Ok(Box::new(stream))
    }

    async fn storage_vol_upload(
        &self,
        vol: &VolRef,
        offset: u64,
        length: u64,
        flags: StorageVolStreamFlags,
    ) -> Result<Box<dyn StreamBackend>> {
        let args = StorageVolUploadArgs {
            vol: nonnull_vol(vol),
            offset,
            length,
            flags: flags.bits(),
        };
        let ((), stream) = self
            .client
            .call_with_stream::<calls::StorageVolUpload>(&args)
            .await?;
        Ok(Box::new(stream))
    }

    async fn connect_storage_pool_event_register_any(
        &self,
        pool: Option<&PoolRef>,
        event_id: StoragePoolEventID,
        cb: StoragePoolEventCallback,
    ) -> Result<CallbackId> {
        let args = ConnectStoragePoolEventRegisterAnyArgs {
            event_id: event_id.0,
            pool: pool.map(nonnull_pool),
        };
        let r = self
            .client
            .call::<calls::ConnectStoragePoolEventRegisterAny>(&args)
            .await?;
        Ok(self.events.add(r.callback_id, cb))
    }

    async fn connect_storage_pool_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        let remote_id = self.events.remove(id)?;
        let args = ConnectStoragePoolEventDeregisterAnyArgs {
            callback_id: remote_id,
        };
        self.client
            .call::<calls::ConnectStoragePoolEventDeregisterAny>(&args)
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_pool_events() {
        let msg = StoragePoolEventRefreshMsg {
            callback_id: 4,
            pool: NonnullStoragePool {
                name: "p".try_into().unwrap(),
                uuid: [2; 16],
            },
        };
        let bytes = rvirt_xdr::to_bytes(&msg);
        let inc = decode_event(Procedure::StoragePoolEventRefresh, &bytes).unwrap();
        assert_eq!(inc.remote_id, 4);
        match inc.event {
            Event::StoragePool(StoragePoolEvent::Refresh { pool }) => assert_eq!(&*pool.name, "p"),
            other => panic!("{other:?}"),
        }
        assert!(decode_event(Procedure::StoragePoolEventRefresh, &bytes[..6]).is_none());
        assert!(decode_event(Procedure::NetworkEventLifecycle, &bytes).is_none());
    }

    #[test]
    fn list_replies_larger_than_asked_are_refused() {
        let got = vec!["a".try_into().unwrap(), "b".try_into().unwrap()];
        let e = names("virStoragePoolListVolumes", 1, got).unwrap_err();
        assert!(
            e.message.contains("too many remote strings: 2 > 1"),
            "{}",
            e.message
        );
    }
}
