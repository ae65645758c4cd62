//! Model versions as stored: a model's settings as a person saved them (the
//! whole model file), who saved them, when and why. The newest version of a
//! model's name is the one in use; versions are append-only.

use rapport_core::Timestamp;

/// A version to store (the store gives it its id).
#[derive(Debug, Clone, PartialEq)]
pub struct NewModelVersion {
    /// The model's name (`prd070-engagement`).
    pub name: String,
    /// The model file, TOML.
    pub toml: String,
    pub note: Option<String>,
    pub saved_at: Timestamp,
    pub saved_by: String,
}

/// A stored version.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelVersion {
    /// Assigned by the store, never reused.
    pub id: i64,
    pub name: String,
    /// 1 for a model's first saved version, then 2, 3…
    pub version: u32,
    pub toml: String,
    pub note: Option<String>,
    pub saved_at: Timestamp,
    pub saved_by: String,
}
