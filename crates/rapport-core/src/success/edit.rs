//! Changes to an account's goals, shared by the API and the CLI: request
//! bodies (PRD-069's goal and metric, a metric's `current` value included)
//! parsed with errors naming the field, validation, replacing a goal while
//! keeping its metrics' measurement histories, recording a measurement,
//! removing a metric.

use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    Confidence, Goal, Measurement, Metric, MetricCategory, MetricDirection, MetricFrequency,
    ValueDriver, ValueDriverKind,
};
use crate::domain::CustomerId;
use crate::time::Timestamp;
pub use crate::validation::{FieldError, parse_json};
use crate::validation::{MAX_NAME_CHARS, field_error, finite, text_at_most};

// ---- Request bodies ---------------------------------------------------------

/// A metric's current value as a body states it (PRD-069's `current` and
/// `measuredAt`): recorded in the metric's history as a measurement at
/// `measured_at` or, when that was left out, at the instant the change is
/// applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurrentValue {
    pub value: f64,
    pub measured_at: Option<Timestamp>,
}

impl CurrentValue {
    fn measurement(self, now: Timestamp) -> Measurement {
        Measurement {
            at: self.measured_at.unwrap_or(now),
            value: self.value,
            note: None,
        }
    }
}

/// A goal as a request body states it: the goal, and the current values its
/// metrics carried (by index into `goal.metrics`), which become measurements
/// when the goal is written.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalRequest {
    pub goal: Goal,
    pub current: Vec<(usize, CurrentValue)>,
}

impl From<Goal> for GoalRequest {
    fn from(goal: Goal) -> Self {
        GoalRequest {
            goal,
            current: Vec::new(),
        }
    }
}

impl GoalRequest {
    /// The goal as written at `now`: each metric's current value recorded in
    /// its history (a measurement at the same instant is replaced).
    pub fn into_goal(self, now: Timestamp) -> Goal {
        let GoalRequest { mut goal, current } = self;
        for (index, value) in current {
            if let Some(metric) = goal.metrics.get_mut(index) {
                insert_measurement(&mut metric.history, value.measurement(now));
            }
        }
        goal
    }
}

/// A metric as a request body states it, with its current value if it gave one.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRequest {
    pub metric: Metric,
    pub current: Option<CurrentValue>,
}

/// PRD-069 fields Rapport computes; a body naming one is told so rather than
/// that the field is unknown.
const COMPUTED_FIELDS: [&str; 2] = ["status", "progressPercent"];

/// The goal body. Its own type, not the stored [`Goal`]: it refuses fields it
/// does not know at every level (a misspelt `curent` must not vanish) and
/// carries each metric's `current`, which the stored shape keeps as history.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalBody {
    #[serde(default)]
    id: String,
    #[serde(default)]
    customer_id: Option<CustomerId>,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    owner: String,
    start_date: NaiveDate,
    target_date: NaiveDate,
    #[serde(default = "super::default_weight")]
    weight: f64,
    #[serde(default)]
    checkpoints: Vec<NaiveDate>,
    #[serde(default)]
    value_drivers: Vec<ValueDriverBody>,
    #[serde(default)]
    metrics: Vec<MetricBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricBody {
    #[serde(default)]
    id: String,
    category: MetricCategory,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    baseline: Option<f64>,
    target: f64,
    #[serde(default)]
    unit: String,
    direction: MetricDirection,
    #[serde(default)]
    data_source: String,
    #[serde(default = "super::default_frequency")]
    frequency: MetricFrequency,
    #[serde(default)]
    history: Vec<MeasurementBody>,
    #[serde(default)]
    current: Option<f64>,
    #[serde(default)]
    measured_at: Option<Timestamp>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeasurementBody {
    at: Timestamp,
    value: f64,
    #[serde(default)]
    note: Option<String>,
}

/// [`ValueDriver`] as a body states it. The stored type flattens its kind,
/// and serde cannot refuse unknown fields through a flattened field, so the
/// body spells each kind out with the common fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum ValueDriverBody {
    #[serde(rename = "time_saved", rename_all = "camelCase")]
    TimeSaved {
        hours_per_month: f64,
        hourly_rate: f64,
        confidence: Confidence,
        #[serde(default)]
        label: String,
    },
    #[serde(rename = "cost_reduction", rename_all = "camelCase")]
    CostReduction {
        amount_per_year: f64,
        confidence: Confidence,
        #[serde(default)]
        label: String,
    },
    #[serde(rename = "revenue_increase", rename_all = "camelCase")]
    RevenueIncrease {
        amount_per_year: f64,
        confidence: Confidence,
        #[serde(default)]
        label: String,
    },
    #[serde(rename = "tools_retired", rename_all = "camelCase")]
    ToolsRetired {
        annual_cost: f64,
        #[serde(default)]
        tools: u32,
        confidence: Confidence,
        #[serde(default)]
        label: String,
    },
}

impl From<ValueDriverBody> for ValueDriver {
    fn from(body: ValueDriverBody) -> Self {
        let (kind, confidence, label) = match body {
            ValueDriverBody::TimeSaved {
                hours_per_month,
                hourly_rate,
                confidence,
                label,
            } => (
                ValueDriverKind::TimeSaved {
                    hours_per_month,
                    hourly_rate,
                },
                confidence,
                label,
            ),
            ValueDriverBody::CostReduction {
                amount_per_year,
                confidence,
                label,
            } => (
                ValueDriverKind::CostReduction { amount_per_year },
                confidence,
                label,
            ),
            ValueDriverBody::RevenueIncrease {
                amount_per_year,
                confidence,
                label,
            } => (
                ValueDriverKind::RevenueIncrease { amount_per_year },
                confidence,
                label,
            ),
            ValueDriverBody::ToolsRetired {
                annual_cost,
                tools,
                confidence,
                label,
            } => (
                ValueDriverKind::ToolsRetired { annual_cost, tools },
                confidence,
                label,
            ),
        };
        ValueDriver {
            kind,
            confidence,
            label,
        }
    }
}

impl MetricBody {
    /// The metric and its current value; `prefix` is its path in the body.
    fn into_request(self, prefix: &str) -> Result<MetricRequest, FieldError> {
        let current = match (self.current, self.measured_at) {
            (Some(value), measured_at) => Some(CurrentValue { value, measured_at }),
            (None, Some(_)) => {
                return Err(field_error(
                    path(prefix, "measuredAt"),
                    "given without `current`: it is the instant of the current value",
                ));
            }
            (None, None) => None,
        };
        let metric = Metric {
            id: self.id,
            category: self.category,
            name: self.name,
            description: self.description,
            baseline: self.baseline,
            target: self.target,
            unit: self.unit,
            direction: self.direction,
            data_source: self.data_source,
            frequency: self.frequency,
            history: self
                .history
                .into_iter()
                .map(|measurement| Measurement {
                    at: measurement.at,
                    value: measurement.value,
                    note: measurement.note,
                })
                .collect(),
        };
        let request = MetricRequest { metric, current };
        validate_metric_request(&request, prefix)?;
        Ok(request)
    }
}

/// `field` inside `prefix` (`metrics[0]` + `target`); the field alone at the
/// top of a body.
fn path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

/// [`parse_json`] naming an unknown field by its own path at every level
/// (serde names an internally tagged value driver's unknown field by the
/// driver's path), and PRD-069's computed fields as such.
fn parse_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    fill: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Result<T, FieldError> {
    parse_json(body, fill).map_err(|error| {
        let Some((name, rest)) = error
            .reason
            .strip_prefix("unknown field `")
            .and_then(|after| after.split_once('`'))
        else {
            return error;
        };
        let field = if error.field == "body" {
            name.to_string()
        } else if error.field == name || error.field.ends_with(&format!(".{name}")) {
            error.field.clone()
        } else {
            format!("{}.{name}", error.field)
        };
        if COMPUTED_FIELDS.contains(&name) {
            field_error(
                field,
                "computed by Rapport from the measurements; a body cannot set it",
            )
        } else {
            field_error(field, format!("unknown field{rest}"))
        }
    })
}

/// Parses and validates a goal body; `startDate` defaults to `default_start`.
pub fn parse_goal(body: &[u8], default_start: NaiveDate) -> Result<GoalRequest, FieldError> {
    let body: GoalBody = parse_body(body, |object| {
        object
            .entry("startDate")
            .or_insert_with(|| default_start.to_string().into());
    })?;
    let mut metrics = Vec::with_capacity(body.metrics.len());
    let mut current = Vec::new();
    for (index, metric) in body.metrics.into_iter().enumerate() {
        let request = metric.into_request(&format!("metrics[{index}]"))?;
        if let Some(value) = request.current {
            current.push((index, value));
        }
        metrics.push(request.metric);
    }
    let goal = Goal {
        id: body.id,
        customer_id: body.customer_id,
        title: body.title,
        description: body.description,
        owner: body.owner,
        start_date: body.start_date,
        target_date: body.target_date,
        weight: body.weight,
        checkpoints: body.checkpoints,
        value_drivers: body.value_drivers.into_iter().map(Into::into).collect(),
        metrics,
    };
    validate_goal(&goal)?;
    Ok(GoalRequest { goal, current })
}

/// Parses and validates a metric body (`PUT …/metrics/{id}`); fields are
/// named from the top of the body (`history[0].value`).
pub fn parse_metric(body: &[u8]) -> Result<MetricRequest, FieldError> {
    let metric: MetricBody = parse_body(body, |_| {})?;
    metric.into_request("")
}

// ---- Validation -------------------------------------------------------------

/// The largest magnitude a metric value, target, baseline, weight or value
/// driver may have: a trillion, above any count, amount or rate a customer
/// measures, and far enough below `f64`'s range that every figure computed
/// from it (differences, progress × 100, yearly values) stays exact enough to
/// read.
pub const LARGEST_VALUE: f64 = 1e12;

/// Refuses a number that is not finite or is beyond [`LARGEST_VALUE`].
pub fn plausible(field: String, value: f64) -> Result<(), FieldError> {
    finite(field.clone(), value)?;
    if value.abs() > LARGEST_VALUE {
        return Err(field_error(
            field,
            format!("{value:e} is implausibly large: a value must lie within ±1,000,000,000,000"),
        ));
    }
    Ok(())
}

/// The most a time-saved driver may claim a month: 100,000 hours, some 600
/// people's whole working month; beyond it the figure is a typo, not a saving.
pub const MOST_HOURS_PER_MONTH: f64 = 100_000.0;
/// The highest hourly rate a time-saved driver may use: $10,000 an hour.
pub const HIGHEST_HOURLY_RATE: f64 = 10_000.0;
/// The largest yearly amount (cost reduction, revenue increase, retired
/// tools' annual cost) a driver may claim: $10,000,000,000 a year.
pub const LARGEST_AMOUNT_PER_YEAR: f64 = 10_000_000_000.0;

/// Refuses `value` above `most`, saying the bound as people read it.
fn at_most(field: String, value: f64, most: f64, bound: &str) -> Result<(), FieldError> {
    if value > most {
        return Err(field_error(field, format!("must be at most {bound}")));
    }
    Ok(())
}

/// Checks a value driver; `prefix` is its path in the body
/// (`valueDrivers[0]`). Every input is finite, not negative and within
/// [`LARGEST_VALUE`]; a time-saved driver's yearly value too; then each input
/// within its own plausible bound ([`MOST_HOURS_PER_MONTH`],
/// [`HIGHEST_HOURLY_RATE`], [`LARGEST_AMOUNT_PER_YEAR`]).
pub fn validate_value_driver(driver: &ValueDriver, prefix: &str) -> Result<(), FieldError> {
    match driver.kind {
        ValueDriverKind::TimeSaved {
            hours_per_month,
            hourly_rate,
        } => {
            plausible_non_negative(format!("{prefix}.hoursPerMonth"), hours_per_month)?;
            plausible_non_negative(format!("{prefix}.hourlyRate"), hourly_rate)?;
            let annual = hours_per_month * hourly_rate * 12.0;
            if annual > LARGEST_VALUE {
                return Err(field_error(
                    prefix,
                    format!(
                        "hoursPerMonth × hourlyRate × 12 = {annual:e} is implausibly large: \
                         a value must lie within ±1,000,000,000,000"
                    ),
                ));
            }
            at_most(
                format!("{prefix}.hoursPerMonth"),
                hours_per_month,
                MOST_HOURS_PER_MONTH,
                "100,000 hours a month",
            )?;
            at_most(
                format!("{prefix}.hourlyRate"),
                hourly_rate,
                HIGHEST_HOURLY_RATE,
                "$10,000 an hour",
            )?;
        }
        ValueDriverKind::CostReduction { amount_per_year }
        | ValueDriverKind::RevenueIncrease { amount_per_year } => {
            plausible_non_negative(format!("{prefix}.amountPerYear"), amount_per_year)?;
            at_most(
                format!("{prefix}.amountPerYear"),
                amount_per_year,
                LARGEST_AMOUNT_PER_YEAR,
                "$10,000,000,000 a year",
            )?;
        }
        ValueDriverKind::ToolsRetired { annual_cost, .. } => {
            plausible_non_negative(format!("{prefix}.annualCost"), annual_cost)?;
            at_most(
                format!("{prefix}.annualCost"),
                annual_cost,
                LARGEST_AMOUNT_PER_YEAR,
                "$10,000,000,000 a year",
            )?;
        }
    }
    Ok(())
}

fn plausible_non_negative(field: String, value: f64) -> Result<(), FieldError> {
    plausible(field.clone(), value)?;
    if value < 0.0 {
        return Err(field_error(field, "must not be negative"));
    }
    Ok(())
}

/// Checks a metric; `prefix` is its path in the body (`metrics[0]`, or empty
/// for a metric's own body).
pub fn validate_metric(metric: &Metric, prefix: &str) -> Result<(), FieldError> {
    if metric.name.trim().is_empty() {
        return Err(field_error(path(prefix, "name"), "must not be empty"));
    }
    text_at_most(&path(prefix, "name"), &metric.name, MAX_NAME_CHARS)?;
    plausible(path(prefix, "target"), metric.target)?;
    if let Some(baseline) = metric.baseline {
        plausible(path(prefix, "baseline"), baseline)?;
    }
    for (index, measurement) in metric.history.iter().enumerate() {
        plausible(
            path(prefix, &format!("history[{index}].value")),
            measurement.value,
        )?;
    }
    Ok(())
}

/// Checks a metric body: the metric and its current value.
pub fn validate_metric_request(request: &MetricRequest, prefix: &str) -> Result<(), FieldError> {
    validate_metric(&request.metric, prefix)?;
    if let Some(current) = request.current {
        plausible(path(prefix, "current"), current.value)?;
    }
    Ok(())
}

/// Checks a goal before it is stored.
pub fn validate_goal(goal: &Goal) -> Result<(), FieldError> {
    if goal.title.trim().is_empty() {
        return Err(field_error("title", "must not be empty"));
    }
    text_at_most("title", &goal.title, MAX_NAME_CHARS)?;
    if goal.target_date < goal.start_date {
        return Err(field_error(
            "targetDate",
            format!(
                "{} is before the start date {}",
                goal.target_date, goal.start_date
            ),
        ));
    }
    plausible("weight".into(), goal.weight)?;
    if goal.weight <= 0.0 {
        return Err(field_error("weight", "must be a positive number"));
    }
    for (index, metric) in goal.metrics.iter().enumerate() {
        validate_metric(metric, &format!("metrics[{index}]"))?;
        if !metric.id.is_empty()
            && goal.metrics[..index]
                .iter()
                .any(|other| other.id == metric.id)
        {
            return Err(field_error(
                format!("metrics[{index}].id"),
                format!("`{}` is used twice", metric.id),
            ));
        }
    }
    for (index, driver) in goal.value_drivers.iter().enumerate() {
        validate_value_driver(driver, &format!("valueDrivers[{index}]"))?;
    }
    Ok(())
}

// ---- Changes ----------------------------------------------------------------

/// The goal `incoming` replacing `existing` at `now`: a metric with the id of
/// an existing one and no history of its own keeps the existing history, so
/// editing a goal's description or a metric's target never loses
/// measurements; a current value the body gave is then added to the history.
pub fn replace_goal(existing: &Goal, incoming: GoalRequest, now: Timestamp) -> Goal {
    let GoalRequest { mut goal, current } = incoming;
    goal.id = existing.id.clone();
    for metric in &mut goal.metrics {
        if metric.history.is_empty()
            && let Some(before) = existing.metrics.iter().find(|m| m.id == metric.id)
        {
            metric.history = before.history.clone();
        }
    }
    GoalRequest { goal, current }.into_goal(now)
}

/// The metric `incoming` replacing `existing` at `now`: its id stays; its
/// history is kept unless the body brought one; a current value the body
/// gave is added to the history.
pub fn replace_metric(existing: &Metric, incoming: MetricRequest, now: Timestamp) -> Metric {
    let MetricRequest {
        mut metric,
        current,
    } = incoming;
    metric.id = existing.id.clone();
    if metric.history.is_empty() {
        metric.history = existing.history.clone();
    }
    if let Some(current) = current {
        insert_measurement(&mut metric.history, current.measurement(now));
    }
    metric
}

/// A goal read from an import file, with the measurements that carried no
/// date of their own (`metric` is an index into `goal.metrics`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedGoal {
    pub goal: Goal,
    pub undated: Vec<(usize, Measurement)>,
}

/// Whether two value drivers are the same driver (same kind and label), so an
/// import replaces rather than duplicates it.
fn same_driver(a: &ValueDriver, b: &ValueDriver) -> bool {
    std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind)
        && a.label.trim().eq_ignore_ascii_case(b.label.trim())
}

/// Whether `incoming` names the stored metric `stored`: by id when it has one,
/// else by name (case-insensitive).
fn same_metric(stored: &Metric, incoming: &Metric) -> bool {
    if incoming.id.is_empty() {
        stored
            .name
            .trim()
            .eq_ignore_ascii_case(incoming.name.trim())
    } else {
        stored.id == incoming.id
    }
}

/// Inserts `measurement` in time order; one at the same instant is replaced.
fn insert_measurement(history: &mut Vec<Measurement>, measurement: Measurement) {
    history.retain(|kept| kept.at != measurement.at);
    let at = history.partition_point(|kept| kept.at < measurement.at);
    history.insert(at, measurement);
}

/// An imported goal merged into the stored one (`None`: a new goal). Import
/// adds and never removes: the file's definition of the goal and of each metric
/// it names wins; stored metrics and value drivers it does not mention stay;
/// measurements are merged into the histories (the same instant is replaced);
/// an undated measurement is added only when it differs from the metric's
/// latest value, so re-importing a file changes nothing.
pub fn merge_imported_goal(existing: Option<&Goal>, imported: ImportedGoal) -> Goal {
    let ImportedGoal { goal, undated } = imported;
    let Some(existing) = existing else {
        let mut goal = goal;
        for (index, measurement) in undated {
            if let Some(metric) = goal.metrics.get_mut(index) {
                add_if_changed(&mut metric.history, measurement);
            }
        }
        return goal;
    };
    let mut merged = Goal {
        id: existing.id.clone(),
        customer_id: existing.customer_id.or(goal.customer_id),
        metrics: existing.metrics.clone(),
        value_drivers: existing.value_drivers.clone(),
        ..goal.clone()
    };
    let mut positions = Vec::with_capacity(goal.metrics.len());
    for incoming in goal.metrics {
        match merged
            .metrics
            .iter()
            .position(|stored| same_metric(stored, &incoming))
        {
            Some(position) => {
                let stored = &mut merged.metrics[position];
                let mut history = std::mem::take(&mut stored.history);
                for measurement in incoming.history.iter().cloned() {
                    insert_measurement(&mut history, measurement);
                }
                *stored = Metric {
                    id: stored.id.clone(),
                    history,
                    ..incoming
                };
                positions.push(position);
            }
            None => {
                positions.push(merged.metrics.len());
                merged.metrics.push(incoming);
            }
        }
    }
    for driver in goal.value_drivers {
        match merged
            .value_drivers
            .iter()
            .position(|stored| same_driver(stored, &driver))
        {
            Some(position) => merged.value_drivers[position] = driver,
            None => merged.value_drivers.push(driver),
        }
    }
    for (index, measurement) in undated {
        if let Some(metric) = positions
            .get(index)
            .and_then(|position| merged.metrics.get_mut(*position))
        {
            add_if_changed(&mut metric.history, measurement);
        }
    }
    merged
}

/// Adds an undated measurement (stamped with the import instant) unless the
/// latest recorded value is already the same.
fn add_if_changed(history: &mut Vec<Measurement>, measurement: Measurement) {
    if history
        .last()
        .is_some_and(|last| last.value == measurement.value)
    {
        return;
    }
    insert_measurement(history, measurement);
}

/// Records `measurement` on the metric `metric_id` of one of `goals`: a
/// measurement at the same instant replaces the earlier one. Returns the index
/// of the goal changed, or `None` when no goal has that metric.
pub fn record_measurement(
    goals: &mut [Goal],
    metric_id: &str,
    measurement: Measurement,
) -> Option<usize> {
    let (index, metric) = goals.iter_mut().enumerate().find_map(|(index, goal)| {
        goal.metrics
            .iter_mut()
            .find(|metric| metric.id == metric_id)
            .map(|metric| (index, metric))
    })?;
    insert_measurement(&mut metric.history, measurement);
    Some(index)
}

/// Removes the metric `metric_id`; returns the index of the goal it was in.
pub fn remove_metric(goals: &mut [Goal], metric_id: &str) -> Option<usize> {
    goals.iter_mut().enumerate().find_map(|(index, goal)| {
        let before = goal.metrics.len();
        goal.metrics.retain(|metric| metric.id != metric_id);
        (goal.metrics.len() != before).then_some(index)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal() -> Goal {
        serde_json::from_value(serde_json::json!({
            "id": "goal-1",
            "title": "Improve data accuracy",
            "startDate": "2025-01-01",
            "targetDate": "2025-12-31",
            "metrics": [{"id": "goal-1-m1", "category": "quality", "name": "Error rate",
                         "baseline": 12, "target": 2, "direction": "lower_is_better",
                         "history": [{"at": "2025-03-01T00:00:00Z", "value": 8}]}]
        }))
        .unwrap()
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(validate_goal(&goal()), Ok(()));
        let mut bad = goal();
        bad.title = " ".into();
        assert_eq!(validate_goal(&bad).unwrap_err().field, "title");
        let mut bad = goal();
        bad.target_date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        assert_eq!(validate_goal(&bad).unwrap_err().field, "targetDate");
        let mut bad = goal();
        bad.weight = 0.0;
        assert_eq!(validate_goal(&bad).unwrap_err().field, "weight");
        let mut bad = goal();
        bad.metrics[0].target = f64::NAN;
        assert_eq!(validate_goal(&bad).unwrap_err().field, "metrics[0].target");
        let mut bad = goal();
        bad.metrics.push(bad.metrics[0].clone());
        assert_eq!(validate_goal(&bad).unwrap_err().field, "metrics[1].id");
    }

    #[test]
    fn replacing_keeps_histories_and_measurements_are_ordered() {
        let mut edited = goal();
        edited.id = String::new();
        edited.metrics[0].history.clear();
        edited.metrics[0].target = 1.0;
        let now = Timestamp::parse_rfc3339("2025-07-01T00:00:00Z").unwrap();
        let replaced = replace_goal(&goal(), edited.into(), now);
        assert_eq!(replaced.id, "goal-1");
        assert_eq!(replaced.metrics[0].history.len(), 1);
        assert_eq!(replaced.metrics[0].target, 1.0);

        let mut goals = vec![replaced];
        let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
        for (when, value) in [
            ("2025-06-01T00:00:00Z", 5.0),
            ("2025-02-01T00:00:00Z", 10.0),
            ("2025-06-01T00:00:00Z", 4.5),
        ] {
            let measurement = Measurement {
                at: at(when),
                value,
                note: None,
            };
            assert_eq!(
                record_measurement(&mut goals, "goal-1-m1", measurement),
                Some(0)
            );
        }
        let values: Vec<f64> = goals[0].metrics[0]
            .history
            .iter()
            .map(|m| m.value)
            .collect();
        assert_eq!(values, [10.0, 8.0, 4.5]);
        let unknown = Measurement {
            at: at("2025-07-01T00:00:00Z"),
            value: 1.0,
            note: None,
        };
        assert_eq!(record_measurement(&mut goals, "nope", unknown), None);
        assert_eq!(remove_metric(&mut goals, "goal-1-m1"), Some(0));
        assert!(goals[0].metrics.is_empty());
    }

    #[test]
    fn an_import_adds_and_never_removes_and_repeats_change_nothing() {
        let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
        let stored = goal();
        let mut incoming = goal();
        incoming.id = String::new();
        incoming.description = "From the spreadsheet".into();
        // The same metric by name (any case), a new target and one new dated value.
        incoming.metrics[0].id = String::new();
        incoming.metrics[0].name = "ERROR RATE".into();
        incoming.metrics[0].target = 1.0;
        incoming.metrics[0].history = vec![Measurement {
            at: at("2025-04-01T00:00:00Z"),
            value: 6.0,
            note: None,
        }];
        let mut second = incoming.metrics[0].clone();
        second.name = "Rework hours".into();
        second.history.clear();
        incoming.metrics.push(second);
        let undated = |value: f64| Measurement {
            at: at("2025-05-01T00:00:00Z"),
            value,
            note: None,
        };
        let imported = ImportedGoal {
            goal: incoming,
            undated: vec![(0, undated(6.0)), (1, undated(30.0))],
        };
        let merged = merge_imported_goal(Some(&stored), imported.clone());
        assert_eq!(merged.id, "goal-1");
        assert_eq!(merged.description, "From the spreadsheet");
        assert_eq!(merged.metrics.len(), 2);
        let error_rate = &merged.metrics[0];
        assert_eq!(
            (error_rate.id.as_str(), error_rate.target),
            ("goal-1-m1", 1.0)
        );
        // 8 kept, 6 added; the undated 6 equals the latest value, so it is not added.
        let values: Vec<f64> = error_rate.history.iter().map(|m| m.value).collect();
        assert_eq!(values, [8.0, 6.0]);
        assert_eq!(merged.metrics[1].history.len(), 1);
        // Importing the same rows again changes nothing.
        assert_eq!(merge_imported_goal(Some(&merged), imported), merged);
        // A stored metric the file does not name stays.
        let mut other = goal();
        other.metrics.clear();
        let kept = merge_imported_goal(
            Some(&stored),
            ImportedGoal {
                goal: other,
                undated: Vec::new(),
            },
        );
        assert_eq!(kept.metrics, stored.metrics);
    }

    #[test]
    fn an_imported_value_driver_replaces_the_same_kind_and_label() {
        let driver = |amount: f64, label: &str| ValueDriver {
            kind: super::super::ValueDriverKind::CostReduction {
                amount_per_year: amount,
            },
            confidence: super::super::Confidence::High,
            label: label.into(),
        };
        let mut stored = goal();
        stored.value_drivers = vec![driver(10.0, "Errors"), driver(5.0, "Licences")];
        let mut incoming = goal();
        incoming.value_drivers = vec![driver(12.0, "errors"), driver(1.0, "Travel")];
        let merged = merge_imported_goal(
            Some(&stored),
            ImportedGoal {
                goal: incoming,
                undated: Vec::new(),
            },
        );
        let amounts: Vec<(String, f64)> = merged
            .value_drivers
            .iter()
            .map(|driver| match driver.kind {
                ValueDriverKind::CostReduction { amount_per_year } => {
                    (driver.label.clone(), amount_per_year)
                }
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            amounts,
            [
                ("errors".to_string(), 12.0),
                ("Licences".to_string(), 5.0),
                ("Travel".to_string(), 1.0)
            ]
        );
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
    }

    fn body_with_metric(metric: serde_json::Value) -> Vec<u8> {
        serde_json::json!({"title": "Accuracy", "targetDate": "2025-12-31", "metrics": [metric]})
            .to_string()
            .into_bytes()
    }

    fn error_rate(extra: serde_json::Value) -> serde_json::Value {
        let mut metric = serde_json::json!({"category": "quality", "name": "Error rate",
            "baseline": 12, "target": 2, "direction": "lower_is_better"});
        metric
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        metric
    }

    #[test]
    fn a_current_value_is_a_measurement_at_measured_at_or_now() {
        let now = at("2025-06-15T12:00:00Z");
        let dated = parse_goal(
            &body_with_metric(error_rate(
                serde_json::json!({"current": 8, "measuredAt": "2025-03-01T00:00:00Z"}),
            )),
            start(),
        )
        .unwrap();
        assert_eq!(dated.goal.start_date, start());
        let history = &dated.into_goal(now).metrics[0].history;
        assert_eq!(
            history,
            &[Measurement {
                at: at("2025-03-01T00:00:00Z"),
                value: 8.0,
                note: None
            }]
        );
        let undated = parse_goal(
            &body_with_metric(error_rate(serde_json::json!({"current": 8}))),
            start(),
        )
        .unwrap();
        assert_eq!(undated.into_goal(now).metrics[0].history[0].at, now);
        // With a history of its own, the current value joins it in time order.
        let both = parse_goal(
            &body_with_metric(error_rate(serde_json::json!({"current": 6,
                "history": [{"at": "2025-03-01T00:00:00Z", "value": 8}]}))),
            start(),
        )
        .unwrap();
        let values: Vec<f64> = both.into_goal(now).metrics[0]
            .history
            .iter()
            .map(|measurement| measurement.value)
            .collect();
        assert_eq!(values, [8.0, 6.0]);
        // Replacing a goal keeps the stored history and adds the current value.
        let replaced = replace_goal(
            &goal(),
            parse_goal(
                &body_with_metric(error_rate(
                    serde_json::json!({"id": "goal-1-m1", "current": 5}),
                )),
                start(),
            )
            .unwrap(),
            now,
        );
        let values: Vec<f64> = replaced.metrics[0]
            .history
            .iter()
            .map(|measurement| measurement.value)
            .collect();
        assert_eq!(values, [8.0, 5.0]);
        // A metric's own body.
        let metric = parse_metric(
            error_rate(serde_json::json!({"current": 4}))
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        let replaced = replace_metric(&goal().metrics[0], metric, now);
        assert_eq!(replaced.id, "goal-1-m1");
        assert_eq!(replaced.history.len(), 2);
        assert_eq!(replaced.history[1].value, 4.0);
    }

    #[test]
    fn a_stored_goal_reads_back_as_a_body() {
        // Every field the stored shape has is one the body knows, so what
        // `GET …/goals` returns can be sent back with `PUT`.
        let mut stored = goal();
        stored.customer_id = Some(CustomerId::for_external_id(
            &crate::domain::ExternalId::parse("acc-1").unwrap(),
        ));
        stored.description = "From the spreadsheet".into();
        stored.owner = "VP Quality".into();
        stored.checkpoints = vec![NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()];
        stored.metrics[0].history[0].note = Some("audit".into());
        stored.value_drivers = vec![
            ValueDriver {
                kind: ValueDriverKind::TimeSaved {
                    hours_per_month: 120.0,
                    hourly_rate: 85.0,
                },
                confidence: Confidence::High,
                label: "Time Savings".into(),
            },
            ValueDriver {
                kind: ValueDriverKind::ToolsRetired {
                    annual_cost: 1000.0,
                    tools: 2,
                },
                confidence: Confidence::Low,
                label: String::new(),
            },
        ];
        let body = serde_json::to_vec(&stored).unwrap();
        let parsed = parse_goal(&body, start()).unwrap();
        assert_eq!(parsed, GoalRequest::from(stored.clone()));
        let metric = serde_json::to_vec(&stored.metrics[0]).unwrap();
        assert_eq!(parse_metric(&metric).unwrap().metric, stored.metrics[0]);
    }

    #[test]
    fn unknown_fields_are_refused_by_their_path_at_every_level() {
        let field = |body: serde_json::Value| {
            let error = parse_goal(body.to_string().as_bytes(), start()).unwrap_err();
            (error.field, error.reason)
        };
        let metric = |extra| {
            serde_json::json!({"title": "Accuracy", "targetDate": "2025-12-31",
            "metrics": [error_rate(extra)]})
        };
        let (name, reason) = field(metric(serde_json::json!({"curent": 8})));
        assert_eq!(name, "metrics[0].curent");
        assert!(
            reason.starts_with("unknown field, expected one of"),
            "{reason}"
        );
        assert_eq!(
            field(serde_json::json!({"title": "A", "targetDate": "2025-12-31", "ownr": "x"})).0,
            "ownr"
        );
        assert_eq!(
            field(metric(serde_json::json!({"history": [
                {"at": "2025-03-01T00:00:00Z", "value": 8, "valeu": 1}]})))
            .0,
            "metrics[0].history[0].valeu"
        );
        let (name, reason) = field(serde_json::json!({"title": "A", "targetDate": "2025-12-31",
            "valueDrivers": [{"kind": "cost_reduction", "amountPerYear": 5,
                              "confidence": "high", "hoursPerMonth": 3}]}));
        assert_eq!(name, "valueDrivers[0].hoursPerMonth");
        assert!(reason.starts_with("unknown field"), "{reason}");
        let (name, reason) = field(metric(serde_json::json!({"status": "on_track"})));
        assert_eq!(name, "metrics[0].status");
        assert!(reason.starts_with("computed by Rapport"), "{reason}");
        let (name, reason) = field(metric(
            serde_json::json!({"measuredAt": "2025-03-01T00:00:00Z"}),
        ));
        assert_eq!(name, "metrics[0].measuredAt");
        assert!(reason.contains("without `current`"), "{reason}");
        let error = parse_metric(
            br#"{"category": "quality", "name": "E", "target": 1,
            "direction": "higher_is_better", "progressPercent": 3}"#,
        )
        .unwrap_err();
        assert_eq!(error.field, "progressPercent");
    }

    #[test]
    fn numbers_beyond_plausible_magnitudes_are_refused() {
        let field = |extra| {
            parse_goal(&body_with_metric(error_rate(extra)), start())
                .unwrap_err()
                .field
        };
        assert_eq!(
            field(serde_json::json!({"current": 1e200})),
            "metrics[0].current"
        );
        assert_eq!(
            field(serde_json::json!({"target": -1.5e12})),
            "metrics[0].target"
        );
        assert_eq!(
            field(serde_json::json!({"baseline": 1e13})),
            "metrics[0].baseline"
        );
        assert_eq!(
            field(serde_json::json!({"history": [{"at": "2025-03-01T00:00:00Z", "value": 2e12}]})),
            "metrics[0].history[0].value"
        );
        let error = plausible("value".into(), 1e200).unwrap_err();
        assert_eq!(
            error.reason,
            "1e200 is implausibly large: a value must lie within ±1,000,000,000,000"
        );
        // JSON has no NaN or infinity; a number too large for a double is not JSON.
        assert_eq!(parse_goal(b"", start()).unwrap_err().field, "body");
        let overflow = br#"{"title": "A", "targetDate": "2025-12-31", "weight": 1e400}"#;
        assert_eq!(parse_goal(overflow, start()).unwrap_err().field, "body");
        // A trillion is allowed; the bound applies to the driver's annual value too.
        assert!(
            parse_goal(
                &body_with_metric(error_rate(serde_json::json!({"target": 1e12}))),
                start()
            )
            .is_ok()
        );
        let drivers = serde_json::json!({"title": "A", "targetDate": "2025-12-31",
            "valueDrivers": [{"kind": "time_saved", "hoursPerMonth": 1e6, "hourlyRate": 1e6,
                              "confidence": "high"}]});
        let error = parse_goal(drivers.to_string().as_bytes(), start()).unwrap_err();
        assert_eq!(error.field, "valueDrivers[0]");
        assert!(
            error.reason.contains("implausibly large"),
            "{}",
            error.reason
        );
        let mut nan = goal();
        nan.metrics[0].history[0].value = f64::INFINITY;
        assert_eq!(
            validate_goal(&nan).unwrap_err().field,
            "metrics[0].history[0].value"
        );
    }
}
