//! Connection URIs, split the way libvirt splits them (`virURIParse`, which follows libxml2's
//! RFC 3986 parser): scheme, user, server, port, path, raw query, fragment, and the query's
//! `name=value` parameters. Formatting is the reverse, for the name the remote driver sends.

use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// One `name=value` pair of a URI's query, percent-decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The name, as written (matching is case-insensitive where libvirt's is).
    pub name: String,
    /// The value; `""` for a bare `name` or `name=`.
    pub value: String,
    /// Set once a consumer took the parameter, so it is not passed on.
    pub consumed: bool,
}

/// A parsed URI.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Uri {
    /// The scheme, e.g. `qemu+ssh`.
    pub scheme: String,
    /// The user of `user@host`, percent-decoded.
    pub user: Option<String>,
    /// The host, percent-decoded and without the brackets of an IPv6 literal; `None` when the
    /// authority is absent or empty (`qemu:///system`).
    pub server: Option<String>,
    /// The port; 0 when none was given or there is no server.
    pub port: u16,
    /// The path, percent-decoded.
    pub path: Option<String>,
    /// The query exactly as written, without the `?`.
    pub query: Option<String>,
    /// The fragment, percent-decoded.
    pub fragment: Option<String>,
    /// The query's parameters, in order.
    pub params: Vec<Param>,
}

/// The error libvirt reports for a string its URI parser refuses.
fn unparsable(uri: &str) -> Error {
    Error::with_detail(
        ErrorDomain::URI,
        ErrorNumber::INTERNAL_ERROR,
        format!("Unable to parse URI {uri}"),
    )
}

/// Characters RFC 3986 never allows unescaped anywhere in a URI.
fn forbidden(c: char) -> bool {
    c.is_ascii_control() || c == ' ' || "<>\"{}|\\^`".contains(c) || !c.is_ascii()
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Escapes every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`), as GLib's
/// `g_string_append_uri_escaped` does for query values.
pub fn escape_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Escapes a path as libxml2's `xmlSaveUri` does: unreserved characters (letters, digits and
/// `-_.!~*'()`) and `/;@&=+$,` stay, everything else becomes `%XX`.
fn escape_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()/;@&=+$,".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Escapes a fragment as libxml2 does: unreserved characters and the reserved set stay.
fn escape_fragment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'();/?:@&=+$,[]".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn valid_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

impl Uri {
    /// Parses `uri`. A string that is not a URI answers libvirt's `Unable to parse URI …`.
    pub fn parse(uri: &str) -> Result<Uri> {
        if uri.chars().any(forbidden) {
            return Err(unparsable(uri));
        }
        let decode = |s: &str| percent_decode(s).ok_or_else(|| unparsable(uri));
        let (rest, fragment) = match uri.split_once('#') {
            Some((r, f)) => (r, Some(decode(f)?)),
            None => (uri, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q.to_string())),
            None => (rest, None),
        };
        let (scheme, rest) = match rest.split_once(':') {
            Some((s, r)) if valid_scheme(s) => (s.to_string(), r),
            _ => (String::new(), rest),
        };
        let mut out = Uri {
            scheme,
            fragment,
            ..Uri::default()
        };
        let path = match rest.strip_prefix("//") {
            Some(after) => {
                let (authority, path) = match after.find('/') {
                    Some(i) => (&after[..i], &after[i..]),
                    None => (after, ""),
                };
                out.parse_authority(authority, uri)?;
                path
            }
            None => rest,
        };
        if !path.is_empty() {
            out.path = Some(decode(path)?);
        }
        if let Some(q) = &query {
            out.params = parse_params(q).ok_or_else(|| unparsable(uri))?;
        }
        out.query = query;
        Ok(out)
    }

    fn parse_authority(&mut self, authority: &str, uri: &str) -> Result<()> {
        let decode = |s: &str| percent_decode(s).ok_or_else(|| unparsable(uri));
        let hostport = match authority.rsplit_once('@') {
            Some((user, hp)) => {
                self.user = Some(decode(user)?);
                hp
            }
            None => authority,
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| unparsable(uri))?;
            match after {
                "" => (host, None),
                p => (
                    host,
                    Some(p.strip_prefix(':').ok_or_else(|| unparsable(uri))?),
                ),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if !host.is_empty() {
            self.server = Some(decode(host)?);
            if let Some(p) = port.filter(|p| !p.is_empty()) {
                self.port = p.parse().map_err(|_| unparsable(uri))?;
            }
        }
        Ok(())
    }

    /// The parameters no consumer took, formatted as libvirt passes them on:
    /// `name=escaped-value` joined by `&`; `None` when there are none.
    pub fn remaining_query(&self) -> Option<String> {
        let parts: Vec<String> = self
            .params
            .iter()
            .filter(|p| !p.consumed)
            .map(|p| format!("{}={}", p.name, escape_query_value(&p.value)))
            .collect();
        (!parts.is_empty()).then(|| parts.join("&"))
    }

    /// `scheme://` + path + `?query` + `#fragment` with no authority, the form libvirt's remote
    /// driver gives the name it sends to the server.
    pub fn format_without_server(
        scheme: &str,
        path: Option<&str>,
        query: Option<&str>,
        fragment: Option<&str>,
    ) -> String {
        let mut s = format!("{scheme}://");
        if let Some(p) = path {
            s.push_str(&escape_path(p));
        }
        if let Some(q) = query {
            s.push('?');
            s.push_str(q);
        }
        if let Some(f) = fragment {
            s.push('#');
            s.push_str(&escape_fragment(f));
        }
        s
    }
}

/// Splits a query into parameters as libvirt does: sections separated by `&` (or `;` when a
/// section has no `&` after it), `name=value`, `name` alone meaning an empty value, and a
/// section starting with `=` ignored.
fn parse_params(query: &str) -> Option<Vec<Param>> {
    let mut params = Vec::new();
    let mut rest = query;
    while !rest.is_empty() {
        let end = rest
            .find('&')
            .or_else(|| rest.find(';'))
            .unwrap_or(rest.len());
        let section = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if section.is_empty() || section.starts_with('=') {
            continue;
        }
        let (name, value) = match section.split_once('=') {
            Some((n, v)) => (percent_decode(n)?, percent_decode(v)?),
            None => (percent_decode(section)?, String::new()),
        };
        params.push(Param {
            name,
            value,
            consumed: false,
        });
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn splits_like_libvirt() {
        let u =
            Uri::parse("qemu+ssh://root@example.com:2222/system?keyfile=/k&x=a%20b#frag").unwrap();
        assert_eq!(u.scheme, "qemu+ssh");
        assert_eq!(u.user.as_deref(), Some("root"));
        assert_eq!(u.server.as_deref(), Some("example.com"));
        assert_eq!(u.port, 2222);
        assert_eq!(u.path.as_deref(), Some("/system"));
        assert_eq!(u.query.as_deref(), Some("keyfile=/k&x=a%20b"));
        assert_eq!(u.fragment.as_deref(), Some("frag"));
        assert_eq!(u.params[1].value, "a b");

        let u = Uri::parse("qemu:///system").unwrap();
        assert_eq!(
            (u.server, u.port, u.path.as_deref()),
            (None, 0, Some("/system"))
        );

        let u = Uri::parse("test+tcp://[::1]:16509/default").unwrap();
        assert_eq!((u.server.as_deref(), u.port), (Some("::1"), 16509));

        let u = Uri::parse("remote:///").unwrap();
        assert_eq!(u.path.as_deref(), Some("/"));
    }

    #[test]
    fn params_follow_libvirts_rules() {
        let u = Uri::parse("test:///default?a&b=&=c&&d=1;e=2").unwrap();
        let got: Vec<(&str, &str)> = u
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(got, [("a", ""), ("b", ""), ("d", "1"), ("e", "2")]);
    }

    #[test]
    fn refuses_what_is_not_a_uri() {
        let e = Uri::parse("test:///a b").unwrap_err();
        assert_eq!(e.message, "internal error: Unable to parse URI test:///a b");
        assert_eq!(e.domain, ErrorDomain::URI);
        assert!(Uri::parse("test:///x%zz").is_err());
        assert!(Uri::parse("qemu://host:port/system").is_err());
    }

    #[test]
    fn formats_the_name_without_a_server() {
        assert_eq!(
            Uri::format_without_server("test", Some("/default"), Some("foo=bar%20x"), None),
            "test:///default?foo=bar%20x"
        );
        assert_eq!(escape_query_value("a b/c"), "a%20b%2Fc");
    }
}
