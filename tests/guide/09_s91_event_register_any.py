#!/usr/bin/python3
"""Guide chapter 9 "Event and Timer Handling", section 9.1 "Event Handling" (the event loop
functions the section lists), with the lifecycle event registered through
domainEventRegisterAny.

Registers the default event loop implementation, opens the connection, registers a lifecycle
callback for every domain, then takes a new persistent guest through define, create, suspend,
resume, shutdown and undefine, one step at a time, running the event loop after each step until
that step's event has come or 2 seconds have passed (a 100 ms timer keeps each turn of the loop
short). The callback prints the domain's name and the event and detail names. The XML is our
own, of type 'test'.
"""

import sys
import time

import libvirt

XML_CONFIG = """<domain type='test'>
  <name>eventdemo</name>
  <uuid>9a2d67c1-3f0e-4b58-8c21-6d4e5f7a8b90</uuid>
  <memory>500000</memory>
  <vcpu>1</vcpu>
  <os>
    <type>hvm</type>
  </os>
</domain>
"""

EVENTS = {
    libvirt.VIR_DOMAIN_EVENT_DEFINED: (
        "Defined",
        {
            libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED: "Added",
            libvirt.VIR_DOMAIN_EVENT_DEFINED_UPDATED: "Updated",
        },
    ),
    libvirt.VIR_DOMAIN_EVENT_UNDEFINED: (
        "Undefined",
        {libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED: "Removed"},
    ),
    libvirt.VIR_DOMAIN_EVENT_STARTED: (
        "Started",
        {libvirt.VIR_DOMAIN_EVENT_STARTED_BOOTED: "Booted"},
    ),
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: (
        "Suspended",
        {libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED: "Paused"},
    ),
    libvirt.VIR_DOMAIN_EVENT_RESUMED: (
        "Resumed",
        {libvirt.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED: "Unpaused"},
    ),
    libvirt.VIR_DOMAIN_EVENT_STOPPED: (
        "Stopped",
        {
            libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: "Shutdown",
            libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED: "Destroyed",
        },
    ),
    libvirt.VIR_DOMAIN_EVENT_SHUTDOWN: (
        "Shutdown",
        {libvirt.VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED: "Finished"},
    ),
}

received = []


def lifecycle_callback(conn, dom, event, detail, opaque):
    """Prints the event with its detail, by name where this program knows the name."""
    name, details = EVENTS.get(event, (str(event), {}))
    print("  %s %s: %s %s" % (opaque, dom.name(), name, details.get(detail, str(detail))))
    received.append((event, detail))


def tick(timer, opaque):
    """Does nothing: the timer only makes each turn of the event loop return soon."""


def run_loop_until(events):
    """Runs the event loop until `events` events have come in total, for 2 seconds at most."""
    deadline = time.monotonic() + 2
    while len(received) < events and time.monotonic() < deadline:
        libvirt.virEventRunDefaultImpl()


libvirt.virEventRegisterDefaultImpl()

uri = sys.argv[1]
try:
    conn = libvirt.open(uri)
except libvirt.libvirtError:
    print("Failed to open connection to " + uri, file=sys.stderr)
    sys.exit(1)

callback = conn.domainEventRegisterAny(
    None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lifecycle_callback, "lifecycle"
)
timer = libvirt.virEventAddTimeout(100, tick, None)

print("define")
dom = conn.defineXML(XML_CONFIG)
run_loop_until(1)
expected = 1
for name, step, events in [
    ("create", dom.create, 1),
    ("suspend", dom.suspend, 1),
    ("resume", dom.resume, 1),
    ("shutdown", dom.shutdown, 1),
    ("undefine", dom.undefine, 1),
]:
    print(name)
    step()
    expected += events
    run_loop_until(expected)

print("%d events" % len(received))
libvirt.virEventRemoveTimeout(timer)
conn.domainEventDeregisterAny(callback)
conn.close()
sys.exit(0)
