#!/usr/bin/python3
"""libvirt's side of bench/run_domain_xml.sh: defineXML + XMLDesc(INACTIVE) + undefine of one
document, N times, in process on test:///default (python3-libvirt). Prints the same line shape
as rvirt's example: `libvirt BYTES N TOTAL_SECONDS PER_ITERATION_MICROSECONDS`, or with --print
the inactive XML once."""
import sys
import time
import libvirt

libvirt.registerErrorHandler(lambda *_: None, None)
path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "--print" else 0
with open(path, encoding="utf-8") as f:
    text = f.read()
conn = libvirt.open("test:///default")
if "--print" in sys.argv:
    dom = conn.defineXML(text)
    sys.stdout.write(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    dom.undefine()
    sys.exit(0)
inactive = libvirt.VIR_DOMAIN_XML_INACTIVE
t = time.perf_counter()
for _ in range(n):
    dom = conn.defineXML(text)
    dom.XMLDesc(inactive)
    dom.undefine()
total = time.perf_counter() - t
print("libvirt %d %d %.6f %.3f" % (len(text.encode()), n, total, total * 1e6 / n))
