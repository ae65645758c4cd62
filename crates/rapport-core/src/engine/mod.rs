//! The engine's in-memory state and the window aggregation over it.
//!
//! [`PortfolioState`] takes activities one at a time and keeps, per account,
//! compact time-sorted columns of exactly the inputs the factors need. Every
//! window (current period, compare period, history month) is then a pair of
//! binary searches and a short scan over those columns, so scoring a whole
//! portfolio for any `as_of` needs no store access and stays exact to the
//! millisecond: nothing is pre-bucketed by day.

pub mod checkpoint;
pub mod evidence;
pub mod facts;
mod interner;
pub mod state;

pub use facts::{FactorFacts, Window};
pub use state::{AccountState, CalendarOccurrence, PortfolioState};
