#!/usr/bin/python3
"""Guide section 4.7.1 "Emulator", Example 4.44.

Parses the domain's XML description and prints the text of its <emulator> element. (The test
domain names no emulator; where the guide's program would fail on the missing element, this
one says there is none.) The guide's domain is the test driver's
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
domain_emulator = xml.getElementsByTagName("emulator")
if domain_emulator:
    print("emulator: " + domain_emulator[0].firstChild.data)
else:
    print("emulator: none")

conn.close()
sys.exit(0)
