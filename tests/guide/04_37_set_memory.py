#!/usr/bin/python3
"""Guide section 4.5.2 "Memory / CPU Resources", Example 4.37.

Sets the memory of a running domain to 4096 KiB (the guide's comment says 4 GB; the unit is
KiB). Prints nothing on success. The guide's domain is the test driver's
running domain "test", ID 1, here.
"""

import sys

import libvirt

DOMAIN_NAME = "test"
DOMAIN_ID = 1

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByID(DOMAIN_ID)
except libvirt.libvirtError:
    print("Failed to find the domain " + DOMAIN_NAME, file=sys.stderr)
    sys.exit(1)

dom.setMemory(4096)

conn.close()
sys.exit(0)
