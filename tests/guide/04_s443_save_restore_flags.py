#!/usr/bin/python3
"""Guide section 4.4.3 "Suspend / Resume and Save / Restore" (text on saveFlags and restoreFlags,
no example program).

Saves the test driver's running domain "test" with saveFlags and restores it with restoreFlags,
neither changing the configuration (no replacement XML) nor asking for a state after restore:
the test driver takes no flags there. Prints the state and reason after each step. The image is
guest.img in the scratch folder given as the second argument.
"""

import os
import sys

import libvirt

DOMAIN = "test"


def show_state(dom):
    """Prints the domain's state and reason codes."""
    state, reason = dom.state()
    print("  state " + str(state) + ", reason " + str(reason))


filename = os.path.join(sys.argv[2], "guest.img")

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

print("Saving " + dom.name() + " to " + filename)
dom.saveFlags(filename, None, 0)
show_state(dom)
print("Restoring from " + filename)
conn.restoreFlags(filename, None, 0)
show_state(conn.lookupByName(DOMAIN))

conn.close()
sys.exit(0)
