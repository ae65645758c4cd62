//! The application layer's one error type. Surfaces map it: the API to a
//! status and a JSON body naming the field, the CLI to a message and an exit
//! status.

use rapport_core::AccountListing;
use rapport_core::validation::FieldError;
use rapport_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// What the request names does not exist (an account, a goal, an alert).
    #[error("{0}")]
    NotFound(String),
    /// The account reference matches no single account: several share the
    /// name, or names only contain it. Nothing is written to a guess.
    #[error("no single account is named `{reference}`{}", candidates_text(.candidates))]
    Ambiguous {
        reference: String,
        candidates: Vec<AccountListing>,
    },
    /// A field of the request is refused.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// No one, or no one valid, is signed in (no credentials, an unknown,
    /// expired or revoked token or session).
    #[error("{0}")]
    Unauthenticated(String),
    /// The person signed in may not do this (a viewer writing, anyone but an
    /// admin managing people). An account outside a CSM's scope is
    /// `NotFound` instead, so its existence does not leak.
    #[error("{0}")]
    Forbidden(String),
    /// The credential made more requests than its rate limit allows.
    #[error("too many requests; try again in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    /// The request is well formed but the record's state refuses it.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A document could not be rendered (a template bug, not the caller's).
    #[error("cannot render the document: {0}")]
    Render(String),
    /// Something outside Rapport failed (the HTTP client for deliveries).
    #[error("{0}")]
    External(String),
}

fn candidates_text(candidates: &[AccountListing]) -> String {
    if candidates.is_empty() {
        return String::new();
    }
    let names: Vec<String> = candidates
        .iter()
        .map(|account| format!("  {} ({})", account.name, account.external_id))
        .collect();
    format!("; did you mean:\n{}", names.join("\n"))
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Invalid {
            field: error.field,
            reason: error.reason,
        }
    }
}

impl AppError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
