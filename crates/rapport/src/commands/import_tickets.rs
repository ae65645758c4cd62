//! `rapport import tickets FILE.csv|FILE.json`: a Zendesk ticket export
//! (docs/helpdesk.md). Every ticket left out is a line on stderr
//! (`file:line: reason`: rejected, or without an account), then the counts;
//! stdout has the summary. Exit status as for the other imports: 0, 1 when
//! tickets were rejected or the file could not be read to its end, 2 when
//! nothing could be done. Tickets without an account are listed but are not
//! failures: a help desk also hears from people who are no customer.

use std::path::Path;
use std::process::ExitCode;

use super::import::TerminalProgress;
use super::open_or_create_app;
use crate::settings::Settings;

pub fn run(settings: &Settings, path: &str) -> anyhow::Result<ExitCode> {
    let app = open_or_create_app(settings)?;
    let progress = TerminalProgress::new();
    let report = app.import_tickets(Path::new(path), super::now(), &progress)?;
    let shown = Path::new(path).display();
    for problem in report.rejected.iter().chain(&report.unmatched) {
        eprintln!("{shown}:{}: {}", problem.line, problem.reason);
    }
    if let Some(fatal) = &report.fatal {
        eprintln!("{shown}: {fatal}");
    }
    if report.tickets > 0 {
        eprintln!(
            "{shown}: {} ticket{}: records imported {}, unchanged {}; tickets rejected {}, \
             without an account {}, deleted {}",
            report.tickets,
            if report.tickets == 1 { "" } else { "s" },
            report.inserted,
            report.unchanged,
            report.rejected.len(),
            report.unmatched.len(),
            report.deleted,
        );
    }
    outln!(
        "imported {}, unchanged {}, rejected {}, without an account {}",
        report.inserted,
        report.unchanged,
        report.rejected.len(),
        report.unmatched.len()
    );
    let nothing_done = report.fatal.is_some() && report.imported_or_unchanged() == 0;
    Ok(if nothing_done {
        ExitCode::from(2)
    } else if report.fatal.is_some() || !report.rejected.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
