//! Who may call what: the role × route matrix, read from the router's own
//! route table (a new route is in it by construction), and the browser
//! session's rules: CSRF on every change, JSON bodies only, sign-out.

use rapport_core::access::{Permission, Role};
use rapport_core::scoring::model::Model;
use rapport_server::{Access, RouteSpec};
use serde_json::Value;

use super::support::{Served, import_instant, serve_portfolio};

/// A caller of the matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Nobody,
    WriteKey,
    Person(Role),
}

struct Fixture {
    served: Served,
    /// Tokens by role; the CSM's name is `own`'s CSM.
    tokens: Vec<(Role, String)>,
    write_key: String,
    /// An account of the CSM's, and one neither theirs nor their team's.
    own: String,
    other: String,
}

async fn fixture() -> Fixture {
    let served = serve_portfolio(6, 20, Model::prd070()).await;
    let app = &served.app;
    let accounts = app.accounts().unwrap();
    let own = accounts[0].clone();
    let other = accounts
        .iter()
        .find(|account| {
            account.csm != own.csm && account.manager.as_deref() != Some(own.csm.as_str())
        })
        .expect("a portfolio of two CSMs")
        .clone();
    let now = import_instant();
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let name = if role == Role::Csm {
            own.csm.clone()
        } else {
            format!("a {role}")
        };
        app.create_user(
            &rapport_core::access::Person::operator(),
            &name,
            None,
            role,
            now,
        )
        .unwrap();
        tokens.push((
            role,
            app.create_token(
                &rapport_core::access::Person::operator(),
                &name,
                "matrix",
                None,
                now,
            )
            .unwrap()
            .token,
        ));
    }
    let write_key = app
        .create_write_key(&rapport_core::access::Person::operator(), "matrix", now)
        .unwrap()
        .key;
    Fixture {
        served,
        tokens,
        write_key,
        own: own.id.to_string(),
        other: other.id.to_string(),
    }
}

/// The route's path with its parameters filled: the account ones with
/// `account`, the others with values that name nothing.
fn concrete(route: &RouteSpec, account: &str) -> String {
    let account_param = match route.access {
        Access::Person { account, .. } | Access::Page { account, .. } => account,
        _ => None,
    };
    let mut path = String::new();
    for segment in route.path.split('/').skip(1) {
        path.push('/');
        match segment
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some(name) if Some(name) == account_param => path.push_str(account),
            Some(_) => path.push_str("999999"),
            None => path.push_str(segment),
        }
    }
    path
}

async fn call(fixture: &Fixture, route: &RouteSpec, caller: Caller, account: &str) -> (u16, Value) {
    let url = format!("{}{}", fixture.served.base, concrete(route, account));
    // A page sends someone not signed in to the sign-in page: the redirect
    // itself is what is checked.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.request(route.method.clone(), url);
    match caller {
        Caller::Nobody => {}
        Caller::WriteKey => request = request.basic_auth(&fixture.write_key, Some("")),
        Caller::Person(role) => {
            let token = &fixture
                .tokens
                .iter()
                .find(|(held, _)| *held == role)
                .unwrap()
                .1;
            request = request.bearer_auth(token);
        }
    }
    if route.method != reqwest::Method::GET {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| {
        // A page's refusal is a page: its message is in its text.
        let scope = "no account with id or name";
        serde_json::json!({
            "error": if text.contains(scope) { scope } else { "" },
            "page": true,
        })
    });
    (status, body)
}

/// What a role is granted, as docs/security.md's table says.
fn allows(permission: Permission, role: Role) -> bool {
    match permission {
        Permission::Read => true,
        Permission::Write => role >= Role::Csm,
        Permission::Admin => role == Role::Admin,
    }
}

/// What the guard answers a caller, or `None` when it lets the request
/// through to the handler (which may still refuse the dummy request).
fn expected(route: &RouteSpec, caller: Caller, own_account: bool) -> Option<u16> {
    match (route.access, caller) {
        (Access::Public, _) => None,
        // Ingest routes take a write key only (HTTP Basic or `writeKey`).
        (Access::Ingest, Caller::WriteKey) => None,
        (Access::Ingest, _) => Some(401),
        // A write key, or a person who may change things (for their accounts).
        (Access::IngestOrPerson { .. }, Caller::WriteKey) => None,
        (Access::IngestOrPerson { .. }, Caller::Nobody) => Some(401),
        (Access::IngestOrPerson { permission }, Caller::Person(role)) => {
            if allows(permission, role) {
                None
            } else {
                Some(403)
            }
        }
        (Access::Person { .. }, Caller::Nobody | Caller::WriteKey) => Some(401),
        (Access::Page { .. }, Caller::Nobody | Caller::WriteKey) => Some(303),
        (
            Access::Person {
                permission,
                account,
            }
            | Access::Page {
                permission,
                account,
            },
            Caller::Person(role),
        ) => {
            if !allows(permission, role) {
                Some(403)
            } else if account.is_some() && role == Role::Csm && !own_account {
                Some(404)
            } else {
                None
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_on_every_route_gets_what_its_role_allows() {
    let fixture = fixture().await;
    let (_, table) = rapport_server::router_and_table(std::sync::Arc::clone(&fixture.served.app));
    assert!(table.len() >= 40, "{} routes", table.len());
    let callers = [
        Caller::Nobody,
        Caller::WriteKey,
        Caller::Person(Role::Viewer),
        Caller::Person(Role::Csm),
        Caller::Person(Role::Leader),
        Caller::Person(Role::Admin),
    ];
    let mut checked = 0;
    for route in &table {
        // Signing out ends nothing here but is harmless; every route is called.
        for caller in callers {
            for (account, own_account) in [(&fixture.own, true), (&fixture.other, false)] {
                let (status, body) = call(&fixture, route, caller, account).await;
                let what = format!(
                    "{caller:?} {} {} → {status} {body}",
                    route.method, route.path
                );
                assert!(status < 500, "{what}");
                if route.access == Access::Public {
                    // Signing in with nothing (or a wrong token) is a 401 of its own.
                    checked += 1;
                    continue;
                }
                match expected(route, caller, own_account) {
                    Some(404) => {
                        assert_eq!(status, 404, "{what}");
                        assert!(
                            body["error"]
                                .as_str()
                                .unwrap_or("")
                                .starts_with("no account with id or name"),
                            "{what}"
                        );
                    }
                    Some(refused) => assert_eq!(status, refused, "{what}"),
                    None => {
                        assert!(![401, 403].contains(&status), "{what}");
                        let scope_refusal = status == 404
                            && body["error"]
                                .as_str()
                                .unwrap_or("")
                                .starts_with("no account with id or name");
                        assert!(!scope_refusal, "{what}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, table.len() * callers.len() * 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csm_lists_only_their_accounts_and_a_revoked_token_is_refused() {
    let fixture = fixture().await;
    let base = &fixture.served.base;
    let csm_token = &fixture
        .tokens
        .iter()
        .find(|(role, _)| *role == Role::Csm)
        .unwrap()
        .1;
    let client = reqwest::Client::new();
    let listed: Vec<Value> = client
        .get(format!("{base}/api/accounts"))
        .bearer_auth(csm_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let everyone = fixture.served.app.accounts().unwrap();
    assert!(!listed.is_empty() && listed.len() < everyone.len());
    assert!(
        listed
            .iter()
            .any(|account| account["id"] == fixture.own.as_str())
    );
    assert!(
        listed
            .iter()
            .all(|account| account["id"] != fixture.other.as_str())
    );

    // The last use is written beside the request, not in its way: within
    // moments.
    let mut waited = 0;
    let listing = loop {
        let tokens = fixture.served.app.tokens(None).unwrap();
        let listing = tokens
            .into_iter()
            .find(|token| csm_token.starts_with(&token.prefix))
            .unwrap();
        if listing.last_used_at.is_some() || waited >= 100 {
            break listing;
        }
        waited += 1;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(listing.last_used_at.is_some(), "the last use is recorded");
    fixture
        .served
        .app
        .revoke_token(
            &rapport_core::access::Person::operator(),
            listing.id,
            import_instant(),
        )
        .unwrap();
    let refused = client
        .get(format!("{base}/api/accounts"))
        .bearer_auth(csm_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_session_needs_its_csrf_token_for_every_change() {
    let fixture = fixture().await;
    let base = &fixture.served.base;
    let app = &fixture.served.app;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let link = app
        .sign_in_link_token(
            &rapport_core::access::Person::operator(),
            "a admin",
            rapport_core::Timestamp::from_millis(now),
        )
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = client
        .get(format!("{base}/sign-in?token={}", link.token))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    // The link is spent.
    let again = client
        .get(format!("{base}/sign-in?token={}", link.token))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 401);

    let session: Value = client
        .get(format!("{base}/api/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = session["csrfToken"].as_str().unwrap().to_string();
    let webhook = r#"{"url": "https://hooks.example.com/rapport", "secret": "long-enough-secret"}"#;
    // A change with the session cookie: the status, given the CSRF token
    // sent (if any) and the body's type.
    let change =
        |path: &'static str, csrf: Option<&str>, content_type: &'static str, body: &'static str| {
            let mut request = client
                .post(format!("{base}{path}"))
                .header("cookie", &cookie)
                .header("content-type", content_type)
                .header("origin", "https://evil.example")
                .body(body);
            if let Some(csrf) = csrf {
                request = request.header("x-csrf-token", csrf);
            }
            async move { request.send().await.unwrap().status().as_u16() }
        };
    // Another site's "simple requests": text/plain, its own Origin, no token.
    assert_eq!(
        change("/api/webhooks", None, "text/plain", webhook).await,
        403
    );
    assert_eq!(
        change(
            "/api/alerts/1/resolve",
            None,
            "text/plain",
            r#"{"author": "x"}"#
        )
        .await,
        403
    );
    // JSON without the token, and the token without JSON: refused too.
    assert_eq!(
        change("/api/webhooks", None, "application/json", webhook).await,
        403
    );
    assert_eq!(
        change("/api/webhooks", Some(&csrf), "text/plain", webhook).await,
        415
    );
    assert_eq!(
        change("/api/webhooks", Some(&csrf), "application/json", webhook).await,
        201
    );
    assert!(app.webhooks().unwrap().len() == 1);

    let out = client
        .delete(format!("{base}/api/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let after = client
        .get(format!("{base}/api/accounts"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_opens_a_session_and_guessing_is_refused_alike_then_slowed() {
    let fixture = fixture().await;
    let base = &fixture.served.base;
    let app = &fixture.served.app;
    let short = app
        .set_password(
            &rapport_core::access::Person::operator(),
            "a admin",
            "too short",
            import_instant(),
        )
        .unwrap_err();
    assert!(short.to_string().contains("password"), "{short}");
    let listed = app
        .set_password(
            &rapport_core::access::Person::operator(),
            "a admin",
            "correct horse battery staple",
            import_instant(),
        )
        .unwrap();
    assert!(listed.has_password);
    let client = reqwest::Client::new();
    let sign_in = |body: Value| {
        let request = client
            .post(format!("{base}/api/session"))
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let cookie = response
                .headers()
                .get("set-cookie")
                .map(|value| value.to_str().unwrap().to_string());
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|value| value.to_str().unwrap().to_string());
            let body: Value = response.json().await.unwrap();
            (status, cookie, retry_after, body)
        }
    };

    let (status, cookie, _, body) = sign_in(serde_json::json!({
        "name": "A Admin", "password": "correct horse battery staple"
    }))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "a admin");
    let cookie = cookie.unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let session: Value = client
        .get(format!("{base}/api/session"))
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["role"], "admin");

    // A wrong password, an unknown name and a user without a password read
    // the same.
    let wrong =
        sign_in(serde_json::json!({"name": "a admin", "password": "not the password"})).await;
    let unknown =
        sign_in(serde_json::json!({"name": "nobody", "password": "not the password"})).await;
    let without =
        sign_in(serde_json::json!({"name": "a viewer", "password": "not the password"})).await;
    assert_eq!((wrong.0, unknown.0, without.0), (401, 401, 401));
    assert_eq!(wrong.3, unknown.3);
    assert_eq!(wrong.3, without.3);
    assert!(wrong.1.is_none());

    // Half a password sign-in, or both ways at once, is a 400 naming the field.
    let (status, _, _, body) = sign_in(serde_json::json!({"name": "a admin"})).await;
    assert_eq!(
        (status, body["parameter"].as_str()),
        (400, Some("password")),
        "{body}"
    );
    let (status, _, _, body) =
        sign_in(serde_json::json!({"token": "rpt_x", "name": "a admin", "password": "x"})).await;
    assert_eq!(
        (status, body["parameter"].as_str()),
        (400, Some("token")),
        "{body}"
    );

    // Guessing one name is slowed: ten attempts at once, then 429.
    let mut statuses = Vec::new();
    let mut waited = None;
    for _ in 0..12 {
        let (status, _, retry_after, _) =
            sign_in(serde_json::json!({"name": "a leader", "password": "guess number one"})).await;
        statuses.push(status);
        waited = waited.or(retry_after);
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(&statuses[10..], &[429, 429]);
    assert!(waited.unwrap().parse::<u64>().unwrap() >= 1);
    // Not another name.
    let (status, ..) = sign_in(serde_json::json!({
        "name": "a admin", "password": "correct horse battery staple"
    }))
    .await;
    assert_eq!(status, 201);

    // A disabled user's password no longer opens anything.
    app.set_password(
        &rapport_core::access::Person::operator(),
        "a viewer",
        "viewer's own passphrase",
        import_instant(),
    )
    .unwrap();
    app.disable_user(
        &rapport_core::access::Person::operator(),
        "a viewer",
        import_instant(),
    )
    .unwrap();
    let (status, ..) = sign_in(serde_json::json!({
        "name": "a viewer", "password": "viewer's own passphrase"
    }))
    .await;
    assert_eq!(status, 401);
    // The hash is Argon2id and the password is nowhere in the store.
    let hashes: Vec<Option<String>> =
        rusqlite::Connection::open(fixture.served.url.trim_start_matches("sqlite://"))
            .unwrap()
            .prepare("SELECT password_hash FROM users")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    assert!(
        hashes
            .iter()
            .flatten()
            .all(|hash| hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"))
    );
    assert!(hashes.iter().flatten().all(|hash| !hash.contains("horse")));
}
