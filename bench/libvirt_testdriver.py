#!/usr/bin/python3
"""libvirt's in-process test driver, measured with python3-libvirt, for the same three
operations as crates/rvirt/benches/api.rs: define, listAllDomains over 10,000 domains, getInfo."""
import time
import libvirt

libvirt.registerErrorHandler(lambda *_: None, None)


def xml(i):
    return ("<domain type='test'><name>bench%d</name><memory>65536</memory><vcpu>1</vcpu>"
            "<os><type>hvm</type></os></domain>" % i)


def best(fn, repeat=5):
    return min(fn() for _ in range(repeat))


def define_rate():
    conn = libvirt.open("test:///default")
    xmls = [xml(i) for i in range(2000)]
    t = time.perf_counter()
    for x in xmls:
        conn.defineXML(x)
    return len(xmls) / (time.perf_counter() - t)


def list_all_10000():
    conn = libvirt.open("test:///default")
    for i in range(10000):
        conn.defineXML(xml(i))

    def once():
        t = time.perf_counter()
        conn.listAllDomains(0)
        return time.perf_counter() - t
    return best(once)


def get_info():
    conn = libvirt.open("test:///default")
    dom = conn.lookupByName("test")
    n = 200000

    def once():
        t = time.perf_counter()
        for _ in range(n):
            dom.info()
        return (time.perf_counter() - t) / n
    return best(once, 3)


print("libvirt %s test driver (python3-libvirt)" % libvirt.getVersion())
print("define_xml: %.0f/s" % max(define_rate() for _ in range(3)))
print("list_all_domains_10000: %.2f ms" % (list_all_10000() * 1e3))
print("get_info: %.2f us" % (get_info() * 1e6))
