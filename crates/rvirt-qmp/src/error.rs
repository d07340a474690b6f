//! The one error type of this crate, and how a caller should classify it.

use std::time::Duration;

/// Why a monitor was declared unusable. Every call made after that fails at once with
/// [`Error::Dead`] carrying this reason, instead of waiting for its own deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadReason {
    /// A command missed its deadline; QEMU is stuck (stopped, overloaded, deadlocked).
    TimedOut {
        /// The command that missed its deadline.
        command: String,
    },
    /// The peer closed the socket: QEMU exited or was killed.
    Eof,
    /// The peer broke the protocol (over-long line, bad JSON, unexpected message).
    Protocol(String),
    /// Reading or writing the socket failed.
    Io(String),
    /// The owner closed the monitor on purpose.
    Closed,
}

impl std::fmt::Display for DeadReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeadReason::TimedOut { command } => {
                write!(f, "monitor timed out on command '{command}'")
            }
            DeadReason::Eof => f.write_str("monitor closed by QEMU (end of file)"),
            DeadReason::Protocol(m) => write!(f, "monitor protocol error: {m}"),
            DeadReason::Io(m) => write!(f, "monitor I/O error: {m}"),
            DeadReason::Closed => f.write_str("monitor closed"),
        }
    }
}

/// Errors of the QMP client.
///
/// How the QEMU driver should map them (the mapping lives in the driver, see [`ErrorClass`]):
/// - [`Error::Timeout`], and [`Error::Dead`] with [`DeadReason::TimedOut`]:
///   `VIR_ERR_OPERATION_TIMEOUT` (QEMU is alive but not answering).
/// - [`Error::Eof`], [`Error::Io`], [`Error::Connect`], and [`Error::Dead`] for EOF, I/O or close:
///   `VIR_ERR_OPERATION_FAILED` (the monitor or QEMU is gone; the domain is likely shutting off).
/// - [`Error::Protocol`], and [`Error::Dead`] with [`DeadReason::Protocol`]:
///   `VIR_ERR_INTERNAL_ERROR` (QEMU said something we cannot understand).
/// - [`Error::Qemu`]: `VIR_ERR_INTERNAL_ERROR` with QEMU's `desc` (as libvirt reports
///   "unable to execute QEMU command"), except class `CommandNotFound`, which is
///   `VIR_ERR_OPERATION_UNSUPPORTED`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command missed its deadline. The monitor is now dead.
    #[error("timed out after {after:?} waiting for QEMU to answer '{command}'")]
    Timeout {
        /// The command name.
        command: String,
        /// The deadline that was missed.
        after: Duration,
    },
    /// The monitor was declared unusable earlier; nothing was sent.
    #[error("{0}")]
    Dead(DeadReason),
    /// QEMU closed the monitor while this command waited (QEMU died).
    #[error("QEMU closed the monitor (end of file)")]
    Eof,
    /// QEMU broke the protocol: bad JSON, an over-long line, a malformed reply.
    #[error("QMP protocol error: {0}")]
    Protocol(String),
    /// QEMU answered the command with an error reply.
    #[error("QEMU command '{command}' failed: {desc}")]
    Qemu {
        /// The command name.
        command: String,
        /// QMP's error class (`GenericError`, `CommandNotFound`, `DeviceNotFound`, ...).
        class: String,
        /// QEMU's human-readable description.
        desc: String,
    },
    /// Reading or writing the socket failed.
    #[error("QMP I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The monitor socket could not be connected before the deadline.
    #[error("cannot connect to QEMU monitor at {path}: {source}")]
    Connect {
        /// The socket path.
        path: String,
        /// The last connection error.
        source: std::io::Error,
    },
    /// A reply could not be converted to the typed result.
    #[error("unexpected reply to '{command}': {message}")]
    BadReply {
        /// The command name.
        command: String,
        /// What did not fit.
        message: String,
    },
}

/// A coarse classification of [`Error`], for the driver's mapping to libvirt error numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// QEMU did not answer in time: `VIR_ERR_OPERATION_TIMEOUT`.
    Timeout,
    /// The monitor or QEMU is gone: `VIR_ERR_OPERATION_FAILED`.
    Failed,
    /// QEMU said something we do not understand: `VIR_ERR_INTERNAL_ERROR`.
    Internal,
    /// QEMU does not know the command: `VIR_ERR_OPERATION_UNSUPPORTED`.
    Unsupported,
    /// QEMU refused the command: `VIR_ERR_INTERNAL_ERROR` with QEMU's message.
    QemuRefused,
}

impl Error {
    /// How a caller should classify this error; see the table on [`Error`].
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Timeout { .. } | Error::Dead(DeadReason::TimedOut { .. }) => ErrorClass::Timeout,
            Error::Eof
            | Error::Io(_)
            | Error::Connect { .. }
            | Error::Dead(DeadReason::Eof | DeadReason::Io(_) | DeadReason::Closed) => {
                ErrorClass::Failed
            }
            Error::Protocol(_) | Error::BadReply { .. } | Error::Dead(DeadReason::Protocol(_)) => {
                ErrorClass::Internal
            }
            Error::Qemu { class, .. } if class == "CommandNotFound" => ErrorClass::Unsupported,
            Error::Qemu { .. } => ErrorClass::QemuRefused,
        }
    }

    /// Whether the monitor is unusable after this error (every later call fails fast).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Error::Qemu { .. } | Error::BadReply { .. })
    }
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
