#!/usr/bin/python3
"""Guide section 4.6.2 "vCPU Performance", Example 4.40.

Prints the total, system and user CPU time of the domain (getCPUStats(True)). The guide's domain is
the test driver's running domain "test", ID 1, here.
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

stats = dom.getCPUStats(True)
print("cpu_time:    " + str(stats[0]["cpu_time"]))
print("system_time: " + str(stats[0]["system_time"]))
print("user_time:   " + str(stats[0]["user_time"]))

conn.close()
sys.exit(0)
