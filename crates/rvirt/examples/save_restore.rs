//! Saving and restoring a guest (examples 4.29-4.30 of the Python guide), then the managed save
//! that the next start resumes from.
//!
//! `cargo run -p rvirt --example save_restore [URI [DOMAIN]]` (defaults `test:///default`,
//! `test`). The save image goes to a file in the temporary directory, removed afterwards.

use rvirt::blocking::Connect;
use rvirt::flags::DomainSaveRestoreFlags;
use std::io::Write;

/// Saves, restores and managed-saves domain `name` at `uri`.
pub fn run(uri: &str, name: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let path =
        std::env::temp_dir().join(format!("rvirt-example-{}-{name}.img", std::process::id()));
    let filename = path.to_string_lossy().into_owned();
    let result = save_and_restore(uri, name, &filename, out);
    // The image is ours: do not leave it behind, whatever happened.
    let _ = std::fs::remove_file(&path);
    result
}

fn save_and_restore(
    uri: &str,
    name: &str,
    filename: &str,
    out: &mut dyn Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let conn = Connect::open(uri)?;
    let dom = conn.lookup_by_name(name)?;

    if !dom.is_active()? {
        dom.create()?;
        writeln!(out, "Guest {name} was not running; started it")?;
    }

    // Example 4.29: saving a guest domain.
    dom.save(filename)?;
    writeln!(out, "Guest state saved")?;
    writeln!(out, "  active after save: {}", dom.is_active()?)?;

    // Example 4.30: restoring it.
    conn.restore(filename)?;
    let dom = conn.lookup_by_name(name)?;
    writeln!(out, "Guest state restored")?;
    writeln!(out, "  running again with ID {}", dom.get_id())?;

    // Managed save: libvirt picks the file, and the next start resumes from it.
    dom.managed_save(DomainSaveRestoreFlags::empty())?;
    writeln!(out, "Guest state saved by managed save")?;
    writeln!(
        out,
        "  has a managed save image: {}",
        dom.has_managed_save_image(0)?
    )?;
    dom.create()?;
    let (state, reason) = dom.get_state(0)?;
    writeln!(
        out,
        "Guest started from its managed save image (state {}, reason {reason})",
        state.0
    )?;
    writeln!(
        out,
        "  has a managed save image: {}",
        dom.has_managed_save_image(0)?
    )?;
    Ok(())
}

#[allow(dead_code)]
fn main() {
    let mut args = std::env::args().skip(1);
    let uri = args.next().unwrap_or_else(|| "test:///default".to_string());
    let name = args.next().unwrap_or_else(|| "test".to_string());
    if let Err(e) = run(&uri, &name, &mut std::io::stdout()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
