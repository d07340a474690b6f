#!/usr/bin/python3
"""Guide section 4.4.1.1.1 "Booting a Transient Guest Domain", Example 4.22.

Boots a transient guest from an XML description with createXML and says on stderr that it has
booted. The guide leaves the XML out; this one is our own, in the shape of the guide's sample
configuration (section 4.4.1.2) but of type 'test' so the test driver can run it.
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
    dom = conn.createXML(XML_CONFIG, 0)
except libvirt.libvirtError:
    dom = None
if dom is None:
    print("Failed to create a domain from an XML definition.", file=sys.stderr)
    sys.exit(1)

print("Guest " + dom.name() + " has booted", file=sys.stderr)

conn.close()
sys.exit(0)
