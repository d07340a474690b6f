//! What the `dir` and `fs` backends do to files: probe a volume (format, sizes, backing file,
//! owner), create one (sparse or preallocated raw, or `qemu-img create`), clone, resize, wipe
//! and delete. Everything here blocks; callers run it off their executor.

use crate::util::run;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const FROM: ErrorDomain = ErrorDomain::STORAGE;

/// The prefix of the files uploads write before they replace a volume: never listed as volumes,
/// removed when a pool starts (leftovers of a daemon that died mid-upload).
pub(crate) const UPLOAD_TEMP_PREFIX: &str = ".rvirt-upload.";

/// What a volume's file says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Probe {
    /// `raw`, `qcow2`… or `dir` for a folder.
    pub format: String,
    /// Size seen by a guest.
    pub capacity: u64,
    /// Bytes the file system gives the file (`st_blocks * 512`).
    pub allocation: u64,
    /// The file's own size.
    pub physical: u64,
    /// Backing file and its format.
    pub backing: Option<(String, Option<String>)>,
    /// Permission bits, owner and group.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// A folder rather than a file.
    pub is_dir: bool,
    /// Access, modification and change times (seconds, nanoseconds).
    pub times: [(i64, i64); 3],
    /// A qcow2 image's header facts libvirt shows: compat level, cluster size, features.
    pub qcow2: Option<Qcow2Header>,
}

/// What libvirt's probe reads from a qcow2 header (`storage_file_probe.c`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Qcow2Header {
    /// `1.1` for a version 3 image, none for version 2.
    pub compat: Option<String>,
    /// `1 << cluster_bits` (0: unknown).
    pub cluster_size: u64,
    /// Version 3 only: the features libvirt names (`lazy_refcounts`, `extended_l2`).
    pub features: Option<Vec<&'static str>>,
}

/// Reads a qcow2 header's version, cluster bits and feature bits.
fn qcow2_header(head: &[u8]) -> Option<Qcow2Header> {
    if !head.starts_with(b"QFI\xfb") {
        return None;
    }
    let be32 = |o: usize| Some(u32::from_be_bytes(head.get(o..o + 4)?.try_into().ok()?));
    let be64 = |o: usize| Some(u64::from_be_bytes(head.get(o..o + 8)?.try_into().ok()?));
    let version = be32(4)?;
    let bits = be32(20).unwrap_or(0);
    let mut h = Qcow2Header {
        cluster_size: if bits > 0 && bits < 64 { 1 << bits } else { 0 },
        ..Qcow2Header::default()
    };
    // Version 3 headers are at least 104 bytes: the feature words follow the v2 fields.
    if version != 2 && head.len() >= 100 {
        let incompatible = be64(72)?;
        let compatible = be64(80)?;
        let mut f = Vec::new();
        if compatible & 1 != 0 {
            f.push("lazy_refcounts");
        }
        if incompatible & (1 << 4) != 0 {
            f.push("extended_l2");
        }
        h.features = Some(f);
        h.compat = Some("1.1".into());
    }
    Some(h)
}

/// Formats whose header names them; anything else is raw (as qemu-img's probe decides).
fn sniff(head: &[u8]) -> bool {
    const MAGICS: [&[u8]; 6] = [
        b"QFI\xfb",
        b"KDMV",
        b"QED\0",
        b"vhdxfile",
        b"conectix",
        b"# Disk",
    ];
    MAGICS.iter().any(|m| head.starts_with(m))
        || head.get(64..68) == Some(&[0x7f, 0x10, 0xda, 0xbe][..])
}

/// Probes the volume at `path` without following a symbolic link out of the pool.
pub(crate) fn probe(path: &Path) -> Result<Probe> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| Error::system(FROM, format!("cannot stat file '{}'", path.display()), &e))?;
    let mut p = Probe {
        format: "raw".into(),
        capacity: meta.size(),
        allocation: meta.blocks() * 512,
        physical: meta.size(),
        backing: None,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        is_dir: meta.is_dir(),
        times: [
            (meta.atime(), meta.atime_nsec()),
            (meta.mtime(), meta.mtime_nsec()),
            (meta.ctime(), meta.ctime_nsec()),
        ],
        qcow2: None,
    };
    if meta.is_dir() {
        p.format = "dir".into();
        return Ok(p);
    }
    if !meta.is_file() {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::INTERNAL_ERROR,
            format!("unexpected type for file '{}'", path.display()),
        ));
    }
    let mut head = [0u8; 512];
    let n = open_nofollow(path, false)?.read(&mut head).unwrap_or(0);
    if !sniff(&head[..n]) {
        return Ok(p);
    }
    p.qcow2 = qcow2_header(&head[..n]);
    let path_s = path.to_string_lossy();
    let json = run("qemu-img", &["info", "--output=json", "-U", &path_s])?;
    let v: serde_json::Value = serde_json::from_str(&json).map_err(|e| {
        Error::internal(
            FROM,
            format!("cannot parse qemu-img info for '{path_s}': {e}"),
        )
    })?;
    if let Some(f) = v.get("format").and_then(|f| f.as_str()) {
        p.format = f.to_string();
    }
    if let Some(c) = v.get("virtual-size").and_then(|c| c.as_u64()) {
        p.capacity = c;
    }
    if let Some(b) = v.get("backing-filename").and_then(|b| b.as_str()) {
        let fmt = v
            .get("backing-filename-format")
            .and_then(|f| f.as_str())
            .map(str::to_string);
        p.backing = Some((b.to_string(), fmt));
    }
    Ok(p)
}

/// Opens a volume's file for reading or writing, refusing a symbolic link (which could lead
/// out of the pool).
pub(crate) fn open_nofollow(path: &Path, write: bool) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::system(FROM, format!("cannot open volume '{}'", path.display()), &e))
}

/// The owner and mode a new file gets.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NewPerms {
    /// Mode (libvirt's default for volumes: 0600).
    pub mode: u32,
    /// Owner, if given.
    pub uid: Option<u32>,
    /// Group, if given.
    pub gid: Option<u32>,
}

fn apply_perms(path: &Path, perms: NewPerms) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(perms.mode)).map_err(|e| {
        Error::system(
            FROM,
            format!(
                "cannot set mode of '{}' to {:04o}",
                path.display(),
                perms.mode
            ),
            &e,
        )
    })?;
    if perms.uid.is_some() || perms.gid.is_some() {
        std::os::unix::fs::lchown(path, perms.uid, perms.gid)
            .map_err(|e| Error::system(FROM, format!("cannot chown '{}'", path.display()), &e))?;
    }
    Ok(())
}

/// `fallocate` of `len` bytes from `offset`.
fn allocate(f: &std::fs::File, offset: u64, len: u64, path: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    if len == 0 {
        return Ok(());
    }
    // SAFETY: a valid descriptor; fallocate only reads its arguments.
    let rc = unsafe { libc::fallocate(f.as_raw_fd(), 0, offset as i64, len as i64) };
    if rc != 0 {
        return Err(Error::system(
            FROM,
            format!("cannot allocate {len} bytes in file '{}'", path.display()),
            &std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// A raw volume: a new file of `capacity` bytes, the first `allocation` of them allocated
/// (the rest sparse). Fails if the file exists.
pub(crate) fn create_raw(
    path: &Path,
    capacity: u64,
    allocation: u64,
    perms: NewPerms,
) -> Result<()> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(perms.mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::system(FROM, format!("cannot create path '{}'", path.display()), &e))?;
    apply_perms(path, perms)?;
    allocate(&f, 0, allocation.min(capacity), path)?;
    f.set_len(capacity)
        .map_err(|e| Error::system(FROM, format!("cannot extend file '{}'", path.display()), &e))?;
    f.sync_all()
        .map_err(|e| Error::system(FROM, format!("cannot sync file '{}'", path.display()), &e))
}

/// Options libvirt gives `qemu-img` for a new image of `format`.
fn create_opts(format: &str, compat: Option<&str>, prealloc_metadata: bool) -> Option<String> {
    let mut opts = Vec::new();
    if format == "qcow2" {
        opts.push(format!("compat={}", compat.unwrap_or("1.1")));
    }
    if prealloc_metadata {
        opts.push("preallocation=metadata".to_string());
    }
    (!opts.is_empty()).then(|| opts.join(","))
}

/// A volume in a format `qemu-img` makes (qcow2…), optionally over a backing file.
pub(crate) struct ImageSpec<'a> {
    /// Where.
    pub path: &'a Path,
    /// The format.
    pub format: &'a str,
    /// Size in bytes (rounded up to KiB, as libvirt asks qemu-img in KiB).
    pub capacity: u64,
    /// Backing file and its format.
    pub backing: Option<(&'a str, &'a str)>,
    /// `<compat>`.
    pub compat: Option<&'a str>,
    /// `VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA`.
    pub prealloc_metadata: bool,
    /// Owner and mode.
    pub perms: NewPerms,
}

/// `qemu-img create` for `spec`. The caller made sure the path was free.
pub(crate) fn create_image(spec: &ImageSpec<'_>) -> Result<()> {
    let path = spec.path.to_string_lossy();
    let size = format!("{}K", spec.capacity.div_ceil(1024));
    let opts = create_opts(spec.format, spec.compat, spec.prealloc_metadata);
    let mut args = vec!["create", "-f", spec.format];
    if let Some((b, bf)) = spec.backing {
        args.extend(["-b", b, "-F", bf]);
    }
    if let Some(o) = &opts {
        args.extend(["-o", o.as_str()]);
    }
    args.push(&path);
    args.push(&size);
    run("qemu-img", &args)?;
    apply_perms(spec.path, spec.perms)
}

/// A copy of the volume at `from` (format `from_format`) as a new volume of `format`
/// (`qemu-img convert`, which keeps holes), grown to `capacity` if that is larger.
pub(crate) fn clone_image(
    from: &Path,
    from_format: &str,
    to: &Path,
    format: &str,
    capacity: u64,
    perms: NewPerms,
) -> Result<()> {
    let (src, dst) = (from.to_string_lossy(), to.to_string_lossy());
    let opts = create_opts(format, None, false);
    let mut args = vec!["convert", "-f", from_format, "-O", format];
    if let Some(o) = &opts {
        args.extend(["-o", o.as_str()]);
    }
    args.extend(["-U", &src, &dst]);
    run("qemu-img", &args)?;
    apply_perms(to, perms)?;
    let now = probe(to)?;
    if capacity > now.capacity {
        resize(to, format, capacity, false, false, now.capacity)?;
    }
    Ok(())
}

/// Sets the volume's capacity. Raw files are truncated or extended (allocated with
/// `allocate`); other formats go through `qemu-img resize`.
pub(crate) fn resize(
    path: &Path,
    format: &str,
    capacity: u64,
    allocate_new: bool,
    shrink: bool,
    old_capacity: u64,
) -> Result<()> {
    if format == "raw" {
        let f = open_nofollow(path, true)?;
        if allocate_new && capacity > old_capacity {
            allocate(&f, old_capacity, capacity - old_capacity, path)?;
        }
        f.set_len(capacity).map_err(|e| {
            Error::system(
                FROM,
                format!("Failed to truncate file '{}'", path.display()),
                &e,
            )
        })?;
        return f.sync_all().map_err(|e| {
            Error::system(FROM, format!("cannot sync file '{}'", path.display()), &e)
        });
    }
    if allocate_new {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::OPERATION_UNSUPPORTED,
            "preallocate is only supported for raw type volume",
        ));
    }
    let p = path.to_string_lossy();
    let size = capacity.to_string();
    let mut args = vec!["resize"];
    if shrink {
        args.push("--shrink");
    }
    args.extend(["-f", format, &p, &size]);
    run("qemu-img", &args).map(drop)
}

/// libvirt's wipe with the zero algorithm: a sparse file is emptied and re-extended, any other
/// has its first `allocation` bytes overwritten with zeros.
pub(crate) fn wipe_zero(path: &Path, allocation: u64) -> Result<()> {
    let f = open_nofollow(path, true)?;
    let meta = f.metadata().map_err(|e| {
        Error::system(
            FROM,
            format!(
                "Failed to stat storage volume with path '{}'",
                path.display()
            ),
            &e,
        )
    })?;
    let size = meta.size();
    let sys = |what: &str, e: std::io::Error| {
        Error::system(FROM, format!("{what} '{}'", path.display()), &e)
    };
    if meta.blocks() < size / 512 {
        f.set_len(0)
            .map_err(|e| sys("Failed to truncate volume with path", e))?;
        f.set_len(size)
            .map_err(|e| sys("Failed to truncate volume with path", e))?;
        return Ok(());
    }
    let zeros = vec![0u8; 1 << 20];
    let mut left = allocation.min(size);
    let mut w = &f;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        w.write_all(&zeros[..n])
            .map_err(|e| sys("Failed to write to storage volume with path", e))?;
        left -= n as u64;
    }
    f.sync_data()
        .map_err(|e| sys("cannot sync data to volume with path", e))
}

/// The other wipe algorithms run `scrub`, as libvirt does.
pub(crate) fn wipe_scrub(path: &Path, algorithm: &str) -> Result<()> {
    run("scrub", &["-f", "-p", algorithm, &path.to_string_lossy()]).map(drop)
}

/// Removes a volume's file (or empty folder); one already gone is fine, as in libvirt.
pub(crate) fn delete(path: &Path, is_dir: bool) -> Result<()> {
    let r = if is_dir {
        std::fs::remove_dir(path)
    } else {
        std::fs::remove_file(path)
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::system(
            FROM,
            format!("cannot unlink file '{}'", path.display()),
            &e,
        )),
    }
}

/// Capacity, allocation and available bytes of the file system holding `path`, as libvirt
/// computes them (`f_blocks`, `f_blocks - f_bfree`, `f_bfree`, in `f_frsize` units).
pub(crate) fn fs_sizes(path: &Path) -> Result<(u64, u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::internal(FROM, "path with a NUL byte"))?;
    // SAFETY: statvfs fills the zeroed struct; the path is NUL-terminated.
    let mut sb: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(c.as_ptr(), &mut sb) } != 0 {
        return Err(Error::system(
            FROM,
            format!("cannot statvfs path '{}'", path.display()),
            &std::io::Error::last_os_error(),
        ));
    }
    let frsize = sb.f_frsize as u64;
    let capacity = sb.f_blocks as u64 * frsize;
    let available = sb.f_bfree as u64 * frsize;
    Ok((capacity, capacity - available, available))
}

/// Whether a file system is mounted on `target` (from `/proc/mounts`).
pub(crate) fn is_mounted(target: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string("/proc/mounts") else {
        return false;
    };
    let t = target.to_string_lossy();
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .any(|m| m.replace("\\040", " ") == t)
}
