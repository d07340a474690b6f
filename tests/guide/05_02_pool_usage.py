#!/usr/bin/python3
"""Guide section 5.3 "Pool usage", Example 5.2 "Show the usage of some storage pool methods".

Looks a pool up by name and prints its name, UUID, autostart, activity, persistence, number of
volumes and the four figures of info(). The guide's pool "default" is the test driver's
"default-pool" here.
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

info = pool.info()

print("Pool: " + pool.name())
print("  UUID: " + pool.UUIDString())
print("  Autostart: " + str(pool.autostart()))
print("  Is active: " + str(pool.isActive()))
print("  Is persistent: " + str(pool.isPersistent()))
print("  Num volumes: " + str(pool.numOfVolumes()))
print("  Pool state: " + str(info[0]))
print("  Capacity: " + str(info[1]))
print("  Allocation: " + str(info[2]))
print("  Available: " + str(info[3]))

conn.close()
sys.exit(0)
