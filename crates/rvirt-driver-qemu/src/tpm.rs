//! TPM devices (`<tpm>`), as libvirt 9.0's QEMU driver gives them to a guest.
//!
//! The `emulator` backend is a software TPM, `swtpm`, one per running guest: its state lives
//! in a folder of the domain's UUID (`lib/swtpm/UUID/tpm2` under an embedded root), made on the
//! first start by `swtpm_setup` (endorsement key, certificates, locked NVRAM) and reused by
//! every later one; `swtpm socket … --terminate` serves QEMU on a unix socket and ends when
//! QEMU lets go of it. When the driver runs as root, both run as the `tss` user, as libvirt
//! runs them (its CA under `/var/lib/swtpm-localca` belongs to that user). The state outlives
//! the guest's runs and goes with the domain (undefine, or the end of a transient domain),
//! as `persistent_state` and the undefine flags say. A save image carries the TPM's state in
//! QEMU's migration stream: a restore starts swtpm on the same folder before QEMU loads it.
//!
//! `external` connects QEMU to a TPM emulator someone else runs; `passthrough` (a host TPM
//! handed to the guest) is refused as not supported, after libvirt's own check that the
//! device opens.

use crate::sidecar::Sidecar;
use crate::{Dirs, FROM};
use rvirt_conf::DomainDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_types::domain::DomainUndefineFlags;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long swtpm may take to create its socket (libvirt waits 1 s; a loaded host needs more).
const SOCKET_WAIT: Duration = Duration::from_secs(10);

/// The device a `passthrough` backend names when it names none.
pub(crate) const DEFAULT_DEVICE: &str = "/dev/tpm0";

/// The PCR banks swtpm knows, in libvirt's order (the order `--pcr-banks` lists them in).
const PCR_BANKS: &[&str] = &["sha1", "sha256", "sha384", "sha512"];

fn unsupported(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// The `<tpm>` elements of a definition.
pub(crate) fn tpms(def: &DomainDef) -> impl Iterator<Item = &RawElement> {
    def.devices
        .other
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e.name == "tpm")
}

/// A TPM's `<backend>`.
fn backend(tpm: &RawElement) -> Option<&RawElement> {
    tpm.child("backend")
}

/// A TPM's backend type (`passthrough`, `emulator`, `external`).
pub(crate) fn backend_type(tpm: &RawElement) -> &str {
    backend(tpm).and_then(|b| b.attr("type")).unwrap_or("")
}

/// The TPM the driver emulates with swtpm, if the definition has one.
fn emulated(def: &DomainDef) -> Option<&RawElement> {
    tpms(def).find(|t| backend_type(t) == "emulator")
}

/// Whether the emulated TPM is a TPM 2.0 (after the defaults, anything but `1.2` is).
fn is_tpm2(tpm: &RawElement) -> bool {
    backend(tpm).and_then(|b| b.attr("version")) != Some("1.2")
}

/// Whether the TPM's state outlives the domain (`persistent_state='yes'`).
fn persistent_state(tpm: &RawElement) -> bool {
    backend(tpm).and_then(|b| b.attr("persistent_state")) == Some("yes")
}

/// The PCR banks `<active_pcr_banks>` asks for, in libvirt's order; `None` without the element.
fn active_pcr_banks(tpm: &RawElement) -> Option<Vec<&'static str>> {
    let banks = backend(tpm)?.child("active_pcr_banks")?;
    let named = |b: &str| {
        banks
            .children
            .iter()
            .any(|c| matches!(c, RawNode::Element(e) if e.name == b))
    };
    Some(PCR_BANKS.iter().copied().filter(|b| named(b)).collect())
}

fn is_arm_virt(def: &DomainDef) -> bool {
    matches!(def.os.arch.as_deref(), Some("aarch64" | "armv7l"))
        && def
            .os
            .machine
            .as_deref()
            .is_some_and(|m| m == "virt" || m.starts_with("virt-"))
}

/// libvirt's QEMU defaults for a TPM: the model (`tpm-tis`; `tpm-spapr` on POWER), and for the
/// emulator the TPM version, which the model decides (CRB and SPAPR are TPM 2.0 only; TIS
/// defaults to 1.2).
pub(crate) fn fill_defaults(def: &mut DomainDef) {
    let ppc64 = matches!(def.os.arch.as_deref(), Some("ppc64" | "ppc64le"));
    let arm_virt = is_arm_virt(def);
    for (_, e) in def
        .devices
        .other
        .iter_mut()
        .filter(|(_, e)| e.name == "tpm")
    {
        if e.attr("model").is_none() {
            let model = if ppc64 { "tpm-spapr" } else { "tpm-tis" };
            e.attrs.insert(0, ("model".into(), model.into()));
        }
        let v2 = matches!(e.attr("model"), Some("tpm-crb" | "tpm-spapr")) || arm_virt;
        if let Some(b) = e.child_mut("backend")
            && b.attr("type") == Some("emulator")
            && b.attr("version").is_none()
        {
            let at = b
                .attrs
                .iter()
                .position(|(k, _)| k == "type")
                .map_or(0, |p| p + 1);
            let version = if v2 { "2.0" } else { "1.2" };
            b.attrs.insert(at, ("version".into(), version.into()));
        }
    }
}

/// libvirt's checks of a defined TPM: one TPM (a proxy aside), a model and backend this QEMU
/// and host have (the emulator needs swtpm), and the version the model can work with.
pub(crate) fn validate(def: &DomainDef) -> Result<()> {
    let (mut proxies, mut regular) = (0, 0);
    for t in tpms(def) {
        if t.attr("model") == Some("spapr-tpm-proxy") {
            proxies += 1;
            if proxies > 1 {
                return Err(unsupported("only a single TPM Proxy device is supported"));
            }
        } else {
            regular += 1;
            if regular > 1 {
                return Err(unsupported(
                    "only a single TPM non-proxy device is supported",
                ));
            }
        }
    }
    let emulator = def.devices.emulator.as_deref().unwrap_or("");
    let swtpm = tpms(def).any(|t| backend_type(t) != "passthrough") && binaries().is_ok();
    for t in tpms(def) {
        let model = t.attr("model").unwrap_or("");
        let kind = backend_type(t);
        if kind == "emulator" {
            let version = backend(t).and_then(|b| b.attr("version")).unwrap_or("");
            if !swtpm {
                return Err(unsupported(format!(
                    "TPM version '{version}' is not supported"
                )));
            }
            if version == "1.2" {
                match model {
                    "tpm-crb" => {
                        return Err(unsupported(format!(
                            "Unsupported interface '{model}' for TPM 1.2"
                        )));
                    }
                    "tpm-spapr" => {
                        return Err(unsupported(
                            "TPM 1.2 is not supported with the SPAPR device model",
                        ));
                    }
                    _ if is_arm_virt(def) => {
                        return Err(unsupported("TPM 1.2 is not supported on ARM"));
                    }
                    _ => {}
                }
            }
            if active_pcr_banks(t).is_some() && version != "2.0" {
                return Err(Error::with_detail(
                    ErrorDomain::DOMAIN,
                    ErrorNumber::XML_ERROR,
                    "<active_pcr_banks/> requires TPM version '2.0'",
                ));
            }
        }
        if kind != "passthrough" && !swtpm {
            return Err(unsupported(format!(
                "The QEMU executable {emulator} does not support TPM backend type {kind}"
            )));
        }
        // What qemu-system-x86_64 has (domain capabilities list the same).
        if !matches!(model, "tpm-tis" | "tpm-crb") {
            return Err(unsupported(format!(
                "The QEMU executable {emulator} does not support TPM model {model}"
            )));
        }
    }
    Ok(())
}

/// The QEMU arguments of the definition's TPM: its chardev (`chrtpm`, on `socket`, the
/// emulator's socket of this start; without one, as in `domxml-to-native`, a `null` chardev,
/// as libvirt prints it), `-tpmdev` and the device.
pub(crate) fn command_line(
    def: &DomainDef,
    socket: Option<&Path>,
    a: &mut Vec<String>,
) -> Result<()> {
    let escape = |p: &str| p.replace(',', ",,");
    for t in tpms(def) {
        let alias = rvirt_conf::domain::raw_alias(t).unwrap_or("tpm0");
        let chardev = match backend_type(t) {
            "passthrough" => {
                let path = backend(t)
                    .and_then(|b| b.child("device"))
                    .and_then(|d| d.attr("path"))
                    .unwrap_or(DEFAULT_DEVICE);
                // libvirt opens the device (and its cancel file) for QEMU first.
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(|e| {
                        Error::system(FROM, format!("Could not open TPM device {path}"), &e)
                    })?;
                return Err(unsupported(
                    "TPM passthrough is not supported by this QEMU driver yet",
                ));
            }
            "emulator" => match socket {
                Some(s) => format!("socket,id=chrtpm,path={}", escape(&s.display().to_string())),
                None => "null,id=chrtpm".to_string(),
            },
            "external" => {
                let source = backend(t).and_then(|b| b.child("source"));
                match source.and_then(|s| s.attr("path")) {
                    Some(p) => format!("socket,id=chrtpm,path={}", escape(p)),
                    None => {
                        return Err(Error::with_detail(
                            ErrorDomain::DOMAIN,
                            ErrorNumber::XML_ERROR,
                            "missing socket path for external TPM device",
                        ));
                    }
                }
            }
            other => {
                return Err(unsupported(format!(
                    "TPM backend type '{other}' is not supported"
                )));
            }
        };
        let x86 = matches!(def.os.arch.as_deref(), None | Some("x86_64" | "i686"));
        let model = match t.attr("model").unwrap_or("tpm-tis") {
            "tpm-tis" if !x86 => "tpm-tis-device",
            m => m,
        };
        a.push("-chardev".into());
        a.push(chardev);
        a.push("-tpmdev".into());
        a.push(format!("emulator,id=tpm-{alias},chardev=chrtpm"));
        a.push("-device".into());
        a.push(
            serde_json::json!({"driver": model, "tpmdev": format!("tpm-{alias}"), "id": alias})
                .to_string(),
        );
    }
    Ok(())
}

/// The swtpm programs, found in `$PATH` as libvirt finds them.
#[derive(Debug)]
pub(crate) struct Binaries {
    swtpm: PathBuf,
    setup: PathBuf,
    ioctl: PathBuf,
}

/// The swtpm programs in `$PATH`, or libvirt's error naming the first one missing.
pub(crate) fn binaries() -> Result<Binaries> {
    let path = std::env::var("PATH").unwrap_or_default();
    binaries_in(&path)
}

fn binaries_in(path_var: &str) -> Result<Binaries> {
    Ok(Binaries {
        swtpm: find_in_path("swtpm", path_var)?,
        setup: find_in_path("swtpm_setup", path_var)?,
        ioctl: find_in_path("swtpm_ioctl", path_var)?,
    })
}

fn find_in_path(name: &str, path_var: &str) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let found = path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    let Some(p) = found else {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        return Err(Error::system(
            ErrorDomain::TPM,
            format!("Unable to find '{name}' binary in $PATH"),
            &e,
        ));
    };
    match std::fs::metadata(&p) {
        Ok(m) if m.permissions().mode() & 0o111 != 0 => Ok(p),
        _ => Err(Error::internal(
            ErrorDomain::TPM,
            format!("{} is not an executable", p.display()),
        )),
    }
}

/// Where one domain's TPM emulator keeps its files.
#[derive(Debug)]
struct Paths {
    /// The state folder (`…/UUID/tpm2`).
    storage: PathBuf,
    /// swtpm's and swtpm_setup's log.
    log: PathBuf,
    /// The control socket QEMU connects to.
    socket: PathBuf,
    /// The emulator's pid, as libvirt records it.
    pidfile: PathBuf,
}

fn paths(dirs: &Dirs, def: &DomainDef, id: i32, tpm2: bool) -> Paths {
    let short = crate::util::short_name(id, &def.name);
    let version = if tpm2 { "tpm2" } else { "tpm1.2" };
    Paths {
        storage: dirs.swtpm_storage.join(def.uuid.to_string()).join(version),
        log: dirs.swtpm_log.join(format!("{}-swtpm.log", def.name)),
        socket: dirs.swtpm_state.join(format!("{short}-swtpm.sock")),
        pidfile: dirs.swtpm_state.join(format!("{short}-swtpm.pid")),
    }
}

/// A TPM emulator started for a guest, and the socket QEMU is to connect to.
#[derive(Debug)]
pub(crate) struct Started {
    /// The emulator's control socket.
    pub(crate) socket: PathBuf,
    /// The emulator: killed if dropped before [`Sidecar::keep`] (the start failed).
    pub(crate) swtpm: Sidecar,
}

fn sys(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::system(FROM, what, &e)
}

/// Makes `dir` (and its parents), with `mode` when made, owned by `ids` when given.
fn make_dir(dir: &Path, mode: u32, ids: Option<(Option<u32>, Option<u32>)>) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(sys(format!("cannot create '{}'", parent.display())))?;
    }
    match std::fs::DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => {
            // The umask narrowed it.
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(sys(format!("cannot create '{}'", dir.display()))(e)),
    }
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::chown(dir, uid, gid).map_err(sys(format!(
            "cannot change the owner of '{}'",
            dir.display()
        )))?;
    }
    Ok(())
}

/// Starts the emulator of the definition's `emulator` TPM, if it has one, as libvirt's
/// `qemuExtTPMStart` does: log and socket folders ready, a leftover emulator of the same
/// domain stopped, the state made by `swtpm_setup` when it does not exist yet (a restore,
/// `incoming`, only makes an empty one for the stream to fill) and its PCR banks set, then
/// `swtpm socket` started and waited for, as the user and group `ids` (`None`: the driver's
/// own). Its command goes to the domain's QEMU log (`qemu_log`) as libvirt logs it.
pub(crate) fn start(
    dirs: &Dirs,
    def: &DomainDef,
    id: i32,
    incoming: bool,
    ids: Option<(u32, u32)>,
    qemu_log: &Path,
) -> Result<Option<Started>> {
    let Some(tpm) = emulated(def) else {
        return Ok(None);
    };
    if backend(tpm).and_then(|b| b.child("encryption")).is_some() {
        return Err(unsupported(
            "TPM state encryption is not supported by this QEMU driver yet",
        ));
    }
    let bins = binaries()?;
    let tpm2 = is_tpm2(tpm);
    let p = paths(dirs, def, id, tpm2);
    let owner = ids.map(|(u, g)| (Some(u), Some(g)));

    // The log folder: swtpm's user writes there, others may only pass.
    make_dir(&dirs.swtpm_log, 0o730, owner)?;
    if !p.log.exists() {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o644)
            .open(&p.log)
            .map_err(sys(format!("cannot create '{}'", p.log.display())))?;
    }
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::chown(&p.log, Some(uid), Some(gid)).map_err(sys(format!(
            "Could not chown on swtpm logfile {}",
            p.log.display()
        )))?;
    }
    // The socket folder: QEMU (this process's user) and swtpm's group.
    make_dir(&dirs.swtpm_state, 0o770, ids.map(|(_, g)| (None, Some(g))))?;
    stop_at(&p, Some(&bins));

    // The state: made once, kept across starts.
    let domain_dir = p.storage.parent().unwrap_or(&dirs.swtpm_storage);
    make_dir(domain_dir, 0o711, None)?;
    let created = !p.storage.exists();
    make_dir(&p.storage, 0o700, owner)?;
    if let Some((uid, gid)) = ids {
        for f in std::fs::read_dir(&p.storage)
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = std::os::unix::fs::chown(f.path(), Some(uid), Some(gid));
        }
    }
    let prepared = (|| {
        if created {
            run_setup(&bins, def, tpm2, &p, ids, incoming)?;
        }
        if !incoming && tpm2 {
            if let Some(banks) = active_pcr_banks(tpm).filter(|b| !b.is_empty()) {
                reconfigure(&bins, &p, ids, &banks.join(","))?;
            }
        }
        Ok(())
    })();
    if let Err(e) = prepared {
        if created {
            let _ = std::fs::remove_dir_all(domain_dir);
        }
        return Err(e);
    }

    let _ = std::fs::remove_file(&p.socket);
    let args = vec![
        "socket".to_string(),
        "--ctrl".into(),
        format!("type=unixio,path={},mode=0600", p.socket.display()),
        "--tpmstate".into(),
        format!("dir={},mode=0600", p.storage.display()),
        "--log".into(),
        format!("file={}", p.log.display()),
        "--terminate".into(),
    ];
    let mut args = args;
    if tpm2 {
        args.push("--tpm2".into());
    }
    let mut line = bins.swtpm.display().to_string();
    for a in &args {
        line.push(' ');
        line.push_str(a);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(qemu_log)
    {
        let _ = writeln!(f, "Starting external device: TPM Emulator\n{line}");
    }
    let mut cmd = crate::util::host_command(&bins.swtpm);
    cmd.args(&args).env_clear().env("LC_ALL", "C").env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );
    // What swtpm says before its log is open (a bad option) goes to its log too.
    if let Ok(f) = std::fs::OpenOptions::new().append(true).open(&p.log) {
        if let Ok(f2) = f.try_clone() {
            cmd.stdout(f).stderr(f2);
        }
    }
    if let Some((uid, gid)) = ids {
        use std::os::unix::process::CommandExt;
        cmd.uid(uid).gid(gid);
    }
    let swtpm = Sidecar::spawn(&mut cmd, "swtpm")?;
    if let Err(e) = swtpm.wait_for(&p.socket, SOCKET_WAIT, Some(&p.log)) {
        let _ = std::fs::remove_file(&p.socket);
        return Err(e);
    }
    let _ = crate::util::write_replace(&p.pidfile, format!("{}\n", swtpm.pid()).as_bytes());
    Ok(Some(Started {
        socket: p.socket,
        swtpm,
    }))
}

/// [`start`] on a blocking thread of the driver's runtime (swtpm_setup takes about a second):
/// the caller's executor is not held up meanwhile.
pub(crate) async fn start_blocking(
    dirs: &Dirs,
    def: &DomainDef,
    id: i32,
    incoming: bool,
    ids: Option<(u32, u32)>,
    qemu_log: &Path,
) -> Result<Option<Started>> {
    if emulated(def).is_none() {
        return Ok(None);
    }
    let (dirs, def, log) = (dirs.clone(), def.clone(), qemu_log.to_path_buf());
    crate::process::rt()
        .spawn_blocking(move || start(&dirs, &def, id, incoming, ids, &log))
        .await
        .map_err(|e| Error::internal(FROM, format!("QEMU driver task failed: {e}")))?
}

/// Runs `cmd` (an swtpm tool) as swtpm's user, waiting for it; its exit status.
fn run_as(cmd: &mut Command, ids: Option<(u32, u32)>) -> std::io::Result<i32> {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = ids {
        cmd.uid(uid).gid(gid);
    }
    let out = cmd.stdin(std::process::Stdio::null()).output()?;
    Ok(out.status.code().unwrap_or(-1))
}

/// `swtpm_setup`: the TPM's first state (a restore's state comes from the stream: only an
/// empty one is made then, overwriting anything there).
fn run_setup(
    bins: &Binaries,
    def: &DomainDef,
    tpm2: bool,
    p: &Paths,
    ids: Option<(u32, u32)>,
    incoming: bool,
) -> Result<()> {
    let setup = bins.setup.display().to_string();
    if ids.is_none() {
        // Unprivileged, swtpm_setup reads its configuration from the user's folder: have one.
        let mut c = crate::util::host_command(&bins.setup);
        c.args(["--create-config-files", "skip-if-exist"]);
        let out = c
            .output()
            .map_err(sys(format!("cannot execute binary {setup}")))?;
        if !out.status.success() {
            return Err(Error::internal(
                FROM,
                format!(
                    "Could not run '{setup}' to create config files. exitstatus: {};\nError: {}",
                    out.status.code().unwrap_or(-1),
                    String::from_utf8_lossy(&out.stderr)
                ),
            ));
        }
    }
    let mut c = crate::util::host_command(&bins.setup);
    if tpm2 {
        c.arg("--tpm2");
    }
    c.arg("--tpm-state").arg(&p.storage);
    if incoming {
        c.arg("--overwrite");
    } else {
        c.arg("--vmid")
            .arg(format!("{}:{}", def.name, def.uuid))
            .arg("--logfile")
            .arg(&p.log)
            .args([
                "--createek",
                "--create-ek-cert",
                "--create-platform-cert",
                "--lock-nvram",
                "--not-overwrite",
            ]);
    }
    let status = run_as(&mut c, ids).map_err(sys(format!("cannot execute binary {setup}")))?;
    if status != 0 {
        return Err(Error::internal(
            FROM,
            format!(
                "Could not run '{setup}'. exitstatus: {status}; Check error log '{}' for details.",
                p.log.display()
            ),
        ));
    }
    Ok(())
}

/// `swtpm_setup --reconfigure`: the active PCR banks `<active_pcr_banks>` names.
fn reconfigure(bins: &Binaries, p: &Paths, ids: Option<(u32, u32)>, banks: &str) -> Result<()> {
    let setup = bins.setup.display().to_string();
    let mut c = crate::util::host_command(&bins.setup);
    c.arg("--tpm2")
        .arg("--tpm-state")
        .arg(&p.storage)
        .arg("--logfile")
        .arg(&p.log)
        .args(["--pcr-banks", banks, "--reconfigure"]);
    let status = run_as(&mut c, ids).map_err(sys(format!("cannot execute binary {setup}")))?;
    if status != 0 {
        return Err(Error::internal(
            FROM,
            format!(
                "Could not run '{setup} --reconfigure'. exitstatus: {status}; Check error log '{}' for details.",
                p.log.display()
            ),
        ));
    }
    Ok(())
}

/// Stops the emulator of domain `def` (running as domain `id`), as libvirt does when QEMU has
/// ended: normally it has ended with QEMU (`--terminate`); otherwise `swtpm_ioctl -s` shuts it
/// down. Its socket and pid file go.
pub(crate) fn stop(dirs: &Dirs, def: &DomainDef, id: i32) {
    let Some(tpm) = emulated(def) else {
        return;
    };
    let p = paths(dirs, def, id, is_tpm2(tpm));
    stop_at(&p, binaries().ok().as_ref());
}

fn stop_at(p: &Paths, bins: Option<&Binaries>) {
    if let Some(b) = bins
        && p.socket.exists()
    {
        let mut c = crate::util::host_command(&b.ioctl);
        c.arg("--unix")
            .arg(&p.socket)
            .arg("-s")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Ok(mut child) = c.spawn() {
            // An emulator that does not answer is killed below; the ioctl is not waited on
            // for ever.
            let t = Instant::now();
            while matches!(child.try_wait(), Ok(None)) && t.elapsed() < Duration::from_secs(3) {
                std::thread::sleep(Duration::from_millis(2));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    let _ = std::fs::remove_file(&p.socket);
    // An emulator still there (it ignored the shutdown) is killed, if the pid is still its.
    if let Some(pid) = std::fs::read_to_string(&p.pidfile)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|pid| *pid > 0)
    {
        let sock = p.socket.display().to_string();
        let ours = std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&sock));
        if ours {
            // SAFETY: kill(2) of the swtpm process serving this domain's socket.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    let _ = std::fs::remove_file(&p.pidfile);
}

/// Removes the TPM state of domain `def` as libvirt does when the domain goes (undefined, or
/// a transient domain that ended), per `flags`: a state marked `persistent_state='yes'` only
/// with `VIR_DOMAIN_UNDEFINE_TPM`, any other unless `VIR_DOMAIN_UNDEFINE_KEEP_TPM`.
pub(crate) fn remove_state(dirs: &Dirs, def: &DomainDef, flags: DomainUndefineFlags) {
    let Some(tpm) = emulated(def) else {
        return;
    };
    let remove = if persistent_state(tpm) {
        flags.contains(DomainUndefineFlags::TPM)
    } else {
        !flags.contains(DomainUndefineFlags::KEEP_TPM)
    };
    if remove {
        let _ = std::fs::remove_dir_all(dirs.swtpm_storage.join(def.uuid.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_libvirts_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = binaries_in(&dir.path().display().to_string()).unwrap_err();
        assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
        assert_eq!(e.domain, ErrorDomain::TPM);
        assert_eq!(
            e.message,
            "Unable to find 'swtpm' binary in $PATH: No such file or directory"
        );
        // One found, not the next.
        std::fs::write(dir.path().join("swtpm"), "").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("swtpm"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let e = binaries_in(&dir.path().display().to_string()).unwrap_err();
        assert_eq!(
            e.message,
            "Unable to find 'swtpm_setup' binary in $PATH: No such file or directory"
        );
        std::fs::write(dir.path().join("swtpm_setup"), "").unwrap();
        let e = binaries_in(&dir.path().display().to_string()).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "internal error: {}/swtpm_setup is not an executable",
                dir.path().display()
            )
        );
    }

    fn def_with(devices: &str, machine: &str) -> DomainDef {
        let xml = format!(
            "<domain type='qemu'><name>t</name><memory>65536</memory><os><type arch='x86_64' \
             machine='{machine}'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64\
             </emulator>{devices}</devices></domain>"
        );
        let mut d = DomainDef::parse_xml(&xml, rvirt_conf::ParseOptions::default()).unwrap();
        fill_defaults(&mut d);
        d
    }

    #[test]
    fn model_and_version_defaults_follow_libvirt() {
        let d = def_with("<tpm><backend type='emulator'/></tpm>", "pc");
        let t = tpms(&d).next().unwrap();
        assert_eq!(t.attr("model"), Some("tpm-tis"));
        assert!(!is_tpm2(t));
        let d = def_with(
            "<tpm model='tpm-crb'><backend type='emulator'/></tpm>",
            "q35",
        );
        let t = tpms(&d).next().unwrap();
        assert_eq!(
            backend(t).unwrap().attrs[1],
            ("version".into(), "2.0".into())
        );
        let d = def_with(
            "<tpm model='tpm-crb'><backend type='emulator' version='2.0'>\
             <active_pcr_banks><sha512/><sha1/></active_pcr_banks></backend></tpm>",
            "q35",
        );
        let t = tpms(&d).next().unwrap();
        assert_eq!(active_pcr_banks(t), Some(vec!["sha1", "sha512"]));
    }

    #[test]
    fn the_command_line_has_the_socket_or_a_null_chardev() {
        let mut d = def_with(
            "<tpm model='tpm-crb'><backend type='emulator'/></tpm>",
            "q35",
        );
        crate::alias::assign(&mut d);
        let mut a = Vec::new();
        command_line(&d, None, &mut a).unwrap();
        assert_eq!(
            a[..5],
            [
                "-chardev",
                "null,id=chrtpm",
                "-tpmdev",
                "emulator,id=tpm-tpm0,chardev=chrtpm",
                "-device",
            ]
        );
        let dev: serde_json::Value = serde_json::from_str(&a[5]).unwrap();
        assert_eq!(
            dev,
            serde_json::json!({"driver": "tpm-crb", "tpmdev": "tpm-tpm0", "id": "tpm0"})
        );
        let mut a = Vec::new();
        command_line(&d, Some(Path::new("/r/a,b.sock")), &mut a).unwrap();
        assert_eq!(a[1], "socket,id=chrtpm,path=/r/a,,b.sock");
    }

    #[test]
    fn passthrough_of_a_missing_device_fails_as_in_libvirt() {
        let mut d = def_with(
            "<tpm model='tpm-tis'><backend type='passthrough'>\
             <device path='/dev/no-such-tpm'/></backend></tpm>",
            "pc",
        );
        crate::alias::assign(&mut d);
        let e = command_line(&d, None, &mut Vec::new()).unwrap_err();
        assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
        assert_eq!(
            e.message,
            "Could not open TPM device /dev/no-such-tpm: No such file or directory"
        );
        // A device that opens is still refused, as not supported.
        let mut d = def_with(
            "<tpm model='tpm-tis'><backend type='passthrough'>\
             <device path='/dev/null'/></backend></tpm>",
            "pc",
        );
        crate::alias::assign(&mut d);
        let e = command_line(&d, None, &mut Vec::new()).unwrap_err();
        assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    }

    #[test]
    fn validation_refuses_what_libvirt_refuses() {
        if binaries().is_err() {
            // Without swtpm an emulator's TPM version is what is refused.
            eprintln!("skipped: swtpm is not installed (apt-get install swtpm swtpm-tools)");
            return;
        }
        let err = |dev: &str| validate(&def_with(dev, "pc")).unwrap_err().message;
        assert_eq!(
            err("<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>"),
            "unsupported configuration: Unsupported interface 'tpm-crb' for TPM 1.2"
        );
        assert_eq!(
            err(
                "<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>\
                 <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
            ),
            "unsupported configuration: only a single TPM non-proxy device is supported"
        );
        assert_eq!(
            err("<tpm model='tpm-spapr'><backend type='emulator' version='2.0'/></tpm>"),
            "unsupported configuration: The QEMU executable /usr/bin/qemu-system-x86_64 \
             does not support TPM model tpm-spapr"
        );
    }
}
