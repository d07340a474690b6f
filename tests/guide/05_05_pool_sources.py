#!/usr/bin/python3
"""Guide section 5.5 "Discovering pool sources", Example 5.5 "Discover a storage pool's sources".

Parses the XML description of the test driver's "default-pool" (the guide's "default") and
prints, for each <source> element, its name, path, dir, type and username attributes (empty
when absent, as minidom's getAttribute answers).
"""

import sys
from xml.dom import minidom

import libvirt

POOL_NAME = "default-pool"

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    sp = conn.storagePoolLookupByName(POOL_NAME)
except libvirt.libvirtError:
    print("Failed to find storage pool " + POOL_NAME, file=sys.stderr)
    sys.exit(1)

raw_xml = sp.XMLDesc(0)
xml = minidom.parseString(raw_xml)
print("pool name: " + POOL_NAME)
for source in xml.getElementsByTagName("source"):
    for attr in ["name", "path", "dir", "type", "username"]:
        print("  " + attr + " = " + source.getAttribute(attr))

conn.close()
sys.exit(0)
