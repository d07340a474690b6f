#!/usr/bin/python3
"""Guide section 4.3.10 "Determine if the Domain is updated", Example 4.16.

Prints whether the domain's definition was updated since it started. (The guide's program
repeats Example 4.15 and calls isPersistent; this one calls isUpdated, which the section is
about.) The guide's domain "CentOS7" is the test driver's running domain
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

flag = dom.isUpdated()
if flag == 1:
    print("The domain is updated.")
elif flag == 0:
    print("The domain is not updated.")
else:
    print("There was an error.")

conn.close()
sys.exit(0)
