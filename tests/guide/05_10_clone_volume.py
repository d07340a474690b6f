#!/usr/bin/python3
"""Guide section 5.11 "Cloning volumes", Example 5.10 "Clone an existing storage volume".

Creates a volume in the test driver's "default-pool" (the guide's "default"), clones it with
createXMLFrom, then wipes and deletes the clone and the original. The test driver cannot wipe a
volume: each wipe's error (code and message) is printed and the script goes on to delete.
Prints each volume's name, path and info() and the pool's volumes along the way.
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
STGVOL_XML2 = """<volume>
  <name>sparse2.img</name>
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


def show(vol):
    """Prints the volume's name, path and info()."""
    print("  " + vol.name() + " at " + vol.path() + ": " + str(vol.info()))


def remove(vol):
    """Wipes (printing the error if refused), then deletes the volume."""
    try:
        vol.wipe(0)
    except libvirt.libvirtError as e:
        print("wipe failed: error " + str(e.get_error_code()) + ": " + str(e))
    vol.delete(0)


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
    print("Failed to create a StorageVol object.", file=sys.stderr)
    sys.exit(1)
show(stgvol)

print("This could take some time...")
try:
    stgvol2 = pool.createXMLFrom(STGVOL_XML2, stgvol, 0)
except libvirt.libvirtError:
    print("Failed to clone a StorageVol object.", file=sys.stderr)
    sys.exit(1)
show(stgvol2)
print("Volumes: " + " ".join(sorted(pool.listVolumes())))

remove(stgvol2)
remove(stgvol)
print("Volumes: " + " ".join(sorted(pool.listVolumes())))

conn.close()
sys.exit(0)
