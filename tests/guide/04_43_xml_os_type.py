#!/usr/bin/python3
"""Guide section 4.7 "Device configuration", Example 4.43.

Parses the domain's XML description and prints the machine and arch attributes of each
<type> element. The guide's domain is the test driver's
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
domain_types = xml.getElementsByTagName("type")
for domain_type in domain_types:
    print(domain_type.getAttribute("machine"))
    print(domain_type.getAttribute("arch"))

conn.close()
sys.exit(0)
