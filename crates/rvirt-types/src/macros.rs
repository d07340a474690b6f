//! The two shapes every libvirt enum takes here.

/// A libvirt value enum as a newtype over its wire value, with one constant per C member, so that
/// a value rvirt does not know (from a newer peer) still round-trips.
#[macro_export]
macro_rules! value_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$cm:meta])* $c:ident = $v:expr,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub i32);

        impl $name {
            $($(#[$cm])* pub const $c: $name = $name($v);)*

            /// The member's name without the C prefix, if rvirt knows the value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $(v if v == $v => Some(stringify!($c)),)*
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}::{}", stringify!($name), n),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }
    };
}

/// A libvirt flag enum as a `bitflags` set of `u32`. The zero member (`…_CURRENT`, `…_DEFAULT`)
/// is `empty()`.
#[macro_export]
macro_rules! flag_set {
    ($(#[$($m:tt)*])* $name:ident { $($(#[$($cm:tt)*])* $c:ident = $v:expr,)* }) => {
        ::bitflags::bitflags! {
            $(#[$($m)*])*
            #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
            pub struct $name: u32 {
                $($(#[$($cm)*])* const $c = $v;)*
            }
        }
    };
}
