"""Storage pool and volume steps of the oracle's scenario language, for run_libvirt.py.

crates/rvirt/tests/storage_steps/mod.rs is the rvirt side and documents the ops; the two must
stay in step. Pool handles read as their name, volume handles as [name, key].
"""

import libvirt

NOT_MINE = object()

EVENT_IDS = {
    "lifecycle": libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
    "refresh": libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH,
}


def _pool(r, step, key="pool"):
    return r.var(step, key)


def _vol(r, step, key="vol"):
    return r.var(step, key)


def _vol_out(v):
    return [v.name(), v.key()]


def _status(_rc):
    """Calls that only succeed or fail read as null, as in the domain steps."""
    return None


def _bind(r, step, obj):
    r.bind(step, obj)
    return obj


def run(r, op, step, flags):
    """Runs `op` if it is a storage op; NOT_MINE otherwise."""
    if not (op.startswith("pool_") or op.startswith("vol_") or op == "find_pool_sources"):
        return NOT_MINE
    c = r.conn(step) if op in CONN_OPS else None

    if op == "pool_events_on":
        for name in step.get("ids", ["lifecycle", "refresh"]):
            if name == "lifecycle":
                cb = lambda _c, p, ev, detail, _o: r.record("pool_lifecycle", p.name(), ev, detail)
            else:
                cb = lambda _c, p, _o: r.record("pool_refresh", p.name())
            c.storagePoolEventRegisterAny(None, EVENT_IDS[name], cb, None)
        r.events_on = True
        return None
    if op == "pool_list_all":
        return sorted(p.name() for p in c.listAllStoragePools(flags))
    if op == "pool_list_active":
        return sorted(c.listStoragePools())
    if op == "pool_list_defined":
        return sorted(c.listDefinedStoragePools())
    if op == "pool_num_active":
        return c.numOfStoragePools()
    if op == "pool_num_defined":
        return c.numOfDefinedStoragePools()
    if op == "pool_lookup":
        return _bind(r, step, c.storagePoolLookupByName(step["name"])).name()
    if op == "pool_lookup_uuid":
        return _bind(r, step, c.storagePoolLookupByUUIDString(step["uuid"])).name()
    if op == "pool_define":
        return _bind(r, step, c.storagePoolDefineXML(r.xml(step), flags)).name()
    if op == "pool_create_xml":
        return _bind(r, step, c.storagePoolCreateXML(r.xml(step), flags)).name()
    if op == "find_pool_sources":
        return c.findStoragePoolSources(step["type"], step.get("spec"), flags)
    if op == "vol_lookup_key":
        return _vol_out(_bind(r, step, c.storageVolLookupByKey(step["key"])))
    if op == "vol_lookup_path":
        return _vol_out(_bind(r, step, c.storageVolLookupByPath(step["path"])))

    if op == "pool_lookup_by_vol":
        return _bind(r, step, _vol(r, step).storagePoolLookupByVolume()).name()
    if op.startswith("pool_"):
        p = _pool(r, step)
        if op == "pool_build":
            return _status(p.build(flags))
        if op == "pool_create":
            return _status(p.create(flags))
        if op == "pool_destroy":
            return _status(p.destroy())
        if op == "pool_delete":
            return _status(p.delete(flags))
        if op == "pool_undefine":
            return _status(p.undefine())
        if op == "pool_refresh":
            return _status(p.refresh(flags))
        if op == "pool_info":
            return p.info()
        if op == "pool_xml":
            return p.XMLDesc(flags)
        if op == "pool_get_autostart":
            return bool(p.autostart())
        if op == "pool_set_autostart":
            return _status(p.setAutostart(step["value"]))
        if op == "pool_is_active":
            return bool(p.isActive())
        if op == "pool_is_persistent":
            return bool(p.isPersistent())
        if op == "pool_name":
            return p.name()
        if op == "pool_uuid":
            return p.UUIDString()
        if op == "pool_num_volumes":
            return p.numOfVolumes()
        if op == "pool_list_volumes":
            return sorted(p.listVolumes())
        if op == "pool_list_all_volumes":
            return sorted(_vol_out(v) for v in p.listAllVolumes(flags))
    if op == "vol_create":
        return _vol_out(_bind(r, step, _pool(r, step).createXML(r.xml(step), flags)))
    if op == "vol_create_from":
        v = _pool(r, step).createXMLFrom(r.xml(step), _vol(r, step, "from"), flags)
        return _vol_out(_bind(r, step, v))
    if op == "vol_lookup":
        return _vol_out(_bind(r, step, _pool(r, step).storageVolLookupByName(step["name"])))
    v = _vol(r, step)
    if op == "vol_delete":
        return _status(v.delete(flags))
    if op == "vol_wipe":
        return _status(v.wipe(flags))
    if op == "vol_wipe_pattern":
        return _status(v.wipePattern(step["algorithm"], flags))
    if op == "vol_resize":
        return _status(v.resize(step["capacity"], flags))
    if op == "vol_info":
        return v.info()
    if op == "vol_info_flags":
        return v.infoFlags(flags)
    if op == "vol_xml":
        return v.XMLDesc(flags)
    if op == "vol_path":
        return v.path()
    if op == "vol_name":
        return v.name()
    if op == "vol_key":
        return v.key()
    if op == "vol_download":
        st = r.conn(step).newStream(0)
        return _status(v.download(st, step.get("offset", 0), step.get("length", 0), flags))
    if op == "vol_upload":
        st = r.conn(step).newStream(0)
        return _status(v.upload(st, step.get("offset", 0), step.get("length", 0), flags))
    raise ValueError("unknown op %s" % op)


CONN_OPS = {
    "pool_events_on", "pool_list_all", "pool_list_active", "pool_list_defined",
    "pool_num_active", "pool_num_defined", "pool_lookup", "pool_lookup_uuid", "pool_define",
    "pool_create_xml", "find_pool_sources", "vol_lookup_key", "vol_lookup_path",
}
