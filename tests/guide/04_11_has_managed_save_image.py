#!/usr/bin/python3
"""Guide section 4.3.5 "Determining if the domain has managed save images", Example 4.11.

Prints whether the domain has a managed save image. The guide's domain "CentOS7" is the test
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

flag = dom.hasManagedSaveImage()
print("The value of the managed save images flag is " + str(flag))

conn.close()
sys.exit(0)
