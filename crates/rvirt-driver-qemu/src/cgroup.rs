//! Control groups of running domains, laid out as libvirt lays them out on a host with the
//! version 1 controllers mounted: each domain has a group `machine/<prefix>-<id>-<name>.rvirt-qemu`
//! in the `cpu`, `cpuset`, `memory`, `blkio` and `freezer` hierarchies and in its CPU accounting hierarchy
//! that holds its QEMU, and in the `cpu`, `cpuset` and accounting hierarchies sub-groups
//! `vcpuN` (each vCPU thread), `iothreadN` (each I/O thread) and `emulator` (every other
//! thread), so that vCPUs, I/O threads and the emulator have bandwidth limits, CPUs (the
//! `cpuset` of a pinned thread is narrowed to its pinning), memory nodes and CPU accounts of
//! their own. Memory, block I/O and CPU tuning are read from and written to these groups, and
//! the CPU statistics read from the accounting group. Where the unified hierarchy filters
//! devices, its group also carries the domain's device filter ([`crate::device_acl`]).
//!
//! CPU accounting is where libvirt's cgroup backends put it: in the unified (version 2)
//! hierarchy when one is mounted, whose `cpu.stat` every group has (a hybrid host's
//! `/sys/fs/cgroup/unified`; its sub-groups are threaded, so that threads of one process can
//! sit in different ones), else in the version 1 `cpuacct` hierarchy, which alone counts the
//! time per host CPU.
//!
//! A host without a controller has no group there (a host with only the unified hierarchy
//! gives a guest its accounting group alone), and the tuning calls that need it answer
//! libvirt's "controller is not mounted" errors.

use crate::FROM;
use crate::device_acl::{DeviceMap, Rule};
use rvirt_conf::domain::format_cpuset;
use rvirt_types::{Error, ErrorNumber, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

/// The controllers domains are placed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Controller {
    /// CPU shares and bandwidth.
    Cpu,
    /// Version 1 CPU accounting: the time used, in all and per host CPU.
    Cpuacct,
    /// Memory nodes (and CPUs).
    Cpuset,
    /// Memory limits.
    Memory,
    /// Block I/O weight.
    Blkio,
    /// Freezing a group's tasks (libvirt gives every guest a group there and leaves it be).
    Freezer,
    /// The unified (version 2) hierarchy, for CPU accounting (`cpu.stat`): libvirt's version 2
    /// backend takes the accounting wherever a unified hierarchy is mounted.
    Unified,
}

impl Controller {
    const ALL: [Controller; 6] = [
        Controller::Cpu,
        Controller::Cpuacct,
        Controller::Cpuset,
        Controller::Memory,
        Controller::Blkio,
        Controller::Freezer,
    ];

    fn name(self) -> &'static str {
        match self {
            Controller::Cpu => "cpu",
            Controller::Cpuacct => "cpuacct",
            Controller::Cpuset => "cpuset",
            Controller::Memory => "memory",
            Controller::Blkio => "blkio",
            Controller::Freezer => "freezer",
            Controller::Unified => "unified",
        }
    }

    /// The name qemu.conf's `cgroup_controllers` gives it (the unified hierarchy is there for
    /// CPU accounting).
    fn conf_name(self) -> &'static str {
        match self {
            Controller::Unified => "cpuacct",
            c => c.name(),
        }
    }
}

/// Where domains are placed: each version 1 controller's mount and the unified hierarchy
/// (`/proc/self/mountinfo`), with CPU accounting in one of them only (see the module's
/// comment).
fn mounts() -> Vec<(Controller, PathBuf)> {
    placement(all_mounts())
}

/// Every hierarchy [`mounts`] may choose from.
fn all_mounts() -> Vec<(Controller, PathBuf)> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    parse_mounts(&info, |m| m.join("cgroup.procs").exists())
}

/// `mounts` without the version 1 `cpuacct` hierarchy when a unified one does the accounting.
fn placement(mut mounts: Vec<(Controller, PathBuf)>) -> Vec<(Controller, PathBuf)> {
    if mounts.iter().any(|(c, _)| *c == Controller::Unified) {
        mounts.retain(|(c, _)| *c != Controller::Cpuacct);
    }
    mounts
}

/// The controller mounts `mountinfo` lists, the first of each, keeping only those `present`
/// says are really there: a hierarchy hidden by a later mount over it (a container's own
/// `/sys/fs/cgroup`) is listed but not there.
fn parse_mounts(info: &str, present: impl Fn(&Path) -> bool) -> Vec<(Controller, PathBuf)> {
    let mut out = Vec::new();
    for line in info.lines() {
        let Some((pre, post)) = line.split_once(" - ") else {
            continue;
        };
        let mut post = post.split(' ');
        let fs = post.next();
        if fs != Some("cgroup") && fs != Some("cgroup2") {
            continue;
        }
        let options: Vec<&str> = post.nth(1).unwrap_or("").split(',').collect();
        let Some(mount) = pre.split(' ').nth(4) else {
            continue;
        };
        if !present(Path::new(mount)) {
            continue;
        }
        if fs == Some("cgroup2") {
            if !out.iter().any(|(k, _)| *k == Controller::Unified) {
                out.push((Controller::Unified, PathBuf::from(mount)));
            }
            continue;
        }
        for c in Controller::ALL {
            if options.contains(&c.name()) && !out.iter().any(|(k, _)| *k == c) {
                out.push((c, PathBuf::from(mount)));
            }
        }
    }
    out
}

/// One domain's groups.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cgroup {
    dirs: Vec<(Controller, PathBuf)>,
    /// Whether [`Cgroup::split_threads_later`]'s moves are still running (shared by clones).
    splitting: Arc<Splitting>,
    /// The device filter on the unified group (shared by clones).
    devices: Arc<Mutex<Devices>>,
}

/// What a domain's group knows of its device filter ([`crate::device_acl`]).
#[derive(Debug, Default)]
enum Devices {
    /// Not looked for yet (a group found again by a restarted driver).
    #[default]
    Unknown,
    /// No filter: none wanted, or none possible on this host.
    Unfiltered,
    /// The filter's map.
    Filtered(DeviceMap),
}

/// A flag and its wake-up: set while the threads of a new QEMU are being moved into their
/// sub-groups.
#[derive(Debug, Default)]
struct Splitting {
    busy: Mutex<bool>,
    done: Condvar,
}

/// A thread sub-group of a domain (`vcpu0`, `iothread1`, `emulator`): the thread it takes and
/// the host CPUs its `cpuset` allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ThreadGroup {
    /// The sub-group's name.
    pub(crate) name: String,
    /// The thread moved in (none for `emulator`, which takes the whole process first).
    pub(crate) tid: Option<i64>,
    /// The host CPUs of its `cpuset.cpus` (`None`: its group's).
    pub(crate) cpus: Option<Vec<u32>>,
}

fn sys(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::system(FROM, what, &e)
}

/// The group name of domain `name` with id `id` (`prefix` tells driver instances apart).
pub(crate) fn group_name(prefix: &str, id: i32, name: &str) -> String {
    format!("{prefix}-{id}-{name}.rvirt-qemu")
}

impl Cgroup {
    /// The groups of `group` that exist (for a reattached domain).
    pub(crate) fn find(group: &str) -> Cgroup {
        Cgroup {
            dirs: mounts()
                .into_iter()
                .map(|(c, m)| (c, m.join("machine").join(group)))
                .filter(|(_, d)| d.is_dir())
                .collect(),
            ..Cgroup::default()
        }
    }

    /// Makes `group` under `machine` in every mounted controller that `allowed` names
    /// (`qemu.conf`'s `cgroup_controllers`; `None`: all). A new cpuset group takes its
    /// parent's CPUs and memory nodes (it holds no task until it has both). With `devices`
    /// allowed and a unified hierarchy that filters devices through BPF, the unified group
    /// lets its processes open the devices of `device_rules` only.
    pub(crate) fn create(
        group: &str,
        allowed: Option<&[String]>,
        device_rules: &[Rule],
    ) -> Result<Cgroup> {
        let mut dirs = Vec::new();
        let named = |n: &str| allowed.is_none_or(|a| a.iter().any(|x| x == n));
        // The unified group is there for CPU accounting and the device filter.
        let wanted = |c: Controller| match c {
            Controller::Unified => named("cpuacct") || named("devices"),
            c => named(c.conf_name()),
        };
        'controllers: for (c, mount) in mounts().into_iter().filter(|(c, _)| wanted(*c)) {
            let partition = mount.join("machine");
            let dir = partition.join(group);
            for d in [&partition, &dir] {
                match std::fs::create_dir(d) {
                    Ok(()) if c == Controller::Cpuset => inherit_cpuset(d)?,
                    Ok(()) => {}
                    // Another domain starting made the partition first.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    // A hierarchy this process may not change (an unprivileged driver, a
                    // read-only mount): the domain has no group there, as in libvirt's
                    // session mode.
                    Err(e)
                        if matches!(
                            e.raw_os_error(),
                            Some(libc::EACCES | libc::EPERM | libc::EROFS)
                        ) =>
                    {
                        continue 'controllers;
                    }
                    Err(e) => {
                        return Err(Error::system(
                            FROM,
                            format!("Unable to create cgroup {}", d.display()),
                            &e,
                        ));
                    }
                }
            }
            dirs.push((c, dir));
        }
        let cg = Cgroup {
            dirs,
            ..Cgroup::default()
        };
        // Every device but those listed refused before QEMU joins the group, as libvirt's
        // `virCgroupDenyAllDevices` and the allows after it.
        let filter = match cg.dir(Controller::Unified) {
            Some(d) if named("devices") && devices_available(d) => {
                match DeviceMap::attach(d, device_rules) {
                    Ok(Some(m)) => Devices::Filtered(m),
                    Ok(None) => Devices::Unfiltered,
                    Err(e) => {
                        cg.remove();
                        return Err(e);
                    }
                }
            }
            _ => Devices::Unfiltered,
        };
        *cg.devices.lock().unwrap_or_else(|e| e.into_inner()) = filter;
        Ok(cg)
    }

    /// Lets QEMU open the devices of `rules` (a disk, a character device plugged), when the
    /// domain's devices are filtered.
    pub(crate) fn allow_devices(&self, rules: &[Rule]) -> Result<()> {
        self.with_device_map(|group, m| {
            for r in rules {
                m.allow(group, r)?;
            }
            Ok(())
        })
    }

    /// Takes the accesses of `rules` away again (a device unplugged).
    pub(crate) fn deny_devices(&self, rules: &[Rule]) -> Result<()> {
        self.with_device_map(|_, m| {
            for r in rules {
                m.deny(r)?;
            }
            Ok(())
        })
    }

    /// Runs `f` on the device filter's map (looked for on the unified group first, for a
    /// domain a restarted driver found again); nothing without a filter.
    fn with_device_map(&self, f: impl FnOnce(&Path, &mut DeviceMap) -> Result<()>) -> Result<()> {
        let Some(group) = self.dir(Controller::Unified) else {
            return Ok(());
        };
        let mut devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*devices, Devices::Unknown) {
            *devices = match DeviceMap::find(group)? {
                Some(m) => Devices::Filtered(m),
                None => Devices::Unfiltered,
            };
        }
        match &mut *devices {
            Devices::Filtered(m) => f(group, m),
            _ => Ok(()),
        }
    }

    /// Whether the domain has a group in any controller.
    pub(crate) fn any(&self) -> bool {
        !self.dirs.is_empty()
    }

    /// Whether the domain has a group in `c`.
    pub(crate) fn has(&self, c: Controller) -> bool {
        self.dir(c).is_some()
    }

    fn dir(&self, c: Controller) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, d)| d.as_path())
    }

    /// Moves process `pid` (all its threads) into every group.
    pub(crate) fn add_process(&self, pid: i32) -> Result<()> {
        for (_, d) in &self.dirs {
            write_file(&d.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }

    /// The groups that get thread sub-groups (`cpu`, `cpuset` and the accounting hierarchy,
    /// as libvirt makes them there; once each where two controllers share a hierarchy), each
    /// with the file that takes a thread (`tasks`; `cgroup.threads` in the unified hierarchy).
    fn thread_dirs(&self) -> Vec<(&Path, &'static str)> {
        let mut dirs: Vec<(&Path, &'static str)> = Vec::new();
        for c in [
            Controller::Cpu,
            Controller::Cpuacct,
            Controller::Cpuset,
            Controller::Unified,
        ] {
            if let Some(d) = self.dir(c)
                && !dirs.iter().any(|(k, _)| *k == d)
            {
                let file = if c == Controller::Unified {
                    "cgroup.threads"
                } else {
                    "tasks"
                };
                dirs.push((d, file));
            }
        }
        dirs
    }

    /// In the `cpu`, `cpuset` and accounting hierarchies, the thread sub-groups `groups`, so
    /// that their limits can be written at once (threaded ones in the unified hierarchy; in
    /// `cpuset` with the domain's CPUs and memory nodes, or the CPUs the group is pinned to).
    pub(crate) fn make_subgroups(&self, groups: &[ThreadGroup]) -> Result<()> {
        let cpuset = self.dir(Controller::Cpuset);
        for (dir, file) in self.thread_dirs() {
            for g in groups {
                let d = dir.join(&g.name);
                let new = !d.is_dir();
                make_dir(&d)?;
                if file == "cgroup.threads" {
                    // A host where the group cannot be threaded (a parent with controllers
                    // of its own enabled) keeps the threads together in `emulator`: the
                    // domain's accounting is whole, only its split by thread is lost.
                    if let Err(e) = write_file(&d.join("cgroup.type"), "threaded") {
                        tracing::debug!("{e}");
                    }
                }
                if cpuset == Some(dir) {
                    if new {
                        inherit_cpuset(&d)?;
                    }
                    if let Some(cpus) = &g.cpus {
                        write_file(&d.join("cpuset.cpus"), &format_cpuset(cpus))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Narrows the `cpuset` sub-group `sub` (`vcpu0`, `emulator`, `iothread1`) to the host
    /// CPUs `cpus`, as libvirt does before it pins the thread; nothing without a `cpuset`
    /// group, or for a sub-group that was never made (a guest started without one).
    pub(crate) fn set_thread_cpus(&self, sub: &str, cpus: &[u32]) -> Result<()> {
        // A thread still in the emulator's group (the start's moves not done yet) could not
        // take an affinity outside the emulator's cpuset.
        self.wait_for_split();
        match self.dir(Controller::Cpuset).map(|d| d.join(sub)) {
            Some(d) if d.is_dir() => write_file(&d.join("cpuset.cpus"), &format_cpuset(cpus)),
            _ => Ok(()),
        }
    }

    /// Whether the domain's threads get sub-groups: with a `cpu` or a `cpuset` group, as in
    /// libvirt.
    pub(crate) fn has_thread_groups(&self) -> bool {
        self.has(Controller::Cpu) || self.has(Controller::Cpuset)
    }

    /// Moves thread `tid` into the thread sub-group `sub` now (a vCPU plugged at run time),
    /// after the moves of [`Cgroup::split_threads_later`], which would take it to `emulator`.
    pub(crate) fn move_thread(&self, sub: &str, tid: i64) -> Result<()> {
        self.wait_for_split();
        for (dir, file) in self.thread_dirs() {
            write_file(&dir.join(sub).join(file), &tid.to_string())?;
        }
        Ok(())
    }

    /// Waits until the moves of [`Cgroup::split_threads_later`] are done.
    fn wait_for_split(&self) {
        let mut busy = self
            .splitting
            .busy
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while *busy {
            busy = self
                .splitting
                .done
                .wait(busy)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Removes the thread sub-group `sub` (a vCPU unplugged, an I/O thread deleted). Its
    /// thread may still be on its way out when QEMU answers (the kernel refuses to remove a
    /// group it is in, `EBUSY`): the removal is retried for up to a second.
    pub(crate) fn remove_subgroup(&self, sub: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        for (dir, _) in self.thread_dirs() {
            let d = dir.join(sub);
            while let Err(e) = std::fs::remove_dir(&d) {
                if e.raw_os_error() != Some(libc::EBUSY) || std::time::Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }

    /// Moves every thread of `pid` into `emulator` (made by [`Cgroup::make_subgroups`]), then
    /// each thread of `threads` (sub-group, thread id: vCPUs, I/O threads) on into its own,
    /// on a thread of its own: the kernel makes a move wait for an RCU grace period (about
    /// 12 ms here) unless another move just happened, which would otherwise add to every start
    /// and restore. Threads QEMU makes later are made by a thread already moved and start in
    /// its group. A thread that ended meanwhile (QEMU
    /// quit) is no error; [`wait_for_background`] waits for the moves, and a vCPU plugged
    /// meanwhile is moved after them ([`Cgroup::move_thread`]).
    ///
    /// The whole process moves with one write to `cgroup.procs`, as libvirt moves it, and no
    /// thread is looked up under `/proc/PID/task`: the kernel keeps an entry for each thread
    /// looked up there, and when QEMU ends, the reaper of the process (the driver's `waitid`)
    /// spins on the entries that QEMU's last exiting thread is still clearing. With that thread
    /// in a group of its own and preempted by the reaper, the spin added up to 7 ms to a third
    /// of destroys and saves (bench/RESULTS.md, session 21).
    pub(crate) fn split_threads_later(&self, pid: i32, threads: Vec<(String, i64)>) {
        let dirs: Vec<(PathBuf, &'static str)> = self
            .thread_dirs()
            .into_iter()
            .map(|(d, f)| (d.to_path_buf(), f))
            .collect();
        if dirs.is_empty() {
            return;
        }
        *self
            .splitting
            .busy
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = true;
        let splitting = self.splitting.clone();
        background(std::thread::spawn(move || {
            for (dir, file) in &dirs {
                let _ = std::fs::write(dir.join("emulator/cgroup.procs"), pid.to_string());
                for (sub, tid) in &threads {
                    let _ = std::fs::write(dir.join(sub).join(file), tid.to_string());
                }
            }
            *splitting.busy.lock().unwrap_or_else(|e| e.into_inner()) = false;
            splitting.done.notify_all();
        }));
    }

    /// The group of `c` and, in `cpu`, the sub-group `sub` (`vcpu0`, `emulator`…) when it
    /// exists, else the domain's own group.
    fn path(&self, c: Controller, sub: Option<&str>, file: &str) -> Option<PathBuf> {
        let dir = self.dir(c)?;
        let dir = match sub.map(|s| dir.join(s)) {
            Some(d) if d.is_dir() => d,
            _ => dir.to_path_buf(),
        };
        Some(dir.join(file))
    }

    /// A number from `file` of controller `c` (in sub-group `sub` when it exists).
    pub(crate) fn read_i64(&self, c: Controller, sub: Option<&str>, file: &str) -> Result<i64> {
        let text = self.read(c, sub, file)?;
        text.trim().parse().map_err(|_| {
            Error::internal(
                FROM,
                format!("Unable to parse '{}' as an integer", text.trim()),
            )
        })
    }

    /// The text of `file` of controller `c` (in sub-group `sub` when it exists).
    pub(crate) fn read(&self, c: Controller, sub: Option<&str>, file: &str) -> Result<String> {
        let path = self.path(c, sub, file).ok_or_else(|| not_mounted(c))?;
        std::fs::read_to_string(&path)
            .map_err(sys(format!("Unable to read from '{}'", path.display())))
    }

    /// Writes `value` to `file` of controller `c` (in sub-group `sub` when it exists).
    pub(crate) fn write(
        &self,
        c: Controller,
        sub: Option<&str>,
        file: &str,
        value: &str,
    ) -> Result<()> {
        let path = self.path(c, sub, file).ok_or_else(|| not_mounted(c))?;
        write_file(&path, value)
    }

    /// Writes the memory nodes `mems` to the domain's `cpuset` group and to each of its
    /// sub-groups: the group first when the nodes widen, the sub-groups first when they
    /// narrow (the kernel keeps a sub-group's nodes within its group's).
    pub(crate) fn set_cpuset_mems(&self, mems: &str) -> Result<()> {
        let dir = self
            .dir(Controller::Cpuset)
            .ok_or_else(|| not_mounted(Controller::Cpuset))?;
        let subs: Vec<PathBuf> = self
            .subgroups(Controller::Cpuset)
            .iter()
            .map(|s| dir.join(s))
            .collect();
        let file = "cpuset.mems";
        if write_file(&dir.join(file), mems).is_ok() {
            for s in &subs {
                write_file(&s.join(file), mems)?;
            }
            return Ok(());
        }
        for s in &subs {
            write_file(&s.join(file), mems)?;
        }
        write_file(&dir.join(file), mems)
    }

    /// Whether `file` exists in the group of `c`.
    pub(crate) fn exists(&self, c: Controller, file: &str) -> bool {
        self.path(c, None, file).is_some_and(|p| p.exists())
    }

    /// Whether the domain has a CPU accounting group (in either hierarchy).
    pub(crate) fn has_accounting(&self) -> bool {
        self.has(Controller::Unified) || self.has(Controller::Cpuacct)
    }

    /// The CPU time of the domain's threads, in nanoseconds (`cpu.stat`'s `usage_usec`, or
    /// version 1's `cpuacct.usage`).
    pub(crate) fn cpu_usage(&self) -> Result<u64> {
        if self.has(Controller::Unified) {
            let text = self.read_cpuacct(None, "cpu.stat")?;
            return cpu_stat_field(&text, "usage_usec", "cpu usage");
        }
        let text = self.read_cpuacct(None, "cpuacct.usage")?;
        text.trim()
            .parse()
            .map_err(|_| Error::internal(FROM, "cpuacct parse error"))
    }

    /// The user and system time of the domain's threads, in nanoseconds (`cpu.stat`'s
    /// `user_usec` and `system_usec`, or version 1's `cpuacct.stat`, in clock ticks).
    pub(crate) fn cpu_user_system(&self) -> Result<(u64, u64)> {
        if self.has(Controller::Unified) {
            let text = self.read_cpuacct(None, "cpu.stat")?;
            return Ok((
                cpu_stat_field(&text, "user_usec", "cpu user")?,
                cpu_stat_field(&text, "system_usec", "cpu sys")?,
            ));
        }
        let text = self.read_cpuacct(None, "cpuacct.stat")?;
        let field = |name: &str| {
            keyed_figure(&text, name).ok_or_else(|| {
                Error::internal(FROM, format!("Cannot parse {name} stat '{}'", text.trim()))
            })
        };
        let ns_per_tick = 1_000_000_000 / clock_ticks();
        Ok((field("user")? * ns_per_tick, field("system")? * ns_per_tick))
    }

    /// The CPU time of the domain's threads on each host CPU (`cpuacct.usage_percpu`, one
    /// figure per possible CPU), in nanoseconds. The unified hierarchy has no such figures:
    /// libvirt's refusal there.
    pub(crate) fn cpu_usage_per_cpu(&self) -> Result<Vec<u64>> {
        if self.has(Controller::Unified) {
            return Err(Error::with_detail(
                rvirt_types::ErrorDomain::CGROUP,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "operation 'getCpuacctPercpuUsage' not supported for backend 'cgroup V2'",
            ));
        }
        parse_per_cpu(&self.read_cpuacct(None, "cpuacct.usage_percpu")?)
    }

    /// [`Cgroup::cpu_usage_per_cpu`] of the vCPU threads, summed over every `vcpuN` sub-group
    /// (one per online vCPU).
    pub(crate) fn vcpu_usage_per_cpu(&self) -> Result<Vec<u64>> {
        if !self.has(Controller::Cpuacct) {
            return Err(not_mounted(Controller::Cpuacct));
        }
        let mut sum: Vec<u64> = Vec::new();
        for sub in self.subgroups(Controller::Cpuacct) {
            if !is_thread_group(&sub, "vcpu") {
                continue;
            }
            let times = parse_per_cpu(&self.read_cpuacct(Some(&sub), "cpuacct.usage_percpu")?)?;
            if sum.len() < times.len() {
                sum.resize(times.len(), 0);
            }
            for (s, t) in sum.iter_mut().zip(times) {
                *s += t;
            }
        }
        Ok(sum)
    }

    /// `file` of the domain's accounting group, or of its sub-group `sub` (which must exist).
    fn read_cpuacct(&self, sub: Option<&str>, file: &str) -> Result<String> {
        let dir = self
            .dir(Controller::Unified)
            .or_else(|| self.dir(Controller::Cpuacct))
            .ok_or_else(|| not_mounted(Controller::Cpuacct))?;
        let path = match sub {
            Some(s) => dir.join(s).join(file),
            None => dir.join(file),
        };
        std::fs::read_to_string(&path)
            .map_err(sys(format!("Unable to read from '{}'", path.display())))
    }

    /// The vCPU and emulator sub-groups of the `cpu` hierarchy, in the order limits apply.
    pub(crate) fn cpu_subgroups(&self) -> Vec<String> {
        self.subgroups(Controller::Cpu)
    }

    /// The sub-groups of the domain's group in `c`, by name, sorted (none without a group).
    fn subgroups(&self, c: Controller) -> Vec<String> {
        let Some(dir) = self.dir(c) else {
            return Vec::new();
        };
        let mut subs: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        subs.sort();
        subs
    }

    /// Removes the groups (sub-groups first). QEMU has exited, so they are empty.
    pub(crate) fn remove(&self) {
        self.remove_with(|d| {
            let _ = std::fs::remove_dir(d);
        });
    }

    /// [`Cgroup::remove`] right after QEMU ended: the kernel may still count a group busy for
    /// a moment (seen under load: all of a guest's groups left behind, every one empty), so a
    /// removal is tried again for up to a second while it says so.
    fn remove_after_exit(&self) {
        self.remove_with(|d| {
            for _ in 0..100 {
                match std::fs::remove_dir(d) {
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    _ => return,
                }
            }
        });
    }

    fn remove_with(&self, remove_dir: impl Fn(&Path)) {
        for (_, d) in &self.dirs {
            if let Ok(subs) = std::fs::read_dir(d) {
                for s in subs.flatten().filter(|e| e.path().is_dir()) {
                    remove_dir(&s.path());
                }
            }
            remove_dir(d);
        }
    }

    /// Removes the groups on the cleaner thread (each removal waits for the kernel, some
    /// milliseconds), then runs `then` there (also when there is no group to remove); see
    /// [`wait_for_background`]. Queuing the job costs the caller no thread start.
    pub(crate) fn remove_later(self, then: impl FnOnce() + Send + 'static) {
        cleaner(Box::new(move || {
            if self.any() {
                self.remove_after_exit();
            }
            then();
        }));
    }

    /// The name of the groups (the same in every controller), if the domain has any.
    pub(crate) fn name(&self) -> Option<&std::ffi::OsStr> {
        self.dirs.first().and_then(|(_, d)| d.file_name())
    }
}

/// Whether `name` is a thread sub-group of `kind` (`vcpu3` of `vcpu`, `iothread1` of
/// `iothread`).
pub(crate) fn is_thread_group(name: &str, kind: &str) -> bool {
    name.strip_prefix(kind)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether the unified hierarchy holding `group` (…/machine/NAME) filters devices through BPF.
fn devices_available(group: &Path) -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        group
            .parent()
            .and_then(Path::parent)
            .is_some_and(crate::device_acl::available)
    })
}

/// Moves and removals still running in the background.
static BACKGROUND: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Keeps `handle`, a thread moving threads between groups or removing groups, for
/// [`wait_for_background`].
fn background(handle: std::thread::JoinHandle<()>) {
    let mut pending = BACKGROUND.lock().unwrap_or_else(|e| e.into_inner());
    pending.retain(|h| !h.is_finished());
    pending.push(handle);
}

/// A job for the cleaner thread.
type Job = Box<dyn FnOnce() + Send>;

/// The cleaner thread's queue, and the jobs queued and not yet done.
struct Cleaner {
    queue: std::sync::Mutex<Option<std::sync::mpsc::Sender<Job>>>,
    pending: std::sync::Mutex<usize>,
    idle: std::sync::Condvar,
}

static CLEANER: Cleaner = Cleaner {
    queue: std::sync::Mutex::new(None),
    pending: std::sync::Mutex::new(0),
    idle: std::sync::Condvar::new(),
};

/// Queues `job` for the cleaner thread, one long-lived thread that runs the jobs in turn
/// (started on first use; should it be gone, the job runs on a thread of its own).
fn cleaner(job: Job) {
    *CLEANER.pending.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    let done = |job: Job| {
        job();
        let mut n = CLEANER.pending.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        if *n == 0 {
            CLEANER.idle.notify_all();
        }
    };
    let mut queue = CLEANER.queue.lock().unwrap_or_else(|e| e.into_inner());
    let job = match queue.as_ref() {
        Some(tx) => match tx.send(job) {
            Ok(()) => return,
            Err(std::sync::mpsc::SendError(job)) => job,
        },
        None => job,
    };
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    let started = std::thread::Builder::new()
        .name("rvirt-qemu-clean".into())
        .spawn(move || {
            for job in rx {
                done(job);
            }
        });
    match started {
        Ok(_) => {
            // The receiver lives as long as the thread: the send cannot fail.
            let _ = tx.send(job);
            *queue = Some(tx);
        }
        Err(_) => {
            drop(queue);
            background(std::thread::spawn(move || done(job)));
        }
    }
}

/// Waits for the moves and removals running in the background: a driver being closed (a
/// short-lived client's process about to exit) leaves no group behind.
pub(crate) fn wait_for_background() {
    let pending = std::mem::take(&mut *BACKGROUND.lock().unwrap_or_else(|e| e.into_inner()));
    for h in pending {
        let _ = h.join();
    }
    let mut n = CLEANER.pending.lock().unwrap_or_else(|e| e.into_inner());
    while *n > 0 {
        n = CLEANER.idle.wait(n).unwrap_or_else(|e| e.into_inner());
    }
}

/// Removes the groups a driver with `prefix` left behind (a process that ended before its
/// removals did), keeping those named in `keep` (its running domains). A group that still
/// holds a process is kept by the kernel.
pub(crate) fn sweep(prefix: &str, keep: &[&std::ffi::OsStr]) {
    sweep_under(&all_mounts(), prefix, keep)
}

fn sweep_under(mounts: &[(Controller, PathBuf)], prefix: &str, keep: &[&std::ffi::OsStr]) {
    let start = format!("{prefix}-");
    for (_, mount) in mounts {
        let Ok(groups) = std::fs::read_dir(mount.join("machine")) else {
            continue;
        };
        for g in groups.flatten() {
            let name = g.file_name();
            let ours = name.to_str().is_some_and(|n| {
                n.starts_with(&start)
                    && n.ends_with(".rvirt-qemu")
                    && n[start.len()..]
                        .split('-')
                        .next()
                        .is_some_and(|id| id.parse::<u32>().is_ok())
            });
            if ours && !keep.contains(&name.as_os_str()) && g.path().is_dir() {
                Cgroup {
                    dirs: vec![(Controller::Cpu, g.path())],
                    ..Cgroup::default()
                }
                .remove();
            }
        }
    }
}

/// A new QEMU being put into its groups on a thread of its own while it starts up: the first
/// move of a process between groups waits for the kernel (an RCU grace period, about 12 ms
/// here), which would otherwise add to every start. Dropped before [`Placing::finish`] (the
/// start failed), the groups are removed once the move is done.
pub(crate) struct Placing {
    rx: Option<std::sync::mpsc::Receiver<Result<Cgroup>>>,
}

impl Placing {
    /// Makes the groups `group` (in the controllers `allowed` names, its devices filtered to
    /// `device_rules`, see [`Cgroup::create`]) and moves process `pid` into them, in the
    /// background.
    pub(crate) fn start(
        group: String,
        pid: i32,
        allowed: Option<Vec<String>>,
        device_rules: Vec<Rule>,
    ) -> Placing {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let placed = Cgroup::create(&group, allowed.as_deref(), &device_rules).and_then(|cg| {
                match cg.add_process(pid) {
                    Ok(()) => Ok(cg),
                    Err(e) => {
                        cg.remove();
                        Err(e)
                    }
                }
            });
            let _ = tx.send(placed);
        });
        Placing { rx: Some(rx) }
    }

    /// The groups, once QEMU is in them.
    pub(crate) async fn finish(mut self) -> Result<Cgroup> {
        let rx = self.rx.take().expect("finished once");
        crate::util::off_thread(move || {
            rx.recv()
                .unwrap_or_else(|_| Err(Error::internal(FROM, "cgroup placement thread ended")))
        })
        .await
    }
}

impl Drop for Placing {
    fn drop(&mut self) {
        if let Some(rx) = self.rx.take() {
            background(std::thread::spawn(move || {
                if let Ok(Ok(cg)) = rx.recv() {
                    cg.remove();
                }
            }));
        }
    }
}

fn make_dir(d: &Path) -> Result<()> {
    if d.is_dir() {
        return Ok(());
    }
    std::fs::create_dir(d).map_err(sys(format!("Unable to create cgroup {}", d.display())))
}

fn write_file(path: &Path, value: &str) -> Result<()> {
    std::fs::write(path, value).map_err(sys(format!("Unable to write to '{}'", path.display())))
}

/// A new cpuset group gets its parent's `cpuset.cpus` and `cpuset.mems`.
fn inherit_cpuset(dir: &Path) -> Result<()> {
    let Some(parent) = dir.parent() else {
        return Ok(());
    };
    for f in ["cpuset.cpus", "cpuset.mems"] {
        let v = std::fs::read_to_string(parent.join(f)).unwrap_or_default();
        if !v.trim().is_empty() {
            write_file(&dir.join(f), v.trim())?;
        }
    }
    Ok(())
}

/// The figures of a `cpuacct.usage_percpu` file, in order.
fn parse_per_cpu(text: &str) -> Result<Vec<u64>> {
    text.split_ascii_whitespace()
        .map(|v| {
            v.parse()
                .map_err(|_| Error::internal(FROM, "cpuacct parse error"))
        })
        .collect()
}

/// The figure on the line `KEY VALUE` of a flat-keyed control group file (`cpu.stat`,
/// `cpuacct.stat`).
fn keyed_figure(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        l.strip_prefix(key)?
            .strip_prefix(' ')?
            .trim()
            .parse::<u64>()
            .ok()
    })
}

/// Field `key` (microseconds) of a unified group's `cpu.stat` `text`, in nanoseconds; `what`
/// names it in libvirt's parse error.
fn cpu_stat_field(text: &str, key: &str, what: &str) -> Result<u64> {
    keyed_figure(text, key)
        .map(|us| us * 1000)
        .ok_or_else(|| Error::internal(FROM, format!("cannot parse {what} stat '{}'", text.trim())))
}

/// The kernel's clock ticks per second (`USER_HZ`), in which `cpuacct.stat` counts.
fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no memory effects.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

/// libvirt's refusal when the domain has no group in `c`.
pub(crate) fn not_mounted(c: Controller) -> Error {
    let what = match c {
        Controller::Cpu => "cgroup CPU controller is not mounted",
        Controller::Cpuacct | Controller::Unified => "cgroup CPUACCT controller is not mounted",
        Controller::Cpuset => "cgroup cpuset controller is not mounted",
        Controller::Memory => "cgroup memory controller is not mounted",
        Controller::Blkio => "blkio cgroup isn't mounted",
        Controller::Freezer => "cgroup freezer controller is not mounted",
    };
    Error::with_detail(FROM, ErrorNumber::OPERATION_INVALID, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn controllers_come_from_the_v1_mounts_that_are_there() {
        let all = parse_mounts(INFO, |_| true);
        let names: Vec<_> = all.iter().map(|(c, _)| c.name()).collect();
        assert_eq!(
            names,
            ["cpu", "cpuacct", "cpuset", "memory", "blkio", "unified"]
        );
        assert_eq!(all[3].1, PathBuf::from("/sys/fs/cgroup/memory"));
        assert_eq!(all[5].1, PathBuf::from("/sys/fs/cgroup/unified"));
        // The accounting goes to the unified hierarchy, as libvirt's backends share it out;
        // without one, to the version 1 cpuacct hierarchy.
        let placed: Vec<_> = placement(all).iter().map(|(c, _)| c.name()).collect();
        assert_eq!(placed, ["cpu", "cpuset", "memory", "blkio", "unified"]);
        let v1 = parse_mounts(INFO, |m| !m.ends_with("unified"));
        let placed: Vec<_> = placement(v1).iter().map(|(c, _)| c.name()).collect();
        assert_eq!(placed, ["cpu", "cpuacct", "cpuset", "memory", "blkio"]);
        // Hierarchies covered by another mount are left out: no group is made there.
        assert!(parse_mounts(INFO, |_| false).is_empty());
        let some = parse_mounts(INFO, |m| !m.ends_with("memory"));
        assert!(some.iter().all(|(c, _)| *c != Controller::Memory));
    }

    #[test]
    fn per_cpu_usage_is_read_in_order_and_bad_figures_are_refused() {
        assert_eq!(parse_per_cpu("12 0 345 \n").unwrap(), [12, 0, 345]);
        let e = parse_per_cpu("12 x").unwrap_err();
        assert_eq!(e.message, "internal error: cpuacct parse error");
    }

    #[test]
    fn a_sweep_removes_only_the_drivers_own_groups_that_are_not_kept() {
        let tmp = std::env::temp_dir().join(format!("rvirt-sweep-{}", std::process::id()));
        let machine = tmp.join("machine");
        let names = [
            "qemu-3-gone.rvirt-qemu",
            "qemu-4-kept.rvirt-qemu",
            "qemu-5-libvirts.libvirt-qemu",
            "qemu-embed-0a0b0c0d-1-other.rvirt-qemu",
        ];
        for n in names {
            std::fs::create_dir_all(machine.join(n).join("vcpu0")).unwrap();
        }
        let kept = std::ffi::OsStr::new("qemu-4-kept.rvirt-qemu");
        sweep_under(&[(Controller::Cpu, tmp.clone())], "qemu", &[kept]);
        let mut left: Vec<_> = std::fs::read_dir(&machine)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, names[1..]);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
