#!/usr/bin/python3
"""Guide section 3.4.14 "getFreePages", Example 3.22 "Using getFreePages".

Asks for the free 2 MiB pages of cells 0-3 and prints, per cell and page size, how many are
free. (The guide's loop never advanced its index; this one walks the returned mapping.) When the
call fails, says so on stderr and exits with status 1 (libvirt reports its error on stderr too).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

pages = [2048]
start = 0
cellcount = 4
try:
    buf = conn.getFreePages(pages, start, cellcount)
except libvirt.libvirtError:
    print("Failed to get the free pages", file=sys.stderr)
    sys.exit(1)

for cell in sorted(buf):
    for size in sorted(buf[cell]):
        count = buf[cell][size]
        print("Cell " + str(cell) + " Page Size: " + str(size) + " Available pages: " + str(count))

conn.close()
sys.exit(0)
