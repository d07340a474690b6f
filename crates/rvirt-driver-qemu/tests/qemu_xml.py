# Real libvirt's QEMU driver in-process (qemu:///embed): defines every guest XML given and
# prints, as JSON by name, its inactive XML and its QEMU command line (domainXMLToNative), or
# its error (code, message). With --start=NAME…, also starts those guests and gives their live
# XML (or the start's error), then destroys them; --conf=LINE adds a line to its qemu.conf.
import json
import os
import sys

import libvirt

root = sys.argv[1]
files = [a for a in sys.argv[2:] if not a.startswith("--")]
start = [a[len("--start="):] for a in sys.argv[2:] if a.startswith("--start=")]
conf = [a[len("--conf="):] for a in sys.argv[2:] if a.startswith("--conf=")]
os.makedirs(root + "/etc", exist_ok=True)
with open(root + "/etc/qemu.conf", "w") as f:
    f.write('stdio_handler = "file"\nuser = "root"\ngroup = "root"\n'
            'dynamic_ownership = 0\nsecurity_driver = "none"\n')
    for line in conf:
        f.write(line + "\n")
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open("qemu:///embed?root=" + root)
out = {}
for path in files:
    name = os.path.basename(path)[:-4]
    try:
        with open(path) as f:
            text = f.read()
        dom = conn.defineXML(text)
        out[name] = {"xml": dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)}
        try:
            out[name]["argv"] = conn.domainXMLToNative("qemu-argv", out[name]["xml"], 0)
        except libvirt.libvirtError as e:
            out[name]["argv_error"] = [e.get_error_code(), e.get_error_message()]
        if name in start:
            try:
                dom.create()
            except libvirt.libvirtError as e:
                out[name]["start_error"] = [e.get_error_code(), e.get_error_message()]
                continue
            out[name]["live"] = dom.XMLDesc(0)
            dom.destroy()
    except libvirt.libvirtError as e:
        out[name] = {"error": [e.get_error_code(), e.get_error_message()]}
json.dump(out, sys.stdout)
