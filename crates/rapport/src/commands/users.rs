//! `rapport users …` and `rapport tokens …`: the people who sign in, their
//! roles and their API tokens (docs/security.md). Whoever can open the
//! database file is its administrator, so these commands need no sign-in.
//! A token is shown once, when it is made; the store keeps only its SHA-256.

use std::process::ExitCode;

use rapport_app::identity::{NewApiToken, UserListing};
use rapport_core::access::Role;

use super::{Format, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum UsersCommand {
    /// Add a user. A CSM's name must be the one accounts give as their CSM
    /// or manager: those are the accounts they see.
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Every user, disabled ones included.
    List {
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Change a user's role (the last admin cannot stop being one).
    Role {
        /// The user's name or id.
        user: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Set a user's password, so they can sign in with their name and it
    /// (at least 12 characters). Asked for twice without echo, or read as
    /// the first line of standard input when that is not a terminal.
    SetPassword { user: String },
    /// Remove a user's password: they sign in with a token or a link only.
    RemovePassword { user: String },
    /// Disable a user: their tokens and sessions stop working at once.
    Disable { user: String },
    /// Enable a disabled user again.
    Enable { user: String },
    /// A one-time link that signs the user in from a browser (valid 24 hours).
    SignInLink {
        user: String,
        /// The address the server is reached at.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base: String,
    },
}

#[derive(clap::Subcommand)]
pub enum TokensCommand {
    /// Make an API token for a user; prints it once.
    Create {
        /// The user's name or id.
        user: String,
        /// What the token is for ("laptop", "reporting script").
        #[arg(long)]
        name: String,
        /// Days until it expires (it lasts until revoked otherwise).
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// The tokens (their first characters, never the secret), of one user or all.
    List {
        #[arg(long)]
        user: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Revoke a token: requests with it are refused from now on.
    Revoke { id: i64 },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

fn user_line(user: &UserListing) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        user.id,
        user.name,
        user.role,
        user.email.as_deref().unwrap_or("-"),
        if user.has_password {
            "password set"
        } else {
            "no password"
        },
        user.disabled_at
            .map_or("active".to_string(), |at| format!("disabled {at}"))
    )
}

/// The new password: typed twice without echo at a terminal, else the first
/// line of standard input (a script pipes it in; it never is an argument,
/// which other users could read in the process list).
fn read_password(user: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {user}: "))?;
        let again = rpassword::prompt_password("The same again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ; nothing changed");
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub fn run_users(settings: &Settings, command: &UsersCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    let now = super::now();
    // Who the audit log names: the `--as` user, else the operator.
    let actor = super::reader(&app, settings)?;
    let changed = match command {
        UsersCommand::Add {
            name,
            role,
            email,
            format,
        } => {
            let user = app.create_user(&actor, name, email.as_deref(), *role, now)?;
            match format {
                Format::Json => print_json(&user)?,
                Format::Md => outln!("user added: {}", user_line(&user)),
            }
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::List { format } => {
            let users = app.users()?;
            match format {
                Format::Json => print_json(&users)?,
                Format::Md => {
                    for user in &users {
                        outln!("{}", user_line(user));
                    }
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::SignInLink { user, base } => {
            let token = app.sign_in_link_token(&actor, user, now)?;
            outln!("{}", sign_in_link(base, &token.token));
            eprintln!(
                "One use, within {} hours, for {} only.",
                rapport_app::identity::SIGN_IN_LINK_HOURS,
                token.user
            );
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::Role { user, role } => app.set_user_role(&actor, user, *role, now)?,
        UsersCommand::SetPassword { user } => {
            let password = read_password(user)?;
            app.set_password(&actor, user, &password, now)?
        }
        UsersCommand::RemovePassword { user } => app.remove_password(&actor, user, now)?,
        UsersCommand::Disable { user } => app.disable_user(&actor, user, now)?,
        UsersCommand::Enable { user } => app.enable_user(&actor, user, now)?,
    };
    outln!("{}", user_line(&changed));
    Ok(ExitCode::SUCCESS)
}

/// The browser link that signs in with a one-time token.
pub fn sign_in_link(base: &str, token: &str) -> String {
    format!("{}/sign-in?token={token}", base.trim_end_matches('/'))
}

fn print_new_token(token: &NewApiToken, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(token)?,
        Format::Md => {
            outln!(
                "token {} ({}) for {}:",
                token.listing.id,
                token.listing.name,
                token.user
            );
            outln!("{}", token.token);
            eprintln!("Keep it now: Rapport stores only its SHA-256 and cannot show it again.");
        }
    }
    Ok(())
}

pub fn run_tokens(settings: &Settings, command: &TokensCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    let actor = super::reader(&app, settings)?;
    match command {
        TokensCommand::Create {
            user,
            name,
            expires_in_days,
            format,
        } => {
            let token = app.create_token(&actor, user, name, *expires_in_days, super::now())?;
            print_new_token(&token, *format)?;
        }
        TokensCommand::List { user, format } => {
            let tokens = app.tokens(user.as_deref())?;
            match format {
                Format::Json => print_json(&tokens)?,
                Format::Md => {
                    if tokens.is_empty() {
                        outln!("no tokens (`rapport tokens create USER --name NAME` makes one)");
                    }
                    for token in tokens {
                        let state = match (token.revoked_at, token.expires_at) {
                            (Some(at), _) => format!("revoked {at}"),
                            (None, Some(at)) => format!("expires {at}"),
                            (None, None) => "active".to_string(),
                        };
                        outln!(
                            "{}\tuser {}\t{}…\t{}\tcreated {}\tlast used {}\t{}",
                            token.id,
                            token.user_id,
                            token.prefix,
                            token.name,
                            token.created_at,
                            token
                                .last_used_at
                                .map_or("never".to_string(), |at| at.to_string()),
                            state
                        );
                    }
                }
            }
        }
        TokensCommand::Revoke { id } => {
            let token = app.revoke_token(&actor, *id, super::now())?;
            outln!(
                "token {} ({}) revoked at {}",
                token.id,
                token.name,
                token
                    .revoked_at
                    .map(|at| at.to_string())
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
