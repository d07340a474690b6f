//! Storage pools and volumes: the handles drivers hand out, pool events and their bus, and the
//! [`StorageDriver`] trait (`virStoragePool*`, `virStorageVol*`, `virConnect*StoragePool*`).
//!
//! A driver with real backends (a `dir` pool of files made by `qemu-img`) implements the same
//! trait as the test driver; streaming calls answer with a [`StreamBackend`], so upload and
//! download of a file are a backend that reads or writes the file.

use crate::events::CallbackId;
use crate::stream::StreamBackend;
use parking_lot::RwLock;
use rvirt_types::storage::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// What a storage pool handle carries, as `virStoragePoolPtr` does: name and UUID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolRef {
    /// The pool's name: what the test driver looks pools up by.
    pub name: Arc<str>,
    /// The pool's UUID.
    pub uuid: Uuid,
}

/// What a storage volume handle carries, as `virStorageVolPtr` does: its pool's name, its name
/// and its key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VolRef {
    /// The name of the pool holding the volume.
    pub pool: Arc<str>,
    /// The volume's name.
    pub name: Arc<str>,
    /// The volume's key (unique on the host; the test driver uses the path).
    pub key: Arc<str>,
}

impl PoolRef {
    /// The handle of the pool `def` defines.
    pub fn of(def: &rvirt_conf::storage::PoolDef) -> PoolRef {
        PoolRef {
            name: def.name.as_str().into(),
            uuid: def.uuid,
        }
    }
}

impl VolRef {
    /// The handle of volume `vol` of the pool `pool` defines.
    pub fn of(pool: &rvirt_conf::storage::PoolDef, vol: &rvirt_conf::storage::VolDef) -> VolRef {
        VolRef {
            pool: pool.name.as_str().into(),
            name: vol.name.as_str().into(),
            key: vol.key.as_deref().unwrap_or("").into(),
        }
    }
}

/// libvirt's name and UUID checks when a pool is added to a driver's list
/// (`virStoragePoolObjListAdd`): a pool with the same UUID under another name, or the same name
/// with another UUID, is `VIR_ERR_OPERATION_FAILED`. The same pool again (a redefinition) is
/// not a conflict.
pub fn pool_identity_conflict<'a>(
    pools: impl IntoIterator<Item = &'a rvirt_conf::storage::PoolDef> + Clone,
    def: &rvirt_conf::storage::PoolDef,
) -> Option<Error> {
    let failed = |m: String| {
        Some(Error::with_detail(
            ErrorDomain::STORAGE,
            ErrorNumber::OPERATION_FAILED,
            m,
        ))
    };
    if let Some(o) = pools.clone().into_iter().find(|o| o.uuid == def.uuid) {
        if o.name != def.name {
            return failed(format!(
                "pool '{}' is already defined with uuid {}",
                o.name, o.uuid
            ));
        }
        return None;
    }
    let o = pools.into_iter().find(|o| o.name == def.name)?;
    failed(format!(
        "pool '{}' already exists with uuid {}",
        o.name, o.uuid
    ))
}

/// libvirt's error for a pool whose source another pool, `other`, already uses.
pub fn pool_source_conflict(other: &str) -> Error {
    Error::with_detail(
        ErrorDomain::STORAGE,
        ErrorNumber::OPERATION_FAILED,
        format!("Storage source conflict with pool: '{other}'"),
    )
}

/// The one answer for a storage operation a driver does not implement: `VIR_ERR_NO_SUPPORT`
/// from the storage error domain, naming the public function.
pub fn unsupported<T>(function: &str) -> Result<T> {
    Err(Error::no_support(ErrorDomain::STORAGE, function))
}

/// An event about a storage pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoragePoolEvent {
    /// `VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE`.
    Lifecycle {
        /// The pool.
        pool: PoolRef,
        /// What happened.
        event: StoragePoolEventLifecycleType,
        /// The detail (0 for every event libvirt sends today).
        detail: i32,
    },
    /// `VIR_STORAGE_POOL_EVENT_ID_REFRESH`.
    Refresh {
        /// The pool.
        pool: PoolRef,
    },
}

impl StoragePoolEvent {
    /// The event id callbacks register for.
    pub fn id(&self) -> StoragePoolEventID {
        match self {
            StoragePoolEvent::Lifecycle { .. } => StoragePoolEventID::LIFECYCLE,
            StoragePoolEvent::Refresh { .. } => StoragePoolEventID::REFRESH,
        }
    }

    /// The pool the event is about.
    pub fn pool(&self) -> &PoolRef {
        match self {
            StoragePoolEvent::Lifecycle { pool, .. } | StoragePoolEvent::Refresh { pool } => pool,
        }
    }
}

/// A storage pool event callback: called once per matching event.
pub type StoragePoolEventCallback = Arc<dyn Fn(&StoragePoolEvent) + Send + Sync>;

struct Registration {
    id: CallbackId,
    event_id: StoragePoolEventID,
    pool: Option<Uuid>,
    callback: StoragePoolEventCallback,
}

/// Registered storage pool event callbacks of one driver instance. Callbacks run after the
/// transition, with no driver lock held.
#[derive(Default)]
pub struct StoragePoolEventBus {
    regs: RwLock<Vec<Registration>>,
    next_id: AtomicI32,
}

impl StoragePoolEventBus {
    /// Registers `callback` for events of `event_id`, about the pool `pool` only if given.
    pub fn register(
        &self,
        pool: Option<Uuid>,
        event_id: StoragePoolEventID,
        callback: StoragePoolEventCallback,
    ) -> Result<CallbackId> {
        self.register_as(None, pool, event_id, callback)
    }

    /// [`StoragePoolEventBus::register`] under an id given by the caller (one taken from the
    /// connection's domain event bus, as libvirt numbers every family's callbacks together);
    /// `None` numbers it here.
    pub fn register_as(
        &self,
        id: Option<CallbackId>,
        pool: Option<Uuid>,
        event_id: StoragePoolEventID,
        callback: StoragePoolEventCallback,
    ) -> Result<CallbackId> {
        if !(0..=1).contains(&event_id.0) {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("unsupported event ID {}", event_id.0),
            ));
        }
        let id = id.unwrap_or_else(|| self.next_id.fetch_add(1, Ordering::Relaxed));
        self.regs.write().push(Registration {
            id,
            event_id,
            pool,
            callback,
        });
        Ok(id)
    }

    /// Removes the callback registered as `id`.
    pub fn deregister(&self, id: CallbackId) -> Result<()> {
        let mut regs = self.regs.write();
        let before = regs.len();
        regs.retain(|r| r.id != id);
        if regs.len() == before {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("could not find event callback {id} for deletion"),
            ));
        }
        Ok(())
    }

    /// Delivers `event` to every matching callback. Call with no driver lock held.
    pub fn emit(&self, event: StoragePoolEvent) {
        let id = event.id();
        let uuid = event.pool().uuid;
        let targets: Vec<StoragePoolEventCallback> = self
            .regs
            .read()
            .iter()
            .filter(|r| r.event_id == id && r.pool.is_none_or(|u| u == uuid))
            .map(|r| r.callback.clone())
            .collect();
        for cb in targets {
            cb(&event);
        }
    }
}

/// Storage calls. Every method defaults to `VIR_ERR_NO_SUPPORT` naming the public function.
pub trait StorageDriver {
    /// `virConnectNumOfStoragePools`: active pools.
    async fn connect_num_of_storage_pools(&self) -> Result<i32> {
        unsupported("virConnectNumOfStoragePools")
    }
    /// `virConnectListStoragePools`: names of active pools, at most `max`.
    async fn connect_list_storage_pools(&self, _max: i32) -> Result<Vec<String>> {
        unsupported("virConnectListStoragePools")
    }
    /// `virConnectNumOfDefinedStoragePools`: inactive pools.
    async fn connect_num_of_defined_storage_pools(&self) -> Result<i32> {
        unsupported("virConnectNumOfDefinedStoragePools")
    }
    /// `virConnectListDefinedStoragePools`: names of inactive pools, at most `max`.
    async fn connect_list_defined_storage_pools(&self, _max: i32) -> Result<Vec<String>> {
        unsupported("virConnectListDefinedStoragePools")
    }
    /// `virConnectListAllStoragePools`.
    async fn connect_list_all_storage_pools(
        &self,
        _flags: ConnectListAllStoragePoolsFlags,
    ) -> Result<Vec<PoolRef>> {
        unsupported("virConnectListAllStoragePools")
    }
    /// `virConnectFindStoragePoolSources`: a `<sources>` document.
    async fn connect_find_storage_pool_sources(
        &self,
        _pool_type: &str,
        _src_spec: Option<&str>,
        _flags: u32,
    ) -> Result<String> {
        unsupported("virConnectFindStoragePoolSources")
    }
    /// `virStoragePoolLookupByName`.
    async fn storage_pool_lookup_by_name(&self, _name: &str) -> Result<PoolRef> {
        unsupported("virStoragePoolLookupByName")
    }
    /// `virStoragePoolLookupByUUID`.
    async fn storage_pool_lookup_by_uuid(&self, _uuid: &Uuid) -> Result<PoolRef> {
        unsupported("virStoragePoolLookupByUUID")
    }
    /// `virStoragePoolLookupByVolume`.
    async fn storage_pool_lookup_by_volume(&self, _vol: &VolRef) -> Result<PoolRef> {
        unsupported("virStoragePoolLookupByVolume")
    }
    /// `virStoragePoolCreateXML`: a transient pool, started.
    async fn storage_pool_create_xml(
        &self,
        _xml: &str,
        _flags: StoragePoolCreateFlags,
    ) -> Result<PoolRef> {
        unsupported("virStoragePoolCreateXML")
    }
    /// `virStoragePoolDefineXML`.
    async fn storage_pool_define_xml(
        &self,
        _xml: &str,
        _flags: StoragePoolDefineFlags,
    ) -> Result<PoolRef> {
        unsupported("virStoragePoolDefineXML")
    }
    /// `virStoragePoolBuild`.
    async fn storage_pool_build(
        &self,
        _pool: &PoolRef,
        _flags: StoragePoolBuildFlags,
    ) -> Result<()> {
        unsupported("virStoragePoolBuild")
    }
    /// `virStoragePoolUndefine`.
    async fn storage_pool_undefine(&self, _pool: &PoolRef) -> Result<()> {
        unsupported("virStoragePoolUndefine")
    }
    /// `virStoragePoolCreate`: starts a defined pool.
    async fn storage_pool_create(
        &self,
        _pool: &PoolRef,
        _flags: StoragePoolCreateFlags,
    ) -> Result<()> {
        unsupported("virStoragePoolCreate")
    }
    /// `virStoragePoolDestroy`.
    async fn storage_pool_destroy(&self, _pool: &PoolRef) -> Result<()> {
        unsupported("virStoragePoolDestroy")
    }
    /// `virStoragePoolDelete`.
    async fn storage_pool_delete(
        &self,
        _pool: &PoolRef,
        _flags: StoragePoolDeleteFlags,
    ) -> Result<()> {
        unsupported("virStoragePoolDelete")
    }
    /// `virStoragePoolRefresh`.
    async fn storage_pool_refresh(&self, _pool: &PoolRef, _flags: u32) -> Result<()> {
        unsupported("virStoragePoolRefresh")
    }
    /// `virStoragePoolGetInfo`.
    async fn storage_pool_get_info(&self, _pool: &PoolRef) -> Result<StoragePoolInfo> {
        unsupported("virStoragePoolGetInfo")
    }
    /// `virStoragePoolGetXMLDesc`.
    async fn storage_pool_get_xml_desc(
        &self,
        _pool: &PoolRef,
        _flags: StorageXMLFlags,
    ) -> Result<String> {
        unsupported("virStoragePoolGetXMLDesc")
    }
    /// `virStoragePoolGetAutostart`.
    async fn storage_pool_get_autostart(&self, _pool: &PoolRef) -> Result<bool> {
        unsupported("virStoragePoolGetAutostart")
    }
    /// `virStoragePoolSetAutostart`.
    async fn storage_pool_set_autostart(&self, _pool: &PoolRef, _autostart: bool) -> Result<()> {
        unsupported("virStoragePoolSetAutostart")
    }
    /// `virStoragePoolNumOfVolumes`.
    async fn storage_pool_num_of_volumes(&self, _pool: &PoolRef) -> Result<i32> {
        unsupported("virStoragePoolNumOfVolumes")
    }
    /// `virStoragePoolListVolumes`: names, at most `max`.
    async fn storage_pool_list_volumes(&self, _pool: &PoolRef, _max: i32) -> Result<Vec<String>> {
        unsupported("virStoragePoolListVolumes")
    }
    /// `virStoragePoolListAllVolumes`.
    async fn storage_pool_list_all_volumes(
        &self,
        _pool: &PoolRef,
        _flags: u32,
    ) -> Result<Vec<VolRef>> {
        unsupported("virStoragePoolListAllVolumes")
    }
    /// `virStoragePoolIsActive`.
    async fn storage_pool_is_active(&self, _pool: &PoolRef) -> Result<bool> {
        unsupported("virStoragePoolIsActive")
    }
    /// `virStoragePoolIsPersistent`.
    async fn storage_pool_is_persistent(&self, _pool: &PoolRef) -> Result<bool> {
        unsupported("virStoragePoolIsPersistent")
    }
    /// `virStorageVolLookupByName`.
    async fn storage_vol_lookup_by_name(&self, _pool: &PoolRef, _name: &str) -> Result<VolRef> {
        unsupported("virStorageVolLookupByName")
    }
    /// `virStorageVolLookupByKey`.
    async fn storage_vol_lookup_by_key(&self, _key: &str) -> Result<VolRef> {
        unsupported("virStorageVolLookupByKey")
    }
    /// `virStorageVolLookupByPath`.
    async fn storage_vol_lookup_by_path(&self, _path: &str) -> Result<VolRef> {
        unsupported("virStorageVolLookupByPath")
    }
    /// `virStorageVolCreateXML`.
    async fn storage_vol_create_xml(
        &self,
        _pool: &PoolRef,
        _xml: &str,
        _flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        unsupported("virStorageVolCreateXML")
    }
    /// `virStorageVolCreateXMLFrom`: a new volume with the contents of `clone`.
    async fn storage_vol_create_xml_from(
        &self,
        _pool: &PoolRef,
        _xml: &str,
        _clone: &VolRef,
        _flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        unsupported("virStorageVolCreateXMLFrom")
    }
    /// `virStorageVolDelete`.
    async fn storage_vol_delete(&self, _vol: &VolRef, _flags: StorageVolDeleteFlags) -> Result<()> {
        unsupported("virStorageVolDelete")
    }
    /// `virStorageVolWipe`.
    async fn storage_vol_wipe(&self, _vol: &VolRef, _flags: u32) -> Result<()> {
        unsupported("virStorageVolWipe")
    }
    /// `virStorageVolWipePattern`.
    async fn storage_vol_wipe_pattern(
        &self,
        _vol: &VolRef,
        _algorithm: StorageVolWipeAlgorithm,
        _flags: u32,
    ) -> Result<()> {
        unsupported("virStorageVolWipePattern")
    }
    /// `virStorageVolResize`.
    async fn storage_vol_resize(
        &self,
        _vol: &VolRef,
        _capacity: u64,
        _flags: StorageVolResizeFlags,
    ) -> Result<()> {
        unsupported("virStorageVolResize")
    }
    /// `virStorageVolGetInfo`.
    async fn storage_vol_get_info(&self, _vol: &VolRef) -> Result<StorageVolInfo> {
        unsupported("virStorageVolGetInfo")
    }
    /// `virStorageVolGetInfoFlags`.
    async fn storage_vol_get_info_flags(
        &self,
        _vol: &VolRef,
        _flags: StorageVolInfoFlags,
    ) -> Result<StorageVolInfo> {
        unsupported("virStorageVolGetInfoFlags")
    }
    /// `virStorageVolGetXMLDesc`.
    async fn storage_vol_get_xml_desc(&self, _vol: &VolRef, _flags: u32) -> Result<String> {
        unsupported("virStorageVolGetXMLDesc")
    }
    /// `virStorageVolGetPath`.
    async fn storage_vol_get_path(&self, _vol: &VolRef) -> Result<String> {
        unsupported("virStorageVolGetPath")
    }
    /// `virStorageVolDownload`: a stream reading `length` bytes (0: to the end) from `offset`.
    async fn storage_vol_download(
        &self,
        _vol: &VolRef,
        _offset: u64,
        _length: u64,
        _flags: StorageVolStreamFlags,
    ) -> Result<Box<dyn StreamBackend>> {
        unsupported("virStorageVolDownload")
    }
    /// `virStorageVolUpload`: a stream writing `length` bytes (0: to the end) at `offset`.
    async fn storage_vol_upload(
        &self,
        _vol: &VolRef,
        _offset: u64,
        _length: u64,
        _flags: StorageVolStreamFlags,
    ) -> Result<Box<dyn StreamBackend>> {
        unsupported("virStorageVolUpload")
    }
    /// `virConnectStoragePoolEventRegisterAny`.
    async fn connect_storage_pool_event_register_any(
        &self,
        _pool: Option<&PoolRef>,
        _event_id: StoragePoolEventID,
        _cb: StoragePoolEventCallback,
    ) -> Result<CallbackId> {
        unsupported("virConnectStoragePoolEventRegisterAny")
    }
    /// `virConnectStoragePoolEventDeregisterAny`.
    async fn connect_storage_pool_event_deregister_any(&self, _id: CallbackId) -> Result<()> {
        unsupported("virConnectStoragePoolEventDeregisterAny")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    #[test]
    fn bus_filters_by_id_and_pool() {
        let bus = StoragePoolEventBus::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let a = PoolRef {
            name: "a".into(),
            uuid: Uuid::generate(),
        };
        let b = PoolRef {
            name: "b".into(),
            uuid: Uuid::generate(),
        };
        let s = seen.clone();
        let id = bus
            .register(
                Some(b.uuid),
                StoragePoolEventID::REFRESH,
                Arc::new(move |e| s.lock().push(e.pool().name.to_string())),
            )
            .unwrap();
        bus.emit(StoragePoolEvent::Refresh { pool: a.clone() });
        bus.emit(StoragePoolEvent::Lifecycle {
            pool: b.clone(),
            event: StoragePoolEventLifecycleType::STARTED,
            detail: 0,
        });
        bus.emit(StoragePoolEvent::Refresh { pool: b });
        assert_eq!(*seen.lock(), vec!["b".to_string()]);
        bus.deregister(id).unwrap();
        assert!(bus.deregister(id).is_err());
        assert!(
            bus.register(None, StoragePoolEventID(2), Arc::new(|_| {}))
                .is_err()
        );
    }

    struct Nothing;
    impl StorageDriver for Nothing {}

    #[test]
    fn defaults_name_the_function() {
        let vol = VolRef {
            pool: "p".into(),
            name: "v".into(),
            key: "k".into(),
        };
        let mut f = std::pin::pin!(Nothing.storage_vol_wipe(&vol, 0));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let std::task::Poll::Ready(r) = f.as_mut().poll(&mut cx) else {
            panic!("the default answers at once");
        };
        let e = r.unwrap_err();
        assert_eq!(e.code, ErrorNumber::NO_SUPPORT);
        assert_eq!(e.domain, ErrorDomain::STORAGE);
        assert!(e.message.ends_with("virStorageVolWipe"), "{}", e.message);
    }
}
