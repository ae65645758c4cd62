//! The dashboard's use cases: the accounts table (sorted, filtered, paged),
//! a person's day (alerts to handle, tasks due, accounts that moved most,
//! renewals ahead with their health), an account's page and its activity
//! timeline. Each returns the structure its API route answers and its page
//! renders (docs/dashboard.md), so a page and the API cannot disagree.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use rapport_core::access::Person;
use rapport_core::activity::{ActivityDetail, Direction};
use rapport_core::engine::Window;
use rapport_core::portfolio::rows::{AccountRow, account_row, account_rows};
use rapport_core::{Activity, Timestamp};
use serde::Serialize;

use crate::alerts::{AlertQuery, AlertView};
use crate::tasks::{TaskQuery, TaskView};
use crate::{App, AppError, AppResult};
use rapport_core::engagement::Compare;

/// Rows of the accounts table a page shows at most.
pub const PAGE_ROWS: usize = 100;
/// Renewals a person's day looks ahead to.
pub const RENEWAL_DAYS: i64 = 90;
/// Tasks a person's day shows: overdue, and due within this many days.
pub const TASK_DAYS: i64 = 7;
/// Accounts that moved most, each way, on a person's day.
pub const MOVERS: usize = 5;
/// Alerts a person's day lists (the inbox has them all).
pub const DAY_ALERTS: usize = 8;
/// Tasks a person's day lists (the task list has them all).
pub const DAY_TASKS: usize = 10;
/// Timeline entries an account's Activity tab shows at most.
pub const TIMELINE_ROWS: usize = 200;

/// The accounts table's query: every field optional, text as a page's URL
/// or the API gives it; [`App::accounts_table`] validates it (a refusal
/// names the parameter).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize, utoipa::IntoParams,
)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    /// Part of the account's name, ignoring case.
    pub q: Option<String>,
    /// `name`, `engagement` (the default), `change`, `health`, `band`,
    /// `trend`, `arr`, `renewal`, `csm`, `tier` or `status`.
    pub sort: Option<String>,
    /// `asc` (the default for text, dates and engagement) or `desc`.
    pub dir: Option<String>,
    /// An engagement band key (`low`), or `no_data`.
    pub band: Option<String>,
    /// A health band key (`at_risk`).
    pub health: Option<String>,
    /// `improving`, `stable` or `declining`.
    pub trend: Option<String>,
    pub tier: Option<String>,
    /// A CSM's name, ignoring case.
    pub csm: Option<String>,
    /// `active` (the default), `churned`, or `all`.
    pub status: Option<String>,
    /// A revenue band of the overview (`$50k–100k`).
    pub revenue: Option<String>,
    /// A bucket of engaged contacts of the overview (`3–5`).
    pub users: Option<String>,
    /// `true`: at risk only; `false`: not at risk.
    pub risk: Option<String>,
    /// `true`: low engagement only; `false`: not low.
    pub low: Option<String>,
    /// Renewing within this many days of `asOf`.
    pub renews_within: Option<String>,
    /// The window of the scores (`30d`); default 30 days.
    pub period: Option<String>,
    /// `previous` (default) or `START..END`.
    pub compare_period: Option<String>,
    /// The instant scored (RFC 3339 or `YYYY-MM-DD`); default now. The
    /// surface parses it (its refusal names `asOf`).
    pub as_of: Option<String>,
    /// The first row (0-based) of the page.
    pub offset: Option<String>,
    /// Rows a page (1–1000); default 100.
    pub limit: Option<String>,
}

/// The accounts table: the rows the query keeps, sorted, one page of them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountsTable {
    pub as_of: Timestamp,
    pub window: Window,
    pub compare_window: Window,
    /// Rows the filters keep (every page).
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub sort: String,
    pub descending: bool,
    pub rows: Vec<AccountRow>,
}

/// What a person has to do today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyDay {
    pub as_of: Timestamp,
    pub name: String,
    /// The unresolved, unsnoozed alerts of the day's accounts, and of the
    /// accounts the person watches at or above the priority watched,
    /// highest priority first (at most [`DAY_ALERTS`]), and how many.
    pub alerts: Vec<AlertView>,
    pub alerts_open: usize,
    /// Open tasks the person owns (a CSM) or of their accounts (a leader,
    /// an admin), overdue or due within [`TASK_DAYS`] days, soonest first.
    pub tasks: Vec<TaskView>,
    /// Tasks overdue or due within the week (of which `tasks` lists the first).
    pub tasks_due: usize,
    pub tasks_open: usize,
    /// Active accounts whose engagement rose most and fell most against the
    /// previous 30 days.
    pub rising: Vec<AccountRow>,
    pub falling: Vec<AccountRow>,
    /// Active accounts renewing within [`RENEWAL_DAYS`] days, soonest first.
    pub renewals: Vec<AccountRow>,
    /// Of `renewals`, those at risk, and their ARR.
    pub renewals_at_risk: usize,
    pub renewal_revenue_at_risk: f64,
    /// Whether the day is of the person's team (the accounts naming them
    /// as CSM or manager) rather than every account they see.
    pub team: bool,
    /// The accounts whose alerts the person watches.
    pub watches: Vec<crate::watches::WatchView>,
}

/// One entry of an account's timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub at: Timestamp,
    /// The contract's `type`: `email`, `meeting`, `call`, `ticket`, `login`…
    pub kind: String,
    /// One line for people ("E-mail from ana@acme.com: Renewal terms").
    pub summary: String,
}

/// An account's Activity tab.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub before: Timestamp,
    /// The kinds asked for (every kind when empty).
    pub kinds: Vec<String>,
    pub entries: Vec<TimelineEntry>,
    /// When more entries are older than the last one shown: the instant to
    /// ask `before` for the next page.
    pub next_before: Option<Timestamp>,
}

/// The kinds of activity a timeline filters by (the contract's `type`s),
/// with their names for people, in the order a page offers them.
pub const TIMELINE_KINDS: [(&str, &str); 12] = [
    ("email", "E-mail"),
    ("meeting", "Meeting"),
    ("call", "Call"),
    ("ticket", "Ticket"),
    ("login", "Login"),
    ("session", "Session"),
    ("feature_used", "Feature used"),
    ("training", "Training"),
    ("nps", "NPS"),
    ("csat", "CSAT"),
    ("payment", "Payment"),
    ("community", "Community"),
];

fn flag(field: &str, text: Option<&str>) -> AppResult<Option<bool>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some("true" | "yes" | "1") => Ok(Some(true)),
        Some("false" | "no" | "0") => Ok(Some(false)),
        Some(other) => Err(AppError::invalid(
            field,
            format!("`{other}` is neither true nor false"),
        )),
    }
}

fn number(
    field: &str,
    text: Option<&str>,
    default: usize,
    range: (usize, usize),
) -> AppResult<usize> {
    match text.map(str::trim) {
        None | Some("") => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|value| (range.0..=range.1).contains(value))
            .ok_or_else(|| {
                AppError::invalid(
                    field,
                    format!(
                        "`{text}` is not a whole number from {} to {}",
                        range.0, range.1
                    ),
                )
            }),
    }
}

fn text(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

const SORTS: [&str; 11] = [
    "name",
    "engagement",
    "change",
    "health",
    "band",
    "trend",
    "arr",
    "renewal",
    "csm",
    "tier",
    "status",
];

/// The keys a query's filter may take, checked so a typo is an error
/// rather than an empty table.
fn one_of(field: &str, value: Option<&str>, allowed: &[String]) -> AppResult<()> {
    match value {
        Some(value) if !allowed.iter().any(|key| key == value) => Err(AppError::invalid(
            field,
            format!("`{value}` is not one of {}", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

fn ordering(a: &AccountRow, b: &AccountRow, sort: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    // Missing figures sort last whichever way (they are not "lowest").
    fn score(a: Option<f64>, b: Option<f64>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let trend_rank = |row: &AccountRow| {
        row.trend.map(|trend| match trend {
            rapport_core::engagement::breakdown::Trend::Declining => 0.0,
            rapport_core::engagement::breakdown::Trend::Stable => 1.0,
            rapport_core::engagement::breakdown::Trend::Improving => 2.0,
        })
    };
    let change = |row: &AccountRow| Some(row.engagement? - row.previous_engagement?);
    match sort {
        "name" => a
            .account
            .name
            .to_lowercase()
            .cmp(&b.account.name.to_lowercase()),
        "change" => score(change(a), change(b)),
        "health" => score(a.health, b.health),
        // Bands follow their scores.
        "band" | "engagement" => score(a.engagement, b.engagement),
        "trend" => score(trend_rank(a), trend_rank(b)),
        "arr" => a.account.arr.total_cmp(&b.account.arr),
        "renewal" => match (a.account.renewal_date, b.account.renewal_date) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        "csm" => a
            .account
            .csm
            .to_lowercase()
            .cmp(&b.account.csm.to_lowercase()),
        "tier" => a.account.tier.as_str().cmp(b.account.tier.as_str()),
        "status" => a.account.status.as_str().cmp(b.account.status.as_str()),
        _ => Ordering::Equal,
    }
}

impl App {
    /// Every account's row the person sees, scored at `as_of` (the
    /// overview's rules and the deployment's default model, so a chart's
    /// drill-down lists the accounts it counted).
    fn rows(
        &self,
        person: &Person,
        window: Window,
        compare: Compare,
    ) -> AppResult<Vec<AccountRow>> {
        let overrides = self.override_trails()?;
        let models = self.models();
        let engine = self.read()?;
        Ok(account_rows(
            &engine.state,
            &models.engagement.default,
            &models.health,
            window,
            compare.window(window),
            Some(person),
            &overrides,
        ))
    }

    /// The accounts table of `query` for `person` at `as_of`.
    pub fn accounts_table(
        &self,
        person: &Person,
        as_of: Timestamp,
        query: &AccountsQuery,
    ) -> AppResult<AccountsTable> {
        let (window, compare) = crate::reports::engagement_window(
            text(&query.period),
            text(&query.compare_period),
            as_of,
        )?;
        let sort = text(&query.sort).unwrap_or("engagement").to_string();
        let allowed: Vec<String> = SORTS.iter().map(|sort| sort.to_string()).collect();
        one_of("sort", Some(&sort), &allowed)?;
        let descending = match text(&query.dir) {
            None => matches!(sort.as_str(), "arr" | "health" | "change"),
            Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(AppError::invalid(
                    "dir",
                    format!("`{other}` is neither asc nor desc"),
                ));
            }
        };
        let models = self.models();
        let keys = |model: &rapport_core::scoring::model::Model| -> Vec<String> {
            band_choices(model)
                .into_iter()
                .map(|(key, _)| key)
                .collect()
        };
        let engagement_bands = keys(&models.engagement.default);
        let health_bands = keys(&models.health);
        let band = text(&query.band);
        one_of("band", band, &engagement_bands)?;
        let health = text(&query.health);
        one_of("health", health, &health_bands)?;
        let trend = text(&query.trend);
        one_of(
            "trend",
            trend,
            &["improving".into(), "stable".into(), "declining".into()],
        )?;
        let tier = match text(&query.tier) {
            Some(tier) => Some(
                tier.parse::<rapport_core::Tier>()
                    .map_err(|error| AppError::invalid("tier", error.to_string()))?,
            ),
            None => None,
        };
        let status = text(&query.status).unwrap_or("active");
        let statuses: Vec<String> = rapport_core::AccountStatus::ALL
            .iter()
            .map(|status| status.as_str().to_string())
            .chain(["all".to_string()])
            .collect();
        one_of("status", Some(status), &statuses)?;
        let revenue = text(&query.revenue);
        let revenue_bands: Vec<String> = rapport_core::portfolio::overview::REVENUE_BANDS
            .iter()
            .map(|(_, name)| name.to_string())
            .collect();
        one_of("revenue", revenue, &revenue_bands)?;
        let users = text(&query.users);
        let user_buckets: Vec<String> = rapport_core::portfolio::overview::USER_BUCKETS
            .iter()
            .map(|(_, name)| name.to_string())
            .collect();
        one_of("users", users, &user_buckets)?;
        let risk = flag("risk", text(&query.risk))?;
        let low = flag("low", text(&query.low))?;
        let renews_within = match text(&query.renews_within) {
            Some(days) => Some(number("renewsWithin", Some(days), 0, (0, 3660))? as i64),
            None => None,
        };
        let offset = number("offset", text(&query.offset), 0, (0, usize::MAX))?;
        let limit = number("limit", text(&query.limit), PAGE_ROWS, (1, 1000))?;
        let csm = text(&query.csm);
        if let Some(csm) = csm {
            self.check_csm(Some(csm))?;
        }
        let needle = text(&query.q).map(str::to_lowercase);
        let today = as_of.date();
        let mut rows: Vec<AccountRow> = self
            .rows(person, window, compare)?
            .into_iter()
            .filter(|row| {
                let account = &row.account;
                needle
                    .as_deref()
                    .is_none_or(|needle| account.name.to_lowercase().contains(needle))
                    && band.is_none_or(|band| {
                        row.engagement_band.as_deref().unwrap_or("no_data") == band
                    })
                    && health.is_none_or(|health| {
                        row.health_band.as_deref().unwrap_or("no_data") == health
                    })
                    && trend.is_none_or(|trend| {
                        row.trend.is_some_and(|value| {
                            serde_json::to_value(value)
                                .ok()
                                .as_ref()
                                .and_then(|v| v.as_str())
                                == Some(trend)
                        })
                    })
                    && tier.is_none_or(|tier| account.tier == tier)
                    && csm.is_none_or(|csm| account.csm.trim().eq_ignore_ascii_case(csm))
                    && (status == "all" || account.status.as_str() == status)
                    && revenue.is_none_or(|revenue| row.revenue_band == revenue)
                    && users.is_none_or(|users| row.engaged_users == users)
                    && risk.is_none_or(|risk| row.at_risk == risk)
                    && low.is_none_or(|low| row.low_engagement == low)
                    && renews_within.is_none_or(|days| {
                        account.renewal_date.is_some_and(|date| {
                            date >= today && date <= today + Duration::days(days)
                        })
                    })
            })
            .collect();
        rows.sort_by(|a, b| {
            let order = ordering(a, b, &sort);
            let order = if descending { order.reverse() } else { order };
            // Missing figures last either way; then by name, stable.
            order.then_with(|| ordering(a, b, "name"))
        });
        let total = rows.len();
        let rows = rows.into_iter().skip(offset).take(limit).collect();
        Ok(AccountsTable {
            as_of,
            window,
            compare_window: compare.window(window),
            total,
            offset,
            limit,
            sort,
            descending,
            rows,
        })
    }

    /// One account's row at `as_of` (the account page's header).
    pub fn account_row(&self, reference: &str, as_of: Timestamp) -> AppResult<AccountRow> {
        let account = self.resolve(reference)?;
        let overrides = self.override_trails()?;
        let models = self.models();
        let engine = self.read()?;
        let window = Window::new(as_of, rapport_core::Period::DEFAULT);
        engine
            .state
            .account(account.external_id.as_str())
            .and_then(|state| {
                account_row(
                    &engine.state,
                    state,
                    &models.engagement.default,
                    &models.health,
                    window,
                    Compare::Previous.window(window),
                    &overrides,
                )
            })
            .ok_or_else(|| AppError::NotFound(format!("account `{reference}` has no data yet")))
    }

    /// `person`'s day at `as_of`.
    pub fn my_day(&self, person: &Person, as_of: Timestamp) -> AppResult<MyDay> {
        let window = Window::new(as_of, rapport_core::Period::DEFAULT);
        let all_rows = self.rows(person, window, Compare::Previous)?;
        // The day's accounts: a CSM's own (and their team's); for anyone who
        // sees every account, the accounts naming them as CSM or manager
        // (a leader's team) when there are any, else every account.
        let names_me = |csm: &str, manager: Option<&str>| {
            rapport_core::access::same_name(csm, &person.name)
                || manager
                    .is_some_and(|manager| rapport_core::access::same_name(manager, &person.name))
        };
        let leads = all_rows
            .iter()
            .any(|row| names_me(&row.account.csm, row.account.manager.as_deref()));
        let in_day = |csm: &str, manager: Option<&str>| !leads || names_me(csm, manager);
        let day_accounts: BTreeSet<String> = all_rows
            .iter()
            .filter(|row| in_day(&row.account.csm, row.account.manager.as_deref()))
            .map(|row| row.account.external_id.to_string())
            .collect();

        // Alerts: the day's accounts' at any priority, a watched account's
        // at or above the priority watched (in the day's accounts or not).
        let watched = self.alert_watches(person)?;
        let watches: BTreeMap<String, rapport_core::engagement::breakdown::AlertPriority> = watched
            .iter()
            .map(|watch| (watch.account.clone(), watch.min_priority))
            .collect();
        let mut alerts = self.alerts(
            person,
            &AlertQuery {
                status: Some("unresolved".into()),
                ..AlertQuery::default()
            },
        )?;
        alerts.retain(|alert| {
            let account = alert.alert.account.as_str();
            alert.status != rapport_core::alerts::AlertStatus::Snoozed
                && match watches.get(account) {
                    // Critical is the first of the priorities' order.
                    Some(lowest) => alert.alert.priority <= *lowest,
                    None => day_accounts.contains(account),
                }
        });
        // Critical first, then newest.
        alerts.sort_by(|a, b| {
            a.alert
                .priority
                .cmp(&b.alert.priority)
                .then(b.alert.opened_at.cmp(&a.alert.opened_at))
        });
        let alerts_open = alerts.len();
        alerts.truncate(DAY_ALERTS);

        let today = as_of.date();
        let mut tasks = self.tasks(
            person,
            &TaskQuery {
                owner: (!person.sees_every_account()).then(|| person.name.clone()),
                ..TaskQuery::default()
            },
        )?;
        tasks.retain(|task| day_accounts.contains(task.task.account.as_str()));
        let tasks_open = tasks.len();
        tasks.retain(|task| task.task.due <= today + Duration::days(TASK_DAYS));
        tasks.sort_by(|a, b| a.task.due.cmp(&b.task.due).then(a.task.id.cmp(&b.task.id)));
        let tasks_due = tasks.len();
        tasks.truncate(DAY_TASKS);

        let rows: Vec<AccountRow> = all_rows
            .into_iter()
            .filter(|row| {
                row.account.status == rapport_core::AccountStatus::Active
                    && day_accounts.contains(row.account.external_id.as_str())
            })
            .collect();
        let change = |row: &AccountRow| Some(row.engagement? - row.previous_engagement?);
        let mut moved: Vec<(f64, &AccountRow)> = rows
            .iter()
            .filter_map(|row| Some((change(row)?, row)))
            .filter(|(change, _)| *change != 0.0)
            .collect();
        moved.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.account.name.cmp(&b.1.account.name))
        });
        let rising = moved
            .iter()
            .filter(|(change, _)| *change > 0.0)
            .take(MOVERS)
            .map(|(_, row)| (*row).clone())
            .collect();
        let falling = moved
            .iter()
            .rev()
            .filter(|(change, _)| *change < 0.0)
            .take(MOVERS)
            .map(|(_, row)| (*row).clone())
            .collect();
        let horizon = today + Duration::days(RENEWAL_DAYS);
        let mut renewals: Vec<AccountRow> = rows
            .iter()
            .filter(|row| {
                row.account
                    .renewal_date
                    .is_some_and(|date| date >= today && date <= horizon)
            })
            .cloned()
            .collect();
        renewals.sort_by(|a, b| {
            a.account
                .renewal_date
                .cmp(&b.account.renewal_date)
                .then(a.account.name.cmp(&b.account.name))
        });
        let at_risk: Vec<&AccountRow> = renewals.iter().filter(|row| row.at_risk).collect();
        Ok(MyDay {
            as_of,
            name: person.name.clone(),
            alerts,
            alerts_open,
            tasks,
            tasks_due,
            tasks_open,
            rising,
            falling,
            renewals_at_risk: at_risk.len(),
            renewal_revenue_at_risk: at_risk.iter().map(|row| row.account.arr).sum(),
            renewals,
            team: leads,
            watches: watched,
        })
    }

    /// An account's activities before `before`, newest first, of `kinds`
    /// (every kind when empty; a refusal names `type`).
    pub fn timeline(
        &self,
        reference: &str,
        before: Timestamp,
        kinds: &[String],
    ) -> AppResult<Timeline> {
        for kind in kinds {
            if !TIMELINE_KINDS.iter().any(|(key, _)| key == kind) {
                let keys: Vec<&str> = TIMELINE_KINDS.iter().map(|(key, _)| *key).collect();
                return Err(AppError::invalid(
                    "type",
                    format!("`{kind}` is not one of {}", keys.join(", ")),
                ));
            }
        }
        let account = self.resolve(reference)?;
        let names: Vec<&str> = kinds.iter().map(String::as_str).collect();
        let mut activities =
            self.store
                .account_timeline(&account.external_id, before, &names, TIMELINE_ROWS + 1)?;
        let more = activities.len() > TIMELINE_ROWS;
        activities.truncate(TIMELINE_ROWS);
        Ok(Timeline {
            before,
            kinds: kinds.to_vec(),
            next_before: if more {
                activities.last().map(|activity| activity.at)
            } else {
                None
            },
            entries: activities.iter().map(entry).collect(),
        })
    }
}

fn entry(activity: &Activity) -> TimelineEntry {
    TimelineEntry {
        at: activity.at,
        kind: activity.detail.kind().as_str().to_string(),
        summary: describe(&activity.detail),
    }
}

/// A word of a stored key for people (`no_show`: "no show").
fn words(key: &str) -> String {
    key.replace('_', " ")
}

/// One line for people of what an activity records.
fn describe(detail: &ActivityDetail) -> String {
    let list = |items: &[rapport_core::Email]| {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let minutes = |value: &Option<f64>| {
        value.map_or_else(String::new, |minutes| {
            format!(
                ", {}",
                rapport_core::numbers::count(minutes.round() as u64, "minute", None)
            )
        })
    };
    match detail {
        ActivityDetail::Email {
            direction,
            from,
            to,
            subject,
            ..
        } => {
            let way = match direction {
                Direction::Inbound => format!("E-mail from {from}"),
                Direction::Outbound => format!("E-mail to {}", list(to)),
            };
            match subject {
                Some(subject) => format!("{way}: {subject}"),
                None => way,
            }
        }
        ActivityDetail::Meeting {
            status,
            kind,
            attendees,
            duration_min,
            recorded_by,
            ..
        } => {
            let mut line = format!(
                "Meeting ({}), {}{}",
                words(kind.as_str()),
                words(status.as_str()),
                minutes(duration_min)
            );
            if !attendees.is_empty() {
                line.push_str(&format!(" with {}", list(attendees)));
            }
            if let Some(by) = recorded_by {
                line.push_str(&format!("; recorded by {by}"));
            }
            line
        }
        ActivityDetail::Call {
            direction,
            contact,
            duration_min,
            connected,
        } => format!(
            "{} call{}{}{}",
            if *direction == Direction::Inbound {
                "Inbound"
            } else {
                "Outbound"
            },
            contact
                .as_ref()
                .map_or_else(String::new, |contact| format!(" with {contact}")),
            if *connected { "" } else { ", not connected" },
            minutes(duration_min)
        ),
        ActivityDetail::Ticket {
            ticket,
            status,
            severity,
            sentiment,
            ..
        } => format!(
            "Ticket {ticket}: {}, {} severity{}",
            words(status.as_str()),
            severity.as_str(),
            sentiment.map_or_else(String::new, |sentiment| format!(
                ", {} sentiment",
                sentiment.as_str()
            ))
        ),
        ActivityDetail::Login { user } => format!("Login by {user}"),
        ActivityDetail::Session { user, duration_min } => {
            format!("Session by {user}{}", minutes(&Some(*duration_min)))
        }
        ActivityDetail::FeatureUsed { user, feature } => format!("{user} used {feature}"),
        ActivityDetail::Training {
            contact,
            user,
            status,
        } => format!(
            "Training {}{}",
            words(status.as_str()),
            contact
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| user.as_ref().map(ToString::to_string))
                .map_or_else(String::new, |who| format!(" by {who}"))
        ),
        ActivityDetail::Nps { contact, score } => format!(
            "NPS {score}{}",
            contact
                .as_ref()
                .map_or_else(String::new, |contact| format!(" from {contact}"))
        ),
        ActivityDetail::Csat { contact, score } => format!(
            "CSAT {score}{}",
            contact
                .as_ref()
                .map_or_else(String::new, |contact| format!(" from {contact}"))
        ),
        ActivityDetail::Payment {
            invoice,
            amount,
            status,
            ..
        } => format!(
            "Invoice {invoice}: {}, {}",
            rapport_core::numbers::money(*amount),
            words(status.as_str())
        ),
        ActivityDetail::Community { contact, action } => {
            format!("Community {} by {contact}", action.as_str())
        }
    }
}

/// The tabs of an account's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountTab {
    Engagement,
    Success,
    Health,
    Activity,
}

impl AccountTab {
    pub const ALL: [AccountTab; 4] = [
        AccountTab::Engagement,
        AccountTab::Success,
        AccountTab::Health,
        AccountTab::Activity,
    ];

    /// `engagement` (the default), `success`, `health` or `activity`; a
    /// refusal names `tab`.
    pub fn parse(text: Option<&str>) -> AppResult<Self> {
        match text.map(str::trim).unwrap_or("") {
            "" | "engagement" => Ok(AccountTab::Engagement),
            "success" => Ok(AccountTab::Success),
            "health" => Ok(AccountTab::Health),
            "activity" => Ok(AccountTab::Activity),
            other => Err(AppError::invalid(
                "tab",
                format!("`{other}` is not engagement, success, health or activity"),
            )),
        }
    }
}

/// What an account's page shows: its header (the table's row, its open
/// alerts and tasks, its share links) and the one tab asked for.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPage {
    pub tab: AccountTab,
    pub row: AccountRow,
    pub contacts: usize,
    pub alerts: Vec<AlertView>,
    pub tasks: Vec<TaskView>,
    pub share_links: Vec<crate::sharing::ShareLinkListing>,
    /// The person's watch of this account's alerts.
    pub watch: Option<crate::watches::WatchView>,
    pub engagement: Option<rapport_core::engagement::EngagementBreakdown>,
    pub success: Option<rapport_core::account_success::AccountSuccess>,
    pub health: Option<rapport_core::health::HealthView>,
    pub timeline: Option<Timeline>,
    /// The Activity tab's calendar meetings (a no-show is recorded on them).
    pub meetings: Option<crate::meetings::AccountMeetings>,
}

/// An account page's request, parsed.
#[derive(Debug, Clone)]
pub struct AccountPageRequest {
    pub tab: AccountTab,
    pub engagement: crate::reports::EngagementRequest,
    /// The Activity tab's kinds and page.
    pub kinds: Vec<String>,
    pub before: Option<Timestamp>,
}

impl App {
    /// An account's page for `person` (who sees the account: the guard
    /// checked it).
    pub fn account_page(
        &self,
        person: &Person,
        reference: &str,
        request: &AccountPageRequest,
    ) -> AppResult<AccountPage> {
        let as_of = request.engagement.window.as_of;
        let account = self.visible_account(person, reference)?;
        let key = account.external_id.to_string();
        let row = self.account_row(&key, as_of)?;
        let contacts = self.store.account_contacts(&account.external_id)?.len();
        let alerts = self.alerts(
            person,
            &AlertQuery {
                status: Some("unresolved".into()),
                account: Some(key.clone()),
                ..AlertQuery::default()
            },
        )?;
        let mut tasks = self.tasks(
            person,
            &TaskQuery {
                account: Some(key.clone()),
                ..TaskQuery::default()
            },
        )?;
        tasks.sort_by(|a, b| a.task.due.cmp(&b.task.due).then(a.task.id.cmp(&b.task.id)));
        let share_links = self.share_links(person, Some(&key))?;
        let watch = self
            .alert_watches(person)?
            .into_iter()
            .find(|watch| watch.account == key);
        let mut page = AccountPage {
            tab: request.tab,
            row,
            contacts,
            alerts,
            tasks,
            share_links,
            watch,
            engagement: None,
            success: None,
            health: None,
            timeline: None,
            meetings: None,
        };
        match request.tab {
            AccountTab::Engagement => {
                page.engagement = Some((*self.engagement(&key, &request.engagement)?).clone());
            }
            AccountTab::Success => page.success = Some(self.success(&key, as_of, true, true)?),
            AccountTab::Health => page.health = Some(self.health(&key, as_of)?),
            AccountTab::Activity => {
                page.timeline =
                    Some(self.timeline(&key, request.before.unwrap_or(as_of), &request.kinds)?);
                page.meetings = Some(self.calendar_meetings(&key)?);
            }
        }
        Ok(page)
    }
}

/// Users a re-engagement campaign names at most (one task each).
pub const CAMPAIGN_USERS: usize = 25;

/// A re-engagement campaign's request: when its tasks are due, and who owns
/// them (the account's CSM when absent).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignRequest {
    pub due: chrono::NaiveDate,
    #[serde(default)]
    pub owner: Option<String>,
}

/// The tasks a campaign made, and the inactive users it left out (beyond
/// [`CAMPAIGN_USERS`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub tasks: Vec<TaskView>,
    pub inactive_users: usize,
}

impl App {
    /// A re-engagement campaign on an account `actor` may change: a task
    /// for each user seen on the account with no activity in the 30 days
    /// to `now` (the first [`CAMPAIGN_USERS`] by name), each audited.
    pub fn re_engagement_campaign(
        &self,
        actor: &Person,
        reference: &str,
        request: &CampaignRequest,
        now: Timestamp,
    ) -> AppResult<Campaign> {
        let account = self.account_to_change(actor, reference)?;
        if account.status == rapport_core::AccountStatus::Churned {
            return Err(AppError::Conflict(format!(
                "{} has churned: no campaign is started for it",
                account.name
            )));
        }
        let users = {
            let engine = self.read()?;
            engine
                .state
                .account(account.external_id.as_str())
                .map(|state| {
                    rapport_core::engine::evidence::inactive_users(
                        state,
                        Window::new(now, rapport_core::Period::DEFAULT),
                    )
                })
                .unwrap_or_default()
        };
        if users.is_empty() {
            return Err(AppError::Conflict(format!(
                "every user of {} was active in the last 30 days: nobody to re-engage",
                account.name
            )));
        }
        let key = account.external_id.to_string();
        let mut tasks = Vec::new();
        for user in users.iter().take(CAMPAIGN_USERS) {
            tasks.push(self.create_task(
                actor,
                &key,
                &rapport_core::tasks::TaskRequest {
                    title: format!("Re-engage {user}"),
                    detail: Some(format!(
                        "Re-engagement campaign: {user} has not used {} in the last 30 days. Reach out with a personalised note and a short session on what they need.",
                        account.name
                    )),
                    owner: request.owner.clone(),
                    due: request.due,
                    alert_id: None,
                },
                now,
            )?);
        }
        Ok(Campaign {
            tasks,
            inactive_users: users.len(),
        })
    }
}

/// The choices a page's filters offer the person: the CSMs of the accounts
/// they see, tiers, statuses, and the models' bands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilterOptions {
    pub csms: Vec<String>,
    pub tiers: Vec<String>,
    pub statuses: Vec<String>,
    /// Engagement bands (key, name), then `no_data`.
    pub bands: Vec<(String, String)>,
    pub health_bands: Vec<(String, String)>,
    /// The engagement score below which the overview calls engagement low.
    pub low_threshold: f64,
}

/// A model's bands (key, name), highest first, then `no_data`: what a band
/// filter takes.
fn band_choices(model: &rapport_core::scoring::model::Model) -> Vec<(String, String)> {
    model
        .bands
        .iter()
        .map(|band| (band.key.clone(), band.name.clone()))
        .chain([("no_data".to_string(), "No data".to_string())])
        .collect()
}

impl App {
    /// The filter choices for `person`.
    pub fn filter_options(&self, person: &Person) -> AppResult<FilterOptions> {
        let mut csms: Vec<String> = self
            .visible_accounts(person)?
            .into_iter()
            .map(|account| account.csm)
            .filter(|csm| !csm.trim().is_empty())
            .collect();
        csms.sort_by_key(|csm| csm.to_lowercase());
        csms.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let models = self.models();
        let engagement = &models.engagement.default;
        Ok(FilterOptions {
            csms,
            tiers: rapport_core::Tier::ALL
                .iter()
                .map(|tier| tier.as_str().to_string())
                .collect(),
            statuses: rapport_core::AccountStatus::ALL
                .iter()
                .map(|status| status.as_str().to_string())
                .chain(["all".to_string()])
                .collect(),
            bands: band_choices(engagement),
            health_bands: band_choices(&models.health),
            low_threshold: engagement.bands.get(1).map_or(60.0, |band| band.from),
        })
    }
}

impl App {
    /// The draft of an executive meeting request for an account's page: to
    /// its executive contacts (its champions when it has none), naming what
    /// the engagement breakdown says needs attention, from `sender`.
    pub fn exec_meeting_draft(
        &self,
        page: &AccountPage,
        sender: &str,
    ) -> AppResult<crate::pages::Draft> {
        let account = &page.row.account;
        let contacts = self.store.account_contacts(&account.external_id)?;
        let pick = |role: rapport_core::ContactRole| -> Vec<String> {
            contacts
                .iter()
                .filter(|contact| contact.role == role)
                .map(|contact| contact.email.to_string())
                .collect()
        };
        let mut to = pick(rapport_core::ContactRole::Executive);
        if to.is_empty() {
            to = pick(rapport_core::ContactRole::Champion);
        }
        let reasons: Vec<String> = match &page.engagement {
            Some(breakdown) => breakdown
                .recommendations
                .iter()
                .take(3)
                .map(|recommendation| recommendation.action.clone())
                .collect(),
            None => Vec::new(),
        };
        crate::pages::exec_draft(&account.name, &to, sender, &reasons).map_err(AppError::Render)
    }
}
