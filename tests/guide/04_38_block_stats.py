#!/usr/bin/python3
"""Guide section 4.6.1 "Domain Block Device Performance", Example 4.38.

Prints the read and write requests, bytes and errors of one of the domain's disks, named by its
image path (the test domain's disk is /guest/diskimage1). The test driver makes these figures up
from the clock, so each positive one is printed as MASKED. The guide's domain is the test driver's
running domain "test", ID 1, here.
"""

import sys

import libvirt

DOMAIN_NAME = "test"
DOMAIN_ID = 1

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    dom = conn.lookupByID(DOMAIN_ID)
except libvirt.libvirtError:
    print("Failed to find the domain " + DOMAIN_NAME, file=sys.stderr)
    sys.exit(1)


def masked(value):
    """A clock-derived figure: only whether it is positive is stable."""
    return "MASKED" if value > 0 else str(value)


rd_req, rd_bytes, wr_req, wr_bytes, err = dom.blockStats("/guest/diskimage1")
print("Read requests issued: " + masked(rd_req))
print("Bytes read: " + masked(rd_bytes))
print("Write requests issued: " + masked(wr_req))
print("Bytes written: " + masked(wr_bytes))
print("Number of errors: " + masked(err))

conn.close()
sys.exit(0)
