#!/usr/bin/python3
"""Guide section 3.4.10 "isSecure", Example 3.18 "Using virConnectIsSecure".

Prints whether the connection is secure (1) or not (0).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

print("Connection is secure: " + str(conn.isSecure()))

conn.close()
sys.exit(0)
