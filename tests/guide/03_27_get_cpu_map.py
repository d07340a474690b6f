#!/usr/bin/python3
"""Guide section 3.4.19 "getCPUMap", Example 3.27 "Using getCPUMap".

Prints the number of host CPUs and which of them are online.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

cpumap = conn.getCPUMap()

print("CPUs: " + str(cpumap[0]))
print("Available: " + str(cpumap[1]))

conn.close()
sys.exit(0)
