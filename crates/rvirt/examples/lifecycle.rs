//! The life of a persistent guest (section 4.4 of the Python guide): define it from XML, boot it,
//! pause and resume it, shut it down, boot it again, destroy it and undefine it, printing its
//! state after every step.
//!
//! `cargo run -p rvirt --example lifecycle [URI]` (default `test:///default`).

use rvirt::blocking::{Connect, Domain};
use std::io::Write;

/// The guest this example provisions.
pub const DEMO_XML: &str = "<domain type='test'>
  <name>demo</name>
  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>524288</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
</domain>";

fn print_state(dom: &Domain, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let (state, reason) = dom.get_state(0)?;
    let name = state
        .name()
        .map(|n| format!("VIR_DOMAIN_{n}"))
        .unwrap_or_else(|| state.0.to_string());
    writeln!(
        out,
        "  state {name} (reason {reason}), active: {}",
        dom.is_active()?
    )?;
    Ok(())
}

/// Takes the demo guest through its whole life on the hypervisor at `uri`.
pub fn run(uri: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let conn = Connect::open(uri)?;

    let dom = conn.define_xml(DEMO_XML)?;
    writeln!(out, "Guest {} has been defined", dom.get_name())?;
    print_state(&dom, out)?;

    dom.create()?;
    writeln!(out, "Guest {} has booted", dom.get_name())?;
    print_state(&dom, out)?;

    dom.suspend()?;
    writeln!(out, "Guest {} has been suspended", dom.get_name())?;
    print_state(&dom, out)?;

    dom.resume()?;
    writeln!(out, "Guest {} has been resumed", dom.get_name())?;
    print_state(&dom, out)?;

    dom.shutdown()?;
    writeln!(out, "Guest {} has been shut down", dom.get_name())?;
    print_state(&dom, out)?;

    dom.create()?;
    writeln!(out, "Guest {} has booted again", dom.get_name())?;
    print_state(&dom, out)?;

    dom.destroy()?;
    writeln!(out, "Guest {} has been destroyed", dom.get_name())?;
    print_state(&dom, out)?;

    dom.undefine()?;
    writeln!(out, "Guest {} has been undefined", dom.get_name())?;
    match conn.lookup_by_name("demo") {
        Ok(_) => writeln!(out, "  (still defined?)")?,
        Err(e) => writeln!(out, "  lookup now fails: {e}")?,
    }
    Ok(())
}

#[allow(dead_code)]
fn main() {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "test:///default".to_string());
    if let Err(e) = run(&uri, &mut std::io::stdout()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
