//! Storage pools and volumes of the QEMU driver: `dir` pools (a folder) and `fs` pools (a
//! block device mounted on a folder), with volumes as files.
//!
//! Pools are kept as libvirt keeps them: persistent configs one file per pool, written
//! atomically; autostart links; a state file per active pool so a restarted daemon finds its
//! pools running. The volume list of an active pool is read from its folder at start and on
//! refresh (`qemu-img info` for images, `st_blocks` for allocation) and kept up to date by the
//! calls that create and delete volumes.
//!
//! Every file operation runs off the caller's executor ([`crate::util::off_thread`]). A volume
//! being made is in the list marked `building`, so no other call can take its name or touch
//! it; if making it fails, what was made is removed.

mod files;
mod stream;

use crate::Dirs;
use crate::util::{off_thread, remove_durably, write_atomic};
pub(crate) use files::probe as probe_file;
use files::{NewPerms, Probe};
use parking_lot::Mutex;
use rvirt_conf::storage::{PoolDef, PoolType, VolDef, VolTarget, VolType, sanitize_path};
use rvirt_driver::storage::StoragePoolEventCallback;
use rvirt_driver::{
    CallbackId, PoolRef, StorageDriver, StoragePoolEvent, StoragePoolEventBus, StreamBackend,
    VolRef, check_flags,
};
use rvirt_types::storage::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const FROM: ErrorDomain = ErrorDomain::STORAGE;

/// libvirt's default mode of a pool folder it builds.
const POOL_DIR_MODE: u32 = 0o711;
/// libvirt's default mode of a new volume.
const VOL_MODE: u32 = 0o600;

/// One volume of an active pool.
#[derive(Clone, Debug)]
struct Vol {
    def: VolDef,
    /// Being made: invisible to other calls until done.
    building: bool,
    /// Streams open on it.
    in_use: u32,
}

/// A file system's capacity, allocation and available bytes.
type Sizes = (u64, u64, u64);

/// One pool.
#[derive(Clone, Debug)]
struct PoolObj {
    def: PoolDef,
    /// A definition saved while the pool ran, in force from its next start.
    new_def: Option<PoolDef>,
    active: bool,
    persistent: bool,
    autostart: bool,
    vols: Vec<Vol>,
}

impl PoolObj {
    fn to_ref(&self) -> PoolRef {
        PoolRef::of(&self.def)
    }

    fn vol_ref(&self, v: &VolDef) -> VolRef {
        VolRef::of(&self.def, v)
    }

    fn target(&self) -> PathBuf {
        PathBuf::from(self.def.target_path.as_deref().unwrap_or("/"))
    }

    /// Keeps the file system's sizes of a refresh: what pool info and XML report until the
    /// next one, adjusted by the volume calls in between (as libvirt keeps them).
    fn set_sizes(&mut self, (capacity, allocation, available): Sizes) {
        (self.def.capacity, self.def.allocation, self.def.available) =
            (capacity, allocation, available);
    }

    fn vol(&self, name: &str) -> Result<&Vol> {
        self.vols
            .iter()
            .find(|v| v.def.name == name && !v.building)
            .ok_or_else(|| no_vol("name", name))
    }

    fn vol_mut(&mut self, name: &str) -> Result<&mut Vol> {
        self.vols
            .iter_mut()
            .find(|v| v.def.name == name)
            .ok_or_else(|| no_vol("name", name))
    }
}

struct Inner {
    dirs: Dirs,
    pools: Mutex<Vec<PoolObj>>,
    events: StoragePoolEventBus,
}

/// The storage state of one QEMU driver.
pub struct Storage {
    inner: Arc<Inner>,
}

fn no_pool_name(name: &str) -> Error {
    Error::with_detail(
        FROM,
        ErrorNumber::NO_STORAGE_POOL,
        format!("no storage pool with matching name '{name}'"),
    )
}

fn no_vol(what: &str, value: &str) -> Error {
    let text = if what == "key" {
        format!("no storage vol with matching key {value}")
    } else {
        format!("no storage vol with matching {what} '{value}'")
    };
    Error::with_detail(FROM, ErrorNumber::NO_STORAGE_VOL, text)
}

fn not_active(name: &str) -> Error {
    Error::operation_invalid(FROM, format!("storage pool '{name}' is not active"))
}

fn still_active(name: &str) -> Error {
    Error::operation_invalid(FROM, format!("storage pool '{name}' is still active"))
}

fn in_use(name: &str) -> Error {
    Error::operation_invalid(FROM, format!("volume '{name}' is still in use."))
}

fn sys(what: String, e: &std::io::Error) -> Error {
    Error::system(FROM, what, e)
}

/// The backends this driver has; libvirt's error for the others.
fn check_backend(def: &PoolDef) -> Result<()> {
    match def.pool_type {
        PoolType::Dir | PoolType::Fs => Ok(()),
        t => Err(Error::with_detail(
            FROM,
            ErrorNumber::INTERNAL_ERROR,
            format!("missing backend for pool type {} ({})", t as i32, t.name()),
        )),
    }
}

/// Scans an active pool's folder: every entry but our upload temporaries, probed.
fn scan(pool: &PoolDef) -> Result<Vec<VolDef>> {
    let target = PathBuf::from(pool.target_path.as_deref().unwrap_or("/"));
    let rd = std::fs::read_dir(&target)
        .map_err(|e| sys(format!("cannot open directory '{}'", target.display()), &e))?;
    let mut vols = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(files::UPLOAD_TEMP_PREFIX) {
            // A daemon that died mid-upload left it; the volume it was for is untouched.
            let _ = std::fs::remove_file(entry.path());
            continue;
        }
        let path = entry.path();
        // Entries that vanish or cannot be read are skipped, as libvirt skips them.
        let Ok(p) = files::probe(&path) else { continue };
        vols.push(vol_def(pool, &name, &path, &p));
    }
    vols.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(vols)
}

/// The definition of a volume as its file describes it.
fn vol_def(pool: &PoolDef, name: &str, path: &Path, p: &Probe) -> VolDef {
    let path_s = path.to_string_lossy().into_owned();
    let perms = rvirt_conf::storage::Perms {
        mode: Some(p.mode),
        owner: Some(p.uid),
        group: Some(p.gid),
        label: None,
    };
    let _ = pool;
    VolDef {
        vol_type: if p.is_dir {
            VolType::Dir
        } else {
            VolType::File
        },
        name: name.to_string(),
        key: Some(path_s.clone()),
        capacity: p.capacity,
        allocation: p.allocation,
        has_allocation: true,
        physical: p.physical,
        target: VolTarget {
            path: Some(path_s),
            format: Some(p.format.clone()),
            perms,
            // libvirt on Linux reports no birth time: 0.
            timestamps: Some(rvirt_conf::storage::VolTimestamps {
                atime: p.times[0],
                mtime: p.times[1],
                ctime: p.times[2],
                btime: (0, 0),
            }),
            compat: p.qcow2.as_ref().and_then(|q| q.compat.clone()),
            cluster_size: p.qcow2.as_ref().map(|q| q.cluster_size).filter(|c| *c > 0),
            features: p.qcow2.as_ref().and_then(|q| q.features.clone()),
            ..VolTarget::default()
        },
        backing_store: p.backing.as_ref().map(|(b, f)| VolTarget {
            path: Some(b.clone()),
            format: f.clone(),
            ..VolTarget::default()
        }),
    }
}

impl Inner {
    fn config_file(&self, name: &str) -> PathBuf {
        self.dirs.storage_config.join(format!("{name}.xml"))
    }

    fn autostart_link(&self, name: &str) -> PathBuf {
        self.dirs.storage_autostart.join(format!("{name}.xml"))
    }

    fn state_file(&self, name: &str) -> PathBuf {
        self.dirs.storage_state.join(format!("{name}.xml"))
    }

    fn with_pool<T>(&self, name: &str, f: impl FnOnce(&mut PoolObj) -> Result<T>) -> Result<T> {
        let mut pools = self.pools.lock();
        let o = pools
            .iter_mut()
            .find(|o| o.def.name == name)
            .ok_or_else(|| no_pool_name(name))?;
        f(o)
    }

    fn with_active_pool<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut PoolObj) -> Result<T>,
    ) -> Result<T> {
        self.with_pool(name, |o| {
            if !o.active {
                return Err(not_active(&o.def.name));
            }
            f(o)
        })
    }

    fn lifecycle(&self, pool: PoolRef, event: StoragePoolEventLifecycleType) {
        self.events.emit(StoragePoolEvent::Lifecycle {
            pool,
            event,
            detail: 0,
        });
    }

    /// Makes a pool usable: checks (or mounts) its folder, reads its volumes and the file
    /// system's sizes. Blocking.
    fn start_backend(def: &PoolDef) -> Result<(Vec<VolDef>, Sizes)> {
        let target = PathBuf::from(def.target_path.as_deref().unwrap_or("/"));
        if def.pool_type == PoolType::Fs && !files::is_mounted(&target) {
            let Some(dev) = def.source.devices.first() else {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    "missing source device",
                ));
            };
            if !target.is_dir() {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_INVALID,
                    format!("cannot mount on '{}': not a directory", target.display()),
                ));
            }
            let t = target.to_string_lossy();
            let fmt = def.source.format.as_deref().unwrap_or("auto");
            let mut args = Vec::new();
            if fmt != "auto" {
                args.extend(["-t", fmt]);
            }
            args.extend([dev.path.as_str(), &t]);
            crate::util::run("mount", &args)?;
        }
        let vols = scan(def).and_then(|v| Ok((v, files::fs_sizes(&target)?)));
        if vols.is_err() && def.pool_type == PoolType::Fs {
            let _ = crate::util::run("umount", &[&target.to_string_lossy()]);
        }
        vols
    }

    fn stop_backend(def: &PoolDef) -> Result<()> {
        let target = PathBuf::from(def.target_path.as_deref().unwrap_or("/"));
        if def.pool_type == PoolType::Fs && files::is_mounted(&target) {
            crate::util::run("umount", &[&target.to_string_lossy()])?;
        }
        Ok(())
    }

    fn save_state(&self, def: &PoolDef) -> Result<()> {
        std::fs::create_dir_all(&self.dirs.storage_state).map_err(|e| {
            sys(
                format!(
                    "cannot create directory '{}'",
                    self.dirs.storage_state.display()
                ),
                &e,
            )
        })?;
        let path = self.state_file(&def.name);
        write_atomic(&path, def.format_xml().as_bytes())
            .map_err(|e| sys(format!("cannot write state file '{}'", path.display()), &e))
    }

    fn save_config(&self, def: &PoolDef) -> Result<()> {
        std::fs::create_dir_all(&self.dirs.storage_config).map_err(|e| {
            sys(
                format!(
                    "cannot create config directory '{}'",
                    self.dirs.storage_config.display()
                ),
                &e,
            )
        })?;
        let path = self.config_file(&def.name);
        // libvirt keeps no sizes in a config.
        let mut d = def.clone();
        d.capacity = 0;
        d.allocation = 0;
        d.available = 0;
        write_atomic(&path, d.format_xml().as_bytes())
            .map_err(|e| sys(format!("cannot write config file '{}'", path.display()), &e))
    }
}

/// Reads the `.xml` files of `dir`: (file stem, definition); unreadable ones are skipped.
fn read_defs(dir: &Path) -> Vec<(String, PoolDef)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".xml") else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        match PoolDef::parse_xml(&text) {
            Ok(d) if d.name == stem => out.push((stem.to_string(), d)),
            _ => {}
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

impl Storage {
    /// Loads the pools of `dirs`: persistent configs, then the pools that were running (their
    /// state files) or are marked autostart are started again.
    pub(crate) fn load(dirs: Dirs) -> Result<Storage> {
        let mut pools: Vec<PoolObj> = Vec::new();
        for (name, def) in read_defs(&dirs.storage_config) {
            let autostart = dirs.storage_autostart.join(format!("{name}.xml")).exists();
            pools.push(PoolObj {
                def,
                new_def: None,
                active: false,
                persistent: true,
                autostart,
                vols: Vec::new(),
            });
        }
        let running: Vec<(String, PoolDef)> = read_defs(&dirs.storage_state);
        for (name, def) in &running {
            if !pools.iter().any(|o| o.def.name == *name) {
                pools.push(PoolObj {
                    def: def.clone(),
                    new_def: None,
                    active: false,
                    persistent: false,
                    autostart: false,
                    vols: Vec::new(),
                });
            }
        }
        let inner = Inner {
            dirs,
            pools: Mutex::new(Vec::new()),
            events: StoragePoolEventBus::default(),
        };
        let mut kept = Vec::new();
        for mut o in pools {
            let was_running = running.iter().any(|(n, _)| *n == o.def.name);
            if (was_running || o.autostart) && check_backend(&o.def).is_ok() {
                match Inner::start_backend(&o.def) {
                    Ok((vols, sizes)) => {
                        o.active = true;
                        o.set_sizes(sizes);
                        o.vols = vols
                            .into_iter()
                            .map(|def| Vol {
                                def,
                                building: false,
                                in_use: 0,
                            })
                            .collect();
                        let _ = inner.save_state(&o.def);
                    }
                    Err(_) => {
                        let _ = remove_durably(&inner.state_file(&o.def.name));
                    }
                }
            }
            if o.active || o.persistent {
                kept.push(o);
            }
        }
        *inner.pools.lock() = kept;
        Ok(Storage {
            inner: Arc::new(inner),
        })
    }
}

/// libvirt's checks when a pool is added: same UUID with another name, same name with another
/// UUID, or another pool on the same folder or device.
fn add_conflict(pools: &[PoolObj], def: &PoolDef) -> Option<Error> {
    let defs = pools.iter().map(|o| &o.def);
    if let Some(e) = rvirt_driver::storage::pool_identity_conflict(defs.clone(), def) {
        return Some(e);
    }
    if defs.clone().any(|d| d.uuid == def.uuid) {
        // The same pool again: a redefinition, not a second pool on its source.
        return None;
    }
    let dup = pools.iter().find(|o| {
        o.def.pool_type == def.pool_type
            && match def.pool_type {
                PoolType::Dir => o.def.target_path == def.target_path,
                PoolType::Fs => {
                    o.def.source.devices.first().map(|d| &d.path)
                        == def.source.devices.first().map(|d| &d.path)
                }
                _ => false,
            }
    })?;
    Some(rvirt_driver::storage::pool_source_conflict(&dup.def.name))
}

/// Checks a pool definition this driver can serve: a backend for its type, an absolute target
/// folder, a source device for `fs`.
fn check_def(def: &PoolDef) -> Result<()> {
    check_backend(def)?;
    match def.target_path.as_deref() {
        Some(p) if p.starts_with('/') => {}
        _ => {
            return Err(Error::with_detail(
                ErrorDomain::XML,
                ErrorNumber::XML_ERROR,
                "missing storage pool target path",
            ));
        }
    }
    if def.pool_type == PoolType::Fs && def.source.devices.is_empty() {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::XML_ERROR,
            "missing storage pool source device path",
        ));
    }
    Ok(())
}

impl crate::QemuDriver {
    fn inner(&self) -> &Arc<Inner> {
        &self.storage.inner
    }

    /// Starts the pool `name` (already checked inactive by the caller's lock): backend, state
    /// file, volumes.
    async fn start_pool(&self, name: &str) -> Result<PoolRef> {
        let inner = self.inner().clone();
        let def = inner.with_pool(name, |o| {
            if o.active {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("storage pool '{}' is already active", o.def.name),
                ));
            }
            if let Some(n) = o.new_def.take() {
                o.def = n;
            }
            Ok(o.def.clone())
        })?;
        let d2 = def.clone();
        let (vols, sizes) = off_thread(move || Inner::start_backend(&d2)).await?;
        inner.save_state(&def)?;
        inner.with_pool(name, |o| {
            o.active = true;
            o.set_sizes(sizes);
            o.vols = vols
                .into_iter()
                .map(|def| Vol {
                    def,
                    building: false,
                    in_use: 0,
                })
                .collect();
            Ok(o.to_ref())
        })
    }

    fn build_pool_blocking(def: &PoolDef, flags: StoragePoolBuildFlags) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let target = PathBuf::from(def.target_path.as_deref().unwrap_or("/"));
        let existed = target.is_dir();
        std::fs::create_dir_all(&target)
            .map_err(|e| sys(format!("cannot create path '{}'", target.display()), &e))?;
        let perms = &def.target_perms;
        if !existed || perms.mode.is_some() {
            let mode = perms.mode.unwrap_or(POOL_DIR_MODE);
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                .map_err(|e| sys(format!("cannot set mode of '{}'", target.display()), &e))?;
        }
        if perms.owner.is_some() || perms.group.is_some() {
            std::os::unix::fs::chown(&target, perms.owner, perms.group)
                .map_err(|e| sys(format!("cannot chown '{}'", target.display()), &e))?;
        }
        type F = StoragePoolBuildFlags;
        if def.pool_type == PoolType::Fs && flags.intersects(F::OVERWRITE | F::NO_OVERWRITE) {
            let dev = def
                .source
                .devices
                .first()
                .map(|d| d.path.clone())
                .unwrap_or_default();
            let fmt = match def.source.format.as_deref() {
                None | Some("auto") => "ext4",
                Some(f) => f,
            };
            if flags.contains(F::NO_OVERWRITE) {
                let found = crate::util::run("blkid", &["-o", "value", "-s", "TYPE", &dev])
                    .unwrap_or_default();
                let found = found.trim();
                if !found.is_empty() {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::STORAGE_POOL_BUILT,
                        format!("Device '{dev}' already formatted using '{found}'"),
                    ));
                }
            }
            crate::util::run(&format!("mkfs.{fmt}"), &["-q", "-F", &dev]).or_else(|_| {
                crate::util::run("mkfs", &["-t", fmt, &dev])
                    .map(drop)
                    .map(|_| String::new())
            })?;
        }
        Ok(())
    }

    /// Makes a volume in `pool` from `xml`, from `clone`'s data if given.
    async fn create_vol(
        &self,
        pool: &PoolRef,
        xml: &str,
        clone: Option<&VolRef>,
        flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        type F = StorageVolCreateFlags;
        check_flags(
            FROM,
            if clone.is_some() {
                "storageVolCreateXMLFrom"
            } else {
                "storageVolCreateXML"
            },
            flags.bits(),
            (F::PREALLOC_METADATA | F::VALIDATE).bits(),
        )?;
        let inner = self.inner().clone();
        // Reserve the name, with the definition completed as the file will be.
        let (r, vol, pool_def, source) = inner.with_active_pool(&pool.name, |o| {
            let mut vol = VolDef::parse_xml(&o.def, xml)?;
            if o.vols.iter().any(|v| v.def.name == vol.name) {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::STORAGE_VOL_EXIST,
                    format!("'{}'", vol.name),
                ));
            }
            vol.check_file_name()?;
            let path = format!("{}/{}", o.target().display(), vol.name);
            // A target path may be given only if it is the one the volume gets.
            if let Some(p) = vol.target.path.as_deref() {
                if sanitize_path(p) != path {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::INVALID_ARG,
                        format!(
                            "volume target path '{p}' is outside pool '{}' (volumes of this pool are '{path}')",
                            o.def.name
                        ),
                    ));
                }
            }
            if std::fs::symlink_metadata(&path).is_ok() {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("volume target path '{path}' already exists"),
                ));
            }
            let source = match clone {
                Some(c) => {
                    let src = o.vol(&c.name)?;
                    if src.def.target.path.as_deref() != Some(&*c.key) {
                        return Err(no_vol("name", &c.name));
                    }
                    Some(src.def.clone())
                }
                None => None,
            };
            vol.target.path = Some(path.clone());
            vol.key = Some(path);
            vol.vol_type = VolType::File;
            if vol.target.format.as_deref() == Some("dir") {
                vol.vol_type = VolType::Dir;
            }
            let r = o.vol_ref(&vol);
            o.vols.push(Vol {
                def: vol.clone(),
                building: true,
                in_use: 0,
            });
            Ok((r, vol, o.def.clone(), source))
        })?;
        let path = PathBuf::from(vol.target.path.clone().unwrap_or_default());
        let p2 = path.clone();
        let built = off_thread(move || {
            let res = build_vol(&p2, &vol, source.as_ref(), flags);
            if res.is_err() {
                // Whatever was made goes: no half-made volume stays behind.
                let _ = files::delete(&p2, vol.vol_type == VolType::Dir);
                return res.map(|_| unreachable_probe());
            }
            let probe = files::probe(&p2);
            if probe.is_err() {
                let _ = files::delete(&p2, vol.vol_type == VolType::Dir);
            }
            probe.map(|p| vol_def(&pool_def, &vol.name, &p2, &p))
        })
        .await;
        inner.with_pool(&pool.name, |o| {
            let i = o
                .vols
                .iter()
                .position(|v| v.def.name == *r.name && v.building);
            match (&built, i) {
                (Ok(def), Some(i)) => {
                    // libvirt counts a new volume into the pool's sizes without a refresh.
                    o.def.allocation = o.def.allocation.saturating_add(def.allocation);
                    o.def.available = o.def.available.saturating_sub(def.allocation);
                    o.vols[i] = Vol {
                        def: def.clone(),
                        building: false,
                        in_use: 0,
                    }
                }
                (Err(_), Some(i)) => {
                    o.vols.remove(i);
                }
                _ => {}
            }
            Ok(())
        })?;
        built.map(|_| r)
    }

    /// The volume `vol` names, for a call that uses its file: checks it is there, not being
    /// made, and (if `exclusive`) not streaming.
    fn vol_for_use(&self, vol: &VolRef, exclusive: bool) -> Result<(VolDef, PoolDef)> {
        self.inner().with_active_pool(&vol.pool, |o| {
            let v = o
                .vols
                .iter()
                .find(|v| v.def.name == *vol.name)
                .ok_or_else(|| no_vol("name", &vol.name))?;
            if v.building {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("volume '{}' is still being allocated.", vol.name),
                ));
            }
            if exclusive && v.in_use > 0 {
                return Err(in_use(&vol.name));
            }
            Ok((v.def.clone(), o.def.clone()))
        })
    }

    /// The pool type, volume type and path of volume `volume` of pool `pool`, for a volume
    /// disk: libvirt's lookups in `virDomainDiskTranslateSourcePool`, with its errors (an
    /// inactive pool is the domain's unsupported configuration there, not the pool's invalid
    /// operation).
    pub(crate) fn storage_volume(
        &self,
        pool: &str,
        volume: &str,
    ) -> Result<(PoolType, VolType, String)> {
        self.inner().with_pool(pool, |o| {
            if !o.active {
                return Err(Error::with_detail(
                    ErrorDomain::DOMAIN,
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!("storage pool '{pool}' containing volume '{volume}' is not active"),
                ));
            }
            let v = o.vol(volume)?;
            let path = v.def.target.path.clone().unwrap_or_default();
            Ok((o.def.pool_type, v.def.vol_type, path))
        })
    }

    /// Re-reads one volume's file into the pool's list.
    async fn refresh_vol(&self, pool: &str, def: &VolDef, pool_def: &PoolDef) -> Result<VolDef> {
        let path = PathBuf::from(def.target.path.clone().unwrap_or_default());
        let (name, pd) = (def.name.clone(), pool_def.clone());
        let fresh = off_thread(move || {
            let p = files::probe(&path)?;
            Ok(vol_def(&pd, &name, &path, &p))
        })
        .await?;
        let _ = self.inner().with_pool(pool, |o| {
            if let Ok(v) = o.vol_mut(&def.name) {
                v.def = fresh.clone();
            }
            Ok(())
        });
        Ok(fresh)
    }

    /// Marks a volume streaming; the returned callback ends that and refreshes it.
    fn begin_stream(&self, vol: &VolRef) -> Result<(VolDef, stream::OnEnd)> {
        let (def, _) = self.vol_for_use(vol, false)?;
        self.inner().with_active_pool(&vol.pool, |o| {
            o.vol_mut(&vol.name)?.in_use += 1;
            Ok(())
        })?;
        let inner = Arc::downgrade(self.inner());
        let (pool, name) = (vol.pool.to_string(), vol.name.to_string());
        let on_end: stream::OnEnd = Box::new(move || {
            let Some(inner) = inner.upgrade() else { return };
            let path = {
                let mut pools = inner.pools.lock();
                let Some(o) = pools.iter_mut().find(|o| o.def.name == pool) else {
                    return;
                };
                let Ok(v) = o.vol_mut(&name) else { return };
                v.in_use = v.in_use.saturating_sub(1);
                PathBuf::from(v.def.target.path.clone().unwrap_or_default())
            };
            // This runs on the transfer's own thread: probing here blocks no executor.
            if let Ok(p) = files::probe(&path) {
                let mut pools = inner.pools.lock();
                if let Some(o) = pools.iter_mut().find(|o| o.def.name == pool) {
                    let pd = o.def.clone();
                    if let Ok(v) = o.vol_mut(&name) {
                        v.def = vol_def(&pd, &name, &path, &p);
                    }
                }
            }
        });
        Ok((def, on_end))
    }
}

/// Never called: makes the error arm of a build have the success type.
fn unreachable_probe() -> VolDef {
    VolDef {
        vol_type: VolType::File,
        name: String::new(),
        key: None,
        capacity: 0,
        allocation: 0,
        has_allocation: false,
        physical: 0,
        target: VolTarget::default(),
        backing_store: None,
    }
}

/// Makes a volume's file. Blocking.
fn build_vol(
    path: &Path,
    vol: &VolDef,
    source: Option<&VolDef>,
    flags: StorageVolCreateFlags,
) -> Result<VolDef> {
    let format = vol.target.format.as_deref().unwrap_or("raw");
    let perms = NewPerms {
        mode: vol.target.perms.mode.unwrap_or(VOL_MODE),
        uid: vol.target.perms.owner,
        gid: vol.target.perms.group,
    };
    if let Some(src) = source {
        let from = PathBuf::from(src.target.path.clone().unwrap_or_default());
        let from_fmt = src.target.format.as_deref().unwrap_or("raw");
        let capacity = vol.capacity.max(src.capacity);
        files::clone_image(&from, from_fmt, path, format, capacity, perms)?;
        return Ok(vol.clone());
    }
    if vol.target.encryption.is_some() {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::CONFIG_UNSUPPORTED,
            "encrypted volumes are not supported by rvirt yet",
        ));
    }
    match format {
        "dir" => {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(vol.target.perms.mode.unwrap_or(0o755))
                .create(path)
                .map_err(|e| sys(format!("cannot create path '{}'", path.display()), &e))?;
        }
        "raw" if vol.backing_store.is_none() => {
            if flags.contains(StorageVolCreateFlags::PREALLOC_METADATA) {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    "metadata preallocation is not supported for raw volumes",
                ));
            }
            files::create_raw(path, vol.capacity, vol.allocation, perms)?;
        }
        _ => {
            let backing = vol.backing_store.as_ref().and_then(|b| {
                b.path
                    .as_deref()
                    .map(|p| (p, b.format.as_deref().unwrap_or("raw")))
            });
            if let Some((b, _)) = backing {
                if !Path::new(b).exists() {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::INTERNAL_ERROR,
                        format!(
                            "backing storage not supported for raw volumes: '{b}' does not exist"
                        ),
                    ));
                }
            }
            if format == "raw" {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    "backing storage not supported for raw volumes",
                ));
            }
            files::create_image(&files::ImageSpec {
                path,
                format,
                capacity: vol.capacity,
                backing,
                compat: vol.target.compat.as_deref(),
                prealloc_metadata: flags.contains(StorageVolCreateFlags::PREALLOC_METADATA),
                perms,
            })?;
        }
    }
    Ok(vol.clone())
}

impl StorageDriver for crate::QemuDriver {
    async fn connect_num_of_storage_pools(&self) -> Result<i32> {
        Ok(self
            .inner()
            .pools
            .lock()
            .iter()
            .filter(|o| o.active)
            .count() as i32)
    }

    async fn connect_list_storage_pools(&self, max: i32) -> Result<Vec<String>> {
        let pools = self.inner().pools.lock();
        Ok(pools
            .iter()
            .filter(|o| o.active)
            .take(max.max(0) as usize)
            .map(|o| o.def.name.clone())
            .collect())
    }

    async fn connect_num_of_defined_storage_pools(&self) -> Result<i32> {
        Ok(self
            .inner()
            .pools
            .lock()
            .iter()
            .filter(|o| !o.active)
            .count() as i32)
    }

    async fn connect_list_defined_storage_pools(&self, max: i32) -> Result<Vec<String>> {
        let pools = self.inner().pools.lock();
        Ok(pools
            .iter()
            .filter(|o| !o.active)
            .take(max.max(0) as usize)
            .map(|o| o.def.name.clone())
            .collect())
    }

    async fn connect_list_all_storage_pools(
        &self,
        flags: ConnectListAllStoragePoolsFlags,
    ) -> Result<Vec<PoolRef>> {
        type F = ConnectListAllStoragePoolsFlags;
        check_flags(
            FROM,
            "storageConnectListAllStoragePools",
            flags.bits(),
            F::all().bits(),
        )?;
        let types = flags & F::from_bits_retain(0xFFFC0);
        let pools = self.inner().pools.lock();
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

    async fn storage_pool_lookup_by_name(&self, name: &str) -> Result<PoolRef> {
        self.inner().with_pool(name, |o| Ok(o.to_ref()))
    }

    async fn storage_pool_lookup_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        let pools = self.inner().pools.lock();
        pools
            .iter()
            .find(|o| o.def.uuid == *uuid)
            .map(PoolObj::to_ref)
            .ok_or_else(|| {
                Error::with_detail(
                    FROM,
                    ErrorNumber::NO_STORAGE_POOL,
                    format!("no storage pool with matching uuid '{uuid}'"),
                )
            })
    }

    async fn storage_pool_lookup_by_volume(&self, vol: &VolRef) -> Result<PoolRef> {
        self.inner().with_pool(&vol.pool, |o| Ok(o.to_ref()))
    }

    async fn storage_pool_create_xml(
        &self,
        xml: &str,
        flags: StoragePoolCreateFlags,
    ) -> Result<PoolRef> {
        type F = StoragePoolCreateFlags;
        check_flags(FROM, "storagePoolCreateXML", flags.bits(), F::all().bits())?;
        let def = PoolDef::parse_xml(xml)?;
        check_def(&def)?;
        let inner = self.inner().clone();
        {
            let mut pools = inner.pools.lock();
            if let Some(e) = add_conflict(&pools, &def) {
                return Err(e);
            }
            if let Some(o) = pools.iter().find(|o| o.def.uuid == def.uuid) {
                if o.active {
                    return Err(Error::operation_invalid(
                        FROM,
                        format!("storage pool '{}' is already active", o.def.name),
                    ));
                }
            }
            pools.retain(|o| o.def.uuid != def.uuid || o.persistent);
            match pools.iter_mut().find(|o| o.def.uuid == def.uuid) {
                Some(o) => o.new_def = Some(def.clone()),
                None => pools.push(PoolObj {
                    def: def.clone(),
                    new_def: None,
                    active: false,
                    persistent: false,
                    autostart: false,
                    vols: Vec::new(),
                }),
            }
        }
        if flags.intersects(F::WITH_BUILD | F::WITH_BUILD_OVERWRITE | F::WITH_BUILD_NO_OVERWRITE) {
            let mut bf = StoragePoolBuildFlags::empty();
            if flags.contains(F::WITH_BUILD_OVERWRITE) {
                bf |= StoragePoolBuildFlags::OVERWRITE;
            }
            if flags.contains(F::WITH_BUILD_NO_OVERWRITE) {
                bf |= StoragePoolBuildFlags::NO_OVERWRITE;
            }
            let d = def.clone();
            if let Err(e) = off_thread(move || Self::build_pool_blocking(&d, bf)).await {
                inner
                    .pools
                    .lock()
                    .retain(|o| o.def.uuid != def.uuid || o.persistent);
                return Err(e);
            }
        }
        match self.start_pool(&def.name).await {
            Ok(r) => {
                inner.lifecycle(r.clone(), StoragePoolEventLifecycleType::STARTED);
                Ok(r)
            }
            Err(e) => {
                inner
                    .pools
                    .lock()
                    .retain(|o| o.def.uuid != def.uuid || o.persistent);
                Err(e)
            }
        }
    }

    async fn storage_pool_define_xml(
        &self,
        xml: &str,
        flags: StoragePoolDefineFlags,
    ) -> Result<PoolRef> {
        check_flags(
            FROM,
            "storagePoolDefineXML",
            flags.bits(),
            StoragePoolDefineFlags::VALIDATE.bits(),
        )?;
        let def = PoolDef::parse_xml(xml)?;
        check_def(&def)?;
        let inner = self.inner().clone();
        let r = {
            let mut pools = inner.pools.lock();
            if let Some(e) = add_conflict(&pools, &def) {
                return Err(e);
            }
            inner.save_config(&def)?;
            match pools.iter_mut().find(|o| o.def.uuid == def.uuid) {
                Some(o) => {
                    if o.active {
                        o.new_def = Some(def);
                    } else {
                        o.def = def;
                    }
                    o.persistent = true;
                    o.to_ref()
                }
                None => {
                    let o = PoolObj {
                        def,
                        new_def: None,
                        active: false,
                        persistent: true,
                        autostart: false,
                        vols: Vec::new(),
                    };
                    let r = o.to_ref();
                    pools.push(o);
                    r
                }
            }
        };
        inner.lifecycle(r.clone(), StoragePoolEventLifecycleType::DEFINED);
        Ok(r)
    }

    async fn storage_pool_build(&self, pool: &PoolRef, flags: StoragePoolBuildFlags) -> Result<()> {
        type F = StoragePoolBuildFlags;
        check_flags(
            FROM,
            "storagePoolBuild",
            flags.bits(),
            (F::OVERWRITE | F::NO_OVERWRITE).bits(),
        )?;
        if flags.contains(F::OVERWRITE | F::NO_OVERWRITE) {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_INVALID,
                "Overwrite and no overwrite flags are mutually exclusive",
            ));
        }
        let def = self.inner().with_pool(&pool.name, |o| {
            if o.active {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("storage pool '{}' is already active", o.def.name),
                ));
            }
            Ok(o.new_def.clone().unwrap_or_else(|| o.def.clone()))
        })?;
        off_thread(move || Self::build_pool_blocking(&def, flags)).await?;
        self.inner()
            .lifecycle(pool.clone(), StoragePoolEventLifecycleType::CREATED);
        Ok(())
    }

    async fn storage_pool_undefine(&self, pool: &PoolRef) -> Result<()> {
        let inner = self.inner().clone();
        let r = inner.with_pool(&pool.name, |o| {
            if o.active {
                return Err(still_active(&o.def.name));
            }
            if !o.persistent {
                return Err(Error::operation_invalid(FROM, "pool has no config file"));
            }
            Ok(o.to_ref())
        })?;
        let cfg = inner.config_file(&pool.name);
        remove_durably(&cfg).map_err(|e| {
            sys(
                format!("Failed to delete config file '{}'", cfg.display()),
                &e,
            )
        })?;
        let _ = remove_durably(&inner.autostart_link(&pool.name));
        inner.pools.lock().retain(|o| o.def.name != *pool.name);
        inner.lifecycle(r, StoragePoolEventLifecycleType::UNDEFINED);
        Ok(())
    }

    async fn storage_pool_create(
        &self,
        pool: &PoolRef,
        flags: StoragePoolCreateFlags,
    ) -> Result<()> {
        type F = StoragePoolCreateFlags;
        check_flags(FROM, "storagePoolCreate", flags.bits(), F::all().bits())?;
        if flags.intersects(F::WITH_BUILD | F::WITH_BUILD_OVERWRITE | F::WITH_BUILD_NO_OVERWRITE) {
            let mut bf = StoragePoolBuildFlags::empty();
            if flags.contains(F::WITH_BUILD_OVERWRITE) {
                bf |= StoragePoolBuildFlags::OVERWRITE;
            }
            if flags.contains(F::WITH_BUILD_NO_OVERWRITE) {
                bf |= StoragePoolBuildFlags::NO_OVERWRITE;
            }
            self.storage_pool_build(pool, bf).await?;
        }
        let r = self.start_pool(&pool.name).await?;
        self.inner()
            .lifecycle(r, StoragePoolEventLifecycleType::STARTED);
        Ok(())
    }

    async fn storage_pool_destroy(&self, pool: &PoolRef) -> Result<()> {
        let inner = self.inner().clone();
        let def = inner.with_active_pool(&pool.name, |o| {
            if o.vols.iter().any(|v| v.building || v.in_use > 0) {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("pool '{}' has asynchronous jobs running.", o.def.name),
                ));
            }
            Ok(o.def.clone())
        })?;
        let d2 = def.clone();
        off_thread(move || Inner::stop_backend(&d2)).await?;
        let _ = remove_durably(&inner.state_file(&def.name));
        let r = inner.with_pool(&pool.name, |o| {
            o.active = false;
            o.vols.clear();
            if let Some(n) = o.new_def.take() {
                o.def = n;
            }
            Ok(o.to_ref())
        })?;
        inner.pools.lock().retain(|o| o.active || o.persistent);
        inner.lifecycle(r, StoragePoolEventLifecycleType::STOPPED);
        Ok(())
    }

    async fn storage_pool_delete(
        &self,
        pool: &PoolRef,
        flags: StoragePoolDeleteFlags,
    ) -> Result<()> {
        check_flags(FROM, "storagePoolDelete", flags.bits(), 0)?;
        let def = self.inner().with_pool(&pool.name, |o| {
            if o.active {
                return Err(still_active(&o.def.name));
            }
            Ok(o.def.clone())
        })?;
        let target = PathBuf::from(def.target_path.clone().unwrap_or_default());
        off_thread(move || {
            std::fs::remove_dir(&target)
                .map_err(|e| sys(format!("failed to remove pool '{}'", target.display()), &e))
        })
        .await?;
        self.inner()
            .lifecycle(pool.clone(), StoragePoolEventLifecycleType::DELETED);
        Ok(())
    }

    async fn storage_pool_refresh(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        check_flags(FROM, "storagePoolRefresh", flags, 0)?;
        let def = self.inner().with_active_pool(&pool.name, |o| {
            if o.vols.iter().any(|v| v.building || v.in_use > 0) {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("pool '{}' has asynchronous jobs running.", o.def.name),
                ));
            }
            Ok(o.def.clone())
        })?;
        let target = PathBuf::from(def.target_path.clone().unwrap_or_default());
        let (vols, sizes) =
            off_thread(move || Ok((scan(&def)?, files::fs_sizes(&target)?))).await?;
        self.inner().with_active_pool(&pool.name, |o| {
            o.set_sizes(sizes);
            let building: Vec<Vol> = o.vols.drain(..).filter(|v| v.building).collect();
            let mut fresh: Vec<Vol> = vols
                .into_iter()
                .filter(|d| !building.iter().any(|b| b.def.name == d.name))
                .map(|def| Vol {
                    def,
                    building: false,
                    in_use: 0,
                })
                .collect();
            fresh.extend(building);
            o.vols = fresh;
            Ok(())
        })?;
        self.inner()
            .events
            .emit(StoragePoolEvent::Refresh { pool: pool.clone() });
        Ok(())
    }

    async fn storage_pool_get_info(&self, pool: &PoolRef) -> Result<StoragePoolInfo> {
        // The sizes of the last refresh, adjusted by volume calls since, as libvirt keeps them.
        self.inner().with_pool(&pool.name, |o| {
            Ok(if o.active {
                StoragePoolInfo {
                    state: StoragePoolState::RUNNING,
                    capacity: o.def.capacity,
                    allocation: o.def.allocation,
                    available: o.def.available,
                }
            } else {
                StoragePoolInfo {
                    state: StoragePoolState::INACTIVE,
                    ..Default::default()
                }
            })
        })
    }

    async fn storage_pool_get_xml_desc(
        &self,
        pool: &PoolRef,
        flags: StorageXMLFlags,
    ) -> Result<String> {
        check_flags(
            FROM,
            "storagePoolGetXMLDesc",
            flags.bits(),
            StorageXMLFlags::INACTIVE.bits(),
        )?;
        let (mut def, active) = self.inner().with_pool(&pool.name, |o| {
            let def = match (&o.new_def, flags.contains(StorageXMLFlags::INACTIVE)) {
                (Some(n), true) => n.clone(),
                _ => o.def.clone(),
            };
            Ok((def, o.active))
        })?;
        if !active {
            (def.capacity, def.allocation, def.available) = (0, 0, 0);
        }
        Ok(def.format_xml())
    }

    async fn storage_pool_get_autostart(&self, pool: &PoolRef) -> Result<bool> {
        self.inner().with_pool(&pool.name, |o| Ok(o.autostart))
    }

    async fn storage_pool_set_autostart(&self, pool: &PoolRef, autostart: bool) -> Result<()> {
        let inner = self.inner().clone();
        inner.with_pool(&pool.name, |o| {
            if !o.persistent {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INTERNAL_ERROR,
                    "pool has no config file",
                ));
            }
            if o.autostart == autostart {
                return Ok(());
            }
            let link = inner.autostart_link(&o.def.name);
            if autostart {
                std::fs::create_dir_all(&inner.dirs.storage_autostart).map_err(|e| {
                    sys(
                        format!(
                            "cannot create autostart directory {}",
                            inner.dirs.storage_autostart.display()
                        ),
                        &e,
                    )
                })?;
                let cfg = inner.config_file(&o.def.name);
                std::os::unix::fs::symlink(&cfg, &link).map_err(|e| {
                    sys(
                        format!(
                            "Failed to create symlink '{}' to '{}'",
                            link.display(),
                            cfg.display()
                        ),
                        &e,
                    )
                })?;
            } else {
                remove_durably(&link).map_err(|e| {
                    sys(format!("Failed to delete symlink '{}'", link.display()), &e)
                })?;
            }
            o.autostart = autostart;
            Ok(())
        })
    }

    async fn storage_pool_num_of_volumes(&self, pool: &PoolRef) -> Result<i32> {
        self.inner().with_active_pool(&pool.name, |o| {
            Ok(o.vols.iter().filter(|v| !v.building).count() as i32)
        })
    }

    async fn storage_pool_list_volumes(&self, pool: &PoolRef, max: i32) -> Result<Vec<String>> {
        self.inner().with_active_pool(&pool.name, |o| {
            Ok(o.vols
                .iter()
                .filter(|v| !v.building)
                .take(max.max(0) as usize)
                .map(|v| v.def.name.clone())
                .collect())
        })
    }

    async fn storage_pool_list_all_volumes(
        &self,
        pool: &PoolRef,
        flags: u32,
    ) -> Result<Vec<VolRef>> {
        check_flags(FROM, "storagePoolListAllVolumes", flags, 0)?;
        self.inner().with_active_pool(&pool.name, |o| {
            Ok(o.vols
                .iter()
                .filter(|v| !v.building)
                .map(|v| o.vol_ref(&v.def))
                .collect())
        })
    }

    async fn storage_pool_is_active(&self, pool: &PoolRef) -> Result<bool> {
        self.inner().with_pool(&pool.name, |o| Ok(o.active))
    }

    async fn storage_pool_is_persistent(&self, pool: &PoolRef) -> Result<bool> {
        self.inner().with_pool(&pool.name, |o| Ok(o.persistent))
    }

    async fn storage_vol_lookup_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        self.inner().with_active_pool(&pool.name, |o| {
            let v = o.vol(name)?;
            Ok(o.vol_ref(&v.def))
        })
    }

    async fn storage_vol_lookup_by_key(&self, key: &str) -> Result<VolRef> {
        let pools = self.inner().pools.lock();
        pools
            .iter()
            .filter(|o| o.active)
            .find_map(|o| {
                o.vols
                    .iter()
                    .find(|v| !v.building && v.def.key.as_deref() == Some(key))
                    .map(|v| o.vol_ref(&v.def))
            })
            .ok_or_else(|| no_vol("key", key))
    }

    async fn storage_vol_lookup_by_path(&self, path: &str) -> Result<VolRef> {
        let clean = sanitize_path(path);
        let pools = self.inner().pools.lock();
        pools
            .iter()
            .filter(|o| o.active)
            .find_map(|o| {
                o.vols
                    .iter()
                    .find(|v| !v.building && v.def.target.path.as_deref() == Some(&clean))
                    .map(|v| o.vol_ref(&v.def))
            })
            .ok_or_else(|| no_vol("path", path))
    }

    async fn storage_vol_create_xml(
        &self,
        pool: &PoolRef,
        xml: &str,
        flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        self.create_vol(pool, xml, None, flags).await
    }

    async fn storage_vol_create_xml_from(
        &self,
        pool: &PoolRef,
        xml: &str,
        clone: &VolRef,
        flags: StorageVolCreateFlags,
    ) -> Result<VolRef> {
        self.create_vol(pool, xml, Some(clone), flags).await
    }

    async fn storage_vol_delete(&self, vol: &VolRef, flags: StorageVolDeleteFlags) -> Result<()> {
        check_flags(FROM, "storageVolDelete", flags.bits(), 0)?;
        let (def, _) = self.vol_for_use(vol, true)?;
        let path = PathBuf::from(def.target.path.clone().unwrap_or_default());
        let is_dir = def.vol_type == VolType::Dir;
        off_thread(move || files::delete(&path, is_dir)).await?;
        self.inner().with_active_pool(&vol.pool, |o| {
            if let Some(v) = o.vols.iter().find(|v| v.def.name == *vol.name) {
                let a = v.def.allocation;
                o.def.allocation = o.def.allocation.saturating_sub(a);
                o.def.available = o.def.available.saturating_add(a);
            }
            o.vols.retain(|v| v.def.name != *vol.name);
            Ok(())
        })
    }

    async fn storage_vol_wipe(&self, vol: &VolRef, flags: u32) -> Result<()> {
        self.storage_vol_wipe_pattern(vol, StorageVolWipeAlgorithm::ZERO, flags)
            .await
    }

    async fn storage_vol_wipe_pattern(
        &self,
        vol: &VolRef,
        algorithm: StorageVolWipeAlgorithm,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "storageVolWipePattern", flags, 0)?;
        const NAMES: [&str; 9] = [
            "zero",
            "nnsa",
            "dod",
            "bsi",
            "gutmann",
            "schneier",
            "pfitzner7",
            "pfitzner33",
            "random",
        ];
        if algorithm.0 < 0 || algorithm.0 > StorageVolWipeAlgorithm::TRIM.0 {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                format!("wiping algorithm {} not supported", algorithm.0),
            ));
        }
        let (def, pool_def) = self.vol_for_use(vol, true)?;
        if algorithm == StorageVolWipeAlgorithm::TRIM {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "'trim' algorithm not supported",
            ));
        }
        let path = PathBuf::from(def.target.path.clone().unwrap_or_default());
        let allocation = def.allocation;
        let alg = NAMES[algorithm.0 as usize];
        off_thread(move || {
            if alg == "zero" {
                files::wipe_zero(&path, allocation)
            } else {
                files::wipe_scrub(&path, alg)
            }
        })
        .await?;
        self.refresh_vol(&vol.pool, &def, &pool_def).await.map(drop)
    }

    async fn storage_vol_resize(
        &self,
        vol: &VolRef,
        capacity: u64,
        flags: StorageVolResizeFlags,
    ) -> Result<()> {
        type F = StorageVolResizeFlags;
        check_flags(FROM, "storageVolResize", flags.bits(), F::all().bits())?;
        let (def, pool_def) = self.vol_for_use(vol, true)?;
        let def = self.refresh_vol(&vol.pool, &def, &pool_def).await?;
        let abs = if flags.contains(F::DELTA) {
            if flags.contains(F::SHRINK) {
                def.capacity - capacity.min(def.capacity)
            } else {
                def.capacity.saturating_add(capacity)
            }
        } else {
            capacity
        };
        if abs < def.allocation && def.target.format.as_deref() == Some("raw") {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                "can't shrink capacity below existing allocation",
            ));
        }
        if abs < def.capacity && !flags.contains(F::SHRINK) {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                "Can't shrink capacity below current capacity unless shrink flag explicitly specified",
            ));
        }
        if abs > i64::MAX as u64 {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                format!("capacity {abs} is too large for a file"),
            ));
        }
        let delta = if flags.contains(F::ALLOCATE) {
            abs.saturating_sub(def.allocation)
        } else {
            0
        };
        if delta > pool_def.available {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                "Not enough space left in storage pool",
            ));
        }
        let path = PathBuf::from(def.target.path.clone().unwrap_or_default());
        let format = def.target.format.clone().unwrap_or_else(|| "raw".into());
        let old = def.capacity;
        off_thread(move || {
            files::resize(
                &path,
                &format,
                abs,
                flags.contains(F::ALLOCATE),
                flags.contains(F::SHRINK),
                old,
            )
        })
        .await?;
        if delta > 0 {
            let _ = self.inner().with_active_pool(&vol.pool, |o| {
                o.def.allocation = o.def.allocation.saturating_add(delta);
                o.def.available = o.def.available.saturating_sub(delta);
                Ok(())
            });
        }
        self.refresh_vol(&vol.pool, &def, &pool_def).await.map(drop)
    }

    async fn storage_vol_get_info(&self, vol: &VolRef) -> Result<StorageVolInfo> {
        self.storage_vol_get_info_flags(vol, StorageVolInfoFlags::empty())
            .await
    }

    async fn storage_vol_get_info_flags(
        &self,
        vol: &VolRef,
        flags: StorageVolInfoFlags,
    ) -> Result<StorageVolInfo> {
        check_flags(
            FROM,
            "storageVolGetInfoFlags",
            flags.bits(),
            StorageVolInfoFlags::all().bits(),
        )?;
        let (def, pool_def) = self.vol_for_use(vol, false)?;
        let def = self.refresh_vol(&vol.pool, &def, &pool_def).await?;
        Ok(StorageVolInfo {
            vol_type: StorageVolType(def.vol_type as i32),
            capacity: def.capacity,
            allocation: if flags.contains(StorageVolInfoFlags::GET_PHYSICAL) {
                def.physical
            } else {
                def.allocation
            },
        })
    }

    async fn storage_vol_get_xml_desc(&self, vol: &VolRef, flags: u32) -> Result<String> {
        check_flags(FROM, "storageVolGetXMLDesc", flags, 0)?;
        let (def, pool_def) = self.vol_for_use(vol, false)?;
        let def = self.refresh_vol(&vol.pool, &def, &pool_def).await?;
        Ok(def.format_xml(&pool_def))
    }

    async fn storage_vol_get_path(&self, vol: &VolRef) -> Result<String> {
        self.inner().with_active_pool(&vol.pool, |o| {
            Ok(o.vol(&vol.name)?
                .def
                .target
                .path
                .clone()
                .unwrap_or_default())
        })
    }

    async fn storage_vol_download(
        &self,
        vol: &VolRef,
        offset: u64,
        length: u64,
        flags: StorageVolStreamFlags,
    ) -> Result<Box<dyn StreamBackend>> {
        check_flags(FROM, "storageVolDownload", flags.bits(), 0)?;
        let (def, on_end) = self.begin_stream(vol)?;
        let path = PathBuf::from(def.target.path.clone().unwrap_or_default());
        Ok(Box::new(stream::Download::start(
            &path, offset, length, on_end,
        )?))
    }

    async fn storage_vol_upload(
        &self,
        vol: &VolRef,
        offset: u64,
        length: u64,
        flags: StorageVolStreamFlags,
    ) -> Result<Box<dyn StreamBackend>> {
        check_flags(FROM, "storageVolUpload", flags.bits(), 0)?;
        let (def, _) = self.vol_for_use(vol, true)?;
        let (_, on_end) = self.begin_stream(vol)?;
        let path = PathBuf::from(def.target.path.clone().unwrap_or_default());
        Ok(Box::new(stream::Upload::start(
            &path, offset, length, on_end,
        )?))
    }

    async fn connect_storage_pool_event_register_any(
        &self,
        pool: Option<&PoolRef>,
        event_id: StoragePoolEventID,
        cb: StoragePoolEventCallback,
    ) -> Result<CallbackId> {
        self.inner()
            .events
            .register(pool.map(|p| p.uuid), event_id, cb)
    }

    async fn connect_storage_pool_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.inner().events.deregister(id)
    }
}
