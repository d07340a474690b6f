//! Snapshot (help keyword `snapshot`).

use crate::cmd::{CmdDef, Group};

/// The group.
pub static GROUP: Group = Group {
    name: "Snapshot",
    keyword: "snapshot",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[];
