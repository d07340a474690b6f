//! Tunable events of a running guest (vCPU and emulator pinning, CPU shares, disk throttling)
//! beside libvirt's embedded QEMU driver doing the same through python3-libvirt: the same
//! events, with the same parameters and values.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, guest_with, open};
use parking_lot::Mutex;
use pollster::block_on;
use rvirt_driver::{DomainDriver, DomainEvent, TuningDriver};
use rvirt_types::domain::*;
use rvirt_types::{TypedParam, TypedParamValue};
use std::sync::Arc;

/// An event's parameters as `name=value` strings, sorted.
fn shown(params: &[TypedParam]) -> Vec<String> {
    let mut v: Vec<String> = params
        .iter()
        .map(|p| {
            let value = match &p.value {
                TypedParamValue::String(s) => s.clone(),
                TypedParamValue::ULLong(u) => u.to_string(),
                TypedParamValue::LLong(l) => l.to_string(),
                other => format!("{other:?}"),
            };
            format!("{}={value}", p.field)
        })
        .collect();
    v.sort();
    v
}

/// The events python3-libvirt sees on libvirt's embedded QEMU driver for the same calls.
fn libvirt_events(root: &std::path::Path, xml: &str) -> Option<Vec<Vec<String>>> {
    if !rvirt_testsupport::libvirt_embed_root(root) {
        return None;
    }
    let script = format!(
        "import libvirt, sys, threading, time, json\n\
         libvirt.virEventRegisterDefaultImpl()\n\
         libvirt.registerErrorHandler(lambda c, e: None, None)\n\
         c = libvirt.open('qemu:///embed?root={}')\n\
         seen = []\n\
         def cb(conn, dom, params, opaque):\n\
         \x20   seen.append(sorted('%s=%s' % (k, v) for k, v in params.items()))\n\
         c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_TUNABLE, cb, None)\n\
         def loop():\n\
         \x20   while True:\n\
         \x20       libvirt.virEventRunDefaultImpl()\n\
         threading.Thread(target=loop, daemon=True).start()\n\
         d = c.createXML(sys.argv[1], 0)\n\
         d.pinVcpuFlags(0, (True, False), libvirt.VIR_DOMAIN_AFFECT_LIVE)\n\
         d.pinEmulator((True, True), libvirt.VIR_DOMAIN_AFFECT_LIVE)\n\
         d.setSchedulerParametersFlags({{'cpu_shares': 300}}, libvirt.VIR_DOMAIN_AFFECT_LIVE)\n\
         d.setBlockIoTune('vda', {{'read_iops_sec': 40}}, libvirt.VIR_DOMAIN_AFFECT_LIVE)\n\
         try:\n\
         \x20   d.setBlockIoTune('vda', {{'read_iops_sec': 40}}, libvirt.VIR_DOMAIN_AFFECT_CONFIG)\n\
         except libvirt.libvirtError:\n\
         \x20   pass\n\
         time.sleep(0.5)\n\
         d.destroy()\n\
         print(json.dumps(seen))\n",
        root.display()
    );
    Some(serde_json::from_slice(&common::run_python(&script, [xml])).unwrap())
}

#[test]
fn tunable_events_match_libvirt() {
    let root = Root::new();
    let disk = root.path().join("t.img");
    std::fs::write(&disk, vec![0u8; 1 << 20]).unwrap();
    let xml = guest_with(
        "tun",
        &format!(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk>",
            disk.display()
        ),
    );
    let d = open(root.path());
    let _c = Cleanup(d.clone(), "tun");
    let seen: Arc<Mutex<Vec<Vec<String>>>> = Default::default();
    let s = seen.clone();
    block_on(d.connect_domain_event_register_any(
        None,
        DomainEventID::TUNABLE,
        Arc::new(move |e| {
            if let DomainEvent::Tunable { params, .. } = e {
                s.lock().push(shown(params));
            }
        }),
    ))
    .unwrap();
    let dom = block_on(d.domain_create_xml(&xml, DomainCreateFlags::empty())).unwrap();
    let live = DomainModificationImpact::LIVE.bits();
    block_on(d.domain_pin_vcpu(&dom, 0, &[1], live)).unwrap();
    block_on(d.domain_pin_emulator(&dom, &[3], live)).unwrap();
    let shares = [TypedParam::new("cpu_shares", TypedParamValue::ULLong(300))];
    block_on(d.domain_set_scheduler_parameters(&dom, &shares, live)).unwrap();
    let iops = [TypedParam::new(
        "read_iops_sec",
        TypedParamValue::ULLong(40),
    )];
    block_on(d.domain_set_block_io_tune(&dom, "vda", &iops, live)).unwrap();
    let config = DomainModificationImpact::CONFIG.bits();
    let e = block_on(d.domain_set_block_io_tune(&dom, "vda", &iops, config)).unwrap_err();
    assert_eq!(
        e.code,
        rvirt_types::ErrorNumber::OPERATION_INVALID,
        "transient: {e}"
    );
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    let ours = seen.lock().clone();
    assert_eq!(ours.len(), 4, "{ours:?}");
    assert_eq!(ours[2], vec!["cputune.cpu_shares=300".to_string()]);
    let lv = Root::new();
    if let Some(theirs) = libvirt_events(lv.path(), &xml) {
        assert_eq!(ours, theirs);
    }
}
