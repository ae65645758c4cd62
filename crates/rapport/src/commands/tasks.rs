//! `rapport tasks list|add|complete|dismiss`: tasks on accounts through the
//! same application functions as `GET /api/tasks` and its routes; changes
//! are made `--as` a user (docs/tasks.md).

use std::process::ExitCode;

use rapport_app::tasks::{TaskQuery, TaskView};
use rapport_core::tasks::{Task, task_request};

use super::{Format, flag_error, open_app, print_json};
use crate::settings::Settings;

#[derive(clap::Subcommand)]
pub enum TasksCommand {
    /// The tasks of the accounts you see, soonest due first (open ones by default).
    List {
        /// Only this account's (name, external id or UUID).
        #[arg(long)]
        account: Option<String>,
        /// Only this owner's (a name, ignoring case).
        #[arg(long)]
        owner: Option<String>,
        /// open (default), completed, dismissed or all.
        #[arg(long)]
        status: Option<String>,
        /// Only tasks due before this date (YYYY-MM-DD).
        #[arg(long)]
        due_before: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Make a task on an account (--as a user who may change it).
    Add {
        /// The account: its name, external id or UUID.
        account: String,
        /// What to do (one line, at most 200 characters).
        title: String,
        /// More about it (at most 10,000 characters).
        #[arg(long)]
        detail: Option<String>,
        /// Who does it: a user's name or the account's CSM (default the CSM).
        #[arg(long)]
        owner: Option<String>,
        /// When it is due (YYYY-MM-DD; default a week from today).
        #[arg(long)]
        due: Option<String>,
        /// The alert it acts on (an alert of the same account).
        #[arg(long)]
        alert: Option<i64>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Complete an open task (--as a user who may change its account).
    Complete {
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Dismiss an open task, with an optional reason (--as a user who may change its account).
    Dismiss {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
}

fn print_tasks(tasks: &[TaskView], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&tasks),
        Format::Md => {
            let text = rapport_app::render::tasks(tasks).map_err(anyhow::Error::msg)?;
            outln!("{}", text.trim_end());
            Ok(())
        }
    }
}

fn print_task(app: &rapport_app::App, task: Task, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&task),
        Format::Md => print_tasks(&[app.task_view(task)?], format),
    }
}

pub fn run(settings: &Settings, command: &TasksCommand) -> anyhow::Result<ExitCode> {
    let app = open_app(settings)?;
    match command {
        TasksCommand::List {
            account,
            owner,
            status,
            due_before,
            format,
        } => {
            let reader = super::reader(&app, settings)?;
            let query = TaskQuery {
                account: account.clone(),
                owner: owner.clone(),
                status: status.clone(),
                due_before: due_before.clone(),
            };
            let tasks = app.tasks(&reader, &query).map_err(task_flag_error)?;
            print_tasks(&tasks, *format)?;
        }
        TasksCommand::Add {
            account,
            title,
            detail,
            owner,
            due,
            alert,
            format,
        } => {
            let actor = super::actor(&app, settings)?;
            let now = super::now();
            let due = due
                .as_deref()
                .map(|text| {
                    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                        .map_err(|_| anyhow::anyhow!("--due: must be a date, YYYY-MM-DD"))
                })
                .transpose()?;
            let mut request =
                task_request(title, detail.as_deref(), owner.as_deref(), due, now.date())
                    .map_err(|error| task_flag_error(error.into()))?;
            request.alert_id = *alert;
            let created = app
                .create_task(&actor, account, &request, now)
                .map_err(task_flag_error)?;
            match format {
                Format::Json => print_json(&created)?,
                Format::Md => print_tasks(&[created], *format)?,
            }
        }
        TasksCommand::Complete { id, format } => {
            let actor = super::actor(&app, settings)?;
            let task = app.complete_task(&actor, *id, super::now())?;
            print_task(&app, task, *format)?;
        }
        TasksCommand::Dismiss { id, reason, format } => {
            let actor = super::actor(&app, settings)?;
            let task = app
                .dismiss_task(&actor, *id, reason.as_deref(), super::now())
                .map_err(task_flag_error)?;
            print_task(&app, task, *format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A refused field, named as the command line spells it (the title is the
/// second argument, not a flag).
fn task_flag_error(error: rapport_app::AppError) -> anyhow::Error {
    match error {
        rapport_app::AppError::Invalid { field, reason } if field == "title" => {
            anyhow::anyhow!("TITLE: {reason}")
        }
        rapport_app::AppError::Invalid { field, reason } if field == "dueBefore" => {
            anyhow::anyhow!("--due-before: {reason}")
        }
        rapport_app::AppError::Invalid { field, reason } if field == "alertId" => {
            anyhow::anyhow!("--alert: {reason}")
        }
        other => flag_error(other),
    }
}
