#!/usr/bin/python3
"""Guide section 4.4.1.2.3 "Direct Kernel Boot Provisioning", Example 4.28.

Second phase of a direct kernel boot install: the guest now boots from its installed disk
through a host-side boot loader. The
guide's program creates it with createXML and then calls create on the domain it got back, and
reports a failure of create with "Can not boot guest domain." and status 1. This program makes
the same two calls in the same order; since createXML already started the guest, create is
refused and that refusal is what it reports (libvirt prints the error itself on stderr too).
The XML is our own, of type 'test'.
"""

import sys

import libvirt

XML_CONFIG = """<domain type='test'>
  <name>demo</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <memory>500000</memory>
  <vcpu>1</vcpu>
  <bootloader>/usr/bin/pygrub</bootloader>
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
    print("Unable to define persistent guest configuration.", file=sys.stderr)
    sys.exit(1)

try:
    dom.create()
except libvirt.libvirtError:
    print("Can not boot guest domain.", file=sys.stderr)
    sys.exit(1)

print("Guest " + dom.name() + " has booted", file=sys.stderr)

conn.close()
sys.exit(0)
