//! libvirt's node-device enums and flag sets (`libvirt-nodedev.h`), with their values.

flag_set! {
    /// `virConnectListAllNodeDeviceFlags`: filters of `virConnectListAllNodeDevices`.
    ConnectListAllNodeDevicesFlags {
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_SYSTEM`.
        CAP_SYSTEM = 1 << 0,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV`.
        CAP_PCI_DEV = 1 << 1,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV`.
        CAP_USB_DEV = 1 << 2,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_INTERFACE`.
        CAP_USB_INTERFACE = 1 << 3,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET`.
        CAP_NET = 1 << 4,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST`.
        CAP_SCSI_HOST = 1 << 5,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_TARGET`.
        CAP_SCSI_TARGET = 1 << 6,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI`.
        CAP_SCSI = 1 << 7,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_STORAGE`.
        CAP_STORAGE = 1 << 8,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST`.
        CAP_FC_HOST = 1 << 9,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPORTS`.
        CAP_VPORTS = 1 << 10,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_GENERIC`.
        CAP_SCSI_GENERIC = 1 << 11,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_DRM`.
        CAP_DRM = 1 << 12,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES`.
        CAP_MDEV_TYPES = 1 << 13,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV`.
        CAP_MDEV = 1 << 14,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_CCW_DEV`.
        CAP_CCW_DEV = 1 << 15,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_CSS_DEV`.
        CAP_CSS_DEV = 1 << 16,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_VDPA`.
        CAP_VDPA = 1 << 17,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_CARD`.
        CAP_AP_CARD = 1 << 18,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_QUEUE`.
        CAP_AP_QUEUE = 1 << 19,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_AP_MATRIX`.
        CAP_AP_MATRIX = 1 << 20,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPD`.
        CAP_VPD = 1 << 21,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE`.
        INACTIVE = 1 << 30,
        /// `VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE`.
        ACTIVE = 1 << 31,
    }
}

impl ConnectListAllNodeDevicesFlags {
    /// `VIR_CONNECT_LIST_NODE_DEVICES_FILTERS_CAP`: every capability filter.
    pub const FILTERS_CAP: ConnectListAllNodeDevicesFlags =
        ConnectListAllNodeDevicesFlags::from_bits_truncate((1 << 22) - 1);
}

/// The capability names in `virNodeDevCapType` order (`VIR_NODE_DEV_CAP_SYSTEM` = 0 …); the
/// `n`th name is what `VIR_CONNECT_LIST_NODE_DEVICES_CAP_*` bit `n` filters on.
pub const NODE_DEV_CAP_NAMES: [&str; 22] = [
    "system",
    "pci",
    "usb_device",
    "usb",
    "net",
    "scsi_host",
    "scsi_target",
    "scsi",
    "storage",
    "fc_host",
    "vports",
    "scsi_generic",
    "drm",
    "mdev_types",
    "mdev",
    "ccw",
    "css",
    "vdpa",
    "ap_card",
    "ap_queue",
    "ap_matrix",
    "vpd",
];

flag_set! {
    /// `virNodeDeviceCreateXMLFlags`.
    NodeDeviceCreateXMLFlags {
        /// `VIR_NODE_DEVICE_CREATE_XML_VALIDATE`.
        VALIDATE = 1 << 0,
    }
}

flag_set! {
    /// `virNodeDeviceDefineXMLFlags`.
    NodeDeviceDefineXMLFlags {
        /// `VIR_NODE_DEVICE_DEFINE_XML_VALIDATE`.
        VALIDATE = 1 << 0,
    }
}

value_enum! {
    /// `virNodeDeviceEventID`.
    NodeDeviceEventID {
        /// `VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE`.
        LIFECYCLE = 0,
        /// `VIR_NODE_DEVICE_EVENT_ID_UPDATE`.
        UPDATE = 1,
    }
}

value_enum! {
    /// `virNodeDeviceEventLifecycleType`.
    NodeDeviceEventLifecycleType {
        /// `VIR_NODE_DEVICE_EVENT_CREATED`.
        CREATED = 0,
        /// `VIR_NODE_DEVICE_EVENT_DELETED`.
        DELETED = 1,
        /// `VIR_NODE_DEVICE_EVENT_DEFINED`.
        DEFINED = 2,
        /// `VIR_NODE_DEVICE_EVENT_UNDEFINED`.
        UNDEFINED = 3,
    }
}
