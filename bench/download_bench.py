#!/usr/bin/python3
"""Download-only timing through a daemon with python3-libvirt: a transient dir pool, a raw volume of
SIZE MiB written by this client, then four downloads with recv into 4 MiB buffers: two from the
page cache, two after the volume's pages are dropped (POSIX_FADV_DONTNEED). Usage: URI POOLDIR SIZE"""
import os, sys, time, libvirt
uri, pooldir, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = libvirt.open(uri)
p = c.storagePoolCreateXML("<pool type='dir'><name>bench</name><target><path>%s</path></target></pool>" % pooldir, libvirt.VIR_STORAGE_POOL_CREATE_WITH_BUILD)
v = p.createXML("<volume><name>b.raw</name><capacity unit='MiB'>%d</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>" % size, 0)
with open(v.path(), "wb") as f:
    blk = os.urandom(1 << 20)
    for i in range(size): f.write(blk)
for mode in ["cached", "cached", "dropped", "dropped"]:
    if mode == "dropped":
        fd = os.open(v.path(), os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)
    st = c.newStream(0); n = 0
    t0 = time.monotonic(); v.download(st, 0, 0, 0)
    while True:
        b = st.recv(4 << 20)
        if not b: break
        n += len(b)
    st.finish(); t = time.monotonic() - t0
    print(mode, "%.0f MiB/s" % (n / t / 1048576), flush=True)
v.delete(0); p.destroy()
