//! Storage pool and volume procedures of the remote driver.

use crate::RemoteDriver;
use rvirt_driver::StorageDriver;

impl StorageDriver for RemoteDriver {}
