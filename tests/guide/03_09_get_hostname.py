#!/usr/bin/python3
"""Guide section 3.4.1 "getHostname", Example 3.9 "Using getHostname".

Prints the name of the host the hypervisor runs on (both daemons run on this machine).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

host = conn.getHostname()
print("Hostname: " + host)

conn.close()
sys.exit(0)
