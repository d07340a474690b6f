//! The QEMU driver's node devices and host interfaces against Debian's libvirtd on this very
//! host: libvirtd runs with its udev node device and interface backends (in a mount namespace
//! of its own, see `Libvirtd::try_start_with_host_drivers`), python3-libvirt asks it
//! (`host_devices.py`), and rvirt's answers must be the same: device names, parents,
//! capabilities, every `<device>` and `<interface>` XML byte for byte, listing filters, and the
//! errors of what this host cannot do. Only the host UUID is masked, and only when libvirt makes
//! one up (no readable SMBIOS UUID).

#![allow(clippy::unwrap_used)]

use rvirt_driver::{InterfaceDriver, InterfaceRef, NodeDeviceDriver, NodeDeviceRef};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::Error;
use rvirt_types::interface::ConnectListAllInterfacesFlags;
use rvirt_types::nodedev::{ConnectListAllNodeDevicesFlags, NodeDeviceDefineXMLFlags};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    pollster::block_on(f)
}

fn err<T>(r: Result<T, Error>) -> Value {
    match r {
        Ok(_) => Value::Null,
        Err(e) => json!([e.code.0, e.domain.0, e.message]),
    }
}

/// The host UUID in `computer`'s XML, when libvirt invents it per run.
fn mask_uuid(xml: &str) -> String {
    let readable = std::fs::read_to_string("/sys/class/dmi/id/product_uuid").is_ok();
    let has_dmi = std::path::Path::new("/sys/devices/virtual/dmi/id").exists();
    if readable || !has_dmi {
        return xml.to_string();
    }
    match (xml.find("<uuid>"), xml.find("</uuid>")) {
        (Some(a), Some(b)) => format!("{}<uuid>MASKED{}", &xml[..a], &xml[b..]),
        _ => xml.to_string(),
    }
}

#[test]
fn node_devices_and_interfaces_match_libvirtd_on_this_host() {
    let daemon =
        match rvirt_testsupport::Libvirtd::try_start_with_host_drivers(&["nodedev", "interface"]) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("skipping: libvirtd with its host drivers cannot run here: {e}");
                return;
            }
        };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/host_devices.py");
    let out = std::process::Command::new(rvirt_testsupport::PYTHON)
        .arg(script)
        .arg(daemon.socket())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let d = QemuDriver::open(&format!("qemu:///embed?root={}", dir.path().display())).unwrap();
    let all =
        block(d.connect_list_all_node_devices(ConnectListAllNodeDevicesFlags::empty())).unwrap();
    let mut nodedev = BTreeMap::new();
    for dev in &all {
        nodedev.insert(
            dev.name.to_string(),
            json!({
                "xml": block(d.node_device_get_xml_desc(dev, 0)).unwrap(),
                "parent": block(d.node_device_get_parent(dev)).unwrap(),
                "caps": block(d.node_device_list_caps(dev, 100)).unwrap(),
            }),
        );
    }
    let their_devs: BTreeMap<String, Value> =
        serde_json::from_value(theirs["nodedev"].clone()).unwrap();
    assert_eq!(
        nodedev.keys().collect::<Vec<_>>(),
        their_devs.keys().collect::<Vec<_>>(),
        "device names"
    );
    for (name, ours) in &nodedev {
        let t = &their_devs[name];
        assert_eq!(
            mask_uuid(ours["xml"].as_str().unwrap()),
            mask_uuid(t["xml"].as_str().unwrap()),
            "XML of {name}"
        );
        assert_eq!(ours["parent"], t["parent"], "parent of {name}");
        assert_eq!(ours["caps"], t["caps"], "capabilities of {name}");
    }
    assert_eq!(
        json!(block(d.node_num_of_devices(Some("pci"), 0)).unwrap()),
        theirs["num_pci"]
    );
    let mut net = block(d.node_list_devices(Some("net"), 1000, 0)).unwrap();
    net.sort();
    assert_eq!(json!(net), theirs["net_names"]);
    let mut pci: Vec<String> =
        block(d.connect_list_all_node_devices(ConnectListAllNodeDevicesFlags::CAP_PCI_DEV))
            .unwrap()
            .into_iter()
            .map(|r| r.name.to_string())
            .collect();
    pci.sort();
    assert_eq!(json!(pci), theirs["pci_flag"]);
    let inactive =
        block(d.connect_list_all_node_devices(ConnectListAllNodeDevicesFlags::INACTIVE)).unwrap();
    assert_eq!(
        json!(inactive.len()),
        json!(theirs["inactive"].as_array().unwrap().len())
    );

    let other = NodeDeviceRef::new(theirs["other"].as_str().unwrap());
    assert_eq!(
        json!([
            block(d.node_device_is_active(&other)).unwrap(),
            block(d.node_device_is_persistent(&other)).unwrap(),
            block(d.node_device_get_autostart(&other)).unwrap()
        ]),
        json!(
            theirs["state"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64() != Some(0))
                .collect::<Vec<_>>()
        )
    );
    let e = &theirs["errors"];
    assert_eq!(
        err(block(d.node_device_lookup_by_name("nosuch"))),
        e["lookup"]
    );
    assert_eq!(
        err(block(d.node_device_get_xml_desc(&other, 1))),
        e["xmlflags"]
    );
    assert_eq!(err(block(d.node_device_undefine(&other, 0))), e["undefine"]);
    assert_eq!(err(block(d.node_device_create(&other, 0))), e["create"]);
    assert_eq!(err(block(d.node_device_destroy(&other))), e["destroy"]);
    assert_eq!(
        err(block(d.node_device_set_autostart(&other, true))),
        e["autostart"]
    );
    assert_eq!(
        err(block(d.node_device_define_xml(
            "<device><capability type='pci'><domain>0</domain><bus>0</bus><slot>9</slot>\
             <function>0</function></capability></device>",
            NodeDeviceDefineXMLFlags::empty()
        ))),
        e["define_pci"]
    );
    assert_eq!(
        err(block(d.node_device_create_xml(
            "<device><parent>scsi_host99</parent><capability type='scsi_host'>\
             <capability type='fc_host'><wwnn>2001001b32a9da4e</wwnn>\
             <wwpn>2101001b32a9da4e</wwpn></capability></capability></device>",
            Default::default()
        ))),
        e["create_vhba_no_parent"]
    );

    // Host interfaces.
    let ifaces =
        block(d.connect_list_all_interfaces(ConnectListAllInterfacesFlags::empty())).unwrap();
    let mut listed: Vec<Value> = ifaces
        .iter()
        .map(|i| {
            json!([
                &*i.name,
                &*i.mac,
                block(d.interface_is_active(i)).unwrap() as i64
            ])
        })
        .collect();
    listed.sort_by_key(|v| v.to_string());
    let mut their_list = theirs["ifaces"].as_array().unwrap().clone();
    their_list.sort_by_key(|v| v.to_string());
    assert_eq!(listed, their_list);
    let mut active = block(d.connect_list_interfaces(100)).unwrap();
    active.sort();
    assert_eq!(json!(active), theirs["iface_active"]);
    let mut defined = block(d.connect_list_defined_interfaces(100)).unwrap();
    defined.sort();
    assert_eq!(json!(defined), theirs["iface_defined"]);
    for i in &ifaces {
        assert_eq!(
            json!(block(d.interface_get_xml_desc(i, 0)).unwrap()),
            theirs["iface_xml"][&*i.name],
            "XML of {}",
            i.name
        );
    }
    let e = &theirs["iface_errors"];
    assert_eq!(
        err(block(d.interface_lookup_by_name("nosuch"))),
        e["lookup"]
    );
    assert_eq!(
        err(block(d.interface_lookup_by_mac_string("02:00:00:de:ad:01"))),
        e["mac"]
    );
    assert_eq!(
        err(block(d.interface_define_xml(
            "<interface type='ethernet' name='x0'/>",
            0
        ))),
        e["define"]
    );
    let first = InterfaceRef {
        name: ifaces[0].name.clone(),
        mac: ifaces[0].mac.clone(),
    };
    assert_eq!(err(block(d.interface_destroy(&first, 0))), e["destroy"]);
    assert_eq!(err(block(d.interface_change_begin(0))), e["begin"]);
}
