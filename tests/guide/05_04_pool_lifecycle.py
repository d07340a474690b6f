#!/usr/bin/python3
"""Guide section 5.4 "Lifecycle control", Example 5.4 "Create and destroy storage pools".

Defines a persistent directory pool and undefines it; then creates the same pool as a transient,
running one and calls undefine on it as the guide does. A running pool cannot be undefined, so
that call fails: the script prints the error (code and message) where the guide's program would
have stopped with a traceback, then destroys the pool, which is what the guide meant, and lists
the pools left.
"""

import sys

import libvirt

XML_DESC = """<pool type='dir'>
  <name>mypool</name>
  <uuid>8c79f996-cb2a-d24d-9822-ac7547ab2d01</uuid>
  <capacity unit='bytes'>4306780815</capacity>
  <allocation unit='bytes'>237457858</allocation>
  <available unit='bytes'>4069322956</available>
  <source>
  </source>
  <target>
    <path>/home/guide/images</path>
    <permissions>
      <mode>0755</mode>
      <owner>-1</owner>
      <group>-1</group>
    </permissions>
  </target>
</pool>"""

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

# a new persistent storage pool
try:
    pool = conn.storagePoolDefineXML(XML_DESC, 0)
except libvirt.libvirtError:
    print("Failed to create StoragePool object.", file=sys.stderr)
    sys.exit(1)
print("Defined " + pool.name() + ": active " + str(pool.isActive())
      + ", persistent " + str(pool.isPersistent()))

pool.undefine()
print("Undefined " + pool.name())

# a new transient storage pool, running from the start
try:
    pool = conn.storagePoolCreateXML(XML_DESC, 0)
except libvirt.libvirtError:
    print("Failed to create StoragePool object.", file=sys.stderr)
    sys.exit(1)
print("Created " + pool.name() + ": active " + str(pool.isActive())
      + ", persistent " + str(pool.isPersistent()))

try:
    pool.undefine()
    print("Undefined " + pool.name())
except libvirt.libvirtError as e:
    print("undefine failed: error " + str(e.get_error_code()) + ": " + str(e))
    pool.destroy()
    print("Destroyed " + pool.name())

print("Pools left: " + " ".join(p.name() for p in conn.listAllStoragePools(0)))

conn.close()
sys.exit(0)
