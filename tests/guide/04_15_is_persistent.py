#!/usr/bin/python3
"""Guide section 4.3.9 "Determine if the Domain is persistent", Example 4.15.

Prints whether the domain is persistent. The guide's domain "CentOS7" is the test driver's running
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

flag = dom.isPersistent()
if flag == 1:
    print("The domain is persistent.")
elif flag == 0:
    print("The domain is not persistent.")
else:
    print("There was an error.")

conn.close()
sys.exit(0)
