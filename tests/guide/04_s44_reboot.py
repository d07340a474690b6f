#!/usr/bin/python3
"""Guide section 4.4 "Lifecycle Control" (reboot; the guide has no example program for it).

Reboots the test driver's running domain "test" and prints its ID, state and reason before
and after.
"""

import sys

import libvirt

DOMAIN = "test"


def show_state(dom):
    """Prints the domain's state and reason codes."""
    state, reason = dom.state()
    print("  state " + str(state) + ", reason " + str(reason))


uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByName(DOMAIN)
except libvirt.libvirtError:
    print("Failed to find the domain " + DOMAIN, file=sys.stderr)
    sys.exit(1)

print("Before reboot: ID " + str(dom.ID()))
show_state(dom)
dom.reboot(0)
print("After reboot: ID " + str(dom.ID()))
show_state(dom)

conn.close()
sys.exit(0)
