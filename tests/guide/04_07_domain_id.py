#!/usr/bin/python3
"""Guide section 4.3.1 "Fetching the ID of a domain", Example 4.7.

Prints the ID of the domain, or that it has none because it is not running. The guide's domain
"CentOS7" is the test driver's running domain "test" here.
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

domain_id = dom.ID()
if domain_id == -1:
    print("The domain is not running so has no ID.")
else:
    print("The ID of the domain is " + str(domain_id))

conn.close()
sys.exit(0)
