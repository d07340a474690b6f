//! Validation by derivatives (James Clark, "An algorithm for RELAX NG validation").

use crate::pattern::{Overlay, P, Pat, Store};
use crate::{Invalid, Schema};
use roxmltree::Node;
use std::collections::HashMap;

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

struct Validator<'s, 'd> {
    schema: &'s Schema,
    st: Overlay<'s>,
    open_memo: HashMap<(P, &'d str, &'d str), P>,
    close_memo: HashMap<P, P>,
    end_memo: HashMap<P, P>,
    error: Option<String>,
}

fn is_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Validates `root` against the schema's start pattern.
pub fn validate(schema: &Schema, root: Node<'_, '_>) -> Result<(), Invalid> {
    let mut v = Validator {
        schema,
        st: Overlay::new(&schema.arena),
        open_memo: HashMap::new(),
        close_memo: HashMap::new(),
        end_memo: HashMap::new(),
        error: None,
    };
    let p = v.element(schema.start, root, None);
    if v.st.nullable(p) {
        return Ok(());
    }
    Err(Invalid {
        message: v.error.unwrap_or_else(|| {
            format!(
                "Element {} failed to validate content",
                root.tag_name().name()
            )
        }),
    })
}

impl<'s, 'd> Validator<'s, 'd> {
    fn is_na(&self, p: P) -> bool {
        self.st.pat(p) == Pat::NotAllowed
    }

    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }

    /// The derivative of `p` by a whole element.
    fn element(&mut self, p: P, e: Node<'d, 'd>, parent: Option<&str>) -> P {
        let name = e.tag_name();
        let (ns, local) = (name.namespace().unwrap_or(""), name.name());
        let p1 = self.start_tag_open(p, ns, local);
        if self.is_na(p1) {
            match parent {
                Some(parent) => self.fail(format!("Element {parent} has extra content: {local}")),
                None => self.fail(format!("Expecting an element, got {local}")),
            }
            return p1;
        }
        let mut p2 = p1;
        for a in e.attributes() {
            p2 = self.attribute(p2, a.namespace().unwrap_or(""), a.name(), a.value());
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
    fn children(&mut self, p: P, e: Node<'d, 'd>) -> P {
        let local = e.tag_name().name();
        let has_elements = e.children().any(|c| c.is_element());
        if !has_elements {
            let text: String = e.children().filter_map(|c| c.text()).collect();
            let d = self.text(p, &text);
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
            let r = v.text(p, pending);
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

    fn start_tag_open(&mut self, p: P, ns: &'d str, local: &'d str) -> P {
        if let Some(r) = self.open_memo.get(&(p, ns, local)) {
            return *r;
        }
        let r = match self.st.pat(p) {
            Pat::Choice(a, b) => {
                let a2 = self.start_tag_open(a, ns, local);
                let b2 = self.start_tag_open(b, ns, local);
                self.st.choice(a2, b2)
            }
            Pat::Element(nc, idx) => {
                if self.schema.name_matches(nc, ns, local) {
                    let content = self.schema.elements[idx as usize];
                    let e = self.st.empty();
                    self.st.after(content, e)
                } else {
                    self.st.not_allowed()
                }
            }
            Pat::Interleave(a, b) => {
                let da = self.start_tag_open(a, ns, local);
                let x = self.apply_after(Wrap::Interleave(b), da);
                let db = self.start_tag_open(b, ns, local);
                let y = self.apply_after(Wrap::Interleave(a), db);
                self.st.choice(x, y)
            }
            Pat::OneOrMore(q) => {
                let d = self.start_tag_open(q, ns, local);
                let e = self.st.empty();
                let rest = self.st.choice(p, e);
                self.apply_after(Wrap::Group(rest), d)
            }
            Pat::Group(a, b) => {
                let da = self.start_tag_open(a, ns, local);
                let x = self.apply_after(Wrap::Group(b), da);
                if self.st.nullable(a) {
                    let db = self.start_tag_open(b, ns, local);
                    self.st.choice(x, db)
                } else {
                    x
                }
            }
            Pat::After(a, b) => {
                let da = self.start_tag_open(a, ns, local);
                self.apply_after(Wrap::After(b), da)
            }
            _ => self.st.not_allowed(),
        };
        self.open_memo.insert((p, ns, local), r);
        r
    }

    fn attribute(&mut self, p: P, ns: &str, local: &str, value: &str) -> P {
        match self.st.pat(p) {
            Pat::After(a, b) => {
                let a2 = self.attribute(a, ns, local, value);
                self.st.after(a2, b)
            }
            Pat::Choice(a, b) => {
                let a2 = self.attribute(a, ns, local, value);
                let b2 = self.attribute(b, ns, local, value);
                self.st.choice(a2, b2)
            }
            Pat::Group(a, b) => {
                let a2 = self.attribute(a, ns, local, value);
                let x = self.st.group(a2, b);
                let b2 = self.attribute(b, ns, local, value);
                let y = self.st.group(a, b2);
                self.st.choice(x, y)
            }
            Pat::Interleave(a, b) => {
                let a2 = self.attribute(a, ns, local, value);
                let x = self.st.interleave(a2, b);
                let b2 = self.attribute(b, ns, local, value);
                let y = self.st.interleave(a, b2);
                self.st.choice(x, y)
            }
            Pat::OneOrMore(q) => {
                let d = self.attribute(q, ns, local, value);
                let e = self.st.empty();
                let rest = self.st.choice(p, e);
                self.st.group(d, rest)
            }
            Pat::Attribute(nc, vp) => {
                if self.schema.name_matches(nc, ns, local) && self.value_matches(vp, value) {
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
        if let Some(r) = self.close_memo.get(&p) {
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
        self.close_memo.insert(p, r);
        r
    }

    fn end_tag(&mut self, p: P) -> P {
        if let Some(r) = self.end_memo.get(&p) {
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
        self.end_memo.insert(p, r);
        r
    }

    fn text(&mut self, p: P, s: &str) -> P {
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
