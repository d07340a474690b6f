//! Checkpoint vocabulary (libvirt-domain-checkpoint.h): create, XML, list and delete flags.

flag_set! {
    /// `virDomainCheckpointCreateFlags`
    DomainCheckpointCreateFlags {
        /// `VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE`
        REDEFINE = 0x1,
        /// `VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE`
        QUIESCE = 0x2,
        /// `VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE`
        REDEFINE_VALIDATE = 0x4,
    }
}

flag_set! {
    /// `virDomainCheckpointXMLFlags`
    DomainCheckpointXMLFlags {
        /// `VIR_DOMAIN_CHECKPOINT_XML_SECURE`
        SECURE = 0x1,
        /// `VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN`
        NO_DOMAIN = 0x2,
        /// `VIR_DOMAIN_CHECKPOINT_XML_SIZE`
        SIZE = 0x4,
    }
}

flag_set! {
    /// `virDomainCheckpointListFlags`
    DomainCheckpointListFlags {
        /// `VIR_DOMAIN_CHECKPOINT_LIST_ROOTS` (from a domain)
        ROOTS = 0x1,
        /// `VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS` (from a checkpoint)
        DESCENDANTS = 0x1,
        /// `VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL`
        TOPOLOGICAL = 0x2,
        /// `VIR_DOMAIN_CHECKPOINT_LIST_LEAVES`
        LEAVES = 0x4,
        /// `VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES`
        NO_LEAVES = 0x8,
    }
}

flag_set! {
    /// `virDomainCheckpointDeleteFlags`
    DomainCheckpointDeleteFlags {
        /// `VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN`
        CHILDREN = 0x1,
        /// `VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY`
        METADATA_ONLY = 0x2,
        /// `VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY`
        CHILDREN_ONLY = 0x4,
    }
}
