//! The interface options libvirt reads into its model and writes back from it, rather than
//! keeping them as written: the tap's send buffer (`<tune><sndbuf>`), the receive coalescing
//! of its host device (`<coalesce>`), virtio-net failover (`<teaming>`) and bridge port
//! isolation (`<port isolated>`). Each is read with libvirt's rules and errors and replaced by
//! its canonical element (or dropped where libvirt's model keeps nothing).

use super::devices::NetDef;
use crate::raw::{RawElement, RawNode};
use crate::xml;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

fn element(name: &str, attrs: &[(&str, String)], children: Vec<RawNode>) -> RawElement {
    RawElement {
        name: name.into(),
        attrs: attrs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
        children,
    }
}

/// All the text below `e` (XPath's `string()`).
fn string_value(e: &RawElement) -> String {
    let mut s = String::new();
    for c in &e.children {
        match c {
            RawNode::Text(t) => s.push_str(t),
            RawNode::Element(c) => s.push_str(&string_value(c)),
            RawNode::Markup(_) => {}
        }
    }
    s
}

/// `<tune>`: only a non-empty `<sndbuf>` counts; it must be a whole number.
fn tune(e: &RawElement) -> Result<Option<RawElement>> {
    let Some(text) = e
        .child("sndbuf")
        .map(string_value)
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    let n = xml::parse_decimal(&text)
        .ok_or_else(|| xml::xml_error("sndbuf must be a positive integer"))?;
    let sndbuf = element("sndbuf", &[], vec![RawNode::Text(n.to_string())]);
    Ok(Some(element("tune", &[], vec![RawNode::Element(sndbuf)])))
}

/// `<coalesce>`: the receive side's `<frames max>`, a 32-bit count; without it, nothing.
fn coalesce(e: &RawElement) -> Result<Option<RawElement>> {
    let Some(v) = e
        .child("rx")
        .and_then(|rx| rx.child("frames"))
        .and_then(|f| f.attr("max"))
    else {
        return Ok(None);
    };
    let n = xml::parse_decimal(v).ok_or_else(|| {
        xml::xml_detail(format!("cannot parse value '{v}' for coalesce parameter"))
    })?;
    let n = u32::try_from(n).map_err(|_| {
        Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::OVERFLOW,
            format!(
                "value '{n}' is too big for coalesce parameter, maximum is '{}'",
                u32::MAX
            ),
        )
    })?;
    Ok(Some(coalesce_element(n)))
}

/// `<coalesce><rx><frames max='n'/></rx></coalesce>`.
pub(crate) fn coalesce_element(n: u32) -> RawElement {
    let frames = element("frames", &[("max", n.to_string())], vec![]);
    let rx = element("rx", &[], vec![RawNode::Element(frames)]);
    element("coalesce", &[], vec![RawNode::Element(rx)])
}

/// `<teaming>`: a type of `persistent` or `transient`, and the persistent interface's alias
/// that only a transient one names.
fn teaming(e: &RawElement) -> Result<Option<RawElement>> {
    let (kind, persistent) = (e.attr("type"), e.attr("persistent"));
    if kind.is_none() && persistent.is_none() {
        return Ok(None);
    }
    let kind = match kind {
        Some(k @ ("persistent" | "transient")) => k,
        k => {
            return Err(xml::config_unsupported(format!(
                "unknown teaming type '{}'",
                k.unwrap_or("(null)")
            )));
        }
    };
    match (kind, persistent) {
        ("transient", None) => {
            return Err(xml::config_unsupported(
                "teaming persistent attribute must be set if teaming type is 'transient'",
            ));
        }
        ("persistent", Some(_)) => {
            return Err(xml::config_unsupported(
                "teaming persistent attribute not allowed if teaming type is 'persistent'",
            ));
        }
        _ => {}
    }
    let mut attrs = vec![("type", kind.to_string())];
    attrs.extend(persistent.map(|p| ("persistent", p.to_string())));
    Ok(Some(element("teaming", &attrs, vec![])))
}

/// `<port isolated>`: yes or no; without it, nothing.
fn port(e: &RawElement) -> Result<Option<RawElement>> {
    match e.attr("isolated") {
        None => Ok(None),
        Some(v @ ("yes" | "no")) => Ok(Some(element("port", &[("isolated", v.into())], vec![]))),
        Some(v) => Err(xml::invalid_enum_attr("isolated", "port", v)),
    }
}

/// Replaces the options among an interface's kept children by libvirt's reading of them.
pub(super) fn canonicalize(extra: &mut Vec<RawElement>) -> Result<()> {
    let mut out = Vec::with_capacity(extra.len());
    for e in extra.drain(..) {
        let read = match e.name.as_str() {
            "tune" => tune(&e)?,
            "coalesce" => coalesce(&e)?,
            "teaming" => teaming(&e)?,
            "port" => port(&e)?,
            _ => Some(e),
        };
        out.extend(read);
    }
    *extra = out;
    Ok(())
}

/// libvirt's checks of port isolation against the interface's type and virtual port
/// (`virDomainNetDefValidatePortOptions`), for the type given (the configured one at define,
/// the one a network gave at start).
pub fn validate_port_options(n: &NetDef, net_type: &str) -> Result<()> {
    if n.port_isolated() != Some(true) {
        return Ok(());
    }
    if !matches!(net_type, "network" | "bridge") {
        return Err(xml::config_unsupported(format!(
            "interface {} - <port isolated='yes'/> is not supported for network interfaces \
             with type='{net_type}'",
            n.mac
        )));
    }
    if let Some(kind) = n.option_attr("virtualport", "type") {
        return Err(xml::config_unsupported(format!(
            "interface {} - <port isolated='yes'/> is not supported for network interfaces \
             with virtualport type='{kind}'",
            n.mac
        )));
    }
    Ok(())
}

impl NetDef {
    fn option(&self, name: &str) -> Option<&RawElement> {
        self.extra.iter().find(|e| e.name == name)
    }

    /// Attribute `attr` of the kept child `element` (`<driver queues>`, `<script path>`…).
    pub fn option_attr(&self, element: &str, attr: &str) -> Option<&str> {
        self.option(element)?.attr(attr)
    }

    /// `<tune><sndbuf>`: the tap's send buffer size, in bytes.
    pub fn sndbuf(&self) -> Option<u64> {
        self.option("tune")?.child("sndbuf")?.text()?.parse().ok()
    }

    /// `<coalesce><rx><frames max>` (0 when written as such: libvirt keeps it but shows
    /// nothing).
    pub fn coalesce_rx_frames(&self) -> Option<u32> {
        self.option("coalesce")?
            .child("rx")?
            .child("frames")?
            .attr("max")?
            .parse()
            .ok()
    }

    /// Sets the `<coalesce>` frames to what the host device took (it may cap the count).
    pub fn set_coalesce_rx_frames(&mut self, n: u32) {
        if let Some(e) = self.extra.iter_mut().find(|e| e.name == "coalesce") {
            *e = coalesce_element(n);
        }
    }

    /// `<teaming>`: its type (`persistent`, `transient`) and a transient one's persistent
    /// interface.
    pub fn teaming(&self) -> Option<(&str, Option<&str>)> {
        let t = self.option("teaming")?;
        Some((t.attr("type")?, t.attr("persistent")))
    }

    /// `<port isolated>`.
    pub fn port_isolated(&self) -> Option<bool> {
        self.option("port")?.attr("isolated").map(|v| v == "yes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> RawElement {
        let doc = roxmltree::Document::parse(text).expect("xml");
        RawElement::from_node(doc.root_element(), false)
    }

    fn read(text: &str) -> Result<Vec<RawElement>> {
        let mut v = vec![raw(text)];
        canonicalize(&mut v).map(|()| v)
    }

    #[test]
    fn options_are_read_as_libvirt_reads_them() {
        let t = read("<tune><sndbuf> +0016</sndbuf></tune>").unwrap();
        assert_eq!(t[0].child("sndbuf").unwrap().text(), Some("16"));
        assert!(read("<tune><sndbuf/></tune>").unwrap().is_empty());
        assert!(read("<coalesce/>").unwrap().is_empty());
        let c = read("<coalesce><rx><frames max='7'/></rx></coalesce>").unwrap();
        assert_eq!(c[0], coalesce_element(7));
        assert!(read("<port/>").unwrap().is_empty());
        let t = read("<teaming persistent='ua-p' type='transient'/>").unwrap();
        assert_eq!(t[0].attrs[0], ("type".into(), "transient".into()));
    }

    #[test]
    fn bad_options_get_libvirts_errors() {
        let msg = |t: &str| read(t).unwrap_err();
        let e = msg("<tune><sndbuf>-5</sndbuf></tune>");
        assert_eq!(e.code, ErrorNumber::XML_ERROR);
        assert_eq!(e.message, "XML error: sndbuf must be a positive integer");
        let e = msg("<coalesce><rx><frames max='x3'/></rx></coalesce>");
        assert_eq!(e.code, ErrorNumber::XML_DETAIL);
        let e = msg("<coalesce><rx><frames max='4294967296'/></rx></coalesce>");
        assert_eq!(e.code, ErrorNumber::OVERFLOW);
        assert_eq!(
            e.message,
            "numerical overflow: value '4294967296' is too big for coalesce parameter, \
             maximum is '4294967295'"
        );
        let e = msg("<teaming persistent='ua-x'/>");
        assert_eq!(
            e.message,
            "unsupported configuration: unknown teaming type '(null)'"
        );
        let e = msg("<teaming type='transient'/>");
        assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
        let e = msg("<port isolated='maybe'/>");
        assert_eq!(e.domain, ErrorDomain::XML);
    }
}
