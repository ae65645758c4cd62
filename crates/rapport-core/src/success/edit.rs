//! Changes to an account's goals, shared by the API and the CLI: validation of a
//! goal with errors naming the field, replacing a goal while keeping its
//! metrics' measurement histories, recording a measurement, removing a metric.

use serde::Serialize;

use super::{Goal, Measurement, Metric};

/// A goal or metric that cannot be stored, naming the offending field the way
/// the JSON body spells it (`metrics[1].target`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

fn field_error(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

fn finite(field: String, value: f64) -> Result<(), FieldError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(field_error(field, "must be a finite number"))
    }
}

fn non_negative(field: String, value: f64) -> Result<(), FieldError> {
    finite(field.clone(), value)?;
    if value < 0.0 {
        return Err(field_error(field, "must not be negative"));
    }
    Ok(())
}

/// Parses a JSON object into `T`, naming the field that does not fit (`body`
/// for the object as a whole). `fill` may add defaults before parsing.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    fill: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Result<T, FieldError> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| field_error("body", format!("not valid JSON: {error}")))?;
    let Some(object) = value.as_object_mut() else {
        return Err(field_error("body", "must be a JSON object"));
    };
    fill(object);
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        field_error(
            if path == "." {
                "body".to_string()
            } else {
                path
            },
            error.into_inner().to_string(),
        )
    })
}

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
    metric.history.retain(|kept| kept.at != measurement.at);
    let at = metric
        .history
        .partition_point(|kept| kept.at < measurement.at);
    metric.history.insert(at, measurement);
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
}
