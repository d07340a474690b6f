//! Runs every example of `examples/` against `test:///default` and checks what it prints. The
//! examples are compiled in here as modules, so the test calls their `run` directly.

#![allow(clippy::unwrap_used)] // a test may stop at the first failure

#[allow(dead_code)]
#[path = "../examples/domain_info.rs"]
mod domain_info;
#[allow(dead_code)]
#[path = "../examples/events.rs"]
mod events;
#[allow(dead_code)]
#[path = "../examples/lifecycle.rs"]
mod lifecycle;
#[allow(dead_code)]
#[path = "../examples/listing.rs"]
mod listing;
#[allow(dead_code)]
#[path = "../examples/save_restore.rs"]
mod save_restore;
#[allow(dead_code)]
#[path = "../examples/snapshots.rs"]
mod snapshots;

use std::io::Write;

const URI: &str = "test:///default";

type RunResult = Result<(), Box<dyn std::error::Error>>;

/// libvirt's test:///default is one machine per process while any connection to it is open:
/// examples that share it must take turns.
static MACHINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What an example printed; panics with its error if it failed.
fn output(run: impl FnOnce(&mut dyn Write) -> RunResult) -> String {
    let _turn = MACHINE.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::new();
    if let Err(e) = run(&mut out) {
        panic!(
            "example failed: {e}\noutput so far:\n{}",
            String::from_utf8_lossy(&out)
        );
    }
    String::from_utf8(out).unwrap()
}

/// Asserts that `lines` appear in `text` in this order.
fn assert_in_order(text: &str, lines: &[&str]) {
    let mut rest = text;
    for line in lines {
        match rest.find(line) {
            Some(i) => rest = &rest[i + line.len()..],
            None => panic!("{line:?} missing (or out of order) in:\n{text}"),
        }
    }
}

#[test]
fn listing_prints_the_default_machine() {
    let out = output(|o| listing::run(URI, o));
    assert_in_order(
        &out,
        &[
            "Active domain IDs:\n  1\n",
            "All (active and inactive) domain names:\n  test\n",
            "Running domains (listAllDomains, flags 0x10):\n  test\n",
            "Persistent inactive domains (listAllDomains, flags 0x6):\n  None\n",
            "Transient domains (listAllDomains, flags 0x8):\n  None\n",
        ],
    );
}

#[test]
fn domain_info_describes_the_test_domain() {
    let out = output(|o| domain_info::run(URI, "test", o));
    assert_in_order(
        &out,
        &[
            "The ID of the domain is 1\n",
            "The UUID of the domain is 6695eb01-f6a4-8304-79aa-97f2502e193f\n",
            "The OS type of the domain is \"linux\"\n",
            "The domain is active.\n",
            "The domain is persistent.\n",
            "The max memory of the domain is 8388608 KiB\n",
            "The number of cpus is 2\n",
            "The state is VIR_DOMAIN_RUNNING\n",
        ],
    );
}

#[test]
fn domain_info_reports_a_missing_domain_as_libvirt_does() {
    let _turn = MACHINE.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::new();
    let err = domain_info::run(URI, "nope", &mut out).unwrap_err();
    assert!(err.to_string().starts_with("Domain not found"), "{err}");
}

#[test]
fn lifecycle_walks_every_state() {
    let out = output(|o| lifecycle::run(URI, o));
    assert_in_order(
        &out,
        &[
            "Guest demo has been defined\n  state VIR_DOMAIN_SHUTOFF",
            "Guest demo has booted\n  state VIR_DOMAIN_RUNNING",
            "Guest demo has been suspended\n  state VIR_DOMAIN_PAUSED",
            "Guest demo has been resumed\n  state VIR_DOMAIN_RUNNING",
            "Guest demo has been shut down\n  state VIR_DOMAIN_SHUTOFF",
            "Guest demo has booted again\n  state VIR_DOMAIN_RUNNING",
            "Guest demo has been destroyed\n  state VIR_DOMAIN_SHUTOFF",
            "Guest demo has been undefined\n  lookup now fails: Domain not found",
        ],
    );
}

#[test]
fn save_restore_round_trips_the_test_domain() {
    let out = output(|o| save_restore::run(URI, "test", o));
    assert_in_order(
        &out,
        &[
            "Guest state saved\n  active after save: false\n",
            "Guest state restored\n  running again with ID",
            "Guest state saved by managed save\n  has a managed save image: true\n",
            "Guest started from its managed save image (state 1, reason",
            "  has a managed save image: false\n",
        ],
    );
}

#[test]
fn snapshots_build_revert_and_prune_a_tree() {
    let out = output(|o| snapshots::run(URI, "test", o));
    assert_in_order(
        &out,
        &[
            "Created snapshot base\n",
            "Created snapshot updated\n",
            "Reverted to base\n",
            "Parent of experiment is base\n",
            "Snapshots of test (3):\n  base\n    experiment (current)\n    updated\n",
            "The current snapshot is experiment\n",
            "Deleted the children of base\n",
            "Snapshots of test (1):\n  base (current)\n",
            "Deleted base\n",
            "The value of the current snapshot flag is false\n",
        ],
    );
}

#[test]
fn events_arrive_for_every_transition() {
    let out = output(|o| events::run(URI, o));
    let ev = |what: &str| format!("myDomainEventCallback1 EVENT: Domain evdemo{what}");
    assert_in_order(
        &out,
        &[
            "define\n",
            &ev("(-1) Defined Added"),
            "start\n",
            &ev("(2) Started Booted"),
            "suspend\n",
            &ev("(2) Suspended Paused"),
            "resume\n",
            &ev("(2) Resumed Unpaused"),
            "shutdown\n",
            &ev("(-1) Stopped Shutdown"),
            "start + destroy\n",
            "Started Booted",
            "Stopped Destroyed",
            "undefine\n",
            &ev("(-1) Undefined Removed"),
            "Deregistered lifecycle callback",
        ],
    );
}
