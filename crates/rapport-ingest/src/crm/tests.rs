//! Unit tests of the CRM import: both presets on export-shaped files (the
//! samples in crates/rapport-demo/samples/crm), value maps, keyword rules,
//! dates and money, rejected rows, header problems, mapping-file errors and
//! an idempotent import into a store.

use rapport_core::{AccountStatus, ContactRole, Tier};

use super::*;
use crate::tables::TableKind;

const SALESFORCE_ACCOUNTS: &[u8] =
    include_bytes!("../../../rapport-demo/samples/crm/salesforce-accounts.csv");
const SALESFORCE_CONTACTS: &[u8] =
    include_bytes!("../../../rapport-demo/samples/crm/salesforce-contacts.csv");
const HUBSPOT_COMPANIES: &[u8] =
    include_bytes!("../../../rapport-demo/samples/crm/hubspot-companies.csv");
const HUBSPOT_CONTACTS: &[u8] =
    include_bytes!("../../../rapport-demo/samples/crm/hubspot-contacts.csv");

fn preset_section(name: &str, kind: RecordKind) -> Section {
    Mapping::preset(name)
        .unwrap()
        .section(kind)
        .unwrap()
        .clone()
}

fn section(mapping: &str, kind: RecordKind) -> Section {
    Mapping::parse(mapping, "test.toml")
        .unwrap()
        .section(kind)
        .unwrap()
        .clone()
}

fn accounts(section: &Section, input: &[u8]) -> Vec<Result<Parsed<Account>, ReadError>> {
    // The import skips a byte-order mark before the CSV reader sees it; the
    // table also strips one from the first header cell, as here.
    read_accounts(section, input).unwrap().collect()
}

fn contacts(section: &Section, input: &[u8]) -> Vec<Result<Parsed<Contact>, ReadError>> {
    read_contacts(section, input).unwrap().collect()
}

fn good<T: Clone>(rows: &[Result<Parsed<T>, ReadError>]) -> Vec<T> {
    rows.iter()
        .map(|row| match row {
            Ok(parsed) => parsed.record.clone(),
            Err(error) => panic!("{error}"),
        })
        .collect()
}

/// `N ok` for a good row, `N: reason` for a rejected one.
fn summary<T>(rows: &[Result<Parsed<T>, ReadError>]) -> Vec<String> {
    rows.iter()
        .map(|row| match row {
            Ok(parsed) => format!("{} ok", parsed.line),
            Err(error) => error.to_string(),
        })
        .collect()
}

fn mapping_error(text: &str) -> String {
    Mapping::parse(text, "test.toml").unwrap_err().to_string()
}

fn header_error(section: &Section, input: &str) -> String {
    match read_accounts(section, input.as_bytes()) {
        Ok(_) => panic!("the header was accepted"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_salesforce_preset_reads_an_accounts_report_export() {
    let section = preset_section("salesforce", RecordKind::Accounts);
    let read = good(&accounts(&section, SALESFORCE_ACCOUNTS));
    let shown: Vec<_> = read
        .iter()
        .map(|account| {
            (
                account.external_id.as_str(),
                account.name.as_str(),
                account.tier,
                account.arr,
                account.csm.as_str(),
                account.industry.as_str(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "0015g00000NrTqAAAR",
                "Northwind Traders",
                Tier::Core,
                0.0,
                "Dana Whitfield",
                "Technology"
            ),
            (
                "0015g00000NrTqBAAR",
                "Globex, Inc.",
                Tier::Core,
                0.0,
                "Marco Ruiz",
                "Manufacturing"
            ),
            (
                "0015g00000NrTqCAAR",
                "Initech",
                Tier::Core,
                0.0,
                "Dana Whitfield",
                "Banking"
            ),
            (
                "0015g00000NrTqDAAR",
                "Umbrella Health",
                Tier::Core,
                0.0,
                "Priya Natarajan",
                "Healthcare"
            ),
            (
                "0015g00000NrTqEAAR",
                "Vandelay Industries",
                Tier::Core,
                0.0,
                "Marco Ruiz",
                "Retail"
            ),
        ]
    );
    // Annual Revenue is the company's revenue, not ARR: never read as it.
    assert!(read.iter().all(|account| account.seats.is_none()
        && account.status == AccountStatus::Active
        && account.renewal_date.is_none()));
}

#[test]
fn the_salesforce_preset_reads_contacts_with_roles_from_titles() {
    let section = preset_section("salesforce", RecordKind::Contacts);
    let read = good(&contacts(&section, SALESFORCE_CONTACTS));
    let shown: Vec<_> = read
        .iter()
        .map(|contact| {
            (
                contact.account.as_str(),
                contact.email.as_str(),
                contact.name.as_str(),
                contact.role,
                contact.title.as_str(),
                contact.department.as_str(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "0015g00000NrTqAAAR",
                "alicia.moreno@northwind.example",
                "Alicia Moreno",
                ContactRole::Executive,
                "VP, Customer Operations",
                "Operations"
            ),
            (
                "0015g00000NrTqAAAR",
                "ben.okafor@northwind.example",
                "Ben Okafor",
                ContactRole::Admin,
                "Salesforce Administrator",
                "IT"
            ),
            (
                "0015g00000NrTqBAAR",
                "chen.wei@globex.example",
                "Chen Wei",
                ContactRole::Executive,
                "Chief Technology Officer",
                "Engineering"
            ),
            (
                "0015g00000NrTqBAAR",
                "dara.oneil@globex.example",
                "Dara O'Neil",
                ContactRole::User,
                "Senior Analyst, Supply Chain",
                "Supply Chain"
            ),
            // "Director" holds the letters of CTO, not the word: a user.
            (
                "0015g00000NrTqCAAR",
                "peter.gibbons@initech.example",
                "Peter Gibbons",
                ContactRole::User,
                "Director of Operations",
                "Operations"
            ),
            (
                "0015g00000NrTqDAAR",
                "grace.lin@umbrella-health.example",
                "Grace Lin",
                ContactRole::Executive,
                "Head of IT",
                "IT"
            ),
            (
                "0015g00000NrTqEAAR",
                "art@vandelay.example",
                "Art Vandelay",
                ContactRole::Executive,
                "President",
                ""
            ),
        ]
    );
}

#[test]
fn the_hubspot_preset_reads_companies_and_contacts() {
    let section = preset_section("hubspot", RecordKind::Accounts);
    let read = good(&accounts(&section, HUBSPOT_COMPANIES));
    let shown: Vec<_> = read
        .iter()
        .map(|account| {
            (
                account.external_id.as_str(),
                account.name.as_str(),
                account.csm.as_str(),
                account.status,
                account.arr,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "18234567801",
                "Acme Rockets",
                "Dana Whitfield",
                AccountStatus::Active,
                0.0
            ),
            (
                "18234567802",
                "Hooli, Inc.",
                "Sam Patel",
                AccountStatus::Active,
                0.0
            ),
            (
                "18234567803",
                "Stark Logistics",
                "Sam Patel",
                AccountStatus::Active,
                0.0
            ),
            (
                "18234567804",
                "Wayne Analytics",
                "Priya Natarajan",
                AccountStatus::Active,
                0.0
            ),
        ]
    );

    let section = preset_section("hubspot", RecordKind::Contacts);
    let read = good(&contacts(&section, HUBSPOT_CONTACTS));
    let roles: Vec<_> = read
        .iter()
        .map(|contact| {
            (
                contact.account.as_str(),
                contact.name.as_str(),
                contact.role,
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("18234567801", "Wile Coyote", ContactRole::Executive),
            ("18234567801", "Road Runner", ContactRole::User),
            ("18234567802", "Gavin Belson", ContactRole::Executive),
            ("18234567802", "Carla Walton", ContactRole::Admin),
            ("18234567803", "Pepper Potts", ContactRole::Executive),
            ("18234567804", "Lucius Fox", ContactRole::Executive),
        ]
    );
}

/// A lead is not a customer: the row is rejected naming the line, the
/// field and the column it came from; the rest of the file is kept.
#[test]
fn a_hubspot_company_that_is_not_a_customer_is_rejected_and_the_rest_kept() {
    let section = preset_section("hubspot", RecordKind::Accounts);
    let rows = accounts(
        &section,
        b"Record ID,Company name,Company owner,Industry,Lifecycle Stage\n\
          1,Customer Co,Sam,Software,customer\n\
          2,Lead Co,Sam,Software,Lead\n\
          3,Fan Co,Sam,Software,Evangelist\n",
    );
    assert_eq!(
        summary(&rows),
        [
            "2 ok",
            "3: field `status` (column `Lifecycle Stage`): status `Lead` is not one of active | churned",
            "4 ok",
        ]
    );
}

const CUSTOM: &str = r#"
[accounts]
id = "Account ID"
name = "Account Name"
tier = { column = "Customer Tier", values = { "Enterprise" = "strategic", "Mid-Market" = "growth", "SMB" = "core" }, default = "core" }
arr = "ARR"
seats = "Employees"
renewal_date = { column = "Renewal Date", format = "%m/%d/%Y" }
manager = { value = "Jordan Lee" }
"#;

#[test]
fn a_custom_mapping_reads_tier_arr_seats_and_us_dates() {
    let section = section(CUSTOM, RecordKind::Accounts);
    let read = good(&accounts(&section, SALESFORCE_ACCOUNTS));
    let shown: Vec<_> = read
        .iter()
        .map(|account| {
            (
                account.name.as_str(),
                account.tier,
                account.arr,
                account.seats,
                account.renewal_date.map(|date| date.to_string()),
                account.manager.as_deref(),
            )
        })
        .collect();
    let date = |text: &str| Some(text.to_string());
    assert_eq!(
        shown,
        [
            (
                "Northwind Traders",
                Tier::Strategic,
                1_200_000.0,
                Some(250),
                date("2026-03-31"),
                Some("Jordan Lee")
            ),
            (
                "Globex, Inc.",
                Tier::Growth,
                310_500.0,
                Some(1200),
                date("2026-11-15"),
                Some("Jordan Lee")
            ),
            (
                "Initech",
                Tier::Core,
                42_000.0,
                Some(90),
                date("2027-01-09"),
                Some("Jordan Lee")
            ),
            (
                "Umbrella Health",
                Tier::Strategic,
                2_050_000.0,
                Some(4000),
                date("2026-06-30"),
                Some("Jordan Lee")
            ),
            // An empty tier takes the default; an empty date stays unset.
            (
                "Vandelay Industries",
                Tier::Core,
                18_900.0,
                Some(45),
                None,
                Some("Jordan Lee")
            ),
        ]
    );
}

#[test]
fn a_bad_row_is_rejected_naming_its_line_field_and_column_and_the_rest_kept() {
    let section = section(CUSTOM, RecordKind::Accounts);
    let rows = accounts(
        &section,
        "Account ID,Account Name,Customer Tier,ARR,Employees,Renewal Date\n\
         a1,Good,Enterprise,\"$1,200,000.00\",10,3/31/2026\n\
         a2,Bad date,SMB,100,10,31/03/2026\n\
         a3,Bad tier,Platinum,100,10,\n\
         a4,Bad money,SMB,\"1.200,00 €\",10,\n\
         a5,,SMB,100,10,\n\
         a6,Good too,mid-market,\"USD 950.50\",,\n"
            .as_bytes(),
    );
    assert_eq!(
        summary(&rows),
        [
            "2 ok",
            "3: field `renewal_date` (column `Renewal Date`): `31/03/2026` is not a date written as `%m/%d/%Y`",
            // An unmatched value with a default takes the default.
            "4 ok",
            "5: field `arr` (column `ARR`): `1.200,00` is not a number: a comma may only separate \
             thousands (1,234,567.50); a decimal comma or other grouping is not read",
            "6: missing field `name` (column `Account Name`: empty)",
            "7 ok",
        ]
    );
    assert_eq!(rows[2].as_ref().unwrap().record.tier, Tier::Core);
    let last = &rows[5].as_ref().unwrap().record;
    assert_eq!((last.tier, last.arr), (Tier::Growth, 950.5));
}

#[test]
fn a_salesforce_classic_footer_is_skipped_and_rows_after_an_empty_one_are_still_read() {
    let section = preset_section("salesforce", RecordKind::Contacts);
    // The sample ends with Classic's footer (empty rows, the org's name,
    // the copyright, "Generated By"): every row before it is a contact.
    let rows = contacts(&section, SALESFORCE_CONTACTS);
    assert!(rows.iter().all(Result::is_ok), "{:?}", summary(&rows));
    let text = std::str::from_utf8(SALESFORCE_CONTACTS).unwrap();
    let data_rows = text
        .lines()
        .skip(1)
        .take_while(|line| !line.trim().trim_matches('"').is_empty())
        .count();
    assert_eq!(rows.len(), data_rows);
    // The same shape followed by data is not a footer: each row is read,
    // the empty one and the one-cell one rejected, the data row kept.
    let section = preset_section("salesforce", RecordKind::Accounts);
    let rows = accounts(
        &section,
        "Account ID,Account Name,Account Owner,Industry\n\
         a1,Good,Dana,Tech\n\
         \"\"\n\
         a2\n\
         a3,Also good,Dana,Tech\n\
         ,\n\
         \"Generated By: Dana\"\n"
            .as_bytes(),
    );
    assert_eq!(
        summary(&rows),
        [
            "2 ok",
            "3: empty row",
            "4: missing field `name` (column `Account Name`: empty)",
            "5 ok",
        ]
    );
}

/// Without a default, a value the map does not know is passed on and the
/// contract judges it: a contract value is kept, anything else refused.
#[test]
fn a_value_map_without_a_default_passes_other_values_to_the_contract() {
    let section = section(
        r#"
[accounts]
id = "Id"
name = "Name"
tier = { column = "Segment", values = { "Key" = "strategic" } }
"#,
        RecordKind::Accounts,
    );
    let rows = accounts(
        &section,
        b"Id,Name,Segment\na,A,KEY\nb,B,growth\nc,C,Gold\n",
    );
    assert_eq!(
        summary(&rows),
        [
            "2 ok",
            "3 ok",
            "4: field `tier` (column `Segment`): tier `Gold` is not one of strategic | growth | core | nurture",
        ]
    );
    assert_eq!(rows[0].as_ref().unwrap().record.tier, Tier::Strategic);
}

#[test]
fn keyword_rules_match_whole_words_ignoring_case_first_rule_first() {
    let section = section(
        r#"
[contacts]
account = "Company"
email = "Email"
role = { column = "Title", rules = [
    { contains = ["VP", "Vice President", "CTO"], value = "executive" },
    { contains = "admin", value = "admin" },
    { contains = "power user", value = "power_user" },
], default = "user" }
"#,
        RecordKind::Contacts,
    );
    let rows = contacts(
        &section,
        b"Company,Email,Title\n\
          a,1@a.example,Senior vp of Sales\n\
          a,2@a.example,\"Vice-President, Admin\"\n\
          a,3@a.example,Director\n\
          a,4@a.example,Team MVP\n\
          a,5@a.example,System ADMIN\n\
          a,6@a.example,Power User (Finance)\n\
          a,7@a.example,Vice Chair\n\
          a,8@a.example,\n",
    );
    let roles: Vec<_> = good(&rows).iter().map(|contact| contact.role).collect();
    assert_eq!(
        roles,
        [
            ContactRole::Executive,
            // Both rules match; the first one listed wins.
            ContactRole::Executive,
            ContactRole::User,
            ContactRole::User,
            ContactRole::Admin,
            ContactRole::PowerUser,
            ContactRole::User,
            ContactRole::User,
        ]
    );
}

#[test]
fn columns_are_joined_and_found_ignoring_case_and_spaces() {
    let section = section(
        r#"
[contacts]
account = "account id"
email = "E-MAIL"
name = { column = ["Last Name", "First Name"], separator = ", " }
"#,
        RecordKind::Contacts,
    );
    let rows = contacts(
        &section,
        b" Account ID ,e-mail,First Name,Last Name\n\
          a,Ann@A.example,Ann,Lee\n\
          a,bo@a.example,,Bo\n",
    );
    let shown: Vec<_> = good(&rows)
        .iter()
        .map(|contact| (contact.email.as_str().to_string(), contact.name.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            ("ann@a.example".to_string(), "Lee, Ann".to_string()),
            ("bo@a.example".to_string(), "Bo".to_string()),
        ]
    );
}

#[test]
fn money_cells_lose_their_currency_symbol_or_code() {
    let section = section(
        "[accounts]\nid = \"Id\"\nname = \"Id\"\ntier = { value = \"core\" }\narr = \"ARR\"\n",
        RecordKind::Accounts,
    );
    let rows = accounts(
        &section,
        "Id,ARR\n\
         a,\"$1,200,000.00\"\n\
         b,\"USD 1,200.50\"\n\
         c,€950\n\
         d,\"1,000 GBP\"\n\
         e,US$75\n\
         f,approx 100\n\
         g,(100)\n\
         h,-$5\n"
            .as_bytes(),
    );
    let arr: Vec<_> = rows
        .iter()
        .map(|row| {
            row.as_ref()
                .map(|parsed| parsed.record.arr)
                .map_err(ToString::to_string)
        })
        .collect();
    assert_eq!(
        arr,
        [
            Ok(1_200_000.0),
            Ok(1200.5),
            Ok(950.0),
            Ok(1000.0),
            Ok(75.0),
            Err("7: field `arr` (column `ARR`): arr `approx 100` is not a number".to_string()),
            Err("8: field `arr` (column `ARR`): arr `(100)` is not a number".to_string()),
            Err("9: field `arr` (column `ARR`): arr -5 is out of range (a number ≥ 0)".to_string()),
        ]
    );
}

#[test]
fn a_mapped_column_missing_from_the_header_refuses_the_file() {
    let section = section(CUSTOM, RecordKind::Accounts);
    assert_eq!(
        header_error(&section, "Account ID,Account Name,ARR,Employees,Notes\n"),
        "bad header: no column `Customer Tier` (read for `tier`), `Renewal Date` (read for \
         `renewal_date`) as the mapping test.toml [accounts] expects; the export's columns are: \
         `Account ID`, `Account Name`, `ARR`, `Employees`, `Notes`"
    );
}

#[test]
fn a_mapped_column_named_twice_refuses_the_file() {
    let section = preset_section("salesforce", RecordKind::Accounts);
    assert_eq!(
        header_error(
            &section,
            "Account ID,Account Name,Account Owner,Industry,account name\n"
        ),
        "bad header: column `Account Name` appears twice (columns 2 and 5); remove one, \
         nothing of the file was imported"
    );
    // A column the mapping does not read may repeat.
    let rows = accounts(
        &section,
        b"Account ID,Account Name,Account Owner,Industry,Phone,Phone\na,A,o,i,1,2\n",
    );
    assert_eq!(summary(&rows), ["2 ok"]);
}

#[test]
fn text_that_is_not_utf8_is_reported_by_line_and_export_column() {
    let section = preset_section("salesforce", RecordKind::Accounts);
    let rows = accounts(
        &section,
        b"Account ID,Account Name,Account Owner,Industry\n\
          a,Caf\xe9 Bleu,o,i\n\
          b,Good,o,i\n",
    );
    assert_eq!(
        summary(&rows),
        [
            "2: the row is not valid UTF-8 (column 2 (`Account Name`): byte 0xe9 after `Caf`; save the file as UTF-8)",
            "3 ok",
        ]
    );
    let error = match read_accounts(&section, &b"Account ID,Acc\xffount Name\n"[..]) {
        Ok(_) => panic!("accepted"),
        Err(error) => error.to_string(),
    };
    assert_eq!(
        error,
        "bad header: line 1 is not valid UTF-8 (column 2: byte 0xff after `Acc`; save the file as UTF-8)"
    );
}

#[test]
fn a_byte_order_mark_before_the_header_is_not_part_of_the_first_column() {
    assert!(SALESFORCE_ACCOUNTS.starts_with(b"\xEF\xBB\xBF"));
    let section = preset_section("salesforce", RecordKind::Accounts);
    assert_eq!(accounts(&section, SALESFORCE_ACCOUNTS).len(), 5);
}

#[test]
fn mapping_file_errors_name_the_key() {
    let cases: &[(&str, &str)] = &[
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntiers = \"C\"\n",
            "mapping test.toml: `accounts.tiers`: unknown field (the fields of accounts.csv: id, \
             name, tier, arr, seats, csm, status, contract_start, renewal_date, industry, manager, \
             at_risk_override)",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\n",
            "mapping test.toml: `accounts.tier`: not mapped, and every record needs it: name the \
             export's column (tier = \"Column\") or give a constant (tier = { value = \"…\" })",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { column = \"T\", valuez = {} }\n",
            "mapping test.toml: `accounts.tier.valuez`: unknown key (expected column, separator, \
             value, default, values, rules, format)",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { column = \"T\", values = { \"Mid-Market\" = \"gold\" } }\n",
            "mapping test.toml: `accounts.tier.values.Mid-Market`: tier `gold` is not one of \
             strategic | growth | core | nurture",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { column = \"T\", default = \"big\" }\n",
            "mapping test.toml: `accounts.tier.default`: tier `big` is not one of strategic | \
             growth | core | nurture",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { value = \"core\", column = \"T\" }\n",
            "mapping test.toml: `accounts.tier.column`: `value` is a constant for every row: it \
             takes no other key",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { default = \"core\" }\n",
            "mapping test.toml: `accounts.tier`: give `column` (the export's column, or a list of \
             columns to join) or `value` (a constant)",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { value = \"core\" }\nrenewal_date = { column = \"R\", format = \"%m/%Y\" }\n",
            "mapping test.toml: `accounts.renewal_date.format`: `%m/%Y` is not a date format \
             naming a day, a month and a year (chrono's, such as \"%m/%d/%Y\" or \"%d.%m.%Y\")",
        ),
        (
            "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { value = \"core\" }\narr = { column = \"R\", format = \"%m/%d/%Y\" }\n",
            "mapping test.toml: `accounts.arr.format`: a date format, for contract_start and \
             renewal_date only",
        ),
        (
            "[contacts]\naccount = \"A\"\nemail = \"E\"\nrole = { column = \"T\", rules = [{ contains = \"VP\", value = \"boss\" }] }\n",
            "mapping test.toml: `contacts.role.rules[0].value`: role `boss` is not one of \
             executive | champion | power_user | user | admin",
        ),
        (
            "[contacts]\naccount = \"A\"\nemail = \"E\"\nrole = { column = \"T\", rules = [{ contain = \"VP\", value = \"admin\" }] }\n",
            "mapping test.toml: `contacts.role.rules[0].contain`: unknown key (expected contains, value)",
        ),
        (
            "[contacts]\naccount = \"A\"\nemail = []\n",
            "mapping test.toml: `contacts.email`: a column name cannot be empty",
        ),
        (
            "[contacts]\naccount = \"A\"\nemail = 3\n",
            "mapping test.toml: `contacts.email`: expected the export's column (\"Column\"), \
             columns to join ([\"First Name\", \"Last Name\"]) or a table ({ column = \"…\", … })",
        ),
        (
            "[leads]\nid = \"A\"\n",
            "mapping test.toml: `leads`: unknown section (expected [accounts] and/or [contacts])",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(mapping_error(text), *expected, "{text}");
    }
    assert!(
        mapping_error("[accounts\nid = 1\n").starts_with("mapping test.toml: not valid TOML: "),
        "{}",
        mapping_error("[accounts\nid = 1\n")
    );
    let only_accounts = Mapping::parse(
        "[accounts]\nid = \"A\"\nname = \"B\"\ntier = { value = \"core\" }\n",
        "test.toml",
    )
    .unwrap();
    assert_eq!(
        only_accounts
            .section(RecordKind::Contacts)
            .unwrap_err()
            .to_string(),
        "mapping test.toml has no [contacts] section, so it cannot read contacts; add one (docs/crm.md)"
    );
    assert_eq!(
        Mapping::load("no-such-preset").unwrap_err().to_string(),
        "mapping `no-such-preset` is neither a preset (salesforce, hubspot) nor a readable file: \
         No such file or directory (os error 2)"
    );
}

#[test]
fn both_presets_map_both_record_kinds_of_the_contract() {
    for name in PRESETS {
        let mapping = Mapping::preset(name).unwrap();
        for kind in [RecordKind::Accounts, RecordKind::Contacts] {
            let section = mapping.section(kind).unwrap();
            let fields: Vec<_> = section.columns().map(|(field, _)| field).collect();
            let table: TableKind = kind.table();
            for field in fields {
                assert!(table.known_columns().contains(&field));
            }
        }
    }
}

fn write_file(folder: &tempfile::TempDir, name: &str, text: &[u8]) -> std::path::PathBuf {
    let path = folder.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn counts(report: &FileReport) -> (u64, u64, u64, usize, Option<&str>) {
    (
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected.len(),
        report.fatal.as_deref(),
    )
}

#[test]
fn an_import_is_idempotent_and_contacts_of_unknown_accounts_are_rejected() {
    let store = rapport_store::open("sqlite::memory:").unwrap();
    let folder = tempfile::tempdir().unwrap();
    let mapping = Mapping::preset("salesforce").unwrap();
    let accounts_section = mapping.section(RecordKind::Accounts).unwrap();
    let contacts_section = mapping.section(RecordKind::Contacts).unwrap();
    let accounts_path = write_file(&folder, "Accounts.csv", SALESFORCE_ACCOUNTS);
    let report = import_crm(
        &*store,
        accounts_section,
        &accounts_path,
        &crate::NoProgress,
    );
    assert_eq!(counts(&report), (5, 0, 0, 0, None));
    let again = import_crm(
        &*store,
        accounts_section,
        &accounts_path,
        &crate::NoProgress,
    );
    assert_eq!(counts(&again), (0, 0, 5, 0, None));

    // A contact of an account the store lacks, before the export's footer.
    let sample = std::str::from_utf8(SALESFORCE_CONTACTS).unwrap();
    let footer = sample.find("\n\"\"\n").unwrap() + 1;
    let contacts_text = format!(
        "{}\"0035g00000Kx1aZAAR\",\"0015g00000ZZZZZAAR\",\"Gone Co\",\"Ida\",\"Ng\",\"CFO\",\"ida@gone.example\",\"\",\"\",\"\"\n{}",
        &sample[..footer],
        &sample[footer..]
    );
    let contacts_text = contacts_text.as_bytes();
    let contacts_path = write_file(&folder, "Contacts.csv", contacts_text);
    let report = import_crm(
        &*store,
        contacts_section,
        &contacts_path,
        &crate::NoProgress,
    );
    assert_eq!(counts(&report), (7, 0, 0, 1, None));
    assert_eq!(
        report.rejected[0].to_string(),
        "9: field `account` (column `Account ID`): unknown account `0015g00000ZZZZZAAR` \
         (import the accounts export first: rapport import crm-accounts FILE --mapping …)"
    );
    let again = import_crm(
        &*store,
        contacts_section,
        &contacts_path,
        &crate::NoProgress,
    );
    assert_eq!(counts(&again), (0, 0, 7, 1, None));

    let changed = String::from_utf8(SALESFORCE_ACCOUNTS.to_vec())
        .unwrap()
        .replace("\"Initech\",", "\"Initech Global\",");
    std::fs::write(&accounts_path, changed).unwrap();
    let report = import_crm(
        &*store,
        accounts_section,
        &accounts_path,
        &crate::NoProgress,
    );
    assert_eq!(counts(&report), (0, 1, 4, 0, None));
    assert_eq!(store.counts().unwrap().accounts, 5);
}

#[test]
fn an_export_without_a_mapped_column_imports_nothing() {
    let store = rapport_store::open("sqlite::memory:").unwrap();
    let folder = tempfile::tempdir().unwrap();
    let mapping = Mapping::preset("hubspot").unwrap();
    // A Salesforce export read with the HubSpot preset.
    let path = write_file(&folder, "Accounts.csv", SALESFORCE_ACCOUNTS);
    let report = import_crm(
        &*store,
        mapping.section(RecordKind::Accounts).unwrap(),
        &path,
        &crate::NoProgress,
    );
    let fatal = report.fatal.as_deref().unwrap();
    assert!(
        fatal.starts_with(
            "bad header: no column `Record ID` (read for `id`), `Company name` (read for `name`), \
             `Company owner` (read for `csm`), `Lifecycle Stage` (read for `status`) as the \
             mapping hubspot [accounts] expects; the export's columns are: `Account ID`,"
        ),
        "{fatal}"
    );
    assert_eq!((report.imported(), report.unchanged), (0, 0));
    assert_eq!(store.counts().unwrap().accounts, 0);
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
        let section = section(CUSTOM, RecordKind::Accounts);
        let mut input = b"Account ID,Account Name,Customer Tier,ARR,Employees,Renewal Date\n".to_vec();
        input.extend(&bytes);
        for table in [&bytes[..], &input[..]] {
            if let Ok(rows) = read_accounts(&section, table) {
                for row in rows {
                    let _ = row.map_err(|error| error.to_string());
                }
            }
        }
    }
}
