#!/usr/bin/python3
"""Guide section 4.5.1 "Boot Modes", Example 4.35 "Setting the Boot Mode" (an XML fragment; the
guide has no program for it).

Defines a persistent guest whose <os> element names a read-only firmware image and an NVRAM file
made from a template, sets a BIOS boot order (hard disk, then CD-ROM), a boot menu, SMBIOS from
sysinfo and a BIOS that uses the serial console; then prints the <os> element of the definition
as the hypervisor reports it back. The XML is our own, of type 'test'.
"""

import sys
from xml.etree import ElementTree

import libvirt

XML_CONFIG = """<domain type='test'>
  <name>bootdemo</name>
  <uuid>0c6d2a4e-8f1b-4c37-9d5e-2b7f3a9c6e18</uuid>
  <memory>500000</memory>
  <vcpu>1</vcpu>
  <os>
    <type>hvm</type>
    <loader readonly='yes' type='rom'>/usr/lib/xen/boot/hvmloader</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/nvram/guest_VARS.fd</nvram>
    <boot dev='hd'/>
    <boot dev='cdrom'/>
    <bootmenu enable='yes' timeout='3000'/>
    <smbios mode='sysinfo'/>
    <bios useserial='yes' rebootTimeout='0'/>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/libvirt/images/bootdemo.img'/>
      <target dev='hda'/>
    </disk>
  </devices>
</domain>
"""

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.defineXML(XML_CONFIG)
except libvirt.libvirtError:
    print("Failed to define a domain from an XML definition.", file=sys.stderr)
    sys.exit(1)

os_element = ElementTree.fromstring(dom.XMLDesc(0)).find("os")
print(ElementTree.tostring(os_element, encoding="unicode").rstrip())

conn.close()
sys.exit(0)
