//! What a server that does nothing but one read and one write per call costs this machine's
//! kernel: a client process sends a 72-byte packet, waits for a 72-byte answer, then computes
//! for `--pace` µs (as a python3-libvirt client does between calls); the server process blocks
//! in `read`, answers with one `write`, and reports its own CPU time per call. No protocol, no
//! allocation: the figure is the floor under any daemon that sleeps between a client's calls.
//!
//! `cargo run --release -p rvirtd --example wake_floor -- [--pace MICROSECONDS] [--calls N]`

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

/// This process's user + system CPU time.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes the whole struct it is given; an all-zero rusage is valid.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF needs no other argument.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(r.ru_utime) + tv(r.ru_stime)
}

/// The server: one read, one write per call until the client hangs up.
fn serve(path: &str) -> std::io::Result<()> {
    let l = UnixListener::bind(path)?;
    println!("ready");
    std::io::stdout().flush()?;
    let (mut s, _) = l.accept()?;
    let mut buf = vec![0u8; 65536];
    let start = cpu_time();
    let mut calls = 0u64;
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        s.write_all(&buf[..72])?;
        calls += 1;
    }
    let used = cpu_time() - start;
    println!(
        "server: {calls} calls, {:.2} µs CPU per call",
        used.as_secs_f64() / calls.max(1) as f64 * 1e6
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(path) = opt("--serve") {
        return serve(&path);
    }
    let pace = Duration::from_micros(opt("--pace").and_then(|p| p.parse().ok()).unwrap_or(15));
    let calls: u32 = opt("--calls")
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("wake_floor.{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("sock");
    let path_str = path.to_string_lossy().into_owned();
    let mut server = std::process::Command::new(std::env::current_exe()?)
        .args(["--serve", &path_str])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut out = server
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout"))?;
    let mut ready = [0u8; 6];
    out.read_exact(&mut ready)?;
    let mut s = UnixStream::connect(&path)?;
    let call = [7u8; 72];
    let mut reply = [0u8; 72];
    let t = Instant::now();
    for _ in 0..calls {
        s.write_all(&call)?;
        s.read_exact(&mut reply)?;
        let until = Instant::now() + pace;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }
    let elapsed = t.elapsed();
    drop(s);
    let mut report = String::new();
    out.read_to_string(&mut report)?;
    server.wait()?;
    let _ = std::fs::remove_dir_all(&dir);
    print!("{report}");
    println!(
        "client: round trip {:.2} µs (pace {} µs)",
        elapsed.as_secs_f64() / f64::from(calls) * 1e6,
        pace.as_micros()
    );
    Ok(())
}
