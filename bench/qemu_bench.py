#!/usr/bin/python3
"""QEMU domain lifecycle timings: the floor (bare QEMU driven over QMP by this script), rvirtd's
qemu:///system and Debian's libvirtd (session QEMU driver), all through the same python3-libvirt
client where a daemon is involved, in one run. See bench/run_qemu.sh and bench/RESULTS.md.

usage: qemu_bench.py WORKDIR RVIRT_URI LIBVIRT_URI [N]
"""
import json, os, shlex, signal, socket, statistics, subprocess, sys, time
import libvirt

work, rvirt_uri, libvirt_uri = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 10
NSAVE = max(3, N // 2)
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


def timed(f):
    t = time.monotonic()
    f()
    return time.monotonic() - t


def bench_floor(conn):
    r = {k: [] for k in ("start", "suspend", "resume", "destroy", "save", "restore")}
    f = Floor(conn, guest_xml("floor"), "64")
    for _ in range(N):
        r["start"].append(timed(f.start))
        time.sleep(SETTLE)
        r["suspend"].append(timed(lambda: f.q.cmd("stop")))
        r["resume"].append(timed(lambda: f.q.cmd("cont")))
        r["destroy"].append(timed(f.destroy))
    path = os.path.join(work, "floor.save")
    for _ in range(NSAVE):
        f.start()
        r["save"].append(timed(lambda: f.save(path)))
        r["restore"].append(timed(lambda: f.restore(path)))
        f.destroy()
    return r


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


def bench_floor_big(conn, kernel):
    serial = os.path.join(work, "floor-big.serial")
    f = Floor(conn, guest_xml("floorbig", 512, kernel, serial), "512")
    f.start()
    fill_serial_wait(serial)
    path = os.path.join(work, "floor-big.save")
    r = {"save": [], "restore": []}
    for _ in range(3):
        r["save"].append(timed(lambda: f.save(path)))
        r["restore"].append(timed(lambda: f.restore(path)))
    f.destroy()
    return r


# ---------------------------------------------------------------- a daemon through python3-libvirt

def no_support(e):
    return e.get_error_code() in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_OPERATION_UNSUPPORTED)


def bench_daemon(conn, tag, savedir):
    r = {k: [] for k in ("start", "suspend", "resume", "destroy", "save", "restore")}
    d = conn.defineXML(guest_xml("bench-" + tag))
    try:
        for _ in range(N):
            r["start"].append(timed(d.create))
            time.sleep(SETTLE)
            r["suspend"].append(timed(d.suspend))
            r["resume"].append(timed(d.resume))
            r["destroy"].append(timed(d.destroy))
        path = os.path.join(savedir, "bench-%s.save" % tag)
        for _ in range(NSAVE):
            d.create()
            try:
                r["save"].append(timed(lambda: d.save(path)))
            except libvirt.libvirtError as e:
                d.destroy()
                if no_support(e):
                    r["save"] = r["restore"] = None
                    break
                raise
            r["restore"].append(timed(lambda: conn.restore(path)))
            d.destroy()
    finally:
        if d.isActive():
            d.destroy()
        d.undefine()
    return r


def bench_daemon_big(conn, tag, savedir, kernel):
    serial = os.path.join(savedir, "big-%s.serial" % tag)
    d = conn.defineXML(guest_xml("big-" + tag, 512, kernel, serial))
    r = {"save": [], "restore": []}
    try:
        d.create()
        fill_serial_wait(serial)
        path = os.path.join(savedir, "big-%s.save" % tag)
        for _ in range(3):
            try:
                r["save"].append(timed(lambda: d.save(path)))
            except libvirt.libvirtError as e:
                if no_support(e):
                    return {"save": None, "restore": None}
                raise
            r["restore"].append(timed(lambda: conn.restore(path)))
    finally:
        if d.isActive():
            d.destroy()
        d.undefine()
    return r


def main():
    kernel, savedir = os.path.join(work, "fill.bin"), os.path.join(work, "saves")
    rv, lv = libvirt.open(rvirt_uri), libvirt.open(libvirt_uri)
    res = {}
    res["floor"] = bench_floor(rv)
    res["rvirt"] = bench_daemon(rv, "rvirt", savedir)
    res["libvirt"] = bench_daemon(lv, "libvirt", savedir)
    if os.environ.get("BIG", "1") == "1":
        res["floor"].update({k + "_512": v for k, v in bench_floor_big(rv, kernel).items()})
        res["rvirt"].update({k + "_512": v for k, v in bench_daemon_big(rv, "rvirt", savedir, kernel).items()})
        res["libvirt"].update({k + "_512": v for k, v in bench_daemon_big(lv, "libvirt", savedir, kernel).items()})
    embed = {}
    if os.environ.get("EMBED_JSON"):
        embed = json.load(open(os.environ["EMBED_JSON"]))
    ops = ["start", "suspend", "resume", "destroy", "save", "restore", "save_512", "restore_512"]
    print("| operation | floor (QEMU + QMP) | rvirt embed | rvirtd | libvirtd 9.0 | embed / floor | rvirtd / floor | target |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for op in ops:
        if op not in res["floor"]:
            continue
        f, r, l = (ms(res[s][op]) if res[s].get(op) is not None else None for s in ("floor", "rvirt", "libvirt"))
        e = embed.get(op)
        ratio = lambda x: "n/a" if x is None or not f else "%.2f×" % (x / f)
        fmt = lambda v: "n/a" if v is None else ("%.2f ms" % v if v < 10 else "%.1f ms" % v)
        target = "≤ 2×" if op == "start" else "≤ 1.3×"
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            op, fmt(f), fmt(e), fmt(r), fmt(l), ratio(e), ratio(r), target))
    print("medians; %d rounds (save/restore %d, 512 MiB 3)" % (N, NSAVE))


if __name__ == "__main__":
    main()
