#!/usr/bin/python3
"""Guide chapter 8 "Error Handling", section 8.3 "Registering an Error Handler Function",
Example 8.4.

Registers an error handler with a context string, then forces an error by opening a connection
with a spoilt URI (the driver name replaced by one that does not exist, so the hypervisor side
refuses it). The handler prints every field of the error to stderr. The guide's handler then
exits; a Python exit inside libvirt's C callback only turns into a SystemError, so this program
exits with status 1 once open has raised.
"""

import sys

import libvirt


def libvirt_error_handler(ctx, err):
    """Prints the error's fields."""
    print("Error code:    " + str(err[0]), file=sys.stderr)
    print("Error domain:  " + str(err[1]), file=sys.stderr)
    print("Error message: " + err[2], file=sys.stderr)
    print("Error level:   " + str(err[3]), file=sys.stderr)
    if err[4] is not None:
        print("Error string1: " + err[4], file=sys.stderr)
    else:
        print("Error string1:", file=sys.stderr)
    if err[5] is not None:
        print("Error string2: " + err[5], file=sys.stderr)
    else:
        print("Error string2:", file=sys.stderr)
    if err[6] is not None:
        print("Error string3: " + err[6], file=sys.stderr)
    else:
        print("Error string3:", file=sys.stderr)
    print("Error int1:    " + str(err[7]), file=sys.stderr)
    print("Error int2:    " + str(err[8]), file=sys.stderr)


ctx = "just some information"
libvirt.registerErrorHandler(libvirt_error_handler, ctx)

# The spoilt parameter: an unknown driver in place of the real one, same transport and path.
scheme, rest = sys.argv[1].split(":", 1)
transport = scheme.partition("+")[1:]
uri = "nosuchdriver" + "".join(transport) + ":" + rest
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    sys.exit(1)

conn.close()
sys.exit(0)
