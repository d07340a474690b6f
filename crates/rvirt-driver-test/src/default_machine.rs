//! The machines a test connection starts from: libvirt's default test machine, or a `<node>`
//! document.

use crate::{Cell, TestDriver};
use parking_lot::Mutex;
use rvirt_conf::{DomainDef, NetworkDef, ParseOptions};
use rvirt_types::Result;
use std::sync::{Arc, Weak};

/// The domain of the default machine: libvirt's `test` domain, running as id 1.
const DEFAULT_DOMAIN: &str = "<domain type='test'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory>8388608</memory>
  <currentMemory>2097152</currentMemory>
  <vcpu>2</vcpu>
  <os>
    <type>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default' bridge='virbr0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x1' function='0x0'/>
    </interface>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x2' function='0x0'/>
    </memballoon>
  </devices>
</domain>";

/// The network of the default machine: libvirt's `default`.
const DEFAULT_NETWORK: &str = "<network>
  <name>default</name>
  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
  <bridge name='virbr0'/>
  <forward/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>";

/// The host interface of the default machine: libvirt's `eth1`.
const DEFAULT_INTERFACE: &str = "<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <mac address='aa:bb:cc:dd:ee:ff'/>
  <mtu size='1492'/>
  <protocol family='ipv4'>
    <ip address='192.168.0.5' prefix='24'/>
    <route gateway='192.168.0.1'/>
  </protocol>
</interface>";

fn default_cells() -> Vec<Cell> {
    (0..2u64)
        .map(|i| Cell {
            num_cpus: 8,
            mem: (i + 1) * 2048 * 1024,
            free_mem: (i + 1) * 1024 * 1024,
        })
        .collect()
}

/// libvirt's default test machine.
pub(crate) fn build(uri: &str) -> Result<Arc<TestDriver>> {
    let networks = vec![NetworkDef::parse_xml(DEFAULT_NETWORK)?];
    let drv = TestDriver::empty(
        uri,
        rvirt_conf::node::default_node_info(),
        default_cells(),
        networks,
    );
    let def = DomainDef::parse_xml(DEFAULT_DOMAIN, ParseOptions::default())?;
    drv.seed_domain(def, true)?;
    drv.storage.seed_pool(crate::storage::DEFAULT_POOL)?;
    drv.interfaces.seed(DEFAULT_INTERFACE)?;
    for d in crate::nodedev::DEFAULT_DEVICES {
        drv.nodedevs.seed(d)?;
    }
    Ok(Arc::new(drv))
}

/// The default machine every `test:///default` connection of the process shares, made anew when
/// no connection holds it any more.
pub(crate) fn shared(uri: &str) -> Result<Arc<TestDriver>> {
    static SHARED: Mutex<Weak<TestDriver>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock();
    if let Some(drv) = slot.upgrade() {
        return Ok(drv);
    }
    let drv = build(uri)?;
    *slot = Arc::downgrade(&drv);
    Ok(drv)
}

/// A machine described by the `<node>` document at `path`.
pub(crate) fn build_from_file(uri: &str, path: &str) -> Result<Arc<TestDriver>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        rvirt_types::Error::system(crate::FROM, format!("failed to open file '{path}'"), &e)
    })?;
    let base = std::path::Path::new(path)
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let node = rvirt_conf::node::NodeDoc::parse(&text, |file| {
        let p = base.join(file);
        std::fs::read_to_string(&p).map_err(|e| {
            rvirt_types::Error::system(
                crate::FROM,
                format!("failed to open file '{}'", p.display()),
                &e,
            )
        })
    })?;
    let networks = node
        .networks
        .iter()
        .map(|n| NetworkDef::parse_xml(n))
        .collect::<Result<Vec<_>>>()?;
    let drv = TestDriver::empty(uri, node.info.clone(), Vec::new(), networks);
    for d in node.domains {
        drv.seed_domain(d.def, d.running)?;
    }
    for p in &node.pools {
        drv.storage.seed_pool(p)?;
    }
    for i in &node.interfaces {
        drv.interfaces.seed(i)?;
    }
    for d in &node.devices {
        drv.nodedevs.seed(d)?;
    }
    Ok(Arc::new(drv))
}
