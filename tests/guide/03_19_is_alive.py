#!/usr/bin/python3
"""Guide section 3.4.11 "isAlive", Example 3.19 "Using isAlive".

Prints whether the connection is still alive.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

alive = conn.isAlive()

print("Connection is alive = " + str(alive))

conn.close()
sys.exit(0)
