#!/usr/bin/python3
"""Upload-only timing through a daemon with python3-libvirt: REPS uploads of SIZE MiB (one random
1 MiB block sent SIZE times, nothing hashed) into a transient dir pool; prints the time of the
sends, of the finish (the daemon's flush and rename), and the rate. Usage: URI POOLDIR SIZE REPS"""
import os, sys, time, libvirt
uri, pooldir, size_mib, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = libvirt.open(uri)
p = c.storagePoolCreateXML("<pool type='dir'><name>bench</name><target><path>%s</path></target></pool>" % pooldir, libvirt.VIR_STORAGE_POOL_CREATE_WITH_BUILD)
v = p.createXML("<volume><name>bench.raw</name><capacity unit='MiB'>%d</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>" % size_mib, 0)
chunk = os.urandom(1 << 20)
for r in range(reps):
    st = c.newStream(0)
    t0 = time.monotonic()
    v.upload(st, 0, 0, 0)
    for i in range(size_mib):
        st.send(chunk)
    t1 = time.monotonic()
    st.finish()
    t2 = time.monotonic()
    print("send %.2fs finish %.2fs total %.0f MiB/s" % (t1-t0, t2-t1, size_mib/(t2-t0)), flush=True)
v.delete(0); p.destroy()
