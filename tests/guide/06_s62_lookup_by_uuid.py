#!/usr/bin/python3
"""Guide section 6.2 "Listing networks": networkLookupByUUID (named, not used by Example 6.1).

Looks the "default" network up by its raw 16-byte UUID, prints its name and UUID, then asks
for a UUID no network has and for a name no network has, printing each error's code and
message.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

raw = conn.networkLookupByName("default").UUID()
network = conn.networkLookupByUUID(raw)
print("By UUID: " + network.name() + " " + network.UUIDString())

for lookup, key in [
    (conn.networkLookupByUUID, bytes(16)),
    (conn.networkLookupByUUIDString, "00000000-0000-0000-0000-000000000001"),
    (conn.networkLookupByName, "nosuchnet"),
]:
    try:
        lookup(key)
    except libvirt.libvirtError as e:
        print(lookup.__name__ + ": error " + str(e.get_error_code()) + ": " + str(e))

conn.close()
sys.exit(0)
