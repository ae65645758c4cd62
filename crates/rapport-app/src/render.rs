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

/// A percentile rank as people write it, rounded to a whole number: `1st`,
/// `2nd`, `3rd`, `11th`, `12th`, `13th`, `21st`, `42nd`, `100th`.
pub fn ordinal(value: f64) -> String {
    let whole = value.round().max(0.0) as u64;
    let suffix = match (whole % 10, whole % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{whole}{suffix}")
}

/// Whole dollars with thousands separators: `$1,234,567`, `-$5`.
pub fn money(value: f64) -> String {
    let whole = value.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{}${grouped}", if whole < 0 { "-" } else { "" })
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".into(), |value| format!("{value:.decimals$}"))
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.add_template(
        "value_report.md",
        include_str!("../templates/value_report.md"),
    )
    .expect("the Markdown template parses");
    env.add_template(
        "value_report.html",
        include_str!("../templates/value_report.html"),
    )
    .expect("the HTML template parses");
    env.add_template(
        "weekly_report.md",
        include_str!("../templates/weekly_report.md"),
    )
    .expect("the weekly Markdown template parses");
    env.add_template(
        "weekly_report.html",
        include_str!("../templates/weekly_report.html"),
    )
    .expect("the weekly HTML template parses");
    env.add_filter("money", |value: f64| money(value));
    env.add_filter("num", |value: Option<f64>, decimals: Option<usize>| {
        number(value, decimals.unwrap_or(1))
    });
    env.add_filter("unit", |value: Option<f64>, unit: String| match value {
        None => "–".to_string(),
        Some(value) if unit == "%" => format!("{value:.1}%"),
        Some(value) if unit.is_empty() => format!("{value:.1}"),
        Some(value) => format!("{value:.1} {unit}"),
    });
    env.add_filter("date", |value: String| {
        value.chars().take(10).collect::<String>()
    });
    env.add_filter("status", |value: String| match value.as_str() {
        "achieved" => "Achieved".to_string(),
        "in_progress" => "In progress".to_string(),
        "not_started" => "Not started".to_string(),
        "at_risk" => "Needs attention".to_string(),
        other => other.replace('_', " "),
    });
    env
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
    let env = environment();
    let template = env.get_template(name).map_err(|error| error.to_string())?;
    template
        .render(
            context! { r => Value::from_serialize(report), goals => Value::from_serialize(&goals) },
        )
        .map_err(|error| format!("{error:#}"))
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
    let env = environment();
    let template = env.get_template(name).map_err(|error| error.to_string())?;
    template
        .render(context! { w => Value::from_serialize(report) })
        .map_err(|error| format!("{error:#}"))
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
