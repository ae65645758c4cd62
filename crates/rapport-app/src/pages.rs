//! The dashboard's pages: each page's template (`templates/pages/`) over
//! the structure its use case returns (the API's own), with the page's
//! frame (who is signed in, the navigation, the CSRF token its forms send),
//! the links that keep every state in the URL, and the charts' geometry
//! (`charts.rs`). Rendering only: no store, no engine.

use chrono::{Duration, NaiveDate};
use minijinja::{Value, context};
use rapport_core::access::{Permission, Person};
use rapport_core::engagement::EngagementBreakdown;
use rapport_core::portfolio::overview::Overview;
use serde::Serialize;

use crate::charts::{BarInput, bar_chart, gauge, line_chart, stacked_bar};
use crate::dashboard::{
    AccountPage, AccountTab, AccountsQuery, AccountsTable, FilterOptions, MyDay, TIMELINE_KINDS,
};
use crate::render::document;

/// One link of the navigation.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// The frame of every page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chrome {
    pub name: String,
    pub role: String,
    /// The session's CSRF token for the page's forms (none for a page
    /// opened with a Bearer token: it offers no changes that would work).
    pub csrf: Option<String>,
    pub can_write: bool,
    pub admin: bool,
    pub nav: Vec<NavItem>,
    /// Cache-busting for the assets.
    pub version: &'static str,
    /// A snooze button's end: a week from today.
    pub snooze_until: String,
    pub today: NaiveDate,
    /// Each band's tone (`good`, `info`, `warn`, `bad`) by its place among
    /// its model's bands, so a deployment's own bands read right too.
    pub tones: std::collections::BTreeMap<String, &'static str>,
}

/// The sections of the navigation: (section, label, path, admin only).
const SECTIONS: [(&str, &str, &str, bool); 7] = [
    ("day", "My day", "/", false),
    ("portfolio", "Portfolio", "/portfolio", false),
    ("accounts", "Accounts", "/accounts", false),
    ("alerts", "Alerts", "/alerts", false),
    ("tasks", "Tasks", "/tasks", false),
    ("webhooks", "Webhooks", "/settings/webhooks", true),
    ("model", "Model", "/settings/model", true),
];

impl Chrome {
    /// The frame for `person` (none for a refusal before anyone is known)
    /// on `section`.
    pub fn new(
        person: Option<&Person>,
        csrf: Option<String>,
        section: &str,
        today: NaiveDate,
        models: Option<&crate::models::ModelSet>,
    ) -> Chrome {
        let allows = |permission| person.is_some_and(|person| person.may(permission));
        let admin = allows(Permission::Admin);
        Chrome {
            name: person.map(|person| person.name.clone()).unwrap_or_default(),
            role: person
                .map(|person| person.role.as_str().to_string())
                .unwrap_or_default(),
            can_write: csrf.is_some() && allows(Permission::Write),
            csrf,
            admin,
            nav: SECTIONS
                .iter()
                .filter(|(_, _, _, admin_only)| admin || !admin_only)
                .map(|(key, label, href, _)| NavItem {
                    label,
                    href,
                    current: *key == section,
                })
                .collect(),
            version: env!("CARGO_PKG_VERSION"),
            snooze_until: (today + Duration::days(7)).to_string(),
            today,
            tones: models.map(band_tones).unwrap_or_default(),
        }
    }
}

/// The tone of each band of the engagement and health models: the first
/// band `good`, the last `bad`, those between `info` up to the middle and
/// `warn` after it.
fn band_tones(
    models: &crate::models::ModelSet,
) -> std::collections::BTreeMap<String, &'static str> {
    let mut tones = std::collections::BTreeMap::new();
    for model in [&models.health, &models.engagement.default] {
        let last = model.bands.len().saturating_sub(1).max(1) as f64;
        for (index, band) in model.bands.iter().enumerate() {
            let place = index as f64 / last;
            let tone = if index == 0 {
                "good"
            } else if place >= 1.0 {
                "bad"
            } else if place <= 0.5 {
                "info"
            } else {
                "warn"
            };
            tones.insert(band.key.clone(), tone);
        }
    }
    tones
}

/// A path with its query string (empty values left out).
pub fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (key, value) in pairs {
        if !value.is_empty() {
            query.append_pair(key, value);
            any = true;
        }
    }
    if any {
        format!("{path}?{}", query.finish())
    } else {
        path.to_string()
    }
}

fn page(name: &str, chrome: &Chrome, data: Value) -> Result<String, String> {
    let mut merged: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
    merged.insert("chrome".into(), Value::from_serialize(chrome));
    merged.insert("today".into(), Value::from(chrome.today.to_string()));
    if let Ok(keys) = data.try_iter() {
        for key in keys {
            if let Ok(value) = data.get_item(&key) {
                merged.insert(key.to_string(), value);
            }
        }
    }
    document(name, Value::from(merged))
}

/// The sign-in page, going on to `next` once signed in.
pub fn sign_in(next: &str, message: Option<&str>) -> Result<String, String> {
    document(
        "pages/sign_in.html",
        context! { next => next, message => message, version => env!("CARGO_PKG_VERSION") },
    )
}

/// A page saying why a page cannot be shown.
pub fn error(chrome: &Chrome, title: &str, message: &str) -> Result<String, String> {
    page(
        "pages/error.html",
        chrome,
        context! { title => title, message => message },
    )
}

/// The person's day.
pub fn my_day(chrome: &Chrome, day: &MyDay) -> Result<String, String> {
    page(
        "pages/my_day.html",
        chrome,
        context! { d => Value::from_serialize(day) },
    )
}

fn query_pairs(query: &AccountsQuery) -> Vec<(&'static str, String)> {
    let field = |value: &Option<String>| value.clone().unwrap_or_default();
    vec![
        ("q", field(&query.q)),
        ("band", field(&query.band)),
        ("health", field(&query.health)),
        ("trend", field(&query.trend)),
        ("tier", field(&query.tier)),
        ("csm", field(&query.csm)),
        ("status", field(&query.status)),
        ("revenue", field(&query.revenue)),
        ("users", field(&query.users)),
        ("risk", field(&query.risk)),
        ("low", field(&query.low)),
        ("renewsWithin", field(&query.renews_within)),
        ("period", field(&query.period)),
        ("comparePeriod", field(&query.compare_period)),
        ("asOf", field(&query.as_of)),
        ("sort", field(&query.sort)),
        ("dir", field(&query.dir)),
        ("limit", field(&query.limit)),
        ("offset", field(&query.offset)),
    ]
}

fn with(
    pairs: &[(&'static str, String)],
    changes: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = pairs
        .iter()
        .filter(|(key, _)| !changes.iter().any(|(changed, _)| changed == key))
        .cloned()
        .collect();
    pairs.extend(changes.iter().map(|(key, value)| (*key, value.to_string())));
    pairs
}

fn link(path: &str, pairs: &[(&'static str, String)]) -> String {
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    href(path, &borrowed)
}

#[derive(Serialize)]
struct Column {
    key: &'static str,
    label: &'static str,
    numeric: bool,
    optional: bool,
    href: String,
}

/// The accounts table.
pub fn accounts(
    chrome: &Chrome,
    table: &AccountsTable,
    query: &AccountsQuery,
    options: &FilterOptions,
) -> Result<String, String> {
    let pairs = query_pairs(query);
    let columns: Vec<Column> = [
        ("name", "Account", false, false),
        ("engagement", "Engagement", true, false),
        ("change", "Change", true, false),
        ("band", "Band", false, false),
        ("trend", "Trend", false, false),
        ("health", "Health", true, false),
        ("arr", "ARR", true, false),
        ("renewal", "Renewal", false, true),
        ("csm", "CSM", false, true),
        ("tier", "Tier", false, true),
    ]
    .into_iter()
    .map(|(key, label, numeric, optional)| {
        // A column's link sorts by it; the sorted column's link turns it round.
        let dir = if table.sort == key {
            if table.descending { "asc" } else { "desc" }
        } else {
            ""
        };
        Column {
            key,
            label,
            numeric,
            optional,
            href: link(
                "/accounts",
                &with(&pairs, &[("sort", key), ("dir", dir), ("offset", "")]),
            ),
        }
    })
    .collect();
    let page_link = |offset: usize| {
        let offset = offset.to_string();
        link("/accounts", &with(&pairs, &[("offset", offset.as_str())]))
    };
    let previous = (table.offset > 0).then(|| page_link(table.offset.saturating_sub(table.limit)));
    let next =
        (table.offset + table.limit < table.total).then(|| page_link(table.offset + table.limit));
    let csv = link(
        "/api/portfolio/accounts",
        &with(
            &pairs,
            &[("format", "csv"), ("offset", ""), ("limit", "1000")],
        ),
    );
    let band_name = |key: &str, bands: &[(String, String)]| {
        bands
            .iter()
            .find(|(band, _)| band == key)
            .map_or_else(|| key.to_string(), |(_, name)| name.clone())
    };
    let mut active = Vec::new();
    if let Some(revenue) = &query.revenue {
        active.push(format!("ARR {revenue}"));
    }
    if let Some(users) = &query.users {
        active.push(format!("{users} engaged users"));
    }
    if let Some(band) = &query.band {
        active.push(format!("Engagement: {}", band_name(band, &options.bands)));
    }
    match query.low.as_deref() {
        Some("true") => active.push("Low engagement".into()),
        Some("false") => active.push("Not low engagement".into()),
        _ => {}
    }
    page(
        "pages/accounts.html",
        chrome,
        context! {
            t => Value::from_serialize(table),
            q => Value::from_serialize(query),
            options => Value::from_serialize(options),
            columns => Value::from_serialize(&columns),
            previous => previous,
            next => next,
            csv => csv,
            active => active,
        },
    )
}

/// The query of the portfolio page, as its URL gave it.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortfolioQuery {
    pub csm: Option<String>,
    pub tier: Option<String>,
    pub period: Option<String>,
    pub compare_period: Option<String>,
    pub as_of: Option<String>,
}

/// The portfolio overview with its charts; every bar and cell opens the
/// accounts table filtered to the accounts it counts.
pub fn portfolio(
    chrome: &Chrome,
    overview: &Overview,
    query: &PortfolioQuery,
    options: &FilterOptions,
) -> Result<String, String> {
    let base: Vec<(&'static str, String)> = vec![
        ("csm", query.csm.clone().unwrap_or_default()),
        ("tier", query.tier.clone().unwrap_or_default()),
        ("period", query.period.clone().unwrap_or_default()),
        (
            "comparePeriod",
            query.compare_period.clone().unwrap_or_default(),
        ),
        ("asOf", query.as_of.clone().unwrap_or_default()),
    ];
    let accounts_with =
        |key: &'static str, value: &str| link("/accounts", &with(&base, &[(key, value)]));
    let volume = |title: &str,
                  rows: &[rapport_core::portfolio::overview::VolumeRow],
                  key: &'static str,
                  label: &dyn Fn(&str) -> String,
                  colour: usize| {
        bar_chart(
            title,
            rows.iter()
                .map(|row| BarInput {
                    label: format!("{} ({})", label(&row.key), row.accounts),
                    value: row.activities.total as f64,
                    previous: Some(row.previous_activities.total as f64),
                    href: Some(accounts_with(key, &row.key)),
                    text: rapport_core::numbers::grouped(row.activities.total),
                })
                .collect(),
            colour,
        )
    };
    let same = |key: &str| key.to_string();
    let tier = |key: &str| crate::render::label(key);
    let band = |key: &str| {
        options
            .bands
            .iter()
            .find(|(band, _)| band == key)
            .map_or_else(|| crate::render::label(key), |(_, name)| name.clone())
    };
    let users = |key: &str| format!("{key} {}", if key == "1" { "user" } else { "users" });
    let revenue_by_band = bar_chart(
        "Revenue by engagement band",
        overview
            .at_risk
            .revenue_by_band
            .iter()
            .map(|row| BarInput {
                label: format!("{} ({})", row.band_name, row.accounts),
                value: row.revenue,
                previous: Some(row.previous_revenue),
                href: Some(accounts_with("band", &row.band)),
                text: rapport_core::numbers::money(row.revenue),
            })
            .collect(),
        2,
    );
    let charts = context! {
        revenue => Value::from_serialize(volume("Activity by revenue", &overview.volume.by_revenue, "revenue", &same, 0)),
        tier => Value::from_serialize(volume("Activity by tier", &overview.volume.by_tier, "tier", &tier, 0)),
        band => Value::from_serialize(volume("Activity by engagement band", &overview.volume.by_score_band, "band", &band, 0)),
        users => Value::from_serialize(volume("Activity by multi-threaded users", &overview.volume.by_multi_threaded_users, "users", &users, 0)),
        revenueByBand => Value::from_serialize(revenue_by_band),
    };
    let links = context! {
        all => link("/accounts", &base),
        atRisk => accounts_with("risk", "true"),
        lowAtRisk => link("/accounts", &with(&base, &[("risk", "true"), ("low", "true"), ("sort", "arr")])),
        // `sort` makes sure of a query string the cells add to.
        matrix => link("/accounts", &with(&base, &[("sort", "arr")])),
    };
    page(
        "pages/portfolio.html",
        chrome,
        context! {
            o => Value::from_serialize(overview),
            q => Value::from_serialize(query),
            options => Value::from_serialize(options),
            charts => charts,
            links => links,
        },
    )
}

/// The query of an account's page, as its URL gave it.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPageQuery {
    pub tab: Option<String>,
    pub period: Option<String>,
    pub compare_period: Option<String>,
    pub as_of: Option<String>,
    pub model: Option<String>,
    /// The Activity tab's kinds (repeated `type`).
    #[serde(default, rename = "type")]
    pub kinds: Vec<String>,
    pub before: Option<String>,
}

/// "Jul 2026" for "2026-07".
fn month_label(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_or_else(
        |_| month.to_string(),
        |date| date.format("%b %Y").to_string(),
    )
}

fn engagement_charts(b: &EngagementBreakdown) -> Value {
    let components: Vec<(String, f64, Option<f64>)> = b
        .components
        .iter()
        .map(|component| {
            (
                component.name.clone(),
                component.contribution,
                Some(component.weight),
            )
        })
        .collect();
    let labels: Vec<String> = b
        .history
        .iter()
        .map(|month| month_label(&month.month))
        .collect();
    let mut series: Vec<(String, Vec<Option<f64>>)> = vec![(
        "Overall".to_string(),
        b.history.iter().map(|month| month.overall).collect(),
    )];
    for component in &b.components {
        series.push((
            component.name.clone(),
            b.history
                .iter()
                .map(|month| {
                    month
                        .components
                        .iter()
                        .find(|(key, _)| *key == component.key)
                        .and_then(|(_, score)| *score)
                })
                .collect(),
        ));
    }
    context! {
        gauge => Value::from_serialize(gauge("Engagement", b.overall, &components, Some(b.tier_target))),
        composition => Value::from_serialize(stacked_bar("Score composition", &components)),
        history => Value::from_serialize(line_chart("Engagement by month", &labels, &series, Some((0.0, 100.0)), None)),
    }
}

fn health_charts(h: &rapport_core::health::HealthView) -> Value {
    let components: Vec<(String, f64, Option<f64>)> = h
        .report
        .components
        .iter()
        .map(|component| {
            (
                component.score.name.clone(),
                component.score.contribution,
                Some(component.score.weight),
            )
        })
        .collect();
    context! {
        gauge => Value::from_serialize(gauge("Health", h.report.score, &components, None)),
        composition => Value::from_serialize(stacked_bar("Health composition", &components)),
    }
}

/// Each metric's history as a line chart (none for fewer than two points).
fn metric_charts(success: &rapport_core::account_success::AccountSuccess) -> Value {
    let mut charts = std::collections::BTreeMap::new();
    for goal in &success.report.goals {
        for metric in &goal.metrics {
            let points = &metric.trend.points;
            let chart = (points.len() >= 2).then(|| {
                let labels: Vec<String> =
                    points.iter().map(|point| point.date.to_string()).collect();
                line_chart(
                    &format!("{} over time", metric.name),
                    &labels,
                    &[(
                        metric.name.clone(),
                        points.iter().map(|point| Some(point.value)).collect(),
                    )],
                    None,
                    Some((
                        metric.target,
                        format!(
                            "target {}",
                            rapport_core::numbers::measure(metric.target, &metric.unit)
                        ),
                    )),
                )
            });
            charts.insert(metric.id.clone(), Value::from_serialize(chart));
        }
    }
    Value::from(charts)
}

/// An e-mail asking the account's executive sponsor for a meeting.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub href: String,
}

/// The draft of an executive meeting request to `to` (the account's
/// executive contacts), from `sender`.
pub fn exec_draft(
    account: &str,
    to: &[String],
    sender: &str,
    reasons: &[String],
) -> Result<Draft, String> {
    // The template's first line is the subject, the rest the message.
    let text = document(
        "pages/exec_draft.txt",
        context! { account => account, sender => sender, reasons => reasons },
    )?;
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let (subject, body) = (subject.trim().to_string(), body.to_string());
    let encode = |text: &str| -> String {
        form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    let href = format!(
        "mailto:{}?subject={}&body={}",
        to.iter()
            .map(|to| encode(to).replace("%40", "@"))
            .collect::<Vec<_>>()
            .join(","),
        encode(&subject),
        encode(&body)
    );
    Ok(Draft {
        to: to.join(", "),
        subject,
        body,
        href,
    })
}

/// An account's page, on its tab.
pub fn account(
    chrome: &Chrome,
    page_data: &AccountPage,
    query: &AccountPageQuery,
    draft: &Draft,
) -> Result<String, String> {
    let id = page_data.row.account.id.to_string();
    let path = format!("/accounts/{id}");
    let keep: Vec<(&'static str, String)> = vec![
        ("period", query.period.clone().unwrap_or_default()),
        (
            "comparePeriod",
            query.compare_period.clone().unwrap_or_default(),
        ),
        ("asOf", query.as_of.clone().unwrap_or_default()),
    ];
    let tabs: Vec<Value> = AccountTab::ALL
        .iter()
        .map(|tab| {
            let key = serde_json::to_value(tab)
                .ok()
                .and_then(|value| value.as_str().map(str::to_string))
                .unwrap_or_default();
            context! {
                label => crate::render::label(&key),
                href => link(&path, &with(&keep, &[("tab", key.as_str())])),
                current => *tab == page_data.tab,
            }
        })
        .collect();
    let charts = match (&page_data.engagement, &page_data.health) {
        (Some(breakdown), _) => engagement_charts(breakdown),
        (_, Some(health)) => health_charts(health),
        _ => Value::from(()),
    };
    // At-risk goals first, then the rest in their order.
    let goals: Vec<Value> = page_data
        .success
        .as_ref()
        .map(|success| {
            let mut goals: Vec<&rapport_core::success::engine::GoalView> =
                success.report.goals.iter().collect();
            goals.sort_by_key(|goal| {
                goal.status != rapport_core::success::engine::GoalStatus::AtRisk
            });
            goals.into_iter().map(Value::from_serialize).collect()
        })
        .unwrap_or_default();
    let metric_charts = page_data
        .success
        .as_ref()
        .map_or_else(|| Value::from(()), metric_charts);
    let attribution: Vec<Value> = page_data
        .engagement
        .as_ref()
        .and_then(|b| b.change_attribution.as_ref())
        .map(|changes| {
            let mut changes: Vec<_> = changes
                .iter()
                .filter(|change| change.points.abs() >= 0.05)
                .collect();
            changes.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));
            changes.into_iter().map(Value::from_serialize).collect()
        })
        .unwrap_or_default();
    let older = page_data
        .timeline
        .as_ref()
        .and_then(|timeline| timeline.next_before)
        .map(|before| {
            let mut pairs: Vec<(&str, String)> =
                vec![("tab", "activity".into()), ("before", before.to_string())];
            pairs.extend(query.kinds.iter().map(|kind| ("type", kind.clone())));
            let borrowed: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(key, value)| (*key, value.as_str()))
                .collect();
            href(&path, &borrowed)
        });
    let agenda = page_data
        .engagement
        .as_ref()
        .map(|b| {
            b.recommendations
                .iter()
                .take(3)
                .map(|r| r.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "the factors below target".to_string());
    let open_tasks: Vec<Value> = page_data
        .tasks
        .iter()
        .filter(|task| matches!(task.task.state, rapport_core::tasks::TaskState::Open))
        .map(Value::from_serialize)
        .collect();
    page(
        "pages/account.html",
        chrome,
        context! {
            p => Value::from_serialize(page_data),
            q => Value::from_serialize(query),
            tabs => tabs,
            charts => charts,
            goals => goals,
            metric_charts => metric_charts,
            attribution => attribution,
            older => older,
            kinds => TIMELINE_KINDS.iter().map(|(key, _)| *key).collect::<Vec<_>>(),
            kind_names => Value::from_serialize(
                TIMELINE_KINDS.iter().copied().collect::<std::collections::BTreeMap<_, _>>()
            ),
            agenda => agenda,
            draft => Value::from_serialize(draft),
            open_tasks => open_tasks,
            week_ahead => (chrome.today + Duration::days(7)).to_string(),
            now => Value::from_serialize(rapport_core::Timestamp::start_of_day(chrome.today)),
        },
    )
}

/// Rows a list page (alerts, tasks) shows at a time.
pub const LIST_ROWS: usize = 100;

/// One page of `rows` from `offset` (the API's paging rule), how many rows
/// there are, and the pager's links (previous, next).
fn paged<T>(
    rows: Vec<T>,
    offset: Option<usize>,
    path: &str,
    pairs: &[(&'static str, String)],
) -> (Vec<T>, usize, Value) {
    let offset = offset.unwrap_or(0);
    let (shown, total) = crate::paging::Page {
        limit: Some(LIST_ROWS),
        offset,
    }
    .of(rows);
    let at = |offset: usize| {
        let offset = offset.to_string();
        link(path, &with(pairs, &[("offset", offset.as_str())]))
    };
    let end = offset + shown.len();
    let pager = context! {
        first => if shown.is_empty() { 0 } else { offset + 1 },
        last => end,
        previous => (offset > 0).then(|| at(offset.saturating_sub(LIST_ROWS))),
        next => (end < total).then(|| at(end)),
    };
    (shown, total, pager)
}

/// The query of the alerts page, as its URL gave it (the API's filters).
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertsPageQuery {
    /// The first row shown (pages of [`LIST_ROWS`]).
    pub offset: Option<usize>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub rule: Option<String>,
    pub csm: Option<String>,
    pub account: Option<String>,
}

impl AlertsPageQuery {
    pub fn alert_query(&self) -> crate::alerts::AlertQuery {
        crate::alerts::AlertQuery {
            status: self.status.clone(),
            account: self.account.clone(),
            csm: self.csm.clone(),
            priority: self.priority.clone(),
            rule: self.rule.clone(),
        }
    }
}

/// The alerts inbox: highest priority first, then newest.
pub fn alerts(
    chrome: &Chrome,
    alerts: &[crate::alerts::AlertView],
    query: &AlertsPageQuery,
    options: &FilterOptions,
) -> Result<String, String> {
    let mut sorted: Vec<&crate::alerts::AlertView> = alerts.iter().collect();
    sorted.sort_by(|a, b| {
        a.alert
            .priority
            .cmp(&b.alert.priority)
            .then(b.alert.opened_at.cmp(&a.alert.opened_at))
    });
    let pairs: Vec<(&'static str, String)> = vec![
        ("status", query.status.clone().unwrap_or_default()),
        ("priority", query.priority.clone().unwrap_or_default()),
        ("rule", query.rule.clone().unwrap_or_default()),
        ("csm", query.csm.clone().unwrap_or_default()),
        ("account", query.account.clone().unwrap_or_default()),
    ];
    let (shown, total, pager) = paged(sorted, query.offset, "/alerts", &pairs);
    page(
        "pages/alerts.html",
        chrome,
        context! {
            total => total,
            pager => pager,
            alerts => Value::from_serialize(&shown),
            q => Value::from_serialize(query),
            options => Value::from_serialize(options),
            rules => rapport_core::alerts::RULES.to_vec(),
        },
    )
}

/// The query of the tasks page, as its URL gave it.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TasksPageQuery {
    /// The first row shown (pages of [`LIST_ROWS`]).
    pub offset: Option<usize>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub account: Option<String>,
    /// `week`: overdue or due within seven days.
    pub due: Option<String>,
}

impl TasksPageQuery {
    /// The API's query for this page on `today` (a refusal names `due`).
    pub fn task_query(&self, today: NaiveDate) -> crate::AppResult<crate::tasks::TaskQuery> {
        let due_before = match self.due.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("week") => Some((today + Duration::days(8)).to_string()),
            Some(other) => {
                return Err(crate::AppError::invalid(
                    "due",
                    format!("`{other}` is not week"),
                ));
            }
        };
        Ok(crate::tasks::TaskQuery {
            account: self.account.clone(),
            owner: self.owner.clone(),
            status: self.status.clone(),
            due_before,
        })
    }
}

/// The task list.
pub fn tasks(
    chrome: &Chrome,
    tasks: &[crate::tasks::TaskView],
    query: &TasksPageQuery,
    options: &FilterOptions,
) -> Result<String, String> {
    let pairs: Vec<(&'static str, String)> = vec![
        ("status", query.status.clone().unwrap_or_default()),
        ("owner", query.owner.clone().unwrap_or_default()),
        ("account", query.account.clone().unwrap_or_default()),
        ("due", query.due.clone().unwrap_or_default()),
    ];
    let (shown, total, pager) = paged(tasks.iter().collect(), query.offset, "/tasks", &pairs);
    page(
        "pages/tasks.html",
        chrome,
        context! {
            total => total,
            pager => pager,
            tasks => Value::from_serialize(&shown),
            q => Value::from_serialize(query),
            options => Value::from_serialize(options),
        },
    )
}

/// The webhook subscriptions (an admin's page).
pub fn webhooks(
    chrome: &Chrome,
    webhooks: &[crate::webhooks::SubscriptionView],
) -> Result<String, String> {
    page(
        "pages/webhooks.html",
        chrome,
        context! {
            webhooks => Value::from_serialize(webhooks),
            rules => rapport_core::alerts::RULES.to_vec(),
        },
    )
}

/// The model settings of one model (`engagement` or `health`), an admin's page.
pub fn model(
    chrome: &Chrome,
    settings: &crate::models::ModelSettings,
    all: &[crate::models::ModelSettings],
) -> Result<String, String> {
    let roles: Vec<Value> = all
        .iter()
        .map(|model| context! { role => model.role.clone(), name => model.name.clone() })
        .collect();
    page(
        "pages/model.html",
        chrome,
        context! { s => Value::from_serialize(settings), roles => roles },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bands_tone_follows_its_place_among_its_models_bands() {
        let models = crate::models::ModelSet::configured(&crate::AppConfig::shipped());
        let tones = band_tones(&models);
        let tone = |key: &str| tones.get(key).copied();
        assert_eq!(tone("highly_engaged"), Some("good"));
        assert_eq!(tone("moderately_engaged"), Some("info"));
        assert_eq!(tone("low"), Some("warn"));
        assert_eq!(tone("disengaged"), Some("bad"));
        assert_eq!(tone("healthy"), Some("good"));
        assert_eq!(tone("neutral"), Some("info"));
        assert_eq!(tone("at_risk"), Some("bad"));
    }
}
