//! The argument checks libvirt's public API makes before it reaches a driver, worded as libvirt
//! words them (`virReportInvalidArg`: the message alone, no "invalid argument:" prefix).

use rvirt_types::{Error, ErrorDomain, Result};

fn invalid(domain: ErrorDomain, function: &str, arg: &str, message: String) -> Error {
    Error::invalid_arg_raw(domain, function, arg, message)
}

/// `virCheckNonZeroArg`: `ARG in FUNCTION must not be zero`.
pub(crate) fn non_zero(function: &str, arg: &str, value: u64) -> Result<()> {
    if value == 0 {
        return Err(invalid(
            ErrorDomain::DOMAIN,
            function,
            arg,
            format!("{arg} in {function} must not be zero"),
        ));
    }
    Ok(())
}

/// `virCheckNonNegativeArg`: `ARG in FUNCTION must be zero or greater`.
pub(crate) fn non_negative(function: &str, arg: &str, value: i64) -> Result<()> {
    if value < 0 {
        return Err(invalid(
            ErrorDomain::DOMAIN,
            function,
            arg,
            format!("{arg} in {function} must be zero or greater"),
        ));
    }
    Ok(())
}

/// libvirt's check of a CPU or cell number where -1 means all of them: `ARG in FUNCTION only
/// accepts -1 as a negative value`, naming the argument `named` (libvirt names `cpuNum` for
/// cells too).
pub(crate) fn minus_one_or_more(function: &str, arg: &str, named: &str, value: i32) -> Result<()> {
    if value < -1 {
        return Err(invalid(
            ErrorDomain::DOMAIN,
            function,
            named,
            format!("{arg} in {function} only accepts -1 as a negative value"),
        ));
    }
    Ok(())
}

/// `virCheckPositiveArg`: `ARG in FUNCTION must be greater than zero`.
pub(crate) fn positive(function: &str, arg: &str, value: i64) -> Result<()> {
    if value <= 0 {
        return Err(invalid(
            ErrorDomain::DOMAIN,
            function,
            arg,
            format!("{arg} in {function} must be greater than zero"),
        ));
    }
    Ok(())
}

/// `virCheckNonEmptyStringArg`: `string ARG in FUNCTION must not be empty`.
pub(crate) fn non_empty(function: &str, arg: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(invalid(
            ErrorDomain::DOMAIN,
            function,
            arg,
            format!("string {arg} in {function} must not be empty"),
        ));
    }
    Ok(())
}

/// `virCheckNullArg` / `virCheckNonNullArg`: whether an optional argument must be absent or
/// present.
pub(crate) fn presence(
    function: &str,
    arg: &str,
    present: bool,
    must_be_present: bool,
) -> Result<()> {
    match (present, must_be_present) {
        (true, false) => Err(invalid(
            ErrorDomain::DOMAIN,
            function,
            arg,
            format!("{arg} in {function} must be NULL"),
        )),
        (false, true) => Err(invalid(
            ErrorDomain::DOMAIN,
            function,
            arg,
            format!("{arg} in {function} must not be NULL"),
        )),
        _ => Ok(()),
    }
}

/// `VIR_EXCLUSIVE_FLAGS`: two flags that may not be given together.
pub(crate) fn exclusive(
    domain: ErrorDomain,
    function: &str,
    flags: u32,
    a: (u32, &str),
    b: (u32, &str),
) -> Result<()> {
    if flags & a.0 != 0 && flags & b.0 != 0 {
        // libvirt's macro names the argument `ctl`, whatever the call's flags are called.
        return Err(invalid(
            domain,
            function,
            "ctl",
            format!("Flags '{}' and '{}' are mutually exclusive", a.1, b.1),
        ));
    }
    Ok(())
}

/// `VIR_EXCLUSIVE_FLAGS` of `VIR_DOMAIN_AFFECT_LIVE` and `VIR_DOMAIN_AFFECT_CONFIG`, for the
/// getters that read one definition.
pub(crate) fn live_or_config(function: &str, flags: u32) -> Result<()> {
    use rvirt_types::domain::DomainModificationImpact as I;
    exclusive(
        ErrorDomain::DOMAIN,
        function,
        flags,
        (I::LIVE.bits(), "VIR_DOMAIN_AFFECT_LIVE"),
        (I::CONFIG.bits(), "VIR_DOMAIN_AFFECT_CONFIG"),
    )
}

/// `VIR_REQUIRE_FLAG`: a flag that needs another.
pub(crate) fn require(
    domain: ErrorDomain,
    function: &str,
    flags: u32,
    flag: (u32, &str),
    needed: (u32, &str),
) -> Result<()> {
    if flags & flag.0 != 0 && flags & needed.0 == 0 {
        return Err(invalid(
            domain,
            function,
            "flags",
            format!("Flag '{}' is required by flag '{}'", needed.1, flag.1),
        ));
    }
    Ok(())
}

/// The check the save and restore calls share: running and paused exclude each other.
pub(crate) fn save_flags(function: &str, flags: u32) -> Result<()> {
    use rvirt_types::domain::DomainSaveRestoreFlags as S;
    exclusive(
        ErrorDomain::DOMAIN,
        function,
        flags,
        (S::RUNNING.bits(), "VIR_DOMAIN_SAVE_RUNNING"),
        (S::PAUSED.bits(), "VIR_DOMAIN_SAVE_PAUSED"),
    )
}

/// `g_canonicalize_filename(path, NULL)`, as libvirt's API makes file arguments absolute
/// before they reach a driver (which may run elsewhere): relative to the current folder, with
/// `.` and `..` resolved by name and repeated slashes collapsed. Links are not followed.
pub(crate) fn absolute_path(path: &str) -> String {
    let base = if path.starts_with('/') {
        String::new()
    } else {
        std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod path_tests {
    #[test]
    fn paths_are_made_absolute_by_name() {
        assert_eq!(super::absolute_path("/a//b/./c/../d"), "/a/b/d");
        assert_eq!(super::absolute_path("/.."), "/");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            super::absolute_path("x.core"),
            cwd.join("x.core").to_string_lossy()
        );
    }
}
