#!/usr/bin/python3
# Asks real libvirt's test driver about every domain XML named on the command line, in one
# process: defines it in test:///default, prints its inactive XML (plain, with
# VIR_DOMAIN_XML_SECURE and with VIR_DOMAIN_XML_MIGRATABLE) and undefines it again; then
# defines it once more with VIR_DOMAIN_DEFINE_VALIDATE (schema check).
# Prints one JSON object: {path: {"xml": TEXT, "secure": TEXT, "migratable": TEXT,
# "validate": ANSWER}} or {path: {"code": N, "message": TEXT, "validate": ANSWER}}, where
# ANSWER is null when the validating define succeeds, else {"code": N, "message": TEXT}.
import json, sys
import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open("test:///default")
# The test driver's own sample domain would clash with corpus documents named "test".
for d in conn.listAllDomains():
    if d.isActive():
        d.destroy()
    d.undefine()
INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE
result = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        dom = conn.defineXML(text)
        answer = {
            "xml": dom.XMLDesc(INACTIVE),
            "secure": dom.XMLDesc(INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE),
            "migratable": dom.XMLDesc(INACTIVE | libvirt.VIR_DOMAIN_XML_MIGRATABLE),
        }
        dom.undefine()
    except libvirt.libvirtError as e:
        answer = {"code": e.get_error_code(), "message": e.get_error_message()}
    try:
        conn.defineXMLFlags(text, libvirt.VIR_DOMAIN_DEFINE_VALIDATE).undefine()
        answer["validate"] = None
    except libvirt.libvirtError as e:
        answer["validate"] = {"code": e.get_error_code(), "message": e.get_error_message()}
    result[path] = answer
json.dump(result, sys.stdout)
