//! The portfolio: the engagement overview across accounts, the weekly report,
//! and the daily score snapshots of every account.

pub mod overview;
pub mod snapshot;
pub mod weekly;
