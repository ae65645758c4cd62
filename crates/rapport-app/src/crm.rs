//! Importing a CRM's export (Salesforce, HubSpot, any other through a
//! column-mapping file, docs/crm.md): the ingest crate translates each row
//! into the contract's account or contact and upserts it, then the engine
//! follows, as for the contract's own files.

use std::path::Path;

use rapport_core::Timestamp;
use rapport_ingest::crm::Section;
use rapport_ingest::{FileReport, ImportProgress};

use crate::{App, AppResult};

impl App {
    /// Imports the accounts or contacts (as `section` maps them) of a CRM's
    /// CSV export at `path`.
    pub fn import_crm(
        &self,
        section: &Section,
        path: &Path,
        now: Timestamp,
        progress: &dyn ImportProgress,
    ) -> AppResult<FileReport> {
        let report = rapport_ingest::crm::import_crm(self.store(), section, path, progress);
        self.after_write(now, &[])?;
        Ok(report)
    }
}
