#!/usr/bin/python3
"""Guide section 7.3.1 "Enumerating Interfaces", Example 7.5.

Lists the names of the active ("up") host interfaces with listInterfaces.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

iface_names = conn.listInterfaces()

print("Active host interfaces:")
for iface_name in iface_names:
    print(" " + iface_name)

conn.close()
sys.exit(0)
