#!/usr/bin/python3
"""Guide section 5.9 "Volume information", Example 5.8 "List storage volume information".

Prints type, capacity and allocation (info()) of each volume in the test driver's
"default-pool" (the guide's "default"). The pool starts empty, so the script first creates two
volumes of its own, one with an allocation. Names are sorted: libvirtd lists volumes in the
order of a hash table seeded afresh by each daemon process.
"""

import sys

import libvirt

VOLUMES = [
    """<volume>
  <name>guest1.img</name>
  <capacity unit='G'>2</capacity>
</volume>""",
    """<volume type='file'>
  <name>guest2.qcow2</name>
  <allocation unit='M'>512</allocation>
  <capacity unit='bytes'>1073741824</capacity>
  <target>
    <format type='qcow2'/>
  </target>
</volume>""",
]

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

for vol_xml in VOLUMES:
    pool.createXML(vol_xml, 0)

stgvols = sorted(pool.listVolumes())

print("Pool: " + pool.name())
for stgvolname in stgvols:
    print("  Volume: " + stgvolname)
    stgvol = pool.storageVolLookupByName(stgvolname)
    info = stgvol.info()
    print("    Type: " + str(info[0]))
    print("    Capacity: " + str(info[1]))
    print("    Allocation: " + str(info[2]))

conn.close()
sys.exit(0)
