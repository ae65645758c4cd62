//! `rapport bench tracking`: `/v1/batch` ingest with durable acknowledgement.
//! A fresh SQLite store in a temporary folder, the server on a loopback port
//! in this process, and `--connections` keep-alive HTTP/1.1 clients sending
//! SDK-shaped batches of `--batch` events (no `messageId`, so the server
//! gives every event a fresh one and none is a duplicate) for `--seconds`.
//! An event counts once its request was answered 200, that is once its group
//! commit (synchronous = FULL) is on disk and the engine has followed it; the
//! store's activity count is checked against the count acknowledged.

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
    let key = app.create_write_key("bench", super::now())?.key;
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
    let mut latencies = Vec::new();
    let mut refused = 0;
    for client in clients {
        let (mut of_client, refused_of_client) = client.await??;
        latencies.append(&mut of_client);
        refused += refused_of_client;
    }
    let elapsed = started.elapsed().as_secs_f64();
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
    anyhow::ensure!(
        stored >= acknowledged,
        "the store holds {stored} activities but {acknowledged} were acknowledged"
    );
    Ok(ExitCode::SUCCESS)
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
        let head = format!(
            "POST /v1/batch HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
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
        Ok(status)
    }
}
