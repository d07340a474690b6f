//! virsh's job progress bar (`--verbose` on save, managedsave): `\rSave: [ 42 %]` on stderr.
//! As in virsh, the steps while a job runs are drawn only on a terminal, and the final
//! `[100 %]` whenever `--verbose` was given (virsh prints it even when piped).

use crate::ctl::Ctl;

/// Draws `label: [NNN %]` for `percent` (0..=100) when the bar should be shown.
pub fn draw(ctl: &mut Ctl, label: &str, percent: u64) {
    ctl.print_err(&line(label, percent));
}

/// The text of one step of the bar.
pub fn line(label: &str, percent: u64) -> String {
    format!("\r{label}: [{:>3} %]", percent.min(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_text() {
        assert_eq!(line("Save", 0), "\rSave: [  0 %]");
        assert_eq!(line("Save", 42), "\rSave: [ 42 %]");
        assert_eq!(line("Save", 100), "\rSave: [100 %]");
        assert_eq!(line("Save", 250), "\rSave: [100 %]");
    }
}
