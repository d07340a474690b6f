#!/usr/bin/python3
"""Guide section 4.1 "Domain Overview", Example 4.3 "Fetching a domain object from a UUID".

Looks a domain up by its UUID and says on stderr when there is none. The UUID is the test
driver's domain "test"; it is written in the printable form and handed to lookupByUUID as the
16 raw bytes that method takes. Prints nothing on success.
"""

import sys
import uuid

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

domain_uuid = "6695eb01-f6a4-8304-79aa-97f2502e193f"
try:
    dom = conn.lookupByUUID(uuid.UUID(domain_uuid).bytes)
except libvirt.libvirtError:
    dom = None
if dom is None:
    print("Failed to get the domain object", file=sys.stderr)

conn.close()
sys.exit(0)
