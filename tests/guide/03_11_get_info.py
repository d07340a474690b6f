#!/usr/bin/python3
"""Guide section 3.4.3 "getInfo", Example 3.11 "Using getInfo".

Prints the eight members of the node information list, one per line.
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

print("Model: " + str(nodeinfo[0]))
print("Memory size: " + str(nodeinfo[1]) + "MB")
print("Number of CPUs: " + str(nodeinfo[2]))
print("MHz of CPUs: " + str(nodeinfo[3]))
print("Number of NUMA nodes: " + str(nodeinfo[4]))
print("Number of CPU sockets: " + str(nodeinfo[5]))
print("Number of CPU cores per socket: " + str(nodeinfo[6]))
print("Number of CPU threads per core: " + str(nodeinfo[7]))

conn.close()
sys.exit(0)
