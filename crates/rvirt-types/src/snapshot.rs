//! Snapshot vocabulary (libvirt-domain-snapshot.h): create, list, revert and delete flags.

flag_set! {
    /// `virDomainSnapshotCreateFlags`
    DomainSnapshotCreateFlags {
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE`
        REDEFINE = 0x1,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT`
        CURRENT = 0x2,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA`
        NO_METADATA = 0x4,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_HALT`
        HALT = 0x8,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY`
        DISK_ONLY = 0x10,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT`
        REUSE_EXT = 0x20,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE`
        QUIESCE = 0x40,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC`
        ATOMIC = 0x80,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_LIVE`
        LIVE = 0x100,
        /// `VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE`
        VALIDATE = 0x200,
    }
}

flag_set! {
    /// `virDomainSnapshotXMLFlags`
    DomainSnapshotXMLFlags {
        /// `VIR_DOMAIN_SNAPSHOT_XML_SECURE`
        SECURE = 0x1,
    }
}

flag_set! {
    /// `virDomainSnapshotListFlags`
    DomainSnapshotListFlags {
        /// `VIR_DOMAIN_SNAPSHOT_LIST_ROOTS`
        ROOTS = 0x1,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS`
        DESCENDANTS = 0x1,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_LEAVES`
        LEAVES = 0x4,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES`
        NO_LEAVES = 0x8,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_METADATA`
        METADATA = 0x2,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA`
        NO_METADATA = 0x10,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE`
        INACTIVE = 0x20,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE`
        ACTIVE = 0x40,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY`
        DISK_ONLY = 0x80,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL`
        INTERNAL = 0x100,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL`
        EXTERNAL = 0x200,
        /// `VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL`
        TOPOLOGICAL = 0x400,
    }
}

flag_set! {
    /// `virDomainSnapshotRevertFlags`
    DomainSnapshotRevertFlags {
        /// `VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING`
        RUNNING = 0x1,
        /// `VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED`
        PAUSED = 0x2,
        /// `VIR_DOMAIN_SNAPSHOT_REVERT_FORCE`
        FORCE = 0x4,
        /// `VIR_DOMAIN_SNAPSHOT_REVERT_RESET_NVRAM`
        RESET_NVRAM = 0x8,
    }
}

flag_set! {
    /// `virDomainSnapshotDeleteFlags`
    DomainSnapshotDeleteFlags {
        /// `VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN`
        CHILDREN = 0x1,
        /// `VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY`
        METADATA_ONLY = 0x2,
        /// `VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY`
        CHILDREN_ONLY = 0x4,
    }
}
