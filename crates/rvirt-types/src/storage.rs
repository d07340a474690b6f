//! Storage vocabulary (libvirt-storage.h): pool and volume states, types, flags, info records
//! and pool events.

value_enum! {
    /// `virStoragePoolState`
    StoragePoolState {
        /// `VIR_STORAGE_POOL_INACTIVE`
        INACTIVE = 0,
        /// `VIR_STORAGE_POOL_BUILDING`
        BUILDING = 1,
        /// `VIR_STORAGE_POOL_RUNNING`
        RUNNING = 2,
        /// `VIR_STORAGE_POOL_DEGRADED`
        DEGRADED = 3,
        /// `VIR_STORAGE_POOL_INACCESSIBLE`
        INACCESSIBLE = 4,
    }
}

value_enum! {
    /// `virStorageVolType`
    StorageVolType {
        /// `VIR_STORAGE_VOL_FILE`
        FILE = 0,
        /// `VIR_STORAGE_VOL_BLOCK`
        BLOCK = 1,
        /// `VIR_STORAGE_VOL_DIR`
        DIR = 2,
        /// `VIR_STORAGE_VOL_NETWORK`
        NETWORK = 3,
        /// `VIR_STORAGE_VOL_NETDIR`
        NETDIR = 4,
        /// `VIR_STORAGE_VOL_PLOOP`
        PLOOP = 5,
    }
}

value_enum! {
    /// `virStoragePoolEventID`
    StoragePoolEventID {
        /// `VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE`
        LIFECYCLE = 0,
        /// `VIR_STORAGE_POOL_EVENT_ID_REFRESH`
        REFRESH = 1,
    }
}

value_enum! {
    /// `virStoragePoolEventLifecycleType`
    StoragePoolEventLifecycleType {
        /// `VIR_STORAGE_POOL_EVENT_DEFINED`
        DEFINED = 0,
        /// `VIR_STORAGE_POOL_EVENT_UNDEFINED`
        UNDEFINED = 1,
        /// `VIR_STORAGE_POOL_EVENT_STARTED`
        STARTED = 2,
        /// `VIR_STORAGE_POOL_EVENT_STOPPED`
        STOPPED = 3,
        /// `VIR_STORAGE_POOL_EVENT_CREATED`
        CREATED = 4,
        /// `VIR_STORAGE_POOL_EVENT_DELETED`
        DELETED = 5,
    }
}

value_enum! {
    /// `virStorageVolWipeAlgorithm`
    StorageVolWipeAlgorithm {
        /// `VIR_STORAGE_VOL_WIPE_ALG_ZERO`
        ZERO = 0,
        /// `VIR_STORAGE_VOL_WIPE_ALG_NNSA`
        NNSA = 1,
        /// `VIR_STORAGE_VOL_WIPE_ALG_DOD`
        DOD = 2,
        /// `VIR_STORAGE_VOL_WIPE_ALG_BSI`
        BSI = 3,
        /// `VIR_STORAGE_VOL_WIPE_ALG_GUTMANN`
        GUTMANN = 4,
        /// `VIR_STORAGE_VOL_WIPE_ALG_SCHNEIER`
        SCHNEIER = 5,
        /// `VIR_STORAGE_VOL_WIPE_ALG_PFITZNER7`
        PFITZNER7 = 6,
        /// `VIR_STORAGE_VOL_WIPE_ALG_PFITZNER33`
        PFITZNER33 = 7,
        /// `VIR_STORAGE_VOL_WIPE_ALG_RANDOM`
        RANDOM = 8,
        /// `VIR_STORAGE_VOL_WIPE_ALG_TRIM`
        TRIM = 9,
    }
}

flag_set! {
    /// `virConnectListAllStoragePoolsFlags`
    ConnectListAllStoragePoolsFlags {
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE`
        INACTIVE = 1 << 0,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE`
        ACTIVE = 1 << 1,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT`
        PERSISTENT = 1 << 2,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT`
        TRANSIENT = 1 << 3,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART`
        AUTOSTART = 1 << 4,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART`
        NO_AUTOSTART = 1 << 5,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_DIR`
        DIR = 1 << 6,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_FS`
        FS = 1 << 7,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_NETFS`
        NETFS = 1 << 8,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_LOGICAL`
        LOGICAL = 1 << 9,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_DISK`
        DISK = 1 << 10,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI`
        ISCSI = 1 << 11,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_SCSI`
        SCSI = 1 << 12,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_MPATH`
        MPATH = 1 << 13,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_RBD`
        RBD = 1 << 14,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_SHEEPDOG`
        SHEEPDOG = 1 << 15,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_GLUSTER`
        GLUSTER = 1 << 16,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_ZFS`
        ZFS = 1 << 17,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_VSTORAGE`
        VSTORAGE = 1 << 18,
        /// `VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI_DIRECT`
        ISCSI_DIRECT = 1 << 19,
    }
}

impl ConnectListAllStoragePoolsFlags {
    /// The flag selecting pools of a type, by the type's number in `virStoragePoolType` order
    /// (`dir` 0 … `vstorage` 13).
    pub fn for_pool_type(index: usize) -> ConnectListAllStoragePoolsFlags {
        const BY_TYPE: [u32; 14] = [
            1 << 6,
            1 << 7,
            1 << 8,
            1 << 9,
            1 << 10,
            1 << 11,
            1 << 19,
            1 << 12,
            1 << 13,
            1 << 14,
            1 << 15,
            1 << 16,
            1 << 17,
            1 << 18,
        ];
        ConnectListAllStoragePoolsFlags::from_bits_retain(BY_TYPE.get(index).copied().unwrap_or(0))
    }
}

flag_set! {
    /// `virStoragePoolBuildFlags`
    StoragePoolBuildFlags {
        /// `VIR_STORAGE_POOL_BUILD_REPAIR`
        REPAIR = 1,
        /// `VIR_STORAGE_POOL_BUILD_RESIZE`
        RESIZE = 2,
        /// `VIR_STORAGE_POOL_BUILD_NO_OVERWRITE`
        NO_OVERWRITE = 4,
        /// `VIR_STORAGE_POOL_BUILD_OVERWRITE`
        OVERWRITE = 8,
    }
}

flag_set! {
    /// `virStoragePoolCreateFlags`
    StoragePoolCreateFlags {
        /// `VIR_STORAGE_POOL_CREATE_WITH_BUILD`
        WITH_BUILD = 1,
        /// `VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE`
        WITH_BUILD_OVERWRITE = 2,
        /// `VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE`
        WITH_BUILD_NO_OVERWRITE = 4,
    }
}

flag_set! {
    /// `virStoragePoolDefineFlags`
    StoragePoolDefineFlags {
        /// `VIR_STORAGE_POOL_DEFINE_VALIDATE`
        VALIDATE = 1,
    }
}

flag_set! {
    /// `virStoragePoolDeleteFlags`
    StoragePoolDeleteFlags {
        /// `VIR_STORAGE_POOL_DELETE_ZEROED`
        ZEROED = 1,
    }
}

flag_set! {
    /// `virStorageVolCreateFlags`
    StorageVolCreateFlags {
        /// `VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA`
        PREALLOC_METADATA = 1,
        /// `VIR_STORAGE_VOL_CREATE_REFLINK`
        REFLINK = 2,
        /// `VIR_STORAGE_VOL_CREATE_VALIDATE`
        VALIDATE = 4,
    }
}

flag_set! {
    /// `virStorageVolDeleteFlags`
    StorageVolDeleteFlags {
        /// `VIR_STORAGE_VOL_DELETE_ZEROED`
        ZEROED = 1,
        /// `VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS`
        WITH_SNAPSHOTS = 2,
    }
}

flag_set! {
    /// `virStorageVolResizeFlags`
    StorageVolResizeFlags {
        /// `VIR_STORAGE_VOL_RESIZE_ALLOCATE`
        ALLOCATE = 1,
        /// `VIR_STORAGE_VOL_RESIZE_DELTA`
        DELTA = 2,
        /// `VIR_STORAGE_VOL_RESIZE_SHRINK`
        SHRINK = 4,
    }
}

flag_set! {
    /// `virStorageVolInfoFlags`
    StorageVolInfoFlags {
        /// `VIR_STORAGE_VOL_GET_PHYSICAL`
        GET_PHYSICAL = 1,
    }
}

flag_set! {
    /// `virStorageVolDownloadFlags` / `virStorageVolUploadFlags`
    StorageVolStreamFlags {
        /// `VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM` (= `VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM`)
        SPARSE_STREAM = 1,
    }
}

flag_set! {
    /// `virStorageXMLFlags`
    StorageXMLFlags {
        /// `VIR_STORAGE_XML_INACTIVE`
        INACTIVE = 1,
    }
}

/// `virStoragePoolInfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StoragePoolInfo {
    /// The pool's state.
    pub state: StoragePoolState,
    /// Logical size in bytes.
    pub capacity: u64,
    /// Current allocation in bytes.
    pub allocation: u64,
    /// Remaining free space in bytes.
    pub available: u64,
}

/// `virStorageVolInfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StorageVolInfo {
    /// The volume's type.
    pub vol_type: StorageVolType,
    /// Logical size in bytes.
    pub capacity: u64,
    /// Current allocation in bytes.
    pub allocation: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_type_flags_follow_libvirt_numbers() {
        assert_eq!(
            ConnectListAllStoragePoolsFlags::for_pool_type(6),
            ConnectListAllStoragePoolsFlags::ISCSI_DIRECT
        );
        assert_eq!(
            ConnectListAllStoragePoolsFlags::for_pool_type(13),
            ConnectListAllStoragePoolsFlags::VSTORAGE
        );
        assert!(ConnectListAllStoragePoolsFlags::for_pool_type(99).is_empty());
    }
}
