//! `virDomainScreenshot` on a running QEMU domain: QEMU writes the screen (of a video device's
//! head) to a PNG in the domain's private folder, which the stream then reads; the file is
//! gone from the folder before the stream starts.

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, ReadStream, StreamBackend, check_flags};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicU64, Ordering};

impl QemuDriver {
    /// The PNG of screen `screen` (counted across the heads of the video devices in order).
    pub(crate) async fn screenshot(
        &self,
        dom: &DomainRef,
        screen: u32,
        flags: u32,
    ) -> Result<(String, Box<dyn StreamBackend>)> {
        check_flags(FROM, "qemuDomainScreenshot", flags, 0)?;
        let obj = self.obj(dom)?;
        let (videos, uuid) = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "domain is not running",
                ));
            }
            let videos: Vec<(Option<String>, u32)> = st
                .def
                .devices
                .videos
                .iter()
                .map(|v| (v.info.alias.clone(), v.heads.max(1)))
                .collect();
            (videos, obj.uuid)
        };
        if videos.is_empty() {
            return Err(Error::operation_invalid(
                FROM,
                "no screens to take screenshot from",
            ));
        }
        // Screen 0 is QEMU's default display; another names its device and head.
        let mut target = None;
        if screen > 0 {
            let mut left = screen;
            for (alias, heads) in &videos {
                if left < *heads {
                    target = Some((alias.clone(), left));
                    break;
                }
                left -= heads;
            }
            if target.is_none() {
                return Err(Error::operation_invalid(FROM, "no such screen ID"));
            }
        }
        let p = self.proc_of(&uuid)?;
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let path = p.private_dir().join(format!(
            "qemu.screendump.{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::system(FROM, format!("cannot create {}", path.display()), &e))?;
        // QEMU writes it, as whichever user it runs as.
        let def = obj.lock().def.clone();
        if let Err(e) = self.dac.give_path(&def, &path) {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        let name = path.to_string_lossy().into_owned();
        let (device, head) = match target {
            Some((alias, head)) => (alias, Some(head)),
            None => (None, None),
        };
        let done = self
            .qmp(&p, move |m| async move {
                m.screendump(&name, device.as_deref(), head, "png").await
            })
            .await;
        // Read through the open descriptor: the name goes at once, whatever happened.
        let image = done.and_then(|()| {
            std::fs::File::open(&path).map_err(|_| {
                Error::with_detail(FROM, ErrorNumber::OPERATION_FAILED, "unable to open stream")
            })
        });
        let _ = std::fs::remove_file(&path);
        let image = image?;
        Ok(("image/png".into(), Box::new(ReadStream::new(image))))
    }
}
