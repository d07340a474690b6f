#!/usr/bin/python3
"""Guide section 3.4.2 "getMaxVcpus", Example 3.10 "Using getMaxVcpus".

Prints the most virtual CPUs a guest may have, for the default guest type (None).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

vcpus = conn.getMaxVcpus(None)
print("Maximum support virtual CPUs: " + str(vcpus))

conn.close()
sys.exit(0)
