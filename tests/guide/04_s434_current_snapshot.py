#!/usr/bin/python3
"""Guide section 4.3.4 "Determining if the domain has a current snapshot" (Example 4.10), after
taking a snapshot.

Prints whether the test driver's running domain "test" has a current snapshot, takes a snapshot
named "guide-snapshot" with snapshotCreateXML, and prints the flag again with the name of the
current snapshot.
"""

import sys

import libvirt

DOMAIN = "test"

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByName(DOMAIN)
except libvirt.libvirtError:
    print("Failed to find the domain " + DOMAIN, file=sys.stderr)
    sys.exit(1)

flag = dom.hasCurrentSnapshot()
print("The value of the current snapshot flag is " + str(flag))

snapshot = dom.snapshotCreateXML(
    "<domainsnapshot><name>guide-snapshot</name></domainsnapshot>", 0
)
print("Took snapshot " + snapshot.getName())

flag = dom.hasCurrentSnapshot()
print("The value of the current snapshot flag is " + str(flag))
print("The current snapshot is " + dom.snapshotCurrent().getName())

conn.close()
sys.exit(0)
