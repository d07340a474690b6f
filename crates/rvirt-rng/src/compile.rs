//! From RELAX NG's XML syntax to simplified patterns: files and their includes, grammars and
//! their defines (with `combine`), references, name classes, datatypes and values.

use crate::datatype::Datatype;
use crate::pattern::{Arena, P, Pat, Store};
use crate::{NameClass, Schema, SchemaError, Value};
use roxmltree::{Document, Node};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The RELAX NG structure namespace.
const RNG_NS: &str = "http://relaxng.org/ns/structure/1.0";

/// Reads `path` and every file it includes (recursively) into `texts`.
fn load_texts(path: &Path, texts: &mut HashMap<PathBuf, String>) -> Result<(), SchemaError> {
    if texts.contains_key(path) {
        return Ok(());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| SchemaError::new(format!("failed to load {}: {e}", path.display())))?;
    let hrefs: Vec<PathBuf> = {
        let doc = parse(path, &text)?;
        doc.descendants()
            .filter(|n| is_rng(*n, "include") || is_rng(*n, "externalRef"))
            .filter_map(|n| n.attribute("href").map(|h| resolve(path, h)))
            .collect()
    };
    texts.insert(path.to_path_buf(), text);
    for h in hrefs {
        load_texts(&h, texts)?;
    }
    Ok(())
}

fn parse<'t>(path: &Path, text: &'t str) -> Result<Document<'t>, SchemaError> {
    Document::parse(text)
        .map_err(|e| SchemaError::new(format!("failed to parse {}: {e}", path.display())))
}

fn resolve(from: &Path, href: &str) -> PathBuf {
    from.parent().unwrap_or(Path::new(".")).join(href)
}

fn is_rng(n: Node<'_, '_>, name: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(RNG_NS) && n.tag_name().name() == name
}

/// The RELAX NG element children of a node (foreign elements and text are annotations).
fn rng_children<'a, 'i>(n: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(RNG_NS))
}

/// An attribute inherited from the nearest ancestor (or the node itself) that has it.
fn inherited<'a>(n: Node<'a, '_>, attr: &str) -> &'a str {
    n.ancestors()
        .find_map(|a| a.attribute(attr))
        .unwrap_or_default()
}

/// The text of an element, trimmed (names, refs).
fn text_of<'a>(n: Node<'a, '_>) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_string()
}

type RNode<'d> = Node<'d, 'd>;

/// One grammar's definitions.
struct Scope<'d> {
    parent: Option<usize>,
    start: Vec<RNode<'d>>,
    defines: HashMap<String, Vec<RNode<'d>>>,
}

struct Compiler<'d> {
    docs: &'d HashMap<PathBuf, Document<'d>>,
    arena: Arena,
    name_classes: Vec<NameClass>,
    datatypes: Vec<Datatype>,
    values: Vec<Value>,
    elements: Vec<P>,
    scopes: Vec<Scope<'d>>,
    defined: HashMap<(usize, String), P>,
    in_progress: HashSet<(usize, String)>,
    /// Element contents still to compile: element index, its node, its scope.
    pending: Vec<(usize, RNode<'d>, usize)>,
}

/// Compiles the schema file at `path` (and its includes).
pub fn compile(path: &Path) -> Result<Schema, SchemaError> {
    let mut texts = HashMap::new();
    load_texts(path, &mut texts)?;
    let mut docs = HashMap::new();
    for (p, t) in &texts {
        docs.insert(p.clone(), parse(p, t)?);
    }
    let mut c = Compiler {
        docs: &docs,
        arena: Arena::default(),
        name_classes: Vec::new(),
        datatypes: Vec::new(),
        values: Vec::new(),
        elements: Vec::new(),
        scopes: Vec::new(),
        defined: HashMap::new(),
        in_progress: HashSet::new(),
        pending: Vec::new(),
    };
    let root = docs[path].root_element();
    let start = c.pattern(root, None)?;
    while let Some((idx, node, scope)) = c.pending.pop() {
        let skip = usize::from(node.attribute("name").is_none());
        let content = c.group_of(rng_children(node).skip(skip), scope)?;
        c.elements[idx] = content;
    }
    let mut name_classes = c.name_classes;
    let symbols = crate::Symbols::assign(&mut name_classes);
    Ok(Schema {
        path: path.to_path_buf(),
        arena: c.arena,
        name_classes,
        symbols,
        datatypes: c.datatypes,
        values: c.values,
        elements: c.elements,
        start,
        cache: std::sync::Mutex::new(None),
    })
}

impl<'d> Compiler<'d> {
    /// Adds a grammar's content (start, define, div, include) to a scope; names in `skip` are
    /// overridden by the including file and left out.
    fn grammar_content(
        &mut self,
        scope: usize,
        node: RNode<'d>,
        skip: &HashSet<String>,
    ) -> Result<(), SchemaError> {
        for child in rng_children(node) {
            match child.tag_name().name() {
                "start" if !skip.contains("") => self.scopes[scope].start.push(child),
                "start" => {}
                "define" => {
                    let name = child
                        .attribute("name")
                        .ok_or_else(|| SchemaError::new("define without a name"))?;
                    if !skip.contains(name) {
                        self.scopes[scope]
                            .defines
                            .entry(name.to_string())
                            .or_default()
                            .push(child);
                    }
                }
                "div" => self.grammar_content(scope, child, skip)?,
                "include" => {
                    let href = child
                        .attribute("href")
                        .ok_or_else(|| SchemaError::new("include without href"))?;
                    let included = self.included(child, href)?;
                    let mut overridden = skip.clone();
                    collect_overrides(child, &mut overridden);
                    self.grammar_content(scope, included, &overridden)?;
                    self.grammar_content(scope, child, skip)?;
                }
                other => {
                    return Err(SchemaError::new(format!(
                        "unexpected <{other}> in a grammar"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The root `<grammar>` of the file an `<include>` names.
    fn included(&self, include: RNode<'d>, href: &str) -> Result<RNode<'d>, SchemaError> {
        let from = self
            .docs
            .iter()
            .find(|(_, d)| std::ptr::eq(*d, include.document()))
            .map(|(p, _)| p.clone())
            .ok_or_else(|| SchemaError::new("include from an unknown document"))?;
        let path = resolve(&from, href);
        let doc = self
            .docs
            .get(&path)
            .ok_or_else(|| SchemaError::new(format!("{} was not loaded", path.display())))?;
        let root = doc.root_element();
        if !is_rng(root, "grammar") {
            return Err(SchemaError::new(format!(
                "{} is not a grammar",
                path.display()
            )));
        }
        Ok(root)
    }

    fn new_scope(
        &mut self,
        parent: Option<usize>,
        grammar: RNode<'d>,
    ) -> Result<usize, SchemaError> {
        self.scopes.push(Scope {
            parent,
            start: Vec::new(),
            defines: HashMap::new(),
        });
        let id = self.scopes.len() - 1;
        self.grammar_content(id, grammar, &HashSet::new())?;
        Ok(id)
    }

    /// Combines the bodies of several `<start>`s or `<define>`s of one name.
    fn combine(&mut self, defs: &[RNode<'d>], scope: usize) -> Result<P, SchemaError> {
        let interleave = defs
            .iter()
            .any(|d| d.attribute("combine") == Some("interleave"));
        let mut acc: Option<P> = None;
        for d in defs {
            let body = self.group_of(rng_children(*d), scope)?;
            acc = Some(match acc {
                None => body,
                Some(a) if interleave => self.arena.interleave(a, body),
                Some(a) => self.arena.choice(a, body),
            });
        }
        acc.ok_or_else(|| SchemaError::new("reference to nothing"))
    }

    fn define(&mut self, scope: usize, name: &str) -> Result<P, SchemaError> {
        let key = (scope, name.to_string());
        if let Some(p) = self.defined.get(&key) {
            return Ok(*p);
        }
        if !self.in_progress.insert(key.clone()) {
            return Err(SchemaError::new(format!(
                "recursive reference to '{name}' outside an element"
            )));
        }
        let defs = self.scopes[scope]
            .defines
            .get(name)
            .cloned()
            .ok_or_else(|| SchemaError::new(format!("reference to undefined '{name}'")))?;
        let p = self.combine(&defs, scope)?;
        self.in_progress.remove(&key);
        self.defined.insert(key, p);
        Ok(p)
    }

    fn group_of(
        &mut self,
        nodes: impl Iterator<Item = RNode<'d>>,
        scope: usize,
    ) -> Result<P, SchemaError> {
        let mut acc = self.arena.empty();
        for n in nodes {
            let p = self.pattern(n, Some(scope))?;
            acc = self.arena.group(acc, p);
        }
        Ok(acc)
    }

    fn push_nc(&mut self, nc: NameClass) -> u32 {
        self.name_classes.push(nc);
        u32::try_from(self.name_classes.len() - 1).expect("name classes fit u32")
    }

    fn name_class(&mut self, n: RNode<'d>, attribute: bool) -> Result<u32, SchemaError> {
        let except = |c: &mut Self| -> Result<Option<u32>, SchemaError> {
            match rng_children(n).find(|x| x.tag_name().name() == "except") {
                Some(e) => {
                    let mut acc = None;
                    for x in rng_children(e) {
                        let nc = c.name_class(x, attribute)?;
                        acc = Some(match acc {
                            None => nc,
                            Some(a) => c.push_nc(NameClass::Choice(a, nc)),
                        });
                    }
                    Ok(acc)
                }
                None => Ok(None),
            }
        };
        let nc = match n.tag_name().name() {
            "anyName" => NameClass::AnyName(except(self)?),
            "nsName" => NameClass::NsName(inherited(n, "ns").to_string(), except(self)?),
            "name" => {
                let (ns, local) = qname(n, &text_of(n), attribute)?;
                NameClass::Name(ns, local, u32::MAX)
            }
            "choice" => {
                let mut acc = None;
                for x in rng_children(n) {
                    let nc = self.name_class(x, attribute)?;
                    acc = Some(match acc {
                        None => nc,
                        Some(a) => self.push_nc(NameClass::Choice(a, nc)),
                    });
                }
                return acc.ok_or_else(|| SchemaError::new("empty name class choice"));
            }
            other => {
                return Err(SchemaError::new(format!("<{other}> is not a name class")));
            }
        };
        Ok(self.push_nc(nc))
    }

    fn datatype(&mut self, dt: Datatype) -> u32 {
        self.datatypes.push(dt);
        u32::try_from(self.datatypes.len() - 1).expect("datatypes fit u32")
    }

    /// Compiles one pattern element. `scope` is `None` only for the schema's root.
    fn pattern(&mut self, n: RNode<'d>, scope: Option<usize>) -> Result<P, SchemaError> {
        let sc = || scope.ok_or_else(|| SchemaError::new("pattern outside a grammar"));
        if n.tag_name().namespace() != Some(RNG_NS) {
            return Err(SchemaError::new(format!(
                "<{}> is not a RELAX NG element",
                n.tag_name().name()
            )));
        }
        Ok(match n.tag_name().name() {
            "grammar" => {
                let id = self.new_scope(scope, n)?;
                let starts = self.scopes[id].start.clone();
                if starts.is_empty() {
                    return Err(SchemaError::new("grammar without <start>"));
                }
                self.combine(&starts, id)?
            }
            "element" => {
                let nc = match n.attribute("name") {
                    Some(name) => {
                        let (ns, local) = qname(n, name, false)?;
                        self.push_nc(NameClass::Name(ns, local, u32::MAX))
                    }
                    None => {
                        let first = rng_children(n)
                            .next()
                            .ok_or_else(|| SchemaError::new("element without a name"))?;
                        self.name_class(first, false)?
                    }
                };
                self.elements.push(self.arena.not_allowed());
                let idx = self.elements.len() - 1;
                self.pending.push((idx, n, sc()?));
                let idx = u32::try_from(idx).expect("elements fit u32");
                self.arena.intern(Pat::Element(nc, idx))
            }
            "attribute" => {
                let nc = match n.attribute("name") {
                    Some(name) => {
                        let (ns, local) = qname(n, name, true)?;
                        self.push_nc(NameClass::Name(ns, local, u32::MAX))
                    }
                    None => {
                        let first = rng_children(n)
                            .next()
                            .ok_or_else(|| SchemaError::new("attribute without a name"))?;
                        self.name_class(first, true)?
                    }
                };
                let skip = usize::from(n.attribute("name").is_none());
                let content: Vec<RNode<'d>> = rng_children(n).skip(skip).collect();
                let value = if content.is_empty() {
                    self.arena.intern(Pat::Text)
                } else {
                    self.group_of(content.into_iter(), sc()?)?
                };
                self.arena.intern(Pat::Attribute(nc, value))
            }
            "group" => self.group_of(rng_children(n), sc()?)?,
            "interleave" | "choice" => {
                let mut acc: Option<P> = None;
                for c in rng_children(n) {
                    let p = self.pattern(c, scope)?;
                    acc = Some(match acc {
                        None => p,
                        Some(a) if n.tag_name().name() == "choice" => self.arena.choice(a, p),
                        Some(a) => self.arena.interleave(a, p),
                    });
                }
                acc.ok_or_else(|| SchemaError::new("empty choice or interleave"))?
            }
            "optional" => {
                let p = self.group_of(rng_children(n), sc()?)?;
                let e = self.arena.empty();
                self.arena.choice(p, e)
            }
            "zeroOrMore" => {
                let p = self.group_of(rng_children(n), sc()?)?;
                let p = self.arena.one_or_more(p);
                let e = self.arena.empty();
                self.arena.choice(p, e)
            }
            "oneOrMore" => {
                let p = self.group_of(rng_children(n), sc()?)?;
                self.arena.one_or_more(p)
            }
            "mixed" => {
                let p = self.group_of(rng_children(n), sc()?)?;
                let t = self.arena.intern(Pat::Text);
                self.arena.interleave(p, t)
            }
            "list" => {
                let p = self.group_of(rng_children(n), sc()?)?;
                self.arena.intern(Pat::List(p))
            }
            "ref" | "parentRef" => {
                let name = n
                    .attribute("name")
                    .ok_or_else(|| SchemaError::new("ref without a name"))?;
                let mut s = sc()?;
                if n.tag_name().name() == "parentRef" {
                    s = self.scopes[s]
                        .parent
                        .ok_or_else(|| SchemaError::new("parentRef outside a nested grammar"))?;
                }
                self.define(s, name)?
            }
            "empty" => self.arena.empty(),
            "notAllowed" => self.arena.not_allowed(),
            "text" => self.arena.intern(Pat::Text),
            "value" => {
                let (lib, ty) = match n.attribute("type") {
                    Some(t) => (inherited(n, "datatypeLibrary"), t),
                    None => ("", "token"),
                };
                let dt = Datatype::new(lib, ty, &[])?;
                let text: String = n.children().filter_map(|c| c.text()).collect();
                self.values.push(Value { datatype: dt, text });
                let idx = u32::try_from(self.values.len() - 1).expect("values fit u32");
                self.arena.intern(Pat::Value(idx))
            }
            "data" => {
                let ty = n
                    .attribute("type")
                    .ok_or_else(|| SchemaError::new("data without a type"))?;
                let params: Vec<(String, String)> = rng_children(n)
                    .filter(|c| c.tag_name().name() == "param")
                    .map(|c| {
                        let text: String = c.children().filter_map(|t| t.text()).collect();
                        (c.attribute("name").unwrap_or_default().to_string(), text)
                    })
                    .collect();
                let dt = Datatype::new(inherited(n, "datatypeLibrary"), ty, &params)?;
                let idx = self.datatype(dt);
                match rng_children(n).find(|c| c.tag_name().name() == "except") {
                    Some(e) => {
                        let mut acc: Option<P> = None;
                        for c in rng_children(e) {
                            let p = self.pattern(c, scope)?;
                            acc = Some(match acc {
                                None => p,
                                Some(a) => self.arena.choice(a, p),
                            });
                        }
                        let ex = acc.unwrap_or(self.arena.not_allowed());
                        self.arena.intern(Pat::DataExcept(idx, ex))
                    }
                    None => self.arena.intern(Pat::Data(idx)),
                }
            }
            "externalRef" => {
                return Err(SchemaError::new("externalRef is not supported"));
            }
            other => {
                return Err(SchemaError::new(format!("unexpected pattern <{other}>")));
            }
        })
    }
}

/// Collects the start (as "") and define names that an `<include>` overrides.
fn collect_overrides(include: RNode<'_>, out: &mut HashSet<String>) {
    for c in rng_children(include) {
        match c.tag_name().name() {
            "start" => {
                out.insert(String::new());
            }
            "define" => {
                if let Some(n) = c.attribute("name") {
                    out.insert(n.to_string());
                }
            }
            "div" => collect_overrides(c, out),
            _ => {}
        }
    }
}

/// Resolves a QName of the schema: attributes get no namespace unless prefixed or `ns` is set
/// on them; elements inherit `ns`.
fn qname(n: RNode<'_>, name: &str, attribute: bool) -> Result<(String, String), SchemaError> {
    if let Some((prefix, local)) = name.split_once(':') {
        let ns = n
            .lookup_namespace_uri(Some(prefix))
            .ok_or_else(|| SchemaError::new(format!("unbound prefix in '{name}'")))?;
        return Ok((ns.to_string(), local.to_string()));
    }
    let ns = if attribute {
        n.attribute("ns").unwrap_or_default()
    } else {
        inherited(n, "ns")
    };
    Ok((ns.to_string(), name.to_string()))
}
