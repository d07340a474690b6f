#!/usr/bin/python3
"""Guide section 4.3.13 "Fetch the name of the Domain", Example 4.19.

Prints the domain's name. The guide's domain "CentOS7" is the test driver's running domain
"test" here.
"""

import sys

import libvirt

DOMAIN = "test"

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByName(DOMAIN)
except libvirt.libvirtError:
    print("Failed to find the domain " + DOMAIN, file=sys.stderr)
    sys.exit(1)

name = dom.name()
print("The name of the domain is \"" + name + "\".")

conn.close()
sys.exit(0)
