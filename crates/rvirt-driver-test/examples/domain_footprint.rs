//! How many heap bytes and allocations one defined domain costs the test driver, counted by a
//! global allocator around 10,000 `defineXML` calls of the daemon benchmark's definition. The
//! per-domain RSS target of the daemon (≤ 1 KiB) starts here.
//!
//! `cargo run --release -p rvirt-driver-test --example domain_footprint`

use rvirt_driver::DomainDriver;
use rvirt_types::domain::DomainDefineFlags;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

struct Counting;

static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size() as isize, Relaxed);
        BLOCKS.fetch_add(1, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size() as isize, Relaxed);
        BLOCKS.fetch_sub(1, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    sizes();
    let n = 10_000;
    let driver = rvirt_driver_test::TestDriver::open("test:///default").expect("open");
    let (bytes0, blocks0) = (BYTES.load(Relaxed), BLOCKS.load(Relaxed));
    let rss0 = rss_bytes();
    pollster::block_on(async {
        for i in 0..n {
            let xml = format!(
                "<domain type='test'><name>bench{i}</name><memory>1048576</memory>\
                 <vcpu>1</vcpu><os><type>hvm</type></os></domain>"
            );
            driver
                .domain_define_xml(&xml, DomainDefineFlags::empty())
                .await
                .expect("define");
        }
    });
    let bytes = (BYTES.load(Relaxed) - bytes0) as f64 / n as f64;
    let blocks = (BLOCKS.load(Relaxed) - blocks0) as f64 / n as f64;
    let rss = (rss_bytes() - rss0) as f64 / n as f64;
    println!("per domain: {bytes:.0} bytes requested in {blocks:.1} allocations; RSS {rss:.0} B");
    println!(
        "size_of: DomainDef {} B, DomainObj {} B",
        std::mem::size_of::<rvirt_conf::domain::DomainDef>(),
        std::mem::size_of::<rvirt_driver::DomainObj>()
    );
}
#[allow(dead_code)]
fn sizes() {
    use rvirt_conf::domain::*;
    println!(
        "OsDef {} ClockDef {} Devices {} Memballoon {}",
        std::mem::size_of::<OsDef>(),
        std::mem::size_of::<ClockDef>(),
        std::mem::size_of::<Devices>(),
        std::mem::size_of::<MemballoonDef>()
    );
}

/// Resident set size of this process, from `/proc/self/statm`.
fn rss_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
