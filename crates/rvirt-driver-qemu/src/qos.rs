//! Interface bandwidth (`<bandwidth>`) on a guest's host device, set with `tc` as libvirt sets
//! it: what the guest receives (the tap device's egress) through an HTB class with an SFQ
//! queue, what it sends (the tap's ingress) policed by a filter. A macvtap device sees the
//! guest's traffic the other way round.

use crate::FROM;
use rvirt_conf::domain::NetDef;
use rvirt_types::{Error, ErrorNumber, Result};

/// One direction of `<bandwidth>`: average, peak, burst (kbps, kbps, KiB).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Rate {
    average: u64,
    peak: u64,
    burst: u64,
}

fn rate(net: &NetDef, dir: &str) -> Option<Rate> {
    let el = net
        .extra
        .iter()
        .find(|e| e.name == "bandwidth")?
        .child(dir)?;
    let get = |a: &str| {
        el.attr(a)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(Rate {
        average: get("average"),
        peak: get("peak"),
        burst: get("burst"),
    })
}

/// The `tc` binary.
fn tc() -> &'static str {
    ["/usr/sbin/tc", "/sbin/tc"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("tc")
}

fn run(args: &[&str]) -> Result<()> {
    let out = crate::util::host_command(tc())
        .args(args)
        .output()
        .map_err(|e| Error::system(FROM, format!("Cannot run {}", tc()), &e))?;
    if out.status.success() {
        return Ok(());
    }
    // Worded as libvirt's virCommandRun words a failed child (no error domain of its own).
    Err(Error::with_detail(
        rvirt_types::ErrorDomain::NONE,
        ErrorNumber::INTERNAL_ERROR,
        format!(
            "Child process (tc {}) unexpected exit status {}: {}",
            args.join(" "),
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// Removes any bandwidth setting from `ifname` (errors ignored: there may be none).
pub(crate) fn clear(ifname: &str) {
    for which in ["root", "ingress"] {
        let _ = crate::util::host_command(tc())
            .args(["qdisc", "del", "dev", ifname, which])
            .output();
    }
}

/// Whether an interface of this type can have bandwidth set (libvirt's
/// `virNetDevSupportsBandwidth`).
pub(crate) fn supported(net: &NetDef) -> bool {
    matches!(
        net.net_type.as_str(),
        "bridge" | "network" | "direct" | "ethernet"
    )
}

/// Sets the `<bandwidth>` of `net` on its host device `ifname`, replacing what was there.
pub(crate) fn set(ifname: &str, net: &NetDef) -> Result<()> {
    let (inbound, outbound) = (rate(net, "inbound"), rate(net, "outbound"));
    if inbound.is_none() && outbound.is_none() {
        clear(ifname);
        return Ok(());
    }
    // What the guest receives leaves a tap device (its egress); a macvtap device shares the
    // host's view.
    let (to_guest, from_guest) = if net.plugged_type() == "direct" {
        (outbound, inbound)
    } else {
        (inbound, outbound)
    };
    clear(ifname);
    if let Some(r) = to_guest.filter(|r| r.average != 0) {
        let average = format!("{}kbps", r.average);
        run(&[
            "qdisc", "add", "dev", ifname, "root", "handle", "1:", "htb", "default", "1",
        ])?;
        let mut class: Vec<String> = [
            "class", "add", "dev", ifname, "parent", "1:", "classid", "1:1", "htb", "rate",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        class.push(average);
        if r.peak != 0 {
            class.extend(["ceil".into(), format!("{}kbps", r.peak)]);
        }
        if r.burst != 0 {
            class.extend(["burst".into(), format!("{}kb", r.burst)]);
        }
        // HTB's quantum: about one MTU's worth of the class's rate.
        let quantum = (r.average * 1024 / 8 / 1500).max(1);
        class.extend(["quantum".into(), quantum.to_string()]);
        run(&class.iter().map(String::as_str).collect::<Vec<_>>())?;
        run(&[
            "qdisc", "add", "dev", ifname, "parent", "1:1", "handle", "2:", "sfq", "perturb", "10",
        ])?;
        run(&[
            "filter", "add", "dev", ifname, "parent", "1:0", "protocol", "all", "prio", "1",
            "handle", "1", "fw", "flowid", "1",
        ])?;
    }
    if let Some(r) = from_guest {
        let average = format!("{}kbps", r.average);
        // tc keeps a burst in bytes as an unsigned int: the default stays below that.
        let burst = if r.burst != 0 {
            format!("{}kb", r.burst)
        } else {
            format!("{}kb", r.average.min(u64::from(u32::MAX) / 1024))
        };
        run(&["qdisc", "add", "dev", ifname, "ingress"])?;
        run(&[
            "filter", "add", "dev", ifname, "parent", "ffff:", "protocol", "all", "u32", "match",
            "u32", "0", "0", "police", "rate", &average, "burst", &burst, "mtu", "64kb", "drop",
            "flowid", ":1",
        ])?;
    }
    Ok(())
}
