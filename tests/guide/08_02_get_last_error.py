#!/usr/bin/python3
"""Guide chapter 8 "Error Handling", section 8.1 "virGetLastError", Example 8.2.

Forces an error by opening a connection with a spoilt URI (the driver name replaced by one that
does not exist, so the hypervisor side refuses it) and, when the open fails, prints every field
of the thread's last error from virGetLastError to stderr and exits with status 1.
"""

import sys

import libvirt


def report_libvirt_error():
    """Prints the last error's fields from virGetLastError, then exits with status 1."""
    err = libvirt.virGetLastError()
    print("Error code: " + str(err[0]), file=sys.stderr)
    print("Error domain: " + str(err[1]), file=sys.stderr)
    print("Error message: " + str(err[2]), file=sys.stderr)
    print("Error level: " + str(err[3]), file=sys.stderr)
    if err[4] is not None:
        print("Error string1: " + str(err[4]), file=sys.stderr)
    else:
        print("Error string1:", file=sys.stderr)
    if err[5] is not None:
        print("Error string2: " + str(err[5]), file=sys.stderr)
    else:
        print("Error string2:", file=sys.stderr)
    if err[6] is not None:
        print("Error string3: " + str(err[6]), file=sys.stderr)
    else:
        print("Error string3:", file=sys.stderr)
    print("Error int1: " + str(err[7]), file=sys.stderr)
    print("Error int2: " + str(err[8]), file=sys.stderr)
    sys.exit(1)


# The spoilt parameter: an unknown driver in place of the real one, same transport and path.
scheme, rest = sys.argv[1].split(":", 1)
transport = scheme.partition("+")[1:]
uri = "nosuchdriver" + "".join(transport) + ":" + rest
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    report_libvirt_error()
conn.close()
sys.exit(0)
