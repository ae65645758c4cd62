//! Changes to an account's goals, shared by the API and the CLI: validation of a
//! goal with errors naming the field, replacing a goal while keeping its
//! metrics' measurement histories, recording a measurement, removing a metric.

use super::{Goal, Measurement, Metric, ValueDriver};
pub use crate::validation::{FieldError, parse_json};
use crate::validation::{field_error, finite, non_negative};

/// Parses and validates a goal; `startDate` defaults to `default_start`.
pub fn parse_goal(body: &[u8], default_start: chrono::NaiveDate) -> Result<Goal, FieldError> {
    let goal: Goal = parse_json(body, |object| {
        object
            .entry("startDate")
            .or_insert_with(|| default_start.to_string().into());
    })?;
    validate_goal(&goal)?;
    Ok(goal)
}

/// Checks a metric; `prefix` is its path in the body (`metrics[0]`).
pub fn validate_metric(metric: &Metric, prefix: &str) -> Result<(), FieldError> {
    if metric.name.trim().is_empty() {
        return Err(field_error(format!("{prefix}.name"), "must not be empty"));
    }
    finite(format!("{prefix}.target"), metric.target)?;
    if let Some(baseline) = metric.baseline {
        finite(format!("{prefix}.baseline"), baseline)?;
    }
    for (index, measurement) in metric.history.iter().enumerate() {
        finite(
            format!("{prefix}.history[{index}].value"),
            measurement.value,
        )?;
    }
    Ok(())
}

/// Checks a goal before it is stored.
pub fn validate_goal(goal: &Goal) -> Result<(), FieldError> {
    if goal.title.trim().is_empty() {
        return Err(field_error("title", "must not be empty"));
    }
    if goal.target_date < goal.start_date {
        return Err(field_error(
            "targetDate",
            format!(
                "{} is before the start date {}",
                goal.target_date, goal.start_date
            ),
        ));
    }
    finite("weight".into(), goal.weight)?;
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
        let prefix = format!("valueDrivers[{index}]");
        match driver.kind {
            super::ValueDriverKind::TimeSaved {
                hours_per_month,
                hourly_rate,
            } => {
                non_negative(format!("{prefix}.hoursPerMonth"), hours_per_month)?;
                non_negative(format!("{prefix}.hourlyRate"), hourly_rate)?;
            }
            super::ValueDriverKind::CostReduction { amount_per_year }
            | super::ValueDriverKind::RevenueIncrease { amount_per_year } => {
                non_negative(format!("{prefix}.amountPerYear"), amount_per_year)?;
            }
            super::ValueDriverKind::ToolsRetired { annual_cost, .. } => {
                non_negative(format!("{prefix}.annualCost"), annual_cost)?;
            }
        }
    }
    Ok(())
}

/// The goal `incoming` replacing `existing`: a metric with the id of an existing
/// one and no history of its own keeps the existing history, so editing a
/// goal's description or a metric's target never loses measurements.
pub fn replace_goal(existing: &Goal, incoming: Goal) -> Goal {
    let mut goal = incoming;
    goal.id = existing.id.clone();
    for metric in &mut goal.metrics {
        if metric.history.is_empty()
            && let Some(before) = existing.metrics.iter().find(|m| m.id == metric.id)
        {
            metric.history = before.history.clone();
        }
    }
    goal
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
    use crate::time::Timestamp;

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
        let replaced = replace_goal(&goal(), edited);
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
                super::super::ValueDriverKind::CostReduction { amount_per_year } => {
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
}
