#!/usr/bin/python3
"""Guide section 3.1.1 "open", Example 3.1 "Using open"; also Example 3.5 "Connecting to a local
QEMU hypervisor", which is the same program.

Opens a read-write connection to the hypervisor named by the URI, says so on stderr if that
fails, and closes it again. Prints nothing on success.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    conn = None
if conn is None:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)
conn.close()
sys.exit(0)
