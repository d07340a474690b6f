//! Framing: a 4-byte big-endian length word (counting itself), the header, the payload.

use crate::header::{HEADER_LEN, Header};
use rvirt_xdr::{XdrDecode, XdrEncode, XdrError, XdrReader};
use tokio::io::{AsyncRead, AsyncReadExt};

/// `VIR_NET_MESSAGE_MAX`: the most a packet may hold after its length word.
pub const MESSAGE_MAX: usize = 33_554_432;

/// `VIR_NET_MESSAGE_LEN_MAX`: the size of the length word.
pub const LEN_WORD: usize = 4;

/// Why a packet could not be read. Every one of these ends the connection it came from: after a
/// bad length or header the stream can no longer be split into packets.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer's socket failed.
    #[error("cannot read packet: {0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection in the middle of a packet.
    #[error("connection closed in the middle of a packet")]
    Truncated,
    /// The length word is smaller than a length word and a header.
    #[error("packet {0} bytes received from peer is too small")]
    TooSmall(u32),
    /// The length word exceeds [`MESSAGE_MAX`].
    #[error("packet {0} bytes received from peer is too large, want {max}", max = MESSAGE_MAX)]
    TooLarge(u32),
    /// The header could not be decoded.
    #[error("malformed message header: {0}")]
    Header(XdrError),
}

/// One packet: its header and the undecoded payload that follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The decoded header.
    pub header: Header,
    /// Everything after the header.
    pub payload: Vec<u8>,
}

impl Packet {
    /// Decodes the payload as exactly one `T`.
    pub fn decode_payload<T: XdrDecode>(&self) -> Result<T, XdrError> {
        rvirt_xdr::decode_all(&self.payload)
    }
}

/// Checks a length word and returns how many bytes of header and payload follow it.
pub fn body_len(word: u32) -> Result<usize, FrameError> {
    let len = word as usize;
    if len < LEN_WORD + HEADER_LEN {
        return Err(FrameError::TooSmall(word));
    }
    if len - LEN_WORD > MESSAGE_MAX {
        return Err(FrameError::TooLarge(word));
    }
    Ok(len - LEN_WORD)
}

/// Appends one whole packet (length word, header, `body`) to `out`. A body whose encoding would
/// exceed [`MESSAGE_MAX`] is refused, so no peer ever receives a packet it must reject.
pub fn encode_packet(
    out: &mut Vec<u8>,
    header: &Header,
    body: &(impl XdrEncode + ?Sized),
) -> Result<(), FrameError> {
    let start = out.len();
    out.extend_from_slice(&[0; LEN_WORD]);
    header.encode(out);
    body.encode(out);
    set_len_word(out, start, 0)
}

/// Appends the length word and header of a packet whose body, `body_len` bytes already at hand,
/// the caller writes right after them (stream data sent without being copied behind its
/// header). Refused like [`encode_packet`] when the packet would exceed [`MESSAGE_MAX`].
pub fn encode_head(out: &mut Vec<u8>, header: &Header, body_len: usize) -> Result<(), FrameError> {
    let start = out.len();
    out.extend_from_slice(&[0; LEN_WORD]);
    header.encode(out);
    set_len_word(out, start, body_len)
}

/// Fills in the length word of the packet that starts at `start` of `out` and goes on for
/// `more` bytes past its end, or takes the packet back out if it is too large.
fn set_len_word(out: &mut Vec<u8>, start: usize, more: usize) -> Result<(), FrameError> {
    let len = (out.len() - start).saturating_add(more);
    if len - LEN_WORD > MESSAGE_MAX {
        out.truncate(start);
        return Err(FrameError::TooLarge(u32::try_from(len).unwrap_or(u32::MAX)));
    }
    // The check above bounds len by MESSAGE_MAX + 4, which fits a u32.
    let word = (len as u32).to_be_bytes();
    out[start..start + LEN_WORD].copy_from_slice(&word);
    Ok(())
}

/// A payload that is already encoded (a reply body built elsewhere) or raw bytes that are not
/// XDR at all (stream data), written as they are.
pub struct RawPayload<'a>(pub &'a [u8]);

impl XdrEncode for RawPayload<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0);
    }
}

/// `VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX`: the most stream data one packet carries, as libvirt
/// sends it (peers of every version accept this much).
pub const STREAM_CHUNK: usize = 262_120;

/// Splits a packet body (everything after the length word) into header and payload.
pub fn decode_body(mut body: Vec<u8>) -> Result<Packet, FrameError> {
    let header = Header::decode(&mut XdrReader::new(&body)).map_err(FrameError::Header)?;
    body.drain(..HEADER_LEN);
    Ok(Packet {
        header,
        payload: body,
    })
}

/// Payload bytes reserved up front for a packet: a stream packet as clients send them (256 KiB
/// from virsh, 1 MiB from python3-libvirt's usual `send`s) arrives into one buffer without
/// reallocation; beyond this, memory grows as the bytes arrive.
const PAYLOAD_RESERVE: usize = 1 << 20;

/// Reads one packet. `Ok(None)` means the peer closed the connection cleanly between packets.
/// Not for a `select!` that may take another branch: use a [`PacketReader`] there.
pub async fn read_packet<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<Packet>, FrameError> {
    PacketReader::default().next(r).await
}

/// Reads packets one after another, keeping the part of a packet that has arrived in itself: a
/// [`PacketReader::next`] that is dropped half-way (a `select!` took another branch) loses no
/// byte, and the next call goes on where it stopped.
///
/// The header is read on its own, so the payload lands in a buffer of its own and is never moved.
/// Memory grows with the bytes that actually arrive, not with what the length word promises, so a
/// peer that announces 32 MiB and sends nothing costs at most [`PAYLOAD_RESERVE`].
#[derive(Default)]
pub struct PacketReader {
    word: [u8; LEN_WORD],
    word_got: usize,
    head: [u8; HEADER_LEN],
    head_got: usize,
    /// The header once decoded, with the payload length it announced.
    header: Option<(Header, usize)>,
    payload: Vec<u8>,
}

impl PacketReader {
    /// Reads the next packet. `Ok(None)` means the peer closed the connection cleanly between
    /// packets. Every await is a single read, after which what it brought is kept here: the
    /// future may be dropped at any await.
    pub async fn next<R: AsyncRead + Unpin>(
        &mut self,
        r: &mut R,
    ) -> Result<Option<Packet>, FrameError> {
        while self.word_got < LEN_WORD {
            let n = r.read(&mut self.word[self.word_got..]).await?;
            if n == 0 {
                return if self.word_got == 0 {
                    Ok(None)
                } else {
                    Err(FrameError::Truncated)
                };
            }
            self.word_got += n;
        }
        let want = match self.header {
            Some((_, want)) => want,
            None => {
                let len = body_len(u32::from_be_bytes(self.word))?;
                while self.head_got < HEADER_LEN {
                    let n = r.read(&mut self.head[self.head_got..]).await?;
                    if n == 0 {
                        return Err(FrameError::Truncated);
                    }
                    self.head_got += n;
                }
                let header =
                    Header::decode(&mut XdrReader::new(&self.head)).map_err(FrameError::Header)?;
                let want = len - HEADER_LEN;
                self.payload = Vec::with_capacity(want.min(PAYLOAD_RESERVE));
                self.header = Some((header, want));
                want
            }
        };
        while self.payload.len() < want {
            let left = (want - self.payload.len()) as u64;
            let n = (&mut *r).take(left).read_buf(&mut self.payload).await?;
            if n == 0 {
                return Err(FrameError::Truncated);
            }
        }
        let Some((header, _)) = self.header.take() else {
            return Err(FrameError::Truncated);
        };
        self.word_got = 0;
        self.head_got = 0;
        Ok(Some(Packet {
            header,
            payload: std::mem::take(&mut self.payload),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{MessageStatus, MessageType};

    fn header() -> Header {
        Header {
            program: crate::REMOTE_PROGRAM,
            version: 1,
            procedure: 3,
            kind: MessageType::Call,
            serial: 1,
            status: MessageStatus::Ok,
        }
    }

    fn read(bytes: &[u8]) -> Result<Option<Packet>, FrameError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut r = bytes;
        rt.block_on(read_packet(&mut r))
    }

    #[test]
    fn encode_then_read() {
        let mut out = Vec::new();
        encode_packet(&mut out, &header(), &7u32).unwrap();
        assert_eq!(&out[..4], &[0, 0, 0, 32]);
        let p = read(&out).unwrap().unwrap();
        assert_eq!(p.header, header());
        assert_eq!(p.decode_payload::<u32>().unwrap(), 7);
    }

    #[test]
    fn a_head_with_its_body_after_it_is_the_whole_packet() {
        let data = vec![9u8; 1000];
        let mut whole = Vec::new();
        encode_packet(&mut whole, &header(), &RawPayload(&data)).unwrap();
        let mut head = vec![1, 2];
        encode_head(&mut head, &header(), data.len()).unwrap();
        assert_eq!(&head[..2], &[1, 2], "appended after what was there");
        head.extend_from_slice(&data);
        assert_eq!(&head[2..], &whole[..]);
        let mut refused = vec![1, 2];
        let too_big = MESSAGE_MAX - HEADER_LEN + 1;
        assert!(encode_head(&mut refused, &header(), too_big).is_err());
        assert_eq!(refused, [1, 2], "nothing left of a refused head");
        encode_head(&mut refused, &header(), too_big - 1).unwrap();
    }

    #[test]
    fn limits() {
        assert!(matches!(body_len(27), Err(FrameError::TooSmall(27))));
        assert_eq!(body_len(28).unwrap(), 24);
        assert_eq!(body_len((MESSAGE_MAX + 4) as u32).unwrap(), MESSAGE_MAX);
        assert!(matches!(
            body_len((MESSAGE_MAX + 5) as u32),
            Err(FrameError::TooLarge(_))
        ));
        assert!(matches!(body_len(u32::MAX), Err(FrameError::TooLarge(_))));
    }

    #[test]
    fn a_read_dropped_half_way_loses_nothing() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut out = Vec::new();
            encode_packet(&mut out, &header(), &7u32).unwrap();
            encode_packet(&mut out, &header(), &8u32).unwrap();
            let (mut tx, mut rx) = tokio::io::duplex(64);
            let mut reader = PacketReader::default();
            let mut got = Vec::new();
            // The bytes arrive three at a time, and each wait for more is abandoned once.
            for chunk in out.chunks(3) {
                let abandoned =
                    tokio::time::timeout(std::time::Duration::from_millis(1), reader.next(&mut rx))
                        .await;
                if let Ok(p) = abandoned {
                    got.push(p.unwrap().unwrap());
                }
                tokio::io::AsyncWriteExt::write_all(&mut tx, chunk)
                    .await
                    .unwrap();
            }
            drop(tx);
            while let Some(p) = reader.next(&mut rx).await.unwrap() {
                got.push(p);
            }
            let values: Vec<u32> = got.iter().map(|p| p.decode_payload().unwrap()).collect();
            assert_eq!(values, vec![7, 8]);
        });
    }

    #[test]
    fn eof_and_truncation() {
        assert!(read(&[]).unwrap().is_none());
        assert!(matches!(read(&[0, 0]), Err(FrameError::Truncated)));
        assert!(matches!(
            read(&[0, 0, 0, 40, 1, 2]),
            Err(FrameError::Truncated)
        ));
        // A 4 GiB length word is refused before anything is allocated.
        assert!(matches!(
            read(&[0xff, 0xff, 0xff, 0xff]),
            Err(FrameError::TooLarge(_))
        ));
    }

    #[test]
    fn oversized_body_is_refused_when_encoding() {
        let big =
            rvirt_xdr::BoundedOpaque::<{ 64 * 1024 * 1024 }>::new(vec![0; MESSAGE_MAX]).unwrap();
        let mut out = vec![1, 2, 3];
        assert!(encode_packet(&mut out, &header(), &big).is_err());
        assert_eq!(out, [1, 2, 3]);
    }
}
