#!/usr/bin/python3
"""Guide section 4.1 "Domain Overview", Example 4.1 "Fetching a domain object from an ID".

Looks a domain up by its ID and says on stderr when there is none. The guide's ID 6 is the
test driver's running domain, ID 1, here. Prints nothing on success.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

domain_id = 1
try:
    dom = conn.lookupByID(domain_id)
except libvirt.libvirtError:
    dom = None
if dom is None:
    print("Failed to get the domain object", file=sys.stderr)

conn.close()
sys.exit(0)
