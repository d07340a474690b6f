#!/usr/bin/python3
"""Guide section 3.4.18 "getSysinfo", Example 3.26 "Using getSysinfo".

Prints the host's sysinfo XML.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

xml_info = conn.getSysinfo()

print(xml_info)

conn.close()
sys.exit(0)
