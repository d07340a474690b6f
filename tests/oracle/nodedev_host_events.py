# Node device events of the real host, asked of two daemons at once: argv[1] and argv[2] are
# connection URIs (rvirtd's qemu:///system, libvirtd's nodedev:///system), argv[3] the name of
# an interface to add (type ifb), make the kernel announce again (`change` written to its
# uevent file), rename (NAME to NAMEr: a `move` event) and remove. Prints
# JSON: the interface's MAC address and, per URI, the lifecycle and update events about the
# interface, its node devices (name and XML) after it was added, after the rename, and after
# its removal.
import json
import subprocess
import sys
import threading
import time

import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
uris, ifname = sys.argv[1:3], sys.argv[3]
prefix = 'net_' + ifname
lock = threading.Lock()
events = {u: [] for u in uris}


def watch(uri):
    def lifecycle(conn, dev, event, detail, opaque):
        if dev.name().startswith(prefix):
            with lock:
                events[uri].append(['lifecycle', dev.name(), event, detail])

    def update(conn, dev, opaque):
        if dev.name().startswith(prefix):
            with lock:
                events[uri].append(['update', dev.name()])

    c = libvirt.open(uri)
    c.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, lifecycle, None)
    c.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_UPDATE, update, None)
    return c


def loop():
    while True:
        libvirt.virEventRunDefaultImpl()


def wait_for(count):
    """Until every URI saw `count` events (20 s at most)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if all(len(events[u]) >= count for u in uris):
                return
        time.sleep(0.05)


def devices(c):
    return {d.name(): d.XMLDesc(0) for d in c.listAllDevices(0) if d.name().startswith(prefix)}


conns = {u: watch(u) for u in uris}
threading.Thread(target=loop, daemon=True).start()
out = {u: {} for u in uris}
renamed = ifname + 'r'
subprocess.run(['ip', 'link', 'add', ifname, 'type', 'ifb'], check=True)
try:
    with open('/sys/class/net/%s/address' % ifname) as f:
        mac = f.read().strip()
    wait_for(1)
    for u in uris:
        out[u]['added'] = devices(conns[u])
    with open('/sys/class/net/%s/uevent' % ifname, 'w') as f:
        f.write('change')
    wait_for(2)
    subprocess.run(['ip', 'link', 'set', ifname, 'name', renamed], check=True)
    wait_for(4)
    for u in uris:
        out[u]['renamed'] = devices(conns[u])
finally:
    for n in (ifname, renamed):
        subprocess.run(['ip', 'link', 'del', n], stderr=subprocess.DEVNULL)
wait_for(5)
time.sleep(0.3)  # any late event would show
for u in uris:
    out[u]['removed'] = devices(conns[u])
    with lock:
        out[u]['events'] = list(events[u])
print(json.dumps({'mac': mac, 'results': [out[u] for u in uris]}))
