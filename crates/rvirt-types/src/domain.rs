//! Domain vocabulary (libvirt-domain.h): states and their reasons, lifecycle event types and
//! details, and the flag set of every domain call, with libvirt's numeric values.

value_enum! {
    /// `virDomainState`
    DomainState {
        /// `VIR_DOMAIN_NOSTATE`
        NOSTATE = 0,
        /// `VIR_DOMAIN_RUNNING`
        RUNNING = 1,
        /// `VIR_DOMAIN_BLOCKED`
        BLOCKED = 2,
        /// `VIR_DOMAIN_PAUSED`
        PAUSED = 3,
        /// `VIR_DOMAIN_SHUTDOWN`
        SHUTDOWN = 4,
        /// `VIR_DOMAIN_SHUTOFF`
        SHUTOFF = 5,
        /// `VIR_DOMAIN_CRASHED`
        CRASHED = 6,
        /// `VIR_DOMAIN_PMSUSPENDED`
        PMSUSPENDED = 7,
    }
}

value_enum! {
    /// `virDomainNostateReason`
    DomainNostateReason {
        /// `VIR_DOMAIN_NOSTATE_UNKNOWN`
        UNKNOWN = 0,
    }
}

value_enum! {
    /// `virDomainRunningReason`
    DomainRunningReason {
        /// `VIR_DOMAIN_RUNNING_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_DOMAIN_RUNNING_BOOTED`
        BOOTED = 1,
        /// `VIR_DOMAIN_RUNNING_MIGRATED`
        MIGRATED = 2,
        /// `VIR_DOMAIN_RUNNING_RESTORED`
        RESTORED = 3,
        /// `VIR_DOMAIN_RUNNING_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 4,
        /// `VIR_DOMAIN_RUNNING_UNPAUSED`
        UNPAUSED = 5,
        /// `VIR_DOMAIN_RUNNING_MIGRATION_CANCELED`
        MIGRATION_CANCELED = 6,
        /// `VIR_DOMAIN_RUNNING_SAVE_CANCELED`
        SAVE_CANCELED = 7,
        /// `VIR_DOMAIN_RUNNING_WAKEUP`
        WAKEUP = 8,
        /// `VIR_DOMAIN_RUNNING_CRASHED`
        CRASHED = 9,
        /// `VIR_DOMAIN_RUNNING_POSTCOPY`
        POSTCOPY = 10,
        /// `VIR_DOMAIN_RUNNING_POSTCOPY_FAILED`
        POSTCOPY_FAILED = 11,
    }
}

value_enum! {
    /// `virDomainBlockedReason`
    DomainBlockedReason {
        /// `VIR_DOMAIN_BLOCKED_UNKNOWN`
        UNKNOWN = 0,
    }
}

value_enum! {
    /// `virDomainPausedReason`
    DomainPausedReason {
        /// `VIR_DOMAIN_PAUSED_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_DOMAIN_PAUSED_USER`
        USER = 1,
        /// `VIR_DOMAIN_PAUSED_MIGRATION`
        MIGRATION = 2,
        /// `VIR_DOMAIN_PAUSED_SAVE`
        SAVE = 3,
        /// `VIR_DOMAIN_PAUSED_DUMP`
        DUMP = 4,
        /// `VIR_DOMAIN_PAUSED_IOERROR`
        IOERROR = 5,
        /// `VIR_DOMAIN_PAUSED_WATCHDOG`
        WATCHDOG = 6,
        /// `VIR_DOMAIN_PAUSED_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 7,
        /// `VIR_DOMAIN_PAUSED_SHUTTING_DOWN`
        SHUTTING_DOWN = 8,
        /// `VIR_DOMAIN_PAUSED_SNAPSHOT`
        SNAPSHOT = 9,
        /// `VIR_DOMAIN_PAUSED_CRASHED`
        CRASHED = 10,
        /// `VIR_DOMAIN_PAUSED_STARTING_UP`
        STARTING_UP = 11,
        /// `VIR_DOMAIN_PAUSED_POSTCOPY`
        POSTCOPY = 12,
        /// `VIR_DOMAIN_PAUSED_POSTCOPY_FAILED`
        POSTCOPY_FAILED = 13,
    }
}

value_enum! {
    /// `virDomainShutdownReason`
    DomainShutdownReason {
        /// `VIR_DOMAIN_SHUTDOWN_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_DOMAIN_SHUTDOWN_USER`
        USER = 1,
    }
}

value_enum! {
    /// `virDomainShutoffReason`
    DomainShutoffReason {
        /// `VIR_DOMAIN_SHUTOFF_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_DOMAIN_SHUTOFF_SHUTDOWN`
        SHUTDOWN = 1,
        /// `VIR_DOMAIN_SHUTOFF_DESTROYED`
        DESTROYED = 2,
        /// `VIR_DOMAIN_SHUTOFF_CRASHED`
        CRASHED = 3,
        /// `VIR_DOMAIN_SHUTOFF_MIGRATED`
        MIGRATED = 4,
        /// `VIR_DOMAIN_SHUTOFF_SAVED`
        SAVED = 5,
        /// `VIR_DOMAIN_SHUTOFF_FAILED`
        FAILED = 6,
        /// `VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 7,
        /// `VIR_DOMAIN_SHUTOFF_DAEMON`
        DAEMON = 8,
    }
}

value_enum! {
    /// `virDomainCrashedReason`
    DomainCrashedReason {
        /// `VIR_DOMAIN_CRASHED_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_DOMAIN_CRASHED_PANICKED`
        PANICKED = 1,
    }
}

value_enum! {
    /// `virDomainPMSuspendedReason`
    DomainPMSuspendedReason {
        /// `VIR_DOMAIN_PMSUSPENDED_UNKNOWN`
        UNKNOWN = 0,
    }
}

value_enum! {
    /// `virDomainPMSuspendedDiskReason`
    DomainPMSuspendedDiskReason {
        /// `VIR_DOMAIN_PMSUSPENDED_DISK_UNKNOWN`
        UNKNOWN = 0,
    }
}

value_enum! {
    /// `virDomainControlState`
    DomainControlState {
        /// `VIR_DOMAIN_CONTROL_OK`
        OK = 0,
        /// `VIR_DOMAIN_CONTROL_JOB`
        JOB = 1,
        /// `VIR_DOMAIN_CONTROL_OCCUPIED`
        OCCUPIED = 2,
        /// `VIR_DOMAIN_CONTROL_ERROR`
        ERROR = 3,
    }
}

value_enum! {
    /// `virDomainControlErrorReason`
    DomainControlErrorReason {
        /// `VIR_DOMAIN_CONTROL_ERROR_REASON_NONE`
        NONE = 0,
        /// `VIR_DOMAIN_CONTROL_ERROR_REASON_UNKNOWN`
        UNKNOWN = 1,
        /// `VIR_DOMAIN_CONTROL_ERROR_REASON_MONITOR`
        MONITOR = 2,
        /// `VIR_DOMAIN_CONTROL_ERROR_REASON_INTERNAL`
        INTERNAL = 3,
    }
}

flag_set! {
    /// `virDomainModificationImpact`
    DomainModificationImpact {
        /// `VIR_DOMAIN_AFFECT_LIVE`
        LIVE = 0x1,
        /// `VIR_DOMAIN_AFFECT_CONFIG`
        CONFIG = 0x2,
    }
}

flag_set! {
    /// `virDomainCreateFlags`
    DomainCreateFlags {
        /// `VIR_DOMAIN_START_PAUSED`
        START_PAUSED = 0x1,
        /// `VIR_DOMAIN_START_AUTODESTROY`
        START_AUTODESTROY = 0x2,
        /// `VIR_DOMAIN_START_BYPASS_CACHE`
        START_BYPASS_CACHE = 0x4,
        /// `VIR_DOMAIN_START_FORCE_BOOT`
        START_FORCE_BOOT = 0x8,
        /// `VIR_DOMAIN_START_VALIDATE`
        START_VALIDATE = 0x10,
        /// `VIR_DOMAIN_START_RESET_NVRAM`
        START_RESET_NVRAM = 0x20,
    }
}

value_enum! {
    /// `virDomainMemoryStatTags`
    DomainMemoryStatTags {
        /// `VIR_DOMAIN_MEMORY_STAT_SWAP_IN`
        SWAP_IN = 0,
        /// `VIR_DOMAIN_MEMORY_STAT_SWAP_OUT`
        SWAP_OUT = 1,
        /// `VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT`
        MAJOR_FAULT = 2,
        /// `VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT`
        MINOR_FAULT = 3,
        /// `VIR_DOMAIN_MEMORY_STAT_UNUSED`
        UNUSED = 4,
        /// `VIR_DOMAIN_MEMORY_STAT_AVAILABLE`
        AVAILABLE = 5,
        /// `VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON`
        ACTUAL_BALLOON = 6,
        /// `VIR_DOMAIN_MEMORY_STAT_RSS`
        RSS = 7,
        /// `VIR_DOMAIN_MEMORY_STAT_USABLE`
        USABLE = 8,
        /// `VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE`
        LAST_UPDATE = 9,
        /// `VIR_DOMAIN_MEMORY_STAT_DISK_CACHES`
        DISK_CACHES = 10,
        /// `VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC`
        HUGETLB_PGALLOC = 11,
        /// `VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL`
        HUGETLB_PGFAIL = 12,
        /// `VIR_DOMAIN_MEMORY_STAT_NR`
        NR = 13,
    }
}

flag_set! {
    /// `virDomainCoreDumpFlags`
    DomainCoreDumpFlags {
        /// `VIR_DUMP_CRASH`
        CRASH = 0x1,
        /// `VIR_DUMP_LIVE`
        LIVE = 0x2,
        /// `VIR_DUMP_BYPASS_CACHE`
        BYPASS_CACHE = 0x4,
        /// `VIR_DUMP_RESET`
        RESET = 0x8,
        /// `VIR_DUMP_MEMORY_ONLY`
        MEMORY_ONLY = 0x10,
    }
}

value_enum! {
    /// `virDomainCoreDumpFormat`
    DomainCoreDumpFormat {
        /// `VIR_DOMAIN_CORE_DUMP_FORMAT_RAW`
        RAW = 0,
        /// `VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB`
        KDUMP_ZLIB = 1,
        /// `VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_LZO`
        KDUMP_LZO = 2,
        /// `VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_SNAPPY`
        KDUMP_SNAPPY = 3,
        /// `VIR_DOMAIN_CORE_DUMP_FORMAT_WIN_DMP`
        WIN_DMP = 4,
    }
}

flag_set! {
    /// `virDomainMigrateFlags`
    DomainMigrateFlags {
        /// `VIR_MIGRATE_LIVE`
        LIVE = 0x1,
        /// `VIR_MIGRATE_PEER2PEER`
        PEER2PEER = 0x2,
        /// `VIR_MIGRATE_TUNNELLED`
        TUNNELLED = 0x4,
        /// `VIR_MIGRATE_PERSIST_DEST`
        PERSIST_DEST = 0x8,
        /// `VIR_MIGRATE_UNDEFINE_SOURCE`
        UNDEFINE_SOURCE = 0x10,
        /// `VIR_MIGRATE_PAUSED`
        PAUSED = 0x20,
        /// `VIR_MIGRATE_NON_SHARED_DISK`
        NON_SHARED_DISK = 0x40,
        /// `VIR_MIGRATE_NON_SHARED_INC`
        NON_SHARED_INC = 0x80,
        /// `VIR_MIGRATE_CHANGE_PROTECTION`
        CHANGE_PROTECTION = 0x100,
        /// `VIR_MIGRATE_UNSAFE`
        UNSAFE = 0x200,
        /// `VIR_MIGRATE_OFFLINE`
        OFFLINE = 0x400,
        /// `VIR_MIGRATE_COMPRESSED`
        COMPRESSED = 0x800,
        /// `VIR_MIGRATE_ABORT_ON_ERROR`
        ABORT_ON_ERROR = 0x1000,
        /// `VIR_MIGRATE_AUTO_CONVERGE`
        AUTO_CONVERGE = 0x2000,
        /// `VIR_MIGRATE_RDMA_PIN_ALL`
        RDMA_PIN_ALL = 0x4000,
        /// `VIR_MIGRATE_POSTCOPY`
        POSTCOPY = 0x8000,
        /// `VIR_MIGRATE_TLS`
        TLS = 0x10000,
        /// `VIR_MIGRATE_PARALLEL`
        PARALLEL = 0x20000,
        /// `VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES`
        NON_SHARED_SYNCHRONOUS_WRITES = 0x40000,
        /// `VIR_MIGRATE_POSTCOPY_RESUME`
        POSTCOPY_RESUME = 0x80000,
        /// `VIR_MIGRATE_ZEROCOPY`
        ZEROCOPY = 0x100000,
    }
}

flag_set! {
    /// `virDomainMigrateMaxSpeedFlags`
    DomainMigrateMaxSpeedFlags {
        /// `VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY`
        POSTCOPY = 0x1,
    }
}

flag_set! {
    /// `virDomainShutdownFlagValues`
    DomainShutdownFlags {
        /// `VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN`
        ACPI_POWER_BTN = 0x1,
        /// `VIR_DOMAIN_SHUTDOWN_GUEST_AGENT`
        GUEST_AGENT = 0x2,
        /// `VIR_DOMAIN_SHUTDOWN_INITCTL`
        INITCTL = 0x4,
        /// `VIR_DOMAIN_SHUTDOWN_SIGNAL`
        SIGNAL = 0x8,
        /// `VIR_DOMAIN_SHUTDOWN_PARAVIRT`
        PARAVIRT = 0x10,
    }
}

flag_set! {
    /// `virDomainRebootFlagValues`
    DomainRebootFlags {
        /// `VIR_DOMAIN_REBOOT_ACPI_POWER_BTN`
        ACPI_POWER_BTN = 0x1,
        /// `VIR_DOMAIN_REBOOT_GUEST_AGENT`
        GUEST_AGENT = 0x2,
        /// `VIR_DOMAIN_REBOOT_INITCTL`
        INITCTL = 0x4,
        /// `VIR_DOMAIN_REBOOT_SIGNAL`
        SIGNAL = 0x8,
        /// `VIR_DOMAIN_REBOOT_PARAVIRT`
        PARAVIRT = 0x10,
    }
}

flag_set! {
    /// `virDomainDestroyFlagsValues`
    DomainDestroyFlags {
        /// `VIR_DOMAIN_DESTROY_GRACEFUL`
        GRACEFUL = 0x1,
        /// `VIR_DOMAIN_DESTROY_REMOVE_LOGS`
        REMOVE_LOGS = 0x2,
    }
}

flag_set! {
    /// `virDomainSaveRestoreFlags`
    DomainSaveRestoreFlags {
        /// `VIR_DOMAIN_SAVE_BYPASS_CACHE`
        BYPASS_CACHE = 0x1,
        /// `VIR_DOMAIN_SAVE_RUNNING`
        RUNNING = 0x2,
        /// `VIR_DOMAIN_SAVE_PAUSED`
        PAUSED = 0x4,
        /// `VIR_DOMAIN_SAVE_RESET_NVRAM`
        RESET_NVRAM = 0x8,
    }
}

flag_set! {
    /// `virDomainMemoryModFlags`
    DomainMemoryModFlags {
        /// `VIR_DOMAIN_MEM_LIVE`
        LIVE = 0x1,
        /// `VIR_DOMAIN_MEM_CONFIG`
        CONFIG = 0x2,
        /// `VIR_DOMAIN_MEM_MAXIMUM`
        MAXIMUM = 0x4,
    }
}

value_enum! {
    /// `virDomainNumatuneMemMode`
    DomainNumatuneMemMode {
        /// `VIR_DOMAIN_NUMATUNE_MEM_STRICT`
        STRICT = 0,
        /// `VIR_DOMAIN_NUMATUNE_MEM_PREFERRED`
        PREFERRED = 1,
        /// `VIR_DOMAIN_NUMATUNE_MEM_INTERLEAVE`
        INTERLEAVE = 2,
        /// `VIR_DOMAIN_NUMATUNE_MEM_RESTRICTIVE`
        RESTRICTIVE = 3,
    }
}

flag_set! {
    /// `virDomainGetHostnameFlags`
    DomainGetHostnameFlags {
        /// `VIR_DOMAIN_GET_HOSTNAME_LEASE`
        LEASE = 0x1,
        /// `VIR_DOMAIN_GET_HOSTNAME_AGENT`
        AGENT = 0x2,
    }
}

value_enum! {
    /// `virDomainMetadataType`
    DomainMetadataType {
        /// `VIR_DOMAIN_METADATA_DESCRIPTION`
        DESCRIPTION = 0,
        /// `VIR_DOMAIN_METADATA_TITLE`
        TITLE = 1,
        /// `VIR_DOMAIN_METADATA_ELEMENT`
        ELEMENT = 2,
    }
}

flag_set! {
    /// `virDomainXMLFlags`
    DomainXMLFlags {
        /// `VIR_DOMAIN_XML_SECURE`
        SECURE = 0x1,
        /// `VIR_DOMAIN_XML_INACTIVE`
        INACTIVE = 0x2,
        /// `VIR_DOMAIN_XML_UPDATE_CPU`
        UPDATE_CPU = 0x4,
        /// `VIR_DOMAIN_XML_MIGRATABLE`
        MIGRATABLE = 0x8,
    }
}

flag_set! {
    /// `virDomainSaveImageXMLFlags`
    DomainSaveImageXMLFlags {
        /// `VIR_DOMAIN_SAVE_IMAGE_XML_SECURE`
        SECURE = 0x1,
    }
}

flag_set! {
    /// `virDomainBlockResizeFlags`
    DomainBlockResizeFlags {
        /// `VIR_DOMAIN_BLOCK_RESIZE_BYTES`
        BYTES = 0x1,
    }
}

value_enum! {
    /// `virDomainMemoryFlags`
    DomainMemoryFlags {
        /// `VIR_MEMORY_VIRTUAL`
        VIRTUAL = 1,
        /// `VIR_MEMORY_PHYSICAL`
        PHYSICAL = 2,
    }
}

flag_set! {
    /// `virDomainDefineFlags`
    DomainDefineFlags {
        /// `VIR_DOMAIN_DEFINE_VALIDATE`
        VALIDATE = 0x1,
    }
}

flag_set! {
    /// `virDomainUndefineFlagsValues`
    DomainUndefineFlags {
        /// `VIR_DOMAIN_UNDEFINE_MANAGED_SAVE`
        MANAGED_SAVE = 0x1,
        /// `VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA`
        SNAPSHOTS_METADATA = 0x2,
        /// `VIR_DOMAIN_UNDEFINE_NVRAM`
        NVRAM = 0x4,
        /// `VIR_DOMAIN_UNDEFINE_KEEP_NVRAM`
        KEEP_NVRAM = 0x8,
        /// `VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA`
        CHECKPOINTS_METADATA = 0x10,
        /// `VIR_DOMAIN_UNDEFINE_TPM`
        TPM = 0x20,
        /// `VIR_DOMAIN_UNDEFINE_KEEP_TPM`
        KEEP_TPM = 0x40,
    }
}

flag_set! {
    /// `virConnectListAllDomainsFlags`
    ConnectListAllDomainsFlags {
        /// `VIR_CONNECT_LIST_DOMAINS_ACTIVE`
        ACTIVE = 0x1,
        /// `VIR_CONNECT_LIST_DOMAINS_INACTIVE`
        INACTIVE = 0x2,
        /// `VIR_CONNECT_LIST_DOMAINS_PERSISTENT`
        PERSISTENT = 0x4,
        /// `VIR_CONNECT_LIST_DOMAINS_TRANSIENT`
        TRANSIENT = 0x8,
        /// `VIR_CONNECT_LIST_DOMAINS_RUNNING`
        RUNNING = 0x10,
        /// `VIR_CONNECT_LIST_DOMAINS_PAUSED`
        PAUSED = 0x20,
        /// `VIR_CONNECT_LIST_DOMAINS_SHUTOFF`
        SHUTOFF = 0x40,
        /// `VIR_CONNECT_LIST_DOMAINS_OTHER`
        OTHER = 0x80,
        /// `VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE`
        MANAGEDSAVE = 0x100,
        /// `VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE`
        NO_MANAGEDSAVE = 0x200,
        /// `VIR_CONNECT_LIST_DOMAINS_AUTOSTART`
        AUTOSTART = 0x400,
        /// `VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART`
        NO_AUTOSTART = 0x800,
        /// `VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT`
        HAS_SNAPSHOT = 0x1000,
        /// `VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT`
        NO_SNAPSHOT = 0x2000,
        /// `VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT`
        HAS_CHECKPOINT = 0x4000,
        /// `VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT`
        NO_CHECKPOINT = 0x8000,
    }
}

value_enum! {
    /// `virVcpuState`
    VcpuState {
        /// `VIR_VCPU_OFFLINE`
        OFFLINE = 0,
        /// `VIR_VCPU_RUNNING`
        RUNNING = 1,
        /// `VIR_VCPU_BLOCKED`
        BLOCKED = 2,
    }
}

value_enum! {
    /// `virVcpuHostCpuState`
    VcpuHostCpuState {
        /// `VIR_VCPU_INFO_CPU_OFFLINE`
        OFFLINE = -1,
        /// `VIR_VCPU_INFO_CPU_UNAVAILABLE`
        UNAVAILABLE = -2,
    }
}

flag_set! {
    /// `virDomainVcpuFlags`
    DomainVcpuFlags {
        /// `VIR_DOMAIN_VCPU_LIVE`
        LIVE = 0x1,
        /// `VIR_DOMAIN_VCPU_CONFIG`
        CONFIG = 0x2,
        /// `VIR_DOMAIN_VCPU_MAXIMUM`
        MAXIMUM = 0x4,
        /// `VIR_DOMAIN_VCPU_GUEST`
        GUEST = 0x8,
        /// `VIR_DOMAIN_VCPU_HOTPLUGGABLE`
        HOTPLUGGABLE = 0x10,
    }
}

flag_set! {
    /// `virDomainDeviceModifyFlags`
    DomainDeviceModifyFlags {
        /// `VIR_DOMAIN_DEVICE_MODIFY_LIVE`
        LIVE = 0x1,
        /// `VIR_DOMAIN_DEVICE_MODIFY_CONFIG`
        CONFIG = 0x2,
        /// `VIR_DOMAIN_DEVICE_MODIFY_FORCE`
        FORCE = 0x4,
    }
}

flag_set! {
    /// `virDomainStatsTypes`
    DomainStatsTypes {
        /// `VIR_DOMAIN_STATS_STATE`
        STATE = 0x1,
        /// `VIR_DOMAIN_STATS_CPU_TOTAL`
        CPU_TOTAL = 0x2,
        /// `VIR_DOMAIN_STATS_BALLOON`
        BALLOON = 0x4,
        /// `VIR_DOMAIN_STATS_VCPU`
        VCPU = 0x8,
        /// `VIR_DOMAIN_STATS_INTERFACE`
        INTERFACE = 0x10,
        /// `VIR_DOMAIN_STATS_BLOCK`
        BLOCK = 0x20,
        /// `VIR_DOMAIN_STATS_PERF`
        PERF = 0x40,
        /// `VIR_DOMAIN_STATS_IOTHREAD`
        IOTHREAD = 0x80,
        /// `VIR_DOMAIN_STATS_MEMORY`
        MEMORY = 0x100,
        /// `VIR_DOMAIN_STATS_DIRTYRATE`
        DIRTYRATE = 0x200,
        /// `VIR_DOMAIN_STATS_VM`
        VM = 0x400,
    }
}

flag_set! {
    /// `virConnectGetAllDomainStatsFlags`
    ConnectGetAllDomainStatsFlags {
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE`
        ACTIVE = 0x1,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE`
        INACTIVE = 0x2,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT`
        PERSISTENT = 0x4,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT`
        TRANSIENT = 0x8,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING`
        RUNNING = 0x10,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED`
        PAUSED = 0x20,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF`
        SHUTOFF = 0x40,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER`
        OTHER = 0x80,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT`
        NOWAIT = 0x20000000,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING`
        BACKING = 0x40000000,
        /// `VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS`
        ENFORCE_STATS = 0x80000000,
    }
}

value_enum! {
    /// `virDomainBlockJobType`
    DomainBlockJobType {
        /// `VIR_DOMAIN_BLOCK_JOB_TYPE_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_DOMAIN_BLOCK_JOB_TYPE_PULL`
        PULL = 1,
        /// `VIR_DOMAIN_BLOCK_JOB_TYPE_COPY`
        COPY = 2,
        /// `VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT`
        COMMIT = 3,
        /// `VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT`
        ACTIVE_COMMIT = 4,
        /// `VIR_DOMAIN_BLOCK_JOB_TYPE_BACKUP`
        BACKUP = 5,
    }
}

flag_set! {
    /// `virDomainBlockJobAbortFlags`
    DomainBlockJobAbortFlags {
        /// `VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC`
        ASYNC = 0x1,
        /// `VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT`
        PIVOT = 0x2,
    }
}

flag_set! {
    /// `virDomainBlockJobInfoFlags`
    DomainBlockJobInfoFlags {
        /// `VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES`
        BYTES = 0x1,
    }
}

flag_set! {
    /// `virDomainBlockJobSetSpeedFlags`
    DomainBlockJobSetSpeedFlags {
        /// `VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES`
        BYTES = 0x1,
    }
}

flag_set! {
    /// `virDomainBlockPullFlags`
    DomainBlockPullFlags {
        /// `VIR_DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES`
        BYTES = 0x40,
    }
}

flag_set! {
    /// `virDomainBlockRebaseFlags`
    DomainBlockRebaseFlags {
        /// `VIR_DOMAIN_BLOCK_REBASE_SHALLOW`
        SHALLOW = 0x1,
        /// `VIR_DOMAIN_BLOCK_REBASE_REUSE_EXT`
        REUSE_EXT = 0x2,
        /// `VIR_DOMAIN_BLOCK_REBASE_COPY_RAW`
        COPY_RAW = 0x4,
        /// `VIR_DOMAIN_BLOCK_REBASE_COPY`
        COPY = 0x8,
        /// `VIR_DOMAIN_BLOCK_REBASE_RELATIVE`
        RELATIVE = 0x10,
        /// `VIR_DOMAIN_BLOCK_REBASE_COPY_DEV`
        COPY_DEV = 0x20,
        /// `VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES`
        BANDWIDTH_BYTES = 0x40,
    }
}

flag_set! {
    /// `virDomainBlockCopyFlags`
    DomainBlockCopyFlags {
        /// `VIR_DOMAIN_BLOCK_COPY_SHALLOW`
        SHALLOW = 0x1,
        /// `VIR_DOMAIN_BLOCK_COPY_REUSE_EXT`
        REUSE_EXT = 0x2,
        /// `VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB`
        TRANSIENT_JOB = 0x4,
        /// `VIR_DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES`
        SYNCHRONOUS_WRITES = 0x8,
    }
}

flag_set! {
    /// `virDomainBlockCommitFlags`
    DomainBlockCommitFlags {
        /// `VIR_DOMAIN_BLOCK_COMMIT_SHALLOW`
        SHALLOW = 0x1,
        /// `VIR_DOMAIN_BLOCK_COMMIT_DELETE`
        DELETE = 0x2,
        /// `VIR_DOMAIN_BLOCK_COMMIT_ACTIVE`
        ACTIVE = 0x4,
        /// `VIR_DOMAIN_BLOCK_COMMIT_RELATIVE`
        RELATIVE = 0x8,
        /// `VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES`
        BANDWIDTH_BYTES = 0x10,
    }
}

value_enum! {
    /// `virDomainDiskErrorCode`
    DomainDiskErrorCode {
        /// `VIR_DOMAIN_DISK_ERROR_NONE`
        NONE = 0,
        /// `VIR_DOMAIN_DISK_ERROR_UNSPEC`
        UNSPEC = 1,
        /// `VIR_DOMAIN_DISK_ERROR_NO_SPACE`
        NO_SPACE = 2,
    }
}

value_enum! {
    /// `virKeycodeSet`
    KeycodeSet {
        /// `VIR_KEYCODE_SET_LINUX`
        LINUX = 0,
        /// `VIR_KEYCODE_SET_XT`
        XT = 1,
        /// `VIR_KEYCODE_SET_ATSET1`
        ATSET1 = 2,
        /// `VIR_KEYCODE_SET_ATSET2`
        ATSET2 = 3,
        /// `VIR_KEYCODE_SET_ATSET3`
        ATSET3 = 4,
        /// `VIR_KEYCODE_SET_OSX`
        OSX = 5,
        /// `VIR_KEYCODE_SET_XT_KBD`
        XT_KBD = 6,
        /// `VIR_KEYCODE_SET_USB`
        USB = 7,
        /// `VIR_KEYCODE_SET_WIN32`
        WIN32 = 8,
        /// `VIR_KEYCODE_SET_QNUM`
        QNUM = 9,
    }
}

/// `VIR_DOMAIN_SEND_KEY_MAX_KEYS`: at most this many keys in one `virDomainSendKey`.
pub const SEND_KEY_MAX_KEYS: usize = 16;

value_enum! {
    /// `virDomainProcessSignal`
    DomainProcessSignal {
        /// `VIR_DOMAIN_PROCESS_SIGNAL_NOP`
        NOP = 0,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_HUP`
        HUP = 1,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_INT`
        INT = 2,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_QUIT`
        QUIT = 3,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_ILL`
        ILL = 4,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_TRAP`
        TRAP = 5,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_ABRT`
        ABRT = 6,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_BUS`
        BUS = 7,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_FPE`
        FPE = 8,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_KILL`
        KILL = 9,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_USR1`
        USR1 = 10,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_SEGV`
        SEGV = 11,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_USR2`
        USR2 = 12,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_PIPE`
        PIPE = 13,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_ALRM`
        ALRM = 14,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_TERM`
        TERM = 15,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_STKFLT`
        STKFLT = 16,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_CHLD`
        CHLD = 17,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_CONT`
        CONT = 18,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_STOP`
        STOP = 19,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_TSTP`
        TSTP = 20,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_TTIN`
        TTIN = 21,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_TTOU`
        TTOU = 22,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_URG`
        URG = 23,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_XCPU`
        XCPU = 24,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_XFSZ`
        XFSZ = 25,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_VTALRM`
        VTALRM = 26,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_PROF`
        PROF = 27,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_WINCH`
        WINCH = 28,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_POLL`
        POLL = 29,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_PWR`
        PWR = 30,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_SYS`
        SYS = 31,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT0`
        RT0 = 32,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT1`
        RT1 = 33,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT2`
        RT2 = 34,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT3`
        RT3 = 35,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT4`
        RT4 = 36,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT5`
        RT5 = 37,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT6`
        RT6 = 38,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT7`
        RT7 = 39,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT8`
        RT8 = 40,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT9`
        RT9 = 41,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT10`
        RT10 = 42,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT11`
        RT11 = 43,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT12`
        RT12 = 44,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT13`
        RT13 = 45,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT14`
        RT14 = 46,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT15`
        RT15 = 47,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT16`
        RT16 = 48,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT17`
        RT17 = 49,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT18`
        RT18 = 50,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT19`
        RT19 = 51,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT20`
        RT20 = 52,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT21`
        RT21 = 53,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT22`
        RT22 = 54,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT23`
        RT23 = 55,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT24`
        RT24 = 56,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT25`
        RT25 = 57,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT26`
        RT26 = 58,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT27`
        RT27 = 59,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT28`
        RT28 = 60,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT29`
        RT29 = 61,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT30`
        RT30 = 62,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT31`
        RT31 = 63,
        /// `VIR_DOMAIN_PROCESS_SIGNAL_RT32`
        RT32 = 64,
    }
}

value_enum! {
    /// `virDomainEventType`
    DomainEventType {
        /// `VIR_DOMAIN_EVENT_DEFINED`
        DEFINED = 0,
        /// `VIR_DOMAIN_EVENT_UNDEFINED`
        UNDEFINED = 1,
        /// `VIR_DOMAIN_EVENT_STARTED`
        STARTED = 2,
        /// `VIR_DOMAIN_EVENT_SUSPENDED`
        SUSPENDED = 3,
        /// `VIR_DOMAIN_EVENT_RESUMED`
        RESUMED = 4,
        /// `VIR_DOMAIN_EVENT_STOPPED`
        STOPPED = 5,
        /// `VIR_DOMAIN_EVENT_SHUTDOWN`
        SHUTDOWN = 6,
        /// `VIR_DOMAIN_EVENT_PMSUSPENDED`
        PMSUSPENDED = 7,
        /// `VIR_DOMAIN_EVENT_CRASHED`
        CRASHED = 8,
    }
}

value_enum! {
    /// `virDomainEventDefinedDetailType`
    DomainEventDefinedDetailType {
        /// `VIR_DOMAIN_EVENT_DEFINED_ADDED`
        ADDED = 0,
        /// `VIR_DOMAIN_EVENT_DEFINED_UPDATED`
        UPDATED = 1,
        /// `VIR_DOMAIN_EVENT_DEFINED_RENAMED`
        RENAMED = 2,
        /// `VIR_DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 3,
    }
}

value_enum! {
    /// `virDomainEventUndefinedDetailType`
    DomainEventUndefinedDetailType {
        /// `VIR_DOMAIN_EVENT_UNDEFINED_REMOVED`
        REMOVED = 0,
        /// `VIR_DOMAIN_EVENT_UNDEFINED_RENAMED`
        RENAMED = 1,
    }
}

value_enum! {
    /// `virDomainEventStartedDetailType`
    DomainEventStartedDetailType {
        /// `VIR_DOMAIN_EVENT_STARTED_BOOTED`
        BOOTED = 0,
        /// `VIR_DOMAIN_EVENT_STARTED_MIGRATED`
        MIGRATED = 1,
        /// `VIR_DOMAIN_EVENT_STARTED_RESTORED`
        RESTORED = 2,
        /// `VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 3,
        /// `VIR_DOMAIN_EVENT_STARTED_WAKEUP`
        WAKEUP = 4,
    }
}

value_enum! {
    /// `virDomainEventSuspendedDetailType`
    DomainEventSuspendedDetailType {
        /// `VIR_DOMAIN_EVENT_SUSPENDED_PAUSED`
        PAUSED = 0,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED`
        MIGRATED = 1,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_IOERROR`
        IOERROR = 2,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG`
        WATCHDOG = 3,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_RESTORED`
        RESTORED = 4,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 5,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_API_ERROR`
        API_ERROR = 6,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY`
        POSTCOPY = 7,
        /// `VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED`
        POSTCOPY_FAILED = 8,
    }
}

value_enum! {
    /// `virDomainEventResumedDetailType`
    DomainEventResumedDetailType {
        /// `VIR_DOMAIN_EVENT_RESUMED_UNPAUSED`
        UNPAUSED = 0,
        /// `VIR_DOMAIN_EVENT_RESUMED_MIGRATED`
        MIGRATED = 1,
        /// `VIR_DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 2,
        /// `VIR_DOMAIN_EVENT_RESUMED_POSTCOPY`
        POSTCOPY = 3,
        /// `VIR_DOMAIN_EVENT_RESUMED_POSTCOPY_FAILED`
        POSTCOPY_FAILED = 4,
    }
}

value_enum! {
    /// `virDomainEventStoppedDetailType`
    DomainEventStoppedDetailType {
        /// `VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN`
        SHUTDOWN = 0,
        /// `VIR_DOMAIN_EVENT_STOPPED_DESTROYED`
        DESTROYED = 1,
        /// `VIR_DOMAIN_EVENT_STOPPED_CRASHED`
        CRASHED = 2,
        /// `VIR_DOMAIN_EVENT_STOPPED_MIGRATED`
        MIGRATED = 3,
        /// `VIR_DOMAIN_EVENT_STOPPED_SAVED`
        SAVED = 4,
        /// `VIR_DOMAIN_EVENT_STOPPED_FAILED`
        FAILED = 5,
        /// `VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT`
        FROM_SNAPSHOT = 6,
    }
}

value_enum! {
    /// `virDomainEventShutdownDetailType`
    DomainEventShutdownDetailType {
        /// `VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED`
        FINISHED = 0,
        /// `VIR_DOMAIN_EVENT_SHUTDOWN_GUEST`
        GUEST = 1,
        /// `VIR_DOMAIN_EVENT_SHUTDOWN_HOST`
        HOST = 2,
    }
}

value_enum! {
    /// `virDomainEventPMSuspendedDetailType`
    DomainEventPMSuspendedDetailType {
        /// `VIR_DOMAIN_EVENT_PMSUSPENDED_MEMORY`
        MEMORY = 0,
        /// `VIR_DOMAIN_EVENT_PMSUSPENDED_DISK`
        DISK = 1,
    }
}

value_enum! {
    /// `virDomainEventCrashedDetailType`
    DomainEventCrashedDetailType {
        /// `VIR_DOMAIN_EVENT_CRASHED_PANICKED`
        PANICKED = 0,
        /// `VIR_DOMAIN_EVENT_CRASHED_CRASHLOADED`
        CRASHLOADED = 1,
    }
}

value_enum! {
    /// `virDomainMemoryFailureRecipientType`
    DomainMemoryFailureRecipientType {
        /// `VIR_DOMAIN_EVENT_MEMORY_FAILURE_RECIPIENT_HYPERVISOR`
        HYPERVISOR = 0,
        /// `VIR_DOMAIN_EVENT_MEMORY_FAILURE_RECIPIENT_GUEST`
        GUEST = 1,
    }
}

value_enum! {
    /// `virDomainMemoryFailureActionType`
    DomainMemoryFailureActionType {
        /// `VIR_DOMAIN_EVENT_MEMORY_FAILURE_ACTION_IGNORE`
        IGNORE = 0,
        /// `VIR_DOMAIN_EVENT_MEMORY_FAILURE_ACTION_INJECT`
        INJECT = 1,
        /// `VIR_DOMAIN_EVENT_MEMORY_FAILURE_ACTION_FATAL`
        FATAL = 2,
        /// `VIR_DOMAIN_EVENT_MEMORY_FAILURE_ACTION_RESET`
        RESET = 3,
    }
}

flag_set! {
    /// `virDomainMemoryFailureFlags`
    DomainMemoryFailureFlags {
        /// `VIR_DOMAIN_MEMORY_FAILURE_ACTION_REQUIRED`
        ACTION_REQUIRED = 0x1,
        /// `VIR_DOMAIN_MEMORY_FAILURE_RECURSIVE`
        RECURSIVE = 0x2,
    }
}

value_enum! {
    /// `virDomainJobType`
    DomainJobType {
        /// `VIR_DOMAIN_JOB_NONE`
        NONE = 0,
        /// `VIR_DOMAIN_JOB_BOUNDED`
        BOUNDED = 1,
        /// `VIR_DOMAIN_JOB_UNBOUNDED`
        UNBOUNDED = 2,
        /// `VIR_DOMAIN_JOB_COMPLETED`
        COMPLETED = 3,
        /// `VIR_DOMAIN_JOB_FAILED`
        FAILED = 4,
        /// `VIR_DOMAIN_JOB_CANCELLED`
        CANCELLED = 5,
    }
}

flag_set! {
    /// `virDomainGetJobStatsFlags`
    DomainGetJobStatsFlags {
        /// `VIR_DOMAIN_JOB_STATS_COMPLETED`
        COMPLETED = 0x1,
        /// `VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED`
        KEEP_COMPLETED = 0x2,
    }
}

flag_set! {
    /// `virDomainAbortJobFlagsValues`
    DomainAbortJobFlags {
        /// `VIR_DOMAIN_ABORT_JOB_POSTCOPY`
        POSTCOPY = 0x1,
    }
}

value_enum! {
    /// `virDomainJobOperation`
    DomainJobOperation {
        /// `VIR_DOMAIN_JOB_OPERATION_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_DOMAIN_JOB_OPERATION_START`
        START = 1,
        /// `VIR_DOMAIN_JOB_OPERATION_SAVE`
        SAVE = 2,
        /// `VIR_DOMAIN_JOB_OPERATION_RESTORE`
        RESTORE = 3,
        /// `VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN`
        MIGRATION_IN = 4,
        /// `VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT`
        MIGRATION_OUT = 5,
        /// `VIR_DOMAIN_JOB_OPERATION_SNAPSHOT`
        SNAPSHOT = 6,
        /// `VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_REVERT`
        SNAPSHOT_REVERT = 7,
        /// `VIR_DOMAIN_JOB_OPERATION_DUMP`
        DUMP = 8,
        /// `VIR_DOMAIN_JOB_OPERATION_BACKUP`
        BACKUP = 9,
        /// `VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_DELETE`
        SNAPSHOT_DELETE = 10,
    }
}

value_enum! {
    /// `virDomainEventWatchdogAction`
    DomainEventWatchdogAction {
        /// `VIR_DOMAIN_EVENT_WATCHDOG_NONE`
        NONE = 0,
        /// `VIR_DOMAIN_EVENT_WATCHDOG_PAUSE`
        PAUSE = 1,
        /// `VIR_DOMAIN_EVENT_WATCHDOG_RESET`
        RESET = 2,
        /// `VIR_DOMAIN_EVENT_WATCHDOG_POWEROFF`
        POWEROFF = 3,
        /// `VIR_DOMAIN_EVENT_WATCHDOG_SHUTDOWN`
        SHUTDOWN = 4,
        /// `VIR_DOMAIN_EVENT_WATCHDOG_DEBUG`
        DEBUG = 5,
        /// `VIR_DOMAIN_EVENT_WATCHDOG_INJECTNMI`
        INJECTNMI = 6,
    }
}

impl DomainEventWatchdogAction {
    /// The actions' names by value, as virsh prints them and QEMU's `-watchdog-action` takes
    /// them.
    pub const NAMES: [&'static str; 7] = [
        "none",
        "pause",
        "reset",
        "poweroff",
        "shutdown",
        "debug",
        "inject-nmi",
    ];
}

value_enum! {
    /// `virDomainEventIOErrorAction`
    DomainEventIOErrorAction {
        /// `VIR_DOMAIN_EVENT_IO_ERROR_NONE`
        NONE = 0,
        /// `VIR_DOMAIN_EVENT_IO_ERROR_PAUSE`
        PAUSE = 1,
        /// `VIR_DOMAIN_EVENT_IO_ERROR_REPORT`
        REPORT = 2,
    }
}

value_enum! {
    /// `virDomainEventGraphicsPhase`
    DomainEventGraphicsPhase {
        /// `VIR_DOMAIN_EVENT_GRAPHICS_CONNECT`
        CONNECT = 0,
        /// `VIR_DOMAIN_EVENT_GRAPHICS_INITIALIZE`
        INITIALIZE = 1,
        /// `VIR_DOMAIN_EVENT_GRAPHICS_DISCONNECT`
        DISCONNECT = 2,
    }
}

value_enum! {
    /// `virDomainEventGraphicsAddressType`
    DomainEventGraphicsAddressType {
        /// `VIR_DOMAIN_EVENT_GRAPHICS_ADDRESS_IPV4`
        IPV4 = 0,
        /// `VIR_DOMAIN_EVENT_GRAPHICS_ADDRESS_IPV6`
        IPV6 = 1,
        /// `VIR_DOMAIN_EVENT_GRAPHICS_ADDRESS_UNIX`
        UNIX = 2,
    }
}

value_enum! {
    /// `virConnectDomainEventBlockJobStatus`
    ConnectDomainEventBlockJobStatus {
        /// `VIR_DOMAIN_BLOCK_JOB_COMPLETED`
        COMPLETED = 0,
        /// `VIR_DOMAIN_BLOCK_JOB_FAILED`
        FAILED = 1,
        /// `VIR_DOMAIN_BLOCK_JOB_CANCELED`
        CANCELED = 2,
        /// `VIR_DOMAIN_BLOCK_JOB_READY`
        READY = 3,
    }
}

value_enum! {
    /// `virConnectDomainEventDiskChangeReason`
    ConnectDomainEventDiskChangeReason {
        /// `VIR_DOMAIN_EVENT_DISK_CHANGE_MISSING_ON_START`
        CHANGE_MISSING_ON_START = 0,
        /// `VIR_DOMAIN_EVENT_DISK_DROP_MISSING_ON_START`
        DROP_MISSING_ON_START = 1,
    }
}

value_enum! {
    /// `virDomainEventTrayChangeReason`
    DomainEventTrayChangeReason {
        /// `VIR_DOMAIN_EVENT_TRAY_CHANGE_OPEN`
        OPEN = 0,
        /// `VIR_DOMAIN_EVENT_TRAY_CHANGE_CLOSE`
        CLOSE = 1,
    }
}

value_enum! {
    /// `virConnectDomainEventAgentLifecycleState`
    ConnectDomainEventAgentLifecycleState {
        /// `VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED`
        CONNECTED = 1,
        /// `VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_DISCONNECTED`
        DISCONNECTED = 2,
    }
}

value_enum! {
    /// `virConnectDomainEventAgentLifecycleReason`
    ConnectDomainEventAgentLifecycleReason {
        /// `VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_UNKNOWN`
        UNKNOWN = 0,
        /// `VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_DOMAIN_STARTED`
        DOMAIN_STARTED = 1,
        /// `VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_CHANNEL`
        CHANNEL = 2,
    }
}

value_enum! {
    /// `virDomainEventID`
    DomainEventID {
        /// `VIR_DOMAIN_EVENT_ID_LIFECYCLE`
        LIFECYCLE = 0,
        /// `VIR_DOMAIN_EVENT_ID_REBOOT`
        REBOOT = 1,
        /// `VIR_DOMAIN_EVENT_ID_RTC_CHANGE`
        RTC_CHANGE = 2,
        /// `VIR_DOMAIN_EVENT_ID_WATCHDOG`
        WATCHDOG = 3,
        /// `VIR_DOMAIN_EVENT_ID_IO_ERROR`
        IO_ERROR = 4,
        /// `VIR_DOMAIN_EVENT_ID_GRAPHICS`
        GRAPHICS = 5,
        /// `VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON`
        IO_ERROR_REASON = 6,
        /// `VIR_DOMAIN_EVENT_ID_CONTROL_ERROR`
        CONTROL_ERROR = 7,
        /// `VIR_DOMAIN_EVENT_ID_BLOCK_JOB`
        BLOCK_JOB = 8,
        /// `VIR_DOMAIN_EVENT_ID_DISK_CHANGE`
        DISK_CHANGE = 9,
        /// `VIR_DOMAIN_EVENT_ID_TRAY_CHANGE`
        TRAY_CHANGE = 10,
        /// `VIR_DOMAIN_EVENT_ID_PMWAKEUP`
        PMWAKEUP = 11,
        /// `VIR_DOMAIN_EVENT_ID_PMSUSPEND`
        PMSUSPEND = 12,
        /// `VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE`
        BALLOON_CHANGE = 13,
        /// `VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK`
        PMSUSPEND_DISK = 14,
        /// `VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED`
        DEVICE_REMOVED = 15,
        /// `VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2`
        BLOCK_JOB_2 = 16,
        /// `VIR_DOMAIN_EVENT_ID_TUNABLE`
        TUNABLE = 17,
        /// `VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE`
        AGENT_LIFECYCLE = 18,
        /// `VIR_DOMAIN_EVENT_ID_DEVICE_ADDED`
        DEVICE_ADDED = 19,
        /// `VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION`
        MIGRATION_ITERATION = 20,
        /// `VIR_DOMAIN_EVENT_ID_JOB_COMPLETED`
        JOB_COMPLETED = 21,
        /// `VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED`
        DEVICE_REMOVAL_FAILED = 22,
        /// `VIR_DOMAIN_EVENT_ID_METADATA_CHANGE`
        METADATA_CHANGE = 23,
        /// `VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD`
        BLOCK_THRESHOLD = 24,
        /// `VIR_DOMAIN_EVENT_ID_MEMORY_FAILURE`
        MEMORY_FAILURE = 25,
        /// `VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE`
        MEMORY_DEVICE_SIZE_CHANGE = 26,
    }
}

flag_set! {
    /// `virDomainConsoleFlags`
    DomainConsoleFlags {
        /// `VIR_DOMAIN_CONSOLE_FORCE`
        FORCE = 0x1,
        /// `VIR_DOMAIN_CONSOLE_SAFE`
        SAFE = 0x2,
    }
}

flag_set! {
    /// `virDomainChannelFlags`
    DomainChannelFlags {
        /// `VIR_DOMAIN_CHANNEL_FORCE`
        FORCE = 0x1,
    }
}

flag_set! {
    /// `virDomainOpenGraphicsFlags`
    DomainOpenGraphicsFlags {
        /// `VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH`
        SKIPAUTH = 0x1,
    }
}

flag_set! {
    /// `virDomainSetTimeFlags`
    DomainSetTimeFlags {
        /// `VIR_DOMAIN_TIME_SYNC`
        SYNC = 0x1,
    }
}

value_enum! {
    /// `virDomainInterfaceAddressesSource`
    DomainInterfaceAddressesSource {
        /// `VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE`
        LEASE = 0,
        /// `VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT`
        AGENT = 1,
        /// `VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP`
        ARP = 2,
    }
}

value_enum! {
    /// `virIPAddrType` (declared with the network calls, used by domain interface addresses too)
    IPAddrType {
        /// `VIR_IP_ADDR_TYPE_IPV4`
        IPV4 = 0,
        /// `VIR_IP_ADDR_TYPE_IPV6`
        IPV6 = 1,
    }
}

flag_set! {
    /// `virDomainSetUserPasswordFlags`
    DomainSetUserPasswordFlags {
        /// `VIR_DOMAIN_PASSWORD_ENCRYPTED`
        ENCRYPTED = 0x1,
    }
}

/// The names of [`DomainLifecycle`] values, by value, as libvirt's XML and virsh spell them.
pub const LIFECYCLE_TYPE_NAMES: &[&str] = &["poweroff", "reboot", "crash"];

/// The names of [`DomainLifecycleAction`] values, by value.
pub const LIFECYCLE_ACTION_NAMES: &[&str] = &[
    "destroy",
    "restart",
    "rename-restart",
    "preserve",
    "coredump-destroy",
    "coredump-restart",
];

value_enum! {
    /// `virDomainLifecycle`
    DomainLifecycle {
        /// `VIR_DOMAIN_LIFECYCLE_POWEROFF`
        POWEROFF = 0,
        /// `VIR_DOMAIN_LIFECYCLE_REBOOT`
        REBOOT = 1,
        /// `VIR_DOMAIN_LIFECYCLE_CRASH`
        CRASH = 2,
    }
}

value_enum! {
    /// `virDomainLifecycleAction`
    DomainLifecycleAction {
        /// `VIR_DOMAIN_LIFECYCLE_ACTION_DESTROY`
        DESTROY = 0,
        /// `VIR_DOMAIN_LIFECYCLE_ACTION_RESTART`
        RESTART = 1,
        /// `VIR_DOMAIN_LIFECYCLE_ACTION_RESTART_RENAME`
        RESTART_RENAME = 2,
        /// `VIR_DOMAIN_LIFECYCLE_ACTION_PRESERVE`
        PRESERVE = 3,
        /// `VIR_DOMAIN_LIFECYCLE_ACTION_COREDUMP_DESTROY`
        COREDUMP_DESTROY = 4,
        /// `VIR_DOMAIN_LIFECYCLE_ACTION_COREDUMP_RESTART`
        COREDUMP_RESTART = 5,
    }
}

flag_set! {
    /// `virDomainGuestInfoTypes`
    DomainGuestInfoTypes {
        /// `VIR_DOMAIN_GUEST_INFO_USERS`
        USERS = 0x1,
        /// `VIR_DOMAIN_GUEST_INFO_OS`
        OS = 0x2,
        /// `VIR_DOMAIN_GUEST_INFO_TIMEZONE`
        TIMEZONE = 0x4,
        /// `VIR_DOMAIN_GUEST_INFO_HOSTNAME`
        HOSTNAME = 0x8,
        /// `VIR_DOMAIN_GUEST_INFO_FILESYSTEM`
        FILESYSTEM = 0x10,
        /// `VIR_DOMAIN_GUEST_INFO_DISKS`
        DISKS = 0x20,
        /// `VIR_DOMAIN_GUEST_INFO_INTERFACES`
        INTERFACES = 0x40,
    }
}

value_enum! {
    /// `virDomainAgentResponseTimeoutValues`
    DomainAgentResponseTimeout {
        /// `VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK`
        BLOCK = -2,
        /// `VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_DEFAULT`
        DEFAULT = -1,
        /// `VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_NOWAIT`
        NOWAIT = 0,
    }
}

flag_set! {
    /// `virDomainBackupBeginFlags`
    DomainBackupBeginFlags {
        /// `VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL`
        EXTERNAL = 0x1,
    }
}

flag_set! {
    /// `virDomainAuthorizedSSHKeysSetFlags`
    DomainAuthorizedSSHKeysSetFlags {
        /// `VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND`
        APPEND = 0x1,
        /// `VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE`
        REMOVE = 0x2,
    }
}

value_enum! {
    /// `virDomainMessageType`
    DomainMessageType {
        /// `VIR_DOMAIN_MESSAGE_DEPRECATION`
        DEPRECATION = 1,
        /// `VIR_DOMAIN_MESSAGE_TAINTING`
        TAINTING = 2,
    }
}

value_enum! {
    /// `virDomainDirtyRateStatus`
    DomainDirtyRateStatus {
        /// `VIR_DOMAIN_DIRTYRATE_UNSTARTED`
        UNSTARTED = 0,
        /// `VIR_DOMAIN_DIRTYRATE_MEASURING`
        MEASURING = 1,
        /// `VIR_DOMAIN_DIRTYRATE_MEASURED`
        MEASURED = 2,
    }
}

flag_set! {
    /// `virDomainDirtyRateCalcFlags`
    DomainDirtyRateCalcFlags {
        /// `VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP`
        DIRTY_BITMAP = 0x1,
        /// `VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING`
        DIRTY_RING = 0x2,
    }
}

flag_set! {
    /// `virDomainFDAssociateFlags`
    DomainFDAssociateFlags {
        /// `VIR_DOMAIN_FD_ASSOCIATE_SECLABEL_RESTORE`
        RESTORE = 0x1,
        /// `VIR_DOMAIN_FD_ASSOCIATE_SECLABEL_WRITABLE`
        WRITABLE = 0x2,
    }
}
