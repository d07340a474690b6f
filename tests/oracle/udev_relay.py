# What udevd does for libvirt on a host that runs no udevd (containers, small VMs, CI): each
# device event the kernel multicasts (NETLINK_KOBJECT_UEVENT, group 1) is sent again in
# udevd's format (a `libudev` header, then the properties) to udevd's group 2, where
# libvirt's udev node device backend listens. Prints `ready` once listening; runs until
# killed. Needs root (sending to a netlink multicast group).
import socket
import struct
import sys

NETLINK_KOBJECT_UEVENT = 15
kernel = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
kernel.bind((0, 1))
out = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
out.bind((0, 0))
print('ready', flush=True)
while True:
    msg, (sender, _groups) = kernel.recvfrom(65536)
    if sender != 0:  # only the kernel's own messages
        continue
    props = [p for p in msg.split(b'\0')[1:] if b'=' in p]
    body = b''.join(p + b'\0' for p in props)
    # prefix, magic (big-endian), header size, properties offset and length, then the
    # subsystem/devtype hashes and tag bloom filter, left 0 (no filtering).
    header = struct.pack('=8sIIIIIIII', b'libudev', socket.htonl(0xfeedcafe), 40, 40,
                         len(body), 0, 0, 0, 0)
    try:
        out.sendto(header + body, (0, 2))
    except OSError as e:
        print('relay:', e, file=sys.stderr, flush=True)
