#!/usr/bin/python3
"""Guide section 7.3.3 "Retrieving Detailed Interface Information", Example 7.10.

Prints the XML description of the test driver's "eth1" (the guide's "eth0"); then, with the
VIR_INTERFACE_XML_INACTIVE flag, the same, which libvirt 9.0's test driver refuses (the script
prints the error's code and message).
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

print("The interface XML description is:\n" + iface.XMLDesc(0))
try:
    print(iface.XMLDesc(libvirt.VIR_INTERFACE_XML_INACTIVE))
except libvirt.libvirtError as e:
    print("error " + str(e.get_error_code()) + ": " + str(e))

conn.close()
sys.exit(0)
