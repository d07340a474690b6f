//! Validation by derivatives (James Clark, "An algorithm for RELAX NG validation").

use crate::pattern::{Arena, FxMap, Overlay, P, Pat, Store};
use crate::{Invalid, QName, Schema, Symbols};
use roxmltree::Node;

/// Past this many patterns of its own, a kept cache is dropped and the next validation starts
/// afresh (a bound on memory for long-running processes validating many unlike documents).
const CACHE_PATTERN_LIMIT: usize = 1 << 20;

/// Past this many names the schema does not mention, a kept cache is dropped too.
const CACHE_NAME_LIMIT: usize = 1 << 16;

/// Past this many memoised attribute values and texts, a kept cache is dropped too.
const CACHE_VALUE_LIMIT: usize = 1 << 20;

/// The derivatives of earlier validations against one schema: the patterns they made on top
/// of the schema's arena and the memo tables over them. Pure functions of their keys, so any
/// later validation may reuse them.
#[derive(Debug, Default)]
pub struct Cache {
    extra: Arena,
    memo: Memo,
}

/// The memo tables of one validation, over the schema's patterns and those made on top of it.
#[derive(Debug, Default)]
struct Memo {
    /// Start-tag derivatives by (pattern, name key).
    open: FxMap<(P, u32), P>,
    close: FxMap<P, P>,
    end: FxMap<P, P>,
    /// Attribute derivatives by (pattern, name key), then value.
    attr: ValueMemo<(P, u32)>,
    /// Text derivatives by pattern, then text.
    text: ValueMemo<P>,
    /// How many values the two tables above hold.
    values: usize,
    /// Keys for names the schema does not mention (numbered from `u32::MAX` down).
    foreign: FxMap<(String, String), u32>,
}

/// Derivatives by a key and then a string (looked up without allocating).
type ValueMemo<K> = FxMap<K, FxMap<Box<str>, P>>;

/// What to wrap around the patterns inside an `After` (`applyAfter`'s function).
#[derive(Clone, Copy)]
enum Wrap {
    /// `interleave(x, p)`.
    Interleave(P),
    /// `group(x, p)`.
    Group(P),
    /// `after(x, p)`.
    After(P),
}

struct Validator<'s> {
    schema: &'s Schema,
    st: Overlay<'s>,
    memo: Memo,
    error: Option<String>,
}

fn is_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Validates `root` against the schema's start pattern, reusing (and then keeping) the
/// schema's cache of derivatives when no other validation holds it.
pub fn validate(schema: &Schema, root: Node<'_, '_>) -> Result<(), Invalid> {
    let cache = schema
        .cache
        .lock()
        .map_or(None, |mut c| c.take())
        .unwrap_or_default();
    let mut v = Validator {
        schema,
        st: Overlay::new(&schema.arena, cache.extra),
        memo: cache.memo,
        error: None,
    };
    let p = v.element(schema.start, root, None);
    let valid = v.st.nullable(p);
    let error = v.error.take();
    let cache = Cache {
        extra: v.st.into_extra(),
        memo: v.memo,
    };
    if cache.extra.len() <= CACHE_PATTERN_LIMIT
        && cache.memo.foreign.len() <= CACHE_NAME_LIMIT
        && cache.memo.values <= CACHE_VALUE_LIMIT
    {
        if let Ok(mut slot) = schema.cache.lock() {
            if slot.is_none() {
                *slot = Some(cache);
            }
        }
    }
    if valid {
        return Ok(());
    }
    Err(Invalid {
        message: error.unwrap_or_else(|| {
            format!(
                "Element {} failed to validate content",
                root.tag_name().name()
            )
        }),
    })
}

impl<'s> Validator<'s> {
    /// The name of an element or attribute with its memo key: its schema symbol, or a number
    /// of its own for a name the schema does not mention.
    fn qname<'a>(&mut self, ns: &'a str, local: &'a str) -> (QName<'a>, u32) {
        let q = self.schema.symbols.lookup(ns, local);
        if q.sym != Symbols::NONE {
            return (q, q.sym);
        }
        let next = u32::MAX - 1 - self.memo.foreign.len() as u32;
        let key = *self
            .memo
            .foreign
            .entry((ns.to_string(), local.to_string()))
            .or_insert(next);
        (q, key)
    }

    fn is_na(&self, p: P) -> bool {
        self.st.pat(p) == Pat::NotAllowed
    }

    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }

    /// The derivative of `p` by a whole element.
    fn element(&mut self, p: P, e: Node<'_, '_>, parent: Option<&str>) -> P {
        let name = e.tag_name();
        let (ns, local) = (name.namespace().unwrap_or(""), name.name());
        let (qname, key) = self.qname(ns, local);
        let p1 = self.start_tag_open(p, &qname, key);
        if self.is_na(p1) {
            match parent {
                Some(parent) => self.fail(format!("Element {parent} has extra content: {local}")),
                None => self.fail(format!("Expecting an element, got {local}")),
            }
            return p1;
        }
        let mut p2 = p1;
        for a in e.attributes() {
            p2 = self.attribute_memo(p2, a.namespace().unwrap_or(""), a.name(), a.value());
            if self.is_na(p2) {
                self.fail(format!(
                    "Invalid attribute {} for element {local}",
                    a.name()
                ));
                return p2;
            }
        }
        let p3 = self.start_tag_close(p2);
        if self.is_na(p3) {
            self.fail(format!("Element {local} failed to validate attributes"));
            return p3;
        }
        let p4 = self.children(p3, e);
        if self.is_na(p4) {
            return p4;
        }
        let p5 = self.end_tag(p4);
        if self.is_na(p5) {
            self.fail(format!("Element {local} failed to validate content"));
        }
        p5
    }

    /// The derivative by an element's children: text merged across comments, whitespace-only
    /// text between elements ignored.
    fn children(&mut self, p: P, e: Node<'_, '_>) -> P {
        let local = e.tag_name().name();
        let has_elements = e.children().any(|c| c.is_element());
        if !has_elements {
            let text: String = e.children().filter_map(|c| c.text()).collect();
            let d = self.text_memo(p, &text);
            let r = if is_whitespace(&text) {
                self.st.choice(p, d)
            } else {
                d
            };
            if self.is_na(r) {
                self.fail(format!("Element {local} failed to validate content"));
            }
            return r;
        }
        let mut p = p;
        let mut pending = String::new();
        let flush = |v: &mut Self, p: P, pending: &mut String| -> P {
            if is_whitespace(pending) {
                pending.clear();
                return p;
            }
            let r = v.text_memo(p, pending);
            pending.clear();
            if v.is_na(r) {
                v.fail(format!("Element {local} failed to validate content"));
            }
            r
        };
        for c in e.children() {
            if c.is_text() {
                pending.push_str(c.text().unwrap_or_default());
            } else if c.is_element() {
                p = flush(self, p, &mut pending);
                if self.is_na(p) {
                    return p;
                }
                p = self.element(p, c, Some(local));
                if self.is_na(p) {
                    return p;
                }
            }
        }
        flush(self, p, &mut pending)
    }

    /// The derivative by an attribute, memoised.
    fn attribute_memo(&mut self, p: P, ns: &str, local: &str, value: &str) -> P {
        let (q, key) = self.qname(ns, local);
        if let Some(r) = self.memo.attr.get(&(p, key)).and_then(|m| m.get(value)) {
            return *r;
        }
        let r = self.attribute(p, &q, value);
        self.memo.values += 1;
        self.memo
            .attr
            .entry((p, key))
            .or_default()
            .insert(value.into(), r);
        r
    }

    /// The derivative by a text node, memoised.
    fn text_memo(&mut self, p: P, s: &str) -> P {
        if let Some(r) = self.memo.text.get(&p).and_then(|m| m.get(s)) {
            return *r;
        }
        let r = self.text(p, s);
        self.memo.values += 1;
        self.memo.text.entry(p).or_default().insert(s.into(), r);
        r
    }

    fn apply_after(&mut self, w: Wrap, p: P) -> P {
        match self.st.pat(p) {
            Pat::After(a, b) => {
                let b2 = match w {
                    Wrap::Interleave(x) => self.st.interleave(b, x),
                    Wrap::Group(x) => self.st.group(b, x),
                    Wrap::After(x) => self.st.after(b, x),
                };
                self.st.after(a, b2)
            }
            Pat::Choice(a, b) => {
                let a2 = self.apply_after(w, a);
                let b2 = self.apply_after(w, b);
                self.st.choice(a2, b2)
            }
            _ => self.st.not_allowed(),
        }
    }

    fn start_tag_open(&mut self, p: P, name: &QName<'_>, key: u32) -> P {
        if let Some(r) = self.memo.open.get(&(p, key)) {
            return *r;
        }
        let r = match self.st.pat(p) {
            Pat::Choice(a, b) => {
                let a2 = self.start_tag_open(a, name, key);
                let b2 = self.start_tag_open(b, name, key);
                self.st.choice(a2, b2)
            }
            Pat::Element(nc, idx) => {
                if self.schema.name_matches(nc, name) {
                    let content = self.schema.elements[idx as usize];
                    let e = self.st.empty();
                    self.st.after(content, e)
                } else {
                    self.st.not_allowed()
                }
            }
            Pat::Interleave(a, b) => {
                let da = self.start_tag_open(a, name, key);
                let x = self.apply_after(Wrap::Interleave(b), da);
                let db = self.start_tag_open(b, name, key);
                let y = self.apply_after(Wrap::Interleave(a), db);
                self.st.choice(x, y)
            }
            Pat::OneOrMore(q) => {
                let d = self.start_tag_open(q, name, key);
                let e = self.st.empty();
                let rest = self.st.choice(p, e);
                self.apply_after(Wrap::Group(rest), d)
            }
            Pat::Group(a, b) => {
                let da = self.start_tag_open(a, name, key);
                let x = self.apply_after(Wrap::Group(b), da);
                if self.st.nullable(a) {
                    let db = self.start_tag_open(b, name, key);
                    self.st.choice(x, db)
                } else {
                    x
                }
            }
            Pat::After(a, b) => {
                let da = self.start_tag_open(a, name, key);
                self.apply_after(Wrap::After(b), da)
            }
            _ => self.st.not_allowed(),
        };
        self.memo.open.insert((p, key), r);
        r
    }

    fn attribute(&mut self, p: P, name: &QName<'_>, value: &str) -> P {
        if !self.st.node(p).has_attr {
            return self.st.not_allowed();
        }
        match self.st.pat(p) {
            Pat::After(a, b) => {
                let a2 = self.attribute(a, name, value);
                self.st.after(a2, b)
            }
            Pat::Choice(a, b) => {
                let a2 = self.attribute(a, name, value);
                let b2 = self.attribute(b, name, value);
                self.st.choice(a2, b2)
            }
            Pat::Group(a, b) => {
                let a2 = self.attribute(a, name, value);
                let x = self.st.group(a2, b);
                let b2 = self.attribute(b, name, value);
                let y = self.st.group(a, b2);
                self.st.choice(x, y)
            }
            Pat::Interleave(a, b) => {
                let a2 = self.attribute(a, name, value);
                let x = self.st.interleave(a2, b);
                let b2 = self.attribute(b, name, value);
                let y = self.st.interleave(a, b2);
                self.st.choice(x, y)
            }
            Pat::OneOrMore(q) => {
                let d = self.attribute(q, name, value);
                let e = self.st.empty();
                let rest = self.st.choice(p, e);
                self.st.group(d, rest)
            }
            Pat::Attribute(nc, vp) => {
                if self.schema.name_matches(nc, name) && self.value_matches(vp, value) {
                    self.st.empty()
                } else {
                    self.st.not_allowed()
                }
            }
            _ => self.st.not_allowed(),
        }
    }

    fn value_matches(&mut self, p: P, value: &str) -> bool {
        if self.st.nullable(p) && is_whitespace(value) {
            return true;
        }
        let d = self.text(p, value);
        self.st.nullable(d)
    }

    fn start_tag_close(&mut self, p: P) -> P {
        if !self.st.node(p).has_attr {
            return p;
        }
        if let Some(r) = self.memo.close.get(&p) {
            return *r;
        }
        let r = match self.st.pat(p) {
            Pat::After(a, b) => {
                let a2 = self.start_tag_close(a);
                self.st.after(a2, b)
            }
            Pat::Choice(a, b) => {
                let a2 = self.start_tag_close(a);
                let b2 = self.start_tag_close(b);
                self.st.choice(a2, b2)
            }
            Pat::Group(a, b) => {
                let a2 = self.start_tag_close(a);
                let b2 = self.start_tag_close(b);
                self.st.group(a2, b2)
            }
            Pat::Interleave(a, b) => {
                let a2 = self.start_tag_close(a);
                let b2 = self.start_tag_close(b);
                self.st.interleave(a2, b2)
            }
            Pat::OneOrMore(q) => {
                let q2 = self.start_tag_close(q);
                self.st.one_or_more(q2)
            }
            Pat::Attribute(..) => self.st.not_allowed(),
            _ => p,
        };
        self.memo.close.insert(p, r);
        r
    }

    fn end_tag(&mut self, p: P) -> P {
        if let Some(r) = self.memo.end.get(&p) {
            return *r;
        }
        let r = match self.st.pat(p) {
            Pat::Choice(a, b) => {
                let a2 = self.end_tag(a);
                let b2 = self.end_tag(b);
                self.st.choice(a2, b2)
            }
            Pat::After(a, b) if self.st.nullable(a) => b,
            _ => self.st.not_allowed(),
        };
        self.memo.end.insert(p, r);
        r
    }

    fn text(&mut self, p: P, s: &str) -> P {
        if !self.st.node(p).has_text {
            return self.st.not_allowed();
        }
        match self.st.pat(p) {
            Pat::Choice(a, b) => {
                let a2 = self.text(a, s);
                let b2 = self.text(b, s);
                self.st.choice(a2, b2)
            }
            Pat::Interleave(a, b) => {
                let a2 = self.text(a, s);
                let x = self.st.interleave(a2, b);
                let b2 = self.text(b, s);
                let y = self.st.interleave(a, b2);
                self.st.choice(x, y)
            }
            Pat::Group(a, b) => {
                let a2 = self.text(a, s);
                let x = self.st.group(a2, b);
                if self.st.nullable(a) {
                    let b2 = self.text(b, s);
                    self.st.choice(x, b2)
                } else {
                    x
                }
            }
            Pat::After(a, b) => {
                let a2 = self.text(a, s);
                self.st.after(a2, b)
            }
            Pat::OneOrMore(q) => {
                let d = self.text(q, s);
                let e = self.st.empty();
                let rest = self.st.choice(p, e);
                self.st.group(d, rest)
            }
            Pat::Text => p,
            Pat::Value(i) => {
                let v = &self.schema.values[i as usize];
                if v.datatype.equal(&v.text, s) {
                    self.st.empty()
                } else {
                    self.st.not_allowed()
                }
            }
            Pat::Data(i) => {
                if self.schema.datatypes[i as usize].allows(s) {
                    self.st.empty()
                } else {
                    self.st.not_allowed()
                }
            }
            Pat::DataExcept(i, ex) => {
                let allowed = self.schema.datatypes[i as usize].allows(s) && {
                    let d = self.text(ex, s);
                    !self.st.nullable(d)
                };
                if allowed {
                    self.st.empty()
                } else {
                    self.st.not_allowed()
                }
            }
            Pat::List(q) => {
                let mut d = q;
                for word in s.split_ascii_whitespace() {
                    d = self.text(d, word);
                }
                if self.st.nullable(d) {
                    self.st.empty()
                } else {
                    self.st.not_allowed()
                }
            }
            _ => self.st.not_allowed(),
        }
    }
}
