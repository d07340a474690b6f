//! Host and connection vocabulary (libvirt-host.h): connection flags, CPU comparison, node
//! suspend targets, credential types.

value_enum! {
    /// `virNodeSuspendTarget`
    NodeSuspendTarget {
        /// `VIR_NODE_SUSPEND_TARGET_MEM`
        MEM = 0,
        /// `VIR_NODE_SUSPEND_TARGET_DISK`
        DISK = 1,
        /// `VIR_NODE_SUSPEND_TARGET_HYBRID`
        HYBRID = 2,
    }
}

flag_set! {
    /// `virConnectFlags`
    ConnectFlags {
        /// `VIR_CONNECT_RO`
        RO = 0x1,
        /// `VIR_CONNECT_NO_ALIASES`
        NO_ALIASES = 0x2,
    }
}

value_enum! {
    /// `virConnectCredentialType`
    ConnectCredentialType {
        /// `VIR_CRED_USERNAME`
        USERNAME = 1,
        /// `VIR_CRED_AUTHNAME`
        AUTHNAME = 2,
        /// `VIR_CRED_LANGUAGE`
        LANGUAGE = 3,
        /// `VIR_CRED_CNONCE`
        CNONCE = 4,
        /// `VIR_CRED_PASSPHRASE`
        PASSPHRASE = 5,
        /// `VIR_CRED_ECHOPROMPT`
        ECHOPROMPT = 6,
        /// `VIR_CRED_NOECHOPROMPT`
        NOECHOPROMPT = 7,
        /// `VIR_CRED_REALM`
        REALM = 8,
        /// `VIR_CRED_EXTERNAL`
        EXTERNAL = 9,
    }
}

value_enum! {
    /// `virCPUCompareResult`
    CPUCompareResult {
        /// `VIR_CPU_COMPARE_ERROR`
        ERROR = -1,
        /// `VIR_CPU_COMPARE_INCOMPATIBLE`
        INCOMPATIBLE = 0,
        /// `VIR_CPU_COMPARE_IDENTICAL`
        IDENTICAL = 1,
        /// `VIR_CPU_COMPARE_SUPERSET`
        SUPERSET = 2,
    }
}

flag_set! {
    /// `virConnectCompareCPUFlags`
    ConnectCompareCPUFlags {
        /// `VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE`
        FAIL_INCOMPATIBLE = 0x1,
        /// `VIR_CONNECT_COMPARE_CPU_VALIDATE_XML`
        VALIDATE_XML = 0x2,
    }
}

flag_set! {
    /// `virConnectBaselineCPUFlags`
    ConnectBaselineCPUFlags {
        /// `VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES`
        EXPAND_FEATURES = 0x1,
        /// `VIR_CONNECT_BASELINE_CPU_MIGRATABLE`
        MIGRATABLE = 0x2,
    }
}

flag_set! {
    /// `virNodeAllocPagesFlags`
    NodeAllocPagesFlags {
        /// `VIR_NODE_ALLOC_PAGES_SET`
        SET = 0x1,
    }
}

value_enum! {
    /// `virConnectCloseReason`: why a connection's close callback was called.
    ConnectCloseReason {
        /// `VIR_CONNECT_CLOSE_REASON_ERROR`: a read or write on the connection failed.
        ERROR = 0,
        /// `VIR_CONNECT_CLOSE_REASON_EOF`: the other end closed the connection.
        EOF = 1,
        /// `VIR_CONNECT_CLOSE_REASON_KEEPALIVE`: the other end stopped answering keepalive.
        KEEPALIVE = 2,
        /// `VIR_CONNECT_CLOSE_REASON_CLIENT`: this side closed the connection.
        CLIENT = 3,
    }
}
