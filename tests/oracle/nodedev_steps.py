"""Node device steps of the oracle's scenario language, for run_libvirt.py.

crates/rvirt/tests/nodedev_steps/mod.rs is the rvirt side and documents the ops; the two must
stay in step. Device handles read as their name; listings are sorted.
"""

import libvirt

NOT_MINE = object()

EVENT_IDS = {
    "lifecycle": libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
    "update": libvirt.VIR_NODE_DEVICE_EVENT_ID_UPDATE,
}


def _bind(r, step, dev):
    r.bind(step, dev)
    return dev.name()


def run(r, op, step, flags):
    """Runs `op` if it is a node device op; NOT_MINE otherwise."""
    if not op.startswith("nodedev_"):
        return NOT_MINE
    cap = step.get("cap")
    if op == "nodedev_events_on":
        c = r.conn(step)
        for name in step.get("ids", ["lifecycle", "update"]):
            if name == "lifecycle":
                cb = lambda _c, d, ev, detail, _o: r.record("nodedev_lifecycle", d.name(), ev, detail)
            else:
                cb = lambda _c, d, _o: r.record("nodedev_update", d.name())
            c.nodeDeviceEventRegisterAny(None, EVENT_IDS[name], cb, None)
        r.events_on = True
        return None
    if op == "nodedev_list_all":
        return sorted(d.name() for d in r.conn(step).listAllDevices(flags))
    if op == "nodedev_num":
        return r.conn(step).numOfDevices(cap, flags)
    if op == "nodedev_list":
        return sorted(r.conn(step).listDevices(cap, flags))
    if op == "nodedev_lookup":
        return _bind(r, step, r.conn(step).nodeDeviceLookupByName(step["name"]))
    if op == "nodedev_lookup_wwn":
        return _bind(r, step, r.conn(step).nodeDeviceLookupSCSIHostByWWN(
            step["wwnn"], step["wwpn"], flags))
    if op == "nodedev_create_xml":
        return _bind(r, step, r.conn(step).nodeDeviceCreateXML(r.xml(step), flags))
    if op == "nodedev_define_xml":
        return _bind(r, step, r.conn(step).nodeDeviceDefineXML(r.xml(step), flags))
    d = r.var(step, "dev")
    if op == "nodedev_name":
        return d.name()
    if op == "nodedev_xml":
        return d.XMLDesc(flags)
    if op == "nodedev_parent":
        return d.parent()
    if op == "nodedev_num_caps":
        return d.numOfCaps()
    if op == "nodedev_list_caps":
        return d.listCaps()
    if op == "nodedev_destroy":
        d.destroy()
        return None
    if op == "nodedev_detach":
        d.dettach()
        return None
    if op == "nodedev_detach_flags":
        d.detachFlags(step.get("driver"), flags)
        return None
    if op == "nodedev_reattach":
        d.reAttach()
        return None
    if op == "nodedev_reset":
        d.reset()
        return None
    if op == "nodedev_undefine":
        d.undefine(flags)
        return None
    if op == "nodedev_create":
        d.create(flags)
        return None
    if op == "nodedev_get_autostart":
        return bool(d.autostart())
    if op == "nodedev_set_autostart":
        d.setAutostart(step.get("value", True))
        return None
    if op == "nodedev_is_active":
        return bool(d.isActive())
    if op == "nodedev_is_persistent":
        return bool(d.isPersistent())
    raise ValueError("unknown op %s" % op)
