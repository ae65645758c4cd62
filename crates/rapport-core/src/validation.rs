//! Validation shared by every request the core parses (goals, overrides,
//! webhook subscriptions): the error naming the field, JSON parsing that
//! names the field that does not fit, number and text checks. A leaf.

use serde::Serialize;

/// A request that cannot be stored, naming the offending field the way the
/// JSON body spells it (`metrics[1].target`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

pub fn field_error(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

pub fn finite(field: String, value: f64) -> Result<(), FieldError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(field_error(field, "must be a finite number"))
    }
}

pub fn non_negative(field: String, value: f64) -> Result<(), FieldError> {
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

/// Refuses empty (or blank) text.
pub fn not_empty(field: &str, text: &str) -> Result<(), FieldError> {
    if text.trim().is_empty() {
        Err(field_error(field, "must not be empty"))
    } else {
        Ok(())
    }
}
