#!/usr/bin/python3
"""Guide section 4.3.7 "Get the Domain hardware info", Example 4.13.

Prints the state, maximum and current memory, number of vCPUs and CPU time from info(). The
test driver derives the CPU time of a running domain from the clock, so a positive CPU time is
printed as MASKED. The guide's domain "CentOS7" is the test driver's running domain
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

state, maxmem, mem, cpus, cput = dom.info()
print("The state is " + str(state))
print("The max memory is " + str(maxmem))
print("The memory is " + str(mem))
print("The number of cpus is " + str(cpus))
print("The cpu time is " + ("MASKED" if cput > 0 else str(cput)))

conn.close()
sys.exit(0)
