#!/usr/bin/python3
"""Guide section 3.3 "Capability Information Methods", Example 3.7 "Using getCapabilities".

Prints the host capabilities XML after a "Capabilities:" line.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

caps = conn.getCapabilities()  # a string of XML
print("Capabilities:\n" + caps)

conn.close()
sys.exit(0)
