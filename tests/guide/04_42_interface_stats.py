#!/usr/bin/python3
"""Guide section 4.6.4 "I/O Statistics", Example 4.42.

Finds the host-side name of the domain's first network interface in its XML
(devices/interface/target/@dev), prints it, and prints that interface's traffic figures. The test
driver makes the figures up from the clock, so each positive one is printed as MASKED. The guide's
domain is the test driver's running domain "test", ID 1, here.
"""

import sys
from xml.etree import ElementTree

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


def masked(value):
    """A clock-derived figure: only whether it is positive is stable."""
    return "MASKED" if value > 0 else str(value)


tree = ElementTree.fromstring(dom.XMLDesc())
iface = tree.find("devices/interface/target").get("dev")
print("interface: " + iface)
stats = dom.interfaceStats(iface)
print("read bytes:    " + masked(stats[0]))
print("read packets:  " + masked(stats[1]))
print("read errors:   " + masked(stats[2]))
print("read drops:    " + masked(stats[3]))
print("write bytes:   " + masked(stats[4]))
print("write packets: " + masked(stats[5]))
print("write errors:  " + masked(stats[6]))
print("write drops:   " + masked(stats[7]))

conn.close()
sys.exit(0)
