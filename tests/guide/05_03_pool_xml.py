#!/usr/bin/python3
"""Guide section 5.3 "Pool usage", Example 5.3 "Get the XML description of a storage pool".

Prints the XML description of the test driver's "default-pool" (the guide's "default"); then,
for the VIR_STORAGE_XML_INACTIVE flag the section names, the same with that flag, which libvirt
9.0's test driver refuses (the script prints the error's code and message).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    pool = conn.storagePoolLookupByName("default-pool")
except libvirt.libvirtError:
    print("Failed to locate any StoragePool objects.", file=sys.stderr)
    sys.exit(1)

xml = pool.XMLDesc(0)
print(xml)
try:
    print(pool.XMLDesc(libvirt.VIR_STORAGE_XML_INACTIVE))
except libvirt.libvirtError as e:
    print("error " + str(e.get_error_code()) + ": " + str(e))

conn.close()
sys.exit(0)
