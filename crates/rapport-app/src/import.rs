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
        self.after_write(now)?;
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
        self.after_write(now)?;
        Ok(report)
    }
}
