#!/usr/bin/python3
"""Guide section 5.5 "Discovering pool sources": findStoragePoolSources (no example program).

The section is about discovering the sources a pool could use; the call libvirt has for it is
findStoragePoolSources. Asks for the sources of a logical pool (no source description), of a
netfs pool on a named host, of a netfs pool without a host, and of a pool type the test driver
cannot scan; prints each answer or the error's code and message.
"""

import sys

import libvirt

QUERIES = [
    ("logical", None),
    ("netfs", "<source><host name='nfs.example.com'/></source>"),
    ("netfs", None),
    ("dir", None),
]

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

for pool_type, spec in QUERIES:
    print("Sources of a " + pool_type + " pool, spec " + str(spec) + ":")
    try:
        print(conn.findStoragePoolSources(pool_type, spec, 0))
    except libvirt.libvirtError as e:
        print("  error " + str(e.get_error_code()) + ": " + str(e))

conn.close()
sys.exit(0)
