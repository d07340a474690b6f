//! Node devices of a QEMU connection: the real host's, read by `rvirt-host` as libvirt's udev
//! backend reads them, afresh on every call (libvirt keeps its list current from udev events;
//! a fresh read shows the same). Once a client registers for node device events, the host's
//! device events (`rvirt_host::devwatch`) raise them as libvirt's do: created, deleted, and
//! updated for a known device added or changed again. Every device is active; only
//! `computer` is persistent and autostarted. Creating vHBAs (NPIV) and mediated devices, and
//! detaching devices for VFIO, answer with libvirt's errors for a host that cannot do them.

use crate::QemuDriver;
use rvirt_conf::nodedev::{NodeDevCap, NodeDeviceDef, ParseMode};
use rvirt_driver::nodedev::{
    cap_names, count_with_cap, find_device, matches_cap_filter, names_with_cap,
};
use rvirt_driver::{
    CallbackId, NodeDeviceDriver, NodeDeviceEvent, NodeDeviceEventCallback, NodeDeviceRef,
    check_flags,
};
use rvirt_host::nodedev::DeviceChange;
use rvirt_types::nodedev::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::path::Path;
use std::sync::Arc;

const FROM: ErrorDomain = ErrorDomain::NODEDEV;

fn err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, code, detail)
}

/// Why a mediated device cannot be made: libvirt's error when mdevctl, which manages them, is
/// not installed; otherwise that rvirt does not make them yet.
fn mdev_unsupported() -> Error {
    if crate::util::program_in_path("mdevctl").is_none() {
        return Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::SYSTEM_ERROR,
            "Cannot find 'mdevctl' in path: No such file or directory",
        );
    }
    err(
        ErrorNumber::OPERATION_UNSUPPORTED,
        "mediated devices are not supported by rvirt's QEMU driver yet",
    )
}

/// Whether the host can hand PCI devices to guests through VFIO
/// (`qemuHostdevHostSupportsPassthroughVFIO`): a VFIO container device and IOMMU groups.
fn host_supports_vfio() -> bool {
    Path::new("/dev/vfio/vfio").exists()
        && std::fs::read_dir("/sys/kernel/iommu_groups").is_ok_and(|mut d| d.next().is_some())
}

impl QemuDriver {
    /// The host's devices now.
    fn host_devices(&self) -> Vec<NodeDeviceDef> {
        rvirt_host::nodedev::read_devices()
    }

    fn with_device<T>(&self, name: &str, f: impl FnOnce(&NodeDeviceDef) -> T) -> Result<T> {
        // A name is never a path: no device hides behind one that is not listed.
        find_device(FROM, &self.host_devices(), name).map(f)
    }

    /// Starts passing the host's device events to the node device callbacks, once.
    fn watch_host_devices(&self) -> Result<()> {
        let mut watching = self.watching_host_devices.lock();
        if *watching {
            return Ok(());
        }
        let bus = Arc::downgrade(&self.nodedev_events);
        rvirt_host::devwatch::watch_host_devices(Box::new(move |change| {
            let Some(bus) = bus.upgrade() else {
                return false;
            };
            let event = match change {
                DeviceChange::Created(n) => {
                    NodeDeviceEvent::lifecycle(n, NodeDeviceEventLifecycleType::CREATED)
                }
                DeviceChange::Deleted(n) => {
                    NodeDeviceEvent::lifecycle(n, NodeDeviceEventLifecycleType::DELETED)
                }
                DeviceChange::Updated(n) => NodeDeviceEvent::Update {
                    dev: NodeDeviceRef::new(n),
                },
            };
            bus.emit(&event);
            true
        }))
        .map_err(|e| {
            Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::SYSTEM_ERROR,
                format!("cannot listen to the host's device events: {e}"),
            )
        })?;
        *watching = true;
        Ok(())
    }

    /// The PCI device `name` (libvirt's `virDomainDriverNodeDeviceGetPCIInfo`).
    fn pci_device(&self, name: &str) -> Result<()> {
        let is_pci = self.with_device(name, |d| {
            d.caps.iter().any(|c| matches!(c, NodeDevCap::Pci(_)))
        })?;
        if !is_pci {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("device {name} is not a PCI device"),
            ));
        }
        Ok(())
    }
}

impl NodeDeviceDriver for QemuDriver {
    async fn connect_list_all_node_devices(
        &self,
        flags: ConnectListAllNodeDevicesFlags,
    ) -> Result<Vec<NodeDeviceRef>> {
        check_flags(
            FROM,
            "nodeConnectListAllNodeDevices",
            flags.bits(),
            ConnectListAllNodeDevicesFlags::all().bits(),
        )?;
        // Every host device is active; only `computer` is persistent.
        let inactive = ConnectListAllNodeDevicesFlags::INACTIVE.bits();
        let active = ConnectListAllNodeDevicesFlags::ACTIVE.bits();
        let state = flags.bits() & (inactive | active);
        if state == inactive {
            return Ok(Vec::new());
        }
        Ok(self
            .host_devices()
            .iter()
            .filter(|d| matches_cap_filter(d, flags))
            .map(|d| NodeDeviceRef::new(&d.name))
            .collect())
    }

    async fn node_num_of_devices(&self, cap: Option<&str>, flags: u32) -> Result<i32> {
        check_flags(FROM, "nodeNumOfDevices", flags, 0)?;
        Ok(count_with_cap(&self.host_devices(), cap))
    }

    async fn node_list_devices(
        &self,
        cap: Option<&str>,
        max: i32,
        flags: u32,
    ) -> Result<Vec<String>> {
        check_flags(FROM, "nodeListDevices", flags, 0)?;
        Ok(names_with_cap(&self.host_devices(), cap, max))
    }

    async fn node_device_lookup_by_name(&self, name: &str) -> Result<NodeDeviceRef> {
        self.with_device(name, |d| NodeDeviceRef::new(&d.name))
    }

    async fn node_device_lookup_scsi_host_by_wwn(
        &self,
        wwnn: &str,
        wwpn: &str,
        flags: u32,
    ) -> Result<NodeDeviceRef> {
        check_flags(FROM, "nodeDeviceLookupSCSIHostByWWN", flags, 0)?;
        self.host_devices()
            .iter()
            .find(|d| {
                d.fc_host().is_some_and(|f| {
                    f.wwnn.eq_ignore_ascii_case(wwnn) && f.wwpn.eq_ignore_ascii_case(wwpn)
                })
            })
            .map(|d| NodeDeviceRef::new(&d.name))
            // libvirt 9.0 fails here without setting an error.
            .ok_or_else(Error::unknown_cause)
    }

    async fn node_device_get_xml_desc(&self, dev: &NodeDeviceRef, flags: u32) -> Result<String> {
        check_flags(FROM, "nodeDeviceGetXMLDesc", flags, 0)?;
        self.with_device(&dev.name, NodeDeviceDef::format)
    }

    async fn node_device_get_parent(&self, dev: &NodeDeviceRef) -> Result<Option<String>> {
        self.with_device(&dev.name, |d| d.parent.clone())
    }

    async fn node_device_num_of_caps(&self, dev: &NodeDeviceRef) -> Result<i32> {
        self.with_device(&dev.name, |d| d.caps.len() as i32)
    }

    async fn node_device_list_caps(&self, dev: &NodeDeviceRef, max: i32) -> Result<Vec<String>> {
        self.with_device(&dev.name, |d| cap_names(d, max))
    }

    async fn node_device_dettach(&self, dev: &NodeDeviceRef) -> Result<()> {
        self.node_device_detach_flags(dev, None, 0).await
    }

    async fn node_device_detach_flags(
        &self,
        dev: &NodeDeviceRef,
        driver_name: Option<&str>,
        flags: u32,
    ) -> Result<()> {
        check_flags(ErrorDomain::QEMU, "qemuNodeDeviceDetachFlags", flags, 0)?;
        let fail = |code, detail: String| Err(Error::with_detail(ErrorDomain::QEMU, code, detail));
        match driver_name.unwrap_or("vfio") {
            "vfio" => {}
            "kvm" => {
                return fail(
                    ErrorNumber::ARGUMENT_UNSUPPORTED,
                    "KVM device assignment is no longer supported on this system".into(),
                );
            }
            other => {
                return fail(
                    ErrorNumber::INVALID_ARG,
                    format!("unknown driver name '{other}'"),
                );
            }
        }
        if !host_supports_vfio() {
            return fail(
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "VFIO device assignment is currently not supported on this system".into(),
            );
        }
        self.pci_device(&dev.name)?;
        Err(Error::no_support(FROM, "virNodeDeviceDetachFlags"))
    }

    async fn node_device_re_attach(&self, dev: &NodeDeviceRef) -> Result<()> {
        self.pci_device(&dev.name)?;
        Err(Error::no_support(FROM, "virNodeDeviceReAttach"))
    }

    async fn node_device_reset(&self, dev: &NodeDeviceRef) -> Result<()> {
        self.pci_device(&dev.name)?;
        Err(Error::no_support(FROM, "virNodeDeviceReset"))
    }

    async fn node_device_create_xml(
        &self,
        xml: &str,
        flags: NodeDeviceCreateXMLFlags,
    ) -> Result<NodeDeviceRef> {
        check_flags(
            FROM,
            "nodeDeviceCreateXML",
            flags.bits(),
            NodeDeviceCreateXMLFlags::VALIDATE.bits(),
        )?;
        if flags.contains(NodeDeviceCreateXMLFlags::VALIDATE) {
            NodeDeviceDef::validate_schema(xml)?;
        }
        let def = NodeDeviceDef::parse_xml(xml, ParseMode::Create)?;
        if def.has_cap_named("scsi_host") {
            def.wwns()?;
            let devs = self.host_devices();
            let parent = if let Some(p) = &def.parent {
                devs.iter().find(|d| &d.name == p).ok_or_else(|| {
                    err(
                        ErrorNumber::INTERNAL_ERROR,
                        format!("Could not find parent device for '{}'", def.name),
                    )
                })?
            } else {
                devs.iter()
                    .find(|d| d.vport_host().is_some())
                    .ok_or_else(|| {
                        err(
                            ErrorNumber::INTERNAL_ERROR,
                            "Could not find any vport capable device",
                        )
                    })?
            };
            if parent.vport_host().is_none() {
                return Err(err(
                    ErrorNumber::INTERNAL_ERROR,
                    format!(
                        "Parent device {} is not capable of vport operations",
                        parent.name
                    ),
                ));
            }
            return Err(err(
                ErrorNumber::OPERATION_UNSUPPORTED,
                "creating vHBAs is not supported by rvirt's QEMU driver yet",
            ));
        }
        if def.has_cap_named("mdev") {
            return Err(mdev_unsupported());
        }
        Err(err(
            ErrorNumber::CONFIG_UNSUPPORTED,
            "Unsupported device type",
        ))
    }

    async fn node_device_destroy(&self, dev: &NodeDeviceRef) -> Result<()> {
        let def = self.with_device(&dev.name, Clone::clone)?;
        if def.fc_host().is_some() && def.parent.as_deref() != Some("computer") {
            return Err(err(
                ErrorNumber::OPERATION_UNSUPPORTED,
                "destroying vHBAs is not supported by rvirt's QEMU driver yet",
            ));
        }
        Err(err(
            ErrorNumber::CONFIG_UNSUPPORTED,
            "Unsupported device type",
        ))
    }

    async fn node_device_define_xml(
        &self,
        xml: &str,
        flags: NodeDeviceDefineXMLFlags,
    ) -> Result<NodeDeviceRef> {
        check_flags(
            FROM,
            "nodeDeviceDefineXML",
            flags.bits(),
            NodeDeviceDefineXMLFlags::VALIDATE.bits(),
        )?;
        if flags.contains(NodeDeviceDefineXMLFlags::VALIDATE) {
            NodeDeviceDef::validate_schema(xml)?;
        }
        let def = NodeDeviceDef::parse_xml(xml, ParseMode::Create)?;
        if def.has_cap_named("mdev") {
            return Err(mdev_unsupported());
        }
        Err(err(
            ErrorNumber::CONFIG_UNSUPPORTED,
            "Unsupported device type",
        ))
    }

    async fn node_device_undefine(&self, dev: &NodeDeviceRef, flags: u32) -> Result<()> {
        check_flags(FROM, "nodeDeviceUndefine", flags, 0)?;
        self.with_device(&dev.name, |_| ())?;
        Err(err(
            ErrorNumber::OPERATION_INVALID,
            format!("Node device '{}' is not defined", dev.name),
        ))
    }

    async fn node_device_create(&self, dev: &NodeDeviceRef, flags: u32) -> Result<()> {
        check_flags(FROM, "nodeDeviceCreate", flags, 0)?;
        self.with_device(&dev.name, |_| ())?;
        Err(err(
            ErrorNumber::OPERATION_INVALID,
            "Device is already active",
        ))
    }

    async fn node_device_get_autostart(&self, dev: &NodeDeviceRef) -> Result<bool> {
        self.with_device(&dev.name, |d| d.name == "computer")
    }

    async fn node_device_set_autostart(&self, dev: &NodeDeviceRef, _on: bool) -> Result<()> {
        self.with_device(&dev.name, |_| ())?;
        Err(err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "Unsupported device type",
        ))
    }

    async fn node_device_is_persistent(&self, dev: &NodeDeviceRef) -> Result<bool> {
        self.with_device(&dev.name, |d| d.name == "computer")
    }

    async fn node_device_is_active(&self, dev: &NodeDeviceRef) -> Result<bool> {
        self.with_device(&dev.name, |_| true)
    }

    async fn connect_node_device_event_register_any(
        &self,
        dev: Option<&NodeDeviceRef>,
        event_id: NodeDeviceEventID,
        cb: NodeDeviceEventCallback,
    ) -> Result<CallbackId> {
        let id = self.events.allocate_id();
        self.nodedev_events.register(id, dev, event_id, cb)?;
        if let Err(e) = self.watch_host_devices() {
            let _ = self.nodedev_events.deregister(id);
            return Err(e);
        }
        Ok(id)
    }

    async fn connect_node_device_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.nodedev_events.deregister(id)
    }
}
