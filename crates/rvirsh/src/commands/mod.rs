//! The command groups, one file each, in virsh's order. A group file declares its commands
//! (name, texts, options, as `tools/transcribe_virsh_commands.py` prints them from libvirt's
//! tables) and holds their handlers; adding a command is declaring it here.

use crate::cmd::Group;

mod blockjob;
pub mod checkpoint;
mod device;
pub mod domain;
pub mod events;
mod guest;
pub mod host;
pub mod interface;
mod job;
mod moment;
pub mod monitor;
pub mod network;
mod network_port;
pub mod nodedev;
mod pin;
pub mod pool;
pub mod snapshot;
mod tuning;
pub mod virsh;
pub mod volume;

/// Every group rvirsh has, in the order `help` lists them.
pub static GROUPS: &[&Group] = &[
    &domain::GROUP,
    &monitor::GROUP,
    &events::GROUP,
    &host::GROUP,
    &checkpoint::GROUP,
    &interface::GROUP,
    &network::GROUP,
    &nodedev::GROUP,
    &snapshot::GROUP,
    &pool::GROUP,
    &volume::GROUP,
    &virsh::GROUP,
];
