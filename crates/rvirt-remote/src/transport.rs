//! Opening the byte stream to the daemon: a unix socket, a TCP connection (plain, or with TLS as
//! libvirt speaks it), or a child process (ssh, or the ext transport's command) whose stdin and
//! stdout are one end of a socket pair, as libvirt runs it, with its stderr kept for the error
//! message should the stream fail.

use crate::ssh;
use crate::target::{Target, Transport};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::os::fd::OwnedFd;
use std::process::Stdio;
use tokio::io::{AsyncRead, AsyncWrite};

/// The reading half of a connection.
pub type Reader = Box<dyn AsyncRead + Send + Unpin>;
/// The writing half of a connection.
pub type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// An open connection. Dropping it closes the socket or kills the child.
pub struct Connection {
    /// Bytes from the daemon.
    pub reader: Reader,
    /// Bytes to the daemon.
    pub writer: Writer,
    /// The ssh or ext process, killed when the connection goes.
    pub child: Option<tokio::process::Child>,
    /// The process's stderr, read when the stream fails to say why.
    pub stderr: Option<tokio::process::ChildStderr>,
    /// A second descriptor of the socket, on unix sockets only: file descriptors passed with a
    /// call go out through it (libvirt passes them on unix sockets alone).
    pub fd_socket: Option<OwnedFd>,
}

impl Connection {
    /// A connection over a socket's two halves, with no process behind it.
    fn of_stream(
        reader: impl AsyncRead + Send + Unpin + 'static,
        writer: impl AsyncWrite + Send + Unpin + 'static,
    ) -> Connection {
        Connection {
            reader: Box::new(reader),
            writer: Box::new(writer),
            child: None,
            stderr: None,
            fd_socket: None,
        }
    }
}

fn system(what: String, err: &std::io::Error) -> Error {
    Error::system(ErrorDomain::RPC, what, err)
}

/// Connects as `t` says. Must run inside a tokio runtime with I/O enabled.
pub async fn connect(t: &Target) -> Result<Connection> {
    match t.transport {
        Transport::Unix => {
            let path = t.socket.as_deref().unwrap_or_default();
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| system(format!("Failed to connect socket to '{path}'"), &e))?;
            let fd_socket = std::os::fd::AsFd::as_fd(&stream)
                .try_clone_to_owned()
                .map_err(|e| system(format!("Failed to connect socket to '{path}'"), &e))?;
            let (r, w) = stream.into_split();
            Ok(Connection {
                fd_socket: Some(fd_socket),
                ..Connection::of_stream(r, w)
            })
        }
        Transport::Tcp => {
            let stream = connect_tcp(&t.host, t.port.as_deref().unwrap_or("16509")).await?;
            let (r, w) = stream.into_split();
            Ok(Connection::of_stream(r, w))
        }
        Transport::Tls => connect_tls(t).await,
        Transport::Ssh => spawn(ssh::ssh_argv(t)?, true),
        Transport::Ext => spawn(vec![t.command.clone().unwrap_or_default()], false),
        Transport::Libssh | Transport::Libssh2 => Err(Error::with_detail(
            ErrorDomain::REMOTE,
            ErrorNumber::NO_SUPPORT,
            format!(
                "the {} transport is not available in rvirt; use ssh",
                t.transport.name()
            ),
        )),
    }
}

/// libvirt's TLS transport: the credentials first (a missing CA file fails before any
/// connection is tried), then TCP, the handshake, the check of the server's certificate and the
/// server's confirmation byte.
async fn connect_tls(t: &Target) -> Result<Connection> {
    let loc = rvirt_tls::Locations::locate(
        t.pkipath.as_deref().map(std::path::Path::new),
        rvirt_tls::pki::unprivileged_home().as_deref(),
        rvirt_tls::Role::Client,
    );
    let ctx = rvirt_tls::ClientContext::new(
        &loc,
        rvirt_tls::ClientOptions {
            require_valid_cert: !t.no_verify,
            sanity_check: !t.no_sanity,
        },
    )?;
    let stream = connect_tcp(&t.host, t.port.as_deref().unwrap_or("16514")).await?;
    let tls = ctx.connect(stream, &t.host).await?;
    let (r, w) = tokio::io::split(tls);
    Ok(Connection::of_stream(r, w))
}

async fn connect_tcp(host: &str, port: &str) -> Result<tokio::net::TcpStream> {
    let addrs: Vec<_> = tokio::net::lookup_host(format!("{host}:{port}"))
        .await
        .map_err(|e| {
            Error::with_detail(
                ErrorDomain::RPC,
                ErrorNumber::SYSTEM_ERROR,
                format!("Unable to resolve address '{host}' service '{port}': {e}"),
            )
        })?
        .collect();
    let mut last = std::io::Error::from(std::io::ErrorKind::AddrNotAvailable);
    for addr in addrs {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = e,
        }
    }
    Err(system(
        format!("unable to connect to server at '{host}:{port}'"),
        &last,
    ))
}

/// Runs `argv` with one end of a socket pair as its stdin and stdout and the other as the
/// connection.
fn spawn(argv: Vec<String>, ssh_env: bool) -> Result<Connection> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::internal(ErrorDomain::REMOTE, "empty command"));
    };
    let socket_error = |e: std::io::Error| system("Failed to create socket".into(), &e);
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().map_err(socket_error)?;
    let theirs_out = theirs.try_clone().map_err(socket_error)?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::from(OwnedFd::from(theirs_out)))
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if ssh_env {
        // ssh must see the agent and the display it may need for a passphrase prompt, as
        // libvirt passes them; the rest of the environment is inherited anyway.
        for var in ssh::SSH_ENV {
            if let Ok(v) = std::env::var(var) {
                cmd.env(var, v);
            }
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| system(format!("Cannot run '{program}'"), &e))?;
    // The child's ends must close here, or its exit would never show as end of file.
    drop(cmd);
    let stderr = child.stderr.take();
    ours.set_nonblocking(true).map_err(socket_error)?;
    let stream = tokio::net::UnixStream::from_std(ours).map_err(socket_error)?;
    let (r, w) = stream.into_split();
    Ok(Connection {
        reader: Box::new(r),
        writer: Box::new(w),
        child: Some(child),
        stderr,
        fd_socket: None,
    })
}
