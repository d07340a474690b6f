//! Conversions between rvirt's records and their wire structures, used in both directions: the
//! daemon puts records on the wire, the remote driver takes them off.

use crate::error::wire_string;
use crate::remote::types::*;
use rvirt_types::domain::{DomainMemoryStatTags, DomainState, IPAddrType};
use rvirt_types::records::*;
use rvirt_types::{TypedParam, TypedParamValue};
use rvirt_xdr::{
    BoundedVec, CharArray, RemoteNonnullString, RemoteTypedParam, RemoteTypedParamValue,
};

/// A list for the wire, cut to the protocol's limit for it. Callers check counts that a client
/// chose; what a driver returns is bounded by the driver's own limits, which are lower.
pub fn bounded<T, const MAX: u32>(items: impl IntoIterator<Item = T>) -> BoundedVec<T, MAX> {
    let mut v: Vec<T> = items.into_iter().collect();
    v.truncate(MAX as usize);
    BoundedVec::new(v).unwrap_or_default()
}

/// A C string for a `char x<MAX>` field: its bytes and the terminating NUL, as libvirt sends them.
pub fn c_chars<const MAX: u32>(s: &str) -> BoundedVec<i8, MAX> {
    let bytes = s.as_bytes();
    let keep = bytes.len().min(MAX as usize - 1);
    bounded(
        bytes[..keep]
            .iter()
            .map(|&b| i8::from_ne_bytes([b]))
            .chain(std::iter::once(0)),
    )
}

/// The text of a `char x<MAX>` field: the bytes before the first NUL.
pub fn c_string<const MAX: u32>(chars: &BoundedVec<i8, MAX>) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .map(|c| c.to_ne_bytes()[0])
        .take_while(|&b| b != 0)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A typed parameter for the wire.
pub fn typed_param_to_wire(p: &TypedParam) -> RemoteTypedParam {
    let value = match &p.value {
        TypedParamValue::Int(v) => RemoteTypedParamValue::Int(*v),
        TypedParamValue::UInt(v) => RemoteTypedParamValue::UInt(*v),
        TypedParamValue::LLong(v) => RemoteTypedParamValue::LLong(*v),
        TypedParamValue::ULLong(v) => RemoteTypedParamValue::ULLong(*v),
        TypedParamValue::Double(v) => RemoteTypedParamValue::Double(*v),
        TypedParamValue::Boolean(v) => RemoteTypedParamValue::Boolean(*v),
        TypedParamValue::String(v) => RemoteTypedParamValue::String(wire_string(v)),
    };
    RemoteTypedParam {
        field: wire_string(&p.field),
        value,
    }
}

/// A typed parameter from the wire.
pub fn typed_param_from_wire(p: RemoteTypedParam) -> TypedParam {
    let value = match p.value {
        RemoteTypedParamValue::Int(v) => TypedParamValue::Int(v),
        RemoteTypedParamValue::UInt(v) => TypedParamValue::UInt(v),
        RemoteTypedParamValue::LLong(v) => TypedParamValue::LLong(v),
        RemoteTypedParamValue::ULLong(v) => TypedParamValue::ULLong(v),
        RemoteTypedParamValue::Double(v) => TypedParamValue::Double(v),
        RemoteTypedParamValue::Boolean(v) => TypedParamValue::Boolean(v),
        RemoteTypedParamValue::String(v) => TypedParamValue::String(v.into_inner()),
    };
    TypedParam {
        field: p.field.into_inner(),
        value,
    }
}

impl From<&DomainInfo> for DomainGetInfoRet {
    fn from(i: &DomainInfo) -> Self {
        DomainGetInfoRet {
            // The wire narrows these as libvirt's C struct does.
            state: i.state.0 as u8,
            max_mem: i.max_mem,
            memory: i.memory,
            nr_virt_cpu: i.nr_virt_cpu as u16,
            cpu_time: i.cpu_time,
        }
    }
}

impl From<DomainGetInfoRet> for DomainInfo {
    fn from(r: DomainGetInfoRet) -> Self {
        DomainInfo {
            state: DomainState(i32::from(r.state)),
            max_mem: r.max_mem,
            memory: r.memory,
            nr_virt_cpu: u32::from(r.nr_virt_cpu),
            cpu_time: r.cpu_time,
        }
    }
}

impl From<&NodeInfo> for NodeGetInfoRet {
    fn from(n: &NodeInfo) -> Self {
        let model = n.model.as_bytes();
        NodeGetInfoRet {
            model: CharArray::new(&model[..model.len().min(31)]).unwrap_or_default(),
            memory: n.memory,
            cpus: n.cpus as i32,
            mhz: n.mhz as i32,
            nodes: n.nodes as i32,
            sockets: n.sockets as i32,
            cores: n.cores as i32,
            threads: n.threads as i32,
        }
    }
}

impl From<NodeGetInfoRet> for NodeInfo {
    fn from(r: NodeGetInfoRet) -> Self {
        NodeInfo {
            model: String::from_utf8_lossy(r.model.text()).into_owned(),
            memory: r.memory,
            cpus: r.cpus as u32,
            mhz: r.mhz as u32,
            nodes: r.nodes as u32,
            sockets: r.sockets as u32,
            cores: r.cores as u32,
            threads: r.threads as u32,
        }
    }
}

impl From<&DomainBlockStats> for DomainBlockStatsRet {
    fn from(s: &DomainBlockStats) -> Self {
        DomainBlockStatsRet {
            rd_req: s.rd_req,
            rd_bytes: s.rd_bytes,
            wr_req: s.wr_req,
            wr_bytes: s.wr_bytes,
            errs: s.errs,
        }
    }
}

impl From<DomainBlockStatsRet> for DomainBlockStats {
    fn from(s: DomainBlockStatsRet) -> Self {
        DomainBlockStats {
            rd_req: s.rd_req,
            rd_bytes: s.rd_bytes,
            wr_req: s.wr_req,
            wr_bytes: s.wr_bytes,
            errs: s.errs,
        }
    }
}

impl From<&DomainJobInfo> for DomainGetJobInfoRet {
    fn from(s: &DomainJobInfo) -> Self {
        DomainGetJobInfoRet {
            r#type: s.job_type,
            time_elapsed: s.time_elapsed,
            time_remaining: s.time_remaining,
            data_total: s.data_total,
            data_processed: s.data_processed,
            data_remaining: s.data_remaining,
            mem_total: s.mem_total,
            mem_processed: s.mem_processed,
            mem_remaining: s.mem_remaining,
            file_total: s.file_total,
            file_processed: s.file_processed,
            file_remaining: s.file_remaining,
        }
    }
}

impl From<DomainGetJobInfoRet> for DomainJobInfo {
    fn from(s: DomainGetJobInfoRet) -> Self {
        DomainJobInfo {
            job_type: s.r#type,
            time_elapsed: s.time_elapsed,
            time_remaining: s.time_remaining,
            data_total: s.data_total,
            data_processed: s.data_processed,
            data_remaining: s.data_remaining,
            mem_total: s.mem_total,
            mem_processed: s.mem_processed,
            mem_remaining: s.mem_remaining,
            file_total: s.file_total,
            file_processed: s.file_processed,
            file_remaining: s.file_remaining,
        }
    }
}

impl From<&DomainInterfaceStats> for DomainInterfaceStatsRet {
    fn from(s: &DomainInterfaceStats) -> Self {
        DomainInterfaceStatsRet {
            rx_bytes: s.rx_bytes,
            rx_packets: s.rx_packets,
            rx_errs: s.rx_errs,
            rx_drop: s.rx_drop,
            tx_bytes: s.tx_bytes,
            tx_packets: s.tx_packets,
            tx_errs: s.tx_errs,
            tx_drop: s.tx_drop,
        }
    }
}

impl From<DomainInterfaceStatsRet> for DomainInterfaceStats {
    fn from(s: DomainInterfaceStatsRet) -> Self {
        DomainInterfaceStats {
            rx_bytes: s.rx_bytes,
            rx_packets: s.rx_packets,
            rx_errs: s.rx_errs,
            rx_drop: s.rx_drop,
            tx_bytes: s.tx_bytes,
            tx_packets: s.tx_packets,
            tx_errs: s.tx_errs,
            tx_drop: s.tx_drop,
        }
    }
}

impl From<&rvirt_types::records::DomainMemoryStat> for crate::remote::types::DomainMemoryStat {
    fn from(s: &rvirt_types::records::DomainMemoryStat) -> Self {
        crate::remote::types::DomainMemoryStat {
            tag: s.tag.0,
            val: s.val,
        }
    }
}

impl From<crate::remote::types::DomainMemoryStat> for rvirt_types::records::DomainMemoryStat {
    fn from(s: crate::remote::types::DomainMemoryStat) -> Self {
        rvirt_types::records::DomainMemoryStat {
            tag: DomainMemoryStatTags(s.tag),
            val: s.val,
        }
    }
}

impl From<&NodeStat> for NodeGetCpuStats {
    fn from(s: &NodeStat) -> Self {
        NodeGetCpuStats {
            field: wire_string(&s.field),
            value: s.value,
        }
    }
}

impl From<&NodeStat> for NodeGetMemoryStats {
    fn from(s: &NodeStat) -> Self {
        NodeGetMemoryStats {
            field: wire_string(&s.field),
            value: s.value,
        }
    }
}

impl From<NodeGetCpuStats> for NodeStat {
    fn from(s: NodeGetCpuStats) -> Self {
        NodeStat {
            field: s.field.into_inner(),
            value: s.value,
        }
    }
}

impl From<NodeGetMemoryStats> for NodeStat {
    fn from(s: NodeGetMemoryStats) -> Self {
        NodeStat {
            field: s.field.into_inner(),
            value: s.value,
        }
    }
}

impl From<&SecurityModel> for NodeGetSecurityModelRet {
    fn from(m: &SecurityModel) -> Self {
        NodeGetSecurityModelRet {
            model: c_chars(&m.model),
            doi: c_chars(&m.doi),
        }
    }
}

impl From<NodeGetSecurityModelRet> for SecurityModel {
    fn from(r: NodeGetSecurityModelRet) -> Self {
        SecurityModel {
            model: c_string(&r.model),
            doi: c_string(&r.doi),
        }
    }
}

impl From<&SecurityLabel> for DomainGetSecurityLabelRet {
    fn from(l: &SecurityLabel) -> Self {
        DomainGetSecurityLabelRet {
            label: c_chars(&l.label),
            enforcing: i32::from(l.enforcing),
        }
    }
}

impl From<DomainGetSecurityLabelRet> for SecurityLabel {
    fn from(r: DomainGetSecurityLabelRet) -> Self {
        SecurityLabel {
            label: c_string(&r.label),
            enforcing: r.enforcing != 0,
        }
    }
}

impl From<&DomainTime> for DomainGetTimeRet {
    fn from(t: &DomainTime) -> Self {
        DomainGetTimeRet {
            seconds: t.seconds,
            nseconds: t.nseconds,
        }
    }
}

impl From<DomainGetTimeRet> for DomainTime {
    fn from(t: DomainGetTimeRet) -> Self {
        DomainTime {
            seconds: t.seconds,
            nseconds: t.nseconds,
        }
    }
}

impl From<&rvirt_types::records::DomainInterface> for crate::remote::types::DomainInterface {
    fn from(i: &rvirt_types::records::DomainInterface) -> Self {
        crate::remote::types::DomainInterface {
            name: nonnull(&i.name),
            hwaddr: i.hwaddr.as_deref().map(nonnull),
            addrs: bounded(i.addrs.iter().map(|a| DomainIpAddr {
                r#type: a.addr_type.0,
                addr: nonnull(&a.addr),
                prefix: a.prefix,
            })),
        }
    }
}

impl From<crate::remote::types::DomainInterface> for rvirt_types::records::DomainInterface {
    fn from(i: crate::remote::types::DomainInterface) -> Self {
        rvirt_types::records::DomainInterface {
            name: i.name.into_inner(),
            hwaddr: i.hwaddr.map(RemoteNonnullString::into_inner),
            addrs: i
                .addrs
                .into_inner()
                .into_iter()
                .map(|a| DomainIPAddress {
                    addr_type: IPAddrType(a.r#type),
                    addr: a.addr.into_inner(),
                    prefix: a.prefix,
                })
                .collect(),
        }
    }
}

/// A string for a `remote_nonnull_string` field.
pub fn nonnull(s: &str) -> RemoteNonnullString {
    wire_string(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_strings_carry_their_nul() {
        let w: BoundedVec<i8, 257> = c_chars("none");
        assert_eq!(w.len(), 5);
        assert_eq!(w[4], 0);
        assert_eq!(c_string(&w), "none");
        let long: BoundedVec<i8, 4> = c_chars("abcdef");
        assert_eq!(c_string(&long), "abc");
    }

    #[test]
    fn records_round_trip() {
        let info = DomainInfo {
            state: DomainState::RUNNING,
            max_mem: 8_388_608,
            memory: 2_097_152,
            nr_virt_cpu: 2,
            cpu_time: 12345,
        };
        assert_eq!(DomainInfo::from(DomainGetInfoRet::from(&info)), info);
        let iface = rvirt_types::records::DomainInterface {
            name: "testnet0".into(),
            hwaddr: Some("aa:bb:cc:dd:ee:ff".into()),
            addrs: vec![DomainIPAddress {
                addr_type: IPAddrType::IPV6,
                addr: "2001:db8::2".into(),
                prefix: 64,
            }],
        };
        assert_eq!(
            rvirt_types::records::DomainInterface::from(
                crate::remote::types::DomainInterface::from(&iface)
            ),
            iface
        );
        let node = NodeInfo {
            model: "i686".into(),
            memory: 3_145_728,
            cpus: 16,
            mhz: 1400,
            nodes: 2,
            sockets: 2,
            cores: 2,
            threads: 2,
        };
        assert_eq!(NodeInfo::from(NodeGetInfoRet::from(&node)), node);
        for v in [
            TypedParamValue::Int(-1),
            TypedParamValue::ULLong(7),
            TypedParamValue::String("x".into()),
            TypedParamValue::Boolean(true),
        ] {
            let p = TypedParam::new("f", v);
            assert_eq!(typed_param_from_wire(typed_param_to_wire(&p)), p);
        }
    }
}
