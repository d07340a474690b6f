//! Device hotplug: attach, detach and update of disks, interfaces, memory devices, random
//! number generators, shared memory, the watchdog, inputs, character devices, SCSI
//! controllers, virtio-fs shares, redirected USB devices and leases, in the persistent definition
//! (`VIR_DOMAIN_AFFECT_CONFIG`), in the running QEMU (`VIR_DOMAIN_AFFECT_LIVE`), or both, as
//! libvirt's QEMU driver does it.
//!
//! Live changes use QEMU's modern interfaces: `blockdev-add` + `device_add` for a disk,
//! `netdev_add` + `device_add` for a user-mode interface, the tray and medium commands for a
//! CD-ROM's media, `object-add` + `device_add` for a memory device, a generator or shared
//! memory, `set-action` + `device_add` for a watchdog, `device_add` for a USB or virtio input
//! (a PCI or USB device gets its address as a define would give it). A hot unplug is a
//! request to the guest (`device_del`): the device leaves the live definition only when QEMU
//! reports `DEVICE_DELETED`, and its backends are freed then. The detach call waits for that
//! at most [`unplug_timeout`] (libvirt's 5 seconds) and then returns success with the removal
//! still pending, as libvirt does: a guest without ACPI hotplug support never releases the
//! device.
//!
//! Device ids are libvirt's aliases, as `command.rs` names cold-plugged devices
//! (`virtio-disk1`, `net1`, `hostnet1`, node names `libvirt-N-format`/`libvirt-N-storage`).

use crate::config::QemuConfig;
use crate::process::{Proc, qmp_error};
use crate::{FROM, QemuDriver};
use parking_lot::Mutex;
use rvirt_conf::domain::{
    Address, ChrDef, ChrKind, ControllerDef, DeviceInfo, DiskDef, GraphicsDef, InputDef, NetDef,
    parse_mac,
};
use rvirt_conf::raw::RawElement;
use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use rvirt_driver::{DomainEvent, DomainObj, DomainRef, check_flags};
use rvirt_qmp::Monitor;
use rvirt_types::domain::DomainDeviceModifyFlags as F;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a live detach waits for the guest to release the device (libvirt's
/// `QEMU_UNPLUG_TIMEOUT`), in milliseconds.
static UNPLUG_TIMEOUT_MS: AtomicU64 = AtomicU64::new(5000);

/// How long a live detach waits for `DEVICE_DELETED` before it returns with the removal still
/// pending.
pub fn unplug_timeout() -> Duration {
    Duration::from_millis(UNPLUG_TIMEOUT_MS.load(Ordering::Relaxed))
}

/// Sets [`unplug_timeout`] for every QEMU driver of the process (tests use a short one).
pub fn set_unplug_timeout(t: Duration) {
    UNPLUG_TIMEOUT_MS.store(
        u64::try_from(t.as_millis()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// What is left to do once QEMU reports that a device is gone.
#[derive(Clone, Debug)]
enum Pending {
    Disk {
        target: String,
        nodes: Vec<String>,
    },
    Net {
        mac: String,
        netdev: Option<String>,
    },
    Memory,
    /// A device kept as a tree, by its element's name (`rng`, `shmem`, `watchdog`): its
    /// backend object, if it has one, goes with it.
    Raw(String),
    /// An input device.
    Input,
    /// A controller.
    Controller,
    /// A virtio-fs share: the chardev of its socket goes with it, and its daemon.
    Filesystem,
    /// A redirected USB device: its chardev goes with it.
    Redirdev,
    /// A character device: its chardev goes with it (not a guestfwd channel's: its netdev
    /// took it).
    Chr {
        /// Whether its chardev is removed after it (not a guestfwd channel's).
        chardev: bool,
    },
}

/// A removal's key: the domain, its QEMU's pid, the device id.
type PendingKey = (Uuid, i32, String);

/// Removals requested from a guest and not finished yet.
fn pending() -> &'static Mutex<HashMap<PendingKey, Pending>> {
    static P: std::sync::OnceLock<Mutex<HashMap<PendingKey, Pending>>> = std::sync::OnceLock::new();
    P.get_or_init(Mutex::default)
}

/// One hotplug operation at a time per domain (node names and ids are picked from what QEMU
/// has), without making other domains wait.
fn domain_lock(uuid: Uuid) -> Arc<tokio::sync::Mutex<()>> {
    static L: std::sync::OnceLock<Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>> =
        std::sync::OnceLock::new();
    L.get_or_init(Mutex::default)
        .lock()
        .entry(uuid)
        .or_default()
        .clone()
}

/// A device parsed from the caller's XML.
#[derive(Clone, Debug)]
enum Device {
    Disk(DiskDef),
    Net {
        net: NetDef,
        /// Whether the XML named a MAC (otherwise one was generated and does not identify it).
        mac_given: bool,
    },
    /// A `<memory>` device (see `crate::memdev`).
    Memory(RawElement),
    /// A random number generator (`<rng>`, see `crate::rng`).
    Rng(RawElement),
    /// A `<watchdog>` (a guest has one at most).
    Watchdog(RawElement),
    /// An `<input>` (a USB or virtio one can be plugged).
    Input(InputDef),
    /// A `<shmem>` (see `crate::rng::find_shmem`).
    Shmem(RawElement),
    /// A serial or parallel port, a console or a channel.
    Chr(ChrKind, ChrDef),
    /// A controller, and whether its XML gave its index.
    Controller(ControllerDef, bool),
    /// A `<filesystem>` (a virtio-fs share can be plugged).
    Filesystem(RawElement),
    /// A redirected USB device (`<redirdev>`).
    Redirdev(RawElement),
    /// A lock manager's lease (`<lease>`): rvirt has no lock manager, so plugging one changes
    /// the definition only (libvirt's with its default `nop` manager).
    Lease(RawElement),
}

impl Device {
    /// The device's kind as libvirt names it in its errors (`rng`, `input`…).
    fn kind(&self) -> &str {
        match self {
            Device::Disk(_) => "disk",
            Device::Net { .. } => "interface",
            Device::Input(_) => "input",
            Device::Chr(..) => "chr",
            Device::Controller(..) => "controller",
            Device::Filesystem(_) => "filesystem",
            Device::Redirdev(_) => "redirdev",
            Device::Lease(_) => "lease",
            Device::Memory(e) | Device::Rng(e) | Device::Watchdog(e) | Device::Shmem(e) => &e.name,
        }
    }

    /// The device a tree-kept element is, by its name (`memory`, `rng`, `shmem`, `watchdog`).
    fn raw(e: RawElement) -> Device {
        match e.name.as_str() {
            "memory" => Device::Memory(e),
            "rng" => Device::Rng(e),
            "shmem" => Device::Shmem(e),
            "filesystem" => Device::Filesystem(e),
            "redirdev" => Device::Redirdev(e),
            "lease" => Device::Lease(e),
            _ => Device::Watchdog(e),
        }
    }
}

/// The elements of the devices that [`Device::raw`] makes, hot-plugged by their own code
/// (memory devices have theirs, see `crate::memdev`).
const RAW_DEVICES: [&str; 5] = ["rng", "shmem", "watchdog", "filesystem", "redirdev"];

/// Device elements libvirt knows but this driver cannot change yet.
const OTHER_DEVICES: &[&str] = &[
    "sound",
    "video",
    "hostdev",
    "graphics",
    "hub",
    "smartcard",
    "chr",
    "memballoon",
    "nvram",
    "tpm",
    "panic",
    "iommu",
    "vsock",
    "audio",
];

fn unsupported(detail: String) -> Error {
    Error::with_detail(
        ErrorDomain::DOMAIN,
        ErrorNumber::OPERATION_UNSUPPORTED,
        detail,
    )
}

/// A minimal domain holding the device element `element`, read with the domain parser's
/// rules (defaults filled, values checked).
fn parse_in_domain(element: &str) -> Result<DomainDef> {
    let wrapped = format!(
        "<domain type='qemu'><name>device</name><memory unit='KiB'>65536</memory>\
         <os><type arch='x86_64'>hvm</type></os><devices>{element}</devices></domain>"
    );
    DomainDef::parse_xml(&wrapped, ParseOptions::default())
}

/// Parses one device element with the domain parser's rules (defaults filled, values
/// checked), by reading it inside a minimal domain (a memory device against `ctx`, the
/// definition it is for). `action` names the call in the error for a device kind this driver
/// cannot change (`live attach`, `persistent detach`, ...).
fn parse_device(xml: &str, action: &str, ctx: &DomainDef) -> Result<Device> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| {
        Error::with_detail(
            ErrorDomain::XML,
            ErrorNumber::XML_ERROR,
            format!("(device_definition):{}: {e}", e.pos().row),
        )
    })?;
    let root = doc.root_element();
    let name = root.tag_name().name();
    match name {
        "disk" | "interface" => {}
        "input" => {
            let mut d = parse_in_domain(&xml[root.range()])?;
            return d
                .devices
                .inputs
                .pop()
                .map(Device::Input)
                .ok_or_else(|| Error::internal(FROM, "no input in the device definition"));
        }
        "memory" => return ctx.parse_memory_device(root).map(Device::Memory),
        "rng" | "watchdog" | "shmem" | "filesystem" | "redirdev" | "lease" => {
            // A redirected device is read where USB is (the guest's own check comes later).
            let usb = if name == "redirdev" {
                "<controller type='usb'/>"
            } else {
                ""
            };
            let d = parse_in_domain(&format!("{usb}{}", &xml[root.range()]))?;
            let Some((_, e)) = d.devices.other.iter().find(|(_, e)| e.name == name) else {
                return Err(Error::internal(
                    FROM,
                    format!("no {name} in the device definition"),
                ));
            };
            return Ok(Device::raw(e.clone()));
        }
        "controller" => {
            let d = parse_in_domain(&xml[root.range()])?;
            let kind = root.attribute("type").unwrap_or("pci");
            let index: Option<u32> = root.attribute("index").and_then(|i| i.trim().parse().ok());
            let found = d
                .devices
                .controllers
                .iter()
                .find(|c| c.ctrl_type == kind && index.is_none_or(|i| i == c.index));
            let Some(c) = found else {
                return Err(Error::internal(
                    FROM,
                    "no controller in the device definition",
                ));
            };
            return Ok(Device::Controller(c.clone(), index.is_some()));
        }
        "serial" | "parallel" | "console" | "channel" => {
            // A detach names a pty device by its path; an attach's path is QEMU's to pick.
            let live = action.ends_with("detach");
            let (kind, mut chr) = ctx.parse_chr_device(root, live)?;
            if kind == ChrKind::Serial {
                crate::defaults::serial_defaults(&mut chr, crate::defaults::is_x86(ctx));
            }
            return Ok(Device::Chr(kind, chr));
        }
        n if OTHER_DEVICES.contains(&n) => {
            return Err(unsupported(format!(
                "{action} of device '{n}' is not supported"
            )));
        }
        n => {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::XML_ERROR,
                format!("unknown device type '{n}'"),
            ));
        }
    }
    let mut devices = parse_in_domain(&xml[root.range()])?.devices;
    if name == "disk" {
        devices
            .disks
            .pop()
            .map(Device::Disk)
            .ok_or_else(|| Error::internal(FROM, "no disk in the device definition"))
    } else {
        let mac_given = root
            .children()
            .any(|c| c.has_tag_name("mac") && c.attribute("address").is_some());
        devices
            .interfaces
            .pop()
            .map(|net| Device::Net { net, mac_given })
            .ok_or_else(|| Error::internal(FROM, "no interface in the device definition"))
    }
}

/// The `<graphics>` an update names (`None` for another device), read inside a minimal
/// domain with the domain parser's rules.
fn parse_graphics(xml: &str) -> Result<Option<GraphicsDef>> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        // parse_device words the XML error.
        return Ok(None);
    };
    let root = doc.root_element();
    if root.tag_name().name() != "graphics" {
        return Ok(None);
    }
    Ok(parse_in_domain(&xml[root.range()])?
        .devices
        .graphics
        .first()
        .cloned())
}

/// qemuDomainUpdateDeviceConfig for graphics: the first console of the same type is replaced.
fn config_update_graphics(def: &DomainDef, new: GraphicsDef) -> Result<DomainDef> {
    let mut d = def.clone();
    let Some(old) = d
        .devices
        .graphics
        .iter_mut()
        .find(|g| g.graphics_type == new.graphics_type)
    else {
        return Err(Error::invalid_arg(
            ErrorDomain::QEMU,
            format!(
                "cannot find existing graphics type '{}' device to modify",
                new.graphics_type
            ),
        ));
    };
    *old = new;
    reparse(&d, None)
}

/// What `qemuDomainChangeGraphics` refuses to change on a running console: the listens, the
/// ports, the keymap. `Ok(true)` when the password must be given to QEMU again.
fn graphics_change_allowed(old: &GraphicsDef, new: &GraphicsDef) -> Result<bool> {
    let kind = new.graphics_type.as_str();
    let refuse = |what: String| {
        Error::with_detail(ErrorDomain::QEMU, ErrorNumber::OPERATION_UNSUPPORTED, what)
    };
    if old.listens.len() != new.listens.len() {
        return Err(refuse(format!(
            "cannot change the number of listen addresses on '{kind}' graphics"
        )));
    }
    for (o, n) in old.listens.iter().zip(&new.listens) {
        if o.listen_type != n.listen_type {
            return Err(refuse(format!(
                "cannot change the type of listen address on '{kind}' graphics"
            )));
        }
        let what = match n.listen_type.as_str() {
            "address" if o.address != n.address => "listen address",
            "network" if o.network != n.network => "listen address",
            "socket" if o.socket != n.socket => "listen socket",
            _ => continue,
        };
        return Err(refuse(format!(
            "cannot change {what} setting on '{kind}' graphics"
        )));
    }
    let attr = crate::graphics::attr;
    let ports_differ = old.autoport != new.autoport
        || (!new.autoport
            && (old.port != new.port || (kind == "spice" && old.tls_port != new.tls_port)));
    if ports_differ {
        return Err(refuse(format!(
            "cannot change port settings on {kind} graphics"
        )));
    }
    if attr(old, "keymap") != attr(new, "keymap") {
        return Err(refuse(format!(
            "cannot change keymap setting on {kind} graphics"
        )));
    }
    Ok(attr(old, "passwdValidTo").is_some()
        || attr(new, "passwdValidTo").is_some()
        || attr(old, "connected") != attr(new, "connected")
        || (kind == "spice" && attr(new, "connected") == Some("disconnect"))
        || old.passwd != new.passwd)
}

/// The definition formatted and read back, so the domain parser orders the devices and fills
/// what follows from them, as libvirt's post-parse does after a device change. A live one
/// goes through the status file's form, which keeps the driver's bookkeeping (`tls` marks,
/// graphics listens' origins).
fn reparse(def: &DomainDef, live: Option<i32>) -> Result<DomainDef> {
    let xml = def.format_xml(FormatOptions {
        id: live,
        inactive: live.is_none(),
        secure: true,
        migratable: false,
        status: live.is_some(),
    });
    DomainDef::parse_xml(
        &xml,
        ParseOptions {
            live: live.is_some(),
        },
    )
}

/// [`reparse`] of a running domain's live definition (`id` its id), keeping the paths its
/// volume disks were resolved to (which the XML does not carry).
fn reparse_live(def: &DomainDef, id: i32) -> Result<DomainDef> {
    let mut out = reparse(def, Some(id))?;
    crate::volume_disk::carry_translations(def, &mut out);
    // The console standing for the first serial port keeps what it was (libvirt does not
    // read a running guest's definition again): a stand-in without a number stays one.
    if let (Some(was), Some(now)) = (
        def.devices.consoles.first(),
        out.devices.consoles.first_mut(),
    ) && was.is_serial_console()
        && now.is_serial_console()
    {
        now.target_port = was.target_port;
    }
    Ok(out)
}

/// virDomainNetFindIdx: the interface `net` names (by MAC when the XML gave one).
fn find_net(def: &DomainDef, net: &NetDef, mac_given: bool) -> Result<usize> {
    let matches: Vec<usize> = def
        .devices
        .interfaces
        .iter()
        .enumerate()
        .filter(|(_, n)| !mac_given || parse_mac(&n.mac) == parse_mac(&net.mac))
        .filter(|(_, n)| match (&net.info.alias, &n.info.alias) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [i] => Ok(*i),
        [] => Err(Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::DEVICE_MISSING,
            format!(
                "no device found at address '(<null>)' matching MAC address '{}' and alias '{}'",
                if mac_given {
                    net.mac.as_str()
                } else {
                    "(<null>)"
                },
                net.info.alias.as_deref().unwrap_or("(<null>)")
            ),
        )),
        _ => Err(Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::OPERATION_FAILED,
            if mac_given {
                format!("multiple devices matching MAC address {} found", net.mac)
            } else {
                "multiple matching devices found".to_string()
            },
        )),
    }
}

/// The alias of tree-kept device `e`, given it by `make(e)` when it has none (a user's alias
/// is kept).
fn alias_or(e: &mut RawElement, make: impl FnOnce(&RawElement) -> String) -> String {
    if rvirt_conf::domain::raw_alias(e).is_none() {
        let alias = make(e);
        rvirt_conf::domain::set_raw_alias(e, &alias);
    }
    alias_of(e)
}

/// The alias of tree-kept device `e` (empty when it has none).
fn alias_of(e: &RawElement) -> String {
    rvirt_conf::domain::raw_alias(e)
        .unwrap_or_default()
        .to_string()
}

/// The index in `def.devices.inputs` of the input `wanted` names, as libvirt matches one
/// (`virDomainInputDefFind`): the same type and bus, and the same address when `wanted` gives
/// one.
fn find_input(def: &DomainDef, wanted: &InputDef) -> Result<usize> {
    def.devices
        .inputs
        .iter()
        .position(|x| {
            x.input_type == wanted.input_type
                && x.bus == wanted.bus
                && (wanted.info.address.is_none() || x.info.address == wanted.info.address)
        })
        .ok_or_else(|| {
            Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::DEVICE_MISSING,
                "matching input device not found",
            )
        })
}

/// The index in `def.devices.other` of the guest's watchdog.
fn watchdog_of(def: &DomainDef) -> Option<usize> {
    def.devices
        .other
        .iter()
        .position(|(_, e)| e.name == "watchdog")
}

/// The alias of the live watchdog a detach of `w` asks QEMU to unplug, as libvirt decides:
/// the guest's watchdog, when it is of `w`'s model, action and address and an `i6300esb`
/// (the one model QEMU can unplug).
fn unplugged_watchdog(def: &DomainDef, w: &RawElement) -> Result<String> {
    let missing =
        |detail: String| Error::with_detail(ErrorDomain::QEMU, ErrorNumber::DEVICE_MISSING, detail);
    let Some(i) = watchdog_of(def) else {
        return Err(missing(
            "watchdog device not present in domain configuration".into(),
        ));
    };
    let have = &def.devices.other[i].1;
    let model = have.attr("model").unwrap_or_default();
    // The addresses too, given or not: libvirt refuses a watchdog XML without the live
    // watchdog's PCI address.
    if have.attr("model") != w.attr("model")
        || have.attr("action") != w.attr("action")
        || have.sorted_child_attrs("address") != w.sorted_child_attrs("address")
    {
        return Err(missing(format!(
            "model '{model}' watchdog device not present in domain configuration"
        )));
    }
    if model != "i6300esb" {
        return Err(unsupported(format!(
            "hot unplug of watchdog of model {model} is not supported"
        )));
    }
    Ok(rvirt_conf::domain::raw_alias(have)
        .unwrap_or("watchdog0")
        .to_string())
}

/// Gives a device about to be hot-plugged into the live definition `def` (the one there
/// without a PCI address) its address as a define would; one that needs a new bus cannot be
/// plugged (QEMU cannot plug the bus first).
fn assign_hotplug_pci(def: &mut DomainDef) -> Result<()> {
    let controllers = def.devices.controllers.len();
    crate::pci::assign(def)?;
    if def.devices.controllers.len() != controllers {
        return Err(Error::internal(FROM, "No more available PCI slots"));
    }
    Ok(())
}

/// A copy of live definition `def` with device `e` (kept as a raw element, alias `qid`) added,
/// checked by `check`, and given a PCI slot as a define would give it; where it is among the
/// copy's devices.
fn on_pci_slot(
    def: &DomainDef,
    e: RawElement,
    qid: &str,
    check: impl FnOnce(&DomainDef) -> Result<()>,
) -> Result<(DomainDef, usize)> {
    let name = e.name.clone();
    let mut after = def.clone();
    after.devices.insert_other(e);
    check(&after)?;
    assign_hotplug_pci(&mut after)?;
    let at = crate::alias::raw_position(&after, &name, qid)
        .ok_or_else(|| Error::internal(FROM, format!("{name} device lost")))?;
    Ok((after, at))
}

/// Where a hot-plugged device sits.
enum Bus {
    /// On PCI bus (a slot of its own).
    Pci,
    /// On a USB port.
    Usb,
}

/// The address a device gets when plugged into the running guest of live definition `def`,
/// as a define would have given it: `add` puts it into a copy of `def`, `info` finds it
/// there once its slot or port is assigned. An address the device's XML gives is checked
/// against the guest's others.
fn hotplug_address(
    def: &DomainDef,
    bus: Bus,
    add: impl FnOnce(&mut DomainDef),
    info: impl Fn(&DomainDef) -> Option<&DeviceInfo>,
) -> Result<Option<Address>> {
    let mut after = def.clone();
    add(&mut after);
    match bus {
        Bus::Pci => assign_hotplug_pci(&mut after)?,
        Bus::Usb => {
            if let Some(Address::Usb {
                bus,
                port: Some(port),
            }) = info(&after).and_then(|i| i.address.clone())
            {
                usb_port_free(def, bus, port)?;
            }
            crate::defaults::assign_usb(&mut after);
            if info(&after).and_then(|i| i.address.as_ref()).is_none() {
                return Err(Error::internal(ErrorDomain::DOMAIN, "No free USB ports"));
            }
        }
    }
    Ok(info(&after).and_then(|i| i.address.clone()))
}

/// Refuses a USB port (`bus`, `port`) a device of `def` takes, in libvirt's words.
fn usb_port_free(def: &DomainDef, bus: u32, port: String) -> Result<()> {
    let used = crate::defaults::usb_ports_in_use(def);
    if used.contains(&(bus, port.clone())) {
        return Err(Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::XML_ERROR,
            format!("Duplicate USB address bus {bus} port {port}"),
        ));
    }
    Ok(())
}

/// libvirt's checks before character device `chr` of kind `kind` joins definition `def`: a
/// console standing for a serial port cannot be added, nor a device the guest has already.
fn check_chr_insert(def: &DomainDef, kind: ChrKind, chr: &ChrDef) -> Result<()> {
    if kind == ChrKind::Console && chr.is_serial_console() {
        return Err(Error::with_detail(
            ErrorDomain::QEMU,
            ErrorNumber::OPERATION_UNSUPPORTED,
            "attaching serial console is not supported",
        ));
    }
    if def.devices.find_chr(kind, chr).is_some() {
        return Err(Error::operation_invalid(
            ErrorDomain::QEMU,
            "chardev already exists",
        ));
    }
    Ok(())
}

/// A unix socket source QEMU connects to, as a chardev of its own (a vhost-user socket).
fn unix_client(path: &std::path::Path) -> ChrDef {
    ChrDef::new(
        "unix",
        vec![
            ("mode".into(), "connect".into()),
            ("path".into(), path.display().to_string()),
        ],
    )
}

/// Adds chardev `add` (`chardev-add`'s arguments, naming chardev `id`) to QEMU over `m`, then
/// what `plug` adds behind it (a device, a netdev); the chardev is removed again should that
/// fail. Returns `chardev-add`'s answer (a pty's path).
async fn add_behind_chardev(
    m: &Monitor,
    add: Value,
    id: String,
    plug: impl std::future::Future<Output = rvirt_qmp::Result<()>>,
) -> rvirt_qmp::Result<Value> {
    let reply = m.execute("chardev-add", Some(add)).await?;
    if let Err(e) = plug.await {
        let _ = m.execute("chardev-remove", Some(json!({ "id": id }))).await;
        return Err(e);
    }
    Ok(reply)
}

/// The target folder (mount tag) of filesystem `fs`.
fn fs_target(fs: &RawElement) -> Option<&str> {
    fs.child("target").and_then(|t| t.attr("dir"))
}

/// Where in `def.devices.other` the filesystem with `fs`'s target folder is
/// (virDomainFSIndexByName).
fn find_fs_by_target(def: &DomainDef, fs: &RawElement) -> Option<usize> {
    def.devices
        .other
        .iter()
        .position(|(_, e)| e.name == "filesystem" && fs_target(e) == fs_target(fs))
}

/// Whether tree-kept device `e` has the address and the alias `wanted` gives, where it gives
/// them (how libvirt's lookups of a device to detach treat those two).
fn same_given_info(e: &RawElement, wanted: &RawElement) -> bool {
    let raw_alias = rvirt_conf::domain::raw_alias;
    (wanted.child("address").is_none()
        || e.sorted_child_attrs("address") == wanted.sorted_child_attrs("address"))
        && (raw_alias(wanted).is_none() || raw_alias(e) == raw_alias(wanted))
}

/// Where in `def.devices.other` the filesystem `wanted` names is, as libvirt's
/// virDomainFSDefFind matches one: by target folder, and by address and alias when given.
fn find_fs(def: &DomainDef, wanted: &RawElement) -> Option<usize> {
    def.devices.other.iter().position(|(_, e)| {
        e.name == "filesystem"
            && (fs_target(wanted).is_none() || fs_target(e) == fs_target(wanted))
            && same_given_info(e, wanted)
    })
}

/// Where in `def.devices.other` the redirected USB device `wanted` names is, as libvirt's
/// virDomainRedirdevDefFind matches one: the same bus and source, and the same address and
/// alias when given.
fn find_redirdev(def: &DomainDef, wanted: &RawElement) -> Result<Option<usize>> {
    let source = crate::command::chr::raw_chardev(wanted, None)?;
    for (i, (_, e)) in def.devices.other.iter().enumerate() {
        if e.name != "redirdev" || e.attr("bus") != wanted.attr("bus") {
            continue;
        }
        if crate::command::chr::raw_chardev(e, None)?.same_source(&source)
            && same_given_info(e, wanted)
        {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Where `def` has the lease `wanted` names (the same key in the same lockspace).
fn find_lease(def: &DomainDef, wanted: &RawElement) -> Option<usize> {
    (def.devices.other.iter()).position(|(_, e)| rvirt_conf::domain::same_lease(e, wanted))
}

/// A lease as libvirt's errors name it: `Lease KEY in lockspace LOCKSPACE`.
fn lease_name(l: &RawElement) -> String {
    let (lockspace, key) = rvirt_conf::domain::lease_id(l);
    format!(
        "Lease {} in lockspace {}",
        key.unwrap_or_default(),
        lockspace.unwrap_or("<null>")
    )
}

/// The first index no controller of type `kind` of `def` has
/// (virDomainControllerFindUnusedIndex).
fn unused_controller_index(def: &DomainDef, kind: &str) -> u32 {
    (0..)
        .find(|&i| find_controller(def, kind, i).is_none())
        .unwrap_or(0)
}

/// Where controller `kind` number `index` is in `def`'s list.
fn find_controller(def: &DomainDef, kind: &str, index: u32) -> Option<usize> {
    def.devices
        .controllers
        .iter()
        .position(|c| c.ctrl_type == kind && c.index == index)
}

/// Adds controller `c` among those of its type as libvirt's virDomainControllerInsert: before
/// the first of its type with a higher index, else after the last of its type (at the end
/// when it is the first). One whose XML gave no index takes the first one unused, placed
/// after the last of its type.
fn insert_controller(def: &mut DomainDef, mut c: ControllerDef, index_given: bool) {
    if !index_given {
        c.index = unused_controller_index(def, &c.ctrl_type);
    }
    let list = &def.devices.controllers;
    let same: Vec<usize> = (0..list.len())
        .filter(|&i| list[i].ctrl_type == c.ctrl_type)
        .collect();
    let at = if index_given {
        same.iter()
            .find(|&&i| list[i].index > c.index)
            .copied()
            .or(same.last().map(|i| i + 1))
    } else {
        same.last().map(|i| i + 1)
    };
    let at = at.unwrap_or(list.len());
    def.devices.controllers.insert(at, c);
}

/// The character device of `def` whose alias is `alias`, and its kind.
fn chr_with_alias(def: &DomainDef, alias: &str) -> Option<(ChrKind, ChrDef)> {
    let (kind, at) = def.devices.find_chr_by_alias(alias)?;
    Some((kind, def.devices.chr_list(kind)[at].clone()))
}

/// Takes character device `chr` of kind `kind` out of persistent definition `d` (with the
/// console standing for it), as libvirt's qemuDomainChrRemove.
fn remove_configured_chr(d: &mut DomainDef, kind: ChrKind, chr: &ChrDef) -> Result<()> {
    if kind == ChrKind::Console && chr.is_serial_console() {
        return Err(Error::operation_invalid(
            ErrorDomain::QEMU,
            "detaching serial console is not supported",
        ));
    }
    match d.devices.remove_chr(kind, chr) {
        Some(_) => Ok(()),
        None => Err(Error::invalid_arg(
            ErrorDomain::QEMU,
            "device not present in domain configuration",
        )),
    }
}

/// qemuDomainAttachDeviceConfig for the devices this driver handles.
fn config_attach(def: &DomainDef, dev: &Device, cfg: &QemuConfig) -> Result<DomainDef> {
    let mut d = def.clone();
    match dev {
        Device::Disk(disk) => {
            if d.devices
                .disks
                .iter()
                .any(|x| x.target_dev == disk.target_dev)
            {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    format!("target {} already exists", disk.target_dev),
                ));
            }
            d.devices.disks.push(disk.clone());
        }
        Device::Net { net, .. } => d.devices.interfaces.push(net.clone()),
        Device::Rng(r) => d.devices.insert_other(r.clone()),
        Device::Input(i) => d.devices.inputs.push(i.clone()),
        Device::Shmem(e) => {
            if crate::rng::find_shmem(&d, e).is_some() {
                return Err(Error::operation_invalid(
                    ErrorDomain::QEMU,
                    "device is already in the domain configuration",
                ));
            }
            d.devices.insert_other(e.clone());
        }
        Device::Watchdog(w) => {
            if watchdog_of(&d).is_some() {
                return Err(Error::operation_invalid(
                    ErrorDomain::QEMU,
                    "domain already has a watchdog",
                ));
            }
            d.devices.insert_other(w.clone());
        }
        Device::Chr(kind, chr) => {
            check_chr_insert(&d, *kind, chr)?;
            d.devices.insert_chr(*kind, chr.clone());
        }
        Device::Redirdev(r) => d.devices.insert_other(r.clone()),
        Device::Lease(l) => {
            if find_lease(&d, l).is_some() {
                return Err(Error::operation_invalid(
                    ErrorDomain::QEMU,
                    format!("{} already exists", lease_name(l)),
                ));
            }
            d.devices.insert_other(l.clone());
        }
        Device::Filesystem(fs) => {
            if find_fs_by_target(&d, fs).is_some() {
                return Err(Error::operation_invalid(
                    ErrorDomain::QEMU,
                    "Target already exists",
                ));
            }
            d.devices.insert_other(fs.clone());
        }
        Device::Controller(c, index_given) => {
            if *index_given && find_controller(&d, &c.ctrl_type, c.index).is_some() {
                return Err(Error::operation_invalid(
                    ErrorDomain::QEMU,
                    format!("controller index='{}' already exists", c.index),
                ));
            }
            insert_controller(&mut d, c.clone(), *index_given);
        }
        Device::Memory(mem) => {
            crate::memdev::compatible(&d, mem, true)?;
            let slots = d.max_memory.as_ref().map_or(0, |m| m.slots) as usize;
            if crate::memdev::devices(&d).count() == slots {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    "no free memory device slot available",
                ));
            }
            if let Some(addr) = crate::memdev::dimm_address(mem)
                && crate::memdev::devices(&d)
                    .any(|e| crate::memdev::dimm_address(e).is_some_and(|a| a.0 == addr.0))
            {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "Domain already contains a device with the same address",
                ));
            }
            d.current_memory_kib += crate::memdev::size_kib(mem);
            crate::memdev::insert(&mut d, mem.clone());
        }
    }
    let mut d = reparse(&d, None)?;
    // The new device gets its defaults and its address (a PCI slot, a bridge or root port
    // added when the buses are full) as a defined guest's devices do.
    crate::defaults::apply(&mut d, None, cfg)?;
    crate::defaults::assign_virtio_serial(&mut d);
    crate::defaults::assign_usb(&mut d);
    crate::pci::assign(&mut d)?;
    crate::memdev::assign_slots(&mut d)?;
    crate::memdev::validate(&d, None)?;
    if let Device::Net { net, .. } = dev {
        crate::nethost::validate(net)?;
    }
    Ok(d)
}

/// qemuDomainDetachDeviceConfig for the devices this driver handles.
fn config_detach(def: &DomainDef, dev: &Device) -> Result<DomainDef> {
    let mut d = def.clone();
    match dev {
        Device::Disk(disk) => {
            let Some(i) = d
                .devices
                .disks
                .iter()
                .position(|x| x.target_dev == disk.target_dev)
            else {
                return Err(Error::with_detail(
                    ErrorDomain::DOMAIN,
                    ErrorNumber::DEVICE_MISSING,
                    format!("no target device {}", disk.target_dev),
                ));
            };
            d.devices.disks.remove(i);
        }
        Device::Net { net, mac_given } => {
            let i = find_net(&d, net, *mac_given)?;
            d.devices.interfaces.remove(i);
        }
        Device::Memory(mem) => {
            crate::memdev::compatible(&d, mem, false)?;
            let Some(i) =
                crate::memdev::find(&d, mem, false).or_else(|| crate::memdev::find(&d, mem, true))
            else {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::DEVICE_MISSING,
                    "matching memory device was not found",
                ));
            };
            crate::memdev::remove_configured(&mut d, i);
        }
        Device::Rng(r) => {
            let i = crate::rng::find_configured(&d, r)?;
            d.devices.other.remove(i);
        }
        Device::Input(i) => {
            let at = find_input(&d, i)?;
            d.devices.inputs.remove(at);
        }
        Device::Shmem(e) => {
            let Some(i) = crate::rng::find_shmem(&d, e) else {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::DEVICE_MISSING,
                    "matching shmem device was not found",
                ));
            };
            d.devices.other.remove(i);
        }
        Device::Watchdog(_) => {
            let Some(i) = watchdog_of(&d) else {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::DEVICE_MISSING,
                    "domain has no watchdog",
                ));
            };
            d.devices.other.remove(i);
        }
        Device::Chr(kind, chr) => remove_configured_chr(&mut d, *kind, chr)?,
        Device::Redirdev(r) => {
            let Some(i) = find_redirdev(&d, r)? else {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::DEVICE_MISSING,
                    "no matching redirdev was not found",
                ));
            };
            d.devices.other.remove(i);
        }
        Device::Lease(l) => {
            let Some(i) = find_lease(&d, l) else {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::DEVICE_MISSING,
                    format!("{} does not exist", lease_name(l)),
                ));
            };
            d.devices.other.remove(i);
        }
        Device::Filesystem(fs) => {
            let Some(i) = find_fs_by_target(&d, fs) else {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::DEVICE_MISSING,
                    "no matching filesystem device was found",
                ));
            };
            d.devices.other.remove(i);
        }
        Device::Controller(c, index_given) => {
            let found = find_controller(&d, &c.ctrl_type, c.index).filter(|_| *index_given);
            let Some(i) = found else {
                return Err(Error::with_detail(
                    ErrorDomain::QEMU,
                    ErrorNumber::DEVICE_MISSING,
                    "device not present in domain configuration",
                ));
            };
            d.devices.controllers.remove(i);
        }
    }
    reparse(&d, None)
}

/// qemuDomainUpdateDeviceConfig for disks: the disk with the same target takes the new one's
/// settings (and keeps its address when the new one gives none).
fn config_update(def: &DomainDef, dev: &Device) -> Result<DomainDef> {
    let disk = match dev {
        Device::Disk(disk) => disk,
        Device::Rng(_)
        | Device::Watchdog(_)
        | Device::Shmem(_)
        | Device::Input(_)
        | Device::Chr(..)
        | Device::Controller(..)
        | Device::Filesystem(_)
        | Device::Redirdev(_)
        | Device::Lease(_) => {
            return Err(unsupported(format!(
                "persistent update of device '{}' is not supported",
                dev.kind()
            )));
        }
        Device::Memory(mem) => {
            // The device at the same address takes the new definition.
            let mut d = def.clone();
            let Some(i) = crate::memdev::find_by_info(&d, mem) else {
                return Err(Error::invalid_arg(ErrorDomain::DOMAIN, "memory not found"));
            };
            crate::memdev::compatible(&d, mem, false)?;
            d.devices.other[i].1 = mem.clone();
            return reparse(&d, None);
        }
        Device::Net { net, mac_given } => {
            // The interface the XML names takes its place (and its address when it gives none).
            let mut d = def.clone();
            let i = find_net(&d, net, *mac_given)?;
            let mut new = net.clone();
            if new.info.address.is_none() {
                new.info.address = d.devices.interfaces[i].info.address.clone();
            }
            d.devices.interfaces[i] = new;
            return reparse(&d, None);
        }
    };
    let mut d = def.clone();
    let Some(old) = d
        .devices
        .disks
        .iter_mut()
        .find(|x| x.target_dev == disk.target_dev)
    else {
        return Err(Error::invalid_arg(
            ErrorDomain::DOMAIN,
            format!("target {} doesn't exist.", disk.target_dev),
        ));
    };
    let mut new = disk.clone();
    if new.info.address.is_none() {
        new.info.address = old.info.address.clone();
    }
    *old = new;
    reparse(&d, None)
}

/// The kind (libvirt's device type name) of a device of `def` other than a disk or an
/// interface whose alias is `alias`.
fn other_device_with_alias(def: &DomainDef, alias: &str) -> Option<String> {
    let d = &def.devices;
    let is = |info: &rvirt_conf::domain::DeviceInfo| info.alias.as_deref() == Some(alias);
    if d.controllers.iter().any(|c| is(&c.info)) {
        return Some("controller".into());
    }
    if d.character_devices().any(|c| is(&c.info)) {
        return Some("chr".into());
    }
    if d.inputs.iter().any(|c| is(&c.info)) {
        return Some("input".into());
    }
    if d.videos.iter().any(|c| is(&c.info)) {
        return Some("video".into());
    }
    if d.memballoon.as_ref().is_some_and(|b| is(&b.info)) {
        return Some("memballoon".into());
    }
    d.other
        .iter()
        .find(|(_, e)| rvirt_conf::domain::raw_alias(e) == Some(alias))
        .map(|(_, e)| e.name.clone())
}

/// `d` with its backing chain read from its image, as a start records it: what changes owner
/// when the disk is plugged in.
fn with_chain(d: &DiskDef) -> DiskDef {
    let mut d = d.clone();
    if let Some(path) = d.source_path().map(str::to_string) {
        crate::disk_index::set(&mut d, &path, 1);
    }
    d
}

/// The QEMU id of a disk, as the command line names it.
fn disk_id(d: &DiskDef) -> String {
    crate::command::disk_device_id(d)
}

/// The first path component under `/machine/peripheral/` of a `query-block` qdev, or the qdev.
fn qdev_id(qdev: &str) -> &str {
    qdev.strip_prefix("/machine/peripheral/")
        .map_or(qdev, |rest| rest.split('/').next().unwrap_or(rest))
}

/// The block nodes of the device `id`: its format node and, named after it, its storage node.
async fn disk_nodes(m: &Monitor, id: &str) -> rvirt_qmp::Result<Vec<String>> {
    let blocks = m.query_block().await?;
    let Some(fmt) = blocks
        .iter()
        .filter(|b| b.qdev.as_deref().map(qdev_id) == Some(id))
        .find_map(|b| b.inserted.as_ref()?.node_name.clone())
    else {
        return Ok(Vec::new());
    };
    let mut nodes = vec![fmt.clone()];
    if let Some(base) = fmt.strip_suffix("-format") {
        nodes.push(format!("{base}-storage"));
    }
    Ok(nodes)
}

/// How long a media change waits for the tray of a drive to open, as libvirt does.
const TRAY_OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens the tray of removable drive `id` and waits until QEMU reports it open: false when it
/// stayed shut for [`TRAY_OPEN_TIMEOUT`]. A tray the guest locked only gets an eject request
/// (which unlocks it with `force`), so the command is repeated until the tray moves.
async fn open_tray(m: &Monitor, id: &str) -> rvirt_qmp::Result<bool> {
    let deadline = std::time::Instant::now() + TRAY_OPEN_TIMEOUT;
    loop {
        m.execute("blockdev-open-tray", Some(json!({"id": id, "force": true})))
            .await?;
        let open = m
            .query_block()
            .await?
            .iter()
            .filter(|b| b.qdev.as_deref().map(qdev_id) == Some(id))
            .any(|b| b.tray_open == Some(true));
        if open {
            return Ok(true);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Runs a medium command (`blockdev-remove-medium`, `blockdev-insert-medium`) that needs the
/// tray of drive `id` open: opens it first, and again when the guest closed it meanwhile (a
/// guest may shut the tray whenever it likes: Linux does when something opens the drive, and
/// firmware probing the drive can too). False when the tray would not open.
async fn with_tray_open(
    m: &Monitor,
    id: &str,
    command: &str,
    args: Value,
) -> rvirt_qmp::Result<bool> {
    let mut attempt = 0;
    loop {
        if !open_tray(m, id).await? {
            return Ok(false);
        }
        match m.execute(command, Some(args.clone())).await {
            Err(rvirt_qmp::Error::Qemu { ref desc, .. })
                if desc.contains("is not open") && attempt < 10 =>
            {
                attempt += 1;
            }
            r => return r.map(|_| true),
        }
    }
}

/// A `libvirt-N-` node index no node of QEMU has.
async fn free_node_index(m: &Monitor) -> rvirt_qmp::Result<u64> {
    let nodes: Vec<Value> = m
        .call("query-named-block-nodes", Some(json!({"flat": true})))
        .await?;
    let used = nodes
        .iter()
        .filter_map(|n| n.get("node-name")?.as_str())
        .filter_map(|n| {
            n.strip_prefix("libvirt-")?
                .split('-')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    Ok(used + 1)
}

/// The `-blockdev` pair of a file or block disk with node index `n`; the format node last.
fn blockdev_pair(d: &DiskDef, n: u64) -> Result<Option<(Value, Value)>> {
    let Some(path) = d.source_path() else {
        return Ok(None);
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
        .map_or("raw", |(_, v)| v.as_str());
    let readonly = d.readonly || d.device == "cdrom";
    let storage = format!("libvirt-{n}-storage");
    let driver = if actual == "block" {
        "host_device"
    } else {
        "file"
    };
    Ok(Some((
        json!({"driver": driver, "filename": path, "node-name": storage,
               "auto-read-only": true, "discard": "unmap"}),
        json!({"node-name": format!("libvirt-{n}-format"), "read-only": readonly,
               "driver": format, "file": storage}),
    )))
}

/// The QEMU device model of an interface model.
fn net_driver(model: Option<&str>) -> Result<&'static str> {
    Ok(match model.unwrap_or("virtio") {
        "virtio" => "virtio-net-pci",
        "e1000" => "e1000",
        "e1000e" => "e1000e",
        "rtl8139" => "rtl8139",
        other => {
            return Err(unsupported(format!(
                "interface model '{other}' is not supported yet"
            )));
        }
    })
}

/// `qom-list /machine/peripheral`: the ids of the devices that have one.
async fn peripherals(m: &Monitor) -> rvirt_qmp::Result<Vec<String>> {
    let list: Vec<Value> = m
        .call("qom-list", Some(json!({"path": "/machine/peripheral"})))
        .await?;
    Ok(list
        .iter()
        .filter(|e| {
            e.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("child<"))
        })
        .filter_map(|e| e.get("name")?.as_str().map(str::to_string))
        .collect())
}

/// The QEMU id and netdev of the interface with MAC `mac`.
async fn net_ids(m: &Monitor, mac: &str) -> rvirt_qmp::Result<Option<(String, Option<String>)>> {
    for id in peripherals(m).await? {
        let path = format!("/machine/peripheral/{id}");
        let Ok(v) = m.qom_get(&path, "mac").await else {
            continue;
        };
        if v.as_str().and_then(parse_mac) == parse_mac(mac) {
            let netdev = m
                .qom_get(&path, "netdev")
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .filter(|s| !s.is_empty());
            return Ok(Some((id, netdev)));
        }
    }
    Ok(None)
}

/// What a device call works on once it has begun (see [`QemuDriver::begin_device_call`]).
struct DeviceCall {
    obj: Arc<DomainObj>,
    /// The domain's device-change lock, held for the call.
    guard: tokio::sync::OwnedMutexGuard<()>,
    /// The call changes the running domain.
    live: bool,
    /// The call changes the persistent definition.
    config: bool,
    /// The persistent definition as the call found it.
    persistent: Arc<DomainDef>,
}

impl QemuDriver {
    /// Runs `f` with the domain's monitor on the driver's runtime.
    async fn with_monitor<T, Fut>(&self, p: &Proc, f: impl FnOnce(Monitor) -> Fut) -> Result<T>
    where
        Fut: std::future::Future<Output = rvirt_qmp::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let mon = p.monitor()?;
        crate::process::on_rt(f(mon)).await?.map_err(qmp_error)
    }

    /// What every device call starts with, in libvirt's order: the flag check (`function`
    /// takes `supported`), the domain, its device-change lock, and which definitions `impact`
    /// (the flags less those that are not `VIR_DOMAIN_AFFECT_*`) makes the call change.
    async fn begin_device_call(
        &self,
        dom: &DomainRef,
        function: &str,
        flags: F,
        supported: F,
        impact: F,
    ) -> Result<DeviceCall> {
        check_flags(FROM, function, flags.bits(), supported.bits())?;
        let obj = self.obj(dom)?;
        let guard = domain_lock(obj.uuid).lock_owned().await;
        let (live, config, persistent) = {
            let st = obj.lock();
            let (l, c) = st.modification_impact(impact.bits())?;
            (l, c, st.persistent_def().clone())
        };
        Ok(DeviceCall {
            obj,
            guard,
            live,
            config,
            persistent,
        })
    }

    /// Replaces the persistent definition with `def` once it is on disk.
    fn commit_config(&self, obj: &DomainObj, def: DomainDef) -> Result<()> {
        self.save_config(&def)?;
        let mut st = obj.lock();
        let def = Arc::new(def);
        if st.is_active() {
            st.new_def = Some(def);
        } else {
            st.def = def;
        }
        Ok(())
    }

    /// `virDomainAttachDeviceFlags` (and `virDomainAttachDevice`, which is it with
    /// `VIR_DOMAIN_AFFECT_LIVE`).
    pub(crate) async fn attach_device(&self, dom: &DomainRef, xml: &str, flags: F) -> Result<()> {
        let DeviceCall {
            obj,
            guard: _g,
            live,
            config,
            persistent,
        } = self
            .begin_device_call(
                dom,
                "qemuDomainAttachDeviceFlags",
                flags,
                F::LIVE | F::CONFIG,
                flags,
            )
            .await?;
        let new_config = if config {
            let mut dev = parse_device(xml, "persistent attach", &persistent)?;
            if let Device::Disk(disk) = &mut dev {
                // libvirt resolves a volume disk's pool even for the config alone.
                self.translate_disk(disk)?;
            }
            Some(config_attach(&persistent, &dev, &self.config)?)
        } else {
            None
        };
        if live {
            let live_def = obj.lock().def.clone();
            let dev = parse_device(xml, "live attach", &live_def)?;
            self.attach_live(&obj, dev).await?;
        }
        if let Some(def) = new_config {
            self.commit_config(&obj, def)?;
        }
        Ok(())
    }

    /// `virDomainDetachDeviceFlags` (and `virDomainDetachDevice`).
    pub(crate) async fn detach_device(&self, dom: &DomainRef, xml: &str, flags: F) -> Result<()> {
        let DeviceCall {
            obj,
            guard: g,
            live,
            config,
            persistent,
        } = self
            .begin_device_call(
                dom,
                "qemuDomainDetachDeviceFlags",
                flags,
                F::LIVE | F::CONFIG,
                flags,
            )
            .await?;
        let new_config = if config {
            let dev = parse_device(xml, "persistent detach", &persistent)?;
            Some(config_detach(&persistent, &dev)?)
        } else {
            None
        };
        let wait = if live {
            let live_def = obj.lock().def.clone();
            let dev = parse_device(xml, "live detach", &live_def)?;
            self.detach_live(&obj, dev).await?
        } else {
            None
        };
        if let Some(def) = new_config {
            self.commit_config(&obj, def)?;
        }
        drop(g);
        if let Some(key) = wait {
            // The guest's answer: DEVICE_DELETED finishes the removal (see device_deleted).
            let deadline = Instant::now() + unplug_timeout();
            crate::process::on_rt(async move {
                while pending().lock().contains_key(&key) && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await?;
        }
        Ok(())
    }

    /// `virDomainUpdateDeviceFlags`: a disk's media (CD-ROM, floppy) live, a disk's settings
    /// in the persistent definition.
    pub(crate) async fn update_device(&self, dom: &DomainRef, xml: &str, flags: F) -> Result<()> {
        let DeviceCall {
            obj,
            guard: _g,
            live,
            config,
            persistent,
        } = self
            .begin_device_call(
                dom,
                "qemuDomainUpdateDeviceFlags",
                flags,
                F::LIVE | F::CONFIG | F::FORCE,
                flags & !F::FORCE,
            )
            .await?;
        if let Some(g) = parse_graphics(xml)? {
            let new_config = if config {
                Some(config_update_graphics(&persistent, g.clone())?)
            } else {
                None
            };
            if live {
                self.change_graphics(&obj, g).await?;
            }
            if let Some(def) = new_config {
                self.commit_config(&obj, def)?;
            }
            return Ok(());
        }
        let new_config = if config {
            let dev = parse_device(xml, "persistent update", &persistent)?;
            Some(config_update(&persistent, &dev)?)
        } else {
            None
        };
        if live {
            let live_def = obj.lock().def.clone();
            match parse_device(xml, "live update", &live_def)? {
                Device::Disk(disk) => self.change_media(&obj, disk).await?,
                Device::Net { net, mac_given } => self.change_net(&obj, net, mac_given).await?,
                Device::Memory(mem) => self.change_memory(&obj, mem).await?,
                dev @ (Device::Rng(_)
                | Device::Watchdog(_)
                | Device::Input(_)
                | Device::Shmem(_)
                | Device::Chr(..)
                | Device::Controller(..)
                | Device::Filesystem(_)
                | Device::Redirdev(_)
                | Device::Lease(_)) => {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::CONFIG_UNSUPPORTED,
                        format!("live update of device '{}' is not supported", dev.kind()),
                    ));
                }
            }
        }
        if let Some(def) = new_config {
            self.commit_config(&obj, def)?;
        }
        Ok(())
    }

    /// `virDomainDetachDeviceAlias`: the live device with QEMU id `alias` (or the configured
    /// one with user alias `alias`), without waiting for the guest.
    pub(crate) async fn detach_device_alias(
        &self,
        dom: &DomainRef,
        alias: &str,
        flags: F,
    ) -> Result<()> {
        let DeviceCall {
            obj,
            guard: _g,
            live,
            config,
            persistent,
        } = self
            .begin_device_call(
                dom,
                "qemuDomainDetachDeviceAlias",
                flags,
                F::LIVE | F::CONFIG,
                flags,
            )
            .await?;
        let live_def = obj.lock().def.clone();
        let missing = || {
            // virDomainDefFindDevice's error, an internal one in libvirt.
            Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::INTERNAL_ERROR,
                format!("no device found with alias {alias}"),
            )
        };
        let new_config = if config {
            let mut d = (*persistent).clone();
            let before = (
                d.devices.disks.len(),
                d.devices.interfaces.len(),
                d.devices.inputs.len(),
            );
            d.devices
                .disks
                .retain(|x| x.info.alias.as_deref() != Some(alias));
            d.devices
                .interfaces
                .retain(|x| x.info.alias.as_deref() != Some(alias));
            d.devices
                .inputs
                .retain(|x| x.info.alias.as_deref() != Some(alias));
            if let Some(i) = crate::memdev::position_by_alias(&d, alias) {
                crate::memdev::remove_configured(&mut d, i);
            } else if let Some((kind, chr)) = chr_with_alias(&d, alias) {
                remove_configured_chr(&mut d, kind, &chr)?;
            } else if let Some(i) =
                (d.devices.controllers.iter()).position(|c| c.info.alias.as_deref() == Some(alias))
            {
                d.devices.controllers.remove(i);
            } else if let Some(i) = RAW_DEVICES
                .iter()
                .find_map(|name| crate::alias::raw_position(&d, name, alias))
            {
                d.devices.other.remove(i);
            } else if before
                == (
                    d.devices.disks.len(),
                    d.devices.interfaces.len(),
                    d.devices.inputs.len(),
                )
            {
                return Err(missing());
            }
            Some(reparse(&d, None)?)
        } else {
            None
        };
        if live {
            let dev =
                if let Some(disk) = live_def.devices.disks.iter().find(|d| disk_id(d) == alias) {
                    Device::Disk(disk.clone())
                } else if let Some(net) = live_def
                    .devices
                    .interfaces
                    .iter()
                    .find(|n| n.info.alias.as_deref() == Some(alias))
                {
                    Device::Net {
                        net: net.clone(),
                        mac_given: true,
                    }
                } else if let Some(i) = ["memory"]
                    .iter()
                    .chain(&RAW_DEVICES)
                    .find_map(|name| crate::alias::raw_position(&live_def, name, alias))
                {
                    Device::raw(live_def.devices.other[i].1.clone())
                } else if let Some(input) = live_def
                    .devices
                    .inputs
                    .iter()
                    .find(|x| x.info.alias.as_deref() == Some(alias))
                {
                    Device::Input(input.clone())
                } else if let Some((kind, chr)) = chr_with_alias(&live_def, alias) {
                    Device::Chr(kind, chr)
                } else if let Some(c) = (live_def.devices.controllers.iter())
                    .find(|c| c.info.alias.as_deref() == Some(alias))
                {
                    Device::Controller(c.clone(), true)
                } else if let Some(kind) = other_device_with_alias(&live_def, alias) {
                    // libvirt's message for a device its live detach does not handle.
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        format!("live detach of device '{kind}' is not supported"),
                    ));
                } else {
                    return Err(missing());
                };
            self.detach_live(&obj, dev).await?;
        }
        if let Some(def) = new_config {
            self.commit_config(&obj, def)?;
        }
        Ok(())
    }

    /// The live definition changed: the domain object takes it and the status file records it.
    fn commit_live(&self, obj: &DomainObj, def: DomainDef) -> Result<()> {
        obj.lock().def = Arc::new(def);
        self.save_status(obj)
    }

    async fn attach_live(&self, obj: &DomainObj, dev: Device) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let (live_def, id) = {
            let st = obj.lock();
            (st.def.clone(), st.id)
        };
        let mut def = (*live_def).clone();
        let alias;
        match dev {
            Device::Lease(l) => {
                // No lock manager, no QEMU command, no event (libvirt's with its `nop`
                // manager); not checked against the leases the guest has, as in libvirt.
                def.devices.insert_other(l);
                return self.commit_live(obj, reparse_live(&def, id)?);
            }
            Device::Disk(mut disk) => {
                if disk.device == "floppy" {
                    return Err(unsupported("floppy device hotplug isn't supported".into()));
                }
                self.prepare_disk_source(&mut disk)?;
                // A USB disk needs no help from the guest to leave: QEMU unplugs it at once.
                let driver = match (disk.bus.as_str(), disk.device.as_str()) {
                    ("virtio", _) => "virtio-blk-pci",
                    ("usb", _) => "usb-storage",
                    ("scsi", "cdrom") => "scsi-cd",
                    ("scsi", "disk") => "scsi-hd",
                    ("scsi", other) => {
                        return Err(unsupported(format!(
                            "disk device '{other}' on bus 'scsi' cannot be hotplugged."
                        )));
                    }
                    (other, _) => {
                        return Err(unsupported(format!(
                            "disk bus '{other}' cannot be hotplugged."
                        )));
                    }
                };
                if disk.device == "cdrom" && disk.bus == "virtio" {
                    return Err(unsupported(
                        "cdrom device with virtio bus isn't supported".into(),
                    ));
                }
                if let Some(other) = def
                    .devices
                    .disks
                    .iter()
                    .find(|d| d.target_dev == disk.target_dev)
                {
                    return Err(Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::XML_ERROR,
                        format!(
                            "target '{}' duplicated for disk sources '{}' and '{}'",
                            disk.target_dev,
                            other.source_path().unwrap_or(""),
                            disk.source_path().unwrap_or("")
                        ),
                    ));
                }
                // Checked before QEMU is asked anything.
                blockdev_pair(&disk, 0)?.ok_or_else(|| {
                    Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::CONFIG_UNSUPPORTED,
                        format!("disk '{}' has no source", disk.target_dev),
                    )
                })?;
                let mut disk = disk;
                // Its place (a PCI slot, a USB port; a SCSI disk's drive address is its
                // name's, its controllers plugged first) as the guest's other devices have
                // theirs.
                match disk.bus.as_str() {
                    "scsi" => self.scsi_controllers_for(obj, &p, &mut def, &disk).await?,
                    bus => {
                        let bus = if bus == "usb" { Bus::Usb } else { Bus::Pci };
                        disk.info.address = hotplug_address(
                            &def,
                            bus,
                            |a| a.devices.disks.push(disk.clone()),
                            |a| a.devices.disks.last().map(|x| &x.info),
                        )?;
                    }
                }
                let qid = crate::alias::disk_alias_on(&def, &disk);
                disk.info.alias = Some(qid.clone());
                alias = qid.clone();
                let device = match disk.bus.as_str() {
                    "usb" => crate::command::at_usb(&def, &disk.info, json!({"driver": driver})),
                    "scsi" => crate::command::scsi_disk(&def, &disk, json!({"driver": driver}))?,
                    _ => crate::command::at_pci(&def, &disk.info, json!({"driver": driver})),
                };
                let d = disk.clone();
                // Its images (with their backing chain) go to QEMU's user first.
                let labelled = with_chain(&disk);
                self.grant_disk(&def, &p, &labelled)?;
                // A number no node of QEMU and no image of the live XML has.
                let floor = crate::disk_index::last_used(&def);
                let plugged = self
                    .with_monitor(&p, move |m| async move {
                        let n = free_node_index(&m).await?.max(floor + 1);
                        let Ok(Some((storage, format))) = blockdev_pair(&d, n) else {
                            return Ok(n);
                        };
                        let fmt_node = format["node-name"].as_str().unwrap_or_default().to_string();
                        let st_node = storage["node-name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        m.blockdev_add(storage).await?;
                        if let Err(e) = m.blockdev_add(format).await {
                            let _ = m.blockdev_del(&st_node).await;
                            return Err(e);
                        }
                        let mut props = device;
                        props["drive"] = json!(fmt_node);
                        props["id"] = json!(qid);
                        if let Err(e) = m.device_add(props).await {
                            let _ = m.blockdev_del(&fmt_node).await;
                            let _ = m.blockdev_del(&st_node).await;
                            return Err(e);
                        }
                        Ok(n)
                    })
                    .await;
                let n = plugged.inspect_err(|_| self.revoke_disk(&def, &p, &labelled))?;
                if let Some(path) = disk.source_path().map(str::to_string) {
                    crate::disk_index::set(&mut disk, &path, n);
                }
                def.devices.disks.push(disk);
            }
            Device::Net { net, .. } => {
                let driver = net_driver(net.model.as_deref())?;
                // A user alias is kept; otherwise the next `netN` after the live ones.
                let qid = net
                    .info
                    .alias
                    .clone()
                    .unwrap_or_else(|| format!("net{}", crate::alias::next_net_index(&def)));
                let mut net = net;
                net.info.alias = Some(qid.clone());
                alias = qid.clone();
                net.info.address = hotplug_address(
                    &def,
                    Bus::Pci,
                    |a| a.devices.interfaces.push(net.clone()),
                    |a| a.devices.interfaces.last().map(|x| &x.info),
                )?;
                crate::nethost::validate(&net)?;
                // libvirt 9.0 plugs tap-based, user-mode and vhost-user interfaces only.
                if net.on_socket() {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        format!(
                            "hotplug of interface type of {} is not implemented yet",
                            net.net_type
                        ),
                    ));
                }
                let netdev = format!("host{qid}");
                // The interface's host side first (its tap device), then QEMU's: the tap's
                // descriptors go over the monitor under names the netdev then takes.
                self.resolve_network_interface(&mut net, (&def.name, def.uuid))?;
                // Should the rest fail, the port taken on a virtual network goes back.
                let release = |net: &NetDef| self.release_network_interface(net);
                let tap = if crate::nethost::uses_tap(&net) {
                    match off_thread_connect(&mut net, &self.dirs.qemu_state).await {
                        Ok(t) => Some(t),
                        Err(e) => {
                            release(&net);
                            return Err(e);
                        }
                    }
                } else {
                    None
                };
                // A macvtap link made for it is deleted should the rest fail.
                let links = crate::nethost::Links::one(&net, &self.dirs.qemu_state);
                // Its bandwidth on the new device, as at start.
                if let Some(t) = &tap
                    && crate::qos::supported(&net)
                    && net.extra.iter().any(|e| e.name == "bandwidth")
                {
                    let (name, n) = (t.name.clone(), net.clone());
                    if let Err(e) =
                        crate::util::off_thread(move || crate::qos::set(&name, &n)).await
                    {
                        release(&net);
                        return Err(e);
                    }
                }
                let fd_names: Vec<String> = tap
                    .iter()
                    .flat_map(|t| (0..t.fds.len()).map(|i| format!("{netdev}-fd{i}")))
                    .collect();
                let props = match crate::command::netdev_props(
                    &net,
                    &netdev,
                    tap.is_some().then(|| fd_names.clone()),
                    &mut 0,
                ) {
                    Ok(p) => p,
                    Err(e) => {
                        release(&net);
                        return Err(e);
                    }
                };
                let dev = crate::command::at_pci(
                    &def,
                    &net.info,
                    crate::command::nic_device(&net, driver, &netdev, &qid),
                );
                self.with_monitor(&p, move |m| async move {
                    use std::os::fd::AsRawFd;
                    let fds = tap.as_ref().map(|t| t.fds.as_slice()).unwrap_or_default();
                    for (i, (name, fd)) in fd_names.iter().zip(fds).enumerate() {
                        if let Err(e) = m.getfd(name, fd.as_raw_fd()).await {
                            for n in &fd_names[..i] {
                                let _ = m.closefd(n).await;
                            }
                            return Err(e);
                        }
                    }
                    if let Err(e) = m.execute("netdev_add", Some(props)).await {
                        for n in &fd_names {
                            let _ = m.closefd(n).await;
                        }
                        return Err(e);
                    }
                    // QEMU holds the tap now; ours close with `tap` at the end of this task.
                    if let Err(e) = m.device_add(dev).await {
                        let _ = m.execute("netdev_del", Some(json!({"id": netdev}))).await;
                        return Err(e);
                    }
                    drop(tap);
                    Ok(())
                })
                .await
                .inspect_err(|_| release(&net))?;
                links.keep();
                def.devices.interfaces.push(net);
            }
            Device::Memory(mem) => {
                alias = self.plug_memory(&p, &mut def, mem).await?;
            }
            Device::Rng(e) | Device::Shmem(e) => {
                alias = self.plug_backed(&p, &mut def, e).await?;
            }
            Device::Watchdog(w) => {
                alias = self.plug_watchdog(&p, &mut def, w).await?;
            }
            Device::Input(i) => {
                alias = self.plug_input(&p, &mut def, i).await?;
            }
            Device::Controller(c, index_given) => {
                alias = self.plug_controller(&p, &mut def, c, index_given).await?;
            }
            Device::Filesystem(fs) => {
                alias = self.plug_filesystem(&p, &mut def, fs).await?;
            }
            Device::Redirdev(r) => {
                alias = self.plug_redirdev(&p, &mut def, r).await?;
            }
            Device::Chr(kind, chr) => {
                let dir = self
                    .dirs
                    .qemu_lib
                    .join("channel/target")
                    .join(format!("domain-{}", crate::util::short_name(id, &def.name)));
                alias = self.plug_chr(&p, &mut def, kind, chr, &dir).await?;
            }
        }
        let def = reparse_live(&def, id)?;
        let committed = self.commit_live(obj, def);
        // The device is in the guest whatever became of the status file: libvirt announces it.
        let dref = obj.lock().to_ref(obj.uuid);
        self.events
            .emit(DomainEvent::DeviceAdded { dom: dref, alias });
        committed
    }

    /// qemuDomainAttachMemory for DIMMs: checked against the live definition (slots, room,
    /// node), given the first free slot and the alias of it, its backend object and
    /// `pc-dimm` added (the backend taken back should the device fail), then the domain's
    /// memory grows by it, the balloon's current size and QEMU's placement (base address)
    /// are read back. Returns the alias libvirt announces (the backend's, `memdimm0`).
    async fn plug_memory(
        &self,
        p: &Proc,
        def: &mut DomainDef,
        mut mem: RawElement,
    ) -> Result<String> {
        crate::memdev::check_caps(&mem)?;
        crate::memdev::compatible(def, &mem, true)?;
        crate::memdev::validate(def, Some(&mem))?;
        // A DIMM or NVDIMM takes the first free slot; virtio-mem and virtio-pmem devices a
        // PCI address, as the guest's other devices were given theirs.
        crate::memdev::assign_slot(def, &mut mem)?;
        let qid = alias_or(&mut mem, |m| {
            crate::alias::memory_alias(def, m).unwrap_or_default()
        });
        let mut after = def.clone();
        crate::memdev::insert(&mut after, mem);
        assign_hotplug_pci(&mut after)?;
        let at = crate::memdev::position_by_alias(&after, &qid)
            .ok_or_else(|| Error::internal(ErrorDomain::DOMAIN, "memory device lost"))?;
        let mem = after.devices.other[at].1.clone();
        let (backend, device) =
            crate::command::hotplug_memory_device(&after, &mem, p.private_dir(), &self.config)?;
        if crate::command::device_in_ram_dir(&after, &mem) {
            let dir = crate::virtiofs::ram_dir(p.private_dir(), &self.config);
            crate::virtiofs::make_ram_dir(&dir)?;
            self.dac.give_path(&after, &dir)?;
        }
        // The file an NVDIMM or a virtio-pmem device maps goes to QEMU's user first.
        let file = crate::memdev::source_text(&mem, "path").map(std::path::PathBuf::from);
        if let Some(f) = &file {
            self.dac.set_memory_file(&after, f)?;
        }
        let memdev = format!("mem{qid}");
        let id2 = memdev.clone();
        self.with_monitor(p, move |m| async move {
            m.execute("object-add", Some(backend)).await?;
            if let Err(e) = m.device_add(device).await {
                let _ = m.execute("object-del", Some(json!({ "id": id2 }))).await;
                return Err(e);
            }
            Ok(())
        })
        .await
        .inspect_err(|_| {
            if let Some(f) = &file {
                self.dac.restore_image(&after, f);
            }
        })?;
        *def = after;
        self.refresh_memory(p, def, true).await;
        Ok(memdev)
    }

    /// Plugs random number generator or shared memory device `e` into the running guest `p`
    /// (live definition `def`): its alias, a PCI address as the guest's other devices were
    /// given theirs, a generator's device node allowed, then its backend object and its
    /// device. Returns its alias.
    async fn plug_backed(
        &self,
        p: &Proc,
        def: &mut DomainDef,
        mut e: RawElement,
    ) -> Result<String> {
        let name = e.name.clone();
        let qid = alias_or(&mut e, |_| crate::alias::indexed_alias(def, &name));
        rvirt_conf::domain::mark_raw_tls_from_config(&mut e);
        let (after, at) = on_pci_slot(def, e, &qid, |_| Ok(()))?;
        let e = after.devices.other[at].1.clone();
        let (object, device) = match name.as_str() {
            "rng" => crate::command::rng_parts(&after, &e)?,
            _ => crate::command::shmem_parts(&after, &e)?,
        };
        // An EGD generator's chardev first (its socket given to QEMU's user).
        let egd = match name.as_str() {
            "rng" => crate::rng::egd_chardev(&e)?,
            _ => None,
        };
        let chardev = match &egd {
            Some(c) => {
                let id = crate::command::chardev_id(&c.info);
                Some((crate::command::chr::chardev_add(c, &id, false)?, id))
            }
            None => None,
        };
        if name == "rng" {
            self.grant_rng(p, &e)?;
        }
        if let Some(c) = &egd
            && let Err(err) = self.dac.set_chardev(def, c)
        {
            self.revoke_rng(p, &e);
            return Err(err);
        }
        let object_id = crate::command::backend_object(&name, &qid).unwrap_or_default();
        self.with_monitor(p, move |m| async move {
            let chardev_id = match chardev {
                Some((add, id)) => {
                    m.execute("chardev-add", Some(add)).await?;
                    Some(id)
                }
                None => None,
            };
            let plugged = match m.execute("object-add", Some(object)).await {
                Ok(_) => {
                    let added = m.device_add(device).await;
                    if added.is_err() {
                        let _ = m
                            .execute("object-del", Some(json!({ "id": object_id })))
                            .await;
                    }
                    added
                }
                Err(e) => Err(e),
            };
            if plugged.is_err()
                && let Some(id) = chardev_id
            {
                let _ = m.execute("chardev-remove", Some(json!({ "id": id }))).await;
            }
            plugged
        })
        .await
        .inspect_err(|_| {
            if name == "rng" {
                self.revoke_rng(p, &e);
            }
            if let Some(c) = &egd {
                self.dac.restore_chardev(def, c);
            }
        })?;
        *def = after;
        Ok(qid)
    }

    /// Plugs watchdog `w` into the running guest `p` (live definition `def`), as libvirt can
    /// an `i6300esb` only: its alias, a PCI address as the guest's other devices were given
    /// theirs, QEMU told what to do when it fires, then the device. Returns its alias.
    async fn plug_watchdog(
        &self,
        p: &Proc,
        def: &mut DomainDef,
        mut w: RawElement,
    ) -> Result<String> {
        if watchdog_of(def).is_some() {
            return Err(Error::operation_invalid(
                ErrorDomain::QEMU,
                "domain already has a watchdog",
            ));
        }
        let qid = alias_or(&mut w, |_| "watchdog0".into());
        let model = w.attr("model").unwrap_or_default().to_string();
        if model != "i6300esb" {
            return Err(unsupported(format!(
                "hotplug of watchdog of model {model} is not supported"
            )));
        }
        let (after, at) = on_pci_slot(def, w, &qid, |_| Ok(()))?;
        let (device, action) = crate::command::watchdog_parts(&after, &after.devices.other[at].1)?;
        self.with_monitor(p, move |m| async move {
            m.execute("set-action", Some(json!({ "watchdog": action })))
                .await?;
            m.device_add(device).await
        })
        .await?;
        *def = after;
        Ok(qid)
    }

    /// Plugs input `i` into the running guest `p` (live definition `def`), a USB or virtio one
    /// as libvirt can: its alias (one past the highest `inputN`), a USB port or a PCI address
    /// as the guest's other devices were given theirs (one its XML names checked against
    /// theirs), then the device. Returns its alias.
    async fn plug_input(&self, p: &Proc, def: &mut DomainDef, mut i: InputDef) -> Result<String> {
        let bus = i.bus.clone().unwrap_or_else(|| "none".into());
        if i.info.alias.is_none() {
            i.info.alias = Some(crate::alias::input_alias(def));
        }
        let qid = i.info.alias.clone().unwrap_or_default();
        let place = match bus.as_str() {
            "usb" => Bus::Usb,
            "virtio" => Bus::Pci,
            _ => {
                return Err(unsupported(format!(
                    "input device on bus '{bus}' cannot be hot plugged."
                )));
            }
        };
        i.info.address = hotplug_address(
            def,
            place,
            |a| a.devices.inputs.push(i.clone()),
            |a| a.devices.inputs.last().map(|x| &x.info),
        )?;
        let mut after = def.clone();
        after.devices.inputs.push(i);
        let Some(input) = after.devices.inputs.last() else {
            return Err(Error::internal(FROM, "input lost"));
        };
        let Some(device) = crate::command::input_device(&after, input)? else {
            return Err(Error::internal(FROM, "input without a device"));
        };
        self.with_monitor(p, move |m| async move { m.device_add(device).await })
            .await?;
        *def = after;
        Ok(qid)
    }

    /// Plugs redirected USB device `r` into the running guest `p` (live definition `def`), as
    /// libvirt's qemuDomainAttachRedirdevDevice: its alias, a USB port as the guest's other
    /// devices were given theirs, its source's files given to QEMU's user, then its chardev
    /// and its `usb-redir` device — the chardev taken back should the device fail. Returns its
    /// alias.
    async fn plug_redirdev(
        &self,
        p: &Proc,
        def: &mut DomainDef,
        mut r: RawElement,
    ) -> Result<String> {
        let qid = alias_or(&mut r, |_| crate::alias::redirdev_alias(def));
        rvirt_conf::domain::mark_raw_tls_from_config(&mut r);
        if let Some((bus, port)) = crate::defaults::raw_usb(&r) {
            usb_port_free(def, bus, port)?;
        }
        let mut after = def.clone();
        after.devices.insert_other(r);
        crate::defaults::assign_usb(&mut after);
        let Some(at) = crate::alias::raw_position(&after, "redirdev", &qid) else {
            return Err(Error::internal(FROM, "redirdev lost"));
        };
        if after.devices.other[at].1.child("address").is_none() {
            return Err(Error::internal(ErrorDomain::DOMAIN, "No free USB ports"));
        }
        let (chr, device) = crate::command::redirdev_parts(&after, &after.devices.other[at].1)?;
        let add = crate::command::redirdev_chardev_add(&chr)?;
        let chardev = crate::command::chardev_id(&chr.info);
        self.dac.set_chardev(def, &chr)?;
        self.with_monitor(p, move |m| async move {
            add_behind_chardev(&m, add, chardev, m.device_add(device)).await
        })
        .await
        .inspect_err(|_| self.dac.restore_chardev(def, &chr))?;
        *def = after;
        Ok(qid)
    }

    /// Plugs filesystem `fs` into the running guest `p` (live definition `def`), as libvirt's
    /// qemuDomainAttachFSDevice (a virtio-fs share only): libvirt's checks of the share (the
    /// guest's memory must be shared), its alias and PCI address, its `virtiofsd` started
    /// (unless another process serves its socket) with the socket given to QEMU's user, then
    /// the chardev of the socket and the `vhost-user-fs-pci` device — the chardev taken back
    /// and the daemon stopped should the device fail. Returns its alias.
    async fn plug_filesystem(
        &self,
        p: &Proc,
        def: &mut DomainDef,
        mut fs: RawElement,
    ) -> Result<String> {
        if !crate::virtiofs::is_virtiofs(&fs) {
            return Err(Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "only virtiofs filesystems can be hotplugged",
            ));
        }
        let qid = alias_or(&mut fs, |_| crate::alias::fs_alias(def));
        let (mut after, at) = on_pci_slot(def, fs, &qid, crate::virtiofs::validate)?;
        let private_dir = p.private_dir().to_path_buf();
        let name = after.name.clone();
        let daemons = crate::virtiofs::start_plugged(
            &self.dirs,
            &private_dir,
            &name,
            &mut after.devices.other[at].1,
        )?;
        let fs = after.devices.other[at].1.clone();
        let (chardev, sock, device) =
            crate::command::vhost_user_fs_parts(&after, &private_dir, &fs)?;
        if crate::virtiofs::external_socket(&fs).is_none() {
            self.dac.give_path(def, &sock)?;
        }
        let add = crate::command::chr::chardev_add(&unix_client(&sock), &chardev, false)?;
        self.with_monitor(p, move |m| async move {
            add_behind_chardev(&m, add, chardev, m.device_add(device)).await
        })
        .await?;
        daemons.keep();
        *def = after;
        Ok(qid)
    }

    /// Plugs SCSI controller `c` into the running guest `p` (live definition `def`), as
    /// libvirt's qemuDomainAttachControllerDevice (no other type can be): the first unused
    /// index when its XML gave none, LSI Logic's model when it has none, a PCI address as the
    /// guest's other devices were given theirs, its alias, then the device. Returns its alias.
    async fn plug_controller(
        &self,
        p: &Proc,
        def: &mut DomainDef,
        mut c: ControllerDef,
        index_given: bool,
    ) -> Result<String> {
        if c.ctrl_type != "scsi" {
            return Err(Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::OPERATION_UNSUPPORTED,
                format!("'{}' controller cannot be hot plugged.", c.ctrl_type),
            ));
        }
        if !index_given {
            c.index = unused_controller_index(def, "scsi");
        }
        if find_controller(def, "scsi", c.index).is_some() {
            return Err(Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::OPERATION_FAILED,
                format!("target scsi:{} already exists", c.index),
            ));
        }
        if c.model.is_none() {
            c.model = Some("lsilogic".into());
        }
        c.info.address = hotplug_address(
            def,
            Bus::Pci,
            |a| a.devices.controllers.push(c.clone()),
            |a| a.devices.controllers.last().map(|x| &x.info),
        )?;
        let qid = crate::alias::controller_alias(def, &c);
        c.info.alias = Some(qid.clone());
        let device = crate::command::scsi_controller_device(def, &c)?;
        self.with_monitor(p, move |m| async move { m.device_add(device).await })
            .await?;
        insert_controller(def, c, true);
        Ok(qid)
    }

    /// The SCSI controllers a SCSI disk about to be plugged needs (its own and every one of a
    /// lower index), plugged where the running guest `p` (live definition `def`) lacks them,
    /// each of the model of the guest's last SCSI controller, as libvirt adds them. The disk's
    /// drive address must be free. Controllers plugged stay, whatever becomes of the disk.
    async fn scsi_controllers_for(
        &self,
        obj: &DomainObj,
        p: &Proc,
        def: &mut DomainDef,
        disk: &DiskDef,
    ) -> Result<()> {
        let Some(Address::Drive { controller, .. }) = disk.info.address else {
            return Err(Error::internal(
                FROM,
                format!(
                    "unexpected disk address for SCSI disk '{}'",
                    disk.target_dev
                ),
            ));
        };
        let taken = def
            .devices
            .disks
            .iter()
            .any(|d| d.bus == "scsi" && d.info.address == disk.info.address);
        if taken {
            return Err(Error::operation_invalid(
                ErrorDomain::QEMU,
                "Domain already contains a disk with that address",
            ));
        }
        for index in 0..=controller {
            if find_controller(def, "scsi", index).is_some() {
                continue;
            }
            let model = (def.devices.controllers.iter().rev())
                .find(|c| c.ctrl_type == "scsi")
                .and_then(|c| c.model.clone());
            let c = ControllerDef {
                ctrl_type: "scsi".into(),
                index,
                model,
                extra_attrs: Vec::new(),
                extra: Vec::new(),
                info: DeviceInfo::default(),
            };
            self.plug_controller(p, def, c, true).await?;
            // In the guest now: in its live definition too, whatever the disk's fate.
            let id = obj.lock().id;
            *def = reparse_live(def, id)?;
            self.commit_live(obj, def.clone())?;
        }
        Ok(())
    }

    /// Plugs character device `chr` of kind `kind` into the running guest `p` (live
    /// definition `def`), as libvirt's qemuDomainAttachChrDevice: a unix channel without a
    /// path gets one in `channel_dir`, then its alias, its place (a virtio-serial port, a PCI
    /// slot, a USB port), its host file made and given to QEMU's user, its device checked,
    /// then its chardev and its device (a guestfwd channel's netdev) added — the chardev taken
    /// back should the device fail. A pty's path comes back from QEMU. Returns its alias.
    async fn plug_chr(
        &self,
        p: &Proc,
        def: &mut DomainDef,
        kind: ChrKind,
        mut chr: ChrDef,
        channel_dir: &std::path::Path,
    ) -> Result<String> {
        let target = chr.target_type.clone().unwrap_or_default();
        crate::startup::prepare_chardev_tls(&mut chr);
        if kind == ChrKind::Channel && crate::startup::prepare_channel(&mut chr, channel_dir) {
            std::fs::create_dir_all(channel_dir).map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot create '{}'", channel_dir.display()),
                    &e,
                )
            })?;
            // QEMU makes the socket there: the folder is its user's, as at start.
            self.dac.give_path(def, channel_dir)?;
        }
        if chr.info.alias.is_none() {
            chr.info.alias = Some(crate::alias::chr_alias(def, kind));
        }
        let qid = chr.info.alias.clone().unwrap_or_default();
        let virtio_serial = matches!(
            (kind, target.as_str()),
            (ChrKind::Console | ChrKind::Channel, "virtio")
        );
        if virtio_serial
            && !def
                .devices
                .controllers
                .iter()
                .any(|c| c.ctrl_type == "virtio-serial")
        {
            return Err(Error::internal(
                ErrorDomain::DOMAIN,
                "no virtio-serial controllers are available",
            ));
        }
        match (kind, target.as_str()) {
            (ChrKind::Channel, "virtio") => {
                let mut after = def.clone();
                after.devices.channels.push(chr.clone());
                crate::defaults::assign_virtio_serial(&mut after);
                chr.info.address = after
                    .devices
                    .channels
                    .last()
                    .and_then(|c| c.info.address.clone());
                if chr.info.address.is_none() {
                    return Err(Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::XML_ERROR,
                        "Unable to find a free virtio-serial port",
                    ));
                }
            }
            (ChrKind::Console, "virtio") => {}
            (ChrKind::Serial, "pci-serial" | "usb-serial") => {
                let bus = if target == "pci-serial" {
                    Bus::Pci
                } else {
                    Bus::Usb
                };
                chr.info.address = hotplug_address(
                    def,
                    bus,
                    |a| a.devices.serials.push(chr.clone()),
                    |a| a.devices.serials.last().map(|x| &x.info),
                )?;
            }
            _ => {
                if matches!(
                    chr.info.address,
                    Some(Address::VirtioSerial { .. } | Address::Pci { .. })
                ) {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::CONFIG_UNSUPPORTED,
                        "Unsupported address type for character device",
                    ));
                }
            }
        }
        crate::startup::create_chardev_file(&chr)?;
        let guestfwd = kind == ChrKind::Channel && target == "guestfwd";
        let device = {
            use crate::command::chr as c;
            match kind {
                ChrKind::Serial => c::serial_device(def, &chr, def.devices.serials.len())?,
                ChrKind::Parallel => c::parallel_device(&chr),
                ChrKind::Channel if guestfwd => c::guestfwd_netdev(&chr)?,
                ChrKind::Channel => c::channel_device(def, &chr)?,
                ChrKind::Console if chr.is_serial_console() => {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::CONFIG_UNSUPPORTED,
                        format!("unsupported console target type {target}"),
                    ));
                }
                ChrKind::Console => c::console_device(def, &chr)?,
            }
        };
        check_chr_insert(def, kind, &chr)?;
        let chardev = crate::command::chardev_id(&chr.info);
        let add = crate::command::chr::chardev_add(&chr, &chardev, kind == ChrKind::Parallel)?;
        self.dac.set_chardev(def, &chr)?;
        if let Err(e) = self.grant_chardev(p, &chr) {
            self.dac.restore_chardev(def, &chr);
            return Err(e);
        }
        let added = self
            .with_monitor(p, move |m| async move {
                let plug = async {
                    if guestfwd {
                        m.execute("netdev_add", Some(device)).await.map(drop)
                    } else {
                        m.device_add(device).await
                    }
                };
                add_behind_chardev(&m, add, chardev, plug).await
            })
            .await;
        let reply = added.inspect_err(|_| {
            self.revoke_chardev(p, &chr);
            self.dac.restore_chardev(def, &chr);
        })?;
        if chr.source_type == "pty"
            && let Some(pty) = reply["pty"].as_str()
        {
            chr.source.retain(|(k, _)| k != "path");
            chr.source.push(("path".into(), pty.into()));
        }
        def.devices.insert_chr(kind, chr);
        Ok(qid)
    }

    /// Asks the guest to release a device; returns the key its removal waits under (none for
    /// a lease: it leaves at once).
    async fn detach_live(&self, obj: &DomainObj, dev: Device) -> Result<Option<PendingKey>> {
        let p = self.proc_of(&obj.uuid)?;
        let live_def = obj.lock().def.clone();
        let (qid, what) = match dev {
            Device::Lease(l) => {
                let Some(i) = find_lease(&live_def, &l) else {
                    return Err(Error::invalid_arg(
                        ErrorDomain::QEMU,
                        format!("{} does not exist", lease_name(&l)),
                    ));
                };
                let mut def = (*live_def).clone();
                def.devices.other.remove(i);
                let id = obj.lock().id;
                self.commit_live(obj, reparse_live(&def, id)?)?;
                return Ok(None);
            }
            Device::Disk(disk) => {
                let Some(found) = live_def
                    .devices
                    .disks
                    .iter()
                    .find(|d| d.target_dev == disk.target_dev)
                else {
                    return Err(Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::DEVICE_MISSING,
                        format!("disk {} not found", disk.target_dev),
                    ));
                };
                let removable_bus = matches!(found.bus.as_str(), "usb" | "scsi");
                if found.device == "floppy" || (found.device == "cdrom" && !removable_bus) {
                    return Err(unsupported(format!(
                        "disk device type '{}' cannot be detached",
                        found.device
                    )));
                }
                if !matches!(found.bus.as_str(), "virtio" | "usb" | "scsi") {
                    return Err(unsupported(
                        "This type of disk cannot be hot unplugged".into(),
                    ));
                }
                let qid = disk_id(found);
                let id2 = qid.clone();
                let nodes = self
                    .with_monitor(&p, |m| async move { disk_nodes(&m, &id2).await })
                    .await?;
                (
                    qid,
                    Pending::Disk {
                        target: found.target_dev.clone(),
                        nodes,
                    },
                )
            }
            Device::Net { net, mac_given } => {
                let i = find_net(&live_def, &net, mac_given)?;
                let found = &live_def.devices.interfaces[i];
                let mac = found.mac.clone();
                let m2 = mac.clone();
                let ids = match &found.info.alias {
                    Some(a) => Some((a.clone(), Some(format!("host{a}")))),
                    // A domain started before devices had aliases in its status file.
                    None => {
                        self.with_monitor(&p, |m| async move { net_ids(&m, &m2).await })
                            .await?
                    }
                };
                let Some((qid, netdev)) = ids else {
                    return Err(Error::internal(
                        FROM,
                        format!("no QEMU device has MAC address {mac}"),
                    ));
                };
                (qid, Pending::Net { mac, netdev })
            }
            Device::Memory(mem) => {
                crate::memdev::compatible(&live_def, &mem, false)?;
                let model = mem.attr("model").unwrap_or_default().to_string();
                let Some(i) = crate::memdev::find(&live_def, &mem, false) else {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::DEVICE_MISSING,
                        format!(
                            "model '{model}' memory device not present in the domain \
                             configuration"
                        ),
                    ));
                };
                (alias_of(&live_def.devices.other[i].1), Pending::Memory)
            }
            Device::Rng(r) => {
                let i = crate::rng::find_live(&live_def, &r)?;
                let qid = alias_of(&live_def.devices.other[i].1);
                (qid, Pending::Raw("rng".into()))
            }
            Device::Watchdog(w) => {
                let qid = unplugged_watchdog(&live_def, &w)?;
                (qid, Pending::Raw("watchdog".into()))
            }
            Device::Shmem(e) => {
                let Some(i) = crate::rng::find_shmem(&live_def, &e) else {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::DEVICE_MISSING,
                        format!(
                            "model '{}' shmem device not present in domain configuration",
                            crate::command::shmem_model(&e)
                        ),
                    ));
                };
                let qid = alias_of(&live_def.devices.other[i].1);
                (qid, Pending::Raw("shmem".into()))
            }
            Device::Input(i) => {
                let found = &live_def.devices.inputs[find_input(&live_def, &i)?];
                let bus = found.bus.as_deref().unwrap_or("none");
                if !matches!(bus, "usb" | "virtio" | "none") {
                    return Err(unsupported(format!(
                        "input device on bus '{bus}' cannot be detached"
                    )));
                }
                (found.info.alias.clone().unwrap_or_default(), Pending::Input)
            }
            Device::Redirdev(r) => {
                let Some(i) = find_redirdev(&live_def, &r)? else {
                    return Err(Error::operation_invalid(
                        ErrorDomain::QEMU,
                        "no matching redirdev was not found",
                    ));
                };
                (alias_of(&live_def.devices.other[i].1), Pending::Redirdev)
            }
            Device::Filesystem(fs) => {
                let Some(i) = find_fs(&live_def, &fs) else {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::DEVICE_MISSING,
                        "matching filesystem not found",
                    ));
                };
                let found = &live_def.devices.other[i].1;
                if !crate::virtiofs::is_virtiofs(found) {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        "only virtiofs filesystems can be hotplugged",
                    ));
                }
                (alias_of(found), Pending::Filesystem)
            }
            Device::Controller(c, index_given) => {
                if c.ctrl_type != "scsi" {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        format!("'{}' controller cannot be hot unplugged.", c.ctrl_type),
                    ));
                }
                let found = find_controller(&live_def, "scsi", c.index).filter(|_| index_given);
                let Some(i) = found else {
                    let index = if index_given { c.index as i64 } else { -1 };
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::DEVICE_MISSING,
                        format!("controller scsi:{index} not found"),
                    ));
                };
                let busy = live_def.devices.disks.iter().any(|d| {
                    d.bus == "scsi"
                        && matches!(d.info.address,
                                    Some(Address::Drive { controller, .. }) if controller == c.index)
                });
                if busy {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::OPERATION_FAILED,
                        "device cannot be detached: device is busy",
                    ));
                }
                let found = &live_def.devices.controllers[i];
                (
                    found.info.alias.clone().unwrap_or_default(),
                    Pending::Controller,
                )
            }
            Device::Chr(kind, chr) => {
                let Some(i) = live_def.devices.find_chr(kind, &chr) else {
                    return Err(Error::with_detail(
                        ErrorDomain::QEMU,
                        ErrorNumber::DEVICE_MISSING,
                        format!(
                            "chr type '{}' device not present in domain configuration",
                            kind.name()
                        ),
                    ));
                };
                // The console standing for the first serial port is that port.
                let devs = &live_def.devices;
                let found = match devs.chr_list(kind).get(i) {
                    Some(c) if kind == ChrKind::Console && i == 0 && c.is_serial_console() => {
                        devs.serials.first().unwrap_or(c)
                    }
                    Some(c) => c,
                    None => return Err(Error::internal(FROM, "character device lost")),
                };
                let qid = found.info.alias.clone().unwrap_or_default();
                if found.target_type.as_deref() == Some("guestfwd") {
                    // Not a device: its netdev goes (with the chardev), and so does it, now.
                    let id2 = qid.clone();
                    self.with_monitor(&p, |m| async move {
                        m.execute("netdev_del", Some(json!({ "id": id2 }))).await
                    })
                    .await?;
                    let key = (obj.uuid, p.pid, qid.clone());
                    pending()
                        .lock()
                        .insert(key.clone(), Pending::Chr { chardev: false });
                    self.device_deleted(obj, &p, &qid).await;
                    return Ok(Some(key));
                }
                (qid, Pending::Chr { chardev: true })
            }
        };
        let key = (obj.uuid, p.pid, qid.clone());
        pending().lock().insert(key.clone(), what);
        let id2 = qid.clone();
        if let Err(e) = self
            .with_monitor(&p, |m| async move { m.device_del(&id2).await })
            .await
        {
            pending().lock().remove(&key);
            return Err(e);
        }
        Ok(Some(key))
    }

    /// `DEVICE_DELETED` for `id`: frees the device's backends and takes it out of the live
    /// definition, if a detach asked for its removal.
    pub(crate) async fn device_deleted(&self, obj: &DomainObj, p: &Arc<Proc>, id: &str) {
        let key = (obj.uuid, p.pid, id.to_string());
        let Some(what) = pending().lock().get(&key).cloned() else {
            return;
        };
        let mut def = (*obj.lock().def).clone();
        match &what {
            Pending::Disk { target, nodes } => {
                let nodes = nodes.clone();
                let _ = self
                    .with_monitor(p, |m| async move {
                        for n in nodes {
                            let _ = m.blockdev_del(&n).await;
                        }
                        Ok(())
                    })
                    .await;
                if let Some(d) = def.devices.disks.iter().find(|d| &d.target_dev == target) {
                    self.revoke_disk(&def, p, d);
                }
                def.devices.disks.retain(|d| &d.target_dev != target);
            }
            Pending::Net { mac, netdev } => {
                if let Some(nd) = netdev.clone() {
                    let _ = self
                        .with_monitor(p, |m| async move {
                            m.execute("netdev_del", Some(json!({"id": nd}))).await
                        })
                        .await;
                }
                for n in def
                    .devices
                    .interfaces
                    .iter()
                    .filter(|n| parse_mac(&n.mac) == parse_mac(mac))
                {
                    crate::nethost::disconnect(n, &self.dirs.qemu_state);
                    self.release_network_interface(n);
                }
                def.devices
                    .interfaces
                    .retain(|n| parse_mac(&n.mac) != parse_mac(mac));
            }
            Pending::Memory => {
                // The backend goes once the guest let go of the device; then its file in
                // the RAM folder, if any, and the file it mapped goes back to its owner.
                let memdev = format!("mem{id}");
                let _ = self
                    .with_monitor(p, |m| async move {
                        m.execute("object-del", Some(json!({ "id": memdev }))).await
                    })
                    .await;
                if let Some(i) = crate::memdev::position_by_alias(&def, id) {
                    let e = &def.devices.other[i].1;
                    if crate::command::device_in_ram_dir(&def, e) {
                        let dir = crate::virtiofs::ram_dir(p.private_dir(), &self.config);
                        let _ = std::fs::remove_file(dir.join(id));
                    }
                    if let Some(f) = crate::memdev::source_text(e, "path") {
                        self.dac.restore_image(&def, std::path::Path::new(f));
                    }
                    crate::memdev::remove(&mut def, i);
                }
                self.refresh_memory(p, &mut def, true).await;
            }
            Pending::Raw(name) => {
                if let Some(object) = crate::command::backend_object(name, id) {
                    let _ = self
                        .with_monitor(p, |m| async move {
                            m.execute("object-del", Some(json!({ "id": object }))).await
                        })
                        .await;
                }
                if let Some(i) = crate::alias::raw_position(&def, name, id) {
                    let (_, e) = def.devices.other.remove(i);
                    if name == "rng" {
                        self.revoke_rng(p, &e);
                        // An EGD generator's chardev goes after its backend.
                        if let Ok(Some(c)) = crate::rng::egd_chardev(&e) {
                            self.remove_chardev(p, crate::command::chardev_id(&c.info))
                                .await;
                            self.dac.restore_chardev(&def, &c);
                        }
                    }
                }
            }
            Pending::Input => {
                def.devices
                    .inputs
                    .retain(|x| x.info.alias.as_deref() != Some(id));
            }
            Pending::Redirdev => {
                self.remove_chardev(p, format!("char{id}")).await;
                if let Some(i) = crate::alias::raw_position(&def, "redirdev", id) {
                    let (_, r) = def.devices.other.remove(i);
                    if let Ok(chr) = crate::command::chr::raw_chardev(&r, None) {
                        self.dac.restore_chardev(&def, &chr);
                    }
                }
            }
            Pending::Filesystem => {
                self.remove_chardev(p, format!("chr-vu-{id}")).await;
                if let Some(i) = crate::alias::raw_position(&def, "filesystem", id) {
                    let (_, fs) = def.devices.other.remove(i);
                    crate::virtiofs::stop_share(&self.dirs, p.private_dir(), &fs);
                }
            }
            Pending::Controller => {
                def.devices
                    .controllers
                    .retain(|c| c.info.alias.as_deref() != Some(id));
            }
            Pending::Chr { chardev } => {
                if *chardev {
                    self.remove_chardev(p, format!("char{id}")).await;
                }
                if let Some((_, c)) = def.devices.remove_chr_by_alias(id) {
                    self.revoke_chardev(p, &c);
                    self.dac.restore_chardev(&def, &c);
                }
            }
        }
        let _ = self.commit_live(obj, def);
        pending().lock().remove(&key);
        let dref = obj.lock().to_ref(obj.uuid);
        self.events.emit(DomainEvent::DeviceRemoved {
            dom: dref,
            alias: id.to_string(),
        });
    }

    /// Removes chardev `id` from QEMU (the device in front of it is gone); a failure is
    /// QEMU's to keep, as libvirt leaves it.
    async fn remove_chardev(&self, p: &Proc, id: String) {
        let _ = self
            .with_monitor(p, |m| async move {
                m.execute("chardev-remove", Some(json!({ "id": id }))).await
            })
            .await;
    }

    /// qemuDomainChangeMemoryLive: a virtio-mem device's requested size (QEMU's
    /// `requested-size`, which the guest then plugs or unplugs memory to reach); nothing
    /// else of a memory device changes while the guest runs.
    async fn change_memory(&self, obj: &DomainObj, new: RawElement) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let (live_def, id) = {
            let st = obj.lock();
            (st.def.clone(), st.id)
        };
        let Some(i) = crate::memdev::find_by_info(&live_def, &new) else {
            return Err(Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!(
                    "memory '{}' not found",
                    rvirt_conf::domain::raw_alias(&new).unwrap_or("(null)")
                ),
            ));
        };
        crate::memdev::compatible(&live_def, &new, false)?;
        let old = &live_def.devices.other[i].1;
        crate::memdev::check_change(old, &new)?;
        let alias = alias_of(old);
        let requested = crate::memdev::kib_at(&new, &["target", "requested"]);
        let args = json!({"path": format!("/machine/peripheral/{alias}"),
                          "property": "requested-size", "value": requested << 10});
        self.with_monitor(
            &p,
            |m| async move { m.execute("qom-set", Some(args)).await },
        )
        .await?;
        let mut def = (*live_def).clone();
        crate::memdev::set_requested(&mut def.devices.other[i].1, requested);
        self.commit_live(obj, reparse_live(&def, id)?)
    }

    /// qemuDomainChangeNet for what this driver can change on a running interface: its link
    /// state (QMP `set_link`) and the bridge its tap device is on. Anything else would need
    /// the interface rebuilt, which libvirt refuses too, with the same errors.
    async fn change_net(&self, obj: &DomainObj, new: NetDef, mac_given: bool) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let live_def = obj.lock().def.clone();
        let i = find_net(&live_def, &new, mac_given)?;
        let old = &live_def.devices.interfaces[i];
        let refuse = |what: String| {
            Error::with_detail(ErrorDomain::QEMU, ErrorNumber::OPERATION_UNSUPPORTED, what)
        };
        let model = |n: &NetDef| n.model.clone().unwrap_or_else(|| "(null)".into());
        if old.model != new.model {
            return Err(refuse(format!(
                "cannot modify network device model from {} to {}",
                model(old),
                model(&new)
            )));
        }
        if new.target_dev.is_some() && new.target_dev != old.target_dev {
            return Err(refuse("cannot modify network device tap name".into()));
        }
        if new
            .info
            .address
            .as_ref()
            .is_some_and(|a| Some(a) != old.info.address.as_ref())
        {
            return Err(refuse(
                "cannot modify network device guest PCI address".into(),
            ));
        }
        if new.info.boot_order != old.info.boot_order {
            return Err(refuse(
                "cannot modify network device boot index setting".into(),
            ));
        }
        // What may differ: the link, the bridge (bridge to bridge), the port's isolation and
        // the receive coalescing; the rest must match. An interface on a network is the same
        // one on the same network (what the network gave the running one is not in the
        // caller's XML).
        let rest = |n: &NetDef| {
            let mut n = n.clone();
            n.extra
                .retain(|e| !matches!(e.name.as_str(), "link" | "port" | "coalesce"));
            n.target_dev = None;
            n.info = Default::default();
            if n.net_type == "bridge" {
                n.source.retain(|(k, _)| k != "bridge");
            }
            if n.net_type == "network" {
                n.source.retain(|(k, _)| k == "network" || k == "portgroup");
                n.actual_type = None;
            }
            n
        };
        if rest(old) != rest(&new) {
            return Err(refuse(format!(
                "unable to change config on '{}' network type",
                new.net_type
            )));
        }
        let mut changed = old.clone();
        let isolated = |n: &NetDef| n.port_isolated() == Some(true);
        let tap = old.target_dev.clone().unwrap_or_default();
        let bridges = (
            crate::nethost::bridge_of(old),
            crate::nethost::bridge_of(&new),
        );
        if let (Some(from), Some(to)) = bridges
            && from != to
        {
            // The port on the new bridge takes the new isolation (libvirt's
            // qemuDomainChangeNetBridge).
            let (tap, from, to) = (tap.clone(), from.to_string(), to.to_string());
            let iso = (isolated(old), isolated(&new));
            crate::util::off_thread(move || crate::nethost::move_to_bridge(&tap, &from, &to, iso))
                .await?;
            changed.source = new.source.clone();
        } else if let (_, Some(bridge)) = bridges
            && isolated(old) != isolated(&new)
        {
            crate::tap::bridge_port_set(bridge, &tap, "isolated", u64::from(isolated(&new)))?;
        }
        // What changed takes the new definition's element (or its absence).
        let take_new = |changed: &mut NetDef, name: &str| {
            changed.extra.retain(|e| e.name != name);
            (changed.extra).extend(new.extra.iter().filter(|e| e.name == name).cloned());
        };
        take_new(&mut changed, "port");
        if old.coalesce_rx_frames() != new.coalesce_rx_frames() {
            // No coalescing in the new definition sets every count back to 0, as libvirt.
            let took =
                crate::tap::set_coalesce_rx_frames(&tap, new.coalesce_rx_frames().unwrap_or(0))?;
            take_new(&mut changed, "coalesce");
            changed.set_coalesce_rx_frames(took);
        }
        if crate::nethost::link_down(old) != crate::nethost::link_down(&new) {
            let args = json!({
                "name": old.info.alias.clone().unwrap_or_default(),
                "up": !crate::nethost::link_down(&new),
            });
            self.with_monitor(&p, move |m| async move {
                m.execute("set_link", Some(args)).await.map(|_| ())
            })
            .await?;
        }
        take_new(&mut changed, "link");
        let mut def = (*live_def).clone();
        def.devices.interfaces[i] = changed;
        let id = obj.lock().id;
        let def = reparse_live(&def, id)?;
        self.commit_live(obj, def)
    }

    /// qemuDomainChangeGraphics: a running VNC or SPICE console takes a new password (and its
    /// expiry and what happens to connected clients); nothing else of it may change. Without
    /// a password in the new definition QEMU keeps the one it has, as with libvirt.
    async fn change_graphics(&self, obj: &DomainObj, new: GraphicsDef) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let mut def = (*obj.lock().def).clone();
        let kind = new.graphics_type.clone();
        let Some(old) = def
            .devices
            .graphics
            .iter_mut()
            .find(|g| g.graphics_type == kind)
        else {
            return Err(Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::DEVICE_MISSING,
                format!("cannot find existing graphics device to modify of type '{kind}'"),
            ));
        };
        if kind != "vnc" && kind != "spice" {
            return Err(Error::internal(
                ErrorDomain::QEMU,
                format!("unable to change config on '{kind}' graphics type"),
            ));
        }
        if !graphics_change_allowed(old, &new)? {
            return Ok(());
        }
        if let Some(pw) = crate::graphics::password_now(&new, &self.config) {
            self.with_monitor(&p, |m| async move {
                crate::graphics::set_passwords_raw(&m, &[pw]).await
            })
            .await?;
        }
        old.passwd = new.passwd.clone();
        old.extra_attrs
            .retain(|(k, _)| k != "passwdValidTo" && k != "connected");
        for (k, v) in &new.extra_attrs {
            if k == "passwdValidTo" || k == "connected" {
                old.extra_attrs.push((k.clone(), v.clone()));
            }
        }
        self.commit_live(obj, def)
    }

    /// qemuDomainChangeDiskLive: a removable disk's media, ejected or replaced.
    async fn change_media(&self, obj: &DomainObj, mut disk: DiskDef) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let (live_def, id) = {
            let st = obj.lock();
            (st.def.clone(), st.id)
        };
        let mut def = (*live_def).clone();
        let Some(old) = def
            .devices
            .disks
            .iter_mut()
            .find(|d| d.target_dev == disk.target_dev)
        else {
            return Err(Error::internal(
                ErrorDomain::DOMAIN,
                format!("disk '{}' not found", disk.target_dev),
            ));
        };
        self.prepare_disk_source(&mut disk)?;
        if old.source_path() == disk.source_path() && old.disk_type == disk.disk_type {
            return Ok(());
        }
        if old.device != "cdrom" && old.device != "floppy" {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::CONFIG_UNSUPPORTED,
                "disk source can be changed only in removable drives",
            ));
        }
        blockdev_pair(&disk, 0)?;
        let qid = disk_id(old);
        let d = disk.clone();
        let target = disk.target_dev.clone();
        let labelled = with_chain(&disk);
        self.grant_disk(&live_def, &p, &labelled)?;
        let opened = self
            .with_monitor(&p, move |m| async move {
                let old_nodes = disk_nodes(&m, &qid).await?;
                let remove = json!({"id": qid});
                if !with_tray_open(&m, &qid, "blockdev-remove-medium", remove).await? {
                    return Ok(false);
                }
                for n in old_nodes {
                    let _ = m.blockdev_del(&n).await;
                }
                let n = free_node_index(&m).await?;
                if let Ok(Some((storage, format))) = blockdev_pair(&d, n) {
                    let fmt_node = format["node-name"].as_str().unwrap_or_default().to_string();
                    m.blockdev_add(storage).await?;
                    m.blockdev_add(format).await?;
                    let insert = json!({"id": qid, "node-name": fmt_node});
                    if !with_tray_open(&m, &qid, "blockdev-insert-medium", insert).await? {
                        return Ok(false);
                    }
                }
                m.execute("blockdev-close-tray", Some(json!({"id": qid})))
                    .await?;
                Ok(true)
            })
            .await
            .inspect_err(|_| self.revoke_disk(&live_def, &p, &labelled))?;
        if !opened {
            self.revoke_disk(&live_def, &p, &labelled);
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                format!("timed out waiting to open tray of '{target}'"),
            ));
        }
        self.revoke_disk(&live_def, &p, old);
        old.disk_type = disk.disk_type;
        old.translated = disk.translated;
        old.source = disk.source;
        old.source_children = disk.source_children;
        if let Some(t) = disk.driver.iter().find(|(k, _)| k == "type") {
            old.driver.retain(|(k, _)| k != "type");
            old.driver.push(t.clone());
        }
        let def = reparse_live(&def, id)?;
        self.commit_live(obj, def)
    }
}

impl QemuDriver {
    /// A QMP command on a running domain's monitor, its `return` value as JSON: what
    /// `virDomainQemuMonitorCommand` passes through (tests read QEMU's view of devices with it).
    pub async fn monitor_command(
        &self,
        dom: &DomainRef,
        command: &str,
        args: Option<Value>,
    ) -> Result<Value> {
        let p = self.proc_of(&dom.uuid)?;
        let command = command.to_string();
        self.with_monitor(&p, |m| async move { m.execute(&command, args).await })
            .await
    }
}

/// [`crate::nethost::connect`] off the caller's executor (it makes kernel calls and may run
/// an interface script).
async fn off_thread_connect(net: &mut NetDef, state: &std::path::Path) -> Result<crate::tap::Tap> {
    let mut n = net.clone();
    let state = state.to_path_buf();
    let (n, tap) = crate::util::off_thread(move || {
        let tap = crate::nethost::connect(&mut n, &state)?;
        Ok((n, tap))
    })
    .await?;
    *net = n;
    Ok(tap)
}
