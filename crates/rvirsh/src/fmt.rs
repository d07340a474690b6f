//! Output helpers shared by the command groups: virsh's tables, state and reason names,
//! typed parameter values.

use rvirt::TypedParamValue;
use rvirt::flags::DomainState;

/// vshTable: a header row and rows, columns padded to the widest cell.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

/// A cell as vshTableSafeEncode shows it: control characters as `\xNN`.
fn safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| s.to_string()).collect()],
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text; the header and its rule only when `header`.
    pub fn render(&self, header: bool) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| safe(c)).collect())
            .collect();
        let ncols = cells[0].len();
        let mut widths = vec![0usize; ncols];
        for (i, r) in cells.iter().enumerate() {
            if i == 0 && !header {
                continue;
            }
            for (j, c) in r.iter().enumerate().take(ncols) {
                widths[j] = widths[j].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, r: &[String]| {
            for (j, c) in r.iter().enumerate().take(ncols) {
                out.push(' ');
                out.push_str(c);
                if j + 1 < r.len().min(ncols) {
                    let pad = widths[j] - c.chars().count() + 2;
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
        };
        if header {
            line(&mut out, &cells[0]);
            let dashes: usize = widths.iter().map(|w| w + 3).sum();
            out.extend(std::iter::repeat_n('-', dashes));
            out.push('\n');
        }
        for r in &cells[1..] {
            line(&mut out, r);
        }
        out
    }
}

/// virshDomainStateToString.
pub fn state_name(s: DomainState) -> &'static str {
    match s.0 {
        1 => "running",
        2 => "idle",
        3 => "paused",
        4 => "in shutdown",
        5 => "shut off",
        6 => "crashed",
        7 => "pmsuspended",
        _ => "no state",
    }
}

/// virshDomainStateReasonToString.
pub fn reason_name(s: DomainState, reason: i32) -> &'static str {
    let table: &[&str] = match s.0 {
        1 => &[
            "unknown",
            "booted",
            "migrated",
            "restored",
            "from snapshot",
            "unpaused",
            "migration canceled",
            "save canceled",
            "event wakeup",
            "crashed",
            "post-copy",
            "post-copy failed",
        ],
        3 => &[
            "unknown",
            "user",
            "migrating",
            "saving",
            "dumping",
            "I/O error",
            "watchdog",
            "from snapshot",
            "shutting down",
            "creating snapshot",
            "crashed",
            "starting up",
            "post-copy",
            "post-copy failed",
        ],
        4 => &["unknown", "user"],
        5 => &[
            "unknown",
            "shutdown",
            "destroyed",
            "crashed",
            "migrated",
            "saved",
            "failed",
            "from snapshot",
            "daemon",
        ],
        6 => &["unknown", "panicked"],
        _ => &["unknown"],
    };
    usize::try_from(reason)
        .ok()
        .and_then(|r| table.get(r))
        .copied()
        .unwrap_or("unknown")
}

/// vshGetTypedParamValue.
pub fn typed_value(v: &TypedParamValue) -> String {
    match v {
        TypedParamValue::Int(i) => i.to_string(),
        TypedParamValue::UInt(u) => u.to_string(),
        TypedParamValue::LLong(l) => l.to_string(),
        TypedParamValue::ULLong(u) => u.to_string(),
        TypedParamValue::Double(d) => format!("{d:.6}"),
        TypedParamValue::Boolean(b) => if *b { "yes" } else { "no" }.to_string(),
        TypedParamValue::String(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_as_vsh_prints_it() {
        let mut t = Table::new(&["Id", "Name", "State"]);
        t.row(vec!["1".into(), "test".into(), "running".into()]);
        assert_eq!(
            t.render(true),
            " Id   Name   State\n----------------------\n 1    test   running\n"
        );
        assert_eq!(t.render(false), " 1   test   running\n");
    }

    #[test]
    fn state_and_reason_names() {
        assert_eq!(state_name(DomainState::SHUTOFF), "shut off");
        assert_eq!(state_name(DomainState(42)), "no state");
        assert_eq!(reason_name(DomainState::RUNNING, 1), "booted");
        assert_eq!(reason_name(DomainState::SHUTOFF, 99), "unknown");
        assert_eq!(reason_name(DomainState::PAUSED, -1), "unknown");
        assert_eq!(typed_value(&TypedParamValue::Double(1.5)), "1.500000");
    }
}

/// `%Y-%m-%d %H:%M:%S` of a Unix time in UTC (rvirsh has no time zone database).
pub(crate) fn utc_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod utc_tests {
    #[test]
    fn utc_dates_as_glib_prints_them() {
        assert_eq!(super::utc_date(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc_date(627_319_920), "1989-11-17 15:32:00");
        assert_eq!(super::utc_date(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(super::utc_date(-1), "1969-12-31 23:59:59");
        assert_eq!(super::utc_date(4_102_444_800), "2100-01-01 00:00:00");
    }
}
