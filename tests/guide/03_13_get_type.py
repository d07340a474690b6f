#!/usr/bin/python3
"""Guide section 3.4.5 "getType", Example 3.13 "Using virConnectGetType".

Prints the name of the virtualization driver behind the connection.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

print("Virtualization type: " + conn.getType())

conn.close()
sys.exit(0)
