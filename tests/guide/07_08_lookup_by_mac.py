#!/usr/bin/python3
"""Guide section 7.3.2 "Obtaining a virInterface instance for an Interface", Example 7.8.

Looks a host interface up by MAC address and prints its name. The guide's
00:01:02:03:04:05 is the test driver's eth1 address here; then the same with the guide's
address, which no interface has (error code and message printed), and with the test driver's
written in capitals.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

iface = conn.interfaceLookupByMACString("aa:bb:cc:dd:ee:ff")

print("The interface name is: " + iface.name())

for mac in ["00:01:02:03:04:05", "AA:BB:CC:DD:EE:FF"]:
    try:
        print("The interface name is: " + conn.interfaceLookupByMACString(mac).name())
    except libvirt.libvirtError as e:
        print("error " + str(e.get_error_code()) + ": " + str(e))

conn.close()
sys.exit(0)
