#!/usr/bin/python3
# Asks real libvirt's test driver about every checkpoint XML named on the command line, in one
# process. Each case runs on a fresh test:///default machine (its domain `test`, running, one
# disk vda):
#   create    checkpointCreateXML(doc, 0)
#   quiesce   checkpointCreateXML(doc, VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE)
#   redefine  checkpointCreateXML(doc, VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE)
#   again     the same redefine twice (the second replaces the first)
# Prints one JSON object {path: {case: ANSWER}} where ANSWER is {"xml": TEXT, "secure": TEXT,
# "no_domain": TEXT} (getXMLDesc with no flag, with SECURE, with NO_DOMAIN|SIZE) or
# {"code": N, "message": TEXT}.
import json, sys
import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
REDEFINE = libvirt.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE
CASES = {
    "create": [0],
    "quiesce": [libvirt.VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE],
    "redefine": [REDEFINE],
    "again": [REDEFINE, REDEFINE],
}


def run(text, flag_list):
    conn = libvirt.open("test:///default")
    try:
        dom = conn.lookupByName("test")
        for flags in flag_list:
            chk = dom.checkpointCreateXML(text, flags)
        return {
            "xml": chk.getXMLDesc(0),
            "secure": chk.getXMLDesc(libvirt.VIR_DOMAIN_CHECKPOINT_XML_SECURE),
            "no_domain": chk.getXMLDesc(
                libvirt.VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN
                | libvirt.VIR_DOMAIN_CHECKPOINT_XML_SIZE
            ),
        }
    except libvirt.libvirtError as e:
        return {"code": e.get_error_code(), "message": e.get_error_message()}
    finally:
        conn.close()


result = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    result[path] = {name: run(text, fl) for name, fl in CASES.items()}
json.dump(result, sys.stdout)
