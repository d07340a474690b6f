"""createXMLWithFiles / createWithFiles through a daemon, printed the same way for libvirtd and
rvirtd. Each passed descriptor is the write end of a pipe whose other copies are closed: the
read end reports end of file once the daemon has closed its copy too, so the script also shows
that the daemon let go of every descriptor it received."""

import os
import select
import sys

import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open(os.environ["URI"])


def show(f):
    try:
        return "ok %s" % (f(),)
    except libvirt.libvirtError as e:
        return "error %d %d %s" % (e.get_error_code(), e.get_error_domain(), e.get_error_message())


def xml(name):
    return ("<domain type='test'><name>%s</name><memory>65536</memory>"
            "<os><type>hvm</type></os></domain>" % name)


def pipes(n):
    ends = [os.pipe() for _ in range(n)]
    return [r for r, _ in ends], [w for _, w in ends]


def released(readers):
    """True once every pipe reports end of file (no writer left anywhere)."""
    for r in readers:
        ready, _, _ = select.select([r], [], [], 5)
        if not ready or os.read(r, 1) != b"":
            return False
        os.close(r)
    return True


for n in (1, 3):
    readers, writers = pipes(n)
    print("create-xml-%d-files" % n, show(lambda: c.createXMLWithFiles(xml("f%d" % n), writers).name()))
    for w in writers:
        os.close(w)
    print("released", released(readers))

print("create-xml-no-files", show(lambda: c.createXMLWithFiles(xml("nofiles"), []).name()))
d = c.defineXML(xml("defined"))
readers, writers = pipes(2)
print("create-2-files", show(lambda: d.createWithFiles(writers)))
for w in writers:
    os.close(w)
print("released", released(readers))
print("create-no-files", show(lambda: d.createWithFiles([])))
print("active", d.isActive())
print("domains", sorted(x.name() for x in c.listAllDomains()))
sys.stdout.flush()
