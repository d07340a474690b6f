#!/usr/bin/python3
"""Guide section 7.4.5 "changeCommit", Example 7.16 "Using changeCommit".

Calls changeCommit with no transaction open (libvirt refuses: the script prints the error's
code and message); then opens one with changeBegin and commits it.
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

for step in ["changeCommit", "changeBegin", "changeCommit"]:
    try:
        print(step + " returned " + str(getattr(conn, step)()))
    except libvirt.libvirtError as e:
        report(e)

conn.close()
sys.exit(0)
