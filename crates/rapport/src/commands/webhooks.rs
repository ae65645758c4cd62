//! `rapport webhooks add|list|remove`: the subscriptions alerts are delivered
//! to (signed JSON with a Slack-compatible `text`; `rapport serve` sends them).

use std::process::ExitCode;

use anyhow::Context;
use rapport_core::alerts::delivery::Subscription;
use rapport_core::engagement::breakdown::AlertPriority;

use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum WebhooksCommand {
    /// Subscribe a URL to alerts.
    Add {
        #[arg(long)]
        url: String,
        /// The HMAC-SHA256 key the receiver verifies signatures with (8+ characters).
        #[arg(long)]
        secret: String,
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
    /// The subscriptions in force (secrets hidden).
    List,
    /// End a subscription.
    Remove { id: i64 },
}

pub fn run(settings: &Settings, command: &WebhooksCommand) -> anyhow::Result<ExitCode> {
    let app = super::open_app(settings)?;
    match command {
        WebhooksCommand::Add {
            url,
            secret,
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
            let subscription = Subscription {
                id: 0,
                url: url.clone(),
                secret: secret.clone(),
                person: person.clone(),
                rule: rule.clone(),
                min_priority,
            };
            let stored = app.add_webhook(subscription).map_err(super::flag_error)?;
            outln!("webhook {} added", stored.subscription.id);
        }
        WebhooksCommand::List => {
            for view in app.webhooks()? {
                let subscription = view.subscription;
                outln!(
                    "{}\t{}\tperson={}\trule={}\tmin-priority={}",
                    subscription.id,
                    subscription.url,
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
            app.remove_webhook(*id, super::now())?;
            outln!("webhook {id} removed");
        }
    }
    Ok(ExitCode::SUCCESS)
}
