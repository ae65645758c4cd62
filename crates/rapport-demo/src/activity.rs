//! One account's activities: product use, email threads, meetings, calls,
//! tickets, trainings, surveys, payments and community, all driven by the
//! account's latent engagement on the day they happen.
//!
//! An account's events are held just long enough to sort them by time.

use chrono::{Days, Months, NaiveDate};

use crate::catalogue::FEATURES;
use crate::event::{
    CommunityAction, Event, Kind, MeetingKind, MeetingStatus, PaymentStatus, Sentiment, Severity,
    TicketStatus,
};
use crate::portfolio::{AccountPlan, Contact, Role, Tier};
use crate::sample::{
    DemoRng, chance, index, log_uniform, normal, pick, poisson, uniform, weighted,
};
use crate::words::{INBOUND_SUBJECTS, OUTBOUND_SUBJECTS, TICKET_TAGS, UNCATALOGUED_FEATURES};

const DAY: i64 = 86_400;
const HOUR: f64 = 3_600.0;
/// Our CSM team works on US Eastern time.
const TEAM_UTC_OFFSET_HOURS: f64 = -5.0;

/// The generated period: `[end − days, end)`, as seconds since the epoch.
pub(crate) struct Window {
    pub start: i64,
    pub end: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl Window {
    pub(crate) fn new(end_date: NaiveDate, days: u32) -> Window {
        let start_date = end_date - Days::new(u64::from(days));
        Window {
            start: midnight(start_date),
            end: midnight(end_date),
            start_date,
            end_date,
        }
    }
}

pub(crate) fn midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

/// How much our CSMs do with an account of a tier, before engagement bends it.
struct Cadence {
    outbound_threads_per_week: f64,
    check_ins_per_week: f64,
    qbrs_per_quarter: f64,
    exec_meetings_per_quarter: f64,
    training_meetings_per_month: f64,
    workshops_per_quarter: f64,
    outbound_calls_per_month: f64,
    /// At full engagement; the customer reaches out less as engagement falls.
    inbound_threads_per_month: f64,
    customer_meetings_per_month: f64,
    inbound_calls_per_month: f64,
    community_per_month: f64,
}

fn cadence(tier: Tier) -> Cadence {
    match tier {
        Tier::Strategic => Cadence {
            outbound_threads_per_week: 4.0,
            check_ins_per_week: 0.8,
            qbrs_per_quarter: 1.0,
            exec_meetings_per_quarter: 1.2,
            training_meetings_per_month: 0.5,
            workshops_per_quarter: 0.5,
            outbound_calls_per_month: 3.0,
            inbound_threads_per_month: 8.0,
            customer_meetings_per_month: 1.2,
            inbound_calls_per_month: 1.5,
            community_per_month: 4.0,
        },
        Tier::Growth => Cadence {
            outbound_threads_per_week: 2.2,
            check_ins_per_week: 0.45,
            qbrs_per_quarter: 1.0,
            exec_meetings_per_quarter: 0.6,
            training_meetings_per_month: 0.3,
            workshops_per_quarter: 0.3,
            outbound_calls_per_month: 2.0,
            inbound_threads_per_month: 5.0,
            customer_meetings_per_month: 0.7,
            inbound_calls_per_month: 1.0,
            community_per_month: 2.0,
        },
        Tier::Core => Cadence {
            outbound_threads_per_week: 1.3,
            check_ins_per_week: 0.3,
            qbrs_per_quarter: 0.5,
            exec_meetings_per_quarter: 0.3,
            training_meetings_per_month: 0.15,
            workshops_per_quarter: 0.1,
            outbound_calls_per_month: 1.0,
            inbound_threads_per_month: 4.0,
            customer_meetings_per_month: 0.35,
            inbound_calls_per_month: 0.5,
            community_per_month: 1.0,
        },
        Tier::Nurture => Cadence {
            outbound_threads_per_week: 0.6,
            check_ins_per_week: 0.1,
            qbrs_per_quarter: 0.15,
            exec_meetings_per_quarter: 0.05,
            training_meetings_per_month: 0.05,
            workshops_per_quarter: 0.0,
            outbound_calls_per_month: 0.3,
            inbound_threads_per_month: 2.5,
            customer_meetings_per_month: 0.15,
            inbound_calls_per_month: 0.25,
            community_per_month: 0.4,
        },
    }
}

const WEEKDAYS_PER_MONTH: f64 = 21.7;
const WEEKDAYS_PER_QUARTER: f64 = 65.0;
/// The most customer attendees a meeting lists.
const MAX_ATTENDEES: u32 = 4;

/// Whether day number `epoch_day` (days since 1970-01-01, a Thursday) is Monday to Friday.
fn is_working_day(epoch_day: i64) -> bool {
    (epoch_day + 3).rem_euclid(7) < 5
}

/// The share of an account's product users in its active pool at a product
/// engagement: a user logs in on a day only while their pool rank is below it.
pub(crate) fn active_share(tier: Tier, engagement: f64) -> f64 {
    tier.max_active_share() * (0.05 + 0.95 * engagement.powf(1.2))
}

/// How often an average user of the active pool logs in per week.
pub(crate) fn logins_per_week(engagement: f64) -> f64 {
    0.2 + 5.4 * engagement.powf(2.8)
}

/// The account uses a catalogue feature while its adoption threshold is below this.
pub(crate) fn feature_breadth(engagement: f64) -> f64 {
    0.05 + 0.75 * engagement
}

/// Everything one day of one account needs.
struct Day {
    start: i64,
    relative: f64,
    weekend: bool,
    communication: f64,
    product: f64,
}

/// Generates `plan`'s activities in `window` into `events` (cleared first),
/// sorted by time, clipped to the contract and, for churned accounts, to the
/// churn date.
pub(crate) fn generate(
    plan: &AccountPlan,
    window: &Window,
    rng: &mut DemoRng,
    events: &mut Vec<Event>,
) {
    events.clear();
    let first = window.start.max(midnight(plan.contract_start));
    let last = plan
        .churn_date
        .map_or(window.end, |churn| window.end.min(midnight(churn)));
    if first >= last {
        return;
    }
    let nps_phase = index(rng, 91) as i64;
    let mut generator = Generator {
        plan,
        window,
        rng,
        events,
        cadence: cadence(plan.tier),
        threads: 0,
        tickets: 0,
        adopted: Vec::with_capacity(FEATURES.len()),
        nps_phase,
    };
    let first_day = (first - window.start) / DAY;
    let last_day = (last - window.start + DAY - 1) / DAY;
    for day_number in first_day..last_day {
        let start = window.start + day_number * DAY;
        let relative = (start + DAY / 2 - window.end) as f64 / DAY as f64;
        let day = Day {
            start,
            relative,
            weekend: !is_working_day(start.div_euclid(DAY)),
            communication: plan.curve.communication(relative),
            product: plan.curve.product(relative),
        };
        generator.product_use(&day);
        generator.communication(&day);
        generator.support_and_community(&day);
    }
    generator.payments();
    events.retain(|event| event.at >= first && event.at < last);
    events.sort_by_key(|event| event.at);
}

struct Generator<'a> {
    plan: &'a AccountPlan,
    window: &'a Window,
    rng: &'a mut DemoRng,
    events: &'a mut Vec<Event>,
    cadence: Cadence,
    threads: u32,
    tickets: u32,
    /// Scratch: catalogue features the account uses today, with their weights.
    adopted: Vec<(u8, f64)>,
    /// Which day of the 91-day survey cycle the account's NPS survey goes out.
    nps_phase: i64,
}

impl Generator<'_> {
    fn push(&mut self, at: i64, kind: Kind) {
        self.events.push(Event { at, kind });
    }

    /// Days from the end of the window to `at` (negative before it).
    fn relative_day(&self, at: i64) -> f64 {
        (at - self.window.end) as f64 / DAY as f64
    }

    /// A moment of the customer's business day, `from`–`to` local hours.
    fn customer_time(&mut self, day: &Day, from: f64, to: f64) -> i64 {
        let local = uniform(self.rng, from, to);
        day.start + ((local - f64::from(self.plan.utc_offset_hours)) * HOUR) as i64
    }

    /// A moment of our CSM team's business day.
    fn team_time(&mut self, day_start: i64) -> i64 {
        let local = uniform(self.rng, 8.5, 17.5);
        day_start + ((local - TEAM_UTC_OFFSET_HOURS) * HOUR) as i64
    }

    /// Our CSM's answer `low`–`high` hours after `at`; one that would fall
    /// outside working hours waits for the next working morning.
    fn team_reply_time(&mut self, at: i64, low: f64, high: f64) -> i64 {
        let reply = at + (log_uniform(self.rng, low, high) * HOUR) as i64;
        let local = reply as f64 + TEAM_UTC_OFFSET_HOURS * HOUR;
        let day = (local / DAY as f64).floor() as i64;
        let hour = (local - (day * DAY) as f64) / HOUR;
        let working_day = is_working_day(day);
        if working_day && (8.0..18.0).contains(&hour) {
            return reply;
        }
        let mut next = if hour < 8.0 && working_day {
            day
        } else {
            day + 1
        };
        while !is_working_day(next) {
            next += 1;
        }
        next * DAY + ((uniform(self.rng, 8.0, 10.0) - TEAM_UTC_OFFSET_HOURS) * HOUR) as i64
    }

    /// A follow-up 2–5 working days after `at`, in our team's working hours.
    fn follow_up_time(&mut self, at: i64) -> i64 {
        let mut day = at.div_euclid(DAY) + 2 + index(self.rng, 4) as i64;
        while !is_working_day(day) {
            day += 1;
        }
        self.team_time(day * DAY)
    }

    fn contacts(&self) -> &[Contact] {
        &self.plan.contacts
    }

    /// A contact reachable at `relative_day`, drawn by `weight` of their role.
    fn reachable_contact(
        &mut self,
        relative_day: f64,
        weight: impl Fn(Role) -> f64,
    ) -> Option<u16> {
        let contacts = &self.plan.contacts;
        weighted(
            self.rng,
            contacts.iter().map(|c| {
                if c.reachable_at(relative_day) {
                    weight(c.role)
                } else {
                    0.0
                }
            }),
        )
        .map(|position| position as u16)
    }

    fn first_with_role(&self, role: Role) -> Option<u16> {
        self.contacts()
            .iter()
            .position(|c| c.role == role)
            .map(|p| p as u16)
    }

    // ----- product use ---------------------------------------------------

    fn product_use(&mut self, day: &Day) {
        let engagement = day.product;
        let active_share = active_share(self.plan.tier, engagement);
        let logins_per_week = logins_per_week(engagement);
        let day_factor = if day.weekend { 0.25 } else { 1.3 };
        let login_probability = logins_per_week / 7.0 * day_factor;
        let session_minutes = 5.0 + 25.0 * engagement;
        let breadth = feature_breadth(engagement);

        self.adopted.clear();
        for (position, feature) in FEATURES.iter().enumerate() {
            if self.plan.feature_thresholds[position] < breadth {
                self.adopted
                    .push((position as u8, feature.importance.popularity()));
            }
        }

        let plan = self.plan;
        for (user_index, user) in plan.users.iter().enumerate() {
            if user.pool_rank >= active_share {
                continue;
            }
            if let Some(contact) = user.contact
                && !plan.contacts[usize::from(contact)].reachable_at(day.relative)
            {
                continue;
            }
            let probability = login_probability * user.intensity;
            let logins = if probability >= 1.0 {
                1 + u32::from(chance(self.rng, probability - 1.0))
            } else {
                u32::from(chance(self.rng, probability))
            };
            for _ in 0..logins {
                self.login(day, user_index as u32, session_minutes, engagement);
            }
        }
    }

    fn login(&mut self, day: &Day, user: u32, session_minutes: f64, engagement: f64) {
        let at = self.customer_time(day, 7.5, 19.0);
        self.push(at, Kind::Login { user });
        if chance(self.rng, 0.15) {
            let minutes = (session_minutes * normal(self.rng, 0.0, 0.35).exp())
                .round()
                .clamp(1.0, 240.0);
            let at = at + index(self.rng, 90) as i64;
            self.push(
                at,
                Kind::Session {
                    user,
                    duration_min: minutes as u16,
                },
            );
        }
        let features = u32::from(chance(self.rng, 0.12))
            + u32::from(chance(self.rng, 0.06 + 0.1 * engagement));
        for _ in 0..features {
            let feature = if chance(self.rng, 0.01) {
                (FEATURES.len() + index(self.rng, UNCATALOGUED_FEATURES.len())) as u8
            } else {
                match weighted(self.rng, self.adopted.iter().map(|(_, weight)| *weight)) {
                    Some(position) => self.adopted[position].0,
                    None => continue,
                }
            };
            let at = at + 60 + index(self.rng, 40 * 60) as i64;
            self.push(at, Kind::FeatureUsed { user, feature });
        }
    }

    // ----- communication -------------------------------------------------

    fn communication(&mut self, day: &Day) {
        let engagement = day.communication;
        let c = &self.cadence;
        // The customer reaches out less and less as engagement falls; our
        // CSMs keep their cadence, chase harder, and get fewer meetings held.
        let inbound_threads =
            c.inbound_threads_per_month / 30.0 * (0.08 + 0.92 * engagement * engagement);
        let outbound_threads = c.outbound_threads_per_week / 5.0 * (1.0 + 0.3 * (1.0 - engagement));
        let our_meetings = [
            (
                MeetingKind::CheckIn,
                c.check_ins_per_week / 5.0 * (0.6 + 0.4 * engagement),
            ),
            (
                MeetingKind::Qbr,
                c.qbrs_per_quarter / WEEKDAYS_PER_QUARTER * (0.3 + 0.7 * engagement),
            ),
            (
                MeetingKind::Exec,
                c.exec_meetings_per_quarter / WEEKDAYS_PER_QUARTER
                    * (0.1 + 0.9 * engagement * engagement),
            ),
            (
                MeetingKind::Training,
                c.training_meetings_per_month / WEEKDAYS_PER_MONTH * (0.3 + 0.7 * engagement),
            ),
            (
                MeetingKind::Workshop,
                c.workshops_per_quarter / WEEKDAYS_PER_QUARTER * engagement,
            ),
        ];
        let customer_meetings =
            c.customer_meetings_per_month / WEEKDAYS_PER_MONTH * engagement * engagement;
        let outbound_calls =
            c.outbound_calls_per_month / WEEKDAYS_PER_MONTH * (0.8 + 0.4 * (1.0 - engagement));
        let inbound_calls = c.inbound_calls_per_month / WEEKDAYS_PER_MONTH * engagement.powf(1.5);

        // The customer writes on any day, mostly on weekdays; the rest is office work.
        let weekend_factor = if day.weekend { 0.3 } else { 1.2 };
        for _ in 0..poisson(self.rng, inbound_threads * weekend_factor) {
            self.inbound_thread(day);
        }
        if day.weekend {
            return;
        }
        for _ in 0..poisson(self.rng, outbound_threads) {
            self.outbound_thread(day);
        }
        for (kind, rate) in our_meetings {
            for _ in 0..poisson(self.rng, rate) {
                self.meeting(day, kind, false);
            }
        }
        const CUSTOMER_MEETING_KINDS: [MeetingKind; 5] = [
            MeetingKind::CheckIn,
            MeetingKind::CheckIn,
            MeetingKind::Training,
            MeetingKind::Workshop,
            MeetingKind::Other,
        ];
        for _ in 0..poisson(self.rng, customer_meetings) {
            let kind = *pick(self.rng, &CUSTOMER_MEETING_KINDS);
            self.meeting(day, kind, true);
        }
        for _ in 0..poisson(self.rng, outbound_calls) {
            self.outbound_call(day);
        }
        for _ in 0..poisson(self.rng, inbound_calls) {
            self.inbound_call(day);
        }
    }

    /// Chance that a contact answers an email, and how long they take.
    fn reply_probability(engagement: f64) -> f64 {
        0.05 + 0.95 * engagement.powf(0.8)
    }

    fn reply_delay(&mut self, engagement: f64) -> i64 {
        let low = 2.0 + 22.0 * (1.0 - engagement);
        let high = 20.0 + 100.0 * (1.0 - engagement);
        (log_uniform(self.rng, low, high) * HOUR) as i64
    }

    fn next_thread(&mut self) -> u32 {
        self.threads += 1;
        self.threads
    }

    fn outbound_thread(&mut self, day: &Day) {
        let plan = self.plan;
        if plan.contacts.is_empty() {
            return;
        }
        let engagement = day.communication;
        let thread = self.next_thread();
        let subject = index(self.rng, OUTBOUND_SUBJECTS.len()) as u8;
        // The CSM writes to the champion (even one who has gone quiet: the
        // CSM does not know yet), else to whoever answers best.
        let primary = self
            .first_with_role(Role::Champion)
            .or_else(|| {
                weighted(
                    self.rng,
                    plan.contacts.iter().map(|c| c.role.responsiveness()),
                )
                .map(|p| p as u16)
            })
            .expect("the account has contacts");
        let mut recipients = 1u32 << primary;
        if chance(self.rng, 0.35) {
            recipients |= 1 << index(self.rng, plan.contacts.len());
        }
        let executive_topic = matches!(
            OUTBOUND_SUBJECTS[usize::from(subject)],
            "Renewal discussion"
                | "Quarterly business review planning"
                | "Executive sponsor introduction"
                | "Expansion options"
        );
        if executive_topic
            && let Some(executive) = self.first_with_role(Role::Executive)
            && chance(self.rng, 0.6)
        {
            recipients |= 1 << executive;
        }
        // Low-engagement accounts get chased: three, four, five unanswered emails.
        let follow_ups = if engagement < 0.35 {
            2 + index(self.rng, 3)
        } else if engagement < 0.6 {
            index(self.rng, 2)
        } else {
            usize::from(chance(self.rng, 0.3))
        };

        let email = |outbound: bool, reply: bool, contact: u16, recipients: u32| Kind::Email {
            outbound,
            thread,
            subject,
            opened_by_customer: false,
            reply,
            contact,
            recipients,
        };
        let mut at = self.team_time(day.start);
        self.push(at, email(true, false, 0, recipients));
        let mut unanswered = 1;
        let mut exchanges = 0;
        let mut reply_factor = 1.0;
        loop {
            if at >= self.window.end {
                break;
            }
            // Whoever answers must still be around when the answer goes out.
            let reply_at = at + self.reply_delay(engagement);
            let relative = self.relative_day(reply_at);
            let responder = weighted(
                self.rng,
                plan.contacts.iter().enumerate().map(|(position, c)| {
                    if recipients & (1 << position) != 0 && c.reachable_at(relative) {
                        c.role.responsiveness()
                    } else {
                        0.0
                    }
                }),
            );
            let primary_gone = !plan.contacts[usize::from(primary)].reachable_at(relative);
            let probability = match responder {
                Some(_) if primary_gone => Self::reply_probability(engagement) * 0.4,
                Some(_) => Self::reply_probability(engagement) * reply_factor,
                None => 0.0,
            };
            if let Some(responder) = responder
                && chance(self.rng, probability)
            {
                at = reply_at;
                self.push(at, email(false, true, responder as u16, 0));
                exchanges += 1;
                // Sometimes the conversation goes on.
                if exchanges < 4 && chance(self.rng, 0.45) {
                    at = self.team_reply_time(at, 0.5, 20.0);
                    self.push(at, email(true, true, 0, 1 << responder));
                    recipients = 1 << responder;
                    unanswered = 1;
                    reply_factor *= 0.8;
                    continue;
                }
                break;
            }
            if unanswered > follow_ups {
                break;
            }
            at = self.follow_up_time(at);
            self.push(at, email(true, true, 0, recipients));
            unanswered += 1;
        }
    }

    fn inbound_thread(&mut self, day: &Day) {
        let engagement = day.communication;
        let Some(sender) = self.reachable_contact(day.relative, |role| match role {
            Role::Executive => 0.3,
            Role::Champion => 3.0,
            Role::PowerUser => 1.5,
            Role::Admin => 1.5,
            Role::User => 0.7,
        }) else {
            return;
        };
        let thread = self.next_thread();
        let subject = index(self.rng, INBOUND_SUBJECTS.len()) as u8;
        let email = |outbound: bool, reply: bool| Kind::Email {
            outbound,
            thread,
            subject,
            opened_by_customer: true,
            reply,
            contact: sender,
            recipients: 1 << sender,
        };
        let mut at = self.customer_time(day, 8.0, 18.0);
        self.push(at, email(false, false));
        if !chance(self.rng, 0.93) {
            return;
        }
        at = self.team_reply_time(at, 0.5, 10.0);
        self.push(at, email(true, true));
        let reply_at = at + self.reply_delay(engagement);
        let still_there =
            self.plan.contacts[usize::from(sender)].reachable_at(self.relative_day(reply_at));
        if still_there && chance(self.rng, Self::reply_probability(engagement) * 0.6) {
            at = reply_at;
            self.push(at, email(false, true));
            if chance(self.rng, 0.5) {
                at = self.team_reply_time(at, 0.5, 10.0);
                self.push(at, email(true, true));
            }
        }
    }

    fn meeting(&mut self, day: &Day, kind: MeetingKind, initiated_by_customer: bool) {
        let engagement = day.communication;
        // Half-hour slots between 09:00 and 15:30 the customer's time.
        let slot = 18 + index(self.rng, 14) as i64;
        let at = day.start + slot * 1800 - i64::from(self.plan.utc_offset_hours) * 3600;
        let duration_min = match kind {
            MeetingKind::Qbr | MeetingKind::Workshop => 60,
            MeetingKind::CheckIn | MeetingKind::Exec => *pick(self.rng, &[30, 30, 45]),
            MeetingKind::Training => *pick(self.rng, &[45, 60]),
            MeetingKind::Other => *pick(self.rng, &[30, 45, 60]),
        };
        let disengagement = (1.0 - engagement).powf(2.5);
        let customer_cancel =
            (0.02 + 0.2 * disengagement) * if initiated_by_customer { 0.5 } else { 1.0 };
        let no_show = (0.01 + 0.45 * disengagement) * if initiated_by_customer { 0.3 } else { 1.0 };
        let mut status = if at >= self.window.end - 4 * DAY && chance(self.rng, 0.4) {
            // Held in the last few days but not yet updated in the calendar.
            MeetingStatus::Scheduled
        } else if chance(self.rng, 0.04) {
            MeetingStatus::CancelledByUs
        } else if chance(self.rng, customer_cancel) {
            MeetingStatus::CancelledByCustomer
        } else if chance(self.rng, no_show) {
            MeetingStatus::NoShow
        } else {
            MeetingStatus::Attended
        };
        let mut attendees = 0;
        if status == MeetingStatus::Attended {
            let relative = self.relative_day(at);
            attendees = self.attendees(kind, relative, engagement);
            if attendees == 0 {
                status = MeetingStatus::NoShow;
            }
        }
        self.push(
            at,
            Kind::Meeting {
                status,
                initiated_by_customer,
                attendees,
                kind,
                duration_min,
            },
        );
    }

    /// The contacts who show up to a held meeting of `kind`.
    fn attendees(&mut self, kind: MeetingKind, relative: f64, engagement: f64) -> u32 {
        let reachable = |c: &Contact| c.reachable_at(relative);
        let mut mask = 0u32;
        let executive = self
            .contacts()
            .iter()
            .position(|c| c.role == Role::Executive && reachable(c));
        let champion = self
            .contacts()
            .iter()
            .position(|c| c.role == Role::Champion && reachable(c));
        let (others, executive_chance, champion_chance) = match kind {
            MeetingKind::CheckIn => (index(self.rng, 3), 0.03, 0.9),
            MeetingKind::Qbr => (index(self.rng, 3), 0.3 + 0.6 * engagement, 0.95),
            MeetingKind::Exec => (0, 0.95, 0.5),
            MeetingKind::Training => (1 + index(self.rng, 4), 0.0, 0.3),
            MeetingKind::Workshop => (2 + index(self.rng, 3), 0.1, 0.6),
            MeetingKind::Other => (1 + index(self.rng, 2), 0.05, 0.3),
        };
        if let Some(executive) = executive
            && chance(self.rng, executive_chance)
        {
            mask |= 1 << executive;
        }
        if let Some(champion) = champion
            && chance(self.rng, champion_chance)
        {
            mask |= 1 << champion;
        }
        for _ in 0..others {
            if let Some(other) = self.reachable_contact(relative, |role| match role {
                Role::Executive | Role::Champion => 0.0,
                Role::PowerUser => 2.0,
                Role::Admin | Role::User => 1.0,
            }) {
                mask |= 1 << other;
            }
        }
        // An exec meeting with no executive still happens with whoever leads the account.
        if mask == 0
            && let Some(anyone) = self.reachable_contact(relative, |role| role.responsiveness())
        {
            mask |= 1 << anyone;
        }
        // At most four people from the customer's side; the executive and the
        // champion come first in the contact list, so they stay.
        while mask.count_ones() > MAX_ATTENDEES {
            mask &= !(1 << (31 - mask.leading_zeros()));
        }
        mask
    }

    fn outbound_call(&mut self, day: &Day) {
        let plan = self.plan;
        let Some(contact) = weighted(
            self.rng,
            plan.contacts.iter().map(|c| c.role.responsiveness()),
        ) else {
            return;
        };
        let at = self.team_time(day.start);
        let reachable = plan.contacts[contact].reachable_at(day.relative);
        let connected = reachable && chance(self.rng, 0.2 + 0.65 * day.communication);
        let duration_min = if connected {
            log_uniform(self.rng, 5.0, 45.0).round() as u8
        } else {
            u8::from(chance(self.rng, 0.5)) // a voicemail, or nothing
        };
        self.push(
            at,
            Kind::Call {
                outbound: true,
                contact: contact as u16,
                duration_min,
                connected,
            },
        );
    }

    fn inbound_call(&mut self, day: &Day) {
        let Some(contact) = self.reachable_contact(day.relative, Role::responsiveness) else {
            return;
        };
        let at = self.customer_time(day, 8.0, 17.0);
        let connected = chance(self.rng, 0.9);
        let duration_min = if connected {
            log_uniform(self.rng, 3.0, 30.0).round() as u8
        } else {
            0
        };
        self.push(
            at,
            Kind::Call {
                outbound: false,
                contact,
                duration_min,
                connected,
            },
        );
    }

    // ----- support, trainings, surveys, community -----------------------

    fn support_and_community(&mut self, day: &Day) {
        let plan = self.plan;
        let users = plan.users.len() as f64;
        let weekend_factor = if day.weekend { 0.3 } else { 1.28 };
        let tickets_per_day = (0.6 + users / 40.0) / 30.0 * (0.5 + (1.0 - day.product));
        for _ in 0..poisson(self.rng, tickets_per_day * weekend_factor) {
            self.ticket(day);
        }
        if !day.weekend {
            let trainings_per_day =
                (0.2 + users / 150.0) / WEEKDAYS_PER_MONTH * (0.3 + 0.7 * day.product);
            for _ in 0..poisson(self.rng, trainings_per_day) {
                self.training(day);
            }
        }
        let community_per_day = self.cadence.community_per_month / 30.0 * day.communication.powi(2);
        for _ in 0..poisson(self.rng, community_per_day) {
            let Some(contact) = self.reachable_contact(day.relative, |role| match role {
                Role::Executive => 0.1,
                Role::Champion | Role::PowerUser => 2.0,
                Role::Admin | Role::User => 1.0,
            }) else {
                break;
            };
            let action = *pick(
                self.rng,
                &[
                    CommunityAction::Post,
                    CommunityAction::Post,
                    CommunityAction::Reply,
                    CommunityAction::Reply,
                    CommunityAction::Reply,
                    CommunityAction::Event,
                ],
            );
            let at = self.customer_time(day, 7.0, 21.0);
            self.push(at, Kind::Community { contact, action });
        }
        // The NPS survey goes out every 91 days; answers trickle in over a week.
        let absolute_day = day.start.div_euclid(DAY);
        if (absolute_day + self.nps_phase) % 91 == 0 {
            for (position, contact) in plan.contacts.iter().enumerate() {
                let engagement = day.communication;
                let answer = (0.15 + 0.45 * engagement)
                    * if contact.role == Role::Executive {
                        0.5
                    } else {
                        1.0
                    };
                let at = day.start + (uniform(self.rng, 0.3, 7.0) * DAY as f64) as i64;
                if !contact.reachable_at(self.relative_day(at)) || !chance(self.rng, answer) {
                    continue;
                }
                let score = normal(self.rng, 1.5 + 9.0 * engagement, 1.3)
                    .round()
                    .clamp(0.0, 10.0) as u8;
                self.push(
                    at,
                    Kind::Nps {
                        contact: position as u16,
                        score,
                    },
                );
            }
        }
    }

    fn ticket(&mut self, day: &Day) {
        let Some(contact) = self.reachable_contact(day.relative, |role| match role {
            Role::Executive => 0.0,
            Role::Admin => 3.0,
            Role::PowerUser => 2.0,
            Role::Champion => 1.5,
            Role::User => 1.0,
        }) else {
            return;
        };
        let engagement = day.product;
        self.tickets += 1;
        let number = self.tickets;
        let at = self.customer_time(day, 6.0, 20.0);
        let unhappy = 1.0 - engagement;
        let severity = match weighted(
            self.rng,
            [30.0, 50.0, 10.0 + 15.0 * unhappy, 3.0 + 6.0 * unhappy].into_iter(),
        ) {
            Some(0) => Severity::Low,
            Some(1) => Severity::Normal,
            Some(2) => Severity::High,
            _ => Severity::Urgent,
        };
        let tag_weights = [
            30.0,
            20.0 + 10.0 * unhappy,
            15.0,
            6.0 + 6.0 * unhappy,
            10.0,
            6.0 + 6.0 * unhappy,
            8.0,
            3.0,
            8.0,
            5.0,
        ];
        let mut tags = 0u16;
        let tag_count = 1 + usize::from(chance(self.rng, 0.35));
        for _ in 0..tag_count {
            if let Some(tag) = weighted(self.rng, tag_weights.into_iter()) {
                tags |= 1 << tag;
            }
        }
        debug_assert!(TICKET_TAGS.len() == tag_weights.len());
        let negative = 0.05 + 0.5 * unhappy.powf(1.5);
        let positive = 0.1 + 0.4 * engagement;
        let sentiment = match weighted(
            self.rng,
            [positive, 1.0 - negative - positive * 0.5, negative].into_iter(),
        ) {
            Some(0) => Sentiment::Positive,
            Some(2) => Sentiment::Negative,
            _ => Sentiment::Neutral,
        };
        // One line per ticket, with its status as of the end of the window:
        // recent tickets are still open; feature requests stay open longest.
        let age_days = (self.window.end - at) as f64 / DAY as f64;
        let feature_request = tags & (1 << 2) != 0;
        let weights = if feature_request && chance(self.rng, 0.5) {
            [1.0, 1.0, 0.0, 0.0]
        } else if age_days < 2.0 {
            [0.6, 0.4, 0.0, 0.0]
        } else if age_days < 7.0 {
            [0.2, 0.25, 0.55, 0.0]
        } else if age_days < 30.0 {
            [0.05, 0.1, 0.45, 0.4]
        } else {
            [0.02, 0.03, 0.2, 0.75]
        };
        let status = match weighted(self.rng, weights.into_iter()) {
            Some(0) => TicketStatus::Open,
            Some(1) => TicketStatus::Pending,
            Some(2) => TicketStatus::Solved,
            _ => TicketStatus::Closed,
        };
        self.push(
            at,
            Kind::Ticket {
                number,
                status,
                severity,
                tags,
                sentiment,
                contact,
            },
        );
        // A CSAT survey follows some resolved tickets.
        if matches!(status, TicketStatus::Solved | TicketStatus::Closed) && chance(self.rng, 0.35) {
            let (low, high) = match sentiment {
                Sentiment::Positive => (4, 5),
                Sentiment::Neutral => (3, 5),
                Sentiment::Negative => (1, 3),
            };
            let score = (low + index(self.rng, high - low + 1)) as u8;
            let at = at + (uniform(self.rng, 1.0, 5.0) * DAY as f64) as i64;
            if self.plan.contacts[usize::from(contact)].reachable_at(self.relative_day(at)) {
                self.push(at, Kind::Csat { contact, score });
            }
        }
    }

    fn training(&mut self, day: &Day) {
        let Some(contact) = self.reachable_contact(day.relative, |role| match role {
            Role::Executive => 0.0,
            Role::PowerUser | Role::User => 2.0,
            Role::Admin | Role::Champion => 1.0,
        }) else {
            return;
        };
        let attended = chance(self.rng, 0.35 + 0.6 * day.product);
        let at = day.start + (18 + index(self.rng, 14) as i64) * 1800
            - i64::from(self.plan.utc_offset_hours) * 3600;
        self.push(at, Kind::Training { contact, attended });
    }

    // ----- payments -------------------------------------------------------

    /// Monthly or quarterly invoices from the contract start, due 30 days
    /// after issue; late and overdue payments are likelier when disengaged.
    fn payments(&mut self) {
        let plan = self.plan;
        let months = plan.billing.months();
        let amount = (plan.arr as f64 * f64::from(months) / 12.0).round() as u64;
        let earliest_due = self.window.start_date - Days::new(60);
        for invoice in 0u32.. {
            let Some(issued) = plan
                .contract_start
                .checked_add_months(Months::new(invoice * months))
            else {
                break;
            };
            if issued >= self.window.end_date {
                break;
            }
            let due = issued + Days::new(30);
            if due < earliest_due {
                continue;
            }
            let relative = -((self.window.end_date - due).num_days() as f64);
            let engagement = plan.curve.level(relative);
            let overdue = 0.01 + 0.25 * (1.0 - engagement).powi(3);
            let late = 0.05 + 0.4 * (1.0 - engagement).powi(2);
            let due_at = midnight(due);
            let became_overdue = due_at + DAY + (uniform(self.rng, 6.0, 10.0) * HOUR) as i64;
            let (at, status) = if chance(self.rng, overdue) {
                (became_overdue, PaymentStatus::Overdue)
            } else if chance(self.rng, late) {
                let paid = due_at + (uniform(self.rng, 1.0, 45.0) * DAY as f64) as i64;
                if paid < self.window.end {
                    (paid, PaymentStatus::PaidLate)
                } else {
                    (became_overdue, PaymentStatus::Overdue)
                }
            } else {
                let paid = due_at - (uniform(self.rng, 0.0, 25.0) * DAY as f64) as i64;
                (paid.max(midnight(issued)), PaymentStatus::PaidOnTime)
            };
            // Not yet paid and not yet due: nothing to record.
            if at < self.window.end {
                self.push(
                    at,
                    Kind::Payment {
                        invoice: invoice + 1,
                        amount,
                        due,
                        status,
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_day(year: i32, month: u32, day: u32) -> i64 {
        midnight(NaiveDate::from_ymd_opt(year, month, day).unwrap()) / DAY
    }

    #[test]
    fn working_days_are_monday_to_friday() {
        assert!(is_working_day(epoch_day(2026, 11, 23))); // Monday
        assert!(is_working_day(epoch_day(2026, 11, 27))); // Friday
        assert!(!is_working_day(epoch_day(2026, 11, 28))); // Saturday
        assert!(!is_working_day(epoch_day(2026, 11, 22))); // Sunday
        assert!(!is_working_day(epoch_day(1970, 1, 3))); // Saturday
    }

    #[test]
    fn the_window_ends_at_midnight_utc() {
        let window = Window::new(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), 10);
        assert_eq!(window.end - window.start, 10 * DAY);
        assert_eq!(window.end % DAY, 0);
        assert_eq!(
            window.start_date,
            NaiveDate::from_ymd_opt(2026, 11, 13).unwrap()
        );
    }
}
