//! Per-device block I/O limits of a guest's `blkio` control group (`<blkiotune><device>`):
//! a weight and read/write IOPS and byte rates for one host block device, written as libvirt
//! writes them to the version 1 controller (`MAJOR:MINOR VALUE`) and read back from the kernel.

use rvirt_types::error::{Error, ErrorDomain, ErrorNumber, Result};

use crate::cgroup::{Cgroup, Controller};

const FROM: ErrorDomain = ErrorDomain::CGROUP;

/// The controller's file for each of `<blkiotune><device>`'s settings, in the order of
/// `rvirt_conf::domain::params::BLKIO_DEVICE_PARAMS` (weight, read IOPS, write IOPS, read
/// bytes, write bytes).
const FILES: [&str; 5] = [
    "blkio.weight_device",
    "blkio.throttle.read_iops_device",
    "blkio.throttle.write_iops_device",
    "blkio.throttle.read_bps_device",
    "blkio.throttle.write_bps_device",
];

/// `MAJOR:MINOR ` of the block device at `path`, refused in libvirt's words when it is not one.
fn device_number(path: &str) -> Result<String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::system(FROM, format!("Path '{path}' is not accessible"), &e))?;
    if !meta.file_type().is_block_device() {
        return Err(Error::system(
            FROM,
            format!("Path '{path}' must be a block device"),
            &std::io::Error::from_raw_os_error(libc::EINVAL),
        ));
    }
    let rdev = meta.rdev();
    Ok(format!("{}:{} ", libc::major(rdev), libc::minor(rdev)))
}

/// Sets setting `which` (an index into `BLKIO_DEVICE_PARAMS`) of block device `path` to
/// `value` (0 removes it) and gives the value the kernel keeps, as libvirt's
/// virCgroupSetupBlkioDevice* functions do.
/// The caller has made sure the group has the controller.
pub(crate) fn set(cg: &Cgroup, which: usize, path: &str, value: u64) -> Result<u64> {
    let file = FILES[which];
    // libvirt 9.0 knows the weights of CFQ only, which later kernels no longer have.
    if which == 0 && !cg.exists(Controller::Blkio, file) {
        return Err(Error::operation_invalid(
            FROM,
            "blkio device weight is valid only for cfq scheduler",
        ));
    }
    let dev = device_number(path)?;
    cg.write(Controller::Blkio, None, file, &format!("{dev}{value}"))?;
    let text = cg.read(Controller::Blkio, None, file)?;
    let Some(kept) = text.lines().find_map(|l| l.strip_prefix(dev.as_str())) else {
        return Ok(0);
    };
    let kept = kept.trim();
    kept.parse().map_err(|_| {
        Error::with_detail(
            FROM,
            ErrorNumber::INTERNAL_ERROR,
            format!("Unable to parse '{kept}' as an integer"),
        )
    })
}

/// Sets every limit of `devices` (from a domain's `<blkiotune>`) as a start does: each
/// device's weight, then its rates, those not set left alone.
pub(crate) fn set_all(cg: &Cgroup, devices: &[rvirt_conf::domain::BlkioDevice]) -> Result<()> {
    for d in devices {
        for (which, v) in d.values().into_iter().enumerate() {
            if v != 0 {
                set(cg, which, &d.path, v)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_block_devices_have_numbers() {
        let e = device_number("/nonexistent/disk").unwrap_err();
        assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
        assert_eq!(
            e.message,
            "Path '/nonexistent/disk' is not accessible: No such file or directory"
        );
        let e = device_number("/dev/null").unwrap_err();
        assert_eq!(
            e.message,
            "Path '/dev/null' must be a block device: Invalid argument"
        );
        if std::path::Path::new("/dev/loop0").exists() {
            assert_eq!(device_number("/dev/loop0").unwrap(), "7:0 ");
        }
    }
}
