//! In-process benchmarks of the public API on the test driver: define, list_all over 10,000
//! domains, get_info. Figures and the commands that produced them go in bench/RESULTS.md.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rvirt::blocking::Connect;
use rvirt::flags::ConnectListAllDomainsFlags;
use std::hint::black_box;

fn domain_xml(i: usize) -> String {
    format!(
        "<domain type='test'><name>bench{i}</name><memory>65536</memory><vcpu>1</vcpu>\
         <os><type>hvm</type></os></domain>"
    )
}

fn bench_define(c: &mut Criterion) {
    let xmls: Vec<String> = (0..100_000).map(domain_xml).collect();
    c.bench_function("define_xml", |b| {
        b.iter_batched(
            || Connect::open("test:///default").expect("open"),
            |conn| {
                for x in xmls.iter().take(1000) {
                    black_box(conn.define_xml(x).expect("define"));
                }
                conn
            },
            BatchSize::PerIteration,
        )
    });
}

fn bench_list_all(c: &mut Criterion) {
    let conn = Connect::open("test:///default").expect("open");
    for i in 0..10_000 {
        conn.define_xml(&domain_xml(i)).expect("define");
    }
    c.bench_function("list_all_domains_10000", |b| {
        b.iter(|| {
            black_box(
                conn.list_all_domains(ConnectListAllDomainsFlags::empty())
                    .expect("list"),
            )
        })
    });
}

fn bench_get_info(c: &mut Criterion) {
    let conn = Connect::open("test:///default").expect("open");
    let dom = conn.lookup_by_name("test").expect("lookup");
    c.bench_function("get_info", |b| {
        b.iter(|| black_box(dom.get_info().expect("info")))
    });
}

criterion_group!(benches, bench_define, bench_list_all, bench_get_info);
criterion_main!(benches);
