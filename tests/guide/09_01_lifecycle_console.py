#!/usr/bin/python3
"""Guide chapter 9 "Event and Timer Handling", section 9.1 "Event Handling", Example 9.1
"Provide a persistent console that survives guest reboots": its event handling.

The guide's program registers the default event loop and an error handler, opens the connection,
looks the guest up by UUID, reads its state, registers a lifecycle callback with
domainEventRegister that reads the state again and logs each transition, and runs the event loop.
Its console stream, raw terminal and stdin watch need a real guest console and a terminal, so
they are left out here. Instead the program changes the guest's state itself (suspend, resume,
destroy, create), one change at a time, and runs the loop until that change's event has come or
2 seconds have passed; a 100 ms timer keeps each turn of the loop short. The guest is the test
driver's domain "test", and the log lines go to stdout instead of msg.log.
"""

import sys
import time

import libvirt

UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"


def error_handler(unused, error):
    """Reports libvirt errors as warnings, except the console stream's on guest shutdown."""
    if error[0] == libvirt.VIR_ERR_RPC and error[1] == libvirt.VIR_FROM_STREAMS:
        return
    print("WARNING: " + str(error), file=sys.stderr)


class Console:
    """The guest being watched, its connection and its last known state."""

    def __init__(self, uri, uuid):
        self.uri = uri
        self.uuid = uuid
        self.connection = libvirt.open(uri)
        self.domain = self.connection.lookupByUUIDString(uuid)
        self.state = self.domain.state(0)
        self.connection.domainEventRegister(lifecycle_callback, self)
        self.events = 0
        print("%s initial state %d, reason %d" % (self.uuid, self.state[0], self.state[1]))


def lifecycle_callback(connection, domain, event, detail, console):
    """Reads the guest's state again and logs the transition."""
    console.state = console.domain.state(0)
    console.events += 1
    print(
        "%s transitioned to state %d, reason %d (event %d, detail %d)"
        % (console.uuid, console.state[0], console.state[1], event, detail)
    )


def tick(timer, opaque):
    """Does nothing: the timer only makes each turn of the event loop return soon."""


def run_loop_until(console, events):
    """Runs the event loop until `events` events have come in total, for 2 seconds at most."""
    deadline = time.monotonic() + 2
    while console.events < events and time.monotonic() < deadline:
        libvirt.virEventRunDefaultImpl()


uri = sys.argv[1]
print("URI: %s" % uri)
print("UUID: %s" % UUID)

libvirt.virEventRegisterDefaultImpl()
libvirt.registerErrorHandler(error_handler, None)

console = Console(uri, UUID)
timer = libvirt.virEventAddTimeout(100, tick, None)

for count, (name, change) in enumerate(
    [
        ("suspend", console.domain.suspend),
        ("resume", console.domain.resume),
        ("destroy", console.domain.destroy),
        ("create", console.domain.create),
    ],
    start=1,
):
    print(name)
    change()
    run_loop_until(console, count)

print("%d events" % console.events)
libvirt.virEventRemoveTimeout(timer)
console.connection.domainEventDeregister(lifecycle_callback)
console.connection.close()
sys.exit(0)
