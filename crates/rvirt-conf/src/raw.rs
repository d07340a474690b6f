//! A generic XML element tree, for parts of a document rvirt keeps without modelling them
//! (`<metadata>` children, features, elements outside rvirt's typed model). Formatted either in
//! libvirt's own style (single quotes) or as libxml2's `xmlNodeDump` prints a copied node
//! (double quotes, namespace declarations on the top element), which is how libvirt prints
//! `<metadata>`.

use crate::xml::escape;

/// An element: qualified name, attributes (namespace declarations included, in order), children.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RawElement {
    /// `prefix:local` or `local`.
    pub name: String,
    /// Attributes as `(qualified name, value)`; `xmlns:p` declarations come first.
    pub attrs: Vec<(String, String)>,
    /// Child nodes; whitespace-only text is dropped at parse time as libvirt's parser does.
    pub children: Vec<RawNode>,
}

/// A child of a [`RawElement`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawNode {
    /// A nested element.
    Element(RawElement),
    /// Character data (unescaped).
    Text(String),
    /// A comment or processing instruction, as written (`<!--…-->`, `<?target value?>`): kept
    /// inside `<metadata>` only, as libvirt keeps what it does not interpret there.
    Markup(String),
}

fn qualified(node: roxmltree::Node<'_, '_>, uri: Option<&str>, local: &str) -> String {
    match uri.and_then(|u| node.lookup_prefix(u)) {
        Some(p) if !p.is_empty() => format!("{p}:{local}"),
        _ => local.to_string(),
    }
}

impl RawElement {
    /// Copies `node` and its subtree. When `declare_own_ns` is set, the namespaces the element
    /// and its descendants use are declared on it (as libxml2 does when a node is copied out of
    /// its document); otherwise only declarations written on each element are kept.
    pub fn from_node(node: roxmltree::Node<'_, '_>, declare_own_ns: bool) -> RawElement {
        Self::from_node_with(node, declare_own_ns, false)
    }

    /// [`RawElement::from_node`] for an element of `<metadata>`, whose comments and processing
    /// instructions are kept too.
    pub fn from_metadata(node: roxmltree::Node<'_, '_>, declare_own_ns: bool) -> RawElement {
        Self::from_node_with(node, declare_own_ns, true)
    }

    fn from_node_with(
        node: roxmltree::Node<'_, '_>,
        declare_own_ns: bool,
        markup: bool,
    ) -> RawElement {
        let mut el = Self::copy(node, None, markup);
        if declare_own_ns {
            let mut decls: Vec<(String, String)> = Vec::new();
            collect_ns(node, &mut decls);
            el.attrs.retain(|(k, _)| !k.starts_with("xmlns"));
            strip_decls(&mut el);
            let mut attrs: Vec<(String, String)> = decls;
            attrs.append(&mut el.attrs);
            el.attrs = attrs;
        }
        el
    }

    fn copy(
        node: roxmltree::Node<'_, '_>,
        parent: Option<roxmltree::Node<'_, '_>>,
        markup: bool,
    ) -> RawElement {
        let tag = node.tag_name();
        let name = qualified(node, tag.namespace(), tag.name());
        let mut attrs = Vec::new();
        // Declarations written on this element (those its parent does not have in scope).
        for ns in node.namespaces() {
            let inherited = parent.is_some_and(|p| {
                p.namespaces()
                    .any(|pn| pn.name() == ns.name() && pn.uri() == ns.uri())
            }) || parent.is_none()
                && node.parent_element().is_some_and(|p| {
                    p.namespaces()
                        .any(|pn| pn.name() == ns.name() && pn.uri() == ns.uri())
                });
            if !inherited && ns.uri() != "http://www.w3.org/XML/1998/namespace" {
                match ns.name() {
                    Some(p) => attrs.push((format!("xmlns:{p}"), ns.uri().to_string())),
                    None => attrs.push(("xmlns".to_string(), ns.uri().to_string())),
                }
            }
        }
        for a in node.attributes() {
            attrs.push((
                qualified(node, a.namespace(), a.name()),
                a.value().to_string(),
            ));
        }
        let mut children = Vec::new();
        for c in node.children() {
            if c.is_element() {
                children.push(RawNode::Element(Self::copy(c, Some(node), markup)));
            } else if markup && c.is_comment() {
                children.push(RawNode::Markup(format!(
                    "<!--{}-->",
                    c.text().unwrap_or_default()
                )));
            } else if let (true, Some(pi)) = (markup, c.pi()) {
                children.push(RawNode::Markup(match pi.value {
                    Some(v) => format!("<?{} {v}?>", pi.target),
                    None => format!("<?{}?>", pi.target),
                }));
            } else if c.is_text() {
                let t = c.text().unwrap_or("");
                if !t.trim().is_empty() {
                    children.push(RawNode::Text(t.to_string()));
                }
            }
        }
        RawElement {
            name,
            attrs,
            children,
        }
    }

    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child element named `name`.
    pub fn child(&self, name: &str) -> Option<&RawElement> {
        self.children.iter().find_map(|c| match c {
            RawNode::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    /// The child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &RawElement> {
        self.children.iter().filter_map(|c| match c {
            RawNode::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element named `name`, to change.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut RawElement> {
        self.children.iter_mut().find_map(|c| match c {
            RawNode::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    /// The attributes of the first child element named `name`, sorted: for comparing two
    /// elements (addresses, rates) however their attributes were written.
    pub fn sorted_child_attrs(&self, name: &str) -> Option<Vec<(String, String)>> {
        let mut attrs = self.child(name)?.attrs.clone();
        attrs.sort();
        Some(attrs)
    }

    /// The element's text, when text is all it holds.
    pub fn text(&self) -> Option<&str> {
        match self.children.as_slice() {
            [RawNode::Text(t)] => Some(t.as_str()),
            _ => None,
        }
    }

    /// Formats the element in libvirt's style at `depth` (two spaces each), single quotes.
    pub fn format_libvirt(&self, out: &mut String, depth: usize) {
        self.format(out, depth, '\'');
    }

    /// Formats the element as libxml2's `xmlNodeDump` with formatting does, at `depth`.
    pub fn format_libxml(&self, out: &mut String, depth: usize) {
        self.format(out, depth, '"');
    }

    fn format(&self, out: &mut String, depth: usize, quote: char) {
        indent(out, depth);
        self.format_inline(out, depth, quote, true);
        out.push('\n');
    }

    fn format_inline(&self, out: &mut String, depth: usize, quote: char, pretty: bool) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push('=');
            out.push(quote);
            if quote == '"' {
                escape_libxml_attr(v, out);
            } else {
                escape(v, out);
            }
            out.push(quote);
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        let has_text = self.children.iter().any(|c| matches!(c, RawNode::Text(_)));
        let nested_pretty = pretty && !has_text;
        for c in &self.children {
            match c {
                RawNode::Text(t) => {
                    if quote == '"' {
                        escape_libxml_text(t, out);
                    } else {
                        escape(t, out);
                    }
                }
                RawNode::Element(e) => {
                    if nested_pretty {
                        out.push('\n');
                        indent(out, depth + 1);
                    }
                    e.format_inline(out, depth + 1, quote, nested_pretty);
                }
                RawNode::Markup(m) => {
                    if nested_pretty {
                        out.push('\n');
                        indent(out, depth + 1);
                    }
                    out.push_str(m);
                }
            }
        }
        if nested_pretty {
            out.push('\n');
            indent(out, depth);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn collect_ns(node: roxmltree::Node<'_, '_>, decls: &mut Vec<(String, String)>) {
    let mut want = |uri: Option<&str>| {
        let Some(uri) = uri else { return };
        let key = match node.lookup_prefix(uri) {
            Some(p) if !p.is_empty() => format!("xmlns:{p}"),
            _ => "xmlns".to_string(),
        };
        if !decls.iter().any(|(k, _)| *k == key) {
            decls.push((key, uri.to_string()));
        }
    };
    want(node.tag_name().namespace());
    for a in node.attributes() {
        want(a.namespace());
    }
    for c in node.children().filter(|c| c.is_element()) {
        collect_ns(c, decls);
    }
}

fn strip_decls(el: &mut RawElement) {
    for c in &mut el.children {
        if let RawNode::Element(e) = c {
            e.attrs.retain(|(k, _)| !k.starts_with("xmlns"));
            strip_decls(e);
        }
    }
}

/// libxml2's escaping of text when it writes a node: markup characters only.
pub fn escape_libxml_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// libxml2's escaping of an attribute value when it writes a node of a document of no
/// declared encoding: markup, quotes, line breaks and tabs, and every character outside ASCII
/// as a reference (`&#xE9;`).
pub fn escape_libxml_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if !c.is_ascii() => out.push_str(&format!("&#x{:X};", u32::from(c))),
            c => out.push(c),
        }
    }
}
