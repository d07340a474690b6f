//! Domain Events (help keyword `events`).

use crate::cmd::{CmdDef, Group};

/// The group.
pub static GROUP: Group = Group {
    name: "Domain Events",
    keyword: "events",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[];
