//! Domain Management (help keyword `domain`).

use crate::cmd::{CmdDef, Group};

/// The group.
pub static GROUP: Group = Group {
    name: "Domain Management",
    keyword: "domain",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[];
