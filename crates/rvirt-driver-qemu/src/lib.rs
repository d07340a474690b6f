//! rvirt's QEMU driver: `qemu:///system` (served inside rvirtd) and `qemu:///embed?root=DIR`
//! (in the caller's process, every file under `DIR`).
//!
//! One [`QemuDriver`] per state root is shared by every connection that opens it, as libvirtd
//! shares its drivers. It implements the driver traits: host calls, capabilities from the QEMU
//! binaries present ([`caps`]), domains run as real QEMU processes (define, start, stop,
//! suspend, events, reattach after a restart: see [`process`]), save and restore, plain and
//! managed, in libvirt's image format; snapshots (internal and external disk-only, see the
//! `snapshot` module); storage (`dir` and `fs` pools, see [`storage`]); the host's node devices
//! and interfaces as libvirt's udev backends show them (read-only, through `rvirt-host`); and
//! virtual networks (see `network`), built on the host by `netvirt`.
//!
//! Layout under a root `R` (libvirt's embed layout; `qemu:///system` without a root uses
//! libvirt's system folders instead):
//! ```text
//! R/etc/qemu/NAME.xml               persistent domain configs (/etc/libvirt/qemu)
//! R/etc/qemu/autostart/NAME.xml     domain autostart links    (/etc/libvirt/qemu/autostart)
//! R/run/qemu/NAME.xml               status of running domains (/run/libvirt/qemu)
//! R/lib/qemu/domain-ID-NAME/        a running domain's private files: monitor.sock
//!                                                             (/var/lib/libvirt/qemu)
//! R/lib/qemu/save/NAME.save         managed save images       (/var/lib/libvirt/qemu/save)
//! R/lib/qemu/snapshot/DOM/NAME.xml  snapshot records   (/var/lib/libvirt/qemu/snapshot)
//! R/lib/qemu/nvram/NAME_VARS.fd     UEFI variable stores      (/var/lib/libvirt/qemu/nvram)
//! R/cache/qemu/capabilities/        probe results per binary  (/var/cache/libvirt/qemu)
//! R/log/qemu/NAME.log               QEMU's output per domain  (/var/log/libvirt/qemu)
//! R/lib/swtpm/UUID/tpm2/            a TPM emulator's state    (/var/lib/libvirt/swtpm)
//! R/run/swtpm/ID-NAME-swtpm.sock    its socket and pid file   (/run/libvirt/qemu/swtpm)
//! R/log/swtpm/NAME-swtpm.log        its log           (/var/log/swtpm/libvirt/qemu)
//! R/etc/storage/NAME.xml            persistent pool configs (/etc/libvirt/storage)
//! R/etc/storage/autostart/NAME.xml  autostart links         (/etc/libvirt/storage/autostart)
//! R/run/storage/NAME.xml            state of active pools   (/run/libvirt/storage)
//! R/etc/qemu/networks/NAME.xml      persistent network configs (/etc/libvirt/qemu/networks)
//! R/etc/qemu/networks/autostart/    their autostart links
//! R/run/network/NAME.xml, NAME.pid  status of active networks, dnsmasq's pid (/run/libvirt/network)
//! R/lib/dnsmasq/NAME.*              dnsmasq's conf, hosts and leases (/var/lib/libvirt/dnsmasq)
//! ```

mod alias;
mod autostart;
mod blkio_device;
mod blockjob;
pub mod caps;
mod cgroup;
mod checkpoint;
pub mod command;
mod config;
mod control;
mod cpu_api;
mod cpu_live;
mod crash;
mod dac;
mod defaults;
mod device_acl;
mod device_rules;
mod disk_index;
mod domain;
mod domcaps;
mod dump;
mod firmware;
mod graphics;
mod guest_agent;
mod guest_fs;
mod guest_info;
mod host;
mod hostmodel;
pub mod hotplug;
mod hugepages;
mod iface;
mod ifaddr;
mod iothread;
mod job;
mod macvtap;
mod memdev;
mod metadata;
mod migratable;
mod nethost;
mod netport;
mod netvirt;
mod network;
mod nodedev;
mod numad;
mod params;
mod passthrough;
mod pci;
mod perf;
mod pin;
mod ports;
pub mod process;
mod qos;
mod reboot;
mod rng;
mod save;
mod save_image;
mod screenshot;
mod sidecar;
mod snapshot;
mod startup;
mod stats;
pub mod storage;
mod tap;
mod tpm;
mod tuning;
mod util;
mod virtiofs;
mod volume_disk;

use parking_lot::Mutex;
use rvirt_driver::{DomainObjList, EventBus};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicI32;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// Errors of the driver's own (non-storage) calls come from the QEMU error domain.
pub(crate) const FROM: ErrorDomain = ErrorDomain::QEMU;

/// [`QemuDriver::host_models`]'s cache, by binary and accelerator.
pub(crate) type HostModelCache =
    HashMap<(PathBuf, bool), Arc<Option<crate::hostmodel::HostModels>>>;

/// The QEMU driver of one state root.
pub struct QemuDriver {
    uri: String,
    storage: storage::Storage,
    /// Itself, for the tasks that watch its domains (they must not keep it alive).
    me: Weak<QemuDriver>,
    pub(crate) dirs: Dirs,
    /// The settings of its `qemu.conf`.
    pub(crate) config: config::QemuConfig,
    /// Who QEMU runs as and who owns its files (see [`dac`]).
    pub(crate) dac: dac::Dac,
    pub(crate) domains: DomainObjList,
    pub(crate) events: EventBus,
    /// Node device callbacks, fed by the host's device events once the first is registered.
    pub(crate) nodedev_events: Arc<rvirt_driver::nodedev::NodeDeviceEventBus>,
    /// Whether the host's device events reach `nodedev_events`.
    pub(crate) watching_host_devices: Mutex<bool>,
    /// The id the next started domain gets.
    pub(crate) next_id: AtomicI32,
    /// The QEMU processes of running domains, by domain UUID.
    pub(crate) procs: Mutex<HashMap<Uuid, Arc<process::Proc>>>,
    /// Domains whose QEMU is being started.
    pub(crate) starting: Mutex<std::collections::HashSet<Uuid>>,
    /// Probe results by emulator path, once asked for.
    pub(crate) probes: Mutex<HashMap<PathBuf, Arc<rvirt_qmp::ProbeResult>>>,
    /// The host-model CPUs of each probed binary's accelerators (KVM: `true`), computed once
    /// as its probe is read once.
    pub(crate) host_models: Mutex<HostModelCache>,
    /// The deadline of each monitor command.
    monitor_timeout: Mutex<Duration>,
    /// Each domain's snapshots, by domain UUID.
    pub(crate) snapshots: Mutex<HashMap<Uuid, rvirt_driver::SnapshotStore>>,
    /// The lock that runs one domain's snapshot calls one at a time, by domain UUID.
    pub(crate) snapshot_jobs: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    /// The last save that completed on each domain, for `VIR_DOMAIN_JOB_STATS_COMPLETED`.
    pub(crate) completed_jobs: Mutex<HashMap<Uuid, job::JobData>>,
    /// The virtual networks.
    pub(crate) networks: network::Networks,
    /// Each domain's checkpoints, by domain UUID.
    pub(crate) checkpoints: Mutex<HashMap<Uuid, rvirt_driver::CheckpointStore>>,
    /// Each domain's guest agent timeout (`virDomainAgentSetResponseTimeout`), kept while the
    /// driver runs whether or not the domain does, as libvirt keeps it with the domain object.
    pub(crate) agent_timeouts: Mutex<HashMap<Uuid, i32>>,
}

/// Where `qemu:///system` keeps its state: `None` for libvirt's system folders.
static SYSTEM_ROOT: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The driver of `qemu:///system`, kept for the life of the process as libvirtd keeps its
/// drivers: domain state that no file records (a shut-off reason, say) outlives the
/// connections, and guests are not detached and reattached between two clients.
static SYSTEM_DRIVER: Mutex<Option<Arc<QemuDriver>>> = Mutex::new(None);

/// Drivers open in this process, by state root: connections to one root share one driver.
fn open_drivers() -> &'static Mutex<HashMap<PathBuf, Weak<QemuDriver>>> {
    static DRIVERS: OnceLock<Mutex<HashMap<PathBuf, Weak<QemuDriver>>>> = OnceLock::new();
    DRIVERS.get_or_init(Default::default)
}

/// Puts the state of `qemu:///system` under `root` (laid out as `qemu:///embed?root=` is)
/// instead of libvirt's system folders. For daemons under test; takes effect for drivers opened
/// afterwards.
pub fn set_system_root(root: Option<PathBuf>) {
    *SYSTEM_ROOT.lock() = root;
}

/// Whether the state of `qemu:///system` (see [`set_system_root`]) holds domains, pools or
/// networks marked autostart, or the status file of a domain a previous daemon left running. A daemon
/// opens the driver as it starts when it does, as libvirtd starts its drivers with itself: what
/// is marked autostart starts, and running guests are reattached and watched (a guest that
/// crashes is seen at once), without waiting for a first client.
pub fn system_needs_opening_at_start() -> bool {
    let (dirs, net_dirs) = match SYSTEM_ROOT.lock().clone() {
        Some(root) => (Dirs::under(&root), netvirt::NetDirs::under(&root)),
        None => (Dirs::system(), netvirt::NetDirs::system()),
    };
    let not_empty = |d: &PathBuf| std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_some());
    let has_status = std::fs::read_dir(&dirs.qemu_state).is_ok_and(|mut e| {
        e.any(|f| f.is_ok_and(|f| f.path().extension().is_some_and(|x| x == "xml")))
    });
    has_status
        || [
            dirs.qemu_autostart,
            dirs.storage_autostart,
            net_dirs.autostart,
        ]
        .iter()
        .any(not_empty)
}

/// The folders of one driver instance.
#[derive(Clone, Debug)]
pub(crate) struct Dirs {
    /// Persistent pool configs.
    pub(crate) storage_config: PathBuf,
    /// Autostart links.
    pub(crate) storage_autostart: PathBuf,
    /// State files of active pools.
    pub(crate) storage_state: PathBuf,
    /// Persistent domain configs.
    pub(crate) qemu_config: PathBuf,
    /// Domain autostart links.
    pub(crate) qemu_autostart: PathBuf,
    /// Status files of running domains.
    pub(crate) qemu_state: PathBuf,
    /// Private folders of running domains.
    pub(crate) qemu_lib: PathBuf,
    /// Managed save images.
    pub(crate) qemu_save: PathBuf,
    /// The probe cache.
    pub(crate) qemu_cache: PathBuf,
    /// QEMU's output, one file per domain.
    pub(crate) qemu_log: PathBuf,
    /// TPM emulators' persistent state, one folder per domain UUID.
    pub(crate) swtpm_storage: PathBuf,
    /// TPM emulators' sockets and pid files.
    pub(crate) swtpm_state: PathBuf,
    /// TPM emulators' logs.
    pub(crate) swtpm_log: PathBuf,
    /// What this driver's domain control groups are named after (`qemu`, or
    /// `qemu-embed-HASH` for an embedded driver, the hash of its root).
    pub(crate) cgroup_prefix: String,
}

/// What names an embedded driver's things outside its root (control groups, RAM folders):
/// `qemu-embed-` and the first eight hex digits of the SHA-256 of its root, as libvirt names
/// them.
fn embed_prefix(root: &Path) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, root.as_os_str().as_encoded_bytes());
    let hex: String = digest.as_ref()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("qemu-embed-{hex}")
}

impl Dirs {
    fn under(root: &Path) -> Dirs {
        Dirs {
            storage_config: root.join("etc/storage"),
            storage_autostart: root.join("etc/storage/autostart"),
            storage_state: root.join("run/storage"),
            qemu_config: root.join("etc/qemu"),
            qemu_autostart: root.join("etc/qemu/autostart"),
            qemu_state: root.join("run/qemu"),
            qemu_lib: root.join("lib/qemu"),
            qemu_save: root.join("lib/qemu/save"),
            qemu_cache: root.join("cache/qemu"),
            qemu_log: root.join("log/qemu"),
            swtpm_storage: root.join("lib/swtpm"),
            swtpm_state: root.join("run/swtpm"),
            swtpm_log: root.join("log/swtpm"),
            cgroup_prefix: embed_prefix(root),
        }
    }

    fn system() -> Dirs {
        Dirs {
            storage_config: "/etc/libvirt/storage".into(),
            storage_autostart: "/etc/libvirt/storage/autostart".into(),
            storage_state: "/run/libvirt/storage".into(),
            qemu_config: "/etc/libvirt/qemu".into(),
            qemu_autostart: "/etc/libvirt/qemu/autostart".into(),
            qemu_state: "/run/libvirt/qemu".into(),
            qemu_lib: "/var/lib/libvirt/qemu".into(),
            qemu_save: "/var/lib/libvirt/qemu/save".into(),
            qemu_cache: "/var/cache/libvirt/qemu".into(),
            qemu_log: "/var/log/libvirt/qemu".into(),
            swtpm_storage: "/var/lib/libvirt/swtpm".into(),
            swtpm_state: "/run/libvirt/qemu/swtpm".into(),
            swtpm_log: "/var/log/swtpm/libvirt/qemu".into(),
            cgroup_prefix: "qemu".into(),
        }
    }
}

/// What a `qemu:` URI asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum QemuUri {
    /// `qemu:///system`.
    System,
    /// `qemu:///embed?root=DIR`.
    Embed(PathBuf),
}

/// Reads a local `qemu:` URI this driver serves: `qemu:///system` and `qemu:///embed?root=DIR`.
/// `None` for every other URI (remote ones, `qemu:///session`).
pub fn parse_uri(uri: &str) -> Option<Result<QemuUri>> {
    let rest = uri.strip_prefix("qemu:///")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    match path.trim_end_matches('/') {
        "system" => Some(Ok(QemuUri::System)),
        "embed" => {
            let root = query
                .split('&')
                .find_map(|p| p.strip_prefix("root="))
                .map(percent_decode);
            Some(match root {
                Some(r) if r.starts_with('/') => Ok(QemuUri::Embed(PathBuf::from(r))),
                Some(r) => Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    format!("root path must be absolute: '{r}'"),
                )),
                None => Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    "root parameter is required for 'qemu:///embed' URI",
                )),
            })
        }
        _ => None,
    }
}

/// `%XX` escapes of a URI query value.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl QemuDriver {
    /// Opens the driver `uri` names (see [`parse_uri`]): the one already open for its state
    /// root, or a new one that loads the persistent pools and starts those marked autostart or
    /// recorded as running, loads the persistent domains, reattaches to the running ones and
    /// (once per host boot, see `autostart.rs`) starts the domains marked autostart in the
    /// background.
    pub fn open(uri: &str) -> Result<Arc<QemuDriver>> {
        let parsed = parse_uri(uri)
            .ok_or_else(|| Error::with_detail(ErrorDomain::NONE, ErrorNumber::NO_CONNECT, uri))??;
        let system = parsed == QemuUri::System;
        let (key, dirs, canonical) = match parsed {
            QemuUri::System => match SYSTEM_ROOT.lock().clone() {
                Some(root) => (
                    root.clone(),
                    Dirs::under(&root),
                    "qemu:///system".to_string(),
                ),
                None => (
                    PathBuf::from("/"),
                    Dirs::system(),
                    "qemu:///system".to_string(),
                ),
            },
            QemuUri::Embed(root) => {
                let canonical = format!("qemu:///embed?root={}", root.display());
                (root.clone(), Dirs::under(&root), canonical)
            }
        };
        let mut drivers = open_drivers().lock();
        if let Some(d) = drivers.get(&key).and_then(Weak::upgrade) {
            if d.uri == canonical {
                return Ok(d);
            }
        }
        let mut config = config::QemuConfig::load(
            &config::config_base(&dirs.qemu_config),
            key == Path::new("/"),
        )?;
        if let Some(dir) = &config.memory_backing_dir {
            if !system && !dir.starts_with(&key) {
                config.memory_backing_prefix = Some(dirs.cgroup_prefix.clone());
            }
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::system(
                    FROM,
                    format!("Failed to create memory backing dir {}", dir.display()),
                    &e,
                )
            })?;
        }
        // Each hugetlbfs mount gets a folder for this driver's guests, reachable by QEMU's
        // user, as libvirt makes them when it starts.
        for m in &mut config.hugetlbfs {
            m.set_base(&key, (!system).then_some(dirs.cgroup_prefix.as_str()));
            hugepages::make_base(m)?;
        }
        let dac = dac::Dac::new(&config)?;
        let storage = storage::Storage::load(dirs.clone())?;
        let net_dirs = match &key {
            k if k == Path::new("/") => netvirt::NetDirs::system(),
            k => netvirt::NetDirs::under(k),
        };
        let networks = network::Networks::load(net_dirs);
        let d = Arc::new_cyclic(|me| QemuDriver {
            uri: canonical,
            storage,
            me: me.clone(),
            dirs,
            config,
            dac,
            domains: DomainObjList::default(),
            events: EventBus::default(),
            nodedev_events: Default::default(),
            watching_host_devices: Mutex::new(false),
            next_id: AtomicI32::new(1),
            procs: Mutex::new(HashMap::new()),
            starting: Mutex::new(Default::default()),
            probes: Mutex::new(HashMap::new()),
            host_models: Mutex::new(HashMap::new()),
            monitor_timeout: Mutex::new(Duration::from_secs(30)),
            snapshots: Mutex::new(HashMap::new()),
            snapshot_jobs: Mutex::new(HashMap::new()),
            completed_jobs: Mutex::new(HashMap::new()),
            networks,
            checkpoints: Mutex::new(HashMap::new()),
            agent_timeouts: Mutex::new(HashMap::new()),
        });
        d.load_domains()?;
        d.load_snapshots();
        d.load_checkpoints();
        drivers.insert(key, Arc::downgrade(&d));
        if system {
            *SYSTEM_DRIVER.lock() = Some(d.clone());
        }
        d.autostart_networks();
        d.autostart_domains();
        Ok(d)
    }

    /// Sets the deadline of every QEMU monitor command of this driver (30 s by default): a
    /// QEMU that misses it is declared stuck, and calls on that domain fail with
    /// `VIR_ERR_OPERATION_TIMEOUT` from then on.
    pub fn set_monitor_timeout(&self, timeout: Duration) {
        *self.monitor_timeout.lock() = timeout;
    }

    pub(crate) fn monitor_timeout(&self) -> Duration {
        *self.monitor_timeout.lock()
    }

    pub(crate) fn weak(&self) -> Weak<QemuDriver> {
        self.me.clone()
    }

    /// The driver's storage state.
    pub fn storage(&self) -> &storage::Storage {
        &self.storage
    }
}

/// Waits until what ended guests left on the host (their control groups, their private
/// folders) is removed: for a process about to exit (a daemon stopping) that may never drop
/// its drivers.
pub fn wait_for_cleanup() {
    cgroup::wait_for_background();
}

/// Stops watching this driver's QEMU processes; they keep running, and the next driver opened
/// on the same root reattaches to them from their status files.
impl Drop for QemuDriver {
    fn drop(&mut self) {
        for p in self.procs.lock().drain().map(|(_, p)| p) {
            p.detach();
        }
        cgroup::wait_for_background();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            parse_uri("qemu:///system").map(|r| r.ok()),
            Some(Some(QemuUri::System))
        );
        assert_eq!(
            parse_uri("qemu:///embed?root=/tmp/a%20b").map(|r| r.ok()),
            Some(Some(QemuUri::Embed("/tmp/a b".into())))
        );
        assert!(matches!(parse_uri("qemu:///embed"), Some(Err(_))));
        assert!(parse_uri("qemu:///session").is_none());
        assert!(parse_uri("qemu+unix:///system").is_none());
        assert!(parse_uri("test:///default").is_none());
    }

    /// The one test of this binary that sets the system root (a process-wide setting).
    #[test]
    fn a_daemon_opens_the_system_driver_at_start_for_autostart_or_guests_left_running() {
        let root = tempfile::tempdir().unwrap();
        set_system_root(Some(root.path().to_path_buf()));
        let dirs = Dirs::under(root.path());
        assert!(!system_needs_opening_at_start(), "empty state");
        std::fs::create_dir_all(&dirs.qemu_state).unwrap();
        std::fs::write(dirs.qemu_state.join("g.pid"), "1").unwrap();
        assert!(!system_needs_opening_at_start(), "no status file");
        std::fs::write(dirs.qemu_state.join("g.xml"), "<domstatus/>").unwrap();
        assert!(system_needs_opening_at_start(), "a guest left running");
        std::fs::remove_file(dirs.qemu_state.join("g.xml")).unwrap();
        std::fs::create_dir_all(&dirs.storage_autostart).unwrap();
        std::fs::write(dirs.storage_autostart.join("pool.xml"), "").unwrap();
        assert!(system_needs_opening_at_start(), "a pool marked autostart");
        set_system_root(None);
    }
}
