#!/usr/bin/python3
"""Guide section 3.4.15 "getMemoryParameters", Example 3.23.

Prints the name of each node memory parameter. When the hypervisor refuses the call, says so on
stderr and exits with status 1 (libvirt reports its error on stderr too).
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
    buf = conn.getMemoryParameters()
except libvirt.libvirtError:
    print("Failed to get the node memory parameters", file=sys.stderr)
    sys.exit(1)

for parm in buf:
    print(parm)

conn.close()
sys.exit(0)
