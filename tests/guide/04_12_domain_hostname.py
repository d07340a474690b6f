#!/usr/bin/python3
"""Guide section 4.3.6 "Fetch the hostname of the domain", Example 4.12.

Prints the hostname the hypervisor reports for the guest. The guide's domain "CentOS7" is the test
driver's running domain "test" here.
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

name = dom.hostname()
print("The hostname of the domain is " + str(name))

conn.close()
sys.exit(0)
