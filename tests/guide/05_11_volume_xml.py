#!/usr/bin/python3
"""Guide section 5.12 "Configuring volumes", Example 5.11 "XML description for a storage volume".

Example 5.11 is an XML sample, not a program: the script creates a volume from that
description in the test driver's "default-pool" and prints the XML description libvirt gives
back, then the volume looked up by its path and by its key.
"""

import sys

import libvirt

STGVOL_XML = """<volume>
  <name>sparse.img</name>
  <allocation>0</allocation>
  <capacity unit="G">2</capacity>
  <target>
    <path>/var/lib/virt/images/sparse.img</path>
    <permissions>
      <owner>107</owner>
      <group>107</group>
      <mode>0744</mode>
      <label>virt_image_t</label>
    </permissions>
  </target>
</volume>"""

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

pool = conn.storagePoolLookupByName("default-pool")
stgvol = pool.createXML(STGVOL_XML, 0)
print(stgvol.XMLDesc(0))
by_path = conn.storageVolLookupByPath(stgvol.path())
print("By path: " + by_path.name() + " in " + by_path.storagePoolLookupByVolume().name())
by_key = conn.storageVolLookupByKey(stgvol.key())
print("By key: " + by_key.name() + ", key " + by_key.key())

conn.close()
sys.exit(0)
