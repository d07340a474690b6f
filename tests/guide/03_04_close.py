#!/usr/bin/python3
"""Guide section 3.1.4 "close", Example 3.4 "Using close with additional references".

Opens two connections to the same hypervisor and closes both; each open has its own close.
Prints nothing on success.
"""

import sys

import libvirt


def open_or_none(uri):
    """libvirt.open, or None when it fails (the guide's test for failure)."""
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError:
        return None


uri = sys.argv[1]
conn1 = open_or_none(uri)
if conn1 is None:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)
conn2 = open_or_none(uri)
if conn2 is None:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)
conn1.close()
conn2.close()
sys.exit(0)
