#!/usr/bin/python3
"""Runs one oracle scenario against the real libvirt (python3-libvirt, test:///default driver).

Usage: /usr/bin/python3 tests/oracle/run_libvirt.py SCENARIO.json

With ORACLE_SOCKET=PATH in the environment, every test:/// URI is opened through the daemon
listening on PATH instead (test+unix:///...?socket=PATH): the same scenario then exercises a
daemon (libvirtd or rvirtd) through the real client library.

Prints one JSON document on stdout: {"outcomes": [OUTCOME, ...]}, one outcome per step (plus a
final "events_check" outcome when events were switched on), each either {"ok": VALUE} or
{"err": [code, domain, message]}. crates/rvirt/tests/oracle.rs runs the same scenario through
rvirt and compares the two lists; that file documents the scenario language, and the two
runners must stay in step.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time

import libvirt

# The storage steps live beside this file (it may be run through runpy, from elsewhere).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nodedev_steps  # noqa: E402
import storage_steps  # noqa: E402

def daemon_uri(uri):
    """The URI to open: through ORACLE_SOCKET's daemon when that is set."""
    sock = os.environ.get("ORACLE_SOCKET")
    if not sock or not uri.startswith("test:///"):
        return uri
    sep = "&" if "?" in uri else "?"
    return "test+unix:///" + uri[len("test:///"):] + sep + "socket=" + sock


class Unbound(Exception):
    """A step names a variable that no earlier step bound."""


def mask_snapshot_xml(text):
    """Masks what depends on the wall clock in a snapshot's XML."""
    text = re.sub(r"<creationTime>\d+</creationTime>", "<creationTime>MASKED</creationTime>", text)
    return re.sub(r"<name>\d+</name>", "<name>MASKED</name>", text)


def mask_snapshot_name(name):
    """A name libvirt generated from the clock (all digits) is masked."""
    return "MASKED" if name.isdigit() else name


def mask_checkpoint_xml(text):
    """Masks what depends on the wall clock in a checkpoint's XML (bitmaps take its name)."""
    return re.sub(r"bitmap='\d+'", "bitmap='MASKED'", mask_snapshot_xml(text))


def checkpoint_names(chks, flags):
    """Sorted (masked) names; with VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL also whether every
    listed parent came before its children."""
    names = sorted(mask_snapshot_name(c.getName()) for c in chks)
    if not flags & 2:
        return names
    listed = {c.getName() for c in chks}
    seen, ordered = set(), True
    for c in chks:
        try:
            parent = c.getParent(0).getName()
        except libvirt.libvirtError:
            parent = None
        if parent in listed and parent not in seen:
            ordered = False
        seen.add(c.getName())
    return {"names": names, "topological": ordered}


class Runner:
    def __init__(self, scenario, tmpdir):
        self.scenario = scenario
        self.tmpdir = tmpdir
        self.xmls = scenario.get("xmls", {})
        self.conns = {}
        self.vars = {}
        self.events = []
        self.events_lock = threading.Lock()
        self.events_on = False

    # -- helpers -----------------------------------------------------------------------------
    def conn(self, step):
        name = step.get("conn", "main")
        if name not in self.conns:
            raise Unbound("unbound connection %s" % name)
        return self.conns[name]

    def var(self, step, key):
        name = step[key]
        if name not in self.vars:
            raise Unbound("unbound variable %s" % name)
        return self.vars[name]

    def dom(self, step):
        return self.var(step, "dom")

    def tuning_get(self, step, flags):
        d, kind = self.dom(step), step["kind"]
        if kind == "memory":
            return d.memoryParameters(flags)
        if kind == "blkio":
            return d.blkioParameters(flags)
        if kind == "numa":
            return d.numaParameters(flags)
        if kind == "interface":
            return d.interfaceParameters(step["device"], flags)
        if kind == "blkiotune":
            return d.blockIoTune(step["device"], flags)
        if kind == "perf":
            return d.perfEvents(flags)
        if kind == "sched":
            return d.schedulerParameters()
        if kind == "sched_flags":
            return d.schedulerParametersFlags(flags)
        raise ValueError(kind)

    def tuning_set(self, step, flags):
        d, kind, params = self.dom(step), step["kind"], step["params"]
        if kind == "memory":
            d.setMemoryParameters(params, flags)
        elif kind == "blkio":
            d.setBlkioParameters(params, flags)
        elif kind == "numa":
            d.setNumaParameters(params, flags)
        elif kind == "interface":
            d.setInterfaceParameters(step["device"], params, flags)
        elif kind == "blkiotune":
            d.setBlockIoTune(step["device"], params, flags)
        elif kind == "perf":
            d.setPerfEvents(params, flags)
        elif kind == "sched":
            d.setSchedulerParameters(params)
        elif kind == "sched_flags":
            d.setSchedulerParametersFlags(params, flags)
        else:
            raise ValueError(kind)

    def snap(self, step):
        return self.var(step, "snap")

    def bind(self, step, obj):
        if "as" in step:
            self.vars[step["as"]] = obj

    def xml(self, step, key="xml"):
        x = step.get(key)
        if isinstance(x, str) and x.startswith("@"):
            return self.xmls[x[1:]]
        return x

    def path(self, step):
        return os.path.join(self.tmpdir, step["path"])

    def dom_out(self, d):
        return [d.name(), d.ID()]

    def record(self, *ev):
        with self.events_lock:
            self.events.append(list(ev))

    def drain_events(self):
        # Events are delivered asynchronously by the event loop thread: wait until none has
        # arrived for a while.
        time.sleep(0.05)
        while True:
            with self.events_lock:
                n = len(self.events)
            time.sleep(0.15)
            with self.events_lock:
                if len(self.events) == n:
                    out = self.events
                    self.events = []
                    return out

    # -- network steps (crates/rvirt/tests/oracle/network.rs documents them) --------------------
    def net(self, step):
        return self.var(step, "net")

    def bind_net(self, step, n):
        self.bind(step, n)
        return n.name()

    def net_step(self, op, step):
        flags = step.get("flags", 0)
        has_flags = "flags" in step
        if op == "net_define":
            c = self.conn(step)
            n = c.networkDefineXMLFlags(self.xml(step), flags) if has_flags else c.networkDefineXML(self.xml(step))
            return self.bind_net(step, n)
        if op == "net_create_xml":
            c = self.conn(step)
            n = c.networkCreateXMLFlags(self.xml(step), flags) if has_flags else c.networkCreateXML(self.xml(step))
            return self.bind_net(step, n)
        if op == "net_lookup":
            return self.bind_net(step, self.conn(step).networkLookupByName(step["name"]))
        if op == "net_lookup_uuid":
            return self.bind_net(step, self.conn(step).networkLookupByUUIDString(step["uuid"]))
        if op == "net_list_all":
            return sorted(n.name() for n in self.conn(step).listAllNetworks(flags))
        if op == "net_list":
            return sorted(self.conn(step).listNetworks())
        if op == "net_list_defined":
            return sorted(self.conn(step).listDefinedNetworks())
        if op == "net_num":
            return self.conn(step).numOfNetworks()
        if op == "net_num_defined":
            return self.conn(step).numOfDefinedNetworks()
        if op == "net_events_on":
            self.conn(step).networkEventRegisterAny(
                None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE,
                lambda _c, n, ev, det, _o: self.record("network_lifecycle", n.name(), ev, det), None)
            self.events_on = True
            return None
        if op == "net_get_name":
            return self.net(step).name()
        if op == "net_get_uuid":
            return self.net(step).UUIDString()
        if op == "net_xml":
            return self.net(step).XMLDesc(flags)
        if op == "net_bridge":
            return self.net(step).bridgeName()
        if op == "net_start":
            self.net(step).create()
            return None
        if op == "net_destroy":
            self.net(step).destroy()
            return None
        if op == "net_undefine":
            self.net(step).undefine()
            return None
        if op == "net_is_active":
            return bool(self.net(step).isActive())
        if op == "net_is_persistent":
            return bool(self.net(step).isPersistent())
        if op == "net_get_autostart":
            return bool(self.net(step).autostart())
        if op == "net_set_autostart":
            self.net(step).setAutostart(1 if step.get("value", True) else 0)
            return None
        if op == "net_update":
            self.net(step).update(step["command"], step["section"], step.get("index", -1),
                                  self.xml(step), flags)
            return None
        if op == "net_dhcp_leases":
            return [[l["ipaddr"], l["prefix"], l.get("mac")]
                    for l in self.net(step).DHCPLeases(step.get("mac"), flags)]
        if op == "net_port_list":
            return sorted(p.UUIDString() for p in self.net(step).listAllPorts(flags))
        if op == "net_port_create":
            return self.net(step).portCreateXML(self.xml(step), flags).UUIDString()
        if op == "net_port_lookup":
            return self.net(step).portLookupByUUIDString(step["uuid"]).UUIDString()
        raise Unbound("unknown op %s" % op)

    # -- interface steps (crates/rvirt/tests/oracle/interface.rs documents them) --------------
    def iface(self, step):
        return self.var(step, "iface")

    def bind_iface(self, step, i):
        self.bind(step, i)
        return [i.name(), i.MACString()]

    def iface_step(self, op, step):
        flags = step.get("flags", 0)
        c = self.conn(step)
        if op == "iface_define":
            return self.bind_iface(step, c.interfaceDefineXML(self.xml(step), flags))
        if op == "iface_lookup":
            return self.bind_iface(step, c.interfaceLookupByName(step["name"]))
        if op == "iface_lookup_mac":
            return self.bind_iface(step, c.interfaceLookupByMACString(step["mac"]))
        if op == "iface_list_all":
            handles = [[i.name(), i.MACString()] for i in c.listAllInterfaces(flags)]
            return sorted(handles, key=lambda h: json.dumps(h, separators=(",", ":")))
        if op == "iface_list":
            return sorted(c.listInterfaces())
        if op == "iface_list_defined":
            return sorted(c.listDefinedInterfaces())
        if op == "iface_num":
            return c.numOfInterfaces()
        if op == "iface_num_defined":
            return c.numOfDefinedInterfaces()
        if op == "iface_begin":
            c.changeBegin(flags)
            return None
        if op == "iface_commit":
            c.changeCommit(flags)
            return None
        if op == "iface_rollback":
            c.changeRollback(flags)
            return None
        if op == "iface_name":
            return self.iface(step).name()
        if op == "iface_mac":
            return self.iface(step).MACString()
        if op == "iface_xml":
            return self.iface(step).XMLDesc(flags)
        if op == "iface_start":
            self.iface(step).create(flags)
            return None
        if op == "iface_destroy":
            self.iface(step).destroy(flags)
            return None
        if op == "iface_undefine":
            self.iface(step).undefine()
            return None
        if op == "iface_is_active":
            return bool(self.iface(step).isActive())
        raise Unbound("unknown op %s" % op)

    # -- steps -------------------------------------------------------------------------------
    def run_step(self, step):
        op = step["op"]
        if op.startswith("net_"):
            return self.net_step(op, step)
        if op.startswith("iface_"):
            return self.iface_step(op, step)
        flags = step.get("flags", 0)
        has_flags = "flags" in step

        if op == "open":
            uri = daemon_uri(step.get("uri", "test:///default"))
            c = libvirt.openReadOnly(uri) if step.get("read_only") else libvirt.open(uri)
            self.conns[step.get("as", "main")] = c
            return None
        if op == "close":
            name = step.get("conn", "main")
            c = self.conns.pop(name)
            c.close()
            return None

        # connection-level calls
        if op == "define":
            c = self.conn(step)
            d = c.defineXMLFlags(self.xml(step), flags) if has_flags else c.defineXML(self.xml(step))
            self.bind(step, d)
            return self.dom_out(d)
        if op == "create_xml":
            d = self.conn(step).createXML(self.xml(step), flags)
            self.bind(step, d)
            return self.dom_out(d)
        if op == "lookup_by_name":
            d = self.conn(step).lookupByName(step["name"])
            self.bind(step, d)
            return self.dom_out(d)
        if op == "lookup_by_id":
            d = self.conn(step).lookupByID(step["id"])
            self.bind(step, d)
            return self.dom_out(d)
        if op == "lookup_by_uuid":
            d = self.conn(step).lookupByUUIDString(step["uuid"])
            self.bind(step, d)
            return self.dom_out(d)
        if op == "list_all":
            return sorted(d.name() for d in self.conn(step).listAllDomains(flags))
        if op == "list_domains":
            return sorted(self.conn(step).listDomainsID())
        if op == "list_defined":
            return sorted(self.conn(step).listDefinedDomains())
        if op == "num_of_domains":
            return self.conn(step).numOfDomains()
        if op == "num_of_defined":
            return self.conn(step).numOfDefinedDomains()
        if op == "restore":
            c = self.conn(step)
            if has_flags or "xml" in step:
                c.restoreFlags(self.path(step), self.xml(step), flags)
            else:
                c.restore(self.path(step))
            return None
        if op == "save_image_get_xml":
            return self.conn(step).saveImageGetXMLDesc(self.path(step), flags)
        if op == "save_image_define_xml":
            self.conn(step).saveImageDefineXML(self.path(step), self.xml(step), flags)
            return None

        # host calls
        if op == "node_info":
            return list(self.conn(step).getInfo())
        if op == "capabilities":
            return self.conn(step).getCapabilities()
        if op == "get_type":
            return self.conn(step).getType()
        if op == "get_version":
            return self.conn(step).getVersion()
        if op == "lib_version":
            return self.conn(step).getLibVersion()
        if op == "conn_max_vcpus":
            return self.conn(step).getMaxVcpus(step.get("type"))
        if op == "cells_free_memory":
            return list(self.conn(step).getCellsFreeMemory(step["start"], step["max"]))
        if op == "free_memory":
            return self.conn(step).getFreeMemory()
        if op == "cpu_map":
            cpus, online_map, online = self.conn(step).getCPUMap(flags)
            return [cpus, [bool(b) for b in online_map], online]
        if op == "node_cpu_stats":
            return sorted(self.conn(step).getCPUStats(step["cpu"], flags).items())
        if op == "node_memory_stats":
            return sorted(self.conn(step).getMemoryStats(step["cell"], flags).items())
        if op == "security_model":
            return list(self.conn(step).getSecurityModel())
        if op == "sysinfo":
            return self.conn(step).getSysinfo(flags)
        if op == "is_alive":
            return bool(self.conn(step).isAlive())
        if op == "is_secure":
            return bool(self.conn(step).isSecure())
        if op == "is_encrypted":
            return bool(self.conn(step).isEncrypted())
        if op == "conn_hostname":
            return self.conn(step).getHostname()
        if op == "get_uri":
            return self.conn(step).getURI()
        if op == "cpu_model_names":
            return self.conn(step).getCPUModelNames(step["arch"], flags)
        if op == "baseline_cpu":
            cpus = [self.xmls[c[1:]] if c.startswith("@") else c for c in step["cpus"]]
            return self.conn(step).baselineCPU(cpus, flags)
        if op == "free_pages":
            counts = self.conn(step).getFreePages(step["pages"], step["start"], step["count"], flags)
            return [[cell, sorted(sizes.items())] for cell, sizes in sorted(counts.items())]

        # events
        if op == "events_on":
            c = self.conn(step)
            ids = step.get("ids", ["lifecycle"])
            for i in ids:
                if i == "lifecycle":
                    c.domainEventRegisterAny(
                        None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                        lambda _c, d, ev, det, _o: self.record("lifecycle", d.name(), ev, det), None)
                elif i == "reboot":
                    c.domainEventRegisterAny(
                        None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT,
                        lambda _c, d, _o: self.record("reboot", d.name()), None)
                elif i == "metadata_change":
                    c.domainEventRegisterAny(
                        None, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                        lambda _c, d, kind, nsuri, _o: self.record("metadata_change", d.name(), kind, nsuri),
                        None)
                else:
                    raise ValueError("unknown event id %s" % i)
            self.events_on = True
            return None
        if op == "events_check":
            return self.drain_events()

        # domain calls
        if op == "get_name":
            return self.dom(step).name()
        if op == "get_id":
            return self.dom(step).ID()
        if op == "get_uuid":
            return self.dom(step).UUIDString()
        if op == "create":
            d = self.dom(step)
            d.createWithFlags(flags) if has_flags else d.create()
            return None
        if op == "destroy":
            d = self.dom(step)
            d.destroyFlags(flags) if has_flags else d.destroy()
            return None
        if op == "shutdown":
            d = self.dom(step)
            d.shutdownFlags(flags) if has_flags else d.shutdown()
            return None
        if op == "undefine":
            d = self.dom(step)
            d.undefineFlags(flags) if has_flags else d.undefine()
            return None
        if op == "reboot":
            self.dom(step).reboot(flags)
            return None
        if op == "reset":
            self.dom(step).reset(flags)
            return None
        if op == "suspend":
            self.dom(step).suspend()
            return None
        if op == "resume":
            self.dom(step).resume()
            return None
        if op == "save":
            d = self.dom(step)
            if has_flags or "xml" in step:
                d.saveFlags(self.path(step), self.xml(step), flags)
            else:
                d.save(self.path(step))
            return None
        if op == "managed_save":
            self.dom(step).managedSave(flags)
            return None
        if op == "has_managed_save":
            return bool(self.dom(step).hasManagedSaveImage(flags))
        if op == "managed_save_remove":
            self.dom(step).managedSaveRemove(flags)
            return None
        if op == "managed_save_get_xml":
            return self.dom(step).managedSaveGetXMLDesc(flags)
        if op == "set_autostart":
            self.dom(step).setAutostart(1 if step["value"] else 0)
            return None
        if op == "get_autostart":
            return bool(self.dom(step).autostart())
        if op == "set_memory":
            d = self.dom(step)
            d.setMemoryFlags(step["kib"], flags) if has_flags else d.setMemory(step["kib"])
            return None
        if op == "set_max_memory":
            self.dom(step).setMaxMemory(step["kib"])
            return None
        if op == "get_max_memory":
            return self.dom(step).maxMemory()
        if op == "set_vcpus":
            d = self.dom(step)
            d.setVcpusFlags(step["n"], flags) if has_flags else d.setVcpus(step["n"])
            return None
        if op == "get_vcpus":
            return self.dom(step).vcpusFlags(flags)
        if op == "screenshot":
            # The picture differs between implementations; its type and shape must not.
            d = self.dom(step)
            st = d.connect().newStream(0)
            mime = d.screenshot(st, step.get("screen", 0), flags)
            data = b""
            while True:
                chunk = st.recv(step.get("chunk", 65536))
                if not chunk:
                    break
                data += chunk
            st.finish()
            return [mime, data[:8] == b"\x89PNG\r\n\x1a\n" and data[-8:-4] == b"IEND"]
        if op == "screenshot_abort":
            d = self.dom(step)
            st = d.connect().newStream(0)
            mime = d.screenshot(st, 0, flags)
            first = st.recv(16)
            st.abort()
            return [mime, first[:8] == b"\x89PNG\r\n\x1a\n"]
        if op == "get_max_vcpus":
            return self.dom(step).maxVcpus()
        if op == "rename":
            d = self.dom(step)
            d.rename(step["new_name"], flags)
            return None
        if op == "set_metadata":
            self.dom(step).setMetadata(step["kind"], step.get("metadata"), step.get("key"),
                                       step.get("uri"), flags)
            return None
        if op == "get_metadata":
            return self.dom(step).metadata(step["kind"], step.get("uri"), flags)
        if op == "get_xml":
            return self.dom(step).XMLDesc(flags)
        if op == "is_active":
            return bool(self.dom(step).isActive())
        if op == "is_persistent":
            return bool(self.dom(step).isPersistent())
        if op == "is_updated":
            return bool(self.dom(step).isUpdated())
        if op == "get_os_type":
            return self.dom(step).OSType()
        if op == "get_state":
            return list(self.dom(step).state(flags))
        if op == "get_info":
            state, max_mem, memory, nr_virt_cpu, _cpu_time = self.dom(step).info()
            info = {"state": state, "max_mem": max_mem, "memory": memory, "nr_virt_cpu": nr_virt_cpu}
            fields = step.get("fields", ["state", "max_mem", "memory", "nr_virt_cpu"])
            return {k: info[k] for k in fields}
        if op == "get_hostname":
            return self.dom(step).hostname(flags)
        if op == "get_time":
            t = self.dom(step).getTime(flags)
            return [t["seconds"], t["nseconds"]]
        if op == "memory_stats":
            return sorted(self.dom(step).memoryStats().items())
        if op == "block_stats":
            self.dom(step).blockStats(step["disk"])
            return None
        if op == "interface_stats":
            self.dom(step).interfaceStats(step["device"])
            return None
        if op == "get_cpu_stats":
            stats = self.dom(step).getCPUStats(bool(step.get("total", True)), flags)
            return [sorted(s.keys()) for s in stats]
        if op == "security_label":
            label, enforcing = self.dom(step).securityLabel()
            return [label, bool(enforcing)]
        if op == "interface_addresses":
            ifaces = self.dom(step).interfaceAddresses(step["source"], flags)
            out = [[name, v["hwaddr"], [[a["type"], a["addr"], a["prefix"]] for a in (v["addrs"] or [])]]
                   for name, v in ifaces.items()]
            return sorted(out, key=lambda v: json.dumps(v, separators=(",", ":")))

        if op == "fs_freeze":
            return self.dom(step).fsFreeze(step.get("mountpoints"), flags)
        if op == "fs_thaw":
            return self.dom(step).fsThaw(step.get("mountpoints"), flags)
        if op == "fs_trim":
            self.dom(step).fSTrim(step.get("mountpoint"), step.get("minimum", 0), flags)
            return None
        if op == "fs_info":
            return [[m, n, t, list(a)] for m, n, t, a in self.dom(step).fsInfo(flags)]
        if op == "set_user_password":
            self.dom(step).setUserPassword(step["user"], step["password"], flags)
            return None
        if op == "guest_info":
            return sorted(self.dom(step).guestInfo(step.get("types", 0), flags).items())
        if op == "tuning_get":
            return sorted(self.tuning_get(step, flags).items())
        if op == "tuning_set":
            self.tuning_set(step, flags)
            return None
        if op == "sched_type":
            return list(self.dom(step).schedulerType())
        if op == "memory_peek":
            return self.dom(step).memoryPeek(step["start"], step["size"], flags).hex()
        if op == "core_dump":
            path = self.path(step)
            if "format" in step:
                self.dom(step).coreDumpWithFormat(path, step["format"], flags)
            else:
                self.dom(step).coreDump(path, flags)
            with open(path, "rb") as f:
                return f.read().hex()
        if op == "send_key":
            keys = step["keycodes"]
            self.dom(step).sendKey(step["codeset"], step.get("holdtime", 0), keys, len(keys), flags)
            return None
        if op == "send_process_signal":
            self.dom(step).sendProcessSignal(step["pid"], step["signum"], flags)
            return None
        if op == "set_guest_vcpus":
            self.dom(step).setGuestVcpus(step["cpumap"], step["state"], flags)
            return None
        if op == "agent_set_timeout":
            self.dom(step).agentSetResponseTimeout(step["timeout"], flags)
            return None

        # snapshots
        if op == "snapshot_create":
            s = self.dom(step).snapshotCreateXML(self.xml(step), flags)
            self.bind(step, s)
            return mask_snapshot_name(s.getName())
        if op == "snapshot_list":
            return sorted(mask_snapshot_name(s.getName()) for s in self.dom(step).listAllSnapshots(flags))
        if op == "snapshot_num":
            return self.dom(step).snapshotNum(flags)
        if op == "snapshot_lookup":
            s = self.dom(step).snapshotLookupByName(step["name"], flags)
            self.bind(step, s)
            return mask_snapshot_name(s.getName())
        if op == "snapshot_current":
            s = self.dom(step).snapshotCurrent(flags)
            self.bind(step, s)
            return mask_snapshot_name(s.getName())
        if op == "has_current_snapshot":
            return bool(self.dom(step).hasCurrentSnapshot(flags))
        if op == "snapshot_revert":
            s = self.snap(step)
            s.getDomain().revertToSnapshot(s, flags)
            return None
        if op == "snapshot_delete":
            self.snap(step).delete(flags)
            return None
        if op == "snapshot_parent":
            s = self.snap(step).getParent(flags)
            self.bind(step, s)
            return mask_snapshot_name(s.getName())
        if op == "snapshot_children":
            return sorted(mask_snapshot_name(s.getName()) for s in self.snap(step).listAllChildren(flags))
        if op == "snapshot_xml":
            return mask_snapshot_xml(self.snap(step).getXMLDesc(flags))
        if op == "snapshot_is_current":
            return bool(self.snap(step).isCurrent(flags))
        if op == "snapshot_has_metadata":
            return bool(self.snap(step).hasMetadata(flags))

        # checkpoints
        if op == "checkpoint_create":
            c = self.dom(step).checkpointCreateXML(self.xml(step), flags)
            self.bind(step, c)
            return mask_snapshot_name(c.getName())
        if op == "checkpoint_list":
            return checkpoint_names(self.dom(step).listAllCheckpoints(flags), flags)
        if op == "checkpoint_lookup":
            c = self.dom(step).checkpointLookupByName(step["name"], flags)
            self.bind(step, c)
            return mask_snapshot_name(c.getName())
        if op == "checkpoint_parent":
            c = self.var(step, "chk").getParent(flags)
            self.bind(step, c)
            return mask_snapshot_name(c.getName())
        if op == "checkpoint_children":
            return checkpoint_names(self.var(step, "chk").listAllChildren(flags), flags)
        if op == "checkpoint_xml":
            return mask_checkpoint_xml(self.var(step, "chk").getXMLDesc(flags))
        if op == "checkpoint_delete":
            self.var(step, "chk").delete(flags)
            return None

        out = storage_steps.run(self, op, step, flags)
        if out is not storage_steps.NOT_MINE:
            return out
        out = nodedev_steps.run(self, op, step, flags)
        if out is not nodedev_steps.NOT_MINE:
            return out
        raise ValueError("unknown op %s" % op)

    def outcome(self, step):
        try:
            value = self.run_step(step)
            out = {"ok": value}
        except libvirt.libvirtError as e:
            out = {"err": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]}
        except Unbound as e:
            out = {"harness_err": str(e)}
        # Temporary paths differ between runners.
        return json.loads(json.dumps(out).replace(self.tmpdir, "$TMP"))

    def run(self):
        outcomes = []
        if self.scenario.get("open", True):
            uri = daemon_uri("test:///default")
            self.conns["main"] = (libvirt.openReadOnly(uri)
                                  if self.scenario.get("read_only") else libvirt.open(uri))
        for step in self.scenario["steps"]:
            outcomes.append(self.outcome(step))
        if self.events_on:
            outcomes.append(self.outcome({"op": "events_check"}))
        return outcomes


def event_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run_libvirt.py SCENARIO.json")
    with open(sys.argv[1]) as f:
        scenario = json.load(f)
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=event_loop, daemon=True).start()
    tmpdir = tempfile.mkdtemp(prefix="rvirt-oracle-")
    try:
        outcomes = Runner(scenario, tmpdir).run()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    json.dump({"outcomes": outcomes}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    sys.stdout.flush()
    # The event loop thread never returns; do not wait for it.
    os._exit(0)


if __name__ == "__main__":
    main()
