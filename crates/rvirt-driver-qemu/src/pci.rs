//! Persistent PCI addresses, as libvirt's QEMU driver gives them on define: every PCI device
//! of an i440FX or Q35 machine gets `<address type='pci' …>`, in libvirt's order (PCI
//! controllers, NICs, sound, other controllers, virtio disks, memballoon, rng, watchdog,
//! video…), the chipset's own functions reserved (PIIX3 at 00:01, ICH9 at 00:1f, the primary
//! video at 00:02 or 00:01), and the buses the devices need added as controllers: pci-bridges
//! on i440FX, pcie-root-ports (and a pcie-to-pci-bridge for conventional PCI devices) on Q35.
//!
//! As libvirt, a first dry pass finds how many buses the devices need (growing the set as it
//! goes), the missing controllers are added, and a second pass assigns the addresses.

use crate::defaults::{is_i440fx, is_q35};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{Address, ControllerDef, DeviceInfo};
use rvirt_conf::raw::RawElement;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

const AUTO: u32 = 1 << 0;
const HOTPLUG: u32 = 1 << 1;
const AGGREGATE: u32 = 1 << 3;
const PCI_DEV: u32 = 1 << 4;
const PCIE_DEV: u32 = 1 << 5;
const ROOT_PORT: u32 = 1 << 6;
const UPSTREAM: u32 = 1 << 7;
const DOWNSTREAM: u32 = 1 << 8;
const DMI_BRIDGE: u32 = 1 << 9;
const PXB: u32 = 1 << 10;
const PCIE_PXB: u32 = 1 << 11;
const BRIDGE: u32 = 1 << 12;
const PCIE_TO_PCI: u32 = 1 << 13;
/// An integrated device: it sits on the root bus (bus 0) itself, even pcie-root's.
const INTEGRATED: u32 = 1 << 14;
const TYPES: u32 = PCI_DEV
    | PCIE_DEV
    | ROOT_PORT
    | UPSTREAM
    | DOWNSTREAM
    | DMI_BRIDGE
    | PXB
    | PCIE_PXB
    | BRIDGE
    | PCIE_TO_PCI;
const ENDPOINT: u32 = PCI_DEV | PCIE_DEV;

/// A PCI address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pci {
    /// Bus (the index of the PCI controller).
    pub bus: u32,
    /// Slot.
    pub slot: u32,
    /// Function.
    pub function: u32,
    domain: u32,
}

impl Pci {
    fn at(bus: u32, slot: u32, function: u32) -> Pci {
        Pci {
            bus,
            slot,
            function,
            domain: 0,
        }
    }
}

impl std::fmt::Display for Pci {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{}",
            self.domain, self.bus, self.slot, self.function
        )
    }
}

fn err(from_config: bool, detail: String) -> Error {
    let code = if from_config {
        ErrorNumber::XML_ERROR
    } else {
        ErrorNumber::INTERNAL_ERROR
    };
    Error::with_detail(ErrorDomain::DOMAIN, code, detail)
}

#[derive(Clone)]
struct Bus {
    model: &'static str,
    flags: u32,
    min_slot: u32,
    max_slot: u32,
    functions: [u8; 32],
    aggregate: [bool; 32],
}

impl Bus {
    fn new(model: &'static str) -> Bus {
        let (flags, min_slot, max_slot) = match model {
            "pci-root" => (AUTO | PCI_DEV | BRIDGE | PXB | HOTPLUG, 1, 31),
            "pci-bridge" => (AUTO | PCI_DEV | BRIDGE | HOTPLUG, 1, 31),
            "pci-expander-bus" => (AUTO | PCI_DEV | BRIDGE | HOTPLUG, 0, 31),
            "pcie-root" => (PCIE_DEV | ROOT_PORT | DMI_BRIDGE | PCIE_PXB, 1, 31),
            "dmi-to-pci-bridge" => (PCI_DEV | BRIDGE, 0, 31),
            "pcie-to-pci-bridge" => (AUTO | PCI_DEV | BRIDGE | HOTPLUG, 1, 31),
            "pcie-root-port" | "pcie-switch-downstream-port" => {
                (AUTO | PCIE_DEV | UPSTREAM | PCIE_TO_PCI | HOTPLUG, 0, 0)
            }
            "pcie-switch-upstream-port" => (DOWNSTREAM, 0, 31),
            "pcie-expander-bus" => (ROOT_PORT | DMI_BRIDGE, 0, 31),
            _ => (0, 0, 0),
        };
        Bus {
            model,
            flags,
            min_slot,
            max_slot,
            functions: [0; 32],
            aggregate: [false; 32],
        }
    }

    fn fully_reserved(&self) -> bool {
        (self.min_slot..=self.max_slot).all(|s| self.functions[s as usize] != 0)
    }
}

/// The PCI controller models libvirt knows, as static strings.
fn model_name(model: &str) -> Option<&'static str> {
    [
        "pci-root",
        "pcie-root",
        "pci-bridge",
        "dmi-to-pci-bridge",
        "pcie-root-port",
        "pcie-switch-upstream-port",
        "pcie-switch-downstream-port",
        "pci-expander-bus",
        "pcie-expander-bus",
        "pcie-to-pci-bridge",
    ]
    .into_iter()
    .find(|m| *m == model)
}

/// What a PCI controller of `model` plugs into.
fn controller_connect(model: &str) -> u32 {
    match model {
        "pci-bridge" => BRIDGE,
        "pci-expander-bus" => PXB,
        "pcie-expander-bus" => PCIE_PXB,
        "dmi-to-pci-bridge" => DMI_BRIDGE,
        "pcie-to-pci-bridge" => PCIE_TO_PCI,
        "pcie-root-port" => ROOT_PORT | AGGREGATE,
        "pcie-switch-upstream-port" => UPSTREAM,
        "pcie-switch-downstream-port" => DOWNSTREAM,
        _ => 0,
    }
}

struct AddrSet {
    buses: Vec<Bus>,
    dry_run: bool,
}

fn flags_compatible(
    addr: &Pci,
    mut bus_flags: u32,
    mut dev_flags: u32,
    report: bool,
    from_config: bool,
) -> Result<bool> {
    if dev_flags & INTEGRATED != 0 {
        if addr.bus != 0 {
            if !report {
                return Ok(false);
            }
            return Err(err(
                from_config,
                format!(
                    "The device at PCI address {addr} needs to be an integrated device (bus=0)"
                ),
            ));
        }
        // pcie-root takes no endpoints as a rule, but an integrated device is one of its own.
        bus_flags |= AUTO;
    }
    if from_config {
        if bus_flags & ENDPOINT != 0 {
            bus_flags |= ENDPOINT;
        }
        if dev_flags & BRIDGE != 0 {
            dev_flags |= PCI_DEV;
        }
    } else if dev_flags & AUTO != 0 && bus_flags & AUTO == 0 {
        if !report {
            return Ok(false);
        }
        return Err(err(
            from_config,
            format!(
                "The device at PCI address {addr} was auto-assigned this address, but the \
                 PCI controller with index='{}' doesn't allow auto-assignment",
                addr.bus
            ),
        ));
    }
    if dev_flags & bus_flags & TYPES == 0 {
        if !report {
            return Ok(false);
        }
        let kind = [
            (PCI_DEV, "standard PCI device"),
            (PCIE_DEV, "PCI Express device"),
            (ROOT_PORT, "pcie-root-port"),
            (UPSTREAM, "pcie-switch-upstream-port"),
            (DOWNSTREAM, "pcie-switch-downstream-port"),
            (DMI_BRIDGE, "dmi-to-pci-bridge"),
            (PCIE_TO_PCI, "pcie-to-pci-bridge"),
            (PXB, "pci-expander-bus"),
            (PCIE_PXB, "pcie-expander-bus"),
            (BRIDGE, "pci-bridge"),
        ]
        .into_iter()
        .find(|(f, _)| dev_flags & f != 0)
        .map_or("device", |(_, k)| k);
        return Err(err(
            from_config,
            format!(
                "The device at PCI address {addr} cannot be plugged into the PCI controller \
                 with index='{}'. It requires a controller that accepts a {kind}.",
                addr.bus
            ),
        ));
    }
    Ok(true)
}

impl AddrSet {
    fn validate(&self, addr: &Pci, flags: u32, from_config: bool) -> Result<()> {
        if self.buses.is_empty() {
            return Err(err(from_config, "No PCI buses available".into()));
        }
        if addr.domain != 0 {
            return Err(err(
                from_config,
                format!("Invalid PCI address {addr}. Only PCI domain 0 is available"),
            ));
        }
        let Some(bus) = self.buses.get(addr.bus as usize) else {
            return Err(err(
                from_config,
                format!(
                    "Invalid PCI address {addr}. Only PCI buses up to {} are available",
                    self.buses.len() - 1
                ),
            ));
        };
        flags_compatible(addr, bus.flags, flags, true, from_config)?;
        if bus.min_slot != 0 && addr.slot < bus.min_slot {
            return Err(err(
                from_config,
                format!(
                    "Invalid PCI address {addr}. slot must be >= {}",
                    bus.min_slot
                ),
            ));
        }
        if addr.slot > bus.max_slot {
            return Err(err(
                from_config,
                format!(
                    "Invalid PCI address {addr}. slot must be <= {}",
                    bus.max_slot
                ),
            ));
        }
        Ok(())
    }

    fn slot_in_use(&self, addr: &Pci) -> bool {
        self.buses
            .get(addr.bus as usize)
            .is_some_and(|b| b.functions[addr.slot as usize & 31] != 0)
    }

    /// Adds the buses `addr` needs (dry run only); may move `addr` to a later bus.
    fn grow(&mut self, addr: &mut Pci, flags: u32) -> Result<()> {
        let n = self.buses.len() as u32;
        if addr.bus < n {
            return Ok(());
        }
        let mut add = addr.bus - n + 1;
        let mut need_pcie_to_pci = false;
        let model = if flags & PCI_DEV != 0 {
            need_pcie_to_pci = !self.buses.iter().any(|b| b.flags & BRIDGE != 0);
            if need_pcie_to_pci && add == 1 {
                add += 1;
                addr.bus += 1;
            }
            "pci-bridge"
        } else if flags & (PCIE_DEV | UPSTREAM) != 0 {
            "pcie-root-port"
        } else {
            let detail = match flags {
                f if f & ROOT_PORT != 0 => "a PCI slot is needed to connect a PCI controller \
                     model='pcie-root-port', but none is available, and it cannot be \
                     automatically added"
                    .to_string(),
                f => format!(
                    "Cannot automatically add a new PCI bus for a device with connect flags {f:02x}"
                ),
            };
            return Err(err(false, detail));
        };
        let mut added = 0;
        if need_pcie_to_pci {
            let mut port = Bus::new("pcie-root-port");
            // Only the bridge may use this port (not the spare device reserved later).
            port.flags = PCIE_TO_PCI;
            self.buses.push(port);
            self.buses.push(Bus::new("pcie-to-pci-bridge"));
            added = 2;
        }
        for _ in added..add {
            self.buses.push(Bus::new(model));
        }
        Ok(())
    }

    fn reserve(&mut self, addr: &mut Pci, flags: u32, from_config: bool) -> Result<()> {
        if self.dry_run {
            self.grow(addr, flags)?;
        }
        self.validate(addr, flags, from_config)?;
        let bus = &mut self.buses[addr.bus as usize];
        let slot = addr.slot as usize;
        if bus.functions[slot] & (1 << addr.function) != 0 {
            return Err(err(
                from_config,
                format!("Attempted double use of PCI Address {addr}"),
            ));
        }
        if bus.functions[slot] == 0 && flags & AGGREGATE != 0 {
            bus.aggregate[slot] = true;
        }
        bus.functions[slot] |= 1 << addr.function;
        Ok(())
    }

    fn next_addr(&mut self, flags: u32, function: Option<u32>) -> Result<Pci> {
        if self.buses.is_empty() {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::XML_ERROR,
                "No PCI buses available",
            ));
        }
        for (b, bus) in self.buses.iter().enumerate() {
            let mut a = Pci::at(b as u32, bus.min_slot, function.unwrap_or(0));
            if !flags_compatible(&a, bus.flags, flags, false, false)? {
                continue;
            }
            while a.slot <= bus.max_slot {
                let s = a.slot as usize;
                if bus.functions[s] == 0 {
                    return Ok(a);
                }
                if flags & AGGREGATE != 0 && bus.aggregate[s] {
                    if bus.functions[s] & (1 << a.function) == 0 {
                        return Ok(a);
                    }
                    if function.is_none() {
                        if let Some(f) = (0..8).find(|f| bus.functions[s] & (1 << f) == 0) {
                            a.function = f;
                            return Ok(a);
                        }
                        a.function = 0;
                    }
                }
                a.slot += 1;
            }
        }
        if self.dry_run {
            let mut a = Pci::at(self.buses.len() as u32, 0, function.unwrap_or(0));
            self.grow(&mut a, flags)?;
            a.slot = self.buses[a.bus as usize].min_slot;
            return Ok(a);
        }
        Err(Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::INTERNAL_ERROR,
            "No more available PCI slots",
        ))
    }

    /// Reserves the next free address for a device connecting with `flags`.
    fn reserve_next(&mut self, flags: u32, function: Option<u32>) -> Result<Pci> {
        let mut a = self.next_addr(flags, function)?;
        self.reserve(&mut a, flags, false)?;
        Ok(a)
    }
}

/// A device that may sit on PCI, by its place in the definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dev {
    Disk(usize),
    Net(usize),
    Video(usize),
    Controller(usize),
    Serial(usize),
    Input(usize),
    Balloon,
    /// A device kept as a raw element (sound, watchdog, rng, filesystem, hostdev…).
    Other(usize),
}

fn raw_pci(el: &RawElement) -> Option<Address> {
    let a = el.child("address")?;
    if a.attr("type") != Some("pci") {
        return Some(Address::Other(a.clone()));
    }
    let n = |k: &str| {
        a.attr(k)
            .and_then(rvirt_conf::xml::parse_uint_auto)
            .unwrap_or(0)
    };
    Some(Address::Pci {
        domain: n("domain"),
        bus: n("bus"),
        slot: n("slot"),
        function: n("function"),
        multifunction: a.attr("multifunction").map(str::to_string),
    })
}

fn pci_raw(a: &Address) -> RawElement {
    let mut o = RawElement {
        name: "address".into(),
        attrs: Vec::new(),
        children: Vec::new(),
    };
    if let Address::Pci {
        domain,
        bus,
        slot,
        function,
        multifunction,
    } = a
    {
        o.attrs = vec![
            ("type".into(), "pci".into()),
            ("domain".into(), format!("0x{domain:04x}")),
            ("bus".into(), format!("0x{bus:02x}")),
            ("slot".into(), format!("0x{slot:02x}")),
            ("function".into(), format!("0x{function:x}")),
        ];
        if let Some(m) = multifunction {
            o.attrs.push(("multifunction".into(), m.clone()));
        }
    }
    o
}

fn info_mut(def: &mut DomainDef, d: Dev) -> Option<&mut DeviceInfo> {
    let devs = &mut def.devices;
    Some(match d {
        Dev::Disk(i) => &mut devs.disks[i].info,
        Dev::Net(i) => &mut devs.interfaces[i].info,
        Dev::Video(i) => &mut devs.videos[i].info,
        Dev::Controller(i) => &mut devs.controllers[i].info,
        Dev::Serial(i) => &mut devs.serials[i].info,
        Dev::Input(i) => &mut devs.inputs[i].info,
        Dev::Balloon => &mut devs.memballoon.as_mut()?.info,
        Dev::Other(_) => return None,
    })
}

fn get_addr(def: &DomainDef, d: Dev) -> Option<Address> {
    let devs = &def.devices;
    match d {
        Dev::Disk(i) => devs.disks[i].info.address.clone(),
        Dev::Net(i) => devs.interfaces[i].info.address.clone(),
        Dev::Video(i) => devs.videos[i].info.address.clone(),
        Dev::Controller(i) => devs.controllers[i].info.address.clone(),
        Dev::Serial(i) => devs.serials[i].info.address.clone(),
        Dev::Input(i) => devs.inputs[i].info.address.clone(),
        Dev::Balloon => devs.memballoon.as_ref()?.info.address.clone(),
        Dev::Other(i) => raw_pci(&devs.other[i].1),
    }
}

fn set_addr(def: &mut DomainDef, d: Dev, a: Address) {
    if let Dev::Other(i) = d {
        crate::defaults::set_raw_address(&mut def.devices.other[i].1, pci_raw(&a));
    } else if let Some(info) = info_mut(def, d) {
        info.address = Some(a);
    }
}

fn set_pci(def: &mut DomainDef, d: Dev, p: Pci, multifunction: Option<&str>) {
    set_addr(
        def,
        d,
        Address::Pci {
            domain: p.domain,
            bus: p.bus,
            slot: p.slot,
            function: p.function,
            multifunction: multifunction.map(str::to_string),
        },
    );
}

/// The device's PCI address, when it has one that is not all zeros (all zeros asks for one).
fn present(def: &DomainDef, d: Dev) -> Option<Pci> {
    match get_addr(def, d)? {
        Address::Pci {
            domain,
            bus,
            slot,
            function,
            ..
        } if domain | bus | slot | function != 0 => Some(Pci {
            domain,
            bus,
            slot,
            function,
        }),
        _ => None,
    }
}

/// Whether the device still needs an address: none, or an all-zero PCI one.
fn wanted(def: &DomainDef, d: Dev) -> bool {
    match get_addr(def, d) {
        None => true,
        Some(Address::Pci { .. }) => present(def, d).is_none(),
        Some(_) => false,
    }
}

/// Every device in libvirt's iteration order (what address collection walks).
fn all_devices(def: &DomainDef) -> Vec<Dev> {
    let d = &def.devices;
    let others = |names: &[&str]| -> Vec<Dev> {
        (0..d.other.len())
            .filter(|&i| names.contains(&d.other[i].1.name.as_str()))
            .map(Dev::Other)
            .collect()
    };
    let mut v: Vec<Dev> = (0..d.disks.len()).map(Dev::Disk).collect();
    v.extend((0..d.interfaces.len()).map(Dev::Net));
    v.extend(others(&["sound", "hostdev"]));
    v.extend((0..d.videos.len()).map(Dev::Video));
    v.extend((0..d.controllers.len()).map(Dev::Controller));
    v.extend((0..d.serials.len()).map(Dev::Serial));
    v.extend((0..d.inputs.len()).map(Dev::Input));
    v.extend(others(&["filesystem", "watchdog"]));
    if d.memballoon.is_some() {
        v.push(Dev::Balloon);
    }
    v.extend(others(&["shmem", "rng", "memory", "iommu", "vsock"]));
    v
}

/// How the device connects, as libvirt computes it (0: not a PCI device).
fn connect_flags(def: &DomainDef, d: Dev, pcie: u32, virtio: u32) -> u32 {
    let pci = PCI_DEV | AUTO;
    let devs = &def.devices;
    match d {
        Dev::Controller(i) => {
            let c = &devs.controllers[i];
            let model = c.model.as_deref().unwrap_or("");
            match c.ctrl_type.as_str() {
                "pci" => controller_connect(model),
                "sata" | "ide" => pci,
                "usb" => match model {
                    "nec-xhci" | "qemu-xhci" => pcie,
                    "none" | "qusb1" | "qusb2" => 0,
                    _ => pci,
                },
                "scsi" => match model {
                    "" | "ncr53c90" => 0,
                    "virtio-scsi" | "virtio-non-transitional" => virtio,
                    _ => pci,
                },
                "virtio-serial" => match model {
                    "virtio-transitional" => pci,
                    _ => virtio,
                },
                _ => 0,
            }
        }
        Dev::Net(i) => {
            let n = &devs.interfaces[i];
            match n.model.as_deref() {
                _ if n.net_type == "hostdev" => 0,
                Some("usb-net") => 0,
                Some("virtio" | "virtio-non-transitional") => virtio,
                Some("virtio-transitional") => pci,
                Some("e1000e") | None => pcie,
                Some(_) => pci,
            }
        }
        Dev::Disk(i) => {
            let disk = &devs.disks[i];
            if disk.bus != "virtio" {
                return 0;
            }
            match disk.extra_attrs.iter().find(|(k, _)| k == "model") {
                Some((_, m)) if m == "virtio-transitional" => pci,
                _ => virtio,
            }
        }
        Dev::Balloon => match devs.memballoon.as_ref().map(|b| b.model.as_str()) {
            Some("virtio-transitional") => pci,
            Some("virtio" | "virtio-non-transitional") => virtio,
            _ => 0,
        },
        Dev::Video(i) => match devs.videos[i].model.as_str() {
            "virtio" => virtio,
            "vga" | "cirrus" | "vmvga" | "xen" | "vbox" | "qxl" | "parallels" => pci,
            "bochs" => pcie,
            _ => 0,
        },
        Dev::Input(i) => {
            let input = &devs.inputs[i];
            if input.bus.as_deref() != Some("virtio") {
                return 0;
            }
            match input.extra_attrs.iter().find(|(k, _)| k == "model") {
                Some((_, m)) if m == "virtio-transitional" => pci,
                _ => virtio,
            }
        }
        Dev::Serial(i) => {
            if devs.serials[i].target_type.as_deref() == Some("pci-serial") {
                pci
            } else {
                0
            }
        }
        Dev::Other(i) => {
            let el = &devs.other[i].1;
            let model = el.attr("model").unwrap_or("");
            match el.name.as_str() {
                "sound" => match model {
                    "es1370" | "ac97" | "ich6" | "ich9" => pci,
                    _ => 0,
                },
                "watchdog" if model == "i6300esb" => pci,
                "rng" | "vsock" => match model {
                    "virtio-transitional" => pci,
                    "virtio" | "virtio-non-transitional" => virtio,
                    _ => 0,
                },
                "shmem" => pci,
                "filesystem" => virtio,
                "memory" if matches!(model, "virtio-mem" | "virtio-pmem") => virtio,
                "iommu" if model == "virtio" => virtio | INTEGRATED,
                "hostdev"
                    if el.attr("mode") == Some("subsystem") && el.attr("type") == Some("pci") =>
                {
                    pcie
                }
                _ => 0,
            }
        }
    }
}

struct Ctx {
    pcie: u32,
    virtio: u32,
    i440fx: bool,
    q35: bool,
}

impl Ctx {
    fn flags(&self, def: &DomainDef, d: Dev) -> u32 {
        connect_flags(def, d, self.pcie, self.virtio)
    }
}

fn create_set(def: &DomainDef, ctx: &Ctx, nbuses: usize, dry_run: bool) -> Result<AddrSet> {
    let mut buses: Vec<Option<Bus>> = vec![None; nbuses];
    let mut has_pcie_root = false;
    for c in def
        .devices
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "pci")
    {
        let model = c.model.as_deref().and_then(model_name).ok_or_else(|| {
            Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::INTERNAL_ERROR,
                "PCI controller model was not set correctly",
            )
        })?;
        has_pcie_root |= model == "pcie-root";
        if let Some(slot) = buses.get_mut(c.index as usize) {
            *slot = Some(Bus::new(model));
        }
    }
    let default = if has_pcie_root {
        "pcie-root-port"
    } else {
        "pci-bridge"
    };
    let mut set = AddrSet {
        buses: buses
            .into_iter()
            .enumerate()
            .map(|(i, b)| b.unwrap_or_else(|| Bus::new(if i == 0 { "pci-root" } else { default })))
            .collect(),
        dry_run,
    };
    for d in all_devices(def) {
        let Some(mut p) = present(def, d) else {
            continue;
        };
        let mut flags = ctx.flags(def, d);
        if flags == 0 {
            flags = PCI_DEV;
        }
        if let Dev::Controller(i) = d {
            let c = &def.devices.controllers[i];
            let piix3_usb = c.ctrl_type == "usb"
                && matches!(c.model.as_deref(), None | Some("piix3-uhci"))
                && p.function == 2;
            let piix3_ide = c.ctrl_type == "ide" && p.function == 1;
            if p.bus == 0 && p.slot == 1 && c.index == 0 && (piix3_usb || piix3_ide) {
                if set.buses.first().is_some_and(|b| b.flags & PCI_DEV == 0) {
                    return Err(Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::INTERNAL_ERROR,
                        "Bus 0 must be PCI for integrated PIIX3 USB or IDE controllers",
                    ));
                }
                continue;
            }
        }
        set.reserve(&mut p, flags, true)?;
    }
    Ok(set)
}

/// The chipset's fixed functions: PIIX3 (i440FX) or ICH9 (Q35), and the primary video.
fn chipset_slots(def: &mut DomainDef, ctx: &Ctx, set: &mut AddrSet) -> Result<()> {
    let video_dev = (!def.devices.videos.is_empty()
        && !matches!(def.devices.videos[0].model.as_str(), "none" | "ramfb"))
    .then_some(Dev::Video(0));
    if ctx.i440fx {
        let flags = AUTO | PCI_DEV;
        for i in 0..def.devices.controllers.len() {
            let c = &def.devices.controllers[i];
            let (want, what) = if c.ctrl_type == "ide" && c.index == 0 {
                (
                    Pci::at(0, 1, 1),
                    "Primary IDE controller must have PCI address 0:0:1.1",
                )
            } else if c.ctrl_type == "usb"
                && c.index == 0
                && matches!(c.model.as_deref(), None | Some("piix3-uhci"))
            {
                (
                    Pci::at(0, 1, 2),
                    "PIIX3 USB controller at index 0 must have PCI address 0:0:1.2",
                )
            } else {
                continue;
            };
            match present(def, Dev::Controller(i)) {
                Some(p) if p != want => {
                    return Err(Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::INTERNAL_ERROR,
                        what,
                    ));
                }
                Some(_) => {}
                None => set_pci(def, Dev::Controller(i), want, None),
            }
            if !set.buses.is_empty() {
                set.reserve(&mut want.clone(), flags, true)?;
            }
        }
        if !set.buses.is_empty() {
            set.reserve(&mut Pci::at(0, 1, 0), flags, true)?;
            set.reserve(&mut Pci::at(0, 1, 3), flags, true)?;
        }
        if let Some(v) = video_dev {
            primary_video(def, ctx, set, v, 2, flags)?;
        }
    }
    if ctx.q35 {
        let flags = PCIE_DEV;
        for i in 0..def.devices.controllers.len() {
            let c = &def.devices.controllers[i];
            if c.ctrl_type == "sata" && c.index == 0 {
                let want = Pci::at(0, 0x1f, 2);
                match present(def, Dev::Controller(i)) {
                    Some(p) if p != want => {
                        return Err(Error::with_detail(
                            ErrorDomain::DOMAIN,
                            ErrorNumber::INTERNAL_ERROR,
                            "Primary SATA controller must have PCI address 0:0:1f.2",
                        ));
                    }
                    Some(_) => {}
                    None => set_pci(def, Dev::Controller(i), want, None),
                }
            }
        }
        if !set.buses.is_empty() {
            set.reserve(&mut Pci::at(0, 0x1f, 0), flags, true)?;
            set.reserve(&mut Pci::at(0, 0x1f, 3), flags, true)?;
        }
        // USB2 controller sets where real Q35 boards have them: the first at 00:1D, the
        // second at 00:1A, when free (their other parts join them later).
        for i in 0..def.devices.controllers.len() {
            // The set's UHCI1, function 0.
            if usb2_function(def, i) != Some(0)
                || present(def, Dev::Controller(i)).is_some()
                || set.buses.is_empty()
            {
                continue;
            }
            let Some(mut at) = [0x1d, 0x1a]
                .into_iter()
                .map(|slot| Pci::at(0, slot, 0))
                .find(|a| !set.slot_in_use(a))
            else {
                continue;
            };
            set.reserve(&mut at, flags, true)?;
            set_pci(def, Dev::Controller(i), at, Some("on"));
        }
        if let Some(v) = video_dev {
            primary_video(def, ctx, set, v, 1, flags)?;
        }
        let hda = Pci::at(0, 0x1b, 0);
        if !set.slot_in_use(&hda) {
            let ich9 = (0..def.devices.other.len()).find(|&i| {
                let el = &def.devices.other[i].1;
                el.name == "sound" && el.attr("model") == Some("ich9") && wanted(def, Dev::Other(i))
            });
            if let Some(i) = ich9 {
                set.reserve(&mut hda.clone(), flags, true)?;
                set_pci(def, Dev::Other(i), hda, None);
            }
        }
    }
    Ok(())
}

fn primary_video(
    def: &mut DomainDef,
    ctx: &Ctx,
    set: &mut AddrSet,
    v: Dev,
    slot: u32,
    flags: u32,
) -> Result<()> {
    if !wanted(def, v) {
        return Ok(());
    }
    let mut at = Pci::at(0, slot, 0);
    set.validate(&at, flags, true)?;
    if set.slot_in_use(&at) {
        let f = ctx.flags(def, v);
        let p = set.reserve_next(f, None)?;
        if !set.dry_run {
            set_pci(def, v, p, None);
        }
    } else {
        set.reserve(&mut at, flags, true)?;
        set_pci(def, v, at, None);
    }
    Ok(())
}

fn next_for(def: &mut DomainDef, ctx: &Ctx, set: &mut AddrSet, d: Dev) -> Result<()> {
    let flags = ctx.flags(def, d);
    let p = set.reserve_next(flags, None)?;
    if !set.dry_run {
        set_pci(def, d, p, None);
    }
    Ok(())
}

/// [`next_for`] each of `devs` that wants an address and can sit on a PCI bus.
fn next_each(
    def: &mut DomainDef,
    ctx: &Ctx,
    set: &mut AddrSet,
    devs: impl IntoIterator<Item = Dev>,
) -> Result<()> {
    for d in devs {
        if wanted(def, d) && ctx.flags(def, d) != 0 {
            next_for(def, ctx, set, d)?;
        }
    }
    Ok(())
}

/// Addresses for every device that wants one, in libvirt's order.
fn assign_slots(def: &mut DomainDef, ctx: &Ctx, set: &mut AddrSet) -> Result<()> {
    let n_ctrl = def.devices.controllers.len();
    for i in 0..n_ctrl {
        let c = &def.devices.controllers[i];
        if c.ctrl_type == "pci"
            && !matches!(c.model.as_deref(), Some("pci-root" | "pcie-root"))
            && wanted(def, Dev::Controller(i))
        {
            next_for(def, ctx, set, Dev::Controller(i))?;
        }
    }
    let others = |def: &DomainDef, names: &[&str]| -> Vec<Dev> {
        (0..def.devices.other.len())
            .filter(|&i| names.contains(&def.devices.other[i].1.name.as_str()))
            .map(Dev::Other)
            .collect()
    };
    next_each(def, ctx, set, others(def, &["filesystem"]))?;
    for i in 0..def.devices.interfaces.len() {
        let d = Dev::Net(i);
        if def.devices.interfaces[i].net_type != "hostdev" && wanted(def, d) {
            next_for(def, ctx, set, d)?;
        }
    }
    next_each(def, ctx, set, others(def, &["sound"]))?;
    for i in 0..n_ctrl {
        let c = &def.devices.controllers[i];
        let model = c.model.as_deref();
        let skip = c.ctrl_type == "pci"
            || (c.ctrl_type == "usb" && model == Some("none"))
            || c.ctrl_type == "fdc"
            || c.ctrl_type == "ccid"
            || (c.ctrl_type == "ide" && c.index == 0)
            || (c.ctrl_type == "scsi" && model == Some("ncr53c90"));
        let d = Dev::Controller(i);
        if skip || !wanted(def, d) || ctx.flags(def, d) == 0 {
            continue;
        }
        match usb2_function(def, i) {
            Some(function) => usb2_slot(def, ctx, set, i, function)?,
            None => next_for(def, ctx, set, d)?,
        }
    }
    for i in 0..def.devices.disks.len() {
        let d = Dev::Disk(i);
        if def.devices.disks[i].bus != "virtio" || present(def, d).is_some() {
            continue;
        }
        if !wanted(def, d) {
            continue;
        }
        next_for(def, ctx, set, d)?;
    }
    next_each(def, ctx, set, others(def, &["hostdev"]))?;
    let balloon = def
        .devices
        .memballoon
        .as_ref()
        .is_some_and(|b| b.model != "none");
    next_each(def, ctx, set, balloon.then_some(Dev::Balloon))?;
    next_each(def, ctx, set, others(def, &["rng"]))?;
    next_each(
        def,
        ctx,
        set,
        others(def, &["watchdog"]).into_iter().take(1),
    )?;
    next_each(def, ctx, set, (0..def.devices.videos.len()).map(Dev::Video))?;
    for d in others(def, &["shmem"]) {
        if wanted(def, d) {
            next_for(def, ctx, set, d)?;
        }
    }
    next_each(def, ctx, set, (0..def.devices.inputs.len()).map(Dev::Input))?;
    next_each(
        def,
        ctx,
        set,
        (0..def.devices.serials.len()).map(Dev::Serial),
    )?;
    next_each(def, ctx, set, others(def, &["iommu", "vsock", "memory"]))?;
    Ok(())
}

/// The PCI function of a part of a USB2 controller set (ICH9's EHCI at 7, its UHCI companions
/// at 0 to 2), `None` for another controller.
fn usb2_function(def: &DomainDef, i: usize) -> Option<u32> {
    let c = &def.devices.controllers[i];
    if c.ctrl_type != "usb" {
        return None;
    }
    match c.model.as_deref()? {
        "ich9-ehci1" => Some(7),
        "ich9-uhci1" => Some(0),
        "ich9-uhci2" => Some(1),
        "ich9-uhci3" => Some(2),
        _ => None,
    }
}

/// A part of a USB2 controller set (controller `i`, PCI function `function`) joins the slot
/// of a part of its set (same index) that has one, or takes a new slot (libvirt's
/// qemuDomainAssignDevicePCISlots): every part of the set shares one slot.
fn usb2_slot(
    def: &mut DomainDef,
    ctx: &Ctx,
    set: &mut AddrSet,
    i: usize,
    function: u32,
) -> Result<()> {
    let index = def.devices.controllers[i].index;
    let d = Dev::Controller(i);
    let flags = ctx.flags(def, d);
    let multi = (function == 0).then_some("on");
    let found = (0..def.devices.controllers.len())
        .filter(|&j| usb2_function(def, j).is_some() && def.devices.controllers[j].index == index)
        .find_map(|j| present(def, Dev::Controller(j)));
    match found {
        Some(p) => {
            let mut at = Pci::at(p.bus, p.slot, function);
            at.domain = p.domain;
            // Reserved as an address the definition gave (libvirt's ReserveAddr).
            set.reserve(&mut at, flags, true)?;
            set_pci(def, d, at, multi);
        }
        None => {
            let at = set.reserve_next(flags, Some(function))?;
            if !set.dry_run {
                set_pci(def, d, at, multi);
            }
        }
    }
    Ok(())
}

/// `multifunction='on'` on function 0 of every slot with more functions in use, unless set.
fn set_all_multi(def: &mut DomainDef) {
    let devs = all_devices(def);
    let used: Vec<Pci> = devs
        .iter()
        .filter_map(|d| present(def, *d))
        .filter(|p| p.function != 0)
        .collect();
    for d in devs {
        let Some(Address::Pci {
            domain,
            bus,
            slot,
            function: 0,
            multifunction: None,
        }) = get_addr(def, d)
        else {
            continue;
        };
        if used
            .iter()
            .any(|p| p.domain == domain && p.bus == bus && p.slot == slot)
        {
            set_addr(
                def,
                d,
                Address::Pci {
                    domain,
                    bus,
                    slot,
                    function: 0,
                    multifunction: Some("on".into()),
                },
            );
        }
    }
}

fn raw_el(name: &str, attrs: Vec<(&str, String)>) -> RawElement {
    RawElement {
        name: name.into(),
        attrs: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        children: Vec::new(),
    }
}

/// The QEMU device model and target options of the PCI controllers libvirt fills in.
fn controller_options(def: &mut DomainDef) -> Result<()> {
    for c in &mut def.devices.controllers {
        if c.ctrl_type != "pci" {
            continue;
        }
        let model = c.model.clone().unwrap_or_default();
        let qemu_name = match model.as_str() {
            "pci-bridge" => Some("pci-bridge"),
            "dmi-to-pci-bridge" => Some("i82801b11-bridge"),
            "pcie-root-port" => Some("pcie-root-port"),
            "pcie-switch-upstream-port" => Some("x3130-upstream"),
            "pcie-switch-downstream-port" => Some("xio3130-downstream"),
            "pci-expander-bus" => Some("pxb"),
            "pcie-expander-bus" => Some("pxb-pcie"),
            "pcie-to-pci-bridge" => Some("pcie-pci-bridge"),
            _ => None,
        };
        if let Some(n) = qemu_name {
            if !c.extra.iter().any(|e| e.name == "model") {
                c.extra.insert(0, raw_el("model", vec![("name", n.into())]));
            }
        }
        let addr = match c.info.address {
            Some(Address::Pci {
                bus,
                slot,
                function,
                ..
            }) => Pci::at(bus, slot, function),
            _ => Pci::default(),
        };
        let target = match model.as_str() {
            "pci-bridge" => Some(vec![("chassisNr", c.index.to_string())]),
            "pcie-root-port" => Some(vec![
                ("chassis", c.index.to_string()),
                ("port", format!("0x{:x}", (addr.slot << 3) + addr.function)),
            ]),
            "pcie-switch-downstream-port" => Some(vec![
                ("chassis", c.index.to_string()),
                ("port", format!("0x{:x}", addr.slot)),
            ]),
            _ => None,
        };
        if let Some(t) = target {
            if !c.extra.iter().any(|e| e.name == "target") {
                c.extra.push(raw_el("target", t));
            }
        }
        if model == "pci-bridge" && c.index <= addr.bus {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!(
                    "PCI controller at index {0} (0x{0:02x}) has bus='0x{1:02x}', but index \
                     must be larger than bus",
                    c.index, addr.bus
                ),
            ));
        }
    }
    Ok(())
}

/// Assigns PCI addresses to every device of `def` that wants one and adds the PCI
/// controllers they need, as libvirt's QEMU driver does on define.
pub(crate) fn assign(def: &mut DomainDef) -> Result<()> {
    let machine = def.os.machine.clone();
    let q35 = is_q35(machine.as_deref());
    let i440fx = is_i440fx(machine.as_deref());
    if !q35 && !i440fx {
        return Ok(());
    }
    let pcie = if q35 { PCIE_DEV | AUTO } else { PCI_DEV | AUTO };
    let ctx = Ctx {
        pcie,
        virtio: pcie,
        i440fx,
        q35,
    };
    let max_idx = def
        .devices
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "pci")
        .map(|c| c.index as i64)
        .max()
        .unwrap_or(-1);
    let mut nbuses = (max_idx + 1) as usize;
    if nbuses > 0 {
        let mut set = create_set(def, &ctx, nbuses, true)?;
        chipset_slots(def, &ctx, &mut set)?;
        if set.buses.first().is_some_and(|b| b.model == "pci-root")
            && !set.buses.iter().all(Bus::fully_reserved)
        {
            // A slot kept free for a future pci-bridge.
            set.reserve_next(AUTO | PCI_DEV, None)?;
        }
        assign_slots(def, &ctx, &mut set)?;
        if max_idx <= 0
            && set.buses.len() as i64 > max_idx + 1
            && set.buses.first().is_some_and(|b| b.model == "pcie-root")
        {
            // One empty pcie-root-port for hotplug, when libvirt manages the topology.
            set.reserve_next(AUTO | PCIE_DEV, None)?;
        }
        let mut i = 1;
        while i < set.buses.len() {
            let exists = def
                .devices
                .controllers
                .iter()
                .any(|c| c.ctrl_type == "pci" && c.index == i as u32);
            if !exists {
                let model = set.buses[i].model;
                def.devices.controllers.push(ControllerDef {
                    ctrl_type: "pci".into(),
                    index: i as u32,
                    model: Some(model.into()),
                    extra_attrs: Vec::new(),
                    extra: Vec::new(),
                    info: DeviceInfo::default(),
                });
                if model != "pci-root" && model != "pcie-root" {
                    set.reserve_next(controller_connect(model), None)?;
                }
            }
            i += 1;
        }
        nbuses = set.buses.len();
    }
    let mut set = create_set(def, &ctx, nbuses, false)?;
    chipset_slots(def, &ctx, &mut set)?;
    assign_slots(def, &ctx, &mut set)?;
    set_all_multi(def);
    controller_options(def)
}

/// `bus` and `addr` of a device's PCI address as QEMU's `-device` options name them: the
/// bus by its controller's alias (`pci.0` on i440FX, `pcie.0` on Q35, `pci.N` else).
pub(crate) fn qemu_bus_addr(def: &DomainDef, info: &DeviceInfo) -> Option<(String, String)> {
    let Some(Address::Pci {
        bus,
        slot,
        function,
        ..
    }) = info.address
    else {
        return None;
    };
    let bus_name = if bus == 0 {
        if is_q35(def.os.machine.as_deref()) {
            "pcie.0".to_string()
        } else {
            "pci.0".to_string()
        }
    } else {
        format!("pci.{bus}")
    };
    let addr = if function == 0 {
        format!("0x{slot:x}")
    } else {
        format!("0x{slot:x}.0x{function:x}")
    };
    Some((bus_name, addr))
}

/// Whether a device's address has `multifunction='on'`.
pub(crate) fn multifunction(info: &DeviceInfo) -> bool {
    matches!(&info.address, Some(Address::Pci { multifunction: Some(m), .. }) if m == "on")
}
