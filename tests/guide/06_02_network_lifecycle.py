#!/usr/bin/python3
"""Guide section 6.3 "Lifecycle control", Example 6.2 "Creating and destroying virtual networks".

Starts a network from XML with networkCreateXML (transient: the guide's comments swap the two
words), says whether it is active and destroys it; then defines the same network with
networkDefineXML (persistent), says whether it is active, starts it with create, says again and
destroys it. Also prints whether each is persistent, the defined network's XML description
(without its generated UUID) and the networks left at the end.
"""

import sys

import libvirt

XML = """<network>
  <name>mynetwork</name>
  <bridge name="virbr1" />
  <forward mode="nat"/>
  <ip address="192.168.142.1" netmask="255.255.255.0">
    <dhcp>
      <range start="192.168.142.2" end="192.168.142.254" />
    </dhcp>
  </ip>
</network>"""


def say_active(network, kind):
    """Prints the guide's sentence on whether the network is active."""
    if network.isActive() == 1:
        print("The new " + kind + " virtual network is active")
    else:
        print("The new " + kind + " virtual network is not active")


uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

try:
    network = conn.networkCreateXML(XML)
except libvirt.libvirtError:
    print("Failed to create a virtual network", file=sys.stderr)
    sys.exit(1)
say_active(network, "transient")
print("persistent: " + str(network.isPersistent()))
network.destroy()
print()

try:
    network = conn.networkDefineXML(XML)
except libvirt.libvirtError:
    print("Failed to define a virtual network", file=sys.stderr)
    sys.exit(1)
say_active(network, "persistent")
print("persistent: " + str(network.isPersistent()))
network.create()
say_active(network, "persistent")
network.destroy()
for line in network.XMLDesc(0).splitlines():
    if "<uuid>" not in line:
        print(line)

print("Active: " + " ".join(sorted(conn.listNetworks())))
print("Defined: " + " ".join(sorted(conn.listDefinedNetworks())))

conn.close()
sys.exit(0)
