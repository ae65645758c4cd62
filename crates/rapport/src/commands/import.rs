//! `rapport import`: a folder of contract files, or one file of a named kind.
//! Every rejected record is printed as `file:line: reason`; exit status 0 when
//! everything was imported, 1 when some records were rejected, 2 when nothing
//! could be done.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};
use rapport_ingest::{ContractFile, FileReport, ImportProgress};
use rapport_store::Store;

use super::open_or_create_app;
use crate::settings::Settings;

pub fn run(settings: &Settings, target: &[String]) -> anyhow::Result<ExitCode> {
    let app = open_or_create_app(settings)?;
    let progress = TerminalProgress::new();
    let reports = match target {
        [dir] => {
            let dir = Path::new(dir);
            if !dir.is_dir() {
                bail!(
                    "{} is not a folder; to import one file, name its kind: rapport import accounts|contacts|features|activities|outcomes|goals FILE",
                    dir.display()
                );
            }
            let reports = app.import_dir(dir, super::now(), &progress)?;
            if reports.is_empty() {
                bail!(
                    "{} holds none of accounts.csv, contacts.csv, features.csv, activities.jsonl, outcomes.csv, goals.csv",
                    dir.display()
                );
            }
            reports
        }
        [kind, file] => {
            let Some(kind) = ContractFile::ALL
                .into_iter()
                .find(|candidate| candidate.noun() == kind)
            else {
                bail!(
                    "unknown kind `{kind}`: expected accounts, contacts, features, activities, outcomes, goals, tickets, calendar, mail, crm-accounts or crm-contacts"
                );
            };
            vec![app.import_file(kind, Path::new(file), super::now(), &progress)?]
        }
        _ => bail!("expected `rapport import DIR` or `rapport import KIND FILE`"),
    };
    print_reports(&reports, app.store())
}

/// `rapport import mail FILE.mbox|DIR`: prints every message left out as
/// `file:index (line N) <Message-ID>: reason` on stderr (rejected, without an
/// account, and those dated otherwise than by their `Date`), the counts, and
/// the summary on stdout. Exit status as for the other imports: 0, 1 when
/// messages were rejected or a file could not be read, 2 when nothing could
/// be done. Messages without an account are listed but are not failures: a
/// mailbox always holds mail from others.
pub fn import_mail(settings: &Settings, path: &str) -> anyhow::Result<ExitCode> {
    let app = open_or_create_app(settings)?;
    let options = rapport_ingest::mail::MailOptions {
        team_domains: settings.team_domains.clone(),
        now: super::now(),
    };
    let progress = TerminalProgress::new();
    let started = std::time::Instant::now();
    let report = app.import_mail(Path::new(path), &options, &progress)?;
    let seconds = started.elapsed().as_secs_f64();
    for problem in &report.rejected {
        eprintln!("{problem}");
    }
    for problem in &report.unmatched {
        eprintln!("{problem}");
    }
    for problem in &report.redated {
        eprintln!("{problem}");
    }
    for (file, reason) in &report.file_errors {
        eprintln!("{}: {reason}", file.display());
    }
    let shown = Path::new(path).display();
    if let Some(fatal) = &report.fatal {
        eprintln!("{shown}: {fatal}");
    }
    if report.messages > 0 {
        eprintln!(
            "{shown}: {} message{} in {} file{} ({:.0} a second): e-mails imported {}, unchanged {}, \
         rejected {}; without an account {}; internal {}; dated from Received or the mbox From line {}",
            report.messages,
            if report.messages == 1 { "" } else { "s" },
            report.files,
            if report.files == 1 { "" } else { "s" },
            if seconds > 0.0 {
                report.messages as f64 / seconds
            } else {
                0.0
            },
            report.inserted,
            report.unchanged,
            report.rejected.len(),
            report.unmatched.len(),
            report.internal,
            report.redated.len(),
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
    } else if report.fatal.is_some()
        || !report.rejected.is_empty()
        || !report.file_errors.is_empty()
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints every rejection and a summary; returns the exit status the reports call for.
pub fn print_reports(reports: &[FileReport], store: &dyn Store) -> anyhow::Result<ExitCode> {
    let mut totals = FileReport::default();
    for report in reports {
        let path = report.path.display();
        for rejected in &report.rejected {
            eprintln!("{path}:{}: {}", rejected.line, rejected.reason);
        }
        if let Some(fatal) = &report.fatal {
            eprintln!("{path}: {fatal}");
        }
        eprintln!(
            "{path}: imported {} ({} new, {} updated), unchanged {}, rejected {}{}",
            report.imported(),
            report.inserted,
            report.updated,
            report.unchanged,
            report.rejected.len(),
            if report.fatal.is_some() {
                ", stopped early"
            } else {
                ""
            }
        );
        totals.inserted += report.inserted;
        totals.updated += report.updated;
        totals.unchanged += report.unchanged;
        totals.rejected.extend(report.rejected.iter().cloned());
    }
    outln!(
        "imported {}, unchanged {}, rejected {}",
        totals.imported(),
        totals.unchanged,
        totals.rejected.len()
    );
    if let Ok(counts) = store.counts() {
        eprintln!(
            "store now holds {} accounts, {} contacts, {} features, {} activities, {} outcomes",
            counts.accounts, counts.contacts, counts.features, counts.activities, counts.outcomes
        );
    }
    let any_fatal = reports.iter().any(|report| report.fatal.is_some());
    let nothing_done = reports
        .iter()
        .all(|report| report.fatal.is_some() && report.imported() == 0 && report.unchanged == 0);
    Ok(if nothing_done {
        ExitCode::from(2)
    } else if any_fatal || !totals.rejected.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A byte-based progress bar on stderr; indicatif draws nothing when stderr is
/// not a terminal, so logs and pipes stay clean.
pub struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    pub fn new() -> Self {
        let bar = ProgressBar::hidden();
        TerminalProgress { bar }
    }
}

impl ImportProgress for TerminalProgress {
    fn start(&self, path: &Path, total_bytes: u64) {
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.reset();
        self.bar.set_length(total_bytes);
        self.bar.set_position(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:20} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        self.bar.set_message(
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }

    fn advance_to(&self, bytes_read: u64) {
        self.bar.set_position(bytes_read);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
