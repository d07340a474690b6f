#!/usr/bin/python3
"""Guide section 7.3.2 "Obtaining a virInterface instance for an Interface", Example 7.7.

Looks a host interface up by name and prints its name. The guide's "eth0" is the test
driver's "eth1" here; then looks up "eth0", which the test driver lacks, and prints the
error's code and message.
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

try:
    conn.interfaceLookupByName("eth0")
except libvirt.libvirtError as e:
    print("error " + str(e.get_error_code()) + ": " + str(e))

conn.close()
sys.exit(0)
