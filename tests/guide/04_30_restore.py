#!/usr/bin/python3
"""Guide section 4.4.3 "Suspend / Resume and Save / Restore", Example 4.30 "Restoring a Guest
Domain".

Restores a guest from a saved state file, finds the restored guest and says on stderr where it
was restored from. A save image only means something to the hypervisor that wrote it, so this
program first saves the test driver's running domain "test" to demo-guest.img in the scratch
folder given as the second argument (as Example 4.29 does). Python's restore returns 0 rather
than the new domain ID the guide expected, so the restored guest is looked up by its name.
"""

import os
import sys

import libvirt

filename = os.path.join(sys.argv[2], "demo-guest.img")

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

# The image to restore from.
conn.lookupByName("test").save(filename)

try:
    ret = conn.restore(filename)
except libvirt.libvirtError:
    ret = -1
if ret < 0:
    print("Unable to restore guest from " + filename, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByName("test")
except libvirt.libvirtError:
    print("Cannot find guest that was restored", file=sys.stderr)
    sys.exit(1)

print("Guest state restored from " + filename, file=sys.stderr)

conn.close()
sys.exit(0)
