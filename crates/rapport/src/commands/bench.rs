//! `rapport bench engine`: loads the store into the engine's in-memory state,
//! then measures what issue 3 sets goals for: resident memory per activity, the
//! full breakdown of every account, and one account's breakdown in the engine
//! and through the HTTP API; and the success metrics of every account and of
//! one account through the API. A benchmark, not a test; its figures are recorded
//! in docs/benchmarks.md.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rapport_core::engagement::{BreakdownCaches, Compare, engagement_breakdown};
use rapport_core::engine::Window;
use rapport_core::engine::facts::factor_facts;
use rapport_core::score::summary;
use rapport_core::{Period, Timestamp};

use super::open_store;

use crate::settings::Settings;

/// Resident memory of this process in bytes, from /proc (Linux only).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn median_and_p90(mut timings: Vec<f64>) -> (f64, f64) {
    timings.sort_by(f64::total_cmp);
    (timings[timings.len() / 2], timings[timings.len() * 9 / 10])
}

pub fn engine(settings: &Settings, as_of: &str) -> anyhow::Result<ExitCode> {
    let as_of = Timestamp::parse_lenient(as_of)?;
    let model = settings.engagement_model()?;
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
    println!(
        "load: {activities} activities into the engine in {:.1} s; resident memory grew {:.0} MiB: {:.0} MiB for accounts, contacts, outcomes and goals, then {:.0} MiB for the activities = {:.1} bytes per activity ({:.1} counting everything)",
        load.as_secs_f64(),
        mib(after.saturating_sub(before)),
        mib(records.saturating_sub(before)),
        mib(per_activity),
        per_activity as f64 / activities.max(1) as f64,
        after.saturating_sub(before) as f64 / activities.max(1) as f64
    );

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
            let facts = factor_facts(&state, account, *window);
            checksum += summary(&model, &facts).overall.unwrap_or(0.0);
        }
    }
    println!(
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
            &state,
            account,
            windows[0],
            Compare::Previous,
            &caches,
        );
        built += usize::from(breakdown.is_some());
        std::hint::black_box(breakdown);
    }
    println!(
        "full breakdown of every account: {built} accounts in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    // One account at a time, as the API computes it: with the caches as a
    // running server has them, and with a new `as_of` each time (a cold peer group).
    let sample: Vec<_> = state.accounts().step_by((accounts / 200).max(1)).collect();
    let time_one = |caches: &BreakdownCaches, account, window| {
        let started = Instant::now();
        let breakdown =
            engagement_breakdown(&model, &state, account, window, Compare::Previous, caches);
        std::hint::black_box(breakdown);
        started.elapsed().as_secs_f64() * 1000.0
    };
    let warm: Vec<f64> = sample
        .iter()
        .map(|account| time_one(&caches, account, windows[0]))
        .collect();
    let (median, p90) = median_and_p90(warm);
    println!(
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
    let (median, p90) = median_and_p90(cold);
    println!(
        "one account, engine, new as_of each time (peers and impact recomputed): median {median:.2} ms, p90 {p90:.2} ms"
    );

    // Success metrics (PRD-069) of every account, each with its tier benchmark.
    let goals: usize = state.accounts().map(|account| account.goals().len()).sum();
    let started = Instant::now();
    let mut reports = 0;
    let peers = rapport_core::success::account::SuccessPeerCache::default();
    for account in state.accounts() {
        let view = rapport_core::success::account::account_success(
            &state,
            account,
            as_of,
            Some(&peers),
            true,
        );
        reports += usize::from(view.is_some());
        std::hint::black_box(view);
    }
    println!(
        "success metrics of every account ({goals} goals), with benchmarks: {reports} accounts in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    // The health report (health model, 30 days earlier, history, signals,
    // playbooks) of every account, and one daily snapshot of every model.
    let health = rapport_core::model::Model::health();
    let started = Instant::now();
    let mut reports = 0;
    for account in state.accounts() {
        let report = rapport_core::health::health_report(&health, &state, account, as_of);
        reports += usize::from(report.is_some());
        std::hint::black_box(report);
    }
    println!(
        "health report of every account: {reports} accounts in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    let snapshot = rapport_core::snapshot::take(&health, &state, as_of.date());
    println!(
        "one day's health snapshot of {} accounts in {:.0} ms ({} bytes packed)",
        snapshot.scores.len(),
        started.elapsed().as_secs_f64() * 1000.0,
        snapshot
            .scores
            .iter()
            .map(|(_, scores)| 4 + rapport_core::snapshot::encode(scores).len())
            .sum::<usize>()
    );

    // The portfolio engagement overview of every active account (issue 6).
    let engagement = settings.engagement_model()?;
    let mut timings = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let view = rapport_core::overview::overview(
            &state,
            &engagement,
            &health,
            windows[0],
            windows[1],
            &rapport_core::overview::OverviewFilter::default(),
        );
        std::hint::black_box(view);
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (median, _) = median_and_p90(timings);
    println!(
        "portfolio engagement overview of every active account: median {median:.0} ms over 5 runs"
    );

    let ids = sample_ids(&sample);
    drop(sample);
    let loaded = rapport_store::LoadedEngine {
        state,
        cursor,
        activity_high_water,
    };
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
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
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
        let (median, p90) = median_and_p90(timings);
        println!(
            "one account's {what} through the API (HTTP on loopback, JSON included): first request {first:.1} ms, then median {median:.2} ms, p90 {p90:.2} ms over {} accounts",
            ids.len()
        );
    }
    let _ = stop.send(());
    runtime.block_on(server)??;
    Ok(())
}
