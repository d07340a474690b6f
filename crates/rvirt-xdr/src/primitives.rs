//! XDR primitives: integers, hyper integers, floating point, bool, fixed opaque, optional data,
//! void and boxes.

use crate::{XdrDecode, XdrEncode, XdrError, XdrReader, put_padded};

/// Four- and eight-byte big-endian numbers map one to one onto XDR `int`, `unsigned int`,
/// `hyper`, `unsigned hyper`, `float` and `double`.
macro_rules! xdr_number {
    ($($ty:ty),*) => {$(
        impl XdrEncode for $ty {
            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
        }

        impl XdrDecode for $ty {
            #[inline]
            fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
                r.read_array().map(<$ty>::from_be_bytes)
            }
        }
    )*};
}

xdr_number!(i32, u32, i64, u64, f32, f64);

/// rpcgen's `char`, `unsigned char`, `short` and `unsigned short` occupy a whole word: encoded
/// by widening (sign-extending the signed ones, as `xdr_char` does on x86), decoded by
/// truncating the word to the type's width, as `xdr_u_char` and friends do.
macro_rules! xdr_narrow {
    ($($ty:ty => $wide:ty),*) => {$(
        impl XdrEncode for $ty {
            #[inline]
            fn encode(&self, out: &mut Vec<u8>) {
                <$wide>::from(*self).encode(out);
            }
        }

        impl XdrDecode for $ty {
            #[inline]
            fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
                // Truncation is the point: it is what libvirtd does with these words.
                <$wide>::decode(r).map(|w| w as $ty)
            }
        }
    )*};
}

xdr_narrow!(i8 => i32, u8 => u32, i16 => i32, u16 => u32);

/// XDR `bool`: encoded as 0 or 1; any non-zero word decodes as true, as `xdr_bool` accepts it.
impl XdrEncode for bool {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        u32::from(*self).encode(out);
    }
}

impl XdrDecode for bool {
    #[inline]
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        Ok(r.read_word()? != [0; 4])
    }
}

/// Fixed-length opaque data (`opaque x[N]`), padded to a multiple of four. For arrays of other
/// element types use explicit fields; libvirt's protocol has none besides `char[N]`
/// ([`CharArray`](crate::CharArray)).
impl<const N: usize> XdrEncode for [u8; N] {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        put_padded(self, out);
    }
}

impl<const N: usize> XdrDecode for [u8; N] {
    #[inline]
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        let bytes = r.read_opaque(N)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }
}

/// Optional data (`T *x`): a present word, then the value if present. Any non-zero present word
/// means present, as `xdr_pointer` reads it.
impl<T: XdrEncode> XdrEncode for Option<T> {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => false.encode(out),
            Some(v) => {
                true.encode(out);
                v.encode(out);
            }
        }
    }
}

impl<T: XdrDecode> XdrDecode for Option<T> {
    #[inline]
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        if bool::decode(r)? {
            T::decode(r).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// XDR `void`: no bytes. The arguments or result of a procedure that takes or returns nothing.
impl XdrEncode for () {
    #[inline]
    fn encode(&self, _out: &mut Vec<u8>) {}
}

impl XdrDecode for () {
    #[inline]
    fn decode(_r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        Ok(())
    }
}

/// A box encodes as its contents.
impl<T: XdrEncode + ?Sized> XdrEncode for Box<T> {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
}

impl<T: XdrDecode> XdrDecode for Box<T> {
    #[inline]
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        T::decode(r).map(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use crate::{XdrDecode, XdrEncode, XdrError, decode_all, to_bytes};
    use proptest::prelude::*;
    use std::fmt::Debug;

    fn round_trip<T: XdrEncode + XdrDecode + PartialEq + Debug>(v: T, bytes: &[u8]) {
        assert_eq!(to_bytes(&v), bytes, "encoding of {v:?}");
        assert_eq!(decode_all::<T>(bytes), Ok(v));
        // Every strict prefix is truncated input.
        for cut in 0..bytes.len() {
            assert!(
                matches!(
                    decode_all::<T>(&bytes[..cut]),
                    Err(XdrError::UnexpectedEnd { .. })
                ),
                "prefix of {cut} bytes"
            );
        }
    }

    #[test]
    fn integers() {
        round_trip(1i32, &[0, 0, 0, 1]);
        round_trip(-2i32, &[0xff, 0xff, 0xff, 0xfe]);
        round_trip(0xdead_beefu32, &[0xde, 0xad, 0xbe, 0xef]);
        round_trip(-1i64, &[0xff; 8]);
        round_trip(0x0102_0304_0506_0708u64, &[1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn floats() {
        round_trip(1.5f64, &[0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
        round_trip(-2.0f32, &[0xc0, 0, 0, 0]);
        let nan = decode_all::<f64>(&to_bytes(&f64::NAN)).unwrap_or(0.0);
        assert!(nan.is_nan());
    }

    #[test]
    fn narrow_integers_take_a_word() {
        round_trip(200u8, &[0, 0, 0, 200]);
        round_trip(-1i8, &[0xff, 0xff, 0xff, 0xff]);
        round_trip(65535u16, &[0, 0, 0xff, 0xff]);
        round_trip(-3i16, &[0xff, 0xff, 0xff, 0xfd]);
        // Out-of-range words truncate, as xdr_u_char does.
        assert_eq!(decode_all::<u8>(&[0, 0, 1, 5]), Ok(5));
        // A char sent by an unsigned-char platform still decodes to the same byte.
        assert_eq!(decode_all::<i8>(&[0, 0, 0, 0xc3]), Ok(0xc3u8 as i8));
    }

    #[test]
    fn bool_is_lenient_on_decode() {
        round_trip(true, &[0, 0, 0, 1]);
        round_trip(false, &[0, 0, 0, 0]);
        assert_eq!(decode_all::<bool>(&[1, 0, 0, 0]), Ok(true));
        assert_eq!(decode_all::<bool>(&[0xff, 0xff, 0xff, 0xff]), Ok(true));
    }

    #[test]
    fn fixed_opaque_is_padded() {
        round_trip([1u8, 2, 3, 4], &[1, 2, 3, 4]);
        round_trip([7u8; 5], &[7, 7, 7, 7, 7, 0, 0, 0]);
        round_trip([0u8; 0], &[]);
        assert_eq!(
            decode_all::<[u8; 1]>(&[7, 0, 1, 0]),
            Err(XdrError::NonZeroPadding { pos: 1 })
        );
    }

    #[test]
    fn optional_data() {
        round_trip(None::<i32>, &[0, 0, 0, 0]);
        round_trip(Some(5i32), &[0, 0, 0, 1, 0, 0, 0, 5]);
        assert_eq!(
            decode_all::<Option<i32>>(&[1, 0, 0, 0, 0, 0, 0, 5]),
            Ok(Some(5))
        );
        round_trip(Some(Some(true)), &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    }

    #[test]
    fn void_and_box() {
        round_trip((), &[]);
        round_trip(Box::new(3u32), &[0, 0, 0, 3]);
        assert_eq!(
            decode_all::<()>(&[0]),
            Err(XdrError::TrailingBytes {
                pos: 0,
                remaining: 1
            })
        );
    }

    proptest! {
        #[test]
        fn numbers_round_trip(a: i32, b: u32, c: i64, d: u64, e: f64, f: bool, g: u8, h: i16) {
            let v = (a, b, c, d, e, f, g, h);
            let mut out = Vec::new();
            v.0.encode(&mut out); v.1.encode(&mut out); v.2.encode(&mut out);
            v.3.encode(&mut out); v.4.encode(&mut out); v.5.encode(&mut out);
            v.6.encode(&mut out); v.7.encode(&mut out);
            prop_assert_eq!(out.len(), 4 + 4 + 8 + 8 + 8 + 4 + 4 + 4);
            let mut r = crate::XdrReader::new(&out);
            prop_assert_eq!(i32::decode(&mut r), Ok(a));
            prop_assert_eq!(u32::decode(&mut r), Ok(b));
            prop_assert_eq!(i64::decode(&mut r), Ok(c));
            prop_assert_eq!(u64::decode(&mut r), Ok(d));
            prop_assert_eq!(f64::decode(&mut r).map(f64::to_bits), Ok(e.to_bits()));
            prop_assert_eq!(bool::decode(&mut r), Ok(f));
            prop_assert_eq!(u8::decode(&mut r), Ok(g));
            prop_assert_eq!(i16::decode(&mut r), Ok(h));
            prop_assert_eq!(r.finish(), Ok(()));
        }
    }
}
