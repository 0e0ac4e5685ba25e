//! Lists gathered at link time: every `#[traced]` span's descriptor and
//! every metric group's declaration, wherever in the binary's crates they
//! are written.
//!
//! On Linux and Android each entry is a `static` placed in a named section
//! of the object file; the linker puts a section's pieces from every crate
//! side by side and marks its ends with `__start_`/`__stop_` symbols, so
//! the list is a slice, known before `main`, and an entry costs one static.
//! Elsewhere the entries go through `inventory`, which runs a start-up
//! function per entry.
//!
//! Written here, not taken from `linkme` (whose element attribute is a
//! second proc macro run per entry) or `inventory` (whose start-up function
//! per entry is most of what a `#[traced]` function costs a debug build:
//! 200 traced functions rebuilt in 0.47 s with it, 0.34 s without any
//! registration, 0.37 s for `#[instrument]`).
//!
//! The section names carry obs-runtime's version (`obs_0_1_…`), so two
//! incompatible versions linked into one binary keep separate lists of
//! their own types; a test holds the names to the crate's version.

/// Places one entry in a link-time list: `$section` is the list's section
/// name, `$ty` its element type, `$value` a constant expression.
#[doc(hidden)]
#[macro_export]
macro_rules! __linked {
    ($section:literal, $ty:ty, $value:expr) => {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const _: () = {
            #[used]
            #[unsafe(link_section = $section)]
            static __OBS_LINKED: $ty = $value;
        };
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        $crate::__private::inventory::submit! { $value }
    };
}

/// Declares the reader of a link-time list, `fn reader() -> &'static
/// [&'static T]`, from the section `$section` and its `__start_`/`__stop_`
/// symbols.
macro_rules! linked_list {
    ($(#[$attr:meta])* $vis:vis fn $reader:ident() -> &'static [&'static $ty:ty],
     section = $section:literal, start = $start:literal, stop = $stop:literal) => {
        $(#[$attr])*
        $vis fn $reader() -> &'static [&'static $ty] {
            static ALL: std::sync::OnceLock<Vec<&'static $ty>> = std::sync::OnceLock::new();
            ALL.get_or_init(|| {
                #[cfg(any(target_os = "linux", target_os = "android"))]
                {
                    // An empty entry, so that the section (and with it
                    // its start and stop symbols) exists in a binary that
                    // lists nothing.
                    #[used]
                    #[unsafe(link_section = $section)]
                    static EMPTY: [$ty; 0] = [];
                    unsafe extern "Rust" {
                        #[link_name = $start]
                        static START: [$ty; 0];
                        #[link_name = $stop]
                        static STOP: [$ty; 0];
                    }
                    let start = std::ptr::addr_of!(START).cast::<$ty>();
                    let stop = std::ptr::addr_of!(STOP).cast::<$ty>();
                    let bytes = stop as usize - start as usize;
                    let size = std::mem::size_of::<$ty>();
                    debug_assert_eq!(bytes % size, 0, "a linked list's section holds whole entries");
                    // Safety: every piece of the section is a `static` of
                    // `$ty` placed by `__linked!` (or the empty array
                    // above); each is a multiple of its alignment in size,
                    // and LLVM does not raise the alignment of a global
                    // with an explicit section, so the linker lays them
                    // end to end between the two symbols, and they live
                    // for the whole program.
                    let entries = unsafe { std::slice::from_raw_parts(start, bytes / size) };
                    entries.iter().collect()
                }
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                {
                    inventory::iter::<$ty>.into_iter().collect()
                }
            })
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        inventory::collect!($ty);
    };
}
pub(crate) use linked_list;

#[cfg(test)]
mod tests {
    /// The section names are written as literals (an attribute takes no
    /// macro call); each must carry this crate's version.
    #[test]
    fn the_section_names_carry_the_crate_version() {
        let version = env!("CARGO_PKG_VERSION");
        let mut parts = version.split('.');
        let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
        // Before 1.0 a minor version is a breaking one, after it a major.
        let prefix = if major == "0" {
            format!("obs_0_{minor}_")
        } else {
            format!("obs_{major}_")
        };
        let sources = [
            include_str!("trace/catalog.rs"),
            include_str!("registry/group.rs"),
        ];
        let mut names = 0;
        for source in sources {
            for (at, _) in source.match_indices("\"obs_") {
                let name = &source[at + 1..];
                let name = &name[..name.find('"').unwrap()];
                assert!(name.starts_with(&prefix), "{name} does not carry {prefix}");
                names += 1;
            }
            for (at, _) in source.match_indices("\"__st") {
                let name = &source[at + 1..];
                let name = &name[..name.find('"').unwrap()];
                assert!(
                    name.starts_with(&format!("__start_{prefix}"))
                        || name.starts_with(&format!("__stop_{prefix}")),
                    "{name} does not carry {prefix}"
                );
                names += 1;
            }
        }
        // Two lists, each named in the entry macro, the reader's section,
        // its start and its stop.
        assert_eq!(names, 8);
    }
}
