#!/usr/bin/python3
"""A daemon's CPU per `dom.info()` call, split into user and kernel time, with its context
switches per call (voluntary: it slept; a daemon woken twice per call shows 2.0).

Usage: /usr/bin/python3 bench/daemon_cpu.py SOCKET DAEMON_PID [CALLS]

Where the client and the daemon run matters more than anything the daemon does on a 2-vCPU
virtual machine: run both under `taskset -c 0` (same vCPU) and under different vCPUs to see the
two regimes (bench/RESULTS.md, "Where the client runs decides the CPU per call").
"""

import json
import os
import sys
import time

import libvirt

libvirt.registerErrorHandler(lambda _c, _e: None, None)

SOCK, PID = sys.argv[1], int(sys.argv[2])
N = int(sys.argv[3]) if len(sys.argv) > 3 else 50000
TICK = os.sysconf("SC_CLK_TCK")


def cpu():
    with open(f"/proc/{PID}/stat") as f:
        x = f.read().rsplit(")", 1)[1].split()
    return int(x[11]) / TICK, int(x[12]) / TICK


def switches():
    vol = invol = 0
    for t in os.listdir(f"/proc/{PID}/task"):
        with open(f"/proc/{PID}/task/{t}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches"):
                    vol += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol += int(line.split()[1])
    return vol, invol


def main():
    conn = libvirt.open("test+unix:///default?socket=" + SOCK)
    dom = conn.lookupByName("test")
    for _ in range(3000):
        dom.info()
    u0, s0 = cpu()
    v0, i0 = switches()
    t = time.perf_counter()
    for _ in range(N):
        dom.info()
    elapsed = time.perf_counter() - t
    u1, s1 = cpu()
    v1, i1 = switches()
    print(json.dumps({
        "round_trip_us": round(elapsed / N * 1e6, 1),
        "cpu_us": round((u1 - u0 + s1 - s0) / N * 1e6, 2),
        "user_us": round((u1 - u0) / N * 1e6, 2),
        "sys_us": round((s1 - s0) / N * 1e6, 2),
        "voluntary_switches": round((v1 - v0) / N, 2),
        "involuntary_switches": round((i1 - i0) / N, 3),
    }))
    conn.close()


if __name__ == "__main__":
    main()
