#!/usr/bin/python3
"""Guide section 5.10 "Creating and deleting volumes", Example 5.9 "Create a storage volume".

Creates a 2 GiB sparse volume in the test driver's "default-pool" (the guide's "default") with
the pool's createXML, then wipes it and deletes it. The test driver cannot wipe a volume: the
script prints that error (code and message) and goes on to delete, as a C program ignoring the
return value would. Prints the volume's name, path and the pool's volumes before and after.
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

try:
    pool = conn.storagePoolLookupByName("default-pool")
except libvirt.libvirtError:
    print("Failed to locate any StoragePool objects.", file=sys.stderr)
    sys.exit(1)

try:
    stgvol = pool.createXML(STGVOL_XML, 0)
except libvirt.libvirtError:
    print("Failed to create a StorageVol objects.", file=sys.stderr)
    sys.exit(1)
print("Created " + stgvol.name() + " at " + stgvol.path())
print("Volumes: " + " ".join(pool.listVolumes()))

# physically remove the storage volume from the underlying disk media
try:
    stgvol.wipe(0)
except libvirt.libvirtError as e:
    print("wipe failed: error " + str(e.get_error_code()) + ": " + str(e))
# logically remove the storage volume from the storage pool
stgvol.delete(0)
print("Deleted " + stgvol.name())
print("Volumes: " + " ".join(pool.listVolumes()))

conn.close()
sys.exit(0)
