//! Probing what a QEMU binary offers: start it with no machine, ask over QMP, stop it. The
//! result is a plain struct, cached on disk keyed by the binary's path and modification time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::UnixListener;

use crate::error::Error;
use crate::monitor::{Monitor, MonitorOptions};
use crate::process::Pidfd;
use crate::types::{CpuDefinition, MachineInfo};
use crate::wire::QemuVersion;

/// What a QEMU binary offers, as probed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The binary probed.
    pub binary: PathBuf,
    /// QEMU's version.
    pub version: QemuVersion,
    /// The distribution's package string.
    pub package: String,
    /// The target architecture (`query-target`).
    pub arch: String,
    /// KVM is available on this host (`query-kvm`'s `present`).
    pub kvm_present: bool,
    /// The probe ran with KVM (`-accel kvm` worked; otherwise it fell back to TCG).
    pub kvm_enabled: bool,
    /// Every machine type.
    pub machines: Vec<MachineInfo>,
    /// The CPU models of the accelerator the probe ran with.
    pub cpus: AccelCpus,
    /// When the probe ran with KVM: what TCG offers, from a second QEMU run with TCG alone
    /// (libvirt probes each accelerator apart).
    pub tcg: Option<AccelCpus>,
    /// Every QMP command name.
    pub commands: Vec<String>,
}

/// The CPU models one accelerator offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccelCpus {
    /// Every CPU model, as this accelerator sees them.
    pub cpu_definitions: Vec<CpuDefinition>,
    /// The host's CPU as this accelerator offers it (`host` with KVM, `max` with TCG),
    /// statically expanded; `None` when QEMU cannot expand CPU models.
    pub host_cpu: Option<HostCpuExpansion>,
}

/// The host's CPU model statically expanded (`query-cpu-model-expansion`, type `static`):
/// once as a migratable CPU, once with `migratable` off (libvirt tells the features that
/// block migration by the difference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostCpuExpansion {
    /// The model expanded: `host` or `max`.
    pub model: String,
    /// The migratable expansion's properties (features as booleans, `vendor`, `family`…).
    pub props: serde_json::Map<String, serde_json::Value>,
    /// The properties of the expansion with `migratable` off.
    pub non_migratable: serde_json::Map<String, serde_json::Value>,
}

impl ProbeResult {
    /// The default machine type, if QEMU has one.
    pub fn default_machine(&self) -> Option<&MachineInfo> {
        self.machines.iter().find(|m| m.is_default)
    }

    /// The machine called `name`, by name or alias.
    pub fn machine(&self, name: &str) -> Option<&MachineInfo> {
        self.machines
            .iter()
            .find(|m| m.name == name || m.alias.as_deref() == Some(name))
    }

    /// The CPU models of the accelerator of a domain type (`kvm`: KVM, anything else: TCG),
    /// or `None` when the probe could not run that accelerator.
    pub fn accel_cpus(&self, kvm: bool) -> Option<&AccelCpus> {
        match (kvm, self.kvm_enabled) {
            (true, true) | (false, false) => Some(&self.cpus),
            (true, false) => None,
            (false, true) => self.tcg.as_ref(),
        }
    }

    /// Whether this QEMU knows a QMP command.
    pub fn has_command(&self, name: &str) -> bool {
        self.commands.iter().any(|c| c == name)
    }
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The binary could not be started or examined.
    #[error("cannot run {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: String,
        /// Why.
        source: std::io::Error,
    },
    /// QEMU exited before connecting its monitor.
    #[error("{binary} exited before its monitor connected: {stderr}")]
    EarlyExit {
        /// The binary.
        binary: String,
        /// What it printed on standard error.
        stderr: String,
    },
    /// QEMU did not connect its monitor in time.
    #[error("{binary} did not connect its monitor within {after:?}")]
    Timeout {
        /// The binary.
        binary: String,
        /// The deadline.
        after: Duration,
    },
    /// A QMP command of the probe failed.
    #[error("probing {binary}: {source}")]
    Qmp {
        /// The binary.
        binary: String,
        /// The QMP error.
        source: Error,
    },
    /// The cache directory could not be read or written.
    #[error("probe cache {path}: {source}")]
    Cache {
        /// The cache file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Probes `binary` (`qemu-system-x86_64`...). KVM is tried first, TCG is the fall-back; on a
/// host with `/dev/kvm` a second QEMU, with TCG alone, runs beside the first for what TCG
/// offers. `deadline` bounds each start and every command.
pub async fn probe(binary: &Path, deadline: Duration) -> Result<ProbeResult, ProbeError> {
    let first = async {
        let qemu = ProbeQemu::start(binary, &["kvm", "tcg"], deadline).await?;
        let res = probe_monitor(&qemu.mon, binary).await;
        qemu.finish(res).await
    };
    if !Path::new("/dev/kvm").exists() {
        return first.await;
    }
    let tcg = async {
        let qemu = ProbeQemu::start(binary, &["tcg"], deadline).await?;
        let res = probe_accel_cpus(&qemu.mon, false).await;
        qemu.finish(res).await
    };
    let (first, tcg) = tokio::join!(first, tcg);
    let mut res = first?;
    if res.kvm_enabled {
        res.tcg = Some(tcg?);
    }
    Ok(res)
}

/// A QEMU started for a probe: no machine, its monitor connected.
struct ProbeQemu {
    binary: String,
    mon: Monitor,
    child: Pidfd,
    _dir: TempDir,
}

impl ProbeQemu {
    /// Starts `binary` with the accelerators `accels` (the first that works is used).
    async fn start(
        binary: &Path,
        accels: &[&str],
        deadline: Duration,
    ) -> Result<ProbeQemu, ProbeError> {
        let name = binary.display().to_string();
        let spawn_err = |source| ProbeError::Spawn {
            binary: name.clone(),
            source,
        };
        // QEMU connects to our listening socket as a client: no retry loop, no path race.
        let dir = tempfile_dir().map_err(spawn_err)?;
        let sock = dir.path.join("qmp.sock");
        let listener = UnixListener::bind(&sock).map_err(spawn_err)?;
        let stderr_path = dir.path.join("stderr");
        let stderr = std::fs::File::create(&stderr_path).map_err(spawn_err)?;
        let chardev = format!("socket,id=qmp,path={}", sock.display());
        let mut cmd = Command::new(binary);
        cmd.args(["-S", "-no-user-config", "-nodefaults", "-display", "none"])
            .args(["-machine", "none"]);
        for a in accels {
            cmd.args(["-accel", a]);
        }
        cmd.args(["-chardev", &chardev, "-mon", "chardev=qmp,mode=control"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let child = Pidfd::spawn(&mut cmd).map_err(spawn_err)?;
        let connected = async {
            let stream = tokio::select! {
                r = tokio::time::timeout(deadline, listener.accept()) => match r {
                    Ok(Ok((s, _))) => s,
                    Ok(Err(e)) => return Err(spawn_err(e)),
                    Err(_) => return Err(ProbeError::Timeout { binary: name.clone(), after: deadline }),
                },
                _ = child.wait() => {
                    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                    return Err(ProbeError::EarlyExit { binary: name.clone(), stderr: stderr.trim().to_string() });
                }
            };
            let opts = MonitorOptions {
                deadline,
                ..MonitorOptions::default()
            };
            Monitor::from_stream(stream, opts)
                .await
                .map_err(|source| ProbeError::Qmp {
                    binary: name.clone(),
                    source,
                })
        }
        .await;
        match connected {
            Ok(mon) => Ok(ProbeQemu {
                binary: name,
                mon,
                child,
                _dir: dir,
            }),
            Err(e) => {
                stop(&child).await;
                Err(e)
            }
        }
    }

    /// Asks QEMU to quit (killing it if it does not), and hands back `res`.
    async fn finish<T>(self, res: Result<T, Error>) -> Result<T, ProbeError> {
        let _ = self.mon.quit().await;
        stop(&self.child).await;
        res.map_err(|source| ProbeError::Qmp {
            binary: self.binary,
            source,
        })
    }
}

/// Waits a moment for `child` to end, then kills it.
async fn stop(child: &Pidfd) {
    if tokio::time::timeout(Duration::from_secs(2), child.wait())
        .await
        .is_err()
    {
        let _ = child.signal(libc::SIGKILL);
        let _ = child.wait().await;
    }
}

/// Asks a negotiated monitor everything a [`ProbeResult`] holds but [`ProbeResult::tcg`] (the
/// conversation recorded in testdata/qmp/probe-x86_64-kvm.txt). `binary` is only recorded in
/// the result.
pub async fn probe_monitor(mon: &Monitor, binary: &Path) -> Result<ProbeResult, Error> {
    let version = mon.query_version().await?;
    let kvm = mon.query_kvm().await?;
    let arch = mon.query_target().await?;
    let machines = mon.query_machines().await?;
    let commands = mon.query_commands().await?;
    let cpus = accel_cpus(mon, kvm.enabled, &arch, &commands).await?;
    Ok(ProbeResult {
        binary: binary.to_path_buf(),
        version: version.qemu,
        package: version.package.trim().to_string(),
        arch,
        kvm_present: kvm.present,
        kvm_enabled: kvm.enabled,
        machines,
        cpus,
        tcg: None,
        commands,
    })
}

/// Asks a negotiated monitor of a QEMU running accelerator KVM (`kvm`) or TCG what CPU
/// models it offers.
pub async fn probe_accel_cpus(mon: &Monitor, kvm: bool) -> Result<AccelCpus, Error> {
    let arch = mon.query_target().await?;
    let commands = mon.query_commands().await?;
    accel_cpus(mon, kvm, &arch, &commands).await
}

async fn accel_cpus(
    mon: &Monitor,
    kvm: bool,
    arch: &str,
    commands: &[String],
) -> Result<AccelCpus, Error> {
    let cpu_definitions = mon.query_cpu_definitions().await?;
    // Only x86 guests get a host-model CPU from the expansion (libvirt's CPU map).
    let expandable = matches!(arch, "x86_64" | "i386")
        && commands.iter().any(|c| c == "query-cpu-model-expansion");
    let host_cpu = if expandable {
        let model = if kvm { "host" } else { "max" };
        let props = mon.expand_cpu_model_static(model, true).await?;
        let non_migratable = mon.expand_cpu_model_static(model, false).await?;
        Some(HostCpuExpansion {
            model: model.to_string(),
            props,
            non_migratable,
        })
    } else {
        None
    };
    Ok(AccelCpus {
        cpu_definitions,
        host_cpu,
    })
}

/// Probes `binary`, or returns the result cached in `cache_dir` when the binary's path and
/// modification time match, and `/dev/kvm` is present or absent as it was then (loading the
/// KVM module changes what QEMU offers). The cache is one JSON file per binary, written
/// atomically; an unreadable or outdated file is probed again and replaced.
pub async fn probe_cached(
    binary: &Path,
    cache_dir: &Path,
    deadline: Duration,
) -> Result<ProbeResult, ProbeError> {
    let mtime_ns = std::fs::metadata(binary)
        .and_then(|m| m.modified())
        .map(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        })
        .map_err(|source| ProbeError::Spawn {
            binary: binary.display().to_string(),
            source,
        })?;
    let dev_kvm = Path::new("/dev/kvm").exists();
    let file = cache_dir.join(format!(
        "{:016x}.json",
        fnv1a(binary.as_os_str().as_encoded_bytes())
    ));
    if let Ok(text) = std::fs::read(&file)
        && let Ok(entry) = serde_json::from_slice::<CacheEntry>(&text)
        && entry.binary == binary
        && entry.mtime_ns == mtime_ns
        && entry.dev_kvm == dev_kvm
    {
        return Ok(entry.result);
    }
    let result = probe(binary, deadline).await?;
    let entry = CacheEntry {
        binary: binary.to_path_buf(),
        mtime_ns,
        dev_kvm,
        result,
    };
    let cache_err = |source| ProbeError::Cache {
        path: file.display().to_string(),
        source,
    };
    let text = serde_json::to_vec_pretty(&entry).map_err(|e| cache_err(e.into()))?;
    write_atomically(&file, &text).map_err(cache_err)?;
    Ok(entry.result)
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    binary: PathBuf,
    mtime_ns: u128,
    dev_kvm: bool,
    result: ProbeResult,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// A private temporary directory removed on drop (the socket and QEMU's stderr live there).
struct TempDir {
    path: PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempfile_dir() -> std::io::Result<TempDir> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let base = std::env::temp_dir();
    loop {
        let path = base.join(format!(
            "rvirt-qmp-probe-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::create_dir(&path) {
            Ok(()) => {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
                return Ok(TempDir { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}
