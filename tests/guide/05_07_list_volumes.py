#!/usr/bin/python3
"""Guide section 5.8 "Listing volumes", Example 5.7 "Demonstrate listing the storage volumes".

Lists the names of the volumes in the test driver's "default-pool" (the guide's "default").
The test driver's pool starts empty, so the script lists it, creates two volumes of its own and
lists it again. Names are sorted: libvirtd lists volumes in the order of a hash table seeded
afresh by each daemon process.
"""

import sys

import libvirt

POOL_NAME = "default-pool"
VOL_XML = """<volume>
  <name>%s</name>
  <capacity unit='M'>%d</capacity>
</volume>"""


def list_volumes(sp):
    """Prints the pool's volume names as the guide's program does."""
    stgvols = sorted(sp.listVolumes())
    print("Storage pool: " + POOL_NAME)
    for stgvol in stgvols:
        print("  Storage vol: " + stgvol)


uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    sp = conn.storagePoolLookupByName(POOL_NAME)
except libvirt.libvirtError:
    print("Failed to find storage pool " + POOL_NAME, file=sys.stderr)
    sys.exit(1)

list_volumes(sp)
sp.createXML(VOL_XML % ("guest1.img", 10), 0)
sp.createXML(VOL_XML % ("guest2.qcow2", 20), 0)
list_volumes(sp)

conn.close()
sys.exit(0)
