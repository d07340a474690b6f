#!/usr/bin/python3
"""Guide section 3.4.7 "getLibVersion", Example 3.15 "Using virConnectGetLibVersion".

Prints the version of the libvirt the hypervisor side reports.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

ver = conn.getLibVersion()
print("Libvirt Version: " + str(ver))

conn.close()
sys.exit(0)
