//! Node devices of the test hypervisor, with libvirt 9.0's test-driver rules: the devices of
//! the machine (libvirt's `computer` and three SCSI hosts for `test:///default`, the `<device>`s
//! of a node document), listing and lookup, and NPIV vHBA creation mocked as libvirt mocks it:
//! a copy of `scsi_host11` named `scsi_host12` with the requested WWNs. Detach, reattach,
//! reset, define, undefine, start and autostart are not there, as in libvirt's test driver.

use crate::{FROM, TestDriver, err};
use parking_lot::Mutex;
use rvirt_conf::nodedev::{NodeDevCap, NodeDeviceDef, ParseMode};
use rvirt_driver::nodedev::{
    NodeDeviceEventBus, cap_names, count_with_cap, find_device, matches_cap_filter, names_with_cap,
    no_node_device,
};
use rvirt_driver::{
    CallbackId, NodeDeviceDriver, NodeDeviceEvent, NodeDeviceEventCallback, NodeDeviceRef,
    check_flags,
};
use rvirt_types::nodedev::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The node devices of libvirt's default test machine.
pub(crate) const DEFAULT_DEVICES: [&str; 4] = [
    "<device>
  <name>computer</name>
  <capability type='system'>
    <hardware>
      <vendor>Libvirt</vendor>
      <version>Test driver</version>
      <serial>123456</serial>
      <uuid>11111111-2222-3333-4444-555555555555</uuid>
    </hardware>
    <firmware>
      <vendor>Libvirt</vendor>
      <version>Test Driver</version>
      <release_date>01/22/2007</release_date>
    </firmware>
  </capability>
</device>",
    "<device>
  <name>scsi_host1</name>
  <parent>computer</parent>
  <capability type='scsi_host'>
    <host>1</host>
    <unique_id>0</unique_id>
    <capability type='fc_host'>
      <wwnn>2000000012341234</wwnn>
      <wwpn>1000000012341234</wwpn>
      <fabric_wwn>2000000043214321</fabric_wwn>
    </capability>
    <capability type='vport_ops'>
      <max_vports>127</max_vports>
      <vports>1</vports>
    </capability>
  </capability>
</device>",
    "<device>
  <name>scsi_host2</name>
  <parent>computer</parent>
  <capability type='scsi_host'>
    <host>2</host>
    <unique_id>1</unique_id>
    <capability type='fc_host'>
      <wwnn>2000000056785678</wwnn>
      <wwpn>1000000056785678</wwpn>
      <fabric_wwn>2000000087658765</fabric_wwn>
    </capability>
    <capability type='vport_ops'>
      <max_vports>127</max_vports>
      <vports>0</vports>
    </capability>
  </capability>
</device>",
    "<device>
  <name>scsi_host11</name>
  <parent>scsi_host1</parent>
  <capability type='scsi_host'>
    <host>11</host>
    <unique_id>10</unique_id>
    <capability type='fc_host'>
      <wwnn>2000000034563456</wwnn>
      <wwpn>1000000034563456</wwpn>
      <fabric_wwn>2000000043214321</fabric_wwn>
    </capability>
  </capability>
</device>",
];

/// The device libvirt's mock copies for every vHBA, and the name the copy gets.
const VHBA_TEMPLATE: &str = "scsi_host11";
const VHBA_NAME: &str = "scsi_host12";

/// The node devices of one test machine and their event callbacks. libvirt keeps them in a
/// hash table with a per-process random seed, so its listing order is arbitrary; ours is the
/// order devices were added.
#[derive(Default)]
pub struct TestNodeDevices {
    devs: Mutex<Vec<NodeDeviceDef>>,
    pub(crate) events: NodeDeviceEventBus,
}

impl TestNodeDevices {
    /// Adds a device of a node document or of the default machine (an existing device: its
    /// name and SCSI host numbers come from the XML).
    pub(crate) fn seed(&self, xml: &str) -> Result<()> {
        let def = NodeDeviceDef::parse_xml(xml, ParseMode::Existing)?;
        assign(&mut self.devs.lock(), def);
        Ok(())
    }

    /// libvirt's `testNodeDeviceMockCreateVport`: the vHBA a vport creation makes, mocked as a
    /// copy of `scsi_host11` named `scsi_host12` with the given WWNs (replacing an earlier one).
    /// Returns its name; the caller sends the CREATED event once its locks are released.
    fn mock_create_vport(
        &self,
        devs: &mut Vec<NodeDeviceDef>,
        wwnn: &str,
        wwpn: &str,
    ) -> Result<String> {
        let Some(mut copy) = devs.iter().find(|d| d.name == VHBA_TEMPLATE).cloned() else {
            // libvirt fails here without saying why.
            return Err(Error::new(
                ErrorDomain::NODEDEV,
                ErrorNumber::INTERNAL_ERROR,
                None,
            ));
        };
        copy.name = VHBA_NAME.to_string();
        for c in &mut copy.caps {
            if let NodeDevCap::ScsiHost {
                host,
                unique_id,
                fc_host,
                ..
            } = c
            {
                match fc_host {
                    Some(f) => {
                        f.wwnn = wwnn.to_string();
                        f.wwpn = wwpn.to_string();
                    }
                    None => {
                        *host += 1;
                        *unique_id += 1;
                    }
                }
            }
        }
        let name = copy.name.clone();
        assign(devs, copy);
        Ok(name)
    }

    /// The vHBA a storage pool with an `fc_host` adapter starts with (libvirt's
    /// `testCreateVport`): its CREATED event, for the caller to send after its own locks.
    pub(crate) fn create_vport(&self, wwnn: &str, wwpn: &str) -> Result<NodeDeviceEvent> {
        let name = self.mock_create_vport(&mut self.devs.lock(), wwnn, wwpn)?;
        Ok(NodeDeviceEvent::lifecycle(
            &name,
            NodeDeviceEventLifecycleType::CREATED,
        ))
    }

    /// libvirt's `testDestroyVport`: removes `scsi_host12`, whatever the pool's WWNs; its DELETED
    /// event for the caller to send.
    pub(crate) fn destroy_vport(&self) -> Result<NodeDeviceEvent> {
        let mut devs = self.devs.lock();
        let i = devs
            .iter()
            .position(|d| d.name == VHBA_NAME)
            .ok_or_else(|| {
                err(
                    ErrorNumber::NO_NODE_DEVICE,
                    format!("no node device with matching name '{VHBA_NAME}'"),
                )
            })?;
        devs.remove(i);
        Ok(NodeDeviceEvent::lifecycle(
            VHBA_NAME,
            NodeDeviceEventLifecycleType::DELETED,
        ))
    }
}

/// libvirt's `virNodeDeviceObjListAssignDef`: a device of the same name is replaced.
fn assign(devs: &mut Vec<NodeDeviceDef>, def: NodeDeviceDef) {
    match devs.iter_mut().find(|d| d.name == def.name) {
        Some(d) => *d = def,
        None => devs.push(def),
    }
}

/// `VIR_ERR_INTERNAL_ERROR` from the node device object code.
fn nodedev_internal(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::NODEDEV, ErrorNumber::INTERNAL_ERROR, detail)
}

/// libvirt's `virNodeDeviceObjListGetParentHost`: the SCSI host number of the vport-capable
/// parent a new vHBA would hang off (named, by its WWNs, by fabric, or any).
fn parent_host(devs: &[NodeDeviceDef], def: &NodeDeviceDef) -> Result<u32> {
    let not_found = || nodedev_internal(format!("Could not find parent device for '{}'", def.name));
    let parent = if let Some(p) = &def.parent {
        devs.iter().find(|d| &d.name == p).ok_or_else(not_found)?
    } else if let (Some(n), Some(p)) = (&def.parent_wwnn, &def.parent_wwpn) {
        devs.iter()
            .find(|d| d.fc_host().is_some_and(|f| &f.wwnn == n && &f.wwpn == p))
            .ok_or_else(not_found)?
    } else if let Some(fab) = &def.parent_fabric_wwn {
        devs.iter()
            .find(|d| {
                d.fc_host()
                    .is_some_and(|f| f.fabric_wwn.as_deref() == Some(fab.as_str()))
            })
            .ok_or_else(not_found)?
    } else {
        devs.iter()
            .find(|d| d.vport_host().is_some())
            .ok_or_else(|| nodedev_internal("Could not find any vport capable device"))?
    };
    parent.vport_host().ok_or_else(|| {
        nodedev_internal(format!(
            "Parent device {} is not capable of vport operations",
            parent.name
        ))
    })
}

impl TestDriver {
    fn with_device<T>(&self, name: &str, f: impl FnOnce(&NodeDeviceDef) -> T) -> Result<T> {
        find_device(FROM, &self.nodedevs.devs.lock(), name).map(f)
    }

    pub(crate) fn emit_nodedev(&self, event: NodeDeviceEvent) {
        self.nodedevs.events.emit(&event);
    }
}

impl NodeDeviceDriver for TestDriver {
    async fn connect_list_all_node_devices(
        &self,
        flags: ConnectListAllNodeDevicesFlags,
    ) -> Result<Vec<NodeDeviceRef>> {
        check_flags(
            FROM,
            "testConnectListAllNodeDevices",
            flags.bits(),
            ConnectListAllNodeDevicesFlags::FILTERS_CAP.bits(),
        )?;
        Ok(self
            .nodedevs
            .devs
            .lock()
            .iter()
            .filter(|d| matches_cap_filter(d, flags))
            .map(|d| NodeDeviceRef::new(&d.name))
            .collect())
    }

    async fn node_num_of_devices(&self, cap: Option<&str>, flags: u32) -> Result<i32> {
        check_flags(FROM, "testNodeNumOfDevices", flags, 0)?;
        Ok(count_with_cap(&self.nodedevs.devs.lock(), cap))
    }

    async fn node_list_devices(
        &self,
        cap: Option<&str>,
        max: i32,
        flags: u32,
    ) -> Result<Vec<String>> {
        check_flags(FROM, "testNodeListDevices", flags, 0)?;
        Ok(names_with_cap(&self.nodedevs.devs.lock(), cap, max))
    }

    async fn node_device_lookup_by_name(&self, name: &str) -> Result<NodeDeviceRef> {
        self.with_device(name, |d| NodeDeviceRef::new(&d.name))
    }

    async fn node_device_get_xml_desc(&self, dev: &NodeDeviceRef, flags: u32) -> Result<String> {
        check_flags(FROM, "testNodeDeviceGetXMLDesc", flags, 0)?;
        self.with_device(&dev.name, NodeDeviceDef::format)
    }

    async fn node_device_get_parent(&self, dev: &NodeDeviceRef) -> Result<Option<String>> {
        // libvirt's test driver reports "no parent for this device" for a root device, but
        // virNodeDeviceGetParent hands back NULL without raising it.
        self.with_device(&dev.name, |d| d.parent.clone())
    }

    async fn node_device_num_of_caps(&self, dev: &NodeDeviceRef) -> Result<i32> {
        self.with_device(&dev.name, |d| d.caps.len() as i32)
    }

    async fn node_device_list_caps(&self, dev: &NodeDeviceRef, max: i32) -> Result<Vec<String>> {
        self.with_device(&dev.name, |d| cap_names(d, max))
    }

    async fn node_device_create_xml(
        &self,
        xml: &str,
        flags: NodeDeviceCreateXMLFlags,
    ) -> Result<NodeDeviceRef> {
        check_flags(
            FROM,
            "testNodeDeviceCreateXML",
            flags.bits(),
            NodeDeviceCreateXMLFlags::VALIDATE.bits(),
        )?;
        if flags.contains(NodeDeviceCreateXMLFlags::VALIDATE) {
            NodeDeviceDef::validate_schema(xml)?;
        }
        let def = NodeDeviceDef::parse_xml(xml, ParseMode::Create)?;
        let (wwnn, wwpn) = def.wwns()?;
        let name = {
            let mut devs = self.nodedevs.devs.lock();
            parent_host(&devs, &def)?;
            self.nodedevs.mock_create_vport(&mut devs, wwnn, wwpn)?
        };
        self.emit_nodedev(NodeDeviceEvent::lifecycle(
            &name,
            NodeDeviceEventLifecycleType::CREATED,
        ));
        Ok(NodeDeviceRef::new(&name))
    }

    async fn node_device_destroy(&self, dev: &NodeDeviceRef) -> Result<()> {
        let removed = {
            let mut devs = self.nodedevs.devs.lock();
            let i = devs
                .iter()
                .position(|d| *d.name == *dev.name)
                .ok_or_else(|| no_node_device(FROM, &dev.name))?;
            // libvirt's test driver reports "not a fibre channel HBA" or a missing parent but
            // still answers success, leaving the device in place.
            let removable = devs[i].wwns().is_ok()
                && devs[i]
                    .parent
                    .as_ref()
                    .is_some_and(|p| devs.iter().any(|d| &d.name == p));
            if removable {
                devs.remove(i);
            }
            removable
        };
        if removed {
            self.emit_nodedev(NodeDeviceEvent::lifecycle(
                &dev.name,
                NodeDeviceEventLifecycleType::DELETED,
            ));
        }
        Ok(())
    }

    async fn connect_node_device_event_register_any(
        &self,
        dev: Option<&NodeDeviceRef>,
        event_id: NodeDeviceEventID,
        cb: NodeDeviceEventCallback,
    ) -> Result<CallbackId> {
        if !(0..=1).contains(&event_id.0) {
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("unsupported event ID {}", event_id.0),
            ));
        }
        // One numbering for the callbacks of every family, as in libvirt.
        let id = self.events.allocate_id();
        self.nodedevs.events.register(id, dev, event_id, cb)?;
        Ok(id)
    }

    async fn connect_node_device_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.nodedevs.events.deregister(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn drv() -> Arc<TestDriver> {
        TestDriver::open("test:///default?private=1").unwrap()
    }

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        pollster::block_on(f)
    }

    #[test]
    fn default_devices_and_filters() {
        let d = drv();
        let all = block(d.connect_list_all_node_devices(ConnectListAllNodeDevicesFlags::empty()))
            .unwrap();
        assert_eq!(all.len(), 4);
        let fc = block(d.node_list_devices(Some("vports"), 10, 0)).unwrap();
        assert_eq!(fc, ["scsi_host1", "scsi_host2"]);
        let e = block(d.connect_list_all_node_devices(ConnectListAllNodeDevicesFlags::ACTIVE))
            .unwrap_err();
        assert_eq!(
            e.message,
            "unsupported flags (0x80000000) in function testConnectListAllNodeDevices"
        );
    }

    /// A node document's devices read as libvirt 9.0 printed them: every
    /// `testdata/nodedev-xml/NAME.out.xml` is `virsh -c test:///…/node-with-devices.xml
    /// nodedev-dumpxml` of the device in `NAME.xml`.
    #[test]
    fn node_documents_bring_devices() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/nodedev-xml");
        let d = TestDriver::open(&format!("test://{dir}/node-with-devices.xml")).unwrap();
        let all = block(d.connect_list_all_node_devices(ConnectListAllNodeDevicesFlags::empty()))
            .unwrap();
        let mut checked = 0;
        for r in &all {
            let out = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.to_string_lossy().ends_with(".out.xml"))
                .map(|p| std::fs::read_to_string(p).unwrap())
                .find(|t| t.contains(&format!("<name>{}</name>", r.name)))
                .unwrap();
            assert_eq!(block(d.node_device_get_xml_desc(r, 0)).unwrap(), out);
            checked += 1;
        }
        assert_eq!(checked, 12);
        let pci = block(d.node_list_devices(Some("mdev_types"), 10, 0)).unwrap();
        // python3-libvirt lists the same two (in its hash order).
        assert_eq!(pci, ["misc", "pci_0000_00_02_0"]);
    }

    #[test]
    fn vhba_create_and_destroy_send_events() {
        let d = drv();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        block(d.connect_node_device_event_register_any(
            None,
            NodeDeviceEventID::LIFECYCLE,
            Arc::new(move |e| s.lock().push(e.clone())),
        ))
        .unwrap();
        let xml = "<device><parent>scsi_host1</parent><capability type='scsi_host'>\
                   <capability type='fc_host'><wwnn>1</wwnn><wwpn>2</wwpn></capability>\
                   </capability></device>";
        let r = block(d.node_device_create_xml(xml, NodeDeviceCreateXMLFlags::empty())).unwrap();
        assert_eq!(&*r.name, "scsi_host12");
        let x = block(d.node_device_get_xml_desc(&r, 0)).unwrap();
        assert!(x.contains("<wwnn>1</wwnn>") && x.contains("<host>11</host>"));
        block(d.node_device_destroy(&r)).unwrap();
        // Not an FC HBA: success, nothing removed, no event.
        block(d.node_device_destroy(&NodeDeviceRef::new("computer"))).unwrap();
        assert_eq!(block(d.node_num_of_devices(None, 0)).unwrap(), 4);
        assert_eq!(seen.lock().len(), 2);
    }
}
