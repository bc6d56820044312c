//! The result table: one row per measured case, printed as aligned text or Markdown.

use std::fmt::Write;

use crate::metrics::Summary;
use crate::procfs::Usage;

/// How a case compares with its target.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Met,
    /// Missed, and by how much.
    Missed(String),
    /// No target to compare with (context figures).
    Info,
    /// The scenario could not measure (an endpoint missing, a setup failure).
    Failed(String),
    NotApplicable(String),
}

impl Verdict {
    fn text(&self) -> String {
        match self {
            Verdict::Met => "met".into(),
            Verdict::Missed(by) => format!("MISSED {by}"),
            Verdict::Info => "-".into(),
            Verdict::Failed(why) => format!("FAILED: {why}"),
            Verdict::NotApplicable(why) => format!("n/a: {why}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub store: String,
    pub id: u8,
    pub scenario: &'static str,
    pub case: String,
    pub latency: Option<Summary>,
    /// Completed operations per second.
    pub rate: Option<f64>,
    pub ok: u64,
    pub errors: u64,
    pub usage: Option<Usage>,
    pub target: String,
    pub verdict: Verdict,
    pub note: String,
}

impl Row {
    pub fn new(id: u8, scenario: &'static str, case: impl Into<String>) -> Self {
        Row {
            store: String::new(),
            id,
            scenario,
            case: case.into(),
            latency: None,
            rate: None,
            ok: 0,
            errors: 0,
            usage: None,
            target: String::new(),
            verdict: Verdict::Info,
            note: String::new(),
        }
    }

    pub fn failed(id: u8, scenario: &'static str, why: impl Into<String>) -> Self {
        Row {
            verdict: Verdict::Failed(why.into()),
            ..Row::new(id, scenario, "")
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = target.into();
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        let note = note.into();
        if !note.is_empty() {
            if !self.note.is_empty() {
                self.note.push_str("; ");
            }
            self.note.push_str(&note);
        }
        self
    }
}

/// "+38 %" style overshoot of `value` over `limit` (or under, for minimums).
pub fn by_how_much(value: f64, limit: f64, unit: &str) -> String {
    let pct = if limit != 0.0 {
        100.0 * (value - limit) / limit
    } else {
        0.0
    };
    format!("{value:.1} {unit} vs {limit} {unit} ({pct:+.0} %)")
}

/// Met when `value <= limit`.
pub fn at_most(value: f64, limit: f64, unit: &str) -> Verdict {
    if value <= limit {
        Verdict::Met
    } else {
        Verdict::Missed(by_how_much(value, limit, unit))
    }
}

/// Met when `value >= limit`.
pub fn at_least(value: f64, limit: f64, unit: &str) -> Verdict {
    if value >= limit {
        Verdict::Met
    } else {
        Verdict::Missed(by_how_much(value, limit, unit))
    }
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

const HEADERS: [&str; 15] = [
    "store",
    "#",
    "scenario",
    "case",
    "ok",
    "err",
    "rate/s",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "srv CPU%",
    "srv RSS MiB",
    "gen CPU%",
    "target",
    "result",
];

fn cells(row: &Row) -> Vec<String> {
    let lat = row.latency;
    let dash = || "-".to_owned();
    vec![
        row.store.clone(),
        row.id.to_string(),
        row.scenario.to_owned(),
        row.case.clone(),
        row.ok.to_string(),
        row.errors.to_string(),
        row.rate.map_or_else(dash, |r| format!("{r:.0}")),
        lat.map_or_else(dash, |l| ms(l.p50_ms)),
        lat.map_or_else(dash, |l| ms(l.p99_ms)),
        lat.map_or_else(dash, |l| ms(l.p999_ms)),
        row.usage
            .map_or_else(dash, |u| format!("{:.0}", u.server_cpu_pct)),
        row.usage
            .map_or_else(dash, |u| format!("{:.0}", u.server_rss_peak_mib)),
        row.usage
            .map_or_else(dash, |u| format!("{:.0}", u.generator_cpu_pct)),
        row.target.clone(),
        row.verdict.text(),
    ]
}

/// Aligned text, notes on their own lines under their row.
pub fn text_table(rows: &[Row]) -> String {
    let all: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.len()).collect();
    for r in &all {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let _ = write!(out, "{c:<w$}");
        }
        out.trim_end().to_owned()
    };
    let mut out = String::new();
    let headers: Vec<String> = HEADERS.iter().map(|h| (*h).to_owned()).collect();
    let _ = writeln!(out, "{}", line(&headers));
    for (row, c) in rows.iter().zip(&all) {
        let _ = writeln!(out, "{}", line(c));
        if !row.note.is_empty() {
            let _ = writeln!(out, "      ^ {}", row.note);
        }
    }
    out
}

/// A Markdown table with the notes as the last column.
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} | notes |", HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(HEADERS.len() + 1));
    for row in rows {
        let c: Vec<String> = cells(row)
            .into_iter()
            .map(|s| s.replace('|', "\\|"))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} |",
            c.join(" | "),
            row.note.replace('|', "\\|")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_say_by_how_much() {
        assert_eq!(at_most(10.0, 20.0, "ms"), Verdict::Met);
        assert_eq!(
            at_most(30.0, 20.0, "ms"),
            Verdict::Missed("30.0 ms vs 20 ms (+50 %)".into())
        );
        assert_eq!(
            at_least(15.0, 30.0, "/s"),
            Verdict::Missed("15.0 /s vs 30 /s (-50 %)".into())
        );
    }

    #[test]
    fn tables_have_one_line_per_row() {
        let rows = vec![Row::new(1, "logins", "30/s").note("x")];
        assert_eq!(text_table(&rows).lines().count(), 3);
        assert_eq!(markdown_table(&rows).lines().count(), 3);
    }
}
