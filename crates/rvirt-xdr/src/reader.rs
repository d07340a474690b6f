//! A cursor over XDR input.

use crate::{XdrDecode, XdrError, pad_len};

/// Reads XDR items from a byte slice, tracking the position for error messages. Items borrowed
/// from the reader (opaque data) live as long as the input, not the reader.
#[derive(Clone, Debug)]
pub struct XdrReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> XdrReader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        XdrReader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The unread input, without consuming it.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Decodes one `T`; a shorthand for `T::decode(self)`.
    pub fn read<T: XdrDecode>(&mut self) -> Result<T, XdrError> {
        T::decode(self)
    }

    /// Succeeds only if all input has been consumed.
    pub fn finish(self) -> Result<(), XdrError> {
        match self.remaining() {
            0 => Ok(()),
            remaining => Err(XdrError::TrailingBytes {
                pos: self.pos,
                remaining,
            }),
        }
    }

    /// Consumes exactly `n` bytes, with no padding.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8], XdrError> {
        let available = self.remaining();
        if n > available {
            return Err(XdrError::UnexpectedEnd {
                pos: self.pos,
                needed: n,
                available,
            });
        }
        let bytes = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    /// Consumes one four-byte word.
    #[inline]
    pub fn read_word(&mut self) -> Result<[u8; 4], XdrError> {
        self.read_array()
    }

    /// Consumes `N` bytes as an array, with no padding.
    #[inline]
    pub(crate) fn read_array<const N: usize>(&mut self) -> Result<[u8; N], XdrError> {
        let bytes = self.read_bytes(N)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Consumes `n` bytes of opaque data and their padding, which must be zero.
    pub fn read_opaque(&mut self, n: usize) -> Result<&'a [u8], XdrError> {
        let data = self.read_bytes(n)?;
        let pad_pos = self.pos;
        if self.read_bytes(pad_len(n))?.iter().any(|&b| b != 0) {
            return Err(XdrError::NonZeroPadding { pos: pad_pos });
        }
        Ok(data)
    }

    /// Consumes a length word and checks it against `max`, before anything is allocated for it.
    pub fn read_length(&mut self, max: u32) -> Result<u32, XdrError> {
        let pos = self.pos;
        let len = u32::from_be_bytes(self.read_word()?);
        if len > max {
            return Err(XdrError::LengthOverLimit { pos, len, max });
        }
        Ok(len)
    }

    /// Consumes variable-length opaque data of at most `max` bytes (`opaque x<max>`), borrowing it
    /// from the input.
    pub fn read_variable_opaque(&mut self, max: u32) -> Result<&'a [u8], XdrError> {
        let len = self.read_length(max)?;
        // A u32 always fits in usize on the targets libvirt supports (32 and 64 bit).
        self.read_opaque(len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_position_and_rest() {
        let mut r = XdrReader::new(&[0, 0, 0, 1, 9, 9]);
        assert_eq!(r.read_word(), Ok([0, 0, 0, 1]));
        assert_eq!(r.position(), 4);
        assert_eq!(r.remaining(), 2);
        assert_eq!(r.rest(), &[9, 9]);
        assert_eq!(
            r.clone().finish(),
            Err(XdrError::TrailingBytes {
                pos: 4,
                remaining: 2
            })
        );
        assert_eq!(
            r.read_word(),
            Err(XdrError::UnexpectedEnd {
                pos: 4,
                needed: 4,
                available: 2
            })
        );
    }

    #[test]
    fn opaque_padding_must_be_zero() {
        let mut r = XdrReader::new(&[1, 2, 0, 0]);
        assert_eq!(r.read_opaque(2), Ok(&[1u8, 2][..]));
        let mut r = XdrReader::new(&[1, 2, 0, 1]);
        assert_eq!(r.read_opaque(2), Err(XdrError::NonZeroPadding { pos: 2 }));
        let mut r = XdrReader::new(&[1, 2, 0]);
        assert!(matches!(
            r.read_opaque(2),
            Err(XdrError::UnexpectedEnd { pos: 2, .. })
        ));
    }

    #[test]
    fn variable_opaque_checks_limit_first() {
        let mut r = XdrReader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(
            r.read_variable_opaque(16),
            Err(XdrError::LengthOverLimit {
                pos: 0,
                len: u32::MAX,
                max: 16
            })
        );
        // Within the limit but beyond the input: a clean error, nothing allocated.
        let mut r = XdrReader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            r.read_variable_opaque(u32::MAX),
            Err(XdrError::UnexpectedEnd { pos: 4, .. })
        ));
    }
}
