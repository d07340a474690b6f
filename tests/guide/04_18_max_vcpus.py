#!/usr/bin/python3
"""Guide section 4.3.12 "Determine the max Vcpus of the Domain", Example 4.18.

Prints the most vCPUs the domain may have. The guide's domain "CentOS7" is the test driver's running
domain "test" here.
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

cpus = dom.maxVcpus()
if cpus != -1:
    print("The max Vcpus for domain is " + str(cpus))
else:
    print("There was an error.")

conn.close()
sys.exit(0)
