//! What every driver's `virConnectGetAllDomainStats` / `virDomainListGetStats` shares: the flag
//! check, the groups asked for, and the domain filters.

use crate::check_flags;
use rvirt_types::domain::{
    ConnectGetAllDomainStatsFlags as F, ConnectListAllDomainsFlags as L, DomainStatsTypes,
};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The domain filters of the call; they share their bit values with `virConnectListAllDomains`'.
const FILTERS: F = F::ACTIVE
    .union(F::INACTIVE)
    .union(F::PERSISTENT)
    .union(F::TRANSIENT)
    .union(F::RUNNING)
    .union(F::PAUSED)
    .union(F::SHUTOFF)
    .union(F::OTHER);

/// Checks `flags` (as `function` of error domain `from`) and resolves the groups asked for:
/// every `supported` one when `stats` is empty, else `stats`, which under `ENFORCE_STATS` may
/// hold no group outside `supported` (libvirt's error naming the bits not supported by
/// `supporter`, e.g. `this daemon`). Returns the groups and the domain filters as
/// `virConnectListAllDomains` flags.
pub fn all_domain_stats_request(
    from: ErrorDomain,
    function: &str,
    flags: F,
    stats: DomainStatsTypes,
    supported: DomainStatsTypes,
    supporter: &str,
) -> Result<(DomainStatsTypes, L)> {
    check_flags(
        from,
        function,
        flags.bits(),
        (FILTERS | F::NOWAIT | F::BACKING | F::ENFORCE_STATS).bits(),
    )?;
    let unsupported = stats - supported;
    let stats = if stats.is_empty() {
        supported
    } else if flags.contains(F::ENFORCE_STATS) && !unsupported.is_empty() {
        return Err(Error::with_detail(
            from,
            ErrorNumber::ARGUMENT_UNSUPPORTED,
            format!(
                "Stats types bits 0x{:x} are not supported by {supporter}",
                unsupported.bits()
            ),
        ));
    } else {
        stats
    };
    Ok((stats, L::from_bits_retain((flags & FILTERS).bits())))
}
