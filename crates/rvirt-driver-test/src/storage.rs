//! Storage pools and volumes of the test hypervisor, with libvirt 9.0's test-driver rules:
//! every pool reports 100 GiB, volumes live in memory (path and key are the pool's target path
//! and the volume's name), and the calls libvirt's test driver leaves out (wipe, resize,
//! upload, download, info with flags) answer `VIR_ERR_NO_SUPPORT` as there.

use crate::TestDriver;
use parking_lot::Mutex;
use rvirt_conf::storage::{PoolDef, VolDef};
use rvirt_driver::storage::{StoragePoolEventCallback, unsupported};
use rvirt_driver::{
    CallbackId, PoolRef, StorageDriver, StoragePoolEvent, StoragePoolEventBus, VolRef, check_flags,
};
use rvirt_types::storage::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};

/// The size libvirt's test driver gives every pool: 100 GiB, nothing allocated.
const POOL_CAPACITY: u64 = 100 << 30;

/// libvirt's default pool of `test:///default`.
pub(crate) const DEFAULT_POOL: &str = "<pool type='dir'>
  <name>default-pool</name>
  <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
  <target>
    <path>/default-pool</path>
  </target>
</pool>";

/// Test-driver storage errors are raised from the test driver's error domain.
const FROM: ErrorDomain = ErrorDomain::TEST;

/// `<sources>` the test driver "finds" for logical pools.
const LOGICAL_SOURCES: &str = "<sources>
  <source>
    <device path='/dev/sda20'/>
    <name>testvg1</name>
    <format type='lvm2'/>
  </source>
  <source>
    <device path='/dev/sda21'/>
    <name>testvg2</name>
    <format type='lvm2'/>
  </source>
</sources>
";

/// One pool: its definition, state and volumes.
#[derive(Clone, Debug)]
pub(crate) struct PoolObj {
    def: PoolDef,
    active: bool,
    /// libvirt's "has a config file": defined pools, not transient ones.
    persistent: bool,
    autostart: bool,
    vols: Vec<VolDef>,
}

impl PoolObj {
    fn to_ref(&self) -> PoolRef {
        PoolRef::of(&self.def)
    }

    fn vol_ref(&self, v: &VolDef) -> VolRef {
        VolRef::of(&self.def, v)
    }

    fn set_default_sizes(&mut self) {
        self.def.capacity = POOL_CAPACITY;
        self.def.allocation = 0;
        self.def.available = POOL_CAPACITY;
    }

    fn add_allocation(&mut self, bytes: u64) {
        self.def.allocation = self.def.allocation.saturating_add(bytes);
        self.def.available = self.def.capacity.saturating_sub(self.def.allocation);
    }
}

/// The storage state of one test machine.
#[derive(Default)]
pub struct TestStorage {
    pools: Mutex<Vec<PoolObj>>,
    events: StoragePoolEventBus,
}

impl TestStorage {
    /// Adds a pool from a `<node>` document or the default machine: persistent, active, with
    /// the volumes its `<volume>` children describe.
    pub(crate) fn seed_pool(&self, xml: &str) -> Result<()> {
        let doc = rvirt_conf::xml::parse_document(xml, "(test driver)", ErrorDomain::STORAGE)?;
        let root = doc.root_element();
        let def = PoolDef::parse_node(root)?;
        let mut obj = PoolObj {
            def,
            active: true,
            persistent: true,
            autostart: false,
            vols: Vec::new(),
        };
        obj.set_default_sizes();
        for v in root.children().filter(|c| c.has_tag_name("volume")) {
            let mut vol = VolDef::parse_node(&obj.def, v)?;
            if vol.target.path.is_none() {
                vol.target.path = Some(vol_path(&obj.def, &vol.name));
            }
            if vol.key.is_none() {
                vol.key = vol.target.path.clone();
            }
            obj.add_allocation(vol.allocation);
            obj.vols.push(vol);
        }
        let mut pools = self.pools.lock();
        if let Some(e) = list_add_conflict(&pools, &obj.def) {
            return Err(e);
        }
        pools.push(obj);
        Ok(())
    }
}

/// The WWNs of a pool's `fc_host` adapter, if it has one.
fn fc_host_wwns(def: &PoolDef) -> Option<(String, String)> {
    let a = def
        .source
        .adapter
        .as_ref()
        .filter(|a| a.kind == "fc_host")?;
    let get = |k: &str| {
        a.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Some((get("wwnn"), get("wwpn")))
}

/// How the test driver names a new volume's path: the pool's target path, a slash, the name
/// (`(null)/name` for pools without a target, as libvirt's `%s` prints a NULL).
fn vol_path(pool: &PoolDef, name: &str) -> String {
    format!(
        "{}/{}",
        pool.target_path.as_deref().unwrap_or("(null)"),
        name
    )
}

fn no_pool_name(name: &str) -> Error {
    Error::with_detail(
        FROM,
        ErrorNumber::NO_STORAGE_POOL,
        format!("no storage pool with matching name '{name}'"),
    )
}

fn no_pool_uuid(uuid: &Uuid) -> Error {
    Error::with_detail(
        FROM,
        ErrorNumber::NO_STORAGE_POOL,
        format!("no storage pool with matching uuid '{uuid}'"),
    )
}

fn no_vol(what: &str, value: &str) -> Error {
    Error::with_detail(
        FROM,
        ErrorNumber::NO_STORAGE_VOL,
        format!("no storage vol with matching {what} '{value}'"),
    )
}

/// libvirt's `virStoragePoolObjListAdd` name and UUID checks against the pools here.
fn list_add_conflict(pools: &[PoolObj], def: &PoolDef) -> Option<Error> {
    rvirt_driver::storage::pool_identity_conflict(pools.iter().map(|o| &o.def), def)
}

/// libvirt's `virStoragePoolObjSourceFindDuplicate` for the file-system pool types (dir by
/// target path, netfs and gluster by host and directory): another pool on the same storage.
fn duplicate_source(pools: &[PoolObj], def: &PoolDef) -> Option<Error> {
    use rvirt_conf::storage::PoolType;
    let host = |d: &PoolDef| d.source.hosts.first().map(|h| h.name.clone());
    let dup = pools.iter().find(|o| {
        o.def.name != def.name
            && o.def.pool_type == def.pool_type
            && match def.pool_type {
                PoolType::Dir => o.def.target_path == def.target_path,
                PoolType::Netfs => o.def.source.dir == def.source.dir && host(&o.def) == host(def),
                PoolType::Gluster => {
                    o.def.source.name == def.source.name
                        && o.def.source.dir == def.source.dir
                        && host(&o.def) == host(def)
                }
                _ => false,
            }
    })?;
    Some(rvirt_driver::storage::pool_source_conflict(&dup.def.name))
}

fn not_active(name: &str) -> Error {
    Error::operation_invalid(FROM, format!("storage pool '{name}' is not active"))
}

fn is_active(name: &str) -> Error {
    Error::operation_invalid(FROM, format!("storage pool '{name}' is active"))
}

impl TestDriver {
    fn storage_lifecycle(&self, pool: PoolRef, event: StoragePoolEventLifecycleType) {
        self.storage.events.emit(StoragePoolEvent::Lifecycle {
            pool,
            event,
            detail: 0,
        });
    }

    /// Runs `f` on the pool named `name` (libvirt's `testStoragePoolObjFindByName`).
    fn with_pool<T>(&self, name: &str, f: impl FnOnce(&mut PoolObj) -> Result<T>) -> Result<T> {
        let mut pools = self.storage.pools.lock();
        let obj = pools
            .iter_mut()
            .find(|o| o.def.name == name)
            .ok_or_else(|| no_pool_name(name))?;
        f(obj)
    }

    /// [`TestDriver::with_pool`] for an active pool.
    fn with_active_pool<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut PoolObj) -> Result<T>,
    ) -> Result<T> {
        self.with_pool(name, |o| {
            if !o.active {
                return Err(not_active(name));
            }
            f(o)
        })
    }

    /// [`TestDriver::with_pool`] for an inactive pool.
    fn with_inactive_pool<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut PoolObj) -> Result<T>,
    ) -> Result<T> {
        self.with_pool(name, |o| {
            if o.active {
                return Err(is_active(name));
            }
            f(o)
        })
    }

    fn with_pool_by_uuid<T>(&self, uuid: &Uuid, f: impl FnOnce(&PoolObj) -> T) -> Result<T> {
        let pools = self.storage.pools.lock();
        let obj = pools
            .iter()
            .find(|o| o.def.uuid == *uuid)
            .ok_or_else(|| no_pool_uuid(uuid))?;
        Ok(f(obj))
    }

    fn names(&self, active: bool, max: i32) -> Vec<String> {
        self.storage
            .pools
            .lock()
            .iter()
            .filter(|o| o.active == active)
            .take(max.max(0) as usize)
            .map(|o| o.def.name.clone())
            .collect()
    }

    fn find_vol<'a>(obj: &'a PoolObj, name: &str) -> Result<&'a VolDef> {
        obj.vols
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| no_vol("name", name))
    }

    fn search_vol(
        &self,
        what: &str,
        value: &str,
        pick: impl Fn(&VolDef) -> bool,
    ) -> Result<VolRef> {
        let pools = self.storage.pools.lock();
        pools
            .iter()
            .filter(|o| o.active)
            .find_map(|o| o.vols.iter().find(|v| pick(v)).map(|v| o.vol_ref(v)))
            .ok_or_else(|| no_vol(what, value))
    }

    /// Creates a volume in `pool` from `xml`; `clone` names the volume to copy (which must be in
    /// the same pool, as libvirt's test driver looks it up there).
    fn create_vol(
        &self,
        pool: &PoolRef,
        xml: &str,
        clone: Option<&VolRef>,
        flags: StorageVolCreateFlags,
        function: &str,
    ) -> Result<VolRef> {
        check_flags(
            FROM,
            function,
            flags.bits(),
            StorageVolCreateFlags::VALIDATE.bits(),
        )?;
        self.with_active_pool(&pool.name, |o| {
            let mut vol = VolDef::parse_xml(&o.def, xml)?;
            if o.vols.iter().any(|v| v.name == vol.name) {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_FAILED,
                    "storage vol already exists",
                ));
            }
            if let Some(c) = clone {
                Self::find_vol(o, &c.name)?;
            }
            if o.def.allocation.saturating_add(vol.allocation) > o.def.capacity {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INTERNAL_ERROR,
                    format!("Not enough free space in pool for volume '{}'", vol.name),
                ));
            }
            let path = vol_path(&o.def, &vol.name);
            vol.target.path = Some(path.clone());
            vol.key = Some(path);
            o.add_allocation(vol.allocation);
            let r = o.vol_ref(&vol);
            o.vols.push(vol);
            Ok(r)
        })
    }
}

impl StorageDriver for TestDriver {
    async fn connect_num_of_storage_pools(&self) -> Result<i32> {
        Ok(self.names(true, i32::MAX).len() as i32)
    }

    async fn connect_list_storage_pools(&self, max: i32) -> Result<Vec<String>> {
        Ok(self.names(true, max))
    }

    async fn connect_num_of_defined_storage_pools(&self) -> Result<i32> {
        Ok(self.names(false, i32::MAX).len() as i32)
    }

    async fn connect_list_defined_storage_pools(&self, max: i32) -> Result<Vec<String>> {
        Ok(self.names(false, max))
    }

    async fn connect_list_all_storage_pools(
        &self,
        flags: ConnectListAllStoragePoolsFlags,
    ) -> Result<Vec<PoolRef>> {
        type F = ConnectListAllStoragePoolsFlags;
        check_flags(
            FROM,
            "testConnectListAllStoragePools",
            flags.bits(),
            F::all().bits(),
        )?;
        let types = flags & F::from_bits_retain(0xFFFC0);
        let pools = self.storage.pools.lock();
        Ok(pools
            .iter()
            .filter(|o| {
                let pair = |a: F, b: F, on: bool| {
                    !(flags.contains(a) || flags.contains(b))
                        || (flags.contains(a) && on)
                        || (flags.contains(b) && !on)
                };
                pair(F::ACTIVE, F::INACTIVE, o.active)
                    && pair(F::PERSISTENT, F::TRANSIENT, o.persistent)
                    && pair(F::AUTOSTART, F::NO_AUTOSTART, o.autostart)
                    && (types.is_empty()
                        || types.intersects(F::for_pool_type(o.def.pool_type as usize)))
            })
            .map(PoolObj::to_ref)
            .collect())
    }

    async fn connect_find_storage_pool_sources(
        &self,
        pool_type: &str,
        src_spec: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        use rvirt_conf::storage::{PoolSource, PoolType};
        check_flags(FROM, "testConnectFindStoragePoolSources", flags, 0)?;
        // libvirt tests the type's number for zero, so `dir` (0) and unknown types (-1 is
        // true) both pass this check; `dir` is then refused below, unknown ones too.
        let Some(ty) = PoolType::from_name(pool_type) else {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::NO_SUPPORT,
                format!("pool type '{pool_type}' does not support source discovery"),
            ));
        };
        if ty == PoolType::Dir {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INTERNAL_ERROR,
                format!("unknown storage pool type {pool_type}"),
            ));
        }
        let source = match src_spec {
            Some(spec) => {
                let doc = rvirt_conf::xml::parse_document(
                    spec,
                    "(storage_source_specification)",
                    ErrorDomain::STORAGE,
                )?;
                let root = doc.root_element();
                if root.tag_name().name() != "source" {
                    return Err(rvirt_conf::xml::wrong_root(
                        "source",
                        root.tag_name().name(),
                    ));
                }
                Some(PoolSource::parse(root, ty)?)
            }
            None => None,
        };
        match ty {
            PoolType::Logical => Ok(LOGICAL_SOURCES.to_string()),
            PoolType::Netfs => {
                let Some(host) = source.as_ref().and_then(|s| s.hosts.first()) else {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::INVALID_ARG,
                        "hostname must be specified for netfs sources",
                    ));
                };
                Ok(format!(
                    "<sources>\n  <source>\n    <host name='{}'/>\n    <dir path='/testshare'/>\n    <format type='nfs'/>\n  </source>\n</sources>\n",
                    host.name
                ))
            }
            _ => Err(Error::with_detail(
                FROM,
                ErrorNumber::NO_SUPPORT,
                format!("pool type '{pool_type}' does not support source discovery"),
            )),
        }
    }

    async fn storage_pool_lookup_by_name(&self, name: &str) -> Result<PoolRef> {
        self.with_pool(name, |o| Ok(o.to_ref()))
    }

    async fn storage_pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        self.with_pool_by_uuid(uuid, PoolObj::to_ref)
    }

    async fn storage_pool_lookup_by_volume(&self, vol: &VolRef) -> Result<PoolRef> {
        self.with_pool(&vol.pool, |o| Ok(o.to_ref()))
    }

    async fn storage_pool_create_xml(
        &self,
        xml: &str,
        flags: StoragePoolCreateFlags,
    ) -> Result<PoolRef> {
        check_flags(FROM, "testStoragePoolCreateXML", flags.bits(), 0)?;
        let def = PoolDef::parse_xml(xml)?;
        let (r, vport) = {
            let mut pools = self.storage.pools.lock();
            if let Some(e) = duplicate_source(&pools, &def) {
                return Err(e);
            }
            if let Some(e) = list_add_conflict(&pools, &def) {
                return Err(e);
            }
            if let Some(o) = pools.iter().find(|o| o.def.uuid == def.uuid) {
                if o.active {
                    return Err(Error::operation_invalid(
                        ErrorDomain::STORAGE,
                        format!("pool is already active as '{}'", o.def.name),
                    ));
                }
            }
            // An fc_host adapter's vHBA, mocked by the node device code as libvirt's is.
            let vport = match fc_host_wwns(&def) {
                Some((wwnn, wwpn)) => Some(self.nodedevs.create_vport(&wwnn, &wwpn)?),
                None => None,
            };
            let i = match pools.iter().position(|o| o.def.uuid == def.uuid) {
                Some(i) => {
                    pools[i].def = def;
                    i
                }
                None => {
                    pools.push(PoolObj {
                        def,
                        active: false,
                        persistent: false,
                        autostart: false,
                        vols: Vec::new(),
                    });
                    pools.len() - 1
                }
            };
            let o = &mut pools[i];
            o.set_default_sizes();
            // libvirt drops the config file, so the pool goes when it stops.
            o.persistent = false;
            o.active = true;
            (o.to_ref(), vport)
        };
        if let Some(ev) = vport {
            self.emit_nodedev(ev);
        }
        self.storage_lifecycle(r.clone(), StoragePoolEventLifecycleType::STARTED);
        Ok(r)
    }

    async fn storage_pool_define_xml(
        &self,
        xml: &str,
        flags: StoragePoolDefineFlags,
    ) -> Result<PoolRef> {
        check_flags(
            FROM,
            "testStoragePoolDefineXML",
            flags.bits(),
            StoragePoolDefineFlags::VALIDATE.bits(),
        )?;
        let mut def = PoolDef::parse_xml(xml)?;
        def.capacity = POOL_CAPACITY;
        def.available = POOL_CAPACITY;
        let r = {
            let mut pools = self.storage.pools.lock();
            if let Some(e) = duplicate_source(&pools, &def) {
                return Err(e);
            }
            if let Some(e) = list_add_conflict(&pools, &def) {
                return Err(e);
            }
            match pools.iter_mut().find(|o| o.def.uuid == def.uuid) {
                Some(o) => {
                    // libvirt keeps a running pool's new definition aside (`newDef`), and its
                    // test driver never puts it in force: the pool keeps the one it has.
                    if !o.active {
                        o.def = def;
                    }
                    o.persistent = true;
                    o.set_default_sizes();
                    o.to_ref()
                }
                None => {
                    let mut o = PoolObj {
                        def,
                        active: false,
                        persistent: true,
                        autostart: false,
                        vols: Vec::new(),
                    };
                    o.set_default_sizes();
                    let r = o.to_ref();
                    pools.push(o);
                    r
                }
            }
        };
        self.storage_lifecycle(r.clone(), StoragePoolEventLifecycleType::DEFINED);
        Ok(r)
    }

    async fn storage_pool_build(&self, pool: &PoolRef, flags: StoragePoolBuildFlags) -> Result<()> {
        check_flags(FROM, "testStoragePoolBuild", flags.bits(), 0)?;
        self.with_inactive_pool(&pool.name, |_| Ok(()))?;
        self.storage_lifecycle(pool.clone(), StoragePoolEventLifecycleType::CREATED);
        Ok(())
    }

    async fn storage_pool_undefine(&self, pool: &PoolRef) -> Result<()> {
        self.with_inactive_pool(&pool.name, |_| Ok(()))?;
        self.storage
            .pools
            .lock()
            .retain(|o| o.def.name != *pool.name);
        self.storage_lifecycle(pool.clone(), StoragePoolEventLifecycleType::UNDEFINED);
        Ok(())
    }

    async fn storage_pool_create(
        &self,
        pool: &PoolRef,
        flags: StoragePoolCreateFlags,
    ) -> Result<()> {
        check_flags(FROM, "testStoragePoolCreate", flags.bits(), 0)?;
        self.with_inactive_pool(&pool.name, |o| {
            o.active = true;
            Ok(())
        })?;
        self.storage_lifecycle(pool.clone(), StoragePoolEventLifecycleType::STARTED);
        Ok(())
    }

    async fn storage_pool_destroy(&self, pool: &PoolRef) -> Result<()> {
        let (r, transient, fc_host) = self.with_active_pool(&pool.name, |o| {
            o.active = false;
            Ok((o.to_ref(), !o.persistent, fc_host_wwns(&o.def).is_some()))
        })?;
        // libvirt's test driver removes the vHBA it believes the pool made; when it is gone the
        // pool stays, stopped, and the call fails.
        if fc_host {
            let ev = self.nodedevs.destroy_vport()?;
            self.emit_nodedev(ev);
        }
        if transient {
            self.storage
                .pools
                .lock()
                .retain(|o| o.def.name != *pool.name);
        }
        self.storage_lifecycle(r, StoragePoolEventLifecycleType::STOPPED);
        Ok(())
    }

    async fn storage_pool_delete(
        &self,
        pool: &PoolRef,
        flags: StoragePoolDeleteFlags,
    ) -> Result<()> {
        check_flags(FROM, "testStoragePoolDelete", flags.bits(), 0)?;
        self.with_inactive_pool(&pool.name, |_| Ok(()))?;
        self.storage_lifecycle(pool.clone(), StoragePoolEventLifecycleType::DELETED);
        Ok(())
    }

    async fn storage_pool_refresh(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testStoragePoolRefresh", flags, 0)?;
        self.with_active_pool(&pool.name, |_| Ok(()))?;
        self.storage
            .events
            .emit(StoragePoolEvent::Refresh { pool: pool.clone() });
        Ok(())
    }

    async fn storage_pool_get_info(&self, pool: &PoolRef) -> Result<StoragePoolInfo> {
        self.with_pool(&pool.name, |o| {
            Ok(StoragePoolInfo {
                state: if o.active {
                    StoragePoolState::RUNNING
                } else {
                    StoragePoolState::INACTIVE
                },
                capacity: o.def.capacity,
                allocation: o.def.allocation,
                available: o.def.available,
            })
        })
    }

    async fn storage_pool_get_xml_desc(
        &self,
        pool: &PoolRef,
        flags: StorageXMLFlags,
    ) -> Result<String> {
        check_flags(FROM, "testStoragePoolGetXMLDesc", flags.bits(), 0)?;
        self.with_pool(&pool.name, |o| Ok(o.def.format_xml()))
    }

    async fn storage_pool_get_autostart(&self, pool: &PoolRef) -> Result<bool> {
        self.with_pool(&pool.name, |o| Ok(o.persistent && o.autostart))
    }

    async fn storage_pool_set_autostart(&self, pool: &PoolRef, autostart: bool) -> Result<()> {
        self.with_pool(&pool.name, |o| {
            if !o.persistent {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    "pool has no config file",
                ));
            }
            o.autostart = autostart;
            Ok(())
        })
    }

    async fn storage_pool_num_of_volumes(&self, pool: &PoolRef) -> Result<i32> {
        self.with_active_pool(&pool.name, |o| Ok(o.vols.len() as i32))
    }

    async fn storage_pool_list_volumes(&self, pool: &PoolRef, max: i32) -> Result<Vec<String>> {
        self.with_active_pool(&pool.name, |o| {
            Ok(o.vols
                .iter()
                .take(max.max(0) as usize)
                .map(|v| v.name.clone())
                .collect())
        })
    }

    async fn storage_pool_list_all_volumes(
        &self,
        pool: &PoolRef,
        flags: u32,
    ) -> Result<Vec<VolRef>> {
        check_flags(FROM, "testStoragePoolListAllVolumes", flags, 0)?;
        let pools = self.storage.pools.lock();
        let o = pools
            .iter()
            .find(|o| o.def.uuid == pool.uuid)
            .ok_or_else(|| no_pool_uuid(&pool.uuid))?;
        if !o.active {
            return Err(Error::operation_invalid(FROM, "storage pool is not active"));
        }
        Ok(o.vols.iter().map(|v| o.vol_ref(v)).collect())
    }

    async fn storage_pool_is_active(&self, pool: &PoolRef) -> Result<bool> {
        self.with_pool_by_uuid(&pool.uuid, |o| o.active)
    }

    async fn storage_pool_is_persistent(&self, pool: &PoolRef) -> Result<bool> {
        self.with_pool_by_uuid(&pool.uuid, |o| o.persistent)
    }

    async fn storage_vol_lookup_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        self.with_active_pool(&pool.name, |o| {
            let v = Self::find_vol(o, name)?;
            Ok(o.vol_ref(v))
        })
    }

    async fn storage_vol_lookup_by_key(&self, key: &str) -> Result<VolRef> {
        self.search_vol("key", key, |v| v.key.as_deref() == Some(key))
    }

    async fn storage_vol_lookup_by_path(&self, path: &str) -> Result<VolRef> {
        self.search_vol("path", path, |v| v.target.path.as_deref() == Some(path))
    }

    async fn storage_vol_create_xml(
        &self,
        pool: &PoolRef,
        xml: &str,
        flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        self.create_vol(pool, xml, None, flags, "testStorageVolCreateXML")
    }

    async fn storage_vol_create_xml_from(
        &self,
        pool: &PoolRef,
        xml: &str,
        clone: &VolRef,
        flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        self.create_vol(pool, xml, Some(clone), flags, "testStorageVolCreateXMLFrom")
    }

    async fn storage_vol_delete(&self, vol: &VolRef, flags: StorageVolDeleteFlags) -> Result<()> {
        check_flags(FROM, "testStorageVolDelete", flags.bits(), 0)?;
        self.with_active_pool(&vol.pool, |o| {
            let i = o
                .vols
                .iter()
                .position(|v| *v.name == *vol.name)
                .ok_or_else(|| no_vol("name", &vol.name))?;
            let v = o.vols.remove(i);
            o.def.allocation = o.def.allocation.saturating_sub(v.allocation);
            o.def.available = o.def.capacity.saturating_sub(o.def.allocation);
            Ok(())
        })
    }

    async fn storage_vol_get_info(&self, vol: &VolRef) -> Result<StorageVolInfo> {
        self.with_active_pool(&vol.pool, |o| {
            let v = Self::find_vol(o, &vol.name)?;
            Ok(StorageVolInfo {
                vol_type: StorageVolType(o.def.volume_type() as i32),
                capacity: v.capacity,
                allocation: v.allocation,
            })
        })
    }

    async fn storage_vol_get_info_flags(
        &self,
        _vol: &VolRef,
        _flags: StorageVolInfoFlags,
    ) -> Result<StorageVolInfo> {
        unsupported("virStorageVolGetInfoFlags")
    }

    async fn storage_vol_get_xml_desc(&self, vol: &VolRef, flags: u32) -> Result<String> {
        check_flags(FROM, "testStorageVolGetXMLDesc", flags, 0)?;
        self.with_active_pool(&vol.pool, |o| {
            let v = Self::find_vol(o, &vol.name)?;
            Ok(v.format_xml(&o.def))
        })
    }

    async fn storage_vol_get_path(&self, vol: &VolRef) -> Result<String> {
        self.with_active_pool(&vol.pool, |o| {
            let v = Self::find_vol(o, &vol.name)?;
            Ok(v.target.path.clone().unwrap_or_default())
        })
    }

    async fn connect_storage_pool_event_register_any(
        &self,
        pool: Option<&PoolRef>,
        event_id: StoragePoolEventID,
        cb: StoragePoolEventCallback,
    ) -> Result<CallbackId> {
        if !(0..=1).contains(&event_id.0) {
            return self.storage.events.register(None, event_id, cb);
        }
        // One numbering for the callbacks of every family, as in libvirt.
        let id = self.events.allocate_id();
        self.storage
            .events
            .register_as(Some(id), pool.map(|p| p.uuid), event_id, cb)
    }

    async fn connect_storage_pool_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.storage.events.deregister(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn drv() -> Arc<TestDriver> {
        TestDriver::open("test:///default?private=1").unwrap()
    }

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        pollster::block_on(f)
    }

    #[test]
    fn default_pool_is_there_and_running() {
        let d = drv();
        let p = block(d.storage_pool_lookup_by_name("default-pool")).unwrap();
        let info = block(d.storage_pool_get_info(&p)).unwrap();
        assert_eq!(info.state, StoragePoolState::RUNNING);
        assert_eq!(info.capacity, 100 << 30);
        assert!(block(d.storage_pool_is_persistent(&p)).unwrap());
        assert!(!block(d.storage_pool_get_autostart(&p)).unwrap());
    }

    #[test]
    fn volume_lifecycle_updates_the_pool() {
        let d = drv();
        let p = block(d.storage_pool_lookup_by_name("default-pool")).unwrap();
        let v = block(d.storage_vol_create_xml(
            &p,
            "<volume><name>v</name><capacity unit='G'>1</capacity></volume>",
            StorageVolCreateFlags::empty(),
        ))
        .unwrap();
        assert_eq!(&*v.key, "/default-pool/v");
        assert_eq!(
            block(d.storage_pool_get_info(&p)).unwrap().allocation,
            1 << 30
        );
        let dup = block(d.storage_vol_create_xml(
            &p,
            "<volume><name>v</name><capacity>1</capacity></volume>",
            StorageVolCreateFlags::empty(),
        ))
        .unwrap_err();
        assert_eq!(dup.message, "operation failed: storage vol already exists");
        let c = block(d.storage_vol_create_xml_from(
            &p,
            "<volume><name>c</name><capacity>1</capacity></volume>",
            &v,
            StorageVolCreateFlags::empty(),
        ))
        .unwrap();
        assert_eq!(
            block(d.storage_vol_lookup_by_path("/default-pool/c")).unwrap(),
            c
        );
        block(d.storage_vol_delete(&v, StorageVolDeleteFlags::empty())).unwrap();
        assert_eq!(block(d.storage_pool_get_info(&p)).unwrap().allocation, 1);
        let e = block(d.storage_vol_get_path(&v)).unwrap_err();
        assert_eq!(e.code, ErrorNumber::NO_STORAGE_VOL);
        let too_big = block(d.storage_vol_create_xml(
            &p,
            "<volume><name>big</name><capacity unit='T'>1</capacity></volume>",
            StorageVolCreateFlags::empty(),
        ))
        .unwrap_err();
        assert_eq!(
            too_big.message,
            "internal error: Not enough free space in pool for volume 'big'"
        );
    }

    #[test]
    fn transient_pool_goes_when_destroyed() {
        let d = drv();
        let p = block(d.storage_pool_create_xml(
            "<pool type='dir'><name>t</name><target><path>/t</path></target></pool>",
            StoragePoolCreateFlags::empty(),
        ))
        .unwrap();
        assert!(!block(d.storage_pool_is_persistent(&p)).unwrap());
        let e = block(d.storage_pool_set_autostart(&p, true)).unwrap_err();
        assert_eq!(e.message, "invalid argument: pool has no config file");
        block(d.storage_pool_destroy(&p)).unwrap();
        assert_eq!(
            block(d.storage_pool_lookup_by_name("t"))
                .unwrap_err()
                .message,
            "Storage pool not found: no storage pool with matching name 't'"
        );
    }

    #[test]
    fn node_documents_bring_pools_and_volumes() {
        // The values libvirt 9.0 reports for the same document (virsh pool-list --details,
        // vol-list --details, vol-dumpxml).
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/storage-xml/node-with-pools.xml"
        );
        let d = TestDriver::open(&format!("test://{path}")).unwrap();
        let p = block(d.storage_pool_lookup_by_name("nodepool")).unwrap();
        let info = block(d.storage_pool_get_info(&p)).unwrap();
        // a.img's 10 MiB and b.img's 1000 bytes (allocation defaults to capacity).
        assert_eq!(info.allocation, (10 << 20) + 1000);
        assert_eq!(info.available, (100 << 30) - (10 << 20) - 1000);
        let a = block(d.storage_vol_lookup_by_name(&p, "a.img")).unwrap();
        assert_eq!(&*a.key, "/node-pool/a.img");
        let b = block(d.storage_vol_lookup_by_key("custom-key")).unwrap();
        assert_eq!(
            block(d.storage_vol_get_path(&b)).unwrap(),
            "/elsewhere/b.img"
        );
        let lv = block(d.storage_pool_lookup_by_name("vgx")).unwrap();
        assert!(
            block(d.storage_pool_get_xml_desc(&lv, StorageXMLFlags::empty()))
                .unwrap()
                .contains("<path>/dev/vgx</path>")
        );
    }

    #[test]
    fn callback_ids_are_shared_with_domain_events() {
        use rvirt_driver::DomainDriver;
        let d = drv();
        let dom = block(d.connect_domain_event_register_any(
            None,
            rvirt_types::domain::DomainEventID::LIFECYCLE,
            Arc::new(|_| {}),
        ))
        .unwrap();
        let pool = block(d.connect_storage_pool_event_register_any(
            None,
            StoragePoolEventID::REFRESH,
            Arc::new(|_| {}),
        ))
        .unwrap();
        assert_eq!((dom, pool), (0, 1));
        block(d.connect_storage_pool_event_deregister_any(pool)).unwrap();
        assert!(block(d.connect_storage_pool_event_deregister_any(pool)).is_err());
    }

    #[test]
    fn list_all_filters() {
        let d = drv();
        block(d.storage_pool_define_xml(
            "<pool type='logical'><name>vg</name><source><device path='/dev/sda'/></source></pool>",
            StoragePoolDefineFlags::empty(),
        ))
        .unwrap();
        type F = ConnectListAllStoragePoolsFlags;
        let names = |f: F| -> Vec<String> {
            block(d.connect_list_all_storage_pools(f))
                .unwrap()
                .into_iter()
                .map(|p| p.name.to_string())
                .collect()
        };
        assert_eq!(names(F::empty()), ["default-pool", "vg"]);
        assert_eq!(names(F::INACTIVE), ["vg"]);
        assert_eq!(names(F::LOGICAL), ["vg"]);
        assert_eq!(names(F::DIR | F::ACTIVE), ["default-pool"]);
        assert!(names(F::TRANSIENT).is_empty());
        assert_eq!(names(F::ACTIVE | F::INACTIVE).len(), 2);
    }
}
