//! A domain definition turned into a QEMU command line, in QEMU 7.2's modern syntax: JSON
//! `-blockdev`, `-device` and `-netdev`, started stopped (`-S`, resumed with `cont`), with
//! `-no-shutdown` (a guest shutdown pauses QEMU, and the driver decides what happens next), the
//! QMP monitor on a unix socket, and the seccomp sandbox.
//!
//! Device ids are libvirt's aliases (see `alias.rs`: `virtio-disk0`, `net0`, `serial0`,
//! `balloon0`, `rng0`), so that QMP answers and events name devices as libvirt users expect.

use rvirt_conf::DomainDef;
use rvirt_conf::domain::{Address, DeviceInfo, DiskDef, NetDef};
use rvirt_conf::raw::RawElement;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

mod audio;
pub(crate) mod chr;
mod graphics;
mod machine;
mod memory;
mod other;

pub(crate) use memory::{device_in_ram_dir, hotplug_memory_device, on_huge_pages, ram_file_backed};
pub(crate) use other::{
    input_device, redirdev_chardev_add, redirdev_parts, scsi_controller_device, shmem_model,
    shmem_parts, shmem_size, vhost_user_fs_parts, watchdog_parts,
};

/// A QEMU command line: the binary and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QemuCommand {
    /// The emulator.
    pub binary: PathBuf,
    /// The arguments, one per element.
    pub args: Vec<String>,
    /// What QEMU's environment gets beside `LC_ALL` and `PATH` (`SASL_CONF_PATH`).
    pub env: Vec<(String, String)>,
    /// The ids of the thread contexts that preallocate memory on its host nodes, which are
    /// of no further use once QEMU runs (the start deletes them, as libvirt does).
    pub thread_contexts: Vec<String>,
}

impl QemuCommand {
    /// The command as `virConnectDomainXMLToNative` (`qemu-argv`) prints it: the environment
    /// QEMU is started with, the binary and the arguments on one line, quoted for a shell where
    /// needed.
    pub fn to_native(&self) -> String {
        let mut out = String::from(
            "LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ",
        );
        for (k, v) in &self.env {
            out.push_str(&format!("{k}={} ", shell_quote(v)));
        }
        out.push_str(&shell_quote(&self.binary.display().to_string()));
        for a in &self.args {
            out.push(' ');
            out.push_str(&shell_quote(a));
        }
        // As libvirt's virCommandToString: no line end (virsh prints it as it is).
        out
    }
}

/// Quotes `s` for a POSIX shell when it holds anything but safe characters.
fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=,./:@+%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Where the running domain's files go, and how it is accelerated.
#[derive(Clone, Debug)]
pub struct CommandContext<'a> {
    /// The QMP monitor socket QEMU listens on.
    pub monitor: &'a Path,
    /// The emulator, when the definition names none.
    pub default_emulator: &'a Path,
    /// The tap descriptors QEMU inherits, by interface alias (`net0`), one per queue. A tap
    /// interface without an entry (`domxml-to-native`) is written with stand-in numbers.
    pub taps: &'a [(String, Vec<i32>)],
    /// The socket of the guest's TPM emulator (swtpm), started before QEMU. Without one
    /// (`domxml-to-native`) the TPM's chardev is a `null` one, as libvirt prints it then.
    pub tpm_socket: Option<&'a Path>,
    /// The driver's `qemu.conf`.
    pub(crate) config: &'a crate::config::QemuConfig,
    /// The host nodes numad advised for a guest with automatic NUMA placement, which its
    /// memory is bound to (see `crate::numad`); `None` without such advice.
    pub(crate) auto_nodes: Option<&'a str>,
}

/// The domain's private folder: the monitor socket's.
fn private_dir(ctx: &CommandContext<'_>) -> PathBuf {
    ctx.monitor.parent().unwrap_or(Path::new("/")).to_path_buf()
}

fn unsupported(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::QEMU, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// `,` doubled, as QEMU's option syntax wants it inside a value.
fn opt_escape(s: &str) -> String {
    s.replace(',', ",,")
}

/// `-compat` for qemu.conf's `deprecation_behavior`, as libvirt writes it (output first);
/// `None` for `none`, and for a value libvirt does not know (with its warning).
fn compat(behavior: &str, guest: &str) -> Option<String> {
    let input = match behavior {
        "none" => return None,
        "omit" => None,
        "reject" => Some("reject"),
        "crash" => Some("crash"),
        other => {
            tracing::warn!("Unsupported deprecation behavior '{other}' for VM '{guest}'");
            return None;
        }
    };
    Some(match input {
        Some(i) => format!(r#"{{"deprecated-output":"hide","deprecated-input":"{i}"}}"#),
        None => r#"{"deprecated-output":"hide"}"#.to_string(),
    })
}

/// Builds the command line that runs `def`.
pub fn build(def: &DomainDef, ctx: &CommandContext<'_>) -> Result<QemuCommand> {
    // Every device gets its alias, which is its id (the start path assigns them to the live
    // definition first; `domxml-to-native` gets them here).
    let mut named = def.clone();
    crate::alias::assign(&mut named);
    crate::disk_index::assign(&mut named);
    let def = &named;
    let mut a: Vec<String> = Vec::new();
    let mut push = |args: &[&str]| a.extend(args.iter().map(|s| s.to_string()));
    let binary = def
        .devices
        .emulator
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or_else(|| ctx.default_emulator.to_path_buf());

    let cfg = ctx.config;
    let mut env = Vec::new();
    let process = if cfg.set_process_name {
        format!(",process=qemu:{}", opt_escape(&def.name))
    } else {
        String::new()
    };
    push(&[
        "-name",
        &format!("guest={}{process},debug-threads=on", opt_escape(&def.name)),
    ]);
    if let Some(compat) = compat(&cfg.deprecation_behavior, &def.name) {
        push(&["-compat", &compat]);
    }
    push(&["-S"]);
    // The UEFI code and variable store, as block nodes the machine takes as its flash.
    for node in crate::firmware::pflash_blockdevs(def) {
        push(&["-blockdev", &node]);
    }
    // The RAM as a backend object when <memoryBacking> or <numatune> ask for one (shared with
    // virtiofsd, on huge pages, bound to host nodes), which the machine then takes as its
    // memory; guests with NUMA cells get one per cell instead.
    let place = memory::RamPlace::new(&private_dir(ctx), cfg, ctx.auto_nodes);
    let ram = memory::system_ram(def, &place)?;
    let mut machine = def.os.machine.clone().unwrap_or_else(|| "pc".into());
    machine.push_str(",usb=off");
    machine.push_str(&machine::machine_options(def));
    machine.push_str(if cfg.dump_guest_core {
        ",dump-guest-core=on"
    } else {
        ",dump-guest-core=off"
    });
    let backing = def.extras.memory_backing.as_ref();
    if backing.is_some_and(|b| b.nosharepages) {
        machine.push_str(",mem-merge=off");
    }
    if memory::has_nvdimm(def) {
        machine.push_str(",nvdimm=on");
    }
    if ram.is_some() {
        machine.push_str(&format!(",memory-backend={}", memory::RAM_ID));
    }
    machine.push_str(&crate::firmware::machine_options(def));
    if memory::has_hmat(def) {
        machine.push_str(",hmat=on");
    }
    push(&["-machine", &machine]);
    let accel = match &*def.virt_type {
        "kvm" => "kvm",
        "qemu" => "tcg",
        other => {
            return Err(unsupported(format!(
                "domain type '{other}' is not supported by the QEMU driver"
            )));
        }
    };
    push(&["-accel", accel]);
    if let Some(cpu) = &def.extras.cpu {
        if cpu.mode == "host-passthrough" && accel != "kvm" {
            // TCG has no host CPU to pass through (domain capabilities say so too).
            let arch = def.os.arch.as_deref().unwrap_or("x86_64");
            return Err(unsupported(format!(
                "CPU mode 'host-passthrough' for {arch} {} domain on {} host is not supported by hypervisor",
                def.virt_type,
                std::env::consts::ARCH
            )));
        }
        if let Some(model) = machine::cpu_model_arg(cpu) {
            push(&["-cpu", &format!("{model}{}", machine::cpu_options(def))]);
        }
    }
    let loader = crate::firmware::loader_args(def);
    push(&loader.iter().map(String::as_str).collect::<Vec<_>>());
    push(&["-m", &memory::memory_arg(def)]);
    let mut thread_contexts = Vec::new();
    if let Some(ram) = ram {
        let mut objects = Vec::new();
        ram.emit(&mut objects, &mut thread_contexts);
        push(&objects.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let lock = if backing.is_some_and(|b| b.locked) {
        "mem-lock=on"
    } else {
        "mem-lock=off"
    };
    push(&["-overcommit", lock]);
    push(&["-smp", &memory::smp(def)]);
    // libvirt's order of the properties, as its JSON for `-object` has them.
    for t in &def.extras.iothreads {
        let mut o = format!(r#"{{"qom-type":"iothread","id":"iothread{}""#, t.id);
        if let Some(n) = t.pool_min {
            o.push_str(&format!(r#","thread-pool-min":{n}"#));
        }
        if let Some(n) = t.pool_max {
            o.push_str(&format!(r#","thread-pool-max":{n}"#));
        }
        o.push('}');
        push(&["-object", &o]);
    }
    let (numa, contexts) = memory::numa(def, &place)?;
    push(&numa.iter().map(String::as_str).collect::<Vec<_>>());
    thread_contexts.extend(contexts);
    push(&["-uuid", &def.uuid.to_string()]);
    push(&["-no-user-config", "-nodefaults"]);
    push(&[
        "-chardev",
        &format!(
            "socket,id=charmonitor,path={},server=on,wait=off",
            opt_escape(&ctx.monitor.display().to_string())
        ),
    ]);
    push(&["-mon", "chardev=charmonitor,id=monitor,mode=control"]);
    let rtc = match &*def.clock.offset {
        "localtime" => "base=localtime",
        _ => "base=utc",
    };
    push(&["-rtc", &format!("{rtc}{}", machine::rtc_options(def)?)]);
    let timers = machine::timers(def)?;
    push(&timers.iter().map(String::as_str).collect::<Vec<_>>());
    push(&["-no-shutdown"]);
    // Without <acpi/> an x86 guest has no ACPI, as libvirt runs it: no power button, so a
    // shutdown or a (fake) reboot request reaches no one.
    let x86 = def
        .os
        .arch
        .as_deref()
        .is_none_or(|a| a == "x86_64" || a == "i686");
    if x86 && !has_acpi(def) {
        push(&["-no-acpi"]);
    }
    // <pm>: the guest's S3 and S4 sleep states, on the chipset's power-management device
    // (q35's LPC bridge, else PIIX4's), as libvirt sets them.
    let pm_device = if crate::defaults::is_q35(def.os.machine.as_deref()) {
        "ICH9-LPC"
    } else {
        "PIIX4_PM"
    };
    for (state, enabled) in ["s3", "s4"].into_iter().zip(def.extras.pm) {
        if let Some(on) = enabled {
            let global = format!("{pm_device}.disable_{state}={}", u8::from(!on));
            push(&["-global", &global]);
        }
    }
    if def.on_reboot == "destroy" {
        push(&["-no-reboot"]);
    }
    push(&["-boot", "strict=on"]);

    let rest = &def.os.rest;
    if let Some(k) = &rest.kernel {
        push(&["-kernel", k]);
    }
    if let Some(i) = &rest.initrd {
        push(&["-initrd", i]);
    }
    if let Some(c) = &rest.cmdline {
        push(&["-append", c]);
    }
    if let Some(d) = &rest.dtb {
        push(&["-dtb", d]);
    }

    other::check_supported(def)?;
    other::iommu(def, &mut a)?;
    pci_controllers(def, &mut a)?;
    usb_controllers(def, &mut a)?;
    let (devices, contexts) = memory::memory_devices(def, &place)?;
    a.extend(devices);
    thread_contexts.extend(contexts);
    other::hubs(def, &mut a)?;
    other::scsi_controllers(def, &mut a)?;
    virtio_serial_controllers(def, &mut a);
    disks(def, &mut a)?;
    other::filesystems(def, ctx, &mut a)?;
    nets(def, ctx, &mut a)?;
    chr::build(def, &mut a)?;
    crate::tpm::command_line(def, ctx.tpm_socket, &mut a)?;
    other::inputs(def, &mut a)?;
    audio::audiodevs(def, &mut a)?;
    graphics(def, cfg, &mut env, &mut a)?;
    audio::sounds(def, &mut a)?;
    other::watchdog(def, &mut a)?;
    other::redirdevs(def, &mut a)?;
    if let Some(b) = &def.devices.memballoon {
        if b.model == "virtio" {
            a.push("-device".into());
            let v = json!({"driver": "virtio-balloon-pci", "id": id_of(&b.info)});
            a.push(at_pci(def, &b.info, v).to_string());
        } else if b.model != "none" {
            return Err(unsupported(format!(
                "Memory balloon device type '{}' is not supported by this version of qemu",
                b.model
            )));
        }
    }
    // A generator reading an EGD source has its chardev just before its backend.
    for r in raw_devices(def, "rng") {
        if let Some(c) = crate::rng::egd_chardev(r)? {
            a.push("-chardev".into());
            a.push(chr::chardev_backend(&c, &chardev_id(&c.info), false)?);
        }
        let (object, dev) = rng_parts(def, r)?;
        a.push("-object".into());
        a.push(object.to_string());
        device(&mut a, dev);
    }
    machine::vmcoreinfo(def, &mut a);
    other::panics(def, &mut a)?;
    backed_devices(def, &mut a, "shmem", other::shmem_parts)?;
    a.push("-sandbox".into());
    a.push(match cfg.seccomp_sandbox {
        0 => "off".into(),
        _ => "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny".into(),
    });
    if cfg.log_timestamp {
        a.push("-msg".into());
        a.push("timestamp=on".into());
    }
    Ok(QemuCommand {
        binary,
        args: a,
        env,
        thread_contexts,
    })
}

/// The USB controllers: what a USB device (a hotplugged `usb-storage` disk) plugs into. The
/// alias is libvirt's: `usb` for index 0, `usbN` for the others.
fn usb_controllers(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    let q35 = crate::defaults::is_q35(def.os.machine.as_deref());
    for c in def
        .devices
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "usb")
    {
        let model = c
            .model
            .as_deref()
            .unwrap_or(if q35 { "qemu-xhci" } else { "piix3-uhci" });
        let driver = match model {
            "none" => continue,
            "piix3-uhci" => "piix3-usb-uhci",
            "piix4-uhci" => "piix4-usb-uhci",
            "ich9-ehci1" => "ich9-usb-ehci1",
            "ich9-uhci1" => "ich9-usb-uhci1",
            "ich9-uhci2" => "ich9-usb-uhci2",
            "ich9-uhci3" => "ich9-usb-uhci3",
            "ehci" => "usb-ehci",
            "vt82c686b-uhci" => "vt82c686b-usb-uhci",
            "nec-xhci" => "nec-usb-xhci",
            "qemu-xhci" => "qemu-xhci",
            "pci-ohci" => "pci-ohci",
            other => {
                return Err(unsupported(format!(
                    "USB controller model '{other}' is not supported yet"
                )));
            }
        };
        let mut props = json!({"driver": driver});
        // An xHCI controller's port count (USB 2 and USB 3 alike, as libvirt gives it).
        let ports = (c.extra_attrs.iter())
            .find(|(k, _)| k == "ports")
            .and_then(|(_, v)| v.parse::<u32>().ok());
        if let Some(n) = ports {
            if !matches!(model, "nec-xhci" | "qemu-xhci") {
                return Err(unsupported(format!(
                    "usb controller type '{model}' doesn't support 'ports' with this QEMU binary"
                )));
            }
            props["p2"] = json!(n);
            props["p3"] = json!(n);
        }
        // A companion controller hangs off its master's bus, from its first port, with no
        // id of its own (libvirt's qemuBuildUSBControllerDevProps).
        let companion = |x: &rvirt_conf::domain::ControllerDef| {
            (x.extra.iter())
                .find(|e| e.name == "master")
                .map(|m| m.attr("startport").and_then(|p| p.parse::<u32>().ok()))
        };
        match companion(c) {
            Some(start) => {
                let master = (def.devices.controllers.iter())
                    .find(|m| m.ctrl_type == "usb" && m.index == c.index && companion(m).is_none());
                let Some(master) = master else {
                    return Err(Error::internal(ErrorDomain::QEMU, "masterbus not found"));
                };
                props["masterbus"] = json!(format!("{}.0", id_of(&master.info)));
                props["firstport"] = json!(start.unwrap_or(0));
            }
            None => props["id"] = json!(id_of(&c.info)),
        }
        device(a, at_pci(def, &c.info, props));
    }
    // SATA controllers a machine does not have built in (q35 has `ide`).
    for c in def
        .devices
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "sata" && c.info.alias.as_deref() != Some("ide"))
    {
        device(
            a,
            at_pci(
                def,
                &c.info,
                json!({"driver": "ahci", "id": id_of(&c.info)}),
            ),
        );
    }
    Ok(())
}

/// A device's QEMU id: its alias ([`build`] gives every device one).
/// Whether the guest has ACPI (`<features><acpi/>`).
fn has_acpi(def: &DomainDef) -> bool {
    def.features
        .as_ref()
        .is_some_and(|f| f.iter().any(|e| e.name == "acpi"))
}

fn id_of(info: &DeviceInfo) -> String {
    info.alias.clone().unwrap_or_default()
}

/// The id of the chardev behind a character device: `char` and its alias (`charserial0`).
pub(crate) fn chardev_id(info: &DeviceInfo) -> String {
    format!("char{}", id_of(info))
}

/// Puts a PCI device where its `<address>` says (`bus=pci.0,addr=0x3`), so that the guest's
/// PCI layout is the one the XML shows.
pub(crate) fn at_pci(def: &DomainDef, info: &DeviceInfo, mut v: Value) -> Value {
    if let Some((bus, addr)) = crate::pci::qemu_bus_addr(def, info) {
        v["bus"] = json!(bus);
        if crate::pci::multifunction(info) {
            v["multifunction"] = json!(true);
        }
        v["addr"] = json!(addr);
    }
    v
}

/// Puts a USB device on the port its `<address type='usb'>` names (`bus=usb.0,port=1`).
pub(crate) fn at_usb(def: &DomainDef, info: &DeviceInfo, mut v: Value) -> Value {
    if let Some(Address::Usb { bus, port }) = &info.address {
        let ctrl = def
            .devices
            .controllers
            .iter()
            .find(|c| c.ctrl_type == "usb" && c.index == *bus)
            .map(|c| id_of(&c.info))
            .unwrap_or_else(|| match bus {
                0 => "usb".into(),
                n => format!("usb{n}"),
            });
        v["bus"] = json!(format!("{ctrl}.0"));
        if let Some(p) = port {
            v["port"] = json!(p);
        }
    }
    v
}

/// The devices of `def` kept as raw elements named `name` (`sound`, `watchdog`…).
fn raw_devices<'a>(def: &'a DomainDef, name: &'a str) -> impl Iterator<Item = &'a RawElement> {
    def.devices
        .other
        .iter()
        .map(|(_, e)| e)
        .filter(move |e| e.name == name)
}

/// The alias and PCI or USB address of a device kept as a raw element (sound, watchdog, rng).
fn raw_info(e: &RawElement) -> DeviceInfo {
    let mut info = DeviceInfo {
        alias: rvirt_conf::domain::raw_alias(e).map(str::to_string),
        ..DeviceInfo::default()
    };
    if let Some(addr) = child(e, "address") {
        let n = |k: &str| {
            addr.attr(k)
                .and_then(rvirt_conf::xml::parse_uint_auto)
                .unwrap_or(0)
        };
        info.address = match addr.attr("type") {
            Some("pci") => Some(Address::Pci {
                domain: n("domain"),
                bus: n("bus"),
                slot: n("slot"),
                function: n("function"),
                multifunction: addr.attr("multifunction").map(str::to_string),
            }),
            Some("usb") => Some(Address::Usb {
                bus: n("bus"),
                port: addr.attr("port").map(str::to_string),
            }),
            _ => None,
        };
    }
    info
}

/// The PCI controllers beyond the root bus (bridges, root ports), which every device on them
/// needs before it: in index order.
fn pci_controllers(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    let mut ctrls: Vec<_> = def
        .devices
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "pci" && c.index > 0)
        .collect();
    ctrls.sort_by_key(|c| c.index);
    for c in ctrls {
        let target = |k: &str| {
            c.extra
                .iter()
                .find(|e| e.name == "target")
                .and_then(|t| t.attr(k))
                .and_then(rvirt_conf::xml::parse_uint_auto)
        };
        let v = match c.model.as_deref().unwrap_or("") {
            "pci-bridge" => json!({"driver": "pci-bridge",
                "chassis_nr": target("chassisNr").unwrap_or(c.index), "id": id_of(&c.info)}),
            "pcie-root-port" => json!({"driver": "pcie-root-port",
                "port": target("port").unwrap_or(0), "chassis": target("chassis").unwrap_or(c.index),
                "id": id_of(&c.info)}),
            "pcie-to-pci-bridge" => json!({"driver": "pcie-pci-bridge", "id": id_of(&c.info)}),
            "dmi-to-pci-bridge" => json!({"driver": "i82801b11-bridge", "id": id_of(&c.info)}),
            other => {
                return Err(unsupported(format!(
                    "PCI controller model '{other}' is not supported yet"
                )));
            }
        };
        device(a, at_pci(def, &c.info, v));
    }
    Ok(())
}

fn device(a: &mut Vec<String>, v: Value) {
    a.push("-device".into());
    a.push(v.to_string());
}

fn boot_index(v: &mut Value, order: Option<u32>) {
    if let Some(o) = order {
        v["bootindex"] = json!(o);
    }
}

fn disks(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    // Legacy `<os><boot dev>` order, mapped onto the first disk of each kind as libvirt does.
    let boot_rank = |kind: &str| def.os.boot_devs.iter().position(|d| d == kind);
    let mut first_hd = true;
    let mut first_cd = true;
    for (i, d) in def.devices.disks.iter().enumerate() {
        let n = i + 1;
        let Some(path) = d.source_path() else {
            if d.device == "cdrom" && d.bus == "scsi" {
                let mut dev = scsi_disk(def, d, json!({"driver": "scsi-cd"}))?;
                dev["id"] = json!(id_of(&d.info));
                boot_index(&mut dev, d.info.boot_order);
                device(a, dev);
                continue;
            }
            if d.device == "cdrom" && (d.bus == "ide" || d.bus == "sata") {
                // An empty CD-ROM drive: a device with no medium, named and placed by its
                // target as one with a medium is (update-device inserts media through the id).
                let mut dev = ide_device(def, d, i, "ide-cd");
                dev["id"] = json!(id_of(&d.info));
                boot_index(&mut dev, d.info.boot_order);
                device(a, dev);
                continue;
            }
            return Err(unsupported(format!(
                "disk '{}' has no source",
                d.target_dev
            )));
        };
        let actual = d.actual_type();
        if actual != "file" && actual != "block" {
            return Err(unsupported(format!(
                "disk type '{actual}' is not supported yet"
            )));
        }
        let format = d
            .driver
            .iter()
            .find(|(k, _)| k == "type")
            .map(|(_, v)| v.as_str())
            .unwrap_or("raw");
        let readonly = d.readonly || d.device == "cdrom";
        let n = crate::disk_index::index_of(d).unwrap_or(n as u64);
        let storage = format!("libvirt-{n}-storage");
        let fmt = format!("libvirt-{n}-format");
        let driver = if actual == "block" {
            "host_device"
        } else {
            "file"
        };
        a.push("-blockdev".into());
        a.push(
            json!({"driver": driver, "filename": path, "node-name": storage,
                   "auto-read-only": true, "discard": "unmap"})
            .to_string(),
        );
        a.push("-blockdev".into());
        a.push(
            json!({"node-name": fmt, "read-only": readonly, "driver": format, "file": storage})
                .to_string(),
        );
        let mut order = d.info.boot_order;
        if order.is_none() {
            let kind = if d.device == "cdrom" { "cdrom" } else { "hd" };
            let first = if kind == "cdrom" {
                std::mem::replace(&mut first_cd, false)
            } else {
                std::mem::replace(&mut first_hd, false)
            };
            if first {
                order = boot_rank(kind).map(|r| r as u32 + 1);
            }
        }
        // libvirt's order: the driver, the device's place, the drive, the id, the boot index,
        // then what else the bus has.
        let mut removable = None;
        let mut dev = match (d.bus.as_str(), d.device.as_str()) {
            ("virtio", "disk") => at_pci(def, &d.info, json!({"driver": "virtio-blk-pci"})),
            ("ide" | "sata", dev) => {
                let driver = if dev == "cdrom" { "ide-cd" } else { "ide-hd" };
                ide_device(def, d, i, driver)
            }
            ("usb", "disk") => {
                removable = Some(
                    d.target_extra
                        .iter()
                        .any(|(k, v)| k == "removable" && v == "on"),
                );
                at_usb(def, &d.info, json!({"driver": "usb-storage"}))
            }
            ("scsi", dev @ ("disk" | "cdrom")) => {
                let driver = if dev == "cdrom" { "scsi-cd" } else { "scsi-hd" };
                scsi_disk(def, d, json!({"driver": driver}))?
            }
            (bus, dev) => {
                return Err(unsupported(format!(
                    "disk bus '{bus}' with device '{dev}' is not supported yet"
                )));
            }
        };
        dev["drive"] = json!(fmt);
        dev["id"] = json!(id_of(&d.info));
        boot_index(&mut dev, order);
        if let Some(r) = removable {
            dev["removable"] = json!(r);
        }
        device(a, dev);
    }
    Ok(())
}

/// An IDE or SATA drive's device before its drive and id: the driver, then its bus and (on
/// IDE, where a bus has two units) unit; a SATA port is a bus of its own.
fn ide_device(def: &DomainDef, d: &DiskDef, i: usize, driver: &str) -> Value {
    let (bus, unit) = ide_bus_unit(def, d, i);
    let mut v = json!({"driver": driver, "bus": bus});
    if d.bus == "ide" {
        v["unit"] = json!(unit);
    }
    v
}

/// A SCSI disk's place on its controller, as libvirt names it: LSI Logic-like controllers by
/// bus and unit, the others by channel, target and LUN on their one bus.
pub(crate) fn scsi_disk(def: &DomainDef, d: &DiskDef, mut v: Value) -> Result<Value> {
    let Some(Address::Drive {
        controller,
        bus,
        target,
        unit,
    }) = d.info.address
    else {
        return Err(unsupported(format!(
            "SCSI disk '{}' has no drive address",
            d.target_dev
        )));
    };
    let ctrl = def
        .devices
        .controllers
        .iter()
        .find(|c| c.ctrl_type == "scsi" && c.index == controller)
        .ok_or_else(|| {
            Error::internal(
                ErrorDomain::QEMU,
                format!("unable to find a SCSI controller for idx={controller}"),
            )
        })?;
    let alias = id_of(&ctrl.info);
    match ctrl.model.as_deref() {
        None | Some("lsilogic" | "dc390" | "am53c974") => {
            v["bus"] = json!(format!("{alias}.{bus}"));
            v["scsi-id"] = json!(unit);
        }
        _ => {
            v["bus"] = json!(format!("{alias}.0"));
            v["channel"] = json!(bus);
            v["scsi-id"] = json!(target);
            v["lun"] = json!(unit);
        }
    }
    v["device_id"] = json!(format!("drive-{}", id_of(&d.info)));
    Ok(v)
}

/// The QEMU bus and unit of an IDE or SATA disk, from its drive address (`hdc` → `ide.1`,
/// unit 0; a SATA disk's unit is a port, a bus of its own: `ide.2` on q35's controller).
fn ide_bus_unit(def: &DomainDef, d: &DiskDef, position: usize) -> (String, u32) {
    let (controller, bus, unit) = match d.info.address {
        Some(Address::Drive {
            controller,
            bus,
            unit,
            ..
        }) => (controller, bus, unit),
        _ => {
            let index =
                rvirt_conf::domain::disk_name_to_index(&d.target_dev).unwrap_or(position as u32);
            (0, index / 2, index % 2)
        }
    };
    if d.bus == "ide" {
        return (format!("ide.{bus}"), unit);
    }
    let ctrl = def
        .devices
        .controllers
        .iter()
        .find(|c| c.ctrl_type == "sata" && c.index == controller)
        .and_then(|c| c.info.alias.clone())
        .unwrap_or_else(|| format!("sata{controller}"));
    (format!("{ctrl}.{unit}"), 0)
}

/// A disk's QEMU device id: its alias, or the one libvirt would give it (`virtio-disk1` for
/// `vdb`, `ide0-1-0` for `hdc`).
pub(crate) fn disk_device_id(d: &DiskDef) -> String {
    crate::alias::disk_alias(d)
}

/// The device id (libvirt's alias) [`build`] gives disk `i` of `def`, if it makes one: what
/// `query-blockstats` names its counters by.
pub(crate) fn disk_device_id_of(def: &DomainDef, i: usize) -> Option<String> {
    let d = def.devices.disks.get(i)?;
    if d.source_path().is_none() && d.device != "cdrom" {
        return None;
    }
    match (d.bus.as_str(), d.device.as_str()) {
        ("virtio", "disk")
        | ("ide", _)
        | ("sata", _)
        | ("scsi", "disk" | "cdrom")
        | ("usb", "disk") => Some(disk_device_id(d)),
        _ => None,
    }
}

/// The `-netdev` (or `netdev_add`) of interface `n` (id `netdev`): user-mode networking, or
/// the tap device whose descriptors QEMU has (`fds`: numbers it inherited, or names passed
/// over the monitor; stand-in numbers counted from `next_fd` when there are none, as
/// `domxml-to-native` has no device to open).
pub(crate) fn netdev_props(
    n: &NetDef,
    netdev: &str,
    fds: Option<Vec<String>>,
    next_fd: &mut i32,
) -> Result<Value> {
    match n.net_type.as_str() {
        "user" => Ok(json!({"type": "user", "id": netdev})),
        "bridge" | "ethernet" | "network" | "direct" => {
            let fds: Vec<String> = match fds {
                Some(f) => f,
                None => (0..crate::nethost::queues(n))
                    .map(|_| {
                        *next_fd += 1;
                        next_fd.to_string()
                    })
                    .collect(),
            };
            let mut props = if fds.len() > 1 {
                json!({"type": "tap", "fds": fds.join(":")})
            } else {
                json!({"type": "tap", "fd": fds.concat()})
            };
            if let Some(b) = n.sndbuf() {
                props["sndbuf"] = json!(b);
            }
            props["id"] = json!(netdev);
            Ok(props)
        }
        _ if n.on_socket() => {
            // QEMU's socket netdev: listening, connecting, on a multicast group, or over udp
            // between two addresses (libvirt's qemuBuildHostNetProps).
            let at = |addr: Option<&str>, port: Option<&str>| {
                format!("{}:{}", addr.unwrap_or(""), port.unwrap_or("0"))
            };
            let peer = at(n.source_attr("address"), n.source_attr("port"));
            let key = match n.net_type.as_str() {
                "server" => "listen",
                "client" => "connect",
                "mcast" => "mcast",
                _ => "udp",
            };
            let mut props = json!({"type": "socket"});
            props[key] = json!(peer);
            if let Some((addr, port)) = &n.source_local {
                props["localaddr"] = json!(format!("{addr}:{port}"));
            }
            props["id"] = json!(netdev);
            Ok(props)
        }
        other => Err(unsupported(format!(
            "interface type '{other}' is not supported yet"
        ))),
    }
}

/// The NIC of interface `n` (QEMU device `driver`, on netdev `netdev`) before its address,
/// its properties in libvirt's order: the model, a virtio NIC's own ones, then the netdev,
/// the id and the MAC.
pub(crate) fn nic_device(n: &NetDef, driver: &str, netdev: &str, id: &str) -> Value {
    let mut dev = json!({"driver": driver});
    if driver == "virtio-net-pci" {
        virtio_net_props(n, &mut dev);
    }
    dev["netdev"] = json!(netdev);
    dev["id"] = json!(id);
    dev["mac"] = json!(n.mac);
    dev
}

/// The NIC properties of a virtio interface beyond its model: several queues (`mq`, and
/// `2N+2` MSI-X vectors), the MTU the guest is told of (`host_mtu`) and failover.
fn virtio_net_props(n: &NetDef, dev: &mut Value) {
    let queues = crate::nethost::queues(n);
    if queues > 1 {
        dev["mq"] = json!(true);
        dev["vectors"] = json!(2 * queues + 2);
    }
    if let Some(m) = crate::nethost::mtu(n) {
        dev["host_mtu"] = json!(m);
    }
    // The persistent side of a failover pair (libvirt's `<teaming type='persistent'/>`).
    if matches!(n.teaming(), Some(("persistent", _))) {
        dev["failover"] = json!(true);
    }
}

fn nets(def: &DomainDef, ctx: &CommandContext<'_>, a: &mut Vec<String>) -> Result<()> {
    let boot = def.os.boot_devs.iter().position(|d| d == "network");
    let mut next_fd = 2;
    for (i, n) in def.devices.interfaces.iter().enumerate() {
        let netdev = format!("host{}", id_of(&n.info));
        let fds = ctx
            .taps
            .iter()
            .find(|(alias, _)| *alias == id_of(&n.info))
            .map(|(_, f)| f.iter().map(i32::to_string).collect());
        let props = netdev_props(n, &netdev, fds, &mut next_fd)?;
        a.push("-netdev".into());
        a.push(props.to_string());
        let model = match n.model.as_deref().unwrap_or("virtio") {
            "virtio" => "virtio-net-pci",
            "e1000" => "e1000",
            "e1000e" => "e1000e",
            "rtl8139" => "rtl8139",
            other => {
                return Err(unsupported(format!(
                    "interface model '{other}' is not supported yet"
                )));
            }
        };
        let mut dev = at_pci(def, &n.info, nic_device(n, model, &netdev, &id_of(&n.info)));
        let order = n
            .info
            .boot_order
            .or(boot.filter(|_| i == 0).map(|r| r as u32 + 1));
        boot_index(&mut dev, order);
        device(a, dev);
    }
    Ok(())
}

/// Every virtio-serial controller (their PCI slots are part of the guest's layout), before
/// the ports and consoles that sit on them.
fn virtio_serial_controllers(def: &DomainDef, a: &mut Vec<String>) {
    for c in def
        .devices
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "virtio-serial")
    {
        let v = json!({"driver": "virtio-serial-pci", "id": id_of(&c.info)});
        device(a, at_pci(def, &c.info, v));
    }
}

/// The consoles (`command/graphics.rs`), then the video devices.
fn graphics(
    def: &DomainDef,
    cfg: &crate::config::QemuConfig,
    env: &mut Vec<(String, String)>,
    a: &mut Vec<String>,
) -> Result<()> {
    graphics::consoles(def, cfg, env, a)?;
    for (i, v) in def.devices.videos.iter().enumerate() {
        let driver = match v.model.as_str() {
            "vga" => "VGA",
            "cirrus" => "cirrus-vga",
            "vmvga" => "vmware-svga",
            "virtio" if i == 0 => "virtio-vga",
            "virtio" => "virtio-gpu-pci",
            "qxl" if i == 0 => "qxl-vga",
            "bochs" => "bochs-display",
            "none" => continue,
            other => {
                return Err(unsupported(format!(
                    "video model '{other}' is not supported yet"
                )));
            }
        };
        let mut dev = json!({"driver": driver, "id": id_of(&v.info)});
        // The sizes QEMU takes from the XML, as libvirt passes them (`p:` options: left out
        // when zero).
        let mut opt = |k: &str, n: u64| {
            if n > 0 {
                dev[k] = json!(n);
            }
        };
        match v.model.as_str() {
            "virtio" => opt("max_outputs", u64::from(v.heads)),
            "vga" | "vmvga" => opt("vgamem_mb", u64::from(v.vram / 1024)),
            "bochs" => opt("vgamem", u64::from(v.vram) * 1024),
            "qxl" => {
                opt("max_outputs", u64::from(v.heads));
                opt("ram_size", u64::from(v.ram) * 1024);
                opt("vram_size", u64::from(v.vram) * 1024);
                dev["vram64_size_mb"] = json!(v.vram64 / 1024);
                dev["vgamem_mb"] = json!(v.vgamem / 1024);
            }
            _ => {}
        }
        device(a, at_pci(def, &v.info, dev));
    }
    Ok(())
}

/// The devices of `def` named `name` that QEMU takes as a backend object and a device, each
/// as `parts` makes them (`shmem_parts`).
fn backed_devices(
    def: &DomainDef,
    a: &mut Vec<String>,
    name: &str,
    parts: fn(&DomainDef, &RawElement) -> Result<(Value, Value)>,
) -> Result<()> {
    for e in raw_devices(def, name) {
        let (object, dev) = parts(def, e)?;
        a.push("-object".into());
        a.push(object.to_string());
        device(a, dev);
    }
    Ok(())
}

/// The id of the backend object of the random number generator (`rng`: `objALIAS`) or shared
/// memory device (`shmem`: `shmmem-ALIAS`) with alias `alias`; `None` for another device.
pub(crate) fn backend_object(name: &str, alias: &str) -> Option<String> {
    match name {
        "rng" => Some(format!("obj{alias}")),
        "shmem" => Some(format!("shmmem-{alias}")),
        _ => None,
    }
}

/// What QEMU is given for random number generator `r` of `def` (with its alias and PCI
/// address), at start as on a hot-plug: its backend object (`objALIAS`: `rng-random` reading
/// a host file, `/dev/random` unless said; `rng-egd` reading through chardev `charALIAS`; or
/// `rng-builtin`) and its `virtio-rng-pci`
/// device, limited to `<rate bytes>` per `period` milliseconds (1000 unless said) when a rate
/// is given.
pub(crate) fn rng_parts(def: &DomainDef, r: &RawElement) -> Result<(Value, Value)> {
    if r.attr("model") != Some("virtio") {
        return Err(unsupported("only virtio rng devices are supported"));
    }
    let backend = child(r, "backend");
    let info = raw_info(r);
    let alias = id_of(&info);
    let obj = backend_object("rng", &alias).unwrap_or_default();
    let object = match backend.and_then(|b| b.attr("model")).unwrap_or("random") {
        "random" => {
            let file = backend
                .and_then(text_of)
                .unwrap_or_else(|| crate::rng::DEFAULT_FILE.into());
            json!({"qom-type": "rng-random", "id": obj, "filename": file})
        }
        "builtin" => json!({"qom-type": "rng-builtin", "id": obj}),
        "egd" => json!({"qom-type": "rng-egd", "id": obj, "chardev": format!("char{alias}")}),
        model => {
            return Err(unsupported(format!(
                "rng backend '{model}' is not supported yet"
            )));
        }
    };
    let mut dev = json!({"driver": "virtio-rng-pci", "rng": obj, "id": alias});
    let rate = child(r, "rate");
    let number = |name: &str| -> u64 {
        rate.and_then(|t| t.attr(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let bytes = number("bytes");
    if bytes > 0 {
        let period = match number("period") {
            0 => 1000,
            p => p,
        };
        dev["max-bytes"] = json!(bytes);
        dev["period"] = json!(period);
    }
    Ok((object, at_pci(def, &info, dev)))
}

fn child<'a>(e: &'a RawElement, name: &str) -> Option<&'a RawElement> {
    e.children.iter().find_map(|c| match c {
        rvirt_conf::raw::RawNode::Element(el) if el.name == name => Some(el),
        _ => None,
    })
}

fn text_of(e: &RawElement) -> Option<String> {
    let t: String = e
        .children
        .iter()
        .filter_map(|c| match c {
            rvirt_conf::raw::RawNode::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::ParseOptions;

    /// The settings of a driver with no `qemu.conf`.
    fn test_config() -> crate::config::QemuConfig {
        crate::config::QemuConfig::defaults(Path::new("/r/etc"), false)
    }

    fn argv(xml: &str) -> Vec<String> {
        let def = DomainDef::parse_xml(xml, ParseOptions::default()).unwrap();
        let ctx = CommandContext {
            monitor: Path::new("/r/lib/qemu/domain-1-t/monitor.sock"),
            default_emulator: Path::new("/usr/bin/qemu-system-x86_64"),
            taps: &[],
            tpm_socket: None,
            config: &test_config(),
            auto_nodes: None,
        };
        build(&def, &ctx).unwrap().args
    }

    fn after<'a>(a: &'a [String], opt: &str) -> Vec<&'a str> {
        a.windows(2)
            .filter(|w| w[0] == opt)
            .map(|w| w[1].as_str())
            .collect()
    }

    const MINIMAL: &str = "<domain type='qemu'><name>t</name>\
        <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>65536</memory>\
        <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os></domain>";

    #[test]
    fn acpi_only_when_the_definition_asks() {
        assert!(argv(MINIMAL).contains(&"-no-acpi".to_string()));
        let with = MINIMAL.replace("</os>", "</os><features><acpi/></features>");
        assert!(!argv(&with).contains(&"-no-acpi".to_string()));
    }

    #[test]
    fn minimal_guest() {
        let a = argv(MINIMAL);
        assert_eq!(after(&a, "-name"), ["guest=t,debug-threads=on"]);
        assert_eq!(after(&a, "-accel"), ["tcg"]);
        assert_eq!(after(&a, "-m"), ["64"]);
        assert_eq!(after(&a, "-smp"), ["1,sockets=1,cores=1,threads=1"]);
        assert_eq!(after(&a, "-uuid"), ["c7a5fdbd-edaf-9455-926a-d65c16db1809"]);
        assert_eq!(
            after(&a, "-machine"),
            ["pc-i440fx-7.2,usb=off,dump-guest-core=off"]
        );
        assert_eq!(
            after(&a, "-chardev"),
            ["socket,id=charmonitor,path=/r/lib/qemu/domain-1-t/monitor.sock,server=on,wait=off"]
        );
        assert_eq!(after(&a, "-display"), ["none"]);
        for flag in ["-S", "-no-shutdown", "-nodefaults", "-no-user-config"] {
            assert!(a.iter().any(|x| x == flag), "{flag} missing from {a:?}");
        }
        assert!(after(&a, "-sandbox")[0].starts_with("on,"));
    }

    #[test]
    fn pm_states_go_to_the_chipsets_power_management_device() {
        let pm = |machine: &str, pm: &str| {
            let a = argv(&format!(
                "<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory>\
                 <os><type arch='x86_64' machine='{machine}'>hvm</type></os>{pm}</domain>"
            ));
            after(&a, "-global")
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pm("pc", "<pm><suspend-to-mem enabled='no'/></pm>"),
            ["PIIX4_PM.disable_s3=1"]
        );
        assert_eq!(
            pm(
                "q35",
                "<pm><suspend-to-disk enabled='no'/><suspend-to-mem enabled='yes'/></pm>"
            ),
            ["ICH9-LPC.disable_s3=0", "ICH9-LPC.disable_s4=1"]
        );
        assert!(pm("pc", "").is_empty());
    }

    #[test]
    fn kvm_and_devices() {
        let a = argv(
            "<domain type='kvm'><name>g</name><memory unit='MiB'>128</memory><vcpu>2</vcpu>\
             <os><type arch='x86_64'>hvm</type><kernel>/k</kernel><initrd>/i</initrd>\
             <cmdline>console=ttyS0</cmdline></os>\
             <devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
               <source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/></disk>\
             <disk type='file' device='cdrom'><source file='/img/b.iso'/>\
               <target dev='hdc' bus='ide'/><readonly/></disk>\
             <interface type='user'><mac address='52:54:00:11:22:33'/><model type='virtio'/></interface>\
             <serial type='file'><source path='/tmp/s.log'/><target port='0'/></serial>\
             <graphics type='vnc' port='5901'/>\
             <memballoon model='virtio'/>\
             <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\
             </devices></domain>",
        );
        assert_eq!(after(&a, "-accel"), ["kvm"]);
        assert_eq!(after(&a, "-m"), ["128"]);
        assert_eq!(after(&a, "-kernel"), ["/k"]);
        assert_eq!(after(&a, "-initrd"), ["/i"]);
        assert_eq!(after(&a, "-append"), ["console=ttyS0"]);
        let bd = after(&a, "-blockdev");
        assert_eq!(bd.len(), 4);
        let v: Value = serde_json::from_str(bd[1]).unwrap();
        assert_eq!(v["driver"], "qcow2");
        assert_eq!(v["read-only"], false);
        let v: Value = serde_json::from_str(bd[3]).unwrap();
        assert_eq!(v["read-only"], true);
        let devs: Vec<Value> = after(&a, "-device")
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let by_id = |id: &str| devs.iter().find(|d| d["id"] == id).unwrap().clone();
        assert_eq!(by_id("virtio-disk0")["driver"], "virtio-blk-pci");
        assert_eq!(by_id("virtio-disk0")["bootindex"], 1);
        assert_eq!(by_id("ide0-1-0")["driver"], "ide-cd");
        assert_eq!(by_id("net0")["mac"], "52:54:00:11:22:33");
        assert_eq!(by_id("serial0")["driver"], "isa-serial");
        assert_eq!(by_id("balloon0")["driver"], "virtio-balloon-pci");
        assert_eq!(by_id("rng0")["rng"], "objrng0");
        assert_eq!(after(&a, "-netdev"), [r#"{"type":"user","id":"hostnet0"}"#]);
        assert!(after(&a, "-chardev").contains(&"file,id=charserial0,path=/tmp/s.log"));
        // No address: a start fills in the listen first (`graphics::setup_listens`).
        assert_eq!(after(&a, "-vnc"), [":1,audiodev=audio1"]);
        assert!(after(&a, "-display").is_empty());
    }

    fn devices(a: &[String]) -> Vec<Value> {
        after(a, "-device")
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn sound_watchdog_channels_inputs() {
        let a = argv(&MINIMAL.replace(
            "</os>",
            "</os><devices><controller type='virtio-serial' index='0'/>\
             <channel type='unix'><source mode='bind' path='/r/ga.sock'/>\
               <target type='virtio' name='org.qemu.guest_agent.0'/>\
               <address type='virtio-serial' controller='0' bus='0' port='1'/></channel>\
             <input type='tablet' bus='usb'><address type='usb' bus='0' port='1'/></input>\
             <sound model='ich9'><codec type='micro'/><codec type='output'/></sound>\
             <sound model='ac97'/><audio id='1' type='none'/>\
             <watchdog model='ib700' action='dump'/></devices>",
        ));
        let devs = devices(&a);
        let by_id = |id: &str| devs.iter().find(|d| d["id"] == id).unwrap().clone();
        assert_eq!(
            by_id("channel0"),
            json!({"driver": "virtserialport", "bus": "virtio-serial0.0", "nr": 1,
                   "chardev": "charchannel0", "id": "channel0",
                   "name": "org.qemu.guest_agent.0"})
        );
        assert!(
            after(&a, "-chardev")
                .contains(&"socket,id=charchannel0,path=/r/ga.sock,server=on,wait=off")
        );
        assert_eq!(
            by_id("input0"),
            json!({"driver": "usb-tablet", "id": "input0", "bus": "usb.0", "port": "1"})
        );
        assert_eq!(by_id("sound0")["driver"], "ich9-intel-hda");
        assert_eq!(
            by_id("sound0-codec1"),
            json!({"driver": "hda-output", "id": "sound0-codec1", "bus": "sound0.0",
                   "cad": 1, "audiodev": "audio1"})
        );
        assert_eq!(by_id("sound0-codec0")["driver"], "hda-micro");
        assert_eq!(by_id("sound1")["audiodev"], "audio1");
        assert_eq!(
            after(&a, "-audiodev"),
            [r#"{"id":"audio1","driver":"none"}"#]
        );
        assert_eq!(by_id("watchdog0")["driver"], "ib700");
        // libvirt dumps the guest itself: QEMU only pauses it.
        assert_eq!(after(&a, "-watchdog-action"), ["pause"]);
    }

    #[test]
    fn filesystems_are_9p_shares() {
        // libvirt 9.0's command line for the same two shares (its domxml-to-native).
        let a = argv(
            "<domain type='qemu'><name>g</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <filesystem type='mount'><source dir='/tmp'/><target dir='t'/>\
               <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>\
             </filesystem>\
             <filesystem type='mount' accessmode='mapped'>\
               <driver type='path' wrpolicy='immediate'/><source dir='/var/tmp'/>\
               <target dir='v'/><readonly/>\
               <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\
             </filesystem>\
             <filesystem accessmode='mapped' fmode='644' dmode='0755' multidevs='remap'>\
               <source dir='/a,b'/><target dir='w'/></filesystem>\
             <filesystem accessmode='squash' model='virtio-non-transitional'>\
               <source dir='/s'/><target dir='x'/></filesystem>\
             </devices></domain>",
        );
        assert_eq!(
            after(&a, "-fsdev"),
            [
                "local,security_model=passthrough,id=fsdev-fs0,path=/tmp",
                "local,security_model=mapped,writeout=immediate,id=fsdev-fs1,path=/var/tmp,readonly",
                "local,security_model=mapped,multidevs=remap,fmode=0644,dmode=0755,id=fsdev-fs2,\
                 path=/a,,b",
                "local,security_model=none,id=fsdev-fs3,path=/s",
            ]
        );
        let devs: Vec<Value> = after(&a, "-device")
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        for want in [
            json!({"driver": "virtio-9p-pci", "id": "fs0", "fsdev": "fsdev-fs0",
                   "mount_tag": "t", "bus": "pci.0", "addr": "0x2"}),
            json!({"driver": "virtio-9p-pci", "id": "fs1", "fsdev": "fsdev-fs1",
                   "mount_tag": "v", "bus": "pci.0", "addr": "0x3"}),
            json!({"driver": "virtio-9p-pci-non-transitional", "id": "fs3",
                   "fsdev": "fsdev-fs3", "mount_tag": "x"}),
        ] {
            assert!(devs.contains(&want), "{want} not in {devs:?}");
        }
    }

    #[test]
    fn devices_without_a_command_line_are_refused() {
        for dev in [
            "<filesystem type='mount'><driver type='virtiofs'/><source dir='/tmp'/><target dir='t'/></filesystem>",
            "<filesystem type='block'><source dev='/dev/sda'/><target dir='t'/></filesystem>",
            "<filesystem accessmode='squash' fmode='644'><source dir='/tmp'/><target dir='t'/></filesystem>",
            "<vsock model='virtio'><cid auto='yes'/></vsock>",
            "<controller type='ccid' index='0'/>",
            "<input type='passthrough' bus='virtio'><source evdev='/dev/input/event0'/></input>",
            "<sound model='pcspk'/>",
        ] {
            let xml = MINIMAL.replace("</os>", &format!("</os><devices>{dev}</devices>"));
            let def = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
            let ctx = CommandContext {
                monitor: Path::new("/m"),
                default_emulator: Path::new("/usr/bin/qemu-system-x86_64"),
                taps: &[],
                tpm_socket: None,
                config: &test_config(),
                auto_nodes: None,
            };
            let e = build(&def, &ctx).unwrap_err();
            assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED, "{dev}: {e}");
        }
    }

    #[test]
    fn native_text_quotes() {
        let c = QemuCommand {
            binary: "/usr/bin/qemu-system-x86_64".into(),
            args: vec!["-name".into(), "guest=a b".into(), r#"{"x":1}"#.into()],
            env: vec![("SASL_CONF_PATH".into(), "/etc/sasl 2".into())],
            thread_contexts: Vec::new(),
        };
        assert!(
            c.to_native().ends_with(
                "/bin SASL_CONF_PATH='/etc/sasl 2' /usr/bin/qemu-system-x86_64 -name 'guest=a b' \
                 '{\"x\":1}'"
            ),
            "{}",
            c.to_native()
        );
    }

    #[test]
    fn tap_interfaces_take_their_descriptors_and_queues() {
        let xml = MINIMAL.replace(
            "</os>",
            "</os><devices>\
             <interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/>\
             <model type='virtio'/><driver queues='2'/><mtu size='1400'/></interface>\
             <interface type='ethernet'><mac address='52:54:00:00:00:02'/>\
             <model type='e1000'/></interface></devices>",
        );
        let def = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
        let mut ctx = CommandContext {
            monitor: Path::new("/m"),
            default_emulator: Path::new("/usr/bin/qemu-system-x86_64"),
            taps: &[],
            tpm_socket: None,
            config: &test_config(),
            auto_nodes: None,
        };
        // domxml-to-native: stand-in numbers, one per queue.
        let a = build(&def, &ctx).unwrap().args;
        assert_eq!(
            after(&a, "-netdev"),
            [
                r#"{"type":"tap","fds":"3:4","id":"hostnet0"}"#,
                r#"{"type":"tap","fd":"5","id":"hostnet1"}"#
            ]
        );
        let taps = [
            ("net0".to_string(), vec![31, 32]),
            ("net1".to_string(), vec![40]),
        ];
        ctx.taps = &taps;
        let a = build(&def, &ctx).unwrap().args;
        assert_eq!(
            after(&a, "-netdev"),
            [
                r#"{"type":"tap","fds":"31:32","id":"hostnet0"}"#,
                r#"{"type":"tap","fd":"40","id":"hostnet1"}"#
            ]
        );
        let devs: Vec<Value> = after(&a, "-device")
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let nic = devs.iter().find(|d| d["id"] == "net0").unwrap();
        assert_eq!(
            (&nic["mq"], &nic["vectors"], &nic["host_mtu"]),
            (&json!(true), &json!(6), &json!(1400))
        );
        let nic = devs.iter().find(|d| d["id"] == "net1").unwrap();
        assert_eq!(
            (&nic["driver"], &nic["mq"]),
            (&json!("e1000"), &Value::Null)
        );
    }

    #[test]
    fn unsupported_devices_are_refused() {
        let xml = MINIMAL.replace(
            "</os>",
            "</os><devices><interface type='vhostuser'><source type='unix' path='/s' \
             mode='client'/><model type='virtio'/></interface></devices>",
        );
        let def = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
        let ctx = CommandContext {
            monitor: Path::new("/m"),
            default_emulator: Path::new("/usr/bin/qemu-system-x86_64"),
            taps: &[],
            tpm_socket: None,
            config: &test_config(),
            auto_nodes: None,
        };
        let e = build(&def, &ctx).unwrap_err();
        assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    }
}
