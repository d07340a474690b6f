//! A client for the QEMU guest agent (`qemu-ga`), reached through the host end of the
//! domain's `org.qemu.guest_agent.0` virtio-serial channel (a unix socket QEMU listens on).
//!
//! The agent speaks QMP's JSON without greeting, ids or events, one command at a time. Its
//! replies can be stale (a reply to a command an earlier client gave up on) and the stream can
//! hold garbage left by a guest that restarted its agent, so every connection is brought in
//! step first, as the protocol documents: a `0xFF` byte resets the agent's parser, then
//! `guest-sync-delimited` with a fresh id; the agent answers with `0xFF` and the id, and
//! everything before that answer is dropped. A connection that missed a deadline or read
//! something it cannot understand is closed; the next command connects again.
//!
//! Commands are serialized: a second caller waits for the first (within its own deadline).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// The longest reply accepted from the agent (a guest's file-system or interface list is a
/// few KiB; anything near this is a broken or hostile agent).
pub const AGENT_MAX_REPLY: usize = 16 << 20;

/// How long the agent has to answer the sync that precedes every command on a new connection
/// (libvirt's `QEMU_AGENT_WAIT_TIME`).
pub const AGENT_SYNC_TIMEOUT: Duration = Duration::from_secs(5);

/// Errors of the guest agent client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The agent did not answer within the deadline (or never came in step): it is not
    /// running in the guest, or is stuck.
    #[error("Guest agent not available for now")]
    NotResponding,
    /// The channel closed while the command waited: the agent (or QEMU) went away.
    #[error("Guest agent disappeared while executing command")]
    Disappeared,
    /// The host end of the channel could not be reached.
    #[error("failed to connect to the guest agent socket {path}: {reason}")]
    Connect {
        /// The socket.
        path: String,
        /// Why.
        reason: String,
    },
    /// The agent answered the command with an error.
    #[error("unable to execute QEMU agent command '{command}': {desc}")]
    Command {
        /// The command name.
        command: String,
        /// The error class (`CommandNotFound`, `GenericError`, ...).
        class: String,
        /// The agent's description (or the class in words when it gave none).
        desc: String,
    },
    /// The agent said something that is not a reply.
    #[error("{0}")]
    Protocol(String),
}

impl AgentError {
    /// Whether this is the agent refusing a command it does not have (or has disabled).
    pub fn is_unsupported_command(&self) -> bool {
        matches!(self, AgentError::Command { class, .. }
            if class == "CommandNotFound" || class == "CommandDisabled")
    }
}

/// The words for an error class the agent gave without a description.
fn class_in_words(class: &str) -> &str {
    match class {
        "CommandDisabled" => "The command has been disabled for this instance",
        "CommandNotFound" => "The command has not been found",
        "InvalidParameter" => "Invalid parameter",
        "GenericError" | "" => "unknown QEMU command error",
        other => other,
    }
}

/// One connection, in step with the agent.
struct Conn {
    stream: UnixStream,
    /// Bytes read but not yet consumed.
    buf: Vec<u8>,
}

/// A guest agent reached through a unix socket. Cheap to keep; connects on first use.
pub struct Agent {
    path: PathBuf,
    conn: tokio::sync::Mutex<Option<Conn>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").field("path", &self.path).finish()
    }
}

/// What a wait for the next reply ended with.
enum Next {
    Reply(Value),
    TimedOut,
}

impl Conn {
    /// The next JSON object the agent sent (skipping empty lines), or a timeout at `until`.
    /// With `delimited`, everything up to and including the next `0xFF` is dropped first.
    async fn next(&mut self, until: Instant, delimited: bool) -> Result<Next, AgentError> {
        let mut synced = !delimited;
        loop {
            if !synced && let Some(p) = self.buf.iter().position(|&b| b == 0xFF) {
                self.buf.drain(..=p);
                synced = true;
            }
            if synced {
                while let Some(p) = self.buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = self.buf.drain(..=p).collect();
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{FFFD}');
                    if text.is_empty() {
                        continue;
                    }
                    return match serde_json::from_str::<Value>(text) {
                        Ok(v @ Value::Object(_)) => Ok(Next::Reply(v)),
                        _ => Err(AgentError::Protocol(format!(
                            "Parsed JSON reply '{text}' isn't an object"
                        ))),
                    };
                }
            } else {
                self.buf.clear();
            }
            if self.buf.len() > AGENT_MAX_REPLY {
                return Err(AgentError::Protocol(format!(
                    "guest agent reply longer than {AGENT_MAX_REPLY} bytes"
                )));
            }
            let mut chunk = [0u8; 8192];
            let read = tokio::time::timeout_at(until.into(), self.stream.read(&mut chunk)).await;
            match read {
                Err(_) => return Ok(Next::TimedOut),
                Ok(Ok(0)) | Ok(Err(_)) => return Err(AgentError::Disappeared),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    async fn send(&mut self, bytes: &[u8], until: Instant) -> Result<(), AgentError> {
        match tokio::time::timeout_at(until.into(), self.stream.write_all(bytes)).await {
            Err(_) => Err(AgentError::NotResponding),
            Ok(Err(_)) => Err(AgentError::Disappeared),
            Ok(Ok(())) => Ok(()),
        }
    }
}

impl Agent {
    /// An agent behind the unix socket `path` (the channel's host end).
    pub fn new(path: impl Into<PathBuf>) -> Agent {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(1);
        Agent {
            path: path.into(),
            conn: tokio::sync::Mutex::new(None),
            next_id: AtomicU64::new(seed),
        }
    }

    /// The socket this agent is reached through.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Drops the connection (the next command connects again).
    pub async fn close(&self) {
        self.conn.lock().await.take();
    }

    /// Connects and brings the connection in step with the agent.
    async fn connect(&self, until: Instant) -> Result<Conn, AgentError> {
        let stream = UnixStream::connect(&self.path)
            .await
            .map_err(|e| AgentError::Connect {
                path: self.path.display().to_string(),
                reason: e.to_string(),
            })?;
        let mut conn = Conn {
            stream,
            buf: Vec::new(),
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let sync = json!({"execute": "guest-sync-delimited", "arguments": {"id": id}});
        let mut msg = vec![0xFFu8];
        msg.extend_from_slice(sync.to_string().as_bytes());
        msg.push(b'\n');
        conn.send(&msg, until).await?;
        let mut delimited = true;
        loop {
            match conn.next(until, delimited).await? {
                Next::TimedOut => return Err(AgentError::NotResponding),
                // A stale reply, or one to an earlier sync: keep reading.
                Next::Reply(v) if v.get("return").and_then(Value::as_u64) == Some(id) => {
                    return Ok(conn);
                }
                Next::Reply(_) => delimited = false,
            }
        }
    }

    /// Runs `command` with `arguments` and returns what it returned. Waits up to `timeout`
    /// for the reply (the sync of a new connection has [`AGENT_SYNC_TIMEOUT`] at most).
    pub async fn execute(
        &self,
        command: &str,
        arguments: Option<Value>,
        timeout: Duration,
    ) -> Result<Value, AgentError> {
        let mut cmd = json!({ "execute": command });
        if let Some(a) = arguments {
            cmd["arguments"] = a;
        }
        let reply = self.execute_value(&cmd, timeout).await?;
        Ok(reply.get("return").cloned().unwrap_or(Value::Null))
    }

    /// Sends `command` and waits up to `timeout` for the agent's reply. A command that the
    /// agent never answers on success (`guest-shutdown`) is `Ok(None)` when the channel closes
    /// or the deadline passes without an error reply.
    pub async fn execute_no_reply(
        &self,
        command: &str,
        arguments: Option<Value>,
        timeout: Duration,
    ) -> Result<Option<Value>, AgentError> {
        let mut cmd = json!({ "execute": command });
        if let Some(a) = arguments {
            cmd["arguments"] = a;
        }
        match self.execute_value(&cmd, timeout).await {
            Ok(v) => Ok(Some(v)),
            Err(AgentError::NotResponding | AgentError::Disappeared) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Runs the command object `cmd` (`{"execute": ..., "arguments": ...}`) and returns the
    /// agent's whole reply object (`{"return": ...}`); an error reply is
    /// [`AgentError::Command`].
    pub async fn execute_value(&self, cmd: &Value, timeout: Duration) -> Result<Value, AgentError> {
        let name = cmd
            .get("execute")
            .and_then(Value::as_str)
            .unwrap_or("<unknown>")
            .to_string();
        let start = Instant::now();
        let until = start + timeout;
        let mut guard = match tokio::time::timeout_at(until.into(), self.conn.lock()).await {
            Ok(g) => g,
            Err(_) => return Err(AgentError::NotResponding),
        };
        let result = async {
            if guard.is_none() {
                let sync_until = until.min(Instant::now() + AGENT_SYNC_TIMEOUT);
                *guard = Some(self.connect(sync_until).await?);
            }
            let Some(conn) = guard.as_mut() else {
                return Err(AgentError::Disappeared);
            };
            let mut line = cmd.to_string().into_bytes();
            line.push(b'\n');
            conn.send(&line, until).await?;
            match conn.next(until, false).await? {
                Next::TimedOut => Err(AgentError::NotResponding),
                Next::Reply(v) => Ok(v),
            }
        }
        .await;
        match result {
            Ok(v) => {
                if let Some(err) = v.get("error") {
                    let class = err["class"].as_str().unwrap_or("").to_string();
                    let desc = err["desc"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| class_in_words(&class).to_string());
                    return Err(AgentError::Command {
                        command: name,
                        class,
                        desc,
                    });
                }
                if v.get("return").is_none() {
                    return Err(AgentError::Protocol(format!(
                        "unable to execute QEMU agent command '{name}'"
                    )));
                }
                Ok(v)
            }
            Err(e) => {
                // Out of step (or gone): the next command starts over.
                guard.take();
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against a scripted peer on a socket pair; the real agent is exercised by the QEMU
    //! driver's tests with a real guest.
    use super::*;
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::net::UnixListener;

    /// A fake agent: answers each line by `answer` (None: stay silent).
    fn fake(
        dir: &Path,
        answer: impl Fn(&Value) -> Option<String> + Send + 'static,
    ) -> (PathBuf, tokio::task::JoinHandle<()>) {
        let path = dir.join("qga.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let task = tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let (r, mut w) = s.into_split();
                let mut lines = BufReader::new(r).split(b'\n');
                while let Ok(Some(line)) = lines.next_segment().await {
                    let line: Vec<u8> = line.into_iter().filter(|&b| b != 0xFF).collect();
                    let Ok(v) = serde_json::from_slice::<Value>(&line) else {
                        continue;
                    };
                    if let Some(out) = answer(&v) {
                        // `\x01` stands for the agent's raw 0xFF delimiter.
                        let bytes: Vec<u8> =
                            out.bytes().map(|b| if b == 1 { 0xFF } else { b }).collect();
                        w.write_all(&bytes).await.unwrap();
                    }
                }
            }
        });
        (path, task)
    }

    fn sync_reply(v: &Value) -> Option<String> {
        (v["execute"] == "guest-sync-delimited")
            .then(|| format!("garbage\n\x01{{\"return\": {}}}\n", v["arguments"]["id"]))
    }

    #[tokio::test]
    async fn syncs_past_garbage_then_runs_commands_on_one_connection() {
        let dir = tempfile::tempdir().unwrap();
        let syncs = std::sync::Arc::new(AtomicU64::new(0));
        let s = syncs.clone();
        let (path, _t) = fake(dir.path(), move |v| {
            if let Some(r) = sync_reply(v) {
                s.fetch_add(1, Ordering::SeqCst);
                // A stale reply first, as after an earlier client gave up.
                return Some(format!("{{\"return\": {{}}}}\n{r}"));
            }
            match v["execute"].as_str() {
                Some("guest-get-host-name") => {
                    Some("{\"return\": {\"host-name\": \"g1\"}}\n".into())
                }
                Some(other) => Some(format!(
                    "{{\"error\": {{\"class\": \"CommandNotFound\", \"desc\": \"The command {other} has not been found\"}}}}\n"
                )),
                None => None,
            }
        });
        let agent = Agent::new(&path);
        let t = Duration::from_secs(5);
        let r = agent.execute("guest-get-host-name", None, t).await.unwrap();
        assert_eq!(r["host-name"], "g1");
        let r = agent.execute("guest-get-host-name", None, t).await.unwrap();
        assert_eq!(r["host-name"], "g1");
        assert_eq!(syncs.load(Ordering::SeqCst), 1, "one sync per connection");
        let e = agent.execute("guest-nope", None, t).await.unwrap_err();
        assert!(e.is_unsupported_command());
        assert_eq!(
            e.to_string(),
            "unable to execute QEMU agent command 'guest-nope': The command guest-nope has not been found"
        );
    }

    #[tokio::test]
    async fn a_silent_agent_is_not_responding_within_the_sync_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _t) = fake(dir.path(), |_| None);
        let agent = Agent::new(&path);
        let start = Instant::now();
        let e = agent
            .execute("guest-ping", None, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(e, AgentError::NotResponding);
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_closed_channel_is_a_disappeared_agent_and_garbage_is_a_protocol_error() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _t) = fake(dir.path(), |v| {
            sync_reply(v).or_else(|| Some("not json\n".into()))
        });
        let agent = Agent::new(&path);
        let e = agent
            .execute("guest-ping", None, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(matches!(e, AgentError::Protocol(_)), "{e:?}");
        let missing = Agent::new(dir.path().join("none.sock"));
        let e = missing
            .execute("guest-ping", None, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(matches!(e, AgentError::Connect { .. }), "{e:?}");

        // A peer that accepts and hangs up.
        let path2 = dir.path().join("hup.sock");
        let l = UnixListener::bind(&path2).unwrap();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                drop(s);
            }
        });
        let e = Agent::new(&path2)
            .execute("guest-ping", None, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert_eq!(e, AgentError::Disappeared);
    }
}
