#!/usr/bin/python3
"""Guide section 4.6.2 "vCPU Performance", Example 4.39.

Prints the CPU time, in seconds, the domain used on each host CPU (getCPUStats(False)). The guide's
domain is the test driver's running domain "test", ID 1, here.
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

cpu_stats = dom.getCPUStats(False)
for i, cpu in enumerate(cpu_stats):
    print("CPU " + str(i) + " Time: " + str(cpu["cpu_time"] / 1000000000.0))

conn.close()
sys.exit(0)
