//! The driver's `qemu.conf`, read once when the driver opens, as libvirt's QEMU driver reads
//! it: `/etc/libvirt/qemu.conf` for `qemu:///system`, `ROOT/etc/qemu.conf` for
//! `qemu:///embed?root=ROOT` (and for a daemon whose `qemu:///system` lives under
//! `rvirt_qemu_root`). A missing file leaves every setting at libvirt's default; a setting of
//! the wrong type, or a port range libvirt refuses, fails the open with libvirt's message.
//!
//! Honoured: the graphics settings (`vnc_listen`, `vnc_auto_unix_socket`, `vnc_tls` with its
//! certificate folder and peer check, `vnc_password`, `vnc_sasl`, `vnc_sasl_dir`, their
//! `spice_*` counterparts, `default_tls_x509_cert_dir`, `default_tls_x509_verify`,
//! `vnc_allow_host_audio`, `nographics_allow_host_audio`), the port ranges
//! `remote_display_port_min/max` and `remote_websocket_port_min/max`, the process settings
//! `set_process_name`, `max_processes`, `max_files`, `max_core`, `dump_guest_core`,
//! `seccomp_sandbox`, `log_timestamp`, `deprecation_behavior`, `cgroup_controllers` and
//! `cgroup_device_acl`,
//! `auto_dump_path`, and the compression of save images, core dumps and external memory
//! snapshots (`save_image_format`, `dump_image_format`, `snapshot_image_format`), and who
//! QEMU runs as and who owns its files (`user`, `group`, `dynamic_ownership`,
//! `remember_owner`, `swtpm_user`, `swtpm_group`: see the `dac` module), and where file-backed
//! guest RAM goes (`memory_backing_dir`), and the obsolete `nvram` list of UEFI code files and
//! their variable store templates (ignored, as by libvirt, on a host with firmware
//! descriptors), and the hugetlbfs mounts of huge pages (`hugetlbfs_mount`; without it a
//! privileged driver finds the host's). Other settings are read as libvirt would not
//! complain about them and otherwise ignored; a `security_driver` other than `none` and `dac`
//! (SELinux, AppArmor) is logged as not honoured.

use crate::graphics::VNC_PASSWORD_MAX;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use rvirt_virconf::{ConfError, ConfFile};
use std::path::{Path, PathBuf};

/// The first port of VNC and SPICE displays libvirt allows in `remote_display_port_min`.
const REMOTE_PORT_MIN: u16 = 5900;
/// The last port of `remote_display_port_max`.
const REMOTE_PORT_MAX: u16 = 65535;
/// The first port of VNC websockets libvirt allows in `remote_websocket_port_min`.
const WEBSOCKET_PORT_MIN: u16 = 5700;
/// The last port of `remote_websocket_port_max`.
const WEBSOCKET_PORT_MAX: u16 = 65535;

/// The settings of one driver's `qemu.conf`, defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QemuConfig {
    /// Where a VNC console listens when its definition says nothing.
    pub(crate) vnc_listen: String,
    /// A VNC console whose definition gives no address listens on a unix socket instead.
    pub(crate) vnc_auto_unix_socket: bool,
    /// VNC consoles take TLS (x509) connections only.
    pub(crate) vnc_tls: bool,
    /// The folder of VNC's TLS certificates.
    pub(crate) vnc_tls_x509_cert_dir: String,
    /// VNC's TLS asks clients for a certificate signed by the CA.
    pub(crate) vnc_tls_x509_verify: bool,
    /// The password of VNC consoles whose definition sets none.
    pub(crate) vnc_password: Option<String>,
    /// VNC consoles authenticate with SASL.
    pub(crate) vnc_sasl: bool,
    /// The folder of the SASL configuration VNC reads (`SASL_CONF_PATH`).
    pub(crate) vnc_sasl_dir: Option<String>,
    /// A guest whose last console is VNC may reach the host's audio (gets no `none` backend).
    pub(crate) vnc_allow_host_audio: bool,
    /// A guest with no console may reach the host's audio (gets no `none` backend).
    pub(crate) nographics_allow_host_audio: bool,
    /// Where a SPICE console listens when its definition says nothing.
    pub(crate) spice_listen: String,
    /// A SPICE console whose definition gives no address listens on a unix socket instead.
    pub(crate) spice_auto_unix_socket: bool,
    /// SPICE consoles may have a TLS port.
    pub(crate) spice_tls: bool,
    /// The folder of SPICE's TLS certificates.
    pub(crate) spice_tls_x509_cert_dir: String,
    /// The password of SPICE consoles whose definition sets none.
    pub(crate) spice_password: Option<String>,
    /// SPICE consoles authenticate with SASL.
    pub(crate) spice_sasl: bool,
    /// The folder of the SASL configuration SPICE reads (`SASL_CONF_PATH`).
    pub(crate) spice_sasl_dir: Option<String>,
    /// The ports automatic VNC displays and SPICE ports are taken from.
    pub(crate) remote_ports: (u16, u16),
    /// The ports automatic VNC websockets are taken from.
    pub(crate) websocket_ports: (u16, u16),
    /// QEMU's process is named after the guest (`-name ...,process=qemu:NAME`).
    pub(crate) set_process_name: bool,
    /// `RLIMIT_NPROC` of QEMU (0: inherited).
    pub(crate) max_processes: u32,
    /// `RLIMIT_NOFILE` of QEMU (0: inherited).
    pub(crate) max_files: u32,
    /// `RLIMIT_CORE` of QEMU (`None`: inherited; `u64::MAX`: unlimited).
    pub(crate) max_core: Option<u64>,
    /// QEMU's core dumps include the guest's RAM (`-machine dump-guest-core=on`).
    pub(crate) dump_guest_core: bool,
    /// `-1`: QEMU's seccomp sandbox on; `0`: off (`-sandbox off`); `1`: on.
    pub(crate) seccomp_sandbox: i64,
    /// How save images (and managed saves) are compressed: `raw`, `gzip`, `bzip2`, `xz`,
    /// `lzop` (checked when a save asks for it, as libvirt checks it).
    pub(crate) save_image_format: Option<String>,
    /// How core dumps (not memory-only ones) are compressed.
    pub(crate) dump_image_format: Option<String>,
    /// How the memory of external snapshots is compressed.
    pub(crate) snapshot_image_format: Option<String>,
    /// The control group controllers guests get groups in (`None`: every one mounted).
    pub(crate) cgroup_controllers: Option<Vec<String>>,
    /// The device nodes every guest may open (`None`: libvirt's default list,
    /// [`crate::device_rules::DEFAULT_ACL`]).
    pub(crate) cgroup_device_acl: Option<Vec<String>>,
    /// Where automatic dumps go (`<on_crash>coredump-*`); `None`: the driver's default.
    pub(crate) auto_dump_path: Option<PathBuf>,
    /// QEMU prefixes its messages with the time (`-msg timestamp=on`).
    pub(crate) log_timestamp: bool,
    /// What QEMU does with deprecated commands and arguments (`-compat`): `none` (the
    /// default: nothing said), `omit` (hidden from its answers), `reject` or `crash`.
    pub(crate) deprecation_behavior: String,
    /// The user QEMU runs as when the driver is privileged (a name or `+UID`; root by
    /// default, as upstream libvirt builds).
    pub(crate) user: String,
    /// The group QEMU runs as (a name or `+GID`).
    pub(crate) group: String,
    /// The files QEMU opens are given to its user while it runs.
    pub(crate) dynamic_ownership: bool,
    /// Their first owners are recorded in extended attributes, and given them back.
    pub(crate) remember_owner: bool,
    /// The user the TPM emulator runs as (`None`: `tss`).
    pub(crate) swtpm_user: Option<String>,
    /// The group the TPM emulator runs as (`None`: `tss`).
    pub(crate) swtpm_group: Option<String>,
    /// Where guest RAM backed by a file goes (`memory_backing_dir`, as libvirt takes it:
    /// `DIR/libvirt/qemu`; `None`: the driver's `lib/qemu/ram`).
    pub(crate) memory_backing_dir: Option<PathBuf>,
    /// Put before a domain's folder name in [`QemuConfig::memory_backing_dir`] by an
    /// embedded driver whose folder lies outside its root (its `qemu-embed-HASH`, as libvirt
    /// names them), so that two embedded drivers never share one; set when the driver opens.
    pub(crate) memory_backing_prefix: Option<String>,
    /// `nvram`: UEFI code files and the templates of their variable stores, for loaders
    /// given by path (empty where the host has firmware descriptors, which libvirt then
    /// prefers).
    pub(crate) nvram: Vec<(String, String)>,
    /// The hugetlbfs mounts guests' huge pages come from (`hugetlbfs_mount`, else the host's
    /// for a privileged driver), each with this driver's folder under it once it opens.
    pub(crate) hugetlbfs: Vec<crate::hugepages::HugeTlbFs>,
}

/// The TLS folders libvirt looks at first, `/etc/pki/libvirt-vnc` and `/etc/pki/libvirt-spice`,
/// before the default one (for every driver, embedded ones too).
fn service_pki_dir(service: &str) -> Option<String> {
    let dir = format!("/etc/pki/libvirt-{service}");
    Path::new(&dir).exists().then_some(dir)
}

impl QemuConfig {
    /// The settings with no `qemu.conf`, for a driver whose configuration folder is
    /// `config_base` (`/etc/libvirt`, or `ROOT/etc` for an embedded driver).
    #[cfg(test)]
    pub(crate) fn defaults(config_base: &Path, system: bool) -> QemuConfig {
        QemuConfig::from_file(&ConfFile::empty("qemu.conf"), config_base, system)
            .unwrap_or_else(|_| unreachable!("an empty file has no wrong values"))
    }

    /// The settings an embedded driver rooted at `/r` gets from a `qemu.conf` holding `text`
    /// (without the checks of the file system that [`QemuConfig::load`] adds).
    #[cfg(test)]
    pub(crate) fn parse_text(text: &str) -> std::result::Result<QemuConfig, ConfError> {
        QemuConfig::from_file(
            &ConfFile::parse(text, "/r/etc/qemu.conf")?,
            Path::new("/r/etc"),
            false,
        )
    }

    /// Reads `qemu.conf` from `config_base` (see [`QemuConfig::defaults`]); a file that does not
    /// exist gives the defaults.
    pub(crate) fn load(config_base: &Path, system: bool) -> Result<QemuConfig> {
        let path = config_base.join("qemu.conf");
        let file = match ConfFile::load(&path) {
            Ok(f) => f,
            Err(ConfError::Read(_)) if !path.exists() => {
                ConfFile::empty(&path.display().to_string())
            }
            Err(e) => return Err(conf_error(e)),
        };
        let mut config = QemuConfig::from_file(&file, config_base, system).map_err(conf_error)?;
        // Huge pages: the mounts named, else (as root) the host's.
        config.hugetlbfs = match file
            .string_list("hugetlbfs_mount", true)
            .map_err(conf_error)?
        {
            Some(paths) => crate::hugepages::configured(&paths)
                .map_err(|m| Error::internal(ErrorDomain::QEMU, m))?,
            // SAFETY: geteuid has no preconditions.
            None if unsafe { libc::geteuid() } == 0 => crate::hugepages::detected(),
            None => Vec::new(),
        };
        check_tls_dirs(&file)?;
        check_controllers(config.cgroup_controllers.as_deref())?;
        Ok(config)
    }

    fn from_file(
        f: &ConfFile,
        config_base: &Path,
        system: bool,
    ) -> std::result::Result<QemuConfig, ConfError> {
        // The folder every TLS service falls back to: libvirt's SYSCONFDIR/pki/qemu, under the
        // root for an embedded driver.
        let default_tls_dir = match f.string("default_tls_x509_cert_dir")? {
            Some(d) => d,
            None if system => "/etc/pki/qemu".to_string(),
            None => config_base.join("pki/qemu").display().to_string(),
        };
        let default_verify = f.boolean("default_tls_x509_verify")?;
        let tls_dir = |name: &str, service: &str| -> std::result::Result<String, ConfError> {
            Ok(match f.string(name)? {
                Some(d) => d,
                None => service_pki_dir(service).unwrap_or_else(|| default_tls_dir.clone()),
            })
        };
        // A longer `vnc_password` than QEMU takes is cut, as libvirt cuts it.
        let mut vnc_password = f.string("vnc_password")?;
        if let Some(p) = vnc_password.as_mut().filter(|p| p.len() > VNC_PASSWORD_MAX) {
            tracing::warn!(
                "VNC password is {} characters long, only {VNC_PASSWORD_MAX} permitted, truncating",
                p.len()
            );
            let mut cut = VNC_PASSWORD_MAX;
            while !p.is_char_boundary(cut) {
                cut -= 1;
            }
            p.truncate(cut);
        }

        let websocket_ports = port_range(
            f,
            "remote_websocket_port",
            WEBSOCKET_PORT_MIN,
            WEBSOCKET_PORT_MAX,
        )?;
        let remote_ports = port_range(f, "remote_display_port", REMOTE_PORT_MIN, REMOTE_PORT_MAX)?;

        // max_core: an integer, or the string "unlimited".
        let max_core = match f.get("max_core") {
            None => None,
            Some(rvirt_virconf::Value::Str(s)) if s == "unlimited" => Some(u64::MAX),
            Some(rvirt_virconf::Value::Str(s)) => {
                return Err(ConfError::Invalid(format!("Unknown core size '{s}'")));
            }
            Some(_) => f.ullong("max_core")?,
        };

        let config = QemuConfig {
            vnc_listen: f
                .string("vnc_listen")?
                .unwrap_or_else(|| "127.0.0.1".into()),
            vnc_auto_unix_socket: f.boolean("vnc_auto_unix_socket")?.unwrap_or(false),
            vnc_tls: f.boolean("vnc_tls")?.unwrap_or(false),
            vnc_tls_x509_cert_dir: tls_dir("vnc_tls_x509_cert_dir", "vnc")?,
            vnc_tls_x509_verify: f
                .boolean("vnc_tls_x509_verify")?
                .or(default_verify)
                .unwrap_or(false),
            vnc_password,
            vnc_sasl: f.boolean("vnc_sasl")?.unwrap_or(false),
            vnc_allow_host_audio: f.boolean("vnc_allow_host_audio")?.unwrap_or(false),
            nographics_allow_host_audio: f.boolean("nographics_allow_host_audio")?.unwrap_or(false),
            vnc_sasl_dir: f.string("vnc_sasl_dir")?,
            spice_listen: f
                .string("spice_listen")?
                .unwrap_or_else(|| "127.0.0.1".into()),
            spice_auto_unix_socket: f.boolean("spice_auto_unix_socket")?.unwrap_or(false),
            spice_tls: f.boolean("spice_tls")?.unwrap_or(false),
            spice_tls_x509_cert_dir: tls_dir("spice_tls_x509_cert_dir", "spice")?,
            spice_password: f.string("spice_password")?,
            spice_sasl: f.boolean("spice_sasl")?.unwrap_or(false),
            spice_sasl_dir: f.string("spice_sasl_dir")?,
            remote_ports,
            websocket_ports,
            set_process_name: f.boolean("set_process_name")?.unwrap_or(false),
            max_processes: f.uint("max_processes")?.unwrap_or(0),
            max_files: f.uint("max_files")?.unwrap_or(0),
            max_core,
            dump_guest_core: f.boolean("dump_guest_core")?.unwrap_or(false),
            seccomp_sandbox: f.int("seccomp_sandbox")?.unwrap_or(-1),
            save_image_format: f.string("save_image_format")?,
            dump_image_format: f.string("dump_image_format")?,
            snapshot_image_format: f.string("snapshot_image_format")?,
            cgroup_controllers: f.string_list("cgroup_controllers", false)?,
            cgroup_device_acl: f.string_list("cgroup_device_acl", false)?,
            auto_dump_path: f.string("auto_dump_path")?.map(PathBuf::from),
            log_timestamp: f.boolean("log_timestamp")?.unwrap_or(true),
            deprecation_behavior: f
                .string("deprecation_behavior")?
                .unwrap_or_else(|| "none".into()),
            user: f.string("user")?.unwrap_or_else(|| "root".into()),
            group: f.string("group")?.unwrap_or_else(|| "root".into()),
            dynamic_ownership: f.boolean("dynamic_ownership")?.unwrap_or(true),
            remember_owner: f.boolean("remember_owner")?.unwrap_or(true),
            swtpm_user: f.string("swtpm_user")?,
            swtpm_group: f.string("swtpm_group")?,
            memory_backing_dir: f
                .string("memory_backing_dir")?
                .map(|d| Path::new(&d).join("libvirt/qemu")),
            memory_backing_prefix: None,
            nvram: nvram_list(f)?,
            hugetlbfs: Vec::new(),
        };
        check_unsupported(f)?;
        Ok(config)
    }
}

/// The resource limits a QEMU process starts with (`max_processes`, `max_files`, `max_core`),
/// as libvirt sets them on its child: `None` leaves the limit inherited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    nproc: Option<u64>,
    nofile: Option<u64>,
    core: Option<u64>,
    memlock: Option<u64>,
}

impl Limits {
    /// The limits `cfg` asks for, and the locked memory guest `def` may have, as libvirt
    /// sets it: its `<memtune><hard_limit>`, else none at all for `<memoryBacking><locked/>`
    /// (how much QEMU will lock cannot be known), else the inherited limit.
    pub(crate) fn of(cfg: &QemuConfig, def: &rvirt_conf::DomainDef) -> Limits {
        /// libvirt's "unlimited" memory tunable, in KiB.
        const UNLIMITED_KIB: u64 = 9_007_199_254_740_991;
        let set = |n: u32| (n > 0).then_some(u64::from(n));
        let locked = def.extras.memory_backing.as_ref().is_some_and(|b| b.locked);
        let memlock = match def.extras.memtune[0] {
            Some(kib) if kib < UNLIMITED_KIB => Some(kib << 10),
            _ if locked => Some(u64::MAX),
            _ => None,
        };
        Limits {
            nproc: set(cfg.max_processes),
            nofile: set(cfg.max_files),
            core: cfg.max_core,
            memlock,
        }
    }

    /// Refuses, before QEMU is started, a limit it could not be given: one above this
    /// process's hard limit (which QEMU inherits) without `CAP_SYS_RESOURCE` to raise it.
    /// libvirt's child fails the same way (its message, without the pid).
    pub(crate) fn check(&self) -> Result<()> {
        for (resource, value, what) in [
            (libc::RLIMIT_NPROC, self.nproc, "number of subprocesses"),
            (libc::RLIMIT_NOFILE, self.nofile, "number of open files"),
            (libc::RLIMIT_CORE, self.core, "core file size"),
            (libc::RLIMIT_MEMLOCK, self.memlock, "locked memory"),
        ] {
            let Some(v) = value else { continue };
            let mut cur = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit fills the struct it is given.
            if unsafe { libc::getrlimit(resource, &mut cur) } < 0 {
                continue;
            }
            let wanted = if v == u64::MAX {
                libc::RLIM_INFINITY
            } else {
                v as libc::rlim_t
            };
            if cur.rlim_max != libc::RLIM_INFINITY && wanted > cur.rlim_max && !can_raise_limits() {
                // libvirt's "unlimited" as it prints it.
                let shown = if v == u64::MAX {
                    9_007_199_254_740_991
                } else {
                    v
                };
                return Err(Error::system(
                    ErrorDomain::QEMU,
                    format!("cannot limit {what} of process to {shown}"),
                    &std::io::Error::from_raw_os_error(libc::EPERM),
                ));
            }
        }
        Ok(())
    }

    /// Sets them on the calling process (between fork and exec: no allocation).
    pub(crate) fn apply(&self) -> std::io::Result<()> {
        for (resource, value) in [
            (libc::RLIMIT_NPROC, self.nproc),
            (libc::RLIMIT_NOFILE, self.nofile),
            (libc::RLIMIT_CORE, self.core),
            (libc::RLIMIT_MEMLOCK, self.memlock),
        ] {
            let Some(v) = value else { continue };
            let v = if v == u64::MAX {
                libc::RLIM_INFINITY
            } else {
                v as libc::rlim_t
            };
            let limit = libc::rlimit {
                rlim_cur: v,
                rlim_max: v,
            };
            // SAFETY: setrlimit reads the struct it is given and nothing else.
            if unsafe { libc::setrlimit(resource, &limit) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// Whether this process may raise a hard resource limit (`CAP_SYS_RESOURCE` in its effective
/// capabilities); asked only when a limit is above the hard one.
fn can_raise_limits() -> bool {
    /// The capability to raise hard resource limits.
    const CAP_SYS_RESOURCE: u32 = 24;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            let hex = t.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(hex.trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_RESOURCE) != 0)
}

/// The control group controllers libvirt knows by name.
const CONTROLLERS: [&str; 10] = [
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "blkio",
    "net_cls",
    "perf_event",
    "name=systemd",
];

/// Refuses a `cgroup_controllers` entry libvirt does not know.
fn check_controllers(names: Option<&[String]>) -> Result<()> {
    match names
        .unwrap_or_default()
        .iter()
        .find(|n| !CONTROLLERS.contains(&n.as_str()))
    {
        Some(bad) => Err(Error::with_detail(
            ErrorDomain::QEMU,
            ErrorNumber::CONF_SYNTAX,
            format!("Unknown cgroup controller '{bad}'"),
        )),
        None => Ok(()),
    }
}

/// The port range `PREFIX_min` to `PREFIX_max` (each by default the bound libvirt allows,
/// `lowest` and `highest`), refused with libvirt's words when it leaves those bounds or is empty.
fn port_range(
    f: &ConfFile,
    prefix: &str,
    lowest: u16,
    highest: u16,
) -> std::result::Result<(u16, u16), ConfError> {
    let refuse = |what: String| ConfError::Invalid(format!("{}: {prefix}_{what}", f.origin()));
    let min = f
        .uint(&format!("{prefix}_min"))?
        .unwrap_or(u32::from(lowest));
    if min < u32::from(lowest) {
        return Err(refuse(format!(
            "min: port must be greater than or equal to {lowest}"
        )));
    }
    let max = f
        .uint(&format!("{prefix}_max"))?
        .unwrap_or(u32::from(highest));
    if max > u32::from(highest) || max < min {
        return Err(refuse(format!(
            "max: port must be between the minimal port and {highest}"
        )));
    }
    // Both within lowest..=highest, u16 values.
    Ok((min as u16, max as u16))
}

/// Refuses a TLS certificate folder that `qemu.conf` names and that does not exist, as
/// libvirt does once the file is read.
fn check_tls_dirs(f: &ConfFile) -> Result<()> {
    for name in [
        "default_tls_x509_cert_dir",
        "vnc_tls_x509_cert_dir",
        "spice_tls_x509_cert_dir",
    ] {
        if let Ok(Some(dir)) = f.string(name)
            && !Path::new(&dir).exists()
        {
            return Err(Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::CONF_SYNTAX,
                format!("{name} directory '{dir}' does not exist"),
            ));
        }
    }
    Ok(())
}

/// Reads (for their types) the settings of features rvirt does not have, and logs those
/// asking for them: `security_driver` names no driver but `none` and `dac` (SELinux and
/// AppArmor confinement do not exist here; the DAC driver always runs on a privileged driver).
fn check_unsupported(f: &ConfFile) -> std::result::Result<(), ConfError> {
    if let Some(l) = f.string_list("security_driver", true)?
        && l.iter().any(|d| d != "none" && d != "dac")
    {
        tracing::warn!(
            "qemu.conf: security_driver {l:?} is not honoured: only the DAC driver runs"
        );
    }
    f.string("stdio_handler")?;
    f.boolean("auto_dump_bypass_cache")?;
    f.boolean("auto_start_bypass_cache")?;
    Ok(())
}

/// The `nvram` setting: `CODE:VARS` pairs (spaces before each part skipped), libvirt's
/// "Invalid nvram format" for any other entry. Where the host has firmware descriptors the
/// setting is ignored with libvirt's warning.
fn nvram_list(f: &ConfFile) -> std::result::Result<Vec<(String, String)>, ConfError> {
    let Some(list) = f.string_list("nvram", false)? else {
        return Ok(Vec::new());
    };
    if !crate::firmware::descriptor_paths().is_empty() {
        tracing::warn!(
            "Obsolete nvram variable is set while firmware metadata files found. Note that \
             the nvram config file variable is going to be ignored."
        );
        return Ok(Vec::new());
    }
    nvram_entries(&list)
}

/// `CODE:VARS` entries of the `nvram` setting, as pairs.
fn nvram_entries(list: &[String]) -> std::result::Result<Vec<(String, String)>, ConfError> {
    list.iter()
        .map(|entry| {
            let parts: Vec<&str> = entry.split(':').map(str::trim_start).collect();
            match parts[..] {
                [code, vars] if !code.is_empty() && !vars.is_empty() => {
                    Ok((code.to_string(), vars.to_string()))
                }
                _ => Err(ConfError::Syntax(format!(
                    "Invalid nvram format: '{entry}'"
                ))),
            }
        })
        .collect()
}

/// A `qemu.conf` that cannot be used, as libvirt reports it: syntax errors with
/// `VIR_ERR_CONF_SYNTAX` and values of the wrong type as internal errors of the configuration
/// file layer, values the QEMU driver refuses as its own internal errors.
fn conf_error(e: ConfError) -> Error {
    match e {
        ConfError::Syntax(m) => Error::with_detail(ErrorDomain::CONF, ErrorNumber::CONF_SYNTAX, m),
        ConfError::Read(m) => Error::with_detail(ErrorDomain::CONF, ErrorNumber::SYSTEM_ERROR, m),
        ConfError::Type(m) => Error::internal(ErrorDomain::CONF, m),
        ConfError::Invalid(m) => Error::internal(ErrorDomain::QEMU, m),
    }
}

/// Where `qemu.conf` lives for a driver of the folders `dirs`: the parent of its domain configs
/// (`/etc/libvirt` for `/etc/libvirt/qemu`, `ROOT/etc` for `ROOT/etc/qemu`).
pub(crate) fn config_base(qemu_config: &Path) -> PathBuf {
    qemu_config
        .parent()
        .map_or_else(|| PathBuf::from("/etc/libvirt"), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<QemuConfig, ConfError> {
        QemuConfig::parse_text(text)
    }

    #[test]
    fn defaults_are_libvirts() {
        let c = QemuConfig::defaults(Path::new("/r/etc"), false);
        assert_eq!(c.vnc_listen, "127.0.0.1");
        assert_eq!(c.spice_listen, "127.0.0.1");
        assert!(!c.vnc_tls && !c.spice_tls && !c.vnc_sasl && !c.vnc_auto_unix_socket);
        assert_eq!(c.remote_ports, (5900, 65535));
        assert_eq!(c.websocket_ports, (5700, 65535));
        assert_eq!(c.seccomp_sandbox, -1);
        assert_eq!((c.max_processes, c.max_files, c.max_core), (0, 0, None));
        if service_pki_dir("vnc").is_none() {
            assert_eq!(c.vnc_tls_x509_cert_dir, "/r/etc/pki/qemu");
        }
        let s = QemuConfig::defaults(Path::new("/etc/libvirt"), true);
        if service_pki_dir("spice").is_none() {
            assert_eq!(s.spice_tls_x509_cert_dir, "/etc/pki/qemu");
        }
    }

    #[test]
    fn settings_are_read_and_tls_folders_fall_back_to_the_default_one() {
        let c = parse(
            "vnc_listen = \"0.0.0.0\"\nvnc_tls = 1\ndefault_tls_x509_cert_dir = \"/pki\"\n\
             default_tls_x509_verify = 1\nspice_tls = 1\nspice_tls_x509_cert_dir = \"/sp\"\n\
             vnc_password = \"123456789\"\nremote_display_port_min = 6000\n\
             remote_display_port_max = 6010\nmax_core = \"unlimited\"\nseccomp_sandbox = 0\n\
             set_process_name = 1\nuser = \"root\"\n",
        )
        .unwrap();
        assert_eq!(c.vnc_listen, "0.0.0.0");
        assert!(c.vnc_tls && c.vnc_tls_x509_verify && c.spice_tls && c.set_process_name);
        if service_pki_dir("vnc").is_none() {
            assert_eq!(c.vnc_tls_x509_cert_dir, "/pki");
        }
        assert_eq!(c.spice_tls_x509_cert_dir, "/sp");
        assert_eq!(
            c.vnc_password.as_deref(),
            Some("12345678"),
            "cut to 8 as libvirt cuts it"
        );
        assert_eq!(c.remote_ports, (6000, 6010));
        assert_eq!(c.max_core, Some(u64::MAX));
        assert_eq!(c.seccomp_sandbox, 0);
    }

    #[test]
    fn bad_values_are_refused_with_libvirts_words() {
        let msg = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            msg("vnc_tls = \"yes\"\n"),
            "/r/etc/qemu.conf: expected a bool for 'vnc_tls' parameter"
        );
        assert_eq!(
            msg("remote_display_port_min = 5000\n"),
            "/r/etc/qemu.conf: remote_display_port_min: port must be greater than or equal to 5900"
        );
        assert_eq!(
            msg("remote_display_port_min = 6000\nremote_display_port_max = 5990\n"),
            "/r/etc/qemu.conf: remote_display_port_max: port must be between the minimal port \
             and 65535"
        );
        assert_eq!(
            msg("remote_websocket_port_max = 70000\n"),
            "/r/etc/qemu.conf: remote_websocket_port_max: port must be between the minimal \
             port and 65535"
        );
        assert_eq!(
            msg("user = 0\n"),
            "/r/etc/qemu.conf: expected a string for 'user' parameter"
        );
        assert_eq!(msg("max_core = \"lots\"\n"), "Unknown core size 'lots'");
    }

    #[test]
    fn a_missing_file_is_the_defaults_and_a_broken_one_fails_with_its_line() {
        let dir = std::env::temp_dir().join(format!("rvirt-qemu-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            QemuConfig::load(&dir, false).unwrap(),
            QemuConfig::defaults(&dir, false)
        );
        std::fs::write(dir.join("qemu.conf"), "vnc_listen = \"::\"\n\nvnc_tls = \n").unwrap();
        let e = QemuConfig::load(&dir, false).unwrap_err();
        assert_eq!(e.code, ErrorNumber::CONF_SYNTAX);
        assert_eq!(
            e.message,
            format!(
                "configuration file syntax error: {}:3: expecting a value",
                dir.join("qemu.conf").display()
            )
        );
        std::fs::write(
            dir.join("qemu.conf"),
            "vnc_tls_x509_cert_dir = \"/nonexistent\"\n",
        )
        .unwrap();
        let e = QemuConfig::load(&dir, false).unwrap_err();
        assert_eq!(
            (e.domain, e.code),
            (ErrorDomain::QEMU, ErrorNumber::CONF_SYNTAX)
        );
        assert_eq!(
            e.message,
            "configuration file syntax error: vnc_tls_x509_cert_dir directory '/nonexistent' \
             does not exist"
        );
        std::fs::write(dir.join("qemu.conf"), "spice_tls = 2\n").unwrap();
        let e = QemuConfig::load(&dir, false).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
        assert!(
            e.message
                .ends_with("value for 'spice_tls' parameter must be 0 or 1"),
            "{}",
            e.message
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nvram_entries_are_code_and_template_pairs() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            nvram_entries(&list(&["/fw/CODE.fd: /fw/VARS.fd"])).unwrap(),
            [("/fw/CODE.fd".to_string(), "/fw/VARS.fd".to_string())]
        );
        for bad in ["/fw/CODE.fd", "/a:/b:/c", ":/b", "/a:"] {
            match nvram_entries(&list(&[bad])) {
                Err(ConfError::Syntax(m)) => {
                    assert_eq!(m, format!("Invalid nvram format: '{bad}'"))
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
