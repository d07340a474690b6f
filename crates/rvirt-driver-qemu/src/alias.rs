//! Device aliases, as libvirt's QEMU driver gives them to the devices of a domain it starts
//! (`qemuAssignDeviceAliases`): every device gets a name (`virtio-disk0`, `ide0-1-0`, `net0`,
//! `serial0`, `usb`, `pci.0`, `balloon0`…) that is its QEMU device id on the command line, that
//! QMP answers and events carry, and that the live XML shows as `<alias name='…'/>`. A device
//! that already has one (a user alias `ua-…`, or a name read back from a status file) keeps it.
//!
//! Derived ids follow the alias as libvirt's do: the netdev of `net0` is `hostnet0`, the
//! chardev of `serial0` is `charserial0`, the backend object of `rng0` is `objrng0`.

use rvirt_conf::DomainDef;
use rvirt_conf::domain::{Address, ControllerDef, DeviceInfo, DiskDef, raw_alias, set_raw_alias};
use rvirt_conf::raw::RawElement;

/// The number after `prefix` in `alias`, when the alias is `prefix` and digits
/// (`qemuDomainDeviceAliasIndex`).
fn alias_index(alias: Option<&str>, prefix: &str) -> Option<u32> {
    alias?.strip_prefix(prefix)?.parse().ok()
}

/// One more than the highest `prefix` index among `aliases`, or 0.
fn next_index<'a>(aliases: impl Iterator<Item = Option<&'a str>>, prefix: &str) -> u32 {
    aliases
        .filter_map(|a| alias_index(a, prefix))
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// The alias of a disk: by drive address for IDE, SATA, SCSI and floppy disks
/// (`ide0-1-0`), by target name otherwise (`virtio-disk1` for `vdb`).
pub(crate) fn disk_alias(d: &DiskDef) -> String {
    if let Some(a) = &d.info.alias {
        return a.clone();
    }
    if let Some(Address::Drive {
        controller,
        bus,
        target,
        unit,
    }) = d.info.address
    {
        // libvirt's 4-part form is for SCSI controllers other than LSI Logic; rvirt's disks
        // on SCSI controllers use the default model, so the 3-part form is the one it needs.
        let _ = target;
        return format!("{}{controller}-{bus}-{unit}", d.bus);
    }
    let index = rvirt_conf::domain::disk_name_to_index(&d.target_dev).unwrap_or(0);
    format!("{}-disk{index}", d.bus)
}

/// The alias of a disk as [`disk_alias`] gives it, but with the 4-part form
/// (`scsi0-0-0-0`) libvirt uses for a disk on a SCSI controller other than LSI Logic.
pub(crate) fn disk_alias_on(def: &DomainDef, d: &DiskDef) -> String {
    if d.info.alias.is_none()
        && d.bus == "scsi"
        && let Some(Address::Drive {
            controller,
            bus,
            target,
            unit,
        }) = d.info.address
    {
        let model = def
            .devices
            .controllers
            .iter()
            .find(|c| c.ctrl_type == "scsi" && c.index == controller)
            .and_then(|c| c.model.as_deref());
        if !matches!(
            model,
            None | Some("lsilogic" | "ncr53c90" | "dc390" | "am53c974")
        ) {
            return format!("scsi{controller}-{bus}-{target}-{unit}");
        }
    }
    disk_alias(d)
}

/// Whether the machine has the IDE controller built in (i440fx and its kin): its alias is
/// `ide`, as QEMU names it.
fn builtin_ide(def: &DomainDef) -> bool {
    let m = def.os.machine.as_deref().unwrap_or("pc");
    m == "pc" || m.contains("i440fx") || m == "isapc" || m.contains("malta")
}

/// The alias of a controller (`qemuAssignDeviceControllerAlias`).
pub(crate) fn controller_alias(def: &DomainDef, c: &ControllerDef) -> String {
    let model = c.model.as_deref();
    match c.ctrl_type.as_str() {
        "pci" if model == Some("pcie-root") => format!("pcie.{}", c.index),
        "pci" => format!("pci.{}", c.index),
        "ide" if c.index == 0 && builtin_ide(def) => "ide".into(),
        "sata" if c.index == 0 && crate::defaults::is_q35(def.os.machine.as_deref()) => {
            "ide".into()
        }
        "usb" if c.index == 0 => "usb".into(),
        "scsi" if c.index == 0 && model == Some("ncr53c90") => "scsi".into(),
        t => format!("{t}{}", c.index),
    }
}

fn set(info: &mut DeviceInfo, alias: impl FnOnce() -> String) {
    if info.alias.is_none() {
        info.alias = Some(alias());
    }
}

/// Gives every device of `def` that has none its alias, in libvirt's order (which decides
/// the indexes where several kinds share a prefix).
pub(crate) fn assign(def: &mut DomainDef) {
    for i in 0..def.devices.disks.len() {
        let alias = disk_alias_on(def, &def.devices.disks[i]);
        set(&mut def.devices.disks[i].info, || alias);
    }
    for i in 0..def.devices.interfaces.len() {
        if def.devices.interfaces[i].info.alias.is_none() {
            let n = next_net_index(def);
            def.devices.interfaces[i].info.alias = Some(format!("net{n}"));
        }
    }
    assign_raw(def, "filesystem", |def, _| fs_alias(def));
    assign_raw(def, "sound", |_, i| format!("sound{i}"));
    assign_raw(def, "hostdev", |def, _| {
        format!("hostdev{}", next_raw_index(def, "hostdev", "hostdev"))
    });
    assign_raw(def, "redirdev", |def, _| redirdev_alias(def));
    for (i, v) in def.devices.videos.iter_mut().enumerate() {
        set(&mut v.info, || format!("video{i}"));
    }
    for i in 0..def.devices.controllers.len() {
        let alias = controller_alias(def, &def.devices.controllers[i]);
        set(&mut def.devices.controllers[i].info, || alias);
    }
    for (i, d) in def.devices.inputs.iter_mut().enumerate() {
        set(&mut d.info, || format!("input{i}"));
    }
    let devs: &mut rvirt_conf::domain::Devices = &mut def.devices;
    for (list, prefix) in [
        (&mut devs.parallels, "parallel"),
        (&mut devs.serials, "serial"),
        (&mut devs.channels, "channel"),
        (&mut devs.consoles, "console"),
    ] {
        for (i, c) in list.iter_mut().enumerate() {
            set(&mut c.info, || format!("{prefix}{i}"));
        }
    }
    assign_raw(def, "hub", |_, i| format!("hub{i}"));
    assign_raw(def, "shmem", |def, _| indexed_alias(def, "shmem"));
    assign_raw(def, "smartcard", |_, i| format!("smartcard{i}"));
    assign_raw(def, "watchdog", |_, _| "watchdog0".into());
    if let Some(b) = def
        .devices
        .memballoon
        .as_mut()
        .filter(|b| b.model != "none")
    {
        set(&mut b.info, || "balloon0".into());
    }
    assign_raw(def, "rng", |def, _| indexed_alias(def, "rng"));
    assign_raw(def, "tpm", |_, i| format!("tpm{i}"));
    for j in 0..def.devices.other.len() {
        let e = &def.devices.other[j].1;
        if e.name != "memory" || raw_alias(e).is_some() {
            continue;
        }
        if let Some(alias) = memory_alias(def, e) {
            set_raw_alias(&mut def.devices.other[j].1, &alias);
        }
    }
    assign_raw(def, "vsock", |_, _| "vsock0".into());
    assign_raw(def, "iommu", |_, _| "iommu0".into());
}

/// The alias of memory device `e` among the devices of `def` (`qemuAssignDeviceMemoryAlias`):
/// a slotted one is named by its slot (`dimm0`), the others by their order (`virtiomem1`,
/// one past the highest of `def`).
pub(crate) fn memory_alias(def: &DomainDef, e: &RawElement) -> Option<String> {
    crate::memdev::alias(e).or_else(|| {
        let prefix = crate::memdev::indexed_prefix(e)?;
        Some(format!("{prefix}{}", next_raw_index(def, "memory", prefix)))
    })
}

/// The index in `def.devices.other` of the device element `name` with alias `alias`.
pub(crate) fn raw_position(def: &DomainDef, name: &str, alias: &str) -> Option<usize> {
    def.devices
        .other
        .iter()
        .position(|(_, e)| e.name == name && raw_alias(e) == Some(alias))
}

/// The alias of a new input device of `def` (`qemuAssignDeviceInputAlias`): one past the
/// highest `inputN`.
pub(crate) fn input_alias(def: &DomainDef) -> String {
    let n = next_index(
        def.devices.inputs.iter().map(|i| i.info.alias.as_deref()),
        "input",
    );
    format!("input{n}")
}

/// The alias of a new character device of kind `kind` in `def` (`qemuAssignDeviceChrAlias`
/// for a hot-plugged one): one past the highest of its kind (`channel2` after `channel1`).
/// The console standing for the first serial port counts as `console0`, the alias a start
/// gives it.
pub(crate) fn chr_alias(def: &DomainDef, kind: rvirt_conf::domain::ChrKind) -> String {
    let prefix = kind.name();
    let list = def.devices.chr_list(kind);
    let n = next_index(
        list.iter().enumerate().map(|(i, c)| match &c.info.alias {
            None if kind == rvirt_conf::domain::ChrKind::Console
                && i == 0
                && c.is_serial_console() =>
            {
                Some("console0")
            }
            a => a.as_deref(),
        }),
        prefix,
    );
    format!("{prefix}{n}")
}

/// The alias of a new device element `name` of `def` named by its kind and an index (`rng`,
/// `shmem`): one past the highest of its kind (`rng2` after `rng1`).
pub(crate) fn indexed_alias(def: &DomainDef, name: &str) -> String {
    format!("{name}{}", next_raw_index(def, name, name))
}

/// The alias of a new filesystem of `def` (`qemuAssignDeviceFSAlias`): one past the highest
/// `fsN`.
pub(crate) fn fs_alias(def: &DomainDef) -> String {
    format!("fs{}", next_raw_index(def, "filesystem", "fs"))
}

/// The alias of a new redirected USB device of `def` (`qemuAssignDeviceRedirdevAlias`): one
/// past the highest `redirN`.
pub(crate) fn redirdev_alias(def: &DomainDef) -> String {
    format!("redir{}", next_raw_index(def, "redirdev", "redir"))
}

/// The index of the next `netN` alias (`qemuAssignDeviceNetAlias`): one past the highest.
pub(crate) fn next_net_index(def: &DomainDef) -> u32 {
    next_index(
        def.devices
            .interfaces
            .iter()
            .map(|n| n.info.alias.as_deref()),
        "net",
    )
}

/// One past the highest `prefix` index among the raw devices named `name`.
fn next_raw_index(def: &DomainDef, name: &str, prefix: &str) -> u32 {
    next_index(
        def.devices
            .other
            .iter()
            .filter(|(_, e)| e.name == name)
            .map(|(_, e)| raw_alias(e)),
        prefix,
    )
}

/// Gives each raw device named `name` without an alias the one `make(def, i)` says (`i` its
/// position among those devices).
fn assign_raw(def: &mut DomainDef, name: &str, make: impl Fn(&DomainDef, usize) -> String) {
    let at: Vec<usize> = def
        .devices
        .other
        .iter()
        .enumerate()
        .filter(|(_, (_, e))| e.name == name)
        .map(|(j, _)| j)
        .collect();
    for (i, j) in at.into_iter().enumerate() {
        if raw_alias(&def.devices.other[j].1).is_none() {
            let alias = make(def, i);
            set_raw_alias(&mut def.devices.other[j].1, &alias);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::{FormatOptions, ParseOptions};

    fn assigned(devices: &str) -> DomainDef {
        let xml = format!(
            "<domain type='qemu'><name>t</name><memory>65536</memory>\
             <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>\
             <devices>{devices}</devices></domain>"
        );
        let mut def = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
        assign(&mut def);
        def
    }

    #[test]
    fn libvirt_names() {
        let def = assigned(
            "<disk type='file'><source file='/a'/><target dev='vdb' bus='virtio'/></disk>\
             <disk type='file'><source file='/b'/><target dev='hdb' bus='ide'/>\
               <alias name='ua-mine'/></disk>\
             <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>\
             <disk type='file'><source file='/c'/><target dev='sdc' bus='sata'/></disk>\
             <controller type='usb' model='piix3-uhci'/>\
             <interface type='user'/><interface type='user'><alias name='ua-n'/></interface>\
             <interface type='user'/>\
             <serial type='pty'/><console type='pty'><target type='virtio'/></console>\
             <video><model type='cirrus'/></video><sound model='ich6'/>\
             <watchdog model='i6300esb'/><memballoon model='virtio'/>\
             <rng model='virtio'><backend model='random'>/dev/urandom</backend>\
               <address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/></rng>",
        );
        let d = &def.devices;
        let disks: Vec<_> = d
            .disks
            .iter()
            .map(|x| x.info.alias.clone().unwrap())
            .collect();
        assert_eq!(disks, ["virtio-disk1", "ua-mine", "ide0-1-0", "sata0-0-2"]);
        let nets: Vec<_> = d
            .interfaces
            .iter()
            .map(|x| x.info.alias.clone().unwrap())
            .collect();
        assert_eq!(nets, ["net0", "ua-n", "net1"]);
        let ctrl = |t: &str| {
            d.controllers
                .iter()
                .find(|c| c.ctrl_type == t)
                .and_then(|c| c.info.alias.clone())
        };
        assert_eq!(ctrl("usb").as_deref(), Some("usb"));
        assert_eq!(ctrl("sata").as_deref(), Some("sata0"));
        assert_eq!(d.serials[0].info.alias.as_deref(), Some("serial0"));
        assert_eq!(d.consoles[1].info.alias.as_deref(), Some("console1"));
        assert_eq!(d.videos[0].info.alias.as_deref(), Some("video0"));
        assert_eq!(
            d.memballoon.as_ref().unwrap().info.alias.as_deref(),
            Some("balloon0")
        );
        let xml = def.format_xml(FormatOptions {
            id: Some(1),
            ..FormatOptions::default()
        });
        // libvirt's position: after the backend, before the address.
        assert!(
            xml.contains(
                "<backend model='random'>/dev/urandom</backend>\n      \
                 <alias name='rng0'/>\n      <address type='pci'"
            ),
            "{xml}"
        );
        assert!(xml.contains("<alias name='sound0'/>"), "{xml}");
        assert!(xml.contains("<alias name='watchdog0'/>"), "{xml}");
        // Read back as live status they stay; as a definition only the user aliases do.
        let live = DomainDef::parse_xml(&xml, ParseOptions { live: true }).unwrap();
        let again = live.format_xml(FormatOptions {
            id: Some(1),
            ..FormatOptions::default()
        });
        assert_eq!(again, xml);
        let inactive = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
        let text = inactive.format_xml(FormatOptions::default());
        let aliases: Vec<_> = text.lines().filter(|l| l.contains("<alias")).collect();
        assert_eq!(aliases.len(), 2, "{text}");
        assert!(text.contains("ua-mine") && text.contains("ua-n"), "{text}");
    }

    #[test]
    fn next_net_skips_used_indexes() {
        let mut def = assigned(
            "<interface type='user'><alias name='net3'/></interface><interface type='user'/>",
        );
        // `net3` came from a definition, which keeps no such alias: both are assigned anew.
        assert_eq!(next_net_index(&def), 2);
        def.devices.interfaces[1].info.alias = Some("net7".into());
        assert_eq!(next_net_index(&def), 8);
    }
}
