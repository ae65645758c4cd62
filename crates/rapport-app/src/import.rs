//! Importing the contract's files: the ingest pipeline writes them to the
//! store in batches (each one transaction, each appended to the change log),
//! then the engine follows, when it is loaded. A one-shot `rapport import`
//! never loads the engine: running servers follow the change log and evaluate
//! the alerts of the accounts it touched.

use std::path::Path;

use rapport_core::Timestamp;
use rapport_ingest::{ContractFile, FileReport, ImportProgress};

use crate::{App, AppResult};

impl App {
    /// Imports whichever contract files `dir` holds, in dependency order.
    pub fn import_dir(
        &self,
        dir: &Path,
        now: Timestamp,
        progress: &dyn ImportProgress,
    ) -> AppResult<Vec<FileReport>> {
        let reports = rapport_ingest::import_dir(self.store(), dir, now, progress);
        self.after_write(now, &[])?;
        Ok(reports)
    }

    /// Imports one contract file.
    pub fn import_file(
        &self,
        kind: ContractFile,
        path: &Path,
        now: Timestamp,
        progress: &dyn ImportProgress,
    ) -> AppResult<FileReport> {
        let report = rapport_ingest::import_file(self.store(), kind, path, now, progress);
        self.after_write(now, &[])?;
        Ok(report)
    }
}

impl App {
    /// Imports a calendar file (`.ics`): each occurrence in the range a
    /// meeting of the account its attendees belong to (docs/calendar.md).
    pub fn import_calendar(
        &self,
        path: &Path,
        options: &rapport_ingest::calendar::CalendarOptions,
        progress: &dyn ImportProgress,
    ) -> AppResult<rapport_ingest::calendar::CalendarReport> {
        let report =
            rapport_ingest::calendar::import_calendar(self.store(), path, options, progress);
        self.after_write(options.now, &[])?;
        Ok(report)
    }

    /// Imports a mailbox (an mbox file, or a folder of `.eml` files): each
    /// message an e-mail of the account its customer-side addresses belong
    /// to, threads joined across imports (docs/mail.md).
    pub fn import_mail(
        &self,
        path: &Path,
        options: &rapport_ingest::mail::MailOptions,
        progress: &dyn ImportProgress,
    ) -> AppResult<rapport_ingest::mail::MailReport> {
        let report = rapport_ingest::mail::import_mail(self.store(), path, options, progress);
        self.after_write(options.now, &[])?;
        Ok(report)
    }
}

/// What recording a batch of activities did, per record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub inserted: usize,
    /// Already stored (the same source id or content): a retry counts once.
    pub unchanged: usize,
}

impl App {
    /// Records a batch of activities (validated records of the import
    /// contract) in one store transaction, then the engine follows: the batch
    /// is seen whole or not at all. A record of an account the store does not
    /// know refuses the batch, naming the account.
    pub fn record_activities(
        &self,
        activities: &[rapport_core::Activity],
        now: Timestamp,
    ) -> AppResult<Recorded> {
        let outcomes = self.store.insert_activities(activities)?;
        let inserted = outcomes
            .iter()
            .filter(|outcome| **outcome == rapport_store::WriteOutcome::Inserted)
            .count();
        self.after_write(now, &[])?;
        Ok(Recorded {
            inserted,
            unchanged: outcomes.len() - inserted,
        })
    }
}
