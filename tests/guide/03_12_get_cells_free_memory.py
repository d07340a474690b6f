#!/usr/bin/python3
"""Guide section 3.4.4 "getCellsFreeMemory", Example 3.12 "Using getCellsFreeMemory".

Reads the number of NUMA cells from getInfo, then prints the free memory of each cell (the guide
words the figure as bytes; it is what the hypervisor returns).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

nodeinfo = conn.getInfo()
numnodes = nodeinfo[4]

memlist = conn.getCellsFreeMemory(0, numnodes)
for cell, cellfreemem in enumerate(memlist):
    print("Node " + str(cell) + ": " + str(cellfreemem) + " bytes free memory")

conn.close()
sys.exit(0)
