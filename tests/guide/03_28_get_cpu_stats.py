#!/usr/bin/python3
"""Guide section 3.4.20 "getCPUStats", Example 3.28 "Using getCPUStats".

Prints the kernel, idle, user and iowait times of host CPU 0.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

stats = conn.getCPUStats(0)

print("kernel: " + str(stats["kernel"]))
print("idle: " + str(stats["idle"]))
print("user: " + str(stats["user"]))
print("iowait: " + str(stats["iowait"]))

conn.close()
sys.exit(0)
