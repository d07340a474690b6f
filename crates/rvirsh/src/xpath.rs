//! virsh's `--xpath` and `--wrap` of the dumpxml commands (virshDumpXML): an XPath 1.0
//! expression over the object's XML, each node it selects printed as libxml2 prints a node.
//!
//! The document is read as libvirt reads it for this (blanks between elements dropped, the
//! root element the context node, no namespace prefixes known to the expression); the
//! expression is evaluated by `sxd-xpath`; nodes are written in libxml2's formatted style
//! (two-space indentation unless an element holds text, double-quoted attributes, characters
//! outside ASCII written as references in attribute values).

use rvirt_conf::raw::{escape_libxml_attr, escape_libxml_text};
use sxd_document::dom;
use sxd_xpath::nodeset::Node;

/// What a dump printed: its output, and libxml2's complaints about an expression it could not
/// evaluate (printed on stderr; virsh then prints nothing and succeeds).
#[derive(Debug, Default, PartialEq)]
pub struct Dump {
    /// The selected nodes, each followed by a newline (or the `<nodes>` wrapper).
    pub out: String,
    /// libxml2's XPath error lines, for stderr.
    pub warnings: String,
}

/// Why a dump failed: virsh's error message (an `internal error`).
#[derive(Debug, PartialEq)]
pub struct DumpError(pub String);

/// The nodes `xpath` selects in `xml`, printed one a line or, with `wrap`, as children of one
/// `<nodes>` element.
pub fn dump(xml: &str, xpath: &str, wrap: bool) -> Result<Dump, DumpError> {
    let src = roxmltree::Document::parse(xml).map_err(|e| DumpError(e.to_string()))?;
    let package = sxd_document::Package::new();
    let doc = package.as_document();
    let top = copy_element(doc, src.root_element());
    doc.root().append_child(top);
    let nodes = match select(xpath, top) {
        Ok(n) => n,
        Err(Select::NotNodes) => {
            return Err(DumpError(format!("Incorrect xpath '{xpath}'")));
        }
        Err(Select::Failed(warnings)) => {
            return Ok(Dump {
                out: if wrap {
                    "<nodes/>\n".into()
                } else {
                    String::new()
                },
                warnings,
            });
        }
    };
    let mut out = String::new();
    if wrap {
        write_wrapped(&mut out, &nodes);
        out.push('\n');
    } else {
        for n in &nodes {
            write_node(&mut out, *n, 0, true, Vec::new());
            out.push('\n');
        }
    }
    Ok(Dump {
        out,
        warnings: String::new(),
    })
}

/// Why an expression selected nothing printable.
enum Select {
    /// It gave a string, number or boolean (libvirt's "Incorrect xpath").
    NotNodes,
    /// libxml2 could not compile or evaluate it: its error lines.
    Failed(String),
}

/// The nodes `xpath` selects with `top` as the context node, in document order.
fn select<'d>(xpath: &str, top: dom::Element<'d>) -> Result<Vec<Node<'d>>, Select> {
    if let Some(what) = literal_or_prefix(xpath) {
        return Err(Select::Failed(xpath_error(what)));
    }
    // sxd-xpath panics on a few expressions it cannot handle: those are invalid ones here,
    // never a crash (the panic's own report is held back).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // Evaluation only reads the document, which a panic half-way leaves as it was.
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| evaluate(xpath, top)));
    std::panic::set_hook(hook);
    got.unwrap_or_else(|_| Err(Select::Failed(xpath_error("Invalid expression"))))
}

/// What libxml2 says of an expression with a literal left open, or naming a namespace prefix
/// (virsh's context declares none): sxd-xpath would panic on both.
fn literal_or_prefix(xpath: &str) -> Option<&'static str> {
    let mut open = None;
    let chars: Vec<char> = xpath.chars().collect();
    let mut prefixed = false;
    for (i, &c) in chars.iter().enumerate() {
        match open {
            None if c == '\'' || c == '"' => open = Some(c),
            Some(q) if c == q => open = None,
            None if c == ':' => {
                let before = i.checked_sub(1).map(|j| chars[j]);
                let after = chars.get(i + 1).copied();
                if before != Some(':') && after != Some(':') {
                    prefixed = true;
                }
            }
            _ => {}
        }
    }
    if open.is_some() {
        Some("Unfinished literal")
    } else if prefixed {
        Some("Undefined namespace prefix")
    } else {
        None
    }
}

/// `xpath` compiled and evaluated by sxd-xpath with `top` as the context node.
fn evaluate<'d>(xpath: &str, top: dom::Element<'d>) -> Result<Vec<Node<'d>>, Select> {
    let factory = sxd_xpath::Factory::new();
    let compiled = match factory.build(xpath) {
        Ok(Some(x)) => x,
        // A literal left open was told apart before (`literal_or_prefix`): whatever else
        // sxd-xpath's parser refuses is libxml2's invalid expression.
        Ok(None) | Err(_) => return Err(Select::Failed(xpath_error("Invalid expression"))),
    };
    let context = sxd_xpath::Context::new();
    match compiled.evaluate(&context, top) {
        Ok(sxd_xpath::Value::Nodeset(ns)) => Ok(document_order(top, ns)),
        Ok(_) => Err(Select::NotNodes),
        Err(e) => Err(Select::Failed(execution_error(&format!("{e:?}")))),
    }
}

/// `nodes` in document order: an element, then its attributes in their order, then what it
/// holds (sxd-xpath's own ordering puts an element's attributes last to first).
fn document_order<'d>(
    top: dom::Element<'d>,
    nodes: sxd_xpath::nodeset::Nodeset<'d>,
) -> Vec<Node<'d>> {
    // A node hashes by its address in the document's arena, which never changes.
    #[allow(clippy::mutable_key_type)]
    let mut order = std::collections::HashMap::new();
    let mut stack: Vec<Node> = vec![Node::Root(top.document().root())];
    while let Some(n) = stack.pop() {
        let next = order.len();
        order.insert(n, next);
        if let Node::Element(e) = n {
            for a in e.attributes() {
                let next = order.len();
                order.insert(Node::Attribute(a), next);
            }
        }
        stack.extend(n.children().into_iter().rev());
    }
    let mut v: Vec<Node> = nodes.into_iter().collect();
    v.sort_by_key(|n| order.get(n).copied().unwrap_or(usize::MAX));
    v
}

/// libxml2's line for an XPath error.
fn xpath_error(what: &str) -> String {
    format!("XPath error : {what}\n")
}

/// libxml2's words for what went wrong evaluating an expression (`e`: its error's debug
/// form, such as `ExecutionError(UnknownFunction(OwnedPrefixedName { prefix: None,
/// local_part: "foo" }))`).
fn execution_error(e: &str) -> String {
    if e.contains("UnknownFunction") {
        let name = e
            .split("local_part: \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default();
        return format!(
            "xmlXPathCompOpEval: function {name} not found\n{}",
            xpath_error("Unregistered function")
        );
    }
    xpath_error(if e.contains("UnknownNamespace") {
        "Undefined namespace prefix"
    } else if e.contains("UnknownVariable") {
        "Undefined variable"
    } else if e.contains("Arguments") || e.contains("ArgumentMissing") {
        "Invalid number of arguments"
    } else if e.contains("ArgumentNotANodeset") {
        "Invalid type"
    } else if e.contains("Argument") {
        "Invalid number of arguments"
    } else {
        "Invalid expression"
    })
}

/// A copy of `src` in `doc`, as libxml2 reads it when it keeps no blanks: a text of white
/// space alone is dropped unless it is all its element holds or the element mixes text with
/// its elements. Attributes keep their order (sxd-document's own parser sorts them).
fn copy_element<'d>(doc: dom::Document<'d>, src: roxmltree::Node) -> dom::Element<'d> {
    let name = src.tag_name();
    let e = doc.create_element(sxd_document::QName::with_namespace_uri(
        name.namespace(),
        name.name(),
    ));
    let parent_scope: Vec<(Option<&str>, &str)> = src
        .parent_element()
        .map(|p| p.namespaces().map(|n| (n.name(), n.uri())).collect())
        .unwrap_or_default();
    for ns in src.namespaces() {
        if parent_scope.contains(&(ns.name(), ns.uri())) {
            continue;
        }
        match ns.name() {
            Some("xml") => {}
            Some(prefix) => e.register_prefix(prefix, ns.uri()),
            None => e.set_default_namespace_uri(Some(ns.uri())),
        }
    }
    if let Some(uri) = name.namespace() {
        e.set_preferred_prefix(src.lookup_prefix(uri));
    }
    for a in src.attributes() {
        let attr = e.set_attribute_value(
            sxd_document::QName::with_namespace_uri(a.namespace(), a.name()),
            a.value(),
        );
        if let Some(uri) = a.namespace() {
            attr.set_preferred_prefix(src.lookup_prefix(uri));
        }
    }
    let blank = |t: &str| t.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let children: Vec<roxmltree::Node> = src.children().collect();
    let mixed = children
        .iter()
        .any(|c| c.is_text() && !blank(c.text().unwrap_or_default()));
    for c in &children {
        match c.node_type() {
            roxmltree::NodeType::Element => e.append_child(copy_element(doc, *c)),
            roxmltree::NodeType::Text => {
                let t = c.text().unwrap_or_default();
                if children.len() == 1 || mixed || !blank(t) {
                    e.append_child(doc.create_text(t));
                }
            }
            roxmltree::NodeType::Comment => {
                e.append_child(doc.create_comment(c.text().unwrap_or_default()))
            }
            roxmltree::NodeType::PI => {
                if let Some(pi) = c.pi() {
                    e.append_child(doc.create_processing_instruction(pi.target, pi.value));
                }
            }
            roxmltree::NodeType::Root => {}
        }
    }
    e
}

/// `name`, with its prefix.
fn qname(n: Node) -> String {
    n.prefixed_name().unwrap_or_default()
}

/// The namespaces declared on `e` itself (prefix, URI; `None` for a default namespace).
fn declared<'d>(e: dom::Element<'d>) -> Vec<(Option<&'d str>, &'d str)> {
    let parent_scope: Vec<(&str, &str)> = match e.parent().and_then(|p| p.element()) {
        Some(p) => p
            .namespaces_in_scope()
            .iter()
            .map(|n| (n.prefix(), n.uri()))
            .collect(),
        None => Vec::new(),
    };
    let mut out: Vec<(Option<&str>, &str)> = e
        .namespaces_in_scope()
        .iter()
        .filter(|n| n.prefix() != "xml" && !parent_scope.contains(&(n.prefix(), n.uri())))
        .map(|n| (Some(n.prefix()), n.uri()))
        .collect();
    out.sort();
    if let Some(uri) = e.default_namespace_uri() {
        out.insert(0, (None, uri));
    }
    out
}

/// The namespaces `e` and what it holds use from outside it (declared on its ancestors): what
/// libxml2 declares on a copy of `e` made into another document.
fn borrowed<'d>(e: dom::Element<'d>, out: &mut Vec<(Option<&'d str>, &'d str)>) {
    fn add<'d>(
        e: dom::Element<'d>,
        name: Option<&'d str>,
        preferred: Option<&'d str>,
        top: dom::Element<'d>,
        out: &mut Vec<(Option<&'d str>, &'d str)>,
    ) {
        let Some(uri) = name else { return };
        let Some(prefix) = e.prefix_for_namespace_uri(uri, preferred) else {
            return;
        };
        // Declared inside the copied tree: the copy has it.
        let mut at = Some(e);
        while let Some(el) = at {
            if declared(el).contains(&(Some(prefix), uri)) {
                return;
            }
            if el == top {
                break;
            }
            at = el.parent().and_then(|p| p.element());
        }
        if prefix != "xml" && !out.contains(&(Some(prefix), uri)) {
            out.push((Some(prefix), uri));
        }
    }
    fn walk<'d>(
        e: dom::Element<'d>,
        top: dom::Element<'d>,
        out: &mut Vec<(Option<&'d str>, &'d str)>,
    ) {
        add(e, e.name().namespace_uri(), e.preferred_prefix(), top, out);
        for a in e.attributes() {
            add(e, a.name().namespace_uri(), a.preferred_prefix(), top, out);
        }
        for c in e.children() {
            if let dom::ChildOfElement::Element(c) = c {
                walk(c, top, out);
            }
        }
    }
    walk(e, e, out);
}

fn write_attr(out: &mut String, a: dom::Attribute) {
    out.push(' ');
    out.push_str(&qname(Node::Attribute(a)));
    out.push_str("=\"");
    escape_libxml_attr(a.value(), out);
    out.push('"');
}

fn write_ns(out: &mut String, (prefix, uri): (Option<&str>, &str)) {
    match prefix {
        Some(p) => out.push_str(&format!(" xmlns:{p}=\"")),
        None => out.push_str(" xmlns=\""),
    }
    escape_libxml_attr(uri, out);
    out.push('"');
}

/// Writes `n` as libxml2's xmlNodeDump writes it at indentation `level` (`format`: indented
/// children), with `extra_ns` declared on it besides its own declarations.
fn write_node(
    out: &mut String,
    n: Node,
    level: usize,
    format: bool,
    extra_ns: Vec<(Option<&str>, &str)>,
) {
    match n {
        Node::Root(r) => {
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            for c in r.children() {
                let c = match c {
                    dom::ChildOfRoot::Element(e) => Node::Element(e),
                    dom::ChildOfRoot::Comment(c) => Node::Comment(c),
                    dom::ChildOfRoot::ProcessingInstruction(p) => Node::ProcessingInstruction(p),
                };
                write_node(out, c, 0, true, Vec::new());
                out.push('\n');
            }
        }
        Node::Element(e) => {
            let name = qname(n);
            out.push('<');
            out.push_str(&name);
            for ns in declared(e).into_iter().chain(extra_ns) {
                write_ns(out, ns);
            }
            for a in e.attributes() {
                write_attr(out, a);
            }
            let children = e.children();
            if children.is_empty() {
                out.push_str("/>");
                return;
            }
            out.push('>');
            let format = format && !children.iter().any(|c| c.text().is_some());
            if format {
                out.push('\n');
            }
            for c in children {
                let c = match c {
                    dom::ChildOfElement::Element(e) => Node::Element(e),
                    dom::ChildOfElement::Text(t) => Node::Text(t),
                    dom::ChildOfElement::Comment(c) => Node::Comment(c),
                    dom::ChildOfElement::ProcessingInstruction(p) => Node::ProcessingInstruction(p),
                };
                if format {
                    indent(out, level + 1);
                }
                write_node(out, c, level + 1, format, Vec::new());
                if format {
                    out.push('\n');
                }
            }
            if format {
                indent(out, level);
            }
            out.push_str("</");
            out.push_str(&name);
            out.push('>');
        }
        Node::Attribute(a) => write_attr(out, a),
        Node::Text(t) => escape_libxml_text(t.text(), out),
        Node::Comment(c) => {
            out.push_str("<!--");
            out.push_str(c.text());
            out.push_str("-->");
        }
        Node::ProcessingInstruction(p) => {
            out.push_str("<?");
            out.push_str(p.target());
            if let Some(v) = p.value() {
                out.push(' ');
                out.push_str(v);
            }
            out.push_str("?>");
        }
        // libxml2 writes a namespace node as its declaration.
        Node::Namespace(ns) => write_ns(out, (Some(ns.prefix()), ns.uri())),
    }
}

/// libxml2's indentation: two spaces a level.
fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// `--wrap`: copies of the nodes as children of a new `<nodes>` element (attributes become its
/// attributes, a later one replacing an earlier of the same name, as libxml2's xmlAddChild
/// does), printed as one element.
fn write_wrapped(out: &mut String, nodes: &[Node]) {
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut children: Vec<Node> = Vec::new();
    for n in nodes {
        match n {
            Node::Attribute(a) => {
                let name = qname(*n);
                attrs.retain(|(k, _)| *k != name);
                let mut v = String::new();
                write_attr(&mut v, *a);
                attrs.push((name, v));
            }
            _ => children.push(*n),
        }
    }
    out.push_str("<nodes");
    for (_, a) in &attrs {
        out.push_str(a);
    }
    if children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    let format = !children.iter().any(|c| matches!(c, Node::Text(_)));
    if format {
        out.push('\n');
    }
    for c in children {
        if format && !matches!(c, Node::Root(_)) {
            indent(out, 1);
        }
        let extra = match c {
            Node::Element(e) => {
                let mut b = Vec::new();
                borrowed(e, &mut b);
                b
            }
            _ => Vec::new(),
        };
        write_node(out, c, 1, format, extra);
        if format {
            out.push('\n');
        }
    }
    out.push_str("</nodes>");
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "<domain type='test' id='1'>\n  <name>test</name>\n  <title>caf\u{e9} &lt;&amp;&gt; \"x\"</title>\n  <metadata>\n    <foo:a xmlns:foo=\"http://x.org/\" b=\"\u{e9}&amp;\"><!--c1--><foo:b/><?pi v?><foo:c>t</foo:c></foo:a>\n  </metadata>\n  <os>\n    <type arch='i686'>hvm</type>\n    <boot dev='hd'/>\n  </os>\n  <devices>\n    <disk type='file' device='disk'>\n      <source file='/a'/>\n    </disk>\n  </devices>\n</domain>\n";

    fn out(xpath: &str, wrap: bool) -> String {
        dump(DOC, xpath, wrap).unwrap().out
    }

    #[test]
    fn elements_are_printed_as_libxml2_formats_them() {
        assert_eq!(
            out("//os", false),
            "<os>\n  <type arch=\"i686\">hvm</type>\n  <boot dev=\"hd\"/>\n</os>\n"
        );
        assert_eq!(out("name", false), "<name>test</name>\n");
        // Attributes in the document's order.
        assert_eq!(
            out("//disk", false),
            "<disk type=\"file\" device=\"disk\">\n  <source file=\"/a\"/>\n</disk>\n"
        );
        assert_eq!(
            out("//title", false),
            "<title>caf\u{e9} &lt;&amp;&gt; \"x\"</title>\n"
        );
        assert_eq!(
            out("//metadata", false),
            "<metadata>\n  <foo:a xmlns:foo=\"http://x.org/\" b=\"&#xE9;&amp;\">\n    \
             <!--c1-->\n    <foo:b/>\n    <?pi v?>\n    <foo:c>t</foo:c>\n  </foo:a>\n\
             </metadata>\n"
        );
    }

    #[test]
    fn attributes_texts_and_unions_come_in_document_order() {
        assert_eq!(out("//@type", false), " type=\"test\"\n type=\"file\"\n");
        assert_eq!(out("//name/text()", false), "test\n");
        assert_eq!(
            out("//disk/@*", false),
            " type=\"file\"\n device=\"disk\"\n"
        );
        assert_eq!(
            out("//devices/*[1]/source | //name", false),
            "<name>test</name>\n<source file=\"/a\"/>\n"
        );
        assert_eq!(out("//nosuch", false), "");
        assert!(out("/", false).starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<domain"));
    }

    #[test]
    fn wrap_gathers_the_nodes_under_one_element() {
        assert_eq!(out("//@type", true), "<nodes type=\"file\"/>\n");
        assert_eq!(out("//nosuch", true), "<nodes/>\n");
        assert_eq!(
            out("//boot | //name", true),
            "<nodes>\n  <name>test</name>\n  <boot dev=\"hd\"/>\n</nodes>\n"
        );
        assert_eq!(
            out("//os | //os/type/text()", true),
            "<nodes><os><type arch=\"i686\">hvm</type><boot dev=\"hd\"/></os>hvm</nodes>\n"
        );
        // A copy declares the namespaces it uses from its ancestors.
        assert_eq!(
            out("//*[local-name()='c']", true),
            "<nodes>\n  <foo:c xmlns:foo=\"http://x.org/\">t</foo:c>\n</nodes>\n"
        );
        assert_eq!(out("//*[local-name()='c']", false), "<foo:c>t</foo:c>\n");
    }

    #[test]
    fn bad_expressions_get_libxml2s_and_libvirts_errors() {
        assert_eq!(
            dump(DOC, "count(//disk)", false),
            Err(DumpError("Incorrect xpath 'count(//disk)'".into()))
        );
        for (x, said) in [
            ("//[", "XPath error : Invalid expression\n"),
            ("//name[\"a", "XPath error : Unfinished literal\n"),
            ("qemu:x", "XPath error : Undefined namespace prefix\n"),
            ("//foo:a/@b", "XPath error : Undefined namespace prefix\n"),
            ("1 +", "XPath error : Invalid expression\n"),
            ("//name]", "XPath error : Invalid expression\n"),
            (
                "foo(//name)",
                "xmlXPathCompOpEval: function foo not found\nXPath error : Unregistered function\n",
            ),
        ] {
            let d = dump(DOC, x, false).unwrap();
            assert_eq!(d.out, "", "{x}");
            assert_eq!(d.warnings, said, "{x}");
        }
    }
}
