//! The devices of the command line that are neither storage, network nor character devices:
//! inputs, the watchdog, SCSI controllers, 9p filesystems; and the check that every device the definition
//! holds is one the command line has (a device the driver cannot give QEMU fails the start,
//! it is never left out).

use super::{CommandContext, at_pci, at_usb, device, id_of, raw_devices, raw_info, unsupported};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{ChrDef, ControllerDef, InputDef};
use rvirt_conf::raw::RawElement;
use rvirt_types::Result;
use serde_json::{Value, json};

/// The kinds of `<devices>` children kept as raw elements that the command line emits (or,
/// for leases and USB redirection filters, that have no device of their own).
const EMITTED_RAW: &[&str] = &[
    "filesystem",
    "sound",
    "audio",
    "watchdog",
    "rng",
    "hub",
    "panic",
    "shmem",
    "iommu",
    "lease",
    "redirfilter",
    "redirdev",
    "tpm",
    "memory",
];

/// Refuses a definition with a device the command line would not have.
pub(super) fn check_supported(def: &DomainDef) -> Result<()> {
    if let Some((_, e)) = def
        .devices
        .other
        .iter()
        .find(|(_, e)| !EMITTED_RAW.contains(&e.name.as_str()))
    {
        return Err(unsupported(format!(
            "<{}> devices are not supported by this QEMU driver yet",
            e.name
        )));
    }
    let q35 = crate::defaults::is_q35(def.os.machine.as_deref());
    for c in &def.devices.controllers {
        let ok = match c.ctrl_type.as_str() {
            "pci" | "usb" | "sata" | "virtio-serial" | "scsi" | "isa" => true,
            // The chipset's own controllers, with no -device of their own.
            "ide" | "fdc" => c.index == 0 && !q35,
            _ => false,
        };
        if !ok {
            return Err(unsupported(format!(
                "controller type '{}' with index {} is not supported by this QEMU driver yet",
                c.ctrl_type, c.index
            )));
        }
    }
    if raw_devices(def, "watchdog").count() > 1 {
        return Err(unsupported("only a single watchdog device is supported"));
    }
    Ok(())
}

/// The host folders shared with the guest (`<filesystem type='mount'>`), as libvirt's QEMU
/// driver writes them: over 9p (drivers `path` and `handle`), an `-fsdev` with the access
/// mode, write policy and modes, and its `virtio-9p-pci` device with the mount tag; over
/// virtio-fs, the chardev of virtiofsd's socket and its `vhost-user-fs-pci` device (see
/// `crate::virtiofs`, which starts the daemons).
pub(super) fn filesystems(
    def: &DomainDef,
    ctx: &CommandContext<'_>,
    a: &mut Vec<String>,
) -> Result<()> {
    crate::virtiofs::validate(def)?;
    for fs in raw_devices(def, "filesystem") {
        if fs.attr("type").is_some_and(|t| t != "mount") {
            return Err(unsupported("only supports mount filesystem type"));
        }
        let driver = fs.child("driver");
        let backend = match driver.and_then(|d| d.attr("type")) {
            None | Some("path") => "local",
            Some("handle") => "handle",
            Some("virtiofs") => {
                vhost_user_fs(def, ctx, fs, a)?;
                continue;
            }
            Some(_) => return Err(unsupported("Filesystem driver type not supported")),
        };
        let mode = fs.attr("accessmode").unwrap_or("passthrough");
        if backend == "handle" && mode != "passthrough" {
            return Err(unsupported("only supports passthrough accessmode"));
        }
        // Present only when not zero, and already in octal as `%04o` (the XML parser's form).
        let (fmode, dmode) = (fs.attr("fmode"), fs.attr("dmode"));
        if (fmode.is_some() || dmode.is_some()) && mode != "mapped" {
            return Err(unsupported(
                "fmode and dmode must be used with accessmode=mapped",
            ));
        }
        let (Some(src), Some(tag)) = (
            fs.child("source").and_then(|e| e.attr("dir")),
            fs.child("target").and_then(|e| e.attr("dir")),
        ) else {
            return Err(unsupported(
                "a filesystem needs a source and a target folder for QEMU",
            ));
        };
        let mut opts = backend.to_string();
        if backend == "local" {
            opts.push_str(match mode {
                "mapped" => ",security_model=mapped",
                "squash" => ",security_model=none",
                _ => ",security_model=passthrough",
            });
            if let Some(m) = fs.attr("multidevs").filter(|m| *m != "default") {
                opts.push_str(&format!(",multidevs={m}"));
            }
            for (k, v) in [("fmode", fmode), ("dmode", dmode)] {
                if let Some(v) = v {
                    opts.push_str(&format!(",{k}={v}"));
                }
            }
        }
        if let Some(w) = driver.and_then(|d| d.attr("wrpolicy")) {
            opts.push_str(&format!(",writeout={w}"));
        }
        let info = raw_info(fs);
        let alias = id_of(&info);
        let fsdev = format!("fsdev-{alias}");
        opts.push_str(&format!(",id={fsdev},path={}", src.replace(',', ",,")));
        if fs.child("readonly").is_some() {
            opts.push_str(",readonly");
        }
        a.push("-fsdev".into());
        a.push(opts);
        let model = match fs.attr("model") {
            Some("virtio-transitional") => "virtio-9p-pci-transitional",
            Some("virtio-non-transitional") => "virtio-9p-pci-non-transitional",
            _ => "virtio-9p-pci",
        };
        let dev = json!({"driver": model, "id": alias, "fsdev": fsdev, "mount_tag": tag});
        device(a, at_pci(def, &info, dev));
    }
    Ok(())
}

/// A virtio-fs share: the chardev of the daemon's socket (`chr-vu-fs0`) and the
/// `vhost-user-fs-pci` device with the tag, queue size and boot index.
fn vhost_user_fs(
    def: &DomainDef,
    ctx: &CommandContext<'_>,
    fs: &RawElement,
    a: &mut Vec<String>,
) -> Result<()> {
    let (chardev, sock, dev) = vhost_user_fs_parts(def, &super::private_dir(ctx), fs)?;
    a.push("-chardev".into());
    a.push(format!(
        "socket,id={chardev},path={}",
        sock.display().to_string().replace(',', ",,")
    ));
    device(a, dev);
    Ok(())
}

/// What QEMU is given for virtio-fs share `fs` of `def` (whose private folder is
/// `private_dir`), at start as on a hot-plug: the id of the chardev of virtiofsd's socket
/// (`chr-vu-ALIAS`), that socket, and the `vhost-user-fs-pci` device with the mount tag at
/// its PCI address.
pub(crate) fn vhost_user_fs_parts(
    def: &DomainDef,
    private_dir: &std::path::Path,
    fs: &RawElement,
) -> Result<(String, std::path::PathBuf, Value)> {
    let Some(tag) = fs.child("target").and_then(|e| e.attr("dir")) else {
        return Err(unsupported("a filesystem needs a target for QEMU"));
    };
    let info = raw_info(fs);
    let alias = id_of(&info);
    let chardev = format!("chr-vu-{alias}");
    let sock = crate::virtiofs::socket_path(private_dir, fs, &alias);
    let mut dev = json!({"driver": "vhost-user-fs-pci", "id": alias, "chardev": chardev});
    if let Some(q) = fs
        .child("driver")
        .and_then(|d| d.attr("queue"))
        .and_then(|q| q.parse::<u64>().ok())
    {
        dev["queue-size"] = json!(q);
    }
    dev["tag"] = json!(tag);
    if let Some(b) = fs
        .child("boot")
        .and_then(|b| b.attr("order"))
        .and_then(|o| o.parse::<u32>().ok())
    {
        dev["bootindex"] = json!(b);
    }
    Ok((chardev, sock, at_pci(def, &info, dev)))
}

/// The IOMMU, before every PCI device (QEMU wants it first): Intel's, whose `<driver>`
/// switches become the device's properties, or the paravirtual `virtio-iommu` at its PCI
/// address; with libvirt's checks of the machine (Q35) and, for virtio, of ACPI.
pub(super) fn iommu(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    let Some(e) = raw_devices(def, "iommu").next() else {
        return Ok(());
    };
    let model = e.attr("model").unwrap_or("");
    let q35 = crate::defaults::is_q35(def.os.machine.as_deref());
    let info = raw_info(e);
    match model {
        "intel" if !q35 => {
            return Err(unsupported(
                "IOMMU device: 'intel' is only supported with Q35 machines",
            ));
        }
        "intel" => {}
        "virtio" => {
            if !q35 {
                return Err(unsupported(
                    "IOMMU device: 'virtio' is only supported with Q35 and ARM Virt machines",
                ));
            }
            if !super::has_acpi(def) {
                return Err(unsupported("IOMMU device: 'virtio' requires ACPI"));
            }
            if info
                .address
                .as_ref()
                .is_some_and(|ad| !matches!(ad, rvirt_conf::domain::Address::Pci { .. }))
            {
                return Err(unsupported("IOMMU device: 'virtio' needs a PCI address"));
            }
            let v = json!({"driver": "virtio-iommu", "id": id_of(&info)});
            device(a, at_pci(def, &info, v));
            return Ok(());
        }
        _ => {
            return Err(unsupported(format!(
                "IOMMU model '{model}' is not supported by this QEMU driver yet"
            )));
        }
    }
    let mut v = json!({"driver": "intel-iommu", "id": id_of(&info)});
    if let Some(d) = e.child("driver") {
        let on = |k: &str| d.attr(k).map(|x| x == "on");
        if let Some(x) = d.attr("intremap") {
            v["intremap"] = json!(x);
        }
        if let Some(x) = on("caching_mode") {
            v["caching-mode"] = json!(x);
        }
        if let Some(x) = d.attr("eim") {
            v["eim"] = json!(x);
        }
        if let Some(x) = on("iotlb") {
            v["device-iotlb"] = json!(x);
        }
        if let Some(x) = d.attr("aw_bits").and_then(rvirt_conf::xml::parse_uint_auto) {
            v["aw-bits"] = json!(x);
        }
    }
    device(a, v);
    Ok(())
}

/// Panic notifiers: the ISA pvpanic device (at its I/O port when the address names one) or
/// the PCI one; Hyper-V's is a CPU feature ([`super::machine::cpu_options`]).
pub(super) fn panics(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for e in raw_devices(def, "panic") {
        let info = raw_info(e);
        let v = match e.attr("model").unwrap_or("isa") {
            "isa" => {
                let mut v = json!({"driver": "pvpanic"});
                let iobase = e
                    .child("address")
                    .filter(|a| a.attr("type") == Some("isa"))
                    .and_then(|a| a.attr("iobase"))
                    .and_then(rvirt_conf::xml::parse_uint_auto);
                if let Some(port) = iobase {
                    v["ioport"] = json!(port);
                }
                v
            }
            "pvpanic" => at_pci(
                def,
                &info,
                json!({"driver": "pvpanic-pci", "id": id_of(&info)}),
            ),
            // On the -cpu line (`hv-crash`).
            "hyperv" => continue,
            other => {
                return Err(unsupported(format!(
                    "panic model '{other}' is not supported by this QEMU driver yet"
                )));
            }
        };
        device(a, v);
    }
    Ok(())
}

/// What QEMU is given for shared memory device `e` of `def` (with its alias and PCI
/// address), at start as on a hot-plug (shared memory: a shared file under `/dev/shm` named
/// as the device, and the PCI device on it): its memory backend (`shmmem-ALIAS`, the shared file
/// `/dev/shm/NAME`, 4 MiB unless sized) and its `ivshmem-plain` device.
pub(crate) fn shmem_parts(def: &DomainDef, e: &RawElement) -> Result<(Value, Value)> {
    let model = shmem_model(e);
    if model != "ivshmem-plain" {
        return Err(unsupported(format!(
            "shmem model '{model}' is not supported by this QEMU driver yet"
        )));
    }
    if e.child("server").is_some() {
        return Err(unsupported(
            "shmem server is not supported by this QEMU driver yet",
        ));
    }
    let name = e.attr("name").unwrap_or("");
    let size = shmem_size(e);
    let info = raw_info(e);
    let alias = id_of(&info);
    let mem = super::backend_object("shmem", &alias).unwrap_or_default();
    let object = json!({"qom-type": "memory-backend-file", "id": mem,
                        "mem-path": format!("/dev/shm/{name}"), "size": size, "share": true});
    let dev = at_pci(
        def,
        &info,
        json!({"driver": "ivshmem-plain", "id": alias, "memdev": mem}),
    );
    Ok((object, dev))
}

/// The model of shared memory device `e` (`ivshmem-plain` unless it says).
pub(crate) fn shmem_model(e: &RawElement) -> &str {
    e.child("model")
        .and_then(|m| m.attr("type"))
        .unwrap_or("ivshmem-plain")
}

/// The size of shared memory device `e` in bytes (4 MiB unless it says).
pub(crate) fn shmem_size(e: &RawElement) -> u64 {
    e.child("size")
        .and_then(|s| {
            let n = super::text_of(s)?.parse::<u64>().ok()?;
            let scale = rvirt_conf::units::unit_scale(s.attr("unit").unwrap_or("b"), 1)?;
            n.checked_mul(scale)
        })
        .unwrap_or(4 << 20)
}

/// USB hubs, on the ports their addresses name.
pub(super) fn hubs(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for h in raw_devices(def, "hub") {
        if h.attr("type") != Some("usb") {
            return Err(unsupported(format!(
                "hub type '{}' is not supported",
                h.attr("type").unwrap_or("")
            )));
        }
        let info = raw_info(h);
        device(
            a,
            at_usb(def, &info, json!({"driver": "usb-hub", "id": id_of(&info)})),
        );
    }
    Ok(())
}

/// SCSI controllers.
pub(super) fn scsi_controllers(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for c in def
        .devices
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "scsi")
    {
        device(a, scsi_controller_device(def, c)?);
    }
    Ok(())
}

/// The device of SCSI controller `c` (by its model; LSI Logic's when it has none), at its
/// PCI address, at start as on a hot-plug.
pub(crate) fn scsi_controller_device(def: &DomainDef, c: &ControllerDef) -> Result<Value> {
    let driver = match c.model.as_deref().unwrap_or("lsilogic") {
        "virtio-scsi" => "virtio-scsi-pci",
        "virtio-transitional" => "virtio-scsi-pci-transitional",
        "virtio-non-transitional" => "virtio-scsi-pci-non-transitional",
        "lsilogic" => "lsi",
        "lsisas1068" => "mptsas1068",
        "lsisas1078" => "megasas",
        "vmpvscsi" => "pvscsi",
        "am53c974" => "am53c974",
        "dc390" => "dc-390",
        other => {
            return Err(unsupported(format!(
                "Unsupported controller model: {other}"
            )));
        }
    };
    Ok(at_pci(
        def,
        &c.info,
        json!({"driver": driver, "id": id_of(&c.info)}),
    ))
}

/// Redirected USB devices (`<redirdev bus='usb'>`): each one's chardev, then its
/// `usb-redir` device, as libvirt writes them.
pub(super) fn redirdevs(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for r in raw_devices(def, "redirdev") {
        let (chr, dev) = redirdev_parts(def, r)?;
        a.push("-chardev".into());
        a.push(redirdev_chardev(&chr)?);
        device(a, dev);
    }
    Ok(())
}

/// The `-chardev` value of a redirected USB device's source: a SPICE channel carries USB
/// redirection (`usbredir`), not the agent.
fn redirdev_chardev(chr: &ChrDef) -> Result<String> {
    let id = super::chardev_id(&chr.info);
    if chr.source_type == "spicevmc" {
        return Ok(format!("spicevmc,id={id},name=usbredir"));
    }
    super::chr::chardev_backend(chr, &id, false)
}

/// QMP's `chardev-add` arguments for a redirected USB device's source (see
/// [`redirdev_chardev`]).
pub(crate) fn redirdev_chardev_add(chr: &ChrDef) -> Result<Value> {
    let id = super::chardev_id(&chr.info);
    let mut add = super::chr::chardev_add(chr, &id, false)?;
    if chr.source_type == "spicevmc" {
        add["backend"]["data"]["type"] = json!("usbredir");
    }
    Ok(add)
}

/// What QEMU is given for redirected USB device `r` of `def`, at start as on a hot-plug: its
/// source (as a character device, chardev `charALIAS`) and its `usb-redir` device with the
/// guest's `<redirfilter>` rules, its boot index and its USB port.
pub(crate) fn redirdev_parts(def: &DomainDef, r: &RawElement) -> Result<(ChrDef, Value)> {
    let bus = r.attr("bus").unwrap_or("usb");
    if bus != "usb" {
        return Err(unsupported(format!(
            "Redirection bus {bus} is not supported by QEMU"
        )));
    }
    let info = raw_info(r);
    let chr = super::chr::raw_chardev(r, info.alias.as_deref())?;
    let mut dev = json!({"driver": "usb-redir", "chardev": super::chardev_id(&info),
                         "id": id_of(&info)});
    if let Some(f) = redir_filter(def)? {
        dev["filter"] = json!(f);
    }
    if let Some(order) = r
        .child("boot")
        .and_then(|b| b.attr("order"))
        .and_then(|o| o.trim().parse::<u32>().ok())
    {
        dev["bootindex"] = json!(order);
    }
    Ok((chr, at_usb(def, &info, dev)))
}

/// The guest's `<redirfilter>` as `usb-redir`'s `filter`: a rule per `<usbdev>`
/// (`class:vendor:product:version:allow`, each `-1` when any goes, the version in BCD),
/// joined by `|`; `None` without a filter.
fn redir_filter(def: &DomainDef) -> Result<Option<String>> {
    let Some(f) = raw_devices(def, "redirfilter").next() else {
        return Ok(None);
    };
    let mut rules = Vec::new();
    for u in f.elements().filter(|u| u.name == "usbdev") {
        let hex = |k: &str, width: usize| match u.attr(k).and_then(rvirt_conf::xml::parse_uint_auto)
        {
            Some(n) => format!("0x{n:0width$X}"),
            None => "-1".into(),
        };
        let version = match u.attr("version") {
            None | Some("-1") => "-1".into(),
            Some(v) => format!("0x{:04X}", rvirt_conf::domain::usb_version_bcd(v)?),
        };
        let allow = u8::from(u.attr("allow") == Some("yes"));
        rules.push(format!(
            "{}:{}:{}:{version}:{allow}",
            hex("class", 2),
            hex("vendor", 4),
            hex("product", 4)
        ));
    }
    Ok(Some(rules.join("|")))
}

/// Input devices: USB and virtio ones; PS/2 mouse and keyboard are the chipset's own.
pub(super) fn inputs(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for i in &def.devices.inputs {
        if let Some(v) = input_device(def, i)? {
            device(a, v);
        }
    }
    Ok(())
}

/// The device QEMU is given for input `i` of `def` (with its alias and USB or PCI address),
/// at start as on a hot-plug; `None` for a PS/2 mouse or keyboard, which the machine has.
pub(crate) fn input_device(def: &DomainDef, i: &InputDef) -> Result<Option<Value>> {
    let bus = i.bus.as_deref().unwrap_or("ps2");
    let kind = i.input_type.as_str();
    Ok(Some(match (bus, kind) {
        ("ps2", "mouse" | "keyboard") => return Ok(None),
        ("usb", "mouse" | "tablet" | "keyboard") => {
            let driver = match kind {
                "mouse" => "usb-mouse",
                "tablet" => "usb-tablet",
                _ => "usb-kbd",
            };
            at_usb(
                def,
                &i.info,
                json!({"driver": driver, "id": id_of(&i.info)}),
            )
        }
        ("virtio", "mouse" | "tablet" | "keyboard") => {
            let driver = format!("virtio-{kind}-pci");
            at_pci(
                def,
                &i.info,
                json!({"driver": driver, "id": id_of(&i.info)}),
            )
        }
        _ => {
            return Err(unsupported(format!(
                "input device '{kind}' on bus '{bus}' is not supported by this QEMU driver yet"
            )));
        }
    }))
}

/// The watchdog and what QEMU does when it fires (`-watchdog-action`; libvirt's `dump`
/// pauses the guest, the dump being libvirt's business).
pub(super) fn watchdog(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    let Some(w) = raw_devices(def, "watchdog").next() else {
        return Ok(());
    };
    let (v, action) = watchdog_parts(def, w)?;
    device(a, v);
    a.push("-watchdog-action".into());
    a.push(action.into());
    Ok(())
}

/// What QEMU is given for watchdog `w` of `def` (with its alias and, for an `i6300esb`, its
/// PCI address), at start as on a hot-plug: its device, and the action QEMU takes when it
/// fires.
pub(crate) fn watchdog_parts(def: &DomainDef, w: &RawElement) -> Result<(Value, &'static str)> {
    let info = raw_info(w);
    let v = match w.attr("model").unwrap_or("") {
        "i6300esb" => at_pci(
            def,
            &info,
            json!({"driver": "i6300esb", "id": id_of(&info)}),
        ),
        "ib700" => json!({"driver": "ib700", "id": id_of(&info)}),
        other => {
            return Err(unsupported(format!(
                "watchdog model '{other}' is not supported by this QEMU driver"
            )));
        }
    };
    let action = match w.attr("action").unwrap_or("reset") {
        "dump" => "pause",
        "reset" => "reset",
        "shutdown" => "shutdown",
        "poweroff" => "poweroff",
        "pause" => "pause",
        "none" => "none",
        "inject-nmi" => "inject-nmi",
        other => {
            return Err(unsupported(format!(
                "watchdog action '{other}' is not supported"
            )));
        }
    };
    Ok((v, action))
}
