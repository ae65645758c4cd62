//! Rapport's pure core: the domain types every other crate speaks, and (as later
//! issues land) the engine that turns activities into explained scores.
//!
//! Nothing in this crate performs IO or reads the clock: every computation takes
//! its `as_of` instant as a parameter, so any past moment can be scored exactly.

pub mod access;
pub mod account_success;
pub mod activity;
pub mod alerts;
pub mod domain;
pub mod engagement;
pub mod engine;
pub mod health;
pub mod numbers;
pub mod portfolio;
pub mod scoring;
pub mod stats;
pub mod success;
pub mod tasks;
pub mod time;
pub mod validation;

pub use activity::{Activity, ActivityDetail, ActivityKind};
pub use domain::*;
pub use time::{Period, Timestamp};
