//! Typed wrappers over [`Monitor::execute`] for the commands the QEMU driver needs. Each one
//! uses the monitor's default deadline unless it says otherwise.

use std::os::fd::RawFd;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::monitor::Monitor;
use crate::types::*;

/// Where `snapshot-save` and friends take their arguments from (QEMU 6.0+ jobs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotJob<'a> {
    /// The job id (must be unique among live jobs).
    pub job_id: &'a str,
    /// The snapshot tag.
    pub tag: &'a str,
    /// The node holding the VM state (saving and loading).
    pub vmstate: &'a str,
    /// The nodes to snapshot.
    pub devices: &'a [&'a str],
}

impl Monitor {
    /// Runs a command and converts its `return` member into `T`.
    pub async fn call<T: DeserializeOwned>(&self, command: &str, args: Option<Value>) -> Result<T> {
        let v = self.execute(command, args).await?;
        from_reply(command, v)
    }

    async fn call_unit(&self, command: &str, args: Option<Value>) -> Result<()> {
        self.execute(command, args).await.map(|_| ())
    }

    /// `screendump`: writes the display of `device` (its `head`), or the first one, to
    /// `filename` as `format` (`png`, `ppm`).
    pub async fn screendump(
        &self,
        filename: &str,
        device: Option<&str>,
        head: Option<u32>,
        format: &str,
    ) -> Result<()> {
        let mut args = json!({"filename": filename, "format": format});
        if let Some(d) = device {
            args["device"] = d.into();
        }
        if let Some(h) = head {
            args["head"] = h.into();
        }
        self.call_unit("screendump", Some(args)).await
    }

    /// `query-status`.
    pub async fn query_status(&self) -> Result<StatusInfo> {
        self.call("query-status", None).await
    }

    /// `cont`: run the vCPUs (a `RESUME` event follows).
    pub async fn cont(&self) -> Result<()> {
        self.call_unit("cont", None).await
    }

    /// `stop`: pause the vCPUs (a `STOP` event follows).
    pub async fn stop(&self) -> Result<()> {
        self.call_unit("stop", None).await
    }

    /// `system_powerdown`: press the ACPI power button.
    pub async fn system_powerdown(&self) -> Result<()> {
        self.call_unit("system_powerdown", None).await
    }

    /// `system_reset`: reset the machine.
    pub async fn system_reset(&self) -> Result<()> {
        self.call_unit("system_reset", None).await
    }

    /// `quit`: QEMU exits. An EOF racing the reply also counts as success.
    pub async fn quit(&self) -> Result<()> {
        match self.call_unit("quit", None).await {
            Err(Error::Eof) => Ok(()),
            other => other,
        }
    }

    /// `query-cpus-fast`.
    pub async fn query_cpus_fast(&self) -> Result<Vec<CpuInfoFast>> {
        self.call("query-cpus-fast", None).await
    }

    /// `query-blockstats`.
    pub async fn query_blockstats(&self) -> Result<Vec<BlockStats>> {
        self.call("query-blockstats", None).await
    }

    /// `query-block`.
    pub async fn query_block(&self) -> Result<Vec<BlockInfo>> {
        self.call("query-block", None).await
    }

    /// `balloon`: ask the guest to reach `bytes` of memory.
    pub async fn balloon(&self, bytes: u64) -> Result<()> {
        self.call_unit("balloon", Some(json!({ "value": bytes })))
            .await
    }

    /// `query-balloon`.
    pub async fn query_balloon(&self) -> Result<BalloonInfo> {
        self.call("query-balloon", None).await
    }

    /// `qom-get`.
    pub async fn qom_get(&self, path: &str, property: &str) -> Result<Value> {
        self.execute(
            "qom-get",
            Some(json!({ "path": path, "property": property })),
        )
        .await
    }

    /// `qom-set`.
    pub async fn qom_set(&self, path: &str, property: &str, value: Value) -> Result<()> {
        let args = json!({ "path": path, "property": property, "value": value });
        self.call_unit("qom-set", Some(args)).await
    }

    /// Sets how often the balloon device at QOM `path` polls guest statistics (0: never).
    pub async fn set_balloon_stats_period(&self, path: &str, seconds: u32) -> Result<()> {
        self.qom_set(path, "guest-stats-polling-interval", json!(seconds))
            .await
    }

    /// The guest memory statistics the balloon device at QOM `path` last received.
    pub async fn balloon_stats(&self, path: &str) -> Result<BalloonStats> {
        let v = self.qom_get(path, "guest-stats").await?;
        from_reply("qom-get", v)
    }

    /// `migrate` to a URI (`exec:CMD`, `fd:NAME`, `tcp:...`); returns once started, follow it
    /// with [`Monitor::query_migrate`] or `MIGRATION` events.
    pub async fn migrate(&self, uri: &str) -> Result<()> {
        self.call_unit("migrate", Some(json!({ "uri": uri }))).await
    }

    /// `migrate_cancel`.
    pub async fn migrate_cancel(&self) -> Result<()> {
        self.call_unit("migrate_cancel", None).await
    }

    /// `query-migrate`.
    pub async fn query_migrate(&self) -> Result<MigrationInfo> {
        self.call("query-migrate", None).await
    }

    /// `migrate-set-capabilities` from (name, state) pairs (`events`, `xbzrle`...).
    pub async fn migrate_set_capabilities(&self, caps: &[(&str, bool)]) -> Result<()> {
        let list: Vec<Value> = caps
            .iter()
            .map(|(c, s)| json!({ "capability": c, "state": s }))
            .collect();
        self.call_unit(
            "migrate-set-capabilities",
            Some(json!({ "capabilities": list })),
        )
        .await
    }

    /// `migrate-set-parameters` with an object of parameters (`max-bandwidth`...).
    pub async fn migrate_set_parameters(&self, params: Value) -> Result<()> {
        self.call_unit("migrate-set-parameters", Some(params)).await
    }

    /// `getfd`: passes `fd` to QEMU under `name` (for `migrate` to `fd:NAME`, `-add-fd`...).
    pub async fn getfd(&self, name: &str, fd: RawFd) -> Result<()> {
        let deadline = self.default_deadline();
        self.execute_with("getfd", Some(json!({ "fdname": name })), &[fd], deadline)
            .await
            .map(|_| ())
    }

    /// `closefd`: drops a descriptor passed with [`Monitor::getfd`].
    pub async fn closefd(&self, name: &str) -> Result<()> {
        self.call_unit("closefd", Some(json!({ "fdname": name })))
            .await
    }

    /// `add-fd`: passes `fd` into fd set `fdset_id` (a new set when `None`).
    pub async fn add_fd(
        &self,
        fdset_id: Option<i64>,
        opaque: Option<&str>,
        fd: RawFd,
    ) -> Result<AddFdInfo> {
        let mut args = serde_json::Map::new();
        if let Some(id) = fdset_id {
            args.insert("fdset-id".into(), json!(id));
        }
        if let Some(o) = opaque {
            args.insert("opaque".into(), json!(o));
        }
        let deadline = self.default_deadline();
        let v = self
            .execute_with("add-fd", Some(Value::Object(args)), &[fd], deadline)
            .await?;
        from_reply("add-fd", v)
    }

    /// `remove-fd`: removes one descriptor, or the whole set when `fd` is `None`.
    pub async fn remove_fd(&self, fdset_id: i64, fd: Option<i64>) -> Result<()> {
        let mut args = json!({ "fdset-id": fdset_id });
        if let Some(fd) = fd {
            args["fd"] = json!(fd);
        }
        self.call_unit("remove-fd", Some(args)).await
    }

    /// `device_add` with the device's properties (`driver`, `id`, ...).
    pub async fn device_add(&self, props: Value) -> Result<()> {
        self.call_unit("device_add", Some(props)).await
    }

    /// `device_del`: asks the guest to release the device; `DEVICE_DELETED` says when it did.
    pub async fn device_del(&self, id: &str) -> Result<()> {
        self.call_unit("device_del", Some(json!({ "id": id })))
            .await
    }

    /// `blockdev-add` with a `BlockdevOptions` object.
    pub async fn blockdev_add(&self, options: Value) -> Result<()> {
        self.call_unit("blockdev-add", Some(options)).await
    }

    /// `blockdev-del`.
    pub async fn blockdev_del(&self, node_name: &str) -> Result<()> {
        self.call_unit("blockdev-del", Some(json!({ "node-name": node_name })))
            .await
    }

    /// `human-monitor-command`: runs an HMP command line and returns its output.
    pub async fn human_monitor_command(&self, command_line: &str) -> Result<String> {
        self.call(
            "human-monitor-command",
            Some(json!({ "command-line": command_line })),
        )
        .await
    }

    /// `snapshot-save` (a job: wait for it with [`Monitor::query_jobs`] or `JOB_STATUS_CHANGE`).
    pub async fn snapshot_save(&self, job: &SnapshotJob<'_>) -> Result<()> {
        let args = json!({ "job-id": job.job_id, "tag": job.tag, "vmstate": job.vmstate,
                           "devices": job.devices });
        self.call_unit("snapshot-save", Some(args)).await
    }

    /// `snapshot-load` (a job).
    pub async fn snapshot_load(&self, job: &SnapshotJob<'_>) -> Result<()> {
        let args = json!({ "job-id": job.job_id, "tag": job.tag, "vmstate": job.vmstate,
                           "devices": job.devices });
        self.call_unit("snapshot-load", Some(args)).await
    }

    /// `snapshot-delete` (a job; `vmstate` is not used).
    pub async fn snapshot_delete(&self, job: &SnapshotJob<'_>) -> Result<()> {
        let args = json!({ "job-id": job.job_id, "tag": job.tag, "devices": job.devices });
        self.call_unit("snapshot-delete", Some(args)).await
    }

    /// `query-jobs`.
    pub async fn query_jobs(&self) -> Result<Vec<JobInfo>> {
        self.call("query-jobs", None).await
    }

    /// `job-dismiss`: forgets a concluded job.
    pub async fn job_dismiss(&self, id: &str) -> Result<()> {
        self.call_unit("job-dismiss", Some(json!({ "id": id })))
            .await
    }

    /// `query-block-jobs`.
    pub async fn query_block_jobs(&self) -> Result<Vec<BlockJobStatus>> {
        self.call("query-block-jobs", None).await
    }

    /// `block-job-cancel`; with `force`, even a paused job or one a mirror is finishing.
    pub async fn block_job_cancel(&self, device: &str, force: bool) -> Result<()> {
        let args = json!({ "device": device, "force": force });
        self.call_unit("block-job-cancel", Some(args)).await
    }

    /// `block-job-complete`: pivots a ready mirror or active commit.
    pub async fn block_job_complete(&self, device: &str) -> Result<()> {
        self.call_unit("block-job-complete", Some(json!({ "device": device })))
            .await
    }

    /// `system_wakeup`: wakes a guest suspended to RAM.
    pub async fn system_wakeup(&self) -> Result<()> {
        self.call_unit("system_wakeup", None).await
    }

    /// `send-key`: presses `qnums` (QEMU's numeric key codes, the QNUM codeset) together,
    /// holds them `hold_ms` milliseconds (QEMU's default when `None`) and releases them.
    pub async fn send_key(&self, qnums: &[u32], hold_ms: Option<u32>) -> Result<()> {
        let keys: Vec<Value> = qnums
            .iter()
            .map(|k| json!({"type": "number", "data": k}))
            .collect();
        let mut args = json!({"keys": keys});
        if let Some(ms) = hold_ms {
            args["hold-time"] = json!(ms);
        }
        self.call_unit("send-key", Some(args)).await
    }

    /// `inject-nmi`: delivers an NMI to the guest.
    pub async fn inject_nmi(&self) -> Result<()> {
        self.call_unit("inject-nmi", None).await
    }

    /// `query-machines`.
    pub async fn query_machines(&self) -> Result<Vec<MachineInfo>> {
        self.call("query-machines", None).await
    }

    /// `query-cpu-definitions`.
    pub async fn query_cpu_definitions(&self) -> Result<Vec<CpuDefinition>> {
        self.call("query-cpu-definitions", None).await
    }

    /// `query-cpu-model-expansion` of type `static` for CPU model `model`, with property
    /// `migratable` set to `migratable`: the expansion's properties.
    pub async fn expand_cpu_model_static(
        &self,
        model: &str,
        migratable: bool,
    ) -> Result<serde_json::Map<String, Value>> {
        let mut m = json!({"name": model});
        if !migratable {
            m["props"] = json!({"migratable": false});
        }
        let mut v: Value = self
            .call(
                "query-cpu-model-expansion",
                Some(json!({"type": "static", "model": m})),
            )
            .await?;
        match v["model"]["props"].take() {
            Value::Object(props) => Ok(props),
            _ => Ok(serde_json::Map::new()),
        }
    }

    /// `query-kvm`.
    pub async fn query_kvm(&self) -> Result<KvmInfo> {
        self.call("query-kvm", None).await
    }

    /// `query-version`.
    pub async fn query_version(&self) -> Result<VersionInfo> {
        self.call("query-version", None).await
    }

    /// `query-commands`: the names of every command this QEMU knows.
    pub async fn query_commands(&self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct Name {
            name: String,
        }
        let names: Vec<Name> = self.call("query-commands", None).await?;
        Ok(names.into_iter().map(|n| n.name).collect())
    }

    /// `query-target`: the target architecture (`x86_64`).
    pub async fn query_target(&self) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Target {
            arch: String,
        }
        let t: Target = self.call("query-target", None).await?;
        Ok(t.arch)
    }

    /// `set_password` for `vnc` or `spice`; `connected` is `keep`, `fail` or `disconnect`.
    pub async fn set_password(
        &self,
        protocol: &str,
        password: &str,
        connected: Option<&str>,
    ) -> Result<()> {
        let mut args = json!({ "protocol": protocol, "password": password });
        if let Some(c) = connected {
            args["connected"] = json!(c);
        }
        self.call_unit("set_password", Some(args)).await
    }

    /// `expire_password`: `time` is `now`, `never`, `+SECONDS` or an absolute epoch time.
    pub async fn expire_password(&self, protocol: &str, time: &str) -> Result<()> {
        self.call_unit(
            "expire_password",
            Some(json!({ "protocol": protocol, "time": time })),
        )
        .await
    }

    /// Runs a command with its own deadline (for the few that legitimately take long, such as
    /// a synchronous `savevm` through HMP).
    pub async fn execute_within(
        &self,
        command: &str,
        args: Option<Value>,
        deadline: Duration,
    ) -> Result<Value> {
        self.execute_with(command, args, &[], deadline).await
    }
}

fn from_reply<T: DeserializeOwned>(command: &str, v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::BadReply {
        command: command.to_string(),
        message: e.to_string(),
    })
}
