//! libvirt-qemu's calls: a monitor command passed through to a running domain's QEMU as the
//! caller wrote it (`virDomainQemuMonitorCommand`, `virsh qemu-monitor-command`), and the
//! guest agent command (`virDomainQemuAgentCommand`), which needs an agent this driver does
//! not talk to yet.

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::{Error, Result};
use serde_json::{Value, json};

/// `VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP`: the command is a human monitor command line.
pub(crate) const MONITOR_COMMAND_HMP: u32 = 1;

/// `text` (JSON) without the whitespace between its tokens: QEMU's reply line as libvirt
/// hands it on (members in QEMU's order, printed without spaces).
fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

impl QemuDriver {
    /// `virDomainQemuMonitorCommand`.
    pub(crate) async fn qemu_monitor_command(
        &self,
        dom: &DomainRef,
        cmd: &str,
        flags: u32,
    ) -> Result<String> {
        check_flags(
            FROM,
            "qemuDomainQemuMonitorCommandWithFiles",
            flags,
            MONITOR_COMMAND_HMP,
        )?;
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(FROM, "domain is not running"));
        }
        self.taint(&obj.uuid, crate::control::TAINT_CUSTOM_MONITOR);
        if flags & MONITOR_COMMAND_HMP != 0 {
            let v = self
                .monitor_command(
                    dom,
                    "human-monitor-command",
                    Some(json!({"command-line": cmd})),
                )
                .await?;
            return Ok(v.as_str().unwrap_or_default().to_string());
        }
        let command: Value = serde_json::from_str(cmd)
            .map_err(|e| Error::internal(FROM, format!("cannot parse json {cmd}: {e}")))?;
        let p = self.proc_of(&dom.uuid)?;
        let mon = p.monitor()?;
        let line = crate::process::on_rt(async move { mon.execute_raw(&command).await })
            .await?
            .map_err(crate::process::qmp_error)?;
        Ok(compact(&line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_line_is_compacted_outside_its_strings() {
        assert_eq!(
            compact(r#"{"return": {"name": "a b", "q": "x\" y"}, "id": "libvirt-3"}"#),
            r#"{"return":{"name":"a b","q":"x\" y"},"id":"libvirt-3"}"#
        );
        assert_eq!(compact(r#"{"s": "\\", "t": 1}"#), r#"{"s":"\\","t":1}"#);
    }
}
