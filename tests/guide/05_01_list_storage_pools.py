#!/usr/bin/python3
"""Guide section 5.2 "Listing pools", Example 5.1 "Get the list of storage pools".

Lists every storage pool of the connection with listAllStoragePools and prints each name.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

pools = conn.listAllStoragePools(0)
if pools is None:
    print("Failed to locate any StoragePool objects.", file=sys.stderr)
    sys.exit(1)

for pool in pools:
    print("Pool: " + pool.name())

conn.close()
sys.exit(0)
