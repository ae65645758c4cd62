//! `rapport meetings list|no-show|attended` and `rapport import calendar
//! FILE.ics`: meetings from a calendar, and the no-show a calendar cannot
//! tell, recorded afterwards (or taken back) through the same use cases as
//! the API.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use rapport_ingest::calendar::{CalendarOptions, CalendarReport};

use super::{Format, flag_error, open_app, open_or_create_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum MeetingsCommand {
    /// The meetings an account's calendar imports gave, with their ids.
    List {
        /// The account: its name, external id or UUID.
        account: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Record that the customer did not show up to a meeting that has taken
    /// place; a later calendar import does not undo it.
    NoShow(MeetingMark),
    /// Take back a no-show recorded by mistake: the customer attended after all.
    Attended(MeetingMark),
}

/// The meeting a person (`--as`) records something of.
#[derive(clap::Args)]
pub struct MeetingMark {
    /// The account: its name, external id or UUID.
    account: String,
    /// The meeting's id (`UID_YYYYMMDDTHHMMSSZ`, as `meetings list` shows it).
    #[arg(long)]
    meeting: String,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
}

pub fn run(settings: &Settings, command: &MeetingsCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    match command {
        MeetingsCommand::List { account, format } => {
            let meetings = app.calendar_meetings(account).map_err(flag_error)?;
            match format {
                Format::Json => print_json(&meetings)?,
                Format::Md => out!(
                    "{}",
                    rapport_app::render::meetings(&meetings).map_err(anyhow::Error::msg)?
                ),
            }
        }
        MeetingsCommand::NoShow(mark) => {
            let recorded = app
                .record_no_show(
                    &super::actor(&app, settings)?,
                    &mark.account,
                    &mark.meeting,
                    super::now(),
                )
                .map_err(flag_error)?;
            let said = if recorded.recorded {
                format!(
                    "No-show recorded for {} on {} ({}), by {}.",
                    recorded.meeting.id,
                    recorded.meeting.at.to_rfc3339(),
                    recorded.account,
                    recorded.recorded_by
                )
            } else {
                format!(
                    "A no-show was already recorded for {} ({}); nothing changed.",
                    recorded.meeting.id, recorded.account
                )
            };
            show_recorded(&recorded, mark.format, &said)?;
        }
        MeetingsCommand::Attended(mark) => {
            let recorded = app
                .record_attended(
                    &super::actor(&app, settings)?,
                    &mark.account,
                    &mark.meeting,
                    super::now(),
                )
                .map_err(flag_error)?;
            let said = if recorded.recorded {
                format!(
                    "No-show taken back for {} on {} ({}), by {}: attended.",
                    recorded.meeting.id,
                    recorded.meeting.at.to_rfc3339(),
                    recorded.account,
                    recorded.recorded_by
                )
            } else {
                format!(
                    "No no-show is recorded for {} ({}); nothing changed.",
                    recorded.meeting.id, recorded.account
                )
            };
            show_recorded(&recorded, mark.format, &said)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show_recorded(
    recorded: &rapport_app::meetings::MeetingRecorded,
    format: Format,
    said: &str,
) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(recorded)?,
        Format::Md => outln!("{said}"),
    }
    Ok(())
}

/// `rapport import calendar FILE.ics [--until WHEN]`: prints every rejected
/// event, every event without an account and every all-day event skipped as
/// `file:line: …` on stderr, then the summary. Exit status as for the other
/// imports: 0, 1 when events were rejected, 2 when nothing could be done.
pub fn import_calendar(
    settings: &Settings,
    file: &str,
    until: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let until = until
        .map(rapport_core::Timestamp::parse_lenient)
        .transpose()
        .context("--until")?;
    let app = open_or_create_app(settings)?;
    let options = CalendarOptions {
        team_domains: settings.team_domains.clone(),
        now: super::now(),
        until,
    };
    let progress = super::import::TerminalProgress::new();
    let report = app.import_calendar(Path::new(file), &options, &progress)?;
    print_calendar_report(&report)
}

fn print_calendar_report(report: &CalendarReport) -> anyhow::Result<ExitCode> {
    let path = report.file.path.display();
    for rejected in &report.file.rejected {
        eprintln!("{path}:{}: {}", rejected.line, rejected.reason);
    }
    for unmatched in &report.unmatched {
        eprintln!(
            "{path}:{}: no account for \"{}\" ({} occurrence{}): {}",
            unmatched.line,
            unmatched.summary,
            unmatched.occurrences,
            if unmatched.occurrences == 1 { "" } else { "s" },
            unmatched.reason
        );
    }
    for all_day in &report.all_day {
        eprintln!(
            "{path}:{}: all-day event skipped (not a meeting): \"{}\"",
            all_day.line, all_day.record
        );
    }
    if let Some(fatal) = &report.file.fatal {
        eprintln!("{path}: {fatal}");
    }
    let without_account: u64 = report
        .unmatched
        .iter()
        .map(|unmatched| unmatched.occurrences)
        .sum();
    let range = report.range.map_or(String::new(), |(from, to)| {
        format!("; range {} to {}", from.to_rfc3339(), to.to_rfc3339())
    });
    eprintln!(
        "{path}: meetings imported {} ({} new), unchanged {}, rejected {}; without an account {} \
         ({} event{}); all-day events skipped {}; after the range {}{range}",
        report.file.imported(),
        report.file.inserted,
        report.file.unchanged,
        report.file.rejected.len(),
        without_account,
        report.unmatched.len(),
        if report.unmatched.len() == 1 { "" } else { "s" },
        report.all_day.len(),
        report.beyond_range,
    );
    outln!(
        "imported {}, unchanged {}, rejected {}",
        report.file.imported(),
        report.file.unchanged,
        report.file.rejected.len()
    );
    let nothing_done =
        report.file.fatal.is_some() && report.file.imported() == 0 && report.file.unchanged == 0;
    Ok(if nothing_done {
        ExitCode::from(2)
    } else if report.file.fatal.is_some() || !report.file.rejected.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
