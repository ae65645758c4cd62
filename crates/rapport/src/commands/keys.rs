//! `rapport keys create NAME|list|revoke ID`: the write keys the tracking API
//! (`/v1/*`, `POST /api/activities`) accepts. A key is shown once, when it is
//! created; the store keeps only its SHA-256. A key can do nothing but ingest.

use std::process::ExitCode;

use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Create a write key named after what sends with it ("website"); prints the key once.
    Create {
        name: String,
        #[arg(long, value_enum, default_value_t = super::Format::Md)]
        format: super::Format,
    },
    /// The write keys (their first characters, never the secret), revoked ones included.
    List {
        #[arg(long, value_enum, default_value_t = super::Format::Md)]
        format: super::Format,
    },
    /// Revoke a write key: requests with it are refused from now on.
    Revoke { id: i64 },
}

pub fn run(settings: &Settings, command: &KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Create { name, format } => {
            let app = super::open_or_create_app(settings)?;
            // Who the audit log names: the `--as` user, else the operator.
            let actor = super::reader(&app, settings)?;
            let created = app.create_write_key(&actor, name, super::now())?;
            match format {
                super::Format::Json => super::print_json(&created)?,
                super::Format::Md => {
                    outln!("write key {} ({}):", created.id, created.name);
                    outln!("{}", created.key);
                    eprintln!(
                        "Keep it now: Rapport stores only its SHA-256 and cannot show it again."
                    );
                }
            }
        }
        KeysCommand::List { format } => {
            let keys = super::open_app(settings)?.write_keys()?;
            match format {
                super::Format::Json => super::print_json(&keys)?,
                super::Format::Md => {
                    if keys.is_empty() {
                        outln!("no write keys (`rapport keys create NAME` makes one)");
                    }
                    for key in keys {
                        outln!(
                            "{}\t{}…\t{}\tcreated {}\t{}",
                            key.id,
                            key.prefix,
                            key.name,
                            key.created_at,
                            key.revoked_at
                                .map_or("active".to_string(), |at| format!("revoked {at}"))
                        );
                    }
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let app = super::open_app(settings)?;
            let actor = super::reader(&app, settings)?;
            let key = app.revoke_write_key(&actor, *id, super::now())?;
            outln!(
                "write key {} ({}) revoked at {}",
                key.id,
                key.name,
                key.revoked_at.map(|at| at.to_string()).unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
