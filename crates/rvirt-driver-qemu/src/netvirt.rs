//! The host side of a QEMU connection's virtual networks (libvirt's bridge driver for the
//! forward modes it builds itself: isolated, `nat`, `route` and `open`): a Linux bridge with
//! the network's MAC, STP settings, MTU and addresses; IP forwarding; libvirt's firewall rules
//! in its own iptables chains; and a dnsmasq for DHCP and DNS, started from a configuration
//! file in libvirt's layout. Everything it makes goes again when the network stops, and a
//! failed start takes back what it did.

use rvirt_conf::NetworkDef;
use rvirt_conf::network::IpDef;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FROM: ErrorDomain = ErrorDomain::NETWORK;

/// Where a driver keeps its networks.
#[derive(Clone, Debug)]
pub(crate) struct NetDirs {
    /// Persistent network configs (`/etc/libvirt/qemu/networks`).
    pub(crate) config: PathBuf,
    /// Autostart links (`/etc/libvirt/qemu/networks/autostart`).
    pub(crate) autostart: PathBuf,
    /// Status of active networks and dnsmasq pid files (`/run/libvirt/network`).
    pub(crate) state: PathBuf,
    /// dnsmasq configurations, host files and leases (`/var/lib/libvirt/dnsmasq`).
    pub(crate) dnsmasq: PathBuf,
}

impl NetDirs {
    pub(crate) fn under(root: &Path) -> NetDirs {
        NetDirs {
            config: root.join("etc/qemu/networks"),
            autostart: root.join("etc/qemu/networks/autostart"),
            state: root.join("run/network"),
            dnsmasq: root.join("lib/dnsmasq"),
        }
    }

    pub(crate) fn system() -> NetDirs {
        NetDirs {
            config: "/etc/libvirt/qemu/networks".into(),
            autostart: "/etc/libvirt/qemu/networks/autostart".into(),
            state: "/run/libvirt/network".into(),
            dnsmasq: "/var/lib/libvirt/dnsmasq".into(),
        }
    }

    /// dnsmasq's pid file for network `name`.
    pub(crate) fn pid_file(&self, name: &str) -> PathBuf {
        self.state.join(format!("{name}.pid"))
    }

    /// dnsmasq's lease file for network `name`.
    pub(crate) fn lease_file(&self, name: &str) -> PathBuf {
        self.dnsmasq.join(format!("{name}.leases"))
    }
}

fn failed(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::OPERATION_FAILED, detail)
}

/// Runs a host tool; its standard error becomes the error.
fn run(program: &str, args: &[String]) -> Result<String> {
    let out = crate::util::host_command(program)
        .args(args)
        .output()
        .map_err(|e| Error::system(FROM, format!("Cannot run {program}"), &e))?;
    if !out.status.success() {
        return Err(failed(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The network address and prefix of an `<ip>` (`192.168.122.0/24`).
fn network_of(ip: &IpDef) -> Option<(IpAddr, u32)> {
    let prefix = u32::try_from(ip.effective_prefix()).ok()?;
    Some(match ip.address {
        IpAddr::V4(a) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix.min(32))
            };
            (IpAddr::V4((u32::from(a) & mask).into()), prefix)
        }
        IpAddr::V6(a) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix.min(128))
            };
            (IpAddr::V6((u128::from(a) & mask).into()), prefix)
        }
    })
}

/// One firewall rule: the tool (`iptables`, `ip6tables`) and its arguments after the action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) v6: bool,
    /// `--table T`, then the chain, then the match and the target.
    pub(crate) table: &'static str,
    pub(crate) chain: &'static str,
    pub(crate) spec: Vec<String>,
}

impl Rule {
    fn new(v6: bool, table: &'static str, chain: &'static str, spec: &[&str]) -> Rule {
        Rule {
            v6,
            table,
            chain,
            spec: strs(spec),
        }
    }

    fn args(&self, action: &str) -> Vec<String> {
        let mut a = strs(&["-w", "--table", self.table, action, self.chain]);
        a.extend(self.spec.iter().cloned());
        a
    }

    fn tool(&self) -> &'static str {
        if self.v6 { "ip6tables" } else { "iptables" }
    }
}

/// The rules libvirt puts in its chains for `def`, in the order it inserts them (each goes to
/// the top of its chain, so the last one inserted is matched first).
pub(crate) fn firewall_rules(def: &NetworkDef) -> Vec<Rule> {
    let br = def.bridge.as_deref().unwrap_or_default();
    let mode = def.forward_mode();
    let mut rules = Vec::new();
    let has_v4 = def.ips.iter().any(|i| i.address.is_ipv4());
    let has_v6 = def.ips.iter().any(|i| i.address.is_ipv6());
    let accept_port = |v6: bool, chain: &'static str, proto: &str, port: &str| {
        let dir = if chain == "LIBVIRT_INP" {
            "--in-interface"
        } else {
            "--out-interface"
        };
        Rule::new(
            v6,
            "filter",
            chain,
            &[
                dir,
                br,
                "--protocol",
                proto,
                "--destination-port",
                port,
                "--jump",
                "ACCEPT",
            ],
        )
    };
    let isolate = |v6: bool, rules: &mut Vec<Rule>| {
        rules.push(Rule::new(
            v6,
            "filter",
            "LIBVIRT_FWO",
            &["--in-interface", br, "--jump", "REJECT"],
        ));
        rules.push(Rule::new(
            v6,
            "filter",
            "LIBVIRT_FWI",
            &["--out-interface", br, "--jump", "REJECT"],
        ));
        rules.push(Rule::new(
            v6,
            "filter",
            "LIBVIRT_FWX",
            &[
                "--in-interface",
                br,
                "--out-interface",
                br,
                "--jump",
                "ACCEPT",
            ],
        ));
    };
    // IPv4: DHCP and DNS to and from the host, TFTP where served, then forwarding refused
    // except between the network's own ports (the modes' rules, inserted later, go first).
    for (chain, port) in [
        ("LIBVIRT_INP", "67"),
        ("LIBVIRT_OUT", "68"),
        ("LIBVIRT_INP", "53"),
        ("LIBVIRT_OUT", "53"),
    ] {
        for proto in ["tcp", "udp"] {
            rules.push(accept_port(false, chain, proto, port));
        }
    }
    if def
        .ips
        .iter()
        .any(|i| i.address.is_ipv4() && i.tftp_root.is_some())
    {
        rules.push(accept_port(false, "LIBVIRT_INP", "udp", "69"));
        rules.push(accept_port(false, "LIBVIRT_OUT", "udp", "69"));
    }
    isolate(false, &mut rules);
    // IPv6 when the network has IPv6 addresses or asks for IPv6 between its guests.
    if has_v6 || def.ipv6 {
        isolate(true, &mut rules);
        if has_v6 {
            for (chain, port) in [("LIBVIRT_INP", "53"), ("LIBVIRT_OUT", "53")] {
                for proto in ["tcp", "udp"] {
                    rules.push(accept_port(true, chain, proto, port));
                }
            }
            rules.push(accept_port(true, "LIBVIRT_INP", "udp", "547"));
            rules.push(accept_port(true, "LIBVIRT_OUT", "udp", "546"));
        }
    }
    // The mangle table's checksum fix for DHCP replies (IPv4 with DHCP).
    if has_v4
        && def
            .ips
            .iter()
            .any(|i| i.address.is_ipv4() && (!i.ranges.is_empty() || !i.hosts.is_empty()))
    {
        rules.push(Rule::new(
            false,
            "mangle",
            "LIBVIRT_PRT",
            &[
                "--out-interface",
                br,
                "--protocol",
                "udp",
                "--destination-port",
                "68",
                "--jump",
                "CHECKSUM",
                "--checksum-fill",
            ],
        ));
    }
    let nat = def
        .forward
        .as_ref()
        .map(|f| f.nat.clone())
        .unwrap_or_default();
    for ip in &def.ips {
        let Some((net, prefix)) = network_of(ip) else {
            continue;
        };
        let v6 = ip.address.is_ipv6();
        let netstr = format!("{net}/{prefix}");
        let masquerade = mode == "nat" && (!v6 || nat.ipv6 == Some(true));
        let routed = mode == "route" || (mode == "nat" && v6 && !masquerade);
        if !masquerade && !routed {
            continue;
        }
        rules.push(Rule::new(
            v6,
            "filter",
            "LIBVIRT_FWO",
            &[
                "--source",
                &netstr,
                "--in-interface",
                br,
                "--jump",
                "ACCEPT",
            ],
        ));
        if routed {
            rules.push(Rule::new(
                v6,
                "filter",
                "LIBVIRT_FWI",
                &[
                    "--destination",
                    &netstr,
                    "--out-interface",
                    br,
                    "--jump",
                    "ACCEPT",
                ],
            ));
            continue;
        }
        rules.push(Rule::new(
            v6,
            "filter",
            "LIBVIRT_FWI",
            &[
                "--destination",
                &netstr,
                "--out-interface",
                br,
                "--match",
                "conntrack",
                "--ctstate",
                "ESTABLISHED,RELATED",
                "--jump",
                "ACCEPT",
            ],
        ));
        let (ps, pe) = if nat.port_start == 0 && nat.port_end == 0 {
            (1024, 65535)
        } else {
            (nat.port_start, nat.port_end)
        };
        for proto in [None, Some("udp"), Some("tcp")] {
            let mut spec = strs(&["--source", &netstr]);
            if let Some(p) = proto {
                spec.extend(strs(&["-p", p]));
            }
            spec.extend(strs(&["!", "--destination", &netstr]));
            let ports = proto.map(|_| format!(":{ps}-{pe}")).unwrap_or_default();
            match (nat.addr_start, nat.addr_end) {
                (Some(s), Some(e)) => spec.extend(strs(&[
                    "--jump",
                    "SNAT",
                    "--to-source",
                    &format!("{s}-{e}{ports}"),
                ])),
                (Some(s), None) => spec.extend(strs(&[
                    "--jump",
                    "SNAT",
                    "--to-source",
                    &format!("{s}{ports}"),
                ])),
                _ => {
                    spec.extend(strs(&["--jump", "MASQUERADE"]));
                    if proto.is_some() {
                        spec.extend(strs(&["--to-ports", &format!("{ps}-{pe}")]));
                    }
                }
            }
            rules.push(Rule {
                v6,
                table: "nat",
                chain: "LIBVIRT_PRT",
                spec,
            });
        }
        let locals: &[&str] = if v6 {
            &["ff02::/16"]
        } else {
            &["255.255.255.255/32", "224.0.0.0/24"]
        };
        for dest in locals {
            rules.push(Rule::new(
                v6,
                "nat",
                "LIBVIRT_PRT",
                &[
                    "--source",
                    &netstr,
                    "--destination",
                    dest,
                    "--jump",
                    "RETURN",
                ],
            ));
        }
    }
    rules
}

/// Held while the private chains are checked and made, so that two networks starting at once
/// in this process neither make a chain twice nor jump to it twice.
static CHAIN_SETUP: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Makes libvirt's private chains and their jumps from the built-in ones where missing.
fn setup_chains(v6: bool) -> Result<()> {
    let _one_at_a_time = CHAIN_SETUP.lock();
    let tool = if v6 { "ip6tables" } else { "iptables" };
    let tables: [(&str, &[(&str, &str)]); 3] = [
        (
            "filter",
            &[
                ("INPUT", "LIBVIRT_INP"),
                ("OUTPUT", "LIBVIRT_OUT"),
                ("FORWARD", "LIBVIRT_FWO"),
                ("FORWARD", "LIBVIRT_FWI"),
                ("FORWARD", "LIBVIRT_FWX"),
            ],
        ),
        ("nat", &[("POSTROUTING", "LIBVIRT_PRT")]),
        ("mangle", &[("POSTROUTING", "LIBVIRT_PRT")]),
    ];
    for (table, chains) in tables {
        let listing = run(tool, &strs(&["-w", "--table", table, "--list-rules"]))?;
        for (parent, child) in chains {
            if !listing.lines().any(|l| l == format!("-N {child}")) {
                run(tool, &strs(&["-w", "--table", table, "--new-chain", child]))?;
            }
            if !listing
                .lines()
                .any(|l| l == format!("-A {parent} -j {child}"))
            {
                run(
                    tool,
                    &strs(&["-w", "--table", table, "--insert", parent, "--jump", child]),
                )?;
            }
        }
    }
    Ok(())
}

fn add_rules(rules: &[Rule]) -> Result<()> {
    if rules.iter().any(|r| !r.v6) {
        setup_chains(false)?;
    }
    if rules.iter().any(|r| r.v6) {
        setup_chains(true)?;
    }
    for (i, r) in rules.iter().enumerate() {
        if let Err(e) = run(r.tool(), &r.args("--insert")) {
            remove_rules(&rules[..i]);
            return Err(e);
        }
    }
    Ok(())
}

fn remove_rules(rules: &[Rule]) {
    for r in rules.iter().rev() {
        let _ = run(r.tool(), &r.args("--delete"));
    }
}

/// dnsmasq's configuration for `def` (libvirt's `networkDnsmasqConfContents`, with a lease
/// file of dnsmasq's own in place of libvirt's lease helper), and its DHCP hosts file.
pub(crate) fn dnsmasq_conf(def: &NetworkDef, dirs: &NetDirs) -> (String, String, String) {
    let name = &def.name;
    let br = def.bridge.as_deref().unwrap_or_default();
    let want_dns = def.dns.enable != Some(false);
    let mut c = format!(
        "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n\
         ##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:\n\
         ##    virsh net-edit {name}\n\
         ## or other application using the libvirt API.\n\
         ##\n## dnsmasq conf file created by libvirt\nstrict-order\n"
    );
    if !want_dns {
        c.push_str("port=0\n");
    } else {
        let mut no_resolv = false;
        for f in &def.dns.forwarders {
            c.push_str("server=");
            if let Some(d) = &f.domain {
                c.push_str(&format!("/{d}/"));
            }
            match f.addr {
                Some(a) => {
                    c.push_str(&format!("{a}\n"));
                    no_resolv |= f.domain.is_none();
                }
                None => c.push_str("#\n"),
            }
        }
        if no_resolv {
            c.push_str("no-resolv\n");
        }
    }
    if let Some((domain, local_only)) = &def.domain {
        if *local_only == Some(true) {
            c.push_str(&format!("local=/{domain}/\n"));
        }
        c.push_str(&format!("domain={domain}\nexpand-hosts\n"));
    }
    if want_dns && def.dns.forward_plain_names == Some(false) {
        c.push_str("domain-needed\nlocal=//\n");
    }
    c.push_str(&format!(
        "pid-file={}\nexcept-interface=lo\nbind-dynamic\ninterface={br}\n",
        dirs.pid_file(name).display()
    ));
    if def.forward_mode() == "none" {
        c.push_str("dhcp-option=3\nno-resolv\n");
    }
    if want_dns {
        for t in &def.dns.txts {
            c.push_str(&format!("txt-record={},{}\n", t.name, t.value));
        }
    }
    let mut leases = 0u128;
    let mut hosts = String::new();
    let v4 = def
        .ips
        .iter()
        .find(|i| i.address.is_ipv4() && (!i.ranges.is_empty() || !i.hosts.is_empty()));
    if let Some(ip) = v4 {
        let prefix = ip.effective_prefix().clamp(0, 32) as u32;
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        let mask = std::net::Ipv4Addr::from(mask);
        for r in &ip.ranges {
            c.push_str(&format!("dhcp-range={},{},{mask}", r.start, r.end));
            if let Some(l) = &r.lease {
                c.push_str(&lease_suffix(l));
            }
            c.push('\n');
            if let (IpAddr::V4(s), IpAddr::V4(e)) = (r.start, r.end) {
                leases += u128::from(u32::from(e).saturating_sub(u32::from(s))) + 1;
            }
        }
        if ip.ranges.is_empty() {
            c.push_str(&format!("dhcp-range={},static,{mask}\n", ip.address));
        }
        for h in &ip.hosts {
            let mut line = Vec::new();
            line.extend(h.mac.clone());
            line.extend(h.ip.map(|a| a.to_string()));
            line.extend(h.name.clone());
            if !line.is_empty() {
                hosts.push_str(&line.join(","));
                hosts.push('\n');
            }
        }
        c.push_str("dhcp-no-override\ndhcp-authoritative\n");
        if let Some(root) = &ip.tftp_root {
            c.push_str(&format!("enable-tftp\ntftp-root={root}\n"));
        }
        if let Some((file, server)) = &ip.bootp {
            match server {
                Some(s) => c.push_str(&format!("dhcp-boot={file},,{s}\n")),
                None => c.push_str(&format!("dhcp-boot={file}\n")),
            }
        }
    }
    if leases > 0 {
        c.push_str(&format!("dhcp-lease-max={leases}\n"));
    }
    let hostsfile = dirs.dnsmasq.join(format!("{name}.hostsfile"));
    let addnhosts = dirs.dnsmasq.join(format!("{name}.addnhosts"));
    if v4.is_some() {
        c.push_str(&format!("dhcp-hostsfile={}\n", hostsfile.display()));
        c.push_str(&format!(
            "dhcp-leasefile={}\n",
            dirs.lease_file(name).display()
        ));
    }
    let mut addn = String::new();
    if want_dns {
        c.push_str(&format!("addn-hosts={}\n", addnhosts.display()));
        for h in &def.dns.hosts {
            if let Some(ip) = h.ip {
                addn.push_str(&format!("{ip}\t{}\n", h.names.join("\t")));
            }
        }
    }
    if def.mtu > 0 {
        c.push_str(&format!("dhcp-option=option:mtu,{}\n", def.mtu));
    }
    (c, hosts, addn)
}

fn lease_suffix(l: &rvirt_conf::network::LeaseDef) -> String {
    if l.expiry == 0 {
        return ",infinite".into();
    }
    let unit = match l.unit.as_str() {
        "hours" => "h",
        "minutes" => "m",
        _ => "",
    };
    format!(",{}{unit}", l.expiry)
}

/// Whether `def` needs a dnsmasq: it has an address, or DNS is not switched off.
fn wants_dnsmasq(def: &NetworkDef) -> bool {
    !def.ips.is_empty()
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    crate::util::write_atomic(path, text.as_bytes())
        .map_err(|e| Error::system(FROM, format!("cannot write file '{}'", path.display()), &e))
}

/// The pid of the dnsmasq of network `name`, if one runs.
pub(crate) fn dnsmasq_pid(dirs: &NetDirs, name: &str) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(dirs.pid_file(name))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    exe.to_string_lossy().contains("dnsmasq").then_some(pid)
}

fn start_dnsmasq(def: &NetworkDef, dirs: &NetDirs) -> Result<()> {
    for d in [&dirs.dnsmasq, &dirs.state] {
        std::fs::create_dir_all(d).map_err(|e| {
            Error::system(
                FROM,
                format!("cannot create directory '{}'", d.display()),
                &e,
            )
        })?;
    }
    let (conf, hosts, addn) = dnsmasq_conf(def, dirs);
    let conf_path = dirs.dnsmasq.join(format!("{}.conf", def.name));
    write_file(&conf_path, &conf)?;
    write_file(
        &dirs.dnsmasq.join(format!("{}.hostsfile", def.name)),
        &hosts,
    )?;
    write_file(&dirs.dnsmasq.join(format!("{}.addnhosts", def.name)), &addn)?;
    let _ = std::fs::remove_file(dirs.pid_file(&def.name));
    let dnsmasq = ["/usr/sbin/dnsmasq", "/sbin/dnsmasq"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or_else(|| {
            failed(
                "Cannot find dnsmasq, which virtual networks need (apt-get install dnsmasq-base)",
            )
        })?;
    // dnsmasq puts itself in the background once it listens, and writes its pid file.
    run(dnsmasq, &[format!("--conf-file={}", conf_path.display())])?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while dnsmasq_pid(dirs, &def.name).is_none() {
        if Instant::now() > deadline {
            return Err(failed(format!(
                "dnsmasq of network '{}' did not write its pid file",
                def.name
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Starts the dnsmasq of active network `def` again with its current definition (after a live
/// update of its DHCP or DNS data).
pub(crate) fn restart_dnsmasq(def: &NetworkDef, dirs: &NetDirs) -> Result<()> {
    stop_dnsmasq(dirs, &def.name);
    start_dnsmasq(def, dirs)
}

fn stop_dnsmasq(dirs: &NetDirs, name: &str) {
    if let Some(pid) = dnsmasq_pid(dirs, name) {
        // SAFETY: kill(2) of a process this driver started (its exe checked above).
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let _ = std::fs::remove_file(dirs.pid_file(name));
}

fn write_sysctl(path: &str, value: &str) -> Result<()> {
    std::fs::write(path, value)
        .map_err(|e| Error::system(FROM, format!("cannot write to '{path}'"), &e))
}

/// Gives the bridge of `def` its addresses, `ip` as iproute2 takes them.
fn add_address(br: &str, ip: &IpDef) -> Result<()> {
    let prefix = ip.effective_prefix();
    if prefix < 0 {
        return Err(Error::internal(
            FROM,
            format!("bridge '{br}' has an invalid netmask or IP address"),
        ));
    }
    let mut args = strs(&["addr", "add", &format!("{}/{prefix}", ip.address)]);
    if let (IpAddr::V4(a), Ok(p)) = (ip.address, u32::try_from(prefix)) {
        let host = if p >= 32 { 0 } else { u32::MAX >> p };
        let bcast = std::net::Ipv4Addr::from(u32::from(a) | host);
        args.extend(strs(&["broadcast", &bcast.to_string()]));
    }
    args.extend(strs(&["dev", br]));
    run("ip", &args).map(|_| ())
}

/// The prefix of a `<route>`: its prefix, else its netmask's length, else 32 (IPv4) or 128.
fn route_prefix(r: &rvirt_conf::network::RouteDef) -> u32 {
    r.prefix
        .or_else(|| {
            r.netmask
                .map(|m| rvirt_conf::network::netmask_bits(m).max(0) as u32)
        })
        .unwrap_or(if r.address.is_ipv4() { 32 } else { 128 })
}

fn v4_net(addr: std::net::Ipv4Addr, prefix: u32) -> (u32, u32) {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix.min(32))
    };
    // /proc/net/route prints addresses as the kernel holds them (network order, read as a
    // native integer): compare in that form.
    let a = u32::from_ne_bytes((u32::from(addr) & mask).to_be_bytes());
    let m = u32::from_ne_bytes(mask.to_be_bytes());
    (a, m)
}

/// libvirt's `networkCheckRouteCollision`: an IPv4 network or static route of `def` that the
/// host already routes (`/proc/net/route` as `table`) is refused, naming the interface.
pub(crate) fn route_collision(def: &NetworkDef, table: &str) -> Result<()> {
    if !table.starts_with("Iface") {
        return Ok(());
    }
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(iface), Some(dest), Some(mask)) = (f.first(), f.get(1), f.get(7)) else {
            continue;
        };
        let (Ok(dest), Ok(mask)) = (u32::from_str_radix(dest, 16), u32::from_str_radix(mask, 16))
        else {
            continue;
        };
        let dest = dest & mask;
        for ip in &def.ips {
            let (IpAddr::V4(a), Ok(p)) = (ip.address, u32::try_from(ip.effective_prefix())) else {
                continue;
            };
            if v4_net(a, p) == (dest, mask) {
                return Err(Error::internal(
                    FROM,
                    format!("Network is already in use by interface {iface}"),
                ));
            }
        }
        for r in &def.routes {
            let IpAddr::V4(a) = r.address else { continue };
            let (ra, rm) = v4_net(a, route_prefix(r));
            if (ra, rm) == (dest, mask) {
                let shown = std::net::Ipv4Addr::from(u32::from_be_bytes(ra.to_ne_bytes()));
                return Err(Error::internal(
                    FROM,
                    format!("Route address '{shown}' conflicts with IP address for '{iface}'"),
                ));
            }
        }
    }
    Ok(())
}

/// Starts the host side of isolated, nat, route and open network `def` (its bridge named and
/// its MAC given at define time). On failure, what was made is taken down again.
pub(crate) fn start(def: &NetworkDef, dirs: &NetDirs) -> Result<()> {
    let Some(br) = def.bridge.clone() else {
        return Err(Error::internal(
            FROM,
            format!("network '{}' has no bridge name defined", def.name),
        ));
    };
    route_collision(
        def,
        &std::fs::read_to_string("/proc/net/route").unwrap_or_default(),
    )?;
    crate::tap::bridge_create(&br)?;
    let mut rules = Vec::new();
    let r = (|| -> Result<()> {
        if let Some(mac) = def.mac {
            crate::tap::set_mac(&br, mac)?;
        }
        if def.mtu > 0 {
            crate::tap::set_mtu(&br, def.mtu)?;
        }
        let sys = format!("/sys/class/net/{br}/bridge");
        let _ = write_sysctl(
            &format!("{sys}/forward_delay"),
            &(def.delay * 100).to_string(),
        );
        write_sysctl(&format!("{sys}/stp_state"), if def.stp { "1" } else { "0" })?;
        let has_v6 = def.ips.iter().any(|i| i.address.is_ipv6());
        let v6conf = format!("/proc/sys/net/ipv6/conf/{br}");
        if Path::new(&v6conf).exists() {
            let _ = write_sysctl(
                &format!("{v6conf}/disable_ipv6"),
                if has_v6 { "0" } else { "1" },
            );
            if has_v6 {
                let _ = write_sysctl(&format!("{v6conf}/accept_ra"), "0");
                let _ = write_sysctl(&format!("{v6conf}/autoconf"), "0");
            }
        }
        if def.forward_mode() != "open" {
            rules = firewall_rules(def);
            add_rules(&rules)?;
        }
        for ip in &def.ips {
            add_address(&br, ip)?;
        }
        crate::tap::set_up(&br)?;
        // Static routes through a gateway on the network; one that fails is left out, as
        // libvirt leaves it.
        for r in &def.routes {
            let mut args = strs(&[
                "route",
                "add",
                &format!("{}/{}", r.address, route_prefix(r)),
                "via",
                &r.gateway.to_string(),
                "dev",
                &br,
            ]);
            if let Some(m) = r.metric {
                args.extend(strs(&["metric", &m.to_string()]));
            }
            let _ = run("ip", &args);
        }
        if def.forward_mode() != "none" {
            if def.ips.iter().any(|i| i.address.is_ipv4()) {
                write_sysctl("/proc/sys/net/ipv4/ip_forward", "1")?;
            }
            if has_v6 {
                write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1")?;
            }
        }
        if wants_dnsmasq(def) {
            start_dnsmasq(def, dirs)?;
        }
        Ok(())
    })();
    if let Err(e) = r {
        stop_dnsmasq(dirs, &def.name);
        remove_rules(&rules);
        let _ = crate::tap::bridge_delete(&br);
        return Err(e);
    }
    Ok(())
}

/// Stops what [`start`] made for `def`.
pub(crate) fn stop(def: &NetworkDef, dirs: &NetDirs) {
    stop_dnsmasq(dirs, &def.name);
    if def.forward_mode() != "open" {
        remove_rules(&firewall_rules(def));
    }
    if let Some(br) = &def.bridge {
        let _ = crate::tap::bridge_delete(br);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const DEFAULT: &str = "<network><name>default</name><uuid>5b53ff8d-6dac-4e54-b9b7-6be9d8b1b0c2</uuid>\
        <forward mode='nat'/><bridge name='virbr0'/><mac address='52:54:00:0a:0b:0c'/>\
        <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>\
        <range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>";

    #[test]
    fn nat_rules_are_libvirts() {
        let def = NetworkDef::parse_xml(DEFAULT).unwrap();
        let rules = firewall_rules(&def);
        let text: Vec<String> = rules
            .iter()
            .map(|r| format!("{} {} {}", r.table, r.chain, r.spec.join(" ")))
            .collect();
        assert_eq!(text.len(), 8 + 3 + 1 + 2 + 3 + 2);
        assert_eq!(
            text[0],
            "filter LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 67 --jump ACCEPT"
        );
        assert!(text.contains(&"nat LIBVIRT_PRT --source 192.168.122.0/24 -p tcp ! --destination 192.168.122.0/24 --jump MASQUERADE --to-ports 1024-65535".to_string()));
        assert!(text.contains(&"filter LIBVIRT_FWI --destination 192.168.122.0/24 --out-interface virbr0 --match conntrack --ctstate ESTABLISHED,RELATED --jump ACCEPT".to_string()));
        assert_eq!(
            text.last().unwrap(),
            "nat LIBVIRT_PRT --source 192.168.122.0/24 --destination 224.0.0.0/24 --jump RETURN"
        );
        assert!(rules.iter().all(|r| !r.v6));
    }

    #[test]
    fn routed_subnets_collide() {
        let def = NetworkDef::parse_xml(
            "<network><name>n</name><bridge name='b0'/><ip address='192.168.122.1' \
             netmask='255.255.255.0'/><route address='10.9.0.0' prefix='16' \
             gateway='192.168.122.2'/></network>",
        )
        .unwrap();
        let head =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
        let row = |iface: &str, net: [u8; 4], mask: [u8; 4]| {
            format!(
                "{iface}\t{:08X}\t00000000\t0001\t0\t0\t0\t{:08X}\t0\t0\t0\n",
                u32::from_ne_bytes(net),
                u32::from_ne_bytes(mask)
            )
        };
        let other = row("eth0", [10, 0, 2, 0], [255, 255, 255, 0]);
        assert!(route_collision(&def, &format!("{head}{other}")).is_ok());
        let taken = row("virbr9", [192, 168, 122, 0], [255, 255, 255, 0]);
        let e = route_collision(&def, &format!("{head}{other}{taken}")).unwrap_err();
        assert_eq!(
            e.message,
            "internal error: Network is already in use by interface virbr9"
        );
        let routed = row("eth1", [10, 9, 0, 0], [255, 255, 0, 0]);
        let e = route_collision(&def, &format!("{head}{routed}")).unwrap_err();
        assert_eq!(
            e.message,
            "internal error: Route address '10.9.0.0' conflicts with IP address for 'eth1'"
        );
        assert!(route_collision(&def, "garbage").is_ok());
    }

    #[test]
    fn dnsmasq_conf_is_libvirts_layout() {
        let def = NetworkDef::parse_xml(DEFAULT).unwrap();
        let dirs = NetDirs::under(Path::new("/R"));
        let (conf, hosts, _) = dnsmasq_conf(&def, &dirs);
        assert!(conf.starts_with("##WARNING:  THIS IS AN AUTO-GENERATED FILE."));
        assert!(conf.contains(
            "strict-order\npid-file=/R/run/network/default.pid\nexcept-interface=lo\nbind-dynamic\ninterface=virbr0\n\
             dhcp-range=192.168.122.2,192.168.122.254,255.255.255.0\ndhcp-no-override\ndhcp-authoritative\n\
             dhcp-lease-max=253\ndhcp-hostsfile=/R/lib/dnsmasq/default.hostsfile\n"
        ), "{conf}");
        assert!(
            conf.ends_with("addn-hosts=/R/lib/dnsmasq/default.addnhosts\n"),
            "{conf}"
        );
        assert_eq!(hosts, "");
    }
}
