#!/usr/bin/python3
"""Guide section 5.6 "Pool configuration", Example 5.6 "Demonstrate the setAutostart method".

Prints the autostart setting of the test driver's "default-pool" (the guide's "default"),
flips it with setAutostart and prints it again.
"""

import sys

import libvirt

POOL_NAME = "default-pool"

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

print("Current autostart setting: " + str(sp.autostart()))
if sp.autostart():
    sp.setAutostart(0)
else:
    sp.setAutostart(1)
print("Current autostart setting: " + str(sp.autostart()))

conn.close()
sys.exit(0)
