//! virsh's job progress bar (`--verbose` on save, restore, managedsave): drawn on stderr, only
//! when stdout is a terminal, as `\rSave: [ 42 %]`.

use crate::ctl::Ctl;

/// Draws `label: [NNN %]` for `percent` (0..=100) when the bar should be shown.
pub fn draw(ctl: &mut Ctl, label: &str, percent: u64) {
    ctl.print_err(&line(label, percent));
}

/// The text of one step of the bar.
pub fn line(label: &str, percent: u64) -> String {
    let p = percent.min(100);
    if p == 100 {
        format!("\r{label}: [100 %]\n")
    } else {
        format!("\r{label}: [{p:>3} %]")
    }
}

/// Whether a command asked for a bar and may draw one: `--verbose`, and stdout a terminal.
pub fn wanted(ctl: &Ctl, verbose: bool) -> bool {
    verbose && ctl.stdout_tty
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_text() {
        assert_eq!(line("Save", 0), "\rSave: [  0 %]");
        assert_eq!(line("Save", 42), "\rSave: [ 42 %]");
        assert_eq!(line("Save", 100), "\rSave: [100 %]\n");
        assert_eq!(line("Save", 250), "\rSave: [100 %]\n");
    }
}
