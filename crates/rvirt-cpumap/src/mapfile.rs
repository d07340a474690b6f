//! Reading one architecture's part of libvirt's installed CPU map as `cpuMapLoad` does: the
//! `<arch name='…'>` element of `index.xml`, then each file it includes in order; in each, the
//! vendors, then the features, then the models are handed to the architecture's parser.

use crate::{cpu_error, xmlprop};
use rvirt_types::{ErrorDomain, ErrorNumber, Result};
use std::path::Path;

/// The kinds of definitions a map file holds, in the order they are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Vendor,
    Feature,
    Model,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Vendor, Kind::Feature, Kind::Model];

    fn element(self) -> &'static str {
        match self {
            Kind::Vendor => "vendor",
            Kind::Feature => "feature",
            Kind::Model => "model",
        }
    }
}

/// An architecture's map, filled definition by definition.
pub(crate) trait Loader {
    /// Whether the architecture's map may define this kind (libvirt has no parser for ppc64
    /// features, for one).
    fn accepts(&self, kind: Kind) -> bool;

    /// Takes in the definition `node`, named `name`.
    fn define(&mut self, kind: Kind, node: roxmltree::Node<'_, '_>, name: &str) -> Result<()>;
}

fn internal(detail: String) -> rvirt_types::Error {
    cpu_error(ErrorNumber::INTERNAL_ERROR, detail)
}

/// Reads and parses one map file, handing its root element to `f`.
fn with_file<T>(path: &Path, f: impl FnOnce(roxmltree::Node<'_, '_>) -> Result<T>) -> Result<T> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|_| {
        cpu_error(
            ErrorNumber::XML_ERROR,
            format!("failed to parse xml document '{shown}'"),
        )
    })?;
    let doc = rvirt_conf::xml::parse_document(&text, &shown, ErrorDomain::CPU)?;
    f(doc.root_element())
}

/// `cpuMapLoad` for `arch` (`x86`, `ppc64`) from the map in `dir`.
pub(crate) fn load(dir: &Path, arch: &str, loader: &mut dyn Loader) -> Result<()> {
    let index = dir.join("index.xml");
    with_file(&index, |root| {
        let node = xmlprop::children(root, "arch")
            .find(|a| xmlprop::xpath_attr(*a, "name") == Some(arch))
            .ok_or_else(|| internal(format!("cannot find CPU map for {arch} architecture")))?;
        load_definitions(&index, node, loader)?;
        for include in xmlprop::children(node, "include") {
            let file = xmlprop::prop(include, "filename")
                .ok_or_else(|| internal("Missing 'filename' in CPU map include".into()))?;
            let path = dir.join(file);
            with_file(&path, |root| load_definitions(&path, root, loader))?;
        }
        Ok(())
    })
}

fn load_definitions(
    file: &Path,
    node: roxmltree::Node<'_, '_>,
    loader: &mut dyn Loader,
) -> Result<()> {
    for kind in Kind::ALL {
        let element = kind.element();
        let mut defs = xmlprop::children(node, element).peekable();
        if defs.peek().is_some() && !loader.accepts(kind) {
            return Err(internal(format!(
                "Unexpected element '{element}' in CPU map '{}'",
                file.display()
            )));
        }
        for def in defs {
            let name = xmlprop::prop(def, "name").ok_or_else(|| {
                internal(format!(
                    "cannot find {element} name in CPU map '{}'",
                    file.display()
                ))
            })?;
            loader.define(kind, def, name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Names(Vec<(Kind, String)>);

    impl Loader for Names {
        fn accepts(&self, kind: Kind) -> bool {
            kind != Kind::Feature
        }

        fn define(&mut self, kind: Kind, _: roxmltree::Node<'_, '_>, name: &str) -> Result<()> {
            self.0.push((kind, name.to_string()));
            Ok(())
        }
    }

    #[test]
    fn reads_index_then_includes_in_order() {
        let dir = crate::tests::TempDir::new("mapfile");
        dir.write(
            "index.xml",
            "<cpus><arch name='other'><include filename='nope.xml'/></arch>\
             <arch name='t'><model name='inline'/><include filename='a.xml'/></arch></cpus>",
        );
        dir.write(
            "a.xml",
            "<cpus><model name='m1'/><vendor name='v1'/></cpus>",
        );
        let mut names = Names::default();
        load(dir.path(), "t", &mut names).expect("loads");
        assert_eq!(
            names.0,
            vec![
                (Kind::Model, "inline".to_string()),
                (Kind::Vendor, "v1".to_string()),
                (Kind::Model, "m1".to_string()),
            ]
        );
        let e = load(dir.path(), "x", &mut names).expect_err("no such arch");
        assert_eq!(
            e.message,
            "internal error: cannot find CPU map for x architecture"
        );
        let e = load(dir.path(), "other", &mut names).expect_err("missing include");
        assert_eq!(e.code, ErrorNumber::XML_ERROR);
        dir.write("a.xml", "<cpus><feature name='f'/></cpus>");
        let e = load(dir.path(), "t", &mut Names::default()).expect_err("no features here");
        assert!(
            e.message
                .starts_with("internal error: Unexpected element 'feature' in CPU map '"),
            "{}",
            e.message
        );
    }
}
