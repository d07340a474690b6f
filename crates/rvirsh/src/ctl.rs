//! The shell's state (virsh's `vshControl`): where output goes, the connection, the settings
//! from the command line, and the libvirt error a failed command reports when it ends.

use crate::parse::{self, Cmd};
use rvirt::blocking::{Connect, Domain};
use std::io::Write;

/// A command failed; what it had to say has been printed or stashed in [`Ctl::last_error`].
#[derive(Debug, PartialEq, Eq)]
pub struct Failed;

/// What a handler returns.
pub type CmdResult = Result<(), Failed>;

/// The shell's state.
pub struct Ctl {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    /// The connection, opened on first need.
    pub conn: Option<Connect>,
    /// The URI to connect to (`-c`, `LIBVIRT_DEFAULT_URI`, `connect NAME`); `None` for
    /// libvirt's default.
    pub connname: Option<String>,
    /// Connect read-only.
    pub readonly: bool,
    /// `-q`: no informational output.
    pub quiet: bool,
    /// `-t`: print each command's duration.
    pub timing: bool,
    /// `-d`: debug level (0..=4, 4 = errors only, the default).
    pub debug: i32,
    /// Interactive mode (cleared by `quit`).
    pub imode: bool,
    /// Whether stdout is a terminal (progress bars).
    pub stdout_tty: bool,
    /// The libvirt error of the failing call, reported after the command's own message.
    pub last_error: Option<rvirt::Error>,
    /// Whether the connection was lost (the next command reconnects).
    pub disconnected: bool,
    /// `-k`: keepalive interval asked for (virsh's default is 5 s).
    pub keepalive_interval: Option<i32>,
    /// `-K`: keepalive count asked for (virsh's default is 6).
    pub keepalive_count: Option<i32>,
}

impl Ctl {
    /// A shell writing to `out` and `err`.
    pub fn new(out: Box<dyn Write>, err: Box<dyn Write>) -> Ctl {
        Ctl {
            out,
            err,
            conn: None,
            connname: None,
            readonly: false,
            quiet: false,
            timing: false,
            debug: 4,
            imode: false,
            stdout_tty: false,
            last_error: None,
            disconnected: false,
            keepalive_interval: None,
            keepalive_count: None,
        }
    }

    /// vshPrint: text on stdout.
    pub fn print(&mut self, s: &str) {
        let _ = self.out.write_all(s.as_bytes());
    }

    /// virshDumpXML: an object's `xml`, or with `--xpath` the nodes the expression selects
    /// (`--wrap`: under one `<nodes>` element).
    pub fn dump_xml(&mut self, cmd: &Cmd, xml: &str) -> CmdResult {
        let Some(xpath) = self.opt_str(cmd, "xpath")? else {
            self.print(xml);
            return Ok(());
        };
        match crate::xpath::dump(xml, xpath, cmd.has("wrap")) {
            Ok(d) => {
                self.print(&d.out);
                if !d.warnings.is_empty() {
                    self.print_err(&d.warnings);
                }
                Ok(())
            }
            Err(crate::xpath::DumpError(msg)) => {
                self.lib(Err(rvirt::Error::internal(rvirt::ErrorDomain::XML, msg)))
            }
        }
    }

    /// vshPrintExtra: text on stdout unless `--quiet`.
    pub fn print_extra(&mut self, s: &str) {
        if !self.quiet {
            self.print(s);
        }
    }

    /// Flushes stdout.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// vshError: `error: MSG` on stderr, after whatever stdout holds.
    pub fn error(&mut self, msg: &str) {
        self.flush();
        let _ = writeln!(self.err, "error: {msg}");
        let _ = self.err.flush();
    }

    /// Raw text on stderr (progress bars).
    pub fn print_err(&mut self, s: &str) {
        self.flush();
        let _ = self.err.write_all(s.as_bytes());
        let _ = self.err.flush();
    }

    /// vshDebug: printed on stdout when the debug level is at most `level`.
    pub fn debug_msg(&mut self, level: i32, msg: &str) {
        if level >= self.debug {
            self.print(msg);
        }
    }

    /// Stashes a libvirt error for the end of the command and fails.
    pub fn lib<T>(&mut self, r: rvirt::Result<T>) -> Result<T, Failed> {
        r.map_err(|e| {
            self.last_error = Some(e);
            Failed
        })
    }

    /// A failed library call: its error is reported at the end of the command, after
    /// virsh's own line `msg`.
    pub fn lib_fail<T>(&mut self, e: rvirt::Error, msg: &str) -> Result<T, Failed> {
        self.last_error = Some(e);
        self.fail(msg)
    }

    /// vshError and fail.
    pub fn fail<T>(&mut self, msg: &str) -> Result<T, Failed> {
        self.error(msg);
        Err(Failed)
    }

    /// VSH_EXCLUSIVE_OPTIONS: fails with virsh's message when both options of a pair were given.
    pub fn exclusive(&mut self, cmd: &Cmd, pairs: &[(&str, &str)]) -> CmdResult {
        for (a, b) in pairs {
            if cmd.has(a) && cmd.has(b) {
                return self.fail(&format!("Options --{a} and --{b} are mutually exclusive"));
            }
        }
        Ok(())
    }

    /// vshReportError: prints the stashed libvirt error, if any.
    pub fn report_error(&mut self) {
        if let Some(e) = self.last_error.take() {
            let msg = if e.message.is_empty() {
                "unknown error".to_string()
            } else {
                e.message
            };
            self.error(&msg);
        }
    }

    /// The connection (commands other than `no_connect` ones run with one).
    pub fn conn(&self) -> Result<&Connect, Failed> {
        self.conn.as_ref().ok_or(Failed)
    }

    /// Opens the connection to `connname` (virsh's `virshReconnect`): prints virsh's message
    /// and fails when that does not work.
    pub fn reconnect(&mut self, name: Option<&str>, readonly: bool, force: bool) -> CmdResult {
        let readonly = if !readonly && name.is_none() {
            self.readonly
        } else {
            readonly
        };
        let had = self.conn.take().is_some();
        let uri = name
            .map(str::to_string)
            .or_else(|| self.connname.clone())
            .unwrap_or_else(default_uri);
        let r = if readonly {
            Connect::open_read_only(&uri)
        } else {
            Connect::open(&uri)
        };
        let r = match r {
            Err(e) => Err(Some(e)),
            Ok(c) => match self.set_keep_alive(&c) {
                Ok(()) => Ok(c),
                Err(e) => {
                    self.error("Cannot setup keepalive on connection as requested, disconnecting");
                    Err(e)
                }
            },
        };
        match r {
            Ok(c) => {
                self.conn = Some(c);
                if let Some(n) = name {
                    self.connname = Some(n.to_string());
                }
                self.readonly = readonly;
                if had && !force {
                    self.error("Reconnected to the hypervisor");
                }
                self.disconnected = false;
                Ok(())
            }
            Err(e) => {
                self.last_error = e;
                let msg = if self.disconnected {
                    "Failed to reconnect to the hypervisor"
                } else {
                    "failed to connect to the hypervisor"
                };
                self.error(msg);
                Err(Failed)
            }
        }
    }

    /// Keepalive as virsh sets it up on a new connection: its defaults (5 s, 6 probes) where the
    /// connection has keepalive; asked for with `-k` or `-K`, a connection that cannot have it
    /// fails (with the library's error, if it gave one).
    fn set_keep_alive(&mut self, c: &Connect) -> Result<(), Option<rvirt::Error>> {
        let forced = self.keepalive_interval.is_some() || self.keepalive_count.is_some();
        let interval = self.keepalive_interval.unwrap_or(5);
        let count = self.keepalive_count.unwrap_or(6).max(0) as u32;
        if interval <= 0 {
            return Ok(());
        }
        match c.set_keep_alive(interval, count) {
            Ok(0) => Ok(()),
            Ok(_) if forced => Err(None),
            Err(e) if forced => Err(Some(e)),
            Ok(_) | Err(_) => {
                self.debug_msg(
                    crate::DEBUG_INFO,
                    "Failed to setup keepalive on connection\n",
                );
                Ok(())
            }
        }
    }

    /// The option's string value (vshCommandOptStringReq): `None` if absent; fails with virsh's
    /// message when it is empty and the option does not allow that.
    pub fn opt_str<'c>(&mut self, cmd: &'c Cmd, name: &str) -> Result<Option<&'c str>, Failed> {
        match cmd.value(name) {
            None => Ok(None),
            Some("") if !cmd.def.opt(name).is_some_and(|(_, o)| o.empty_ok) => self.fail(&format!(
                "Failed to get option '{name}': Option argument is empty"
            )),
            Some(v) => Ok(Some(v)),
        }
    }

    /// A required string option (the parser has made sure it is there).
    pub fn req_str<'c>(&mut self, cmd: &'c Cmd, name: &str) -> Result<&'c str, Failed> {
        match self.opt_str(cmd, name)? {
            Some(v) => Ok(v),
            None => self.fail(&format!(
                "Failed to get option '{name}': Mandatory option not present"
            )),
        }
    }

    fn number<T: TryFrom<i128>>(
        &mut self,
        cmd: &Cmd,
        name: &str,
        unsigned: bool,
    ) -> Result<Option<T>, Failed> {
        let Some(v) = cmd.value(name) else {
            return Ok(None);
        };
        let n = parse::c_number(v)
            .filter(|_| !unsigned || !v.contains('-'))
            .and_then(|n| T::try_from(n).ok());
        match n {
            Some(n) => Ok(Some(n)),
            None => self.fail(&format!(
                "Numeric value '{v}' for <{name}> option is malformed or out of range"
            )),
        }
    }

    /// vshCommandOptInt.
    pub fn opt_int(&mut self, cmd: &Cmd, name: &str) -> Result<Option<i32>, Failed> {
        self.number(cmd, name, false)
    }

    /// vshCommandOptLongLong.
    pub fn opt_i64(&mut self, cmd: &Cmd, name: &str) -> Result<Option<i64>, Failed> {
        self.number(cmd, name, false)
    }

    /// vshCommandOptUInt (negative numbers refused).
    pub fn opt_uint(&mut self, cmd: &Cmd, name: &str) -> Result<Option<u32>, Failed> {
        self.number(cmd, name, true)
    }

    /// vshCommandOptULongLong (negative numbers refused).
    pub fn opt_ull(&mut self, cmd: &Cmd, name: &str) -> Result<Option<u64>, Failed> {
        self.number(cmd, name, true)
    }

    /// vshCommandOptScaledInt: a size with an optional unit, in bytes.
    pub fn opt_scaled(
        &mut self,
        cmd: &Cmd,
        name: &str,
        scale: u64,
        max: u64,
    ) -> Result<Option<u64>, Failed> {
        let Some(v) = cmd.value(name) else {
            return Ok(None);
        };
        if let Some(n) = self.scale(v, scale, max) {
            return Ok(Some(n));
        }
        self.fail(&format!(
            "Scaled numeric value '{v}' for <{name}> option is malformed or out of range"
        ))
    }

    /// virScaleInteger on `v` (a number with an optional unit, `scale` without one): `None`
    /// when malformed, with virScaleInteger's own error stashed for the end of the command.
    pub fn scale(&mut self, v: &str, scale: u64, max: u64) -> Option<u64> {
        let e = match parse::scaled_number(v, scale, max) {
            Ok(n) => return Some(n),
            Err(e) => e,
        };
        self.last_error = match e {
            parse::ScaleError::Malformed => None,
            parse::ScaleError::Suffix(s) => Some(rvirt::Error::invalid_arg(
                rvirt::ErrorDomain::NONE,
                format!("unknown suffix '{s}'"),
            )),
            parse::ScaleError::TooLarge(t) => Some(rvirt::Error::with_detail(
                rvirt::ErrorDomain::NONE,
                rvirt::ErrorNumber::OVERFLOW,
                format!("value too large: {t}"),
            )),
        };
        None
    }

    /// vshCommandOptTimeoutToMs: `--timeout` seconds as milliseconds.
    pub fn opt_timeout_ms(&mut self, cmd: &Cmd) -> Result<Option<i32>, Failed> {
        let Some(t) = self.opt_uint(cmd, "timeout")? else {
            return Ok(None);
        };
        if t > i32::MAX as u32 / 1000 {
            return self.fail(&format!("timeout {t} too large"));
        }
        if t == 0 {
            return self
                .fail("Numeric value '0' for <timeout> option is malformed or out of range");
        }
        Ok(Some(t as i32 * 1000))
    }

    /// virshCommandOptDomain: the domain named by `--domain` (id, UUID or name).
    pub fn domain<'c>(&mut self, cmd: &'c Cmd) -> Result<(Domain, &'c str), Failed> {
        self.domain_opt(cmd, "domain")
    }

    /// [`Ctl::domain`] for an option of another name.
    pub fn domain_opt<'c>(&mut self, cmd: &'c Cmd, opt: &str) -> Result<(Domain, &'c str), Failed> {
        let name = self.req_str(cmd, opt)?;
        self.debug_found(cmd, opt, name);
        let d = self.lookup_domain_in(cmd.def.name, name, BY_ID | BY_UUID | BY_NAME)?;
        Ok((d, name))
    }

    /// virshLookupDomainBy with all three ways: id, UUID, name.
    pub fn lookup_domain(&mut self, name: &str) -> Result<Domain, Failed> {
        self.lookup_domain_by(name, BY_ID | BY_UUID | BY_NAME)
    }

    /// virshCommandOptDomainBy: the domain named by `--domain`, looked up only the given ways.
    pub fn domain_by<'c>(&mut self, cmd: &'c Cmd, by: u8) -> Result<(Domain, &'c str), Failed> {
        let name = self.req_str(cmd, "domain")?;
        self.debug_found(cmd, "domain", name);
        let d = self.lookup_domain_in(cmd.def.name, name, by)?;
        Ok((d, name))
    }

    /// virshLookupDomainBy: by id ([`BY_ID`]), UUID ([`BY_UUID`]) and name ([`BY_NAME`]),
    /// in that order, as asked.
    pub fn lookup_domain_by(&mut self, name: &str, by: u8) -> Result<Domain, Failed> {
        // virsh names no command in the debug lines of a lookup made outside an option.
        self.lookup_domain_in("unknown", name, by)
    }

    /// virshCommandOptDomainBy's debug line: the option's value, before the lookup.
    fn debug_found(&mut self, cmd: &Cmd, opt: &str, value: &str) {
        let line = format!("{}: found option <{opt}>: {value}\n", cmd.def.name);
        self.debug_msg(crate::DEBUG_INFO, &line);
    }

    /// [`Ctl::lookup_domain_by`] for command `cmdname`, which the debug lines name.
    fn lookup_domain_in(&mut self, cmdname: &str, name: &str, by: u8) -> Result<Domain, Failed> {
        let conn = self.conn()?.clone();
        let mut dom = None;
        if let Some(id) = parse::c_number(name)
            .filter(|_| by & BY_ID != 0)
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n >= 0)
        {
            self.debug_msg(
                crate::DEBUG_ALL,
                &format!("{cmdname}: <domain> looks like ID\n"),
            );
            dom = conn.lookup_by_id(id).ok();
        }
        if dom.is_none() && by & BY_UUID != 0 && name.len() == 36 {
            self.debug_msg(
                crate::DEBUG_ALL,
                &format!("{cmdname}: <domain> trying as domain UUID\n"),
            );
            dom = conn.lookup_by_uuid_string(name).ok();
        }
        if dom.is_none() && by & BY_NAME != 0 {
            self.debug_msg(
                crate::DEBUG_ALL,
                &format!("{cmdname}: <domain> trying as domain NAME\n"),
            );
            dom = conn.lookup_by_name(name).ok();
        }
        self.last_error = None;
        match dom {
            Some(d) => Ok(d),
            None => self.fail(&format!("failed to get domain '{name}'")),
        }
    }

    /// Writes `bytes` as they are (no newline) on stdout.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        let _ = self.out.write_all(bytes);
    }
}

/// Look domains up by id.
pub const BY_ID: u8 = 1;
/// Look domains up by UUID.
pub const BY_UUID: u8 = 2;
/// Look domains up by name.
pub const BY_NAME: u8 = 4;

/// virFileReadAll: a file's text, or libvirt's system error.
pub fn read_file(path: &str) -> rvirt::Result<String> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| {
            rvirt::Error::system(
                rvirt::ErrorDomain::NONE,
                format!("Failed to open file '{path}'"),
                &e,
            )
        })
}

/// The URI used when none is given: `LIBVIRT_DEFAULT_URI`, else libvirt's fallback for an
/// unprivileged client without a local hypervisor.
pub fn default_uri() -> String {
    std::env::var("LIBVIRT_DEFAULT_URI")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "qemu:///session".to_string())
}

/// A `Write` whose bytes can be read back: for tests that run commands.
#[derive(Clone, Default)]
pub struct SharedBuf(pub std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    /// What was written, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}
