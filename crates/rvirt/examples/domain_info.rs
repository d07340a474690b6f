//! Obtaining state information about a domain (section 4.3 of the Python guide): its ID, UUID,
//! OS type, snapshot and managed-save flags, memory and vCPU limits, whether it is active and
//! persistent, `info()` and `state()`.
//!
//! `cargo run -p rvirt --example domain_info [URI [DOMAIN]]` (defaults `test:///default`, `test`).

use rvirt::blocking::Connect;
use rvirt::flags::DomainState;
use std::io::Write;

/// libvirt's name of a domain state, as the guide prints it.
pub fn state_name(state: DomainState) -> String {
    match state.name() {
        Some(n) => format!("VIR_DOMAIN_{n}"),
        None => format!("unknown state {}", state.0),
    }
}

/// Prints what the guide's examples 43-57 print about domain `name` at `uri`.
pub fn run(uri: &str, name: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let conn = Connect::open(uri)?;
    let dom = conn.lookup_by_name(name)?;

    writeln!(out, "Domain {}:", dom.get_name())?;
    match dom.get_id() {
        -1 => writeln!(out, "The domain is not running so has no ID.")?,
        id => writeln!(out, "The ID of the domain is {id}")?,
    }
    writeln!(out, "The UUID of the domain is {}", dom.get_uuid_string())?;
    writeln!(
        out,
        "The OS type of the domain is \"{}\"",
        dom.get_os_type()?
    )?;
    writeln!(
        out,
        "The value of the current snapshot flag is {}",
        dom.has_current_snapshot(0)?
    )?;
    writeln!(
        out,
        "The value of the managed save images flag is {}",
        dom.has_managed_save_image(0)?
    )?;
    if dom.is_active()? {
        writeln!(out, "The domain is active.")?;
    } else {
        writeln!(out, "The domain is not active.")?;
    }
    if dom.is_persistent()? {
        writeln!(out, "The domain is persistent.")?;
    } else {
        writeln!(out, "The domain is not persistent.")?;
    }
    writeln!(
        out,
        "The max memory of the domain is {} KiB",
        dom.get_max_memory()?
    )?;
    if dom.is_active()? {
        writeln!(
            out,
            "The max vcpus of the domain is {}",
            dom.get_max_vcpus()?
        )?;
    }

    let info = dom.get_info()?;
    writeln!(out, "The state is {}", info.state.0)?;
    writeln!(out, "The max memory is {}", info.max_mem)?;
    writeln!(out, "The memory is {}", info.memory)?;
    writeln!(out, "The number of cpus is {}", info.nr_virt_cpu)?;

    let (state, reason) = dom.get_state(0)?;
    writeln!(out, "The state is {}", state_name(state))?;
    writeln!(out, "The reason code is {reason}")?;
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
