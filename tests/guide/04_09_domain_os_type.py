#!/usr/bin/python3
"""Guide section 4.3.3 "Fetching the OS type of a domain", Example 4.9.

Prints the type of operating system the domain hosts. The guide's domain "CentOS7" is the test
driver's running domain "test" here.
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

os_type = dom.OSType()
print("The OS type of the domain is \"" + os_type + "\"")

conn.close()
sys.exit(0)
