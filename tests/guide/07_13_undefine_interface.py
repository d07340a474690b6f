#!/usr/bin/python3
"""Guide section 7.4.2 "Undefining an interface configuration", Example 7.13.

Saves the XML description of a host interface, then undefines it. The guide's "br0" is the
test driver's "eth1" here, which is running (should undefine refuse that, the script prints
the error, brings it down and undefines it then). Prints the saved XML, the lookup error
afterwards, and that the saved XML defines it again.
"""

import sys

import libvirt


def report(e):
    """Prints a libvirt error's code and message."""
    print("error " + str(e.get_error_code()) + ": " + str(e))


uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

iface = conn.interfaceLookupByName("eth1")

# the XML, saved before the configuration goes
xml = iface.XMLDesc(0)
try:
    iface.undefine()
    print("undefined while active")
except libvirt.libvirtError as e:
    report(e)
    iface.destroy(0)
    iface.undefine()
    print("undefined once down")
print(xml)

try:
    conn.interfaceLookupByName("eth1")
except libvirt.libvirtError as e:
    report(e)
print("defined again: " + conn.interfaceDefineXML(xml, 0).name())

conn.close()
sys.exit(0)
