//! The QEMU driver's tuning calls.

use crate::QemuDriver;
use rvirt_driver::TuningDriver;

impl TuningDriver for QemuDriver {}
