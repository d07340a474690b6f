#!/usr/bin/python3
"""Guide section 6.2 "Listing networks", Example 6.1 "Discovering and finding virtual networks".

Lists the names of the running virtual networks, then looks the "default" network up by name
and again by its UUID string, printing name, UUID and bridge each time.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

networks = conn.listNetworks()
print("Virtual networks:")
for network in networks:
    print(" " + network)
print()

network = conn.networkLookupByName("default")
print("Virtual network default:")
print("  name: " + network.name())
uuid = network.UUIDString()
print("  UUID: " + uuid)
print("  bridge: " + network.bridgeName())
print()

network = conn.networkLookupByUUIDString(uuid)
print("Virtual network default:")
print("  name: " + network.name())
print("  UUID: " + network.UUIDString())
print("  bridge: " + network.bridgeName())

conn.close()
sys.exit(0)
