//! Arbitrary text as a domain definition: parse, post-parse defaults and validation, then (when
//! it parses) format and re-parse, which must succeed and format to the same text.
//!
//! `cargo +nightly fuzz run domain_xml` (from the repository root).

#![no_main]

use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(def) = DomainDef::parse_xml(text, ParseOptions::default()) else {
        return;
    };
    let once = def.format_xml(FormatOptions::default());
    let again = DomainDef::parse_xml(&once, ParseOptions::default())
        .expect("formatted XML parses again")
        .format_xml(FormatOptions::default());
    assert_eq!(once, again, "format is not a fixed point");
});
