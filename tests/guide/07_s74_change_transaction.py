#!/usr/bin/python3
"""Guide sections 7.4.3-7.4.5: a whole change transaction (described, no single program).

Opens a transaction with changeBegin, tries a second changeBegin (refused while one is open,
as section 7.4.4 says), defines a new interface and brings eth1 down, rolls back with
changeRollback and prints the interfaces after each step; then a second transaction that
defines an interface and is committed with changeCommit, and a rollback after it, refused.
"""

import sys

import libvirt


def report(e):
    """Prints a libvirt error's code and message."""
    print("error " + str(e.get_error_code()) + ": " + str(e))


uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

NEW = """<interface type='ethernet' name='eth9'>
  <start mode='none'/>
  <mac address='52:54:00:00:00:09'/>
</interface>"""


def show(step):
    """Prints the active and inactive interface names after a step."""
    print(step + ": active " + " ".join(sorted(conn.listInterfaces()))
          + "; inactive " + " ".join(sorted(conn.listDefinedInterfaces())))


conn.changeBegin()
show("changeBegin")
try:
    conn.changeBegin()
except libvirt.libvirtError as e:
    report(e)
conn.interfaceDefineXML(NEW, 0)
show("define eth9")
conn.interfaceLookupByName("eth1").destroy(0)
show("destroy eth1")
conn.changeRollback()
show("changeRollback")

conn.changeBegin()
conn.interfaceDefineXML(NEW, 0)
conn.changeCommit()
show("define eth9, changeCommit")
try:
    conn.changeRollback()
except libvirt.libvirtError as e:
    report(e)

conn.close()
sys.exit(0)
