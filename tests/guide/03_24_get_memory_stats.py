#!/usr/bin/python3
"""Guide section 3.4.16 "getMemoryStats", Example 3.24 "Using getMemoryStats".

Prints the name of each memory statistic of all cells. When the hypervisor refuses the call, says
so on stderr and exits with status 1 (libvirt reports its error on stderr too).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    buf = conn.getMemoryStats(libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS)
except libvirt.libvirtError:
    print("Failed to get the node memory statistics", file=sys.stderr)
    sys.exit(1)

for parm in buf:
    print(parm)

conn.close()
sys.exit(0)
