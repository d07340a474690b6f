#!/usr/bin/python3
"""Guide section 4.7.2 "Disks", Example 4.46.

Parses the domain's XML description and prints, for each <disk>, its type and device, then
each child element with its attributes. The guide's domain is the test driver's
running domain "test", ID 1, here.
"""

import sys
from xml.dom import minidom

import libvirt

DOMAIN_NAME = "test"
DOMAIN_ID = 1

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByID(DOMAIN_ID)
except libvirt.libvirtError:
    print("Failed to find the domain " + DOMAIN_NAME, file=sys.stderr)
    sys.exit(1)

raw_xml = dom.XMLDesc(0)
xml = minidom.parseString(raw_xml)
disk_types = xml.getElementsByTagName("disk")
for disk_type in disk_types:
    print(
        "disk: type="
        + disk_type.getAttribute("type")
        + " device="
        + disk_type.getAttribute("device")
    )
    for disk_node in disk_type.childNodes:
        if disk_node.nodeName[0:1] != "#":
            print("  " + disk_node.nodeName)
            for attr in disk_node.attributes.keys():
                node = disk_node.attributes[attr]
                print("    " + node.name + " = " + node.value)

conn.close()
sys.exit(0)
