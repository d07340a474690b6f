#!/usr/bin/python3
"""Suspend/resume round trips through one or more rvirtd daemons and beside the floor (bare QEMU
driven over QMP by this script), alternating between them in short blocks so that every side
sees the same machine load. For A/B comparisons of two rvirtd builds.

usage: qemu_pause_ab.py WORKDIR PAIRS BLOCK GAP_MS NAME=URI [NAME=URI...]

Each side starts the same 64 MiB no-disk TCG guest as bench/qemu_bench.py, lets it settle, then
runs PAIRS suspend/resume pairs in blocks of BLOCK (sides take turns block by block), idling
GAP_MS before each suspend (the resume follows its suspend at once, as in qemu_bench.py). The
floor's argv comes from the first URI's domainXMLToNative. A side may be the do-nothing daemon
(`noop_daemon SOCKET`, URI qemu+unix:///system?socket=SOCKET, not first), which answers every
call at once: the round trip any daemon adds for this client, with no QEMU behind it. After each resume a `ping` is timed: a
call that does not reach QEMU through a daemon (`isActive`), `query-status` on the floor. Prints
medians and quartiles in ms.
"""
import os, statistics, sys, time
import libvirt

sys.argv, args = sys.argv[:4] + ["10"], sys.argv[1:]
import qemu_bench as qb  # noqa: E402  (reads WORKDIR and two URIs from sys.argv)

work, pairs, block, gap = args[0], int(args[1]), int(args[2]), float(args[3]) / 1000
sides = [a.split("=", 1) for a in args[4:]]


class Floor(qb.FloorSide):
    def __init__(self, conn):
        super().__init__(conn, "floor-ab")
        self.start()

    def ping(self):
        self.f.q.cmd("query-status")


class Daemon(qb.DaemonSide):
    def __init__(self, uri, tag):
        super().__init__(libvirt.open(uri), "ab-" + tag)
        self.start()

    def ping(self):
        self.d.isActive()


runners = {"floor": Floor(libvirt.open(sides[0][1]))}
for name, uri in sides:
    runners[name] = Daemon(uri, name)
time.sleep(qb.SETTLE)
res = {n: {"suspend": [], "resume": [], "ping": []} for n in runners}
order = list(runners)
try:
    done = 0
    while done < pairs:
        for n in order:
            r = runners[n]
            for _ in range(block):
                time.sleep(gap)
                t0 = time.perf_counter()
                r.suspend()
                t1 = time.perf_counter()
                r.resume()
                t2 = time.perf_counter()
                r.ping()
                res[n]["ping"].append(time.perf_counter() - t2)
                res[n]["suspend"].append(t1 - t0)
                res[n]["resume"].append(t2 - t1)
        done += block
        order = order[1:] + order[:1]
finally:
    for r in runners.values():
        r.close()


def q(xs):
    qs = statistics.quantiles(xs, n=4)
    return "%.3f (%.3f-%.3f)" % (statistics.median(xs) * 1000, qs[0] * 1000, qs[2] * 1000)


fl = {k: statistics.median(res["floor"][k]) for k in ("suspend", "resume")}
print("%-10s %-28s %-28s %-28s %s" % ("side", "suspend ms med (q1-q3)", "resume ms med (q1-q3)",
                                       "ping ms med (q1-q3)", "ratio s/r"))
for n in runners:
    s, r, p = res[n]["suspend"], res[n]["resume"], res[n]["ping"]
    print("%-10s %-28s %-28s %-28s %.2fx / %.2fx" % (n, q(s), q(r), q(p), statistics.median(s) / fl["suspend"],
                                                     statistics.median(r) / fl["resume"]))
