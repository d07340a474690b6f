//! The formatter the domain writer uses: libvirt's layout, built in one `String`.

use crate::raw::RawElement;
use crate::xml::escape;

/// An output buffer with the current indentation.
pub(crate) struct Out {
    pub s: String,
    pub depth: usize,
}

impl Out {
    pub fn new(capacity: usize) -> Out {
        Out {
            s: String::with_capacity(capacity),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.s.push_str("  ");
        }
    }

    /// Writes `<name` at the current indentation.
    pub fn open(&mut self, name: &str) {
        self.indent();
        self.s.push('<');
        self.s.push_str(name);
    }

    /// Writes ` k='v'`, escaped.
    pub fn attr(&mut self, k: &str, v: &str) {
        self.s.push(' ');
        self.s.push_str(k);
        self.s.push_str("='");
        escape(v, &mut self.s);
        self.s.push('\'');
    }

    /// Writes ` k='v'` when `v` is set.
    pub fn attr_opt(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.attr(k, v);
        }
    }

    /// Closes an element without content: `/>`.
    pub fn close_empty(&mut self) {
        self.s.push_str("/>\n");
    }

    /// Ends the start tag; returns a mark for [`Out::end_children`].
    pub fn start_children(&mut self) -> usize {
        self.s.push_str(">\n");
        self.depth += 1;
        self.s.len()
    }

    /// Closes the element opened before `mark`: `/>` when nothing was written since.
    pub fn end_children(&mut self, name: &str, mark: usize) {
        self.depth -= 1;
        if self.s.len() == mark {
            self.s.truncate(mark - 2);
            self.s.push_str("/>\n");
        } else {
            self.indent();
            self.s.push_str("</");
            self.s.push_str(name);
            self.s.push_str(">\n");
        }
    }

    /// Closes an element opened with [`Out::start_children`] that always has content.
    pub fn end(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.s.push_str("</");
        self.s.push_str(name);
        self.s.push_str(">\n");
    }

    /// Writes `<name attrs>text</name>` on one line (after `open` and attributes).
    pub fn close_text(&mut self, name: &str, text: &str) {
        self.s.push('>');
        escape(text, &mut self.s);
        self.s.push_str("</");
        self.s.push_str(name);
        self.s.push_str(">\n");
    }

    /// `<name>text</name>`.
    pub fn text_el(&mut self, name: &str, text: &str) {
        self.open(name);
        self.close_text(name, text);
    }

    /// A kept element, libvirt style.
    pub fn raw(&mut self, el: &RawElement) {
        el.format_libvirt(&mut self.s, self.depth);
    }
}

impl Out {
    /// Closes an element opened with [`Out::start_children`], leaving it out altogether when
    /// nothing was written inside (libvirt drops an element without attributes or content).
    pub fn end_children_elided(&mut self, name: &str, mark: usize) {
        if self.s.len() == mark {
            self.depth -= 1;
            let line_start = self.s[..mark - 1].rfind('\n').map_or(0, |i| i + 1);
            self.s.truncate(line_start);
        } else {
            self.end(name);
        }
    }
}
