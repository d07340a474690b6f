//! The QEMU driver's own post-parse pass, after the generic one of `rvirt-conf`: what
//! libvirt's QEMU driver adds to every definition it keeps (implicit PS/2 inputs, the USB,
//! SATA and PCI root controllers of the machine, the default memballoon and audio backend,
//! the default CPU), and the per-device defaults (disk driver, NIC model, serial target
//! model, USB controller model, VNC listen, watchdog action). PCI addresses follow in
//! [`crate::pci`].
//!
//! Every step only fills what is missing, so running the pass again on a definition it
//! already filled changes nothing.

use rvirt_conf::DomainDef;
use rvirt_conf::domain::{
    ControllerDef, CpuDef, DeviceInfo, GraphicsListen, InputDef, MemballoonDef,
};
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// Whether `machine` is a Q35 machine type (`q35`, `pc-q35-7.2`…).
pub(crate) fn is_q35(machine: Option<&str>) -> bool {
    machine.is_some_and(|m| m == "q35" || m.starts_with("pc-q35-"))
}

/// Whether `machine` is an i440FX machine type (`pc`, `pc-i440fx-7.2`, `pc-1.0`…).
pub(crate) fn is_i440fx(machine: Option<&str>) -> bool {
    machine.is_some_and(|m| {
        m == "pc" || m.starts_with("pc-i440fx-") || m.starts_with("pc-0.") || m.starts_with("pc-1.")
    })
}

/// A `<features>` child of `def`, by name.
pub(crate) fn feature<'a>(def: &'a DomainDef, name: &str) -> Option<&'a RawElement> {
    def.features.as_ref()?.iter().find(|e| e.name == name)
}

/// A feature's `state` (`on` when the element is there without one), `None` when absent.
pub(crate) fn feature_state<'a>(def: &'a DomainDef, name: &str) -> Option<&'a str> {
    feature(def, name).map(|e| e.attr("state").unwrap_or("on"))
}

pub(crate) fn is_x86(def: &DomainDef) -> bool {
    matches!(def.os.arch.as_deref(), None | Some("x86_64" | "i686"))
}

fn xml_error(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::XML_ERROR, detail)
}

fn controller(ctrl_type: &str, index: u32, model: Option<&str>) -> ControllerDef {
    ControllerDef {
        ctrl_type: ctrl_type.into(),
        index,
        model: model.map(str::to_string),
        extra_attrs: Vec::new(),
        extra: Vec::new(),
        info: DeviceInfo::default(),
    }
}

/// The machine's default USB controller model.
fn default_usb_model(q35: bool) -> &'static str {
    if q35 { "qemu-xhci" } else { "piix3-uhci" }
}

/// Runs the QEMU driver's defaults on `def`, whose machine type is already canonical.
/// `user_controllers` is how many `<controller>` elements the document had, when known: the
/// controllers the generic pass added after them (for disks, virtio-serial ports) come after
/// the ones added here, as in libvirt, whose driver pass runs before the generic one.
pub(crate) fn apply(
    def: &mut DomainDef,
    user_controllers: Option<usize>,
    cfg: &crate::config::QemuConfig,
) -> Result<()> {
    let x86 = is_x86(def);
    let machine = def.os.machine.clone();
    let q35 = is_q35(machine.as_deref());
    let i440fx = is_i440fx(machine.as_deref());
    let isapc = machine.as_deref() == Some("isapc");
    let devs = &mut def.devices;
    let keep = user_controllers.map_or(devs.controllers.len(), |n| n.min(devs.controllers.len()));
    let implicit = devs.controllers.split_off(keep);
    // Implicit input devices of an x86 machine, appended when missing.
    if x86 {
        for kind in ["mouse", "keyboard"] {
            if !devs
                .inputs
                .iter()
                .any(|i| i.input_type == kind && i.bus.as_deref() == Some("ps2"))
            {
                devs.inputs.push(InputDef {
                    input_type: kind.into(),
                    bus: Some("ps2".into()),
                    extra_attrs: Vec::new(),
                    extra: Vec::new(),
                    info: DeviceInfo::default(),
                });
            }
        }
    }
    if x86 && !isapc {
        let has_usb0 = devs
            .controllers
            .iter()
            .any(|c| c.ctrl_type == "usb" && c.index == 0);
        if !has_usb0 {
            devs.controllers
                .push(controller("usb", 0, Some(default_usb_model(q35))));
        }
        if q35
            && !devs
                .controllers
                .iter()
                .any(|c| c.ctrl_type == "sata" && c.index == 0)
        {
            devs.controllers.push(controller("sata", 0, None));
        }
        let root_model = if q35 { "pcie-root" } else { "pci-root" };
        if q35 || i440fx {
            match devs
                .controllers
                .iter()
                .find(|c| c.ctrl_type == "pci" && c.index == 0)
            {
                Some(c) if c.model.as_deref() != Some(root_model) => {
                    return Err(xml_error(format!(
                        "The PCI controller with index='0' must be model='{root_model}' for \
                         this machine type, but model='{}' was found instead",
                        c.model.as_deref().unwrap_or("")
                    )));
                }
                Some(_) => {}
                None => devs
                    .controllers
                    .push(controller("pci", 0, Some(root_model))),
            }
        }
    }
    for c in implicit {
        if !devs
            .controllers
            .iter()
            .any(|x| x.ctrl_type == c.ctrl_type && x.index == c.index)
        {
            devs.controllers.push(c);
        }
    }
    if x86 && devs.memballoon.is_none() {
        devs.memballoon = Some(MemballoonDef {
            model: "virtio".into(),
            extra_attrs: Vec::new(),
            stats_period: None,
            extra: Vec::new(),
            info: DeviceInfo::default(),
        });
    }
    // The audio backend, unless the domain names one.
    let backend = default_audio(&devs.graphics, cfg).map(str::to_string);
    if let Some(kind) = backend.filter(|_| !devs.other.iter().any(|(_, e)| e.name == "audio")) {
        let audio = RawElement {
            name: "audio".into(),
            attrs: vec![("id".into(), "1".into()), ("type".into(), kind)],
            children: Vec::new(),
        };
        devs.insert_other(audio);
    }
    device_defaults(def, q35);
    default_cpu(def);
    fill_numa_cpus(def);
    crate::tpm::fill_defaults(def);
    crate::tpm::validate(def)
}

/// The CPU model an x86 guest that names none gets: QEMU's `qemu64`, as libvirt writes it.
fn default_cpu(def: &mut DomainDef) {
    if !is_x86(def) {
        return;
    }
    match &mut def.extras.cpu {
        None => {
            def.extras.cpu = Some(Box::new(CpuDef {
                mode: "custom".into(),
                match_: Some("exact".into()),
                check: Some("none".into()),
                model: Some("qemu64".into()),
                fallback: "forbid".into(),
                ..CpuDef::default()
            }));
        }
        // A custom CPU without a model (only a topology, NUMA cells, features) gets the
        // default model the same way.
        Some(cpu) if cpu.mode == "custom" && cpu.model.is_none() => {
            cpu.match_ = Some("exact".into());
            cpu.check = Some("none".into());
            cpu.model = Some("qemu64".into());
            cpu.fallback = "forbid".into();
        }
        // libvirt's qemuDomainDefCPUPostParse: a host-passthrough CPU is migratable unless
        // said otherwise (QEMU 7.2 knows the property), and an unset check becomes the mode's
        // default (a custom CPU of a TCG guest is not compared with the host's).
        Some(cpu) => {
            if cpu.mode == "host-passthrough" && cpu.migratable.is_none() {
                cpu.migratable = Some("on".into());
            }
            if cpu.check.is_none() {
                let check = match cpu.mode.as_ref() {
                    "host-passthrough" | "maximum" => "none",
                    "host-model" => "partial",
                    _ if def.virt_type == "qemu" => "none",
                    _ => "partial",
                };
                cpu.check = Some(check.into());
            }
        }
    }
}

/// The vCPUs no NUMA cell names go to cell 0, as libvirt's QEMU driver still does for an
/// incomplete NUMA setup: cell 0 gets every vCPU the other cells do not have.
fn fill_numa_cpus(def: &mut DomainDef) {
    let max = def.vcpus_max.max(1);
    let Some(cells) = def.extras.cpu.as_mut().map(|c| &mut c.cells) else {
        return;
    };
    let named = |cpus: &Option<String>| {
        cpus.as_deref()
            .and_then(rvirt_conf::domain::parse_cpuset)
            .unwrap_or_default()
    };
    let count: usize = cells.iter().map(|c| named(&c.cpus).len()).sum();
    if cells.is_empty() || count >= max as usize {
        return;
    }
    let others: Vec<u32> = cells[1..].iter().flat_map(|c| named(&c.cpus)).collect();
    let cell0: Vec<u32> = (0..max).filter(|v| !others.contains(v)).collect();
    cells[0].cpus = (!cell0.is_empty()).then(|| rvirt_conf::domain::format_cpuset(&cell0));
}

/// libvirt's per-device defaults of the QEMU driver.
fn device_defaults(def: &mut DomainDef, q35: bool) {
    let x86 = is_x86(def);
    let devs = &mut def.devices;
    for d in &mut devs.disks {
        if !d.driver.iter().any(|(k, _)| k == "name") {
            d.driver.insert(0, ("name".into(), "qemu".into()));
        }
        if (d.disk_type == "file" || d.disk_type == "block")
            && !d.driver.iter().any(|(k, _)| k == "type")
        {
            let at = d
                .driver
                .iter()
                .position(|(k, _)| k == "name")
                .map_or(0, |p| p + 1);
            d.driver.insert(at, ("type".into(), "raw".into()));
        }
    }
    for c in &mut devs.controllers {
        if c.ctrl_type == "usb" && c.model.is_none() && x86 {
            c.model = Some(default_usb_model(q35).into());
        }
        // QEMU's LSI Logic adapter, as libvirt picks it where QEMU has one.
        if c.ctrl_type == "scsi" && c.model.is_none() && x86 {
            c.model = Some("lsilogic".into());
        }
    }
    for n in &mut devs.interfaces {
        if n.model.is_none() && x86 {
            n.model = Some("rtl8139".into());
        }
    }
    for s in &mut devs.serials {
        serial_defaults(s, x86);
    }
    for g in &mut devs.graphics {
        if g.graphics_type == "vnc" && g.listens.is_empty() {
            g.listens.push(GraphicsListen {
                listen_type: "address".into(),
                address: None,
                network: None,
                socket: None,
                from_config: false,
                auto_generated: false,
            });
        }
    }
    for (_, el) in &mut devs.other {
        if el.name == "watchdog" && el.attr("action").is_none() {
            el.attrs.push(("action".into(), "reset".into()));
        }
    }
}

/// A serial port's target type (an ISA port on x86 when none is given) and the model that
/// goes with it.
pub(crate) fn serial_defaults(s: &mut rvirt_conf::domain::ChrDef, x86: bool) {
    if x86 && s.target_type.is_none() {
        s.target_type = Some("isa-serial".into());
    }
    if s.target_model.is_none() {
        s.target_model = match s.target_type.as_deref() {
            Some("isa-serial") => Some("isa-serial".into()),
            Some("usb-serial") => Some("usb-serial".into()),
            Some("pci-serial") => Some("pci-serial".into()),
            _ => None,
        };
    }
}

/// Gives a device kept as a raw element the address `addr` (replacing any), where libvirt
/// prints it: last.
pub(crate) fn set_raw_address(el: &mut RawElement, addr: RawElement) {
    el.children
        .retain(|c| !matches!(c, RawNode::Element(e) if e.name == "address"));
    el.children.push(RawNode::Element(addr));
}

/// Ports on the virtio-serial controllers for virtio consoles (which may take port 0, QEMU's
/// console port) and virtio channels (from port 1), as libvirt assigns them on define. Only
/// the channels show theirs in the XML.
pub(crate) fn assign_virtio_serial(def: &mut DomainDef) {
    use rvirt_conf::domain::Address;
    let devs = &mut def.devices;
    // (controller index, ports) of every virtio-serial controller, in order.
    let ctrls: Vec<(u32, u32)> = devs
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "virtio-serial")
        .map(|c| {
            let ports = c
                .extra_attrs
                .iter()
                .find(|(k, _)| k == "ports")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(31);
            (c.index, ports)
        })
        .collect();
    let mut used: Vec<(u32, u32)> = devs
        .channels
        .iter()
        .chain(devs.consoles.iter())
        .filter_map(|c| match c.info.address {
            Some(Address::VirtioSerial {
                controller, port, ..
            }) if port != 0 => Some((controller, port)),
            _ => None,
        })
        .collect();
    let next = |used: &mut Vec<(u32, u32)>, want: Option<u32>, allow_zero: bool| {
        for &(idx, ports) in &ctrls {
            if want.is_some_and(|w| w != idx) {
                continue;
            }
            let first = if allow_zero { 0 } else { 1 };
            if let Some(p) = (first..ports).find(|p| !used.contains(&(idx, *p))) {
                used.push((idx, p));
                return Some((idx, p));
            }
        }
        None
    };
    for c in &mut devs.consoles {
        if c.target_type.as_deref() == Some("virtio") {
            let _ = next(&mut used, None, true);
        }
    }
    for c in &mut devs.channels {
        if c.target_type.as_deref() != Some("virtio") {
            continue;
        }
        let want = match c.info.address {
            Some(Address::VirtioSerial {
                port: 0,
                controller,
                ..
            }) => Some(controller),
            None => None,
            _ => continue,
        };
        if let Some((controller, port)) = next(&mut used, want, false) {
            c.info.address = Some(Address::VirtioSerial {
                controller,
                bus: 0,
                port,
            });
        }
    }
}

/// The ports of USB controller `c` (libvirt's virDomainUSBAddressControllerModelToPorts).
fn usb_controller_ports(c: &rvirt_conf::domain::ControllerDef) -> u32 {
    match c.model.as_deref().unwrap_or("piix3-uhci") {
        "piix3-uhci" | "piix4-uhci" | "vt82c686b-uhci" => 2,
        "ehci" | "ich9-ehci1" => 6,
        "pci-ohci" => 3,
        m @ ("nec-xhci" | "qemu-xhci" | "qusb1" | "qusb2") => c
            .extra_attrs
            .iter()
            .find(|(k, _)| k == "ports")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(if m.starts_with("qusb") { 8 } else { 4 }),
        _ => 0,
    }
}

/// The ports of a USB hub.
const USB_HUB_PORTS: usize = 8;

/// A new definition with more USB devices than its controllers and hubs have ports gets the
/// USB hubs it needs, as libvirt's qemuDomainUSBAddressAddHubs adds them at define: one port
/// of each hub holds the next, so a hub gives seven. Every USB device counts, placed or not:
/// hubs, host devices, disks, smartcard readers, inputs, serial ports, sound cards,
/// redirected devices.
pub(crate) fn add_usb_hubs(def: &mut DomainDef) {
    let devs = &def.devices;
    let hubs = (devs.other.iter()).filter(|(_, e)| usb_hub(e)).count();
    let ports = (devs.controllers.iter())
        .filter(|c| c.ctrl_type == "usb")
        .map(|c| usb_controller_ports(c) as usize)
        .sum::<usize>()
        + USB_HUB_PORTS * hubs;
    let count = hubs
        + (devs.other.iter())
            .filter(|(_, e)| usb_hostdev(e) || usb_sound(e) || redirected(e))
            .count()
        + devs.disks.iter().filter(|d| d.bus == "usb").count()
        + (devs.controllers.iter())
            .filter(|c| c.ctrl_type == "ccid")
            .count()
        + (devs.inputs.iter())
            .filter(|i| i.bus.as_deref() == Some("usb"))
            .count()
        + (devs.serials.iter())
            .filter(|s| s.target_type.as_deref() == Some("usb-serial"))
            .count();
    if count <= ports {
        return;
    }
    for _ in 0..(count - ports + 1).div_ceil(USB_HUB_PORTS - 1) {
        def.devices.insert_other(RawElement {
            name: "hub".into(),
            attrs: vec![("type".into(), "usb".into())],
            children: Vec::new(),
        });
    }
}

/// USB ports for USB devices without an address (hubs, host devices, disks, inputs, serial
/// ports, sound cards, redirected devices, in libvirt's order): the first free port of the
/// first USB controller with one, or of a hub.
pub(crate) fn assign_usb(def: &mut DomainDef) {
    use rvirt_conf::domain::Address;
    let devs = &def.devices;
    let ctrls: Vec<(u32, u32)> = devs
        .controllers
        .iter()
        .filter(|c| c.ctrl_type == "usb")
        .map(|c| (c.index, usb_controller_ports(c)))
        .collect();
    // Ports taken, by (controller, port path such as `1` or `1.2`), and which of them hold
    // a hub (whose 8 ports are more places).
    let mut used = usb_ports_in_use(def);
    let devs = &mut def.devices;
    let hubs: Vec<(u32, String)> = (devs.other.iter())
        .filter(|(_, e)| e.name == "hub")
        .filter_map(|(_, e)| raw_usb(e))
        .collect();
    let mut hubs = hubs;
    /// A free port under `prefix` (a controller's `ports` ports, a hub's 8): one of its own
    /// first, then one on the hubs it holds, as libvirt's search goes.
    fn free_port(
        idx: u32,
        prefix: &str,
        ports: u32,
        used: &[(u32, String)],
        hubs: &[(u32, String)],
        depth: u32,
    ) -> Option<String> {
        let path = |p: u32| format!("{prefix}{p}");
        if let Some(p) = (1..=ports).find(|p| !used.contains(&(idx, path(*p)))) {
            return Some(path(p));
        }
        if depth >= 4 {
            return None;
        }
        (1..=ports)
            .filter(|p| hubs.contains(&(idx, path(*p))))
            .find_map(|p| free_port(idx, &format!("{}.", path(p)), 8, used, hubs, depth + 1))
    }
    let next = |used: &mut Vec<(u32, String)>, hubs: &[(u32, String)]| {
        for &(idx, ports) in &ctrls {
            if let Some(p) = free_port(idx, "", ports, used, hubs, 0) {
                used.push((idx, p.clone()));
                return Some(Address::Usb {
                    bus: idx,
                    port: Some(p),
                });
            }
        }
        None
    };
    let new_hubs = devs
        .other
        .iter()
        .filter(|(_, e)| usb_hub(e) && raw_usb(e).is_none())
        .count() as u32;
    let total: u32 = ctrls.iter().map(|c| c.1).sum::<u32>() + 8 * (hubs.len() as u32 + new_hubs);
    let wanting = devs
        .disks
        .iter()
        .filter(|d| d.bus == "usb" && d.info.address.is_none())
        .count()
        + devs
            .inputs
            .iter()
            .filter(|i| i.bus.as_deref() == Some("usb") && i.info.address.is_none())
            .count()
        + devs
            .serials
            .iter()
            .filter(|s| usb_serial_unplaced(s))
            .count()
        + (devs.other.iter())
            .filter(|(_, e)| {
                (usb_hostdev(e) || usb_sound(e) || redirected(e)) && e.child("address").is_none()
            })
            .count();
    if wanting as u32 + new_hubs + used.len() as u32 > total {
        return;
    }
    // Hubs first, then the devices in libvirt's order.
    for (_, e) in devs.other.iter_mut().filter(|(_, e)| usb_hub(e)) {
        if raw_usb(e).is_some() {
            continue;
        }
        if let Some(Address::Usb {
            bus,
            port: Some(port),
        }) = next(&mut used, &hubs)
        {
            hubs.push((bus, port.clone()));
            set_raw_address(e, usb_address(bus, port));
        }
    }
    // Raw elements (host devices, sound cards, redirected devices) of a kind without one.
    let place_raw = |devs: &mut rvirt_conf::domain::Devices,
                     used: &mut Vec<(u32, String)>,
                     hubs: &[(u32, String)],
                     kind: &dyn Fn(&RawElement) -> bool| {
        for (_, e) in devs.other.iter_mut() {
            if !kind(e) || e.child("address").is_some() {
                continue;
            }
            if let Some(Address::Usb {
                bus,
                port: Some(port),
            }) = next(used, hubs)
            {
                set_raw_address(e, usb_address(bus, port));
            }
        }
    };
    place_raw(devs, &mut used, &hubs, &usb_hostdev);
    for d in &mut devs.disks {
        if d.bus == "usb" && d.info.address.is_none() {
            d.info.address = next(&mut used, &hubs);
        }
    }
    for i in &mut devs.inputs {
        if i.bus.as_deref() == Some("usb") && i.info.address.is_none() {
            i.info.address = next(&mut used, &hubs);
        }
    }
    for s in &mut devs.serials {
        if usb_serial_unplaced(s) {
            s.info.address = next(&mut used, &hubs);
        }
    }
    place_raw(devs, &mut used, &hubs, &usb_sound);
    place_raw(devs, &mut used, &hubs, &redirected);
}

/// `<address type='usb' bus='BUS' port='PORT'/>` for a device kept as a raw element.
fn usb_address(bus: u32, port: String) -> RawElement {
    RawElement {
        name: "address".into(),
        attrs: vec![
            ("type".into(), "usb".into()),
            ("bus".into(), bus.to_string()),
            ("port".into(), port),
        ],
        children: Vec::new(),
    }
}

/// The USB address a device kept as a raw element has (`(bus, port)`).
pub(crate) fn raw_usb(e: &RawElement) -> Option<(u32, String)> {
    let a = e
        .child("address")
        .filter(|a| a.attr("type") == Some("usb"))?;
    Some((
        a.attr("bus").and_then(|b| b.parse().ok()).unwrap_or(0),
        a.attr("port")?.to_string(),
    ))
}

/// Whether `e` is a USB hub.
fn usb_hub(e: &RawElement) -> bool {
    e.name == "hub" && e.attr("type") == Some("usb")
}

/// Whether `e` is a USB host device.
fn usb_hostdev(e: &RawElement) -> bool {
    e.name == "hostdev"
        && e.attr("mode").unwrap_or("subsystem") == "subsystem"
        && e.attr("type") == Some("usb")
}

/// Whether `e` is a USB sound card.
fn usb_sound(e: &RawElement) -> bool {
    e.name == "sound" && e.attr("model") == Some("usb")
}

/// Whether `e` is a redirected USB device.
fn redirected(e: &RawElement) -> bool {
    e.name == "redirdev" && e.attr("bus").unwrap_or("usb") == "usb"
}

/// The USB ports `def`'s devices take, as `(controller, port path)` (`1`, `1.2`): disks,
/// inputs, serial ports, hubs and redirected devices with an address.
pub(crate) fn usb_ports_in_use(def: &DomainDef) -> Vec<(u32, String)> {
    use rvirt_conf::domain::Address;
    let devs = &def.devices;
    let infos = (devs.disks.iter().map(|d| &d.info))
        .chain(devs.inputs.iter().map(|d| &d.info))
        .chain(devs.serials.iter().map(|d| &d.info));
    let mut used: Vec<(u32, String)> = infos
        .filter_map(|i| match &i.address {
            Some(Address::Usb { bus, port: Some(p) }) => Some((*bus, p.clone())),
            _ => None,
        })
        .collect();
    used.extend(
        (devs.other.iter())
            .filter(|(_, e)| e.name == "hub" || redirected(e) || usb_hostdev(e) || usb_sound(e))
            .filter_map(|(_, e)| raw_usb(e)),
    );
    used
}

/// Whether `s` is a USB serial port without an address yet.
fn usb_serial_unplaced(s: &rvirt_conf::domain::ChrDef) -> bool {
    s.target_type.as_deref() == Some("usb-serial") && s.info.address.is_none()
}

/// The audio backend the driver gives a definition without one, as libvirt's
/// qemuDomainDefSuggestDefaultAudioBackend picks it: the last console decides. SPICE carries
/// the guest's sound; VNC and no console at all get `none` (unless `qemu.conf`'s
/// `vnc_allow_host_audio` or `nographics_allow_host_audio` lets them reach the host's audio);
/// SDL passes the host's through. Host audio is what libvirt leaves out unless its
/// environment names a QEMU_AUDIO_DRV (rvirt does not read that).
pub(crate) fn default_audio(
    graphics: &[rvirt_conf::domain::GraphicsDef],
    cfg: &crate::config::QemuConfig,
) -> Option<&'static str> {
    if graphics.is_empty() {
        return (!cfg.nographics_allow_host_audio).then_some("none");
    }
    let mut backend = None;
    for g in graphics {
        match g.graphics_type.as_str() {
            "vnc" if cfg.vnc_allow_host_audio => backend = None,
            "vnc" => backend = Some("none"),
            "spice" => backend = Some("spice"),
            "sdl" => backend = None,
            _ => {}
        }
    }
    backend
}
