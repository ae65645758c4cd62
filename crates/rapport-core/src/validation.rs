//! Validation shared by every request the core parses (goals, overrides,
//! webhook subscriptions): the error naming the field, JSON parsing that
//! names the field that does not fit, number and text checks. A leaf.

use serde::Serialize;

/// A request that cannot be stored, naming the offending field the way the
/// JSON body spells it (`metrics[1].target`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, utoipa::ToSchema)]
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

/// The longest name or title (an account, a person, a goal, a metric).
pub const MAX_NAME_CHARS: usize = 200;
/// The longest text of any field (a reason, a note, a description).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The deepest a request body's JSON nests (goals nest four levels).
pub const MAX_JSON_DEPTH: usize = 16;

/// Refuses text longer than `max` characters, naming the field.
pub fn text_at_most(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    // Bytes first: most text is short, and counting a 50 MB string's
    // characters is what a limit is there to avoid.
    if text.len() > max && text.chars().nth(max).is_some() {
        return Err(field_error(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(())
}

/// Refuses a JSON value nested deeper than [`MAX_JSON_DEPTH`] or holding a
/// string longer than [`MAX_TEXT_CHARS`], naming where (`metrics[0].name`).
pub fn check_json_shape(value: &serde_json::Value) -> Result<(), FieldError> {
    fn walk(value: &serde_json::Value, path: &mut String, depth: usize) -> Result<(), FieldError> {
        let here = |path: &str| {
            if path.is_empty() {
                "body".to_string()
            } else {
                path.to_string()
            }
        };
        match value {
            serde_json::Value::String(text) => text_at_most(&here(path), text, MAX_TEXT_CHARS),
            serde_json::Value::Array(items) => {
                if depth >= MAX_JSON_DEPTH {
                    return Err(field_error(
                        here(path),
                        format!("nests deeper than {MAX_JSON_DEPTH} levels"),
                    ));
                }
                for (index, item) in items.iter().enumerate() {
                    let length = path.len();
                    path.push_str(&format!("[{index}]"));
                    walk(item, path, depth + 1)?;
                    path.truncate(length);
                }
                Ok(())
            }
            serde_json::Value::Object(fields) => {
                if depth >= MAX_JSON_DEPTH {
                    return Err(field_error(
                        here(path),
                        format!("nests deeper than {MAX_JSON_DEPTH} levels"),
                    ));
                }
                for (key, item) in fields {
                    text_at_most(&here(path), key, MAX_NAME_CHARS)?;
                    let length = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    walk(item, path, depth + 1)?;
                    path.truncate(length);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(value, &mut String::new(), 0)
}

/// Parses a JSON object into `T`, naming the field that does not fit (`body`
/// for the object as a whole). `fill` may add defaults before parsing. A
/// body nested too deep or holding too long a string is refused first
/// ([`check_json_shape`]).
pub fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    fill: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Result<T, FieldError> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| field_error("body", format!("not valid JSON: {error}")))?;
    check_json_shape(&value)?;
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

/// The fields a request body may not carry because the signed-in person
/// fills them: who acts is never free text.
pub const SIGNED_IN_FIELDS: [&str; 2] = ["author", "by"];

/// Parses a request body as [`parse_json`] does (unknown fields refused when
/// `T` denies them), naming a missing field by its own name, and refusing
/// [`SIGNED_IN_FIELDS`] with a reason that says why.
pub fn parse_request<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
    parse_json(body, |_| {}).map_err(|error| {
        if SIGNED_IN_FIELDS.contains(&error.field.as_str()) {
            return field_error(
                &error.field,
                "is the person signed in; a request cannot name anyone else",
            );
        }
        // A missing field is reported on the body as a whole; name the field.
        match error
            .reason
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) if error.field == "body" => field_error(field, "is required"),
            _ => error,
        }
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

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn long_text_and_deep_nesting_are_refused_naming_where() {
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let body = format!(r#"{{"metrics": [{{"name": "{long}"}}]}}"#);
        let error = parse_json::<serde_json::Value>(body.as_bytes(), |_| {}).unwrap_err();
        assert_eq!(error.field, "metrics[0].name");
        assert!(error.reason.contains("10000"), "{}", error.reason);
        // Exactly the limit, in characters not bytes, is accepted.
        let fits = format!(r#"{{"note": "{}"}}"#, "é".repeat(MAX_TEXT_CHARS));
        assert!(parse_json::<serde_json::Value>(fits.as_bytes(), |_| {}).is_ok());
        let deep = format!(
            "{{\"a\": {}1{}}}",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        let error = parse_json::<serde_json::Value>(deep.as_bytes(), |_| {}).unwrap_err();
        assert!(error.reason.contains("nests deeper"), "{error:?}");
        assert!(error.field.starts_with("a[0]"), "{error:?}");
        // Far deeper than serde_json's own limit: refused, never a crash.
        let abyss = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            parse_json::<serde_json::Value>(abyss.as_bytes(), |_| {})
                .unwrap_err()
                .field,
            "body"
        );
        assert_eq!(
            text_at_most("name", &"n".repeat(201), MAX_NAME_CHARS)
                .unwrap_err()
                .field,
            "name"
        );
        assert!(text_at_most("name", &"n".repeat(200), MAX_NAME_CHARS).is_ok());
    }
}
