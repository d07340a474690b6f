//! libvirt's virtual-network enums and flag sets (`libvirt-network.h`), with their values.

flag_set! {
    /// `virConnectListAllNetworksFlags`: filters of `virConnectListAllNetworks`.
    ConnectListAllNetworksFlags {
        /// `VIR_CONNECT_LIST_NETWORKS_INACTIVE`.
        INACTIVE = 1 << 0,
        /// `VIR_CONNECT_LIST_NETWORKS_ACTIVE`.
        ACTIVE = 1 << 1,
        /// `VIR_CONNECT_LIST_NETWORKS_PERSISTENT`.
        PERSISTENT = 1 << 2,
        /// `VIR_CONNECT_LIST_NETWORKS_TRANSIENT`.
        TRANSIENT = 1 << 3,
        /// `VIR_CONNECT_LIST_NETWORKS_AUTOSTART`.
        AUTOSTART = 1 << 4,
        /// `VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART`.
        NO_AUTOSTART = 1 << 5,
    }
}

flag_set! {
    /// `virNetworkXMLFlags`.
    NetworkXMLFlags {
        /// `VIR_NETWORK_XML_INACTIVE`: the persistent definition.
        INACTIVE = 1 << 0,
    }
}

flag_set! {
    /// `virNetworkCreateFlags`.
    NetworkCreateFlags {
        /// `VIR_NETWORK_CREATE_VALIDATE`: check the XML against the schema.
        VALIDATE = 1 << 0,
    }
}

flag_set! {
    /// `virNetworkDefineFlags`.
    NetworkDefineFlags {
        /// `VIR_NETWORK_DEFINE_VALIDATE`: check the XML against the schema.
        VALIDATE = 1 << 0,
    }
}

flag_set! {
    /// `virNetworkPortCreateFlags`.
    NetworkPortCreateFlags {
        /// `VIR_NETWORK_PORT_CREATE_RECLAIM`: take over resources the port already holds.
        RECLAIM = 1 << 0,
        /// `VIR_NETWORK_PORT_CREATE_VALIDATE`: check the XML against the schema.
        VALIDATE = 1 << 1,
    }
}

flag_set! {
    /// `virNetworkUpdateFlags` (`VIR_NETWORK_UPDATE_AFFECT_CURRENT` is empty).
    NetworkUpdateFlags {
        /// `VIR_NETWORK_UPDATE_AFFECT_LIVE`.
        AFFECT_LIVE = 1 << 0,
        /// `VIR_NETWORK_UPDATE_AFFECT_CONFIG`.
        AFFECT_CONFIG = 1 << 1,
    }
}

value_enum! {
    /// `virNetworkUpdateCommand`.
    NetworkUpdateCommand {
        /// `VIR_NETWORK_UPDATE_COMMAND_NONE` (invalid).
        NONE = 0,
        /// `VIR_NETWORK_UPDATE_COMMAND_MODIFY`.
        MODIFY = 1,
        /// `VIR_NETWORK_UPDATE_COMMAND_DELETE`.
        DELETE = 2,
        /// `VIR_NETWORK_UPDATE_COMMAND_ADD_LAST`.
        ADD_LAST = 3,
        /// `VIR_NETWORK_UPDATE_COMMAND_ADD_FIRST`.
        ADD_FIRST = 4,
    }
}

value_enum! {
    /// `virNetworkUpdateSection`.
    NetworkUpdateSection {
        /// `VIR_NETWORK_SECTION_NONE` (invalid).
        NONE = 0,
        /// `VIR_NETWORK_SECTION_BRIDGE`.
        BRIDGE = 1,
        /// `VIR_NETWORK_SECTION_DOMAIN`.
        DOMAIN = 2,
        /// `VIR_NETWORK_SECTION_IP`.
        IP = 3,
        /// `VIR_NETWORK_SECTION_IP_DHCP_HOST`.
        IP_DHCP_HOST = 4,
        /// `VIR_NETWORK_SECTION_IP_DHCP_RANGE`.
        IP_DHCP_RANGE = 5,
        /// `VIR_NETWORK_SECTION_FORWARD`.
        FORWARD = 6,
        /// `VIR_NETWORK_SECTION_FORWARD_INTERFACE`.
        FORWARD_INTERFACE = 7,
        /// `VIR_NETWORK_SECTION_FORWARD_PF`.
        FORWARD_PF = 8,
        /// `VIR_NETWORK_SECTION_PORTGROUP`.
        PORTGROUP = 9,
        /// `VIR_NETWORK_SECTION_DNS_HOST`.
        DNS_HOST = 10,
        /// `VIR_NETWORK_SECTION_DNS_TXT`.
        DNS_TXT = 11,
        /// `VIR_NETWORK_SECTION_DNS_SRV`.
        DNS_SRV = 12,
    }
}

value_enum! {
    /// `virNetworkEventLifecycleType`.
    NetworkEventLifecycleType {
        /// `VIR_NETWORK_EVENT_DEFINED`.
        DEFINED = 0,
        /// `VIR_NETWORK_EVENT_UNDEFINED`.
        UNDEFINED = 1,
        /// `VIR_NETWORK_EVENT_STARTED`.
        STARTED = 2,
        /// `VIR_NETWORK_EVENT_STOPPED`.
        STOPPED = 3,
    }
}

value_enum! {
    /// `virNetworkEventID`.
    NetworkEventID {
        /// `VIR_NETWORK_EVENT_ID_LIFECYCLE`.
        LIFECYCLE = 0,
    }
}

/// One DHCP lease of a network (`virNetworkDHCPLease`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkDhcpLease {
    /// The network interface name.
    pub iface: String,
    /// Seconds since the epoch at which the lease expires.
    pub expiry_time: i64,
    /// `virIPAddrType`.
    pub addr_type: i32,
    /// The MAC address (DHCPv4).
    pub mac: Option<String>,
    /// The IAID (DHCPv6).
    pub iaid: Option<String>,
    /// The address.
    pub ipaddr: String,
    /// The prefix length.
    pub prefix: u32,
    /// The client's host name.
    pub hostname: Option<String>,
    /// The client id or DUID.
    pub clientid: Option<String>,
}
