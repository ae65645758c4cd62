//! Scoring: the model file (components, factors, weights, bands, targets),
//! scores with their statuses and contributions, and manual overrides of a
//! score with their audit trail.

pub mod edit;
pub mod model;
pub mod overrides;
pub mod score;
