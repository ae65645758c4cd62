//! The CSV files of the import contract: accounts, contacts, features, outcomes.
//! Columns are found by header name (any order, surrounding spaces ignored,
//! case-insensitive); required columns missing from the header reject the file.

use std::collections::HashMap;
use std::io::Read;

use rapport_core::time::parse_date;
use rapport_core::{
    Account, AccountStatus, Contact, ContactRole, DomainError, Email, ExternalId, Feature,
    FeatureImportance, FeatureKey, Outcome, OutcomeKind, Tier, parse_non_negative,
};

use crate::{FileError, Parsed, RecordError};

/// Which CSV file of the contract a table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Accounts,
    Contacts,
    Features,
    Outcomes,
    /// Rapport's own goals.csv (docs/goals-csv.md).
    Goals,
}

/// goals.csv's columns, in the documented order.
pub const GOAL_COLUMNS: &[&str] = &[
    "account",
    "goal",
    "goal_id",
    "description",
    "owner",
    "start_date",
    "target_date",
    "weight",
    "checkpoints",
    "metric",
    "metric_id",
    "category",
    "metric_description",
    "baseline",
    "target",
    "unit",
    "direction",
    "data_source",
    "frequency",
    "current",
    "measured_at",
    "note",
    "value_kind",
    "value_amount",
    "hours_per_month",
    "hourly_rate",
    "tools_retired",
    "confidence",
    "value_label",
];

impl TableKind {
    /// Columns without which the file is refused.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Accounts => &["id", "name", "tier"],
            TableKind::Contacts => &["account", "email"],
            TableKind::Features => &["key"],
            TableKind::Outcomes => &["account", "date", "outcome"],
            TableKind::Goals => &["account", "goal"],
        }
    }

    /// Every column the contract defines; other columns are ignored.
    pub fn known_columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Accounts => &[
                "id",
                "name",
                "tier",
                "arr",
                "seats",
                "csm",
                "status",
                "contract_start",
                "renewal_date",
                "industry",
                "manager",
                "at_risk_override",
            ],
            TableKind::Contacts => &["account", "email", "name", "role", "department", "title"],
            TableKind::Features => &["key", "name", "importance"],
            TableKind::Outcomes => &["account", "date", "outcome", "arr_change"],
            TableKind::Goals => GOAL_COLUMNS,
        }
    }
}

/// A CSV file of the contract, read record by record.
pub struct CsvTable<R: Read> {
    reader: csv::Reader<R>,
    columns: HashMap<&'static str, usize>,
    record: csv::StringRecord,
}

impl<R: Read> CsvTable<R> {
    pub fn new(kind: TableKind, input: R) -> Result<Self, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let headers = match reader.headers() {
            Ok(headers) => headers.clone(),
            Err(error) => return Err(csv_file_error(error)),
        };
        let mut columns = HashMap::new();
        for (index, header) in headers.iter().enumerate() {
            let normalized = header
                .trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase();
            if let Some(known) = kind
                .known_columns()
                .iter()
                .find(|known| **known == normalized)
            {
                columns.entry(*known).or_insert(index);
            }
        }
        let missing: Vec<&str> = kind
            .required_columns()
            .iter()
            .copied()
            .filter(|column| !columns.contains_key(column))
            .collect();
        if !missing.is_empty() {
            return Err(FileError::BadHeader(format!(
                "missing column{} {} (expected {})",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                kind.known_columns().join(",")
            )));
        }
        Ok(CsvTable {
            reader,
            columns,
            record: csv::StringRecord::new(),
        })
    }

    /// The next row as raw fields by column name, or a record error for an
    /// unreadable row. `None` at the end of the file.
    fn next_row(&mut self) -> Option<Result<Row<'_>, RecordError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |position| position.line());
                Some(Ok(Row {
                    line,
                    record: &self.record,
                    columns: &self.columns,
                }))
            }
            Err(error) => {
                let line = error.position().map_or(0, |position| position.line());
                if let csv::ErrorKind::Io(_) = error.kind() {
                    return Some(Err(RecordError {
                        line,
                        reason: format!("cannot read the rest of the file: {error}"),
                    }));
                }
                Some(Err(RecordError {
                    line,
                    reason: format!("unreadable row: {error}"),
                }))
            }
        }
    }

    /// Reads every row with `convert`, yielding the good records and the errors.
    pub fn rows<T>(
        mut self,
        convert: fn(&Row<'_>) -> Result<T, String>,
    ) -> impl Iterator<Item = Result<Parsed<T>, RecordError>> {
        let mut finished = false;
        std::iter::from_fn(move || {
            if finished {
                return None;
            }
            let row = match self.next_row()? {
                Ok(row) => row,
                Err(error) => {
                    // An IO error mid-file ends the file; a malformed row does not.
                    finished = error.reason.starts_with("cannot read");
                    return Some(Err(error));
                }
            };
            if row.is_blank() {
                return Some(Err(RecordError {
                    line: row.line,
                    reason: "empty row".into(),
                }));
            }
            let line = row.line;
            Some(
                convert(&row)
                    .map(|record| Parsed { line, record })
                    .map_err(|reason| RecordError { line, reason }),
            )
        })
    }
}

fn csv_file_error(error: csv::Error) -> FileError {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => FileError::Io(io),
        other => FileError::BadHeader(format!("{other:?}")),
    }
}

/// One CSV row, addressed by column name.
pub struct Row<'a> {
    line: u64,
    record: &'a csv::StringRecord,
    columns: &'a HashMap<&'static str, usize>,
}

impl Row<'_> {
    /// The trimmed value of a column; empty when the column or the cell is absent.
    pub fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|index| self.record.get(*index))
            .unwrap_or("")
    }

    /// The cell of a column, `None` when empty.
    pub fn optional(&self, column: &str) -> Option<&str> {
        Some(self.get(column)).filter(|value| !value.is_empty())
    }

    /// The 1-based line the row starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn is_blank(&self) -> bool {
        self.record.iter().all(str::is_empty)
    }
}

fn field<T>(column: &str, result: Result<T, DomainError>) -> Result<T, String> {
    result.map_err(|error| format!("field `{column}`: {error}"))
}

fn required<'a>(row: &'a Row<'_>, column: &str) -> Result<&'a str, String> {
    row.optional(column)
        .ok_or_else(|| format!("missing field `{column}`"))
}

fn parse_enum<T: std::str::FromStr<Err = DomainError>>(
    row: &Row<'_>,
    column: &str,
    default: Option<T>,
) -> Result<T, String> {
    match (row.optional(column), default) {
        (Some(text), _) => field(column, text.parse()),
        (None, Some(default)) => Ok(default),
        (None, None) => Err(format!("missing field `{column}`")),
    }
}

fn optional_date(row: &Row<'_>, column: &str) -> Result<Option<chrono::NaiveDate>, String> {
    row.optional(column)
        .map(|text| parse_date(text).map_err(|error| format!("field `{column}`: {error}")))
        .transpose()
}

fn parse_bool(column: &str, text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => Ok(false),
        "true" | "yes" | "1" | "y" => Ok(true),
        _ => Err(format!("field `{column}`: `{text}` is not true or false")),
    }
}

/// accounts.csv → [`Account`]. Empty `arr` is 0, empty `seats` means "not set",
/// empty `status` is active.
pub fn account_row(row: &Row<'_>) -> Result<Account, String> {
    let external_id = field("id", ExternalId::parse(row.get("id")))?;
    let name = required(row, "name")?.to_string();
    let tier: Tier = parse_enum(row, "tier", None)?;
    let arr = match row.optional("arr") {
        Some(text) => field("arr", parse_non_negative("arr", text))?,
        None => 0.0,
    };
    let seats = match row.optional("seats") {
        Some(text) => {
            let value = field("seats", parse_non_negative("seats", text))?;
            if value.fract() != 0.0 || value > f64::from(u32::MAX) {
                return Err(format!("field `seats`: `{text}` is not a whole number"));
            }
            Some(value as u32)
        }
        None => None,
    };
    let status: AccountStatus = parse_enum(row, "status", Some(AccountStatus::Active))?;
    Ok(Account {
        external_id,
        name,
        tier,
        arr,
        seats,
        csm: row.get("csm").to_string(),
        status,
        contract_start: optional_date(row, "contract_start")?,
        renewal_date: optional_date(row, "renewal_date")?,
        industry: row.get("industry").to_string(),
        manager: row.optional("manager").map(str::to_string),
        at_risk_override: parse_bool("at_risk_override", row.get("at_risk_override"))?,
    })
}

/// contacts.csv → [`Contact`]. An empty `role` is `user`.
pub fn contact_row(row: &Row<'_>) -> Result<Contact, String> {
    Ok(Contact {
        account: field("account", ExternalId::parse(row.get("account")))?,
        email: field("email", Email::parse(required(row, "email")?))?,
        name: row.get("name").to_string(),
        role: parse_enum(row, "role", Some(ContactRole::User))?,
        department: row.get("department").to_string(),
        title: row.get("title").to_string(),
    })
}

/// features.csv → [`Feature`]. An empty `importance` is basic; an empty name is the key.
pub fn feature_row(row: &Row<'_>) -> Result<Feature, String> {
    let key = field("key", FeatureKey::parse(row.get("key")))?;
    let name = row.optional("name").unwrap_or(key.as_str()).to_string();
    Ok(Feature {
        key,
        name,
        importance: parse_enum(row, "importance", Some(FeatureImportance::Basic))?,
    })
}

/// outcomes.csv → [`Outcome`]. An empty `arr_change` is 0.
pub fn outcome_row(row: &Row<'_>) -> Result<Outcome, String> {
    let date_text = required(row, "date")?;
    let arr_change = match row.optional("arr_change") {
        Some(text) => {
            let cleaned = text.trim_start_matches('$').replace(',', "");
            cleaned
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .ok_or_else(|| format!("field `arr_change`: `{text}` is not a number"))?
        }
        None => 0.0,
    };
    Ok(Outcome {
        account: field("account", ExternalId::parse(row.get("account")))?,
        date: parse_date(date_text).map_err(|error| format!("field `date`: {error}"))?,
        outcome: parse_enum::<OutcomeKind>(row, "outcome", None)?,
        arr_change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_accounts(text: &str) -> Vec<Result<Parsed<Account>, RecordError>> {
        CsvTable::new(TableKind::Accounts, text.as_bytes())
            .unwrap()
            .rows(account_row)
            .collect()
    }

    #[test]
    fn accounts_by_header_name_with_defaults() {
        let rows = parse_accounts(
            "name,id,tier,arr,seats,csm,status,contract_start,renewal_date,industry\n\
             Acme Corp,acc-1,strategic,\"150,000\",,Dana,,2025-01-15,2026-01-15T00:00:00Z,Software\n",
        );
        let account = &rows[0].as_ref().unwrap().record;
        assert_eq!(account.name, "Acme Corp");
        assert_eq!(account.arr, 150_000.0);
        assert_eq!(account.seats, None);
        assert_eq!(account.status, AccountStatus::Active);
        assert_eq!(account.renewal_date.unwrap().to_string(), "2026-01-15");
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_the_rest_kept() {
        let rows = parse_accounts(
            "id,name,tier,arr,seats\n\
             a1,Good,core,100,5\n\
             a2,Bad tier,gold,100,5\n\
             a3,Bad arr,core,lots,5\n\
             ,No id,core,1,1\n\
             a5,Half seat,core,1,2.5\n\
             a6,Good too,growth,1,1\n",
        );
        let summary: Vec<String> = rows
            .iter()
            .map(|row| match row {
                Ok(parsed) => format!("{} ok", parsed.line),
                Err(error) => error.to_string(),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "2 ok",
                "3: field `tier`: tier `gold` is not one of strategic | growth | core | nurture",
                "4: field `arr`: arr `lots` is not a number",
                "5: field `id`: account id is empty",
                "6: field `seats`: `2.5` is not a whole number",
                "7 ok",
            ]
        );
    }

    #[test]
    fn missing_required_column_rejects_the_file() {
        let error = CsvTable::new(TableKind::Contacts, "account,name\n".as_bytes())
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "bad header: missing column email (expected account,email,name,role,department,title)"
        );
    }

    #[test]
    fn outcomes_and_features() {
        let outcomes: Vec<_> = CsvTable::new(
            TableKind::Outcomes,
            "account,date,outcome,arr_change\na1,2025-06-30,expanded,-1200.5\na1,someday,renewed,0\n".as_bytes(),
        )
        .unwrap()
        .rows(outcome_row)
        .collect();
        assert_eq!(outcomes[0].as_ref().unwrap().record.arr_change, -1200.5);
        assert!(
            outcomes[1]
                .as_ref()
                .unwrap_err()
                .reason
                .starts_with("field `date`")
        );
        let features: Vec<_> = CsvTable::new(
            TableKind::Features,
            "key,name,importance\nreports,,\nexport,Export,premium\n".as_bytes(),
        )
        .unwrap()
        .rows(feature_row)
        .collect();
        let reports = &features[0].as_ref().unwrap().record;
        assert_eq!(
            (reports.name.as_str(), reports.importance),
            ("reports", FeatureImportance::Basic)
        );
        assert!(features[1].is_err());
    }
}
