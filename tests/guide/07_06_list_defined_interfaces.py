#!/usr/bin/python3
"""Guide section 7.3.1 "Enumerating Interfaces", Example 7.6.

Lists the names of the inactive ("down") host interfaces with listDefinedInterfaces. The test
driver has none at first, so the script lists, brings its "eth1" down with destroy and lists
again.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)


def list_inactive():
    """Prints the inactive interfaces as the guide's program does."""
    iface_names = conn.listDefinedInterfaces()
    print("Inactive host interfaces:")
    for iface_name in iface_names:
        print(" " + iface_name)


list_inactive()
conn.interfaceLookupByName("eth1").destroy(0)
list_inactive()

conn.close()
sys.exit(0)
