#!/usr/bin/python3
"""Guide section 4.4.2 "Stopping" (text only, no example program).

Stops the test driver's running domain "test" both ways the section describes: a clean
shutdown (then boots it again with create), and destroy, which pulls the plug; then the same
with shutdownFlags and destroyFlags. Prints the state and reason after each step.
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

print("Shutting down " + dom.name())
dom.shutdown()
show_state(dom)
print("Starting " + dom.name())
dom.create()
show_state(dom)
print("Destroying " + dom.name())
dom.destroy()
show_state(dom)
print("Starting " + dom.name())
dom.create()
show_state(dom)
print("Shutting down " + dom.name() + " with shutdownFlags")
dom.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_DEFAULT)
show_state(dom)
print("Starting " + dom.name())
dom.create()
print("Destroying " + dom.name() + " with destroyFlags")
dom.destroyFlags(libvirt.VIR_DOMAIN_DESTROY_DEFAULT)
show_state(dom)

conn.close()
sys.exit(0)
