#!/usr/bin/python3
"""Guide section 7.3.3 "Retrieving Detailed Interface Information", Example 7.9.

Prints the name and MAC address of the test driver's "eth1" (the guide's "eth0").
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

iface = conn.interfaceLookupByName("eth1")

print("The interface name is: " + iface.name())
print("The interface mac string is: " + iface.MACString())

conn.close()
sys.exit(0)
