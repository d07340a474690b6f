#!/usr/bin/python3
"""Guide section 4.3.4 "Determining if the domain has a current snapshot", Example 4.10.

Prints whether the domain has a current snapshot. The guide's domain "CentOS7" is the test driver's
running domain "test" here.
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

flag = dom.hasCurrentSnapshot()
print("The value of the current snapshot flag is " + str(flag))

conn.close()
sys.exit(0)
