//! Listing domains, as examples 4.4-4.6 of the Python guide do it: the IDs of running domains,
//! the names of every domain (inactive ones by name, running ones through their IDs), and
//! `listAllDomains` with and without filter flags.
//!
//! `cargo run -p rvirt --example listing [URI]` (default `test:///default`).

use rvirt::blocking::Connect;
use rvirt::flags::ConnectListAllDomainsFlags;
use std::io::Write;

/// Prints the listings of the hypervisor at `uri` to `out`.
pub fn run(uri: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let conn = Connect::open(uri)?;

    // Example 4.4: listing active domains.
    let ids = conn.list_domains(i32::MAX)?;
    writeln!(out, "Active domain IDs:")?;
    if ids.is_empty() {
        writeln!(out, "  None")?;
    }
    for id in &ids {
        writeln!(out, "  {id}")?;
    }

    // Example 4.5: inactive domains by name, then the running ones through their IDs.
    let mut names = conn.list_defined_domains(i32::MAX)?;
    for id in &ids {
        names.push(conn.lookup_by_id(*id)?.get_name().to_string());
    }
    writeln!(out, "All (active and inactive) domain names:")?;
    if names.is_empty() {
        writeln!(out, "  None")?;
    }
    for name in &names {
        writeln!(out, "  {name}")?;
    }

    // Example 4.6: fetching all domain objects, then a few of the filters.
    let filters = [
        (
            "All (active and inactive) domain names",
            ConnectListAllDomainsFlags::empty(),
        ),
        ("Running domains", ConnectListAllDomainsFlags::RUNNING),
        (
            "Persistent inactive domains",
            ConnectListAllDomainsFlags::INACTIVE | ConnectListAllDomainsFlags::PERSISTENT,
        ),
        ("Transient domains", ConnectListAllDomainsFlags::TRANSIENT),
    ];
    for (title, flags) in filters {
        writeln!(out, "{title} (listAllDomains, flags {:#x}):", flags.bits())?;
        let domains = conn.list_all_domains(flags)?;
        if domains.is_empty() {
            writeln!(out, "  None")?;
        }
        for dom in &domains {
            writeln!(out, "  {}", dom.get_name())?;
        }
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
