//! The dashboard's charts as geometry: a gauge with its components'
//! segments, a stacked composition bar, line charts over months, and bar
//! charts whose bars link to the accounts behind them. Pure arithmetic over
//! the figures a page already has; `templates/pages/charts.html` draws them
//! as SVG with a text label beside every colour and a table behind every
//! chart. Colours are the Okabe–Ito palette (distinguishable with every
//! common colour-vision deficiency), and lines also differ by dash and
//! marker, so no chart relies on colour alone.

use serde::Serialize;

/// The palette, in the order series take it.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
];
/// Text on a palette colour: white on the dark ones, dark on the light
/// ones (each pair at least 4.5:1).
pub fn ink(colour: &str) -> &'static str {
    match colour {
        "#0072B2" | "#000000" => "#ffffff",
        _ => "#1d2733",
    }
}

/// Dash patterns, in the same order ("" is a solid line).
const DASHES: [&str; 7] = ["", "6 3", "2 3", "8 3 2 3", "1 2", "4 4", "10 4"];
/// Marker shapes, in the same order.
const MARKERS: [&str; 4] = ["circle", "square", "diamond", "triangle"];

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// One coloured part of a whole: a gauge's or a stacked bar's segment.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub label: String,
    /// The value shown in its label and table (points of the overall).
    pub value: f64,
    /// Of what it could be (the component's weight), for the table.
    pub of: Option<f64>,
    pub colour: &'static str,
    /// The colour of text drawn on it (dark or white, whichever reads).
    pub ink: &'static str,
    /// The SVG path (gauge) or x and width (bar).
    pub path: String,
    pub x: f64,
    pub width: f64,
}

/// A half-circle gauge of a 0–100 score whose arc is split into the
/// components' contributions (they add up to the score).
#[derive(Debug, Clone, Serialize)]
pub struct Gauge {
    pub title: String,
    pub score: Option<f64>,
    pub segments: Vec<Segment>,
    /// The grey arc of the whole scale.
    pub track: String,
    /// The target's tick, when there is one.
    pub target: Option<f64>,
    pub target_line: Option<(f64, f64, f64, f64)>,
}

const GAUGE_CX: f64 = 120.0;
const GAUGE_CY: f64 = 120.0;
const GAUGE_R: f64 = 95.0;

/// The point on the gauge's arc at `value` (0 at the left, 100 at the right).
fn gauge_point(value: f64, radius: f64) -> (f64, f64) {
    let angle = std::f64::consts::PI * (1.0 - value.clamp(0.0, 100.0) / 100.0);
    (
        round(GAUGE_CX + radius * angle.cos()),
        round(GAUGE_CY - radius * angle.sin()),
    )
}

fn arc(from: f64, to: f64) -> String {
    let (x1, y1) = gauge_point(from, GAUGE_R);
    let (x2, y2) = gauge_point(to, GAUGE_R);
    format!("M {x1} {y1} A {GAUGE_R} {GAUGE_R} 0 0 1 {x2} {y2}")
}

/// A gauge of `score` made of `parts` (label, points, of).
pub fn gauge(
    title: &str,
    score: Option<f64>,
    parts: &[(String, f64, Option<f64>)],
    target: Option<f64>,
) -> Gauge {
    let mut at = 0.0;
    let segments = parts
        .iter()
        .enumerate()
        .map(|(index, (label, value, of))| {
            let value = value.max(0.0);
            let from = at;
            at = (at + value).min(100.0);
            Segment {
                label: label.clone(),
                value,
                of: *of,
                colour: PALETTE[index % PALETTE.len()],
                ink: ink(PALETTE[index % PALETTE.len()]),
                path: arc(from, at),
                x: 0.0,
                width: 0.0,
            }
        })
        .filter(|segment| segment.value > 0.0)
        .collect();
    Gauge {
        title: title.to_string(),
        score,
        segments,
        track: arc(0.0, 100.0),
        target,
        target_line: target.map(|target| {
            let (x1, y1) = gauge_point(target, GAUGE_R - 16.0);
            let (x2, y2) = gauge_point(target, GAUGE_R + 16.0);
            (x1, y1, x2, y2)
        }),
    }
}

/// A horizontal bar of 100 points split into parts (and the points not earned).
#[derive(Debug, Clone, Serialize)]
pub struct StackedBar {
    pub title: String,
    pub width: f64,
    pub segments: Vec<Segment>,
    /// The points not earned, drawn hatched.
    pub missing: f64,
    pub missing_x: f64,
    pub missing_width: f64,
}

/// The bar's drawing width.
const BAR_WIDTH: f64 = 600.0;

/// A stacked bar of `parts` (label, points, of) on a scale of 100.
pub fn stacked_bar(title: &str, parts: &[(String, f64, Option<f64>)]) -> StackedBar {
    let mut at = 0.0;
    let scale = BAR_WIDTH / 100.0;
    let segments: Vec<Segment> = parts
        .iter()
        .enumerate()
        .map(|(index, (label, value, of))| {
            let width = value.clamp(0.0, 100.0) * scale;
            let segment = Segment {
                label: label.clone(),
                value: *value,
                of: *of,
                colour: PALETTE[index % PALETTE.len()],
                ink: ink(PALETTE[index % PALETTE.len()]),
                path: String::new(),
                x: round(at),
                width: round(width),
            };
            at += width;
            segment
        })
        .collect();
    let earned: f64 = parts.iter().map(|(_, value, _)| value.max(0.0)).sum();
    StackedBar {
        title: title.to_string(),
        width: BAR_WIDTH,
        segments,
        missing: (100.0 - earned).max(0.0),
        missing_x: round(at.min(BAR_WIDTH)),
        missing_width: round((BAR_WIDTH - at).max(0.0)),
    }
}

/// One line of a line chart.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub label: String,
    pub colour: &'static str,
    pub dash: &'static str,
    pub marker: &'static str,
    /// Runs of consecutive points (a missing value breaks the line).
    pub runs: Vec<String>,
    pub points: Vec<(f64, f64, String)>,
    /// Each x's value for the table ("–" when missing is the template's).
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineChart {
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub labels: Vec<(f64, String)>,
    /// Horizontal grid lines with their values.
    pub grid: Vec<(f64, String)>,
    pub lines: Vec<Line>,
    /// A dashed reference line (a target) and its label.
    pub reference: Option<(f64, String)>,
    pub left: f64,
    pub right: f64,
    /// Every how many x labels one is written (the first and last always).
    pub label_every: usize,
}

/// A line chart of `series` (label, one value per x) over `labels`, on a
/// scale from `low` to `high` (the values' own range when `None`).
pub fn line_chart(
    title: &str,
    labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
    scale: Option<(f64, f64)>,
    reference: Option<(f64, String)>,
) -> LineChart {
    let (width, height) = (640.0, 240.0);
    let (left, right, top, bottom) = (44.0, width - 36.0, 14.0, height - 28.0);
    let values = series
        .iter()
        .flat_map(|(_, values)| values.iter().flatten().copied())
        .chain(reference.as_ref().map(|(value, _)| *value));
    let (low, high) = scale.unwrap_or_else(|| {
        let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
            (low.min(value), high.max(value))
        });
        if low.is_finite() && high > low {
            let pad = (high - low) * 0.1;
            (low - pad, high + pad)
        } else if low.is_finite() {
            (low - 1.0, low + 1.0)
        } else {
            (0.0, 1.0)
        }
    });
    let span = if high > low { high - low } else { 1.0 };
    let x = |index: usize| {
        if labels.len() > 1 {
            round(left + index as f64 * (right - left) / (labels.len() - 1) as f64)
        } else {
            round((left + right) / 2.0)
        }
    };
    let y = |value: f64| round(bottom - (value.clamp(low, high) - low) / span * (bottom - top));
    let lines = series
        .iter()
        .enumerate()
        .map(|(index, (label, values))| {
            let mut runs = Vec::new();
            let mut run: Vec<String> = Vec::new();
            let mut points = Vec::new();
            for (at, value) in values.iter().enumerate() {
                match value {
                    Some(value) => {
                        run.push(format!("{},{}", x(at), y(*value)));
                        points.push((
                            x(at),
                            y(*value),
                            format!(
                                "{} {}: {}",
                                label,
                                labels.get(at).map_or("", String::as_str),
                                rapport_core::numbers::fixed(*value, 1)
                            ),
                        ));
                    }
                    None if !run.is_empty() => runs.push(std::mem::take(&mut run).join(" ")),
                    None => {}
                }
            }
            if !run.is_empty() {
                runs.push(run.join(" "));
            }
            Line {
                label: label.clone(),
                colour: PALETTE[index % PALETTE.len()],
                dash: DASHES[index % DASHES.len()],
                marker: MARKERS[index % MARKERS.len()],
                runs,
                points,
                values: values.clone(),
            }
        })
        .collect();
    let steps = 4;
    let grid = (0..=steps)
        .map(|step| {
            let value = low + span * step as f64 / steps as f64;
            (
                y(value),
                rapport_core::numbers::fixed(value, if span < 10.0 { 1 } else { 0 }),
            )
        })
        .collect();
    LineChart {
        title: title.to_string(),
        width,
        height,
        labels: labels
            .iter()
            .enumerate()
            .map(|(index, label)| (x(index), label.clone()))
            .collect(),
        grid,
        lines,
        reference: reference.map(|(value, label)| (y(value), label)),
        left,
        right,
        // About 70 pixels a label.
        label_every: labels
            .len()
            .div_ceil(((right - left) / 70.0).max(1.0) as usize)
            .max(1),
    }
}

/// One bar of a bar chart: its value now, its value in the compare period,
/// and where it leads (the accounts it counts).
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub previous: Option<f64>,
    pub href: Option<String>,
    pub y: f64,
    pub width: f64,
    pub previous_x: Option<f64>,
    /// The value as a page writes it beside the bar.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BarChart {
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub label_width: f64,
    pub bar_height: f64,
    pub bars: Vec<Bar>,
    pub colour: &'static str,
}

/// One bar to draw: its label, value, the compare period's value, where it
/// leads, and the value as a page writes it.
#[derive(Debug, Clone)]
pub struct BarInput {
    pub label: String,
    pub value: f64,
    pub previous: Option<f64>,
    pub href: Option<String>,
    pub text: String,
}

/// A horizontal bar chart of `rows`, scaled to the largest value now or before.
pub fn bar_chart(title: &str, rows: Vec<BarInput>, colour_index: usize) -> BarChart {
    let (label_width, bar_area, row_height, bar_height) = (170.0, 230.0, 30.0, 18.0);
    let largest = rows
        .iter()
        .flat_map(|row| [row.value, row.previous.unwrap_or(0.0)])
        .fold(0.0_f64, f64::max);
    let scale = if largest > 0.0 {
        bar_area / largest
    } else {
        0.0
    };
    let bars: Vec<Bar> = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| Bar {
            y: round(8.0 + index as f64 * row_height),
            width: round(row.value.max(0.0) * scale),
            previous_x: row
                .previous
                .map(|previous| round(label_width + previous.max(0.0) * scale)),
            label: row.label,
            value: row.value,
            previous: row.previous,
            href: row.href,
            text: row.text,
        })
        .collect();
    BarChart {
        title: title.to_string(),
        width: label_width + bar_area + 80.0,
        height: round(16.0 + bars.len() as f64 * row_height),
        label_width,
        bar_height,
        bars,
        colour: PALETTE[colour_index % PALETTE.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gauge_splits_its_arc_by_contribution_and_ends_at_the_score() {
        let parts = vec![
            ("Communication".to_string(), 40.0, Some(50.0)),
            ("Product".to_string(), 20.0, Some(30.0)),
            ("Relationship".to_string(), 0.0, Some(20.0)),
        ];
        let gauge = gauge("Engagement", Some(60.0), &parts, Some(75.0));
        // A part worth nothing draws nothing.
        assert_eq!(gauge.segments.len(), 2);
        // The second segment ends where 60 sits on the arc.
        let (x, y) = gauge_point(60.0, GAUGE_R);
        assert!(gauge.segments[1].path.ends_with(&format!("{x} {y}")));
        assert!(gauge.segments[0].path.starts_with("M 25 120"));
        assert_ne!(gauge.segments[0].colour, gauge.segments[1].colour);
        assert!(gauge.target_line.is_some());
    }

    #[test]
    fn a_stacked_bar_keeps_the_points_not_earned() {
        let bar = stacked_bar(
            "Composition",
            &[("A".into(), 30.0, None), ("B".into(), 20.0, None)],
        );
        assert_eq!(bar.segments[1].x, 180.0);
        assert_eq!(bar.segments[1].width, 120.0);
        assert_eq!(bar.missing, 50.0);
        assert_eq!(bar.missing_x, 300.0);
        assert_eq!(bar.missing_width, 300.0);
    }

    #[test]
    fn a_missing_value_breaks_a_line_and_lines_differ_beyond_colour() {
        let chart = line_chart(
            "History",
            &["Jan".into(), "Feb".into(), "Mar".into(), "Apr".into()],
            &[
                (
                    "Overall".into(),
                    vec![Some(10.0), Some(20.0), None, Some(40.0)],
                ),
                ("Product".into(), vec![Some(50.0); 4]),
            ],
            Some((0.0, 100.0)),
            None,
        );
        assert_eq!(chart.lines[0].runs.len(), 2);
        assert_eq!(chart.lines[0].points.len(), 3);
        assert_ne!(chart.lines[0].dash, chart.lines[1].dash);
        assert_ne!(chart.lines[0].marker, chart.lines[1].marker);
        // 0 sits at the bottom, 100 at the top.
        assert_eq!(chart.grid.first().map(|g| g.1.as_str()), Some("0"));
        assert!(chart.grid[0].0 > chart.grid[4].0);
    }

    #[test]
    fn bars_scale_to_the_largest_value_now_or_before() {
        let chart = bar_chart(
            "Volume",
            vec![
                BarInput {
                    label: "a".into(),
                    value: 10.0,
                    previous: Some(20.0),
                    href: Some("/accounts?x=a".into()),
                    text: "10".into(),
                },
                BarInput {
                    label: "b".into(),
                    value: 5.0,
                    previous: None,
                    href: None,
                    text: "5".into(),
                },
            ],
            0,
        );
        assert_eq!(chart.bars[0].width, 115.0);
        assert_eq!(chart.bars[0].previous_x, Some(170.0 + 230.0));
        assert_eq!(chart.bars[1].width, 57.5);
    }
}
