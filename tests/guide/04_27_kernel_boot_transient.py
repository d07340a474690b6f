#!/usr/bin/python3
"""Guide section 4.4.1.2.3 "Direct Kernel Boot Provisioning", Examples 4.26 and 4.27.

First phase of a direct kernel boot install: boots a transient guest straight from a kernel and
initrd on the host, with an installer command line, and on_reboot set to destroy so the
installer's final reboot powers it off. Says on stderr that it has booted. The XML is our own,
of type 'test'.
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
    <kernel>/var/lib/libvirt/boot/installer-vmlinuz</kernel>
    <initrd>/var/lib/libvirt/boot/installer-initrd.img</initrd>
    <cmdline>method=http://installer.example.org/os console=ttyS0 console=tty</cmdline>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
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
    print("Unable to boot transient guest configuration.", file=sys.stderr)
    sys.exit(1)

print("Guest " + dom.name() + " has booted", file=sys.stderr)

conn.close()
sys.exit(0)
