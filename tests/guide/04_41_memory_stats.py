#!/usr/bin/python3
"""Guide section 4.6.3 "Memory Statistics", Example 4.41.

Prints each memory statistic of the domain, value then name. The guide's domain is the test driver's
running domain "test", ID 1, here.
"""

import sys

import libvirt

DOMAIN_NAME = "test"
DOMAIN_ID = 1

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByID(DOMAIN_ID)
except libvirt.libvirtError:
    print("Failed to find the domain " + DOMAIN_NAME, file=sys.stderr)
    sys.exit(1)

stats = dom.memoryStats()
print("memory used:")
for name in stats:
    print("  " + str(stats[name]) + " (" + name + ")")

conn.close()
sys.exit(0)
