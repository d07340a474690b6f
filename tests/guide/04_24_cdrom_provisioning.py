#!/usr/bin/python3
"""Guide section 4.4.1.2.1 "CDROM/ISO image provisioning", Example 4.24.

Defines a persistent guest that boots from its hard disk and then its CD-ROM drive (which holds
an installer ISO image), boots it and says on stderr that it has booted. The XML is our own, of
type 'test'.
"""

import sys

import libvirt

XML_CONFIG = """<domain type='test'>
  <name>demo</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <memory>500000</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
    <boot dev='cdrom'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/libvirt/images/demo.img'/>
      <target dev='hda'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/var/lib/libvirt/images/installer-dvd.iso'/>
      <target dev='hdc' bus='ide'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:3c:19:7a'/>
      <source bridge='br0'/>
    </interface>
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
    dom = None
if dom is None:
    print("Failed to define a domain from an XML definition.", file=sys.stderr)
    sys.exit(1)

try:
    dom.create()
except libvirt.libvirtError:
    print("Can not boot guest domain.", file=sys.stderr)
    sys.exit(1)

print("Guest " + dom.name() + " has booted", file=sys.stderr)

conn.close()
sys.exit(0)
