#!/usr/bin/python3
"""Guide section 7.3.1 "Enumerating Interfaces": numOfInterfaces and numOfDefinedInterfaces
(named, no example program).

Prints how many host interfaces are active and how many inactive, with listAllInterfaces' view
of each; brings "eth1" down and prints them again.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)


def counts():
    """Prints both counts and the names listAllInterfaces gives for each state."""
    active = conn.listAllInterfaces(libvirt.VIR_CONNECT_LIST_INTERFACES_ACTIVE)
    inactive = conn.listAllInterfaces(libvirt.VIR_CONNECT_LIST_INTERFACES_INACTIVE)
    print("active: " + str(conn.numOfInterfaces()) + " " + str([i.name() for i in active]))
    print("inactive: " + str(conn.numOfDefinedInterfaces()) + " " + str([i.name() for i in inactive]))


counts()
conn.interfaceLookupByName("eth1").destroy(0)
counts()

conn.close()
sys.exit(0)
