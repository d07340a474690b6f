#!/usr/bin/python3
"""Measures one daemon through python3-libvirt: the same client for libvirtd, rvirtd and the
do-nothing daemon, so the figures compare like with like.

Usage: /usr/bin/python3 bench/daemon_bench.py SOCKET DAEMON_PID [--info-only]

Prints one JSON object: info round trip (µs), daemon CPU per call (µs), define rate (/s) from
one client and from 4 clients defining at once (each its own connection), listAllDomains(0) over
10,000 domains (ms), throughput with 8 clients (calls/s), daemon RSS idle, after 10,000 defines
and after undefining them (KiB). With --info-only (the do-nothing daemon, which answers defines
with a canned domain): the round trip, CPU, throughput and the define rates alone.
"""

import json
import multiprocessing
import os
import sys
import time

import libvirt

libvirt.registerErrorHandler(lambda _c, _e: None, None)

SOCK = sys.argv[1]
PID = int(sys.argv[2])
INFO_ONLY = "--info-only" in sys.argv
URI = "test+unix:///default?socket=" + SOCK
TICK = os.sysconf("SC_CLK_TCK")


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_seconds():
    with open(f"/proc/{PID}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def info_loop(n):
    conn = libvirt.open(URI)
    dom = conn.lookupByName("test")
    for _ in range(n):
        dom.info()
    conn.close()


def worker(seconds, q):
    conn = libvirt.open(URI)
    dom = conn.lookupByName("test")
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(100):
            dom.info()
        n += 100
    q.put(n)
    conn.close()


def xml(i):
    return (f"<domain type='test'><name>bench{i}</name><memory>1048576</memory>"
            f"<vcpu>1</vcpu><os><type>hvm</type></os></domain>")


def define_worker(k, n, ready, go, q):
    """Defines n domains of its own once `go` is set; reports when it finished."""
    conn = libvirt.open(URI)
    names = [xml(f"c{k}-{i}") for i in range(n)]
    ready.put(k)
    go.wait()
    doms = [conn.defineXML(x) for x in names]
    q.put(time.perf_counter())
    if not INFO_ONLY:
        for d in doms:
            d.undefine()
    conn.close()


def define_rate_clients(clients, total):
    """Domains defined per second by `clients` connections defining at once, total in all."""
    ready, q = multiprocessing.Queue(), multiprocessing.Queue()
    go = multiprocessing.Event()
    procs = [multiprocessing.Process(target=define_worker,
                                     args=(k, total // clients, ready, go, q))
             for k in range(clients)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    t = time.perf_counter()
    go.set()
    end = max(q.get() for _ in procs)
    for p in procs:
        p.join()
    return total / (end - t)


def define_rate(conn, n):
    """Domains defined per second by one client, and the domains."""
    t = time.perf_counter()
    doms = [conn.defineXML(xml(i)) for i in range(n)]
    return n / (time.perf_counter() - t), doms


def main():
    out = {"rss_idle_kib": rss_kib()}
    conn = libvirt.open(URI)
    dom = conn.lookupByName("test")
    for _ in range(2000):
        dom.info()
    n = 20000
    t = time.perf_counter()
    for _ in range(n):
        dom.info()
    out["info_us"] = (time.perf_counter() - t) / n * 1e6

    n = 50000
    c0 = cpu_seconds()
    for _ in range(n):
        dom.info()
    out["daemon_cpu_per_call_us"] = (cpu_seconds() - c0) / n * 1e6

    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(3.0, q)) for _ in range(8)]
    for p in procs:
        p.start()
    total = sum(q.get() for _ in procs)
    for p in procs:
        p.join()
    out["throughput_8_clients"] = total / 3.0
    if INFO_ONLY:
        out["define_per_s"], _ = define_rate(conn, 10000)
        out["define_per_s_4_clients"] = define_rate_clients(4, 10000)
        print(json.dumps(out))
        return

    rss_before = rss_kib()
    n = 10000
    out["define_per_s"], doms = define_rate(conn, n)
    # Both daemons get the same quiet moment after the burst: rvirtd returns the burst's
    # transient garbage to the system when its calls stop (within two seconds).
    time.sleep(2.5)
    out["rss_after_10k_defines_kib"] = rss_kib()
    out["rss_per_domain_bytes"] = (out["rss_after_10k_defines_kib"] - rss_before) * 1024 / n

    times = []
    for _ in range(10):
        t = time.perf_counter()
        listed = conn.listAllDomains(0)
        times.append(time.perf_counter() - t)
        assert len(listed) == n + 1, len(listed)
        del listed
    times.sort()
    out["list_all_10k_ms"] = times[len(times) // 2] * 1e3

    for d in doms:
        d.undefine()
    del doms
    time.sleep(3)
    out["rss_after_undefine_kib"] = rss_kib()
    # After the memory figures: the 4 clients' domains are undefined by the clients themselves.
    out["define_per_s_4_clients"] = define_rate_clients(4, 10000)
    conn.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
