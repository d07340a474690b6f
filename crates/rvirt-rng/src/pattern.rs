//! Simplified RELAX NG patterns, hash-consed in an arena so that equal patterns share one id
//! (which keeps derivatives small and makes memoising them cheap).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast, non-cryptographic hasher for small keys (pattern ids, patterns, names), in the
/// manner of rustc's FxHash: the tables here are hit on every derivative step and are never
/// keyed by anything an attacker picks beyond element names.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiplies leave the low bits (which pick the bucket) depending only on the low
        // bits of the input: a final avalanche (MurmurHash3's) spreads every bit over all.
        let mut z = self.hash;
        z ^= z >> 33;
        z = z.wrapping_mul(0xff51_afd7_ed55_8ccd);
        z ^= z >> 33;
        z = z.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A pattern's index in its arena.
pub type P = u32;

/// A simplified pattern (RELAX NG spec §4 plus the `After` of the derivative algorithm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pat {
    /// Matches nothing but the empty sequence.
    Empty,
    /// Matches nothing at all.
    NotAllowed,
    /// Any text.
    Text,
    /// Either side.
    Choice(P, P),
    /// Both sides, in any interleaving.
    Interleave(P, P),
    /// The left side, then the right one.
    Group(P, P),
    /// One or more repetitions.
    OneOrMore(P),
    /// A whitespace-separated list of tokens matching the pattern.
    List(P),
    /// A datatype (index into the schema's datatypes).
    Data(u32),
    /// A datatype except values matching the pattern.
    DataExcept(u32, P),
    /// A fixed value (index into the schema's values).
    Value(u32),
    /// An attribute: name class and value pattern.
    Attribute(u32, P),
    /// An element: name class and element index (its content lives in the schema).
    Element(u32, u32),
    /// Derivative bookkeeping: the left side must finish the open element, then the right.
    After(P, P),
}

/// A pattern with what the derivatives need to know about it, computed once at construction.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    /// The pattern.
    pub pat: Pat,
    /// Whether it matches the empty sequence.
    pub nullable: bool,
    /// Whether an attribute can match it now (outside the contents of its elements): without
    /// one, every attribute derivative is `notAllowed` and closing the start tag changes
    /// nothing.
    pub has_attr: bool,
    /// Whether text can match it now: without, every text derivative is `notAllowed`.
    pub has_text: bool,
}

/// Patterns by id, with the table that hash-conses them.
#[derive(Debug, Default)]
pub struct Arena {
    nodes: Vec<Node>,
    ids: FxMap<Pat, P>,
}

/// Where patterns are stored: the compiled schema's arena, or an overlay of it used while one
/// document is validated (so the schema stays shared and immutable).
pub trait Store {
    /// The node of an id.
    fn node(&self, p: P) -> Node;
    /// The id of a pattern, adding it if new.
    fn intern(&mut self, pat: Pat) -> P;

    /// The pattern of an id.
    fn pat(&self, p: P) -> Pat {
        self.node(p).pat
    }

    /// Whether the pattern matches the empty sequence.
    fn nullable(&self, p: P) -> bool {
        self.node(p).nullable
    }

    /// `notAllowed`.
    fn not_allowed(&mut self) -> P {
        self.intern(Pat::NotAllowed)
    }

    /// `empty`.
    fn empty(&mut self) -> P {
        self.intern(Pat::Empty)
    }

    /// A choice, flattened, de-duplicated and ordered so that equal choices share an id.
    fn choice(&mut self, a: P, b: P) -> P {
        if a == b {
            return a;
        }
        let (pa, pb) = (self.pat(a), self.pat(b));
        if pa == Pat::NotAllowed {
            return b;
        }
        if pb == Pat::NotAllowed {
            return a;
        }
        let mut leaves = Vec::new();
        for root in [a, b] {
            let mut stack = vec![root];
            while let Some(p) = stack.pop() {
                match self.pat(p) {
                    Pat::Choice(x, y) => {
                        stack.push(x);
                        stack.push(y);
                    }
                    _ => leaves.push(p),
                }
            }
        }
        leaves.sort_unstable();
        leaves.dedup();
        let mut iter = leaves.into_iter().rev();
        let Some(mut acc) = iter.next() else {
            return self.not_allowed();
        };
        for l in iter {
            acc = self.intern(Pat::Choice(l, acc));
        }
        acc
    }

    /// A group.
    fn group(&mut self, a: P, b: P) -> P {
        match (self.pat(a), self.pat(b)) {
            (Pat::NotAllowed, _) => a,
            (_, Pat::NotAllowed) => b,
            (Pat::Empty, _) => b,
            (_, Pat::Empty) => a,
            _ => self.intern(Pat::Group(a, b)),
        }
    }

    /// An interleave.
    fn interleave(&mut self, a: P, b: P) -> P {
        match (self.pat(a), self.pat(b)) {
            (Pat::NotAllowed, _) => a,
            (_, Pat::NotAllowed) => b,
            (Pat::Empty, _) => b,
            (_, Pat::Empty) => a,
            _ => {
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                self.intern(Pat::Interleave(a, b))
            }
        }
    }

    /// An `After`.
    fn after(&mut self, a: P, b: P) -> P {
        match (self.pat(a), self.pat(b)) {
            (Pat::NotAllowed, _) => a,
            (_, Pat::NotAllowed) => b,
            _ => self.intern(Pat::After(a, b)),
        }
    }

    /// One or more.
    fn one_or_more(&mut self, p: P) -> P {
        match self.pat(p) {
            Pat::NotAllowed | Pat::Empty => p,
            Pat::OneOrMore(_) => p,
            _ => self.intern(Pat::OneOrMore(p)),
        }
    }
}

impl Arena {
    /// How many patterns the arena holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    fn compute(&self, pat: Pat, node: &dyn Fn(P) -> Node) -> Node {
        let nullable = match pat {
            Pat::Empty | Pat::Text => true,
            Pat::Choice(a, b) => node(a).nullable || node(b).nullable,
            Pat::Interleave(a, b) | Pat::Group(a, b) => node(a).nullable && node(b).nullable,
            Pat::OneOrMore(p) => node(p).nullable,
            _ => false,
        };
        let (has_attr, has_text) = match pat {
            Pat::Choice(a, b) | Pat::Interleave(a, b) | Pat::Group(a, b) => {
                let (a, b) = (node(a), node(b));
                (a.has_attr || b.has_attr, a.has_text || b.has_text)
            }
            Pat::OneOrMore(p) | Pat::After(p, _) => {
                let p = node(p);
                (p.has_attr, p.has_text)
            }
            Pat::Attribute(..) => (true, false),
            Pat::Text | Pat::List(_) | Pat::Data(_) | Pat::DataExcept(..) | Pat::Value(_) => {
                (false, true)
            }
            Pat::Empty | Pat::NotAllowed | Pat::Element(..) => (false, false),
        };
        Node {
            pat,
            nullable,
            has_attr,
            has_text,
        }
    }
}

impl Store for Arena {
    fn node(&self, p: P) -> Node {
        self.nodes[p as usize]
    }

    fn intern(&mut self, pat: Pat) -> P {
        if let Some(&p) = self.ids.get(&pat) {
            return p;
        }
        let n = self.compute(pat, &|p| self.nodes[p as usize]);
        let id = P::try_from(self.nodes.len()).expect("fewer than 2^32 patterns");
        self.nodes.push(n);
        self.ids.insert(pat, id);
        id
    }
}

/// The patterns made while validating documents, on top of the schema's arena.
pub struct Overlay<'a> {
    base: &'a Arena,
    extra: Arena,
}

impl<'a> Overlay<'a> {
    /// An overlay of `base` holding the patterns of `extra` (made by earlier validations
    /// against the same base, or none).
    pub fn new(base: &'a Arena, extra: Arena) -> Overlay<'a> {
        Overlay { base, extra }
    }

    /// The patterns added on top of the base, to keep for the next overlay.
    pub fn into_extra(self) -> Arena {
        self.extra
    }
}

impl Store for Overlay<'_> {
    fn node(&self, p: P) -> Node {
        let n = self.base.nodes.len();
        if (p as usize) < n {
            self.base.nodes[p as usize]
        } else {
            self.extra.nodes[p as usize - n]
        }
    }

    fn intern(&mut self, pat: Pat) -> P {
        if let Some(&p) = self.base.ids.get(&pat) {
            return p;
        }
        if let Some(&p) = self.extra.ids.get(&pat) {
            return p;
        }
        let node = |p: P| self.node(p);
        let n = self.base.compute(pat, &node);
        let id = P::try_from(self.base.nodes.len() + self.extra.nodes.len())
            .expect("fewer than 2^32 patterns");
        self.extra.nodes.push(n);
        self.extra.ids.insert(pat, id);
        id
    }
}
