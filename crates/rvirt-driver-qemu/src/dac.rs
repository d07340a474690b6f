//! The DAC security driver: the user and group a guest's QEMU runs as, and the owners of the
//! files it opens, as libvirt's privileged QEMU driver stacks its DAC driver.
//!
//! - A privileged driver (one running as root) gives every guest a `<seclabel model='dac'>` in
//!   its live XML (`+UID:+GID`), from `qemu.conf`'s `user` and `group` (root by default, as
//!   upstream libvirt builds) or from the guest's own static label, and starts QEMU as that
//!   user with the user's supplementary groups. An unprivileged driver changes nothing.
//! - With `dynamic_ownership` (the default) the files QEMU opens by path are given to that
//!   user before QEMU starts (disks and their backing chains, kernel, initrd, device tree,
//!   UEFI variables, file, pipe and unix consoles) and given back when the guest stops. With
//!   `remember_owner` (the default) the first owner is kept in the file's extended attributes
//!   (`trusted.libvirt.security.dac`, with a count of the guests using the file and the host's
//!   boot time, as libvirt keeps them, so that either can give the file back); without them a
//!   file goes back to root. Read-only and shareable disks and backing images are not given
//!   back: other guests may use them.
//! - `relabel='no'` on the guest's label or a disk's `<seclabel model='dac'>` leaves files alone.

use crate::FROM;
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{ChrDef, DiskDef, SecLabel};
use rvirt_conf::raw::RawElement;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Called with each file that changes owner, the owner it gets, and whether its first owner is
/// recorded (and given back).
type FileVisitor<'a> = dyn FnMut(&str, (u32, u32), bool) -> Result<()> + 'a;

/// Calls `f` with each host file of character device `c` that QEMU opens (a file, a host
/// device, a pipe's ends, a socket it connects to), the owner `owner` it gets, and that its
/// first owner is recorded.
fn chardev_files(c: &ChrDef, owner: (u32, u32), f: &mut FileVisitor<'_>) -> Result<()> {
    let Some(path) = c.source_attr("path") else {
        return Ok(());
    };
    match c.source_type.as_str() {
        "file" | "dev" => f(path, owner, true),
        "pipe" => {
            let (i, o) = (format!("{path}.in"), format!("{path}.out"));
            if Path::new(&i).exists() && Path::new(&o).exists() {
                f(&i, owner, true)?;
                f(&o, owner, true)
            } else {
                f(path, owner, true)
            }
        }
        // A socket QEMU connects to; one it listens on, it makes itself.
        "unix" if c.source_attr("mode") != Some("bind") => f(path, owner, true),
        _ => Ok(()),
    }
}

/// The model name of this driver's labels.
const MODEL: &str = "dac";
/// The extended attribute holding a file's first owner (`+UID:+GID`).
const XATTR_LABEL: &str = "trusted.libvirt.security.dac";
/// The extended attribute counting the guests that use a file.
const XATTR_REF: &str = "trusted.libvirt.security.ref_dac";
/// The extended attribute holding the host's boot time when the owner was recorded: a record
/// from an earlier boot is stale.
const XATTR_TIME: &str = "trusted.libvirt.security.timestamp_dac";

/// The DAC settings of one driver (`qemu.conf`'s `user`, `group`, `dynamic_ownership` and
/// `remember_owner`, resolved to ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dac {
    /// Whether the driver runs as root: otherwise there is no DAC driver at all.
    privileged: bool,
    /// The user QEMU runs as.
    user: u32,
    /// The group QEMU runs as.
    group: u32,
    /// Files QEMU opens change owner while it runs.
    dynamic_ownership: bool,
    /// The first owner of a file is recorded in its extended attributes.
    remember_owner: bool,
    /// The user and group the TPM emulator runs as.
    swtpm: (u32, u32),
}

/// What one guest's label asks for: who QEMU runs as, who owns its images, and whether its
/// files change owner at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GuestLabel {
    /// The user and group of QEMU's process.
    pub(crate) process: (u32, u32),
    /// The owner its files get.
    pub(crate) image: (u32, u32),
    /// Whether its files change owner.
    pub(crate) relabel: bool,
}

impl Dac {
    /// The settings `cfg` gives (`user`, `group`, `swtpm_user` and `swtpm_group` as names or
    /// `+ID`); a user or group that does not exist fails the driver's open, as with libvirt.
    /// The TPM emulator runs as `tss` by default (root when there is no such user).
    pub(crate) fn new(cfg: &crate::config::QemuConfig) -> Result<Dac> {
        let swtpm = (
            match &cfg.swtpm_user {
                Some(u) => parse_user(u)?,
                None => user_id("tss").unwrap_or(0),
            },
            match &cfg.swtpm_group {
                Some(g) => parse_group(g)?,
                None => group_id("tss").unwrap_or(0),
            },
        );
        Ok(Dac {
            // SAFETY: geteuid has no preconditions.
            privileged: unsafe { libc::geteuid() } == 0,
            user: parse_user(&cfg.user)?,
            group: parse_group(&cfg.group)?,
            dynamic_ownership: cfg.dynamic_ownership,
            remember_owner: cfg.remember_owner,
            swtpm,
        })
    }

    /// The label of QEMU's user and group (`+UID:+GID`) the capabilities show; `None` for an
    /// unprivileged driver, which has no DAC model.
    pub(crate) fn base_label(&self) -> Option<String> {
        self.privileged.then(|| self.own_label())
    }

    /// `+UID:+GID` of the configured user and group.
    fn own_label(&self) -> String {
        format!("+{}:+{}", self.user, self.group)
    }

    /// The user and group QEMU runs as: the configured ones, or the driver's own when it is
    /// unprivileged.
    pub(crate) fn qemu_ids(&self) -> (u32, u32) {
        if self.privileged {
            (self.user, self.group)
        } else {
            // SAFETY: geteuid and getegid have no preconditions.
            unsafe { (libc::geteuid(), libc::getegid()) }
        }
    }

    /// The user and group the TPM emulator runs as: `None` (the driver's own) for an
    /// unprivileged driver, as libvirt's session driver.
    pub(crate) fn swtpm_ids(&self) -> Option<(u32, u32)> {
        self.privileged.then_some(self.swtpm)
    }

    /// Completes the labels of a starting guest's live definition, as libvirt's GenLabel does:
    /// a `dac` label is added when the guest has none (`type='dynamic'`), a dynamic label gets
    /// the configured user, and a relabelling one its image label. Refuses models no driver
    /// here provides and static labels naming unknown users.
    pub(crate) fn gen_label(&self, def: &mut DomainDef) -> Result<()> {
        for s in &mut def.extras.seclabels {
            match s.model.as_deref() {
                // A label without a model is the primary driver's, which is `none` here.
                None => s.model = Some("none".into()),
                Some(m) => self.check_model(m)?,
            }
        }
        // Disks' own labels name a model too.
        let disk_models = def.devices.disks.iter().flat_map(|d| {
            d.source_children
                .iter()
                .filter(|e| e.name == "seclabel")
                .filter_map(|e| e.attr("model"))
        });
        for m in disk_models {
            self.check_model(m)?;
        }
        if !self.privileged {
            return Ok(());
        }
        let own = self.own_label();
        match def.extras.seclabels.iter_mut().find(|s| is_dac(s)) {
            None => def.extras.seclabels.push(SecLabel {
                kind: std::borrow::Cow::Borrowed("dynamic"),
                model: Some(MODEL.into()),
                relabel: true,
                label: Some(own.clone()),
                imagelabel: Some(own),
                baselabel: None,
                implicit: true,
            }),
            Some(s) => {
                match &*s.kind {
                    "dynamic" => s.label = Some(own),
                    "static" => {
                        let label = s.label.as_deref().unwrap_or_default();
                        parse_ids(label)?;
                    }
                    _ => return Ok(()),
                }
                if s.relabel {
                    s.imagelabel = s.label.clone();
                }
            }
        }
        Ok(())
    }

    /// Refuses a label model no driver here provides: `none` always exists, `dac` on a
    /// privileged driver.
    fn check_model(&self, model: &str) -> Result<()> {
        match model {
            "none" => Ok(()),
            MODEL if self.privileged => Ok(()),
            m => Err(Error::with_detail(
                ErrorDomain::SECURITY,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!("Security driver model '{m}' is not available"),
            )),
        }
    }

    /// What the DAC label of `def` (completed by [`Dac::gen_label`]) asks for; `None` when the
    /// driver is unprivileged.
    pub(crate) fn label_of(&self, def: &DomainDef) -> Result<Option<GuestLabel>> {
        if !self.privileged {
            return Ok(None);
        }
        let own = (self.user, self.group);
        let s = def.extras.seclabels.iter().find(|s| is_dac(s));
        let ids = |l: Option<&String>| l.map(|l| parse_ids(l)).transpose();
        let process = ids(s.and_then(|s| s.label.as_ref()))?.unwrap_or(own);
        let image = ids(s.and_then(|s| s.imagelabel.as_ref()))?.unwrap_or(own);
        let relabel = self.dynamic_ownership && s.is_none_or(|s| s.relabel && &*s.kind != "none");
        Ok(Some(GuestLabel {
            process,
            image,
            relabel,
        }))
    }

    /// Gives the files of a starting guest to its QEMU's user (see the module's notes). On an
    /// error, what was given is given back.
    pub(crate) fn set_all(&self, def: &DomainDef) -> Result<()> {
        self.give_files(def, |label, f| self.files_of(def, label, f))
    }

    /// Gives the files of a stopped guest back (see [`Dac::set_all`]); what fails is logged.
    pub(crate) fn restore_all(&self, def: &DomainDef) {
        self.give_back_files(def, |label, f| self.files_of(def, label, f));
    }

    /// Gives one disk's images (the image, then its backing chain) to the guest's user, for a
    /// disk plugged into a running guest.
    pub(crate) fn set_disk(&self, def: &DomainDef, disk: &DiskDef) -> Result<()> {
        self.give_files(def, |label, f| disk_files(disk, label.image, f))
    }

    /// Gives a disk unplugged from a running guest (or whose plugging failed) back.
    pub(crate) fn restore_disk(&self, def: &DomainDef, disk: &DiskDef) {
        self.give_back_files(def, |label, f| disk_files(disk, label.image, f));
    }

    /// Gives each file `visit` names (once, however often it is named) to the owner it names,
    /// when the guest of `def` has its files relabelled; on an error, the files whose first
    /// owners were recorded are given back, the last first.
    fn give_files(
        &self,
        def: &DomainDef,
        visit: impl FnOnce(GuestLabel, &mut FileVisitor<'_>) -> Result<()>,
    ) -> Result<()> {
        let Some(label) = self.label_of(def)?.filter(|l| l.relabel) else {
            return Ok(());
        };
        let mut done: Vec<(String, bool)> = Vec::new();
        let res = visit(label, &mut |path, ids, remember| {
            if done.iter().any(|(p, _)| p == path) {
                return Ok(());
            }
            self.set_owner(Path::new(path), ids, remember)?;
            done.push((path.to_string(), remember));
            Ok(())
        });
        if res.is_err() {
            for (path, _) in done.iter().rev().filter(|(_, remember)| *remember) {
                let _ = self.restore_owner(Path::new(path), true);
            }
        }
        res
    }

    /// Gives back (once each) the files `visit` names whose first owners were recorded, when
    /// the guest of `def` has its files relabelled; what fails is logged.
    fn give_back_files(
        &self,
        def: &DomainDef,
        visit: impl FnOnce(GuestLabel, &mut FileVisitor<'_>) -> Result<()>,
    ) {
        let Ok(Some(label)) = self.label_of(def) else {
            return;
        };
        if !label.relabel {
            return;
        }
        let mut done: Vec<String> = Vec::new();
        let _ = visit(label, &mut |path, _, remember| {
            if !remember || done.iter().any(|p| p == path) {
                return Ok(());
            }
            done.push(path.to_string());
            if let Err(e) = self.restore_owner(Path::new(path), true) {
                tracing::warn!("cannot give '{path}' back to its owner: {e}");
            }
            Ok(())
        });
    }

    /// Gives a new image QEMU is to write (an external snapshot's overlay, the guest's new top
    /// image) to the guest's image owner, recording its first owner.
    pub(crate) fn set_image(&self, def: &DomainDef, path: &Path) -> Result<()> {
        match self.label_of(def)?.filter(|l| l.relabel) {
            Some(label) => self.set_owner(path, label.image, true),
            None => Ok(()),
        }
    }

    /// Gives a file of [`Dac::set_image`] back, when QEMU did not take it, or one of
    /// [`Dac::set_memory_file`] once its device is gone (or was never plugged).
    pub(crate) fn restore_image(&self, def: &DomainDef, path: &Path) {
        if let Ok(Some(label)) = self.label_of(def)
            && label.relabel
            && let Err(e) = self.restore_owner(path, true)
        {
            tracing::warn!("cannot give '{}' back to its owner: {e}", path.display());
        }
    }

    /// Gives the file a hot-plugged NVDIMM or virtio-pmem device maps to the guest's process
    /// owner, as a start gives those of the devices it starts with, recording its first
    /// owner.
    pub(crate) fn set_memory_file(&self, def: &DomainDef, path: &Path) -> Result<()> {
        match self.label_of(def)?.filter(|l| l.relabel) {
            Some(label) => self.set_owner(path, label.process, true),
            None => Ok(()),
        }
    }

    /// Gives the host files of character device `c`, plugged into the running guest `def`,
    /// to the guest's process owner as a start gives those it starts with, recording their
    /// first owners.
    /// Should one of them fail, those already given are given back.
    pub(crate) fn set_chardev(&self, def: &DomainDef, c: &ChrDef) -> Result<()> {
        let Some(label) = self.label_of(def)?.filter(|l| l.relabel) else {
            return Ok(());
        };
        let mut given: Vec<String> = Vec::new();
        let set = chardev_files(c, label.process, &mut |path, ids, remember| {
            self.set_owner(Path::new(path), ids, remember)?;
            given.push(path.to_string());
            Ok(())
        });
        if set.is_err() {
            for path in &given {
                if let Err(e) = self.restore_owner(Path::new(path), true) {
                    tracing::warn!("cannot give '{path}' back to its owner: {e}");
                }
            }
        }
        set
    }

    /// Gives the files of [`Dac::set_chardev`] back once the device is gone (or was never
    /// plugged).
    pub(crate) fn restore_chardev(&self, def: &DomainDef, c: &ChrDef) {
        if let Ok(Some(label)) = self.label_of(def)
            && label.relabel
        {
            let _ = chardev_files(c, label.process, &mut |path, _, _| {
                if let Err(e) = self.restore_owner(Path::new(path), true) {
                    tracing::warn!("cannot give '{path}' back to its owner: {e}");
                }
                Ok(())
            });
        }
    }

    /// Gives a file the driver made for QEMU to write (a private folder, a memory dump's
    /// file) to the guest's user, recording nothing: the driver removes it itself.
    pub(crate) fn give_path(&self, def: &DomainDef, path: &Path) -> Result<()> {
        match self.label_of(def)? {
            Some(label) => chown(path, label.process),
            None => Ok(()),
        }
    }

    /// Makes QEMU's user the owner of folder `dir`, keeping its group: a folder QEMU shares
    /// with a helper running as another user (the TPM emulator's sockets, owned by QEMU's
    /// user and swtpm's group, as libvirt makes it).
    pub(crate) fn give_folder(&self, def: &DomainDef, dir: &Path) -> Result<()> {
        let Some(label) = self.label_of(def)? else {
            return Ok(());
        };
        let (_, gid) = owner_of(dir)?;
        chown(dir, (label.process.0, gid))
    }

    /// Calls `f` with each file of `def` that changes owner, the owner it gets, and whether
    /// its first owner is recorded (and given back).
    fn files_of(&self, def: &DomainDef, label: GuestLabel, f: &mut FileVisitor<'_>) -> Result<()> {
        for d in &def.devices.disks {
            if d.actual_type() == "dir" {
                continue;
            }
            disk_files(d, label.image, f)?;
        }
        for c in def.devices.character_devices() {
            chardev_files(c, label.process, f)?;
        }
        // The sources EGD generators and redirected USB devices read through.
        for (_, e) in &def.devices.other {
            let source = match e.name.as_str() {
                "rng" => crate::rng::egd_chardev(e)?,
                "redirdev" => Some(crate::command::chr::raw_chardev(e, None)?),
                _ => None,
            };
            if let Some(c) = source {
                chardev_files(&c, label.process, f)?;
            }
        }
        // The files NVDIMMs and virtio-pmem devices map, owned by the guest's user as libvirt
        // gives them.
        for e in crate::memdev::devices(def) {
            if let Some(path) = crate::memdev::source_text(e, "path") {
                f(path, label.process, true)?;
            }
        }
        // The variable store, in either form (`<nvram>PATH` or a file or block `<source>`).
        if let crate::firmware::Nvram::Local(nvram) = crate::firmware::nvram(def) {
            f(&nvram.display().to_string(), label.image, true)?;
        }
        for p in [&def.os.rest.kernel, &def.os.rest.initrd, &def.os.rest.dtb]
            .into_iter()
            .flatten()
        {
            f(p, label.image, true)?;
        }
        Ok(())
    }

    /// Gives `path` to `ids`, recording its first owner when `remember`.
    fn set_owner(&self, path: &Path, ids: (u32, u32), remember: bool) -> Result<()> {
        let current = owner_of(path)?;
        if remember && self.remember_owner {
            match remember_owner(path, current) {
                Ok(n) if n > 1 && current != ids => {
                    let _ = recall_owner(path);
                    return Err(Error::operation_invalid(
                        ErrorDomain::SECURITY,
                        format!(
                            "Setting different DAC user or group on {} which is already in use",
                            path.display()
                        ),
                    ));
                }
                Ok(_) | Err(Recall::Unsupported) => {}
                Err(Recall::Failed(e)) => return Err(e),
            }
        }
        change_owner(path, current, ids)
    }

    /// Gives `path` back to the owner recorded when it was given away (root when none was),
    /// unless other guests still use it.
    fn restore_owner(&self, path: &Path, recall: bool) -> Result<()> {
        let mut ids = (0, 0);
        if recall && self.remember_owner {
            match recall_owner(path) {
                Ok(Some(owner)) => ids = owner,
                Ok(None) => return Ok(()),
                Err(Recall::Unsupported) => {}
                Err(Recall::Failed(e)) => return Err(e),
            }
        }
        chown(path, ids)
    }
}

/// Whether `s` is the DAC driver's label.
fn is_dac(s: &SecLabel) -> bool {
    s.model.as_deref() == Some(MODEL)
}

/// Calls `f` with the image of `d` (recorded and given back unless read-only or shareable) and
/// each backing image (never given back), with the owner they get; a disk's own
/// `<seclabel model='dac'>` may keep them (`relabel='no'`) or name another owner.
fn disk_files(d: &DiskDef, image: (u32, u32), f: &mut FileVisitor<'_>) -> Result<()> {
    let own = disk_label(d.source_children.iter())?;
    if own == Some(None) {
        return Ok(());
    }
    let ids = own.flatten().unwrap_or(image);
    // A volume disk's path is the one its pool resolved.
    if matches!(d.actual_type(), "file" | "block")
        && let Some(path) = d.source_path()
    {
        f(path, ids, !d.readonly && !d.shareable)?;
    }
    for (src, path) in d.local_backing_sources() {
        let layer_label = disk_label(src.elements())?;
        if layer_label == Some(None) {
            break;
        }
        if let Some(p) = path {
            f(p, layer_label.flatten().unwrap_or(ids), false)?;
        }
    }
    Ok(())
}

/// A disk source's own DAC label: `None` when it has none, `Some(None)` for `relabel='no'`,
/// `Some(Some(ids))` for one naming an owner.
fn disk_label<'a>(
    mut children: impl Iterator<Item = &'a RawElement>,
) -> Result<Option<Option<(u32, u32)>>> {
    let Some(s) =
        children.find(|e| e.name == "seclabel" && e.attr("model").is_none_or(|m| m == MODEL))
    else {
        return Ok(None);
    };
    if s.attr("relabel") == Some("no") {
        return Ok(Some(None));
    }
    match s.child("label").and_then(RawElement::text) {
        Some(l) if !l.is_empty() => Ok(Some(Some(parse_ids(l)?))),
        _ => Ok(None),
    }
}

/// The user and group owning `path`.
fn owner_of(path: &Path) -> Result<(u32, u32)> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::system(FROM, format!("unable to stat: {}", path.display()), &e))?;
    Ok((meta.uid(), meta.gid()))
}

/// Changes the owner of `path` unless it has it already (see [`change_owner`]).
fn chown(path: &Path, ids: (u32, u32)) -> Result<()> {
    change_owner(path, owner_of(path)?, ids)
}

/// Changes the owner of `path`, owned by `current`, to `(uid, gid)` unless they are the same;
/// a file system that cannot (or a file the driver may not change) is left as it is, as
/// libvirt leaves it.
fn change_owner(path: &Path, current: (u32, u32), (uid, gid): (u32, u32)) -> Result<()> {
    if current == (uid, gid) {
        return Ok(());
    }
    match std::os::unix::fs::chown(path, Some(uid), Some(gid)) {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP | libc::EINVAL | libc::EPERM | libc::EROFS)
            ) =>
        {
            tracing::info!(
                "setting user and group to '{uid}:{gid}' on '{}' not possible: {e}",
                path.display()
            );
            Ok(())
        }
        Err(e) => Err(Error::system(
            FROM,
            format!(
                "unable to set user and group to '{uid}:{gid}' on '{}'",
                path.display()
            ),
            &e,
        )),
    }
}

/// Why a file's recorded owner could not be used.
enum Recall {
    /// The file system keeps no extended attributes, or the record is stale: as if none.
    Unsupported,
    /// Reading or writing the record failed.
    Failed(Error),
}

/// Records `owner` as the first owner of `path` unless a guest uses it already, and counts one
/// more guest using it; the count.
fn remember_owner(path: &Path, owner: (u32, u32)) -> std::result::Result<u32, Recall> {
    let count = match get_xattr(path, XATTR_REF) {
        Ok(Some(v)) if fresh(path) => parse_count(path, &v)?,
        Ok(_) => 0,
        Err(e) if unsupported(&e) => return Err(Recall::Unsupported),
        Err(e) => return Err(xattr_error("get", XATTR_REF, path, &e)),
    };
    let count = count + 1;
    if count == 1 {
        set_xattr(path, XATTR_LABEL, &format!("+{}:+{}", owner.0, owner.1))?;
        set_xattr(path, XATTR_TIME, boot_time())?;
    }
    set_xattr(path, XATTR_REF, &count.to_string())?;
    Ok(count)
}

/// Counts one guest fewer using `path`: its first owner when none is left, `None` while some
/// are.
fn recall_owner(path: &Path) -> std::result::Result<Option<(u32, u32)>, Recall> {
    let count = match get_xattr(path, XATTR_REF) {
        Ok(Some(v)) if fresh(path) => parse_count(path, &v)?,
        Ok(_) => return Err(Recall::Unsupported),
        Err(e) if unsupported(&e) => return Err(Recall::Unsupported),
        Err(e) => return Err(xattr_error("get", XATTR_REF, path, &e)),
    };
    if count > 1 {
        set_xattr(path, XATTR_REF, &(count - 1).to_string())?;
        return Ok(None);
    }
    let label = get_xattr(path, XATTR_LABEL)
        .map_err(|e| xattr_error("get", XATTR_LABEL, path, &e))?
        .unwrap_or_default();
    for name in [XATTR_REF, XATTR_LABEL, XATTR_TIME] {
        remove_xattr(path, name)?;
    }
    parse_ids(&label).map(Some).map_err(Recall::Failed)
}

/// Whether the record on `path` was made since the host last booted.
fn fresh(path: &Path) -> bool {
    matches!(get_xattr(path, XATTR_TIME), Ok(Some(t)) if t == boot_time())
}

fn parse_count(path: &Path, v: &str) -> std::result::Result<u32, Recall> {
    v.parse().map_err(|_| {
        Recall::Failed(Error::internal(
            ErrorDomain::SECURITY,
            format!("malformed refcount {v} on {}", path.display()),
        ))
    })
}

/// The host's boot time in seconds since the epoch (`btime` of `/proc/stat`), as libvirt
/// stamps its records: read once, it does not change while the host runs.
fn boot_time() -> &'static str {
    static BOOT_TIME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BOOT_TIME.get_or_init(|| {
        std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("btime ").map(|v| v.trim().to_string()))
            })
            .unwrap_or_default()
    })
}

fn unsupported(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::ENOTSUP))
}

fn xattr_error(op: &str, name: &str, path: &Path, e: &std::io::Error) -> Recall {
    Recall::Failed(Error::system(
        ErrorDomain::SECURITY,
        format!("Unable to {op} XATTR {name} on {}", path.display()),
        e,
    ))
}

/// The value of extended attribute `name` of `path`; `None` when it has none.
fn get_xattr(path: &Path, name: &str) -> std::io::Result<Option<String>> {
    let p = crate::util::c_path(path)?;
    let n = CString::new(name).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut buf = vec![0u8; 256];
    // SAFETY: both names are NUL-terminated; the buffer is valid for its length.
    let len = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if len < 0 {
        let e = std::io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENODATA) => Ok(None),
            _ => Err(e),
        };
    }
    buf.truncate(len as usize);
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

fn set_xattr(path: &Path, name: &str, value: &str) -> std::result::Result<(), Recall> {
    let run = || -> std::io::Result<()> {
        let p = crate::util::c_path(path)?;
        let n = CString::new(name).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: both names are NUL-terminated; the value is valid for its length.
        let rc = unsafe {
            libc::setxattr(
                p.as_ptr(),
                n.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                0,
            )
        };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    run().map_err(|e| match unsupported(&e) {
        true => Recall::Unsupported,
        false => xattr_error("set", name, path, &e),
    })
}

fn remove_xattr(path: &Path, name: &str) -> std::result::Result<(), Recall> {
    let run = || -> std::io::Result<()> {
        let p = crate::util::c_path(path)?;
        let n = CString::new(name).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: both names are NUL-terminated.
        if unsafe { libc::removexattr(p.as_ptr(), n.as_ptr()) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ENODATA) {
                return Err(e);
            }
        }
        Ok(())
    };
    run().map_err(|e| xattr_error("remove", name, path, &e))
}

/// `+UID:+GID` or `USER:GROUP` (names or ids) as ids, as libvirt reads a DAC label.
pub(crate) fn parse_ids(label: &str) -> Result<(u32, u32)> {
    let Some((u, g)) = label.split_once(':') else {
        return Err(Error::internal(
            ErrorDomain::NONE,
            format!("Failed to parse uid and gid from '{label}'"),
        ));
    };
    Ok((parse_user(u)?, parse_group(g)?))
}

/// A user given as a name or `+ID`.
fn parse_user(s: &str) -> Result<u32> {
    parse_id(s, user_id)
        .ok_or_else(|| Error::invalid_arg(ErrorDomain::NONE, format!("Failed to parse user '{s}'")))
}

/// A group given as a name or `+ID`.
fn parse_group(s: &str) -> Result<u32> {
    parse_id(s, group_id).ok_or_else(|| {
        Error::invalid_arg(ErrorDomain::NONE, format!("Failed to parse group '{s}'"))
    })
}

/// `+N` is the id N; a name is looked up, and a number that names nothing is taken as an id.
fn parse_id(s: &str, lookup: fn(&str) -> Option<u32>) -> Option<u32> {
    match s.strip_prefix('+') {
        Some(n) => n.parse().ok(),
        None => lookup(s).or_else(|| s.parse().ok()),
    }
}

/// The id of user `name`.
pub(crate) fn user_id(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: an all-zero passwd is a valid value to be overwritten.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; the strings it fills live in `buf`.
    let rc =
        unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    (rc == 0 && !out.is_null()).then_some(pw.pw_uid)
}

/// The id of group `name`.
pub(crate) fn group_id(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: an all-zero group is a valid value to be overwritten.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as in `user_id`.
    let rc =
        unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut out) };
    (rc == 0 && !out.is_null()).then_some(gr.gr_gid)
}

/// The groups a process of user `uid` with primary group `gid` has: `gid` and the user's
/// supplementary groups (just `gid` for an id no user has).
pub(crate) fn group_list(uid: u32, gid: u32) -> Vec<libc::gid_t> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: an all-zero passwd is a valid value to be overwritten.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `user_id`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() {
        return vec![gid];
    }
    let mut n: libc::c_int = 64;
    loop {
        let mut groups = vec![0 as libc::gid_t; n as usize];
        let want = n;
        // SAFETY: the name is the NUL-terminated one getpwuid_r filled in; `groups` has room
        // for `n` entries, and getgrouplist writes no more (it says how many it wanted).
        let rc = unsafe { libc::getgrouplist(pw.pw_name, gid, groups.as_mut_ptr(), &mut n) };
        if rc >= 0 {
            groups.truncate(n as usize);
            return groups;
        }
        if n <= want {
            n = want * 2;
        }
    }
}

/// Makes the calling process (a child between fork and exec) user `uid`, group `gid` with
/// `groups`: no allocation.
pub(crate) fn become_ids(uid: u32, gid: u32, groups: &[libc::gid_t]) -> std::io::Result<()> {
    // SAFETY: the calls read only the values given; `groups` is valid for its length.
    unsafe {
        if libc::setgroups(groups.len(), groups.as_ptr()) < 0
            || libc::setregid(gid, gid) < 0
            || libc::setreuid(uid, uid) < 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_by_name_number_or_plus() {
        assert_eq!(parse_ids("+0:+0").unwrap(), (0, 0));
        assert_eq!(parse_ids("root:root").unwrap(), (0, 0));
        assert_eq!(parse_ids("+4242:+4243").unwrap(), (4242, 4243));
        let e = parse_ids("no-such-user-here:root").unwrap_err();
        assert_eq!(e.code, ErrorNumber::INVALID_ARG);
        assert_eq!(
            e.message,
            "invalid argument: Failed to parse user 'no-such-user-here'"
        );
        let e = parse_ids("root:no-such-group-here").unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: Failed to parse group 'no-such-group-here'"
        );
        assert!(parse_ids("+x:+0").is_err());
        assert!(parse_ids("root").is_err());
    }

    fn privileged() -> Dac {
        Dac {
            privileged: true,
            user: 4242,
            group: 4243,
            dynamic_ownership: true,
            remember_owner: true,
            swtpm: (0, 0),
        }
    }

    fn def_with(labels: &str) -> DomainDef {
        DomainDef::parse_xml(
            &format!(
                "<domain type='qemu'><name>g</name><memory>1024</memory>\
                 <os><type>hvm</type></os>{labels}</domain>"
            ),
            Default::default(),
        )
        .unwrap()
    }

    fn labelled(labels: &str) -> Result<(DomainDef, Option<GuestLabel>)> {
        let dac = privileged();
        let mut def = def_with(labels);
        dac.gen_label(&mut def)?;
        let label = dac.label_of(&def)?;
        Ok((def, label))
    }

    /// The labels libvirt's DAC driver gives (seen on its embedded QEMU driver, as root).
    #[test]
    fn labels_as_libvirt_generates_them() {
        let (def, l) = labelled("").unwrap();
        let s = &def.extras.seclabels[0];
        assert_eq!((&*s.kind, s.model.as_deref()), ("dynamic", Some("dac")));
        assert_eq!(s.label.as_deref(), Some("+4242:+4243"));
        assert_eq!(s.imagelabel.as_deref(), Some("+4242:+4243"));
        let l = l.unwrap();
        assert_eq!(
            (l.process, l.image, l.relabel),
            ((4242, 4243), (4242, 4243), true)
        );

        // A static label: QEMU runs as it, and its images get it.
        let (def, l) = labelled(
            "<seclabel type='static' model='dac' relabel='yes'><label>+0:+0</label></seclabel>",
        )
        .unwrap();
        assert_eq!(def.extras.seclabels[0].imagelabel.as_deref(), Some("+0:+0"));
        assert_eq!(l.unwrap().process, (0, 0));

        // `type='none'` without a model is the (`none`) primary driver's: DAC adds its own.
        let (def, l) = labelled("<seclabel type='none'/>").unwrap();
        assert_eq!(def.extras.seclabels[0].model.as_deref(), Some("none"));
        assert_eq!(def.extras.seclabels[1].model.as_deref(), Some("dac"));
        assert!(l.unwrap().relabel);

        // DAC's own `type='none'`: QEMU still runs as the configured user, nothing relabelled.
        let (_, l) = labelled("<seclabel type='none' model='dac'/>").unwrap();
        let l = l.unwrap();
        assert_eq!((l.process, l.relabel), ((4242, 4243), false));

        let e = labelled("<seclabel type='static' model='selinux'><label>a:b:c</label></seclabel>")
            .unwrap_err();
        assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
        assert_eq!(
            e.message,
            "unsupported configuration: Security driver model 'selinux' is not available"
        );
        let e = labelled(
            "<devices><disk type='file'><source file='/d.img'>\
             <seclabel model='selinux' relabel='no'/></source><target dev='vda'/></disk></devices>",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "unsupported configuration: Security driver model 'selinux' is not available"
        );
        let e = labelled(
            "<seclabel type='static' model='dac'><label>bogus-user-x:x</label></seclabel>",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: Failed to parse user 'bogus-user-x'"
        );
    }

    #[test]
    fn root_has_group_root() {
        assert!(group_list(0, 0).contains(&0));
        assert_eq!(group_list(u32::MAX - 7, 5), vec![5]);
    }
}
