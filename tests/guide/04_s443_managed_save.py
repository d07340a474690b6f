#!/usr/bin/python3
"""Guide section 4.4.3 "Suspend / Resume and Save / Restore" (text on managedSave, no example
program).

Saves the test driver's running domain "test" with managedSave, where the hypervisor picks
the file; then starts it again with create, which restores the saved state. Prints the state
and reason and whether a managed save image exists after each step.
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

print("Managed save of " + dom.name())
dom.managedSave(0)
show_state(dom)
print("  managed save image: " + str(dom.hasManagedSaveImage(0)))
print("Starting " + dom.name())
dom.create()
show_state(dom)
print("  managed save image: " + str(dom.hasManagedSaveImage(0)))

conn.close()
sys.exit(0)
