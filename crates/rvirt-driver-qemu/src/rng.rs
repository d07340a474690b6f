//! Random number generators (`<rng>`) and shared memory devices (`<shmem>`) as the hot-plug
//! code finds them in a definition; what QEMU is given for one is `command::rng_parts` or
//! `command::shmem_parts`, the device rules a generator's backend file needs
//! `device_rules::rng_rules`.

use rvirt_conf::DomainDef;
use rvirt_conf::domain::ChrDef;
use rvirt_conf::raw::RawElement;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The host file a `random` backend reads when its element names none.
pub(crate) const DEFAULT_FILE: &str = "/dev/random";

/// The random number generators of `def` with their indexes in `def.devices.other`.
fn rngs(def: &DomainDef) -> impl Iterator<Item = (usize, &RawElement)> {
    def.devices
        .other
        .iter()
        .enumerate()
        .filter(|(_, (_, e))| e.name == "rng")
        .map(|(i, (_, e))| (i, e))
}

/// The index in `def.devices.other` of the generator `wanted` names, as libvirt matches one
/// (`virDomainRNGFind`): the same model, backend and rate, the same host file (random) or
/// source (egd), and the same address when `wanted` gives one.
pub(crate) fn find(def: &DomainDef, wanted: &RawElement) -> Option<usize> {
    fn model(e: &RawElement) -> Option<&str> {
        e.child("backend").and_then(|b| b.attr("model"))
    }
    rngs(def)
        .find(|(_, e)| {
            e.attr("model") == wanted.attr("model")
                && model(e).unwrap_or("random") == model(wanted).unwrap_or("random")
                && file(e) == file(wanted)
                && (model(wanted) != Some("egd") || e.child("backend") == wanted.child("backend"))
                && e.sorted_child_attrs("rate") == wanted.sorted_child_attrs("rate")
                && (wanted.child("address").is_none()
                    || e.sorted_child_attrs("address") == wanted.sorted_child_attrs("address"))
        })
        .map(|(i, _)| i)
}

/// The host file generator `r` reads: a `random` backend's ([`DEFAULT_FILE`] unless it names
/// one); `None` for the other backends.
pub(crate) fn file(r: &RawElement) -> Option<&str> {
    let backend = r.child("backend");
    if backend.and_then(|b| b.attr("model")).unwrap_or("random") != "random" {
        return None;
    }
    let named = backend.and_then(|b| b.text()).map(str::trim);
    Some(named.filter(|t| !t.is_empty()).unwrap_or(DEFAULT_FILE))
}

/// The chardev an `egd` generator `r` reads its entropy through, its source as its
/// `<backend>` gives it and named after the generator (`charrng0`); `None` for the other
/// backends.
pub(crate) fn egd_chardev(r: &RawElement) -> Result<Option<ChrDef>> {
    match r
        .child("backend")
        .filter(|b| b.attr("model") == Some("egd"))
    {
        Some(b) => crate::command::chr::raw_chardev(b, rvirt_conf::domain::raw_alias(r)).map(Some),
        None => Ok(None),
    }
}

/// The index in `def.devices.other` of the shared memory device `wanted` names, as libvirt
/// matches one (`virDomainShmemDefEquals`): the same name, size, model, role, server and
/// MSI settings, and the same address when `wanted` gives one.
pub(crate) fn find_shmem(def: &DomainDef, wanted: &RawElement) -> Option<usize> {
    let model = crate::command::shmem_model;
    def.devices.other.iter().position(|(_, e)| {
        e.name == "shmem"
            && e.attr("name") == wanted.attr("name")
            && e.attr("role") == wanted.attr("role")
            && crate::command::shmem_size(e) == crate::command::shmem_size(wanted)
            && model(e) == model(wanted)
            && e.child("server") == wanted.child("server")
            && e.sorted_child_attrs("msi") == wanted.sorted_child_attrs("msi")
            && (wanted.child("address").is_none()
                || e.sorted_child_attrs("address") == wanted.sorted_child_attrs("address"))
    })
}

/// [`find`], or libvirt's error for a live detach of a generator the guest does not have.
/// (libvirt names the backend's type where it means the model: "model 'random'" is its
/// wording for a virtio generator.)
pub(crate) fn find_live(def: &DomainDef, wanted: &RawElement) -> Result<usize> {
    find(def, wanted).ok_or_else(|| {
        let model = match wanted.attr("model") {
            Some("virtio") => "random",
            Some("virtio-transitional") => "egd",
            Some("virtio-non-transitional") => "builtin",
            _ => "",
        };
        Error::with_detail(
            ErrorDomain::QEMU,
            ErrorNumber::DEVICE_MISSING,
            format!("model '{model}' RNG device not present in domain configuration"),
        )
    })
}

/// [`find`], or libvirt's error for a persistent detach of one the definition lacks.
pub(crate) fn find_configured(def: &DomainDef, wanted: &RawElement) -> Result<usize> {
    find(def, wanted).ok_or_else(|| {
        Error::with_detail(
            ErrorDomain::QEMU,
            ErrorNumber::DEVICE_MISSING,
            "no matching RNG device was found",
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rvirt_conf::domain::ParseOptions;

    fn def(devices: &str) -> DomainDef {
        let xml = format!(
            "<domain type='qemu'><name>r</name><memory>65536</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>{devices}</devices></domain>"
        );
        DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap()
    }

    fn rng(xml: &str) -> RawElement {
        let d = def(xml);
        let found = d.devices.other.iter().find(|(_, e)| e.name == "rng");
        found.unwrap().1.clone()
    }

    /// Matched by model, backend, file and rate; by address only when the wanted one has one.
    #[test]
    fn generators_match_as_libvirt_finds_them() {
        let d = def(
            "<rng model='virtio'><backend model='random'>/dev/random</backend></rng>\
             <rng model='virtio'><rate bytes='10'/><backend model='random'>/dev/urandom\
             </backend><address type='pci' domain='0' bus='0' slot='7' function='0'/></rng>\
             <rng model='virtio'><backend model='builtin'/></rng>",
        );
        let at = |xml: &str| find(&d, &rng(xml));
        let first = at("<rng model='virtio'><backend model='random'>/dev/random</backend></rng>");
        assert!(first.is_some());
        let rated = at("<rng model='virtio'><rate bytes='10'/>\
                        <backend model='random'>/dev/urandom</backend></rng>");
        assert!(rated.is_some() && rated != first);
        assert_eq!(
            at("<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"),
            None,
            "the rate differs"
        );
        assert_eq!(
            at(
                "<rng model='virtio'><rate bytes='10'/><backend model='random'>/dev/urandom\
                </backend><address type='pci' domain='0' bus='0' slot='8' function='0'/></rng>"
            ),
            None,
            "the address differs"
        );
        assert!(at("<rng model='virtio'><backend model='builtin'/></rng>").is_some());
        let missing = find_live(
            &d,
            &rng("<rng model='virtio'><backend model='builtin'/>\
             <rate bytes='5'/></rng>"),
        );
        assert_eq!(
            missing.unwrap_err().to_string(),
            "device not found: model 'random' RNG device not present in domain configuration"
        );
    }

    /// A new generator goes after the others, before the devices that follow them
    /// (`Devices::insert_other`, as the hot-plug code adds one).
    #[test]
    fn inserted_after_the_other_generators() {
        let mut d = def("<rng model='virtio'><backend model='builtin'/></rng>\
                         <panic model='isa'/>");
        let new = rng("<rng model='virtio'><backend model='random'/></rng>");
        d.devices.insert_other(new);
        let names: Vec<&str> = d
            .devices
            .other
            .iter()
            .map(|(_, e)| e.name.as_str())
            .collect();
        let rngs: Vec<usize> = rngs(&d).map(|(i, _)| i).collect();
        assert_eq!(rngs.len(), 2);
        assert!(names[rngs[1] + 1..].contains(&"panic"), "{names:?}");
    }
}
