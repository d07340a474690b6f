#!/usr/bin/python3
"""Guide section 7.4.3 "changeRollback", Example 7.14 "Using changeRollback".

Calls changeRollback. No change transaction is open, so libvirt refuses, as the section
warns: the script prints the error's code and message.
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

try:
    iface = conn.changeRollback()
    print("changeRollback returned " + str(iface))
except libvirt.libvirtError as e:
    report(e)

conn.close()
sys.exit(0)
