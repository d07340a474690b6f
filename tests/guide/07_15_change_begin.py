#!/usr/bin/python3
"""Guide section 7.4.4 "changeBegin", Example 7.15 "Using changeBegin".

Opens a change transaction with changeBegin and prints its return value.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

iface = conn.changeBegin()
print("changeBegin returned " + str(iface))

conn.close()
sys.exit(0)
