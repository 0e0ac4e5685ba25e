//! The process's own statistics, read from Linux's `/proc` with `std::fs`:
//! `/proc/self/stat` (CPU time, memory, threads, start), `/proc/self/limits`
//! (the open-files limit), `/proc/self/fd` (open descriptors) and
//! `/proc/stat` (boot time). Each parser takes the file's text, so canned
//! content tests it; what does not parse is absent, never a panic.

use std::sync::OnceLock;

/// One reading of the process; a field is `None` when its file could not be
/// read or parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Reading {
    pub(super) cpu_seconds: Option<f64>,
    pub(super) resident_bytes: Option<i64>,
    pub(super) virtual_bytes: Option<i64>,
    pub(super) open_fds: Option<i64>,
    pub(super) max_fds: Option<i64>,
    pub(super) start_time_seconds: Option<f64>,
    pub(super) threads: Option<i64>,
}

/// Reads the process now.
pub(super) fn read() -> Reading {
    let file = |path| std::fs::read_to_string(path).ok();
    let units = units();
    let boot_time = boot_time();
    let stat = file("/proc/self/stat")
        .as_deref()
        .and_then(parse_stat)
        .unwrap_or_default();
    Reading {
        cpu_seconds: units
            .clock_ticks
            .and_then(|ticks| Some(stat.utime?.saturating_add(stat.stime?) as f64 / ticks as f64)),
        resident_bytes: units
            .page_size
            .and_then(|page| i64::try_from(stat.rss_pages?.checked_mul(page)?).ok()),
        virtual_bytes: stat.vsize.and_then(|v| i64::try_from(v).ok()),
        open_fds: std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|dir| dir.filter(Result::is_ok).count() as i64),
        max_fds: file("/proc/self/limits").as_deref().and_then(parse_max_fds),
        start_time_seconds: units
            .clock_ticks
            .and_then(|ticks| Some(boot_time? + stat.start_ticks? as f64 / ticks as f64)),
        threads: stat.threads,
    }
}

/// What `/proc/self/stat` says, in its own units.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Stat {
    pub(super) utime: Option<u64>,
    pub(super) stime: Option<u64>,
    pub(super) threads: Option<i64>,
    pub(super) start_ticks: Option<u64>,
    pub(super) vsize: Option<u64>,
    pub(super) rss_pages: Option<u64>,
}

/// Parses `/proc/self/stat`: `pid (comm) state ppid …`, where `comm` may
/// hold spaces and parentheses, so the fields are counted from the last
/// `)`. `None` when there is no `)`.
pub(super) fn parse_stat(text: &str) -> Option<Stat> {
    let (_, rest) = text.rsplit_once(')')?;
    // Field 3 of proc(5), the state, is the first after `)`.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        utime: field(14),
        stime: field(15),
        threads: field(20).and_then(|n| i64::try_from(n).ok()),
        start_ticks: field(22),
        vsize: field(23),
        rss_pages: field(24),
    })
}

/// The soft limit of `Max open files` in `/proc/self/limits`; `None` when
/// it is missing or `unlimited`.
pub(super) fn parse_max_fds(text: &str) -> Option<i64> {
    after(text, "Max open files")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The boot time, in seconds since the Unix epoch: `btime` in `/proc/stat`.
pub(super) fn parse_boot_time(text: &str) -> Option<f64> {
    after(text, "btime ")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| s as f64)
}

/// The rest of the first line of `text` that starts with `prefix`.
fn after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().find_map(|line| line.strip_prefix(prefix))
}

/// The kernel's units for `/proc/self/stat`: clock ticks per second (for
/// CPU and start times) and the page size (for the resident set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Units {
    pub(super) clock_ticks: Option<u64>,
    pub(super) page_size: Option<u64>,
}

/// When the system booted, in seconds since the Unix epoch: read once, as
/// it never changes (and `/proc/stat` grows with the number of CPUs).
fn boot_time() -> Option<f64> {
    static BOOT_TIME: OnceLock<Option<f64>> = OnceLock::new();
    *BOOT_TIME.get_or_init(|| {
        std::fs::read_to_string("/proc/stat")
            .ok()
            .as_deref()
            .and_then(parse_boot_time)
    })
}

/// The units, read once: they do not change while the process runs.
///
/// Both come from the auxiliary vector the kernel hands every process
/// (`AT_CLKTCK`, `AT_PAGESZ`, which is what libc's `sysconf` returns for
/// them), read from `/proc/self/auxv`: no libc dependency, no `unsafe`.
fn units() -> Units {
    static UNITS: OnceLock<Units> = OnceLock::new();
    *UNITS.get_or_init(|| {
        std::fs::read("/proc/self/auxv")
            .map(|auxv| parse_auxv(&auxv))
            .unwrap_or_default()
    })
}

/// `AT_PAGESZ` and `AT_CLKTCK` in `<linux/auxvec.h>`.
const AT_PAGESZ: usize = 6;
const AT_CLKTCK: usize = 17;

/// Parses an auxiliary vector: pairs of native words, key then value, up to
/// the `AT_NULL` (0) key. Zero values count as unknown.
pub(super) fn parse_auxv(auxv: &[u8]) -> Units {
    const WORD: usize = std::mem::size_of::<usize>();
    let word = |bytes: &[u8]| {
        let mut buf = [0; WORD];
        buf.copy_from_slice(bytes);
        usize::from_ne_bytes(buf)
    };
    let mut units = Units::default();
    for pair in auxv.chunks_exact(2 * WORD) {
        let (key, value) = (word(&pair[..WORD]), word(&pair[WORD..]) as u64);
        match key {
            0 => break,
            AT_PAGESZ => units.page_size = Some(value).filter(|v| *v > 0),
            AT_CLKTCK => units.clock_ticks = Some(value).filter(|v| *v > 0),
            _ => {}
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    // A real line, with a command name holding `) (` and spaces.
    const STAT: &str = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
        250 50 0 0 20 0 7 0 123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 \
        4096 17664 0 0 0 17 1 0 0 0 0 0\n";

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let stat = parse_stat(STAT).unwrap();
        assert_eq!(
            stat,
            Stat {
                utime: Some(250),
                stime: Some(50),
                threads: Some(7),
                start_ticks: Some(123456),
                vsize: Some(987654321),
                rss_pages: Some(2048),
            }
        );
    }

    #[test]
    fn malformed_stat_gives_nothing_and_never_panics() {
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("4242 (app S 1 2 3"), None);
        assert_eq!(parse_stat("4242 (app) S 1"), Some(Stat::default()));
        let garbled = parse_stat("1 (a) S x y z w v u t s r q p o n m l k j i h g f e").unwrap();
        assert_eq!(garbled, Stat::default());
        for cut in 0..STAT.len() {
            let _ = parse_stat(&STAT[..cut]);
        }
    }

    #[test]
    fn the_open_files_soft_limit() {
        let limits =
            "Limit                     Soft Limit           Hard Limit           Units     \n\
            Max cpu time              unlimited            unlimited            seconds   \n\
            Max open files            1024                 524288               files     \n";
        assert_eq!(parse_max_fds(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_max_fds(unlimited), None);
        assert_eq!(parse_max_fds("Max open files\n"), None);
        assert_eq!(parse_max_fds(""), None);
    }

    #[test]
    fn boot_time_from_proc_stat() {
        let stat = "cpu  1 2 3 4\nintr 5\nctxt 6\nbtime 1700000000\nprocesses 7\n";
        assert_eq!(parse_boot_time(stat), Some(1_700_000_000.0));
        assert_eq!(parse_boot_time("btime soon\n"), None);
        assert_eq!(parse_boot_time("cpu 1 2\n"), None);
    }

    #[test]
    fn auxv_units() {
        let mut auxv = Vec::new();
        for (key, value) in [
            (3usize, 64usize),
            (AT_PAGESZ, 4096),
            (AT_CLKTCK, 100),
            (0, 0),
        ] {
            auxv.extend_from_slice(&key.to_ne_bytes());
            auxv.extend_from_slice(&value.to_ne_bytes());
        }
        let units = Units {
            clock_ticks: Some(100),
            page_size: Some(4096),
        };
        assert_eq!(parse_auxv(&auxv), units);
        // Cut short, or empty: what was read, or nothing.
        assert_eq!(
            parse_auxv(&auxv[..auxv.len() / 2 + 3]).page_size,
            Some(4096)
        );
        assert_eq!(parse_auxv(&[]), Units::default());
        assert_eq!(parse_auxv(&[1, 2, 3]), Units::default());
    }

    #[test]
    fn this_process_reads_plausibly() {
        let reading = read();
        assert!(reading.threads.unwrap() >= 1);
        assert!(reading.resident_bytes.unwrap() > 0);
        assert!(reading.virtual_bytes.unwrap() >= reading.resident_bytes.unwrap());
        assert!(reading.open_fds.unwrap() >= 1);
        assert!(reading.max_fds.unwrap() >= reading.open_fds.unwrap());
        assert!(reading.cpu_seconds.unwrap() >= 0.0);
        let now = crate::clock::unix_seconds();
        let start = reading.start_time_seconds.unwrap();
        assert!(
            start <= now + 1.0 && start > now - 86_400.0,
            "{start} vs {now}"
        );
    }
}
