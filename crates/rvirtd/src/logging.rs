//! Logging through `tracing`, configured the libvirt way: `log_level`, `log_filters` such as
//! `"1:rpc 3:remote"` (priority 1 debug … 4 error, then a source name) and `log_outputs` such as
//! `"3:stderr"` or `"1:file:/var/log/rvirtd.log"`.

use crate::config::Config;
use tracing_subscriber::EnvFilter;

fn level(priority: &str) -> Option<&'static str> {
    match priority {
        "1" => Some("debug"),
        "2" => Some("info"),
        "3" => Some("warn"),
        "4" => Some("error"),
        _ => None,
    }
}

/// Translates libvirt's settings into a `tracing` filter directive: the level of `log_level`
/// (or of the output's priority), then one directive per filter. A filter's source name is
/// matched against rvirtd's modules (`rpc` matches `rvirtd::session`, as libvirt's rpc source
/// covers its socket layer).
pub fn directive(c: &Config) -> Result<String, String> {
    let base = level(&c.log_level.to_string())
        .ok_or_else(|| format!("invalid log_level {}: expected 1 to 4", c.log_level))?;
    let mut out = vec![base.to_string()];
    for f in c.log_filters.split_whitespace() {
        let (prio, name) = f
            .split_once(':')
            .ok_or_else(|| format!("invalid log filter '{f}': expected PRIORITY:NAME"))?;
        let lvl = level(prio)
            .ok_or_else(|| format!("invalid log filter '{f}': priority must be 1 to 4"))?;
        let name = name.trim_start_matches('+');
        let target = match name {
            "rpc" => "rvirtd::session",
            "remote" => "rvirtd::dispatch",
            "daemon" | "libvirtd" | "rvirtd" => "rvirtd",
            other => other,
        };
        out.push(format!("{target}={lvl}"));
    }
    Ok(out.join(","))
}

/// Where log lines go.
pub enum Output {
    /// Standard error.
    Stderr,
    /// A file, appended to.
    File(std::path::PathBuf),
}

/// The first output of `log_outputs` (stderr when unset), with the priority it asks for.
pub fn output(c: &Config) -> Result<(Option<&'static str>, Output), String> {
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
    let mut directive = directive(c)?;
    let (out_level, out) = output(c)?;
    if let Some(l) = out_level {
        directive = directive.replacen(directive.split(',').next().unwrap_or("warn"), l, 1);
    }
    if verbose {
        directive = directive.replacen(directive.split(',').next().unwrap_or("warn"), "debug", 1);
    }
    let filter = EnvFilter::try_new(&directive).map_err(|e| e.to_string())?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let res = match out {
        Output::Stderr => builder.with_writer(std::io::stderr).try_init(),
        Output::File(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("cannot open log file '{}': {e}", path.display()))?;
            builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .try_init()
        }
    };
    res.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_filters_become_directives() {
        let c = Config {
            log_level: 2,
            log_filters: "1:rpc 4:remote 3:qemu".into(),
            ..Config::default()
        };
        assert_eq!(
            directive(&c).unwrap(),
            "info,rvirtd::session=debug,rvirtd::dispatch=error,qemu=warn"
        );
        let bad = Config {
            log_filters: "9:rpc".into(),
            ..Config::default()
        };
        assert!(directive(&bad).unwrap_err().contains("priority"));
    }

    #[test]
    fn outputs() {
        let c = Config {
            log_outputs: "1:file:/tmp/x.log".into(),
            ..Config::default()
        };
        assert!(matches!(output(&c), Ok((Some("debug"), Output::File(_)))));
        let c = Config {
            log_outputs: "3:syslog:rvirtd".into(),
            ..Config::default()
        };
        assert!(output(&c).is_err());
    }
}
