#!/usr/bin/python3
"""Guide section 4.2 "Listing Domains", Example 4.5 "Listing inactive domains".

Lists the names of the inactive persistent domains, adds the name of each running domain (found
by ID), and prints them all. (The guide appended the bound method domain.name rather than its
result; this calls it.)
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

domain_names = conn.listDefinedDomains()
if domain_names is None:
    print("Failed to get a list of domain names", file=sys.stderr)

domain_ids = conn.listDomainsID()
if domain_ids is None:
    print("Failed to get a list of domain IDs", file=sys.stderr)
if len(domain_ids) != 0:
    for domain_id in domain_ids:
        domain = conn.lookupByID(domain_id)
        domain_names.append(domain.name())

print("All (active and inactive domain names:")
if len(domain_names) == 0:
    print("  None")
else:
    for domain_name in domain_names:
        print("  " + domain_name)

conn.close()
sys.exit(0)
