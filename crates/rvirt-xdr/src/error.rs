//! Decoding errors.

/// Why XDR input could not be decoded. Every variant names the byte offset, from the start of
/// the reader's input, where the offending item begins.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XdrError {
    /// The input ended inside an item.
    #[error("XDR data ends at byte {pos}: {needed} more bytes needed, {available} left")]
    UnexpectedEnd {
        /// Where the item being read begins.
        pos: usize,
        /// How many bytes it needs.
        needed: usize,
        /// How many bytes were left.
        available: usize,
    },
    /// The padding after opaque data or a string was not zero.
    #[error("non-zero XDR padding at byte {pos}")]
    NonZeroPadding {
        /// Where the padding begins.
        pos: usize,
    },
    /// A length word exceeds the limit the type declares.
    #[error("XDR length {len} at byte {pos} exceeds the limit of {max}")]
    LengthOverLimit {
        /// Where the length word is.
        pos: usize,
        /// The length read.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// An enum value or union discriminant that the type does not define.
    #[error("invalid discriminant {value} for {ty} at byte {pos}")]
    InvalidDiscriminant {
        /// Where the discriminant word is.
        pos: usize,
        /// The Rust type being decoded.
        ty: &'static str,
        /// The value read.
        value: i32,
    },
    /// A string that is not UTF-8.
    #[error("XDR string at byte {pos} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where the string's bytes begin.
        pos: usize,
    },
    /// Bytes left over after a value that should have spanned the whole input.
    #[error("{remaining} trailing bytes after XDR data at byte {pos}")]
    TrailingBytes {
        /// Where the unread bytes begin.
        pos: usize,
        /// How many there are.
        remaining: usize,
    },
}

impl XdrError {
    /// The byte offset the error refers to.
    pub fn position(&self) -> usize {
        match *self {
            XdrError::UnexpectedEnd { pos, .. }
            | XdrError::NonZeroPadding { pos }
            | XdrError::LengthOverLimit { pos, .. }
            | XdrError::InvalidDiscriminant { pos, .. }
            | XdrError::InvalidUtf8 { pos }
            | XdrError::TrailingBytes { pos, .. } => pos,
        }
    }
}
