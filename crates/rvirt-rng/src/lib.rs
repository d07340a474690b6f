//! A RELAX NG validator for libvirt's schemas (`/usr/share/libvirt/schemas/*.rng`).
//!
//! [`Schema::load`] reads a schema in RELAX NG's XML syntax with everything it includes,
//! resolves its grammars, defines (`combine` included) and references, and simplifies it into
//! hash-consed patterns. [`Schema::validate`] then checks a parsed document by derivatives
//! (James Clark's algorithm): each element, attribute and text node turns the pattern into the
//! pattern the rest of the document must match; the document is valid when what is left
//! matches the empty sequence. A compiled schema can be shared between threads. The
//! derivatives one validation computes are kept with the schema (up to a bound) and reused by
//! the next one, so validating many similar documents against one schema costs little more
//! than walking them; a validation running while another holds that cache starts its own.
//!
//! Supported: `grammar`, `start`, `define` (with `combine`), `include` (with overrides), `div`,
//! `ref`, `parentRef`, `element`, `attribute`, `group`, `interleave`, `choice`, `optional`,
//! `zeroOrMore`, `oneOrMore`, `mixed`, `list`, `empty`, `text`, `notAllowed`, `value`, `data`
//! with `param` and `except`, and the name classes `name`, `anyName`, `nsName`, `choice`
//! (with `except`). Datatypes: the built-in `string` and `token` and the XML Schema types
//! libvirt uses (integers of every width, `double`, `decimal`, `boolean`, `dateTime`,
//! `NCName`, `anyURI`, …) with the facets `pattern`, `min/maxInclusive`,
//! `min/maxExclusive`, `length`, `min/maxLength`. Not supported: `externalRef`.

mod compile;
mod datatype;
mod pattern;
mod validate;

use datatype::Datatype;
use pattern::{Arena, FxMap, P};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a schema could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// What is wrong, naming the file or construct.
    pub message: String,
}

impl SchemaError {
    fn new(message: impl Into<String>) -> SchemaError {
        SchemaError {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SchemaError {}

/// Why a document does not match a schema: the first place where it stops matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// One line in the manner of libxml2's messages, e.g. `Element domain has extra content:
    /// bogus` or `Invalid attribute foo for element domain`.
    pub message: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

/// A name class: which (namespace, local name) pairs an element or attribute pattern accepts.
#[derive(Debug, Clone)]
enum NameClass {
    AnyName(Option<u32>),
    NsName(String, Option<u32>),
    /// Namespace, local name, and the name's symbol (see [`Symbols`]).
    Name(String, String, u32),
    Choice(u32, u32),
}

/// The names a schema mentions, each with a small number, so that matching an element or
/// attribute name against a name class compares numbers rather than strings.
#[derive(Debug, Default)]
struct Symbols {
    /// By local name: (namespace, symbol).
    by_local: FxMap<String, Vec<(String, u32)>>,
}

/// A name seen in a document: its namespace and its symbol ([`Symbols::NONE`] for a name the
/// schema never mentions).
#[derive(Clone, Copy)]
struct QName<'a> {
    ns: &'a str,
    sym: u32,
}

impl Symbols {
    /// The symbol of names the schema does not mention.
    const NONE: u32 = u32::MAX;

    /// Numbers every `Name` name class (equal names get equal numbers).
    fn assign(classes: &mut [NameClass]) -> Symbols {
        let mut symbols = Symbols::default();
        let mut next = 0u32;
        for nc in classes.iter_mut() {
            if let NameClass::Name(ns, local, sym) = nc {
                let list = symbols.by_local.entry(local.clone()).or_default();
                *sym = match list.iter().find(|(n, _)| n == ns) {
                    Some((_, s)) => *s,
                    None => {
                        list.push((ns.clone(), next));
                        next += 1;
                        next - 1
                    }
                };
            }
        }
        symbols
    }

    fn lookup<'a>(&self, ns: &'a str, local: &'a str) -> QName<'a> {
        let sym = self
            .by_local
            .get(local)
            .and_then(|l| l.iter().find(|(n, _)| n == ns))
            .map_or(Symbols::NONE, |(_, s)| *s);
        QName { ns, sym }
    }
}

/// A `<value>`: the datatype that compares and the schema's lexical form.
#[derive(Debug)]
struct Value {
    datatype: Datatype,
    text: String,
}

/// A compiled schema.
#[derive(Debug)]
pub struct Schema {
    path: PathBuf,
    arena: Arena,
    name_classes: Vec<NameClass>,
    symbols: Symbols,
    datatypes: Vec<Datatype>,
    values: Vec<Value>,
    /// The content pattern of each element pattern.
    elements: Vec<P>,
    start: P,
    /// Derivatives kept from earlier validations.
    cache: Mutex<Option<validate::Cache>>,
}

impl Schema {
    /// Reads and compiles the schema at `path` and the files it includes.
    pub fn load(path: impl AsRef<Path>) -> Result<Schema, SchemaError> {
        compile::compile(path.as_ref())
    }

    /// The file the schema was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many distinct simplified patterns the schema has (a size measure).
    pub fn pattern_count(&self) -> usize {
        self.arena.len()
    }

    /// Checks a parsed document against the schema.
    pub fn validate(&self, doc: &roxmltree::Document<'_>) -> Result<(), Invalid> {
        validate::validate(self, doc.root_element())
    }

    /// Checks one element (and its subtree) against the schema's start pattern.
    pub fn validate_element(&self, root: roxmltree::Node<'_, '_>) -> Result<(), Invalid> {
        validate::validate(self, root)
    }

    fn name_matches(&self, nc: u32, name: &QName<'_>) -> bool {
        match &self.name_classes[nc as usize] {
            NameClass::AnyName(ex) => ex.is_none_or(|e| !self.name_matches(e, name)),
            NameClass::NsName(n, ex) => {
                n == name.ns && ex.is_none_or(|e| !self.name_matches(e, name))
            }
            NameClass::Name(_, _, sym) => *sym == name.sym,
            NameClass::Choice(a, b) => self.name_matches(*a, name) || self.name_matches(*b, name),
        }
    }
}
