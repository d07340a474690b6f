#!/usr/bin/python3
"""Guide section 3.4.9 "isEncrypted", Example 3.17 "Using virConnectIsEncrypted".

Prints whether the connection is encrypted (1) or not (0).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

print("Connection is encrypted: " + str(conn.isEncrypted()))

conn.close()
sys.exit(0)
