//! A reader of the Prometheus text format (0.0.4) and OpenMetrics 1.0, for
//! the live check: families with their `# TYPE`, `# HELP` and `# UNIT`, and
//! samples with their labels and line numbers.
//!
//! Written here rather than taken from a crate: the check needs `# UNIT`,
//! the exact sample names with their suffixes, and errors with line
//! numbers, which the small exposition parsers on the registry do not all
//! give; the format is line-based and this reader is short.

/// One metric family of an exposition.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Family {
    /// The name on its `# TYPE` line (OpenMetrics: a counter without
    /// `_total`), or the sample name for a family without one.
    pub name: String,
    /// The type, as written (`counter`, `gauge`, `histogram`, …).
    pub metric_type: Option<String>,
    /// The help text, unescaped.
    pub help: Option<String>,
    /// The unit (OpenMetrics only).
    pub unit: Option<String>,
    /// The samples, in order.
    pub samples: Vec<Sample>,
    /// The line the family starts on.
    pub line: usize,
}

/// One sample line.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The sample name, suffix included (`x_bucket`).
    pub name: String,
    /// Label names and unescaped values, in order.
    pub labels: Vec<(String, String)>,
    /// The value as written.
    pub value: String,
    /// The line.
    pub line: usize,
}

impl Sample {
    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A line that is not valid exposition: its number and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The suffixes a sample may add to its family's name.
const SUFFIXES: [&str; 6] = ["_total", "_created", "_bucket", "_sum", "_count", "_info"];

/// Parses an exposition.
///
/// ```
/// let text = "# TYPE jobs counter\n# HELP jobs Jobs run.\njobs_total{outcome=\"ok\"} 3\n# EOF\n";
/// let families = obs_cli::exposition::parse(text).unwrap();
/// assert_eq!(families[0].name, "jobs");
/// assert_eq!(families[0].help.as_deref(), Some("Jobs run."));
/// assert_eq!(families[0].samples[0].label("outcome"), Some("ok"));
/// assert_eq!(obs_cli::exposition::parse("jobs_total{outcome=ok} 3").unwrap_err().line, 1);
/// ```
pub fn parse(text: &str) -> Result<Vec<Family>, SyntaxError> {
    let mut families: Vec<Family> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let error = |message: &str| SyntaxError {
            line: number,
            message: message.to_owned(),
        };
        if line.trim().is_empty() || line == "# EOF" {
            continue;
        }
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let keyword = parts.next().unwrap_or("");
            let (Some(name), rest) = (parts.next(), parts.next().unwrap_or("")) else {
                continue;
            };
            if !matches!(keyword, "TYPE" | "HELP" | "UNIT") {
                continue;
            }
            let family = family_for(&mut families, name, number);
            match keyword {
                "TYPE" => family.metric_type = Some(rest.trim().to_owned()),
                "HELP" => family.help = Some(unescape(rest)),
                _ => family.unit = Some(rest.trim().to_owned()),
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let sample = sample(line, number).map_err(|message| error(&message))?;
        let owner = families.iter().rposition(|f| {
            sample.name == f.name
                || sample
                    .name
                    .strip_prefix(f.name.as_str())
                    .is_some_and(|suffix| SUFFIXES.contains(&suffix))
        });
        match owner {
            Some(at) => families[at].samples.push(sample),
            None => families.push(Family {
                name: sample.name.clone(),
                line: number,
                samples: vec![sample],
                ..Family::default()
            }),
        }
    }
    Ok(families)
}

fn family_for<'f>(families: &'f mut Vec<Family>, name: &str, line: usize) -> &'f mut Family {
    match families.iter().rposition(|f| f.name == name) {
        Some(at) => &mut families[at],
        None => {
            families.push(Family {
                name: name.to_owned(),
                line,
                ..Family::default()
            });
            families.last_mut().expect("just pushed")
        }
    }
}

/// `name{a="x",b="y"} value [timestamp] [# exemplar]`.
fn sample(line: &str, number: usize) -> Result<Sample, String> {
    let name_end = line
        .find(['{', ' '])
        .ok_or("a sample needs a value after its name")?;
    let name = &line[..name_end];
    if name.is_empty() {
        return Err("a sample line starts with its metric name".to_owned());
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let mut end = None;
        loop {
            while chars.next_if(|(_, c)| *c == ',' || *c == ' ').is_some() {}
            match chars.peek() {
                Some((at, '}')) => {
                    end = Some(*at);
                    break;
                }
                None => break,
                _ => {}
            }
            let mut label = String::new();
            while let Some((_, c)) = chars.next_if(|(_, c)| *c != '=' && *c != '}') {
                label.push(c);
            }
            if chars.next().map(|(_, c)| c) != Some('=')
                || chars.next().map(|(_, c)| c) != Some('"')
            {
                return Err(format!(
                    "label `{}` needs a quoted value: `{}=\"…\"`",
                    label.trim(),
                    label.trim()
                ));
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c)) => value.push(c),
                        None => return Err("a label value ends in `\\`".to_owned()),
                    },
                    Some((_, '"')) => break,
                    Some((_, c)) => value.push(c),
                    None => return Err(format!("the value of label `{label}` is not closed")),
                }
            }
            labels.push((label.trim().to_owned(), value));
        }
        let end = end.ok_or("the label set is not closed with `}`")?;
        rest = &inner[end + 1..];
    }
    let value = rest
        .split(" # ")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next()
        .ok_or("a sample needs a value")?;
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value: value.to_owned(),
        line: number,
    })
}

/// Undoes `\\`, `\n` and `\"` in help text.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
