#!/usr/bin/python3
"""Guide section 3.1.2 "openReadOnly", Example 3.2 "Using openReadOnly".

Opens a read-only connection, says so on stderr if that fails, and closes it. Prints nothing on
success.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.openReadOnly(uri)
except libvirt.libvirtError:
    conn = None
if conn is None:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)
conn.close()
sys.exit(0)
