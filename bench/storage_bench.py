#!/usr/bin/python3
"""Volume upload and download through a daemon with python3-libvirt: one transient dir pool,
one raw volume of SIZE MiB, uploaded from memory in 1 MiB sends and downloaded with `recv` of
4 MiB, copied into a buffer allocated and touched before the clock starts. The blocks are made
and hashed before the upload's clock starts and the downloaded data is hashed after the
download's clock stops, so the times are the transfers' alone. The
volume's pages are dropped from the page cache before the download, so it reads the disk.
Prints one line: upload MiB/s, download MiB/s, and "ok" if the checksums agree ("MISMATCH" if not).
Usage: URI POOLDIR SIZE"""
import hashlib, os, sys, time
import libvirt

uri, pooldir, size_mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = libvirt.open(uri)
p = c.storagePoolCreateXML(
    "<pool type='dir'><name>bench</name><target><path>%s</path></target></pool>" % pooldir, libvirt.VIR_STORAGE_POOL_CREATE_WITH_BUILD)
v = p.createXML(
    "<volume><name>bench.raw</name><capacity unit='MiB'>%d</capacity><allocation>0</allocation>"
    "<target><format type='raw'/></target></volume>" % size_mib, 0)
chunk = os.urandom(1 << 20)
want = hashlib.sha256()
# Each MiB differs (its index up front), so a lost or repeated chunk changes the sum.
blocks = [i.to_bytes(8, "little") + chunk[8:] for i in range(size_mib)]
for block in blocks:
    want.update(block)
st = c.newStream(0)
t0 = time.monotonic()
v.upload(st, 0, 0, 0)
for block in blocks:
    st.send(block)
st.finish()
up = time.monotonic() - t0
path = v.path()
fd = os.open(path, os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
del blocks
# The download lands in memory the client owns (and has touched) before the clock starts: each
# received block is copied into it and freed, so the allocator reuses the same few MiB instead
# of faulting in a fresh GiB of pages, which the daemon's figure would otherwise carry.
data = bytearray(size_mib << 20)
view = memoryview(data)
at = 0
st = c.newStream(0)
t0 = time.monotonic()
v.download(st, 0, 0, 0)
while True:
    b = st.recv(4 << 20)
    if not b:
        break
    if at + len(b) > len(data):
        at = len(data) + 1  # more than was uploaded: the sums cannot agree
        break
    view[at:at + len(b)] = b
    at += len(b)
st.finish()
down = time.monotonic() - t0
got = hashlib.sha256(data if at == len(data) else b"short")
v.delete(0)
p.destroy()
print("%.1f %.1f %s" % (
    size_mib / up, size_mib / down, "ok" if got.digest() == want.digest() else "MISMATCH"))
