//! Importing a help desk's tickets (a Zendesk export, docs/helpdesk.md): the
//! ingest reads the export and writes its ticket records in one store
//! transaction, then the engine follows, when it is loaded.

use std::path::Path;

use rapport_core::Timestamp;
use rapport_ingest::ImportProgress;
use rapport_ingest::helpdesk::TicketReport;

use crate::{App, AppResult};

impl App {
    /// Imports a Zendesk ticket export (CSV or JSON): each ticket a record at
    /// its creation and one as it now stands, of the account its requester
    /// or organization belongs to.
    pub fn import_tickets(
        &self,
        path: &Path,
        now: Timestamp,
        progress: &dyn ImportProgress,
    ) -> AppResult<TicketReport> {
        let report = rapport_ingest::helpdesk::import_tickets(self.store(), path, progress);
        self.after_write(now, &[])?;
        Ok(report)
    }
}
