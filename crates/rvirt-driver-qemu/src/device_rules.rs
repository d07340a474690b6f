//! The host devices a guest's QEMU is allowed to open ([`crate::device_acl`]), from its
//! definition, as libvirt's QEMU driver lists them: qemu.conf's `cgroup_device_acl` (or its
//! default list), every pseudo-terminal, and the device nodes the guest's disks, firmware,
//! character devices, random number generators and TPMs use (regular files need no rule).

use crate::config::QemuConfig;
use crate::device_acl::{ACCESS_READ, ACCESS_RW, ACCESS_RWM, DevKind, Rule};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{ChrDef, DiskDef};
use rvirt_conf::raw::RawElement;
use rvirt_types::Result;
use std::path::Path;

/// The devices every guest may use when qemu.conf lists none (`cgroup_device_acl`).
pub(crate) const DEFAULT_ACL: &[&str] = &[
    "/dev/null",
    "/dev/full",
    "/dev/zero",
    "/dev/random",
    "/dev/urandom",
    "/dev/ptmx",
    "/dev/kvm",
];

/// The major number of pseudo-terminals (`/dev/pts/N`).
const PTY_MAJOR: u32 = 136;

/// The major number of ALSA sound devices (`/dev/snd/*`).
const SND_MAJOR: u32 = 116;

/// The images of disk `d` QEMU opens, top first, each with whether it is opened read-only:
/// the disk's own (read-only when the disk is) and each backing image (always read-only).
/// Local files and block devices only.
pub(crate) fn disk_images(d: &DiskDef) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    // A volume disk's path is the one its pool resolved.
    if matches!(d.actual_type(), "file" | "block")
        && let Some(path) = d.source_path()
    {
        out.push((path.to_string(), d.readonly));
    }
    out.extend(
        d.local_backing_sources()
            .filter_map(|(_, p)| Some((p?.to_string(), true))),
    );
    out
}

/// The rules for disk `d`'s images that are device nodes (read, or read and write for a
/// writable top image); an image that cannot be looked at is skipped, as libvirt skips it.
pub(crate) fn disk_rules(d: &DiskDef) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for (path, readonly) in disk_images(d) {
        let access = if readonly { ACCESS_READ } else { ACCESS_RW };
        rules.extend(Rule::for_path(Path::new(&path), access, true)?);
    }
    Ok(rules)
}

/// The rules letting QEMU read and write the images at `paths` that are device nodes (new
/// snapshot overlays).
pub(crate) fn image_rules<'a>(paths: impl Iterator<Item = &'a Path>) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for p in paths {
        rules.extend(Rule::for_path(p, ACCESS_RW, true)?);
    }
    Ok(rules)
}

/// The rules taking disk `d`'s devices away again (read, write and mknod), leaving those of
/// the device list `acl`, which every guest keeps.
pub(crate) fn disk_teardown_rules(d: &DiskDef, acl: Option<&[String]>) -> Vec<Rule> {
    disk_images(d)
        .into_iter()
        .filter(|(p, _)| !in_acl(p, acl))
        .filter_map(|(p, _)| {
            Rule::for_path(Path::new(&p), ACCESS_RWM, true)
                .ok()
                .flatten()
        })
        .collect()
}

impl crate::QemuDriver {
    /// Gives disk `d`'s images (with their backing chain) to QEMU's user under the live
    /// definition `def`, and lets the running guest `p` open those that are device nodes (a
    /// disk attached, new media); neither when one fails.
    pub(crate) fn grant_disk(
        &self,
        def: &DomainDef,
        p: &crate::process::Proc,
        d: &DiskDef,
    ) -> Result<()> {
        self.dac.set_disk(def, d)?;
        let allowed = disk_rules(d).and_then(|rules| p.cgroup.allow_devices(&rules));
        if allowed.is_err() {
            self.dac.restore_disk(def, d);
        }
        allowed
    }

    /// Takes what [`crate::QemuDriver::grant_disk`] gave away again (a disk detached,
    /// ejected media, a failed attach), the devices on the device list excepted. A device
    /// filter that cannot be changed is logged: the guest keeps a device it no longer uses, as
    /// libvirt leaves it.
    pub(crate) fn revoke_disk(&self, def: &DomainDef, p: &crate::process::Proc, d: &DiskDef) {
        let rules = disk_teardown_rules(d, self.config.cgroup_device_acl.as_deref());
        if let Err(e) = p.cgroup.deny_devices(&rules) {
            tracing::warn!("{e}");
        }
        self.dac.restore_disk(def, d);
    }

    /// Lets the running guest `p` read the device node random number generator `r` reads,
    /// if it reads one.
    pub(crate) fn grant_rng(&self, p: &crate::process::Proc, r: &RawElement) -> Result<()> {
        let rules: Vec<Rule> = rng_rules(r)?.into_iter().collect();
        p.cgroup.allow_devices(&rules)
    }

    /// Takes what [`crate::QemuDriver::grant_rng`] gave away again, unless the node is on
    /// the device list (`/dev/random` and `/dev/urandom` are, by default).
    pub(crate) fn revoke_rng(&self, p: &crate::process::Proc, r: &RawElement) {
        let Some(path) = crate::rng::file(r) else {
            return;
        };
        if in_acl(path, self.config.cgroup_device_acl.as_deref()) {
            return;
        }
        let rules: Vec<Rule> = rng_rules(r).ok().flatten().into_iter().collect();
        if let Err(e) = p.cgroup.deny_devices(&rules) {
            tracing::warn!("{e}");
        }
    }

    /// Lets the running guest `p` use the host device a character device plugged into it
    /// reads and writes (a `dev` source), as a start lets it.
    pub(crate) fn grant_chardev(&self, p: &crate::process::Proc, c: &ChrDef) -> Result<()> {
        p.cgroup.allow_devices(&chardev_rules(c)?)
    }

    /// Takes what [`crate::QemuDriver::grant_chardev`] gave away again, unless the node is
    /// on the device list.
    pub(crate) fn revoke_chardev(&self, p: &crate::process::Proc, c: &ChrDef) {
        let listed = chardev_path(c)
            .is_some_and(|path| in_acl(path, self.config.cgroup_device_acl.as_deref()));
        if listed {
            return;
        }
        if let Err(e) = chardev_rules(c).and_then(|rules| p.cgroup.deny_devices(&rules)) {
            tracing::warn!("{e}");
        }
    }
}

/// The host device node of a character device with a `dev` source.
fn chardev_path(c: &ChrDef) -> Option<&str> {
    if c.source_type != "dev" {
        return None;
    }
    c.source_attr("path")
}

/// The rules of the host device node a character device uses, if any.
fn chardev_rules(c: &ChrDef) -> Result<Vec<Rule>> {
    match chardev_path(c) {
        Some(path) => Ok(Rule::for_path(Path::new(path), ACCESS_RW, false)?
            .into_iter()
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// Whether `path` is on the device list (qemu.conf's, else the default one).
fn in_acl(path: &str, acl: Option<&[String]>) -> bool {
    match acl {
        Some(list) => list.iter().any(|p| p == path),
        None => DEFAULT_ACL.contains(&path),
    }
}

/// Every rule a new guest with definition `def` starts with under qemu.conf `cfg`, in
/// libvirt's order.
pub(crate) fn start_rules(def: &DomainDef, cfg: &QemuConfig) -> Result<Vec<Rule>> {
    let acl = cfg.cgroup_device_acl.as_deref();
    let mut rules = Vec::new();
    let listed: Vec<&str> = match acl {
        Some(l) => l.iter().map(String::as_str).collect(),
        None => DEFAULT_ACL.to_vec(),
    };
    for p in listed {
        // A device this host lacks (no /dev/kvm) is left out.
        if Path::new(p).exists() {
            rules.extend(Rule::for_path(Path::new(p), ACCESS_RW, false)?);
        }
    }
    if let Some((_, path)) = &def.os.rest.loader {
        let readonly = def.os.rest.loader_attr("readonly") == Some("yes");
        let access = if readonly { ACCESS_READ } else { ACCESS_RW };
        rules.extend(Rule::for_path(Path::new(path), access, true)?);
    }
    // An NVDIMM or virtio-pmem device's file, when it is a device node (real persistent
    // memory, /dev/pmemN).
    for e in crate::memdev::devices(def) {
        if let Some(path) = crate::memdev::source_text(e, "path") {
            rules.extend(Rule::for_path(Path::new(path), ACCESS_RW, true)?);
        }
    }
    // The variable store, in either form (`<nvram>PATH` or a file or block `<source>`).
    if let crate::firmware::Nvram::Local(nvram) = crate::firmware::nvram(def) {
        rules.extend(Rule::for_path(&nvram, ACCESS_RW, true)?);
    }
    for d in &def.devices.disks {
        rules.extend(disk_rules(d)?);
    }
    rules.push(Rule {
        kind: DevKind::Char,
        major: PTY_MAJOR,
        minor: None,
        access: ACCESS_RW,
    });
    // Sound cards playing through the host's (ALSA) sound devices.
    let host_audio = match def.devices.graphics.first() {
        None => cfg.nographics_allow_host_audio,
        Some(g) if g.graphics_type == "vnc" => cfg.vnc_allow_host_audio,
        Some(g) => g.graphics_type == "sdl",
    };
    if host_audio && def.devices.other.iter().any(|(_, e)| e.name == "sound") {
        rules.push(Rule {
            kind: DevKind::Char,
            major: SND_MAJOR,
            minor: None,
            access: ACCESS_RW,
        });
    }
    for c in def.devices.character_devices() {
        rules.extend(chardev_rules(c)?);
    }
    for t in crate::tpm::tpms(def) {
        if crate::tpm::backend_type(t) == "passthrough" {
            let path = t
                .child("backend")
                .and_then(|b| b.child("device"))
                .and_then(|d| d.attr("path"))
                .unwrap_or(crate::tpm::DEFAULT_DEVICE);
            rules.extend(Rule::for_path(Path::new(path), ACCESS_RW, false)?);
        }
    }
    for (_, r) in def.devices.other.iter().filter(|(_, e)| e.name == "rng") {
        rules.extend(rng_rules(r)?);
    }
    Ok(rules)
}

/// The rule of the host file a random number generator reads (`random` backends only, and
/// only a device node has one).
pub(crate) fn rng_rules(r: &RawElement) -> Result<Option<Rule>> {
    match crate::rng::file(r) {
        Some(path) => Rule::for_path(Path::new(path), ACCESS_RW, false),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::domain::ParseOptions;

    fn def(devices: &str) -> DomainDef {
        let xml = format!(
            "<domain type='qemu'><name>r</name><memory>65536</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices>{devices}</devices></domain>"
        );
        DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap()
    }

    #[test]
    fn a_guest_gets_the_device_list_the_ptys_and_its_own_devices() {
        let d = def("<serial type='dev'><source path='/dev/full'/></serial>\
                     <rng model='virtio'><backend model='random'>/dev/random</backend></rng>\
                     <disk type='file' device='disk'><source file='/etc/hostname'/>\
                     <target dev='vda' bus='virtio'/></disk>");
        let mut cfg = QemuConfig::defaults(Path::new("/r/etc"), false);
        cfg.cgroup_device_acl = Some(vec!["/dev/null".into(), "/dev/no-such-device".into()]);
        let rules = start_rules(&d, &cfg).unwrap();
        let described: Vec<(u32, Option<u32>, u32)> =
            rules.iter().map(|r| (r.major, r.minor, r.access)).collect();
        // /dev/null (the missing one left out), the PTYs, /dev/full, /dev/random; the disk is
        // a regular file.
        assert_eq!(
            described,
            [
                (1, Some(3), ACCESS_RW),
                (PTY_MAJOR, None, ACCESS_RW),
                (1, Some(7), ACCESS_RW),
                (1, Some(8), ACCESS_RW),
            ]
        );
        // A sound card gets the host's sound devices only where libvirt lets it.
        let d = def("<sound model='ich6'/><graphics type='vnc'/>");
        let sound = |cfg: &QemuConfig| {
            start_rules(&d, cfg)
                .unwrap()
                .iter()
                .any(|r| r.major == SND_MAJOR && r.minor.is_none())
        };
        assert!(!sound(&QemuConfig::defaults(Path::new("/r/etc"), false)));
        cfg.vnc_allow_host_audio = true;
        assert!(sound(&cfg));
    }

    #[test]
    fn a_block_variable_store_is_allowed_in_either_form() {
        let cfg = QemuConfig::defaults(Path::new("/r/etc"), false);
        let cfg = QemuConfig {
            cgroup_device_acl: Some(Vec::new()),
            ..cfg
        };
        for nvram in [
            "<nvram>/dev/full</nvram>",
            "<nvram type='block'><source dev='/dev/full'/></nvram>",
        ] {
            let xml = format!(
                "<domain type='qemu'><name>r</name><memory>65536</memory><vcpu>1</vcpu>\
                 <os><type arch='x86_64' machine='q35'>hvm</type>\
                 <loader readonly='yes' type='pflash'>/etc/hostname</loader>{nvram}</os>\
                 </domain>"
            );
            let d = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
            let rules = start_rules(&d, &cfg).unwrap();
            assert!(
                rules
                    .iter()
                    .any(|r| (r.major, r.minor, r.access) == (1, Some(7), ACCESS_RW)),
                "{nvram}"
            );
        }
    }

    #[test]
    fn backing_images_are_read_only_and_the_list_is_never_taken_away() {
        let d = def("<disk type='block' device='disk'><source dev='/dev/null'/>\
                     <backingStore type='block'><format type='raw'/><source dev='/dev/zero'/>\
                     </backingStore><target dev='vda' bus='virtio'/></disk>");
        let disk = &d.devices.disks[0];
        assert_eq!(
            disk_images(disk),
            [
                ("/dev/null".to_string(), false),
                ("/dev/zero".to_string(), true)
            ]
        );
        let rules = disk_rules(disk).unwrap();
        assert_eq!(rules[0].access, ACCESS_RW);
        assert_eq!(rules[1].access, ACCESS_READ);
        // Both are on the default list: a detach keeps them.
        assert!(disk_teardown_rules(disk, None).is_empty());
        assert_eq!(disk_teardown_rules(disk, Some(&[])).len(), 2);
    }
}
