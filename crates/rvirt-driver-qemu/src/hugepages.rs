//! Guest RAM on huge pages, as libvirt's QEMU driver gives it: `<memoryBacking><hugepages>`
//! takes the RAM from a hugetlbfs mount of the page size asked for (the default mount for
//! `<hugepages/>`), as a file in a folder of the guest's own under the mount
//! (`MOUNT/libvirt/qemu/ID-NAME`, or `MOUNT/libvirt/qemu-embed-HASH/ID-NAME` for an embedded
//! driver whose root the mount is not under), preallocated. A guest with NUMA cells takes
//! each cell's RAM from the pages whose nodeset has the cell (else the page without one), and
//! a memory device from its own `<source><pagesize>` (see `crate::command`'s memory module).
//!
//! The mounts are qemu.conf's `hugetlbfs_mount` (a path or a list), else, for a privileged
//! driver, every hugetlbfs mount of the host; their page sizes come from `statfs`.

use rvirt_conf::DomainDef;
use rvirt_types::{Error, ErrorDomain, Result};
use std::path::{Path, PathBuf};

const FROM: ErrorDomain = ErrorDomain::QEMU;

/// The magic number of hugetlbfs in `statfs`'s `f_type`.
const HUGETLBFS_MAGIC: i64 = 0x958458f6;

/// One hugetlbfs mount guests' RAM may come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HugeTlbFs {
    /// Where it is mounted.
    pub(crate) dir: PathBuf,
    /// Its page size in KiB.
    pub(crate) size_kib: u64,
    /// Whether it is the mount of the default page size (see [`default_size`]).
    pub(crate) default: bool,
    /// The folder under it where this driver's guests get theirs: set when the driver opens
    /// (see [`HugeTlbFs::set_base`]).
    pub(crate) base: PathBuf,
}

impl HugeTlbFs {
    /// Where this driver's guests' folders go under the mount: `libvirt/qemu`, or for an
    /// embedded driver (`embed_prefix`, its `qemu-embed-HASH`) whose root `root` the mount
    /// is not under, `libvirt/qemu-embed-HASH`.
    pub(crate) fn set_base(&mut self, root: &Path, embed_prefix: Option<&str>) {
        let own = match embed_prefix {
            Some(p) if !self.dir.starts_with(root) => p,
            _ => "qemu",
        };
        self.base = self.dir.join("libvirt").join(own);
    }
}

/// Makes the mount's folder for this driver's guests (mode 0777, as libvirt makes it) and,
/// as root, lets every user through the mount point.
pub(crate) fn make_base(m: &HugeTlbFs) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o777)
        .create(&m.base)
        .map_err(|e| {
            Error::system(
                FROM,
                format!("unable to create hugepage path {}", m.base.display()),
                &e,
            )
        })?;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let meta = std::fs::metadata(&m.dir)
            .map_err(|e| Error::system(FROM, format!("cannot stat '{}'", m.dir.display()), &e))?;
        let mode = meta.permissions().mode() | 0o011;
        std::fs::set_permissions(&m.dir, std::fs::Permissions::from_mode(mode)).map_err(|e| {
            Error::system(
                FROM,
                format!("cannot set mode of '{}'", m.dir.display()),
                &e,
            )
        })?;
    }
    Ok(())
}

/// The page size (KiB) of the hugetlbfs mounted at `path`, libvirt's errors otherwise.
fn page_size_of(path: &Path) -> std::result::Result<u64, String> {
    let c = crate::util::c_path(path)
        .map_err(|_| format!("not a hugetlbfs mount: '{}'", path.display()))?;
    // SAFETY: statfs fills the zeroed struct it is given; the path is NUL-terminated.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statfs(c.as_ptr(), &mut fs) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(format!(
            "cannot determine filesystem for '{}': {e}",
            path.display()
        ));
    }
    #[allow(clippy::unnecessary_cast)]
    if fs.f_type as i64 != HUGETLBFS_MAGIC {
        return Err(format!("not a hugetlbfs mount: '{}'", path.display()));
    }
    Ok(fs.f_bsize as u64 / 1024)
}

/// The mounts qemu.conf's `hugetlbfs_mount` names, in its order. As in libvirt 9.0, every
/// mount but the first is marked the default one (so that with one mount, that one is used).
pub(crate) fn configured(paths: &[String]) -> std::result::Result<Vec<HugeTlbFs>, String> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(HugeTlbFs {
                dir: PathBuf::from(p),
                size_kib: page_size_of(Path::new(p))?,
                default: i != 0,
                base: PathBuf::new(),
            })
        })
        .collect()
}

/// The host's default huge page size in KiB (`Hugepagesize` in `/proc/meminfo`).
fn host_default_size() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Hugepagesize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Every hugetlbfs mount of the host, as `/proc/mounts` lists them, the one of the host's
/// default page size marked the default.
pub(crate) fn detected() -> Vec<HugeTlbFs> {
    let default = host_default_size();
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return Vec::new();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, dir, kind) = (f.next()?, f.next()?, f.next()?);
            if kind != "hugetlbfs" {
                return None;
            }
            // /proc/mounts escapes spaces and the like as octal.
            let dir = PathBuf::from(unescape_mount(dir));
            let size_kib = page_size_of(&dir).ok()?;
            Some(HugeTlbFs {
                default: Some(size_kib) == default,
                dir,
                size_kib,
                base: PathBuf::new(),
            })
        })
        .collect()
}

/// A `/proc/mounts` field with its `\NNN` octal escapes undone.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|_| b[i] == b'\\')
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 8).ok());
        if let Some(n) = octal {
            out.push(n);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The huge page size (KiB) the RAM of guest NUMA cell `cell` asks for, or with `None` the
/// RAM of a guest without cells: the page whose nodeset has the cell, else the page without
/// a nodeset (without cells: the first page), 0 for `<hugepages/>` (the default size);
/// `None` without huge pages, or for pages of the system's own size (which libvirt takes as
/// none).
pub(crate) fn page_for(def: &DomainDef, cell: Option<u32>) -> Option<u64> {
    let pages = def.extras.memory_backing.as_ref()?.hugepages.as_ref()?;
    let size = if pages.is_empty() {
        0
    } else {
        let own = cell.and_then(|c| {
            pages.iter().find(|(_, nodes)| {
                nodes
                    .as_deref()
                    .and_then(rvirt_conf::domain::parse_cpuset)
                    .is_some_and(|set| set.contains(&c))
            })
        });
        let page = match cell {
            Some(_) => own.or_else(|| pages.iter().find(|(_, nodes)| nodes.is_none())),
            None => pages
                .iter()
                .find(|(_, nodes)| nodes.is_none())
                .or(pages.first()),
        };
        page?.0
    };
    huge(size)
}

/// A page size asked for (KiB), unless it is the system's own, which libvirt takes as no
/// huge pages at all.
pub(crate) fn huge(size_kib: u64) -> Option<u64> {
    (size_kib != rvirt_host::hostmem::system_page_size() / 1024).then_some(size_kib)
}

fn not_mounted() -> Error {
    Error::internal(
        FROM,
        "hugetlbfs filesystem is not mounted or disabled by administrator config",
    )
}

/// The mount a guest asking for pages of `size` KiB (0: the default size) takes its RAM
/// from, with libvirt's errors when there is none.
pub(crate) fn mount_for(mounts: &[HugeTlbFs], size: u64) -> Result<&HugeTlbFs> {
    let first = mounts.first().ok_or_else(not_mounted)?;
    let size = match size {
        0 => mounts.iter().find(|m| m.default).unwrap_or(first).size_kib,
        s => s,
    };
    mounts.iter().find(|m| m.size_kib == size).ok_or_else(|| {
        Error::internal(
            FROM,
            format!("Unable to find any usable hugetlbfs mount for {size} KiB"),
        )
    })
}

/// The guest's own folder under a mount: `BASE/ID-NAME` (`short`, its private folder's name
/// without `domain-`).
pub(crate) fn domain_dir(mount: &HugeTlbFs, short: &str) -> PathBuf {
    mount.base.join(short)
}

/// libvirt's QEMU checks of huge pages: not with on-demand allocation, nor with an
/// anonymous memory source.
pub(crate) fn validate(def: &DomainDef) -> Result<()> {
    let Some(b) = def.extras.memory_backing.as_ref() else {
        return Ok(());
    };
    if b.hugepages.is_none() {
        return Ok(());
    }
    let unsupported =
        |m: &str| Error::with_detail(FROM, rvirt_types::ErrorNumber::CONFIG_UNSUPPORTED, m);
    if b.allocation.as_deref() == Some("ondemand") {
        return Err(unsupported(
            "hugepages are not allowed with memory allocation ondemand",
        ));
    }
    if b.source.as_deref() == Some("anonymous") {
        return Err(unsupported(
            "hugepages are not allowed with anonymous memory source",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(dir: &str, size_kib: u64, default: bool) -> HugeTlbFs {
        let mut m = HugeTlbFs {
            dir: dir.into(),
            size_kib,
            default,
            base: PathBuf::new(),
        };
        m.set_base(Path::new("/"), None);
        m
    }

    #[test]
    fn a_page_size_finds_its_mount() {
        let mounts = [
            mount("/dev/hugepages", 2048, true),
            mount("/mnt/1g", 1048576, false),
        ];
        assert_eq!(
            mount_for(&mounts, 0).unwrap().dir,
            Path::new("/dev/hugepages")
        );
        assert_eq!(
            mount_for(&mounts, 1048576).unwrap().dir,
            Path::new("/mnt/1g")
        );
        let e = mount_for(&mounts, 16384).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("Unable to find any usable hugetlbfs mount for 16384 KiB"),
            "{e}"
        );
        let e = mount_for(&[], 0).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "hugetlbfs filesystem is not mounted or disabled by administrator config"
            )
        );
        // Without a default one the first is taken.
        let mounts = [mount("/a", 1048576, false), mount("/b", 2048, false)];
        assert_eq!(mount_for(&mounts, 0).unwrap().dir, Path::new("/a"));
        assert_eq!(
            domain_dir(&mounts[1], "3-guest"),
            Path::new("/b/libvirt/qemu/3-guest")
        );
    }

    #[test]
    fn an_embedded_driver_has_its_own_folder_outside_its_root() {
        let mut m = mount("/dev/hugepages", 2048, true);
        m.set_base(Path::new("/var/tmp/root"), Some("qemu-embed-0123abcd"));
        assert_eq!(
            m.base,
            Path::new("/dev/hugepages/libvirt/qemu-embed-0123abcd")
        );
        let mut m = mount("/var/tmp/root/huge", 2048, true);
        m.set_base(Path::new("/var/tmp/root"), Some("qemu-embed-0123abcd"));
        assert_eq!(m.base, Path::new("/var/tmp/root/huge/libvirt/qemu"));
    }

    #[test]
    fn mount_fields_are_unescaped() {
        assert_eq!(unescape_mount(r"/mnt/huge\040pages"), "/mnt/huge pages");
        assert_eq!(unescape_mount("/dev/hugepages"), "/dev/hugepages");
    }

    #[test]
    fn configured_paths_must_be_hugetlbfs() {
        let e = configured(&["/".to_string()]).unwrap_err();
        assert_eq!(e, "not a hugetlbfs mount: '/'");
    }
}
