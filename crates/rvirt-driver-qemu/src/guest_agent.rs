//! The calls that go through the QEMU guest agent, with libvirt's rules: the agent is usable
//! when the domain runs and the guest has the `org.qemu.guest_agent.0` channel open (the
//! channel's `state='connected'`, from `VSERPORT_CHANGE`); each domain has one connection to
//! the channel's host end (see [`rvirt_qmp::Agent`]), made on first use.
//!
//! Deadlines: a domain's agent timeout (`virDomainAgentSetResponseTimeout`) is libvirt's -2
//! ("block") by default, which here waits [`BLOCK_CAP`] at most, so that a dead agent never
//! holds a call forever; -1 is libvirt's 5 s default, 0 does not wait, N waits N seconds.

use crate::process::{Proc, on_rt};
use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainObjState, DomainRef, check_flags};
use rvirt_qmp::{Agent, AgentError, EventKind};
use rvirt_types::domain::*;
use rvirt_types::records::{DomainIPAddress, DomainInterface, DomainTime};
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The channel name the guest agent listens on.
pub(crate) const AGENT_CHANNEL: &str = "org.qemu.guest_agent.0";

/// The highest guest vCPU id libvirt takes from an agent, plus one.
const GUEST_VCPU_MAX_ID: i64 = 4096;

/// How long a "blocking" agent call waits at most.
pub(crate) const BLOCK_CAP: Duration = Duration::from_secs(120);

/// libvirt's timeouts: block, default (5 s), no wait; and the shutdown command's 60 s.
const TIMEOUT_BLOCK: i32 = -2;
const TIMEOUT_DEFAULT: i32 = -1;
const TIMEOUT_NOWAIT: i32 = 0;
const SHUTDOWN_WAIT: Duration = Duration::from_secs(60);

/// The deadline libvirt's `seconds` stands for; `None` for "do not wait".
fn deadline(seconds: i32) -> Option<Duration> {
    match seconds {
        TIMEOUT_NOWAIT => None,
        TIMEOUT_DEFAULT => Some(rvirt_qmp::AGENT_SYNC_TIMEOUT),
        s if s > 0 => Some(Duration::from_secs(s as u64)),
        _ => Some(BLOCK_CAP),
    }
}

/// libvirt's refusal of a timeout below -2 ("block").
fn check_timeout(timeout: i32) -> Result<()> {
    if timeout < TIMEOUT_BLOCK {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::INVALID_ARG,
            format!("guest agent timeout '{timeout}' is less than the minimum '{TIMEOUT_BLOCK}'"),
        ));
    }
    Ok(())
}

/// libvirt's error for an agent failure.
pub(crate) fn agent_error(e: AgentError) -> Error {
    match e {
        AgentError::NotResponding | AgentError::Disappeared => {
            Error::with_detail(FROM, ErrorNumber::AGENT_UNRESPONSIVE, e.to_string())
        }
        AgentError::Connect { .. } => Error::with_detail(
            FROM,
            ErrorNumber::AGENT_UNRESPONSIVE,
            format!("QEMU guest agent is not available: {e}"),
        ),
        AgentError::Command { .. } | AgentError::Protocol(_) => {
            Error::internal(FROM, e.to_string())
        }
    }
}

/// The agent channel of a definition, and the host end QEMU listens on.
fn agent_channel(st: &DomainObjState) -> Option<(bool, Option<String>)> {
    st.def.devices.channels.iter().find_map(|c| {
        let named = c
            .target_extra
            .iter()
            .any(|(k, v)| k == "name" && v == AGENT_CHANNEL);
        if !named {
            return None;
        }
        let connected = c
            .target_extra
            .iter()
            .any(|(k, v)| k == "state" && v == "connected");
        let path = (c.source_type == "unix")
            .then(|| c.source_attr("path").map(str::to_string))
            .flatten();
        Some((connected, path))
    })
}

/// libvirt's `qemuDomainAgentAvailable`: the host end of the running domain's connected
/// agent channel, or the error for why the agent cannot be used now.
fn agent_path(st: &DomainObjState) -> Result<String> {
    if st.state != DomainState::RUNNING {
        return Err(Error::operation_invalid(FROM, "domain is not running"));
    }
    match agent_channel(st) {
        None => Err(Error::with_detail(
            FROM,
            ErrorNumber::ARGUMENT_UNSUPPORTED,
            "QEMU guest agent is not configured",
        )),
        Some((true, Some(path))) => Ok(path),
        Some(_) => Err(Error::with_detail(
            FROM,
            ErrorNumber::AGENT_UNRESPONSIVE,
            "QEMU guest agent is not connected",
        )),
    }
}

/// The error for a domain whose agent cannot be used now, or `None` (see [`agent_path`]).
pub(crate) fn agent_unusable(st: &DomainObjState) -> Option<Error> {
    agent_path(st).err()
}

impl Proc {
    /// The domain's agent behind `path` (one per process, made on first use).
    fn agent(&self, path: &str) -> Arc<Agent> {
        let mut slot = self.agent.lock();
        match &*slot {
            Some(a) if a.path() == std::path::Path::new(path) => a.clone(),
            _ => {
                let a = Arc::new(Agent::new(path));
                *slot = Some(a.clone());
                a
            }
        }
    }
}

/// The online state of a guest's vCPUs, as the agent reports them.
#[derive(Debug, Clone, PartialEq)]
struct GuestCpu {
    id: i64,
    online: bool,
    offlinable: bool,
    modified: bool,
}

/// libvirt's choice of which guest vCPUs to bring on- or offline to have `want` online.
fn plan_guest_cpus(want: usize, cpus: &mut [GuestCpu]) -> Result<()> {
    let mut online = 0;
    let mut offlinable = 0;
    let mut cpu0 = None;
    for (i, c) in cpus.iter().enumerate() {
        if c.id == 0 {
            cpu0 = Some(i);
        }
        online += c.online as usize;
        offlinable += (c.offlinable && c.online) as usize;
        if !c.online && !c.offlinable {
            return Err(Error::internal(
                FROM,
                "Invalid data provided by guest agent",
            ));
        }
    }
    // vCPU 0 stays when every online vCPU could go.
    if let Some(i) = cpu0
        && offlinable == online
        && cpus[i].online
    {
        cpus[i].offlinable = false;
        offlinable -= 1;
    }
    if want > cpus.len() {
        return Err(Error::internal(
            FROM,
            "guest agent reports less cpu than requested",
        ));
    }
    if want < online - offlinable {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::INVALID_ARG,
            "Cannot offline enough CPUs",
        ));
    }
    for c in cpus.iter_mut() {
        if want < online && c.offlinable && c.online {
            c.online = false;
            c.modified = true;
            online -= 1;
        } else if want > online && !c.online {
            c.online = true;
            c.modified = true;
            online += 1;
        } else if want == online {
            break;
        }
    }
    Ok(())
}

impl QemuDriver {
    /// The running domain's process and agent, or libvirt's error for why the agent cannot be
    /// used; and the domain's agent deadline.
    fn agent_of(&self, dom: &DomainRef) -> Result<(Arc<Proc>, Arc<Agent>, i32)> {
        let obj = self.obj(dom)?;
        let path = agent_path(&obj.lock())?;
        let p = self.proc_of(&obj.uuid)?;
        let agent = p.agent(&path);
        let timeout = self
            .agent_timeouts
            .lock()
            .get(&obj.uuid)
            .copied()
            .unwrap_or(TIMEOUT_BLOCK);
        Ok((p, agent, timeout))
    }

    /// The running domain's agent and its deadline for a command (libvirt's "no wait" has
    /// the sync deadline: every call here wants an answer).
    pub(crate) fn agent_with_deadline(&self, dom: &DomainRef) -> Result<(Arc<Agent>, Duration)> {
        let (_p, agent, timeout) = self.agent_of(dom)?;
        Ok((
            agent,
            deadline(timeout).unwrap_or(rvirt_qmp::AGENT_SYNC_TIMEOUT),
        ))
    }

    /// Runs `command` through the domain's agent with its deadline; what it returned.
    pub(crate) async fn agent_run(
        &self,
        dom: &DomainRef,
        command: &'static str,
        args: Option<Value>,
    ) -> Result<Value> {
        let (agent, wait) = self.agent_with_deadline(dom)?;
        on_rt(async move { agent.execute(command, args, wait).await })
            .await?
            .map_err(agent_error)
    }

    /// `virDomainAgentSetResponseTimeout`.
    pub(crate) fn agent_set_timeout(
        &self,
        dom: &DomainRef,
        timeout: i32,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainAgentSetResponseTimeout", flags, 0)?;
        check_timeout(timeout)?;
        let obj = self.obj(dom)?;
        self.agent_timeouts.lock().insert(obj.uuid, timeout);
        // Kept in the status file of a running domain, as libvirt keeps it.
        if obj.lock().is_active() {
            let _ = self.save_status(&obj);
        }
        Ok(())
    }

    /// `virDomainQemuAgentCommand`: `cmd` as given, the agent's whole reply object.
    pub(crate) async fn qemu_agent_command(
        &self,
        dom: &DomainRef,
        cmd: &str,
        timeout: i32,
    ) -> Result<Option<String>> {
        check_timeout(timeout)?;
        let (_p, agent, _) = self.agent_of(dom)?;
        self.taint(&dom.uuid, crate::control::TAINT_CUSTOM_GA_COMMAND);
        let command: Value = serde_json::from_str(cmd)
            .map_err(|e| Error::internal(FROM, format!("cannot parse json {cmd}: {e}")))?;
        if !command.is_object() {
            return Err(Error::internal(
                FROM,
                format!("cannot parse json {cmd}: not an object"),
            ));
        }
        let Some(wait) = deadline(timeout) else {
            // libvirt's "no wait": sent, no reply looked for.
            let name = command["execute"].as_str().unwrap_or("").to_string();
            let args = command.get("arguments").cloned();
            on_rt(async move {
                agent
                    .execute_no_reply(&name, args, Duration::from_millis(1))
                    .await
            })
            .await?
            .map_err(agent_error)?;
            return Ok(None);
        };
        let reply = on_rt(async move { agent.execute_value(&command, wait).await })
            .await?
            .map_err(agent_error)?;
        Ok(Some(reply.to_string()))
    }

    /// The guest's host name, from the agent.
    pub(crate) async fn agent_hostname(&self, dom: &DomainRef) -> Result<String> {
        let v = self.agent_run(dom, "guest-get-host-name", None).await?;
        v["host-name"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::internal(FROM, "malformed return value"))
    }

    /// `virDomainGetTime`.
    pub(crate) async fn agent_get_time(&self, dom: &DomainRef, flags: u32) -> Result<DomainTime> {
        check_flags(FROM, "qemuDomainGetTime", flags, 0)?;
        let v = self.agent_run(dom, "guest-get-time", None).await?;
        let ns = v
            .as_i64()
            .ok_or_else(|| Error::internal(FROM, "malformed return value"))?;
        Ok(DomainTime {
            seconds: ns.div_euclid(1_000_000_000),
            nseconds: ns.rem_euclid(1_000_000_000) as u32,
        })
    }

    /// `virDomainSetTime`: the given time, or (`VIR_DOMAIN_TIME_SYNC`) the guest's own RTC.
    pub(crate) async fn agent_set_time(
        &self,
        dom: &DomainRef,
        seconds: i64,
        nseconds: u32,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetTime", flags, 1)?;
        let sync = flags & 1 != 0;
        let args = if sync {
            None
        } else {
            if !(i64::MIN / 1_000_000_000..=i64::MAX / 1_000_000_000).contains(&seconds) {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    format!("Time '{seconds}' is too big for guest agent"),
                ));
            }
            Some(json!({"time": seconds * 1_000_000_000 + nseconds as i64}))
        };
        self.agent_run(dom, "guest-set-time", args).await?;
        Ok(())
    }

    /// The guest's interfaces and addresses, from the agent (aliases such as `eth0:1` folded
    /// into their interface, as libvirt does).
    pub(crate) async fn agent_interfaces(&self, dom: &DomainRef) -> Result<Vec<DomainInterface>> {
        let v = self
            .agent_run(dom, "guest-network-get-interfaces", None)
            .await?;
        parse_interfaces(&v)
    }
}

/// The agent's `guest-network-get-interfaces` reply as libvirt reports it.
pub(crate) fn parse_interfaces(v: &Value) -> Result<Vec<DomainInterface>> {
    let list = v
        .as_array()
        .ok_or_else(|| Error::internal(FROM, "qemu agent didn't return an array of interfaces"))?;
    let mut out: Vec<DomainInterface> = Vec::new();
    for iface in list {
        let name = iface["name"]
            .as_str()
            .ok_or_else(|| Error::internal(FROM, "qemu agent didn't provide 'name' field"))?;
        let base = name.split(':').next().unwrap_or(name).to_string();
        let idx = match out.iter().position(|i| i.name == base) {
            Some(i) => i,
            None => {
                out.push(DomainInterface {
                    name: base,
                    hwaddr: iface["hardware-address"].as_str().map(str::to_string),
                    addrs: Vec::new(),
                });
                out.len() - 1
            }
        };
        for a in iface["ip-addresses"].as_array().into_iter().flatten() {
            let addr_type = match a["ip-address-type"].as_str() {
                Some("ipv4") => IPAddrType::IPV4,
                Some("ipv6") => IPAddrType::IPV6,
                other => {
                    return Err(Error::internal(
                        FROM,
                        format!("unknown ip address type '{}'", other.unwrap_or("")),
                    ));
                }
            };
            let addr = a["ip-address"].as_str().ok_or_else(|| {
                Error::internal(FROM, "qemu agent didn't provide 'ip-address' field")
            })?;
            let prefix = a["prefix"]
                .as_u64()
                .ok_or_else(|| Error::internal(FROM, "malformed 'prefix' field"))?;
            out[idx].addrs.push(DomainIPAddress {
                addr_type,
                addr: addr.to_string(),
                prefix: prefix as u32,
            });
        }
    }
    Ok(out)
}

/// Sends the agent `cmd`, one it never answers on success (`guest-shutdown`,
/// `guest-suspend-*`), and waits, at most [`SHUTDOWN_WAIT`], for the QEMU event `done`
/// recognises (or the monitor's end, or the agent channel closing as the guest goes down); an
/// error reply or an agent that does not answer is the error. The agent connection starts
/// over afterwards: the unanswered command leaves it waiting.
async fn until_event(
    agent: Arc<Agent>,
    mon: rvirt_qmp::Monitor,
    cmd: Value,
    done: impl Fn(&EventKind) -> bool + Send + Sync + 'static,
) -> Result<std::result::Result<(), AgentError>> {
    on_rt(async move {
        let mut events = mon.events();
        let event = async {
            loop {
                match events.recv().await {
                    Ok(ev) if done(&ev.kind()) => return,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                }
            }
        };
        let run = agent.execute_value(&cmd, SHUTDOWN_WAIT);
        let r = tokio::select! {
            _ = event => Ok(()),
            r = run => match r {
                Ok(_) => Ok(()),
                Err(e @ (AgentError::Command { .. } | AgentError::NotResponding)) => Err(e),
                // The channel closed: the guest is going down.
                Err(_) => Ok(()),
            },
        };
        agent.close().await;
        r
    })
    .await
}

impl QemuDriver {
    /// Shuts the guest down (or reboots it) through the agent, as libvirt's
    /// `qemuDomainShutdownFlagsAgent`: `guest-shutdown`, then the `SHUTDOWN` (or `RESET`) that
    /// QEMU reports, within 60 s. `report` false: the agent's unavailability is an error
    /// without a message worth showing (the caller falls back to ACPI).
    pub(crate) async fn agent_shutdown(&self, dom: &DomainRef, reboot: bool) -> Result<()> {
        let (p, agent, _) = self.agent_of(dom)?;
        p.fake_reboot
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let mon = p.monitor()?;
        let mode = if reboot { "reboot" } else { "powerdown" };
        let cmd = json!({"execute": "guest-shutdown", "arguments": {"mode": mode}});
        let res = until_event(agent, mon, cmd, move |kind| match kind {
            EventKind::Shutdown { .. } => !reboot,
            EventKind::Reset { .. } => reboot,
            _ => false,
        })
        .await?;
        res.map_err(agent_error)
    }

    /// `virDomainPMSuspendForDuration`, as libvirt's QEMU driver: only `duration` 0, the
    /// machine must support wakeup and the `<pm>` state must not be disabled; then the agent's
    /// `guest-suspend-ram` (`-disk`, `-hybrid`), which the agent never answers on success:
    /// the call returns when QEMU reports the guest suspended (or the agent's error).
    pub(crate) async fn pm_suspend(
        &self,
        dom: &DomainRef,
        target: u32,
        duration: u64,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainPMSuspendForDuration", flags, 0)?;
        if duration != 0 {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "Duration not supported. Use 0 for now",
            ));
        }
        const COMMANDS: [&str; 3] = [
            "guest-suspend-ram",
            "guest-suspend-disk",
            "guest-suspend-hybrid",
        ];
        let Some(&command) = COMMANDS.get(target as usize) else {
            return Err(Error::invalid_arg(
                FROM,
                format!("Unknown suspend target: {target}"),
            ));
        };
        let (p, agent, _) = self.agent_of(dom)?;
        let mon = p.monitor()?;
        let current = self
            .qmp(&p, |m| async move {
                m.execute("query-current-machine", None).await
            })
            .await?;
        if current
            .get("wakeup-suspend-support")
            .and_then(Value::as_bool)
            != Some(true)
        {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "Domain does not have suspend support",
            ));
        }
        let [s3, s4] = self.obj(dom)?.lock().def.extras.pm;
        if s3 == Some(false) && target != 1 {
            return Err(Error::internal(
                FROM,
                "S3 state is disabled for this domain",
            ));
        }
        if s4 == Some(false) && target == 1 {
            return Err(Error::internal(
                FROM,
                "S4 state is disabled for this domain",
            ));
        }
        let cmd = json!({ "execute": command });
        let res = until_event(agent, mon, cmd, |kind| matches!(kind, EventKind::Suspend)).await?;
        res.map_err(agent_error)?;
        // The domain is pmsuspended once the call returns, as in libvirt.
        self.catch_up(&p).await;
        Ok(())
    }

    /// `virDomainPMWakeup`: QEMU's `system_wakeup`; the domain runs again when QEMU reports
    /// the guest awake.
    pub(crate) async fn pm_wakeup(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "qemuDomainPMWakeup", flags, 0)?;
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(FROM, "domain is not running"));
        }
        let p = self.proc_of(&obj.uuid)?;
        self.qmp(&p, |m| async move {
            m.execute("system_wakeup", None).await.map(|_| ())
        })
        .await
    }

    /// The number of vCPUs the guest has online (`vcpucount --guest`), or (`maximum`) that
    /// it knows of.
    pub(crate) async fn agent_vcpu_count(&self, dom: &DomainRef, maximum: bool) -> Result<i32> {
        let cpus = self.agent_vcpus(dom).await?;
        if maximum {
            return Ok(cpus.len() as i32);
        }
        Ok(cpus.iter().filter(|c| c.online).count() as i32)
    }

    async fn agent_vcpus(&self, dom: &DomainRef) -> Result<Vec<GuestCpu>> {
        let v = self.agent_run(dom, "guest-get-vcpus", None).await?;
        let list = v
            .as_array()
            .ok_or_else(|| Error::internal(FROM, "guest agent didn't return an array"))?;
        list.iter()
            .map(|c| {
                let bad = || {
                    Error::internal(
                        FROM,
                        "guest agent didn't provide 'logical-id' or 'online' or 'can-offline'",
                    )
                };
                Ok(GuestCpu {
                    id: c["logical-id"].as_i64().ok_or_else(bad)?,
                    online: c["online"].as_bool().ok_or_else(bad)?,
                    offlinable: c["can-offline"].as_bool().unwrap_or(false),
                    modified: false,
                })
            })
            .collect()
    }

    /// `virDomainGetGuestVcpus`: the guest's vCPUs, those online and those it can take
    /// offline, as CPU lists.
    pub(crate) async fn agent_guest_vcpus(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<rvirt_types::TypedParam>> {
        use rvirt_types::{TypedParam, TypedParamValue};
        check_flags(FROM, "qemuDomainGetGuestVcpus", flags, 0)?;
        let cpus = self.agent_vcpus(dom).await?;
        let set = |f: &dyn Fn(&GuestCpu) -> bool| {
            let ids: std::collections::BTreeSet<u32> =
                cpus.iter().filter(|c| f(c)).map(|c| c.id as u32).collect();
            rvirt_host::numa::format_cpu_set(&ids)
        };
        if let Some(c) = cpus
            .iter()
            .find(|c| !(0..GUEST_VCPU_MAX_ID).contains(&c.id))
        {
            return Err(Error::internal(
                FROM,
                format!("vcpu id '{}' reported by guest agent is out of range", c.id),
            ));
        }
        Ok(vec![
            TypedParam::new("vcpus", TypedParamValue::String(set(&|_| true))),
            TypedParam::new("online", TypedParamValue::String(set(&|c| c.online))),
            TypedParam::new(
                "offlinable",
                TypedParamValue::String(set(&|c| c.offlinable)),
            ),
        ])
    }

    /// `virDomainSetGuestVcpus`: the guest's vCPUs in `cpumap` online (`state` 1) or offline.
    pub(crate) async fn agent_set_guest_vcpus(
        &self,
        dom: &DomainRef,
        cpumap: &str,
        state: i32,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetGuestVcpus", flags, 0)?;
        if state != 0 && state != 1 {
            return Err(Error::invalid_arg_raw(
                FROM,
                "qemuDomainSetGuestVcpus",
                "state",
                "unsupported state value".into(),
            ));
        }
        let mut want: std::collections::BTreeSet<u32> = rvirt_conf::domain::parse_cpuset(cpumap)
            .filter(|v| v.iter().all(|c| (*c as i64) < GUEST_VCPU_MAX_ID))
            .ok_or_else(|| {
                Error::with_detail(
                    FROM,
                    ErrorNumber::INVALID_ARG,
                    format!("Failed to parse bitmap '{cpumap}'"),
                )
            })?
            .into_iter()
            .collect();
        let mut cpus = self.agent_vcpus(dom).await?;
        for c in cpus.iter_mut() {
            if !want.remove(&(c.id as u32)) {
                continue;
            }
            if state == 0 && !c.offlinable {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    format!("vCPU '{}' is not offlinable", c.id),
                ));
            }
            c.online = state == 1;
            c.modified = true;
        }
        if !want.is_empty() {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                format!(
                    "guest is missing vCPUs '{}'",
                    rvirt_host::numa::format_cpu_set(&want)
                ),
            ));
        }
        self.agent_apply_vcpus(dom, cpus).await
    }

    /// `setvcpus --guest N`: brings guest vCPUs on- or offline through the agent.
    pub(crate) async fn agent_set_vcpu_count(&self, dom: &DomainRef, n: u32) -> Result<()> {
        let mut cpus = self.agent_vcpus(dom).await?;
        plan_guest_cpus(n as usize, &mut cpus)?;
        self.agent_apply_vcpus(dom, cpus).await
    }

    /// Sends the modified entries of `cpus` with `guest-set-vcpus`, again for the rest when
    /// the agent stops part way (as libvirt does).
    async fn agent_apply_vcpus(&self, dom: &DomainRef, mut cpus: Vec<GuestCpu>) -> Result<()> {
        loop {
            let todo: Vec<Value> = cpus
                .iter()
                .filter(|c| c.modified)
                .map(|c| json!({"logical-id": c.id, "online": c.online}))
                .collect();
            if todo.is_empty() {
                return Ok(());
            }
            let v = self
                .agent_run(dom, "guest-set-vcpus", Some(json!({"vcpus": todo})))
                .await?;
            let done = v
                .as_u64()
                .ok_or_else(|| Error::internal(FROM, "malformed return value"))?
                as usize;
            if done == 0 {
                return Err(Error::internal(
                    FROM,
                    "guest agent didn't set any vcpu state",
                ));
            }
            for c in cpus.iter_mut().filter(|c| c.modified).take(done) {
                c.modified = false;
            }
        }
    }

    /// Whether the domain's agent can be used now (libvirt's `priv->agent`), for the choice a
    /// plain shutdown makes.
    pub(crate) fn agent_connected(&self, dom: &DomainRef) -> bool {
        self.obj(dom)
            .map(|obj| agent_unusable(&obj.lock()).is_none())
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpus(spec: &[(i64, bool, bool)]) -> Vec<GuestCpu> {
        spec.iter()
            .map(|&(id, online, offlinable)| GuestCpu {
                id,
                online,
                offlinable,
                modified: false,
            })
            .collect()
    }

    #[test]
    fn guest_cpus_come_and_go_as_libvirt_picks_them() {
        // Two of four online: bring two more.
        let mut c = cpus(&[
            (0, true, false),
            (1, true, true),
            (2, false, true),
            (3, false, true),
        ]);
        plan_guest_cpus(4, &mut c).unwrap();
        assert!(c.iter().all(|c| c.online));
        assert_eq!(c.iter().filter(|c| c.modified).count(), 2);
        // All online and offlinable: vCPU 0 stays.
        let mut c = cpus(&[(0, true, true), (1, true, true)]);
        plan_guest_cpus(1, &mut c).unwrap();
        assert!(c[0].online);
        assert!(!c[1].online);
        let e = plan_guest_cpus(0, &mut cpus(&[(0, true, false)])).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INVALID_ARG);
        let e = plan_guest_cpus(3, &mut cpus(&[(0, true, false)])).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
        let e = plan_guest_cpus(1, &mut cpus(&[(0, false, false)])).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
    }

    #[test]
    fn libvirts_timeouts_become_deadlines() {
        assert_eq!(deadline(-2), Some(BLOCK_CAP));
        assert_eq!(deadline(-1), Some(Duration::from_secs(5)));
        assert_eq!(deadline(0), None);
        assert_eq!(deadline(7), Some(Duration::from_secs(7)));
    }
}
