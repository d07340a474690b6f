#!/usr/bin/python3
"""Guide section 4.4.3 "Suspend / Resume and Save / Restore" (text on suspend and resume, no
example program).

Suspends the test driver's running domain "test", resumes it, and prints the state and
reason after each step.
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

print("Suspending " + dom.name())
dom.suspend()
show_state(dom)
print("Resuming " + dom.name())
dom.resume()
show_state(dom)

conn.close()
sys.exit(0)
