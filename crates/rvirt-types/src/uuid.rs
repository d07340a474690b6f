//! UUIDs as libvirt reads and prints them.

use std::fmt;
use std::str::FromStr;

/// A 16-byte UUID. Printed in libvirt's form: lowercase hex, dashes at 8-4-4-4-12.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid(pub [u8; 16]);

/// Why a string is not a UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UuidParseError;

impl fmt::Display for UuidParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed uuid element")
    }
}

impl std::error::Error for UuidParseError {}

impl Uuid {
    /// The length of the printed form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    pub const STRING_LEN: usize = 36;

    /// A random (version 4) UUID.
    pub fn generate() -> Uuid {
        let mut b = [0u8; 16];
        if getrandom::fill(&mut b).is_err() {
            // No entropy source: fall back to time and a counter, still unique in this process.
            use std::sync::atomic::{AtomicU64, Ordering};
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            b[..8].copy_from_slice(&t.to_le_bytes());
            b[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        }
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Uuid(b)
    }

    /// Parses a UUID the way libvirt does: leading and trailing blanks are ignored, each byte is
    /// two hex digits, and dashes may stand between any two bytes.
    pub fn parse(s: &str) -> Result<Uuid, UuidParseError> {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut out = [0u8; 16];
        for (n, slot) in out.iter_mut().enumerate() {
            if n > 0 {
                while i < bytes.len() && bytes[i] == b'-' {
                    i += 1;
                }
            }
            let hi = bytes.get(i).and_then(|c| hex(*c)).ok_or(UuidParseError)?;
            let lo = bytes
                .get(i + 1)
                .and_then(|c| hex(*c))
                .ok_or(UuidParseError)?;
            *slot = (hi << 4) | lo;
            i += 2;
        }
        if bytes[i..].iter().all(|c| c.is_ascii_whitespace()) {
            Ok(Uuid(out))
        } else {
            Err(UuidParseError)
        }
    }

    /// The UUID with these raw bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Uuid {
        Uuid(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// True for the all-zero UUID.
    pub fn is_nil(&self) -> bool {
        self.0 == [0; 16]
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 36];
        let mut j = 0;
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                buf[j] = b'-';
                j += 1;
            }
            buf[j] = HEX[(b >> 4) as usize];
            buf[j + 1] = HEX[(b & 15) as usize];
            j += 2;
        }
        // The buffer holds only ASCII hex digits and dashes.
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

impl FromStr for Uuid {
    type Err = UuidParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print_round_trip() {
        let s = "6695eb01-f6a4-8304-79aa-97f2502e193f";
        let u = Uuid::parse(s).unwrap();
        assert_eq!(u.to_string(), s);
        assert_eq!(Uuid::parse("6695EB01F6A4830479AA97F2502E193F").unwrap(), u);
        assert_eq!(
            Uuid::parse("  6695eb01-f6a4-8304-79aa-97f2502e193f \n").unwrap(),
            u
        );
    }

    #[test]
    fn parse_rejects_malformed() {
        for bad in [
            "",
            "xyz",
            "6695eb01-f6a4-8304-79aa-97f2502e193",
            "6695eb01-f6a4-8304-79aa-97f2502e193f0",
            "-6695eb01f6a4830479aa97f2502e193f",
            "6695eb01-f6a4-8304-79aa-97f2502e193g",
        ] {
            assert!(Uuid::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn generated_are_version4_and_distinct() {
        let a = Uuid::generate();
        let b = Uuid::generate();
        assert_ne!(a, b);
        assert_eq!(a.0[6] >> 4, 4);
        assert_eq!(a.0[8] >> 6, 2);
    }
}
