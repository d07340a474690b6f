#!/usr/bin/python3
"""Guide section 4.7.4 "Mice, Keyboard & Tablets", Example 4.50.

Parses the domain's XML description and prints, for each <input>, its type and bus, then each child
element with its attributes (the test domain has no input devices, so nothing). The guide's domain
is the test driver's running domain "test", ID 1, here.
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
devices_types = xml.getElementsByTagName("input")
for input_type in devices_types:
    print(
        "input: type=" + input_type.getAttribute("type") + " bus=" + input_type.getAttribute("bus")
    )
    for input_node in input_type.childNodes:
        if input_node.nodeName[0:1] != "#":
            print("  " + input_node.nodeName)
            for attr in input_node.attributes.keys():
                node = input_node.attributes[attr]
                print("    " + node.name + " = " + node.value)

conn.close()
sys.exit(0)
