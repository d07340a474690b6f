#!/usr/bin/python3
"""Guide section 4.3.15 "Extract the time information from Domain", Example 4.21.

Reads the guest's clock with getTime and prints it with time.ctime (in UTC, so the output does
not depend on the machine's time zone). The guide's domain "CentOS7" is the test driver's
running domain "test" here.
"""

import os
import sys
import time

import libvirt

DOMAIN = "test"

os.environ["TZ"] = "UTC"
time.tzset()

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

struct = dom.getTime()
timestamp = time.ctime(float(struct["seconds"]))
print("The domain current time is " + timestamp)

conn.close()
sys.exit(0)
