#!/usr/bin/python3
"""Guide section 3.4.8 "getURI", Example 3.16 "Using virConnectGetURI".

Prints the canonical URI of the connection.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

uri = conn.getURI()
print("Canonical URI: " + uri)

conn.close()
sys.exit(0)
