//! rvirtd: libvirt's RPC protocol over unix sockets, TCP and TLS, serving rvirt's drivers to unmodified
//! libvirt clients (virsh, python3-libvirt, virt-install, ...).
//!
//! One task per client reads packets; each call runs in its own task, bounded per client by
//! `max_client_requests` and across clients by `max_workers` (high-priority procedures skip the
//! shared bound, as in libvirtd), so a slow call on one connection never delays another. Replies
//! and events leave through a per-client writer task.

pub mod config;
mod dispatch;
pub mod logging;
pub mod server;
mod session;
mod stream;
mod tls;
mod trim;

pub use config::Config;
pub use server::{RunOptions, run};
