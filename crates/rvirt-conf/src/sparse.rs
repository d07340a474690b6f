//! Storage for the parts of a definition that most objects leave empty.
//!
//! A daemon holds thousands of definitions, and most of them never use `<kernel>`, `<loader>`
//! or a single device. [`Sparse`] keeps such a part out of line and allocates it only when it is
//! written: reading an absent part gives a shared empty value, so callers use it like a plain
//! field. [`Token`] keeps enumerated attribute values (`destroy`, `hvm`, `utc`…) without an
//! allocation.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// A string that is usually one of a fixed set of values: borrowed from that set when it is one,
/// owned otherwise.
pub type Token = Cow<'static, str>;

/// `value` as a [`Token`], borrowed from `known` when it is one of them.
pub fn token(value: &str, known: &[&'static str]) -> Token {
    match known.iter().find(|k| **k == value) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(value.to_string()),
    }
}

/// A type with a shared empty value, what an absent [`Sparse`] part reads as.
pub trait Empty: Default + PartialEq + 'static {
    /// The empty value.
    fn empty() -> &'static Self;
}

/// A part of a definition kept out of line and allocated only once something is written to it.
/// Reads of an absent part see [`Empty::empty`]; any mutable access allocates it. Call
/// [`Sparse::shrink`] after filling it to give an empty part's memory back.
pub struct Sparse<T: Empty>(Option<Box<T>>);

impl<T: Empty> Sparse<T> {
    /// Frees the part if it is empty.
    pub fn shrink(&mut self) {
        if self.0.as_deref().is_some_and(|v| v == T::empty()) {
            self.0 = None;
        }
    }

    /// Whether the part is allocated (something was written to it and not shrunk away).
    pub fn is_allocated(&self) -> bool {
        self.0.is_some()
    }
}

impl<T: Empty> Default for Sparse<T> {
    fn default() -> Self {
        Sparse(None)
    }
}

impl<T: Empty> From<T> for Sparse<T> {
    fn from(value: T) -> Self {
        let mut s = Sparse(Some(Box::new(value)));
        s.shrink();
        s
    }
}

impl<T: Empty> Deref for Sparse<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or_else(|| T::empty())
    }
}

impl<T: Empty> DerefMut for Sparse<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T: Empty + Clone> Clone for Sparse<T> {
    fn clone(&self) -> Self {
        Sparse(self.0.clone())
    }
}

impl<T: Empty> PartialEq for Sparse<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Empty + Eq> Eq for Sparse<T> {}

impl<T: Empty + fmt::Debug> fmt::Debug for Sparse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, PartialEq, Clone, Debug)]
    struct Part {
        items: Vec<u32>,
    }

    static EMPTY_PART: Part = Part { items: Vec::new() };

    impl Empty for Part {
        fn empty() -> &'static Self {
            &EMPTY_PART
        }
    }

    #[test]
    fn reads_do_not_allocate_and_writes_do() {
        let mut s: Sparse<Part> = Sparse::default();
        assert!(s.items.is_empty());
        assert!(!s.is_allocated());
        s.items.push(3);
        assert!(s.is_allocated());
        assert_eq!(s.items, [3]);
        s.items.clear();
        s.shrink();
        assert!(!s.is_allocated());
        assert_eq!(s, Sparse::default());
    }

    #[test]
    fn a_filled_part_stays_after_shrink_and_compares_by_value() {
        let s: Sparse<Part> = Part { items: vec![1] }.into();
        assert!(s.is_allocated());
        let empty: Sparse<Part> = Part::default().into();
        assert!(!empty.is_allocated());
        assert_ne!(s, empty);
        assert_eq!(s.clone(), s);
    }

    #[test]
    fn tokens_borrow_known_values() {
        assert!(matches!(
            token("hvm", &["xen", "hvm"]),
            Cow::Borrowed("hvm")
        ));
        assert!(matches!(token("other", &["xen"]), Cow::Owned(_)));
    }
}
