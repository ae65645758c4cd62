//! Hostile names in every document: an account named `<script>alert(1)</script>`
//! renders as text on every page and in every export, and a name a
//! spreadsheet would read as a formula (`=`, `+`, `-`, `@` first) is
//! neutralised in every CSV export.

use rapport_core::scoring::model::Model;
use rapport_ingest::{ContractFile, NoProgress};

use super::support::{Served, import_instant, portfolio, serve};

const SCRIPT: &str = "<script>alert(1)</script>";
/// Names a spreadsheet would run as formulas.
const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example\",\"open\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
];

/// A portfolio whose first five accounts are renamed to the hostile names
/// (re-imported, as a CRM export would bring them), and whose first
/// account's CSM is named like a formula too.
async fn hostile() -> (Served, Vec<String>) {
    let (folder, url, app) = portfolio(6, 30, Model::prd070());
    let path = folder.path().join("data").join("accounts.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let name = headers.iter().position(|header| header == "name").unwrap();
    let mut rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let names: Vec<&str> = std::iter::once(SCRIPT).chain(FORMULAS).collect();
    let mut ids = Vec::new();
    for (row, hostile) in rows.iter_mut().zip(&names) {
        let mut cells: Vec<String> = row.iter().map(str::to_string).collect();
        cells[name] = hostile.to_string();
        ids.push(cells[0].clone());
        *row = csv::StringRecord::from(cells);
    }
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&headers).unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
    let report = app
        .import_file(ContractFile::Accounts, &path, import_instant(), &NoProgress)
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    (serve(folder, url, app).await, ids)
}

async fn text(served: &Served, path: &str) -> (u16, String, String) {
    let response = served
        .client()
        .get(format!("{}{path}", served.base))
        .send()
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

/// No raw script tag, and (where the name is shown) the name as text.
fn renders_as_text(document: &str, what: &str, must_show: bool) {
    assert!(
        !document.contains("<script>alert(1)"),
        "{what} carries the name as markup:\n{document}"
    );
    if must_show {
        assert!(
            // HTML entities (minijinja writes `/` as `&#x2f;` too), or
            // Markdown's backslashes.
            document.contains("&lt;script&gt;alert(1)&lt;")
                || document.contains("\\<script\\>alert(1)\\</script\\>"),
            "{what} does not show the name as text:\n{document}"
        );
    }
}

/// Every cell of a CSV export: none starts like a formula unless it is a
/// plain number; returns the rows.
fn safe_csv(document: &str, what: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(document.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|row| row.unwrap().iter().map(str::to_string).collect())
        .collect();
    for cell in rows.iter().flatten() {
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            assert!(
                cell.parse::<f64>().is_ok(),
                "{what}: the cell `{cell}` would run as a formula"
            );
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_render_as_text_everywhere_and_never_run_in_a_spreadsheet() {
    let (served, ids) = hostile().await;
    let script_account = &ids[0];

    // Every HTML page and document.
    let (status, content_type, page) = text(&served, "/").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"));
    renders_as_text(&page, "the account index", true);
    for (path, must_show) in [
        (
            format!("/api/intelligence/success-metrics/{script_account}/value-report?format=html"),
            true,
        ),
        (
            format!("/api/intelligence/success-metrics/{script_account}/value-report?format=md"),
            true,
        ),
        (
            format!("/api/intelligence/engagement/{script_account}?format=md"),
            true,
        ),
        (
            format!("/api/intelligence/health/{script_account}?format=md"),
            true,
        ),
        (
            format!("/api/intelligence/success-metrics/{script_account}?format=md"),
            true,
        ),
        ("/api/reports/weekly?format=html".to_string(), false),
        ("/api/reports/weekly?format=md".to_string(), false),
        (
            "/api/intelligence/engagement-overview?format=md".to_string(),
            false,
        ),
    ] {
        let (status, _, document) = text(&served, &path).await;
        assert_eq!(status, 200, "{path}: {document}");
        renders_as_text(&document, &path, must_show);
    }
    // The customer's page behind a share link, opened without an account.
    let (status, created) = super::support::send(
        &served,
        reqwest::Method::POST,
        &format!("/api/intelligence/success-metrics/{script_account}/value-report/share-links"),
        Some(serde_json::json!({})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let shared = reqwest::get(format!(
        "{}{}",
        served.base,
        created["path"].as_str().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(shared.status().as_u16(), 200);
    renders_as_text(
        &shared.text().await.unwrap(),
        "the shared value report",
        true,
    );
    // JSON carries the name as data, escaped by JSON's own rules.
    let (_, content_type, json) = text(&served, "/api/accounts").await;
    assert!(content_type.starts_with("application/json"));
    assert!(json.contains(SCRIPT), "JSON keeps the name as written");

    // The CSV exports: the account list, and each hostile account's breakdown.
    let (status, content_type, accounts) = text(&served, "/api/accounts?format=csv").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows = safe_csv(&accounts, "the account list");
    for hostile in FORMULAS {
        assert!(
            rows.iter().any(|row| row[2] == format!("'{hostile}")),
            "`{hostile}` is not in the account list as text:\n{accounts}"
        );
    }
    assert!(rows.iter().any(|row| row[2] == SCRIPT));
    for id in &ids {
        let path = format!("/api/intelligence/engagement/{id}?format=csv");
        let (status, content_type, breakdown) = text(&served, &path).await;
        assert_eq!(status, 200, "{path}: {breakdown}");
        assert!(content_type.starts_with("text/csv"));
        let rows = safe_csv(&breakdown, &path);
        assert!(rows.len() > 5, "{breakdown}");
    }
    // A figure stays a figure: a negative change is not quoted.
    assert_eq!(
        rapport_app::exports::neutralised("-3.5"),
        "-3.5",
        "numbers are left as numbers"
    );
    // A format the route does not have is a 400 naming the parameter.
    let (status, _, body) = text(&served, "/api/accounts?format=xlsx").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("format"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_exports_carry_the_figures_of_the_json_bodies() {
    let (served, ids) = hostile().await;
    let (_, _, json) = text(&served, "/api/accounts").await;
    let accounts: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let (_, _, csv_text) = text(&served, "/api/accounts?format=csv").await;
    let rows = safe_csv(&csv_text, "accounts");
    assert_eq!(rows.len(), accounts.len());
    for (row, account) in rows.iter().zip(&accounts) {
        assert_eq!(row[0], account["id"].as_str().unwrap());
        assert_eq!(
            row[4].parse::<f64>().unwrap(),
            account["arr"].as_f64().unwrap()
        );
    }

    let id = &ids[5.min(ids.len() - 1)];
    // At one instant, so both are the same breakdown.
    let at = "asOf=2026-01-31T00:00:00Z";
    let (_, _, json) = text(&served, &format!("/api/intelligence/engagement/{id}?{at}")).await;
    let breakdown: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (_, _, csv_text) = text(
        &served,
        &format!("/api/intelligence/engagement/{id}?format=csv&{at}"),
    )
    .await;
    let rows = safe_csv(&csv_text, "breakdown");
    let overall = &rows[0];
    assert_eq!(overall[4], "overall");
    match breakdown["overall"].as_f64() {
        Some(score) => assert_eq!(overall[11].parse::<f64>().unwrap(), score),
        None => assert_eq!(overall[11], ""),
    }
    for factor in breakdown["factors"].as_array().unwrap() {
        let row = rows
            .iter()
            .find(|row| row[4] == "factor" && row[6] == factor["key"].as_str().unwrap())
            .unwrap_or_else(|| panic!("no row for {factor}"));
        match factor["score"].as_f64() {
            Some(score) => assert_eq!(row[11].parse::<f64>().unwrap(), score),
            None => assert_eq!(row[11], ""),
        }
        assert_eq!(row[14], factor["status"].as_str().unwrap());
    }
}
