//! virtio-fs shares (`<filesystem type='mount'><driver type='virtiofs'/>`), as libvirt 9.0's
//! QEMU driver runs them: one `virtiofsd` per share, started before QEMU on a listening unix
//! socket the driver makes and hands over (`--fd=N`), QEMU's `vhost-user-fs-pci` device
//! connecting to that socket, and the guest's RAM shared with the daemon (a memory backend
//! with `share=on`, which `<memoryBacking><access mode='shared'/>` asks for).
//!
//! A share whose `<source socket>` names the socket of a daemon someone else runs gets no
//! `virtiofsd` of ours: QEMU connects to that socket.
//!
//! Files, as libvirt lays them out: the socket in the domain's private folder
//! (`lib/qemu/domain-ID-NAME/fs0-fs.sock`), the daemon's pid in the state folder
//! (`run/qemu/ID-NAME-fs0-fs.pid`, what a restarted driver finds it by) and its output in
//! `log/qemu/NAME-fs0-virtiofsd.log`. `virtiofsd` ends by itself when QEMU lets go of its socket;
//! [`stop`] makes sure of it when the domain ends.

use crate::Dirs;
use crate::config::QemuConfig;
use crate::sidecar::Sidecar;
use rvirt_conf::DomainDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::path::{Path, PathBuf};

const FROM: ErrorDomain = ErrorDomain::QEMU;

/// Where QEMU's vhost-user descriptors (`50-qemu-virtiofsd.json`) are looked for, in libvirt's
/// order of precedence (a file name in an earlier folder hides the same name in a later one).
const DESCRIPTOR_DIRS: &[&str] = &["/etc/qemu/vhost-user", "/usr/share/qemu/vhost-user"];

fn unsupported(detail: &str) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// Whether `fs` is a virtio-fs share.
pub(crate) fn is_virtiofs(fs: &RawElement) -> bool {
    fs.name == "filesystem"
        && fs
            .child("driver")
            .is_some_and(|d| d.attr("type") == Some("virtiofs"))
}

/// The virtio-fs shares of `def`.
fn shares(def: &DomainDef) -> impl Iterator<Item = &RawElement> {
    def.devices
        .other
        .iter()
        .map(|(_, e)| e)
        .filter(|e| is_virtiofs(e))
}

/// The socket of a share run by someone else (`<source socket>`).
pub(crate) fn external_socket(fs: &RawElement) -> Option<&str> {
    fs.child("source").and_then(|s| s.attr("socket"))
}

/// Whether the guest's RAM is shared with other processes, as vhost-user devices need:
/// `<memoryBacking><access mode='shared'/>` without NUMA cells, or every NUMA cell shared
/// (its own `memAccess`, or the domain's).
fn shared_memory(def: &DomainDef) -> bool {
    let global = def
        .extras
        .memory_backing
        .as_ref()
        .and_then(|b| b.access.as_deref())
        == Some("shared");
    let cells = def.extras.cpu.as_ref().map_or(&[][..], |c| &c.cells[..]);
    if cells.is_empty() {
        return global;
    }
    cells.iter().all(|c| match c.mem_access.as_deref() {
        Some("shared") => true,
        Some(_) => false,
        None => global,
    })
}

/// libvirt's checks of a virtio-fs share (`qemuValidateDomainDeviceDefFS`), each with its
/// message: what virtiofsd cannot do (read-only, access modes other than passthrough, write
/// policies, unprivileged drivers) for a share the driver runs itself, what the device cannot
/// do for any share (a model, a format, multidevs, file modes), and shared guest memory.
pub(crate) fn validate(def: &DomainDef) -> Result<()> {
    for fs in shares(def) {
        let driver = fs.child("driver");
        if external_socket(fs).is_none() {
            if fs.child("readonly").is_some() {
                return Err(unsupported("virtiofs does not yet support read-only mode"));
            }
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } != 0 {
                return Err(unsupported("virtiofs is not yet supported in session mode"));
            }
            if fs.attr("accessmode").is_some_and(|m| m != "passthrough") {
                return Err(unsupported("virtiofs only supports passthrough accessmode"));
            }
            if driver.and_then(|d| d.attr("wrpolicy")).is_some() {
                return Err(unsupported("virtiofs does not support wrpolicy"));
            }
        }
        if fs.attr("model").is_some() {
            return Err(unsupported("virtiofs does not support model"));
        }
        if driver.and_then(|d| d.attr("format")).is_some() {
            return Err(unsupported("virtiofs does not support format"));
        }
        if fs.attr("multidevs").is_some_and(|m| m != "default") {
            return Err(unsupported("virtiofs does not support multidevs"));
        }
        if fs.attr("fmode").is_some() || fs.attr("dmode").is_some() {
            return Err(unsupported("virtiofs does not support fmode and dmode"));
        }
        if !shared_memory(def) {
            return Err(unsupported("'virtiofs' requires shared memory"));
        }
    }
    Ok(())
}

/// Refuses what moves a guest's memory state elsewhere (save, managed save, a snapshot with
/// memory) while it has a virtio-fs share, as libvirt's migration check refuses it: the
/// daemon's state cannot move with it.
pub(crate) fn check_migratable(def: &DomainDef) -> Result<()> {
    if shares(def).next().is_some() {
        return Err(Error::operation_invalid(
            FROM,
            "migration with virtiofs device is not supported",
        ));
    }
    Ok(())
}

/// The socket QEMU connects to for share `fs` (alias `alias`): the one its `<source socket>`
/// names, or `ALIAS-fs.sock` in the domain's private folder.
pub(crate) fn socket_path(private_dir: &Path, fs: &RawElement, alias: &str) -> PathBuf {
    match external_socket(fs) {
        Some(s) => PathBuf::from(s),
        None => private_dir.join(format!("{alias}-fs.sock")),
    }
}

/// `ID-NAME`, the domain's short name as libvirt names its files: the private folder's name
/// without `domain-`.
pub(crate) fn short_name(private_dir: &Path) -> String {
    let n = private_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    n.strip_prefix("domain-").unwrap_or(&n).to_string()
}

/// The folder of the guest RAM's backing file (a file backend, for shared memory), as libvirt
/// names it: `ID-NAME` in qemu.conf's `memory_backing_dir` (with an embedded driver's prefix,
/// see [`QemuConfig::memory_backing_prefix`]), else in `lib/qemu/ram` beside the private
/// folders.
pub(crate) fn ram_dir(private_dir: &Path, config: &QemuConfig) -> PathBuf {
    let short = short_name(private_dir);
    match &config.memory_backing_dir {
        Some(dir) => match &config.memory_backing_prefix {
            Some(prefix) => dir.join(format!("{prefix}-{short}")),
            None => dir.join(short),
        },
        None => {
            let lib = private_dir.parent().unwrap_or(Path::new("/"));
            lib.join("ram").join(short)
        }
    }
}

fn pid_file(dirs: &Dirs, private_dir: &Path, alias: &str) -> PathBuf {
    dirs.qemu_state
        .join(format!("{}-{alias}-fs.pid", short_name(private_dir)))
}

/// The virtiofsd of a share: its `<binary path>`, else the one QEMU's vhost-user descriptors
/// (`type: fs`) name.
fn binary(fs: &RawElement) -> Result<PathBuf> {
    if let Some(p) = fs.child("binary").and_then(|b| b.attr("path")) {
        return Ok(PathBuf::from(p));
    }
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for dir in DESCRIPTOR_DIRS {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".json") && !files.iter().any(|(n, _)| *n == name) {
                files.push((name, e.path()));
            }
        }
    }
    files.sort();
    for (_, path) in files {
        let Some(v) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        else {
            continue;
        };
        if v["type"] == "fs"
            && let Some(b) = v["binary"].as_str()
        {
            return Ok(PathBuf::from(b));
        }
    }
    Err(Error::with_detail(
        FROM,
        ErrorNumber::OPERATION_FAILED,
        "Unable to find a satisfying virtiofsd",
    ))
}

/// The options libvirt 9.0 gives QEMU's C virtiofsd for share `fs`: `-o` with the source and
/// the cache, sandbox, xattr, flock and POSIX lock settings, then the thread pool size.
fn daemon_args(fs: &RawElement, source: &str) -> Vec<String> {
    let bin = fs.child("binary");
    let sub = |el: &str, attr: &str| bin.and_then(|b| b.child(el)).and_then(|e| e.attr(attr));
    let mut o = format!("source={}", source.replace(',', ",,"));
    if let Some(c) = sub("cache", "mode") {
        o.push_str(&format!(",cache={c}"));
    }
    if let Some(s) = sub("sandbox", "mode") {
        o.push_str(&format!(",sandbox={s}"));
    }
    let switch = |o: &mut String, v: Option<&str>, name: &str| match v {
        Some("on") => o.push_str(&format!(",{name}")),
        Some("off") => o.push_str(&format!(",no_{name}")),
        _ => {}
    };
    switch(&mut o, bin.and_then(|b| b.attr("xattr")), "xattr");
    switch(&mut o, sub("lock", "flock"), "flock");
    switch(&mut o, sub("lock", "posix"), "posix_lock");
    let mut args = vec!["-o".to_string(), o];
    if let Some(n) = sub("thread_pool", "size") {
        args.push(format!("--thread-pool-size={n}"));
    }
    args
}

/// The daemons of a start, killed with their pid files and sockets gone if the start fails
/// (dropped without [`Daemons::keep`]).
#[derive(Debug, Default)]
pub(crate) struct Daemons {
    running: Vec<(Sidecar, PathBuf, PathBuf)>,
    /// The guest RAM's folders made for this start (its file's, or its own on each
    /// hugetlbfs mount).
    ram_dirs: Vec<PathBuf>,
}

impl Daemons {
    /// What QEMU opens of them: the sockets it connects to, and the folder of the shared RAM.
    pub(crate) fn paths_for_qemu(&self) -> impl Iterator<Item = &Path> {
        self.running
            .iter()
            .map(|(_, _, sock)| sock.as_path())
            .chain(self.ram_dirs.iter().map(PathBuf::as_path))
    }

    /// QEMU is up: the daemons live as long as it holds their sockets.
    pub(crate) fn keep(mut self) {
        for (s, _, _) in self.running.drain(..) {
            s.keep();
        }
        self.ram_dirs.clear();
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for (s, pid, sock) in self.running.drain(..) {
            drop(s);
            let _ = std::fs::remove_file(pid);
            let _ = std::fs::remove_file(sock);
        }
        for d in self.ram_dirs.drain(..) {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Makes a guest's RAM folder `d`: the folder is the guest's alone (0700, given to QEMU's
/// user by the caller); folders above it keep the usual mode, for QEMU's user to pass
/// through.
pub(crate) fn make_ram_dir(d: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let unable = |e| Error::system(FROM, format!("Unable to create {}", d.display()), &e);
    if let Some(parent) = d.parent() {
        std::fs::create_dir_all(parent).map_err(unable)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(d) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(unable(e)),
        _ => Ok(()),
    }
}

/// The host side of a start, before QEMU: the folder of a shared RAM file, then for every
/// share the driver runs, libvirt's checks (the daemon is executable, the shared folder
/// exists), its `<binary path>` filled into the live definition, its socket made listening
/// and `virtiofsd` started on it. `private_dir` is the domain's private folder.
pub(crate) fn start(
    def: &mut DomainDef,
    dirs: &Dirs,
    config: &QemuConfig,
    private_dir: &Path,
) -> Result<Daemons> {
    let mut out = Daemons::default();
    let name = def.name.clone();
    let mut ram_dirs = Vec::new();
    if crate::command::on_huge_pages(def) {
        // The guest's folder on every mount, as libvirt makes them.
        let short = short_name(private_dir);
        ram_dirs.extend(
            config
                .hugetlbfs
                .iter()
                .map(|m| crate::hugepages::domain_dir(m, &short)),
        );
    }
    if crate::command::ram_file_backed(def) {
        ram_dirs.push(ram_dir(private_dir, config));
    }
    for d in ram_dirs {
        make_ram_dir(&d)?;
        out.ram_dirs.push(d);
    }
    for (_, fs) in def.devices.other.iter_mut() {
        if !is_virtiofs(fs) || external_socket(fs).is_some() {
            continue;
        }
        out.running.push(start_share(dirs, private_dir, &name, fs)?);
    }
    Ok(out)
}

/// The daemon of one share a plugged filesystem brings (see [`start`]): nothing for a share
/// another process serves (`<source socket>`).
pub(crate) fn start_plugged(
    dirs: &Dirs,
    private_dir: &Path,
    name: &str,
    fs: &mut RawElement,
) -> Result<Daemons> {
    let mut out = Daemons::default();
    if is_virtiofs(fs) && external_socket(fs).is_none() {
        out.running.push(start_share(dirs, private_dir, name, fs)?);
    }
    Ok(out)
}

/// libvirt's checks of share `fs` of domain `name`, its `<binary path>` filled in, its
/// socket made listening and `virtiofsd` started on it: the daemon, its pid file and socket.
fn start_share(
    dirs: &Dirs,
    private_dir: &Path,
    name: &str,
    fs: &mut RawElement,
) -> Result<(Sidecar, PathBuf, PathBuf)> {
    let alias = rvirt_conf::domain::raw_alias(fs)
        .unwrap_or_default()
        .to_string();
    let bin = binary(fs)?;
    let source = fs
        .child("source")
        .and_then(|s| s.attr("dir"))
        .unwrap_or("")
        .to_string();
    if !is_executable(&bin) {
        return Err(Error::internal(
            FROM,
            format!("virtiofsd binary '{}' is not executable", bin.display()),
        ));
    }
    if !Path::new(&source).exists() {
        return Err(Error::internal(
            FROM,
            format!("the virtiofs export directory '{source}' does not exist"),
        ));
    }
    fill_binary(fs, &bin);
    let sock = socket_path(private_dir, fs, &alias);
    let pid = pid_file(dirs, private_dir, &alias);
    let daemon = spawn(dirs, name, &alias, &bin, fs, &source, &sock)?;
    if let Err(e) = write_pid(&pid, daemon.pid()) {
        let _ = std::fs::remove_file(&sock);
        return Err(e);
    }
    Ok((daemon, pid, sock))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `<binary path>` in the live definition (libvirt shows the daemon it ran), the element made
/// after `<driver>` when the share had none.
fn fill_binary(fs: &mut RawElement, bin: &Path) {
    let path = bin.display().to_string();
    if let Some(b) = fs.child_mut("binary") {
        if b.attr("path").is_none() {
            b.attrs.insert(0, ("path".into(), path));
        }
        return;
    }
    let el = RawElement {
        name: "binary".into(),
        attrs: vec![("path".into(), path)],
        children: Vec::new(),
    };
    let at = fs
        .children
        .iter()
        .position(|c| matches!(c, RawNode::Element(e) if e.name == "driver"))
        .map_or(0, |i| i + 1);
    fs.children.insert(at, RawNode::Element(el));
}

fn write_pid(path: &Path, pid: i32) -> Result<()> {
    let sys = |e: std::io::Error| {
        Error::system(
            FROM,
            format!("cannot write pid file '{}'", path.display()),
            &e,
        )
    };
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(sys)?;
    }
    std::fs::write(path, format!("{pid}\n")).map_err(sys)
}

/// Makes the share's listening socket and starts `virtiofsd` on it (the descriptor passed as
/// `--fd`), its output in its own log file and its command line in the domain's, as libvirt
/// logs external devices.
fn spawn(
    dirs: &Dirs,
    name: &str,
    alias: &str,
    bin: &Path,
    fs: &RawElement,
    source: &str,
    sock: &Path,
) -> Result<Sidecar> {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let _ = std::fs::remove_file(sock);
    let listener = std::os::unix::net::UnixListener::bind(sock).map_err(|e| {
        Error::system(
            FROM,
            format!("Failed to bind socket to '{}'", sock.display()),
            &e,
        )
    })?;
    let fd = listener.as_raw_fd();
    let log_path = dirs.qemu_log.join(format!("{name}-{alias}-virtiofsd.log"));
    let sys = |what: String| move |e: std::io::Error| Error::system(FROM, what, &e);
    std::fs::create_dir_all(&dirs.qemu_log)
        .map_err(sys(format!("cannot create '{}'", dirs.qemu_log.display())))?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(sys(format!(
            "failed to create logfile {}",
            log_path.display()
        )))?;
    let log_err = log
        .try_clone()
        .map_err(sys("cannot open the log file twice".into()))?;
    let mut args = vec![format!("--fd={fd}")];
    args.extend(daemon_args(fs, source));
    let mut cmd = crate::util::host_command(bin);
    cmd.args(&args).stdout(log).stderr(log_err);
    // SAFETY: between fork and exec the closure makes only fcntl calls on the listening
    // socket, which this function holds open until the spawn returned, and allocates nothing.
    unsafe {
        cmd.pre_exec(move || crate::util::pass_on_exec(fd));
    }
    // The domain's log says which daemon ran, as libvirt's does.
    if let Ok(mut domain_log) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dirs.qemu_log.join(format!("{name}.log")))
    {
        use std::io::Write;
        let line: Vec<String> = std::iter::once(bin.display().to_string())
            .chain(args.iter().cloned())
            .collect();
        let _ = writeln!(
            domain_log,
            "Starting external device: virtiofsd\n{}",
            line.join(" ")
        );
    }
    let daemon = Sidecar::spawn(&mut cmd, "virtiofsd");
    drop(listener);
    let daemon = daemon.inspect_err(|_| {
        let _ = std::fs::remove_file(sock);
    })?;
    if daemon.ended() {
        let _ = std::fs::remove_file(sock);
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        return Err(Error::internal(
            FROM,
            format!("virtiofsd died unexpectedly: {}", log.trim_end()),
        ));
    }
    Ok(daemon)
}

/// The domain ended (or a restarted driver found it gone): every `virtiofsd` it had is
/// stopped (by its pid file, which also finds the daemons of a driver that ran before this
/// one), their pid files and sockets removed, and the RAM file's folder with them.
pub(crate) fn stop(dirs: &Dirs, config: &QemuConfig, private_dir: &Path, def: &DomainDef) {
    for fs in shares(def) {
        stop_share(dirs, private_dir, fs);
    }
    let _ = std::fs::remove_dir_all(ram_dir(private_dir, config));
    let short = short_name(private_dir);
    for m in &config.hugetlbfs {
        let _ = std::fs::remove_dir_all(crate::hugepages::domain_dir(m, &short));
    }
}

/// Stops the daemon of share `fs` (one the driver runs; by its pid file) and removes its pid
/// file and socket: the domain ended, or the share was unplugged.
pub(crate) fn stop_share(dirs: &Dirs, private_dir: &Path, fs: &RawElement) {
    if !is_virtiofs(fs) || external_socket(fs).is_some() {
        return;
    }
    let alias = rvirt_conf::domain::raw_alias(fs).unwrap_or_default();
    let pid_path = pid_file(dirs, private_dir, alias);
    let pid = std::fs::read_to_string(&pid_path)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok());
    if let Some(pid) = pid.filter(|p| *p > 0)
        && runs_virtiofsd(pid, fs)
    {
        // virtiofsd's namespace sandbox runs the daemon proper in a child of the process
        // started; both are in the process group the start gave the daemon (its pid).
        let target = if process_group(pid) == Some(pid) {
            -pid
        } else {
            pid
        };
        // SAFETY: kill has no memory-safety preconditions; the pid was checked to be this
        // share's daemon a moment ago.
        unsafe {
            libc::kill(target, libc::SIGKILL);
        }
    }
    let _ = std::fs::remove_file(&pid_path);
    let _ = std::fs::remove_file(socket_path(private_dir, fs, alias));
}

/// The process group of `pid` (the fifth field of `/proc/PID/stat`).
fn process_group(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state, ppid, pgrp.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

/// Whether process `pid` still runs the share's daemon (not some later process that got its
/// number): its program is the `<binary path>` the start filled in.
fn runs_virtiofsd(pid: i32, fs: &RawElement) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or(&[]);
    let want = fs
        .child("binary")
        .and_then(|b| b.attr("path"))
        .unwrap_or("virtiofsd");
    argv0 == want.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs(xml: &str) -> RawElement {
        let doc = roxmltree::Document::parse(xml).unwrap();
        RawElement::from_node(doc.root_element(), false)
    }

    #[test]
    fn daemon_options_are_libvirts() {
        let f = fs("<filesystem><driver type='virtiofs'/><binary xattr='on'>\
            <cache mode='always'/><sandbox mode='chroot'/><lock posix='on' flock='off'/>\
            <thread_pool size='16'/></binary><source dir='/a,b'/><target dir='t'/></filesystem>");
        assert_eq!(
            daemon_args(&f, "/a,b"),
            [
                "-o",
                "source=/a,,b,cache=always,sandbox=chroot,xattr,no_flock,posix_lock",
                "--thread-pool-size=16"
            ]
        );
        let f = fs("<filesystem><driver type='virtiofs'/><source dir='/s'/></filesystem>");
        assert_eq!(daemon_args(&f, "/s"), ["-o", "source=/s"]);
    }

    #[test]
    fn the_live_definition_names_the_daemon_after_the_driver() {
        let mut f = fs("<filesystem><driver type='virtiofs'/><source dir='/s'/></filesystem>");
        fill_binary(&mut f, Path::new("/usr/lib/qemu/virtiofsd"));
        let mut out = String::new();
        f.format_libvirt(&mut out, 0);
        assert!(
            out.contains("<driver type='virtiofs'/>\n  <binary path='/usr/lib/qemu/virtiofsd'/>"),
            "{out}"
        );
        let mut f = fs("<filesystem><binary xattr='on'/></filesystem>");
        fill_binary(&mut f, Path::new("/v"));
        assert_eq!(f.child("binary").unwrap().attrs[0].1, "/v");
    }

    #[test]
    fn file_names_follow_libvirts_layout() {
        let p = Path::new("/r/lib/qemu/domain-7-guest");
        let conf = QemuConfig::parse_text("").unwrap();
        assert_eq!(ram_dir(p, &conf), Path::new("/r/lib/qemu/ram/7-guest"));
        assert_eq!(
            ram_dir(Path::new("/r/lib/qemu/domain--1-guest"), &conf),
            Path::new("/r/lib/qemu/ram/-1-guest")
        );
        // qemu.conf's memory_backing_dir, with an embedded driver's prefix when set.
        let mut conf = QemuConfig::parse_text("memory_backing_dir = \"/m\"\n").unwrap();
        assert_eq!(ram_dir(p, &conf), Path::new("/m/libvirt/qemu/7-guest"));
        conf.memory_backing_prefix = Some("qemu-embed-0123abcd".into());
        assert_eq!(
            ram_dir(p, &conf),
            Path::new("/m/libvirt/qemu/qemu-embed-0123abcd-7-guest")
        );
        let f = fs("<filesystem><source socket='/x.sock'/></filesystem>");
        assert_eq!(socket_path(p, &f, "fs0"), Path::new("/x.sock"));
        let f = fs("<filesystem><source dir='/d'/></filesystem>");
        assert_eq!(
            socket_path(p, &f, "fs1"),
            Path::new("/r/lib/qemu/domain-7-guest/fs1-fs.sock")
        );
    }
}
