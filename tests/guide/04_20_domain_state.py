#!/usr/bin/python3
"""Guide section 4.3.14 "Fetch the state of the Domain", Example 4.20.

Prints the name of the domain's state constant and the reason code. The guide's domain "CentOS7" is
the test driver's running domain "test" here.
"""

import sys

import libvirt

DOMAIN = "test"

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

state, reason = dom.state()

if state == libvirt.VIR_DOMAIN_NOSTATE:
    print("The state is VIR_DOMAIN_NOSTATE")
elif state == libvirt.VIR_DOMAIN_RUNNING:
    print("The state is VIR_DOMAIN_RUNNING")
elif state == libvirt.VIR_DOMAIN_BLOCKED:
    print("The state is VIR_DOMAIN_BLOCKED")
elif state == libvirt.VIR_DOMAIN_PAUSED:
    print("The state is VIR_DOMAIN_PAUSED")
elif state == libvirt.VIR_DOMAIN_SHUTDOWN:
    print("The state is VIR_DOMAIN_SHUTDOWN")
elif state == libvirt.VIR_DOMAIN_SHUTOFF:
    print("The state is VIR_DOMAIN_SHUTOFF")
elif state == libvirt.VIR_DOMAIN_CRASHED:
    print("The state is VIR_DOMAIN_CRASHED")
elif state == libvirt.VIR_DOMAIN_PMSUSPENDED:
    print("The state is VIR_DOMAIN_PMSUSPENDED")
else:
    print(" The state is unknown.")
print("The reason code is " + str(reason))

conn.close()
sys.exit(0)
