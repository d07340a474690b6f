//! Guest memory read back through the QEMU driver (`virDomainMemoryPeek`, QEMU's `pmemsave`
//! and `memsave`) beside libvirt's embedded QEMU driver reading the same guest through
//! python3-libvirt: the firmware's bytes at the top of 4 GiB are the same through both, and so
//! are the refusals.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, guest, open};
use pollster::block_on;
use rvirt_driver::DomainDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;

/// What python3-libvirt on libvirt's embedded QEMU driver reads: one hex line per peek of
/// (address, size, flags) of a running copy of `xml`; `None` without libvirt's QEMU driver.
fn libvirt_peeks(
    root: &std::path::Path,
    xml: &str,
    peeks: &[(u64, u32, u32)],
) -> Option<Vec<String>> {
    if !rvirt_testsupport::libvirt_embed_root(root) {
        return None;
    }
    let script = format!(
        "import libvirt, sys, time\n\
         libvirt.virEventRegisterDefaultImpl()\n\
         libvirt.registerErrorHandler(lambda c, e: None, None)\n\
         c = libvirt.open('qemu:///embed?root={}')\n\
         d = c.createXML(sys.argv[1], 0)\n\
         for _ in range(500):\n\
         \x20   if any(d.memoryPeek(0xffff0, 16, 2)):\n\
         \x20       break\n\
         \x20   time.sleep(0.02)\n\
         for a in sys.argv[2:]:\n\
         \x20   s, n, f = (int(x) for x in a.split(','))\n\
         \x20   try:\n\
         \x20       print(d.memoryPeek(s, n, f).hex())\n\
         \x20   except libvirt.libvirtError as e:\n\
         \x20       print(e.get_error_code(), e.get_error_message())\n\
         d.destroy()\n",
        root.display()
    );
    let mut args = vec![xml.to_string()];
    args.extend(peeks.iter().map(|(s, n, f)| format!("{s},{n},{f}")));
    let out = common::run_python(&script, &args);
    Some(
        String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn memory_peeks_read_what_libvirt_reads() {
    let root = Root::new();
    let d = open(root.path());
    let _c = Cleanup(d.clone(), "peek");
    let xml = guest("peek", "qemu");
    let dom = block_on(d.domain_create_xml(&xml, DomainCreateFlags::empty())).unwrap();
    // The firmware's copy below 1 MiB appears once the guest has run a little.
    common::wait_until(
        std::time::Duration::from_secs(10),
        "the BIOS in low memory",
        || {
            block_on(d.domain_memory_peek(&dom, 0xffff0, 16, 2))
                .unwrap()
                .iter()
                .any(|b| *b != 0)
        },
    );
    // The firmware's ROM at the top of 4 GiB, then the driver's refusal of no flags. (Its
    // copy in low memory and what the vCPU sees at a virtual address depend on where the
    // firmware is in its boot, so those reads are checked for their size only.)
    let peeks = [(0xffff_fff0, 16, 2), (0xfffe_0000, 64, 2), (0, 4, 0)];
    let virt = block_on(d.domain_memory_peek(&dom, 0xffff0, 16, 1)).unwrap();
    assert_eq!(virt.len(), 16);
    let ours: Vec<String> = peeks
        .iter()
        .map(
            |(s, n, f)| match block_on(d.domain_memory_peek(&dom, *s, *n, *f)) {
                Ok(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
                Err(e) => format!("{} {}", e.code.0, e.message),
            },
        )
        .collect();
    assert_eq!(ours[0].len(), 32, "{ours:?}");
    assert!(
        ours[0].chars().any(|c| c != '0'),
        "the firmware is there: {ours:?}"
    );
    assert_eq!(
        ours[2],
        format!(
            "{} invalid argument: flags parameter must be VIR_MEMORY_VIRTUAL or VIR_MEMORY_PHYSICAL",
            ErrorNumber::INVALID_ARG.0
        )
    );
    let lv = Root::new();
    if let Some(theirs) = libvirt_peeks(lv.path(), &xml, &peeks) {
        assert_eq!(ours, theirs);
    }
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    let e = block_on(d.domain_memory_peek(&dom, 0, 4, 2)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN, "a transient domain is gone");
}
