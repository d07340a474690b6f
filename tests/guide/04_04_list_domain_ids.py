#!/usr/bin/python3
"""Guide section 4.2 "Listing Domains", Example 4.4 "Listing active domains".

Prints the IDs of the running domains, or " None".
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

domain_ids = conn.listDomainsID()
if domain_ids is None:
    print("Failed to get a list of domain IDs", file=sys.stderr)

print("Active domain IDs:")
if len(domain_ids) == 0:
    print("  None")
else:
    for domain_id in domain_ids:
        print("  " + str(domain_id))

conn.close()
sys.exit(0)
