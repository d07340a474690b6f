#!/usr/bin/python3
"""Guide chapter 8 "Error Handling", section 8.2 "Subclassing libvirtError", Example 8.3.

Forces an error by opening a connection with a spoilt URI (the driver name replaced by one that
does not exist, so the hypervisor side refuses it) and raises a subclass of libvirtError that
prints the default message and every field of the error, through the class's accessors, to
stderr and exits with status 1. (libvirtError's constructor now takes only the message.)
"""

import sys

import libvirt


class ReportLibvirtError(libvirt.libvirtError):
    """A libvirtError that reports itself when raised."""

    def __init__(self, defmsg):
        libvirt.libvirtError.__init__(self, defmsg)
        print("Default msg: " + str(defmsg), file=sys.stderr)
        print("Error code: " + str(self.get_error_code()), file=sys.stderr)
        print("Error domain: " + str(self.get_error_domain()), file=sys.stderr)
        print("Error message: " + self.get_error_message(), file=sys.stderr)
        print("Error level: " + str(self.get_error_level()), file=sys.stderr)
        if self.err[4] is not None:
            print("Error string1: " + self.get_str1(), file=sys.stderr)
        else:
            print("Error string1:", file=sys.stderr)
        if self.err[5] is not None:
            print("Error string2: " + self.get_str2(), file=sys.stderr)
        else:
            print("Error string2:", file=sys.stderr)
        if self.err[6] is not None:
            print("Error string3: " + self.get_str3(), file=sys.stderr)
        else:
            print("Error string3:", file=sys.stderr)
        print("Error int1: " + str(self.get_int1()), file=sys.stderr)
        print("Error int2: " + str(self.get_int2()), file=sys.stderr)
        sys.exit(1)


# The spoilt parameter: an unknown driver in place of the real one, same transport and path.
scheme, rest = sys.argv[1].split(":", 1)
transport = scheme.partition("+")[1:]
uri = "nosuchdriver" + "".join(transport) + ":" + rest
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    raise ReportLibvirtError("Connection error")
conn.close()
sys.exit(0)
