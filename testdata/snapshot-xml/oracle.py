#!/usr/bin/python3
# Asks real libvirt's test driver about every snapshot XML named on the command line, in one
# process. Each case runs on a fresh test:///default machine (its domain `test`, running, one
# disk vda):
#   running   snapshotCreateXML(doc, 0) on the running domain
#   shutoff   the same after destroying the domain
#   validate  snapshotCreateXML(doc, VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE) on the running domain
#   redefine  snapshotCreateXML(doc, VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
#   again     the same redefine twice (the second replaces the first)
# Prints one JSON object {path: {case: ANSWER}} where ANSWER is {"xml": TEXT, "secure": TEXT}
# (getXMLDesc without and with VIR_DOMAIN_SNAPSHOT_XML_SECURE) or {"code": N, "message": TEXT}.
import json, sys
import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
REDEFINE = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
CASES = {
    "running": (False, [0]),
    "shutoff": (True, [0]),
    "validate": (False, [libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE]),
    "redefine": (False, [REDEFINE]),
    "again": (False, [REDEFINE, REDEFINE]),
}


def run(text, stop, flag_list):
    conn = libvirt.open("test:///default")
    try:
        dom = conn.lookupByName("test")
        if stop:
            dom.destroy()
        for flags in flag_list:
            snap = dom.snapshotCreateXML(text, flags)
        return {
            "xml": snap.getXMLDesc(0),
            "secure": snap.getXMLDesc(libvirt.VIR_DOMAIN_SNAPSHOT_XML_SECURE),
        }
    except libvirt.libvirtError as e:
        return {"code": e.get_error_code(), "message": e.get_error_message()}
    finally:
        conn.close()


result = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    result[path] = {name: run(text, stop, fl) for name, (stop, fl) in CASES.items()}
json.dump(result, sys.stdout)
