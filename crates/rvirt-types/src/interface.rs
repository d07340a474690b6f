//! libvirt's host-interface flag sets (`libvirt-interface.h`), with their values.

flag_set! {
    /// `virConnectListAllInterfacesFlags`: filters of `virConnectListAllInterfaces`.
    ConnectListAllInterfacesFlags {
        /// `VIR_CONNECT_LIST_INTERFACES_INACTIVE`.
        INACTIVE = 1 << 0,
        /// `VIR_CONNECT_LIST_INTERFACES_ACTIVE`.
        ACTIVE = 1 << 1,
    }
}

flag_set! {
    /// `virInterfaceXMLFlags`.
    InterfaceXMLFlags {
        /// `VIR_INTERFACE_XML_INACTIVE`: the definition rather than the live state.
        INACTIVE = 1 << 0,
    }
}

flag_set! {
    /// `virInterfaceDefineFlags`.
    InterfaceDefineFlags {
        /// `VIR_INTERFACE_DEFINE_VALIDATE`: check the XML against the schema.
        VALIDATE = 1 << 0,
    }
}
