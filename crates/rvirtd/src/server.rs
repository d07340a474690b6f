//! Listeners, the accept loops, limits and shutdown.

use crate::config::Config;
use crate::session;
use rvirt_tls::ServerContext;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{error, info};

/// How long shutdown waits for calls in flight.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

/// What every client's task shares.
pub(crate) struct Shared {
    pub config: Config,
    /// Bounds the calls that may wait on a hypervisor, across all clients (`max_workers`).
    pub workers: Arc<Semaphore>,
    /// Becomes true when the daemon shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// Options from the command line.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Write the daemon's pid here, and remove the file on exit.
    pub pid_file: Option<PathBuf>,
    /// Exit after this long with no clients.
    pub timeout: Option<Duration>,
    /// `--listen`: honour `listen_tcp` and `listen_tls`, as libvirtd does only with it.
    pub listen: bool,
}

/// Why the daemon could not run.
#[derive(Debug)]
pub struct ServerError(pub String);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// A listening socket and whether its clients are read-only.
enum Listener {
    Unix(UnixListener, bool),
    Tcp(TcpListener),
    /// TLS over TCP: each client's handshake and certificate check come first.
    Tls(TcpListener, Arc<ServerContext>),
}

/// Removes the socket files (or the pid file) when the daemon stops, however it stops.
struct SocketFiles(Vec<PathBuf>);

impl Drop for SocketFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Refuses a socket path another daemon answers on.
fn refuse_if_served(path: &Path) -> Result<(), ServerError> {
    if path.exists() && std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(ServerError(format!(
            "another daemon is already listening on '{}'",
            path.display()
        )));
    }
    Ok(())
}

fn bind_unix(path: &Path, perms: u32, group: Option<u32>) -> Result<UnixListener, ServerError> {
    if path.exists() {
        // A socket nobody answers on is left over from a daemon that died: replace it. One that
        // answers belongs to a running daemon.
        refuse_if_served(path)?;
        let _ = std::fs::remove_file(path);
    }
    // The socket is made listening under a hidden name beside its own and renamed into place
    // with its permissions set, so that a client never finds the socket file before the daemon
    // listens on it (a client that waits for the file to appear would get "connection
    // refused"). A path too long for the hidden name is bound in place.
    let staged = path.file_name().map(|name| {
        let mut hidden = std::ffi::OsString::from(".");
        hidden.push(name);
        hidden.push(format!(".{}", std::process::id()));
        path.with_file_name(hidden)
    });
    let staged = staged.filter(|p| p.as_os_str().len() < SUN_PATH_MAX);
    let at = staged.as_deref().unwrap_or(path);
    if staged.is_some() {
        let _ = std::fs::remove_file(at);
    }
    let l = UnixListener::bind(at).map_err(|e| {
        ServerError(format!(
            "Failed to bind socket to '{}': {e}",
            path.display()
        ))
    })?;
    let fail = |what: &str, e: std::io::Error| {
        if staged.is_some() {
            let _ = std::fs::remove_file(at);
        }
        ServerError(format!("Failed to {what} '{}': {e}", path.display()))
    };
    std::fs::set_permissions(at, std::fs::Permissions::from_mode(perms))
        .map_err(|e| fail("change permissions of", e))?;
    if let Some(gid) = group {
        std::os::unix::fs::lchown(at, None, Some(gid)).map_err(|e| fail("change group of", e))?;
    }
    if staged.is_some() {
        std::fs::rename(at, path).map_err(|e| fail("move the socket into place at", e))?;
    }
    Ok(l)
}

/// The longest path a unix socket address holds (`sun_path` less its terminating NUL).
const SUN_PATH_MAX: usize = 107;

fn group_id(name: &str) -> Result<u32, ServerError> {
    if let Ok(gid) = name.parse() {
        return Ok(gid);
    }
    for line in std::fs::read_to_string("/etc/group")
        .unwrap_or_default()
        .lines()
    {
        let mut f = line.split(':');
        if f.next() == Some(name)
            && let Some(gid) = f.nth(1).and_then(|g| g.parse().ok())
        {
            return Ok(gid);
        }
    }
    Err(ServerError(format!("Failed to find group '{name}'")))
}

/// Sockets handed over by systemd socket activation (`LISTEN_FDS`), if any. A socket whose name
/// (`LISTEN_FDNAMES`) contains `ro` is the read-only one; one named `…-tls` (as `rvirtd-tls.socket`
/// names it, or `…-tls.socket`) is a TCP socket served with TLS, one named `…-tcp` a plain TCP
/// socket.
fn activated_sockets(config: &Config) -> Result<Vec<Listener>, ServerError> {
    let pid_matches = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        == Some(std::process::id());
    let count: i32 = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if !pid_matches || count <= 0 {
        return Ok(Vec::new());
    }
    let names: Vec<String> = std::env::var("LISTEN_FDNAMES")
        .unwrap_or_default()
        .split(':')
        .map(str::to_string)
        .collect();
    let mut out = Vec::new();
    for i in 0..count {
        let fd = 3 + i;
        let name = names.get(i as usize).map(String::as_str).unwrap_or("");
        // systemd names a socket after its unit unless the unit sets FileDescriptorName.
        let kind = name.strip_suffix(".socket").unwrap_or(name);
        if kind.ends_with("-tls") || kind.ends_with("-tcp") {
            // SAFETY: as below, for a TCP socket.
            let std_listener =
                unsafe { <std::net::TcpListener as std::os::fd::FromRawFd>::from_raw_fd(fd) };
            std_listener
                .set_nonblocking(true)
                .map_err(|e| ServerError(format!("activated socket {fd}: {e}")))?;
            let l = TcpListener::from_std(std_listener)
                .map_err(|e| ServerError(format!("activated socket {fd}: {e}")))?;
            out.push(if kind.ends_with("-tls") {
                Listener::Tls(l, crate::tls::context(config)?)
            } else {
                Listener::Tcp(l)
            });
            continue;
        }
        // SAFETY: systemd passed these descriptors to this process for it to own; each is taken
        // exactly once.
        let std_listener = unsafe {
            <std::os::unix::net::UnixListener as std::os::fd::FromRawFd>::from_raw_fd(fd)
        };
        std_listener
            .set_nonblocking(true)
            .map_err(|e| ServerError(format!("activated socket {fd}: {e}")))?;
        let l = UnixListener::from_std(std_listener)
            .map_err(|e| ServerError(format!("activated socket {fd}: {e}")))?;
        let read_only = name.contains("-ro") || name.ends_with("ro");
        out.push(Listener::Unix(l, read_only));
    }
    Ok(out)
}

/// Listening TCP sockets on `addr:port` as libvirt makes them: every address `addr` resolves
/// to, or with no `addr` the IPv4 and IPv6 wildcards (IPv6 only where the host has it);
/// `SO_REUSEADDR`, and IPv6 sockets IPv6-only so the two do not collide.
async fn bind_tcp(addr: Option<&str>, port: &str) -> Result<Vec<TcpListener>, ServerError> {
    let port_num: u16 = port
        .parse()
        .map_err(|_| ServerError(format!("Invalid port '{port}'")))?;
    let (addrs, wildcard): (Vec<std::net::SocketAddr>, bool) = match addr {
        Some(a) => {
            let host = a.trim_start_matches('[').trim_end_matches(']');
            let found = tokio::net::lookup_host((host, port_num))
                .await
                .map_err(|e| {
                    ServerError(format!(
                        "Unable to resolve address '{a}' service '{port}': {e}"
                    ))
                })?;
            (found.collect(), false)
        }
        None => (
            vec![
                (std::net::Ipv6Addr::UNSPECIFIED, port_num).into(),
                (std::net::Ipv4Addr::UNSPECIFIED, port_num).into(),
            ],
            true,
        ),
    };
    let mut out = Vec::new();
    for sa in addrs {
        match listen_tcp(sa) {
            Ok(l) => out.push(l),
            // A host without IPv6 still listens on IPv4.
            Err(e) if wildcard && sa.is_ipv6() => {
                info!("not listening on {sa}: {e}");
            }
            Err(e) => {
                return Err(ServerError(format!(
                    "Failed to bind TCP socket '{sa}': {e}"
                )));
            }
        }
    }
    Ok(out)
}

fn listen_tcp(sa: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(sa),
        socket2::Type::STREAM,
        None,
    )?;
    sock.set_reuse_address(true)?;
    if sa.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.bind(&sa.into())?;
    sock.listen(1024)?;
    sock.set_nonblocking(true)?;
    TcpListener::from_std(sock.into())
}

/// Runs the daemon until SIGTERM/SIGINT (or `--timeout` with no clients).
pub async fn run(config: Config, opts: RunOptions) -> Result<(), ServerError> {
    // Hypervisor URIs a client opens here must be served here, never forwarded.
    rvirt::set_inside_daemon(true);
    rvirt::set_qemu_system_root(config.rvirt_qemu_root.clone());
    // qemu:///system lives as long as the daemon (as libvirtd's QEMU driver does) when the
    // daemon has its own state root: it reattaches right away to the guests a previous daemon
    // left running, watches them while no client is connected, and starts what is marked
    // autostart. Without a root it opens at startup only when something is marked autostart or
    // was left running.
    let opened = match &config.rvirt_qemu_root {
        Some(_) => rvirt::Connect::open("qemu:///system").await.map(Some),
        None => rvirt::open_qemu_system_at_start().await,
    };
    let _qemu_system = match opened {
        Ok(c) => c,
        Err(e) => {
            error!("cannot open qemu:///system: {e}");
            None
        }
    };
    let mut listeners = activated_sockets(&config)?;
    let activated = !listeners.is_empty();
    if activated && opts.listen {
        return Err(ServerError(
            "--listen parameter not permitted with systemd activation sockets".into(),
        ));
    }
    // The pid file is there before any socket is, as libvirtd's (a supervisor that sees the
    // socket finds the pid); it goes last when the daemon stops. A daemon that finds its socket
    // served by another leaves that one's pid file alone.
    if listeners.is_empty() {
        refuse_if_served(&config.unix_sock_dir.join("libvirt-sock"))?;
    }
    let _pid_file = match &opts.pid_file {
        Some(p) => {
            std::fs::write(p, format!("{}\n", std::process::id())).map_err(|e| {
                ServerError(format!("Failed to write pid file '{}': {e}", p.display()))
            })?;
            SocketFiles(vec![p.clone()])
        }
        None => SocketFiles(Vec::new()),
    };
    let mut files = SocketFiles(Vec::new());
    if listeners.is_empty() {
        let dir = &config.unix_sock_dir;
        std::fs::create_dir_all(dir).map_err(|e| {
            ServerError(format!(
                "Failed to create directory '{}': {e}",
                dir.display()
            ))
        })?;
        let group = config
            .unix_sock_group
            .as_deref()
            .map(group_id)
            .transpose()?;
        let rw = dir.join("libvirt-sock");
        let ro = dir.join("libvirt-sock-ro");
        listeners.push(Listener::Unix(
            bind_unix(&rw, config.unix_sock_rw_perms, group)?,
            false,
        ));
        files.0.push(rw);
        listeners.push(Listener::Unix(
            bind_unix(&ro, config.unix_sock_ro_perms, group)?,
            true,
        ));
        files.0.push(ro);
    }
    if opts.listen && config.listen_tls {
        // The pki files are read first: a missing one stops the daemon with its name.
        let ctx = crate::tls::context(&config)?;
        for l in bind_tcp(config.listen_addr.as_deref(), &config.tls_port).await? {
            listeners.push(Listener::Tls(l, ctx.clone()));
        }
    }
    if opts.listen && config.listen_tcp {
        for l in bind_tcp(config.listen_addr.as_deref(), &config.tcp_port).await? {
            listeners.push(Listener::Tcp(l));
        }
    }
    if !opts.listen && !activated && (config.listen_tcp || config.listen_tls) {
        info!("not listening on TCP: listen_tcp and listen_tls take effect with --listen");
    }

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        workers: Arc::new(Semaphore::new(config.max_workers)),
        config,
        shutdown: shutdown_rx,
    });
    let clients = Arc::new(Semaphore::new(shared.config.max_clients));
    let active = Arc::new(AtomicUsize::new(0));
    let (idle_tx, mut idle_rx) = watch::channel(());
    let mut accepts = JoinSet::new();
    for l in listeners {
        accepts.spawn(accept_loop(
            l,
            shared.clone(),
            clients.clone(),
            active.clone(),
            idle_tx.clone(),
        ));
    }
    let trimmer = tokio::spawn(crate::trim::trim_after_bursts());
    info!("rvirtd {} ready", env!("CARGO_PKG_VERSION"));

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| ServerError(format!("cannot handle SIGTERM: {e}")))?;
    loop {
        let idle_wait = async {
            match opts.timeout {
                Some(t) if active.load(Ordering::SeqCst) == 0 => tokio::time::sleep(t).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term.recv() => { info!("SIGTERM: shutting down"); break }
            _ = tokio::signal::ctrl_c() => { info!("SIGINT: shutting down"); break }
            _ = idle_rx.changed() => continue,
            _ = idle_wait => {
                if active.load(Ordering::SeqCst) == 0 {
                    info!("no clients for the timeout; exiting");
                    break;
                }
            }
        }
    }

    // Stop accepting, remove the sockets, let the calls in flight finish, close the clients.
    accepts.abort_all();
    trimmer.abort();
    drop(files);
    let _ = shutdown_tx.send(true);
    let deadline = tokio::time::Instant::now() + SHUTDOWN_DEADLINE;
    while active.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Groups of guests that just ended are still being removed: not left behind by the exit.
    let _ = tokio::task::spawn_blocking(rvirt::finish_background_work).await;
    Ok(())
}

async fn accept_loop(
    l: Listener,
    shared: Arc<Shared>,
    clients: Arc<Semaphore>,
    active: Arc<AtomicUsize>,
    idle: watch::Sender<()>,
) {
    loop {
        // At most max_clients at once: further connections wait in the listen backlog.
        let Ok(permit) = clients.clone().acquire_owned().await else {
            return;
        };
        let accepted = match &l {
            Listener::Unix(u, ro) => u.accept().await.map(|(s, _)| {
                let shared = shared.clone();
                let ro = *ro;
                Box::pin(async move { session::serve_unix(s, ro, shared).await })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            }),
            Listener::Tcp(t) => t.accept().await.map(|(s, _)| {
                let _ = s.set_nodelay(true);
                let shared = shared.clone();
                Box::pin(async move { session::serve(s, false, shared).await })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            }),
            Listener::Tls(t, ctx) => t.accept().await.map(|(s, peer)| {
                let _ = s.set_nodelay(true);
                let shared = shared.clone();
                let ctx = ctx.clone();
                // The handshake runs in the client's own task: a slow or silent client never
                // holds up the accept loop.
                Box::pin(async move {
                    if let Some(stream) = crate::tls::handshake(&ctx, s, peer, &shared).await {
                        session::serve(stream, false, shared).await
                    }
                })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            }),
        };
        match accepted {
            Ok(fut) => {
                active.fetch_add(1, Ordering::SeqCst);
                let active = active.clone();
                let idle = idle.clone();
                tokio::spawn(async move {
                    fut.await;
                    drop(permit);
                    active.fetch_sub(1, Ordering::SeqCst);
                    let _ = idle.send(());
                });
            }
            Err(e) => {
                // Out of descriptors and the like: wait a little rather than spin.
                error!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
