//! Accounts and contacts from a CRM's CSV export (Salesforce, HubSpot, any
//! other) through a column-mapping file (docs/crm.md). Each export row is
//! translated into the contract's accounts.csv or contacts.csv cells by the
//! mapping, then parsed by the contract's own row functions
//! ([`tables::account_row`], [`tables::contact_row`]), so every value is
//! validated exactly as in a contract import; the records are written
//! through the same idempotent upserts (accounts by external id, contacts by
//! account and e-mail) and reported per record.

mod cells;
pub mod mapping;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::Ordering;

use rapport_core::{Account, Contact};
use rapport_store::Store;

pub use self::mapping::{Mapping, MappingError, PRESETS, RecordKind, Section};
use crate::import::{OpenedFile, file_failure, known_accounts, write_rows};
use crate::tables::{self, CsvTable, Row, column_key};
use crate::{FileError, FileReport, ImportProgress, Parsed, ReadError};

/// The export's rows read through `section` into contract records by
/// `convert` (the contract's row function of the section's kind). The
/// header must hold every column the section reads: one it lacks refuses
/// the file, naming the column and the field that reads it.
pub fn read_export<'a, R: Read + 'a, T: 'a>(
    section: &'a Section,
    input: R,
    convert: fn(&Row<'_>) -> Result<T, String>,
) -> Result<impl Iterator<Item = Result<Parsed<T>, ReadError>> + 'a, FileError> {
    let wanted: Vec<&str> = section.columns().map(|(_, column)| column).collect();
    let table = CsvTable::with_columns(&wanted, input)?.with_report_footer();
    let missing: Vec<String> = section
        .columns()
        .filter(|(_, column)| !table.has_column(column))
        .map(|(field, column)| format!("`{column}` (read for `{field}`)"))
        .collect();
    if !missing.is_empty() {
        let header: Vec<&str> = table.header_names().collect();
        return Err(FileError::BadHeader(format!(
            "no column {} as the mapping {} [{}] expects; the export's columns are: {}",
            missing.join(", "),
            section.mapping_name(),
            section.kind().section(),
            shown_header(&header),
        )));
    }
    let contract_columns: HashMap<String, usize> = section
        .kind()
        .table()
        .known_columns()
        .iter()
        .enumerate()
        .map(|(index, column)| (column_key(column), index))
        .collect();
    let mut cells = csv::StringRecord::new();
    Ok(table.rows(move |row| {
        section.translate(row, &mut cells)?;
        convert(&Row::new(row.line(), &cells, &contract_columns))
            .map_err(|reason| section.name_source(reason))
    }))
}

/// The export's accounts, read through an `[accounts]` section.
pub fn read_accounts<'a, R: Read + 'a>(
    section: &'a Section,
    input: R,
) -> Result<impl Iterator<Item = Result<Parsed<Account>, ReadError>> + 'a, FileError> {
    read_export(section, input, tables::account_row)
}

/// The export's contacts, read through a `[contacts]` section.
pub fn read_contacts<'a, R: Read + 'a>(
    section: &'a Section,
    input: R,
) -> Result<impl Iterator<Item = Result<Parsed<Contact>, ReadError>> + 'a, FileError> {
    read_export(section, input, tables::contact_row)
}

/// The header's columns for a reason, the first 40 of a wide export.
fn shown_header(header: &[&str]) -> String {
    const SHOWN: usize = 40;
    let quoted: Vec<String> = header
        .iter()
        .take(SHOWN)
        .map(|name| format!("`{name}`"))
        .collect();
    if header.len() > SHOWN {
        format!("{}, … ({} in all)", quoted.join(", "), header.len())
    } else {
        quoted.join(", ")
    }
}

/// Imports a CRM export of the records `section` maps into the store:
/// accounts upserted by external id, contacts by (account, e-mail), a
/// contact of an account the store does not hold rejected naming it.
pub fn import_crm(
    store: &dyn Store,
    section: &Section,
    path: &Path,
    progress: &dyn ImportProgress,
) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    let OpenedFile {
        reader,
        total_bytes,
        bytes_read,
    } = match OpenedFile::open(path) {
        Ok(opened) => opened,
        Err(error) => {
            report.fatal = Some(format!("cannot read: {error}"));
            return report;
        }
    };
    progress.start(path, total_bytes);
    let advance = || progress.advance_to(bytes_read.load(Ordering::Relaxed));
    let result = match section.kind() {
        RecordKind::Accounts => match read_accounts(section, reader) {
            Ok(rows) => write_rows(
                store,
                rows.inspect(|_| advance()),
                &mut report,
                |store, batch| store.upsert_accounts(batch),
                |_| None,
            ),
            Err(error) => Err(file_failure(&mut report, error)),
        },
        RecordKind::Contacts => {
            known_accounts(store).and_then(|known| match read_contacts(section, reader) {
                Ok(rows) => write_rows(
                    store,
                    rows.inspect(|_| advance()),
                    &mut report,
                    |store, batch| store.upsert_contacts(batch),
                    |contact: &Contact| {
                        (!known.contains(contact.account.as_str())).then(|| {
                            section.name_source(format!(
                                "field `account`: unknown account `{}` (import the accounts \
                                 export first: rapport import crm-accounts FILE --mapping …)",
                                contact.account
                            ))
                        })
                    },
                ),
                Err(error) => Err(file_failure(&mut report, error)),
            })
        }
    };
    report.rejected.sort_by_key(|error| error.line);
    progress.advance_to(bytes_read.load(Ordering::Relaxed));
    progress.finish();
    if let Err(error) = result {
        report.fatal = Some(error);
    }
    report
}
