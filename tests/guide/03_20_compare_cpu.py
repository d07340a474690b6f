#!/usr/bin/python3
"""Guide section 3.4.12 "compareCPU", Example 3.20 "Using compareCPU".

Compares a custom CPU definition (model kvm64, exact match) with the host CPU and says what the
answer means. Python raises where C returns VIR_CPU_COMPARE_ERROR; that is mapped back so the
error case prints the guide's sentence (libvirt reports the error itself on stderr).
"""

import sys

import libvirt

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

xml = (
    "<cpu mode=\"custom\" match=\"exact\">"
    + "<model fallback=\"forbid\">kvm64</model>"
    + "</cpu>"
)

try:
    retc = conn.compareCPU(xml)
except libvirt.libvirtError:
    retc = libvirt.VIR_CPU_COMPARE_ERROR

if retc == libvirt.VIR_CPU_COMPARE_ERROR:
    print("CPUs are not the same or there was error.")
elif retc == libvirt.VIR_CPU_COMPARE_INCOMPATIBLE:
    print("CPUs are incompatible.")
elif retc == libvirt.VIR_CPU_COMPARE_IDENTICAL:
    print("CPUs are identical.")
elif retc == libvirt.VIR_CPU_COMPARE_SUPERSET:
    print("The host CPU is better than the one specified.")
else:
    print("An Unknown return code was emitted.")

conn.close()
sys.exit(0)
