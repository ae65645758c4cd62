//! The API's description (issue 22, item 6): `/openapi.json` is OpenAPI 3.1,
//! describes exactly the routes of the router's own table (a route added
//! without its description fails here), says who may call each one as the
//! table does, and every reference in it resolves; the documentation page
//! shows every operation without a script of its own.

use std::collections::BTreeSet;

use rapport_core::scoring::model::Model;
use rapport_server::Access;
use serde_json::Value;

use super::support::{Served, serve_portfolio};

/// `GET path` without credentials: the status, content type and body.
async fn public_get(served: &Served, path: &str) -> (u16, String, String) {
    let response = reqwest::get(format!("{}{path}", served.base))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

async fn document(served: &Served) -> Value {
    let (status, content_type, text) = public_get(served, "/openapi.json").await;
    assert_eq!(status, 200, "{text}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    serde_json::from_str(&text).unwrap()
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                found.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_table_is_an_operation_of_the_document_and_nothing_else() {
    let served = serve_portfolio(3, 10, Model::prd070()).await;
    let document = document(&served).await;
    let (_, table) = rapport_server::router_and_table(std::sync::Arc::clone(&served.app));
    // Pages (HTML for people, not operations of the API) are left out.
    let table: Vec<_> = table
        .into_iter()
        .filter(|route| !matches!(route.access, Access::Page { .. }))
        .collect();
    let routes: BTreeSet<(String, String)> = table
        .iter()
        .map(|route| (route.method.as_str().to_string(), route.path.to_string()))
        .collect();
    assert_eq!(routes.len(), table.len(), "a route is in the table twice");
    let described = operations(&document);
    let undescribed: Vec<_> = routes.difference(&described).collect();
    let unrouted: Vec<_> = described.difference(&routes).collect();
    assert!(
        undescribed.is_empty(),
        "routes without a description in /openapi.json (add #[utoipa::path] and list the handler in openapi.rs): {undescribed:?}"
    );
    assert!(
        unrouted.is_empty(),
        "operations of /openapi.json no route serves: {unrouted:?}"
    );

    // Who may call each operation is what the table says.
    for route in &table {
        let operation = &document["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
        let schemes: BTreeSet<String> = operation["security"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|requirement| requirement.as_object().unwrap().keys().cloned())
            .collect();
        let expected: BTreeSet<String> = match route.access {
            Access::Public => BTreeSet::new(),
            Access::Ingest => ["writeKeyBasic", "writeKeyBearer"].map(String::from).into(),
            Access::IngestOrPerson { .. } => [
                "apiToken",
                "session",
                "csrfToken",
                "writeKeyBasic",
                "writeKeyBearer",
            ]
            .map(String::from)
            .into(),
            Access::Person { .. } if route.method == reqwest::Method::GET => {
                ["apiToken", "session"].map(String::from).into()
            }
            Access::Person { .. } => ["apiToken", "session", "csrfToken"]
                .map(String::from)
                .into(),
            Access::Page { .. } => unreachable!("pages are left out above"),
        };
        assert_eq!(schemes, expected, "{} {}", route.method, route.path);
        let responses = operation["responses"].as_object().unwrap();
        if route.access != Access::Public {
            for status in ["401", "429"] {
                assert!(
                    responses.contains_key(status),
                    "{} {} does not describe {status}",
                    route.method,
                    route.path
                );
            }
        }
        if let Access::Person {
            account: Some(_), ..
        } = route.access
        {
            assert!(
                responses.contains_key("404"),
                "{} {}",
                route.method,
                route.path
            );
        }
        assert!(
            responses
                .keys()
                .any(|status| status.starts_with('2') || status.starts_with('3')),
            "{} {} describes no success",
            route.method,
            route.path
        );
    }
}

/// Every `$ref` of `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => found.push(reference.clone()),
                    _ => references(value, found),
                }
            }
        }
        Value::Array(values) => values.iter().for_each(|value| references(value, found)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let served = serve_portfolio(3, 10, Model::prd070()).await;
    let document = document(&served).await;
    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi: {version}");
    assert_eq!(document["info"]["title"], "Rapport");
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .unwrap();
    assert_eq!(schemes["apiToken"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "rapport_session");
    assert_eq!(schemes["csrfToken"]["in"], "header");
    assert_eq!(schemes["writeKeyBasic"]["scheme"], "basic");
    let schemas = document["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("ErrorBody"));
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(found.len() > 50, "only {} references", found.len());
    for reference in found {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a reference outside the schemas: {reference}"));
        assert!(schemas.contains_key(name), "{reference} does not resolve");
    }
    // Every error the document describes is the API's JSON error.
    for item in document["paths"].as_object().unwrap().values() {
        for method in METHODS {
            for (status, response) in item[method]["responses"].as_object().into_iter().flatten() {
                if status.starts_with('4') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {status}"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documentation_page_shows_every_operation_without_scripts() {
    let served = serve_portfolio(3, 10, Model::prd070()).await;
    let document = document(&served).await;
    let response = reqwest::get(format!("{}/api/docs", served.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await.unwrap();
    assert!(
        !page.to_ascii_lowercase().contains("<script"),
        "the page has a script"
    );
    let mut shown = 0;
    for (method, path) in operations(&document) {
        let anchor =
            format!("{}-{path}", method.to_ascii_lowercase()).replace(['/', '{', '}', '.'], "-");
        assert!(
            page.contains(&format!("id=\"{anchor}\"")),
            "{method} {path} is not on the page"
        );
        shown += 1;
    }
    assert!(shown >= 40, "{shown} operations");
    assert!(page.contains("href=\"/openapi.json\""));
}

/// The source files under `dir`, recursively.
fn rust_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// utoipa names a schema after its type, and the document has one namespace:
/// two types of one name (the engagement's `Trend` and the weekly report's)
/// would describe one with the other's schema. Every type deriving `ToSchema`
/// has a name of its own, or its own `#[schema(as = …)]`.
#[test]
fn every_schema_has_a_name_of_its_own() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for name in ["rapport-core", "rapport-app", "rapport-server"] {
        rust_files(&crates.join(name).join("src"), &mut files);
    }
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut derived = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            let mut renamed = None;
            for following in &lines[index + 1..] {
                let following = following.trim();
                if let Some(rest) = following.strip_prefix("#[schema(as = ") {
                    renamed = rest.split([')', ',']).next().map(str::to_string);
                }
                let declared = following
                    .strip_prefix("pub struct ")
                    .or_else(|| following.strip_prefix("pub enum "))
                    .or_else(|| following.strip_prefix("pub(crate) struct "))
                    .or_else(|| following.strip_prefix("pub(crate) enum "))
                    .or_else(|| following.strip_prefix("struct "))
                    .or_else(|| following.strip_prefix("enum "));
                // A macro's `pub enum $name` is named where it is used.
                if declared.is_some_and(|rest| rest.starts_with('$')) {
                    break;
                }
                if let Some(rest) = declared {
                    let name: String = rest
                        .chars()
                        .take_while(|character| character.is_alphanumeric() || *character == '_')
                        .collect();
                    let name = renamed.take().unwrap_or(name);
                    let place = format!("{}:{}", file.display(), index + 1);
                    derived += 1;
                    if let Some(earlier) = seen.insert(name.clone(), place.clone()) {
                        panic!(
                            "two schemas named `{name}`: {earlier} and {place}; give one #[schema(as = …)]"
                        );
                    }
                    break;
                }
            }
        }
    }
    assert!(
        derived > 50,
        "only {derived} types derive ToSchema: the scan is broken"
    );
}
