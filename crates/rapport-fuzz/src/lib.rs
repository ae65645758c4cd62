//! The fuzz targets' bodies (docs/fuzzing.md): every parser of outside input,
//! driven from raw bytes, with its oracle. Each function must not panic, hang
//! or allocate without bound for any input, and checks what is cheap to
//! check: every diagnostic names a line of the input, in file order, and the
//! counts a parser reports add up. `fuzz/` runs them under libFuzzer
//! (`scripts/fuzz`); `tests/replay.rs` runs them over the committed seeds and
//! every input that once crashed, in the ordinary test suite.
//!
//! A target that reads several shapes takes its first byte as the choice
//! (which CSV, which Segment endpoint, which ticket format), so one fuzzer
//! covers them all and every seed file starts with that byte.

use std::path::Path;
use std::sync::OnceLock;

use rapport_core::engine::FactorFacts;
use rapport_core::scoring::model::Model;
use rapport_core::scoring::overrides::parse_override_request;
use rapport_core::scoring::score::{score, summary};
use rapport_core::success::edit::{
    merge_imported_goal, parse_goal, parse_metric, validate_goal, validate_metric_request,
};
use rapport_core::{Account, Contact, Tier, Timestamp};
use rapport_ingest::calendar::{CalendarOptions, read_meetings};
use rapport_ingest::crm::{self, Mapping, RecordKind, Section};
use rapport_ingest::directory::ContactDirectory;
use rapport_ingest::goals::read_goals;
use rapport_ingest::helpdesk::{TicketFormat, read_tickets};
use rapport_ingest::mail::{MailOptions, MailReader};
use rapport_ingest::segment::{CallType, Endpoint, EventMapping, Received, parse_and_map};
use rapport_ingest::tables::{self, Row};
use rapport_ingest::{ActivityLines, CsvTable, Parsed, ReadError, TableKind};

/// A target: its name (the fuzzer's, and its folder under `fuzz/seeds/`) and
/// its body, which gives how many good records (goals, meetings, e-mails,
/// models…) the input made, so a test can tell that a seed reaches past the
/// parser's refusals.
pub type Target = (&'static str, fn(&[u8]) -> usize);

/// Every target, in the order `scripts/fuzz` runs them.
pub const TARGETS: &[Target] = &[
    ("contract_csv", contract_csv),
    ("activities", activities),
    ("goals", goals),
    ("segment", segment),
    ("calendar", calendar),
    ("mail", mail),
    ("helpdesk", helpdesk),
    ("crm", crm),
    ("model", model),
    ("api_bodies", api_bodies),
];

// ---- Oracles ----------------------------------------------------------------

/// The lines of `data` as the parsers count them: one more than its line feeds.
fn lines_in(data: &[u8]) -> u64 {
    data.iter().filter(|&&byte| byte == b'\n').count() as u64 + 1
}

/// Diagnostics and records name a line of the input (1-based).
fn assert_line(what: &str, line: u64, data: &[u8]) {
    let lines = lines_in(data);
    assert!(
        (1..=lines).contains(&line),
        "{what} names line {line}; the input has {lines}"
    );
}

/// Records and diagnostics of a streaming parser come in file order, each on
/// a line of the input; reading from memory never fails as a file.
fn check_stream<T>(
    items: impl Iterator<Item = Result<Parsed<T>, ReadError>>,
    data: &[u8],
) -> Vec<T> {
    let mut last = 0;
    let mut records = Vec::new();
    for item in items {
        let line = match item {
            Ok(parsed) => {
                records.push(parsed.record);
                parsed.line
            }
            Err(ReadError::Record(error)) => error.line,
            Err(ReadError::File(error)) => panic!("reading memory failed as a file: {error}"),
        };
        assert_line("a record", line, data);
        assert!(line >= last, "line {line} came after line {last}");
        last = line;
    }
    records
}

/// The import's "now" for every target: fixed, so a crash reproduces.
fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-23T09:00:00Z").expect("a valid instant")
}

const TEAM_DOMAIN: &str = "ourco.example";

/// The accounts and contacts the sample files (calendar, mail, tickets) were
/// made against: a few accounts of the default demo portfolio, so the
/// fuzzers reach the matching code and not only "no account".
fn known() -> &'static (Vec<Account>, ContactDirectory) {
    static KNOWN: OnceLock<(Vec<Account>, ContactDirectory)> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let accounts: Vec<Account> = fixture(
            TableKind::Accounts,
            include_bytes!("../fixtures/accounts.csv"),
            tables::account_row,
        );
        let contacts: Vec<Contact> = fixture(
            TableKind::Contacts,
            include_bytes!("../fixtures/contacts.csv"),
            tables::contact_row,
        );
        (accounts, ContactDirectory::new(&contacts))
    })
}

fn fixture<T>(kind: TableKind, bytes: &[u8], convert: fn(&Row<'_>) -> Result<T, String>) -> Vec<T> {
    CsvTable::new(kind, bytes)
        .expect("the fixture's header")
        .rows(convert)
        .map(|row| row.expect("a fixture row").record)
        .collect()
}

// ---- The contract's files -----------------------------------------------------

/// accounts.csv, contacts.csv, features.csv, outcomes.csv (first byte: which).
pub fn contract_csv(data: &[u8]) -> usize {
    let Some((&choice, input)) = data.split_first() else {
        return 0;
    };
    match choice % 4 {
        0 => table(TableKind::Accounts, input, tables::account_row),
        1 => table(TableKind::Contacts, input, tables::contact_row),
        2 => table(TableKind::Features, input, tables::feature_row),
        _ => table(TableKind::Outcomes, input, tables::outcome_row),
    }
}

fn table<T>(kind: TableKind, input: &[u8], convert: fn(&Row<'_>) -> Result<T, String>) -> usize {
    // A refused header is a file error, which is fine; the rows are the point.
    CsvTable::new(kind, input).map_or(0, |table| check_stream(table.rows(convert), input).len())
}

/// activities.jsonl.
pub fn activities(data: &[u8]) -> usize {
    let records = check_stream(ActivityLines::new(data), data);
    assert!(records.len() as u64 <= lines_in(data));
    records.len()
}

/// goals.csv: rows gathered into goals, each completed as a new goal and then
/// again against the goal the first pass made, as a re-import would; a goal
/// that completes is a valid goal.
pub fn goals(data: &[u8]) -> usize {
    let Ok(file) = read_goals(data) else {
        return 0;
    };
    for error in &file.rejected {
        assert_line("a rejected row", error.line, data);
    }
    let now = now();
    let mut stored = Vec::new();
    for draft in file.goals {
        assert_line("a goal", draft.line(), data);
        if let Ok(imported) = draft.complete(None, now) {
            let goal = merge_imported_goal(None, imported);
            if let Err(error) = validate_goal(&goal) {
                panic!("an imported goal is invalid: {error:?}");
            }
            stored.push(goal);
        }
    }
    let Ok(again) = read_goals(data) else {
        panic!("the same bytes read differently");
    };
    for draft in again.goals {
        let existing = stored.iter().find(|goal| draft.is(goal));
        if let Ok(imported) = draft.complete(existing, now) {
            let goal = merge_imported_goal(existing, imported);
            if let Err(error) = validate_goal(&goal) {
                panic!("a re-imported goal is invalid: {error:?}");
            }
        }
    }
    stored.len()
}

// ---- Other sources ----------------------------------------------------------------

/// A Segment body (first byte: `/v1/batch` or one call's endpoint), read and
/// mapped as the tracking API does.
pub fn segment(data: &[u8]) -> usize {
    static MAPPING: OnceLock<EventMapping> = OnceLock::new();
    let mapping = MAPPING.get_or_init(|| {
        EventMapping::new(EventMapping::default_rules(), Tier::Growth)
            .expect("the default rules are valid")
    });
    let Some((&choice, body)) = data.split_first() else {
        return 0;
    };
    let endpoint = match usize::from(choice) % (CallType::ALL.len() + 1) {
        0 => Endpoint::Batch,
        call => Endpoint::Call(CallType::ALL[call - 1]),
    };
    let mut generated = 0_u64;
    let mut new_message_id = || {
        generated += 1;
        format!("fuzz-{generated}")
    };
    let mut received = Received {
        at: now(),
        new_message_id: &mut new_message_id,
    };
    let Ok(parsed) = parse_and_map(endpoint, body, &mut received, mapping) else {
        return 0;
    };
    if let Endpoint::Call(_) = endpoint {
        assert_eq!(parsed.events.len(), 1, "a call's body is one event");
    }
    for (index, event) in parsed.events.iter().enumerate() {
        if let Err(error) = event {
            assert_eq!(error.index, index, "an event's error names its place");
        }
    }
    parsed.events.iter().filter(|event| event.is_ok()).count()
}

/// An iCalendar file.
pub fn calendar(data: &[u8]) -> usize {
    let options = CalendarOptions {
        team_domains: vec![TEAM_DOMAIN.into()],
        now: now(),
        until: None,
    };
    let meetings = read_meetings(data, &known().1, &options, |_| {});
    assert!(meetings.fatal.is_none(), "reading memory failed as a file");
    let end = options.range_end();
    for meeting in &meetings.meetings {
        assert_line("a meeting", meeting.line, data);
        assert!(meeting.record.at < end, "a meeting after the range's end");
    }
    for rejected in &meetings.rejected {
        assert_line("a rejected event", rejected.line, data);
    }
    for all_day in &meetings.all_day {
        assert_line("an all-day event", all_day.line, data);
    }
    for unmatched in &meetings.unmatched {
        assert_line("an unmatched event", unmatched.line, data);
    }
    meetings.meetings.len()
}

/// An mbox file, or one message (`.eml`): every message read is an e-mail,
/// rejected, unmatched or internal, exactly one of them.
pub fn mail(data: &[u8]) -> usize {
    let options = MailOptions {
        team_domains: vec![TEAM_DOMAIN.into()],
        now: now(),
    };
    let mut reader = MailReader::new(&known().1, options);
    reader.read_file(Path::new("fuzz.mbox"), data);
    let read = reader.finish(|_| Vec::new());
    assert!(
        read.file_errors.is_empty(),
        "reading memory failed as a file"
    );
    let places = read
        .emails
        .iter()
        .map(|(place, _)| place)
        .chain(read.rejected.iter().map(|problem| &problem.place))
        .chain(read.unmatched.iter().map(|problem| &problem.place))
        .chain(read.redated.iter().map(|problem| &problem.place));
    for place in places {
        assert_line("a message", place.line, data);
        assert!((1..=read.messages).contains(&place.index));
    }
    let accounted = read.emails.len() as u64
        + read.rejected.len() as u64
        + read.unmatched.len() as u64
        + read.internal;
    assert_eq!(
        accounted, read.messages,
        "every message is accounted for once"
    );
    read.emails.len()
}

/// A Zendesk export (first byte: the CSV, the API's JSON, or JSON Lines).
pub fn helpdesk(data: &[u8]) -> usize {
    let Some((&choice, input)) = data.split_first() else {
        return 0;
    };
    let (format, lines) = match choice % 3 {
        0 => (TicketFormat::Csv, false),
        1 => (TicketFormat::Json, false),
        _ => (TicketFormat::Json, true),
    };
    let (accounts, directory) = known();
    let read = read_tickets(input, format, lines, accounts, directory);
    for activity in &read.activities {
        assert_line("a ticket record", activity.line, input);
    }
    for error in read.rejected.iter().chain(&read.unmatched) {
        assert_line("a ticket left out", error.line, input);
    }
    let left_out = read.rejected.len() as u64 + read.unmatched.len() as u64 + read.deleted;
    assert!(
        left_out <= read.tickets,
        "{left_out} tickets left out of {}",
        read.tickets
    );
    read.activities.len()
}

/// A CRM export: first byte 0–3, through a shipped preset's section
/// (Salesforce or HubSpot, accounts or contacts); 4, a mapping file of its
/// own, then a NUL byte, then the export, read through each section it has.
pub fn crm(data: &[u8]) -> usize {
    static PRESETS: OnceLock<[Mapping; 2]> = OnceLock::new();
    let presets = PRESETS.get_or_init(|| {
        ["salesforce", "hubspot"].map(|name| Mapping::preset(name).expect("a shipped preset"))
    });
    let Some((&choice, input)) = data.split_first() else {
        return 0;
    };
    let kinds = [RecordKind::Accounts, RecordKind::Contacts];
    if choice % 5 < 4 {
        let mapping = &presets[usize::from(choice % 2)];
        let kind = kinds[usize::from(choice % 4 / 2)];
        let section = mapping.section(kind).expect("the presets map both");
        return crm_export(section, input);
    }
    let (text, export) = match input.iter().position(|&byte| byte == 0) {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return 0;
    };
    let Ok(mapping) = Mapping::parse(text, "fuzz.toml") else {
        return 0;
    };
    kinds
        .into_iter()
        .filter_map(|kind| mapping.section(kind).ok())
        .map(|section| crm_export(section, export))
        .sum()
}

fn crm_export(section: &Section, export: &[u8]) -> usize {
    // A header without the section's columns is refused whole, which is fine.
    match section.kind() {
        RecordKind::Accounts => {
            crm::read_accounts(section, export).map_or(0, |rows| check_stream(rows, export).len())
        }
        RecordKind::Contacts => {
            crm::read_contacts(section, export).map_or(0, |rows| check_stream(rows, export).len())
        }
    }
}

// ---- Rapport's own files and bodies ---------------------------------------------

/// A scoring-model file: a model that validates scores every account with
/// finite figures in 0–100, the summary equal to the scorecard.
pub fn model(data: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(data) else {
        return 0;
    };
    let Ok(model) = Model::from_toml(text) else {
        return 0;
    };
    for facts in [FactorFacts::default(), busy_account()] {
        let card = score(&model, &facts);
        for figure in card
            .overall
            .iter()
            .chain(card.components.iter().flat_map(|c| &c.score))
        {
            assert!(
                figure.is_finite() && (0.0..=100.0).contains(figure),
                "a score of {figure}"
            );
        }
        assert_eq!(card.summary(), summary(&model, &facts));
        if let Some(overall) = card.overall {
            model.band_of(overall);
        }
    }
    1
}

/// An account with a figure for every factor.
fn busy_account() -> FactorFacts {
    FactorFacts {
        email_response_rate: Some(62.0),
        response_time_hours: Some(9.5),
        meeting_attendance: Some(80.0),
        proactive_outreach_per_month: 3.0,
        login_frequency_per_week: 4.0,
        feature_breadth: Some(45.0),
        session_minutes: 22.0,
        active_user_percent: 55.0,
        stakeholder_depth: 4.0,
        days_since_executive: Some(30.0),
        days_since_champion: Some(6.0),
        outbound_emails: 20,
        responded_emails: 12,
        meetings_counted: 5,
        meetings_attended: 4,
        customer_initiated_contacts: 7,
        logins: 300,
        sessions: 280,
        active_users: 33,
        user_base: 60,
        csm_touchpoints: 6.0,
        email_exchanges: 12.0,
        support_interactions: 3.0,
        ..FactorFacts::default()
    }
}

/// The API's JSON bodies parsed in the core (first byte: a goal, a metric or
/// an override): a goal or metric that parses is valid, with its current
/// values recorded.
pub fn api_bodies(data: &[u8]) -> usize {
    let Some((&choice, body)) = data.split_first() else {
        return 0;
    };
    let now = now();
    match choice % 3 {
        0 => {
            let Ok(request) = parse_goal(body, now.date()) else {
                return 0;
            };
            let goal = request.into_goal(now);
            if let Err(error) = validate_goal(&goal) {
                panic!("a parsed goal is invalid: {error:?}");
            }
        }
        1 => {
            let Ok(request) = parse_metric(body) else {
                return 0;
            };
            if let Err(error) = validate_metric_request(&request, "") {
                panic!("a parsed metric is invalid: {error:?}");
            }
        }
        _ => {
            let Ok(request) = parse_override_request(body) else {
                return 0;
            };
            assert!(
                request.value.is_finite(),
                "an override of {}",
                request.value
            );
        }
    }
    1
}
