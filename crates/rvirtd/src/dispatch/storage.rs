//! Storage pool and volume procedures, their streams (volume upload and download) and storage
//! pool events.

use crate::session::Session;
use rvirt::storage_flags::*;
use rvirt::{Connect, Result, StoragePool, StoragePoolEvent, StorageVol, Uuid};
use rvirt_proto::StreamDirection;
use rvirt_proto::convert::{bounded, nonnull};
use rvirt_proto::remote::types::*;
use rvirt_proto::remote::{Procedure, event_header};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

fn pool(s: &Session, w: &NonnullStoragePool) -> Result<StoragePool> {
    Ok(s.conn()?
        .storage_pool_handle(w.name.as_str(), Uuid::from_bytes(w.uuid)))
}

fn vol(s: &Session, w: &NonnullStorageVol) -> Result<StorageVol> {
    Ok(s.conn()?
        .storage_vol_handle(w.pool.as_str(), w.name.as_str(), w.key.as_str()))
}

/// A pool reference for the client.
fn wire_pool(p: &StoragePool) -> NonnullStoragePool {
    NonnullStoragePool {
        name: nonnull(p.get_name()),
        uuid: *p.get_uuid().as_bytes(),
    }
}

/// A volume reference for the client.
fn wire_vol(v: &StorageVol) -> NonnullStorageVol {
    NonnullStorageVol {
        pool: nonnull(v.pool_name()),
        name: nonnull(v.get_name()),
        key: nonnull(v.get_key()),
    }
}

fn names(v: Vec<String>) -> rvirt_xdr::BoundedVec<rvirt_xdr::RemoteNonnullString, 16384> {
    bounded(v.iter().map(|n| nonnull(n)))
}

/// libvirtd refuses name lists larger than the protocol carries before asking the driver.
fn check_max(max: i32) -> Result<()> {
    if max > 16384 {
        return Err(super::internal("maxnames > REMOTE_STORAGE_POOL_LIST_MAX"));
    }
    Ok(())
}

pub async fn num_of_pools(s: Arc<Session>, _a: ()) -> Result<ConnectNumOfStoragePoolsRet> {
    Ok(ConnectNumOfStoragePoolsRet {
        num: s.conn()?.num_of_storage_pools().await?,
    })
}

pub async fn list_pools(
    s: Arc<Session>,
    a: ConnectListStoragePoolsArgs,
) -> Result<ConnectListStoragePoolsRet> {
    check_max(a.maxnames)?;
    Ok(ConnectListStoragePoolsRet {
        names: names(s.conn()?.list_storage_pools(a.maxnames).await?),
    })
}

pub async fn num_of_defined_pools(
    s: Arc<Session>,
    _a: (),
) -> Result<ConnectNumOfDefinedStoragePoolsRet> {
    Ok(ConnectNumOfDefinedStoragePoolsRet {
        num: s.conn()?.num_of_defined_storage_pools().await?,
    })
}

pub async fn list_defined_pools(
    s: Arc<Session>,
    a: ConnectListDefinedStoragePoolsArgs,
) -> Result<ConnectListDefinedStoragePoolsRet> {
    check_max(a.maxnames)?;
    Ok(ConnectListDefinedStoragePoolsRet {
        names: names(s.conn()?.list_defined_storage_pools(a.maxnames).await?),
    })
}

pub async fn list_all_pools(
    s: Arc<Session>,
    a: ConnectListAllStoragePoolsArgs,
) -> Result<ConnectListAllStoragePoolsRet> {
    let pools = s
        .conn()?
        .list_all_storage_pools(ConnectListAllStoragePoolsFlags::from_bits_retain(a.flags))
        .await?;
    Ok(ConnectListAllStoragePoolsRet {
        ret: pools.len() as u32,
        pools: if a.need_results != 0 {
            bounded(pools.iter().map(wire_pool))
        } else {
            Default::default()
        },
    })
}

pub async fn find_pool_sources(
    s: Arc<Session>,
    a: ConnectFindStoragePoolSourcesArgs,
) -> Result<ConnectFindStoragePoolSourcesRet> {
    let xml = s
        .conn()?
        .find_storage_pool_sources(a.r#type.as_str(), super::wire::opt(&a.src_spec), a.flags)
        .await?;
    Ok(ConnectFindStoragePoolSourcesRet { xml: nonnull(&xml) })
}

pub async fn pool_lookup_by_name(
    s: Arc<Session>,
    a: StoragePoolLookupByNameArgs,
) -> Result<StoragePoolLookupByNameRet> {
    let p = s
        .conn()?
        .storage_pool_lookup_by_name(a.name.as_str())
        .await?;
    Ok(StoragePoolLookupByNameRet {
        pool: wire_pool(&p),
    })
}

pub async fn pool_lookup_by_uuid(
    s: Arc<Session>,
    a: StoragePoolLookupByUuidArgs,
) -> Result<StoragePoolLookupByUuidRet> {
    let p = s
        .conn()?
        .storage_pool_lookup_by_uuid(&Uuid::from_bytes(a.uuid))
        .await?;
    Ok(StoragePoolLookupByUuidRet {
        pool: wire_pool(&p),
    })
}

pub async fn pool_lookup_by_volume(
    s: Arc<Session>,
    a: StoragePoolLookupByVolumeArgs,
) -> Result<StoragePoolLookupByVolumeRet> {
    let p = vol(&s, &a.vol)?.lookup_pool().await?;
    Ok(StoragePoolLookupByVolumeRet {
        pool: wire_pool(&p),
    })
}

pub async fn pool_create_xml(
    s: Arc<Session>,
    a: StoragePoolCreateXmlArgs,
) -> Result<StoragePoolCreateXmlRet> {
    let p = s
        .conn()?
        .storage_pool_create_xml(
            a.xml.as_str(),
            StoragePoolCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(StoragePoolCreateXmlRet {
        pool: wire_pool(&p),
    })
}

pub async fn pool_define_xml(
    s: Arc<Session>,
    a: StoragePoolDefineXmlArgs,
) -> Result<StoragePoolDefineXmlRet> {
    let p = s
        .conn()?
        .storage_pool_define_xml(
            a.xml.as_str(),
            StoragePoolDefineFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(StoragePoolDefineXmlRet {
        pool: wire_pool(&p),
    })
}

pub async fn pool_create(s: Arc<Session>, a: StoragePoolCreateArgs) -> Result<()> {
    pool(&s, &a.pool)?
        .create(StoragePoolCreateFlags::from_bits_retain(a.flags))
        .await
}

pub async fn pool_build(s: Arc<Session>, a: StoragePoolBuildArgs) -> Result<()> {
    pool(&s, &a.pool)?
        .build(StoragePoolBuildFlags::from_bits_retain(a.flags))
        .await
}

pub async fn pool_destroy(s: Arc<Session>, a: StoragePoolDestroyArgs) -> Result<()> {
    pool(&s, &a.pool)?.destroy().await
}

pub async fn pool_delete(s: Arc<Session>, a: StoragePoolDeleteArgs) -> Result<()> {
    pool(&s, &a.pool)?
        .delete(StoragePoolDeleteFlags::from_bits_retain(a.flags))
        .await
}

pub async fn pool_undefine(s: Arc<Session>, a: StoragePoolUndefineArgs) -> Result<()> {
    pool(&s, &a.pool)?.undefine().await
}

pub async fn pool_refresh(s: Arc<Session>, a: StoragePoolRefreshArgs) -> Result<()> {
    pool(&s, &a.pool)?.refresh(a.flags).await
}

pub async fn pool_get_info(
    s: Arc<Session>,
    a: StoragePoolGetInfoArgs,
) -> Result<StoragePoolGetInfoRet> {
    let i = pool(&s, &a.pool)?.get_info().await?;
    Ok(StoragePoolGetInfoRet {
        state: i.state.0 as u8,
        capacity: i.capacity,
        allocation: i.allocation,
        available: i.available,
    })
}

pub async fn pool_get_xml_desc(
    s: Arc<Session>,
    a: StoragePoolGetXmlDescArgs,
) -> Result<StoragePoolGetXmlDescRet> {
    let xml = pool(&s, &a.pool)?
        .get_xml_desc(StorageXMLFlags::from_bits_retain(a.flags))
        .await?;
    Ok(StoragePoolGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn pool_get_autostart(
    s: Arc<Session>,
    a: StoragePoolGetAutostartArgs,
) -> Result<StoragePoolGetAutostartRet> {
    Ok(StoragePoolGetAutostartRet {
        autostart: pool(&s, &a.pool)?.get_autostart().await?.into(),
    })
}

pub async fn pool_set_autostart(s: Arc<Session>, a: StoragePoolSetAutostartArgs) -> Result<()> {
    pool(&s, &a.pool)?.set_autostart(a.autostart != 0).await
}

pub async fn pool_num_of_volumes(
    s: Arc<Session>,
    a: StoragePoolNumOfVolumesArgs,
) -> Result<StoragePoolNumOfVolumesRet> {
    Ok(StoragePoolNumOfVolumesRet {
        num: pool(&s, &a.pool)?.num_of_volumes().await?,
    })
}

pub async fn pool_list_volumes(
    s: Arc<Session>,
    a: StoragePoolListVolumesArgs,
) -> Result<StoragePoolListVolumesRet> {
    if a.maxnames > 16384 {
        return Err(super::internal("maxnames > REMOTE_STORAGE_VOL_LIST_MAX"));
    }
    Ok(StoragePoolListVolumesRet {
        names: names(pool(&s, &a.pool)?.list_volumes(a.maxnames).await?),
    })
}

pub async fn pool_list_all_volumes(
    s: Arc<Session>,
    a: StoragePoolListAllVolumesArgs,
) -> Result<StoragePoolListAllVolumesRet> {
    let vols = pool(&s, &a.pool)?.list_all_volumes(a.flags).await?;
    Ok(StoragePoolListAllVolumesRet {
        ret: vols.len() as u32,
        vols: if a.need_results != 0 {
            bounded(vols.iter().map(wire_vol))
        } else {
            Default::default()
        },
    })
}

pub async fn pool_is_active(
    s: Arc<Session>,
    a: StoragePoolIsActiveArgs,
) -> Result<StoragePoolIsActiveRet> {
    Ok(StoragePoolIsActiveRet {
        active: pool(&s, &a.pool)?.is_active().await?.into(),
    })
}

pub async fn pool_is_persistent(
    s: Arc<Session>,
    a: StoragePoolIsPersistentArgs,
) -> Result<StoragePoolIsPersistentRet> {
    Ok(StoragePoolIsPersistentRet {
        persistent: pool(&s, &a.pool)?.is_persistent().await?.into(),
    })
}

pub async fn vol_lookup_by_name(
    s: Arc<Session>,
    a: StorageVolLookupByNameArgs,
) -> Result<StorageVolLookupByNameRet> {
    let v = pool(&s, &a.pool)?
        .storage_vol_lookup_by_name(a.name.as_str())
        .await?;
    Ok(StorageVolLookupByNameRet { vol: wire_vol(&v) })
}

pub async fn vol_lookup_by_key(
    s: Arc<Session>,
    a: StorageVolLookupByKeyArgs,
) -> Result<StorageVolLookupByKeyRet> {
    let v = s.conn()?.storage_vol_lookup_by_key(a.key.as_str()).await?;
    Ok(StorageVolLookupByKeyRet { vol: wire_vol(&v) })
}

pub async fn vol_lookup_by_path(
    s: Arc<Session>,
    a: StorageVolLookupByPathArgs,
) -> Result<StorageVolLookupByPathRet> {
    let v = s
        .conn()?
        .storage_vol_lookup_by_path(a.path.as_str())
        .await?;
    Ok(StorageVolLookupByPathRet { vol: wire_vol(&v) })
}

pub async fn vol_create_xml(
    s: Arc<Session>,
    a: StorageVolCreateXmlArgs,
) -> Result<StorageVolCreateXmlRet> {
    let v = pool(&s, &a.pool)?
        .storage_vol_create_xml(
            a.xml.as_str(),
            StorageVolCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(StorageVolCreateXmlRet { vol: wire_vol(&v) })
}

pub async fn vol_create_xml_from(
    s: Arc<Session>,
    a: StorageVolCreateXmlFromArgs,
) -> Result<StorageVolCreateXmlFromRet> {
    let clone = vol(&s, &a.clonevol)?;
    let v = pool(&s, &a.pool)?
        .storage_vol_create_xml_from(
            a.xml.as_str(),
            &clone,
            StorageVolCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(StorageVolCreateXmlFromRet { vol: wire_vol(&v) })
}

pub async fn vol_delete(s: Arc<Session>, a: StorageVolDeleteArgs) -> Result<()> {
    vol(&s, &a.vol)?
        .delete(StorageVolDeleteFlags::from_bits_retain(a.flags))
        .await
}

pub async fn vol_wipe(s: Arc<Session>, a: StorageVolWipeArgs) -> Result<()> {
    vol(&s, &a.vol)?.wipe(a.flags).await
}

pub async fn vol_wipe_pattern(s: Arc<Session>, a: StorageVolWipePatternArgs) -> Result<()> {
    vol(&s, &a.vol)?
        .wipe_pattern(StorageVolWipeAlgorithm(a.algorithm as i32), a.flags)
        .await
}

pub async fn vol_resize(s: Arc<Session>, a: StorageVolResizeArgs) -> Result<()> {
    vol(&s, &a.vol)?
        .resize(a.capacity, StorageVolResizeFlags::from_bits_retain(a.flags))
        .await
}

pub async fn vol_get_info(
    s: Arc<Session>,
    a: StorageVolGetInfoArgs,
) -> Result<StorageVolGetInfoRet> {
    let i = vol(&s, &a.vol)?.get_info().await?;
    Ok(StorageVolGetInfoRet {
        r#type: i.vol_type.0 as i8,
        capacity: i.capacity,
        allocation: i.allocation,
    })
}

pub async fn vol_get_info_flags(
    s: Arc<Session>,
    a: StorageVolGetInfoFlagsArgs,
) -> Result<StorageVolGetInfoFlagsRet> {
    let i = vol(&s, &a.vol)?
        .get_info_flags(StorageVolInfoFlags::from_bits_retain(a.flags))
        .await?;
    Ok(StorageVolGetInfoFlagsRet {
        r#type: i.vol_type.0 as i8,
        capacity: i.capacity,
        allocation: i.allocation,
    })
}

pub async fn vol_get_xml_desc(
    s: Arc<Session>,
    a: StorageVolGetXmlDescArgs,
) -> Result<StorageVolGetXmlDescRet> {
    let xml = vol(&s, &a.vol)?.get_xml_desc(a.flags).await?;
    Ok(StorageVolGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn vol_get_path(
    s: Arc<Session>,
    a: StorageVolGetPathArgs,
) -> Result<StorageVolGetPathRet> {
    let path = vol(&s, &a.vol)?.get_path().await?;
    Ok(StorageVolGetPathRet {
        name: nonnull(&path),
    })
}

/// `STORAGE_VOL_DOWNLOAD`: the bytes come on a stream that starts once this reply is out.
pub async fn vol_download(s: Arc<Session>, a: StorageVolDownloadArgs, serial: u32) -> Result<()> {
    let stream = s.conn()?.new_stream(0);
    vol(&s, &a.vol)?
        .download(
            &stream,
            a.offset,
            a.length,
            StorageVolStreamFlags::from_bits_retain(a.flags),
        )
        .await?;
    s.streams.lock().insert(
        serial,
        crate::stream::Slot::Starting(stream, StreamDirection::Read),
    );
    Ok(())
}

/// `STORAGE_VOL_UPLOAD`: the client sends the bytes on a stream once this reply is out.
pub async fn vol_upload(s: Arc<Session>, a: StorageVolUploadArgs, serial: u32) -> Result<()> {
    let stream = s.conn()?.new_stream(0);
    vol(&s, &a.vol)?
        .upload(
            &stream,
            a.offset,
            a.length,
            StorageVolStreamFlags::from_bits_retain(a.flags),
        )
        .await?;
    s.streams.lock().insert(
        serial,
        crate::stream::Slot::Starting(stream, StreamDirection::Write),
    );
    Ok(())
}

fn push(session: &Weak<Session>, procedure: Procedure, msg: &impl rvirt_xdr::XdrEncode) {
    let Some(s) = session.upgrade() else { return };
    let mut packet = Vec::new();
    if rvirt_proto::encode_packet(&mut packet, &event_header(procedure), msg).is_ok() {
        s.send_now(packet);
    }
}

fn relay(session: &Weak<Session>, wire_id: i32, p: &StoragePool, ev: &StoragePoolEvent) {
    let pool = wire_pool(p);
    match ev {
        StoragePoolEvent::Lifecycle { event, detail, .. } => push(
            session,
            Procedure::StoragePoolEventLifecycle,
            &StoragePoolEventLifecycleMsg {
                callback_id: wire_id,
                pool,
                event: event.0,
                detail: *detail,
            },
        ),
        StoragePoolEvent::Refresh { .. } => push(
            session,
            Procedure::StoragePoolEventRefresh,
            &StoragePoolEventRefreshMsg {
                callback_id: wire_id,
                pool,
            },
        ),
    }
}

pub async fn event_register_any(
    s: Arc<Session>,
    a: ConnectStoragePoolEventRegisterAnyArgs,
) -> Result<ConnectStoragePoolEventRegisterAnyRet> {
    let conn = s.conn()?;
    let filter = match &a.pool {
        Some(p) => Some(pool(&s, p)?),
        None => None,
    };
    if !(0..=1).contains(&a.event_id) {
        return Err(super::internal(format!(
            "unsupported storage pool event ID {}",
            a.event_id
        )));
    }
    // One numbering with the domain event registrations, as libvirtd's.
    let wire_id = super::events::NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let weak = Arc::downgrade(&s);
    let id = conn
        .storage_pool_event_register_any(
            filter.as_ref(),
            StoragePoolEventID(a.event_id),
            move |_c: &Connect, p: &StoragePool, ev: &StoragePoolEvent| {
                relay(&weak, wire_id, p, ev)
            },
        )
        .await?;
    s.storage_events.lock().insert(wire_id, id);
    Ok(ConnectStoragePoolEventRegisterAnyRet {
        callback_id: wire_id,
    })
}

pub async fn event_deregister_any(
    s: Arc<Session>,
    a: ConnectStoragePoolEventDeregisterAnyArgs,
) -> Result<()> {
    let conn = s.conn()?;
    let id = s.storage_events.lock().remove(&a.callback_id);
    let Some(id) = id else {
        return Err(super::internal(format!(
            "storage pool event callback {} not registered",
            a.callback_id
        )));
    };
    conn.storage_pool_event_deregister_any(id).await
}
