//! goals.csv (docs/goals-csv.md): success goals, their metrics, measurements
//! and value drivers from a spreadsheet. Each row is parsed on its own (a bad
//! cell rejects the row, naming the column); rows are then gathered by account
//! and goal, and by metric within a goal, with definition cells required to
//! agree across rows; each gathered goal is checked whole, like a goal sent to
//! the API, before it is handed to the store.

use std::collections::HashMap;
use std::io::Read;

use chrono::NaiveDate;
use rapport_core::ExternalId;
use rapport_core::success::edit::{
    HIGHEST_HOURLY_RATE, ImportedGoal, LARGEST_AMOUNT_PER_YEAR, LARGEST_VALUE,
    MOST_HOURS_PER_MONTH, validate_goal,
};
use rapport_core::success::{
    Confidence, Goal, Measurement, Metric, MetricCategory, MetricDirection, MetricFrequency,
    ValueDriver, ValueDriverKind,
};
use rapport_core::time::{Timestamp, parse_date};

use crate::tables::{CsvTable, Row, TableKind, check_thousands_commas};
use crate::{FileError, Parsed, ReadError, RecordError};

/// The goals of a file and the rows (or goals, on their first line) rejected.
#[derive(Debug, Default)]
pub struct GoalFile {
    pub goals: Vec<GoalDraft>,
    pub rejected: Vec<RecordError>,
}

/// Reads goals.csv into one draft a goal; each is completed against the stored
/// goal it names ([`GoalDraft::complete`]).
pub fn read_goals<R: Read>(input: R) -> Result<GoalFile, FileError> {
    let table = CsvTable::new(TableKind::Goals, input)?;
    let mut file = GoalFile::default();
    let mut builders: Vec<GoalDraft> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for row in table.rows(goal_row) {
        let Parsed { line, record } = match row {
            Ok(parsed) => parsed,
            Err(ReadError::Record(error)) => {
                file.rejected.push(error);
                continue;
            }
            // Rows of one goal may lie on both sides of the failure: a goal
            // read in part is not imported, nor is any other.
            Err(ReadError::File(error)) => return Err(error),
        };
        let key = (record.account.as_str().to_string(), record.identity());
        let position = *index.entry(key).or_insert_with(|| {
            builders.push(GoalDraft::new(line, &record));
            builders.len() - 1
        });
        if let Err(reason) = builders[position].add(line, record) {
            file.rejected.push(RecordError { line, reason });
        }
    }
    file.goals = builders;
    file.rejected.sort_by_key(|error| error.line);
    Ok(file)
}

/// One row, typed; empty cells are `None`.
#[derive(Debug, Clone)]
struct GoalRow {
    account: ExternalId,
    title: String,
    goal_id: Option<String>,
    goal: GoalCells,
    metric: Option<MetricCells>,
    measurement: Option<(f64, Option<Timestamp>, Option<String>)>,
    driver: Option<ValueDriver>,
}

impl GoalRow {
    fn identity(&self) -> String {
        match &self.goal_id {
            Some(id) => format!("id:{id}"),
            None => format!("title:{}", self.title.to_lowercase()),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct GoalCells {
    description: Option<String>,
    owner: Option<String>,
    start_date: Option<NaiveDate>,
    target_date: Option<NaiveDate>,
    weight: Option<f64>,
    checkpoints: Option<Vec<NaiveDate>>,
}

#[derive(Debug, Clone, Default)]
struct MetricCells {
    name: String,
    id: Option<String>,
    category: Option<MetricCategory>,
    description: Option<String>,
    baseline: Option<f64>,
    target: Option<f64>,
    unit: Option<String>,
    direction: Option<MetricDirection>,
    data_source: Option<String>,
    frequency: Option<MetricFrequency>,
}

impl MetricCells {
    fn identity(&self) -> String {
        match &self.id {
            Some(id) => format!("id:{id}"),
            None => format!("name:{}", self.name.to_lowercase()),
        }
    }
}

fn text(row: &Row<'_>, column: &str) -> Option<String> {
    row.optional(column).map(str::to_string)
}

fn date(row: &Row<'_>, column: &str) -> Result<Option<NaiveDate>, String> {
    row.optional(column)
        .map(|text| parse_date(text).map_err(|error| format!("field `{column}`: {error}")))
        .transpose()
}

/// A number as spreadsheets write it: `$150,000`, `12%`, `-3.5`; within
/// ±[`LARGEST_VALUE`], as every number of a goal sent to the API (so an
/// undated `current`, which joins a history only once the goal is merged, is
/// checked too).
fn number(row: &Row<'_>, column: &str) -> Result<Option<f64>, String> {
    let Some(text) = row.optional(column) else {
        return Ok(None);
    };
    check_thousands_commas(column, text)?;
    let cleaned: String = text
        .chars()
        .filter(|character| !matches!(character, '$' | ',' | '%' | ' '))
        .collect();
    let value = cleaned
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .ok_or_else(|| format!("field `{column}`: `{text}` is not a number"))?;
    if value.abs() > LARGEST_VALUE {
        return Err(format!(
            "field `{column}`: `{text}` is implausibly large: a value must lie within ±1,000,000,000,000"
        ));
    }
    Ok(Some(value))
}

/// A value-driver cell: a number, not negative, at most `most` (`bound`
/// says it as people read it); the API's bounds (`validate_value_driver`).
fn driver_amount(
    row: &Row<'_>,
    column: &str,
    most: f64,
    bound: &str,
) -> Result<Option<f64>, String> {
    let value = non_negative(row, column)?;
    if value.is_some_and(|value| value > most) {
        return Err(format!(
            "field `{column}`: `{}` must be at most {bound}",
            row.get(column)
        ));
    }
    Ok(value)
}

fn non_negative(row: &Row<'_>, column: &str) -> Result<Option<f64>, String> {
    match number(row, column)? {
        Some(value) if value < 0.0 => Err(format!(
            "field `{column}`: `{}` must not be negative",
            row.get(column)
        )),
        value => Ok(value),
    }
}

fn choice<T: std::str::FromStr<Err = rapport_core::DomainError>>(
    row: &Row<'_>,
    column: &str,
) -> Result<Option<T>, String> {
    row.optional(column)
        .map(|text| {
            text.parse()
                .map_err(|error| format!("field `{column}`: {error}"))
        })
        .transpose()
}

fn goal_row(row: &Row<'_>) -> Result<GoalRow, String> {
    let account = ExternalId::parse(row.get("account"))
        .map_err(|error| format!("field `account`: {error}"))?;
    let title = row
        .optional("goal")
        .ok_or("missing field `goal` (the goal's title)")?
        .to_string();
    let weight = number(row, "weight")?;
    if weight.is_some_and(|weight| weight <= 0.0) {
        return Err(format!(
            "field `weight`: `{}` must be a positive number",
            row.get("weight")
        ));
    }
    let checkpoints = row
        .optional("checkpoints")
        .map(|text| {
            text.split(';')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| {
                    parse_date(part).map_err(|error| format!("field `checkpoints`: {error}"))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let goal = GoalCells {
        description: text(row, "description"),
        owner: text(row, "owner"),
        start_date: date(row, "start_date")?,
        target_date: date(row, "target_date")?,
        weight,
        checkpoints,
    };
    let metric = match row.optional("metric") {
        Some(name) => Some(MetricCells {
            name: name.to_string(),
            id: text(row, "metric_id"),
            category: choice(row, "category")?,
            description: text(row, "metric_description"),
            baseline: number(row, "baseline")?,
            target: number(row, "target")?,
            unit: text(row, "unit"),
            direction: choice(row, "direction")?,
            data_source: text(row, "data_source"),
            frequency: choice(row, "frequency")?,
        }),
        None => {
            if let Some(column) = ["metric_id", "baseline", "target", "current"]
                .into_iter()
                .find(|column| row.optional(column).is_some())
            {
                return Err(format!(
                    "field `{column}` is given but `metric` (the metric's name) is empty"
                ));
            }
            None
        }
    };
    let measurement = match number(row, "current")? {
        Some(value) => {
            let at = row
                .optional("measured_at")
                .map(|text| {
                    Timestamp::parse_lenient(text)
                        .map_err(|error| format!("field `measured_at`: {error}"))
                })
                .transpose()?;
            Some((value, at, text(row, "note")))
        }
        None if row.optional("measured_at").is_some() => {
            return Err("field `measured_at` is given but `current` is empty".into());
        }
        None => None,
    };
    Ok(GoalRow {
        account,
        title,
        goal_id: text(row, "goal_id"),
        goal,
        metric,
        measurement,
        driver: value_driver(row)?,
    })
}

fn value_driver(row: &Row<'_>) -> Result<Option<ValueDriver>, String> {
    let Some(kind) = row.optional("value_kind") else {
        return Ok(None);
    };
    let amount = || {
        driver_amount(
            row,
            "value_amount",
            LARGEST_AMOUNT_PER_YEAR,
            "$10,000,000,000 a year",
        )?
        .ok_or_else(|| format!("missing field `value_amount` (needed for value_kind {kind})"))
    };
    let kind = match kind.to_ascii_lowercase().as_str() {
        "time_saved" => {
            let needed = |column: &str, most: f64, bound: &str| {
                driver_amount(row, column, most, bound)?.ok_or_else(|| {
                    format!("missing field `{column}` (needed for value_kind time_saved)")
                })
            };
            ValueDriverKind::TimeSaved {
                hours_per_month: needed(
                    "hours_per_month",
                    MOST_HOURS_PER_MONTH,
                    "100,000 hours a month",
                )?,
                hourly_rate: needed("hourly_rate", HIGHEST_HOURLY_RATE, "$10,000 an hour")?,
            }
        }
        "cost_reduction" => ValueDriverKind::CostReduction {
            amount_per_year: amount()?,
        },
        "revenue_increase" => ValueDriverKind::RevenueIncrease {
            amount_per_year: amount()?,
        },
        "tools_retired" => {
            let tools = non_negative(row, "tools_retired")?.unwrap_or(0.0);
            if tools.fract() != 0.0 || tools > f64::from(u32::MAX) {
                return Err(format!(
                    "field `tools_retired`: `{}` is not a whole number",
                    row.get("tools_retired")
                ));
            }
            ValueDriverKind::ToolsRetired {
                annual_cost: amount()?,
                tools: tools as u32,
            }
        }
        _ => {
            return Err(format!(
                "field `value_kind`: `{kind}` is not one of time_saved | cost_reduction | revenue_increase | tools_retired"
            ));
        }
    };
    Ok(Some(ValueDriver {
        kind,
        confidence: choice(row, "confidence")?.unwrap_or(Confidence::Medium),
        label: row.get("value_label").to_string(),
    }))
}

/// A definition cell seen on an earlier row, with the line that set it.
type Seen<T> = Option<(T, u64)>;

/// Keeps the first value of a definition cell; a later, different value is an
/// error naming the column and the line that set it.
fn agree<T: PartialEq>(
    seen: &Seen<T>,
    incoming: &Option<T>,
    (column, of): (&str, &str),
    show: impl Fn(&T) -> String,
) -> Result<(), String> {
    match (seen, incoming) {
        (Some((first, line)), Some(value)) if first != value => Err(format!(
            "field `{column}`: `{}` differs from `{}` given on line {line} for the same {of}",
            show(value),
            show(first),
        )),
        _ => Ok(()),
    }
}

/// The value of a definition cell, without the line that set it.
fn value<T>(seen: Seen<T>) -> Option<T> {
    seen.map(|(value, _)| value)
}

fn keep<T: Clone>(seen: &mut Seen<T>, incoming: Option<T>, line: u64) {
    if seen.is_none()
        && let Some(value) = incoming
    {
        *seen = Some((value, line));
    }
}

fn debug<T: std::fmt::Debug>(value: &T) -> String {
    format!("{value:?}").trim_matches('"').to_string()
}

fn display<T: std::fmt::Display>(value: &T) -> String {
    value.to_string()
}

#[derive(Debug, Default)]
struct GoalSeen {
    description: Seen<String>,
    owner: Seen<String>,
    start_date: Seen<NaiveDate>,
    target_date: Seen<NaiveDate>,
    weight: Seen<f64>,
    checkpoints: Seen<Vec<NaiveDate>>,
}

#[derive(Debug, Default)]
struct MetricSeen {
    line: u64,
    name: String,
    id: Option<String>,
    category: Seen<MetricCategory>,
    description: Seen<String>,
    baseline: Seen<f64>,
    target: Seen<f64>,
    unit: Seen<String>,
    direction: Seen<MetricDirection>,
    data_source: Seen<String>,
    frequency: Seen<MetricFrequency>,
    dated: Vec<Measurement>,
    undated: Option<Measurement>,
}

/// One goal as the file's rows describe it, before it meets the store.
#[derive(Debug)]
pub struct GoalDraft {
    line: u64,
    account: ExternalId,
    title: String,
    goal_id: Option<String>,
    seen: GoalSeen,
    metrics: Vec<MetricSeen>,
    metric_index: HashMap<String, usize>,
    drivers: Vec<ValueDriver>,
}

impl GoalDraft {
    fn new(line: u64, row: &GoalRow) -> Self {
        GoalDraft {
            line,
            account: row.account.clone(),
            title: row.title.clone(),
            goal_id: row.goal_id.clone(),
            seen: GoalSeen::default(),
            metrics: Vec::new(),
            metric_index: HashMap::new(),
            drivers: Vec::new(),
        }
    }

    /// Adds a row; a conflicting definition cell rejects the whole row.
    fn add(&mut self, line: u64, row: GoalRow) -> Result<(), String> {
        let cells = &row.goal;
        let seen = &self.seen;
        agree(
            &seen.description,
            &cells.description,
            ("description", "goal"),
            debug,
        )?;
        agree(&seen.owner, &cells.owner, ("owner", "goal"), debug)?;
        agree(
            &seen.start_date,
            &cells.start_date,
            ("start_date", "goal"),
            display,
        )?;
        agree(
            &seen.target_date,
            &cells.target_date,
            ("target_date", "goal"),
            display,
        )?;
        agree(&seen.weight, &cells.weight, ("weight", "goal"), display)?;
        agree(
            &seen.checkpoints,
            &cells.checkpoints,
            ("checkpoints", "goal"),
            |dates| {
                dates
                    .iter()
                    .map(NaiveDate::to_string)
                    .collect::<Vec<_>>()
                    .join(";")
            },
        )?;
        let metric_position = match &row.metric {
            Some(metric) => {
                let position = self.metric_index.get(&metric.identity()).copied();
                if let Some(position) = position {
                    let seen = &self.metrics[position];
                    agree(
                        &seen.category,
                        &metric.category,
                        ("category", "metric"),
                        debug,
                    )?;
                    agree(
                        &seen.description,
                        &metric.description,
                        ("metric_description", "metric"),
                        debug,
                    )?;
                    agree(
                        &seen.baseline,
                        &metric.baseline,
                        ("baseline", "metric"),
                        display,
                    )?;
                    agree(&seen.target, &metric.target, ("target", "metric"), display)?;
                    agree(&seen.unit, &metric.unit, ("unit", "metric"), debug)?;
                    agree(
                        &seen.direction,
                        &metric.direction,
                        ("direction", "metric"),
                        debug,
                    )?;
                    agree(
                        &seen.data_source,
                        &metric.data_source,
                        ("data_source", "metric"),
                        debug,
                    )?;
                    agree(
                        &seen.frequency,
                        &metric.frequency,
                        ("frequency", "metric"),
                        debug,
                    )?;
                    if let Some((_, None, _)) = &row.measurement
                        && let Some(earlier) = &seen.undated
                    {
                        return Err(format!(
                            "field `measured_at`: a second undated value of metric `{}` (the first is {}); give each value its date",
                            metric.name, earlier.value
                        ));
                    }
                }
                Some(position)
            }
            None => None,
        };
        let seen = &mut self.seen;
        keep(&mut seen.description, row.goal.description, line);
        keep(&mut seen.owner, row.goal.owner, line);
        keep(&mut seen.start_date, row.goal.start_date, line);
        keep(&mut seen.target_date, row.goal.target_date, line);
        keep(&mut seen.weight, row.goal.weight, line);
        keep(&mut seen.checkpoints, row.goal.checkpoints, line);
        if let (Some(metric), Some(position)) = (row.metric, metric_position) {
            let position = position.unwrap_or_else(|| {
                self.metric_index
                    .insert(metric.identity(), self.metrics.len());
                self.metrics.push(MetricSeen {
                    line,
                    name: metric.name.clone(),
                    id: metric.id.clone(),
                    ..MetricSeen::default()
                });
                self.metrics.len() - 1
            });
            let seen = &mut self.metrics[position];
            keep(&mut seen.category, metric.category, line);
            keep(&mut seen.description, metric.description, line);
            keep(&mut seen.baseline, metric.baseline, line);
            keep(&mut seen.target, metric.target, line);
            keep(&mut seen.unit, metric.unit, line);
            keep(&mut seen.direction, metric.direction, line);
            keep(&mut seen.data_source, metric.data_source, line);
            keep(&mut seen.frequency, metric.frequency, line);
            if let Some((value, at, note)) = row.measurement {
                match at {
                    Some(at) => {
                        seen.dated.retain(|kept| kept.at != at);
                        seen.dated.push(Measurement { at, value, note });
                    }
                    None => {
                        // Stamped with the import instant when the goal is finished.
                        seen.undated = Some(Measurement {
                            at: Timestamp::from_millis(0),
                            value,
                            note,
                        })
                    }
                }
            }
        }
        if let Some(driver) = row.driver {
            match self.drivers.iter().position(|kept| kept == &driver) {
                Some(_) => {}
                None => self.drivers.push(driver),
            }
        }
        Ok(())
    }

    /// The line of the goal's first row.
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn account(&self) -> &ExternalId {
        &self.account
    }

    /// Whether this draft is the stored goal `goal`: the same id when the
    /// file gave one, else the same title (case-insensitive).
    pub fn is(&self, goal: &Goal) -> bool {
        match &self.goal_id {
            Some(id) => &goal.id == id,
            None => goal.title.trim().eq_ignore_ascii_case(self.title.trim()),
        }
    }

    /// The goal the file describes, checked whole. Cells the file left empty
    /// keep the value of `existing` (the stored goal this draft is, if any) and
    /// of its metric of the same id or name; for a new goal or metric they take
    /// their defaults, or are missing. `now` stamps undated measurements, and
    /// its date starts a new goal that gives no start date.
    pub fn complete(self, existing: Option<&Goal>, now: Timestamp) -> Result<ImportedGoal, String> {
        let title = self.title;
        let fail = |reason: String| format!("goal `{title}`: {reason}");
        let start_date = value(self.seen.start_date)
            .or(existing.map(|goal| goal.start_date))
            .unwrap_or_else(|| now.date());
        let Some(target_date) =
            value(self.seen.target_date).or(existing.map(|goal| goal.target_date))
        else {
            return Err(fail(
                "missing field `target_date` (give it on one of the goal's rows)".into(),
            ));
        };
        if target_date < start_date {
            return Err(fail(format!(
                "field `target_date`: {target_date} is before the start date {start_date}"
            )));
        }
        let mut metrics = Vec::with_capacity(self.metrics.len());
        let mut undated = Vec::new();
        for seen in self.metrics {
            let stored = existing.and_then(|goal| {
                goal.metrics.iter().find(|metric| match &seen.id {
                    Some(id) => &metric.id == id,
                    None => metric.name.trim().eq_ignore_ascii_case(seen.name.trim()),
                })
            });
            let name = &seen.name;
            let missing = |column: &str| {
                fail(format!(
                    "metric `{name}` (line {}): missing field `{column}` (give it on one of the metric's rows)",
                    seen.line
                ))
            };
            let category = value(seen.category)
                .or(stored.map(|metric| metric.category))
                .ok_or_else(|| missing("category"))?;
            let target = value(seen.target)
                .or(stored.map(|metric| metric.target))
                .ok_or_else(|| missing("target"))?;
            let direction = value(seen.direction)
                .or(stored.map(|metric| metric.direction))
                .ok_or_else(|| missing("direction"))?;
            let text = |seen: Seen<String>, stored: Option<&String>| {
                value(seen).or(stored.cloned()).unwrap_or_default()
            };
            let mut history = seen.dated;
            history.sort_by_key(|measurement| measurement.at);
            if let Some(measurement) = seen.undated {
                undated.push((
                    metrics.len(),
                    Measurement {
                        at: now,
                        ..measurement
                    },
                ));
            }
            metrics.push(Metric {
                id: seen.id.unwrap_or_default(),
                category,
                name: seen.name,
                description: text(seen.description, stored.map(|metric| &metric.description)),
                baseline: value(seen.baseline).or(stored.and_then(|metric| metric.baseline)),
                target,
                unit: text(seen.unit, stored.map(|metric| &metric.unit)),
                direction,
                data_source: text(seen.data_source, stored.map(|metric| &metric.data_source)),
                frequency: value(seen.frequency)
                    .or(stored.map(|metric| metric.frequency))
                    .unwrap_or(MetricFrequency::Monthly),
                history,
            });
        }
        let goal = Goal {
            id: self.goal_id.unwrap_or_default(),
            customer_id: None,
            title: title.clone(),
            description: value(self.seen.description)
                .or(existing.map(|goal| goal.description.clone()))
                .unwrap_or_default(),
            owner: value(self.seen.owner)
                .or(existing.map(|goal| goal.owner.clone()))
                .unwrap_or_default(),
            start_date,
            target_date,
            weight: value(self.seen.weight)
                .or(existing.map(|goal| goal.weight))
                .unwrap_or(1.0),
            checkpoints: value(self.seen.checkpoints)
                .or(existing.map(|goal| goal.checkpoints.clone()))
                .unwrap_or_default(),
            value_drivers: self.drivers,
            metrics,
        };
        validate_goal(&goal).map_err(|error| fail(error.to_string()))?;
        Ok(ImportedGoal { goal, undated })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "account,goal,start_date,target_date,metric,category,baseline,target,unit,direction,current,measured_at,value_kind,hours_per_month,hourly_rate,value_amount,confidence,value_label\n";

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").unwrap()
    }

    /// The file's goals completed as new goals, and every rejection.
    fn read(body: &str) -> (Vec<(u64, String, ImportedGoal)>, Vec<String>) {
        let file = read_goals(format!("{HEADER}{body}").as_bytes()).unwrap();
        let mut rejected = file.rejected;
        let mut goals = Vec::new();
        for draft in file.goals {
            let (line, account) = (draft.line(), draft.account().as_str().to_string());
            match draft.complete(None, now()) {
                Ok(goal) => goals.push((line, account, goal)),
                Err(reason) => rejected.push(RecordError { line, reason }),
            }
        }
        rejected.sort_by_key(|error| error.line);
        (goals, rejected.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn rows_gather_into_goals_metrics_histories_and_drivers() {
        let (goals, rejected) = read(
            "acme,Reduce manual data entry,2026-01-01,2026-12-31,Hours per week,operational,40,10,hours,lower_is_better,22,2026-06-30,time_saved,120,85,,high,Time Savings\n\
             acme,reduce manual data entry,,,Hours per week,,,,,,16,2026-09-30,,,,,,\n\
             acme,Reduce manual data entry,,,Error rate,quality,8,2,%,lower_is_better,3.1,2026-09-30,cost_reduction,,,\"$45,000\",medium,Error Reduction\n\
             acme,Reduce manual data entry,,,Error rate,,,,,,2.5,,time_saved,120,85,,high,Time Savings\n\
             beta,Adoption,,2027-03-01,Weekly active users,adoption,,200,users,higher_is_better,,,,,,,,\n",
        );
        assert_eq!(rejected, Vec::<String>::new());
        assert_eq!(goals.len(), 2);
        let (line, account, acme) = &goals[0];
        assert_eq!((*line, account.as_str()), (2, "acme"));
        let goal = &acme.goal;
        assert_eq!(goal.metrics.len(), 2);
        let hours = &goal.metrics[0];
        assert_eq!(hours.baseline, Some(40.0));
        assert_eq!(
            hours.history.iter().map(|m| m.value).collect::<Vec<_>>(),
            [22.0, 16.0]
        );
        assert_eq!(
            goal.value_drivers.len(),
            2,
            "the repeated driver is kept once"
        );
        assert_eq!(
            goal.value_drivers[1].kind,
            ValueDriverKind::CostReduction {
                amount_per_year: 45_000.0
            }
        );
        assert_eq!(acme.undated.len(), 1);
        assert_eq!(acme.undated[0].0, 1);
        assert_eq!(acme.undated[0].1.at, now());
        let beta = &goals[1].2.goal;
        assert_eq!(beta.metrics[0].baseline, None);
        assert!(beta.metrics[0].history.is_empty());
        assert_eq!(
            beta.start_date,
            now().date(),
            "no start date: the day of the import"
        );
    }

    #[test]
    fn bad_cells_conflicts_and_incomplete_goals_are_reported_by_line() {
        let (goals, rejected) = read(
            "acme,Goal A,2026-01-01,2026-12-31,Hours,operational,40,10,hours,lower_is_better,22,2026-06-30,,,,,,\n\
             acme,Goal A,,2027-01-31,Hours,,,,,,20,2026-07-31,,,,,,\n\
             acme,Goal A,,,Hours,,,12,,,19,2026-08-31,,,,,,\n\
             acme,Goal A,,,Hours,,,,,,lots,2026-09-30,,,,,,\n\
             acme,Goal B,2026-01-01,,Rate,quality,8,2,%,lower_is_better,,,,,,,,\n\
             acme,Goal C,2026-06-01,2026-01-01,,,,,,,,,,,,,,\n\
             acme,Goal D,2026-01-01,2026-12-31,NPS,satisfaction,30,50,,sideways,,,,,,,,\n\
             acme,Goal E,2026-01-01,2026-12-31,NPS,satisfaction,30,,,higher_is_better,,,,,,,,\n\
             acme,Goal F,2026-01-01,2026-12-31,,,,,,,,,time_saved,,85,,,\n\
             ,Goal G,2026-01-01,2026-12-31,,,,,,,,,,,,,,\n\
             acme,Goal H,2026-01-01,2026-12-31,,,,,,,7,,,,,,,\n",
        );
        assert_eq!(
            rejected,
            [
                "3: field `target_date`: `2027-01-31` differs from `2026-12-31` given on line 2 for the same goal",
                "4: field `target`: `12` differs from `10` given on line 2 for the same metric",
                "5: field `current`: `lots` is not a number",
                "6: goal `Goal B`: missing field `target_date` (give it on one of the goal's rows)",
                "7: goal `Goal C`: field `target_date`: 2026-01-01 is before the start date 2026-06-01",
                "8: field `direction`: direction `sideways` is not one of higher_is_better | lower_is_better",
                "9: goal `Goal E`: metric `NPS` (line 9): missing field `target` (give it on one of the metric's rows)",
                "10: missing field `hours_per_month` (needed for value_kind time_saved)",
                "11: field `account`: account id is empty",
                "12: field `current` is given but `metric` (the metric's name) is empty",
            ]
        );
        // Goal A keeps its good rows; D's, F's and H's only rows were rejected.
        let titles: Vec<&str> = goals
            .iter()
            .map(|goal| goal.2.goal.title.as_str())
            .collect();
        assert_eq!(titles, ["Goal A"]);
        assert_eq!(goals[0].2.goal.metrics[0].history.len(), 1);
    }

    #[test]
    fn implausible_numbers_are_rejected_naming_the_column() {
        let (goals, rejected) = read(
            "acme,Goal A,2026-01-01,2026-12-31,Hours,operational,40,10,hours,lower_is_better,1e200,,,,,,,\n\
             acme,Goal B,2026-01-01,2026-12-31,Hours,operational,4e12,10,hours,lower_is_better,,,,,,,,\n\
             acme,Goal C,2026-01-01,2026-12-31,,,,,,,,,time_saved,1e200,45,,high,\n\
             acme,Goal D,2026-01-01,2026-12-31,,,,,,,,,time_saved,120000,45,,high,\n\
             acme,Goal E,2026-01-01,2026-12-31,,,,,,,,,cost_reduction,,,\"$20,000,000,000\",high,\n\
             acme,Goal F,2026-01-01,2026-12-31,,,,,,,,,time_saved,222.1,45,,medium,\n",
        );
        assert_eq!(
            rejected,
            [
                "2: field `current`: `1e200` is implausibly large: a value must lie within ±1,000,000,000,000",
                "3: field `baseline`: `4e12` is implausibly large: a value must lie within ±1,000,000,000,000",
                "4: field `hours_per_month`: `1e200` is implausibly large: a value must lie within ±1,000,000,000,000",
                "5: field `hours_per_month`: `120000` must be at most 100,000 hours a month",
                "6: field `value_amount`: `$20,000,000,000` must be at most $10,000,000,000 a year",
            ]
        );
        let titles: Vec<&str> = goals
            .iter()
            .map(|goal| goal.2.goal.title.as_str())
            .collect();
        assert_eq!(titles, ["Goal F"]);
    }

    #[test]
    fn empty_cells_keep_the_stored_goal_and_metric() {
        let draft = || {
            read_goals(
                "account,goal,metric,current,measured_at\nacme,Reduce entry,Hours,15,2026-10-31\n"
                    .as_bytes(),
            )
            .unwrap()
            .goals
            .remove(0)
        };
        let incomplete = draft().complete(None, now()).unwrap_err();
        assert!(
            incomplete.contains("missing field `target_date`"),
            "{incomplete}"
        );
        let stored: Goal = serde_json::from_value(serde_json::json!({
            "id": "goal-3", "title": "reduce entry", "owner": "Ops",
            "startDate": "2026-01-01", "targetDate": "2026-12-31",
            "metrics": [{"id": "goal-3-m1", "category": "operational", "name": "hours",
                         "baseline": 40, "target": 10, "direction": "lower_is_better"}]
        }))
        .unwrap();
        assert!(draft().is(&stored));
        let goal = draft().complete(Some(&stored), now()).unwrap().goal;
        assert_eq!((goal.owner.as_str(), goal.metrics[0].target), ("Ops", 10.0));
        assert_eq!(goal.metrics[0].baseline, Some(40.0));
        assert_eq!(goal.metrics[0].history[0].value, 15.0);
    }

    #[test]
    fn missing_goal_column_rejects_the_file() {
        let error = read_goals("account,metric\n".as_bytes()).err().unwrap();
        assert!(
            error
                .to_string()
                .starts_with("bad header: missing column goal")
        );
    }
}
