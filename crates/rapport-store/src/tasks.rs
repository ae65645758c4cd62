//! Tasks as stored (`rapport_core::tasks` holds the type and its rules): the
//! filter a list reads and the refusals a task write can meet.

use chrono::NaiveDate;
use rapport_core::ExternalId;

/// Which tasks [`crate::Store::tasks`] reads: each filter when given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFilter {
    pub account: Option<ExternalId>,
    /// The owner's name, ignoring case.
    pub owner: Option<String>,
    /// `open`, `completed` or `dismissed`; every status when `None`.
    pub status: Option<String>,
    /// Only tasks due strictly before this date.
    pub due_before: Option<NaiveDate>,
}

/// A task write the store refused, with nothing written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskWriteError {
    /// The task's source key has an open task already (its id).
    #[error("task {0} is open for the same source already")]
    OpenAlready(i64),
    /// The task is completed or dismissed already (its status).
    #[error("the task is {0} already")]
    Closed(&'static str),
}
