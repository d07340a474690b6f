#!/usr/bin/python3
"""Guide section 3.4.6 "getVersion", Example 3.14 "Using virConnectGetVersion".

Prints the hypervisor version number.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

ver = conn.getVersion()
print("Version: " + str(ver))

conn.close()
sys.exit(0)
