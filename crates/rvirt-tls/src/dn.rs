//! A certificate's distinguished name as libvirt sees it, and libvirt's `tls_allowed_dn_list`
//! match.
//!
//! libvirt takes the subject from `gnutls_x509_crt_get_dn`: the relative distinguished names in
//! the order the certificate encodes them (country first for the usual `C=GB,ST=London,…,CN=x`
//! subject, the reverse of RFC 4514's order), `+` between the attributes of a multi-valued one,
//! gnutls's short names (`C`, `ST`, `L`, `O`, `OU`, `CN`, `EMAIL`, `DC`, `UID`, …) and RFC 4514's
//! backslash escapes. The list's entries are GLib "simple patterns": `*` matches any run of
//! characters, `?` any one character, and nothing else is special.

/// One DER element: its tag, its content, and the whole encoding (tag and length included).
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads DER elements one after another from a slice; `None` on anything malformed.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    fn next(&mut self) -> Option<Tlv<'a>> {
        let data = self.0;
        let tag = *data.first()?;
        if tag & 0x1f == 0x1f {
            // High tag numbers never occur in the parts of a certificate read here.
            return None;
        }
        let first = *data.get(1)?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for &b in data.get(2..2 + n)? {
                len = (len << 8) | usize::from(b);
            }
            (len, 2 + n)
        };
        let end = header.checked_add(len)?;
        let whole = data.get(..end)?;
        self.0 = &data[end..];
        Some(Tlv {
            tag,
            content: &whole[header..],
            whole,
        })
    }

    /// The next element, which must have `tag`.
    fn expect(&mut self, tag: u8) -> Option<Tlv<'a>> {
        self.next().filter(|t| t.tag == tag)
    }
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;

/// The dotted form of an object identifier's content octets.
fn oid_string(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for (i, &b) in content.iter().enumerate() {
        value = value.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        } else if i + 1 == content.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// gnutls's name for an attribute type, if it has one.
fn attribute_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.6" => "C",
        "2.5.4.8" => "ST",
        "2.5.4.7" => "L",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.3" => "CN",
        "2.5.4.9" => "street",
        "2.5.4.17" => "postalCode",
        "2.5.4.5" => "serialNumber",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.4" => "surName",
        "2.5.4.42" => "givenName",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.41" => "name",
        "2.5.4.15" => "businessCategory",
        "2.5.4.16" => "postalAddress",
        "2.5.4.20" => "telephoneNumber",
        "1.2.840.113549.1.9.1" => "EMAIL",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionOfIncorporationLocalityName",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionOfIncorporationStateOrProvinceName",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionOfIncorporationCountryName",
        _ => return None,
    })
}

/// The text of a directory string, or `None` for a value that is not one.
fn string_value(tlv: &Tlv<'_>) -> Option<String> {
    match tlv.tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString.
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => String::from_utf8(tlv.content.to_vec()).ok(),
        // TeletexString: in practice Latin-1.
        0x14 => Some(tlv.content.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16BE.
        0x1e => {
            if tlv.content.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = tlv
                .content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UTF-32BE.
        0x1c => {
            if tlv.content.len() % 4 != 0 {
                return None;
            }
            tlv.content
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// RFC 4514's escapes, as gnutls applies them.
fn escape(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The parts of a DER certificate's `TBSCertificate` from the subject on: the subject's
/// content, and a reader positioned after it (at the public key).
fn subject_and_rest(cert_der: &[u8]) -> Option<(&[u8], Der<'_>)> {
    let cert = Der(cert_der).expect(SEQUENCE)?;
    let tbs = Der(cert.content).expect(SEQUENCE)?;
    let mut fields = Der(tbs.content);
    let mut next = fields.next()?;
    if next.tag == 0xa0 {
        // [0] version
        next = fields.next()?;
    }
    // next is the serial number; then the signature algorithm, issuer, validity, subject.
    if next.tag != 0x02 {
        return None;
    }
    fields.expect(SEQUENCE)?;
    fields.expect(SEQUENCE)?;
    fields.expect(SEQUENCE)?;
    let subject = fields.expect(SEQUENCE)?;
    Some((subject.content, fields))
}

/// The subject of a DER certificate in libvirt's format, e.g.
/// `C=GB,ST=London,L=London,O=Libvirt Project,CN=client`; `None` if the certificate cannot be
/// read.
pub fn subject_dn(cert_der: &[u8]) -> Option<String> {
    format_name(subject_and_rest(cert_der)?.0)
}

/// The object identifier of the subjectAltName extension (2.5.29.17), DER content octets.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
/// The object identifier of the commonName attribute (2.5.4.3), DER content octets.
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

/// The names a certificate is for when it has no subjectAltName extension: its subject's
/// common names. gnutls (and so libvirt) falls back to them in that case only; a certificate
/// with the extension is checked against the extension alone, which rustls already did.
/// Empty when the extension is present or the certificate cannot be read.
pub fn fallback_common_names(cert_der: &[u8]) -> Vec<String> {
    let Some((subject, mut rest)) = subject_and_rest(cert_der) else {
        return Vec::new();
    };
    // subjectPublicKeyInfo, then optional [1] and [2] unique ids and [3] extensions.
    if rest.expect(SEQUENCE).is_none() {
        return Vec::new();
    }
    while let Some(field) = rest.next() {
        if field.tag != 0xa3 {
            continue;
        }
        let Some(list) = Der(field.content).expect(SEQUENCE) else {
            return Vec::new();
        };
        let mut exts = Der(list.content);
        while !exts.0.is_empty() {
            let Some(ext) = exts.expect(SEQUENCE) else {
                return Vec::new();
            };
            match Der(ext.content).expect(OID) {
                Some(oid) if oid.content == SUBJECT_ALT_NAME => return Vec::new(),
                Some(_) => {}
                None => return Vec::new(),
            }
        }
    }
    let mut names = Vec::new();
    let mut rdns = Der(subject);
    while let Some(rdn) = rdns.expect(SET) {
        let mut atvs = Der(rdn.content);
        while let Some(atv) = atvs.expect(SEQUENCE) {
            let mut parts = Der(atv.content);
            if parts.expect(OID).is_some_and(|o| o.content == COMMON_NAME)
                && let Some(text) = parts.next().as_ref().and_then(string_value)
            {
                names.push(text);
            }
        }
    }
    names
}

/// Whether a certificate name (a common name used as a host name) matches `hostname` as gnutls
/// compares them: without regard to ASCII case, and with a leading `*.` standing for exactly
/// one label of a DNS name (never for an IP address).
pub fn host_name_matches(cert_name: &str, hostname: &str) -> bool {
    if cert_name.eq_ignore_ascii_case(hostname) {
        return true;
    }
    let Some(suffix) = cert_name.strip_prefix("*.") else {
        return false;
    };
    if hostname.parse::<std::net::IpAddr>().is_ok() || !suffix.contains('.') {
        return false;
    }
    hostname
        .split_once('.')
        .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix))
}

/// Formats the content of an X.501 `Name` (a sequence of RDN sets).
fn format_name(name: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut rdns = Der(name);
    while !rdns.0.is_empty() {
        let rdn = rdns.expect(SET)?;
        if !out.is_empty() {
            out.push(',');
        }
        let mut atvs = Der(rdn.content);
        let mut first = true;
        while !atvs.0.is_empty() {
            let atv = atvs.expect(SEQUENCE)?;
            let mut parts = Der(atv.content);
            let oid = oid_string(parts.expect(OID)?.content)?;
            let value = parts.next()?;
            if !first {
                out.push('+');
            }
            first = false;
            match (attribute_name(&oid), string_value(&value)) {
                (Some(name), Some(text)) => {
                    out.push_str(name);
                    out.push('=');
                    escape(&text, &mut out);
                }
                // Unknown types, or values that are not strings: the dotted type and the
                // value's whole encoding in hex, as RFC 4514 says.
                (name, _) => {
                    out.push_str(name.unwrap_or(&oid));
                    out.push_str("=#");
                    for b in value.whole {
                        out.push_str(&format!("{b:02x}"));
                    }
                }
            }
        }
    }
    Some(out)
}

/// GLib's `g_pattern_match_simple`: `*` matches any run of characters (none included), `?`
/// exactly one character; everything else matches itself.
pub fn pattern_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it has been tried up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether `dn` is allowed by `tls_allowed_dn_list`: it matches one of the patterns. An empty
/// list allows nobody, as in libvirt.
pub fn allowed(dn: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| pattern_match(p, dn))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A DER element.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if content.len() < 128 {
            v.push(content.len() as u8);
        } else {
            v.push(0x82);
            v.extend_from_slice(&(content.len() as u16).to_be_bytes());
        }
        v.extend_from_slice(content);
        v
    }

    fn atv(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        tlv(SEQUENCE, &[tlv(OID, oid), tlv(tag, value)].concat())
    }

    /// A certificate shell with `subject` as its subject (nothing else is read).
    fn cert_with_subject(rdns: &[Vec<Vec<u8>>]) -> Vec<u8> {
        let name: Vec<u8> = rdns
            .iter()
            .flat_map(|rdn| tlv(SET, &rdn.concat()))
            .collect();
        let tbs = [
            tlv(0xa0, &tlv(0x02, &[2])),
            tlv(0x02, &[1]),
            tlv(SEQUENCE, &[]),
            tlv(SEQUENCE, &[]),
            tlv(SEQUENCE, &[]),
            tlv(SEQUENCE, &name),
            tlv(SEQUENCE, &[]),
        ]
        .concat();
        tlv(
            SEQUENCE,
            &[tlv(SEQUENCE, &tbs), tlv(SEQUENCE, &[]), tlv(0x03, &[0])].concat(),
        )
    }

    /// [`cert_with_subject`] with an extensions field holding extensions of these types.
    fn cert_with_extensions(rdns: &[Vec<Vec<u8>>], ext_oids: &[&[u8]]) -> Vec<u8> {
        let name: Vec<u8> = rdns
            .iter()
            .flat_map(|rdn| tlv(SET, &rdn.concat()))
            .collect();
        let exts: Vec<u8> = ext_oids
            .iter()
            .flat_map(|oid| tlv(SEQUENCE, &[tlv(OID, oid), tlv(0x04, &[0x30, 0])].concat()))
            .collect();
        let tbs = [
            tlv(0xa0, &tlv(0x02, &[2])),
            tlv(0x02, &[1]),
            tlv(SEQUENCE, &[]),
            tlv(SEQUENCE, &[]),
            tlv(SEQUENCE, &[]),
            tlv(SEQUENCE, &name),
            tlv(SEQUENCE, &[]),
            tlv(0xa3, &tlv(SEQUENCE, &exts)),
        ]
        .concat();
        tlv(
            SEQUENCE,
            &[tlv(SEQUENCE, &tbs), tlv(SEQUENCE, &[]), tlv(0x03, &[0])].concat(),
        )
    }

    #[test]
    fn common_names_are_the_fallback_only_without_subject_alt_name() {
        let subject = [
            vec![atv(O, 0x0c, b"rvirt")],
            vec![atv(CN, 0x0c, b"host.example")],
        ];
        let basic_constraints: &[u8] = &[0x55, 0x1d, 0x13];
        assert_eq!(
            fallback_common_names(&cert_with_extensions(&subject, &[basic_constraints])),
            ["host.example"]
        );
        assert_eq!(
            fallback_common_names(&cert_with_subject(&subject)),
            ["host.example"]
        );
        assert!(
            fallback_common_names(&cert_with_extensions(
                &subject,
                &[basic_constraints, SUBJECT_ALT_NAME]
            ))
            .is_empty()
        );
        assert!(fallback_common_names(b"\x30\x03garbage").is_empty());
    }

    #[test]
    fn host_names_compare_as_gnutls_compares_them() {
        assert!(host_name_matches("LocalHost", "localhost"));
        assert!(host_name_matches("*.example.org", "virt1.Example.org"));
        assert!(!host_name_matches("*.example.org", "a.b.example.org"));
        assert!(!host_name_matches("*.example.org", "example.org"));
        assert!(!host_name_matches("*.org", "example.org"));
        assert!(!host_name_matches("*.0.0.1", "127.0.0.1"));
        assert!(host_name_matches("127.0.0.1", "127.0.0.1"));
        assert!(!host_name_matches("elsewhere.example", "localhost"));
    }

    const C: &[u8] = &[0x55, 4, 6];
    const ST: &[u8] = &[0x55, 4, 8];
    const L: &[u8] = &[0x55, 4, 7];
    const O: &[u8] = &[0x55, 4, 10];
    const OU: &[u8] = &[0x55, 4, 11];
    const CN: &[u8] = &[0x55, 4, 3];
    const EMAIL: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 9, 1];

    #[test]
    fn the_usual_client_subject() {
        let c = cert_with_subject(&[
            vec![atv(C, 0x13, b"GB")],
            vec![atv(ST, 0x0c, b"London")],
            vec![atv(L, 0x0c, b"London")],
            vec![atv(O, 0x0c, b"Libvirt Project")],
            vec![atv(CN, 0x0c, b"client")],
        ]);
        assert_eq!(
            subject_dn(&c).unwrap(),
            "C=GB,ST=London,L=London,O=Libvirt Project,CN=client"
        );
    }

    #[test]
    fn escapes_multi_valued_and_unknown_attributes_as_gnutls_prints_them() {
        // What virt-pki-query-dn printed for certificates made with openssl.
        let c = cert_with_subject(&[
            vec![atv(C, 0x13, b"GB")],
            vec![atv(OU, 0x0c, b"x"), atv(O, 0x0c, b"A, B")],
            vec![atv(OU, 0x0c, b"Unit #1")],
            vec![atv(EMAIL, 0x16, b"a@b.c")],
            vec![atv(CN, 0x0c, b"cl=ie\"nt;z")],
        ]);
        assert_eq!(
            subject_dn(&c).unwrap(),
            r#"C=GB,OU=x+O=A\, B,OU=Unit #1,EMAIL=a@b.c,CN=cl=ie\"nt\;z"#
        );
        let c = cert_with_subject(&[
            vec![atv(CN, 0x0c, b" lead#")],
            vec![atv(O, 0x0c, b"#h <a>")],
            vec![atv(OU, 0x0c, b"tr ")],
            vec![atv(L, 0x0c, "Zürich".as_bytes())],
            vec![atv(&[0x2a, 3, 4], 0x0c, b"xyz")],
        ]);
        assert_eq!(
            subject_dn(&c).unwrap(),
            r"CN=\ lead#,O=\#h \<a\>,OU=tr\ ,L=Zürich,1.2.3.4=#0c0378797a"
        );
    }

    #[test]
    fn garbage_gives_none_not_a_panic() {
        assert_eq!(subject_dn(&[]), None);
        assert_eq!(subject_dn(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(subject_dn(&[0x30, 0x03, 0x30, 0x01]), None);
        let good = cert_with_subject(&[vec![atv(CN, 0x0c, b"x")]]);
        for cut in 0..good.len() {
            let _ = subject_dn(&good[..cut]);
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            let _ = subject_dn(&bad);
        }
    }

    #[test]
    fn glib_simple_patterns() {
        assert!(pattern_match("C=UK,CN=libvirt*", "C=UK,CN=libvirt.org"));
        assert!(pattern_match("C=UK,CN=*virt*", "C=UK,CN=libvirt.org"));
        assert!(!pattern_match(
            "C=UK,CN=libvirtstuff",
            "C=UK,CN=libvirt.org"
        ));
        assert!(pattern_match("*", ""));
        assert!(pattern_match("a?c", "abc"));
        assert!(pattern_match("a?c", "aüc"));
        assert!(!pattern_match("a?c", "ac"));
        assert!(pattern_match("*a*b*", "xxaxxbxx"));
        assert!(!pattern_match("*a*b", "xxaxxbxxc"));
        assert!(pattern_match("", ""));
        assert!(!pattern_match("", "x"));
        assert!(!allowed("CN=x", &[]));
        assert!(allowed("CN=x", &["CN=y".into(), "CN=?".into()]));
    }
}
