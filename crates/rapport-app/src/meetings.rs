//! Calendar meetings after their import: the occurrences an account's
//! calendar gave (each as its record in force says), and recording that the
//! customer did not show up, which a calendar cannot say, or taking such a
//! record back (the customer attended after all). Each is a new meeting
//! record naming the occurrence, written by a person; the engine keeps a
//! no-show whatever a later calendar import says of that occurrence, and a
//! person's record replaces the one before it.

use rapport_core::access::Person;
use rapport_core::activity::MeetingStatus;
use rapport_core::engine::CalendarOccurrence;
use rapport_core::{Activity, ActivityDetail, Timestamp};
use serde::Serialize;

use rapport_store::audit::{AuditAction, AuditDraft};

use crate::{App, AppError, AppResult};

/// An account's calendar meetings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountMeetings {
    pub account: String,
    pub name: String,
    pub meetings: Vec<CalendarOccurrence>,
}

/// What recording a no-show, or that the customer attended, answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingRecorded {
    pub account: String,
    /// The occurrence as it now stands (status `no_show` or `attended`).
    pub meeting: CalendarOccurrence,
    pub recorded_by: String,
    /// `false` when the occurrence stood so already: nothing was written.
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
        actor: &Person,
        reference: &str,
        meeting: &str,
        now: Timestamp,
    ) -> AppResult<MeetingRecorded> {
        self.record_meeting_status(actor, reference, meeting, now, MeetingStatus::NoShow)
    }

    /// Takes back a no-show recorded by mistake: the customer attended the
    /// occurrence after all (a person's record, as the no-show was). An
    /// occurrence without a no-show is left as it stands (`recorded: false`).
    pub fn record_attended(
        &self,
        actor: &Person,
        reference: &str,
        meeting: &str,
        now: Timestamp,
    ) -> AppResult<MeetingRecorded> {
        self.record_meeting_status(actor, reference, meeting, now, MeetingStatus::Attended)
    }

    /// A person's record of a past occurrence: `status` is `NoShow`, or
    /// `Attended` to take a no-show back.
    fn record_meeting_status(
        &self,
        actor: &Person,
        reference: &str,
        meeting: &str,
        now: Timestamp,
        status: MeetingStatus,
    ) -> AppResult<MeetingRecorded> {
        let by = actor.name.as_str();
        let account = self.account_to_change(actor, reference)?;
        let meeting = meeting.trim();
        let (account, occurrence) =
            self.calendar_occurrence(account.external_id.as_str(), meeting)?;
        let unchanged = match (status, occurrence.status) {
            (MeetingStatus::NoShow, MeetingStatus::NoShow) => true,
            (MeetingStatus::Attended, current) => current != MeetingStatus::NoShow,
            _ => false,
        };
        if unchanged {
            return Ok(MeetingRecorded {
                account: account.to_string(),
                meeting: occurrence,
                recorded_by: by.to_string(),
                recorded: false,
            });
        }
        match occurrence.status {
            MeetingStatus::Cancelled => {
                return Err(AppError::Conflict(format!(
                    "the meeting `{meeting}` was cancelled; a cancelled meeting cannot be a no-show"
                )));
            }
            _ if occurrence.at > now => {
                return Err(AppError::Conflict(format!(
                    "the meeting `{meeting}` is on {} and has not taken place yet",
                    occurrence.at.to_rfc3339()
                )));
            }
            _ => {}
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
        // A new id each time: a no-show taken back may be recorded again.
        let prefix = match status {
            MeetingStatus::NoShow => "noshow",
            _ => "attended",
        };
        let record = Activity {
            source_id: Some(format!("{prefix}:{meeting}@{}", now.millis())),
            account: account.clone(),
            at: occurrence.at,
            detail: ActivityDetail::Meeting {
                status,
                cancelled_by: None,
                initiated_by,
                attendees,
                kind,
                duration_min,
                occurrence: Some(meeting.to_string()),
                recorded_by: Some(by.to_string()),
            },
        };
        let action = match status {
            MeetingStatus::NoShow => AuditAction::MeetingNoShow,
            _ => AuditAction::MeetingAttended,
        };
        let audit = AuditDraft::new(actor, action, now)
            .subject(meeting)
            .before(serde_json::json!({ "status": occurrence.status }));
        let outcome = self.store.record_person_activity(&record, &audit)?;
        self.after_write(now, std::slice::from_ref(&account))?;
        let recorded = outcome == rapport_store::WriteOutcome::Inserted;
        let (_, meeting) = self.calendar_occurrence(account.as_str(), meeting)?;
        Ok(MeetingRecorded {
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
