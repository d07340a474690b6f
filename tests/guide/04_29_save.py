#!/usr/bin/python3
"""Guide section 4.4.3 "Suspend / Resume and Save / Restore", Example 4.29 "Saving a Guest Domain".

Checks that the guest is not shut off, saves its memory state to a file and says on stderr where
it went. The guide's guest "demo-guest" is the test driver's running domain "test" here, and the
file is demo-guest.img in the scratch folder given as the second argument. (The guide read the
state as info.state and named the constant without its module; info() is a list and the
constant is libvirt.VIR_DOMAIN_SHUTOFF.)
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

try:
    dom = conn.lookupByName("test")
except libvirt.libvirtError:
    print("Cannot find guest to be saved.", file=sys.stderr)
    sys.exit(1)

try:
    info = dom.info()
except libvirt.libvirtError:
    print("Cannot check guest state", file=sys.stderr)
    sys.exit(1)

if info[0] == libvirt.VIR_DOMAIN_SHUTOFF:
    print("Not saving guest that is not running", file=sys.stderr)
    sys.exit(1)

try:
    dom.save(filename)
except libvirt.libvirtError:
    print("Unable to save guest to " + filename, file=sys.stderr)

print("Guest state saved to " + filename, file=sys.stderr)

conn.close()
sys.exit(0)
