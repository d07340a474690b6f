#!/usr/bin/python3
"""Guide section 4.3.2 "Fetching the UUID of a domain", Example 4.8.

Prints the domain's UUID in its printable form. The guide's domain "CentOS7" is the test driver's
running domain "test" here.
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

domain_uuid = dom.UUIDString()
print("The UUID of the domain is " + domain_uuid)

conn.close()
sys.exit(0)
