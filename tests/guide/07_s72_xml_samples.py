#!/usr/bin/python3
"""Guide section 7.2 "XML Interface Description Format", Examples 7.1-7.4 (XML samples).

The four samples are descriptions, not programs: the script defines each with
interfaceDefineXML (an ethernet interface on DHCP, the same with a static address, a bridge
over two ethernet interfaces, a VLAN over eth0) and prints the XML description libvirt gives
back; a second definition of the same name replaces the first.
"""

import sys

import libvirt

SAMPLES = [
    ("7.1", """<interface type='ethernet' name='eth0'>
  <start mode='onboot' />
  <mac address='aa:bb:cc:dd:ee:ff' />
  <protocol family='ipv4'>
    <dhcp/>
  </protocol>
</interface>"""),
    ("7.2", """<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <mac address='aa:bb:cc:dd:ee:ff'/>
  <protocol family='ipv4'>
    <ip address="192.168.0.5" prefix="24"/>
    <route gateway="192.168.0.1"/>
  </protocol>
</interface>"""),
    ("7.3", """<interface type="bridge" name="br0">
  <start mode="onboot"/>
  <mtu size="1500"/>
  <protocol family="ipv4">
    <dhcp/>
  </protocol>
  <bridge stp="off" delay="0.01">
    <interface type="ethernet" name="eth0">
      <mac address="ab:bb:cc:dd:ee:ff"/>
    </interface>
    <interface type="ethernet" name="eth1"/>
  </bridge>
</interface>"""),
    ("7.4", """<interface type="vlan" name="eth0.42">
  <start mode="onboot"/>
  <protocol family="ipv4">
    <dhcp peerdns="no"/>
  </protocol>
  <vlan tag="42">
    <interface name="eth0"/>
  </vlan>
</interface>"""),
]

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

for example, xml in SAMPLES:
    print("Example " + example + ":")
    try:
        iface = conn.interfaceDefineXML(xml, 0)
    except libvirt.libvirtError as e:
        print("error " + str(e.get_error_code()) + ": " + str(e))
        continue
    print(iface.name() + " " + iface.MACString() + " active " + str(iface.isActive()))
    print(iface.XMLDesc(0))

print("Inactive: " + " ".join(sorted(conn.listDefinedInterfaces())))

conn.close()
sys.exit(0)
