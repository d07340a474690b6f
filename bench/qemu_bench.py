#!/usr/bin/python3
"""QEMU domain lifecycle timings: the floor (bare QEMU driven over QMP by this script), rvirtd's
qemu:///system and Debian's libvirtd (session QEMU driver), all through the same python3-libvirt
client where a daemon is involved, and rvirt's embedded driver (qemu:///embed in a helper
process, `lifecycle_bench serve`, which times each operation in its own process), in one run.
The sides take turns round by round (the order reversed every other round), so that a machine
whose speed drifts within minutes weighs on each alike. See bench/run_qemu.sh and
bench/RESULTS.md.

EMBED_BENCH=BINARY (the lifecycle_bench example) adds the embedded side; RAW=FILE also writes
every timing (seconds) as JSON.

usage: qemu_bench.py WORKDIR RVIRT_URI LIBVIRT_URI [N]
"""
import json, os, shlex, signal, socket, statistics, subprocess, sys, time
import libvirt

work, rvirt_uri, libvirt_uri = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 10
NSAVE = max(3, N // 2)
# A restore of the 512 MiB image takes 0.13–0.2 s or, at random on every side alike, 0.4–1.7 s
# (this machine's disk): five rounds keep one side's median from landing on two slow ones.
NBIG = 5
libvirt.registerErrorHandler(lambda *a: None, None)


def guest_xml(name, mib=64, kernel=None, serial=None):
    os_extra = "<kernel>%s</kernel>" % kernel if kernel else ""
    dev = ""
    if serial:
        dev = "<devices><serial type='file'><source path='%s'/><target port='0'/></serial></devices>" % serial
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>%d</memory>"
            "<os><type arch='x86_64'>hvm</type>%s</os>%s</domain>" % (name, mib, os_extra, dev))


def ms(xs):
    return statistics.median(xs) * 1000 if xs else None


# ---------------------------------------------------------------- the floor: QEMU + QMP

class Qmp:
    def __init__(self, path, proc):
        t = time.monotonic()
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if proc.poll() is not None or time.monotonic() - t > 30:
                    raise RuntimeError("QEMU did not open its monitor")
                time.sleep(0.001)
        self.s, self.buf = s, b""
        self.read()  # greeting
        self.cmd("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise RuntimeError("monitor closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, fds=None, **args):
        msg = json.dumps({"execute": name, "arguments": args}).encode() + b"\n"
        if fds:
            socket.send_fds(self.s, [msg], fds)
        else:
            self.s.sendall(msg)
        while True:
            r = self.read()
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("%s: %s" % (name, r["error"]))


class Floor:
    """QEMU with the argv rvirt would use (domxml-to-native), driven directly."""

    def __init__(self, conn, xml, tag):
        native = conn.domainXMLToNative("qemu-argv", xml, 0)
        argv = shlex.split(native)
        while "=" in argv[0] and not argv[0].startswith("/"):
            argv.pop(0)  # LC_ALL=C PATH=...
        self.mon = os.path.join(work, "floor-%s.sock" % tag)
        out = []
        for a in argv:
            if a.startswith("socket,id=charmonitor,"):
                a = "socket,id=charmonitor,path=%s,server=on,wait=off" % self.mon
            out.append(a)
        self.argv = out
        self.log = open(os.path.join(work, "floor-%s.log" % tag), "ab")

    def spawn(self, extra=(), pass_fds=()):
        if os.path.exists(self.mon):
            os.unlink(self.mon)
        env = {"LC_ALL": "C", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        self.p = subprocess.Popen(self.argv + list(extra), stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=self.log, env=env, pass_fds=pass_fds, process_group=0)
        self.q = Qmp(self.mon, self.p)

    def start(self):
        self.spawn()
        self.q.cmd("cont")

    def destroy(self):
        self.q.s.close()
        self.p.send_signal(signal.SIGTERM)
        self.p.wait()

    def save(self, path):
        """Pause, migrate to a file, fsync it, end QEMU (libvirt's save, without its header:
        a saved domain is shut off, so QEMU's exit is part of the job on every side)."""
        self.q.cmd("stop")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            # Unthrottled, as libvirt's save sets it (QEMU's default cap is 32 MiB/s).
            self.q.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 53})
            self.q.cmd("getfd", fds=[fd], fdname="save")
            self.q.cmd("migrate", uri="fd:save")
            while True:
                st = self.q.cmd("query-migrate").get("status")
                if st == "completed":
                    break
                if st in ("failed", "cancelled"):
                    raise RuntimeError("migration " + st)
                time.sleep(0.001)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.destroy()

    def restore(self, path):
        fd = os.open(path, os.O_RDONLY)
        try:
            self.spawn(extra=["-incoming", "fd:%d" % fd], pass_fds=[fd])
        finally:
            os.close(fd)
        while self.q.cmd("query-status")["status"] == "inmigrate":
            time.sleep(0.001)
        self.q.cmd("cont")


# Suspend and resume are timed once the guest has settled: right after a start SeaBIOS runs
# under TCG and holds QEMU's big lock in bursts, which delays monitor replies by milliseconds
# at random (the same wait on every side).
SETTLE = 0.5
# Suspend/resume pairs per round, each after the side idled (SETTLE after the start, GAP
# between pairs): single pairs made one run's median of 10 swing by ±15% between runs.
PAIRS = int(os.environ.get("PAIRS", "5"))
GAP = 0.1


def timed(f):
    """Seconds f took: its own figure where it returns one (the embedded side times itself)."""
    t = time.monotonic()
    own = f()
    return time.monotonic() - t if own is None else own


class FloorSide:
    """The floor as one side of the interleaved rounds."""

    def __init__(self, conn, name, mib=64, kernel=None, serial=None):
        self.f = Floor(conn, guest_xml(name, mib, kernel, serial), name)

    def start(self):
        self.f.start()

    def suspend(self):
        self.f.q.cmd("stop")

    def resume(self):
        self.f.q.cmd("cont")

    def destroy(self):
        self.f.destroy()

    def save(self, path):
        self.f.save(path)

    def restore(self, path):
        self.f.restore(path)

    def close(self):
        self.f.destroy()


def fill_serial_wait(serial, limit=300):
    t = time.monotonic()
    while True:
        try:
            if b"D" in open(serial, "rb").read():
                return
        except FileNotFoundError:
            pass
        if time.monotonic() - t > limit:
            raise RuntimeError("the RAM filler did not finish")
        time.sleep(0.05)


# ---------------------------------------------------------------- a daemon through python3-libvirt

class DaemonSide:
    """A daemon's domain, through python3-libvirt, as one side of the interleaved rounds."""

    def __init__(self, conn, name, mib=64, kernel=None, serial=None):
        self.conn = conn
        self.d = conn.defineXML(guest_xml(name, mib, kernel, serial))

    def start(self):
        self.d.create()

    def suspend(self):
        self.d.suspend()

    def resume(self):
        self.d.resume()

    def destroy(self):
        self.d.destroy()

    def save(self, path):
        self.d.save(path)

    def restore(self, path):
        self.conn.restore(path)

    def close(self):
        if self.d.isActive():
            self.d.destroy()
        self.d.undefine()


# ---------------------------------------------------------------- rvirt's embedded driver

class EmbedSide:
    """rvirt's qemu:///embed driver in a `lifecycle_bench serve` process under its own root:
    each operation is a line on its standard input, answered with the milliseconds the driver
    call took in that process (no daemon, no RPC: the pipe is not timed)."""

    def __init__(self, binary, root, name, mib=64, kernel=None, serial=None):
        os.makedirs(root, exist_ok=True)
        self.p = subprocess.Popen([binary, "serve", root], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)
        self.call("define " + guest_xml(name, mib, kernel, serial))
        self.active = False

    def call(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline().rstrip("\n")
        if not answer.startswith("ok "):
            raise RuntimeError("embedded %s: %s" % (line.split(" ")[0], answer or "helper ended"))
        return float(answer[3:]) / 1000

    def start(self):
        self.active = True
        return self.call("start")

    def suspend(self):
        return self.call("suspend")

    def resume(self):
        return self.call("resume")

    def destroy(self):
        self.active = False
        return self.call("destroy")

    def save(self, path):
        self.active = False
        return self.call("save " + path)

    def restore(self, path):
        self.active = True
        return self.call("restore " + path)

    def close(self):
        if self.active:
            self.call("destroy")
        self.call("undefine")
        self.p.stdin.close()
        self.p.wait()


def rounds(n):
    """Round i visits the sides in the given order when i is even, in reverse when odd: every
    side is measured within seconds of the others, whatever the machine does meanwhile."""
    for i in range(n):
        yield i % 2 == 1


def bench_small(sides, savedir):
    """N rounds of start, PAIRS suspend/resume pairs and destroy on each side, then NSAVE rounds
    of save and restore, the sides taking turns round by round."""
    r = {name: {k: [] for k in ("start", "suspend", "resume", "destroy", "save", "restore")}
         for name, _ in sides}
    for rev in rounds(N):
        for name, s in (sides[::-1] if rev else sides):
            r[name]["start"].append(timed(s.start))
            time.sleep(SETTLE)
            for j in range(PAIRS):
                if j:
                    time.sleep(GAP)
                r[name]["suspend"].append(timed(s.suspend))
                r[name]["resume"].append(timed(s.resume))
            r[name]["destroy"].append(timed(s.destroy))
    for rev in rounds(NSAVE):
        for name, s in (sides[::-1] if rev else sides):
            path = os.path.join(savedir, "small-%s.save" % name)
            s.start()
            r[name]["save"].append(timed(lambda: s.save(path)))
            r[name]["restore"].append(timed(lambda: s.restore(path)))
            s.destroy()
    return r


def bench_big(sides, savedir):
    """The 512 MiB guests (RAM filled with random bytes), one per side, all started and filled
    first; then NBIG rounds of save and restore, the sides taking turns."""
    r = {name: {"save_512": [], "restore_512": []} for name, _ in sides}
    for name, s in sides:
        s.start()
    for name, s in sides:
        fill_serial_wait(s.serial)
    for rev in rounds(NBIG):
        for name, s in (sides[::-1] if rev else sides):
            path = os.path.join(savedir, "big-%s.save" % name)
            r[name]["save_512"].append(timed(lambda: s.save(path)))
            r[name]["restore_512"].append(timed(lambda: s.restore(path)))
    for name, s in sides:
        s.destroy()
    return r


def main():
    kernel, savedir = os.path.join(work, "fill.bin"), os.path.join(work, "saves")
    rv, lv = libvirt.open(rvirt_uri), libvirt.open(libvirt_uri)
    res = {}
    embed_bin = os.environ.get("EMBED_BENCH")
    small = [("floor", FloorSide(rv, "floor")), ("rvirt", DaemonSide(rv, "bench-rvirt")),
             ("libvirt", DaemonSide(lv, "bench-libvirt"))]
    if embed_bin:
        small.append(("embed", EmbedSide(embed_bin, os.path.join(work, "embed"), "bench-embed")))
    try:
        res = bench_small(small, savedir)
    finally:
        for _, s in small[1:]:
            s.close()
    if os.environ.get("BIG", "1") == "1":
        big = []
        for name, conn, cls in (("floor", rv, FloorSide), ("rvirt", rv, DaemonSide),
                                ("libvirt", lv, DaemonSide)):
            serial = os.path.join(savedir, "big-%s.serial" % name)
            side = cls(conn, "big-" + name, 512, kernel, serial)
            side.serial = serial
            big.append((name, side))
        if embed_bin:
            serial = os.path.join(savedir, "big-embed.serial")
            side = EmbedSide(embed_bin, os.path.join(work, "embed-big"), "big-embed", 512,
                             kernel, serial)
            side.serial = serial
            big.append(("embed", side))
        try:
            for name, v in bench_big(big, savedir).items():
                res[name].update(v)
        finally:
            for _, s in big[1:]:
                s.close()
    ops = ["start", "suspend", "resume", "destroy", "save", "restore", "save_512", "restore_512"]
    print("| operation | floor (QEMU + QMP) | rvirt embed | rvirtd | libvirtd 9.0 | embed / floor | rvirtd / floor | target |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for op in ops:
        if op not in res["floor"]:
            continue
        f, r, l, e = (ms(res[s][op]) if s in res and res[s].get(op) is not None else None
                      for s in ("floor", "rvirt", "libvirt", "embed"))
        ratio = lambda x: "n/a" if x is None or not f else "%.2f×" % (x / f)
        fmt = lambda v: "n/a" if v is None else ("%.2f ms" % v if v < 10 else "%.1f ms" % v)
        target = "≤ 2×" if op == "start" else "≤ 1.3×"
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            op, fmt(f), fmt(e), fmt(r), fmt(l), ratio(e), ratio(r), target))
    print("medians; %d rounds (%d suspend/resume pairs each, save/restore %d, 512 MiB %d), the sides "
          "taking turns in each round" % (N, PAIRS, NSAVE, NBIG))
    if os.environ.get("RAW"):
        json.dump(res, open(os.environ["RAW"], "w"))


if __name__ == "__main__":
    main()
