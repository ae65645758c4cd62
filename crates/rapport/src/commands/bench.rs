//! `rapport bench`: benchmarks, not tests; their figures are recorded in
//! docs/benchmarks.md. `bench engine` loads the store into the engine's
//! in-memory state, then measures what issues 3 to 6 set goals for: resident
//! memory per activity, the full breakdown of every account, one account's
//! breakdown in the engine and through the HTTP API, the success metrics and
//! health of every account, the portfolio overview. `bench load` is its first
//! step alone (memory per activity). `bench writer` is the write load of
//! `scripts/bench`'s HTTP measurements: new activities at a steady rate from
//! a process of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rapport_core::engagement::{BreakdownCaches, Compare, engagement_breakdown};
use rapport_core::engine::Window;
use rapport_core::engine::facts::factor_facts;
use rapport_core::scoring::score::summary;
use rapport_core::{Activity, ActivityDetail, ExternalId, FeatureKey, Period, Timestamp, UserId};

use super::open_store;

use crate::settings::Settings;

/// Resident memory of this process in bytes, from /proc (Linux only).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The median and another quantile (0.9: p90) of `timings`; zeros when empty.
fn median_and(mut timings: Vec<f64>, quantile: f64) -> (f64, f64) {
    if timings.is_empty() {
        return (0.0, 0.0);
    }
    timings.sort_by(f64::total_cmp);
    let at = |q: f64| timings[((timings.len() as f64 * q) as usize).min(timings.len() - 1)];
    (at(0.5), at(quantile))
}

/// `rapport bench …`: what to measure.
#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Loads the store into the engine, then measures scores, breakdowns,
    /// success, health, the overview and one account through the API.
    Engine {
        /// The instant to score at (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        as_of: String,
    },
    /// Loads the store into the engine and prints its resident memory per
    /// activity, nothing else.
    Load,
    /// Adds new login and feature_used activities of existing accounts to the
    /// store at a steady rate, in small batches, through the one writer path
    /// (`App::record_activities`), as a product's event feed would; for
    /// measuring a server under write load from another process.
    Writer {
        /// Activities a second.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
        rate: u32,
        /// How long to write.
        #[arg(long)]
        seconds: f64,
    },
    /// `/v1/batch` ingest with durable acknowledgement on a fresh temporary
    /// store (see `bench_tracking`).
    Tracking(super::bench_tracking::TrackingBenchArgs),
}

pub fn run(settings: &Settings, command: &BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Engine { as_of } => engine(settings, as_of),
        BenchCommand::Load => {
            load_measured(settings)?;
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Writer { rate, seconds } => writer(settings, *rate, *seconds),
        BenchCommand::Tracking(args) => super::bench_tracking::run(args),
    }
}

/// Serves the API on `listener` for a benchmark that drives it from this
/// process (`bench tracking`), until the process ends.
pub(super) async fn serve_until_exit(
    listener: tokio::net::TcpListener,
    app: Arc<rapport_app::App>,
) -> std::io::Result<()> {
    rapport_server::serve(listener, app, std::future::pending()).await
}

/// Loads the store into the engine (records first, then activities, so the
/// two are measured apart) and prints the time and resident memory it took.
fn load_measured(
    settings: &Settings,
) -> anyhow::Result<(Arc<dyn rapport_store::Store>, rapport_store::LoadedEngine)> {
    let store = open_store(settings)?;
    let mib = |bytes: u64| bytes as f64 / 1_048_576.0;
    let before = resident_bytes().unwrap_or(0);
    let started = Instant::now();
    let cursor = store.cursor()?;
    let mut state = rapport_store::load_records(store.as_ref())?;
    let records = resident_bytes().unwrap_or(0);
    let activity_high_water = rapport_store::load_activities(store.as_ref(), &mut state)?;
    let activities = store.counts()?.activities;
    let load = started.elapsed();
    let after = resident_bytes().unwrap_or(0);
    let per_activity = after.saturating_sub(records);
    outln!(
        "load: {activities} activities into the engine in {:.1} s; resident memory grew {:.0} MiB: {:.0} MiB for accounts, contacts, outcomes and goals, then {:.0} MiB for the activities = {:.1} bytes per activity ({:.1} counting everything)",
        load.as_secs_f64(),
        mib(after.saturating_sub(before)),
        mib(records.saturating_sub(before)),
        mib(per_activity),
        per_activity as f64 / activities.max(1) as f64,
        after.saturating_sub(before) as f64 / activities.max(1) as f64
    );
    let loaded = rapport_store::LoadedEngine {
        state,
        cursor,
        activity_high_water,
    };
    Ok((store, loaded))
}

fn engine(settings: &Settings, as_of: &str) -> anyhow::Result<ExitCode> {
    let as_of = Timestamp::parse_lenient(as_of)?;
    let model = settings.engagement_model()?;
    let (store, loaded) = load_measured(settings)?;
    let state = &loaded.state;

    let period = Period::DEFAULT;
    let windows: Vec<Window> = (0..8)
        .map(|back| Window::new(as_of.minus_days(30 * back), period))
        .collect();
    let started = Instant::now();
    let mut checksum = 0.0;
    let mut accounts = 0;
    for account in state.accounts() {
        accounts += 1;
        for window in &windows {
            let facts = factor_facts(state, account, *window);
            checksum += summary(&model, &facts).overall.unwrap_or(0.0);
        }
    }
    outln!(
        "scores: {accounts} accounts x {} windows in {:.0} ms (checksum {checksum:.3})",
        windows.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );

    // The full breakdown of every account: current, compare, six history months,
    // peers, root causes, recommendations, impact, alerts.
    let caches = BreakdownCaches::default();
    let started = Instant::now();
    let mut built = 0;
    for account in state.accounts() {
        let breakdown = engagement_breakdown(
            &model,
            state,
            account,
            windows[0],
            Compare::Previous,
            &caches,
        );
        built += usize::from(breakdown.is_some());
        std::hint::black_box(breakdown);
    }
    outln!(
        "full breakdown of every account: {built} accounts in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    // One account at a time, as the API computes it: with the caches as a
    // running server has them, and with a new `as_of` each time (a cold peer group).
    let sample: Vec<_> = state.accounts().step_by((accounts / 200).max(1)).collect();
    let time_one = |caches: &BreakdownCaches, account, window| {
        let started = Instant::now();
        let breakdown =
            engagement_breakdown(&model, state, account, window, Compare::Previous, caches);
        std::hint::black_box(breakdown);
        started.elapsed().as_secs_f64() * 1000.0
    };
    let warm: Vec<f64> = sample
        .iter()
        .map(|account| time_one(&caches, account, windows[0]))
        .collect();
    let (median, p90) = median_and(warm, 0.9);
    outln!(
        "one account, engine, caches current: median {median:.2} ms, p90 {p90:.2} ms over {} accounts",
        sample.len()
    );
    let cold: Vec<f64> = sample
        .iter()
        .enumerate()
        .map(|(index, account)| {
            let window = Window::new(
                Timestamp::from_millis(as_of.millis() - 1 - index as i64),
                period,
            );
            time_one(&caches, account, window)
        })
        .collect();
    let (median, p90) = median_and(cold, 0.9);
    outln!(
        "one account, engine, new as_of each time (peers and impact recomputed): median {median:.2} ms, p90 {p90:.2} ms"
    );

    // Success metrics (PRD-069) of every account, each with its tier benchmark.
    let goals: usize = state.accounts().map(|account| account.goals().len()).sum();
    let started = Instant::now();
    let mut reports = 0;
    let peers = rapport_core::account_success::SuccessPeerCache::default();
    for account in state.accounts() {
        let view = rapport_core::account_success::account_success(
            state,
            account,
            as_of,
            Some(&peers),
            true,
        );
        reports += usize::from(view.is_some());
        std::hint::black_box(view);
    }
    outln!(
        "success metrics of every account ({goals} goals), with benchmarks: {reports} accounts in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    // The health report (health model, 30 days earlier, history, signals,
    // playbooks) of every account, and one daily snapshot of every model.
    let health = rapport_core::scoring::model::Model::health();
    let started = Instant::now();
    let mut reports = 0;
    for account in state.accounts() {
        let report = rapport_core::health::health_report(&health, state, account, as_of);
        reports += usize::from(report.is_some());
        std::hint::black_box(report);
    }
    outln!(
        "health report of every account: {reports} accounts in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    let snapshot = rapport_core::portfolio::snapshot::take(&health, state, as_of.date());
    outln!(
        "one day's health snapshot of {} accounts in {:.0} ms ({} bytes packed)",
        snapshot.scores.len(),
        started.elapsed().as_secs_f64() * 1000.0,
        snapshot
            .scores
            .iter()
            .map(|(_, scores)| 4 + rapport_core::portfolio::snapshot::encode(scores).len())
            .sum::<usize>()
    );

    // The portfolio engagement overview of every active account (issue 6).
    let engagement = settings.engagement_model()?;
    let mut timings = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let view = rapport_core::portfolio::overview::overview(
            state,
            &engagement,
            &health,
            windows[0],
            windows[1],
            &rapport_core::portfolio::overview::OverviewFilter::default(),
            &rapport_core::scoring::overrides::OverrideTrails::default(),
        );
        std::hint::black_box(view);
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (median, _) = median_and(timings, 0.9);
    outln!(
        "portfolio engagement overview of every active account: median {median:.0} ms over 5 runs"
    );

    let ids = sample_ids(&sample);
    drop(sample);
    api(super::open_app_over(settings, store, loaded)?, as_of, &ids)?;
    Ok(ExitCode::SUCCESS)
}

fn sample_ids(sample: &[&rapport_core::engine::AccountState]) -> Vec<String> {
    sample
        .iter()
        .filter_map(|account| account.account())
        .map(|account| account.customer_id().to_string())
        .collect()
}

/// Serves the loaded engine on a loopback port and times
/// `GET /api/intelligence/engagement/{id}?asOf=…` and
/// `GET /api/intelligence/success-metrics/{id}?asOf=…` over the sample, after
/// one request has warmed the caches.
fn api(
    app: std::sync::Arc<rapport_app::App>,
    as_of: Timestamp,
    ids: &[String],
) -> anyhow::Result<()> {
    // Every API route needs a signed-in person: an admin's token, as a
    // dashboard or a script would send.
    let operator = rapport_core::access::Person::operator();
    let now = super::now();
    if app.users()?.iter().all(|user| user.name != "bench") {
        app.create_user(
            &operator,
            "bench",
            None,
            rapport_core::access::Role::Admin,
            now,
        )?;
    }
    let token = app
        .create_token(&operator, "bench", "rapport bench engine", Some(1), now)?
        .token;
    // The timings are of the server, not of the 429s a client sending this
    // fast would get (the bucket is still looked up on every request).
    app.set_rate_limit(rapport_app::limits::RateLimit {
        per_minute: u32::MAX,
        burst: u32::MAX,
    });
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .context("cannot bind a loopback port")?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(rapport_server::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let get = |path: &str| -> anyhow::Result<f64> {
        let started = Instant::now();
        let mut stream = std::net::TcpStream::connect(addr)?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Connection: close\r\n\r\n"
        )?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(
            response.starts_with(b"HTTP/1.1 200"),
            "the API answered {}",
            String::from_utf8_lossy(&response[..response.len().min(200)])
        );
        Ok(elapsed)
    };
    for (what, route) in [
        ("engagement", "engagement"),
        ("success metrics", "success-metrics"),
        ("health", "health"),
    ] {
        let path = |id: &str| format!("/api/intelligence/{route}/{id}?asOf={as_of}");
        let first = get(&path(&ids[0]))?;
        let timings = ids
            .iter()
            .map(|id| get(&path(id)))
            .collect::<anyhow::Result<Vec<f64>>>()?;
        let (median, p90) = median_and(timings, 0.9);
        outln!(
            "one account's {what} through the API (HTTP on loopback, JSON included): first request {first:.1} ms, then median {median:.2} ms, p90 {p90:.2} ms over {} accounts",
            ids.len()
        );
    }
    let _ = stop.send(());
    runtime.block_on(server)??;
    Ok(())
}

/// `rapport bench writer`: records `rate` new activities a second for
/// `seconds`, in batches ten times a second, each batch one call of
/// [`rapport_app::App::record_activities`] (one transaction). Each activity is
/// a login or a feature_used of a random account among those found in a
/// sample of the stored activities (a few hundred), by one of the product
/// users seen there, stamped now, with a source id no other run uses. Prints
/// how many it wrote and how long the batches took.
fn writer(settings: &Settings, rate: u32, seconds: f64) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        seconds.is_finite() && seconds > 0.0,
        "--seconds: a positive number of seconds"
    );
    let app = super::open_app(settings)?;
    let mut random = SplitMix64(0x5eed_0019);
    let users = product_users_of_some_accounts(app.store(), &mut random, 64, 2_000)?;
    let features: Vec<FeatureKey> = app
        .store()
        .features()?
        .into_iter()
        .map(|feature| feature.key)
        .collect();
    anyhow::ensure!(
        !users.is_empty(),
        "the store has no account with product users (login, session or feature_used) to write for"
    );
    anyhow::ensure!(
        !features.is_empty(),
        "the store has no features to write feature_used activities of"
    );

    let batch_size = (rate / 10).max(1) as usize;
    let interval = Duration::from_secs_f64(batch_size as f64 / f64::from(rate));
    let run = super::now().millis();
    outln!(
        "writer: {rate} activities a second for {seconds} s, {batch_size} a batch, over {} accounts",
        users.len()
    );
    let started = Instant::now();
    let mut written = 0_usize;
    let mut inserted = 0_usize;
    let mut failed = 0_usize;
    let mut behind = 0_usize;
    let mut batch_times = Vec::new();
    let mut batch = Vec::with_capacity(batch_size);
    for number in 0_u32.. {
        let due = interval * number;
        if due.as_secs_f64() >= seconds {
            break;
        }
        match due.checked_sub(started.elapsed()) {
            Some(wait) => std::thread::sleep(wait),
            None => behind += 1,
        }
        let now = super::now();
        batch.clear();
        for _ in 0..batch_size {
            let (account, account_users) = &users[random.below(users.len())];
            let user = account_users[random.below(account_users.len())].clone();
            let detail = if random.below(2) == 0 {
                ActivityDetail::Login { user }
            } else {
                let feature = features[random.below(features.len())].clone();
                ActivityDetail::FeatureUsed { user, feature }
            };
            batch.push(Activity {
                source_id: Some(format!("bench-writer-{run}-{written}")),
                account: account.clone(),
                at: now,
                detail,
            });
            written += 1;
        }
        let committing = Instant::now();
        match app.record_activities(&batch, now) {
            Ok(recorded) => inserted += recorded.inserted,
            Err(error) => {
                if failed == 0 {
                    eprintln!("writer: a batch failed: {error}");
                }
                failed += 1;
            }
        }
        batch_times.push(committing.elapsed().as_secs_f64() * 1000.0);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let batches = batch_times.len();
    let (median, p99) = median_and(batch_times, 0.99);
    outln!(
        "writer: wrote {inserted} new activities ({written} sent) in {batches} batches over {elapsed:.1} s = {:.0} a second; a batch's transaction median {median:.1} ms, p99 {p99:.1} ms; {behind} batches late, {failed} failed",
        inserted as f64 / elapsed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Accounts with the product users their stored activities name, read from
/// `windows` runs of `window` activities at random places in the store's
/// sequence (reads by sequence number are cheap; one account's activities
/// may take a scan of them all). Accounts without product users are left out.
fn product_users_of_some_accounts(
    store: &dyn rapport_store::Store,
    random: &mut SplitMix64,
    windows: usize,
    window: usize,
) -> anyhow::Result<Vec<(ExternalId, Vec<UserId>)>> {
    let stored = store.counts()?.activities as usize;
    let mut users: BTreeMap<ExternalId, BTreeSet<UserId>> = BTreeMap::new();
    for _ in 0..windows.min(stored.div_ceil(window.max(1))) {
        let first = 1 + random.below(stored.max(1)) as i64;
        store.activities_in(first, first + window as i64 - 1, &mut |_, activity| {
            if let ActivityDetail::Login { user }
            | ActivityDetail::Session { user, .. }
            | ActivityDetail::FeatureUsed { user, .. } = activity.detail
            {
                users.entry(activity.account).or_default().insert(user);
            }
        })?;
    }
    Ok(users
        .into_iter()
        .map(|(account, users)| (account, users.into_iter().collect()))
        .collect())
}

/// A small seeded generator (SplitMix64): the writer's choices need no more.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// Uniform in `0..bound` (`bound` > 0; the bias is negligible here).
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}
