//! Virtual networks of a QEMU connection on the real host: a NAT network is defined (bridge
//! name and MAC assigned), started (the kernel's bridge with its MAC and address, libvirt's
//! iptables rules, a dnsmasq), survives a driver restart, leases an address to a tiny guest
//! that boots from the network on an `<interface type='network'>` (seen through the network's
//! leases, the guest's interface addresses and its live XML), and leaves nothing behind when
//! it stops; then libvirt's errors for what cannot be.
//!
//! Needs root, /dev/net/tun, QEMU, dnsmasq and iptables: skipped with a note otherwise, a
//! failure under CI.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, open, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, NetworkDriver};
use rvirt_types::ErrorNumber;
use rvirt_types::domain::{
    DomainCreateFlags, DomainDestroyFlags, DomainInterfaceAddressesSource, DomainXMLFlags,
};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn available() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let ok = root
        && Path::new("/dev/net/tun").exists()
        && Path::new("/usr/bin/qemu-system-x86_64").exists()
        && Path::new("/usr/sbin/dnsmasq").exists()
        && Path::new("/usr/sbin/iptables").exists();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "virtual network tests need root, /dev/net/tun, QEMU, dnsmasq and iptables under CI"
        );
        eprintln!("skipped: needs root, /dev/net/tun, qemu, dnsmasq-base and iptables");
    }
    ok
}

fn sh(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The iptables rules (`-S` form, all tables) that name `needle`.
fn rules_with(needle: &str) -> Vec<String> {
    ["filter", "nat", "mangle"]
        .iter()
        .flat_map(|t| {
            sh("iptables", &["-w", "-t", t, "-S"])
                .lines()
                .filter(|l| l.contains(needle))
                .map(|l| format!("{t} {l}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whatever a failed test left of network bridge `br` on subnet `net`: rules, dnsmasq,
/// bridge, taken down when the test ends.
struct HostCleanup {
    br: String,
    net: String,
    pid_file: std::path::PathBuf,
}

impl Drop for HostCleanup {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.pid_file)
            && let Ok(pid) = pid.trim().parse::<i32>()
        {
            // SAFETY: kill(2) of the dnsmasq the test's network started.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        for needle in [self.br.as_str(), self.net.as_str()] {
            for rule in rules_with(needle) {
                let (table, rule) = rule.split_once(' ').unwrap();
                let mut args = vec!["-w", "-t", table];
                let del = rule.replacen("-A ", "-D ", 1);
                args.extend(del.split_whitespace());
                let _ = Command::new("iptables").args(&args).output();
            }
        }
        let _ = Command::new("ip").args(["link", "del", &self.br]).output();
    }
}

#[test]
fn a_nat_network_runs_on_the_host_and_leases_guests_addresses() {
    if !available() {
        return;
    }
    let pid = std::process::id() % 100_000;
    let (name, br) = (format!("rvn{pid}"), format!("rvnb{pid}"));
    let net = format!("10.{}.{}", 150 + pid % 100, pid % 250);
    let root = Root::new();
    let _cleanup = HostCleanup {
        br: br.clone(),
        net: format!("{net}.0/24"),
        pid_file: root.path().join(format!("run/network/{name}.pid")),
    };
    let d = open(root.path());
    let xml = format!(
        "<network><name>{name}</name><forward mode='nat'/><bridge name='{br}'/>\
         <ip address='{net}.1' netmask='255.255.255.0'><dhcp>\
         <range start='{net}.10' end='{net}.50'/></dhcp></ip></network>"
    );
    let n = block_on(d.network_define_xml(&xml, 0)).unwrap();
    let defined = block_on(d.network_get_xml_desc(&n, 0)).unwrap();
    // libvirt's define fills in the bridge's STP settings and a MAC of QEMU's prefix.
    assert!(
        defined.contains(&format!("<bridge name='{br}' stp='on' delay='0'/>")),
        "{defined}"
    );
    let mac = defined
        .split("<mac address='")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    assert!(mac.starts_with("52:54:00:"), "{defined}");
    assert!(
        root.path()
            .join(format!("etc/qemu/networks/{name}.xml"))
            .is_file()
    );
    assert!(!block_on(d.network_is_active(&n)).unwrap());

    block_on(d.network_create(&n)).unwrap();
    assert!(block_on(d.network_is_active(&n)).unwrap());
    // The kernel's bridge: the network's MAC and address, STP on.
    let sysfs = |rel: &str| {
        std::fs::read_to_string(format!("/sys/class/net/{br}/{rel}"))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    assert_eq!(sysfs("address"), mac);
    assert_eq!(sysfs("bridge/stp_state"), "1");
    let addrs = sh("ip", &["-o", "-4", "addr", "show", "dev", &br]);
    assert!(
        addrs.contains(&format!("inet {net}.1/24 brd {net}.255")),
        "{addrs}"
    );
    // libvirt's rules: DHCP/DNS in, forwarding only for the network's own traffic, NAT.
    let rules = rules_with(&br).join("\n") + "\n" + &rules_with(&format!("{net}.0/24")).join("\n");
    for want in [
        format!("filter -A LIBVIRT_INP -i {br} -p udp -m udp --dport 67 -j ACCEPT"),
        format!("filter -A LIBVIRT_FWO -i {br} -j REJECT --reject-with icmp-port-unreachable"),
        format!("filter -A LIBVIRT_FWO -s {net}.0/24 -i {br} -j ACCEPT"),
        format!("filter -A LIBVIRT_FWX -i {br} -o {br} -j ACCEPT"),
        format!("nat -A LIBVIRT_PRT -s {net}.0/24 ! -d {net}.0/24 -j MASQUERADE"),
        format!(
            "nat -A LIBVIRT_PRT -s {net}.0/24 ! -d {net}.0/24 -p tcp -j MASQUERADE --to-ports 1024-65535"
        ),
    ] {
        assert!(rules.contains(&want), "{want} not in\n{rules}");
    }
    let pid_file = root.path().join(format!("run/network/{name}.pid"));
    let dnsmasq: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(Path::new(&format!("/proc/{dnsmasq}")).exists());
    assert_eq!(sh("cat", &["/proc/sys/net/ipv4/ip_forward"]).trim(), "1");

    // A restarted driver finds it running.
    drop(d);
    let d = open(root.path());
    let n = block_on(d.network_lookup_by_name(&name)).unwrap();
    assert!(block_on(d.network_is_active(&n)).unwrap());

    // A guest on it: a tap on the network's bridge, and the address dnsmasq leases it.
    let guest_mac = "52:54:00:aa:dd:01";
    let dom = block_on(d.domain_create_xml(
        &format!(
            "<domain type='qemu'><name>ng</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type><boot dev='network'/></os>\
             <features><acpi/></features><devices>\
             <interface type='network'><mac address='{guest_mac}'/><source network='{name}'/>\
             <model type='virtio'/></interface></devices></domain>"
        ),
        DomainCreateFlags::empty(),
    ))
    .unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    let source = live
        .split("<source network=")
        .nth(1)
        .unwrap()
        .split("/>")
        .next()
        .unwrap();
    assert!(source.starts_with(&format!("'{name}' portid='")), "{live}");
    assert!(source.ends_with(&format!("bridge='{br}'")), "{live}");
    // The interface holds a port of the network: its owner, MAC and plug, under the portid
    // the live XML shows.
    let ports = block_on(d.network_list_all_ports(&n, 0)).unwrap();
    assert_eq!(ports.len(), 1);
    let port_xml = block_on(d.network_port_get_xml_desc(&ports[0], 0)).unwrap();
    assert!(
        source.contains(&format!("portid='{}'", ports[0].uuid)),
        "{live}"
    );
    for want in [
        "<name>ng</name>".to_string(),
        format!("<mac address='{guest_mac}'/>"),
        format!("<plug type='network' bridge='{br}'/>"),
    ] {
        assert!(port_xml.contains(&want), "{want} not in {port_xml}");
    }
    // A port made through the API is plugged the same way, and goes when deleted.
    let made = block_on(d.network_port_create_xml(
        &n,
        "<networkport><uuid>11111111-2222-3333-4444-555555555555</uuid><owner><name>ext</name>\
         <uuid>66666666-2222-3333-4444-555555555555</uuid></owner>\
         <mac address='52:54:00:99:88:77'/></networkport>",
        0,
    ))
    .unwrap();
    assert!(
        block_on(d.network_port_get_xml_desc(&made, 0))
            .unwrap()
            .contains(&format!("<plug type='network' bridge='{br}'/>"))
    );
    assert_eq!(block_on(d.network_list_all_ports(&n, 0)).unwrap().len(), 2);
    // libvirt's live XML counts them; the inactive XML does not.
    let live_net = block_on(d.network_get_xml_desc(&n, 0)).unwrap();
    assert!(
        live_net.starts_with("<network connections='2'>"),
        "{live_net}"
    );
    let inactive_net = block_on(d.network_get_xml_desc(&n, 1)).unwrap();
    assert!(inactive_net.starts_with("<network>"), "{inactive_net}");
    block_on(d.network_port_delete(&made, 0)).unwrap();
    let e = block_on(d.network_port_delete(&made, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_NETWORK_PORT);
    let vnet = live
        .split("<target dev='")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    assert!(Path::new(&format!("/sys/class/net/{br}/brif/{vnet}")).exists());
    let mut leases = Vec::new();
    wait_until(Duration::from_secs(90), "the guest's DHCP lease", || {
        leases = block_on(d.network_get_dhcp_leases(&n, None, 0)).unwrap();
        !leases.is_empty()
    });
    let lease = &leases[0];
    assert_eq!(lease.mac.as_deref(), Some(guest_mac));
    assert_eq!((lease.iface.as_str(), lease.prefix), (br.as_str(), 24));
    let host: u32 = lease.ipaddr.rsplit('.').next().unwrap().parse().unwrap();
    assert!(lease.ipaddr.starts_with(&format!("{net}.")) && (10..=50).contains(&host));
    let by_lease =
        block_on(d.domain_interface_addresses(&dom, DomainInterfaceAddressesSource::LEASE, 0))
            .unwrap();
    assert_eq!(by_lease.len(), 1);
    assert_eq!(
        (by_lease[0].name.as_str(), by_lease[0].hwaddr.as_deref()),
        (vnet.as_str(), Some(guest_mac))
    );
    assert_eq!(by_lease[0].addrs[0].addr, lease.ipaddr);
    assert_eq!(by_lease[0].addrs[0].prefix, 24);

    // An interface plugged into the running guest takes a port too.
    block_on(d.domain_attach_device(
        &dom,
        &format!(
            "<interface type='network'><mac address='52:54:00:aa:dd:02'/>\
             <source network='{name}'/><model type='virtio'/></interface>"
        ),
    ))
    .unwrap();
    assert_eq!(block_on(d.network_list_all_ports(&n, 0)).unwrap().len(), 2);
    // The guest's end releases its ports; the network's end takes everything it made.
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    assert!(
        block_on(d.network_list_all_ports(&n, 0))
            .unwrap()
            .is_empty()
    );
    block_on(d.network_destroy(&n)).unwrap();
    assert!(!Path::new(&format!("/sys/class/net/{br}")).exists());
    assert!(rules_with(&br).is_empty(), "{:?}", rules_with(&br));
    assert!(rules_with(&format!("{net}.0/24")).is_empty());
    wait_until(Duration::from_secs(5), "dnsmasq to end", || {
        !Path::new(&format!("/proc/{dnsmasq}/exe")).exists()
    });
    let e = block_on(d.network_destroy(&n)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
    assert_eq!(
        e.message,
        format!("Requested operation is not valid: network '{name}' is not active")
    );
    block_on(d.network_undefine(&n)).unwrap();
    assert!(
        !root
            .path()
            .join(format!("etc/qemu/networks/{name}.xml"))
            .exists()
    );
    let e = block_on(d.network_lookup_by_name(&name)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_NETWORK);
}

#[test]
fn what_cannot_be_gets_libvirts_errors_and_leaves_nothing() {
    if !available() {
        return;
    }
    let pid = std::process::id() % 100_000;
    let root = Root::new();
    let d = open(root.path());
    let br = format!("rvnc{pid}");
    let name = format!("rvc{pid}");
    let _cleanup = HostCleanup {
        br: br.clone(),
        net: "10.249.".into(),
        pid_file: root.path().join(format!("run/network/{name}.pid")),
    };
    let n = block_on(d.network_define_xml(
        &format!("<network><name>{name}</name><bridge name='{br}'/></network>"),
        0,
    ))
    .unwrap();
    // A guest on a network that is not running, or not there.
    let guest = |net: &str| {
        format!(
            "<domain type='qemu'><name>nc</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <interface type='network'><source network='{net}'/></interface></devices></domain>"
        )
    };
    let e = block_on(d.domain_create_xml(&guest(&name), DomainCreateFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
    assert_eq!(
        e.message,
        format!("Requested operation is not valid: network '{name}' is not active")
    );
    let e =
        block_on(d.domain_create_xml(&guest("nosuch"), DomainCreateFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_NETWORK);
    // A second network may not take the first one's bridge; a bridge network has no <ip>.
    let e = block_on(d.network_define_xml(
        &format!("<network><name>other{pid}</name><bridge name='{br}'/></network>"),
        0,
    ))
    .unwrap_err();
    assert_eq!(
        e.message,
        format!("internal error: bridge name '{br}' already in use.")
    );
    let e = block_on(d.network_define_xml(
        "<network><name>hostbr</name><forward mode='bridge'/><bridge name='br-x'/>\
         <ip address='10.249.0.1' prefix='24'/></network>",
        0,
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    // A bridge that cannot be made (its name is an existing device's) fails the start and
    // leaves the network inactive, with no rules behind.
    let taken = block_on(d.network_define_xml(
        &format!("<network><name>lo{pid}</name><bridge name='lo'/></network>"),
        0,
    ))
    .unwrap();
    assert!(block_on(d.network_create(&taken)).is_err());
    assert!(!block_on(d.network_is_active(&taken)).unwrap());
    assert!(rules_with(" lo ").is_empty(), "{:?}", rules_with(" lo "));
    // A subnet the host already routes is refused before anything is made.
    let routes = std::fs::read_to_string("/proc/net/route").unwrap();
    let routed = routes.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let dest = u32::from_str_radix(f.get(1)?, 16).ok()?;
        let mask = u32::from_str_radix(f.get(7)?, 16).ok()?;
        let prefix = mask.count_ones();
        (mask != 0 && prefix <= 30).then(|| {
            let net = std::net::Ipv4Addr::from(dest.to_ne_bytes());
            let first = std::net::Ipv4Addr::from(u32::from(net) + 1);
            (f[0].to_string(), first, prefix)
        })
    });
    if let Some((iface, addr, prefix)) = routed {
        let busy = block_on(d.network_define_xml(
            &format!(
                "<network><name>busy{pid}</name><bridge name='rvnx{pid}'/>\
                 <ip address='{addr}' prefix='{prefix}'/></network>"
            ),
            0,
        ))
        .unwrap();
        let e = block_on(d.network_create(&busy)).unwrap_err();
        assert_eq!(
            e.message,
            format!("internal error: Network is already in use by interface {iface}")
        );
        assert!(!Path::new(&format!("/sys/class/net/rvnx{pid}")).exists());
    }
    // Transient networks cannot be undefined or autostarted.
    block_on(d.network_create(&n)).unwrap();
    block_on(d.network_undefine(&n)).unwrap();
    assert!(!block_on(d.network_is_persistent(&n)).unwrap());
    let e = block_on(d.network_set_autostart(&n, true)).unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: cannot set autostart for transient network"
    );
    let e = block_on(d.network_undefine(&n)).unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: can't undefine transient network"
    );
    // Its end removes it altogether.
    block_on(d.network_destroy(&n)).unwrap();
    assert_eq!(
        block_on(d.network_lookup_by_name(&name)).unwrap_err().code,
        ErrorNumber::NO_NETWORK
    );
    assert!(!Path::new(&format!("/sys/class/net/{br}")).exists());
}

/// A routed network: the routing rules (no NAT) and its static routes through a gateway on the
/// network, all gone when it stops.
#[test]
fn a_routed_network_carries_its_static_routes() {
    if !available() {
        return;
    }
    let pid = std::process::id() % 100_000;
    let (name, br) = (format!("rvr{pid}"), format!("rvrb{pid}"));
    let (net, far) = (
        format!("10.{}.{}", 100 + pid % 50, pid % 250),
        format!("10.{}.0.0", 60 + pid % 40),
    );
    let root = Root::new();
    let _cleanup = HostCleanup {
        br: br.clone(),
        net: format!("{net}.0/24"),
        pid_file: root.path().join(format!("run/network/{name}.pid")),
    };
    let d = open(root.path());
    let n = block_on(d.network_create_xml(
        &format!(
            "<network><name>{name}</name><forward mode='route'/><bridge name='{br}'/>\
             <ip address='{net}.1' prefix='24'/>\
             <route address='{far}' prefix='16' gateway='{net}.2'/></network>"
        ),
        0,
    ))
    .unwrap();
    let routes = sh("ip", &["route", "show", "dev", &br]);
    assert!(
        routes.contains(&format!("{far}/16 via {net}.2")),
        "{routes}"
    );
    let rules = rules_with(&br).join("\n");
    assert!(
        rules.contains(&format!(
            "filter -A LIBVIRT_FWI -d {net}.0/24 -o {br} -j ACCEPT"
        )),
        "{rules}"
    );
    assert!(
        rules_with(&format!("{net}.0/24"))
            .iter()
            .all(|r| !r.contains("MASQUERADE"))
    );
    block_on(d.network_destroy(&n)).unwrap();
    assert!(!sh("ip", &["route"]).contains(&far));
    assert!(rules_with(&br).is_empty());
}
