//! What every HTTP test shares: a generated portfolio in a fresh SQLite store,
//! the application over it, the server on a loopback port (stopped when the
//! test drops it), and a request helper.

use std::sync::Arc;

use rapport_app::{App, AppConfig};
use rapport_core::Timestamp;
use rapport_core::scoring::model::{EngagementModels, Model};
use rapport_demo::DemoConfig;
use rapport_ingest::{NoProgress, import_dir};
use serde_json::Value;

pub struct Served {
    pub base: String,
    /// An admin's API token, which [`Served::client`] sends.
    pub token: String,
    pub app: Arc<App>,
    /// The store's database URL (another process's view of it).
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _folder: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The instant the generated portfolios end at.
pub fn import_instant() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-31T00:00:00Z").unwrap()
}

/// A generated portfolio of `accounts` over `days`, imported into a fresh
/// SQLite store in a temporary folder; the application over it (not loaded).
pub fn portfolio(
    accounts: usize,
    days: u32,
    model: Model,
) -> (tempfile::TempDir, String, Arc<App>) {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    let config = DemoConfig {
        accounts,
        days,
        seed: 7,
        end: chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
    };
    rapport_demo::write_portfolio(&config, &data).unwrap();
    let url = format!("sqlite://{}", folder.path().join("rapport.db").display());
    let store = rapport_store::open(&url).unwrap();
    let reports = import_dir(store.as_ref(), &data, import_instant(), &NoProgress);
    assert!(reports.iter().all(|report| report.rejected.is_empty()));
    let app = App::new(
        store,
        AppConfig {
            models: EngagementModels::single(model),
            health_model: Model::health(),
            checkpoint: None,
            webhooks: Default::default(),
            rate_limit: Default::default(),
        },
    );
    (folder, url, app)
}

/// Serves `app` on a loopback port until the returned value is dropped.
pub async fn serve(folder: tempfile::TempDir, url: String, app: Arc<App>) -> Served {
    app.load().unwrap();
    let token = admin_token(&app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(rapport_server::serve(listener, Arc::clone(&app), async {
        let _ = stopped.await;
    }));
    Served {
        base,
        token,
        app,
        url,
        stop: Some(stop),
        _folder: folder,
    }
}

/// An admin (made on first use) and a new API token of theirs.
pub fn admin_token(app: &App) -> String {
    let now = import_instant();
    if app
        .users()
        .unwrap()
        .iter()
        .all(|user| user.name != "test admin")
    {
        app.create_user(
            &rapport_core::access::Person::operator(),
            "test admin",
            None,
            rapport_core::access::Role::Admin,
            now,
        )
        .unwrap();
    }
    app.create_token(
        &rapport_core::access::Person::operator(),
        "test admin",
        "tests",
        None,
        now,
    )
    .unwrap()
    .token
}

impl Served {
    /// An HTTP client that signs in as the test admin.
    pub fn client(&self) -> reqwest::Client {
        client_of(&self.token)
    }

    /// A new API token of the user `name` (made with `role` on first use).
    pub fn token_of(&self, name: &str, role: rapport_core::access::Role) -> String {
        let now = import_instant();
        if self
            .app
            .users()
            .unwrap()
            .iter()
            .all(|user| user.name != name)
        {
            self.app
                .create_user(
                    &rapport_core::access::Person::operator(),
                    name,
                    None,
                    role,
                    now,
                )
                .unwrap();
        }
        self.app
            .create_token(
                &rapport_core::access::Person::operator(),
                name,
                "tests",
                None,
                now,
            )
            .unwrap()
            .token
    }
}

/// An HTTP client that sends `token`.
pub fn client_of(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A generated portfolio served on a loopback port.
pub async fn serve_portfolio(accounts: usize, days: u32, model: Model) -> Served {
    let (folder, url, app) = portfolio(accounts, days, model);
    serve(folder, url, app).await
}

/// One request as the test admin; the body parsed as JSON (`Null` when empty).
pub async fn send(
    served: &Served,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    send_as(served, &served.token, method, path, body).await
}

/// One request with `token`; the body parsed as JSON (`Null` when empty).
pub async fn send_as(
    served: &Served,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = client_of(token);
    let mut request = client.request(method, format!("{}{path}", served.base));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
    };
    (status, body)
}

/// `GET path`.
pub async fn get(served: &Served, path: &str) -> (u16, Value) {
    send(served, reqwest::Method::GET, path, None).await
}
