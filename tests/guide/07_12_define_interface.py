#!/usr/bin/python3
"""Guide section 7.4.1 "Defining an interface configuration", Example 7.12.

Defines the guide's static-address "eth0" with interfaceDefineXML, activates it with create and
prints its name; also prints whether it is active before and after, and the active and
inactive interface names at the end.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

XML = """<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <mac address='aa:bb:cc:dd:ee:fe'/>
  <protocol family='ipv4'>
    <ip address="192.168.0.5" prefix="24"/>
    <route gateway="192.168.0.1"/>
  </protocol>
</interface>"""

iface = conn.interfaceDefineXML(XML, 0)
print("active after define: " + str(iface.isActive()))
iface.create(0)
print("active after create: " + str(iface.isActive()))

print("The interface name is: " + iface.name())
print("Active: " + " ".join(sorted(conn.listInterfaces())))
print("Inactive: " + " ".join(sorted(conn.listDefinedInterfaces())))

conn.close()
sys.exit(0)
