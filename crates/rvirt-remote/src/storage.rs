//! Storage pool and volume calls of the remote driver, volume streams, and the storage pool
//! event messages the server sends.

use crate::RemoteDriver;
use crate::events::{Event, Incoming};
use crate::wire::{one_call_methods, opt_string, remote_rpc, string};
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

    one_call_methods! {
        fn connect_list_all_storage_pools(flags: ConnectListAllStoragePoolsFlags) -> Vec<PoolRef>
            = ConnectListAllStoragePools(ConnectListAllStoragePoolsArgs {
                need_results: 1,
                flags: flags.bits(),
            }) => |r| r.pools.into_inner().into_iter().map(pool_ref).collect();
        fn connect_find_storage_pool_sources(pool_type: &str, src_spec: Option<&str>, flags: u32) -> String
            = ConnectFindStoragePoolSources(ConnectFindStoragePoolSourcesArgs {
                r#type: string(pool_type)?,
                src_spec: opt_string(src_spec)?,
                flags,
            }) => |r| r.xml.into_inner();
        fn storage_pool_lookup_by_name(name: &str) -> PoolRef
            = StoragePoolLookupByName(StoragePoolLookupByNameArgs {
                name: string(name)?,
            }) => |r| pool_ref(r.pool);
        fn storage_pool_lookup_by_uuid(uuid: &Uuid) -> PoolRef
            = StoragePoolLookupByUuid(StoragePoolLookupByUuidArgs {
                uuid: *uuid.as_bytes(),
            }) => |r| pool_ref(r.pool);
        fn storage_pool_lookup_by_volume(vol: &VolRef) -> PoolRef
            = StoragePoolLookupByVolume(StoragePoolLookupByVolumeArgs {
                vol: nonnull_vol(vol),
            }) => |r| pool_ref(r.pool);
        fn storage_pool_create_xml(xml: &str, flags: StoragePoolCreateFlags) -> PoolRef
            = StoragePoolCreateXml(StoragePoolCreateXmlArgs {
                xml: string(xml)?,
                flags: flags.bits(),
            }) => |r| pool_ref(r.pool);
        fn storage_pool_define_xml(xml: &str, flags: StoragePoolDefineFlags) -> PoolRef
            = StoragePoolDefineXml(StoragePoolDefineXmlArgs {
                xml: string(xml)?,
                flags: flags.bits(),
            }) => |r| pool_ref(r.pool);
        fn storage_pool_build(pool: &PoolRef, flags: StoragePoolBuildFlags) -> ()
            = StoragePoolBuild(StoragePoolBuildArgs {
                pool: nonnull_pool(pool),
                flags: flags.bits(),
            });
        fn storage_pool_undefine(pool: &PoolRef) -> ()
            = StoragePoolUndefine(StoragePoolUndefineArgs { pool: nonnull_pool(pool) });
        fn storage_pool_create(pool: &PoolRef, flags: StoragePoolCreateFlags) -> ()
            = StoragePoolCreate(StoragePoolCreateArgs {
                pool: nonnull_pool(pool),
                flags: flags.bits(),
            });
        fn storage_pool_destroy(pool: &PoolRef) -> ()
            = StoragePoolDestroy(StoragePoolDestroyArgs { pool: nonnull_pool(pool) });
        fn storage_pool_delete(pool: &PoolRef, flags: StoragePoolDeleteFlags) -> ()
            = StoragePoolDelete(StoragePoolDeleteArgs {
                pool: nonnull_pool(pool),
                flags: flags.bits(),
            });
        fn storage_pool_refresh(pool: &PoolRef, flags: u32) -> ()
            = StoragePoolRefresh(StoragePoolRefreshArgs { pool: nonnull_pool(pool), flags });
        fn storage_pool_get_info(pool: &PoolRef) -> StoragePoolInfo
            = StoragePoolGetInfo(StoragePoolGetInfoArgs {
                pool: nonnull_pool(pool),
            }) => |r| pool_info(r.state, r.capacity, r.allocation, r.available);
        fn storage_pool_get_xml_desc(pool: &PoolRef, flags: StorageXMLFlags) -> String
            = StoragePoolGetXmlDesc(StoragePoolGetXmlDescArgs {
                pool: nonnull_pool(pool),
                flags: flags.bits(),
            }) => |r| r.xml.into_inner();
        fn storage_pool_get_autostart(pool: &PoolRef) -> bool
            = StoragePoolGetAutostart(StoragePoolGetAutostartArgs {
                pool: nonnull_pool(pool),
            }) => |r| r.autostart != 0;
        fn storage_pool_set_autostart(pool: &PoolRef, autostart: bool) -> ()
            = StoragePoolSetAutostart(StoragePoolSetAutostartArgs {
                pool: nonnull_pool(pool),
                autostart: autostart.into(),
            });
        fn storage_pool_num_of_volumes(pool: &PoolRef) -> i32
            = StoragePoolNumOfVolumes(StoragePoolNumOfVolumesArgs {
                pool: nonnull_pool(pool),
            }) => |r| r.num;
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

    one_call_methods! {
        fn storage_pool_list_all_volumes(pool: &PoolRef, flags: u32) -> Vec<VolRef>
            = StoragePoolListAllVolumes(StoragePoolListAllVolumesArgs {
                pool: nonnull_pool(pool),
                need_results: 1,
                flags,
            }) => |r| r.vols.into_inner().into_iter().map(vol_ref).collect();
        fn storage_pool_is_active(pool: &PoolRef) -> bool
            = StoragePoolIsActive(StoragePoolIsActiveArgs {
                pool: nonnull_pool(pool),
            }) => |r| r.active != 0;
        fn storage_pool_is_persistent(pool: &PoolRef) -> bool
            = StoragePoolIsPersistent(StoragePoolIsPersistentArgs {
                pool: nonnull_pool(pool),
            }) => |r| r.persistent != 0;
        fn storage_vol_lookup_by_name(pool: &PoolRef, name: &str) -> VolRef
            = StorageVolLookupByName(StorageVolLookupByNameArgs {
                pool: nonnull_pool(pool),
                name: string(name)?,
            }) => |r| vol_ref(r.vol);
        fn storage_vol_lookup_by_key(key: &str) -> VolRef
            = StorageVolLookupByKey(StorageVolLookupByKeyArgs {
                key: string(key)?,
            }) => |r| vol_ref(r.vol);
        fn storage_vol_lookup_by_path(path: &str) -> VolRef
            = StorageVolLookupByPath(StorageVolLookupByPathArgs {
                path: string(path)?,
            }) => |r| vol_ref(r.vol);
        fn storage_vol_create_xml(pool: &PoolRef, xml: &str, flags: StorageVolCreateFlags) -> VolRef
            = StorageVolCreateXml(StorageVolCreateXmlArgs {
                pool: nonnull_pool(pool),
                xml: string(xml)?,
                flags: flags.bits(),
            }) => |r| vol_ref(r.vol);
        fn storage_vol_create_xml_from(pool: &PoolRef, xml: &str, clone: &VolRef, flags: StorageVolCreateFlags) -> VolRef
            = StorageVolCreateXmlFrom(StorageVolCreateXmlFromArgs {
                pool: nonnull_pool(pool),
                xml: string(xml)?,
                clonevol: nonnull_vol(clone),
                flags: flags.bits(),
            }) => |r| vol_ref(r.vol);
        fn storage_vol_delete(vol: &VolRef, flags: StorageVolDeleteFlags) -> ()
            = StorageVolDelete(StorageVolDeleteArgs { vol: nonnull_vol(vol), flags: flags.bits() });
        fn storage_vol_wipe(vol: &VolRef, flags: u32) -> ()
            = StorageVolWipe(StorageVolWipeArgs { vol: nonnull_vol(vol), flags });
        fn storage_vol_wipe_pattern(vol: &VolRef, algorithm: StorageVolWipeAlgorithm, flags: u32) -> ()
            = StorageVolWipePattern(StorageVolWipePatternArgs {
                vol: nonnull_vol(vol),
                algorithm: algorithm.0 as u32,
                flags,
            });
        fn storage_vol_resize(vol: &VolRef, capacity: u64, flags: StorageVolResizeFlags) -> ()
            = StorageVolResize(StorageVolResizeArgs {
                vol: nonnull_vol(vol),
                capacity,
                flags: flags.bits(),
            });
        fn storage_vol_get_info(vol: &VolRef) -> StorageVolInfo
            = StorageVolGetInfo(StorageVolGetInfoArgs {
                vol: nonnull_vol(vol),
            }) => |r| StorageVolInfo { vol_type: StorageVolType(r.r#type.into()), capacity: r.capacity, allocation: r.allocation, };
        fn storage_vol_get_info_flags(vol: &VolRef, flags: StorageVolInfoFlags) -> StorageVolInfo
            = StorageVolGetInfoFlags(StorageVolGetInfoFlagsArgs {
                vol: nonnull_vol(vol),
                flags: flags.bits(),
            }) => |r| StorageVolInfo { vol_type: StorageVolType(r.r#type.into()), capacity: r.capacity, allocation: r.allocation, };
        fn storage_vol_get_xml_desc(vol: &VolRef, flags: u32) -> String
            = StorageVolGetXmlDesc(StorageVolGetXmlDescArgs {
                vol: nonnull_vol(vol),
                flags,
            }) => |r| r.xml.into_inner();
        fn storage_vol_get_path(vol: &VolRef) -> String
            = StorageVolGetPath(StorageVolGetPathArgs {
                vol: nonnull_vol(vol),
            }) => |r| r.name.into_inner();
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
