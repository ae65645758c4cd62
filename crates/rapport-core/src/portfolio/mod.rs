//! The portfolio: the engagement overview across accounts, the weekly report,
//! the accounts table, and the daily score snapshots of every account.

pub mod overview;
pub mod preview;
pub mod rows;
pub mod snapshot;
pub mod weekly;
