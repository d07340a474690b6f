#!/usr/bin/python3
"""Guide section 3.1.3 "openAuth", Example 3.3 "Using openAuth".

Opens a connection with openAuth, offering a callback for a user name and a passphrase. The
daemons under test authenticate unix-socket clients with "none", so the callback is never
asked; the guide's SASL setup over TCP is not needed. Prints nothing on success (and would say
on stdout if credentials were asked for).
"""

import sys

import libvirt

USER = "guide-user"
PASSPHRASE = "guide-passphrase"


def request_cred(credentials, user_data):
    """Fills in each credential the server asks for."""
    for credential in credentials:
        print("credential requested: " + str(credential[0]))
        if credential[0] == libvirt.VIR_CRED_AUTHNAME:
            credential[4] = USER
        elif credential[0] == libvirt.VIR_CRED_PASSPHRASE:
            credential[4] = PASSPHRASE
    return 0


auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], request_cred, None]

uri = sys.argv[1]
try:
    conn = libvirt.openAuth(uri, auth, 0)
except libvirt.libvirtError:
    conn = None
if conn is None:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)
conn.close()
sys.exit(0)
