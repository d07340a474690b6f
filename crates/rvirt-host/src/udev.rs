//! The device view libudev gives libvirt, read straight from sysfs and udev's database: every
//! device under `/sys/bus/*/devices` and `/sys/class/*`, with its subsystem, sysname, devtype,
//! properties (its `uevent` file, then `E:` lines of `/run/udev/data/ID` when udevd has run),
//! device node and links, and sysfs attributes on demand.
//!
//! Where no udevd runs (containers, small VMs) the database is absent and a device has only its
//! kernel properties, as libudev then reports: libvirt's node device code sees the same.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Where the host's state is read from: `/sys`, `/run/udev/data` and `/proc` on a real host,
/// folders of a test's own elsewhere.
#[derive(Clone, Debug)]
pub struct HostPaths {
    /// sysfs.
    pub sys: PathBuf,
    /// udev's database (`/run/udev/data`).
    pub udev_data: PathBuf,
    /// procfs.
    pub proc: PathBuf,
}

impl HostPaths {
    /// The real host's folders.
    pub fn host() -> HostPaths {
        HostPaths {
            sys: "/sys".into(),
            udev_data: "/run/udev/data".into(),
            proc: "/proc".into(),
        }
    }

    /// `sys`, `udev` and `proc` below `root`, for tests.
    pub fn under(root: &Path) -> HostPaths {
        HostPaths {
            sys: root.join("sys"),
            udev_data: root.join("udev"),
            proc: root.join("proc"),
        }
    }
}

/// One device as libudev describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdevDevice {
    /// Its canonical sysfs path.
    pub syspath: PathBuf,
    /// The name of its `subsystem` link.
    pub subsystem: Option<String>,
    /// The last component of its path, `!` made `/`.
    pub sysname: String,
    /// `DEVTYPE`.
    pub devtype: Option<String>,
    /// Kernel and udev properties.
    pub props: BTreeMap<String, String>,
    /// `/dev/DEVNAME`.
    pub devnode: Option<String>,
    /// udev's symlinks to the node (`S:` lines of the database), sorted.
    pub devlinks: Vec<String>,
}

impl UdevDevice {
    /// The device at `syspath` (a folder with a `uevent` file), `None` when there is none.
    pub fn from_syspath(paths: &HostPaths, syspath: &Path) -> Option<UdevDevice> {
        let syspath = fs::canonicalize(syspath).ok()?;
        let uevent = fs::read_to_string(syspath.join("uevent")).ok()?;
        let mut props = BTreeMap::new();
        for line in uevent.lines() {
            if let Some((k, v)) = line.split_once('=') {
                props.insert(k.to_string(), v.to_string());
            }
        }
        let subsystem = link_base(&syspath.join("subsystem"));
        if let Some(s) = &subsystem {
            props.insert("SUBSYSTEM".into(), s.clone());
        }
        let sysname = syspath
            .file_name()
            .map(|n| n.to_string_lossy().replace('!', "/"))
            .unwrap_or_default();
        let mut devlinks = BTreeSet::new();
        if let Some(id) = db_id(&props, subsystem.as_deref(), &sysname) {
            if let Ok(db) = fs::read_to_string(paths.udev_data.join(id)) {
                for line in db.lines() {
                    if let Some(kv) = line.strip_prefix("E:") {
                        if let Some((k, v)) = kv.split_once('=') {
                            props.insert(k.to_string(), v.to_string());
                        }
                    } else if let Some(l) = line.strip_prefix("S:") {
                        devlinks.insert(format!("/dev/{l}"));
                    }
                }
            }
        }
        let devnode = props.get("DEVNAME").map(|n| {
            if n.starts_with('/') {
                n.clone()
            } else {
                format!("/dev/{n}")
            }
        });
        Some(UdevDevice {
            devtype: props.get("DEVTYPE").cloned(),
            syspath,
            subsystem,
            sysname,
            props,
            devnode,
            devlinks: devlinks.into_iter().collect(),
        })
    }

    /// A property.
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str)
    }

    /// A sysfs attribute (a file below the device, `device/vendor` included) without its
    /// trailing newlines, as `udev_device_get_sysattr_value` reads it.
    pub fn attr(&self, name: &str) -> Option<String> {
        let p = self.syspath.join(name);
        if p.is_dir() {
            return None;
        }
        let v = fs::read(&p).ok()?;
        let s = String::from_utf8_lossy(&v);
        Some(s.trim_end_matches(['\n', '\r']).to_string())
    }

    /// The sysfs paths of the folders above the device that are devices themselves, nearest
    /// first (what `udev_device_get_parent` walks).
    pub fn ancestors(&self) -> Vec<PathBuf> {
        self.syspath
            .ancestors()
            .skip(1)
            .take_while(|p| p.components().count() > 2)
            .filter(|p| p.join("uevent").is_file())
            .map(Path::to_path_buf)
            .collect()
    }
}

/// The file name a symlink points at.
pub(crate) fn link_base(path: &Path) -> Option<String> {
    fs::read_link(path)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// The name of a device's record in udev's database.
fn db_id(
    props: &BTreeMap<String, String>,
    subsystem: Option<&str>,
    sysname: &str,
) -> Option<String> {
    if let (Some(maj), Some(min)) = (props.get("MAJOR"), props.get("MINOR")) {
        let kind = if subsystem == Some("block") { 'b' } else { 'c' };
        return Some(format!("{kind}{maj}:{min}"));
    }
    if let Some(i) = props.get("IFINDEX") {
        return Some(format!("n{i}"));
    }
    subsystem.map(|s| format!("+{s}:{sysname}"))
}

/// The sorted entries of a folder.
pub(crate) fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every device of the host but those of `skip_subsystems`, once each, sorted by sysfs path
/// (parents before their children), as `udev_enumerate_scan_devices` lists them.
pub fn enumerate(paths: &HostPaths, skip_subsystems: &[&str]) -> Vec<UdevDevice> {
    let mut dirs = Vec::new();
    for (bus, p) in entries(&paths.sys.join("bus")) {
        if !skip_subsystems.contains(&bus.as_str()) {
            dirs.extend(entries(&p.join("devices")));
        }
    }
    for (class, p) in entries(&paths.sys.join("class")) {
        if !skip_subsystems.contains(&class.as_str()) {
            dirs.extend(entries(&p));
        }
    }
    if !paths.sys.join("class/block").exists() {
        dirs.extend(entries(&paths.sys.join("block")));
    }
    let mut seen = BTreeMap::new();
    for (_, p) in dirs {
        if let Some(d) = UdevDevice::from_syspath(paths, &p) {
            if d.subsystem
                .as_deref()
                .is_some_and(|s| skip_subsystems.contains(&s))
            {
                continue;
            }
            seen.entry(d.syspath.clone()).or_insert(d);
        }
    }
    seen.into_values().collect()
}

/// The `net` device called `name` (`udev_device_new_from_subsystem_sysname`).
pub fn net_device(paths: &HostPaths, name: &str) -> Option<UdevDevice> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return None;
    }
    let d = UdevDevice::from_syspath(paths, &paths.sys.join("class/net").join(name))?;
    (d.subsystem.as_deref() == Some("net")).then_some(d)
}
