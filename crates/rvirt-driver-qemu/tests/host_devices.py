# What Debian's libvirtd (udev node device and interface backends) reports on this host, as
# JSON, for host_devices.rs to compare with rvirt's QEMU driver.
import json
import sys

import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
sock = sys.argv[1]


def err(f):
    try:
        f()
        return None
    except libvirt.libvirtError as e:
        return [e.get_error_code(), e.get_error_domain(), e.get_error_message()]


out = {}
c = libvirt.open('nodedev+unix:///system?socket=' + sock)
out['nodedev'] = {
    d.name(): {'xml': d.XMLDesc(0), 'parent': d.parent(), 'caps': d.listCaps()}
    for d in c.listAllDevices(0)
}
out['num_pci'] = c.numOfDevices('pci', 0)
out['net_names'] = sorted(c.listDevices('net', 0))
out['pci_flag'] = sorted(
    d.name() for d in c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV))
out['inactive'] = [d.name() for d in c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE)]
other = sorted(n for n in out['nodedev'] if n != 'computer')[0]
d = c.nodeDeviceLookupByName(other)
out['other'] = other
out['state'] = [d.isActive(), d.isPersistent(), d.autostart()]
out['errors'] = {
    'lookup': err(lambda: c.nodeDeviceLookupByName('nosuch')),
    'xmlflags': err(lambda: d.XMLDesc(1)),
    'undefine': err(lambda: d.undefine(0)),
    'create': err(lambda: d.create(0)),
    'destroy': err(lambda: d.destroy()),
    'autostart': err(lambda: d.setAutostart(1)),
    'define_pci': err(lambda: c.nodeDeviceDefineXML(
        "<device><capability type='pci'><domain>0</domain><bus>0</bus><slot>9</slot>"
        "<function>0</function></capability></device>", 0)),
    'create_vhba_no_parent': err(lambda: c.nodeDeviceCreateXML(
        "<device><parent>scsi_host99</parent><capability type='scsi_host'>"
        "<capability type='fc_host'><wwnn>2001001b32a9da4e</wwnn>"
        "<wwpn>2101001b32a9da4e</wwpn></capability></capability></device>", 0)),
}
i = libvirt.open('interface+unix:///system?socket=' + sock)
ifaces = i.listAllInterfaces(0)
out['ifaces'] = sorted([x.name(), x.MACString(), x.isActive()] for x in ifaces)
out['iface_active'] = sorted(i.listInterfaces())
out['iface_defined'] = sorted(i.listDefinedInterfaces())
out['iface_xml'] = {x.name(): x.XMLDesc(0) for x in ifaces}
first = ifaces[0].name()
out['iface_errors'] = {
    'lookup': err(lambda: i.interfaceLookupByName('nosuch')),
    'mac': err(lambda: i.interfaceLookupByMACString('02:00:00:de:ad:01')),
    'define': err(lambda: i.interfaceDefineXML("<interface type='ethernet' name='x0'/>", 0)),
    'destroy': err(lambda: i.interfaceLookupByName(first).destroy(0)),
    'begin': err(lambda: i.changeBegin(0)),
}
print(json.dumps(out))
