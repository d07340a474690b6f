//! The derive, proved against libvirt structures and against bytes produced by Python's `xdrlib`.

use crate::{
    BoundedOpaque, BoundedVec, CharArray, RemoteNonnullString, RemoteString, XdrDecode, XdrEncode,
    XdrError, decode_all, to_bytes,
};
use proptest::prelude::*;

type Uuid = [u8; 16];

#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct RemoteNonnullDomain {
    name: RemoteNonnullString,
    uuid: Uuid,
    id: i32,
}

#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct RemoteNonnullNetwork {
    name: RemoteNonnullString,
    uuid: Uuid,
}

#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct RemoteError {
    code: i32,
    domain: i32,
    message: RemoteString,
    level: i32,
    dom: Option<RemoteNonnullDomain>,
    str1: RemoteString,
    str2: RemoteString,
    str3: RemoteString,
    int1: i32,
    int2: i32,
    net: Option<RemoteNonnullNetwork>,
}

#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct RemoteDomainGetInfoRet {
    state: u8,
    max_mem: u64,
    memory: u64,
    nr_virt_cpu: u16,
    cpu_time: u64,
}

#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct RemoteNodeGetInfoRet {
    model: CharArray<32>,
    memory: u64,
    cpus: i32,
    mhz: i32,
    nodes: i32,
    sockets: i32,
    cores: i32,
    threads: i32,
}

const VIR_NET_REPLY: i32 = 1;

/// `virNetMessageType`, numbered three ways: by attribute, by constant, implicitly.
#[derive(Clone, Copy, Debug, PartialEq, XdrEncode, XdrDecode)]
enum MessageType {
    #[xdr(discriminant = 0)]
    Call,
    #[xdr(discriminant = VIR_NET_REPLY)]
    Reply,
    Message,
    Stream = 3,
    CallWithFds = 4,
    ReplyWithFds,
}

/// A union with a void arm and a struct arm.
#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
enum Shape {
    #[xdr(discriminant = 0)]
    Nothing,
    #[xdr(discriminant = 2)]
    Point { x: i32, y: i32 },
    #[xdr(discriminant = -1)]
    Named(RemoteNonnullString, bool),
}

#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct Pair<T>(T, T);

#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct Void;

fn name(s: &str) -> RemoteNonnullString {
    RemoteNonnullString::try_from(s).unwrap_or_default()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| s.get(i..i + 2))
        .filter_map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

fn sample_domain() -> RemoteNonnullDomain {
    let mut uuid = [0; 16];
    for (i, b) in uuid.iter_mut().enumerate() {
        *b = i as u8;
    }
    RemoteNonnullDomain {
        name: name("vm1"),
        uuid,
        id: -1,
    }
}

#[test]
fn nonnull_domain_exact_bytes() {
    let mut expected = vec![0, 0, 0, 3, b'v', b'm', b'1', 0];
    expected.extend(0..16u8);
    expected.extend([0xff; 4]);
    assert_eq!(to_bytes(&sample_domain()), expected);
    assert_eq!(decode_all(&expected), Ok(sample_domain()));
}

#[test]
fn remote_error_matches_xdrlib() {
    // Packed by Python's xdrlib, field by field.
    let bytes = hex(concat!(
        "0000002a0000000a0000000100000010446f6d61696e206e6f7420666f756e6400000002",
        "0000000100000003766d3100000102030405060708090a0b0c0d0e0fffffffff00000000",
        "0000000100000001780000000000000000000000ffffffff00000000",
    ));
    let err = RemoteError {
        code: 42,
        domain: 10,
        message: Some(name("Domain not found")),
        level: 2,
        dom: Some(sample_domain()),
        str1: None,
        str2: Some(name("x")),
        str3: None,
        int1: 0,
        int2: -1,
        net: None,
    };
    assert_eq!(to_bytes(&err), bytes);
    assert_eq!(decode_all(&bytes), Ok(err));
    for cut in 0..bytes.len() {
        assert!(decode_all::<RemoteError>(&bytes[..cut]).is_err());
    }
}

#[test]
fn domain_get_info_ret_matches_xdrlib() {
    let bytes = hex("00000001000000000010000000000000000800000000000200000000075bcd15");
    let info = RemoteDomainGetInfoRet {
        state: 1,
        max_mem: 1_048_576,
        memory: 524_288,
        nr_virt_cpu: 2,
        cpu_time: 123_456_789,
    };
    assert_eq!(to_bytes(&info), bytes);
    assert_eq!(decode_all(&bytes), Ok(info));
    assert_eq!(hex("3fd0000000000000"), to_bytes(&0.25f64));
}

#[test]
fn node_get_info_ret_model_is_128_bytes() {
    let info = RemoteNodeGetInfoRet {
        model: CharArray::new(b"x86_64").unwrap_or_default(),
        memory: 1,
        cpus: 2,
        mhz: 3,
        nodes: 4,
        sockets: 5,
        cores: 6,
        threads: 7,
    };
    let bytes = to_bytes(&info);
    assert_eq!(bytes.len(), 32 * 4 + 8 + 6 * 4);
    assert_eq!(&bytes[..8], &[0, 0, 0, b'x', 0, 0, 0, b'8']);
    assert_eq!(decode_all(&bytes), Ok(info));
}

#[test]
fn unit_enum_is_an_int() {
    let cases: [(MessageType, i32); 6] = [
        (MessageType::Call, 0),
        (MessageType::Reply, 1),
        (MessageType::Message, 2),
        (MessageType::Stream, 3),
        (MessageType::CallWithFds, 4),
        (MessageType::ReplyWithFds, 5),
    ];
    for (v, n) in cases {
        assert_eq!(to_bytes(&v), to_bytes(&n));
        assert_eq!(decode_all(&to_bytes(&n)), Ok(v));
    }
    assert_eq!(
        decode_all::<MessageType>(&[0, 0, 0, 6]),
        Err(XdrError::InvalidDiscriminant {
            pos: 0,
            ty: "MessageType",
            value: 6
        })
    );
}

#[test]
fn union_arms() {
    assert_eq!(to_bytes(&Shape::Nothing), [0, 0, 0, 0]);
    let p = Shape::Point { x: 1, y: -1 };
    let bytes = [0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(to_bytes(&p), bytes);
    assert_eq!(decode_all(&bytes), Ok(p));
    let n = Shape::Named(name("a"), true);
    let bytes = [
        0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, b'a', 0, 0, 0, 0, 0, 0, 1,
    ];
    assert_eq!(to_bytes(&n), bytes);
    assert_eq!(decode_all(&bytes), Ok(n));
    assert_eq!(
        decode_all::<Shape>(&[0, 0, 0, 1]),
        Err(XdrError::InvalidDiscriminant {
            pos: 0,
            ty: "Shape",
            value: 1
        })
    );
}

#[test]
fn generic_tuple_and_unit_structs() {
    let p = Pair(Some(1u32), None);
    let bytes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0];
    assert_eq!(to_bytes(&p), bytes);
    assert_eq!(decode_all(&bytes), Ok(p));
    assert_eq!(to_bytes(&Void), [0u8; 0]);
    assert_eq!(decode_all(&[]), Ok(Void));
}

#[test]
fn encode_appends_to_a_reused_buffer() {
    let mut out = vec![9];
    sample_domain().encode(&mut out);
    out.truncate(1);
    Shape::Nothing.encode(&mut out);
    assert_eq!(out, [9, 0, 0, 0, 0]);
}

/// A struct touching every kind of field, for the property test.
#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
struct Everything {
    a: i32,
    b: u64,
    c: bool,
    d: RemoteNonnullString,
    e: Option<RemoteNonnullString>,
    f: BoundedOpaque<64>,
    g: BoundedVec<Shape, 8>,
    h: [u8; 3],
    i: MessageType,
    j: u8,
    k: f64,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Nothing),
        (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Shape::Point { x, y }),
        (".{0,8}", any::<bool>()).prop_map(|(s, b)| Shape::Named(name(&s), b)),
    ]
}

fn message_type() -> impl Strategy<Value = MessageType> {
    prop_oneof![
        Just(MessageType::Call),
        Just(MessageType::Reply),
        Just(MessageType::Message),
        Just(MessageType::Stream),
        Just(MessageType::CallWithFds),
        Just(MessageType::ReplyWithFds),
    ]
}

prop_compose! {
    fn everything()(
        a: i32, b: u64, c: bool,
        d in ".{0,40}",
        e in proptest::option::of(".{0,10}"),
        f in proptest::collection::vec(any::<u8>(), 0..=64),
        g in proptest::collection::vec(shape(), 0..=8),
        h: [u8; 3],
        i in message_type(),
        j: u8,
        k in -1e300f64..1e300,
    ) -> Everything {
        Everything {
            a, b, c,
            d: name(&d),
            e: e.as_deref().map(name),
            f: BoundedOpaque::new(f).unwrap_or_default(),
            g: BoundedVec::new(g).unwrap_or_default(),
            h, i, j, k,
        }
    }
}

proptest! {
    #[test]
    fn everything_round_trips(v in everything()) {
        let bytes = to_bytes(&v);
        prop_assert_eq!(bytes.len() % 4, 0);
        prop_assert_eq!(decode_all::<Everything>(&bytes), Ok(v));
        // Any strict prefix fails cleanly; so does an extra word.
        let cut = bytes.len() / 2;
        prop_assert!(decode_all::<Everything>(&bytes[..cut]).is_err());
        let mut longer = bytes.clone();
        longer.extend([0; 4]);
        let is_trailing = matches!(
            decode_all::<Everything>(&longer),
            Err(XdrError::TrailingBytes { .. })
        );
        prop_assert!(is_trailing);
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_all::<Everything>(&bytes);
        let _ = decode_all::<RemoteError>(&bytes);
    }
}

/// An enum with no variants derives too; nothing decodes as it.
#[derive(Debug, PartialEq, XdrEncode, XdrDecode)]
enum Never {}

#[test]
fn empty_enum_decodes_nothing() {
    assert!(matches!(
        decode_all::<Never>(&[0, 0, 0, 0]),
        Err(XdrError::InvalidDiscriminant { value: 0, .. })
    ));
}
