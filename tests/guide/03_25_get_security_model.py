#!/usr/bin/python3
"""Guide section 3.4.17 "getSecurityModel", Example 3.25 "Using getSecurityModel".

Prints the security model and its domain of interpretation on one line.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

model = conn.getSecurityModel()

print(model[0] + " " + model[1])

conn.close()
sys.exit(0)
