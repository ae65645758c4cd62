//! The column-mapping file of a CRM import (docs/crm.md): for each field of
//! the contract's accounts.csv or contacts.csv, where its value comes from in
//! the export (a column, several joined, a constant) and how it is translated
//! (a value map, keyword rules, a default, a date format). The file is
//! validated when read: an unknown key, a value outside the contract or a
//! date format that does not name a date is refused naming its key.

use chrono::NaiveDate;
use rapport_core::{AccountStatus, ContactRole, Tier};

use super::cells::{check_date_format, contains_phrase, without_currency, words};
use crate::tables::{Row, TableKind, column_key};

/// The `salesforce` preset, shipped in the binary (docs/crm/salesforce.toml).
pub const SALESFORCE: &str = include_str!("../../../../docs/crm/salesforce.toml");
/// The `hubspot` preset, shipped in the binary (docs/crm/hubspot.toml).
pub const HUBSPOT: &str = include_str!("../../../../docs/crm/hubspot.toml");
/// The presets' names, as `--mapping` takes them.
pub const PRESETS: [&str; 2] = ["salesforce", "hubspot"];

/// Which record an export holds: a section of the mapping file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Accounts,
    Contacts,
}

impl RecordKind {
    /// The section's name in the mapping file (`[accounts]`).
    pub fn section(self) -> &'static str {
        match self {
            RecordKind::Accounts => "accounts",
            RecordKind::Contacts => "contacts",
        }
    }

    /// The contract file whose fields the section maps.
    pub fn table(self) -> TableKind {
        match self {
            RecordKind::Accounts => TableKind::Accounts,
            RecordKind::Contacts => TableKind::Contacts,
        }
    }
}

/// A mapping that cannot be used, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error(
        "mapping `{choice}` is neither a preset ({}) nor a readable file: {reason}",
        PRESETS.join(", ")
    )]
    Unreadable {
        choice: String,
        /// Not a `source`: the message says it, and anyhow would say it twice.
        reason: std::io::Error,
    },
    #[error("mapping {mapping}: not valid TOML: {message}")]
    Syntax { mapping: String, message: String },
    /// `key` is the TOML path of the value at fault (`accounts.tier.values`).
    #[error("mapping {mapping}: `{key}`: {reason}")]
    Invalid {
        mapping: String,
        key: String,
        reason: String,
    },
    #[error(
        "mapping {mapping} has no [{section}] section, so it cannot read {section}; \
         add one (docs/crm.md)"
    )]
    NoSection {
        mapping: String,
        section: &'static str,
    },
}

/// A validated mapping file: one section per record kind it can read.
#[derive(Debug, Clone)]
pub struct Mapping {
    name: String,
    accounts: Option<Section>,
    contacts: Option<Section>,
}

/// How one export's rows become one contract file's rows.
#[derive(Debug, Clone)]
pub struct Section {
    kind: RecordKind,
    /// The mapping's name (a preset's, or the file's path), for reasons.
    mapping: String,
    /// The mapped fields, in the contract's column order.
    fields: Vec<FieldMapping>,
}

/// Where one contract field comes from and how it is translated.
#[derive(Debug, Clone)]
struct FieldMapping {
    field: &'static str,
    source: Source,
    /// Taken when the source is empty, and when no value or rule matches.
    default: Option<String>,
    translate: Translate,
    /// A chrono format the export writes the date in.
    date_format: Option<String>,
}

#[derive(Debug, Clone)]
enum Source {
    /// The export's columns, as the mapping names them, joined by `separator`
    /// (empty cells left out).
    Columns {
        names: Vec<String>,
        /// The names' [`column_key`]s, as rows are addressed.
        keys: Vec<String>,
        separator: String,
    },
    Constant(String),
}

#[derive(Debug, Clone)]
enum Translate {
    AsIs,
    /// Cells compared trimmed, ignoring case (keys lowercased here).
    Values(Vec<(String, String)>),
    Rules(Vec<Rule>),
}

/// `{ contains = ["VP", "Head of"], value = "executive" }`: matches a cell
/// holding any of the phrases as whole words, ignoring case.
#[derive(Debug, Clone)]
struct Rule {
    phrases: Vec<Vec<String>>,
    value: String,
}

const FIELD_KEYS: &[&str] = &[
    "column",
    "separator",
    "value",
    "default",
    "values",
    "rules",
    "format",
];
const DATE_FIELDS: &[&str] = &["contract_start", "renewal_date"];

impl Mapping {
    /// A preset by name (`salesforce`, `hubspot`), else the mapping file at
    /// that path.
    pub fn load(choice: &str) -> Result<Mapping, MappingError> {
        if let Some(mapping) = Mapping::preset(choice) {
            return Ok(mapping);
        }
        let text = std::fs::read_to_string(choice).map_err(|reason| MappingError::Unreadable {
            choice: choice.to_string(),
            reason,
        })?;
        Mapping::parse(&text, choice)
    }

    /// A shipped preset, `None` for another name.
    pub fn preset(name: &str) -> Option<Mapping> {
        let text = match name {
            "salesforce" => SALESFORCE,
            "hubspot" => HUBSPOT,
            _ => return None,
        };
        // The presets are tested to parse; a broken one is a build's bug.
        Some(Mapping::parse(text, name).expect("a shipped CRM preset parses"))
    }

    /// A mapping file's text; `name` names it in errors.
    pub fn parse(text: &str, name: &str) -> Result<Mapping, MappingError> {
        let table: toml::Table = toml::from_str(text).map_err(|error| MappingError::Syntax {
            mapping: name.to_string(),
            message: error.to_string().trim_end().to_string(),
        })?;
        let invalid = |key: &str, reason: String| MappingError::Invalid {
            mapping: name.to_string(),
            key: key.to_string(),
            reason,
        };
        let mut mapping = Mapping {
            name: name.to_string(),
            accounts: None,
            contacts: None,
        };
        for (key, value) in &table {
            let kind = match key.as_str() {
                "accounts" => RecordKind::Accounts,
                "contacts" => RecordKind::Contacts,
                _ => {
                    return Err(invalid(
                        key,
                        "unknown section (expected [accounts] and/or [contacts])".into(),
                    ));
                }
            };
            let toml::Value::Table(fields) = value else {
                return Err(invalid(
                    key,
                    "must be a section: [accounts] or [contacts]".into(),
                ));
            };
            let section = Section::parse(kind, fields, name).map_err(|(key, reason)| {
                MappingError::Invalid {
                    mapping: name.to_string(),
                    key,
                    reason,
                }
            })?;
            match kind {
                RecordKind::Accounts => mapping.accounts = Some(section),
                RecordKind::Contacts => mapping.contacts = Some(section),
            }
        }
        if mapping.accounts.is_none() && mapping.contacts.is_none() {
            return Err(invalid(
                "",
                "the file maps nothing: give an [accounts] or a [contacts] section".into(),
            ));
        }
        Ok(mapping)
    }

    /// The mapping's name: a preset's, or the file's path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The section for `kind`, or why there is none.
    pub fn section(&self, kind: RecordKind) -> Result<&Section, MappingError> {
        let section = match kind {
            RecordKind::Accounts => self.accounts.as_ref(),
            RecordKind::Contacts => self.contacts.as_ref(),
        };
        section.ok_or_else(|| MappingError::NoSection {
            mapping: self.name.clone(),
            section: kind.section(),
        })
    }
}

/// A key's TOML path and what is wrong with it.
type KeyError = (String, String);

impl Section {
    fn parse(kind: RecordKind, fields: &toml::Table, mapping: &str) -> Result<Section, KeyError> {
        let section = kind.section();
        let known = kind.table().known_columns();
        for key in fields.keys() {
            if !known.contains(&key.as_str()) {
                return Err((
                    format!("{section}.{key}"),
                    format!(
                        "unknown field (the fields of {}.csv: {})",
                        section,
                        known.join(", ")
                    ),
                ));
            }
        }
        for required in kind.table().required_columns() {
            if !fields.contains_key(*required) {
                return Err((
                    format!("{section}.{required}"),
                    format!(
                        "not mapped, and every record needs it: name the export's column \
                         ({required} = \"Column\") or give a constant ({required} = {{ value = \"…\" }})"
                    ),
                ));
            }
        }
        let mut mapped = Vec::new();
        // In the contract's order, so the translated row is built in one pass.
        for field in known {
            if let Some(value) = fields.get(*field) {
                let key = format!("{section}.{field}");
                mapped.push(FieldMapping::parse(field, value, &key)?);
            }
        }
        Ok(Section {
            kind,
            mapping: mapping.to_string(),
            fields: mapped,
        })
    }

    /// Which records the section reads.
    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    /// The mapping's name, for reasons.
    pub fn mapping_name(&self) -> &str {
        &self.mapping
    }

    /// Every export column the section reads, each with the field that reads
    /// it, in the contract's order (a column may appear more than once).
    pub fn columns(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.fields.iter().flat_map(|mapping| {
            let names: &[String] = match &mapping.source {
                Source::Columns { names, .. } => names,
                Source::Constant(_) => &[],
            };
            names.iter().map(|name| (mapping.field, name.as_str()))
        })
    }

    /// The contract's cells of one export row, in `known_columns` order (an
    /// unmapped field empty), or the reason the row is rejected.
    pub(crate) fn translate(
        &self,
        row: &Row<'_>,
        cells: &mut csv::StringRecord,
    ) -> Result<(), String> {
        cells.clear();
        let mut next = self.fields.iter().peekable();
        for field in self.kind.table().known_columns() {
            match next.next_if(|mapping| mapping.field == *field) {
                Some(mapping) => cells.push_field(&mapping.cell(row)?),
                None => cells.push_field(""),
            }
        }
        Ok(())
    }

    /// A contract reason (`field `tier`: …`, `missing field `name``) with the
    /// export columns the field was read from, so the user knows where to look.
    pub(crate) fn name_source(&self, reason: String) -> String {
        for mapping in &self.fields {
            let Source::Columns { names, .. } = &mapping.source else {
                continue;
            };
            let columns = describe_columns(names);
            let field = format!("field `{}`", mapping.field);
            if let Some(rest) = reason.strip_prefix(&field)
                && rest.starts_with(':')
            {
                return format!("{field} ({columns}){rest}");
            }
            if reason == format!("missing field `{}`", mapping.field) {
                return format!("{reason} ({columns}: empty)");
            }
        }
        reason
    }
}

/// "column `Title`", "columns `First Name` + `Last Name`".
fn describe_columns(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    if quoted.len() == 1 {
        format!("column {}", quoted[0])
    } else {
        format!("columns {}", quoted.join(" + "))
    }
}

impl FieldMapping {
    fn parse(
        field: &'static str,
        value: &toml::Value,
        key: &str,
    ) -> Result<FieldMapping, KeyError> {
        let error = |key: &str, reason: &str| Err((key.to_string(), reason.to_string()));
        let table = match value {
            toml::Value::String(_) | toml::Value::Array(_) => {
                return Ok(FieldMapping {
                    field,
                    source: Source::columns(column_names(value, key)?, " ".into()),
                    default: None,
                    translate: Translate::AsIs,
                    date_format: None,
                });
            }
            toml::Value::Table(table) => table,
            _ => {
                return error(
                    key,
                    "expected the export's column (\"Column\"), columns to join \
                     ([\"First Name\", \"Last Name\"]) or a table ({ column = \"…\", … })",
                );
            }
        };
        for name in table.keys() {
            if !FIELD_KEYS.contains(&name.as_str()) {
                return error(
                    &format!("{key}.{name}"),
                    &format!("unknown key (expected {})", FIELD_KEYS.join(", ")),
                );
            }
        }
        if let Some(constant) = table.get("value") {
            if let Some(other) = table.keys().find(|name| *name != "value") {
                return error(
                    &format!("{key}.{other}"),
                    "`value` is a constant for every row: it takes no other key",
                );
            }
            let constant = scalar(constant, &format!("{key}.value"))?;
            check_contract_value(field, &constant, &format!("{key}.value"))?;
            return Ok(FieldMapping {
                field,
                source: Source::Constant(constant),
                default: None,
                translate: Translate::AsIs,
                date_format: None,
            });
        }
        let Some(columns) = table.get("column") else {
            return error(
                key,
                "give `column` (the export's column, or a list of columns to join) \
                 or `value` (a constant)",
            );
        };
        let names = column_names(columns, &format!("{key}.column"))?;
        let separator = match table.get("separator") {
            Some(toml::Value::String(separator)) => separator.clone(),
            Some(_) => return error(&format!("{key}.separator"), "expected a string"),
            None => " ".into(),
        };
        let default = match table.get("default") {
            Some(value) => {
                let default = scalar(value, &format!("{key}.default"))?;
                check_contract_value(field, &default, &format!("{key}.default"))?;
                Some(default)
            }
            None => None,
        };
        let translate = match (table.get("values"), table.get("rules")) {
            (Some(_), Some(_)) => {
                return error(
                    &format!("{key}.rules"),
                    "give `values` (a value map) or `rules` (keyword rules), not both",
                );
            }
            (Some(values), None) => {
                Translate::Values(value_map(field, values, &format!("{key}.values"))?)
            }
            (None, Some(rules)) => {
                Translate::Rules(keyword_rules(field, rules, &format!("{key}.rules"))?)
            }
            (None, None) => Translate::AsIs,
        };
        let date_format = match table.get("format") {
            None => None,
            Some(format) => {
                let format_key = format!("{key}.format");
                if !DATE_FIELDS.contains(&field) {
                    return error(
                        &format_key,
                        &format!("a date format, for {} only", DATE_FIELDS.join(" and ")),
                    );
                }
                if !matches!(translate, Translate::AsIs) {
                    return error(
                        &format_key,
                        "a date format reads the export's cell; it takes no `values` or `rules`",
                    );
                }
                let toml::Value::String(format) = format else {
                    return error(&format_key, "expected a chrono format such as \"%m/%d/%Y\"");
                };
                check_date_format(format).map_err(|reason| (format_key, reason))?;
                Some(format.clone())
            }
        };
        Ok(FieldMapping {
            field,
            source: Source::columns(names, separator),
            default,
            translate,
            date_format,
        })
    }

    /// The contract cell of this field in `row`.
    fn cell(&self, row: &Row<'_>) -> Result<String, String> {
        let raw = match &self.source {
            Source::Constant(value) => return Ok(value.clone()),
            Source::Columns {
                keys, separator, ..
            } => {
                let mut joined = String::new();
                for key in keys {
                    let cell = row.get(key);
                    if cell.is_empty() {
                        continue;
                    }
                    if !joined.is_empty() {
                        joined.push_str(separator);
                    }
                    joined.push_str(cell);
                }
                joined
            }
        };
        if raw.is_empty() {
            return Ok(self.default.clone().unwrap_or_default());
        }
        let translated = match &self.translate {
            Translate::AsIs => None,
            Translate::Values(values) => {
                let wanted = raw.to_lowercase();
                values
                    .iter()
                    .find(|(from, _)| *from == wanted)
                    .map(|(_, to)| to.clone())
            }
            Translate::Rules(rules) => {
                let words = words(&raw);
                rules
                    .iter()
                    .find(|rule| {
                        rule.phrases
                            .iter()
                            .any(|phrase| contains_phrase(&words, phrase))
                    })
                    .map(|rule| rule.value.clone())
            }
        };
        if let Some(value) = translated {
            return Ok(value);
        }
        if !matches!(self.translate, Translate::AsIs)
            && let Some(default) = &self.default
        {
            return Ok(default.clone());
        }
        if let Some(format) = &self.date_format {
            let Source::Columns { names, .. } = &self.source else {
                unreachable!("a date format is only read with a column");
            };
            return NaiveDate::parse_from_str(&raw, format)
                .map(|date| date.format("%Y-%m-%d").to_string())
                .map_err(|_| {
                    format!(
                        "field `{}` ({}): `{raw}` is not a date written as `{format}`",
                        self.field,
                        describe_columns(names)
                    )
                });
        }
        if self.field == "arr" {
            return Ok(without_currency(&raw));
        }
        Ok(raw)
    }
}

impl Source {
    fn columns(names: Vec<String>, separator: String) -> Source {
        let keys = names.iter().map(|name| column_key(name)).collect();
        Source::Columns {
            names,
            keys,
            separator,
        }
    }
}

/// A column name or a non-empty list of them.
fn column_names(value: &toml::Value, key: &str) -> Result<Vec<String>, KeyError> {
    let names = match value {
        toml::Value::String(name) => vec![name.clone()],
        toml::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                toml::Value::String(name) => Ok(name.clone()),
                _ => Err((
                    key.to_string(),
                    "a list of column names holds only strings".to_string(),
                )),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err((
                key.to_string(),
                "expected a column name or a list of column names".into(),
            ));
        }
    };
    if names.is_empty() || names.iter().any(|name| name.trim().is_empty()) {
        return Err((key.to_string(), "a column name cannot be empty".into()));
    }
    Ok(names)
}

/// A constant, default or translated value as the contract's cell text.
fn scalar(value: &toml::Value, key: &str) -> Result<String, KeyError> {
    match value {
        toml::Value::String(text) => Ok(text.trim().to_string()),
        toml::Value::Integer(number) => Ok(number.to_string()),
        toml::Value::Float(number) => Ok(number.to_string()),
        toml::Value::Boolean(flag) => Ok(flag.to_string()),
        _ => Err((
            key.to_string(),
            "expected a string, a number or true/false".into(),
        )),
    }
}

/// A value the mapping writes itself (a constant, a default, a value map's
/// or a rule's value) must be one the contract takes, so a typo in the
/// mapping is refused once rather than rejecting every row.
fn check_contract_value(field: &str, value: &str, key: &str) -> Result<(), KeyError> {
    let refused = |error: String| Err((key.to_string(), error));
    if value.is_empty() {
        return Ok(());
    }
    match field {
        "tier" => value
            .parse::<Tier>()
            .map(drop)
            .or_else(|error| refused(error.to_string())),
        "status" => value
            .parse::<AccountStatus>()
            .map(drop)
            .or_else(|error| refused(error.to_string())),
        "role" => value
            .parse::<ContactRole>()
            .map(drop)
            .or_else(|error| refused(error.to_string())),
        "at_risk_override" => match value.to_ascii_lowercase().as_str() {
            "true" | "false" | "yes" | "no" | "1" | "0" | "y" | "n" => Ok(()),
            _ => refused(format!("`{value}` is not true or false")),
        },
        _ => Ok(()),
    }
}

fn value_map(
    field: &str,
    values: &toml::Value,
    key: &str,
) -> Result<Vec<(String, String)>, KeyError> {
    let toml::Value::Table(values) = values else {
        return Err((
            key.to_string(),
            "expected a table of the export's values to the contract's: \
             { \"Enterprise\" = \"strategic\" }"
                .into(),
        ));
    };
    let mut map: Vec<(String, String)> = Vec::new();
    for (from, to) in values {
        let entry_key = format!("{key}.{}", quoted_key(from));
        let to = scalar(to, &entry_key)?;
        check_contract_value(field, &to, &entry_key)?;
        let from_key = from.trim().to_lowercase();
        if map.iter().any(|(existing, _)| *existing == from_key) {
            return Err((
                entry_key,
                "the same value twice (values are compared ignoring case)".into(),
            ));
        }
        map.push((from_key, to));
    }
    Ok(map)
}

fn keyword_rules(field: &str, rules: &toml::Value, key: &str) -> Result<Vec<Rule>, KeyError> {
    let shape = "expected a list of rules: [{ contains = \"VP\", value = \"executive\" }, …]";
    let toml::Value::Array(items) = rules else {
        return Err((key.to_string(), shape.into()));
    };
    let mut parsed = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let rule_key = format!("{key}[{index}]");
        let toml::Value::Table(rule) = item else {
            return Err((rule_key, shape.into()));
        };
        if let Some(name) = rule
            .keys()
            .find(|name| !["contains", "value"].contains(&name.as_str()))
        {
            return Err((
                format!("{rule_key}.{name}"),
                "unknown key (expected contains, value)".into(),
            ));
        }
        let phrases = match rule.get("contains") {
            Some(toml::Value::String(phrase)) => vec![phrase.clone()],
            Some(toml::Value::Array(list)) => list
                .iter()
                .map(|phrase| match phrase {
                    toml::Value::String(phrase) => Ok(phrase.clone()),
                    _ => Err((
                        format!("{rule_key}.contains"),
                        "a list of keywords holds only strings".to_string(),
                    )),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err((
                    format!("{rule_key}.contains"),
                    "give the keyword, or a list of keywords, the cell must contain".into(),
                ));
            }
        };
        let phrases: Vec<Vec<String>> = phrases.iter().map(|phrase| words(phrase)).collect();
        if phrases.is_empty() || phrases.iter().any(Vec::is_empty) {
            return Err((
                format!("{rule_key}.contains"),
                "a keyword needs a letter or a digit".into(),
            ));
        }
        let Some(value) = rule.get("value") else {
            return Err((
                format!("{rule_key}.value"),
                "missing: the value the field takes when the rule matches".into(),
            ));
        };
        let value_key = format!("{rule_key}.value");
        let value = scalar(value, &value_key)?;
        check_contract_value(field, &value, &value_key)?;
        parsed.push(Rule { phrases, value });
    }
    Ok(parsed)
}

/// A TOML key as it must be written in a path (`"Mid-Market"` quoted).
fn quoted_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}
