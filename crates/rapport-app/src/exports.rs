//! CSV exports: the tables a person downloads to open in a spreadsheet (the
//! account list, an engagement breakdown), written from the same structures
//! the API returns. Every text cell is neutralised against spreadsheet
//! formula injection (OWASP's "CSV injection"): a cell a spreadsheet would
//! read as a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first)
//! gets a leading `'`, so `=HYPERLINK(…)` in an account name shows as text.
//! A cell that is wholly a number (`-12.5`) is a figure and stays as it is.

use rapport_core::AccountListing;
use rapport_core::engagement::EngagementBreakdown;
use serde::Serialize;

/// The content type of every CSV export.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// `cell` as a spreadsheet will read it safely.
pub fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|first| matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && !is_plain_number(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A number as a spreadsheet reads a typed number: an optional sign, digits,
/// at most one decimal point, an optional exponent; nothing else.
fn is_plain_number(cell: &str) -> bool {
    let body = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    !body.is_empty()
        && body
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_digit() || first == '.')
        && body.chars().all(|character| {
            character.is_ascii_digit() || matches!(character, '.' | 'e' | 'E' | '-' | '+')
        })
        && body.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A figure as a CSV cell: empty when missing, never a negative zero.
fn number(value: Option<f64>) -> String {
    match value {
        // Both zeros: a figure that rounds to nothing has no sign.
        Some(0.0) => "0".to_string(),
        Some(value) if value.is_finite() => value.to_string(),
        _ => String::new(),
    }
}

/// An enum's (or any value's) JSON spelling as a cell: `healthy`, `no_data`.
fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Null) | Err(_) => String::new(),
        Ok(other) => other.to_string(),
    }
}

/// A table as CSV: a header row, then the rows, every cell neutralised,
/// quoted where needed (RFC 4180), CRLF line ends.
pub fn table<I, R>(headers: &[&str], rows: I) -> Result<String, String>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(headers)
        .map_err(|error| error.to_string())?;
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|cell| neutralised(&cell).into_owned())
            .collect();
        writer
            .write_record(&cells)
            .map_err(|error| error.to_string())?;
    }
    let bytes = writer.into_inner().map_err(|error| error.to_string())?;
    String::from_utf8(bytes).map_err(|error| error.to_string())
}

/// The account list, one row an account.
pub fn accounts_csv(accounts: &[AccountListing]) -> Result<String, String> {
    table(
        &[
            "customerId",
            "externalId",
            "name",
            "tier",
            "arr",
            "csm",
            "manager",
            "status",
            "seats",
            "renewalDate",
            "atRiskOverride",
        ],
        accounts.iter().map(|account| {
            vec![
                account.id.to_string(),
                account.external_id.to_string(),
                account.name.clone(),
                label(&account.tier),
                number(Some(account.arr)),
                account.csm.clone(),
                account.manager.clone().unwrap_or_default(),
                label(&account.status),
                account
                    .seats
                    .map(|seats| seats.to_string())
                    .unwrap_or_default(),
                account
                    .renewal_date
                    .map(|date| date.to_string())
                    .unwrap_or_default(),
                account.at_risk_override.to_string(),
            ]
        }),
    )
}

/// The accounts table (the dashboard's, its filters and sort applied):
/// each account's listing, then its scores and the groups the overview
/// counts it in.
pub fn account_rows_csv(
    rows: &[rapport_core::portfolio::rows::AccountRow],
) -> Result<String, String> {
    table(
        &[
            "customerId",
            "externalId",
            "name",
            "tier",
            "arr",
            "csm",
            "status",
            "renewalDate",
            "engagement",
            "previousEngagement",
            "engagementBand",
            "trend",
            "health",
            "healthBand",
            "healthOverridden",
            "atRisk",
            "lowEngagement",
            "revenueBand",
            "engagedUsers",
            "multiThreaded",
            "activities",
        ],
        rows.iter().map(|row| {
            let account = &row.account;
            vec![
                account.id.to_string(),
                account.external_id.to_string(),
                account.name.clone(),
                label(&account.tier),
                number(Some(account.arr)),
                account.csm.clone(),
                label(&account.status),
                account
                    .renewal_date
                    .map(|date| date.to_string())
                    .unwrap_or_default(),
                number(row.engagement),
                number(row.previous_engagement),
                row.engagement_band.clone().unwrap_or_default(),
                label(&row.trend),
                number(row.health),
                row.health_band.clone().unwrap_or_default(),
                row.health_overridden.to_string(),
                row.at_risk.to_string(),
                row.low_engagement.to_string(),
                row.revenue_band.clone(),
                row.engaged_users.clone(),
                row.multi_threaded.to_string(),
                row.activities.to_string(),
            ]
        }),
    )
}

/// An engagement breakdown as a table: the overall score, then each
/// component and its factors, with the figures of the JSON body.
pub fn breakdown_csv(breakdown: &EngagementBreakdown) -> Result<String, String> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let lead = |kind: &str, component: &str, key: &str, name: &str| {
        vec![
            breakdown.account_name.clone(),
            breakdown.as_of.to_string(),
            breakdown.period.days.to_string(),
            breakdown.model.clone(),
            kind.to_string(),
            component.to_string(),
            key.to_string(),
            name.to_string(),
        ]
    };
    let mut overall = lead("overall", "", "overall", "Overall engagement");
    overall.extend([
        String::new(),
        String::new(),
        String::new(),
        number(breakdown.overall),
        number(breakdown.previous_overall),
        breakdown.trend.as_ref().map(label).unwrap_or_default(),
        breakdown.band_name.clone().unwrap_or_default(),
        "100".to_string(),
        number(breakdown.overall),
    ]);
    rows.push(overall);
    for component in &breakdown.components {
        let mut row = lead("component", &component.key, &component.key, &component.name);
        row.extend([
            String::new(),
            String::new(),
            String::new(),
            number(component.score),
            number(component.previous_score),
            String::new(),
            component.band_name.clone().unwrap_or_default(),
            number(Some(component.weight)),
            number(Some(component.contribution)),
        ]);
        rows.push(row);
        for factor in &component.factors {
            let score = &factor.score;
            let mut row = lead("factor", &component.key, &label(&score.key), &score.name);
            row.extend([
                number(score.current),
                score.unit.clone(),
                number(Some(score.target)),
                number(score.score),
                number(factor.previous),
                factor.trend.as_ref().map(label).unwrap_or_default(),
                label(&score.status),
                number(Some(factor.share_of_overall)),
                number(Some(score.contribution)),
            ]);
            rows.push(row);
        }
    }
    table(
        &[
            "account",
            "asOf",
            "periodDays",
            "model",
            "kind",
            "component",
            "key",
            "name",
            "current",
            "unit",
            "target",
            "score",
            "previous",
            "trend",
            "status",
            "weight",
            "contribution",
        ],
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_numbers_are_not() {
        for risky in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "=",
        ] {
            assert_eq!(neutralised(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["-12.5", "+3", "-1e3", "0", "Acme", "", "a=b", "12-3"] {
            assert_eq!(neutralised(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn a_table_quotes_and_neutralises_every_cell() {
        let csv = table(
            &["name", "note"],
            [vec!["=1+1".to_string(), "a, \"quoted\"\nline".to_string()]],
        )
        .unwrap();
        assert_eq!(csv, "name,note\r\n'=1+1,\"a, \"\"quoted\"\"\nline\"\r\n");
    }
}
