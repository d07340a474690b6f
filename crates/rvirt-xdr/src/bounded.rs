//! Length-limited strings, arrays and opaque data: XDR's `string x<MAX>`, `T x<MAX>` and
//! `opaque x<MAX>`, and rpcgen's `char x[N]`.
//!
//! The limit is part of the type, checked when a value is built (so encoding cannot exceed it)
//! and when a length word is read (before anything is allocated for it).

use std::borrow::Borrow;
use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::{XdrDecode, XdrEncode, XdrError, XdrReader, put_padded};

/// A value longer than its type's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("length {len} exceeds the limit of {max}")]
pub struct LengthError {
    /// The length offered.
    pub len: usize,
    /// The type's limit.
    pub max: usize,
}

/// Checks `len` against a `u32` limit.
fn check(len: usize, max: u32) -> Result<(), LengthError> {
    match u32::try_from(len) {
        Ok(l) if l <= max => Ok(()),
        _ => Err(LengthError {
            len,
            max: max as usize,
        }),
    }
}

/// Encodes a length already checked against a `u32` limit.
#[inline]
fn put_len(len: usize, out: &mut Vec<u8>) {
    // Construction guarantees `len <= MAX <= u32::MAX`.
    (len as u32).encode(out);
}

/// Capacity to reserve for `len` decoded elements: never more than the input could hold at one
/// word per element, so a forged length cannot make us allocate beyond the input's size.
fn capacity_hint(len: u32, r: &XdrReader<'_>) -> usize {
    (len as usize).min(r.remaining() / 4)
}

/// A UTF-8 string of at most `MAX` bytes: XDR `string x<MAX>`. Like libvirtd, decoding does not
/// reject NUL bytes; the C side would see the string end at the first one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedString<const MAX: u32>(String);

impl<const MAX: u32> BoundedString<MAX> {
    /// `s`, if it is at most `MAX` bytes long.
    pub fn new(s: impl Into<String>) -> Result<Self, LengthError> {
        let s = s.into();
        check(s.len(), MAX)?;
        Ok(BoundedString(s))
    }

    /// The string, as a `String`.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: u32> Deref for BoundedString<MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: u32> AsRef<str> for BoundedString<MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: u32> Borrow<str> for BoundedString<MAX> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<const MAX: u32> fmt::Display for BoundedString<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: u32> PartialEq<str> for BoundedString<MAX> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl<const MAX: u32> PartialEq<&str> for BoundedString<MAX> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<const MAX: u32> TryFrom<String> for BoundedString<MAX> {
    type Error = LengthError;
    fn try_from(s: String) -> Result<Self, LengthError> {
        Self::new(s)
    }
}

impl<const MAX: u32> TryFrom<&str> for BoundedString<MAX> {
    type Error = LengthError;
    fn try_from(s: &str) -> Result<Self, LengthError> {
        check(s.len(), MAX)?;
        Ok(BoundedString(s.to_owned()))
    }
}

impl<const MAX: u32> From<BoundedString<MAX>> for String {
    fn from(s: BoundedString<MAX>) -> String {
        s.0
    }
}

impl<const MAX: u32> XdrEncode for BoundedString<MAX> {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.0.len(), out);
        put_padded(self.0.as_bytes(), out);
    }
}

impl<const MAX: u32> XdrDecode for BoundedString<MAX> {
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        let len = r.read_length(MAX)?;
        let pos = r.position();
        let bytes = r.read_opaque(len as usize)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(BoundedString(s.to_owned())),
            Err(_) => Err(XdrError::InvalidUtf8 { pos }),
        }
    }
}

/// Variable-length opaque data of at most `MAX` bytes: XDR `opaque x<MAX>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedOpaque<const MAX: u32>(Vec<u8>);

impl<const MAX: u32> BoundedOpaque<MAX> {
    /// `bytes`, if there are at most `MAX` of them.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, LengthError> {
        let bytes = bytes.into();
        check(bytes.len(), MAX)?;
        Ok(BoundedOpaque(bytes))
    }

    /// The bytes, as a `Vec`.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl<const MAX: u32> Deref for BoundedOpaque<MAX> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl<const MAX: u32> DerefMut for BoundedOpaque<MAX> {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl<const MAX: u32> AsRef<[u8]> for BoundedOpaque<MAX> {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl<const MAX: u32> TryFrom<Vec<u8>> for BoundedOpaque<MAX> {
    type Error = LengthError;
    fn try_from(bytes: Vec<u8>) -> Result<Self, LengthError> {
        Self::new(bytes)
    }
}

impl<const MAX: u32> TryFrom<&[u8]> for BoundedOpaque<MAX> {
    type Error = LengthError;
    fn try_from(bytes: &[u8]) -> Result<Self, LengthError> {
        check(bytes.len(), MAX)?;
        Ok(BoundedOpaque(bytes.to_vec()))
    }
}

impl<const MAX: u32> From<BoundedOpaque<MAX>> for Vec<u8> {
    fn from(o: BoundedOpaque<MAX>) -> Vec<u8> {
        o.0
    }
}

impl<const MAX: u32> XdrEncode for BoundedOpaque<MAX> {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.0.len(), out);
        put_padded(&self.0, out);
    }
}

impl<const MAX: u32> XdrDecode for BoundedOpaque<MAX> {
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        r.read_variable_opaque(MAX)
            .map(|b| BoundedOpaque(b.to_vec()))
    }
}

/// An array of at most `MAX` elements: XDR `T x<MAX>`, a length word then the elements.
///
/// `BoundedVec<u8, MAX>` is rpcgen's `unsigned char x<MAX>`, one word per byte; for `opaque`
/// use [`BoundedOpaque`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BoundedVec<T, const MAX: u32>(Vec<T>);

impl<T, const MAX: u32> BoundedVec<T, MAX> {
    /// `items`, if there are at most `MAX` of them.
    pub fn new(items: Vec<T>) -> Result<Self, LengthError> {
        check(items.len(), MAX)?;
        Ok(BoundedVec(items))
    }

    /// Appends `item`, unless the array is full.
    pub fn try_push(&mut self, item: T) -> Result<(), LengthError> {
        check(self.0.len() + 1, MAX)?;
        self.0.push(item);
        Ok(())
    }

    /// The elements, as a `Vec`.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T, const MAX: u32> Default for BoundedVec<T, MAX> {
    fn default() -> Self {
        BoundedVec(Vec::new())
    }
}

impl<T, const MAX: u32> Deref for BoundedVec<T, MAX> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T, const MAX: u32> DerefMut for BoundedVec<T, MAX> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T, const MAX: u32> TryFrom<Vec<T>> for BoundedVec<T, MAX> {
    type Error = LengthError;
    fn try_from(items: Vec<T>) -> Result<Self, LengthError> {
        Self::new(items)
    }
}

impl<T, const MAX: u32> From<BoundedVec<T, MAX>> for Vec<T> {
    fn from(v: BoundedVec<T, MAX>) -> Vec<T> {
        v.0
    }
}

impl<T, const MAX: u32> IntoIterator for BoundedVec<T, MAX> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T, const MAX: u32> IntoIterator for &'a BoundedVec<T, MAX> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: XdrEncode, const MAX: u32> XdrEncode for BoundedVec<T, MAX> {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        put_len(self.0.len(), out);
        for item in &self.0 {
            item.encode(out);
        }
    }
}

impl<T: XdrDecode, const MAX: u32> XdrDecode for BoundedVec<T, MAX> {
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        let len = r.read_length(MAX)?;
        let mut items = Vec::with_capacity(capacity_hint(len, r));
        for _ in 0..len {
            items.push(T::decode(r)?);
        }
        Ok(BoundedVec(items))
    }
}

/// rpcgen's fixed `char x[N]` (libvirt's `remote_node_get_info_ret.model`): `N` C chars, each in
/// its own word, holding NUL-padded text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CharArray<const N: usize>(pub [u8; N]);

impl<const N: usize> CharArray<N> {
    /// `bytes` followed by NULs, if they fit in `N` bytes. libvirt's C side expects a terminating
    /// NUL, so text meant for it should be at most `N - 1` bytes.
    pub fn new(bytes: &[u8]) -> Result<Self, LengthError> {
        if bytes.len() > N {
            return Err(LengthError {
                len: bytes.len(),
                max: N,
            });
        }
        let mut out = [0; N];
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(CharArray(out))
    }

    /// The bytes before the first NUL: the C string.
    pub fn text(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        &self.0[..end]
    }
}

impl<const N: usize> Default for CharArray<N> {
    fn default() -> Self {
        CharArray([0; N])
    }
}

impl<const N: usize> XdrEncode for CharArray<N> {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(4 * N);
        for &b in &self.0 {
            // A C `char`, signed on the platforms libvirtd mostly runs on.
            i8::from_ne_bytes([b]).encode(out);
        }
    }
}

impl<const N: usize> XdrDecode for CharArray<N> {
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        let mut out = [0; N];
        for b in &mut out {
            *b = u8::decode(r)?;
        }
        Ok(CharArray(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_all, to_bytes};

    #[test]
    fn string_exact_bytes() {
        let s = BoundedString::<16>::new("abc").unwrap_or_default();
        assert_eq!(to_bytes(&s), [0, 0, 0, 3, b'a', b'b', b'c', 0]);
        assert_eq!(decode_all(&[0, 0, 0, 3, b'a', b'b', b'c', 0]), Ok(s));
        let empty = BoundedString::<16>::default();
        assert_eq!(to_bytes(&empty), [0, 0, 0, 0]);
        let four = BoundedString::<16>::try_from("abcd").unwrap_or_default();
        assert_eq!(to_bytes(&four), [0, 0, 0, 4, b'a', b'b', b'c', b'd']);
        assert_eq!(four, "abcd");
    }

    #[test]
    fn string_limits() {
        assert_eq!(
            BoundedString::<2>::new("abc"),
            Err(LengthError { len: 3, max: 2 })
        );
        assert_eq!(
            decode_all::<BoundedString<2>>(&[0, 0, 0, 3, b'a', b'b', b'c', 0]),
            Err(XdrError::LengthOverLimit {
                pos: 0,
                len: 3,
                max: 2
            })
        );
    }

    #[test]
    fn string_rejects_bad_utf8_and_padding() {
        assert_eq!(
            decode_all::<BoundedString<8>>(&[0, 0, 0, 1, 0xff, 0, 0, 0]),
            Err(XdrError::InvalidUtf8 { pos: 4 })
        );
        assert_eq!(
            decode_all::<BoundedString<8>>(&[0, 0, 0, 1, b'a', 0, 9, 0]),
            Err(XdrError::NonZeroPadding { pos: 5 })
        );
    }

    #[test]
    fn huge_lengths_fail_before_allocating() {
        // 4 GiB claimed, within a u32::MAX limit: the reader sees the input is short and never
        // reserves the claimed size (the test would abort on allocation failure otherwise).
        let forged = [0xff, 0xff, 0xff, 0xfc, 1, 2, 3, 4];
        assert!(matches!(
            decode_all::<BoundedString<{ u32::MAX }>>(&forged),
            Err(XdrError::UnexpectedEnd { pos: 4, .. })
        ));
        assert!(matches!(
            decode_all::<BoundedOpaque<{ u32::MAX }>>(&forged),
            Err(XdrError::UnexpectedEnd { pos: 4, .. })
        ));
        assert!(matches!(
            decode_all::<BoundedVec<u64, { u32::MAX }>>(&forged),
            Err(XdrError::UnexpectedEnd { pos: 4, .. })
        ));
        // Over the declared limit: rejected at the length word.
        assert_eq!(
            decode_all::<BoundedVec<u32, 10>>(&forged),
            Err(XdrError::LengthOverLimit {
                pos: 0,
                len: 0xffff_fffc,
                max: 10
            })
        );
        // Zero-sized elements are bounded by the limit, not by the input.
        assert!(matches!(
            decode_all::<BoundedVec<(), 10>>(&[0, 0, 0, 11]),
            Err(XdrError::LengthOverLimit { len: 11, .. })
        ));
        assert_eq!(
            decode_all::<BoundedVec<(), 10>>(&[0, 0, 0, 10]).map(|v| v.len()),
            Ok(10)
        );
    }

    #[test]
    fn opaque_exact_bytes() {
        let o = BoundedOpaque::<8>::new(vec![1, 2, 3, 4, 5]).unwrap_or_default();
        let bytes = [0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0];
        assert_eq!(to_bytes(&o), bytes);
        assert_eq!(decode_all(&bytes), Ok(o));
        assert!(BoundedOpaque::<4>::try_from(&[0u8; 5][..]).is_err());
    }

    #[test]
    fn vec_exact_bytes_and_push_limit() {
        let mut v = BoundedVec::<u32, 2>::default();
        assert_eq!(v.try_push(7), Ok(()));
        assert_eq!(v.try_push(8), Ok(()));
        assert_eq!(v.try_push(9), Err(LengthError { len: 3, max: 2 }));
        let bytes = [0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 8];
        assert_eq!(to_bytes(&v), bytes);
        assert_eq!(decode_all(&bytes), Ok(v.clone()));
        assert_eq!(Vec::from(v), vec![7, 8]);
        // An element cut short.
        assert!(matches!(
            decode_all::<BoundedVec<u32, 2>>(&bytes[..10]),
            Err(XdrError::UnexpectedEnd { pos: 8, .. })
        ));
    }

    #[test]
    fn char_array_takes_a_word_per_char() {
        let c = CharArray::<3>::new(b"a\xc3").unwrap_or_default();
        let bytes = [0, 0, 0, b'a', 0xff, 0xff, 0xff, 0xc3, 0, 0, 0, 0];
        assert_eq!(to_bytes(&c), bytes);
        assert_eq!(decode_all(&bytes), Ok(c));
        assert_eq!(c.text(), b"a\xc3");
        assert_eq!(
            CharArray::<3>::new(b"abcd").map(|_| ()),
            Err(LengthError { len: 4, max: 3 })
        );
        // An unsigned-char sender's 0xc3 decodes the same.
        assert_eq!(
            decode_all::<CharArray<1>>(&[0, 0, 0, 0xc3]).map(|c| c.0),
            Ok([0xc3])
        );
    }
}
