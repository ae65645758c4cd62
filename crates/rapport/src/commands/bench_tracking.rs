//! `rapport bench tracking`: `/v1/batch` ingest with durable acknowledgement.
//! A fresh SQLite store in a temporary folder, the server on a loopback port
//! in this process, and `--connections` keep-alive HTTP/1.1 clients sending
//! SDK-shaped batches of `--batch` events (no `messageId`, so the server
//! gives every event a fresh one and none is a duplicate) for `--seconds`.
//! An event counts once its request was answered 200, that is once its group
//! commit (synchronous = FULL) is on disk and the engine has followed it; the
//! store's activity count is checked against the count acknowledged.
//!
//! Freshness is probed alongside the load and then on its own for 3 s: a
//! probe makes a new account, reads its engagement score, sends a batch of
//! its users' logins and feature use, and from the acknowledgement reads the
//! score again until it differs (a probe unchanged after 5 s fails the run).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rapport_app::{App, AppConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(clap::Args)]
pub struct TrackingBenchArgs {
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Events a request.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Accounts the events are spread over (created by group calls first).
    #[arg(long, default_value_t = 200)]
    accounts: usize,
}

/// One SDK-shaped track event of account `account`, user `user`.
fn event(index: usize, accounts: usize) -> serde_json::Value {
    let account = index % accounts;
    let user = format!("bench-{account}-{}", index % 7);
    let name = if index.is_multiple_of(3) {
        "Signed In"
    } else {
        "Feature Used"
    };
    serde_json::json!({
        "type": "track",
        "userId": user,
        "event": name,
        "properties": {"feature": format!("feature-{}", index % 11)},
        "context": {"groupId": format!("bench-account-{account}"), "library": {"name": "rapport-bench", "version": "1"}},
    })
}

pub fn run(args: &TrackingBenchArgs) -> anyhow::Result<ExitCode> {
    let folder = tempfile::tempdir().context("cannot create a temporary folder")?;
    let url = format!("sqlite://{}", folder.path().join("bench.db").display());
    let store = rapport_store::open(&url).context("cannot create the benchmark store")?;
    let app = App::loaded(store, AppConfig::shipped())?;
    let key = app
        .create_write_key(
            &rapport_core::access::Person::operator(),
            "bench",
            super::now(),
        )?
        .key;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(measure(app, key, args))
}

async fn measure(app: Arc<App>, key: String, args: &TrackingBenchArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(super::bench::serve_until_exit(listener, Arc::clone(&app)));
    let groups: Vec<serde_json::Value> = (0..args.accounts)
        .map(|account| {
            serde_json::json!({"type": "group", "userId": format!("bench-{account}-0"),
                "groupId": format!("bench-account-{account}"), "traits": {"name": format!("Bench {account}")}})
        })
        .collect();
    let mut setup = Client::connect(address, &key).await?;
    setup
        .post(&serde_json::json!({ "batch": groups }).to_string())
        .await?;
    let body = serde_json::json!({
        "batch": (0..args.batch).map(|index| event(index, args.accounts)).collect::<Vec<_>>(),
        "sentAt": rapport_core::Timestamp::from_millis(chrono::Utc::now().timestamp_millis()).to_rfc3339(),
    })
    .to_string();
    let body = Arc::new(body);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let mut clients = Vec::new();
    for _ in 0..args.connections {
        let body = Arc::clone(&body);
        let key = key.clone();
        clients.push(tokio::spawn(async move {
            let mut client = Client::connect(address, &key).await?;
            let mut latencies = Vec::new();
            let mut refused = 0usize;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match client.post(&body).await? {
                    200 => latencies.push(sent.elapsed()),
                    429 => {
                        refused += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    status => anyhow::bail!("/v1/batch answered {status}"),
                }
            }
            anyhow::Ok((latencies, refused))
        }));
    }
    let probe = tokio::spawn(freshness(address, key.clone(), deadline, 0));
    let mut latencies = Vec::new();
    let mut refused = 0;
    for client in clients {
        let (mut of_client, refused_of_client) = client.await??;
        latencies.append(&mut of_client);
        refused += refused_of_client;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let loaded = probe.await??;
    let idle = freshness(
        address,
        key.clone(),
        Instant::now() + Duration::from_secs(3),
        loaded.probes,
    )
    .await?;
    latencies.sort();
    let acknowledged = latencies.len() * args.batch;
    let stored = app.store().counts()?.activities as usize;
    let percentile = |share: f64| {
        latencies
            .get(((latencies.len() as f64 * share) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
    };
    outln!(
        "tracking ingest: {} events acknowledged in {elapsed:.1} s = {:.0} events/s ({} requests of {} events, {} connections, {} refused with 429); request latency p50 {:.1} ms, p99 {:.1} ms; store holds {stored} activities; synchronous=FULL for tracking commits",
        acknowledged,
        acknowledged as f64 / elapsed,
        latencies.len(),
        args.batch,
        args.connections,
        refused,
        percentile(0.5),
        percentile(0.99),
    );
    outln!("freshness under that load: {loaded}");
    outln!("freshness without other load: {idle}");
    anyhow::ensure!(
        loaded.unchanged + idle.unchanged == 0,
        "a probe's score did not change within 5 s of its acknowledgement"
    );
    anyhow::ensure!(
        stored >= acknowledged,
        "the store holds {stored} activities but {acknowledged} were acknowledged"
    );
    Ok(ExitCode::SUCCESS)
}

/// Freshness samples: from a batch's acknowledgement to the first response
/// serving the changed score.
struct Freshness {
    samples: Vec<Duration>,
    probes: usize,
    /// Probes whose score had not changed 5 s after the acknowledgement.
    unchanged: usize,
}

impl std::fmt::Display for Freshness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let at = |share: f64| {
            sorted
                .get(((sorted.len() as f64 * share) as usize).min(sorted.len().saturating_sub(1)))
                .map_or(0.0, |sample| sample.as_secs_f64() * 1000.0)
        };
        write!(
            f,
            "{} probes, acknowledgement to changed score served: median {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} unchanged after 5 s",
            sorted.len(),
            at(0.5),
            at(0.99),
            sorted
                .last()
                .map_or(0.0, |last| last.as_secs_f64() * 1000.0),
            self.unchanged
        )
    }
}

/// Until `deadline`, probes how fresh the served score is: each probe makes
/// a new account (a group call), reads its engagement score, sends a batch of
/// its users' logins and feature use, and from the acknowledgement reads the
/// score again until it differs. Probe `first` on get their own accounts.
async fn freshness(
    address: std::net::SocketAddr,
    key: String,
    deadline: Instant,
    first: usize,
) -> anyhow::Result<Freshness> {
    let mut client = Client::connect(address, &key).await?;
    let mut result = Freshness {
        samples: Vec::new(),
        probes: first,
        unchanged: 0,
    };
    while Instant::now() < deadline {
        let account = format!("probe-account-{}", result.probes);
        result.probes += 1;
        let group = serde_json::json!({"batch": [{"type": "group", "userId": format!("{account}-user-0"),
            "groupId": account, "traits": {"name": format!("Probe {}", result.probes)}}]});
        if client
            .request("POST", "/v1/batch", &group.to_string())
            .await?
            .0
            != 200
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let before = overall(&mut client, &account).await?;
        let uses: Vec<serde_json::Value> = (0..6)
            .map(|index| {
                serde_json::json!({"type": "track", "userId": format!("{account}-user-{}", index % 3),
                "event": if index % 2 == 0 { "Signed In" } else { "Feature Used" },
                "properties": {"feature": format!("feature-{index}")}, "context": {"groupId": account}})
            })
            .collect();
        let body = serde_json::json!({ "batch": uses }).to_string();
        if client.request("POST", "/v1/batch", &body).await?.0 != 200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let acknowledged = Instant::now();
        loop {
            if overall(&mut client, &account).await? != before {
                result.samples.push(acknowledged.elapsed());
                break;
            }
            if acknowledged.elapsed() > Duration::from_secs(5) {
                result.unchanged += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(result)
}

/// The engagement score the API serves for `account` now (`null` when none).
async fn overall(client: &mut Client, account: &str) -> anyhow::Result<serde_json::Value> {
    let (status, body) = client
        .request(
            "GET",
            &format!("/api/intelligence/engagement/{account}"),
            "",
        )
        .await?;
    anyhow::ensure!(status == 200, "engagement of {account} answered {status}");
    let body: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(body["overall"].clone())
}

/// A keep-alive HTTP/1.1 client of `POST /v1/batch` (enough for a benchmark).
struct Client {
    stream: BufReader<tokio::net::TcpStream>,
    key: String,
}

impl Client {
    async fn connect(address: std::net::SocketAddr, key: &str) -> anyhow::Result<Client> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream: BufReader::new(stream),
            key: key.to_string(),
        })
    }

    /// Sends one batch; the response's status.
    async fn post(&mut self, body: &str) -> anyhow::Result<u16> {
        Ok(self.request("POST", "/v1/batch", body).await?.0)
    }

    /// One request on the kept-alive connection; the status and the body.
    async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.key,
            body.len()
        );
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("not an HTTP response: {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse()?;
            }
        }
        let mut answer = vec![0; length];
        self.stream.read_exact(&mut answer).await?;
        Ok((status, answer))
    }
}
