//! libvirt's error record: `virErrorNumber`, `virErrorDomain`, levels, and the wording of the
//! messages, which clients compare against, so it is kept exactly as libvirt words it.

use std::fmt;

/// A `virErrorNumber`: what went wrong. A newtype over the wire value so that a number rvirt does
/// not know (from a newer peer) survives a round trip.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorNumber(pub i32);

/// A `virErrorDomain`: which part of the stack raised the error.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorDomain(pub i32);

macro_rules! error_numbers {
    ($($name:ident = $val:literal, $bare:literal, $with:literal;)*) => {
        impl ErrorNumber {
            $(
                #[doc = concat!("`VIR_ERR_", stringify!($name), "` (", stringify!($val), ").")]
                pub const $name: ErrorNumber = ErrorNumber($val);
            )*

            /// The C name without its `VIR_ERR_` prefix, if rvirt knows the number.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// libvirt's message for this error: without detail, and as a template with one `%s`
            /// for the detail.
            pub fn templates(self) -> Option<(&'static str, &'static str)> {
                match self.0 {
                    $($val => Some(($bare, $with)),)*
                    _ => None,
                }
            }
        }
    };
}

macro_rules! error_domains {
    ($($name:ident = $val:literal, $label:literal;)*) => {
        impl ErrorDomain {
            $(
                #[doc = concat!("`VIR_FROM_", stringify!($name), "` (", stringify!($val), "): ", $label, ".")]
                pub const $name: ErrorDomain = ErrorDomain($val);
            )*

            /// The label libvirt prints for this domain ("Domain", "Test Driver", …).
            pub fn label(self) -> &'static str {
                match self.0 {
                    $($val => $label,)*
                    _ => "",
                }
            }
        }
    };
}

error_numbers! {
    OK = 0, "", "";
    INTERNAL_ERROR = 1, "internal error", "internal error: %s";
    NO_MEMORY = 2, "out of memory", "out of memory: %s";
    NO_SUPPORT = 3, "this function is not supported by the connection driver", "this function is not supported by the connection driver: %s";
    UNKNOWN_HOST = 4, "unknown host", "unknown host %s";
    NO_CONNECT = 5, "no connection driver available", "no connection driver available for %s";
    INVALID_CONN = 6, "invalid connection pointer in", "invalid connection pointer in %s";
    INVALID_DOMAIN = 7, "invalid domain pointer in", "invalid domain pointer in %s";
    INVALID_ARG = 8, "invalid argument", "invalid argument: %s";
    OPERATION_FAILED = 9, "operation failed", "operation failed: %s";
    GET_FAILED = 10, "GET operation failed", "GET operation failed: %s";
    POST_FAILED = 11, "POST operation failed", "POST operation failed: %s";
    HTTP_ERROR = 12, "got unknown HTTP error code", "got unknown HTTP error code %s";
    SEXPR_SERIAL = 13, "failed to serialize S-Expr", "failed to serialize S-Expr: %s";
    NO_XEN = 14, "could not use Xen hypervisor entry", "could not use Xen hypervisor entry %s";
    XEN_CALL = 15, "failed Xen syscall", "failed Xen syscall %s";
    OS_TYPE = 16, "unknown OS type", "unknown OS type %s";
    NO_KERNEL = 17, "missing kernel information", "missing kernel information: %s";
    NO_ROOT = 18, "missing root device information", "missing root device information in %s";
    NO_SOURCE = 19, "missing source information for device", "missing source information for device %s";
    NO_TARGET = 20, "missing target information for device", "missing target information for device %s";
    NO_NAME = 21, "missing name information", "missing name information in %s";
    NO_OS = 22, "missing operating system information", "missing operating system information for %s";
    NO_DEVICE = 23, "missing devices information", "missing devices information for %s";
    NO_XENSTORE = 24, "could not connect to Xen Store", "could not connect to Xen Store %s";
    DRIVER_FULL = 25, "too many drivers registered", "too many drivers registered in %s";
    CALL_FAILED = 26, "library call failed", "library call failed: %s";
    XML_ERROR = 27, "XML description is invalid or not well formed", "XML error: %s";
    DOM_EXIST = 28, "this domain exists already", "domain %s exists already";
    OPERATION_DENIED = 29, "operation forbidden for read only access", "operation forbidden: %s";
    OPEN_FAILED = 30, "failed to open configuration file", "failed to open configuration file %s";
    READ_FAILED = 31, "failed to read configuration file", "failed to read configuration file %s";
    PARSE_FAILED = 32, "failed to parse configuration file", "failed to parse configuration file %s";
    CONF_SYNTAX = 33, "configuration file syntax error", "configuration file syntax error: %s";
    WRITE_FAILED = 34, "failed to write configuration file", "failed to write configuration file: %s";
    XML_DETAIL = 35, "parser error", "%s";
    INVALID_NETWORK = 36, "invalid network pointer in", "invalid network pointer in %s";
    NETWORK_EXIST = 37, "this network exists already", "network %s exists already";
    SYSTEM_ERROR = 38, "system call error", "%s";
    RPC = 39, "RPC error", "%s";
    GNUTLS_ERROR = 40, "GNUTLS call error", "%s";
    WAR_NO_NETWORK = 41, "Failed to find the network", "Failed to find the network: %s";
    NO_DOMAIN = 42, "Domain not found", "Domain not found: %s";
    NO_NETWORK = 43, "Network not found", "Network not found: %s";
    INVALID_MAC = 44, "invalid MAC address", "invalid MAC address: %s";
    AUTH_FAILED = 45, "authentication failed", "authentication failed: %s";
    INVALID_STORAGE_POOL = 46, "invalid storage pool pointer in", "invalid storage pool pointer in %s";
    INVALID_STORAGE_VOL = 47, "invalid storage volume pointer in", "invalid storage volume pointer in %s";
    WAR_NO_STORAGE = 48, "Failed to find a storage driver", "Failed to find a storage driver: %s";
    NO_STORAGE_POOL = 49, "Storage pool not found", "Storage pool not found: %s";
    NO_STORAGE_VOL = 50, "Storage volume not found", "Storage volume not found: %s";
    WAR_NO_NODE = 51, "Failed to find a node driver", "Failed to find a node driver: %s";
    INVALID_NODE_DEVICE = 52, "invalid node device pointer", "invalid node device pointer in %s";
    NO_NODE_DEVICE = 53, "Node device not found", "Node device not found: %s";
    NO_SECURITY_MODEL = 54, "Security model not found", "Security model not found: %s";
    OPERATION_INVALID = 55, "Requested operation is not valid", "Requested operation is not valid: %s";
    WAR_NO_INTERFACE = 56, "Failed to find the interface", "Failed to find the interface: %s";
    NO_INTERFACE = 57, "Interface not found", "Interface not found: %s";
    INVALID_INTERFACE = 58, "invalid interface pointer in", "invalid interface pointer in %s";
    MULTIPLE_INTERFACES = 59, "multiple matching interfaces found", "multiple matching interfaces found: %s";
    WAR_NO_NWFILTER = 60, "Failed to start the nwfilter driver", "Failed to start the nwfilter driver: %s";
    INVALID_NWFILTER = 61, "Invalid network filter", "Invalid network filter: %s";
    NO_NWFILTER = 62, "Network filter not found", "Network filter not found: %s";
    BUILD_FIREWALL = 63, "Error while building firewall", "Error while building firewall: %s";
    WAR_NO_SECRET = 64, "Failed to find a secret storage driver", "Failed to find a secret storage driver: %s";
    INVALID_SECRET = 65, "Invalid secret", "Invalid secret: %s";
    NO_SECRET = 66, "Secret not found", "Secret not found: %s";
    CONFIG_UNSUPPORTED = 67, "unsupported configuration", "unsupported configuration: %s";
    OPERATION_TIMEOUT = 68, "Timed out during operation", "Timed out during operation: %s";
    MIGRATE_PERSIST_FAILED = 69, "Failed to make domain persistent after migration", "Failed to make domain persistent after migration: %s";
    HOOK_SCRIPT_FAILED = 70, "Hook script execution failed", "Hook script execution failed: %s";
    INVALID_DOMAIN_SNAPSHOT = 71, "Invalid domain snapshot", "Invalid domain snapshot: %s";
    NO_DOMAIN_SNAPSHOT = 72, "Domain snapshot not found", "Domain snapshot not found: %s";
    INVALID_STREAM = 73, "invalid stream pointer", "invalid stream pointer in %s";
    ARGUMENT_UNSUPPORTED = 74, "argument unsupported", "argument unsupported: %s";
    STORAGE_PROBE_FAILED = 75, "Storage pool probe failed", "Storage pool probe failed: %s";
    STORAGE_POOL_BUILT = 76, "Storage pool already built", "Storage pool already built: %s";
    SNAPSHOT_REVERT_RISKY = 77, "revert requires force", "revert requires force: %s";
    OPERATION_ABORTED = 78, "operation aborted", "operation aborted: %s";
    AUTH_CANCELLED = 79, "authentication cancelled", "authentication cancelled: %s";
    NO_DOMAIN_METADATA = 80, "metadata not found", "metadata not found: %s";
    MIGRATE_UNSAFE = 81, "Unsafe migration", "Unsafe migration: %s";
    OVERFLOW = 82, "numerical overflow", "numerical overflow: %s";
    BLOCK_COPY_ACTIVE = 83, "block copy still active", "block copy still active: %s";
    OPERATION_UNSUPPORTED = 84, "Operation not supported", "Operation not supported: %s";
    SSH = 85, "SSH transport error", "SSH transport error: %s";
    AGENT_UNRESPONSIVE = 86, "Guest agent is not responding", "Guest agent is not responding: %s";
    RESOURCE_BUSY = 87, "resource busy", "resource busy: %s";
    ACCESS_DENIED = 88, "access denied", "access denied: %s";
    DBUS_SERVICE = 89, "error from service", "error from service: %s";
    STORAGE_VOL_EXIST = 90, "this storage volume exists already", "storage volume %s exists already";
    CPU_INCOMPATIBLE = 91, "the CPU is incompatible with host CPU", "the CPU is incompatible with host CPU: %s";
    XML_INVALID_SCHEMA = 92, "XML document failed to validate against schema", "XML document failed to validate against schema: %s";
    MIGRATE_FINISH_OK = 93, "migration successfully aborted", "migration successfully aborted: %s";
    AUTH_UNAVAILABLE = 94, "authentication unavailable", "authentication unavailable: %s";
    NO_SERVER = 95, "Server not found", "Server not found: %s";
    NO_CLIENT = 96, "Client not found", "Client not found: %s";
    AGENT_UNSYNCED = 97, "guest agent replied with wrong id to guest-sync command", "guest agent replied with wrong id to guest-sync command: %s";
    LIBSSH = 98, "libssh transport error", "libssh transport error: %s";
    DEVICE_MISSING = 99, "device not found", "device not found: %s";
    INVALID_NWFILTER_BINDING = 100, "Invalid network filter binding", "Invalid network filter binding: %s";
    NO_NWFILTER_BINDING = 101, "Network filter binding not found", "Network filter binding not found: %s";
    INVALID_DOMAIN_CHECKPOINT = 102, "Invalid domain checkpoint", "Invalid domain checkpoint: %s";
    NO_DOMAIN_CHECKPOINT = 103, "Domain checkpoint not found", "Domain checkpoint not found: %s";
    NO_DOMAIN_BACKUP = 104, "Domain backup job id not found", "Domain backup job id not found: %s";
    INVALID_NETWORK_PORT = 105, "Invalid network port pointer", "Invalid network port pointer: %s";
    NETWORK_PORT_EXIST = 106, "this network port exists already", "network port %s exists already";
    NO_NETWORK_PORT = 107, "network port not found", "network port not found: %s";
    NO_HOSTNAME = 108, "no hostname found", "no hostname found: %s";
    CHECKPOINT_INCONSISTENT = 109, "checkpoint inconsistent", "checkpoint inconsistent: %s";
    MULTIPLE_DOMAINS = 110, "multiple matching domains found", "multiple matching domains found: %s";
}

error_domains! {
    NONE = 0, "";
    XEN = 1, "Xen Driver";
    XEND = 2, "Xen Daemon";
    XENSTORE = 3, "Xen Store";
    SEXPR = 4, "S-Expression";
    XML = 5, "XML Util";
    DOM = 6, "Domain";
    RPC = 7, "XML-RPC";
    PROXY = 8, "Proxy Daemon";
    CONF = 9, "Config File";
    QEMU = 10, "QEMU Driver";
    NET = 11, "Network";
    TEST = 12, "Test Driver";
    REMOTE = 13, "Remote Driver";
    OPENVZ = 14, "OpenVZ Driver";
    XENXM = 15, "Xen XM Driver";
    STATS_LINUX = 16, "Linux Statistics";
    LXC = 17, "LXC Driver";
    STORAGE = 18, "Storage Driver";
    NETWORK = 19, "Network Driver";
    DOMAIN = 20, "Domain Config";
    UML = 21, "User Mode Linux Driver";
    NODEDEV = 22, "Node Device Driver";
    XEN_INOTIFY = 23, "Xen Inotify Driver";
    SECURITY = 24, "Security Driver";
    VBOX = 25, "VirtualBox Driver";
    INTERFACE = 26, "Network Interface Driver";
    ONE = 27, "Open Nebula Driver";
    ESX = 28, "ESX Driver";
    PHYP = 29, "Power Hypervisor Driver";
    SECRET = 30, "Secrets Driver";
    CPU = 31, "CPU Driver";
    XENAPI = 32, "XenAPI Driver";
    NWFILTER = 33, "Network Filter Driver";
    HOOK = 34, "Lifecycle Hook";
    DOMAIN_SNAPSHOT = 35, "Domain Snapshot";
    AUDIT = 36, "Audit Utils";
    SYSINFO = 37, "Sysinfo Utils";
    STREAMS = 38, "I/O Stream Utils";
    VMWARE = 39, "VMware Driver";
    EVENT = 40, "Event Loop";
    LIBXL = 41, "Xen Light Driver";
    LOCKING = 42, "Lock Driver";
    HYPERV = 43, "Hyper-V Driver";
    CAPABILITIES = 44, "Capabilities Utils";
    URI = 45, "URI Utils";
    AUTH = 46, "Authentication Utils";
    DBUS = 47, "DBus Utils";
    PARALLELS = 48, "Parallels Cloud Server";
    DEVICE = 49, "Device Config";
    SSH = 50, "SSH transport layer";
    LOCKSPACE = 51, "Lock Space";
    INITCTL = 52, "Init control";
    IDENTITY = 53, "Identity";
    CGROUP = 54, "Cgroup";
    ACCESS = 55, "Access Manager";
    SYSTEMD = 56, "Systemd";
    BHYVE = 57, "Bhyve";
    CRYPTO = 58, "Crypto";
    FIREWALL = 59, "Firewall";
    POLKIT = 60, "Polkit";
    THREAD = 61, "Thread jobs";
    ADMIN = 62, "Admin Interface";
    LOGGING = 63, "Log Manager";
    XENXL = 64, "Xen XL Config";
    PERF = 65, "Perf";
    LIBSSH = 66, "Libssh transport layer";
    RESCTRL = 67, "Resource control";
    FIREWALLD = 68, "FirewallD";
    DOMAIN_CHECKPOINT = 69, "Domain Checkpoint";
    TPM = 70, "TPM";
    BPF = 71, "BPF";
    CH = 72, "Cloud-Hypervisor Driver";
}
impl fmt::Debug for ErrorNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "VIR_ERR_{n}"),
            None => write!(f, "ErrorNumber({})", self.0),
        }
    }
}

impl fmt::Debug for ErrorDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrorDomain({}: {:?})", self.0, self.label())
    }
}

/// How serious an error is (`virErrorLevel`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[repr(i32)]
pub enum ErrorLevel {
    /// `VIR_ERR_NONE`
    None = 0,
    /// `VIR_ERR_WARNING`: a simple warning.
    Warning = 1,
    /// `VIR_ERR_ERROR`: an error.
    #[default]
    Error = 2,
}

impl ErrorLevel {
    /// The level with this wire value; anything unknown is treated as an error.
    pub fn from_i32(v: i32) -> ErrorLevel {
        match v {
            0 => ErrorLevel::None,
            1 => ErrorLevel::Warning,
            _ => ErrorLevel::Error,
        }
    }
}

/// libvirt's error record (`virError`), as every rvirt API call reports a failure and as it
/// crosses the wire in `remote_error`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Error {
    /// What went wrong.
    pub code: ErrorNumber,
    /// Which part of the stack raised it.
    pub domain: ErrorDomain,
    /// How serious it is.
    pub level: ErrorLevel,
    /// The full human-readable message, e.g. `Domain not found: no domain with matching name 'x'`.
    pub message: String,
    /// As libvirt fills it: the message template of the code.
    pub str1: Option<String>,
    /// As libvirt fills it: the detail that was put into the template.
    pub str2: Option<String>,
    /// Extra information, usually unset.
    pub str3: Option<String>,
    /// Extra number, -1 when unset.
    pub int1: i32,
    /// Extra number, -1 when unset.
    pub int2: i32,
}

/// `Result` with rvirt's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error the way libvirt's `virReportError` builds one: the code's message template with
    /// `detail` put in, or the bare message when there is no detail.
    pub fn new(domain: ErrorDomain, code: ErrorNumber, detail: Option<String>) -> Error {
        let (bare, with) = code
            .templates()
            .unwrap_or(("unknown error", "unknown error: %s"));
        let message = match &detail {
            Some(d) => with.replacen("%s", d, 1),
            None => bare.to_string(),
        };
        Error {
            code,
            domain,
            level: ErrorLevel::Error,
            message,
            str1: Some(if detail.is_some() { with } else { bare }.to_string()),
            str2: detail,
            str3: None,
            int1: -1,
            int2: -1,
        }
    }

    /// An error with a detail text.
    pub fn with_detail(domain: ErrorDomain, code: ErrorNumber, detail: impl Into<String>) -> Error {
        Error::new(domain, code, Some(detail.into()))
    }

    /// `VIR_ERR_NO_SUPPORT` for a driver that lacks `function` (a `vir…` name).
    pub fn no_support(domain: ErrorDomain, function: &str) -> Error {
        Error::with_detail(domain, ErrorNumber::NO_SUPPORT, function)
    }

    /// `VIR_ERR_INVALID_ARG` as libvirt's `virCheckFlags` raises it for bits a function does not
    /// know: the message is `unsupported flags (0x…) in function NAME` with no prefix, `str1` is
    /// the function, `str2` the argument name `flags`, and both numbers are 0.
    pub fn unsupported_flags(domain: ErrorDomain, function: &str, flags: u32) -> Error {
        Error::invalid_arg_raw(
            domain,
            function,
            "flags",
            format!("unsupported flags (0x{flags:x}) in function {function}"),
        )
    }

    /// `VIR_ERR_INVALID_ARG` as libvirt's `virReportInvalidArg` raises it: `message` as given,
    /// `str1` the function, `str2` the argument's name, numbers 0.
    pub fn invalid_arg_raw(
        domain: ErrorDomain,
        function: &str,
        arg: &str,
        message: String,
    ) -> Error {
        Error {
            code: ErrorNumber::INVALID_ARG,
            domain,
            level: ErrorLevel::Error,
            message,
            str1: Some(function.to_string()),
            str2: Some(arg.to_string()),
            str3: None,
            int1: 0,
            int2: 0,
        }
    }

    /// What libvirt's public API reports when a driver fails without setting an error
    /// (`virErrorGenericFailure`): an internal error "An error occurred, but the cause is
    /// unknown".
    pub fn unknown_cause() -> Error {
        let mut e = Error::new(ErrorDomain::NONE, ErrorNumber::INTERNAL_ERROR, None);
        e.message = "An error occurred, but the cause is unknown".into();
        e.str1 = Some(e.message.clone());
        e
    }

    /// `VIR_ERR_OPERATION_INVALID`: the call is not valid in the object's current state.
    pub fn operation_invalid(domain: ErrorDomain, detail: impl Into<String>) -> Error {
        Error::with_detail(domain, ErrorNumber::OPERATION_INVALID, detail)
    }

    /// `VIR_ERR_INVALID_ARG` with a detail.
    pub fn invalid_arg(domain: ErrorDomain, detail: impl Into<String>) -> Error {
        Error::with_detail(domain, ErrorNumber::INVALID_ARG, detail)
    }

    /// `VIR_ERR_INTERNAL_ERROR` with a detail.
    pub fn internal(domain: ErrorDomain, detail: impl Into<String>) -> Error {
        Error::with_detail(domain, ErrorNumber::INTERNAL_ERROR, detail)
    }

    /// `VIR_ERR_OPERATION_DENIED` for a mutating call on a read-only connection.
    /// Worded as libvirt's public API words it: `operation forbidden: read only access prevents
    /// virDomainDefineXML`.
    pub fn read_only(domain: ErrorDomain, function: &str) -> Error {
        Error::with_detail(
            domain,
            ErrorNumber::OPERATION_DENIED,
            format!("read only access prevents {function}"),
        )
    }

    /// `VIR_ERR_SYSTEM_ERROR` from an I/O error, worded as libvirt words system errors:
    /// `what: strerror`.
    pub fn system(domain: ErrorDomain, what: impl fmt::Display, err: &std::io::Error) -> Error {
        let mut e = Error::with_detail(
            domain,
            ErrorNumber::SYSTEM_ERROR,
            format!("{what}: {}", io_error_text(err)),
        );
        e.int1 = err.raw_os_error().unwrap_or(-1);
        e
    }
}

/// The C library's wording of an I/O error ("No such file or directory"), without Rust's
/// " (os error 2)" suffix.
pub fn io_error_text(err: &std::io::Error) -> String {
    let s = err.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_worded_as_libvirt_words_them() {
        let e = Error::with_detail(
            ErrorDomain::DOM,
            ErrorNumber::NO_DOMAIN,
            "no domain with matching name 'x'",
        );
        assert_eq!(
            e.message,
            "Domain not found: no domain with matching name 'x'"
        );
        assert_eq!(e.str1.as_deref(), Some("Domain not found: %s"));
        assert_eq!(e.str2.as_deref(), Some("no domain with matching name 'x'"));
        assert_eq!((e.int1, e.int2), (-1, -1));
        let e = Error::operation_invalid(ErrorDomain::TEST, "domain is not running");
        assert_eq!(
            e.message,
            "Requested operation is not valid: domain is not running"
        );
        let e = Error::unsupported_flags(ErrorDomain::TEST, "testDomainDestroyFlags", 0x100);
        assert_eq!(
            e.message,
            "unsupported flags (0x100) in function testDomainDestroyFlags"
        );
        assert_eq!(e.str1.as_deref(), Some("testDomainDestroyFlags"));
        assert_eq!(e.str2.as_deref(), Some("flags"));
        assert_eq!((e.int1, e.int2), (0, 0));
        assert_eq!(
            Error::new(ErrorDomain::NONE, ErrorNumber::NO_DOMAIN, None).message,
            "Domain not found"
        );
    }

    #[test]
    fn numbers_and_domains_match_libvirt() {
        assert_eq!(ErrorNumber::NO_DOMAIN.0, 42);
        assert_eq!(ErrorNumber::OPERATION_INVALID.0, 55);
        assert_eq!(ErrorNumber::OPERATION_DENIED.0, 29);
        assert_eq!(ErrorNumber::NO_SUPPORT.0, 3);
        assert_eq!(ErrorNumber::XML_DETAIL.0, 35);
        assert_eq!(ErrorNumber::NO_DOMAIN_SNAPSHOT.0, 72);
        assert_eq!(ErrorDomain::TEST.0, 12);
        assert_eq!(ErrorDomain::DOM.label(), "Domain");
        assert_eq!(format!("{:?}", ErrorNumber(42)), "VIR_ERR_NO_DOMAIN");
        assert_eq!(ErrorNumber(9999).name(), None);
    }

    #[test]
    fn system_errors_use_the_c_wording() {
        let io = std::io::Error::from_raw_os_error(2);
        let e = Error::system(ErrorDomain::TEST, "cannot open '/x'", &io);
        assert_eq!(e.message, "cannot open '/x': No such file or directory");
        assert_eq!(e.int1, 2);
    }
}
