//! `list_all_domains` against an independent model: random domain sets in random states, every
//! one of the 2^16 combinations of the seven flag groups; and consistency while other threads change the list.

#![allow(clippy::unwrap_used)] // a test may stop at the first failure

use proptest::prelude::*;
use rvirt::blocking::{Connect, Domain};
use rvirt::flags::{ConnectListAllDomainsFlags as L, DomainCreateFlags, DomainSaveRestoreFlags};
use rvirt::snapshot_flags::DomainSnapshotCreateFlags;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the test itself knows about a domain it made.
#[derive(Clone, Debug)]
struct Model {
    name: String,
    active: bool,
    persistent: bool,
    /// 0 running, 1 paused, 2 shut off.
    state: u8,
    managed_save: bool,
    autostart: bool,
    snapshot: bool,
}

#[derive(Clone, Debug)]
struct Spec {
    persistent: bool,
    state: u8,
    managed_save: bool,
    autostart: bool,
    snapshot: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(persistent, state, managed_save, autostart, snapshot)| Spec {
                persistent,
                state,
                managed_save,
                autostart,
                snapshot,
            },
        )
}

fn xml(name: &str) -> String {
    format!(
        "<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    )
}

/// Makes a domain as `spec` says (within what is possible) and returns what it really is.
fn make(conn: &Connect, i: usize, s: &Spec) -> Model {
    let name = format!("p{i}");
    let dom: Domain = if s.persistent {
        let d = conn.define_xml(&xml(&name)).unwrap();
        if s.snapshot {
            d.snapshot_create_xml("<domainsnapshot/>", DomainSnapshotCreateFlags::empty())
                .unwrap();
        }
        d.set_autostart(s.autostart).unwrap();
        if s.state < 2 || s.managed_save {
            d.create().unwrap();
        }
        d
    } else {
        let d = conn
            .create_xml(&xml(&name), DomainCreateFlags::empty())
            .unwrap();
        if s.snapshot {
            d.snapshot_create_xml("<domainsnapshot/>", DomainSnapshotCreateFlags::empty())
                .unwrap();
        }
        d.set_autostart(s.autostart).unwrap();
        d
    };
    let mut state = s.state;
    let mut managed_save = false;
    if s.persistent && s.managed_save {
        dom.managed_save(DomainSaveRestoreFlags::empty()).unwrap();
        managed_save = true;
        state = 2;
    } else if !s.persistent && state == 2 {
        // A transient domain cannot be shut off and still exist.
        state = 0;
    }
    if state == 1 {
        dom.suspend().unwrap();
    }
    Model {
        name,
        active: state != 2,
        persistent: s.persistent,
        state,
        managed_save,
        autostart: s.autostart,
        snapshot: s.snapshot,
    }
}

/// The model's own reading of the flag groups, written independently of the driver's.
fn expected(models: &[Model], flags: u32) -> BTreeSet<String> {
    let pick = |yes: u32, no: u32, is: bool| -> bool {
        let g = flags & (yes | no);
        g == 0 || g & (if is { yes } else { no }) != 0
    };
    models
        .iter()
        .filter(|m| {
            let state_bit = [L::RUNNING, L::PAUSED, L::SHUTOFF][m.state as usize].bits();
            let states = flags & (L::RUNNING | L::PAUSED | L::SHUTOFF | L::OTHER).bits();
            pick(L::ACTIVE.bits(), L::INACTIVE.bits(), m.active)
                && pick(L::PERSISTENT.bits(), L::TRANSIENT.bits(), m.persistent)
                && (states == 0 || states & state_bit != 0)
                && pick(
                    L::MANAGEDSAVE.bits(),
                    L::NO_MANAGEDSAVE.bits(),
                    m.managed_save,
                )
                && pick(L::AUTOSTART.bits(), L::NO_AUTOSTART.bits(), m.autostart)
                && pick(L::HAS_SNAPSHOT.bits(), L::NO_SNAPSHOT.bits(), m.snapshot)
                // The model takes no checkpoints.
                && pick(L::HAS_CHECKPOINT.bits(), L::NO_CHECKPOINT.bits(), false)
        })
        .map(|m| m.name.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn list_all_domains_matches_the_model_for_every_flag_combination(specs in prop::collection::vec(spec(), 0..14)) {
        let conn = Connect::open("test:///default?private=1").unwrap();
        // The default machine's running, persistent `test` domain is part of the set.
        let mut models = vec![Model {
            name: "test".into(), active: true, persistent: true, state: 0,
            managed_save: false, autostart: false, snapshot: false,
        }];
        models.extend(specs.iter().enumerate().map(|(i, s)| make(&conn, i, s)));
        for flags in 0..(1u32 << 16) {
            let got: Vec<String> = conn
                .list_all_domains(L::from_bits_retain(flags))
                .unwrap()
                .iter()
                .map(|d| d.get_name().to_string())
                .collect();
            let got_set: BTreeSet<String> = got.iter().cloned().collect();
            prop_assert_eq!(got.len(), got_set.len(), "a domain listed twice for flags {:#x}", flags);
            prop_assert_eq!(got_set, expected(&models, flags), "flags {:#x}", flags);
        }
    }
}

#[test]
fn unknown_flags_are_refused() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let e = conn
        .list_all_domains(L::from_bits_retain(1 << 20))
        .unwrap_err();
    assert_eq!(e.code, rvirt::ErrorNumber::INVALID_ARG);
    assert_eq!(
        e.message,
        "unsupported flags (0x100000) in function testConnectListAllDomains"
    );
}

#[test]
fn listing_is_consistent_while_other_threads_change_the_list() {
    let conn = Connect::open("test:///default?private=1").unwrap();
    let stable: BTreeSet<String> = (0..50)
        .map(|i| {
            let n = format!("stable{i}");
            let d = conn.define_xml(&xml(&n)).unwrap();
            if i % 2 == 0 {
                d.create().unwrap();
            }
            n
        })
        .chain(std::iter::once("test".to_string()))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    // Churn: domains that come and go, by define/undefine and createXML/destroy.
    for t in 0..2 {
        let (conn, stop) = (conn.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let name = format!("churn{t}-{n}");
                if n % 2 == 0 {
                    let d = conn.define_xml(&xml(&name)).unwrap();
                    d.create().unwrap();
                    d.destroy().unwrap();
                    d.undefine().unwrap();
                } else {
                    let d = conn
                        .create_xml(&xml(&name), DomainCreateFlags::empty())
                        .unwrap();
                    d.destroy().unwrap();
                }
                n += 1;
            }
            n
        }));
    }
    // State changes of the stable domains themselves.
    {
        let (conn, stop) = (conn.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let d = conn.lookup_by_name(&format!("stable{}", n % 50)).unwrap();
                if d.is_active().unwrap() {
                    d.destroy().unwrap();
                } else {
                    d.create().unwrap();
                }
                n += 1;
            }
            n
        }));
    }
    let mut listings = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    while std::time::Instant::now() < deadline {
        let names: Vec<String> = conn
            .list_all_domains(L::empty())
            .unwrap()
            .iter()
            .map(|d| d.get_name().to_string())
            .collect();
        let set: BTreeSet<String> = names.iter().cloned().collect();
        assert_eq!(set.len(), names.len(), "a domain was listed twice");
        assert!(
            stable.is_subset(&set),
            "a domain that existed throughout was missed"
        );
        listings += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let changes: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(
        listings > 10 && changes > 100,
        "too little happened: {listings} listings, {changes} changes"
    );
}
