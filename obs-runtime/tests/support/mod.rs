//! Shared by the integration tests: runs the reference parsers that every
//! exposition must satisfy, and normalises what varies between runs.
//!
//! - `promtool check metrics` (Debian's `prometheus` package) for the
//!   Prometheus text format 0.0.4: it must exit 0 and report no lint problem.
//! - The strict OpenMetrics parser of PyPI's `prometheus-client`
//!   (`prometheus_client.openmetrics.parser`), run by the Python of the
//!   virtualenv that `.ci/run` creates. Its lax text-format parser is also
//!   used, to read back values written in the Prometheus text format.
//!
//! Tools are found through `OBS_PROMTOOL` (default: `promtool` on `PATH`) and
//! `OBS_PYTHON` (default: `<workspace>/target/ci-venv/bin/python`). A missing
//! tool fails the test with the command that installs it: a test that cannot
//! check its output must not pass.

// Each test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;

/// How to install everything these helpers run.
pub const INSTALL_HINT: &str =
    "run `.ci/run` once (it installs both tools), or install them by hand: \
     `apt-get install -y --no-install-recommends prometheus` (provides `promtool`; \
     or set OBS_PROMTOOL to a promtool binary) and \
     `python3 -m venv target/ci-venv && target/ci-venv/bin/pip install prometheus-client` \
     (or set OBS_PYTHON to a Python that has `prometheus_client`)";

/// The workspace root (the parent of `obs-runtime/`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The `promtool` to run: `$OBS_PROMTOOL`, else `promtool` on `PATH`.
pub fn promtool() -> OsString {
    std::env::var_os("OBS_PROMTOOL")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "promtool".into())
}

/// The Python to run: `$OBS_PYTHON`, else the CI virtualenv's.
pub fn python() -> OsString {
    std::env::var_os("OBS_PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| {
            workspace_root()
                .join("target/ci-venv/bin/python")
                .into_os_string()
        })
}

/// Runs `program args…` with `input` on standard input. Panics, saying how to
/// install it, when the program cannot be started.
fn run_with_stdin(program: &OsString, args: &[&str], input: &str, what: &str) -> Output {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) if err.kind() == io::ErrorKind::NotFound => panic!(
            "{what} not found (tried to run `{}`): {err}.\nThis test needs it; {INSTALL_HINT}.",
            program.to_string_lossy()
        ),
        Err(err) => panic!(
            "could not run {what} `{}`: {err}",
            program.to_string_lossy()
        ),
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_owned();
    // Written from another thread so that a tool printing a lot before it has
    // read all of its input cannot deadlock us.
    let writer = thread::spawn(move || {
        // A tool that exits early closes the pipe; its exit status says why.
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child
        .wait_with_output()
        .unwrap_or_else(|err| panic!("waiting for {what}: {err}"));
    writer.join().expect("stdin writer thread");
    output
}

/// What `promtool check metrics` said about an exposition.
#[derive(Debug)]
pub struct PromtoolVerdict {
    /// Whether it exited 0.
    pub success: bool,
    /// Its standard output and error, joined: parse errors and lint problems.
    pub report: String,
}

impl PromtoolVerdict {
    /// Valid and without a single lint problem.
    pub fn is_clean(&self) -> bool {
        self.success && self.report.trim().is_empty()
    }
}

/// Runs `promtool check metrics` on `text` (Prometheus text format 0.0.4).
pub fn promtool_check(text: &str) -> PromtoolVerdict {
    let output = run_with_stdin(&promtool(), &["check", "metrics"], text, "promtool");
    let mut report = String::from_utf8_lossy(&output.stdout).into_owned();
    report.push_str(&String::from_utf8_lossy(&output.stderr));
    PromtoolVerdict {
        success: output.status.success(),
        report,
    }
}

/// Asserts that `promtool check metrics` accepts `text` with no lint problem.
#[track_caller]
pub fn assert_promtool_clean(text: &str) {
    let verdict = promtool_check(text);
    assert!(
        verdict.is_clean(),
        "`promtool check metrics` rejected the exposition (success: {}):\n{}\n--- exposition ---\n{}",
        verdict.success,
        verdict.report,
        text
    );
}

/// One metric family as the Python parser read it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedFamily {
    /// The family name (counters without `_total`).
    pub name: String,
    /// `counter`, `gauge`, `histogram`, … (`unknown`/`untyped` when absent).
    pub kind: String,
    /// The unit (`""` when none; always `""` for the text format).
    pub unit: String,
    /// The help text, unescaped.
    pub help: String,
    /// Its samples, in exposition order.
    pub samples: Vec<ParsedSample>,
}

/// One sample as the Python parser read it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSample {
    /// The sample name, suffix included (`x_total`, `x_bucket`, `x_created`).
    pub name: String,
    /// Labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value as Python's `repr` printed it (`3`, `0.25`, `nan`, `inf`).
    pub value_text: String,
    /// The value.
    pub value: f64,
}

impl ParsedFamily {
    /// The samples named `name`, in order.
    pub fn samples_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ParsedSample> {
        self.samples.iter().filter(move |s| s.name == name)
    }
}

/// Finds the family `name`, panicking with the list of families when absent.
#[track_caller]
pub fn family<'a>(families: &'a [ParsedFamily], name: &str) -> &'a ParsedFamily {
    families.iter().find(|f| f.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        panic!("no family `{name}` among {names:?}")
    })
}

/// Labels from `(name, value)` pairs.
pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

// Parses standard input with the chosen prometheus_client parser and prints
// one line per family (`F name type unit help`) and per sample
// (`S name value label value …`), every string hex-encoded UTF-8 prefixed
// with `x` so that no field is empty and nothing needs escaping. The parser is
// a generator: `list(...)` consumes it fully, so errors in any family raise.
const PARSE_SCRIPT: &str = r#"
import sys
try:
    if sys.argv[1] == "openmetrics":
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        from prometheus_client.parser import text_string_to_metric_families
except ImportError as err:
    sys.stderr.write("OBS-MISSING-MODULE: %s\n" % err)
    sys.exit(3)
text = sys.stdin.buffer.read().decode("utf-8")
def h(s):
    return "x" + s.encode("utf-8").hex()
out = []
for family in list(text_string_to_metric_families(text)):
    out.append(" ".join(["F", h(family.name), family.type, h(family.unit or ""), h(family.documentation or "")]))
    for s in family.samples:
        fields = ["S", h(s.name), repr(s.value)]
        for k, v in s.labels.items():
            fields += [h(k), h(v)]
        out.append(" ".join(fields))
sys.stdout.write("".join(line + "\n" for line in out))
"#;

fn unhex(field: &str) -> String {
    let hex = field
        .strip_prefix('x')
        .unwrap_or_else(|| panic!("bad field {field:?}"));
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    String::from_utf8(bytes).expect("the parser printed UTF-8")
}

fn parse_script_output(stdout: &str) -> Vec<ParsedFamily> {
    let mut families: Vec<ParsedFamily> = Vec::new();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        match fields.as_slice() {
            ["F", name, kind, unit, help] => families.push(ParsedFamily {
                name: unhex(name),
                kind: (*kind).to_owned(),
                unit: unhex(unit),
                help: unhex(help),
                samples: Vec::new(),
            }),
            ["S", name, value, rest @ ..] => {
                let labels = rest
                    .chunks(2)
                    .map(|pair| (unhex(pair[0]), unhex(pair[1])))
                    .collect();
                let sample = ParsedSample {
                    name: unhex(name),
                    labels,
                    value_text: (*value).to_owned(),
                    value: value
                        .parse()
                        .unwrap_or_else(|_| panic!("bad value {value:?}")),
                };
                families
                    .last_mut()
                    .expect("a sample follows its family")
                    .samples
                    .push(sample);
            }
            _ => panic!("unexpected parser output line {line:?}"),
        }
    }
    families
}

fn run_python_parser(mode: &str, text: &str) -> Result<Vec<ParsedFamily>, String> {
    let python = python();
    let output = run_with_stdin(&python, &["-c", PARSE_SCRIPT, mode], text, "Python");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("OBS-MISSING-MODULE") {
        panic!(
            "the Python at `{}` has no `prometheus_client` ({}).\nThis test needs it; {INSTALL_HINT}.",
            python.to_string_lossy(),
            stderr.trim()
        );
    }
    if !output.status.success() {
        return Err(stderr.into_owned());
    }
    Ok(parse_script_output(&String::from_utf8_lossy(
        &output.stdout,
    )))
}

/// Parses `text` with the strict OpenMetrics parser; `Err` holds its error.
pub fn try_parse_openmetrics(text: &str) -> Result<Vec<ParsedFamily>, String> {
    run_python_parser("openmetrics", text)
}

/// Parses `text` with the strict OpenMetrics parser, panicking on any error.
#[track_caller]
pub fn parse_openmetrics(text: &str) -> Vec<ParsedFamily> {
    match try_parse_openmetrics(text) {
        Ok(families) => families,
        Err(err) => panic!(
            "the OpenMetrics parser rejected the exposition:\n{err}\n--- exposition ---\n{text}"
        ),
    }
}

/// Parses `text` with prometheus_client's (lax) text-format parser, to read
/// back values; validity is `promtool`'s job.
#[track_caller]
pub fn parse_prometheus_text(text: &str) -> Vec<ParsedFamily> {
    match run_python_parser("text", text) {
        Ok(families) => families,
        Err(err) => panic!(
            "the text-format parser rejected the exposition:\n{err}\n--- exposition ---\n{text}"
        ),
    }
}

/// Replaces the value of every `*_created` sample with `<created>`, after
/// checking that it is a plausible Unix time in seconds, so that expositions
/// compare exactly.
#[track_caller]
pub fn normalize_created(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let is_created = !line.starts_with('#')
            && line
                .split(['{', ' '])
                .next()
                .is_some_and(|name| name.ends_with("_created"));
        match line.rsplit_once(' ') {
            Some((head, value)) if is_created => {
                let seconds: f64 = value
                    .trim_end()
                    .parse()
                    .unwrap_or_else(|_| panic!("`_created` value is not a number: {line:?}"));
                assert!(
                    seconds.is_finite() && seconds > 1.0e9,
                    "`_created` is not a Unix time in seconds: {line:?}"
                );
                out.push_str(head);
                out.push_str(" <created>\n");
            }
            _ => out.push_str(line),
        }
    }
    out
}
