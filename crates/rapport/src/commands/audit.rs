//! `rapport audit` (the audit log, newest first, through the same
//! application function and filters as `GET /api/audit`) and `rapport share
//! create|list|revoke` (share links of value reports, as the API's routes).

use std::process::ExitCode;

use rapport_app::audit::AuditQuery;
use rapport_app::sharing::{ShareLinkListing, ShareRequest};

use super::{Format, flag_error, open_app, print_json};
use crate::settings::Settings;

/// `rapport audit`: who changed what, when, with the record before and after.
#[derive(clap::Args)]
pub struct AuditArgs {
    /// Only this account's changes (name, external id or UUID).
    #[arg(long)]
    account: Option<String>,
    /// Only this user's changes (name or id; `0` is the command line's operator).
    #[arg(long)]
    user: Option<String>,
    /// An action (`goal.create`) or a kind of subject (`goal`, `token`…).
    #[arg(long)]
    action: Option<String>,
    /// From this instant on (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// Up to this instant (RFC 3339, or YYYY-MM-DD: that whole day).
    #[arg(long)]
    until: Option<String>,
    /// At most this many entries (1 to 1,000; default 100).
    #[arg(long)]
    limit: Option<String>,
    /// Only entries older than this id (the next page).
    #[arg(long)]
    before: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
}

pub fn run_audit(settings: &Settings, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    let reader = super::reader(&app, settings)?;
    let query = AuditQuery {
        account: args.account.clone(),
        user: args.user.clone(),
        action: args.action.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        limit: args.limit.clone(),
        before: args.before.clone(),
    };
    let page = app.audit_log(&reader, &query).map_err(flag_error)?;
    match args.format {
        Format::Json => print_json(&page)?,
        Format::Md => {
            let text = rapport_app::render::audit(&page).map_err(anyhow::Error::msg)?;
            outln!("{}", text.trim_end());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Subcommand)]
pub enum ShareCommand {
    /// Make a link to an account's value report at one moment, opened
    /// without an account; its token is shown this once (--as a user who may
    /// change the account).
    Create {
        /// The account: its name, external id or UUID.
        account: String,
        /// How long it opens: 14d, 36h (1 hour to 90 days; default 30 days).
        #[arg(long)]
        expires: Option<String>,
        /// The report's moment (RFC 3339 or YYYY-MM-DD, not in the future); default now.
        #[arg(long)]
        as_of: Option<String>,
        /// The report's ROI lines: auto, show or hide.
        #[arg(long)]
        roi: Option<String>,
        /// The report's goals: all or started.
        #[arg(long)]
        goals: Option<String>,
        /// The server's address, put in front of the link's path.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// The links of the accounts you see (of one account with --account), never their tokens.
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Revoke a link: from now on it opens nothing (--as a user who may change the account).
    Revoke {
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
}

fn link_line(link: &ShareLinkListing) -> String {
    let state = match link.revoked_at {
        Some(at) => format!("revoked {at}"),
        None => format!("expires {}", link.expires_at),
    };
    format!(
        "{}\t{} ({})\tas of {}\tby {}\tcreated {}\t{}\topened {}",
        link.id,
        link.account_name,
        link.account,
        link.as_of,
        link.created_by,
        link.created_at,
        state,
        match link.last_opened_at {
            Some(at) => format!("{} (last {at})", link.open_count),
            None => "never".to_string(),
        }
    )
}

pub fn run_share(settings: &Settings, command: &ShareCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    match command {
        ShareCommand::Create {
            account,
            expires,
            as_of,
            roi,
            goals,
            base,
            format,
        } => {
            let actor = super::actor(&app, settings)?;
            let request = ShareRequest {
                expires_in: expires.clone(),
                as_of: as_of.clone(),
                roi: roi.clone(),
                goals: goals.clone(),
            };
            let created = app
                .create_share_link(&actor, account, &request, super::now())
                .map_err(share_flag_error)?;
            match format {
                Format::Json => print_json(&created)?,
                Format::Md => {
                    outln!("{}{}", base.trim_end_matches('/'), created.path);
                    eprintln!(
                        "Share link {} to {}'s value report as of {}, until {}. \
                         Keep the link now: Rapport stores only its SHA-256 and cannot show it again.",
                        created.link.id,
                        created.link.account_name,
                        created.link.as_of,
                        created.link.expires_at
                    );
                }
            }
        }
        ShareCommand::List { account, format } => {
            let reader = super::reader(&app, settings)?;
            let links = app.share_links(&reader, account.as_deref())?;
            match format {
                Format::Json => print_json(&links)?,
                Format::Md => {
                    if links.is_empty() {
                        outln!(
                            "no share links (`rapport share create ACCOUNT --as USER` makes one)"
                        );
                    }
                    for link in &links {
                        outln!("{}", link_line(link));
                    }
                }
            }
        }
        ShareCommand::Revoke { id, format } => {
            let actor = super::actor(&app, settings)?;
            let revoked = app.revoke_share_link(&actor, *id, super::now())?;
            match format {
                Format::Json => print_json(&revoked)?,
                Format::Md => outln!("revoked: {}", link_line(&revoked)),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A refused field, named as the command line spells its flag.
fn share_flag_error(error: rapport_app::AppError) -> anyhow::Error {
    match error {
        rapport_app::AppError::Invalid { field, reason } if field == "expiresIn" => {
            anyhow::anyhow!("--expires: {reason}")
        }
        other => flag_error(other),
    }
}
