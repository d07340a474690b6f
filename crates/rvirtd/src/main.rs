//! `rvirtd`: the daemon's command line.

use rvirtd::{Config, RunOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const HELP: &str = "\
Usage:
  rvirtd [options]

Options:
  -h | --help            Display program help
  -v | --verbose         Verbose messages
  -l | --listen          Listen for TCP/IP connections (listen_tcp, listen_tls)
  -f | --config <file>   Configuration file
  -V | --version         Display version information
  -p | --pid-file <file> Change name of PID file
  -t | --timeout <secs>  Exit after timeout period with no clients

rvirtd speaks libvirt's RPC protocol: virsh, python3-libvirt and other libvirt clients
connect to it as they connect to libvirtd.

Default paths:
  Configuration file: none (libvirtd's defaults)
  Sockets:            /run/libvirt/libvirt-sock, /run/libvirt/libvirt-sock-ro
  With --listen:      TLS on port 16514 (listen_tls = 1, the default), TCP on 16509 (listen_tcp)
  TLS files:          /etc/pki/CA/cacert.pem, /etc/pki/libvirt/servercert.pem,
                      /etc/pki/libvirt/private/serverkey.pem ($HOME/.pki/libvirt when not root)
";

/// The one function of the C math library rvirtd calls: tokio's multi-thread scheduler averages
/// its poll times with `f64::powf`, which compiles to a call to `pow`. Defined here (musl's
/// algorithm, through the `libm` crate), the linker needs nothing from the system's libm, so
/// glibc's libm.so is not loaded at all: its mapping and its load-time relocation and ifunc
/// work cost the idle daemon about 0.5 MiB of resident memory for this one function.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config_file: Option<PathBuf> = None;
    let mut opts = RunOptions::default();
    let mut verbose = false;
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("option '{name}' requires an argument"))
        };
        let step = match flag.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                println!("rvirtd (rvirt) {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "-v" | "--verbose" => {
                verbose = true;
                Ok(())
            }
            "-l" | "--listen" => {
                opts.listen = true;
                Ok(())
            }
            "-d" | "--daemon" => Err(
                "--daemon is not supported: run rvirtd under a service manager (see rvirtd.service)"
                    .to_string(),
            ),
            "-f" | "--config" => value(&flag).map(|v| config_file = Some(v.into())),
            "-p" | "--pid-file" => value(&flag).map(|v| opts.pid_file = Some(v.into())),
            "-t" | "--timeout" => value(&flag).and_then(|v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|&t| t > 0)
                    .map(|t| opts.timeout = Some(Duration::from_secs(t)))
                    .ok_or_else(|| format!("Invalid value for timeout: '{v}'"))
            }),
            other => Err(format!("unrecognized option '{other}'; see 'rvirtd --help'")),
        };
        if let Err(e) = step {
            eprintln!("rvirtd: {e}");
            return ExitCode::FAILURE;
        }
    }
    // Descriptors inherited from whoever started the daemon (past stdio) must not reach the
    // guests and helpers it starts: every one of them closes on exec.
    rvirt_qmp::close_on_exec_from(3);
    let config = match &config_file {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("rvirtd: Can't load config file: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Config::default(),
    };
    if let Err(e) = rvirtd::logging::init(&config, verbose) {
        eprintln!("rvirtd: {e}");
        return ExitCode::FAILURE;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rvirtd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(rvirtd::run(config, opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rvirtd: {e}");
            ExitCode::FAILURE
        }
    }
}
