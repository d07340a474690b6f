#!/usr/bin/python3
"""Guide section 4.1 "Domain Overview", Example 4.2 "Fetching a domain object from a name".

Looks a domain up by its name and says on stderr when there is none. The guide's
"someguest" is the test driver's domain "test" here. Prints nothing on success.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

domain_name = "test"
try:
    dom = conn.lookupByName(domain_name)
except libvirt.libvirtError:
    dom = None
if dom is None:
    print("Failed to get the domain object", file=sys.stderr)

conn.close()
sys.exit(0)
