//! Times a domain's lifecycle on `qemu:///embed` (the driver in this process, no daemon): the
//! same 64 MiB no-disk TCG guest `bench/qemu_bench.py` uses. Prints one JSON object of medians
//! in milliseconds (`null` where the driver answers `VIR_ERR_NO_SUPPORT`); with `RAW` set in the
//! environment, the destroy, save and restore times one by one on standard error.
//!
//! `cargo run --release -p rvirt-driver-qemu --example lifecycle_bench -- ROOT [N]`
//!
//! `lifecycle_bench serve ROOT` instead takes one operation a line on standard input and
//! answers each with `ok MS` (its time in this process) or `err MESSAGE`, so that
//! `bench/qemu_bench.py` can give the embedded driver its turn in the same rounds as the floor
//! and the daemons: `define XML` (the XML on one line; later operations act on that domain),
//! `start`, `suspend`, `resume`, `destroy`, `save PATH`, `restore PATH`, `undefine`.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use pollster::block_on;
use rvirt_driver::DomainDriver;
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use std::time::Instant;

fn median_ms(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "null".into();
    }
    v.sort_by(f64::total_cmp);
    format!("{:.3}", v[v.len() / 2])
}

fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1000.0
}

/// One operation of the `serve` protocol on `dom` (which `define` sets).
fn serve_one(
    d: &QemuDriver,
    dom: &mut Option<rvirt_driver::DomainRef>,
    line: &str,
) -> Result<(), String> {
    let (op, arg) = line.split_once(' ').unwrap_or((line, ""));
    let err = |e: rvirt_types::Error| e.to_string();
    if op == "define" {
        *dom = Some(block_on(d.domain_define_xml(arg, DomainDefineFlags::empty())).map_err(err)?);
        return Ok(());
    }
    let dom = dom.as_ref().ok_or("no domain defined yet")?;
    match op {
        "start" => block_on(d.domain_create(dom, DomainCreateFlags::empty()))
            .map(drop)
            .map_err(err),
        "suspend" => block_on(d.domain_suspend(dom)).map_err(err),
        "resume" => block_on(d.domain_resume(dom)).map_err(err),
        "destroy" => block_on(d.domain_destroy(dom, DomainDestroyFlags::empty())).map_err(err),
        "save" => {
            block_on(d.domain_save(dom, arg, None, DomainSaveRestoreFlags::empty())).map_err(err)
        }
        "restore" => {
            block_on(d.domain_restore(arg, None, DomainSaveRestoreFlags::empty())).map_err(err)
        }
        "undefine" => block_on(d.domain_undefine(dom, DomainUndefineFlags::empty())).map_err(err),
        _ => Err(format!("unknown operation '{op}'")),
    }
}

/// The `serve` mode: operations from standard input, one answer a line on standard output.
fn serve(root: &str) {
    use std::io::{BufRead, Write};
    let d = QemuDriver::open(&format!("qemu:///embed?root={root}")).unwrap();
    let mut dom = None;
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let t = Instant::now();
        let r = serve_one(&d, &mut dom, line.trim_end());
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        match r {
            Ok(()) => writeln!(out, "ok {ms:.4}").unwrap(),
            Err(e) => writeln!(out, "err {}", e.replace('\n', " ")).unwrap(),
        }
        out.flush().unwrap();
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args
        .next()
        .expect("usage: lifecycle_bench ROOT [N] | serve ROOT");
    if root == "serve" {
        return serve(&args.next().expect("usage: lifecycle_bench serve ROOT"));
    }
    let n: usize = args.next().map_or(10, |s| s.parse().unwrap());
    let nsave = (n / 2).max(3);
    let d = QemuDriver::open(&format!("qemu:///embed?root={root}")).unwrap();
    let xml = "<domain type='qemu'><name>bench-embed</name><memory unit='MiB'>64</memory>\
               <os><type arch='x86_64'>hvm</type></os></domain>";
    let dom = block_on(d.domain_define_xml(xml, DomainDefineFlags::empty())).unwrap();
    let (mut start, mut suspend, mut resume, mut destroy) = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        start.push(timed(|| {
            block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
        }));
        // As bench/qemu_bench.py: let SeaBIOS settle before the monitor is timed, then five
        // suspend/resume pairs, 100 ms apart.
        std::thread::sleep(std::time::Duration::from_millis(500));
        for j in 0..5 {
            if j > 0 {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            suspend.push(timed(|| block_on(d.domain_suspend(&dom)).unwrap()));
            resume.push(timed(|| block_on(d.domain_resume(&dom)).unwrap()));
        }
        destroy.push(timed(|| {
            block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
        }));
    }
    let (mut save, mut restore) = (vec![], vec![]);
    let path = format!("{root}/bench-embed.save");
    for _ in 0..nsave {
        block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
        let t = Instant::now();
        match block_on(d.domain_save(&dom, &path, None, DomainSaveRestoreFlags::empty())) {
            Ok(()) => save.push(t.elapsed().as_secs_f64() * 1000.0),
            Err(e) if e.code == ErrorNumber::NO_SUPPORT => {
                block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
                break;
            }
            Err(e) => panic!("save: {e}"),
        }
        restore.push(timed(|| {
            block_on(d.domain_restore(&path, None, DomainSaveRestoreFlags::empty())).unwrap();
        }));
        block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    }
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
    if std::env::var_os("RAW").is_some() {
        eprintln!("destroy {destroy:.2?}\nsave {save:.2?}\nrestore {restore:.2?}");
    }
    println!(
        "{{\"start\": {}, \"suspend\": {}, \"resume\": {}, \"destroy\": {}, \"save\": {}, \"restore\": {}}}",
        median_ms(start),
        median_ms(suspend),
        median_ms(resume),
        median_ms(destroy),
        median_ms(save),
        median_ms(restore)
    );
}
