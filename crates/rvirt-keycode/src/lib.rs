//! Key codes for `virDomainSendKey`: libvirt's codesets (`virKeycodeSet`), the key names of
//! the three codesets that have them, and the translation of a code between codesets.
//!
//! Every codeset is a column of one table with a row per Linux key code ([`table`], from
//! keycodemapdb). As in libvirt, a code is found by the first row holding it in its codeset's
//! column, and a key a codeset lacks holds that codeset's code of `KEY_RESERVED`: so code 0 is
//! in every codeset but OS X (where 0xff is), and translates to 0.

mod table;

use rvirt_types::domain::KeycodeSet;

/// One Linux key: its code in each [`Column`], and its names.
pub(crate) struct Row {
    /// Indexed by [`Column`].
    pub(crate) codes: [u16; 9],
    pub(crate) linux: Option<&'static str>,
    pub(crate) osx: Option<&'static str>,
    pub(crate) win32: Option<&'static str>,
}

/// The table's columns, in the order of [`Row::codes`].
#[derive(Clone, Copy)]
enum Column {
    Linux = 0,
    Atset1,
    Atset2,
    Atset3,
    Osx,
    XtKbd,
    Usb,
    Win32,
    Qnum,
}

/// The codeset names virsh's `--codeset` takes, in `virKeycodeSet` order (`rfb`, the old name
/// of `qnum`, is taken too: see [`codeset_from_name`]).
pub const CODESET_NAMES: [&str; 10] = [
    "linux", "xt", "atset1", "atset2", "atset3", "os_x", "xt_kbd", "usb", "win32", "qnum",
];

/// The column of `set`, or `None` for a value outside `virKeycodeSet`. XT has no column of
/// its own: libvirt gives it AT set 1's.
fn column(set: KeycodeSet) -> Option<Column> {
    Some(match set {
        KeycodeSet::LINUX => Column::Linux,
        KeycodeSet::XT | KeycodeSet::ATSET1 => Column::Atset1,
        KeycodeSet::ATSET2 => Column::Atset2,
        KeycodeSet::ATSET3 => Column::Atset3,
        KeycodeSet::OSX => Column::Osx,
        KeycodeSet::XT_KBD => Column::XtKbd,
        KeycodeSet::USB => Column::Usb,
        KeycodeSet::WIN32 => Column::Win32,
        KeycodeSet::QNUM => Column::Qnum,
        _ => return None,
    })
}

/// Whether `set` is one of libvirt's codesets (`VIR_KEYCODE_SET_LAST` bounds them).
pub fn is_known(set: KeycodeSet) -> bool {
    column(set).is_some()
}

/// The name of `set` as libvirt prints it in its messages (`linux`, `os_x`, …).
pub fn codeset_name(set: KeycodeSet) -> Option<&'static str> {
    usize::try_from(set.0)
        .ok()
        .and_then(|i| CODESET_NAMES.get(i).copied())
}

/// The codeset virsh's `--codeset NAME` means; `rfb` is the old name of `qnum`.
pub fn codeset_from_name(name: &str) -> Option<KeycodeSet> {
    let name = if name == "rfb" { "qnum" } else { name };
    CODESET_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| KeycodeSet(i as i32))
}

/// The name of `row`'s key in `col`, if that codeset names its keys.
fn name_in(col: Column, row: &Row) -> Option<&'static str> {
    match col {
        Column::Linux => row.linux,
        Column::Osx => row.osx,
        Column::Win32 => row.win32,
        _ => None,
    }
}

/// The code of the key called `name` in `set`. Only the Linux (`KEY_A`), OS X (`ANSI_A`) and
/// Win32 (`VK_A`) codesets name their keys; a name in any other codeset is unknown, as in
/// virsh.
pub fn value_from_name(set: KeycodeSet, name: &str) -> Option<u16> {
    let col = column(set)?;
    table::ROWS
        .iter()
        .find(|r| name_in(col, r) == Some(name))
        .map(|r| r.codes[col as usize])
}

/// The key names of `set`, in table order: Linux, OS X and Win32 have them, other codesets
/// none.
pub fn key_names(set: KeycodeSet) -> impl Iterator<Item = &'static str> {
    let col = column(set);
    table::ROWS
        .iter()
        .filter_map(move |r| col.and_then(|c| name_in(c, r)))
}

/// Code `value` of codeset `from` as a code of codeset `to`; `None` if `from` has no such
/// code (or either codeset is unknown). Translating into the same codeset tells whether the
/// code exists there.
pub fn translate(from: KeycodeSet, to: KeycodeSet, value: u32) -> Option<u16> {
    let (from, to) = (column(from)?, column(to)?);
    table::ROWS
        .iter()
        .find(|r| u32::from(r.codes[from as usize]) == value)
        .map(|r| r.codes[to as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codeset_name_round_trips_and_rfb_is_qnum() {
        for (i, n) in CODESET_NAMES.iter().enumerate() {
            let set = codeset_from_name(n).unwrap();
            assert_eq!(set, KeycodeSet(i as i32));
            assert_eq!(codeset_name(set), Some(*n));
            assert!(is_known(set));
        }
        assert_eq!(codeset_from_name("rfb"), Some(KeycodeSet::QNUM));
        assert_eq!(codeset_from_name("xtkbd"), None);
        assert!(!is_known(KeycodeSet(10)));
        assert_eq!(codeset_name(KeycodeSet(-1)), None);
    }

    #[test]
    fn the_a_key_in_every_codeset() {
        // KEY_A: Linux 30, AT set 1 0x1e, set 2 0x1c, set 3 0x1c, OS X 0, XT-KBD 0x1e,
        // USB HID 4, Win32 'A', QNUM 0x1e.
        let a = [
            (KeycodeSet::LINUX, 30),
            (KeycodeSet::XT, 0x1e),
            (KeycodeSet::ATSET1, 0x1e),
            (KeycodeSet::ATSET2, 0x1c),
            (KeycodeSet::ATSET3, 0x1c),
            (KeycodeSet::OSX, 0),
            (KeycodeSet::XT_KBD, 0x1e),
            (KeycodeSet::USB, 4),
            (KeycodeSet::WIN32, 0x41),
            (KeycodeSet::QNUM, 0x1e),
        ];
        for (set, code) in a {
            assert_eq!(translate(KeycodeSet::LINUX, set, 30), Some(code), "{set:?}");
        }
        assert_eq!(value_from_name(KeycodeSet::LINUX, "KEY_A"), Some(30));
        assert_eq!(value_from_name(KeycodeSet::OSX, "ANSI_A"), Some(0));
        assert_eq!(value_from_name(KeycodeSet::WIN32, "VK_A"), Some(0x41));
        // Only three codesets name their keys.
        assert_eq!(value_from_name(KeycodeSet::USB, "KEY_A"), None);
        assert_eq!(value_from_name(KeycodeSet::LINUX, "KEY_FOO"), None);
    }

    #[test]
    fn extended_keys_take_the_derived_encodings() {
        // KEY_RIGHTCTRL is 0xe0 0x1d in AT set 1: 0x11d in XT-KBD, 0x9d in QNUM.
        let rctrl = value_from_name(KeycodeSet::LINUX, "KEY_RIGHTCTRL").unwrap();
        assert_eq!(
            translate(KeycodeSet::LINUX, KeycodeSet::ATSET1, rctrl.into()),
            Some(0xe01d)
        );
        assert_eq!(
            translate(KeycodeSet::LINUX, KeycodeSet::XT_KBD, rctrl.into()),
            Some(0x11d)
        );
        assert_eq!(
            translate(KeycodeSet::USB, KeycodeSet::QNUM, 0xe4),
            Some(0x9d)
        );
    }

    #[test]
    fn a_code_a_codeset_lacks_is_refused_and_zero_is_reserved() {
        assert_eq!(translate(KeycodeSet::LINUX, KeycodeSet::LINUX, 0x300), None);
        assert_eq!(translate(KeycodeSet::USB, KeycodeSet::USB, 0xffff), None);
        assert_eq!(translate(KeycodeSet::USB, KeycodeSet::QNUM, 0), Some(0));
        assert_eq!(
            translate(KeycodeSet::OSX, KeycodeSet::OSX, 0xff),
            Some(0xff)
        );
        assert_eq!(translate(KeycodeSet(42), KeycodeSet::QNUM, 1), None);
    }
}
