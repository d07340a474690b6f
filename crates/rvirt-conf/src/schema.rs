//! Validation of documents against libvirt's RELAX NG schemas (the `*_VALIDATE` flags of
//! define and create calls), with libvirt's errors.
//!
//! libvirt reads its schemas from `/usr/share/libvirt/schemas` (Debian's package) at every
//! validation; rvirt compiles each schema once per process (`rvirt-rng`) and keeps it.

use crate::xml;
use rvirt_rng::Schema;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// Where libvirt's schemas are installed.
pub const SCHEMA_DIR: &str = "/usr/share/libvirt/schemas";

type Cache = Mutex<HashMap<PathBuf, Arc<Schema>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The compiled schema `file` (e.g. `domain.rng`) of [`SCHEMA_DIR`]; libvirt's internal error
/// when it cannot be read or compiled.
pub fn schema(file: &str) -> Result<Arc<Schema>> {
    let path = PathBuf::from(SCHEMA_DIR).join(file);
    if let Some(s) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&path) {
        return Ok(Arc::clone(s));
    }
    // Compiled outside the lock: a slow compile does not block validations of other schemas.
    let compiled = if path.exists() {
        Schema::load(&path).map_err(|e| e.message)
    } else {
        Err(format!(
            "xmlRelaxNGParse: could not load {}",
            path.display()
        ))
    };
    let compiled = compiled.map_err(|detail| {
        Error::with_detail(
            ErrorDomain::XML,
            ErrorNumber::INTERNAL_ERROR,
            format!("Unable to parse RNG {}: {detail}\n", path.display()),
        )
    })?;
    let compiled = Arc::new(compiled);
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(path, Arc::clone(&compiled));
    Ok(compiled)
}

/// Checks `text` as libvirt's XML layer does with validation on: well-formed (`what` names
/// the document in the parse error), root element `root`, then valid against `schema_file`.
/// The schema error is `VIR_ERR_XML_INVALID_SCHEMA` with libvirt's first line; the detail
/// line is rvirt's own (libxml2 words and sometimes places the problem differently).
pub fn validate_document(
    text: &str,
    what: &str,
    domain: ErrorDomain,
    root: &str,
    schema_file: &str,
) -> Result<()> {
    let doc = xml::parse_document(text, what, domain)?;
    let found = doc.root_element().tag_name().name();
    if found != root {
        return Err(xml::wrong_root(root, found));
    }
    let schema = schema(schema_file)?;
    schema.validate(&doc).map_err(|invalid| {
        Error::with_detail(
            ErrorDomain::XML,
            ErrorNumber::XML_INVALID_SCHEMA,
            format!(
                "Unable to validate doc against {}\n{}\n",
                schema.path().display(),
                invalid.message
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_schema_is_libvirts_internal_error() {
        let Err(e) = schema("no-such-schema.rng") else {
            panic!("a missing schema loads");
        };
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
        assert_eq!(
            e.message,
            "internal error: Unable to parse RNG /usr/share/libvirt/schemas/no-such-schema.rng: \
             xmlRelaxNGParse: could not load /usr/share/libvirt/schemas/no-such-schema.rng\n"
        );
    }
}
