//! `virDomainSendKey`'s bound on the number of keys, which python3-libvirt checks before
//! libvirt does (so the oracle scenario cannot hold it): 16 keys go, the 17th is refused.

#![allow(clippy::unwrap_used)] // a test may stop at the first failure

use rvirt::ErrorNumber;
use rvirt::blocking::Connect;
use rvirt::flags::{KeycodeSet, SEND_KEY_MAX_KEYS};

#[test]
fn at_most_sixteen_keys_go_in_one_call() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let dom = conn.lookup_by_name("test").unwrap();
    let linux = KeycodeSet::LINUX.0 as u32;
    let keys: Vec<u32> = (1..=SEND_KEY_MAX_KEYS as u32 + 1).collect();
    dom.send_key(linux, 0, &keys[..SEND_KEY_MAX_KEYS], 0)
        .unwrap();
    let e = dom.send_key(linux, 0, &keys, 0).unwrap_err();
    assert_eq!(e.code, ErrorNumber::INVALID_ARG);
    assert_eq!(e.message, "nkeycodes must be <= 16");
}
