//! Logging through `tracing`, configured the libvirt way: `log_level`, `log_filters` such as
//! `"1:rpc 3:remote"` (priority 1 debug … 4 error, then a source name) and `log_outputs` such as
//! `"3:stderr"` or `"1:file:/var/log/rvirtd.log"`.
//!
//! The filter is a table of target prefixes and levels ([`Targets`]), built directly from the
//! settings: matching a libvirt filter needs no pattern language, and a daemon that starts
//! without compiling regular expressions starts smaller.

use crate::config::Config;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn level(priority: &str) -> Option<LevelFilter> {
    match priority {
        "1" => Some(LevelFilter::DEBUG),
        "2" => Some(LevelFilter::INFO),
        "3" => Some(LevelFilter::WARN),
        "4" => Some(LevelFilter::ERROR),
        _ => None,
    }
}

/// The level of `log_level`, then one `(target prefix, level)` per filter of `log_filters`, in
/// order. A filter's source name is matched against rvirtd's modules (`rpc` matches
/// `rvirtd::session`, as libvirt's rpc source covers its socket layer); any other name is taken
/// as a target prefix (`rvirt_driver_qemu`, say).
pub fn filters(c: &Config) -> Result<(LevelFilter, Vec<(String, LevelFilter)>), String> {
    let base = level(&c.log_level.to_string())
        .ok_or_else(|| format!("invalid log_level {}: expected 1 to 4", c.log_level))?;
    let mut out = Vec::new();
    for f in c.log_filters.split_whitespace() {
        let (prio, name) = f
            .split_once(':')
            .ok_or_else(|| format!("invalid log filter '{f}': expected PRIORITY:NAME"))?;
        let lvl = level(prio)
            .ok_or_else(|| format!("invalid log filter '{f}': priority must be 1 to 4"))?;
        let name = name.trim_start_matches('+');
        if name.is_empty() {
            return Err(format!("invalid log filter '{f}': no source name"));
        }
        let target = match name {
            "rpc" => "rvirtd::session",
            "remote" => "rvirtd::dispatch",
            "daemon" | "libvirtd" | "rvirtd" => "rvirtd",
            other => other,
        };
        out.push((target.to_string(), lvl));
    }
    Ok((base, out))
}

/// The filter the daemon logs through: [`filters`], with the default level replaced by the
/// output's priority when `log_outputs` gives one, and by debug with `-v`.
pub fn targets(c: &Config, verbose: bool) -> Result<Targets, String> {
    let (mut base, list) = filters(c)?;
    if let (Some(l), _) = output(c)? {
        base = l;
    }
    if verbose {
        base = LevelFilter::DEBUG;
    }
    // A later filter for the same source wins, as in libvirt.
    Ok(Targets::new().with_default(base).with_targets(list))
}

/// Where log lines go.
pub enum Output {
    /// Standard error.
    Stderr,
    /// A file, appended to.
    File(std::path::PathBuf),
}

/// The first output of `log_outputs` (stderr when unset), with the priority it asks for.
pub fn output(c: &Config) -> Result<(Option<LevelFilter>, Output), String> {
    let Some(first) = c.log_outputs.split_whitespace().next() else {
        return Ok((None, Output::Stderr));
    };
    let mut parts = first.splitn(3, ':');
    let prio = parts.next().unwrap_or("");
    let lvl = level(prio)
        .ok_or_else(|| format!("invalid log output '{first}': priority must be 1 to 4"))?;
    match (parts.next(), parts.next()) {
        (Some("stderr"), None) => Ok((Some(lvl), Output::Stderr)),
        (Some("file"), Some(path)) if !path.is_empty() => {
            Ok((Some(lvl), Output::File(path.into())))
        }
        _ => Err(format!(
            "invalid log output '{first}': rvirtd writes to 'stderr' or 'file:PATH'"
        )),
    }
}

/// Installs the global subscriber. `verbose` (`-v`) forces debug level.
pub fn init(c: &Config, verbose: bool) -> Result<(), String> {
    let filter = targets(c, verbose)?;
    let (_, out) = output(c)?;
    let layer = tracing_subscriber::fmt::layer();
    let layer = match out {
        Output::Stderr => layer.with_writer(BoxMakeWriter::new(std::io::stderr)),
        Output::File(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("cannot open log file '{}': {e}", path.display()))?;
            layer
                .with_ansi(false)
                .with_writer(BoxMakeWriter::new(std::sync::Mutex::new(file)))
        }
    };
    tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn libvirt_filters_select_targets_and_levels() {
        let c = Config {
            log_level: 2,
            log_filters: "1:rpc 4:remote 3:rvirt_driver_qemu".into(),
            ..Config::default()
        };
        let t = targets(&c, false).unwrap();
        // log_level 2: info everywhere else.
        assert!(t.would_enable("rvirt::connect", &Level::INFO));
        assert!(!t.would_enable("rvirt::connect", &Level::DEBUG));
        // 1:rpc: debug for the socket layer, and only there.
        assert!(t.would_enable("rvirtd::session", &Level::DEBUG));
        assert!(!t.would_enable("rvirtd::server", &Level::DEBUG));
        assert!(t.would_enable("rvirtd::server", &Level::INFO));
        // 4:remote: errors only from the dispatcher, its submodules included.
        assert!(!t.would_enable("rvirtd::dispatch::domain", &Level::WARN));
        assert!(t.would_enable("rvirtd::dispatch", &Level::ERROR));
        // A name that is not one of libvirt's sources is a target prefix.
        assert!(!t.would_enable("rvirt_driver_qemu::monitor", &Level::INFO));
        assert!(t.would_enable("rvirt_driver_qemu::monitor", &Level::WARN));

        // -v: debug by default, the filters still apply.
        let t = targets(&c, true).unwrap();
        assert!(t.would_enable("rvirt::connect", &Level::DEBUG));
        assert!(!t.would_enable("rvirtd::dispatch", &Level::WARN));

        // The output's priority sets the default level.
        let c = Config {
            log_outputs: "4:stderr".into(),
            ..c
        };
        let t = targets(&c, false).unwrap();
        assert!(!t.would_enable("rvirt::connect", &Level::WARN));
        assert!(t.would_enable("rvirtd::session", &Level::DEBUG));

        for (bad, what) in [
            ("9:rpc", "priority"),
            ("rpc", "PRIORITY:NAME"),
            ("1:", "no source"),
        ] {
            let c = Config {
                log_filters: bad.into(),
                ..Config::default()
            };
            assert!(targets(&c, false).unwrap_err().contains(what), "{bad}");
        }
        let c = Config {
            log_level: 0,
            ..Config::default()
        };
        assert!(targets(&c, false).unwrap_err().contains("log_level"));
    }

    #[test]
    fn outputs() {
        let c = Config {
            log_outputs: "1:file:/tmp/x.log".into(),
            ..Config::default()
        };
        assert!(matches!(
            output(&c),
            Ok((Some(LevelFilter::DEBUG), Output::File(_)))
        ));
        let c = Config {
            log_outputs: "3:syslog:rvirtd".into(),
            ..Config::default()
        };
        assert!(output(&c).is_err());
    }
}
