//! Calendar meetings after their import: the occurrences an account's
//! calendar gave (each as its record in force says), and recording that the
//! customer did not show up, which a calendar cannot say. A no-show is a new
//! meeting record naming the occurrence, written by a person; the engine keeps
//! it whatever a later calendar import says of that occurrence.

use rapport_core::activity::MeetingStatus;
use rapport_core::engine::CalendarOccurrence;
use rapport_core::{Activity, ActivityDetail, Timestamp};
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// An account's calendar meetings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountMeetings {
    pub account: String,
    pub name: String,
    pub meetings: Vec<CalendarOccurrence>,
}

/// What recording a no-show answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoShowRecorded {
    pub account: String,
    /// The occurrence as it now stands (status `no_show`).
    pub meeting: CalendarOccurrence,
    pub recorded_by: String,
    /// `false` when a no-show of this occurrence was recorded already.
    pub recorded: bool,
}

impl App {
    /// The meetings an account's calendar imports gave, in time order.
    pub fn calendar_meetings(&self, reference: &str) -> AppResult<AccountMeetings> {
        let account = self.resolve(reference)?;
        let engine = self.read()?;
        let meetings = engine
            .state
            .account(account.external_id.as_str())
            .map(|state| state.calendar_occurrences())
            .unwrap_or_default();
        Ok(AccountMeetings {
            account: account.external_id.to_string(),
            name: account.name,
            meetings,
        })
    }

    /// Records that the customer did not show up to a calendar occurrence
    /// that has taken place (`meeting`: its id, `UID_start`). Refused for a
    /// meeting still ahead or cancelled; recording it twice changes nothing.
    pub fn record_no_show(
        &self,
        reference: &str,
        meeting: &str,
        by: &str,
        now: Timestamp,
    ) -> AppResult<NoShowRecorded> {
        let by = by.trim();
        if by.is_empty() {
            return Err(AppError::invalid(
                "by",
                "say who records the no-show (a name or an address)",
            ));
        }
        let meeting = meeting.trim();
        let in_force = self.calendar_occurrence(reference, meeting)?;
        let account = in_force.0;
        let occurrence = in_force.1;
        match occurrence.status {
            MeetingStatus::NoShow => {
                return Ok(NoShowRecorded {
                    account: account.to_string(),
                    meeting: occurrence,
                    recorded_by: by.to_string(),
                    recorded: false,
                });
            }
            MeetingStatus::Cancelled => {
                return Err(AppError::Conflict(format!(
                    "the meeting `{meeting}` was cancelled; a cancelled meeting cannot be a no-show"
                )));
            }
            MeetingStatus::Scheduled | MeetingStatus::Attended if occurrence.at > now => {
                return Err(AppError::Conflict(format!(
                    "the meeting `{meeting}` is on {} and has not taken place yet",
                    occurrence.at.to_rfc3339()
                )));
            }
            MeetingStatus::Scheduled | MeetingStatus::Attended => {}
        }
        // The record in force, as stored, keeps its duration and who
        // organised it; only the status changes.
        let stored = self
            .store
            .account_activities(&account)?
            .into_iter()
            .filter(|activity| activity.at == occurrence.at)
            .find_map(|activity| match activity.detail {
                ActivityDetail::Meeting {
                    status,
                    initiated_by,
                    attendees,
                    kind,
                    duration_min,
                    occurrence: Some(key),
                    ..
                } if key == meeting && status == occurrence.status => {
                    Some((initiated_by, attendees, kind, duration_min))
                }
                _ => None,
            })
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "the stored record of meeting `{meeting}` was not found; import the calendar again"
                ))
            })?;
        let (initiated_by, attendees, kind, duration_min) = stored;
        let no_show = Activity {
            source_id: Some(format!("noshow:{meeting}")),
            account: account.clone(),
            at: occurrence.at,
            detail: ActivityDetail::Meeting {
                status: MeetingStatus::NoShow,
                cancelled_by: None,
                initiated_by,
                attendees,
                kind,
                duration_min,
                occurrence: Some(meeting.to_string()),
                recorded_by: Some(by.to_string()),
            },
        };
        let outcomes = self
            .store
            .insert_activities(std::slice::from_ref(&no_show))?;
        self.after_write(now, std::slice::from_ref(&account))?;
        let recorded = outcomes
            .first()
            .is_some_and(|outcome| *outcome == rapport_store::WriteOutcome::Inserted);
        let (_, meeting) = self.calendar_occurrence(account.as_str(), meeting)?;
        Ok(NoShowRecorded {
            account: account.to_string(),
            meeting,
            recorded_by: by.to_string(),
            recorded,
        })
    }

    /// One calendar occurrence of an account, as the engine holds it.
    fn calendar_occurrence(
        &self,
        reference: &str,
        meeting: &str,
    ) -> AppResult<(rapport_core::ExternalId, CalendarOccurrence)> {
        if meeting.is_empty() {
            return Err(AppError::invalid(
                "meeting",
                "name the meeting by its id (`rapport meetings list ACCOUNT` shows them)",
            ));
        }
        let account = self.resolve(reference)?;
        let engine = self.read()?;
        engine
            .state
            .account(account.external_id.as_str())
            .and_then(|state| {
                state
                    .calendar_occurrences()
                    .into_iter()
                    .find(|occurrence| occurrence.id == meeting)
            })
            .map(|occurrence| (account.external_id.clone(), occurrence))
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "account `{}` has no calendar meeting `{meeting}` (`rapport meetings list {}` \
                     shows its meetings)",
                    account.external_id, account.external_id
                ))
            })
    }
}
