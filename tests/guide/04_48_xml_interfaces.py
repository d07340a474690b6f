#!/usr/bin/python3
"""Guide section 4.7.3 "Networking", Example 4.48.

Parses the domain's XML description and prints, for each <interface>, its type, then each
child element with its attributes. The guide's domain is the test driver's
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
interface_types = xml.getElementsByTagName("interface")
for interface_type in interface_types:
    print("interface: type=" + interface_type.getAttribute("type"))
    for interface_node in interface_type.childNodes:
        if interface_node.nodeName[0:1] != "#":
            print("  " + interface_node.nodeName)
            for attr in interface_node.attributes.keys():
                node = interface_node.attributes[attr]
                print("    " + node.name + " = " + node.value)

conn.close()
sys.exit(0)
