#!/usr/bin/python3
"""Guide section 3.4.21 "getCPUModelNames", Example 3.29 "Using getCPUModelNames".

Prints the CPU models the hypervisor knows for x86_64, one per line.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

models = conn.getCPUModelNames("x86_64")

for model in models:
    print(model)

conn.close()
sys.exit(0)
