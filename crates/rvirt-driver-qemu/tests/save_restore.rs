//! Save and restore, plain and managed, of a tiny real guest (no disk, 64 MiB, TCG): the state
//! goes through QEMU's migration stream into libvirt's image format and back.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, guest, libvirt_embed, open, pid_of, record};
use pollster::block_on;
use rvirt_driver::{DomainDriver, DomainRef};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use std::path::Path;

fn ev(name: &str, e: DomainEventType, detail: i32) -> (String, i32, i32) {
    (name.to_string(), e.0, detail)
}

fn state(d: &QemuDriver, dom: &DomainRef) -> (DomainState, i32) {
    block_on(d.domain_get_state(dom, 0)).unwrap()
}

/// The QEMU of `name` was started to receive a migration stream, not to boot.
fn started_incoming(root: &Path, name: &str) -> bool {
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid_of(root, name))).unwrap();
    String::from_utf8_lossy(&cmdline).contains("-incoming\0defer")
}

/// The domains with a status file (`run/qemu/NAME.xml`; the folder also holds the driver's
/// autostart mark).
fn running_qemus(root: &Path) -> usize {
    std::fs::read_dir(root.join("run/qemu"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "xml"))
                .count()
        })
        .unwrap_or(0)
}

const NONE: DomainSaveRestoreFlags = DomainSaveRestoreFlags::empty();

#[test]
fn save_then_restore_running_and_paused() {
    let root = Root::new();
    let d = open(root.path());
    let seen = record(&d);
    let img = root.path().join("g.img");
    let imgs = img.to_str().unwrap();

    let dom =
        block_on(d.domain_create_xml(&guest("g", "qemu"), DomainCreateFlags::empty())).unwrap();
    let e =
        block_on(d.domain_save(&dom, imgs, None, DomainSaveRestoreFlags::RESET_NVRAM)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::INVALID_ARG, "{e}");
    assert!(e.to_string().contains("unsupported flags (0x8)"), "{e}");
    let e = block_on(d.domain_managed_save(&dom, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID, "{e}");
    assert!(
        e.to_string()
            .contains("cannot do managed save for transient domain"),
        "{e}"
    );

    block_on(d.domain_save(&dom, imgs, None, NONE)).unwrap();
    // A transient domain is gone once saved.
    let e = block_on(d.domain_lookup_by_name("g")).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN);
    assert_eq!(running_qemus(root.path()), 0);
    let bytes = std::fs::read(&img).unwrap();
    assert_eq!(&bytes[..16], b"LibvirtQemudSave");
    assert_eq!(&bytes[24..28], &1u32.to_ne_bytes(), "was running");
    let data_len = u32::from_ne_bytes(bytes[20..24].try_into().unwrap()) as usize;
    let stream = &bytes[92 + data_len..];
    assert_eq!(
        &stream[..4],
        b"QEVM",
        "QEMU's migration stream follows the XML"
    );
    assert!(
        stream.len() > 100_000,
        "{} bytes of guest state",
        stream.len()
    );

    let xml =
        block_on(d.domain_save_image_get_xml_desc(imgs, DomainSaveImageXMLFlags::empty())).unwrap();
    assert!(xml.contains("<name>g</name>"), "{xml}");
    assert!(xml.contains(&dom.uuid.to_string()), "{xml}");

    block_on(d.domain_restore(imgs, None, NONE)).unwrap();
    let r = block_on(d.domain_lookup_by_name("g")).unwrap();
    assert_eq!(r.uuid, dom.uuid);
    assert_eq!(
        state(&d, &r),
        (DomainState::RUNNING, DomainRunningReason::RESTORED.0)
    );
    assert!(started_incoming(root.path(), "g"));
    // The load's end came as a MIGRATION event (libvirt turns these on too), not at the end of
    // a poll period: the restored QEMU has them on.
    let caps = block_on(d.monitor_command(&r, "query-migrate-capabilities", None)).unwrap();
    let events = caps
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["capability"] == "events");
    assert_eq!(
        events.map(|c| c["state"].clone()),
        Some(true.into()),
        "{caps}"
    );

    // The same image again while its domain runs.
    let e = block_on(d.domain_restore(imgs, None, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID, "{e}");
    assert!(
        e.to_string().contains("domain 'g' is already active"),
        "{e}"
    );

    // Paused at save time: restored paused; RUNNING overrides that.
    block_on(d.domain_suspend(&r)).unwrap();
    block_on(d.domain_save(&r, imgs, None, NONE)).unwrap();
    assert_eq!(std::fs::read(&img).unwrap()[24..28], 0u32.to_ne_bytes());
    block_on(d.domain_restore(imgs, None, NONE)).unwrap();
    let r = block_on(d.domain_lookup_by_name("g")).unwrap();
    assert_eq!(
        state(&d, &r),
        (DomainState::PAUSED, DomainPausedReason::MIGRATION.0)
    );
    block_on(d.domain_save(&r, imgs, None, NONE)).unwrap();
    block_on(d.domain_restore(imgs, None, DomainSaveRestoreFlags::RUNNING)).unwrap();
    let r = block_on(d.domain_lookup_by_name("g")).unwrap();
    assert_eq!(state(&d, &r).0, DomainState::RUNNING);
    // PAUSED at save time wins over the running guest.
    block_on(d.domain_save(&r, imgs, None, DomainSaveRestoreFlags::PAUSED)).unwrap();
    block_on(d.domain_restore(imgs, None, NONE)).unwrap();
    let r = block_on(d.domain_lookup_by_name("g")).unwrap();
    assert_eq!(state(&d, &r).0, DomainState::PAUSED);
    block_on(d.domain_destroy(&r, DomainDestroyFlags::empty())).unwrap();

    use DomainEventType as T;
    let g = |e, x| ev("g", e, x);
    let stop_saved = g(T::STOPPED, DomainEventStoppedDetailType::SAVED.0);
    let paused = g(T::SUSPENDED, DomainEventSuspendedDetailType::PAUSED.0);
    let restored = g(T::STARTED, DomainEventStartedDetailType::RESTORED.0);
    assert_eq!(
        *seen.lock(),
        vec![
            // libvirt reports a boot's first `cont` before the start.
            g(T::RESUMED, DomainEventResumedDetailType::UNPAUSED.0),
            g(T::STARTED, DomainEventStartedDetailType::BOOTED.0),
            paused.clone(),
            stop_saved.clone(),
            restored.clone(),
            g(T::RESUMED, DomainEventResumedDetailType::FROM_SNAPSHOT.0),
            paused.clone(),
            stop_saved.clone(),
            restored.clone(),
            g(T::SUSPENDED, DomainEventSuspendedDetailType::RESTORED.0),
            stop_saved.clone(),
            restored.clone(),
            g(T::RESUMED, DomainEventResumedDetailType::FROM_SNAPSHOT.0),
            paused.clone(),
            stop_saved,
            restored,
            g(T::SUSPENDED, DomainEventSuspendedDetailType::RESTORED.0),
            g(T::STOPPED, DomainEventStoppedDetailType::DESTROYED.0),
        ]
    );
}

#[test]
fn managed_save_and_start() {
    let root = Root::new();
    let d = open(root.path());
    let seen = record(&d);
    let image = root.path().join("lib/qemu/save/m.save");
    let dom =
        block_on(d.domain_define_xml(&guest("m", "qemu"), DomainDefineFlags::empty())).unwrap();
    let e = block_on(d.domain_managed_save(&dom, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID, "{e}");
    assert!(e.to_string().contains("domain is not running"), "{e}");
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    assert!(!block_on(d.domain_has_managed_save_image(&dom, 0)).unwrap());

    block_on(d.domain_managed_save(&dom, NONE)).unwrap();
    assert!(image.is_file());
    assert!(block_on(d.domain_has_managed_save_image(&dom, 0)).unwrap());
    assert_eq!(
        state(&d, &dom),
        (DomainState::SHUTOFF, DomainShutoffReason::SAVED.0)
    );
    let with =
        block_on(d.connect_list_all_domains(ConnectListAllDomainsFlags::MANAGEDSAVE)).unwrap();
    assert_eq!(with.len(), 1);
    let without =
        block_on(d.connect_list_all_domains(ConnectListAllDomainsFlags::NO_MANAGEDSAVE)).unwrap();
    assert!(without.is_empty());
    let xml = block_on(d.domain_managed_save_get_xml_desc(&dom, DomainSaveImageXMLFlags::empty()))
        .unwrap();
    assert!(xml.contains("<name>m</name>"), "{xml}");

    let e = block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
    assert!(
        e.to_string()
            .contains("Refusing to undefine while domain managed save image exists"),
        "{e}"
    );

    // Start resumes the saved guest and consumes the image.
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    assert_eq!(
        state(&d, &dom),
        (DomainState::RUNNING, DomainRunningReason::RESTORED.0)
    );
    assert!(started_incoming(root.path(), "m"));
    assert!(!image.exists());
    assert!(!block_on(d.domain_has_managed_save_image(&dom, 0)).unwrap());
    let e = block_on(d.domain_managed_save_get_xml_desc(&dom, DomainSaveImageXMLFlags::empty()))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("domain does not have managed save image"),
        "{e}"
    );

    // START_PAUSED restores it paused.
    block_on(d.domain_managed_save(&dom, NONE)).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::START_PAUSED)).unwrap();
    assert_eq!(
        state(&d, &dom),
        (DomainState::PAUSED, DomainPausedReason::MIGRATION.0)
    );

    // FORCE_BOOT throws the image away and boots.
    block_on(d.domain_managed_save(&dom, NONE)).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::START_FORCE_BOOT)).unwrap();
    assert_eq!(
        state(&d, &dom),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
    assert!(!started_incoming(root.path(), "m"));
    assert!(!image.exists());

    // A reopened driver finds the image; undefine removes it only when asked to.
    block_on(d.domain_managed_save(&dom, NONE)).unwrap();
    drop(d);
    let d = open(root.path());
    let dom = block_on(d.domain_lookup_by_name("m")).unwrap();
    assert!(block_on(d.domain_has_managed_save_image(&dom, 0)).unwrap());
    block_on(d.domain_managed_save_remove(&dom, 0)).unwrap();
    assert!(!image.exists());
    let e = block_on(d.domain_managed_save_remove(&dom, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
    assert!(
        e.to_string().contains("Failed to remove managed save file"),
        "{e}"
    );
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    block_on(d.domain_managed_save(&dom, NONE)).unwrap();
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::MANAGED_SAVE)).unwrap();
    assert!(!image.exists());
    assert!(block_on(d.domain_lookup_by_name("m")).is_err());

    use DomainEventType as T;
    let m = |e, x| ev("m", e, x);
    let first: Vec<_> = seen.lock()[..7].to_vec();
    assert_eq!(
        first,
        vec![
            m(T::DEFINED, DomainEventDefinedDetailType::ADDED.0),
            m(T::RESUMED, DomainEventResumedDetailType::UNPAUSED.0),
            m(T::STARTED, DomainEventStartedDetailType::BOOTED.0),
            m(T::SUSPENDED, DomainEventSuspendedDetailType::PAUSED.0),
            m(T::STOPPED, DomainEventStoppedDetailType::SAVED.0),
            m(T::STARTED, DomainEventStartedDetailType::RESTORED.0),
            m(T::RESUMED, DomainEventResumedDetailType::FROM_SNAPSHOT.0),
        ]
    );
    // The paused start from the image says PAUSED, as the caller asked.
    assert!(seen.lock()[7..].contains(&m(T::SUSPENDED, DomainEventSuspendedDetailType::PAUSED.0)));
}

#[test]
fn bad_images_start_nothing() {
    let root = Root::new();
    let d = open(root.path());
    let empty = root.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let random = root.path().join("random");
    std::fs::write(
        &random,
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let cases = [
        (
            &empty,
            ErrorNumber::OPERATION_FAILED,
            "failed to read qemu header",
        ),
        (
            &random,
            ErrorNumber::OPERATION_FAILED,
            "image magic is incorrect",
        ),
        (
            &root.path().join("none"),
            ErrorNumber::SYSTEM_ERROR,
            "Failed to open file",
        ),
    ];
    for (path, code, text) in cases {
        let p = path.to_str().unwrap();
        let e = block_on(d.domain_restore(p, None, NONE)).unwrap_err();
        assert_eq!(e.code, code, "{e}");
        assert!(e.to_string().contains(text), "{e}");
        let e = block_on(d.domain_save_image_get_xml_desc(p, DomainSaveImageXMLFlags::empty()))
            .unwrap_err();
        assert!(e.to_string().contains(text), "{e}");
    }

    // A real image cut short inside QEMU's stream: QEMU fails to load it, and neither a
    // domain nor a QEMU is left behind.
    let img = root.path().join("t.img");
    let imgs = img.to_str().unwrap();
    let t = block_on(d.domain_create_xml(&guest("t", "qemu"), DomainCreateFlags::empty())).unwrap();
    block_on(d.domain_save(&t, imgs, None, NONE)).unwrap();
    let len = std::fs::metadata(&img).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&img)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let e = block_on(d.domain_restore(imgs, None, NONE)).unwrap_err();
    assert!(
        matches!(
            e.code,
            ErrorNumber::INTERNAL_ERROR | ErrorNumber::OPERATION_FAILED
        ),
        "{e}"
    );
    let all = block_on(d.connect_list_all_domains(ConnectListAllDomainsFlags::empty())).unwrap();
    assert!(all.is_empty(), "{all:?}");
    assert_eq!(running_qemus(root.path()), 0);

    // A persistent domain whose managed save image is garbage does not start, and stays
    // defined and shut off; an incomplete image (never finished) is dropped and it boots.
    let dom =
        block_on(d.domain_define_xml(&guest("p", "qemu"), DomainDefineFlags::empty())).unwrap();
    let image = root.path().join("lib/qemu/save/p.save");
    std::fs::create_dir_all(image.parent().unwrap()).unwrap();
    std::fs::copy(&random, &image).unwrap();
    let e = block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap_err();
    assert!(e.to_string().contains("image magic is incorrect"), "{e}");
    assert_eq!(state(&d, &dom).0, DomainState::SHUTOFF);
    let mut partial = std::fs::read(&random).unwrap();
    partial[..16].copy_from_slice(b"LibvirtQemudPart");
    std::fs::write(&image, partial).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    assert_eq!(
        state(&d, &dom),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
    assert!(!image.exists());

    // The XML of an image can be replaced in place, keeping the guest's ABI.
    block_on(d.domain_save(&dom, imgs, None, NONE)).unwrap();
    let xml =
        block_on(d.domain_save_image_get_xml_desc(imgs, DomainSaveImageXMLFlags::SECURE)).unwrap();
    let described = xml.replace(
        "<name>p</name>",
        "<name>p</name><description>hi</description>",
    );
    block_on(d.domain_save_image_define_xml(imgs, &described, DomainSaveRestoreFlags::PAUSED))
        .unwrap();
    let again =
        block_on(d.domain_save_image_get_xml_desc(imgs, DomainSaveImageXMLFlags::empty())).unwrap();
    assert!(again.contains("<description>hi</description>"), "{again}");
    let bigger = xml.replace(">65536<", ">131072<");
    let e = block_on(d.domain_save_image_define_xml(imgs, &bigger, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED, "{e}");
    assert!(
        e.to_string()
            .contains("Target domain max memory 131072 does not match source 65536"),
        "{e}"
    );
    block_on(d.domain_restore(imgs, None, NONE)).unwrap();
    assert_eq!(
        state(&d, &dom),
        (DomainState::PAUSED, DomainPausedReason::MIGRATION.0)
    );
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains("<description>hi</description>"), "{live}");
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn a_failed_save_keeps_the_guest_running() {
    let root = Root::new();
    let d = open(root.path());
    let dom =
        block_on(d.domain_define_xml(&guest("f", "qemu"), DomainDefineFlags::empty())).unwrap();
    let e = block_on(d.domain_save(&dom, "/nowhere/f.img", None, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID, "{e}");
    assert!(e.to_string().contains("domain is not running"), "{e}");
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let seen = record(&d);

    // An XML for another guest is refused before the guest is even paused.
    let img = root.path().join("f.img");
    let imgs = img.to_str().unwrap();
    let other = guest("f", "qemu").replace(">64<", ">128<");
    let e = block_on(d.domain_save(&dom, imgs, Some(&other), NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED, "{e}");
    assert!(seen.lock().is_empty(), "{:?}", seen.lock());
    assert!(!img.exists());

    // A path that cannot be written: the guest runs again (save canceled).
    let e = block_on(d.domain_save(&dom, "/nowhere/f.img", None, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR, "{e}");
    assert!(
        e.to_string()
            .contains("Failed to create file '/nowhere/f.img'"),
        "{e}"
    );
    assert_eq!(
        state(&d, &dom),
        (DomainState::RUNNING, DomainRunningReason::SAVE_CANCELED.0)
    );
    use DomainEventType as T;
    assert_eq!(
        *seen.lock(),
        vec![
            ev("f", T::SUSPENDED, DomainEventSuspendedDetailType::PAUSED.0),
            ev("f", T::RESUMED, DomainEventResumedDetailType::UNPAUSED.0),
        ]
    );

    // A replacement XML with the same ABI is what the image keeps.
    let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    let titled = xml.replace("<name>f</name>", "<name>f</name><title>saved</title>");
    block_on(d.domain_save(&dom, imgs, Some(&titled), NONE)).unwrap();
    let stored =
        block_on(d.domain_save_image_get_xml_desc(imgs, DomainSaveImageXMLFlags::empty())).unwrap();
    assert!(stored.contains("<title>saved</title>"), "{stored}");
    // The persistent definition is untouched.
    let config = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(!config.contains("<title>"), "{config}");
    // So can restore, which starts the persistent domain from the image.
    let retitled = titled.replace(">saved<", ">restored<");
    let flags = DomainSaveRestoreFlags::BYPASS_CACHE;
    block_on(d.domain_restore(imgs, Some(&retitled), flags)).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains("<title>restored</title>"), "{live}");
    assert!(block_on(d.domain_is_persistent(&dom)).unwrap());
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    let config = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(!config.contains("<title>"), "{config}");
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
}

#[test]
fn images_move_between_rvirt_and_real_libvirt() {
    let root = Root::new();
    let d = open(root.path());
    let lv = root.path().join("libvirt");

    // Ours, read by libvirt.
    let ours = root.path().join("ours.img");
    let dom =
        block_on(d.domain_create_xml(&guest("x", "qemu"), DomainCreateFlags::empty())).unwrap();
    block_on(d.domain_save(&dom, ours.to_str().unwrap(), None, NONE)).unwrap();
    let Some(out) = libvirt_embed(&lv, &format!("save-image-dumpxml {}", ours.display())) else {
        return;
    };
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{xml}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(xml.contains("<name>x</name>"), "{xml}");
    assert!(xml.contains(&format!("<uuid>{}</uuid>", dom.uuid)), "{xml}");

    // libvirt's, read by us.
    let theirs = root.path().join("theirs.img");
    let def = root.path().join("l.xml");
    std::fs::write(&def, guest("l", "qemu")).unwrap();
    let out = libvirt_embed(
        &lv,
        &format!(
            "create {}; save l {}; destroy l",
            def.display(),
            theirs.display()
        ),
    )
    .unwrap();
    assert!(
        theirs.is_file(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = block_on(d.domain_save_image_get_xml_desc(
        theirs.to_str().unwrap(),
        DomainSaveImageXMLFlags::empty(),
    ))
    .unwrap();
    assert!(xml.contains("<name>l</name>"), "{xml}");
    assert!(xml.contains("machine='pc-i440fx-"), "{xml}");

    // Both images hold the migratable XML: what libvirt adds by itself when it reads one (an
    // i440fx PC's USB controller and PCI root, the default audio backend) is in neither. (Read
    // from the files: a reader adds those back.)
    let stored = |p: &Path| {
        let bytes = std::fs::read(p).unwrap();
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 << 10)]).into_owned();
        let at = text.find("<domain").unwrap();
        let end = text[at..].find("</domain>").unwrap() + at;
        text[at..end].to_string()
    };
    let (ours_xml, theirs_xml) = (stored(&ours), stored(&theirs));
    for implicit in ["<controller type='usb'", "model='pci-root'", "<audio "] {
        assert_eq!(
            ours_xml.contains(implicit),
            theirs_xml.contains(implicit),
            "{implicit}: ours\n{ours_xml}\nlibvirt's\n{theirs_xml}"
        );
    }
    // And ours restores as libvirt's does: the implicit devices are back in the live XML.
    block_on(d.domain_restore(ours.to_str().unwrap(), None, NONE)).unwrap();
    let dom = block_on(d.domain_lookup_by_name("x")).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains("<controller type='usb'"), "{live}");
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn images_libvirt_compressed_restore_through_its_decompressor() {
    let root = Root::new();
    let d = open(root.path());
    let raw = root.path().join("z.img");
    let z = block_on(d.domain_create_xml(&guest("z", "qemu"), DomainCreateFlags::empty())).unwrap();
    block_on(d.domain_save(&z, raw.to_str().unwrap(), None, NONE)).unwrap();
    // What libvirt writes with save_image_format = "gzip": the same header with compressed =
    // 1, then the stream through `gzip -c`.
    let bytes = std::fs::read(&raw).unwrap();
    let data_len = u32::from_ne_bytes(bytes[20..24].try_into().unwrap()) as usize;
    let (head, stream) = bytes.split_at(92 + data_len);
    let mut gz = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = gz.stdin.take().unwrap();
    let stream = stream.to_vec();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        input.write_all(&stream).unwrap();
    });
    let packed = gz.wait_with_output().unwrap().stdout;
    feeder.join().unwrap();
    let mut image = head.to_vec();
    image[28..32].copy_from_slice(&1u32.to_ne_bytes());
    image.extend_from_slice(&packed);
    let gzipped = root.path().join("z.gz.img");
    std::fs::write(&gzipped, &image).unwrap();
    block_on(d.domain_restore(gzipped.to_str().unwrap(), None, NONE)).unwrap();
    let z = block_on(d.domain_lookup_by_name("z")).unwrap();
    assert_eq!(
        state(&d, &z),
        (DomainState::RUNNING, DomainRunningReason::RESTORED.0)
    );
    block_on(d.domain_destroy(&z, DomainDestroyFlags::empty())).unwrap();

    // A compression libvirt never defined.
    image[28..32].copy_from_slice(&9u32.to_ne_bytes());
    std::fs::write(&gzipped, &image).unwrap();
    let e = block_on(d.domain_restore(gzipped.to_str().unwrap(), None, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_FAILED, "{e}");
    assert!(
        e.to_string().contains("Invalid compressed save format 9"),
        "{e}"
    );
    assert!(block_on(d.domain_lookup_by_name("z")).is_err());
    assert_eq!(running_qemus(root.path()), 0);
}

#[test]
fn save_image_format_compresses_saves_as_libvirt_does() {
    let root = Root::new();
    rvirt_testsupport::write_embed_conf(root.path(), "save_image_format = \"xz\"\n");
    let d = open(root.path());
    let img = root.path().join("c.img");
    let c = block_on(d.domain_define_xml(&guest("c", "qemu"), DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&c, DomainCreateFlags::empty())).unwrap();
    block_on(d.domain_save(&c, img.to_str().unwrap(), None, NONE)).unwrap();
    // The header says xz (3) and the stream after the data area is xz's.
    let bytes = std::fs::read(&img).unwrap();
    assert_eq!(&bytes[..16], b"LibvirtQemudSave");
    assert_eq!(u32::from_ne_bytes(bytes[28..32].try_into().unwrap()), 3);
    let data_len = u32::from_ne_bytes(bytes[20..24].try_into().unwrap()) as usize;
    assert_eq!(&bytes[92 + data_len..92 + data_len + 6], b"\xfd7zXZ\0");
    // libvirt's own driver restores it, and so do we.
    let lv = root.path().join("libvirt");
    if let Some(out) = libvirt_embed(&lv, &format!("restore {}; destroy c", img.display())) {
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    block_on(d.domain_restore(img.to_str().unwrap(), None, NONE)).unwrap();
    let c = block_on(d.domain_lookup_by_name("c")).unwrap();
    assert_eq!(
        state(&d, &c),
        (DomainState::RUNNING, DomainRunningReason::RESTORED.0)
    );
    // Managed save goes the same way.
    block_on(d.domain_managed_save(&c, NONE)).unwrap();
    let managed = std::fs::read(root.path().join("lib/qemu/save/c.save")).unwrap();
    assert_eq!(u32::from_ne_bytes(managed[28..32].try_into().unwrap()), 3);
    block_on(d.domain_create(&c, DomainCreateFlags::empty())).unwrap();
    assert_eq!(
        state(&d, &c),
        (DomainState::RUNNING, DomainRunningReason::RESTORED.0)
    );
    block_on(d.domain_destroy(&c, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn an_unknown_save_image_format_fails_the_save_and_keeps_the_guest() {
    let root = Root::new();
    rvirt_testsupport::write_embed_conf(root.path(), "save_image_format = \"zip\"\n");
    let d = open(root.path());
    let _cleanup = common::Cleanup(d.clone(), "u");
    let img = root.path().join("u.img");
    let u = block_on(d.domain_create_xml(&guest("u", "qemu"), DomainCreateFlags::empty())).unwrap();
    let e = block_on(d.domain_save(&u, img.to_str().unwrap(), None, NONE)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_FAILED);
    assert_eq!(
        e.message,
        "operation failed: Invalid save image format specified in configuration file"
    );
    assert!(!img.exists());
    assert_eq!(
        state(&d, &u),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
}
