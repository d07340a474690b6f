//! The interactive shell: greeting, prompt, history and completion.

use crate::ctl::Ctl;

/// Runs the read-eval loop until `quit` or end of input.
pub fn interactive(ctl: &mut Ctl, progname: &str) {
    let _ = (ctl, progname);
}
