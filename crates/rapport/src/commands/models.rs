//! `rapport models list|preview|save`: the scoring models in use and their
//! saved versions, what an edit would do to every account, and saving it as
//! a new version, through the same application functions as `/api/models`
//! (docs/dashboard.md). An edit is a JSON file: `{"factors": {"nps":
//! {"weight": 5}}, "bands": {"low": 35}, "note": "…"}`.

use std::process::ExitCode;

use rapport_core::scoring::edit::ModelEdit;

use super::{Format, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum ModelsCommand {
    /// The engagement and health models in use, with their saved versions.
    List {
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// What an edit of the `engagement` or `health` model would do to every
    /// active account's score and band (nothing is saved).
    Preview {
        /// `engagement` or `health`.
        #[arg(value_name = "MODEL")]
        which: String,
        /// The edit, a JSON file (`-` for standard input).
        #[arg(long)]
        edit: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Save an edit as the model's next version (an admin, --as; audited).
    Save {
        /// `engagement` or `health`.
        #[arg(value_name = "MODEL")]
        which: String,
        /// The edit, a JSON file (`-` for standard input).
        #[arg(long)]
        edit: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
}

fn read_edit(path: &str) -> anyhow::Result<ModelEdit> {
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(path).map_err(|error| anyhow::anyhow!("{path}: {error}"))?
    };
    rapport_core::validation::parse_request(text.as_bytes())
        .map_err(|error| anyhow::anyhow!("{path}: {}: {}", error.field, error.reason))
}

pub fn run(settings: &Settings, command: &ModelsCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    match command {
        ModelsCommand::List { format } => {
            let models = app.model_settings()?;
            match format {
                Format::Json => print_json(&models)?,
                Format::Md => {
                    for model in &models {
                        outln!(
                            "{} model: {} ({})",
                            model.role,
                            model.name,
                            model.version.map_or_else(
                                || "the deployment's file; no saved version".to_string(),
                                |version| format!("saved version {version}")
                            )
                        );
                        for version in &model.versions {
                            outln!(
                                "  version {}: {} by {}{}",
                                version.version,
                                version.saved_at,
                                version.saved_by,
                                version
                                    .note
                                    .as_deref()
                                    .map_or_else(String::new, |note| format!(" ({note})"))
                            );
                        }
                    }
                }
            }
        }
        ModelsCommand::Preview {
            which,
            edit,
            format,
        } => {
            let reader = super::reader(&app, settings)?;
            let edit = read_edit(edit)?;
            let at = rapport_app::report_instant(super::now());
            let preview = app.preview_model(&reader, which, &edit, at)?;
            match format {
                Format::Json => print_json(&preview)?,
                Format::Md => {
                    outln!(
                        "{} of {} active accounts would change band.",
                        preview.band_changes,
                        preview.accounts
                    );
                    for band in &preview.bands {
                        outln!(
                            "  {}: {} now, {} after",
                            band.name,
                            band.current,
                            band.proposed
                        );
                    }
                    for row in preview
                        .rows
                        .iter()
                        .filter(|row| row.current_band != row.proposed_band)
                    {
                        outln!(
                            "  {}: {} ({}) → {} ({})",
                            row.account.name,
                            rapport_core::numbers::score_or_missing(row.current),
                            row.current_band.as_deref().unwrap_or("no data"),
                            rapport_core::numbers::score_or_missing(row.proposed),
                            row.proposed_band.as_deref().unwrap_or("no data"),
                        );
                    }
                }
            }
        }
        ModelsCommand::Save {
            which,
            edit,
            format,
        } => {
            let actor = super::actor(&app, settings)?;
            let edit = read_edit(edit)?;
            let saved = app.save_model(&actor, which, &edit, super::now())?;
            match format {
                Format::Json => print_json(&saved)?,
                Format::Md => outln!(
                    "saved {} version {}",
                    saved.name,
                    saved.version.unwrap_or_default()
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
