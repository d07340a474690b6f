//! rvirt's QEMU driver: `qemu:///system` (served inside rvirtd) and `qemu:///embed?root=DIR`
//! (in the caller's process, every file under `DIR`).
//!
//! One [`QemuDriver`] per state root is shared by every connection that opens it, as libvirtd
//! shares its drivers. It implements the driver traits; today the host calls and the storage
//! calls are real (`dir` and `fs` pools, see [`storage`]), domain and snapshot calls answer
//! `VIR_ERR_NO_SUPPORT` through the trait defaults until the domain support lands, and network
//! calls say that real virtual networks are not available yet.
//!
//! Layout under a root `R` (libvirt's embed layout; `qemu:///system` without a root uses
//! libvirt's system folders instead):
//! ```text
//! R/etc/storage/NAME.xml            persistent pool configs (/etc/libvirt/storage)
//! R/etc/storage/autostart/NAME.xml  autostart links         (/etc/libvirt/storage/autostart)
//! R/run/storage/NAME.xml            state of active pools   (/run/libvirt/storage)
//! ```

mod host;
mod network;
pub mod storage;
mod util;

use parking_lot::Mutex;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, Weak};

/// Errors of the driver's own (non-storage) calls come from the QEMU error domain.
pub(crate) const FROM: ErrorDomain = ErrorDomain::QEMU;

/// The QEMU driver of one state root.
pub struct QemuDriver {
    uri: String,
    storage: storage::Storage,
}

/// Where `qemu:///system` keeps its state: `None` for libvirt's system folders.
static SYSTEM_ROOT: Mutex<Option<PathBuf>> = Mutex::new(None);

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

/// The folders of one driver instance.
#[derive(Clone, Debug)]
pub(crate) struct Dirs {
    /// Persistent pool configs.
    pub(crate) storage_config: PathBuf,
    /// Autostart links.
    pub(crate) storage_autostart: PathBuf,
    /// State files of active pools.
    pub(crate) storage_state: PathBuf,
}

impl Dirs {
    fn under(root: &Path) -> Dirs {
        Dirs {
            storage_config: root.join("etc/storage"),
            storage_autostart: root.join("etc/storage/autostart"),
            storage_state: root.join("run/storage"),
        }
    }

    fn system() -> Dirs {
        Dirs {
            storage_config: "/etc/libvirt/storage".into(),
            storage_autostart: "/etc/libvirt/storage/autostart".into(),
            storage_state: "/run/libvirt/storage".into(),
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
    /// recorded as running.
    pub fn open(uri: &str) -> Result<Arc<QemuDriver>> {
        let parsed = parse_uri(uri)
            .ok_or_else(|| Error::with_detail(ErrorDomain::NONE, ErrorNumber::NO_CONNECT, uri))??;
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
        let storage = storage::Storage::load(dirs)?;
        let d = Arc::new(QemuDriver {
            uri: canonical,
            storage,
        });
        drivers.insert(key, Arc::downgrade(&d));
        Ok(d)
    }

    /// The driver's storage state.
    pub fn storage(&self) -> &storage::Storage {
        &self.storage
    }
}

impl rvirt_driver::DomainDriver for QemuDriver {}
impl rvirt_driver::SnapshotDriver for QemuDriver {}
/// Host interfaces of the real host are not read yet: every call answers `VIR_ERR_NO_SUPPORT`.
impl rvirt_driver::InterfaceDriver for QemuDriver {}

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
}
