//! goals.csv through the public API: the documented header, goals for a good
//! share of the accounts (Acme Corp always), statuses from exceeding to at
//! risk by the rules of `definitions.md` §5, exactly one metric without a
//! baseline, measurements before the end, value drivers, and determinism.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use rapport_demo::{DemoConfig, GOALS_FILE, GenerationSummary, PortfolioSinks, generate_into};

const GOALS_HEADER: &str = "account,goal,goal_id,description,owner,start_date,target_date,weight,checkpoints,metric,metric_id,category,metric_description,baseline,target,unit,direction,data_source,frequency,current,measured_at,note,value_kind,value_amount,hours_per_month,hourly_rate,tools_retired,confidence,value_label";

struct Output {
    summary: GenerationSummary,
    accounts: String,
    goals: String,
}

fn generate(config: &DemoConfig) -> Output {
    let mut sinks = PortfolioSinks {
        accounts: Vec::new(),
        contacts: Vec::new(),
        features: Vec::new(),
        activities: Vec::new(),
        outcomes: Vec::new(),
        goals: Vec::new(),
    };
    let summary = generate_into(config, &mut sinks).expect("generation into memory succeeds");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("output is UTF-8");
    Output {
        summary,
        accounts: text(sinks.accounts),
        goals: text(sinks.goals),
    }
}

fn config() -> DemoConfig {
    DemoConfig {
        accounts: 200,
        days: 90,
        ..DemoConfig::default()
    }
}

/// The 200-account portfolio most tests read, generated once.
fn portfolio() -> &'static (Output, Vec<Goal>) {
    static PORTFOLIO: OnceLock<(Output, Vec<Goal>)> = OnceLock::new();
    PORTFOLIO.get_or_init(|| {
        let output = generate(&config());
        let goals = parse(&output.goals);
        (output, goals)
    })
}

struct Metric {
    name: String,
    category: String,
    baseline: Option<f64>,
    target: f64,
    direction: String,
    history: Vec<(NaiveDate, f64)>,
}

struct Driver {
    kind: String,
    annual_value: f64,
}

struct Goal {
    account: String,
    start: NaiveDate,
    target: NaiveDate,
    checkpoints: Vec<NaiveDate>,
    metrics: Vec<Metric>,
    drivers: Vec<Driver>,
}

fn number(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("`{text}` is not a number"))
}

fn date(text: &str) -> NaiveDate {
    text.parse()
        .unwrap_or_else(|_| panic!("`{text}` is not a date"))
}

/// Gathers goals.csv's rows into goals, checking on the way that definition
/// cells sit on a goal's or metric's first row and are empty after it.
fn parse(text: &str) -> Vec<Goal> {
    assert_eq!(text.lines().next(), Some(GOALS_HEADER), "header");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let mut goals: Vec<Goal> = Vec::new();
    let mut positions: HashMap<(String, String), usize> = HashMap::new();
    for record in reader.records() {
        let record = record.expect("a well-formed CSV row");
        assert_eq!(record.len(), names.len());
        let row: HashMap<&str, &str> = names.iter().map(String::as_str).zip(&record).collect();
        let key = (row["account"].to_string(), row["goal"].to_lowercase());
        let first_of_goal = !positions.contains_key(&key);
        let position = *positions.entry(key).or_insert_with(|| {
            goals.push(Goal {
                account: row["account"].to_string(),
                start: date(row["start_date"]),
                target: date(row["target_date"]),
                checkpoints: row["checkpoints"]
                    .split(';')
                    .filter(|part| !part.is_empty())
                    .map(date)
                    .collect(),
                metrics: Vec::new(),
                drivers: Vec::new(),
            });
            goals.len() - 1
        });
        let goal = &mut goals[position];
        if !first_of_goal {
            for column in [
                "description",
                "owner",
                "start_date",
                "target_date",
                "weight",
            ] {
                assert_eq!(
                    row[column], "",
                    "{column} repeated on a later row of a goal"
                );
            }
        }
        if !row["metric"].is_empty() {
            let known = goal.metrics.iter().position(|m| m.name == row["metric"]);
            let metric = match known {
                Some(index) => {
                    for column in ["category", "baseline", "target", "direction", "unit"] {
                        assert_eq!(row[column], "", "{column} repeated on a later row");
                    }
                    &mut goal.metrics[index]
                }
                None => {
                    goal.metrics.push(Metric {
                        name: row["metric"].to_string(),
                        category: row["category"].to_string(),
                        baseline: Some(row["baseline"])
                            .filter(|cell| !cell.is_empty())
                            .map(number),
                        target: number(row["target"]),
                        direction: row["direction"].to_string(),
                        history: Vec::new(),
                    });
                    goal.metrics.last_mut().expect("just pushed")
                }
            };
            if !row["current"].is_empty() {
                metric
                    .history
                    .push((date(row["measured_at"]), number(row["current"])));
            }
        } else {
            assert_eq!(row["current"], "", "a value without a metric");
        }
        if !row["value_kind"].is_empty() {
            let confidence = row["confidence"];
            assert!(
                ["high", "medium", "low"].contains(&confidence),
                "{confidence}"
            );
            assert!(!row["value_label"].is_empty());
            let annual_value = match row["value_kind"] {
                "time_saved" => number(row["hours_per_month"]) * number(row["hourly_rate"]) * 12.0,
                "tools_retired" => {
                    assert!(number(row["tools_retired"]) >= 1.0);
                    number(row["value_amount"])
                }
                "cost_reduction" | "revenue_increase" => number(row["value_amount"]),
                other => panic!("unknown value_kind {other}"),
            };
            assert!(annual_value > 0.0);
            goal.drivers.push(Driver {
                kind: row["value_kind"].to_string(),
                annual_value,
            });
        }
    }
    goals
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    NoData,
    Exceeding,
    Met,
    OnTrack,
    /// How many points behind the expected progress.
    AtRisk(f64),
    NotMet,
}

/// The metric's status at the first instant of `as_of` (`definitions.md` §5).
fn status(goal: &Goal, metric: &Metric, as_of: NaiveDate) -> Status {
    let latest = metric
        .history
        .iter()
        .filter(|(at, _)| *at < as_of)
        .max_by_key(|(at, _)| *at);
    let (Some(baseline), Some((_, current))) = (metric.baseline, latest) else {
        return Status::NoData;
    };
    let progress = 100.0 * (current - baseline) / (metric.target - baseline);
    let elapsed = (as_of - goal.start).num_days() as f64;
    let expected =
        (100.0 * elapsed / (goal.target - goal.start).num_days() as f64).clamp(0.0, 100.0);
    if progress > 100.0 {
        Status::Exceeding
    } else if as_of > goal.target {
        if progress == 100.0 {
            Status::Met
        } else {
            Status::NotMet
        }
    } else if progress >= expected - 10.0 {
        Status::OnTrack
    } else {
        Status::AtRisk(expected - progress)
    }
}

fn statuses(goals: &[Goal], end: NaiveDate) -> Vec<(&Goal, &Metric, Status)> {
    goals
        .iter()
        .flat_map(|goal| {
            goal.metrics
                .iter()
                .map(move |metric| (goal, metric, status(goal, metric, end)))
        })
        .collect()
}

#[test]
fn the_header_is_the_documented_one() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/goals-csv.md"
    ))
    .expect("docs/goals-csv.md is readable");
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .flat_map(|line| {
            let cell = line.split('|').next().unwrap_or_default();
            cell.split(',').map(|name| name.trim().trim_matches('`'))
        })
        .collect();
    assert_eq!(documented.join(","), GOALS_HEADER);
    assert_eq!(GOALS_FILE, "goals.csv");
    let (output, goals) = portfolio();
    assert_eq!(output.summary.goals, goals.len());
}

#[test]
fn a_good_share_of_accounts_have_goals_and_acme_always_does() {
    let (output, goals) = portfolio();
    let accounts = output.accounts.lines().count() - 1;
    let mut per_account: HashMap<&str, usize> = HashMap::new();
    for goal in goals {
        *per_account.entry(goal.account.as_str()).or_default() += 1;
    }
    let share = per_account.len() as f64 / accounts as f64;
    assert!(
        (0.5..=0.75).contains(&share),
        "{share} of accounts have goals"
    );
    assert!(
        per_account
            .iter()
            .all(|(account, count)| *account == "acc-0001" || (1..=3).contains(count)),
        "{per_account:?}"
    );

    let end = config().end;
    let acme: Vec<&Goal> = goals.iter().filter(|g| g.account == "acc-0001").collect();
    assert!(acme.len() >= 3, "Acme Corp has {} goals", acme.len());
    assert!(acme.iter().all(|goal| !goal.drivers.is_empty()));
    let acme_statuses: Vec<Status> = acme
        .iter()
        .flat_map(|goal| goal.metrics.iter().map(|metric| status(goal, metric, end)))
        .collect();
    assert!(
        acme_statuses.contains(&Status::Exceeding),
        "{acme_statuses:?}"
    );
    assert!(
        acme_statuses
            .iter()
            .any(|status| matches!(status, Status::AtRisk(_))),
        "{acme_statuses:?}"
    );
    assert!(
        acme.iter()
            .flat_map(|goal| &goal.metrics)
            .any(|metric| metric.category == "adoption"),
        "Acme's at-risk goal has adoption metrics"
    );
}

#[test]
fn statuses_run_from_exceeding_to_at_risk_and_one_metric_has_no_baseline() {
    let (_, goals) = portfolio();
    let end = config().end;
    let all = statuses(goals, end);
    let others = || all.iter().filter(|(goal, _, _)| goal.account != "acc-0001");
    let count = |wanted: fn(&Status) -> bool| others().filter(|(_, _, s)| wanted(s)).count();
    assert!(count(|s| *s == Status::Exceeding) >= 3);
    assert!(count(|s| *s == Status::OnTrack) >= 20);
    assert!(count(|s| matches!(s, Status::AtRisk(behind) if *behind >= 25.0)) >= 5);
    assert!(count(|s| *s == Status::NotMet) >= 1);
    // At risk is common but not the rule.
    let at_risk = count(|s| matches!(s, Status::AtRisk(_)));
    assert!(
        at_risk * 2 < all.len(),
        "{at_risk} of {} metrics at risk",
        all.len()
    );

    let without_baseline: Vec<(&str, &str)> = all
        .iter()
        .filter(|(_, metric, _)| metric.baseline.is_none())
        .map(|(goal, metric, _)| (goal.account.as_str(), metric.name.as_str()))
        .collect();
    assert_eq!(without_baseline.len(), 1, "{without_baseline:?}");
    assert_ne!(without_baseline[0].0, "acc-0001");
    let not_measured = others()
        .filter(|(_, metric, _)| metric.history.is_empty())
        .count();
    assert!(
        (1..=all.len() / 8).contains(&not_measured),
        "{not_measured}"
    );

    let categories: HashSet<&str> = all.iter().map(|(_, m, _)| m.category.as_str()).collect();
    assert_eq!(categories.len(), 5, "{categories:?}");
    for (_, metric, _) in &all {
        let Some(baseline) = metric.baseline else {
            continue;
        };
        match metric.direction.as_str() {
            "higher_is_better" => assert!(metric.target > baseline, "{}", metric.name),
            "lower_is_better" => assert!(metric.target < baseline, "{}", metric.name),
            other => panic!("direction {other}"),
        }
    }
}

#[test]
fn goals_are_dated_around_the_end_and_measured_before_it() {
    let (output, goals) = portfolio();
    let end = config().end;
    let churned: HashMap<&str, NaiveDate> = output
        .accounts
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[6] == "churned").then(|| (cells[0], date(cells[8])))
        })
        .collect();
    for goal in goals {
        assert!(goal.start < goal.target && goal.start < end);
        assert!(
            goal.checkpoints
                .iter()
                .all(|checkpoint| goal.start < *checkpoint && *checkpoint < goal.target)
        );
        let measured_until = churned.get(goal.account.as_str()).copied().unwrap_or(end);
        for metric in &goal.metrics {
            assert!(metric.history.windows(2).all(|pair| pair[0].0 < pair[1].0));
            for (at, _) in &metric.history {
                assert!(*at < measured_until, "{} measured on {at}", goal.account);
            }
        }
    }
    let within_a_year = goals
        .iter()
        .filter(|goal| goal.start >= end - Days::new(365))
        .count();
    assert!(within_a_year * 3 > goals.len() * 2, "{within_a_year}");
    let window_start = end - Days::new(u64::from(config().days));
    assert!(goals.iter().any(|goal| goal.start < window_start));
    let past_due = goals.iter().filter(|goal| goal.target < end).count();
    assert!(past_due >= 5 && past_due * 3 < goals.len(), "{past_due}");
    assert!(goals.iter().any(|goal| !goal.checkpoints.is_empty()));
    let monthly = goals
        .iter()
        .flat_map(|goal| &goal.metrics)
        .filter(|metric| metric.history.len() >= 6)
        .count();
    assert!(
        monthly >= 50,
        "{monthly} metrics with six months of history"
    );
}

#[test]
fn value_drivers_are_sized_to_the_account() {
    let (output, goals) = portfolio();
    let arr: HashMap<&str, f64> = output
        .accounts
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[0], number(cells[3]))
        })
        .collect();
    let with_drivers = goals.iter().filter(|goal| !goal.drivers.is_empty()).count();
    assert!(
        with_drivers * 2 > goals.len(),
        "{with_drivers} of {}",
        goals.len()
    );
    let kinds: HashSet<&str> = goals
        .iter()
        .flat_map(|goal| &goal.drivers)
        .map(|driver| driver.kind.as_str())
        .collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    let mut value: HashMap<&str, f64> = HashMap::new();
    for goal in goals {
        for driver in &goal.drivers {
            *value.entry(goal.account.as_str()).or_default() += driver.annual_value;
        }
    }
    assert_eq!(value["acc-0001"], 275_400.0, "PRD-069's example");
    let multiples: Vec<f64> = value
        .iter()
        .map(|(account, value)| value / arr[account])
        .collect();
    assert!(multiples.iter().any(|multiple| *multiple < 1.0));
    assert!(multiples.iter().any(|multiple| *multiple > 2.0));
    assert!(
        multiples.iter().all(|multiple| *multiple < 12.0),
        "{multiples:?}"
    );
}

#[test]
fn the_same_config_gives_the_same_goals() {
    let small = DemoConfig {
        accounts: 30,
        days: 20,
        ..DemoConfig::default()
    };
    let first = generate(&small);
    let second = generate(&small);
    assert_eq!(first.goals, second.goals);
    assert_eq!(first.summary, second.summary);
    let other = generate(&DemoConfig { seed: 43, ..small });
    assert_ne!(first.goals, other.goals);
}
