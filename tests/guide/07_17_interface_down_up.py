#!/usr/bin/python3
"""Guide section 7.5 "Interface lifecycle management", Example 7.17 "Temporarily bring down
eth2, then bring it back up".

The guide prints Example 7.13's program again under this title; the script does what the
title and sections 7.5.1-7.5.2 say: brings a host interface down with destroy and up again with
create, printing isActive after each. The guide's "eth2" is the test driver's "eth1". Then
both calls once more on an interface already in that state, printing the errors.
"""

import sys

import libvirt


def report(e):
    """Prints a libvirt error's code and message."""
    print("error " + str(e.get_error_code()) + ": " + str(e))


uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

iface = conn.interfaceLookupByName("eth1")
print(iface.name() + " active: " + str(iface.isActive()))
iface.destroy(0)
print(iface.name() + " active after destroy: " + str(iface.isActive()))
try:
    iface.destroy(0)
except libvirt.libvirtError as e:
    report(e)
iface.create(0)
print(iface.name() + " active after create: " + str(iface.isActive()))
try:
    iface.create(0)
except libvirt.libvirtError as e:
    report(e)

conn.close()
sys.exit(0)
