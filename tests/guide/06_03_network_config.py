#!/usr/bin/python3
"""Guide section 6.4 "Network configuration", Example 6.3 "Configuring virtual networks".

Prints the "default" network's name, UUID, bridge, autostart, activity and persistence; turns
autostart off and on again with setAutostart, printing it each time; then prints the network's
XML description.
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

network = conn.networkLookupByName("default")
print("Virtual network default:")
print("  name: " + network.name())
print("  UUID: " + network.UUIDString())
print("  bridge: " + network.bridgeName())
print("  autostart: " + str(network.autostart()))
print("  is active: " + str(network.isActive()))
print("  is persistent: " + str(network.isPersistent()))
print()

print("Unsetting autostart")
network.setAutostart(0)
print("  autostart: " + str(network.autostart()))
print("Setting autostart")
network.setAutostart(1)
print("  autostart: " + str(network.autostart()))
print()

xml = network.XMLDesc(0)
print("XML description:")
print(xml)

conn.close()
sys.exit(0)
