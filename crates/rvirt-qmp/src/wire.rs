//! The QMP wire format: splitting the byte stream into capped lines, and classifying each line
//! as a greeting, a reply or an event. Pure functions, no I/O (the `qmp_line` fuzz target
//! drives them directly).

use serde_json::Value;

use crate::event::Event;

/// The default cap on one QMP line. The longest answer QEMU 7.2 gives to what we ask is
/// `query-qmp-schema`, about 200 KiB (measured, x86_64); `query-cpu-definitions` is about 48 KiB.
/// Anything past the cap means a broken monitor.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024 * 1024;

/// Splits a byte stream into `\n`-terminated lines, refusing to buffer more than a cap.
///
/// QMP sends one JSON document per line (QEMU terminates each with `\r\n`). A peer that sends
/// a line longer than the cap is declared broken: the splitter never grows past `max` bytes.
#[derive(Debug)]
pub struct LineSplitter {
    buf: Vec<u8>,
    max: usize,
}

/// A line that exceeded [`LineSplitter`]'s cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    /// The cap that was exceeded.
    pub max: usize,
}

impl LineSplitter {
    /// A splitter that refuses lines longer than `max` bytes (terminator excluded).
    pub fn new(max: usize) -> Self {
        LineSplitter {
            buf: Vec::new(),
            max,
        }
    }

    /// Adds `data` and returns every complete line it finished, without the `\r\n` or `\n`.
    /// Empty lines are skipped. After an error the splitter must not be used again.
    pub fn push(&mut self, mut data: &[u8]) -> Result<Vec<Vec<u8>>, LineTooLong> {
        let mut lines = Vec::new();
        while let Some(pos) = data.iter().position(|&b| b == b'\n') {
            if self.buf.len() + pos > self.max + 1 {
                return Err(LineTooLong { max: self.max });
            }
            self.buf.extend_from_slice(&data[..pos]);
            data = &data[pos + 1..];
            let mut line = std::mem::take(&mut self.buf);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > self.max {
                return Err(LineTooLong { max: self.max });
            }
            if !line.iter().all(u8::is_ascii_whitespace) {
                lines.push(line);
            }
        }
        if self.buf.len() + data.len() > self.max + 1 {
            return Err(LineTooLong { max: self.max });
        }
        self.buf.extend_from_slice(data);
        Ok(lines)
    }

    /// How many bytes of an unfinished line are buffered.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// QEMU's version as its greeting and `query-version` report it.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct QemuVersion {
    /// Major version (7 for 7.2.0).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Micro version.
    pub micro: u32,
}

impl QemuVersion {
    /// The version as libvirt numbers it: `major * 1_000_000 + minor * 1_000 + micro`.
    pub fn as_number(&self) -> u64 {
        u64::from(self.major) * 1_000_000 + u64::from(self.minor) * 1_000 + u64::from(self.micro)
    }
}

/// The greeting QEMU sends when a client connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// QEMU's version.
    pub version: QemuVersion,
    /// The distribution's package string (may be empty).
    pub package: String,
    /// Optional protocol capabilities QEMU offers (`oob`).
    pub capabilities: Vec<String>,
}

/// One message from QEMU.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The greeting, first message on a connection.
    Greeting(Greeting),
    /// A successful reply.
    Return {
        /// The `id` we sent, echoed back (absent if we sent none).
        id: Option<Value>,
        /// The `return` member.
        value: Value,
    },
    /// An error reply.
    Error {
        /// The `id` we sent, echoed back (absent for errors QEMU could not tie to a command).
        id: Option<Value>,
        /// The error class.
        class: String,
        /// The description.
        desc: String,
    },
    /// An asynchronous event.
    Event(Event),
}

/// Parses one QMP line. Errors describe what was wrong, for a protocol error.
pub fn parse_message(line: &[u8]) -> Result<Message, String> {
    let value: Value =
        serde_json::from_slice(line).map_err(|e| format!("malformed JSON from QEMU: {e}"))?;
    let Value::Object(mut obj) = value else {
        return Err("QMP message is not a JSON object".into());
    };
    if let Some(ret) = obj.remove("return") {
        return Ok(Message::Return {
            id: obj.remove("id"),
            value: ret,
        });
    }
    if let Some(err) = obj.remove("error") {
        let class = err
            .get("class")
            .and_then(Value::as_str)
            .unwrap_or("GenericError");
        let desc = err
            .get("desc")
            .and_then(Value::as_str)
            .ok_or_else(|| "QMP error reply without 'desc'".to_string())?;
        return Ok(Message::Error {
            id: obj.remove("id"),
            class: class.to_string(),
            desc: desc.to_string(),
        });
    }
    if let Some(name) = obj.get("event") {
        let name = name
            .as_str()
            .ok_or("QMP event name is not a string")?
            .to_string();
        let ts = obj.get("timestamp");
        let seconds = ts
            .and_then(|t| t.get("seconds"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let micros = ts
            .and_then(|t| t.get("microseconds"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let data = obj
            .remove("data")
            .unwrap_or(Value::Object(Default::default()));
        return Ok(Message::Event(Event {
            name,
            seconds,
            micros,
            data,
            seq: 0,
        }));
    }
    if let Some(qmp) = obj.get("QMP") {
        let v = qmp.get("version").and_then(|v| v.get("qemu"));
        let num = |k: &str| {
            v.and_then(|v| v.get(k))
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("QMP greeting without a valid version.qemu.{k}"))
        };
        let version = QemuVersion {
            major: num("major")?,
            minor: num("minor")?,
            micro: num("micro")?,
        };
        let package = qmp
            .get("version")
            .and_then(|v| v.get("package"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let capabilities = qmp
            .get("capabilities")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        return Ok(Message::Greeting(Greeting {
            version,
            package,
            capabilities,
        }));
    }
    Err("QMP message is neither a reply, an event nor a greeting".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_across_chunks_and_strips_crlf() {
        let mut s = LineSplitter::new(64);
        assert!(s.push(b"{\"a\":").unwrap().is_empty());
        let lines = s.push(b"1}\r\n\r\n{\"b\":2}\n{\"c\"").unwrap();
        assert_eq!(lines, vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(s.pending(), 4);
    }

    #[test]
    fn over_long_line_is_refused_without_buffering_it() {
        let mut s = LineSplitter::new(16);
        assert_eq!(s.push(&[b'x'; 100]), Err(LineTooLong { max: 16 }));
        let mut s = LineSplitter::new(16);
        assert!(s.push(&[b'x'; 16]).is_ok());
        assert!(s.push(b"\n").is_ok());
        assert!(s.push(&[b'y'; 17]).is_ok());
        assert_eq!(s.push(b"\n"), Err(LineTooLong { max: 16 }));
        let mut s = LineSplitter::new(16);
        let long = [b'z'; 40];
        assert!(s.push(&[&long[..], b"\n"].concat()).is_err());
    }

    #[test]
    fn parses_each_kind_of_message() {
        let g = parse_message(br#"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}"#).unwrap();
        assert_eq!(
            g,
            Message::Greeting(Greeting {
                version: QemuVersion {
                    major: 7,
                    minor: 2,
                    micro: 0
                },
                package: "Debian 1:7.2+dfsg-7".into(),
                capabilities: vec!["oob".into()],
            })
        );
        let Message::Return { id, value } = parse_message(br#"{"return": {}, "id": 3}"#).unwrap()
        else {
            panic!("not a return")
        };
        assert_eq!(id, Some(Value::from(3)));
        assert!(value.is_object());
        let e = parse_message(br#"{"id": 4, "error": {"class": "CommandNotFound", "desc": "The command x has not been found"}}"#).unwrap();
        assert!(matches!(e, Message::Error { class, .. } if class == "CommandNotFound"));
        let ev = parse_message(
            br#"{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "STOP"}"#,
        )
        .unwrap();
        assert!(
            matches!(ev, Message::Event(Event { name, seconds: 1700000000, micros: 5, .. }) if name == "STOP")
        );
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        for bad in [
            &b"{"[..],
            b"[1,2]",
            b"\"x\"",
            b"{\"foo\": 1}",
            b"{\"error\": {}}",
            b"\xff\xfe",
        ] {
            assert!(
                parse_message(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
