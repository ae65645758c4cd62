//! `rapport webhooks add|list|remove`: the subscriptions alerts are delivered
//! to (signed JSON with a Slack-compatible `text`; `rapport serve` sends them).
//! The signing secret is read from `--secret-file` or standard input, or
//! taken from `--secret`; it is stored sealed and never printed.

use std::process::ExitCode;

use anyhow::Context;
use rapport_core::alerts::delivery::SubscriptionRequest;
use rapport_core::engagement::breakdown::AlertPriority;

use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum WebhooksCommand {
    /// Subscribe a URL to alerts.
    Add {
        #[arg(long)]
        url: String,
        /// The HMAC-SHA256 key the receiver verifies signatures with (8+
        /// characters). Visible to other users of this machine while the
        /// command runs: prefer --secret-file.
        #[arg(long, conflicts_with = "secret_file")]
        secret: Option<String>,
        /// A file holding the secret (its first line); `-` reads standard input.
        #[arg(long)]
        secret_file: Option<std::path::PathBuf>,
        /// Only this person's accounts (as CSM; as manager for critical alerts).
        #[arg(long)]
        person: Option<String>,
        /// Only this rule, or a family ending in `.` (`health.`).
        #[arg(long)]
        rule: Option<String>,
        /// Only alerts at least this urgent: critical, high or medium.
        #[arg(long)]
        min_priority: Option<String>,
    },
    /// The subscriptions in force (secrets never shown).
    List {
        #[arg(long, value_enum, default_value = "md")]
        format: super::Format,
    },
    /// End a subscription.
    Remove { id: i64 },
}

pub fn run(settings: &Settings, command: &WebhooksCommand) -> anyhow::Result<ExitCode> {
    let app = super::open_app(settings)?;
    match command {
        WebhooksCommand::Add {
            url,
            secret,
            secret_file,
            person,
            rule,
            min_priority,
        } => {
            let min_priority = min_priority
                .as_deref()
                .map(|text| {
                    serde_json::from_value::<AlertPriority>(serde_json::Value::from(text))
                        .map_err(|_| anyhow::anyhow!("`{text}` is not critical, high or medium"))
                })
                .transpose()
                .context("--min-priority")?;
            let secret = match (secret, secret_file) {
                (Some(secret), _) => secret.clone(),
                (None, Some(path)) => read_secret(path)?,
                (None, None) => anyhow::bail!(
                    "--secret-file FILE (or - for standard input) or --secret: the signing secret"
                ),
            };
            let request = SubscriptionRequest {
                url: url.clone(),
                secret,
                person: person.clone(),
                rule: rule.clone(),
                min_priority,
            };
            let stored = app
                .add_webhook(&super::reader(&app, settings)?, &request, super::now())
                .map_err(super::flag_error)?;
            outln!(
                "webhook {} added: {} (secret {})",
                stored.subscription.id,
                stored.subscription.url,
                stored.secret
            );
        }
        WebhooksCommand::List { format } => {
            let webhooks = app.webhooks()?;
            if matches!(format, super::Format::Json) {
                super::print_json(&webhooks)?;
                return Ok(ExitCode::SUCCESS);
            }
            for view in webhooks {
                let subscription = view.subscription;
                outln!(
                    "{}\t{}\tsecret={}\tperson={}\trule={}\tmin-priority={}",
                    subscription.id,
                    subscription.url,
                    view.secret,
                    subscription.person.as_deref().unwrap_or("*"),
                    subscription.rule.as_deref().unwrap_or("*"),
                    subscription
                        .min_priority
                        .map_or("*".to_string(), |priority| format!("{priority:?}")
                            .to_lowercase())
                );
            }
        }
        WebhooksCommand::Remove { id } => {
            app.remove_webhook(&super::reader(&app, settings)?, *id, super::now())?;
            outln!("webhook {id} removed; its deliveries still waiting are dropped");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The secret in `path`'s first line (`-`: standard input's), without its
/// line break.
fn read_secret(path: &std::path::Path) -> anyhow::Result<String> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_line(&mut text)
            .context("--secret-file -: reading standard input")?;
        text
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("--secret-file {}", path.display()))?
    };
    Ok(text.lines().next().unwrap_or_default().to_string())
}
