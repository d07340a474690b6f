#!/usr/bin/python3
"""Guide section 7.3.4 "Retrieving Interface Network Addresses", Example 7.11.

Asks for the IP addresses of the domain's network interfaces (as the guest agent reports them)
and prints each IPv4 and IPv6 address with its type. The guide's domain "CentOS7" is the test
driver's running domain "test" here. (The guide iterated with Python 2's iteritems.)
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

domain_name = "test"
try:
    dom = conn.lookupByName(domain_name)
except libvirt.libvirtError:
    print("Failed to get the domain object", file=sys.stderr)
    sys.exit(1)

ifaces = dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0)

print("The interface IP addresses:")
for name, val in ifaces.items():
    if val["addrs"]:
        for ipaddr in val["addrs"]:
            if ipaddr["type"] == libvirt.VIR_IP_ADDR_TYPE_IPV4:
                print(ipaddr["addr"] + " VIR_IP_ADDR_TYPE_IPV4")
            elif ipaddr["type"] == libvirt.VIR_IP_ADDR_TYPE_IPV6:
                print(ipaddr["addr"] + " VIR_IP_ADDR_TYPE_IPV6")

conn.close()
sys.exit(0)
