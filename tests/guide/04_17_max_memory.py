#!/usr/bin/python3
"""Guide section 4.3.11 "Determine the max memory of the Domain", Example 4.17.

Prints the domain's maximum memory (the guide labels the figure MB; it is KiB). The guide's domain
"CentOS7" is the test driver's running domain "test" here.
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

mem = dom.maxMemory()
if mem > 0:
    print("The max memory for domain is " + str(mem) + "MB")
else:
    print("There was an error.")

conn.close()
sys.exit(0)
