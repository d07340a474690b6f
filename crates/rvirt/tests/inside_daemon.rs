//! In a daemon (`rvirt::set_inside_daemon`), local hypervisor URIs never go to the remote
//! driver, so a daemon cannot connect to its own socket; URIs that name a socket still do. Its
//! own test binary: the setting is process-wide.

#![allow(clippy::unwrap_used)]

use rvirt::ErrorNumber;
use rvirt::blocking::Connect;
use rvirt_testsupport::Libvirtd;

#[test]
fn a_daemon_declines_local_uris_it_has_no_driver_for() {
    rvirt::set_inside_daemon(true);
    let e = Connect::open("lxc:///system").unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_CONNECT);
    assert_eq!(
        e.message,
        "no connection driver available for lxc:///system"
    );
    assert!(Connect::open("test:///default").is_ok());
    let d = Libvirtd::start();
    let c = Connect::open(&d.remote_uri("test:///default")).unwrap();
    assert_eq!(c.get_type().unwrap(), "TEST");
}
