#!/usr/bin/python3
"""Guide section 4.3.8 "Determine if the Domain is running", Example 4.14.

Prints whether the domain is active. The guide's domain "CentOS7" is the test driver's running
domain "test" here.
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

flag = dom.isActive()
if flag:
    print("The domain is active.")
else:
    print("The domain is not active.")

conn.close()
sys.exit(0)
