#!/usr/bin/python3
"""Save through one rvirtd beside the floor (bare QEMU driven over QMP by bench/qemu_bench.py's
FloorSide), alternating round by round so that both see the same machine load.

usage: qemu_save_ab.py WORKDIR ROUNDS URI

Each round, on the floor and then on the daemon at URI: start the 64 MiB guest of
bench/qemu_bench.py, save it at once (timed) to WORKDIR/saves, restore, destroy; then the
same with 200 ms between the start and the save. WARM=N first runs N rounds of start, five
suspend/resume pairs and destroy on both sides, as the benchmark does before its saves.
Prints the median and every sample in ms for each side and settle time.
"""
import os, statistics, sys, time
import libvirt

work, rounds, uri = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.argv = [sys.argv[0], work, uri, uri, "10"]
import qemu_bench as qb  # noqa: E402  (reads WORKDIR and two URIs from sys.argv)

floor = qb.FloorSide(libvirt.open(uri), "floor-save-ab")
daemon = qb.DaemonSide(libvirt.open(uri), "save-ab")
res = {}
try:
    for _ in range(int(os.environ.get("WARM", "0"))):
        for s in (floor, daemon):
            s.start()
            time.sleep(0.3)
            for _ in range(5):
                s.suspend()
                s.resume()
                time.sleep(0.1)
            s.destroy()
    for _ in range(rounds):
        for name, s in (("floor", floor), ("rvirtd", daemon)):
            for settle in (0.0, 0.2):
                path = os.path.join(work, "saves", "save-ab-%s.save" % name)
                s.start()
                time.sleep(settle)
                t = time.perf_counter()
                s.save(path)
                res.setdefault((name, settle), []).append(time.perf_counter() - t)
                s.restore(path)
                s.destroy()
finally:
    daemon.close()
for (name, settle), v in sorted(res.items()):
    print("%-7s settle %.1f s: %.2f ms  (%s)" % (name, settle, statistics.median(v) * 1000,
                                                 " ".join("%.1f" % (x * 1000) for x in sorted(v))))
