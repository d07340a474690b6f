# virConnectRegisterCloseCallback as libvirt's own client sees it: registration answers, then the
# close reason once the daemon goes away (the test kills it after "ready").
import libvirt, os, sys, threading
libvirt.virEventRegisterDefaultImpl()
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open(os.environ["URI"])
def err(f):
    try:
        f()
        return "ok"
    except libvirt.libvirtError as e:
        return f"{e.get_error_code()} {e.get_error_domain()} {e.get_error_message()}"
got = []
ev = threading.Event()
def cb(conn, reason, opaque):
    got.append(reason)
    ev.set()
print("unregister-none", err(lambda: c.unregisterCloseCallback()))
print("register", err(lambda: c.registerCloseCallback(cb, None)))
print("register-again", err(lambda: c.registerCloseCallback(cb, None)))
print("ready", flush=True)
ev.wait(int(os.environ.get("WAIT", "20")))
print("reason", got)
