#!/usr/bin/python3
# Asks real libvirt's test driver about every domain XML named on the command line, in one
# process: defines it in test:///default, prints its inactive XML and undefines it again.
# Prints one JSON object: {path: {"xml": TEXT}} or {path: {"code": N, "message": TEXT}}.
import json, sys
import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open("test:///default")
# The test driver's own sample domain would clash with corpus documents named "test".
for d in conn.listAllDomains():
    if d.isActive():
        d.destroy()
    d.undefine()
result = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        dom = conn.defineXML(text)
    except libvirt.libvirtError as e:
        result[path] = {"code": e.get_error_code(), "message": e.get_error_message()}
        continue
    result[path] = {"xml": dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)}
    dom.undefine()
json.dump(result, sys.stdout)
