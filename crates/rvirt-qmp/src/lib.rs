//! A client for QMP, the QEMU Machine Protocol. It knows nothing of libvirt: the QEMU driver
//! builds on it and maps its errors (see [`Error`] for the recommended mapping).
//!
//! - [`Monitor`]: one connection. The greeting is read and `qmp_capabilities` negotiated on
//!   connect; a reader task splits lines under a cap ([`MonitorOptions::max_line`]), routes
//!   replies to the waiting command (in order, or by `id` for raw commands) and events to
//!   subscribers ([`Monitor::events`]).
//!   Every command has a deadline; the first missed deadline, EOF or protocol violation marks
//!   the monitor dead and every later call fails at once ([`Error::Dead`]).
//! - Typed commands ([`Monitor::query_status`], [`Monitor::migrate`], [`Monitor::getfd`] with
//!   SCM_RIGHTS descriptor passing, ...) and typed events ([`Event::kind`]).
//! - [`probe`]: what a QEMU binary offers (machines, CPU models, KVM, commands), with an
//!   on-disk cache keyed by binary path and modification time ([`probe_cached`]).
//! - [`Agent`]: the guest agent behind a domain's `org.qemu.guest_agent.0` channel, each
//!   connection brought in step with `guest-sync-delimited`, a deadline on every command.
//! - [`Pidfd`]: process exit noticed immediately through a pidfd, for our children and for
//!   processes we reattach to.

mod agent;
mod commands;
mod error;
mod event;
mod fdpass;
pub mod fuzzing;
mod monitor;
mod probe;
mod process;
mod types;
mod wire;

pub use agent::{AGENT_MAX_REPLY, AGENT_SYNC_TIMEOUT, Agent, AgentError};
pub use commands::SnapshotJob;
pub use error::{DeadReason, Error, ErrorClass, Result};
pub use event::{BlockJobInfo, Event, EventKind};
pub use monitor::{EventReceiver, Monitor, MonitorOptions};
pub use probe::{
    AccelCpus, HostCpuExpansion, ProbeError, ProbeResult, probe, probe_accel_cpus, probe_cached,
    probe_monitor,
};
pub use process::{ExitInfo, Pidfd, close_on_exec_from};
pub use types::*;
pub use wire::{
    DEFAULT_MAX_LINE, Greeting, LineSplitter, LineTooLong, Message, QemuVersion, parse_message,
};
