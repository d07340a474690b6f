//! The entry points of the XML fuzz targets (`fuzz/fuzz_targets/*_xml.rs`), one per parser.
//!
//! Each takes arbitrary bytes as a document and must never panic. Whatever parses must format,
//! parse again and format to the same text: formatting is a fixed point, so a document rvirt
//! wrote is always one it reads back unchanged. The stable smoke test
//! `crates/rvirt-conf/tests/fuzz_smoke.rs` runs the same functions on mutated corpus documents.

use crate::checkpoint::{CheckpointDef, CheckpointFormatOptions, CheckpointParseOptions};
use crate::networkport::NetworkPortDef;
use crate::node::NodeDef;
use crate::snapshot::SnapshotParseOptions;
use crate::storage::{PoolDef, VolDef};
use crate::{DomainDef, FormatOptions, InterfaceDef, NetworkDef, ParseOptions, SnapshotDef};

/// Checks what formatting `first` (the formatted text of a parsed input) leads to: it parses
/// again, and formatting the result reaches a fixed point. The check is on the second
/// formatting because libvirt's own is not always one after the first: implicit controllers
/// are appended at the end of the list, and a re-parse sorts them in by index (rvirt prints
/// what libvirt prints, so it does the same).
fn fixed_point(what: &str, first: &str, reformat: impl Fn(&str) -> Result<String, String>) {
    let second = match reformat(first) {
        Ok(t) => t,
        Err(e) => panic!("{what}: formatted XML does not parse again: {e}\n{first}"),
    };
    match reformat(&second) {
        Ok(third) => assert_eq!(second, third, "{what}: format is not a fixed point"),
        Err(e) => panic!("{what}: formatted XML does not parse again: {e}\n{second}"),
    }
}

/// A domain definition: parse (defaults, validation), then format both the live-style and the
/// inactive, secure view, each a fixed point. Returns whether the text parsed.
pub fn fuzz_domain(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(mut def) = DomainDef::parse_xml(text, ParseOptions::default()) else {
        return false;
    };
    def.test_generate_ifnames();
    for opts in [
        FormatOptions::default(),
        FormatOptions {
            inactive: true,
            secure: true,
            ..FormatOptions::default()
        },
    ] {
        let once = def.format_xml(opts);
        fixed_point("domain", &once, |t| {
            DomainDef::parse_xml(t, ParseOptions::default())
                .map(|d| d.format_xml(opts))
                .map_err(|e| e.to_string())
        });
    }
    true
}

/// Arbitrary bytes validated as a domain document against libvirt's `domain.rng` (rvirt's own
/// RELAX NG validator, `rvirt-rng`), as `VIR_DOMAIN_DEFINE_VALIDATE` does: the validator must
/// neither panic nor run away, whatever the document. An invalid document must be refused
/// with libvirt's schema error. Returns whether the document is valid (`false` too when the
/// schema is not installed).
pub fn fuzz_domain_schema(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    match DomainDef::validate_xml(text) {
        Ok(()) => true,
        Err(e) => {
            assert!(
                matches!(
                    e.code,
                    rvirt_types::ErrorNumber::XML_INVALID_SCHEMA
                        | rvirt_types::ErrorNumber::XML_ERROR
                        | rvirt_types::ErrorNumber::XML_DETAIL
                        | rvirt_types::ErrorNumber::INTERNAL_ERROR
                ),
                "schema validation failed with an unexpected error: {e:?}"
            );
            false
        }
    }
}

/// A virtual network definition. Returns whether the text parsed.
pub fn fuzz_network(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(def) = NetworkDef::parse_xml(text) else {
        return false;
    };
    let once = def.format();
    fixed_point("network", &once, |t| {
        NetworkDef::parse_xml(t)
            .map(|d| d.format())
            .map_err(|e| e.to_string())
    });
    true
}

/// A network port definition. Returns whether the text parsed.
pub fn fuzz_network_port(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(def) = NetworkPortDef::parse_xml(text) else {
        return false;
    };
    let once = def.format();
    // libvirt prints a PCI function as `0x` and its decimal digits, and checks the function
    // only when domain, bus or slot is set: function 10 at 0000:00:00 reads back as 16. rvirt
    // prints the same, so only such a port may drift.
    if let crate::networkport::PortPlug::HostdevPci { addr, .. } = def.plug {
        if addr[..3] == [0, 0, 0] && addr[3] > 9 {
            return true;
        }
    }
    // libvirt leaves a zero rate out, so `average='0'` with a peak or burst (or a rate of
    // zeros only) prints a rate it refuses to read back; rvirt prints the same.
    let drifts = |r: &crate::network::BandwidthRate| {
        r.average == 0 && (r.peak != 0 || r.burst != 0 || r.floor == 0)
    };
    if let Some(b) = &def.bandwidth {
        if b.inbound.iter().chain(b.outbound.iter()).any(drifts) {
            return true;
        }
    }
    fixed_point("networkport", &once, |t| {
        NetworkPortDef::parse_xml(t)
            .map(|d| d.format())
            .map_err(|e| e.to_string())
    });
    true
}

/// A host interface definition. Returns whether the text parsed.
pub fn fuzz_interface(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(def) = InterfaceDef::parse_xml(text) else {
        return false;
    };
    let once = def.format();
    // libvirt prints an interface's values (but its name) unescaped, so a value holding
    // markup makes output that is not XML; rvirt prints the same bytes. Only that may fail.
    if roxmltree::Document::parse(&once).is_err() {
        assert!(
            text.contains('&') || (text.contains('\'') && text.contains('"')),
            "interface: output is not XML although no input value held markup:\n{once}"
        );
        return true;
    }
    fixed_point("interface", &once, |t| {
        InterfaceDef::parse_xml(t)
            .map(|d| d.format())
            .map_err(|e| e.to_string())
    });
    true
}

/// A storage pool definition. Returns whether the text parsed.
pub fn fuzz_pool(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(def) = PoolDef::parse_xml(text) else {
        return false;
    };
    let once = def.format_xml();
    fixed_point("pool", &once, |t| {
        PoolDef::parse_xml(t)
            .map(|d| d.format_xml())
            .map_err(|e| e.to_string())
    });
    true
}

/// A storage volume definition, in a directory pool and in a disk pool (whose volumes are
/// parsed differently). Returns whether the text parsed in either.
pub fn fuzz_volume(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let mut parsed = false;
    for pool in [
        "<pool type='dir'><name>p</name><target><path>/p</path></target></pool>",
        "<pool type='disk'><name>d</name><source><device path='/dev/sdz'/></source>\
         <target><path>/dev</path></target></pool>",
    ] {
        let Ok(pool) = PoolDef::parse_xml(pool) else {
            panic!("the fuzz harness's own pool does not parse");
        };
        let Ok(def) = VolDef::parse_xml(&pool, text) else {
            continue;
        };
        parsed = true;
        let once = def.format_xml(&pool);
        fixed_point("volume", &once, |t| {
            VolDef::parse_xml(&pool, t)
                .map(|d| d.format_xml(&pool))
                .map_err(|e| e.to_string())
        });
    }
    parsed
}

/// A domain snapshot document, as created and as redefined; what parses formats (in the
/// driver's internal layout, with the embedded domain inactive) to text that a redefine reads
/// back to the same text. Returns whether the text parsed either way.
pub fn fuzz_snapshot(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let domain_opts = FormatOptions {
        inactive: true,
        secure: true,
        ..FormatOptions::default()
    };
    let redefine = SnapshotParseOptions {
        redefine: true,
        now: 0,
    };
    let mut parsed = false;
    for opts in [
        SnapshotParseOptions {
            redefine: false,
            now: 1_700_000_000,
        },
        redefine,
    ] {
        let Ok(mut def) = SnapshotDef::parse_xml(text, opts) else {
            continue;
        };
        parsed = true;
        // A driver records the domain's state in every snapshot it keeps.
        def.state.get_or_insert_with(|| "running".into());
        if def.creation_time == 0 {
            // Not printed (as libvirt does not), so the text cannot be redefined again.
            continue;
        }
        let once = def.format_xml(domain_opts, true);
        fixed_point("snapshot", &once, |t| {
            SnapshotDef::parse_xml(t, redefine)
                .map(|d| d.format_xml(domain_opts, true))
                .map_err(|e| e.to_string())
        });
    }
    parsed
}

/// A test driver node document (`test:///PATH.xml`): domains, networks, pools, interfaces
/// and node devices inline; a `file='…'` reference loads nothing. Must not panic. Returns
/// whether the text parsed.
pub fn fuzz_node(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    NodeDef::parse_xml(text, &|_| {
        Err(crate::xml::xml_error("no files while fuzzing"))
    })
    .is_ok()
}

/// A domain checkpoint document, as created and as redefined (schema check included); what
/// parses formats (full, secure, without the domain) to a fixed point when redefined.
pub fn fuzz_checkpoint(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let redefine = CheckpointParseOptions {
        redefine: true,
        now: 0,
    };
    // The schema check once, then both readings of the checked document.
    if CheckpointDef::validate_xml(text).is_err() {
        return false;
    }
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return false;
    };
    let mut parsed = false;
    for opts in [
        CheckpointParseOptions {
            redefine: false,
            now: 1_700_000_000,
        },
        redefine,
    ] {
        let Ok(mut def) = CheckpointDef::parse_node(doc.root_element(), opts) else {
            continue;
        };
        parsed = true;
        // A driver either aligns the disks with the domain or names the bitmaps.
        if def.domain.is_none() || def.align_disks().is_err() {
            def.assign_bitmap_names();
        }
        if def.creation_time == 0 {
            // Not printed (as libvirt does not), so the text cannot be redefined again.
            continue;
        }
        for fo in [
            CheckpointFormatOptions::default(),
            CheckpointFormatOptions {
                secure: true,
                no_domain: true,
                size: true,
            },
        ] {
            let once = def.format_xml(fo);
            fixed_point("checkpoint", &once, |t| {
                CheckpointDef::parse_xml(t, redefine)
                    .map(|d| d.format_xml(fo))
                    .map_err(|e| e.to_string())
            });
        }
    }
    parsed
}
