#!/usr/bin/python3
"""Guide section 5.2 "Listing pools": the listAllStoragePools flags (no example program).

The section names the filter flags listAllStoragePools takes. Defines a second, inactive pool
of another type beside the test driver's active "default-pool", then lists the pools with each
flag the section names, one line per flag.
"""

import sys

import libvirt

POOL_XML = """<pool type='logical'>
  <name>guide-vg</name>
  <source>
    <name>guide-vg</name>
    <format type='lvm2'/>
  </source>
  <target>
    <path>/dev/guide-vg</path>
  </target>
</pool>"""

FLAGS = [
    "INACTIVE",
    "ACTIVE",
    "PERSISTENT",
    "TRANSIENT",
    "AUTOSTART",
    "NO_AUTOSTART",
    "DIR",
    "FS",
    "NETFS",
    "LOGICAL",
    "DISK",
    "ISCSI",
    "SCSI",
    "MPATH",
    "RBD",
    "SHEEPDOG",
    "GLUSTER",
    "ZFS",
]

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

conn.storagePoolDefineXML(POOL_XML, 0)

for name in FLAGS:
    flag = getattr(libvirt, "VIR_CONNECT_LIST_STORAGE_POOLS_" + name)
    pools = conn.listAllStoragePools(flag)
    print(name + ": " + " ".join(sorted(p.name() for p in pools)))

conn.close()
sys.exit(0)
