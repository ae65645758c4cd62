//! `rapport import crm-accounts|crm-contacts FILE.csv --mapping
//! salesforce|hubspot|FILE.toml`: a CRM's export through a column-mapping
//! file (docs/crm.md). Rejected rows are printed as `file:line: reason`, the
//! summary as for the other imports; exit status 0 when everything was
//! imported, 1 when some rows were rejected, 2 when nothing could be done
//! (a mapping that cannot be used among them).

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use rapport_ingest::crm::{Mapping, PRESETS, RecordKind};

use super::import::{TerminalProgress, print_reports};
use super::open_or_create_app;
use crate::settings::Settings;

/// The kinds this command imports, as `rapport import KIND` spells them.
pub const KINDS: [&str; 2] = ["crm-accounts", "crm-contacts"];

pub fn run(
    settings: &Settings,
    kind: &str,
    file: &str,
    mapping: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let word = kind;
    let kind = match kind {
        "crm-accounts" => RecordKind::Accounts,
        "crm-contacts" => RecordKind::Contacts,
        other => bail!("unknown kind `{other}`: expected {}", KINDS.join(" or ")),
    };
    let Some(choice) = mapping else {
        bail!(
            "`rapport import {}` needs --mapping: a preset ({}) or a mapping file (docs/crm.md)",
            word,
            PRESETS.join(", ")
        );
    };
    // A mapping that cannot be used is refused before the store is opened.
    let mapping = Mapping::load(choice)?;
    let section = mapping.section(kind)?;
    let app = open_or_create_app(settings)?;
    let progress = TerminalProgress::new();
    let report = app.import_crm(section, Path::new(file), super::now(), &progress)?;
    print_reports(&[report], app.store())
}
