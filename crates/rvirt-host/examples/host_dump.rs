//! Prints the host's node devices and interfaces as rvirt reads them (for comparing with
//! `virsh nodedev-dumpxml` and `virsh iface-dumpxml` by hand).

fn main() {
    for d in rvirt_host::nodedev::read_devices() {
        println!("{}", d.format());
    }
    let paths = rvirt_host::udev::HostPaths::host();
    for i in rvirt_host::iface::list(&paths) {
        match rvirt_host::iface::define(&paths, &i.name) {
            Ok(d) => println!("{}", d.format()),
            Err(e) => println!("{}: {e}", i.name),
        }
    }
}
