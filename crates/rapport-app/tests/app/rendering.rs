//! Every report, in every format, for every account of a demo portfolio under
//! each shipped engagement model, checked for what a CS leader would not sign
//! (issue 20): a negative zero, `NaN` or `inf`, a saturated figure, a wrong
//! ordinal, a singular count with a plural noun ("1 days"), a placeholder
//! ("–%", a template's braces), and text from data that reaches the document
//! unescaped (an account and a goal named with `<script>`).

use std::sync::OnceLock;

use rapport_app::render::{self, DocumentFormat};
use rapport_app::reports::{EngagementRequest, ValueReportOptions};
use rapport_app::{App, AppConfig};
use rapport_core::access::{Person, Role};
use rapport_core::engagement::Compare;
use rapport_core::engine::Window;
use rapport_core::portfolio::overview::OverviewFilter;
use rapport_core::scoring::model::Model;
use rapport_core::{Period, Timestamp};
use rapport_demo::DemoConfig;
use rapport_ingest::NoProgress;

const HOSTILE: &str = "<script>alert(1)</script> & Sons | *Ltd*";

/// What a document must never contain; each found is named with its context.
fn defects(document: &str) -> Vec<String> {
    static PATTERNS: OnceLock<Vec<(&str, regex_lite::Regex)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            ("negative zero", r"(?:^|[^\w.])[-−]0(?:\.0+)?(?:[^\d.]|$)"),
            ("NaN", r"\bNaN\b"),
            ("infinity", r"(?i)\binf(inity)?\b"),
            ("saturated number", r"9,?223,?372,?036|1\.7976931|e\+?30[0-8]"),
            ("wrong ordinal", r"\b(?:\d*[02-9])?(?:1(?:nd|rd|th)|2(?:st|rd|th)|3(?:st|nd|th))\b|\b\d*1[123](?:st|nd|rd)\b|\b\d*[4-90](?:st|nd|rd)\b"),
            (
                "singular with a plural noun",
                r"(?:^|[^\d.,])1 (?:days|logins|answers|accounts|goals|contacts|outreaches|points|peers|touchpoints|meetings|hours|users|tickets|features|renewal outcomes|activities|e-mails|weeks|months)\b",
            ),
            ("placeholder", r"–\s*%|–×|\$–|\{\{|\}\}|\{%|%\}|\bundefined\b|\bnone\b%"),
            ("unescaped data", r"(?:^|[^\\])<script"),
        ]
        .into_iter()
        .map(|(name, pattern)| (name, regex_lite::Regex::new(pattern).unwrap()))
        .collect()
    });
    let mut found = Vec::new();
    for (name, pattern) in patterns {
        for hit in pattern.find_iter(document) {
            let start = document.floor_char_boundary(hit.start().saturating_sub(50));
            let end = document.ceil_char_boundary((hit.end() + 50).min(document.len()));
            found.push(format!("{name}: …{}…", &document[start..end]));
        }
    }
    found
}

fn instant(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// The demo portfolio as `rapport generate` writes it by default (200
/// accounts, a year of activity: churned accounts, goals of every status)
/// plus one account whose name and goal title are hostile.
fn demo_app(folder: &std::path::Path) -> std::sync::Arc<App> {
    let data = folder.join("data");
    rapport_demo::write_portfolio(
        &DemoConfig {
            accounts: 200,
            days: 365,
            seed: 42,
            end: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        },
        &data,
    )
    .unwrap();
    let url = format!("sqlite://{}", folder.join("rapport.db").display());
    let app = App::new(rapport_store::open(&url).unwrap(), AppConfig::shipped());
    let now = instant("2026-06-30T12:00:00Z");
    let reports = app.import_dir(&data, now, &NoProgress).unwrap();
    assert!(reports.iter().all(|report| report.rejected.is_empty()));
    let hostile = folder.join("hostile.csv");
    std::fs::write(
        &hostile,
        format!(
            "id,name,tier,arr,seats,csm,status,contract_start,renewal_date,industry\n\
             acc-hostile,\"{}\",growth,1234.5,10,Dana Chen,active,2025-01-01,2027-01-01,software\n",
            HOSTILE.replace('"', "\"\"")
        ),
    )
    .unwrap();
    let report = app
        .import_file(
            rapport_ingest::ContractFile::Accounts,
            &hostile,
            now,
            &NoProgress,
        )
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let goal = rapport_core::success::edit::parse_goal(
        format!(
            r#"{{"title": "Adopt {HOSTILE}", "targetDate": "2026-12-31",
                "metrics": [{{"name": "<b>Weekly</b> users", "category": "adoption", "direction": "higher_is_better", "unit": "users", "baseline": 10, "target": 20, "current": 10}}],
                "valueDrivers": [{{"kind": "cost_reduction", "label": "<i>Savings</i>", "amountPerYear": 5000, "confidence": "low"}}]}}"#
        )
        .as_bytes(),
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    )
    .unwrap();
    let leader = Person {
        id: 1,
        name: "dana".into(),
        role: Role::Leader,
    };
    app.create_goal(&leader, "acc-hostile", goal, now).unwrap();
    app
}

#[test]
fn every_report_in_every_format_for_every_account_and_model_reads_right() {
    let folder = tempfile::tempdir().unwrap();
    let app = demo_app(folder.path());
    let as_of = instant("2026-06-30T12:00:00Z");
    let mut failures: Vec<String> = Vec::new();
    // JSON carries data as it is (its readers escape it); documents must not.
    let mut check = |what: String, document: Result<String, String>| match document {
        Ok(document) => failures.extend(
            defects(&document)
                .into_iter()
                .filter(|defect| !(what.ends_with("json") && defect.starts_with("unescaped")))
                .map(|defect| format!("{what}: {defect}")),
        ),
        Err(error) => failures.push(format!("{what}: did not render: {error}")),
    };
    let json = |value: &dyn erased::Json| value.json();
    let accounts = app.accounts().unwrap();
    let mut churned_checked = 0;
    assert!(
        accounts
            .iter()
            .any(|account| account.status.as_str() == "churned")
    );
    let request = |model: &str| EngagementRequest {
        window: Window::new(as_of, Period::DEFAULT),
        compare: Compare::Previous,
        model: Some(model.to_string()),
    };
    for account in &accounts {
        let id = account.external_id.as_str();
        for model in Model::SHIPPED
            .iter()
            .filter(|name| name.contains("engagement"))
        {
            let breakdown = app.engagement(id, &request(model)).unwrap();
            check(
                format!("engagement {id} {model} md"),
                render::engagement(&breakdown),
            );
            check(format!("engagement {id} {model} json"), json(&**breakdown));
        }
        let health = app.health(id, as_of).unwrap();
        if account.status.as_str() == "churned" {
            churned_checked += 1;
            churned_reads_as_history(&app, id, &request("prd070-engagement"), &health);
        }
        check(format!("health {id} md"), render::health(&health));
        check(format!("health {id} json"), json(&health));
        let success = app.success(id, as_of, true, true).unwrap().to_json();
        check(format!("success {id} md"), render::success(&success));
        check(format!("success {id} json"), json(&success));
        let value = app
            .value_report(id, as_of, &ValueReportOptions::default())
            .unwrap();
        for format in [DocumentFormat::Markdown, DocumentFormat::Html] {
            check(
                format!("value report {id} {format:?}"),
                render::value_report(&value, format),
            );
        }
    }
    assert!(churned_checked > 0, "the demo has churned accounts");
    let overview = app
        .overview(
            Window::new(as_of, Period::DEFAULT),
            Compare::Previous,
            &OverviewFilter::default(),
        )
        .unwrap();
    check("portfolio md".into(), render::overview(&overview));
    check("portfolio json".into(), json(&overview));
    let weekly = app.weekly(as_of, &OverviewFilter::default()).unwrap();
    for format in [DocumentFormat::Markdown, DocumentFormat::Html] {
        check(
            format!("weekly {format:?}"),
            render::weekly_report(&weekly, format),
        );
    }
    check("weekly json".into(), json(&weekly));
    app.evaluate_alerts(None, as_of).unwrap();
    let alerts = app
        .alerts(&Person::operator(), &Default::default())
        .unwrap();
    assert!(!alerts.is_empty(), "the demo raises alerts");
    check("alerts md".into(), render::alerts(&alerts));
    check(
        "accounts md".into(),
        render::accounts(&accounts, DocumentFormat::Markdown),
    );
    check(
        "accounts html".into(),
        render::accounts(&accounts, DocumentFormat::Html),
    );
    assert!(
        failures.is_empty(),
        "{} defects, the first 40:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

/// Issue 20, item 1: a churned account says so at the top of its reports and
/// asks nothing of anyone: no alerts, recommended actions, playbooks or
/// check-in cadence; its history stays readable.
fn churned_reads_as_history(
    app: &App,
    id: &str,
    request: &EngagementRequest,
    health: &rapport_core::health::HealthView,
) {
    let breakdown = app.engagement(id, request).unwrap();
    assert!(breakdown.churned.is_some(), "{id}");
    assert!(breakdown.alerts.is_empty(), "{id}: {:?}", breakdown.alerts);
    assert!(breakdown.recommendations.is_empty(), "{id}");
    assert_eq!(breakdown.history.len(), 6, "{id}: history stays readable");
    let markdown = render::engagement(&breakdown).unwrap();
    assert!(markdown.contains("> **Churned account**"), "{id}");
    assert!(health.report.churned.is_some(), "{id}");
    assert!(health.report.alerts.is_empty(), "{id}");
    assert!(health.report.playbooks.is_empty(), "{id}");
    assert!(health.report.cadence.is_none(), "{id}");
    assert!(
        render::health(health)
            .unwrap()
            .contains("> **Churned account**"),
        "{id}"
    );
    let success = app
        .success(id, health.report.as_of, true, true)
        .unwrap()
        .to_json();
    assert!(
        render::success(&success)
            .unwrap()
            .contains("> **Churned account**"),
        "{id}"
    );
}

/// The checker itself finds each defect it is meant to find.
#[test]
fn the_defect_checker_finds_each_defect() {
    for bad in [
        "Feature Breadth −0 %",
        "\"current\": -0.0,",
        "progress -0%",
        "NaN",
        "inf×",
        "$9,223,372,036,854,775,807",
        "1th",
        "2th",
        "3th",
        "41th",
        "12nd",
        "last engaged 1 days ago",
        "Progress –%",
        "<script>alert(1)</script>",
        "{{ name }}",
    ] {
        assert!(!defects(bad).is_empty(), "{bad:?} passed");
    }
    for good in [
        "1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 101st 111th",
        "2026-01-05 −0.5 -0.25 10.0 1 day 2 days 11 days $1,234",
        "&lt;script&gt; \\<script\\> 0%",
    ] {
        assert!(defects(good).is_empty(), "{good:?}: {:?}", defects(good));
    }
}

/// JSON as every surface writes it, for the checks.
mod erased {
    pub trait Json {
        fn json(&self) -> Result<String, String>;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<String, String> {
            rapport_app::render::json(self, true)
        }
    }
}
