//! The book of business: the CS team, and for each account its plan — tier,
//! ARR, seats, contract dates, contacts, product users, the latent engagement
//! curve that drives every activity, and the renewal outcomes it led to.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use crate::catalogue::FEATURES;
use crate::sample::{
    DemoRng, chance, index, log_uniform, logistic, normal, pick, skewed_in_range, uniform,
};
use crate::words::{
    ADMIN_TITLES, COMPANY_HEADS, COMPANY_SECTORS, COMPANY_SUFFIXES, COMPANY_TAILS, DEPARTMENTS,
    FIRST_NAMES, INDUSTRIES, LAST_NAMES,
};

/// The domain of our own customer-success team's email addresses.
pub(crate) const TEAM_DOMAIN: &str = "rapport-cs.example";

/// Account #0 of every portfolio, the account the product's examples talk about.
pub(crate) const FLAGSHIP_NAME: &str = "Acme Corp";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    Strategic,
    Growth,
    Core,
    Nurture,
}

impl Tier {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tier::Strategic => "strategic",
            Tier::Growth => "growth",
            Tier::Core => "core",
            Tier::Nurture => "nurture",
        }
    }

    fn arr_range(self) -> (f64, f64) {
        match self {
            Tier::Strategic => (150_000.0, 600_000.0),
            Tier::Growth => (50_000.0, 150_000.0),
            Tier::Core => (15_000.0, 50_000.0),
            Tier::Nurture => (3_000.0, 15_000.0),
        }
    }

    /// Yearly price per seat, and the seat range the tier keeps to.
    fn seat_pricing(self) -> ((f64, f64), (u32, u32)) {
        match self {
            Tier::Strategic => ((1_400.0, 1_600.0), (100, 400)),
            Tier::Growth => ((1_500.0, 2_000.0), (25, 100)),
            Tier::Core => ((1_100.0, 1_500.0), (8, 45)),
            Tier::Nurture => ((550.0, 650.0), (5, 25)),
        }
    }

    fn contact_range(self) -> (usize, usize) {
        match self {
            Tier::Strategic => (8, 20),
            Tier::Growth => (5, 12),
            Tier::Core => (3, 7),
            Tier::Nurture => (1, 4),
        }
    }

    /// Large deployments never have every provisioned seat in use.
    pub(crate) fn max_active_share(self) -> f64 {
        match self {
            Tier::Strategic => 0.75,
            Tier::Growth => 0.9,
            Tier::Core => 0.95,
            Tier::Nurture => 1.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Executive,
    Champion,
    PowerUser,
    User,
    Admin,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Executive => "executive",
            Role::Champion => "champion",
            Role::PowerUser => "power_user",
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// How readily this person answers our emails and calls, relative to others.
    pub(crate) fn responsiveness(self) -> f64 {
        match self {
            Role::Champion => 3.0,
            Role::PowerUser => 1.5,
            Role::Admin => 1.0,
            Role::User => 0.7,
            Role::Executive => 0.35,
        }
    }
}

pub(crate) struct Person {
    pub name: String,
    pub email: String,
}

/// Our customer-success team: CSMs, each reporting to one of 2–3 managers.
pub(crate) struct Team {
    pub csms: Vec<Person>,
    pub managers: Vec<Person>,
}

impl Team {
    pub(crate) fn new(rng: &mut DemoRng, accounts: usize) -> Team {
        let csm_count = accounts.div_ceil(25).max(3);
        let manager_count = if csm_count <= 8 { 2 } else { 3 };
        let mut taken = HashSet::new();
        let mut person = |rng: &mut DemoRng| loop {
            let first = *pick(rng, FIRST_NAMES);
            let last = *pick(rng, LAST_NAMES);
            let name = format!("{first} {last}");
            if taken.insert(name.clone()) {
                let email = format!(
                    "{}.{}@{TEAM_DOMAIN}",
                    first.to_lowercase(),
                    last.to_lowercase()
                );
                return Person { name, email };
            }
            // A team larger than the name space gets numbered names.
            if taken.len() >= FIRST_NAMES.len() * LAST_NAMES.len() / 2 {
                let name = format!("{first} {last} {}", taken.len());
                let email = format!(
                    "{}.{}{}@{TEAM_DOMAIN}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    taken.len()
                );
                taken.insert(name.clone());
                return Person { name, email };
            }
        };
        let managers = (0..manager_count).map(|_| person(rng)).collect();
        let csms = (0..csm_count).map(|_| person(rng)).collect();
        Team { csms, managers }
    }

    pub(crate) fn manager_of(&self, csm: usize) -> &Person {
        &self.managers[csm % self.managers.len()]
    }
}

pub(crate) struct Contact {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: &'static str,
    pub title: &'static str,
    /// From this day on (days relative to the end, negative) the contact is
    /// gone: no replies, meetings, calls or logins. The lost-champion pattern.
    pub silent_from: Option<f64>,
}

impl Contact {
    #[inline]
    pub(crate) fn reachable_at(&self, relative_day: f64) -> bool {
        self.silent_from.is_none_or(|from| relative_day < from)
    }
}

/// Someone who uses the product: a contact, or an end user known only by email.
pub(crate) struct ProductUser {
    pub contact: Option<u16>,
    /// The user belongs to the account's active pool on a day when this rank
    /// is below the day's active share, so a falling share drops the least
    /// committed users first.
    pub pool_rank: f64,
    /// How often this user logs in compared with the account's average user.
    pub intensity: f64,
}

/// How the account's latent engagement moves over time.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Drift {
    Flat,
    /// Loses `amount` between the two relative days (linearly).
    Declining {
        onset: f64,
        done: f64,
        amount: f64,
    },
    Improving {
        onset: f64,
        done: f64,
        amount: f64,
    },
    /// Fades to almost nothing by the churn day.
    Churning {
        onset: f64,
        churn: f64,
    },
}

/// The account's latent engagement in [0, 1] at any moment, with separate
/// offsets so communication and product use need not move in lockstep.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EngagementCurve {
    pub base: f64,
    pub communication_offset: f64,
    pub product_offset: f64,
    pub drift: Drift,
    wobble_amplitude: f64,
    wobble_period: f64,
    wobble_phase: f64,
}

fn ramp(x: f64, from: f64, to: f64) -> f64 {
    if to <= from {
        return if x >= to { 1.0 } else { 0.0 };
    }
    ((x - from) / (to - from)).clamp(0.0, 1.0)
}

impl EngagementCurve {
    /// Overall level on `relative_day` (days before the end are negative).
    pub(crate) fn level(&self, relative_day: f64) -> f64 {
        let wobble = self.wobble_amplitude
            * (std::f64::consts::TAU * relative_day / self.wobble_period + self.wobble_phase).sin();
        let mut level = self.base + wobble;
        match self.drift {
            Drift::Flat => {}
            Drift::Declining {
                onset,
                done,
                amount,
            } => level -= amount * ramp(relative_day, onset, done),
            Drift::Improving {
                onset,
                done,
                amount,
            } => level += amount * ramp(relative_day, onset, done),
            Drift::Churning { onset, churn } => {
                let fade = ramp(relative_day, onset, churn);
                level = level * (1.0 - fade) + 0.04 * fade;
            }
        }
        level.clamp(0.02, 0.98)
    }

    pub(crate) fn communication(&self, relative_day: f64) -> f64 {
        (self.level(relative_day) + self.communication_offset).clamp(0.02, 0.98)
    }

    pub(crate) fn product(&self, relative_day: f64) -> f64 {
        (self.level(relative_day) + self.product_offset).clamp(0.02, 0.98)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutcomeKind {
    Renewed,
    Churned,
    Expanded,
    Contracted,
}

impl OutcomeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Renewed => "renewed",
            OutcomeKind::Churned => "churned",
            OutcomeKind::Expanded => "expanded",
            OutcomeKind::Contracted => "contracted",
        }
    }
}

pub(crate) struct Outcome {
    pub date: NaiveDate,
    pub kind: OutcomeKind,
    pub arr_change: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Billing {
    Monthly,
    Quarterly,
}

impl Billing {
    pub(crate) fn months(self) -> u32 {
        match self {
            Billing::Monthly => 1,
            Billing::Quarterly => 3,
        }
    }
}

/// Everything about one account that does not change day by day.
pub(crate) struct AccountPlan {
    /// 0-based position in the portfolio.
    pub index: usize,
    pub id: String,
    pub name: String,
    /// The customer's email domain, derived from the name.
    pub domain: String,
    pub tier: Tier,
    pub arr: u64,
    pub seats: Option<u32>,
    pub csm: usize,
    pub industry: &'static str,
    pub contract_start: NaiveDate,
    pub renewal_date: NaiveDate,
    /// Set for churned accounts: nothing happens from this day on.
    pub churn_date: Option<NaiveDate>,
    pub at_risk_override: bool,
    pub curve: EngagementCurve,
    pub contacts: Vec<Contact>,
    pub users: Vec<ProductUser>,
    /// Hours the customer's business day is shifted from UTC.
    pub utc_offset_hours: i32,
    pub billing: Billing,
    /// Per catalogue feature: the product engagement above which the account uses it.
    pub feature_thresholds: Vec<f64>,
    pub outcomes: Vec<Outcome>,
}

impl AccountPlan {
    pub(crate) fn status(&self) -> &'static str {
        if self.churn_date.is_some() {
            "churned"
        } else {
            "active"
        }
    }

    /// The user string of product user `user`: a contact's email, or `uN@domain`.
    pub(crate) fn write_user(&self, user: u32, out: &mut Vec<u8>) {
        let product_user = &self.users[user as usize];
        match product_user.contact {
            Some(contact) => {
                out.extend_from_slice(self.contacts[contact as usize].email.as_bytes())
            }
            None => {
                out.push(b'u');
                crate::jsonl::push_u64(out, u64::from(user) + 1);
                out.push(b'@');
                out.extend_from_slice(self.domain.as_bytes());
            }
        }
    }
}

/// The names already given in this portfolio, so every account's is unique.
pub(crate) struct NameRegistry {
    taken: HashSet<String>,
}

impl NameRegistry {
    pub(crate) fn new() -> Self {
        let mut taken = HashSet::new();
        taken.insert(FLAGSHIP_NAME.to_string());
        NameRegistry { taken }
    }

    fn company_name(&mut self, rng: &mut DemoRng) -> String {
        let mut name = String::new();
        for _ in 0..12 {
            let suffix = *pick(rng, COMPANY_SUFFIXES);
            name = format!(
                "{}{} {}",
                pick(rng, COMPANY_HEADS),
                pick(rng, COMPANY_TAILS),
                pick(rng, COMPANY_SECTORS)
            );
            if !suffix.is_empty() {
                name.push(' ');
                name.push_str(suffix);
            }
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
        for number in 2.. {
            let numbered = format!("{name} {number}");
            if self.taken.insert(numbered.clone()) {
                return numbered;
            }
        }
        unreachable!("an unbounded range always yields a free name")
    }
}

/// `Brightwater Analytics Inc` → `brightwater-analytics-inc.example`.
fn domain_of(name: &str) -> String {
    let mut domain = String::with_capacity(name.len() + 8);
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !domain.is_empty() {
            domain.push('-');
        }
        domain.push_str(&word.to_ascii_lowercase());
    }
    domain.push_str(".example");
    domain
}

fn add_years(date: NaiveDate, years: i32) -> NaiveDate {
    let year = date.year() + years;
    date.with_year(year).unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(year, date.month(), 28).expect("the 28th exists")
    })
}

/// The inputs every account plan needs from the configuration.
pub(crate) struct PlanContext<'a> {
    pub accounts: usize,
    pub days: u32,
    pub end: NaiveDate,
    pub team: &'a Team,
}

pub(crate) fn account_id(index: usize, accounts: usize) -> String {
    let width = accounts.to_string().len().max(4);
    format!("acc-{:0width$}", index + 1)
}

pub(crate) fn plan_account(
    index: usize,
    context: &PlanContext<'_>,
    names: &mut NameRegistry,
    rng: &mut DemoRng,
) -> AccountPlan {
    let flagship = index == 0;
    let end = context.end;
    let tier = if flagship {
        Tier::Strategic
    } else {
        draw_tier(rng)
    };
    let name = if flagship {
        FLAGSHIP_NAME.to_string()
    } else {
        names.company_name(rng)
    };
    let domain = domain_of(&name);
    let (arr_low, arr_high) = tier.arr_range();
    let arr = if flagship {
        150_000
    } else {
        ((skewed_in_range(rng, arr_low, arr_high) / 100.0).round() * 100.0) as u64
    };
    let ((price_low, price_high), (seats_low, seats_high)) = tier.seat_pricing();
    let provisioned = ((arr as f64 / uniform(rng, price_low, price_high)).round() as u32)
        .clamp(seats_low, seats_high);
    let seats = if !flagship && chance(rng, 0.03) {
        None
    } else {
        Some(provisioned)
    };
    let csm = index % context.team.csms.len();
    let industry = if flagship {
        "Manufacturing"
    } else {
        *pick(rng, INDUSTRIES)
    };

    let mut base = draw_base_engagement(rng, tier);
    let churn_probability = 0.01 + 0.25 * logistic(12.0 * (0.3 - base));
    let churned = !flagship && chance(rng, churn_probability);

    let (drift, churn_date, contract_start, renewal_date) = if churned {
        let latest = (i64::from(context.days) - 3).clamp(3, 150);
        let back = rng.random_range(3..=latest);
        let churn_date = end - Days::new(back as u64);
        let churn = -(back as f64);
        let onset = churn - uniform(rng, 60.0, 90.0);
        let contract_start = add_years(churn_date, -(1 + crate::sample::index(rng, 3) as i32));
        (
            Drift::Churning { onset, churn },
            Some(churn_date),
            contract_start,
            churn_date,
        )
    } else {
        let drift_draw = crate::sample::unit(rng);
        let drift = if flagship {
            Drift::Flat
        } else if drift_draw < 0.15 {
            base = base.max(uniform(rng, 0.5, 0.8));
            Drift::Declining {
                onset: -uniform(rng, 60.0, 90.0),
                done: -uniform(rng, 0.0, 10.0),
                amount: uniform(rng, 0.3, 0.55),
            }
        } else if drift_draw < 0.25 {
            base = base.min(uniform(rng, 0.2, 0.55));
            Drift::Improving {
                onset: -uniform(rng, 60.0, 120.0),
                done: -uniform(rng, 0.0, 15.0),
                amount: uniform(rng, 0.2, 0.4),
            }
        } else {
            Drift::Flat
        };
        let age_days = rng.random_range(366..=4 * 365_u64);
        let contract_start = end - Days::new(age_days);
        let mut renewal = contract_start;
        while renewal < end {
            renewal = add_years(renewal, 1);
        }
        (drift, None, contract_start, renewal)
    };
    if flagship {
        base = 0.66;
    }
    let curve = EngagementCurve {
        base,
        communication_offset: if flagship {
            0.08
        } else {
            normal(rng, 0.0, 0.07)
        },
        product_offset: if flagship {
            0.0
        } else {
            normal(rng, 0.0, 0.07)
        },
        drift,
        wobble_amplitude: uniform(rng, 0.005, 0.025),
        wobble_period: uniform(rng, 20.0, 45.0),
        wobble_phase: uniform(rng, 0.0, std::f64::consts::TAU),
    };
    let at_risk_probability = match drift {
        Drift::Declining { .. } => 0.08,
        Drift::Churning { .. } => 0.05,
        _ => 0.01,
    };
    let at_risk_override = !flagship && chance(rng, at_risk_probability);

    let contacts = plan_contacts(rng, tier, &domain, flagship, churned);
    let users = plan_users(rng, &contacts, seats.unwrap_or(provisioned));
    let utc_offset_hours =
        [-5, -6, -8, -5, 0, 1, 1, -7, 8, 10, -3, -5][crate::sample::index(rng, 12)];
    let billing = match tier {
        Tier::Strategic | Tier::Growth if chance(rng, 0.6) => Billing::Quarterly,
        Tier::Core | Tier::Nurture if chance(rng, 0.3) => Billing::Quarterly,
        _ => Billing::Monthly,
    };
    let feature_thresholds = FEATURES
        .iter()
        .map(|feature| crate::sample::unit(rng) * feature.importance.adoption_difficulty())
        .collect();

    let history_days = context.days.max(365);
    let outcomes = if flagship {
        // The product's worked example renews.
        anniversaries(contract_start, end, history_days)
            .map(|date| Outcome {
                date,
                kind: OutcomeKind::Renewed,
                arr_change: 0,
            })
            .collect()
    } else {
        plan_outcomes(
            rng,
            contract_start,
            churn_date,
            arr,
            &curve,
            end,
            history_days,
        )
    };

    AccountPlan {
        index,
        id: account_id(index, context.accounts),
        name,
        domain,
        tier,
        arr,
        seats,
        csm,
        industry,
        contract_start,
        renewal_date,
        churn_date,
        at_risk_override,
        curve,
        contacts,
        users,
        utc_offset_hours,
        billing,
        feature_thresholds,
        outcomes,
    }
}

/// The tier mix of a B2B book: ~8% strategic, 22% growth, 40% core, 30% nurture.
fn draw_tier(rng: &mut DemoRng) -> Tier {
    match crate::sample::unit(rng) {
        d if d < 0.08 => Tier::Strategic,
        d if d < 0.30 => Tier::Growth,
        d if d < 0.70 => Tier::Core,
        _ => Tier::Nurture,
    }
}

/// Latent engagement: a varied mix of healthy, middling and struggling
/// accounts; strategic accounts get a little more attention and it shows.
fn draw_base_engagement(rng: &mut DemoRng, tier: Tier) -> f64 {
    let mixture = crate::sample::unit(rng);
    let mut base = if mixture < 0.35 {
        normal(rng, 0.72, 0.10)
    } else if mixture < 0.75 {
        normal(rng, 0.50, 0.10)
    } else {
        normal(rng, 0.25, 0.10)
    };
    if tier == Tier::Strategic {
        base += 0.04;
    }
    base.clamp(0.04, 0.95)
}

/// Contract anniversaries before `end` and no more than `history_days` before it.
fn anniversaries(
    contract_start: NaiveDate,
    end: NaiveDate,
    history_days: u32,
) -> impl Iterator<Item = NaiveDate> {
    let history_start = end - Days::new(u64::from(history_days));
    (1..)
        .map(move |years| add_years(contract_start, years))
        .take_while(move |date| *date < end)
        .filter(move |date| *date >= history_start)
}

/// One outcome per contract anniversary in the outcome history (the window,
/// and at least the last year): churned on the churn date, else drawn from
/// the engagement the account had on the day.
fn plan_outcomes(
    rng: &mut DemoRng,
    contract_start: NaiveDate,
    churn_date: Option<NaiveDate>,
    arr: u64,
    curve: &EngagementCurve,
    end: NaiveDate,
    history_days: u32,
) -> Vec<Outcome> {
    anniversaries(contract_start, end, history_days)
        .map(|date| {
            if Some(date) == churn_date {
                Outcome {
                    date,
                    kind: OutcomeKind::Churned,
                    arr_change: -(arr as i64),
                }
            } else {
                let relative_day = -((end - date).num_days() as f64);
                draw_outcome(rng, date, arr, curve.level(relative_day))
            }
        })
        .collect()
}

/// A renewal decided by a logistic function of engagement plus noise: engaged
/// accounts mostly renew or expand, disengaged ones more often contract.
fn draw_outcome(rng: &mut DemoRng, date: NaiveDate, arr: u64, engagement: f64) -> Outcome {
    let healthy = logistic(7.0 * (engagement - 0.42) + normal(rng, 0.0, 0.9));
    let arr = arr as f64;
    if chance(rng, healthy) {
        if chance(rng, 0.1 + 0.4 * engagement) {
            let change = (arr * uniform(rng, 0.10, 0.40)).round() as i64;
            return Outcome {
                date,
                kind: OutcomeKind::Expanded,
                arr_change: change,
            };
        }
        Outcome {
            date,
            kind: OutcomeKind::Renewed,
            arr_change: 0,
        }
    } else if chance(rng, 0.75) {
        let change = (arr * uniform(rng, 0.10, 0.30)).round() as i64;
        Outcome {
            date,
            kind: OutcomeKind::Contracted,
            arr_change: -change,
        }
    } else {
        Outcome {
            date,
            kind: OutcomeKind::Renewed,
            arr_change: 0,
        }
    }
}

fn plan_contacts(
    rng: &mut DemoRng,
    tier: Tier,
    domain: &str,
    flagship: bool,
    churned: bool,
) -> Vec<Contact> {
    let (low, high) = tier.contact_range();
    let count = low + index(rng, high - low + 1);
    let nurture = tier == Tier::Nurture;

    // Roles by priority: the first `count` of these are kept.
    let mut roles = Vec::with_capacity(count + 4);
    let champions = if flagship {
        1
    } else if chance(rng, 0.10) {
        0
    } else if nurture || !chance(rng, 0.4) {
        1
    } else {
        2
    };
    let has_executive = flagship
        || if nurture {
            chance(rng, 0.35)
        } else {
            !chance(rng, 0.04)
        };
    if has_executive && !nurture {
        roles.push(Role::Executive);
    }
    roles.extend(std::iter::repeat_n(Role::Champion, champions));
    if has_executive && nurture {
        roles.push(Role::Executive);
    }
    if count >= 3 && chance(rng, 0.6) {
        roles.push(Role::Admin);
    }
    while roles.len() < count {
        roles.push(if chance(rng, 0.4) {
            Role::PowerUser
        } else {
            Role::User
        });
    }
    roles.truncate(count);

    let primary_department = *pick(rng, &[0usize, 0, 0, 1, 2, 3, 4, 6]);
    // Some accounts lose their champion: silent for the last 45+ days.
    let lost_champion = !flagship && !churned && champions > 0 && chance(rng, 0.12);
    // Whole days, so a contact is either around all day or not at all.
    let champion_silent_from = lost_champion.then(|| -uniform(rng, 45.0, 80.0).round());

    let mut used_emails = HashSet::new();
    let mut contacts = Vec::with_capacity(roles.len());
    for (position, role) in roles.into_iter().enumerate() {
        let (first, last) = if flagship && role == Role::Champion {
            ("Sarah", "Chen")
        } else {
            (*pick(rng, FIRST_NAMES), *pick(rng, LAST_NAMES))
        };
        let department = match role {
            Role::Admin => &DEPARTMENTS[2],
            Role::Champion if position <= 1 => &DEPARTMENTS[primary_department],
            Role::Executive => {
                &DEPARTMENTS[if chance(rng, 0.6) {
                    primary_department
                } else {
                    index(rng, DEPARTMENTS.len())
                }]
            }
            _ => {
                if chance(rng, 0.5) {
                    &DEPARTMENTS[primary_department]
                } else {
                    pick(rng, DEPARTMENTS)
                }
            }
        };
        let title = *match role {
            Role::Executive => pick(rng, department.executive),
            Role::Champion => pick(rng, department.champion),
            Role::Admin => pick(rng, ADMIN_TITLES),
            Role::PowerUser | Role::User => pick(rng, department.practitioner),
        };
        let local = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
        let mut email = format!("{local}@{domain}");
        let mut number = 2;
        while !used_emails.insert(email.clone()) {
            email = format!("{local}{number}@{domain}");
            number += 1;
        }
        contacts.push(Contact {
            email,
            name: format!("{first} {last}"),
            role,
            department: department.name,
            title,
            silent_from: if role == Role::Champion {
                champion_silent_from
            } else {
                None
            },
        });
    }
    contacts
}

/// Keeps only the account's first `1..=max_users` product users (a uniform
/// draw; contacts come first, so the committed users stay), as in a product
/// whose accounts have a handful of users each, and shrinks the provisioned
/// seats to match (most of them assigned, as [`plan_users`] fills them).
pub(crate) fn cap_users(plan: &mut AccountPlan, max_users: u32, rng: &mut DemoRng) {
    let cap = rng.random_range(1..=max_users.max(1)) as usize;
    let assigned_share = uniform(rng, 0.85, 1.0);
    if plan.users.len() <= cap {
        return;
    }
    plan.users.truncate(cap);
    if let Some(seats) = &mut plan.seats {
        let needed = (cap as f64 / assigned_share).round() as u32;
        *seats = (*seats).min(needed.max(cap as u32));
    }
}

fn plan_users(rng: &mut DemoRng, contacts: &[Contact], seats: u32) -> Vec<ProductUser> {
    let mut users = Vec::with_capacity(seats as usize + 4);
    for (position, contact) in contacts.iter().enumerate() {
        let (rank_low, rank_high, intensity) = match contact.role {
            Role::Champion => (0.0, 0.3, 1.6),
            Role::PowerUser => (0.0, 0.35, 1.6),
            Role::Admin => (0.0, 0.5, 1.2),
            Role::User => (0.0, 1.0, 1.0),
            Role::Executive if chance(rng, 0.3) => (0.3, 1.0, 0.5),
            Role::Executive => continue,
        };
        users.push(ProductUser {
            contact: Some(position as u16),
            pool_rank: uniform(rng, rank_low, rank_high),
            intensity: intensity * log_uniform(rng, 0.5, 2.0),
        });
    }
    // End users fill most of the provisioned seats; a few seats sit unassigned.
    let population = (f64::from(seats) * uniform(rng, 0.85, 1.0)).round() as usize;
    while users.len() < population {
        users.push(ProductUser {
            contact: None,
            pool_rank: crate::sample::unit(rng),
            intensity: log_uniform(rng, 0.4, 2.2),
        });
    }
    users
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::account_rng;

    #[test]
    fn domains_come_from_names() {
        assert_eq!(domain_of("Acme Corp"), "acme-corp.example");
        assert_eq!(
            domain_of("Brightwater Analytics Inc 2"),
            "brightwater-analytics-inc-2.example"
        );
    }

    #[test]
    fn anniversaries_of_a_leap_day_fall_on_the_28th() {
        let leap = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(
            add_years(leap, 1),
            NaiveDate::from_ymd_opt(2025, 2, 28).unwrap()
        );
        assert_eq!(
            add_years(leap, 4),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
    }

    #[test]
    fn declining_curves_fall_and_churning_ones_fade() {
        let curve = |drift| EngagementCurve {
            base: 0.7,
            communication_offset: 0.0,
            product_offset: 0.0,
            drift,
            wobble_amplitude: 0.0,
            wobble_period: 30.0,
            wobble_phase: 0.0,
        };
        let declining = curve(Drift::Declining {
            onset: -80.0,
            done: -5.0,
            amount: 0.4,
        });
        assert!((declining.level(-100.0) - 0.7).abs() < 1e-9);
        assert!((declining.level(-1.0) - 0.3).abs() < 1e-9);
        let churning = curve(Drift::Churning {
            onset: -90.0,
            churn: -10.0,
        });
        assert!(churning.level(-10.0) < 0.05);
        let improving = curve(Drift::Improving {
            onset: -60.0,
            done: 0.0,
            amount: 0.2,
        });
        assert!(improving.level(-1.0) > improving.level(-60.0));
    }

    #[test]
    fn low_engagement_renews_less_than_high_engagement() {
        let mut rng = account_rng(9, 0);
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let healthy_share = |rng: &mut DemoRng, engagement: f64| {
            (0..2000)
                .filter(|_| {
                    matches!(
                        draw_outcome(rng, date, 10_000, engagement).kind,
                        OutcomeKind::Renewed | OutcomeKind::Expanded
                    )
                })
                .count()
        };
        let high = healthy_share(&mut rng, 0.85);
        let low = healthy_share(&mut rng, 0.15);
        assert!(high > 1700 && low < 1200, "high {high}, low {low}");
    }

    #[test]
    fn contacts_have_the_roles_of_their_tier() {
        let mut rng = account_rng(5, 1);
        for _ in 0..200 {
            let contacts = plan_contacts(&mut rng, Tier::Strategic, "x.example", false, false);
            assert!((8..=20).contains(&contacts.len()));
            let executives = contacts
                .iter()
                .filter(|c| c.role == Role::Executive)
                .count();
            assert!(executives <= 1);
            let emails: HashSet<&str> = contacts.iter().map(|c| c.email.as_str()).collect();
            assert_eq!(emails.len(), contacts.len());
        }
        let flagship = plan_contacts(&mut rng, Tier::Strategic, "acme-corp.example", true, false);
        assert!(
            flagship
                .iter()
                .any(|c| c.role == Role::Champion && c.name == "Sarah Chen")
        );
        assert!(flagship.iter().any(|c| c.role == Role::Executive));
    }
}
