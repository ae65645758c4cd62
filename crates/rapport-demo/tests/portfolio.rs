//! The generated files through the public API: determinism, the exact shape
//! of every file, volume, and the patterns later features rely on finding.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Days, NaiveDate, NaiveDateTime};
use rapport_demo::{
    DemoConfig, DemoError, GenerationSummary, PortfolioSinks, Variation, generate_into,
    generate_varied_into, write_portfolio,
};
use serde_json::Value;

struct Files {
    summary: GenerationSummary,
    accounts: String,
    contacts: String,
    features: String,
    activities: String,
    outcomes: String,
    goals: String,
}

fn generate(config: &DemoConfig) -> Files {
    generate_varied(config, &Variation::default())
}

fn generate_varied(config: &DemoConfig, variation: &Variation) -> Files {
    let mut sinks = PortfolioSinks {
        accounts: Vec::new(),
        contacts: Vec::new(),
        features: Vec::new(),
        activities: Vec::new(),
        outcomes: Vec::new(),
        goals: Vec::new(),
    };
    let summary = generate_varied_into(config, variation, &mut sinks)
        .expect("generation into memory succeeds");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("output is UTF-8");
    Files {
        summary,
        accounts: text(sinks.accounts),
        contacts: text(sinks.contacts),
        features: text(sinks.features),
        activities: text(sinks.activities),
        outcomes: text(sinks.outcomes),
        goals: text(sinks.goals),
    }
}

fn config(accounts: usize, days: u32) -> DemoConfig {
    DemoConfig {
        accounts,
        days,
        ..DemoConfig::default()
    }
}

/// CSV rows as maps from header to value, checking the header is exactly `header`.
fn rows(text: &str, header: &str) -> Vec<HashMap<String, String>> {
    assert_eq!(text.lines().next(), Some(header), "header");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed CSV row");
            names
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn activities(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

const ACCOUNTS_HEADER: &str = "id,name,tier,arr,seats,csm,status,contract_start,renewal_date,industry,manager,at_risk_override";
const CONTACTS_HEADER: &str = "account,email,name,role,department,title";
const FEATURES_HEADER: &str = "key,name,importance";
const OUTCOMES_HEADER: &str = "account,date,outcome,arr_change";

/// The fields each activity type carries besides id, type, account and at.
fn fields_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "email" => &["direction", "thread", "from", "to", "subject"],
        "meeting" => &[
            "status",
            "initiated_by",
            "attendees",
            "kind",
            "duration_min",
        ],
        "call" => &["direction", "contact", "duration_min", "connected"],
        "ticket" => &[
            "ticket",
            "status",
            "severity",
            "tags",
            "sentiment",
            "contact",
        ],
        "login" => &["user"],
        "session" => &["user", "duration_min"],
        "feature_used" => &["user", "feature"],
        "training" => &["contact", "status"],
        "nps" | "csat" => &["contact", "score"],
        "payment" => &["invoice", "amount", "due", "status"],
        "community" => &["contact", "action"],
        _ => return None,
    })
}

fn timestamp(value: &Value) -> NaiveDateTime {
    let text = value.as_str().expect("`at` is a string");
    assert_eq!(text.len(), 20, "whole seconds in UTC: {text}");
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").expect("RFC 3339 UTC")
}

#[test]
fn the_same_config_gives_identical_bytes_and_another_seed_does_not() {
    let config = config(40, 45);
    let first = generate(&config);
    let second = generate(&config);
    assert_eq!(first.accounts, second.accounts);
    assert_eq!(first.contacts, second.contacts);
    assert_eq!(first.features, second.features);
    assert_eq!(first.activities, second.activities);
    assert_eq!(first.outcomes, second.outcomes);
    assert_eq!(first.goals, second.goals);
    assert_eq!(first.summary, second.summary);

    let other = generate(&DemoConfig { seed: 43, ..config });
    assert_ne!(first.activities, other.activities);
    assert_ne!(first.accounts, other.accounts);
}

/// Distinct product users (of login, session and feature_used) per account.
fn product_users(activities_text: &str) -> BTreeMap<String, HashSet<String>> {
    let mut users: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for activity in activities(activities_text) {
        if let Some(user) = activity["user"].as_str() {
            let account = activity["account"].as_str().unwrap().to_string();
            users.entry(account).or_default().insert(user.to_string());
        }
    }
    users
}

#[test]
fn the_default_variation_changes_nothing_and_a_user_cap_changes_users_and_seats_only() {
    let config = config(60, 30);
    let plain = generate(&config);
    let default = generate_varied(&config, &Variation::default());
    assert_eq!(plain.activities, default.activities);
    assert_eq!(plain.accounts, default.accounts);
    assert_eq!(plain.goals, default.goals);

    let capped = generate_varied(
        &config,
        &Variation {
            max_users: Some(30),
        },
    );
    let again = generate_varied(
        &config,
        &Variation {
            max_users: Some(30),
        },
    );
    assert_eq!(capped.activities, again.activities);
    assert_eq!(capped.accounts, again.accounts);
    assert_eq!(plain.contacts, capped.contacts);
    assert_eq!(plain.outcomes, capped.outcomes);
    assert_eq!(plain.features, capped.features);

    let plain_users = product_users(&plain.activities);
    let capped_users = product_users(&capped.activities);
    assert!(
        plain_users.values().any(|users| users.len() > 30),
        "the default has accounts with more than 30 users"
    );
    assert!(
        capped_users
            .values()
            .all(|users| (1..=30).contains(&users.len())),
        "{:?}",
        capped_users.values().map(HashSet::len).collect::<Vec<_>>()
    );
    assert!(capped.summary.activities < plain.summary.activities);

    // Accounts are the same but for seats, which shrink with the users.
    let plain_accounts = rows(&plain.accounts, ACCOUNTS_HEADER);
    let capped_accounts = rows(&capped.accounts, ACCOUNTS_HEADER);
    for (before, after) in plain_accounts.iter().zip(&capped_accounts) {
        for (column, value) in before {
            if column != "seats" {
                assert_eq!(value, &after[column], "{column}");
            }
        }
        if let Ok(seats) = after["seats"].parse::<u32>() {
            assert!(seats <= 36, "{seats} seats for at most 30 users");
        }
    }
}

#[test]
fn accounts_do_not_depend_on_how_many_follow_them() {
    // Each account has its own random stream: a bigger portfolio starts with
    // the same accounts (ids are as wide as the count needs, so stay under 10,000).
    let small = generate(&config(30, 30));
    let large = generate(&config(60, 30));
    let small_lines = small.activities.lines().count();
    assert!(small_lines > 1000);
    assert!(
        small
            .activities
            .lines()
            .eq(large.activities.lines().take(small_lines)),
        "the first 30 accounts differ"
    );
    assert_eq!(
        small.accounts.lines().collect::<Vec<_>>()[1..],
        large.accounts.lines().collect::<Vec<_>>()[1..31]
    );
}

#[test]
fn every_file_has_the_promised_shape() {
    let config = config(200, 60);
    let files = generate(&config);
    let end = config.end.and_hms_opt(0, 0, 0).unwrap();
    let start = end - chrono::Duration::days(60);

    // accounts.csv
    let accounts = rows(&files.accounts, ACCOUNTS_HEADER);
    assert_eq!(accounts.len(), 200);
    assert_eq!(files.summary.accounts, 200);
    assert_eq!(accounts[0]["name"], "Acme Corp");
    assert_eq!(accounts[0]["id"], "acc-0001");
    assert_eq!(accounts[0]["tier"], "strategic");
    let ids: HashSet<&str> = accounts.iter().map(|a| a["id"].as_str()).collect();
    let names: HashSet<&str> = accounts.iter().map(|a| a["name"].as_str()).collect();
    assert_eq!(ids.len(), 200, "account ids are unique");
    assert_eq!(names.len(), 200, "account names are unique");
    let mut tiers = BTreeMap::new();
    for account in &accounts {
        *tiers.entry(account["tier"].as_str()).or_insert(0) += 1;
        assert!(["active", "churned"].contains(&account["status"].as_str()));
        assert!(["true", "false"].contains(&account["at_risk_override"].as_str()));
        let arr: u64 = account["arr"].parse().expect("ARR in whole dollars");
        assert!((3_000..=600_000).contains(&arr), "{arr}");
        if !account["seats"].is_empty() {
            let seats: u32 = account["seats"].parse().unwrap();
            assert!((5..=400).contains(&seats));
        }
        let start: NaiveDate = account["contract_start"].parse().unwrap();
        let renewal: NaiveDate = account["renewal_date"].parse().unwrap();
        assert!(start < config.end && start >= config.end - Days::new(4 * 366));
        if account["status"] == "active" {
            assert!(renewal >= config.end && renewal <= config.end + Days::new(366));
        } else {
            assert!(
                renewal < config.end,
                "a churned account's renewal is overdue"
            );
        }
        assert!(!account["csm"].is_empty() && !account["manager"].is_empty());
        assert!(!account["industry"].is_empty());
    }
    assert_eq!(
        tiers.keys().copied().collect::<Vec<_>>(),
        ["core", "growth", "nurture", "strategic"]
    );
    let csms: HashSet<&str> = accounts.iter().map(|a| a["csm"].as_str()).collect();
    let managers: HashSet<&str> = accounts.iter().map(|a| a["manager"].as_str()).collect();
    assert_eq!(csms.len(), 8, "one CSM per 25 accounts");
    assert!((2..=3).contains(&managers.len()));

    // contacts.csv
    let contacts = rows(&files.contacts, CONTACTS_HEADER);
    assert_eq!(contacts.len(), files.summary.contacts);
    let mut contact_roles: HashMap<(&str, &str), &str> = HashMap::new();
    for contact in &contacts {
        assert!(
            ids.contains(contact["account"].as_str()),
            "contact of an unknown account"
        );
        assert!(
            ["executive", "champion", "power_user", "user", "admin"]
                .contains(&contact["role"].as_str())
        );
        assert!(!contact["department"].is_empty() && !contact["title"].is_empty());
        let fresh = contact_roles.insert(
            (contact["account"].as_str(), contact["email"].as_str()),
            &contact["role"],
        );
        assert!(fresh.is_none(), "duplicate contact {}", contact["email"]);
    }

    // features.csv
    let features = rows(&files.features, FEATURES_HEADER);
    assert_eq!(features.len(), files.summary.features);
    assert!((15..=25).contains(&features.len()));
    let catalogue: HashSet<&str> = features.iter().map(|f| f["key"].as_str()).collect();
    assert!(
        features
            .iter()
            .all(|f| ["core", "advanced", "basic"].contains(&f["importance"].as_str()))
    );

    // activities.jsonl
    let activities = activities(&files.activities);
    assert_eq!(activities.len() as u64, files.summary.activities);
    let mut activity_ids = HashSet::new();
    let mut last_at: HashMap<String, NaiveDateTime> = HashMap::new();
    let (mut feature_uses, mut uncatalogued) = (0, 0);
    for activity in &activities {
        let object = activity.as_object().expect("each line is an object");
        let kind = object["type"].as_str().expect("type");
        let fields = fields_of(kind).unwrap_or_else(|| panic!("unknown type {kind}"));
        let account = object["account"].as_str().expect("account");
        assert!(
            ids.contains(account),
            "activity of an unknown account {account}"
        );
        assert!(
            activity_ids.insert(object["id"].as_str().expect("id").to_string()),
            "ids are unique"
        );
        let at = timestamp(&object["at"]);
        assert!(at >= start && at < end, "{at} outside the window");
        let previous = last_at.insert(account.to_string(), at);
        assert!(
            previous.is_none_or(|p| p <= at),
            "an account's activities are sorted by time"
        );

        let mut expected: Vec<&str> = ["id", "type", "account", "at"].into();
        expected.extend_from_slice(fields);
        if kind == "meeting" && object["status"] == "cancelled" {
            expected.push("cancelled_by");
        }
        let mut present: Vec<&str> = object.keys().map(String::as_str).collect();
        expected.sort_unstable();
        present.sort_unstable();
        assert_eq!(present, expected, "fields of {activity}");

        let is_contact = |value: &Value| {
            contact_roles.contains_key(&(account, value.as_str().expect("an email string")))
        };
        match kind {
            "email" => {
                let from = object["from"].as_str().unwrap();
                let to = object["to"].as_array().unwrap();
                assert!(!to.is_empty());
                if object["direction"] == "outbound" {
                    assert!(from.ends_with("@rapport-cs.example"));
                    // Our team writes 08:00–18:00 US Eastern on working days.
                    use chrono::{Datelike, Timelike};
                    assert!((13..23).contains(&at.hour()), "{activity}");
                    assert!(at.weekday().number_from_monday() <= 5, "{activity}");
                    assert!(to.iter().all(is_contact), "{activity}");
                } else {
                    assert_eq!(object["direction"], "inbound");
                    assert!(is_contact(&object["from"]), "{activity}");
                    assert!(to[0].as_str().unwrap().ends_with("@rapport-cs.example"));
                }
            }
            "meeting" => {
                let attendees = object["attendees"].as_array().unwrap();
                assert!(attendees.iter().all(is_contact));
                assert_eq!(
                    object["status"] == "attended",
                    !attendees.is_empty(),
                    "{activity}"
                );
                if object["status"] == "attended" {
                    assert!(attendees.len() <= 4);
                }
                assert!([30, 45, 60].contains(&object["duration_min"].as_u64().unwrap()));
            }
            "call" | "ticket" | "training" | "nps" | "csat" | "community" => {
                assert!(is_contact(&object["contact"]), "{activity}");
                if kind == "nps" {
                    assert!(object["score"].as_u64().unwrap() <= 10);
                }
                if kind == "csat" {
                    assert!((1..=5).contains(&object["score"].as_u64().unwrap()));
                }
            }
            "feature_used" => {
                feature_uses += 1;
                if !catalogue.contains(object["feature"].as_str().unwrap()) {
                    uncatalogued += 1;
                }
            }
            "payment" => {
                let _: NaiveDate = object["due"].as_str().unwrap().parse().expect("due date");
                assert!(object["amount"].as_u64().unwrap() > 0);
            }
            _ => {}
        }
    }
    assert!(feature_uses > 1000);
    let share = uncatalogued as f64 / feature_uses as f64;
    assert!(
        (0.002..0.03).contains(&share),
        "uncatalogued feature share {share}"
    );

    // outcomes.csv
    let outcomes = rows(&files.outcomes, OUTCOMES_HEADER);
    assert_eq!(outcomes.len(), files.summary.outcomes);
    assert!(outcomes.len() >= 60, "{} outcomes", outcomes.len());
    for outcome in &outcomes {
        assert!(ids.contains(outcome["account"].as_str()));
        let date: NaiveDate = outcome["date"].parse().unwrap();
        assert!(date < config.end);
        let change: i64 = outcome["arr_change"].parse().unwrap();
        match outcome["outcome"].as_str() {
            "renewed" => assert_eq!(change, 0),
            "expanded" => assert!(change > 0),
            "contracted" | "churned" => assert!(change < 0),
            other => panic!("unknown outcome {other}"),
        }
    }
    for account in accounts.iter().filter(|a| a["status"] == "churned") {
        assert!(
            outcomes.iter().any(|o| o["account"] == account["id"]
                && o["outcome"] == "churned"
                && o["date"] == account["renewal_date"]),
            "{} churned without a churned outcome",
            account["id"]
        );
    }
}

#[test]
fn volume_is_a_few_activities_per_account_per_day() {
    let files = generate(&config(300, 60));
    let per_account_day = files.summary.activities as f64 / 300.0 / 60.0;
    assert!(
        (3.0..=9.0).contains(&per_account_day),
        "{per_account_day} per account per day"
    );
    let product = files
        .activities
        .lines()
        .filter(|line| {
            line.contains(r#""type":"login""#)
                || line.contains(r#""type":"session""#)
                || line.contains(r#""type":"feature_used""#)
        })
        .count();
    assert!(
        product as u64 * 2 > files.summary.activities,
        "product events are the majority"
    );
}

/// Later features (scoring, alerts, root causes, playbooks, calibration)
/// need these to exist somewhere in a default-sized portfolio.
#[test]
fn the_patterns_later_features_look_for_are_present() {
    let config = config(200, 120);
    let files = generate(&config);
    let accounts = rows(&files.accounts, ACCOUNTS_HEADER);
    let contacts = rows(&files.contacts, CONTACTS_HEADER);
    let contact_emails: HashSet<&str> = contacts.iter().map(|c| c["email"].as_str()).collect();
    let activities = activities(&files.activities);
    let count =
        |predicate: &dyn Fn(&Value) -> bool| activities.iter().filter(|a| predicate(a)).count();
    let of = |kind: &'static str, field: &'static str, value: &'static str| {
        move |a: &Value| a["type"] == kind && a[field] == value
    };

    for status in ["scheduled", "attended", "no_show"] {
        assert!(
            count(&of("meeting", "status", status)) > 0,
            "no {status} meeting"
        );
    }
    for by in ["us", "customer"] {
        assert!(
            count(&of("meeting", "cancelled_by", by)) > 0,
            "no meeting cancelled by {by}"
        );
    }
    assert!(count(&of("meeting", "initiated_by", "customer")) > 0);
    for kind in ["check_in", "qbr", "training", "exec", "workshop"] {
        assert!(count(&of("meeting", "kind", kind)) > 0, "no {kind} meeting");
    }
    for status in ["paid_on_time", "paid_late", "overdue"] {
        assert!(
            count(&of("payment", "status", status)) > 0,
            "no {status} payment"
        );
    }
    for status in ["open", "pending", "solved", "closed"] {
        assert!(
            count(&of("ticket", "status", status)) > 0,
            "no {status} ticket"
        );
    }
    assert!(count(&of("ticket", "sentiment", "negative")) > 0);
    assert!(
        count(&|a| a["type"] == "ticket"
            && a["status"] == "open"
            && a["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "feature_request"))
            > 0
    );
    assert!(count(&of("call", "direction", "inbound")) > 0);
    assert!(count(&|a| a["type"] == "call" && a["connected"] == false) > 0);
    assert!(count(&of("training", "status", "no_show")) > 0);
    assert!(count(&|a| a["type"] == "nps" && a["score"].as_u64().unwrap() <= 6) > 0);
    assert!(count(&|a| a["type"] == "nps" && a["score"].as_u64().unwrap() >= 9) > 0);
    for action in ["post", "reply", "event"] {
        assert!(count(&of("community", "action", action)) > 0);
    }

    // Email threads: replies in both directions, customer-opened threads, and
    // chases of three or more unanswered outbound emails.
    let mut threads: HashMap<&str, Vec<&Value>> = HashMap::new();
    for email in activities.iter().filter(|a| a["type"] == "email") {
        threads
            .entry(email["thread"].as_str().unwrap())
            .or_default()
            .push(email);
    }
    let opened_by_customer = threads
        .values()
        .filter(|t| t[0]["direction"] == "inbound")
        .count();
    let chased = threads
        .values()
        .filter(|thread| {
            let mut run = 0;
            thread.iter().any(|m| {
                run = if m["direction"] == "outbound" {
                    run + 1
                } else {
                    0
                };
                run >= 3
            })
        })
        .count();
    let answered = threads
        .values()
        .filter(|t| t.len() >= 2 && t[1]["direction"] == "inbound")
        .count();
    assert!(
        opened_by_customer > 50 && chased > 20 && answered > 100,
        "{opened_by_customer} {chased} {answered}"
    );

    // Product users: some are contacts, most are not.
    let users: HashSet<&str> = activities
        .iter()
        .filter(|a| a["type"] == "login")
        .map(|a| a["user"].as_str().unwrap())
        .collect();
    let contact_users = users.iter().filter(|u| contact_emails.contains(*u)).count();
    assert!(
        contact_users > 50 && contact_users * 3 < users.len(),
        "{contact_users} of {}",
        users.len()
    );

    let empty_seats = accounts.iter().filter(|a| a["seats"].is_empty()).count();
    let overridden = accounts
        .iter()
        .filter(|a| a["at_risk_override"] == "true")
        .count();
    let churned = accounts.iter().filter(|a| a["status"] == "churned").count();
    assert!(
        (1..=20).contains(&empty_seats),
        "{empty_seats} without seats"
    );
    assert!((1..=15).contains(&overridden), "{overridden} overridden");
    assert!((3..=25).contains(&churned), "{churned} churned");
    let without_champion = accounts
        .iter()
        .filter(|a| {
            !contacts
                .iter()
                .any(|c| c["account"] == a["id"] && c["role"] == "champion")
        })
        .count();
    assert!(
        (5..=50).contains(&without_champion),
        "{without_champion} without a champion"
    );
}

#[test]
fn write_portfolio_writes_the_streamed_bytes_to_six_files() {
    let config = config(25, 20);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested").join("demo");
    let summary = write_portfolio(&config, &out).expect("writes the portfolio");
    let files = generate(&config);
    assert_eq!(summary, files.summary);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    assert_eq!(read("accounts.csv"), files.accounts);
    assert_eq!(read("contacts.csv"), files.contacts);
    assert_eq!(read("features.csv"), files.features);
    assert_eq!(read("activities.jsonl"), files.activities);
    assert_eq!(read("outcomes.csv"), files.outcomes);
    assert_eq!(read("goals.csv"), files.goals);
}

#[test]
fn an_unwritable_directory_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file").unwrap();
    let error = write_portfolio(&config(2, 2), &blocker.join("demo")).unwrap_err();
    assert!(matches!(error, DemoError::CreateDir { .. }), "{error:?}");
    assert!(error.to_string().contains("not-a-directory"), "{error}");
}

#[test]
fn a_failing_writer_names_its_file() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sinks = PortfolioSinks {
        accounts: Broken,
        contacts: Broken,
        features: Broken,
        activities: Broken,
        outcomes: Broken,
        goals: Broken,
    };
    let error = generate_into(&config(2, 2), &mut sinks).unwrap_err();
    assert!(error.to_string().contains("features.csv"), "{error}");
    assert!(error.to_string().contains("disk full"), "{error}");
}
