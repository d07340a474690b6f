#!/usr/bin/python3
"""Guide section 4.4.5 "Autostart", Example 4.34 "Set Autostart for a Domain".

Turns autostart on for a domain found by its ID. Prints nothing on success. The guide's domain is
the test driver's running domain "test", ID 1, here.
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

dom.setAutostart(1)  # turn on autostart

conn.close()
sys.exit(0)
