//! The portfolio engagement overview (seed 002, `definitions.md` §4): accounts
//! engaged, actively multi-threaded accounts, average engagement per account,
//! activity volume by revenue band, tier, engagement band and multi-threaded
//! users, notable engagement changes, and engagement's impact on at-risk
//! revenue, for the active accounts a filter (CSM, tier) keeps, with the
//! previous period beside every figure. Pure: the window and the models are
//! parameters. docs/overview.md gives each rule and the choices made.

use serde::Serialize;

use crate::access::Person;
use crate::domain::{AccountStatus, CustomerId, Tier};
use crate::engagement::breakdown::change_attribution;
use crate::engine::facts::factor_facts;
use crate::engine::state::range_of;
use crate::engine::{AccountState, PortfolioState, Window};
use crate::scoring::model::Model;
use crate::scoring::overrides::OverrideTrails;
use crate::scoring::score::{score, summary};
use crate::time::MILLIS_PER_DAY;

/// Which accounts the overview covers (besides being active).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewFilter {
    /// The CSM's name, compared case-insensitively.
    pub csm: Option<String>,
    pub tier: Option<Tier>,
    /// Only the accounts this person may see (a CSM's own and their
    /// team's); every account when absent.
    #[serde(skip)]
    pub visible_to: Option<Person>,
}

impl OverviewFilter {
    /// Whether the overview covers `account`: active and within the filter.
    pub fn keeps(&self, account: &crate::domain::Account) -> bool {
        account.status == AccountStatus::Active
            && self
                .csm
                .as_deref()
                .is_none_or(|csm| account.csm.trim().eq_ignore_ascii_case(csm.trim()))
            && self.tier.is_none_or(|tier| account.tier == tier)
            && self
                .visible_to
                .as_ref()
                .is_none_or(|person| person.sees(account))
    }
}

/// Activities counted by the overview (tickets, e-mails, meetings, calls).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityCounts {
    pub total: u64,
    pub tickets: u64,
    pub emails: u64,
    pub meetings: u64,
    pub calls: u64,
}

impl ActivityCounts {
    fn add(&mut self, other: ActivityCounts) {
        self.total += other.total;
        self.tickets += other.tickets;
        self.emails += other.emails;
        self.meetings += other.meetings;
        self.calls += other.calls;
    }
}

/// The headline figures of one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeadlineFigures {
    pub accounts: usize,
    pub accounts_engaged: usize,
    /// % of accounts with at least one ticket, e-mail, meeting or call in W.
    pub accounts_engaged_percent: Option<f64>,
    pub multi_threaded: usize,
    /// % of accounts where 2+ distinct contacts initiated contact in the last
    /// 90 days and at least one of them in W.
    pub multi_threaded_percent: Option<f64>,
    pub activities: ActivityCounts,
    /// Activities in W ÷ accounts.
    pub average_engagement_per_account: Option<f64>,
}

/// One row of an activity-volume chart, now and in the compare period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeRow {
    pub key: String,
    pub accounts: usize,
    pub activities: ActivityCounts,
    pub previous_accounts: usize,
    pub previous_activities: ActivityCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityVolume {
    pub by_revenue: Vec<VolumeRow>,
    pub by_tier: Vec<VolumeRow>,
    pub by_score_band: Vec<VolumeRow>,
    pub by_multi_threaded_users: Vec<VolumeRow>,
}

/// An account whose overall engagement moved most.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Mover {
    pub customer_id: CustomerId,
    pub account_name: String,
    pub tier: Tier,
    pub arr: f64,
    pub overall: f64,
    pub previous_overall: f64,
    pub change: f64,
    /// The factor that did most of the move (the largest gain of a rise, the
    /// largest loss of a fall), and its points.
    pub top_factor: Option<String>,
    pub top_factor_points: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotableChanges {
    pub up: Vec<Mover>,
    pub down: Vec<Mover>,
}

/// One cell of the low-engagement × at-risk matrix.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RiskCell {
    pub low_engagement: bool,
    pub at_risk: bool,
    pub accounts: usize,
    pub revenue: f64,
    pub previous_accounts: usize,
    pub previous_revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BandRevenue {
    pub band: String,
    /// The band's name for people ("Highly engaged"; "No data").
    pub band_name: String,
    pub accounts: usize,
    pub revenue: f64,
    pub previous_accounts: usize,
    pub previous_revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RiskAccount {
    pub customer_id: CustomerId,
    pub account_name: String,
    pub tier: Tier,
    pub csm: String,
    pub arr: f64,
    pub engagement: Option<f64>,
    pub engagement_band: Option<String>,
    pub health: Option<f64>,
    /// The health shown is a manual override in force.
    pub health_overridden: bool,
    pub at_risk_override: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtRiskRevenue {
    pub accounts: usize,
    pub revenue: f64,
    pub previous_accounts: usize,
    pub previous_revenue: f64,
    pub matrix: Vec<RiskCell>,
    pub revenue_by_band: Vec<BandRevenue>,
    pub highest_revenue_low_engagement: Vec<RiskAccount>,
    /// Of `accounts`, those at risk by a person's word: a manual health
    /// override in force or the key-moment flag.
    pub overridden: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub window: Window,
    pub compare_window: Window,
    pub filter: OverviewFilter,
    pub engagement_model: String,
    pub health_model: String,
    pub current: HeadlineFigures,
    pub previous: HeadlineFigures,
    pub volume: ActivityVolume,
    pub notable_changes: NotableChanges,
    pub at_risk: AtRiskRevenue,
}

/// Revenue bands (ARR): `< $10k`, `$10k–50k`, `$50k–100k`, `$100k–250k`, `$250k+`.
pub const REVENUE_BANDS: [(f64, &str); 5] = [
    (250_000.0, "$250k+"),
    (100_000.0, "$100k–250k"),
    (50_000.0, "$50k–100k"),
    (10_000.0, "$10k–50k"),
    (f64::NEG_INFINITY, "< $10k"),
];

/// Multi-threaded-user buckets: distinct engaged contacts in W.
pub const USER_BUCKETS: [(usize, &str); 5] = [(6, "6+"), (3, "3–5"), (2, "2"), (1, "1"), (0, "0")];

/// Movers listed each way.
pub const MOVERS: usize = 5;
/// Accounts listed as highest revenue with low engagement.
pub const HIGHEST_REVENUE_ROWS: usize = 10;

pub(crate) fn revenue_band(arr: f64) -> &'static str {
    REVENUE_BANDS
        .iter()
        .find(|(from, _)| arr >= *from)
        .map_or("< $10k", |(_, name)| name)
}

pub(crate) fn user_bucket(users: usize) -> &'static str {
    USER_BUCKETS
        .iter()
        .find(|(from, _)| users >= *from)
        .map_or("0", |(_, name)| name)
}

/// One account's figures for one window.
pub(crate) struct AccountFigures {
    pub(crate) activities: ActivityCounts,
    pub(crate) multi_threaded: bool,
    pub(crate) engaged_contacts: usize,
    pub(crate) engagement: Option<f64>,
    pub(crate) health: Option<f64>,
    /// The health in force is a manual override.
    pub(crate) health_overridden: bool,
}

/// One account's figures; its scores are those in force at the window's end
/// (a manual override's value while one is, as on the account's reports).
pub(crate) fn account_figures(
    portfolio: &PortfolioState,
    account: &AccountState,
    window: Window,
    engagement_model: &Model,
    health_model: &Model,
    overrides: &OverrideTrails,
) -> AccountFigures {
    let (start, end) = (window.start(), window.end());
    let tickets = range_of(&account.tickets, start, end, |t| t.at).len() as u64;
    let emails = range_of(&account.emails, start, end, |e| e.at).len() as u64;
    let meetings = range_of(&account.meetings, start, end, |m| m.at).len() as u64;
    let calls = range_of(&account.calls, start, end, |c| c.at).len() as u64;
    let lookback = end - 90 * MILLIS_PER_DAY;
    let (mut initiators, mut initiator_in_window) = (0, false);
    for instants in &account.initiations {
        let recent = range_of(instants, lookback, end, |instant| *instant);
        if recent.is_empty() {
            continue;
        }
        initiators += 1;
        initiator_in_window |= instants[recent].iter().any(|at| *at >= start);
    }
    let engaged_contacts = account
        .engagements
        .iter()
        .filter(|instants| !range_of(instants, start, end, |instant| *instant).is_empty())
        .count();
    let facts = factor_facts(portfolio, account, window);
    let external_id = account
        .account()
        .map_or("", |info| info.external_id.as_str());
    let (engagement, _) = overrides.effective(
        external_id,
        &engagement_model.name,
        summary(engagement_model, &facts).overall,
        window.as_of,
    );
    let (health, health_overridden) = overrides.effective(
        external_id,
        &health_model.name,
        summary(health_model, &facts).overall,
        window.as_of,
    );
    AccountFigures {
        activities: ActivityCounts {
            total: tickets + emails + meetings + calls,
            tickets,
            emails,
            meetings,
            calls,
        },
        multi_threaded: initiators >= 2 && initiator_in_window,
        engaged_contacts,
        engagement,
        health,
        health_overridden,
    }
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

fn headline(figures: &[&AccountFigures]) -> HeadlineFigures {
    let mut activities = ActivityCounts::default();
    for figure in figures {
        activities.add(figure.activities);
    }
    let accounts = figures.len();
    let engaged = figures.iter().filter(|f| f.activities.total > 0).count();
    let multi = figures.iter().filter(|f| f.multi_threaded).count();
    HeadlineFigures {
        accounts,
        accounts_engaged: engaged,
        accounts_engaged_percent: percent(engaged, accounts),
        multi_threaded: multi,
        multi_threaded_percent: percent(multi, accounts),
        activities,
        average_engagement_per_account: (accounts > 0)
            .then(|| activities.total as f64 / accounts as f64),
    }
}

/// The rows of one volume chart, in `keys` order, now and in the compare period.
fn volume_rows(
    keys: &[String],
    now: &[(String, ActivityCounts)],
    before: &[(String, ActivityCounts)],
) -> Vec<VolumeRow> {
    keys.iter()
        .map(|key| {
            let sum = |rows: &[(String, ActivityCounts)]| {
                let mut counts = ActivityCounts::default();
                let mut accounts = 0;
                for (row_key, row) in rows {
                    if row_key == key {
                        counts.add(*row);
                        accounts += 1;
                    }
                }
                (accounts, counts)
            };
            let (accounts, activities) = sum(now);
            let (previous_accounts, previous_activities) = sum(before);
            VolumeRow {
                key: key.clone(),
                accounts,
                activities,
                previous_accounts,
                previous_activities,
            }
        })
        .collect()
}

/// `figure` of every account, computed on every core (the accounts are
/// independent) and put back in the accounts' order.
pub(crate) fn on_every_core<T: Send>(
    accounts: &[&AccountState],
    figure: impl Fn(&AccountState) -> T + Sync,
) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = accounts.len().div_ceil(threads).max(1);
    let figure = &figure;
    std::thread::scope(|scope| {
        let parts: Vec<_> = accounts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|account| figure(account))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Whether an account is at risk: health in the health model's lowest band, or
/// the manual "key moment" override.
pub fn at_risk(health_model: &Model, health: Option<f64>, override_: bool) -> bool {
    let lowest = health_model.bands.last().map(|band| band.key.as_str());
    override_
        || health.is_some_and(|score| Some(health_model.band_of(score).key.as_str()) == lowest)
}

/// Whether an engagement score is low: in a band below the model's second
/// (below 60 in the shipped models: low or disengaged).
pub(crate) fn low_engagement(model: &Model, score: Option<f64>) -> bool {
    let threshold = model.bands.get(1).map_or(60.0, |band| band.from);
    score.is_some_and(|score| score < threshold)
}

/// The overview of the active accounts `filter` keeps, over `window` against
/// `compare_window`.
pub fn overview(
    portfolio: &PortfolioState,
    engagement_model: &Model,
    health_model: &Model,
    window: Window,
    compare_window: Window,
    filter: &OverviewFilter,
    overrides: &OverrideTrails,
) -> Overview {
    let accounts: Vec<&AccountState> = portfolio
        .accounts()
        .filter(|state| state.account().is_some_and(|account| filter.keeps(account)))
        .collect();
    let figures = |window: Window| -> Vec<AccountFigures> {
        on_every_core(&accounts, |account| {
            account_figures(
                portfolio,
                account,
                window,
                engagement_model,
                health_model,
                overrides,
            )
        })
    };
    let (now, before) = (figures(window), figures(compare_window));
    let info = |index: usize| accounts[index].account().expect("filtered on a record");

    let keyed = |figures: &[AccountFigures], key: &dyn Fn(usize, &AccountFigures) -> String| {
        figures
            .iter()
            .enumerate()
            .map(|(index, figure)| (key(index, figure), figure.activities))
            .collect::<Vec<_>>()
    };
    let band_key = |figure: &AccountFigures| {
        figure.engagement.map_or_else(
            || "no_data".to_string(),
            |score| engagement_model.band_of(score).key.clone(),
        )
    };
    let revenue_keys: Vec<String> = REVENUE_BANDS
        .iter()
        .rev()
        .map(|(_, name)| name.to_string())
        .collect();
    let tier_keys: Vec<String> = Tier::ALL
        .iter()
        .map(|tier| tier.as_str().to_string())
        .collect();
    let mut band_keys: Vec<String> = engagement_model
        .bands
        .iter()
        .map(|band| band.key.clone())
        .collect();
    band_keys.push("no_data".into());
    let user_keys: Vec<String> = USER_BUCKETS
        .iter()
        .rev()
        .map(|(_, name)| name.to_string())
        .collect();
    let by_revenue = |figures: &[AccountFigures]| {
        keyed(figures, &|index, _| {
            revenue_band(info(index).arr).to_string()
        })
    };
    let by_tier = |figures: &[AccountFigures]| {
        keyed(figures, &|index, _| info(index).tier.as_str().to_string())
    };
    let by_band = |figures: &[AccountFigures]| keyed(figures, &|_, figure| band_key(figure));
    let by_users = |figures: &[AccountFigures]| {
        keyed(figures, &|_, figure| {
            user_bucket(figure.engaged_contacts).to_string()
        })
    };
    let volume = ActivityVolume {
        by_revenue: volume_rows(&revenue_keys, &by_revenue(&now), &by_revenue(&before)),
        by_tier: volume_rows(&tier_keys, &by_tier(&now), &by_tier(&before)),
        by_score_band: volume_rows(&band_keys, &by_band(&now), &by_band(&before)),
        by_multi_threaded_users: volume_rows(&user_keys, &by_users(&now), &by_users(&before)),
    };

    // Notable changes: the largest moves of the overall, with the factor that
    // moved most (from the change attribution of the full scorecards).
    let mut moves: Vec<(usize, f64, f64, f64)> = now
        .iter()
        .zip(&before)
        .enumerate()
        .filter_map(|(index, (now, before))| {
            let (current, previous) = (now.engagement?, before.engagement?);
            Some((index, current, previous, current - previous))
        })
        .collect();
    moves.sort_by(|a, b| b.3.total_cmp(&a.3).then(a.0.cmp(&b.0)));
    let mover = |&(index, overall, previous_overall, change): &(usize, f64, f64, f64)| {
        let account = accounts[index];
        let record = info(index);
        let current = score(engagement_model, &factor_facts(portfolio, account, window));
        let previous = score(
            engagement_model,
            &factor_facts(portfolio, account, compare_window),
        );
        let top = change_attribution(&current, &previous)
            .unwrap_or_default()
            .into_iter()
            // The factor that did most of the move: the largest gain of a
            // rise, the largest loss of a fall.
            .max_by(|a, b| (a.points * change.signum()).total_cmp(&(b.points * change.signum())));
        Mover {
            customer_id: record.customer_id(),
            account_name: record.name.clone(),
            tier: record.tier,
            arr: record.arr,
            overall,
            previous_overall,
            change,
            top_factor: top.as_ref().map(|change| change.name.clone()),
            top_factor_points: top.map(|change| change.points),
        }
    };
    let notable_changes = NotableChanges {
        up: moves
            .iter()
            .filter(|m| m.3 > 0.0)
            .take(MOVERS)
            .map(mover)
            .collect(),
        down: moves
            .iter()
            .rev()
            .filter(|m| m.3 < 0.0)
            .take(MOVERS)
            .map(mover)
            .collect(),
    };

    // At-risk revenue.
    let risk = |figures: &[AccountFigures], index: usize| {
        at_risk(
            health_model,
            figures[index].health,
            info(index).at_risk_override,
        )
    };
    let mut matrix = Vec::new();
    for low in [true, false] {
        for risky in [true, false] {
            let cell = |figures: &[AccountFigures]| {
                let members: Vec<usize> = (0..figures.len())
                    .filter(|index| {
                        low_engagement(engagement_model, figures[*index].engagement) == low
                            && risk(figures, *index) == risky
                    })
                    .collect();
                let revenue: f64 = members.iter().map(|index| info(*index).arr).sum();
                (members.len(), revenue)
            };
            let ((accounts, revenue), (previous_accounts, previous_revenue)) =
                (cell(&now), cell(&before));
            matrix.push(RiskCell {
                low_engagement: low,
                at_risk: risky,
                accounts,
                revenue,
                previous_accounts,
                previous_revenue,
            });
        }
    }
    let totals = |figures: &[AccountFigures]| {
        let members: Vec<usize> = (0..figures.len())
            .filter(|index| risk(figures, *index))
            .collect();
        (
            members.len(),
            members.iter().map(|index| info(*index).arr).sum::<f64>(),
        )
    };
    let ((risk_accounts, risk_revenue), (previous_risk_accounts, previous_risk_revenue)) =
        (totals(&now), totals(&before));
    let revenue_by_band = band_keys
        .iter()
        .map(|band| {
            let sum = |figures: &[AccountFigures]| {
                let members: Vec<usize> = (0..figures.len())
                    .filter(|index| band_key(&figures[*index]) == *band)
                    .collect();
                (
                    members.len(),
                    members.iter().map(|index| info(*index).arr).sum::<f64>(),
                )
            };
            let ((accounts, revenue), (previous_accounts, previous_revenue)) =
                (sum(&now), sum(&before));
            BandRevenue {
                band_name: if band == "no_data" {
                    "No data".to_string()
                } else {
                    engagement_model.band_name(band).to_string()
                },
                band: band.clone(),
                accounts,
                revenue,
                previous_accounts,
                previous_revenue,
            }
        })
        .collect();
    let mut highest: Vec<usize> = (0..now.len())
        .filter(|index| {
            risk(&now, *index) && low_engagement(engagement_model, now[*index].engagement)
        })
        .collect();
    highest.sort_by(|a, b| info(*b).arr.total_cmp(&info(*a).arr).then(a.cmp(b)));
    let highest_revenue_low_engagement = highest
        .into_iter()
        .take(HIGHEST_REVENUE_ROWS)
        .map(|index| {
            let record = info(index);
            RiskAccount {
                customer_id: record.customer_id(),
                account_name: record.name.clone(),
                tier: record.tier,
                csm: record.csm.clone(),
                arr: record.arr,
                engagement: now[index].engagement,
                engagement_band: now[index]
                    .engagement
                    .map(|score| engagement_model.band_of(score).key.clone()),
                health: now[index].health,
                health_overridden: now[index].health_overridden,
                at_risk_override: record.at_risk_override,
            }
        })
        .collect();

    let refs = |figures: &[AccountFigures]| -> HeadlineFigures {
        headline(&figures.iter().collect::<Vec<_>>())
    };
    Overview {
        window,
        compare_window,
        filter: filter.clone(),
        engagement_model: engagement_model.name.clone(),
        health_model: health_model.name.clone(),
        current: refs(&now),
        previous: refs(&before),
        volume,
        notable_changes,
        at_risk: AtRiskRevenue {
            accounts: risk_accounts,
            revenue: risk_revenue,
            previous_accounts: previous_risk_accounts,
            previous_revenue: previous_risk_revenue,
            matrix,
            revenue_by_band,
            highest_revenue_low_engagement,
            overridden: (0..now.len())
                .filter(|index| {
                    risk(&now, *index)
                        && (now[*index].health_overridden || info(*index).at_risk_override)
                })
                .count(),
        },
    }
}
