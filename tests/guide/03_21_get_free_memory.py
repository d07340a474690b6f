#!/usr/bin/python3
"""Guide section 3.4.13 "getFreeMemory", Example 3.21 "Using getFreeMemory".

Prints the free memory of the whole node, in bytes.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

mem = conn.getFreeMemory()

print("Free memory on the node (host) is " + str(mem) + " bytes.")

conn.close()
sys.exit(0)
