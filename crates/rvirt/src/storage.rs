//! Storage pool and volume handles (`virStoragePoolPtr`, `virStorageVolPtr`) and the storage
//! calls of a connection, with the argument and read-only checks of libvirt's
//! `libvirt-storage.c` (errors from the `Storage Driver` error domain).

use crate::connect::dispatch;
use crate::{Connect, Stream};
use rvirt_driver::storage::StoragePoolEventCallback;
use rvirt_driver::{CallbackId, PoolRef, StorageDriver, StoragePoolEvent, VolRef};
use rvirt_types::storage::*;
use rvirt_types::{Error, ErrorDomain, Result, Uuid};
use std::sync::Arc;

const FROM: ErrorDomain = ErrorDomain::STORAGE;

/// `virCheckNonNegativeArg` worded for the storage calls.
fn non_negative(function: &str, arg: &str, value: i64) -> Result<()> {
    if value < 0 {
        return Err(Error::invalid_arg_raw(
            FROM,
            function,
            arg,
            format!("{arg} in {function} must be zero or greater"),
        ));
    }
    Ok(())
}

/// The storage event callbacks a connection registered: removed when it closes.
#[derive(Default)]
pub(crate) struct Callbacks(parking_lot::Mutex<Vec<CallbackId>>);

impl Callbacks {
    /// Deregisters everything still registered, for a connection that closes.
    pub(crate) fn drain(&mut self) -> Vec<CallbackId> {
        self.0.get_mut().drain(..).collect()
    }
}

/// A storage pool handle: its connection, name and UUID. Like `virStoragePoolPtr`, it outlives
/// the pool; calls through a handle whose pool is gone answer `VIR_ERR_NO_STORAGE_POOL`.
#[derive(Clone)]
pub struct StoragePool {
    pub(crate) conn: Connect,
    pub(crate) r: PoolRef,
}

impl std::fmt::Debug for StoragePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoragePool")
            .field("name", &self.r.name)
            .field("uuid", &self.r.uuid)
            .finish()
    }
}

impl PartialEq for StoragePool {
    fn eq(&self, other: &Self) -> bool {
        self.r == other.r && Arc::ptr_eq(&self.conn.inner, &other.conn.inner)
    }
}

/// A storage volume handle: its connection, pool name, name and key.
#[derive(Clone)]
pub struct StorageVol {
    pub(crate) conn: Connect,
    pub(crate) r: VolRef,
}

impl std::fmt::Debug for StorageVol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageVol")
            .field("pool", &self.r.pool)
            .field("name", &self.r.name)
            .field("key", &self.r.key)
            .finish()
    }
}

impl PartialEq for StorageVol {
    fn eq(&self, other: &Self) -> bool {
        self.r == other.r && Arc::ptr_eq(&self.conn.inner, &other.conn.inner)
    }
}

impl Connect {
    fn pool(&self, r: PoolRef) -> StoragePool {
        StoragePool {
            conn: self.clone(),
            r,
        }
    }

    fn vol(&self, r: VolRef) -> StorageVol {
        StorageVol {
            conn: self.clone(),
            r,
        }
    }

    fn rw_storage(&self, function: &str) -> Result<()> {
        self.check_rw_in(FROM, function)
    }

    /// `virGetStoragePool`: a handle for a pool known by name and UUID, made without asking the
    /// driver (how a daemon turns a client's pool reference back into a handle).
    pub fn storage_pool_handle(&self, name: &str, uuid: Uuid) -> StoragePool {
        self.pool(PoolRef {
            name: name.into(),
            uuid,
        })
    }

    /// `virGetStorageVol`: a handle for a volume known by pool name, name and key.
    pub fn storage_vol_handle(&self, pool: &str, name: &str, key: &str) -> StorageVol {
        self.vol(VolRef {
            pool: pool.into(),
            name: name.into(),
            key: key.into(),
        })
    }

    /// `virConnectNumOfStoragePools`: the number of active pools.
    pub async fn num_of_storage_pools(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_storage_pools())
    }

    /// `virConnectListStoragePools`: names of active pools, at most `max_names`.
    pub async fn list_storage_pools(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative("virConnectListStoragePools", "maxnames", max_names.into())?;
        dispatch!(self, d => d.connect_list_storage_pools(max_names))
    }

    /// `virConnectNumOfDefinedStoragePools`: the number of inactive pools.
    pub async fn num_of_defined_storage_pools(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_defined_storage_pools())
    }

    /// `virConnectListDefinedStoragePools`: names of inactive pools, at most `max_names`.
    pub async fn list_defined_storage_pools(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative(
            "virConnectListDefinedStoragePools",
            "maxnames",
            max_names.into(),
        )?;
        dispatch!(self, d => d.connect_list_defined_storage_pools(max_names))
    }

    /// `virConnectListAllStoragePools`: every pool passing every flag group.
    pub async fn list_all_storage_pools(
        &self,
        flags: ConnectListAllStoragePoolsFlags,
    ) -> Result<Vec<StoragePool>> {
        let refs = dispatch!(self, d => d.connect_list_all_storage_pools(flags))?;
        Ok(refs.into_iter().map(|r| self.pool(r)).collect())
    }

    /// `virConnectFindStoragePoolSources`: a `<sources>` document of the sources of pool type
    /// `pool_type` the host has, near `src_spec` (a `<source>` document) if given.
    pub async fn find_storage_pool_sources(
        &self,
        pool_type: &str,
        src_spec: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        self.rw_storage("virConnectFindStoragePoolSources")?;
        dispatch!(self, d => d.connect_find_storage_pool_sources(pool_type, src_spec, flags))
    }

    /// `virStoragePoolLookupByName`.
    pub async fn storage_pool_lookup_by_name(&self, name: &str) -> Result<StoragePool> {
        let r = dispatch!(self, d => d.storage_pool_lookup_by_name(name))?;
        Ok(self.pool(r))
    }

    /// `virStoragePoolLookupByUUID`.
    pub async fn storage_pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<StoragePool> {
        let r = dispatch!(self, d => d.storage_pool_lookup_by_uuid(uuid))?;
        Ok(self.pool(r))
    }

    /// `virStoragePoolLookupByUUIDString`.
    pub async fn storage_pool_lookup_by_uuid_string(&self, uuid: &str) -> Result<StoragePool> {
        let function = "virStoragePoolLookupByUUIDString";
        let u = Uuid::parse(uuid).map_err(|_| {
            Error::invalid_arg_raw(
                FROM,
                function,
                "uuidstr",
                format!("uuidstr in {function} must be a valid UUID"),
            )
        })?;
        self.storage_pool_lookup_by_uuid(&u).await
    }

    /// `virStoragePoolCreateXML`: creates and starts a transient pool.
    pub async fn storage_pool_create_xml(
        &self,
        xml: &str,
        flags: StoragePoolCreateFlags,
    ) -> Result<StoragePool> {
        self.rw_storage("virStoragePoolCreateXML")?;
        let r = dispatch!(self, d => d.storage_pool_create_xml(xml, flags))?;
        Ok(self.pool(r))
    }

    /// `virStoragePoolDefineXML`: defines (or redefines) a persistent pool.
    pub async fn storage_pool_define_xml(
        &self,
        xml: &str,
        flags: StoragePoolDefineFlags,
    ) -> Result<StoragePool> {
        self.rw_storage("virStoragePoolDefineXML")?;
        let r = dispatch!(self, d => d.storage_pool_define_xml(xml, flags))?;
        Ok(self.pool(r))
    }

    /// `virStorageVolLookupByKey`.
    pub async fn storage_vol_lookup_by_key(&self, key: &str) -> Result<StorageVol> {
        let r = dispatch!(self, d => d.storage_vol_lookup_by_key(key))?;
        Ok(self.vol(r))
    }

    /// `virStorageVolLookupByPath`.
    pub async fn storage_vol_lookup_by_path(&self, path: &str) -> Result<StorageVol> {
        let r = dispatch!(self, d => d.storage_vol_lookup_by_path(path))?;
        Ok(self.vol(r))
    }

    /// `virConnectStoragePoolEventRegisterAny`: calls `callback` for every event of `event_id`
    /// (about `pool` only, if given).
    pub async fn storage_pool_event_register_any(
        &self,
        pool: Option<&StoragePool>,
        event_id: StoragePoolEventID,
        callback: impl Fn(&Connect, &StoragePool, &StoragePoolEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let function = "virConnectStoragePoolEventRegisterAny";
        non_negative(function, "eventID", event_id.0.into())?;
        if event_id.0 > StoragePoolEventID::REFRESH.0 {
            return Err(Error::invalid_arg_raw(
                FROM,
                function,
                "eventID",
                format!("eventID in {function} must be less than 2"),
            ));
        }
        let weak = Arc::downgrade(&self.inner);
        let cb: StoragePoolEventCallback = Arc::new(move |ev: &StoragePoolEvent| {
            if let Some(inner) = weak.upgrade() {
                let conn = Connect { inner };
                let pool = conn.pool(ev.pool().clone());
                callback(&conn, &pool, ev);
            }
        });
        let r = pool.map(|p| &p.r);
        let id = dispatch!(self, d => d.connect_storage_pool_event_register_any(r, event_id, cb.clone()))?;
        self.inner.storage_callbacks.0.lock().push(id);
        Ok(id)
    }

    /// `virConnectStoragePoolEventDeregisterAny`: removes a callback this connection registered.
    pub async fn storage_pool_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        non_negative(
            "virConnectStoragePoolEventDeregisterAny",
            "callbackID",
            id.into(),
        )?;
        let owned = {
            let mut ids = self.inner.storage_callbacks.0.lock();
            let before = ids.len();
            ids.retain(|&i| i != id);
            ids.len() != before
        };
        if !owned {
            return Err(Error::invalid_arg(
                ErrorDomain::NONE,
                format!("could not find event callback {id} for deletion"),
            ));
        }
        dispatch!(self, d => d.connect_storage_pool_event_deregister_any(id))
    }
}

impl StoragePool {
    /// `virStoragePoolGetName`.
    pub fn get_name(&self) -> &str {
        &self.r.name
    }

    /// `virStoragePoolGetUUID`.
    pub fn get_uuid(&self) -> Uuid {
        self.r.uuid
    }

    /// `virStoragePoolGetUUIDString`.
    pub fn get_uuid_string(&self) -> String {
        self.r.uuid.to_string()
    }

    /// `virStoragePoolGetConnect`.
    pub fn get_connect(&self) -> &Connect {
        &self.conn
    }

    fn rw(&self, function: &str) -> Result<()> {
        self.conn.rw_storage(function)
    }

    /// `virStoragePoolBuild`.
    pub async fn build(&self, flags: StoragePoolBuildFlags) -> Result<()> {
        self.rw("virStoragePoolBuild")?;
        dispatch!(self.conn, d => d.storage_pool_build(&self.r, flags))
    }

    /// `virStoragePoolUndefine`.
    pub async fn undefine(&self) -> Result<()> {
        self.rw("virStoragePoolUndefine")?;
        dispatch!(self.conn, d => d.storage_pool_undefine(&self.r))
    }

    /// `virStoragePoolCreate`: starts the pool.
    pub async fn create(&self, flags: StoragePoolCreateFlags) -> Result<()> {
        self.rw("virStoragePoolCreate")?;
        dispatch!(self.conn, d => d.storage_pool_create(&self.r, flags))
    }

    /// `virStoragePoolDestroy`: stops the pool (a transient pool goes).
    pub async fn destroy(&self) -> Result<()> {
        self.rw("virStoragePoolDestroy")?;
        dispatch!(self.conn, d => d.storage_pool_destroy(&self.r))
    }

    /// `virStoragePoolDelete`: deletes the pool's underlying storage.
    pub async fn delete(&self, flags: StoragePoolDeleteFlags) -> Result<()> {
        self.rw("virStoragePoolDelete")?;
        dispatch!(self.conn, d => d.storage_pool_delete(&self.r, flags))
    }

    /// `virStoragePoolRefresh`.
    pub async fn refresh(&self, flags: u32) -> Result<()> {
        self.rw("virStoragePoolRefresh")?;
        dispatch!(self.conn, d => d.storage_pool_refresh(&self.r, flags))
    }

    /// `virStoragePoolGetInfo`.
    pub async fn get_info(&self) -> Result<StoragePoolInfo> {
        dispatch!(self.conn, d => d.storage_pool_get_info(&self.r))
    }

    /// `virStoragePoolGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: StorageXMLFlags) -> Result<String> {
        dispatch!(self.conn, d => d.storage_pool_get_xml_desc(&self.r, flags))
    }

    /// `virStoragePoolGetAutostart`.
    pub async fn get_autostart(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.storage_pool_get_autostart(&self.r))
    }

    /// `virStoragePoolSetAutostart`.
    pub async fn set_autostart(&self, autostart: bool) -> Result<()> {
        self.rw("virStoragePoolSetAutostart")?;
        dispatch!(self.conn, d => d.storage_pool_set_autostart(&self.r, autostart))
    }

    /// `virStoragePoolNumOfVolumes`.
    pub async fn num_of_volumes(&self) -> Result<i32> {
        dispatch!(self.conn, d => d.storage_pool_num_of_volumes(&self.r))
    }

    /// `virStoragePoolListVolumes`: names, at most `max_names`.
    pub async fn list_volumes(&self, max_names: i32) -> Result<Vec<String>> {
        non_negative("virStoragePoolListVolumes", "maxnames", max_names.into())?;
        dispatch!(self.conn, d => d.storage_pool_list_volumes(&self.r, max_names))
    }

    /// `virStoragePoolListAllVolumes`.
    pub async fn list_all_volumes(&self, flags: u32) -> Result<Vec<StorageVol>> {
        let refs = dispatch!(self.conn, d => d.storage_pool_list_all_volumes(&self.r, flags))?;
        Ok(refs.into_iter().map(|r| self.conn.vol(r)).collect())
    }

    /// `virStoragePoolIsActive`.
    pub async fn is_active(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.storage_pool_is_active(&self.r))
    }

    /// `virStoragePoolIsPersistent`.
    pub async fn is_persistent(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.storage_pool_is_persistent(&self.r))
    }

    /// `virStorageVolLookupByName`: the pool's volume `name`.
    pub async fn storage_vol_lookup_by_name(&self, name: &str) -> Result<StorageVol> {
        let r = dispatch!(self.conn, d => d.storage_vol_lookup_by_name(&self.r, name))?;
        Ok(self.conn.vol(r))
    }

    /// `virStorageVolCreateXML`: a new volume in this pool.
    pub async fn storage_vol_create_xml(
        &self,
        xml: &str,
        flags: StorageVolCreateFlags,
    ) -> Result<StorageVol> {
        self.rw("virStorageVolCreateXML")?;
        let r = dispatch!(self.conn, d => d.storage_vol_create_xml(&self.r, xml, flags))?;
        Ok(self.conn.vol(r))
    }

    /// `virStorageVolCreateXMLFrom`: a new volume in this pool with the contents of `clone`.
    pub async fn storage_vol_create_xml_from(
        &self,
        xml: &str,
        clone: &StorageVol,
        flags: StorageVolCreateFlags,
    ) -> Result<StorageVol> {
        self.conn.rw_storage("virStorageVolCreateXMLFrom")?;
        clone.conn.rw_storage("virStorageVolCreateXMLFrom")?;
        let r = dispatch!(self.conn, d => d.storage_vol_create_xml_from(&self.r, xml, &clone.r, flags))?;
        Ok(self.conn.vol(r))
    }
}

impl StorageVol {
    /// `virStorageVolGetName`.
    pub fn get_name(&self) -> &str {
        &self.r.name
    }

    /// `virStorageVolGetKey`.
    pub fn get_key(&self) -> &str {
        &self.r.key
    }

    /// The name of the pool the volume is in, as the handle knows it.
    pub fn pool_name(&self) -> &str {
        &self.r.pool
    }

    /// `virStorageVolGetConnect`.
    pub fn get_connect(&self) -> &Connect {
        &self.conn
    }

    fn rw(&self, function: &str) -> Result<()> {
        self.conn.rw_storage(function)
    }

    /// `virStoragePoolLookupByVolume`: the pool holding this volume.
    pub async fn lookup_pool(&self) -> Result<StoragePool> {
        let r = dispatch!(self.conn, d => d.storage_pool_lookup_by_volume(&self.r))?;
        Ok(self.conn.pool(r))
    }

    /// `virStorageVolDelete`.
    pub async fn delete(&self, flags: StorageVolDeleteFlags) -> Result<()> {
        self.rw("virStorageVolDelete")?;
        dispatch!(self.conn, d => d.storage_vol_delete(&self.r, flags))
    }

    /// `virStorageVolWipe`.
    pub async fn wipe(&self, flags: u32) -> Result<()> {
        self.rw("virStorageVolWipe")?;
        dispatch!(self.conn, d => d.storage_vol_wipe(&self.r, flags))
    }

    /// `virStorageVolWipePattern`.
    pub async fn wipe_pattern(&self, algorithm: StorageVolWipeAlgorithm, flags: u32) -> Result<()> {
        self.rw("virStorageVolWipePattern")?;
        dispatch!(self.conn, d => d.storage_vol_wipe_pattern(&self.r, algorithm, flags))
    }

    /// `virStorageVolResize`.
    pub async fn resize(&self, capacity: u64, flags: StorageVolResizeFlags) -> Result<()> {
        self.rw("virStorageVolResize")?;
        dispatch!(self.conn, d => d.storage_vol_resize(&self.r, capacity, flags))
    }

    /// `virStorageVolGetInfo`.
    pub async fn get_info(&self) -> Result<StorageVolInfo> {
        dispatch!(self.conn, d => d.storage_vol_get_info(&self.r))
    }

    /// `virStorageVolGetInfoFlags`.
    pub async fn get_info_flags(&self, flags: StorageVolInfoFlags) -> Result<StorageVolInfo> {
        dispatch!(self.conn, d => d.storage_vol_get_info_flags(&self.r, flags))
    }

    /// `virStorageVolGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: u32) -> Result<String> {
        dispatch!(self.conn, d => d.storage_vol_get_xml_desc(&self.r, flags))
    }

    /// `virStorageVolGetPath`.
    pub async fn get_path(&self) -> Result<String> {
        dispatch!(self.conn, d => d.storage_vol_get_path(&self.r))
    }

    fn check_stream(&self, stream: &Stream, function: &str) -> Result<()> {
        self.rw(function)?;
        if !stream.belongs_to(&self.conn) {
            return Err(Error::invalid_arg_raw(
                FROM,
                function,
                "stream",
                format!(
                    "stream in {function} must match connection of volume '{}'",
                    self.get_name()
                ),
            ));
        }
        Ok(())
    }

    /// `virStorageVolDownload`: the volume's bytes from `offset` (`length` 0: to the end) come
    /// through `stream`.
    pub async fn download(
        &self,
        stream: &Stream,
        offset: u64,
        length: u64,
        flags: StorageVolStreamFlags,
    ) -> Result<()> {
        self.check_stream(stream, "virStorageVolDownload")?;
        let backend =
            dispatch!(self.conn, d => d.storage_vol_download(&self.r, offset, length, flags))?;
        stream.attach(backend);
        Ok(())
    }

    /// `virStorageVolUpload`: what is sent on `stream` is written to the volume at `offset`.
    pub async fn upload(
        &self,
        stream: &Stream,
        offset: u64,
        length: u64,
        flags: StorageVolStreamFlags,
    ) -> Result<()> {
        self.check_stream(stream, "virStorageVolUpload")?;
        let backend =
            dispatch!(self.conn, d => d.storage_vol_upload(&self.r, offset, length, flags))?;
        stream.attach(backend);
        Ok(())
    }
}

/// Deregisters a closing connection's storage callbacks from a driver that answers at once.
pub(crate) fn deregister_on_close(backend: &crate::connect::Backend, ids: Vec<CallbackId>) {
    for id in ids {
        let _ = match backend {
            #[cfg(feature = "test-driver")]
            crate::connect::Backend::Test(d) => {
                pollster::block_on(d.connect_storage_pool_event_deregister_any(id))
            }
            // Closing the connection ends its registrations on the server.
            #[cfg(feature = "remote-driver")]
            crate::connect::Backend::Remote(_) => Ok(()),
            #[cfg(feature = "qemu-driver")]
            crate::connect::Backend::Qemu(d) => {
                pollster::block_on(d.connect_storage_pool_event_deregister_any(id))
            }
        };
    }
}

/// The blocking forms of the storage handles, re-exported by [`crate::blocking`].
pub mod blocking {
    use crate::Result;
    use crate::blocking::{Connect, Stream, Wrap};
    use rvirt_driver::{CallbackId, StoragePoolEvent};
    use rvirt_types::Uuid;
    use rvirt_types::storage::*;

    /// A blocking storage pool handle.
    #[derive(Clone, Debug, PartialEq)]
    pub struct StoragePool(pub crate::StoragePool);

    /// A blocking storage volume handle.
    #[derive(Clone, Debug, PartialEq)]
    pub struct StorageVol(pub crate::StorageVol);

    impl Wrap for crate::StoragePool {
        type Out = StoragePool;
        fn wrap(self) -> StoragePool {
            StoragePool(self)
        }
    }

    impl Wrap for crate::StorageVol {
        type Out = StorageVol;
        fn wrap(self) -> StorageVol {
            StorageVol(self)
        }
    }

    impl Wrap for StoragePoolInfo {
        type Out = StoragePoolInfo;
        fn wrap(self) -> StoragePoolInfo {
            self
        }
    }

    impl Wrap for StorageVolInfo {
        type Out = StorageVolInfo;
        fn wrap(self) -> StorageVolInfo {
            self
        }
    }

    macro_rules! blocking {
        ($ty:ident { $(fn $name:ident($($arg:ident: $t:ty),*) -> $ret:ty;)* }) => {
            impl $ty {
                $(
                    #[doc = concat!("Blocking form of [`crate::", stringify!($ty), "::", stringify!($name), "`].")]
                    pub fn $name(&self, $($arg: $t),*) -> Result<<$ret as Wrap>::Out> {
                        pollster::block_on(self.0.$name($($arg),*)).map(Wrap::wrap)
                    }
                )*
            }
        };
    }

    blocking!(Connect {
        fn num_of_storage_pools() -> i32;
        fn list_storage_pools(max_names: i32) -> Vec<String>;
        fn num_of_defined_storage_pools() -> i32;
        fn list_defined_storage_pools(max_names: i32) -> Vec<String>;
        fn list_all_storage_pools(flags: ConnectListAllStoragePoolsFlags) -> Vec<crate::StoragePool>;
        fn find_storage_pool_sources(pool_type: &str, src_spec: Option<&str>, flags: u32) -> String;
        fn storage_pool_lookup_by_name(name: &str) -> crate::StoragePool;
        fn storage_pool_lookup_by_uuid(uuid: &Uuid) -> crate::StoragePool;
        fn storage_pool_lookup_by_uuid_string(uuid: &str) -> crate::StoragePool;
        fn storage_pool_create_xml(xml: &str, flags: StoragePoolCreateFlags) -> crate::StoragePool;
        fn storage_pool_define_xml(xml: &str, flags: StoragePoolDefineFlags) -> crate::StoragePool;
        fn storage_vol_lookup_by_key(key: &str) -> crate::StorageVol;
        fn storage_vol_lookup_by_path(path: &str) -> crate::StorageVol;
        fn storage_pool_event_deregister_any(id: CallbackId) -> ();
    });

    impl Connect {
        /// `virConnectStoragePoolEventRegisterAny`, see
        /// [`crate::Connect::storage_pool_event_register_any`].
        pub fn storage_pool_event_register_any(
            &self,
            pool: Option<&StoragePool>,
            event_id: StoragePoolEventID,
            callback: impl Fn(&Connect, &StoragePool, &StoragePoolEvent) + Send + Sync + 'static,
        ) -> Result<CallbackId> {
            pollster::block_on(self.0.storage_pool_event_register_any(
                pool.map(|p| &p.0),
                event_id,
                move |c, p, e| callback(&Connect(c.clone()), &StoragePool(p.clone()), e),
            ))
        }
    }

    blocking!(StoragePool {
        fn build(flags: StoragePoolBuildFlags) -> ();
        fn undefine() -> ();
        fn create(flags: StoragePoolCreateFlags) -> ();
        fn destroy() -> ();
        fn delete(flags: StoragePoolDeleteFlags) -> ();
        fn refresh(flags: u32) -> ();
        fn get_info() -> StoragePoolInfo;
        fn get_xml_desc(flags: StorageXMLFlags) -> String;
        fn get_autostart() -> bool;
        fn set_autostart(autostart: bool) -> ();
        fn num_of_volumes() -> i32;
        fn list_volumes(max_names: i32) -> Vec<String>;
        fn list_all_volumes(flags: u32) -> Vec<crate::StorageVol>;
        fn is_active() -> bool;
        fn is_persistent() -> bool;
        fn storage_vol_lookup_by_name(name: &str) -> crate::StorageVol;
        fn storage_vol_create_xml(xml: &str, flags: StorageVolCreateFlags) -> crate::StorageVol;
    });

    impl StoragePool {
        /// `virStoragePoolGetName`.
        pub fn get_name(&self) -> &str {
            self.0.get_name()
        }
        /// `virStoragePoolGetUUIDString`.
        pub fn get_uuid_string(&self) -> String {
            self.0.get_uuid_string()
        }
        /// `virStorageVolCreateXMLFrom`, see [`crate::StoragePool::storage_vol_create_xml_from`].
        pub fn storage_vol_create_xml_from(
            &self,
            xml: &str,
            clone: &StorageVol,
            flags: StorageVolCreateFlags,
        ) -> Result<StorageVol> {
            pollster::block_on(self.0.storage_vol_create_xml_from(xml, &clone.0, flags))
                .map(StorageVol)
        }
    }

    blocking!(StorageVol {
        fn lookup_pool() -> crate::StoragePool;
        fn delete(flags: StorageVolDeleteFlags) -> ();
        fn wipe(flags: u32) -> ();
        fn wipe_pattern(algorithm: StorageVolWipeAlgorithm, flags: u32) -> ();
        fn resize(capacity: u64, flags: StorageVolResizeFlags) -> ();
        fn get_info() -> StorageVolInfo;
        fn get_info_flags(flags: StorageVolInfoFlags) -> StorageVolInfo;
        fn get_xml_desc(flags: u32) -> String;
        fn get_path() -> String;
    });

    impl StorageVol {
        /// `virStorageVolGetName`.
        pub fn get_name(&self) -> &str {
            self.0.get_name()
        }
        /// `virStorageVolGetKey`.
        pub fn get_key(&self) -> &str {
            self.0.get_key()
        }
        /// `virStorageVolDownload`, see [`crate::StorageVol::download`].
        pub fn download(
            &self,
            stream: &Stream,
            offset: u64,
            length: u64,
            flags: StorageVolStreamFlags,
        ) -> Result<()> {
            pollster::block_on(self.0.download(&stream.0, offset, length, flags))
        }
        /// `virStorageVolUpload`, see [`crate::StorageVol::upload`].
        pub fn upload(
            &self,
            stream: &Stream,
            offset: u64,
            length: u64,
            flags: StorageVolStreamFlags,
        ) -> Result<()> {
            pollster::block_on(self.0.upload(&stream.0, offset, length, flags))
        }
    }
}

#[cfg(all(test, feature = "test-driver"))]
mod tests {
    use crate::blocking::Connect;
    use rvirt_types::storage::*;
    use rvirt_types::{ErrorDomain, ErrorNumber};
    use std::sync::{Arc, Mutex};

    #[test]
    fn pools_and_volumes_through_the_api() {
        let conn = Connect::open("test:///default?private=1").unwrap();
        let pool = conn.storage_pool_lookup_by_name("default-pool").unwrap();
        assert_eq!(
            pool.get_uuid_string(),
            "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        conn.storage_pool_event_register_any(None, StoragePoolEventID::REFRESH, move |_, p, _| {
            s.lock().unwrap().push(p.get_name().to_string())
        })
        .unwrap();
        pool.refresh(0).unwrap();
        assert_eq!(*seen.lock().unwrap(), ["default-pool"]);
        let vol = pool
            .storage_vol_create_xml(
                "<volume><name>a</name><capacity>10</capacity></volume>",
                StorageVolCreateFlags::empty(),
            )
            .unwrap();
        assert_eq!(vol.get_path().unwrap(), "/default-pool/a");
        assert_eq!(vol.lookup_pool().unwrap(), pool);
        let e = vol.wipe(0).unwrap_err();
        assert_eq!(
            (e.code, e.domain),
            (ErrorNumber::NO_SUPPORT, ErrorDomain::STORAGE)
        );
        let e = pool.list_volumes(-1).unwrap_err();
        assert_eq!(
            e.message,
            "maxnames in virStoragePoolListVolumes must be zero or greater"
        );
        let e = conn.storage_pool_lookup_by_uuid_string("nope").unwrap_err();
        assert_eq!(
            e.message,
            "uuidstr in virStoragePoolLookupByUUIDString must be a valid UUID"
        );
    }

    #[test]
    fn read_only_connections_refuse_changes() {
        let ro = Connect::open_read_only("test:///default?private=1").unwrap();
        let pool = ro.storage_pool_lookup_by_name("default-pool").unwrap();
        assert!(pool.get_info().is_ok());
        let e = pool.refresh(0).unwrap_err();
        assert_eq!(
            (e.code, e.domain),
            (ErrorNumber::OPERATION_DENIED, ErrorDomain::STORAGE)
        );
        let e = ro
            .storage_pool_define_xml("<pool/>", StoragePoolDefineFlags::empty())
            .unwrap_err();
        assert_eq!(e.code, ErrorNumber::OPERATION_DENIED);
    }
}
