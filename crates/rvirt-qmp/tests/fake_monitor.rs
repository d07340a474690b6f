//! The monitor against scripted fake QEMUs: recorded transcripts (testdata/qmp/) and
//! hand-written misbehaviour.

// Test helpers outside #[test] functions unwrap too: a failed socket operation is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rvirt_qmp::{DeadReason, Error, ErrorClass, EventKind, Monitor, MonitorOptions, RunState};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "test"}, "capabilities": ["oob"]}}"#;

fn opts(deadline_ms: u64) -> MonitorOptions {
    MonitorOptions {
        deadline: Duration::from_millis(deadline_ms),
        ..MonitorOptions::default()
    }
}

/// The QEMU side of a socketpair: takes commands as a stream of JSON objects (as QEMU's parser
/// does, with or without anything between them) and answers line by line.
struct Fake {
    rd: OwnedReadHalf,
    buf: Vec<u8>,
    wr: OwnedWriteHalf,
}

impl Fake {
    fn pair() -> (Fake, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        let (rd, wr) = a.into_split();
        (
            Fake {
                rd,
                buf: Vec::new(),
                wr,
            },
            b,
        )
    }

    async fn send(&mut self, line: &str) {
        self.wr.write_all(line.as_bytes()).await.unwrap();
        self.wr.write_all(b"\r\n").await.unwrap();
    }

    /// Reads the bytes of one command, as the client wrote them.
    async fn recv_raw(&mut self) -> Vec<u8> {
        loop {
            let mut values = serde_json::Deserializer::from_slice(&self.buf).into_iter::<Value>();
            match values.next() {
                Some(Ok(_)) => {
                    let end = values.byte_offset();
                    let raw = self.buf[..end].to_vec();
                    self.buf.drain(..end);
                    return raw;
                }
                Some(Err(e)) if !e.is_eof() => panic!("not JSON: {e}"),
                _ => {}
            }
            let mut chunk = [0u8; 4096];
            let n = self.rd.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the client closed the monitor mid-command");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads one command; returns it with its id (if it had one) removed, and the id.
    async fn recv(&mut self) -> (Value, Option<Value>) {
        let raw = self.recv_raw().await;
        let mut v: Value = serde_json::from_slice(&raw).unwrap();
        let id = v.as_object_mut().unwrap().remove("id");
        (v, id)
    }

    /// Answers a command, with its id if it had one (as QEMU does).
    async fn reply(&mut self, id: &Option<Value>, ret: Value) {
        let mut r = json!({ "return": ret });
        if let Some(id) = id {
            r["id"] = id.clone();
        }
        self.send(&r.to_string()).await;
    }

    /// Greeting and `qmp_capabilities`.
    async fn negotiate(&mut self) {
        self.send(GREETING).await;
        let (cmd, id) = self.recv().await;
        assert_eq!(cmd, json!({"execute": "qmp_capabilities"}));
        self.reply(&id, json!({})).await;
    }
}

async fn connected(deadline_ms: u64) -> (Fake, Monitor) {
    let (mut fake, client) = Fake::pair();
    let (_, mon) = tokio::join!(
        fake.negotiate(),
        Monitor::from_stream(client, opts(deadline_ms))
    );
    (fake, mon.unwrap())
}

/// Replays a transcript: `C:` lines must arrive (ids ignored), `S:` lines are sent, replies
/// getting the id of the last command received.
async fn replay(mut fake: Fake, name: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/qmp")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let mut last_id = None;
    for line in text.lines() {
        if let Some(expected) = line.strip_prefix("C: ") {
            let (cmd, id) = fake.recv().await;
            assert_eq!(cmd, serde_json::from_str::<Value>(expected).unwrap());
            last_id = id;
        } else if let Some(out) = line.strip_prefix("S: ") {
            let mut v: Value = serde_json::from_str(out).unwrap();
            if (v.get("return").is_some() || v.get("error").is_some())
                && let Some(id) = &last_id
            {
                v["id"] = id.clone();
            }
            fake.send(&v.to_string()).await;
        }
    }
}

#[tokio::test]
async fn recorded_lifecycle_replays() {
    let (fake, client) = Fake::pair();
    let server = tokio::spawn(replay(fake, "lifecycle.txt"));
    let mon = Monitor::from_stream(client, opts(2000)).await.unwrap();
    assert_eq!(mon.greeting().version.as_number(), 7_002_022);
    assert_eq!(mon.greeting().capabilities, vec!["oob".to_string()]);
    let mut events = mon.events();
    assert_eq!(
        mon.query_status().await.unwrap().status,
        RunState::Prelaunch
    );
    mon.cont().await.unwrap();
    // QEMU sent RESUME before the reply: it is queued by the time `cont` returns.
    assert_eq!(events.try_recv().unwrap().kind(), EventKind::Resume);
    let st = mon.query_status().await.unwrap();
    assert!(st.running);
    assert_eq!(st.status, RunState::Running);
    mon.stop().await.unwrap();
    assert_eq!(events.try_recv().unwrap().kind(), EventKind::Stop);
    mon.system_reset().await.unwrap();
    assert_eq!(
        events.recv().await.unwrap().kind(),
        EventKind::Reset {
            guest: false,
            reason: "host-qmp-system-reset".into()
        }
    );
    let kvm = mon.query_kvm().await.unwrap();
    assert!(kvm.present && !kvm.enabled);
    let err = mon.execute("no-such-command", None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Qemu { class, .. } if class == "CommandNotFound"),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Unsupported);
    // A QEMU error reply does not kill the monitor.
    assert_eq!(mon.dead_reason(), None);
    mon.quit().await.unwrap();
    assert!(matches!(
        events.recv().await.unwrap().kind(),
        EventKind::Shutdown { guest: false, .. }
    ));
    server.await.unwrap();
}

#[tokio::test]
async fn commands_go_out_compact_with_no_id_and_no_line_end() {
    let (mut fake, mon) = connected(2000).await;
    let server = tokio::spawn(async move {
        let raw = fake.recv_raw().await;
        fake.reply(&None, json!({})).await;
        (fake, raw)
    });
    mon.execute("stop", Some(json!({"a": 1}))).await.unwrap();
    let (fake, raw) = server.await.unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(v, json!({"execute": "stop", "arguments": {"a": 1}}));
    assert!(!raw.iter().any(u8::is_ascii_whitespace), "{raw:?}");
    // Nothing was written after the command.
    assert!(fake.buf.is_empty());
}

#[tokio::test]
async fn replies_are_routed_in_order_and_raw_ones_by_id_with_events_interleaved() {
    let (mut fake, mon) = connected(2000).await;
    let mut events = mon.events();
    let server = tokio::spawn(async move {
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(fake.recv().await);
        }
        let raw = got.iter().position(|(_, id)| id.is_some()).unwrap();
        let (raw_cmd, raw_id) = got.remove(raw);
        assert_eq!(raw_id, Some(json!("libvirt-1")));
        let ((c1, id1), (c2, id2)) = (got[0].clone(), got[1].clone());
        assert_eq!((&id1, &id2), (&None, &None));
        fake.send(r#"{"event": "POWERDOWN", "timestamp": {"seconds": 1, "microseconds": 2}}"#)
            .await;
        // The raw command (matched by its id) first, as an out-of-band reply would come; then
        // the others in the order they were sent, an event between.
        fake.reply(&raw_id, json!({"who": raw_cmd["execute"]}))
            .await;
        fake.reply(&id1, json!({"who": c1["execute"]})).await;
        fake.send(r#"{"event": "BALLOON_CHANGE", "data": {"actual": 1024}, "timestamp": {"seconds": 1, "microseconds": 3}}"#).await;
        fake.reply(&id2, json!({"who": c2["execute"]})).await;
        fake
    });
    let raw_cmd = json!({"execute": "raw"});
    let (a, b, r) = tokio::join!(
        mon.execute("first", None),
        mon.execute("second", None),
        mon.execute_raw(&raw_cmd)
    );
    assert_eq!(a.unwrap(), json!({"who": "first"}));
    assert_eq!(b.unwrap(), json!({"who": "second"}));
    let r: Value = serde_json::from_str(&r.unwrap()).unwrap();
    assert_eq!(r, json!({"return": {"who": "raw"}, "id": "libvirt-1"}));
    assert_eq!(events.recv().await.unwrap().kind(), EventKind::Powerdown);
    assert_eq!(
        events.recv().await.unwrap().kind(),
        EventKind::BalloonChange { actual: 1024 }
    );
    drop(server.await.unwrap());
}

#[tokio::test]
async fn over_long_line_kills_the_monitor() {
    let (mut fake, client) = Fake::pair();
    let small = MonitorOptions {
        max_line: 1024,
        ..opts(2000)
    };
    let (_, mon) = tokio::join!(fake.negotiate(), Monitor::from_stream(client, small));
    let mon = mon.unwrap();
    let server = tokio::spawn(async move {
        let _ = fake.recv().await;
        // Far more than the cap, and no newline: the client must give up, not buffer it.
        let blob = vec![b' '; 64 * 1024];
        let _ = fake.wr.write_all(&blob).await;
        fake
    });
    let err = mon.query_status().await.unwrap_err();
    assert!(
        matches!(&err, Error::Protocol(m) if m.contains("longer than 1024")),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Internal);
    let again = mon.query_status().await.unwrap_err();
    assert!(
        matches!(again, Error::Dead(DeadReason::Protocol(_))),
        "{again}"
    );
    drop(server.await.unwrap());
}

/// QEMU answers the next command with `line`; the command must fail with a protocol error
/// mentioning `expected`, and the monitor must be dead.
async fn protocol_error_after(line: &'static str, expected: &str) {
    let (mut fake, mon) = connected(2000).await;
    let server = tokio::spawn(async move {
        let _ = fake.recv().await;
        fake.send(line).await;
        fake
    });
    let err = mon.query_status().await.unwrap_err();
    assert!(
        matches!(&err, Error::Protocol(m) if m.contains(expected)),
        "{err}"
    );
    assert!(matches!(mon.dead_reason(), Some(DeadReason::Protocol(_))));
    drop(server.await.unwrap());
}

#[tokio::test]
async fn garbage_json_is_a_protocol_error() {
    protocol_error_after(r#"{"return": {}, "id": 2"#, "malformed JSON").await;
}

#[tokio::test]
async fn a_reply_with_an_id_we_never_sent_is_a_protocol_error() {
    protocol_error_after(r#"{"return": {}, "id": "libvirt-77"}"#, "id we never sent").await;
}

#[tokio::test]
async fn a_reply_to_no_command_kills_the_monitor() {
    let (mut fake, mon) = connected(2000).await;
    fake.send(r#"{"return": {}}"#).await;
    assert!(
        matches!(mon.closed().await, DeadReason::Protocol(m) if m.contains("no command")),
        "{:?}",
        mon.dead_reason()
    );
    assert!(matches!(
        mon.query_status().await,
        Err(Error::Dead(DeadReason::Protocol(_)))
    ));
}

#[tokio::test]
async fn eof_mid_command_fails_it_and_ends_the_event_stream() {
    let (mut fake, mon) = connected(2000).await;
    let mut events = mon.events();
    let server = tokio::spawn(async move {
        let _ = fake.recv().await;
        drop(fake);
    });
    let t = Instant::now();
    let err = mon.query_status().await.unwrap_err();
    assert!(matches!(err, Error::Eof), "{err}");
    assert_eq!(err.class(), ErrorClass::Failed);
    assert!(t.elapsed() < Duration::from_millis(500));
    assert_eq!(mon.closed().await, DeadReason::Eof);
    assert!(matches!(
        events.recv().await,
        Err(tokio::sync::broadcast::error::RecvError::Closed)
    ));
    assert!(matches!(
        mon.query_status().await,
        Err(Error::Dead(DeadReason::Eof))
    ));
    server.await.unwrap();
}

#[tokio::test]
async fn missed_deadline_kills_the_monitor_and_later_calls_fail_fast() {
    let (mut fake, mon) = connected(200).await;
    let server = tokio::spawn(async move {
        let _ = fake.recv().await;
        // Never answers, keeps the socket open.
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(fake);
    });
    let t = Instant::now();
    let err = mon.query_status().await.unwrap_err();
    let waited = t.elapsed();
    assert!(
        matches!(&err, Error::Timeout { command, .. } if command == "query-status"),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Timeout);
    assert!(waited >= Duration::from_millis(200) && waited < Duration::from_millis(1000));
    let t = Instant::now();
    let again = mon.query_status().await.unwrap_err();
    // At once: not another 200 ms wait (loosely, as tests run side by side).
    assert!(
        t.elapsed() < Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
    assert!(
        matches!(&again, Error::Dead(DeadReason::TimedOut { command }) if command == "query-status")
    );
    assert_eq!(again.class(), ErrorClass::Timeout);
    server.abort();
}

#[tokio::test]
async fn a_stuck_monitor_does_not_slow_another() {
    let (mut stuck_fake, stuck) = connected(2000).await;
    let (mut good_fake, good) = connected(2000).await;
    let stuck_server = tokio::spawn(async move {
        let _ = stuck_fake.recv().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(stuck_fake);
    });
    let good_server = tokio::spawn(async move {
        for _ in 0..10 {
            let (_, id) = good_fake.recv().await;
            good_fake
                .reply(&id, json!({"running": true, "status": "running"}))
                .await;
        }
        good_fake
    });
    let stuck_call = tokio::spawn(async move { stuck.query_status().await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..10 {
        let t = Instant::now();
        assert!(good.query_status().await.unwrap().running);
        // Not held up by the stuck monitor (loosely, as tests run side by side).
        assert!(
            t.elapsed() < Duration::from_millis(150),
            "{:?}",
            t.elapsed()
        );
    }
    assert!(!stuck_call.is_finished());
    stuck_call.abort();
    stuck_server.abort();
    drop(good_server.await.unwrap());
}

#[tokio::test]
async fn a_lagging_subscriber_is_told_how_many_events_it_lost() {
    let (mut fake, client) = Fake::pair();
    let small = MonitorOptions {
        event_capacity: 4,
        ..opts(2000)
    };
    let (_, mon) = tokio::join!(fake.negotiate(), Monitor::from_stream(client, small));
    let mon = mon.unwrap();
    let mut events = mon.events();
    let server = tokio::spawn(async move {
        let (_, id) = fake.recv().await;
        for i in 0..10 {
            let ev = json!({"event": "MIGRATION_PASS", "data": {"pass": i},
                            "timestamp": {"seconds": 0, "microseconds": 0}});
            fake.send(&ev.to_string()).await;
        }
        fake.reply(&id, json!({})).await;
        fake
    });
    // The reply is not held up by the full event queue.
    mon.execute("x", None).await.unwrap();
    use tokio::sync::broadcast::error::RecvError;
    assert!(matches!(events.recv().await, Err(RecvError::Lagged(6))));
    assert_eq!(
        events.recv().await.unwrap().kind(),
        EventKind::MigrationPass { pass: 6 }
    );
    drop(server.await.unwrap());
}

#[tokio::test]
async fn connect_retries_until_qemu_listens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mon.sock");
    let p2 = path.clone();
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let l = tokio::net::UnixListener::bind(&p2).unwrap();
        let (s, _) = l.accept().await.unwrap();
        let (rd, wr) = s.into_split();
        let mut fake = Fake {
            rd,
            buf: Vec::new(),
            wr,
        };
        fake.negotiate().await;
        fake
    });
    let mon = Monitor::connect(&path, Duration::from_secs(2), opts(2000))
        .await
        .unwrap();
    assert_eq!(mon.greeting().package, "test");
    drop(server.await.unwrap());
    let missing = dir.path().join("nobody.sock");
    let t = Instant::now();
    let err = Monitor::connect(&missing, Duration::from_millis(100), opts(2000))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert!(t.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn no_greeting_times_out() {
    let (fake, client) = Fake::pair();
    let err = Monitor::from_stream(client, opts(100)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    drop(fake);
}

#[tokio::test]
async fn a_caller_that_gives_up_does_not_disturb_the_others() {
    let (mut fake, mon) = connected(2000).await;
    let server = tokio::spawn(async move {
        let (_, abandoned) = fake.recv().await;
        let (_, id) = fake.recv().await;
        // The reply to the abandoned command arrives late; nobody waits for it any more.
        fake.reply(&abandoned, json!("late")).await;
        fake.reply(&id, json!("second")).await;
        fake
    });
    let first = mon.execute("first", None);
    // Polled once (sent), then dropped: the caller's own timeout or select! gave up on it.
    let gave_up = tokio::time::timeout(Duration::from_millis(20), first).await;
    assert!(gave_up.is_err());
    assert_eq!(mon.execute("second", None).await.unwrap(), json!("second"));
    assert_eq!(mon.dead_reason(), None);
    drop(server.await.unwrap());
}

#[tokio::test]
async fn close_fails_waiting_and_later_calls() {
    let (mut fake, mon) = connected(2000).await;
    let server = tokio::spawn(async move {
        let _ = fake.recv().await;
        fake
    });
    let m2 = mon.clone();
    let waiting = tokio::spawn(async move { m2.query_status().await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    mon.close();
    let err = waiting.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Dead(DeadReason::Closed)), "{err}");
    assert!(matches!(
        mon.cont().await,
        Err(Error::Dead(DeadReason::Closed))
    ));
    drop(server.await.unwrap());
}

#[tokio::test]
async fn lines_that_came_with_the_greeting_are_not_lost() {
    let (mut fake, client) = Fake::pair();
    let server = async {
        let both = format!(
            "{GREETING}\r\n{}\r\n",
            r#"{"event": "SUSPEND", "timestamp": {"seconds": 1, "microseconds": 1}}"#
        );
        fake.wr.write_all(both.as_bytes()).await.unwrap();
        let (_, id) = fake.recv().await;
        fake.reply(&id, json!({})).await;
    };
    let (_, mon) = tokio::join!(server, Monitor::from_stream(client, opts(2000)));
    let mut events = mon.unwrap().events();
    assert_eq!(events.recv().await.unwrap().kind(), EventKind::Suspend);
}

#[tokio::test]
async fn a_write_blocked_on_a_full_socket_obeys_the_deadline() {
    // QEMU stopped reading: a big command fills the socket buffer and the write blocks.
    let big = json!({ "blob": "x".repeat(4 << 20) });
    let (fake, mon) = connected(200).await;
    let t = Instant::now();
    let err = mon.execute("qom-set", Some(big.clone())).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(t.elapsed() < Duration::from_millis(1000));
    // The deadline, not the abandoned write, is recorded as the cause.
    assert!(matches!(
        mon.dead_reason(),
        Some(DeadReason::TimedOut { .. })
    ));
    drop(fake);

    // A caller that gives up half-way through a write leaves a torn line: the monitor is dead.
    let (fake, mon) = connected(5000).await;
    let gave_up = tokio::time::timeout(
        Duration::from_millis(100),
        mon.execute("qom-set", Some(big)),
    )
    .await;
    assert!(gave_up.is_err());
    assert!(
        matches!(mon.dead_reason(), Some(DeadReason::Protocol(m)) if m.contains("half-written"))
    );
    drop(fake);
}

#[tokio::test]
async fn recorded_probe_replays_into_a_probe_result() {
    let (fake, client) = Fake::pair();
    let server = tokio::spawn(replay(fake, "probe-x86_64-kvm.txt"));
    let mon = Monitor::from_stream(client, opts(2000)).await.unwrap();
    let bin = std::path::Path::new("/usr/bin/qemu-system-x86_64");
    let p = rvirt_qmp::probe_monitor(&mon, bin).await.unwrap();
    mon.quit().await.unwrap();
    server.await.unwrap();

    assert_eq!(p.version.as_number(), 7_002_022);
    assert_eq!(p.arch, "x86_64");
    assert!(p.kvm_present && p.kvm_enabled);
    let pc = p.machine("pc").unwrap();
    assert_eq!(pc.name, "pc-i440fx-7.2");
    assert!(pc.is_default && pc.hotpluggable_cpus && !pc.numa_mem_supported);
    assert_eq!(p.default_machine(), Some(pc));
    let q35 = p.machine("q35").unwrap();
    assert_eq!(q35.name, "pc-q35-7.2");
    assert!(q35.cpu_max >= 288);
    assert_eq!(q35.default_ram_id.as_deref(), Some("pc.ram"));
    assert!(p.machines.iter().any(|m| m.name == "none"));
    let qemu64 = p
        .cpus
        .cpu_definitions
        .iter()
        .find(|c| c.name == "qemu64")
        .unwrap();
    assert_eq!(qemu64.typename, "qemu64-x86_64-cpu");
    assert!(qemu64.unavailable_features.is_some());
    assert!(p.cpus.cpu_definitions.iter().any(|c| c.alias_of.is_some()));
    assert!(p.has_command("query-cpus-fast") && p.has_command("snapshot-save"));
    assert!(!p.has_command("query-cpus"));
    // KVM's host CPU, expanded twice: invtsc blocks migration, so only the second has it.
    let host = p.cpus.host_cpu.as_ref().unwrap();
    assert_eq!(host.model, "host");
    assert_eq!(host.props["vendor"], "GenuineIntel");
    assert_eq!(host.props["invtsc"], false);
    assert_eq!(host.non_migratable["invtsc"], true);
    assert!(p.tcg.is_none());
    assert!(p.accel_cpus(true).is_some_and(|c| c.host_cpu.is_some()));
    assert!(p.accel_cpus(false).is_none());
}
