//! Streams through rvirtd: python3-libvirt receives a screenshot byte for byte as rvirt's test
//! driver makes it (the picture spans several stream packets), in small and large reads; and
//! streams that clients abandon (abort, disconnect mid-transfer, never read) cost the daemon
//! nothing and never hold up another client.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, PYTHON, have};
use std::process::Command;

/// The picture as rvirt's test driver makes it, taken in-process.
fn expected_png() -> Vec<u8> {
    let conn = rvirt::blocking::Connect::open("test:///default").unwrap();
    let dom = conn.lookup_by_name("test").unwrap();
    let st = conn.new_stream(0);
    assert_eq!(dom.screenshot(&st, 0, 0).unwrap(), "image/png");
    let mut data = Vec::new();
    st.recv_all(|c| {
        data.extend_from_slice(c);
        Ok(())
    })
    .unwrap();
    st.finish().unwrap();
    data
}

const SCRIPT: &str = r#"
import libvirt, sys
uri, out, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = libvirt.open(uri)
d = c.lookupByName("test")
st = c.newStream(0)
mime = d.screenshot(st, 0, 0)
data = b""
while True:
    b = st.recv(chunk)
    if not b:
        break
    data += b
st.finish()
open(out, "wb").write(data)
# recvAll, then a stream abandoned half-way, then the connection still answers.
st = c.newStream(0)
d.screenshot(st, 0, 0)
parts = []
st.recvAll(lambda s, b, o: parts.append(b) or len(b), None)
st.finish()
assert b"".join(parts) == data
st = c.newStream(0)
d.screenshot(st, 0, 0)
st.recv(10)
st.abort()
print(mime, d.info()[0])
"#;

#[test]
fn python_receives_the_screenshot_byte_for_byte() {
    if !have(PYTHON) {
        eprintln!("skipped: no {PYTHON}");
        return;
    }
    let expected = expected_png();
    assert!(
        expected.len() > 262_120,
        "{} bytes: one packet",
        expected.len()
    );
    let daemon = Daemon::start("");
    let dir = tempfile::tempdir().unwrap();
    for chunk in ["1000", "65536", "4194304"] {
        let out = dir.path().join(format!("shot-{chunk}.png"));
        let run = Command::new(PYTHON)
            .args(["-c", SCRIPT, &daemon.uri(), out.to_str().unwrap(), chunk])
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&run.stdout), "image/png 1\n");
        assert!(
            std::fs::read(&out).unwrap() == expected,
            "reading {chunk} at a time"
        );
    }
}

/// Clients that open screenshot streams and then drop the connection mid-transfer, or never
/// read a byte, while another client keeps calling: the other client sees every reply, and the
/// daemon's descriptors return to where they were.
#[test]
fn abandoned_streams_hold_up_nobody() {
    if !have(PYTHON) {
        eprintln!("skipped: no {PYTHON}");
        return;
    }
    let daemon = Daemon::start("");
    let fds = || {
        std::fs::read_dir(format!("/proc/{}/fd", daemon.pid()))
            .unwrap()
            .count()
    };
    let before = fds();
    let script = r#"
import libvirt, os, socket, sys, time
uri = sys.argv[1]
# Ten clients start a screenshot each and vanish without reading it to the end.
for i in range(10):
    c = libvirt.open(uri)
    st = c.newStream(0)
    c.lookupByName("test").screenshot(st, 0, 0)
    if i % 2:
        st.recv(100)
    os._exit(0) if os.fork() == 0 else os.wait()
    c.close()
# One never reads: its streams fill its queue while another connection keeps working.
stuck = libvirt.open(uri)
streams = []
for i in range(20):
    st = stuck.newStream(0)
    stuck.lookupByName("test").screenshot(st, 0, 0)
    streams.append(st)
other = libvirt.open(uri)
d = other.lookupByName("test")
t = time.time()
for i in range(200):
    d.info()
print("ok", time.time() - t < 10)
"#;
    let run = Command::new(PYTHON)
        .args(["-c", script, &daemon.uri()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout), "ok True\n");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while fds() > before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // `before` may count a descriptor the daemon held only while starting up (a runtime
    // worker's, a just-accepted probe connection's); fewer afterwards is fine, more is a leak.
    let after = fds();
    assert!(
        after <= before,
        "descriptors left open: {after} now, {before} before"
    );
}
