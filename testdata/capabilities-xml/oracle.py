#!/usr/bin/python3
# Prints, as one JSON object {uri: TEXT or {"code": N, "message": TEXT}}, what real libvirt's
# test driver answers to virConnectGetCapabilities for every URI named on the command line.
import json, sys
import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
result = {}
for uri in sys.argv[1:]:
    try:
        conn = libvirt.open(uri)
        result[uri] = conn.getCapabilities()
        conn.close()
    except libvirt.libvirtError as e:
        result[uri] = {"code": e.get_error_code(), "message": e.get_error_message()}
json.dump(result, sys.stdout)
