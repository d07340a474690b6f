#!/usr/bin/python3
"""Guide section 4.2 "Listing Domains", Example 4.6 "Fetching all domain objects".

Prints the name of every domain, active or not, from listAllDomains(0), or " None".
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

print("All (active and inactive) domain names:")
domains = conn.listAllDomains(0)
if len(domains) != 0:
    for domain in domains:
        print("  " + domain.name())
else:
    print("  None")

conn.close()
sys.exit(0)
