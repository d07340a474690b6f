#!/usr/bin/python3
"""Guide section 4.5.2 "Memory / CPU Resources", Example 4.36.

Sets the number of virtual CPUs of a running domain to 2. Prints nothing on success. The guide's
domain is the test driver's running domain "test", ID 1, here.
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

dom.setVcpus(2)

conn.close()
sys.exit(0)
