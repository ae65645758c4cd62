//! Documents rendered from the core's structures with templates
//! (`templates/`): the customer-facing value report as Markdown or standalone
//! HTML with inline SVG trend charts, and the weekly portfolio report. The CLI's `rapport export` and the API
//! render through these same functions.

use minijinja::{Environment, Value, context};
use rapport_core::account_success::report::{ReportGoal, ValueReport};
use serde::Serialize;

/// The document formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Markdown,
    Html,
}

impl DocumentFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "md" | "markdown" => Some(DocumentFormat::Markdown),
            "html" => Some(DocumentFormat::Html),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            DocumentFormat::Markdown => "text/markdown; charset=utf-8",
            DocumentFormat::Html => "text/html; charset=utf-8",
        }
    }
}

/// JSON as every surface writes it (the API's bodies, `--format json`):
/// compact or indented, and a negative zero written as `0.0` (a figure that
/// rounds to nothing has no sign).
pub fn json<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Result<String, String> {
    let mut out = Vec::with_capacity(1024);
    let result = if pretty {
        let mut serializer = serde_json::Serializer::with_formatter(
            &mut out,
            Unsigned(serde_json::ser::PrettyFormatter::new()),
        );
        value.serialize(&mut serializer)
    } else {
        let mut serializer = serde_json::Serializer::with_formatter(
            &mut out,
            Unsigned(serde_json::ser::CompactFormatter),
        );
        value.serialize(&mut serializer)
    };
    result.map_err(|error| error.to_string())?;
    String::from_utf8(out).map_err(|error| error.to_string())
}

/// A JSON formatter that writes `-0.0` as `0.0` and otherwise is `F`.
struct Unsigned<F>(F);

macro_rules! delegate {
    ($($method:ident),*) => {$(
        fn $method<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
            self.0.$method(writer)
        }
    )*};
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for Unsigned<F> {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        self.0
            .write_f64(writer, if value == 0.0 { 0.0 } else { value })
    }

    fn write_f32<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: f32,
    ) -> std::io::Result<()> {
        self.0
            .write_f32(writer, if value == 0.0 { 0.0 } else { value })
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    delegate!(
        begin_array,
        end_array,
        end_array_value,
        begin_object,
        end_object,
        end_object_key,
        begin_object_value,
        end_object_value
    );
}

use rapport_core::numbers::{self, MISSING};
pub use rapport_core::numbers::{money, ordinal};

/// Markdown's characters that could change a document, escaped with a
/// backslash in text that comes from data (names, reasons, titles), so it
/// reads as written: `<script>` is shown as text, never passed on as HTML, a
/// `|` cannot break a table, `*` and `[…]` make no emphasis or link. Line
/// breaks become spaces. Underscores (no emphasis inside a word in
/// CommonMark) and backticks (a code span is harmless) are left as they are,
/// so ids and e-mail addresses stay readable in a terminal.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '\\' | '*' | '[' | ']' | '|' | '<' | '>' => {
                out.push('\\');
                out.push(character);
            }
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

/// The auto-escape mode of `.md` templates.
const MARKDOWN: minijinja::AutoEscape = minijinja::AutoEscape::Custom("markdown");

/// Writes a value into a document: strings from data escaped for the
/// document's format (HTML or Markdown) unless a template marked them safe;
/// a bare float, which a template should have put through a filter, still
/// never reads "-0", "NaN" or "inf".
fn formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text;
    let value = if let Ok(float) = f64::try_from(value.clone())
        && matches!(value.kind(), minijinja::value::ValueKind::Number)
        && !value.is_integer()
    {
        text = Value::from(numbers::fixed(
            float,
            if float.fract() == 0.0 { 0 } else { 1 },
        ));
        &text
    } else {
        value
    };
    if state.auto_escape() == MARKDOWN {
        if value.is_safe() {
            return write!(out, "{value}").map_err(minijinja::Error::from);
        }
        let written = if value.is_none() || value.is_undefined() {
            String::new()
        } else {
            escape_markdown(&value.to_string())
        };
        return out.write_str(&written).map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

fn or_missing(value: Option<f64>, write: impl FnOnce(f64) -> String) -> String {
    value.map_or_else(|| MISSING.to_string(), write)
}

/// A text bar of `width` cells for a 0–100 score.
fn bar(score: Option<f64>, width: Option<usize>) -> String {
    let width = width.unwrap_or(20);
    let Some(score) = score.filter(|score| score.is_finite()) else {
        return String::new();
    };
    let filled = ((score.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

macro_rules! template {
    ($env:ident, $($name:literal),* $(,)?) => {$(
        $env.add_template($name, include_str!(concat!("../templates/", $name)))
            .expect(concat!("the template ", $name, " parses"));
    )*};
}

/// The one template environment, built once: every document's template and
/// the filters that write numbers (all through `rapport_core::numbers`).
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".md") {
                MARKDOWN
            } else if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_formatter(formatter);
        env.set_keep_trailing_newline(true);
        template!(
            env,
            "value_report.md",
            "value_report.html",
            "weekly_report.md",
            "weekly_report.html",
            "engagement.md",
            "health.md",
            "success.md",
            "portfolio.md",
            "accounts.md",
            "accounts.html",
            "overrides.md",
            "goals.md",
            "alerts.md",
            "meetings.md",
            "audit.md",
            "tasks.md",
            "api_docs.html",
            "share_gone.html",
            "pages/base.html",
            "pages/macros.html",
            "pages/charts.html",
            "pages/sign_in.html",
            "pages/error.html",
            "pages/my_day.html",
            "pages/accounts.html",
            "pages/portfolio.html",
            "pages/account.html",
            "pages/account_actions.html",
            "pages/alerts.html",
            "pages/tasks.html",
            "pages/webhooks.html",
            "pages/model.html",
            "pages/exec_draft.txt",
        );
        env.add_filter("money", |value: Option<f64>| or_missing(value, money));
        env.add_filter("num", |value: Option<f64>, decimals: Option<usize>| {
            or_missing(value, |value| numbers::fixed(value, decimals.unwrap_or(1)))
        });
        env.add_filter("score", |value: Option<f64>| {
            numbers::score_or_missing(value)
        });
        env.add_filter("pct", |value: Option<f64>, decimals: Option<usize>| {
            or_missing(value, |value| {
                numbers::percent(value, decimals.unwrap_or(0))
            })
        });
        env.add_filter("signed", |value: Option<f64>, decimals: Option<usize>| {
            or_missing(value, |value| numbers::signed(value, decimals.unwrap_or(1)))
        });
        env.add_filter("ordinal", |value: Option<f64>| or_missing(value, ordinal));
        env.add_filter(
            "plural",
            |value: u64, singular: String, plural: Option<String>| {
                numbers::count(value, &singular, plural.as_deref())
            },
        );
        env.add_filter("days_ago", |value: Option<f64>| {
            or_missing(value, numbers::days_ago)
        });
        env.add_filter("with_unit", |value: Option<f64>, unit: String| {
            or_missing(value, |value| numbers::with_unit(value, &unit))
        });
        env.add_filter("target_unit", |value: Option<f64>, unit: String| {
            or_missing(value, |value| numbers::target_with_unit(value, &unit))
        });
        // A metric's value in its own unit (see `numbers::measure`).
        env.add_filter("unit", |value: Option<f64>, unit: String| match value {
            None => MISSING.to_string(),
            Some(value) if unit == "%" => {
                numbers::percent(value, if value.fract() == 0.0 { 0 } else { 1 })
            }
            Some(value) if matches!(unit.trim(), "$" | "USD" | "usd") => money(value),
            Some(value) => numbers::measure(value, &unit),
        });
        env.add_filter("bar", bar);
        env.add_filter("grouped", |value: u64| numbers::grouped(value));
        // A value as a person gave it (an override): "64", "64.5".
        env.add_filter("figure", |value: Option<f64>| {
            or_missing(value, |value| numbers::measure(value, ""))
        });
        // A name cut or padded to `width` characters (text charts' labels).
        env.add_filter("pad", |value: String, width: usize| {
            let mut padded: String = value.chars().take(width).collect();
            let length = padded.chars().count();
            padded.extend(std::iter::repeat_n(' ', width - length));
            padded
        });
        // A text chart's cells: one per `per` units, none for a negative value.
        env.add_filter("cells", |value: Option<f64>, per: f64| {
            let cells = value.filter(|value| value.is_finite()).unwrap_or(0.0) / per;
            "█".repeat(cells.round().clamp(0.0, 200.0) as usize)
        });
        env.add_filter("date", |value: String| {
            value.chars().take(10).collect::<String>()
        });
        // A period as people read it: "30d" is "30 days", "6m" "6 months".
        env.add_filter("period", |value: String| {
            let (number, unit) = value.split_at(value.len().saturating_sub(1));
            match (number.parse::<u64>(), unit) {
                (Ok(n), "d") => numbers::count(n, "day", None),
                (Ok(n), "w") => numbers::count(n, "week", None),
                (Ok(n), "m") => numbers::count(n, "month", None),
                _ => value.clone(),
            }
        });
        // An instant as people read it: "2026-12-06 14:05 UTC".
        env.add_filter("datetime", |value: String| {
            let text: String = value.chars().take(16).collect();
            format!("{} UTC", text.replace('T', " "))
        });
        env.add_filter("status", |value: String| match value.as_str() {
            "achieved" => "Achieved".to_string(),
            "in_progress" => "In progress".to_string(),
            "not_started" => "Not started".to_string(),
            "at_risk" => "Needs attention".to_string(),
            other => other.replace('_', " "),
        });
        env.add_filter("label", |value: String| label(&value));
        // Text cut to `length` characters, ending with `end` ("…") when cut.
        env.add_filter(
            "truncate",
            |value: String, length: usize, _words: Option<bool>, end: Option<String>| {
                if value.chars().count() <= length {
                    return value;
                }
                let end = end.unwrap_or_else(|| "…".to_string());
                let keep = length.saturating_sub(end.chars().count());
                let mut cut: String = value.chars().take(keep).collect();
                cut.push_str(&end);
                cut
            },
        );
        env
    })
}

/// A key (`highly_engaged`, `not_met`) as words people read: `Highly engaged`.
pub fn label(key: &str) -> String {
    let words = key.replace(['_', '-'], " ");
    let mut characters = words.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Renders the template `name` over `context`.
pub fn document(name: &str, context: Value) -> Result<String, String> {
    environment()
        .get_template(name)
        .map_err(|error| error.to_string())?
        .render(context)
        .map_err(|error| format!("{error:#}"))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dot {
    x: f64,
    y: f64,
    label: String,
}

/// A metric's history as an SVG line chart's geometry.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Chart {
    title: String,
    width: f64,
    height: f64,
    points: String,
    dots: Vec<Dot>,
    target: String,
    target_y: f64,
    first: String,
    last: String,
}

fn chart(metric: &rapport_core::account_success::report::ReportMetric) -> Option<Chart> {
    if metric.points.len() < 2 {
        return None;
    }
    let (width, height) = (560.0, 160.0);
    let (left, right, top, bottom) = (40.0, width - 10.0, 16.0, height - 22.0);
    let first = metric.points.first()?.at.millis() as f64;
    let last = metric.points.last()?.at.millis() as f64;
    let values = metric.points.iter().map(|point| point.value);
    let low = values
        .clone()
        .chain([metric.target])
        .chain(metric.baseline)
        .fold(f64::INFINITY, f64::min);
    let high = values
        .chain([metric.target])
        .chain(metric.baseline)
        .fold(f64::NEG_INFINITY, f64::max);
    let span = if high > low { high - low } else { 1.0 };
    let x = |at: f64| {
        if last > first {
            left + (at - first) / (last - first) * (right - left)
        } else {
            left
        }
    };
    let y = |value: f64| bottom - (value - low) / span * (bottom - top);
    let dots: Vec<Dot> = metric
        .points
        .iter()
        .map(|point| Dot {
            x: x(point.at.millis() as f64),
            y: y(point.value),
            label: format!("{}: {}", point.date, point.value),
        })
        .collect();
    Some(Chart {
        title: format!("{} over time", metric.name),
        width,
        height,
        points: dots
            .iter()
            .map(|dot| format!("{:.1},{:.1}", dot.x, dot.y))
            .collect::<Vec<_>>()
            .join(" "),
        target: format!("{}", metric.target),
        target_y: y(metric.target),
        first: metric.points.first()?.date.to_string(),
        last: metric.points.last()?.date.to_string(),
        dots,
    })
}

#[derive(Serialize)]
struct GoalContext<'a> {
    goal: &'a ReportGoal,
    charts: Vec<Option<Chart>>,
}

/// The value report as a standalone Markdown or HTML document.
pub fn value_report(report: &ValueReport, format: DocumentFormat) -> Result<String, String> {
    let goals: Vec<GoalContext<'_>> = report
        .goals
        .iter()
        .map(|goal| GoalContext {
            goal,
            charts: goal.metrics.iter().map(chart).collect(),
        })
        .collect();
    let name = match format {
        DocumentFormat::Markdown => "value_report.md",
        DocumentFormat::Html => "value_report.html",
    };
    document(
        name,
        context! { r => Value::from_serialize(report), goals => Value::from_serialize(&goals) },
    )
}

/// The engagement breakdown as Markdown (PRD-070's layout, with any
/// model's components).
pub fn engagement(
    breakdown: &rapport_core::engagement::EngagementBreakdown,
) -> Result<String, String> {
    document(
        "engagement.md",
        context! { b => Value::from_serialize(breakdown) },
    )
}

/// The health report as Markdown: score, components, alerts, warnings,
/// playbooks, cadence, history and the override trail.
pub fn health(view: &rapport_core::health::HealthView) -> Result<String, String> {
    document("health.md", context! { h => Value::from_serialize(view) })
}

/// An account's success metrics as Markdown (PRD-069's layout), over the
/// JSON body the API returns.
pub fn success(body: &serde_json::Value) -> Result<String, String> {
    document("success.md", context! { s => Value::from_serialize(body) })
}

/// The portfolio engagement overview as Markdown, in the order of the
/// engagement-overview dashboard.
pub fn overview(view: &rapport_core::portfolio::overview::Overview) -> Result<String, String> {
    let start = |window: &rapport_core::engine::Window| {
        rapport_core::Timestamp::from_millis(window.start())
            .date()
            .to_string()
    };
    document(
        "portfolio.md",
        context! {
            o => Value::from_serialize(view),
            start => start(&view.window),
            compare_start => start(&view.compare_window),
        },
    )
}

/// The account list as a Markdown table, or the server's HTML index page.
pub fn accounts(
    listings: &[rapport_core::AccountListing],
    format: DocumentFormat,
) -> Result<String, String> {
    let name = match format {
        DocumentFormat::Markdown => "accounts.md",
        DocumentFormat::Html => "accounts.html",
    };
    document(
        name,
        context! { accounts => Value::from_serialize(listings) },
    )
}

/// The HTTP API's documentation page (rapport-server's `/api/docs`), over
/// the server's view of its OpenAPI document.
pub fn api_docs<T: Serialize>(view: &T) -> Result<String, String> {
    document(
        "api_docs.html",
        context! { api => Value::from_serialize(view) },
    )
}

/// The page a browser gets for a share link that opens nothing (unknown,
/// expired or revoked alike): `message` says so and what to do.
pub fn share_gone(message: &str) -> Result<String, String> {
    document("share_gone.html", context! { message => message })
}

/// An account's overrides in force, expired, and their audit trail.
pub fn overrides(
    view: &rapport_core::scoring::overrides::AccountOverrides,
) -> Result<String, String> {
    document(
        "overrides.md",
        context! { v => Value::from_serialize(view) },
    )
}

/// An account's calendar meetings, each with the id a no-show is recorded by.
pub fn meetings(view: &crate::meetings::AccountMeetings) -> Result<String, String> {
    document("meetings.md", context! { v => Value::from_serialize(view) })
}

/// An account's success goals and their metrics' latest measurements.
pub fn goals(goals: &[rapport_core::success::Goal]) -> Result<String, String> {
    document(
        "goals.md",
        context! { goals => Value::from_serialize(goals) },
    )
}

/// A page of the audit log as Markdown, newest first: who, when, what, and
/// the fields the change touched (the whole records are in `--format json`).
pub fn audit(page: &crate::audit::AuditPage) -> Result<String, String> {
    let entries: Vec<Value> = page
        .entries
        .iter()
        .map(|entry| {
            context! {
                e => Value::from_serialize(entry),
                changed => changed_fields(entry.before.as_ref(), entry.after.as_ref()),
            }
        })
        .collect();
    document(
        "audit.md",
        context! { entries => entries, next => page.next_before },
    )
}

/// The top-level fields whose values differ between a record's before and
/// after (every field of a creation or a deletion), in order.
fn changed_fields(
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Vec<String> {
    let fields = |value: Option<&serde_json::Value>| {
        value
            .and_then(serde_json::Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (before, after) = (fields(before), fields(after));
    let mut names: Vec<String> = before.keys().chain(after.keys()).cloned().collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| before.get(name) != after.get(name))
        .collect()
}

/// The alert list as Markdown, one line an alert.
pub fn alerts(alerts: &[crate::alerts::AlertView]) -> Result<String, String> {
    document(
        "alerts.md",
        context! { alerts => Value::from_serialize(alerts) },
    )
}

/// Tasks as Markdown: a table, soonest due first, every text from data escaped.
pub fn tasks(tasks: &[crate::tasks::TaskView]) -> Result<String, String> {
    document(
        "tasks.md",
        context! { tasks => Value::from_serialize(tasks) },
    )
}

/// The weekly portfolio report as a standalone Markdown or HTML document.
pub fn weekly_report(
    report: &rapport_core::portfolio::weekly::WeeklyReport,
    format: DocumentFormat,
) -> Result<String, String> {
    let name = match format {
        DocumentFormat::Markdown => "weekly_report.md",
        DocumentFormat::Html => "weekly_report.html",
    };
    document(name, context! { w => Value::from_serialize(report) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_no_negative_zero_and_keeps_its_shape() {
        let value = serde_json::json!({"a": -0.0, "b": [-0.0, -1.5, 2.0], "c": {"d": 0.0}});
        assert_eq!(
            json(&value, false).unwrap(),
            r#"{"a":0.0,"b":[0.0,-1.5,2.0],"c":{"d":0.0}}"#
        );
        let pretty = json(&value, true).unwrap();
        assert_eq!(
            pretty,
            serde_json::to_string_pretty(&value)
                .unwrap()
                .replace("-0.0", "0.0")
        );
        assert!(!pretty.contains("-0"));
    }

    #[test]
    fn ordinals_are_written_as_people_write_them() {
        let written: Vec<String> = [
            0.0, 1.0, 2.0, 3.0, 4.0, 11.0, 12.0, 13.0, 21.0, 22.4, 41.0, 100.0, 111.0, 112.6,
        ]
        .into_iter()
        .map(ordinal)
        .collect();
        assert_eq!(
            written,
            [
                "0th", "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "41st",
                "100th", "111th", "113th"
            ]
        );
    }
}
