//! The import pipeline: parse a contract file, check each record against what
//! the store knows (an activity of an unknown account is rejected, not stored),
//! and write the good records in batches, one transaction each. Parsing runs on
//! its own thread while the store writes, so a large activities file keeps both
//! cores busy.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use rapport_core::success::Goal;
use rapport_core::success::edit::merge_imported_goal;
use rapport_core::time::Timestamp;
use rapport_core::{Activity, ExternalId};
use rapport_store::{Store, StoreError, WriteOutcome};

use crate::goals;
use crate::tables::{self, CsvTable, TableKind};
use crate::{ActivityLines, FileError, Parsed, ReadError, RecordError};

/// Records are written in batches of this many: large enough that the
/// per-transaction cost vanishes, small enough to keep memory flat.
const BATCH_SIZE: usize = 1_000_000;

/// The files of the import contract, in the order a folder is imported (each
/// may refer to accounts, so accounts come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractFile {
    Accounts,
    Contacts,
    Features,
    Activities,
    Outcomes,
    /// Rapport's own goals.csv (docs/goals-csv.md), after the contract's five.
    Goals,
}

impl ContractFile {
    pub const ALL: [ContractFile; 6] = [
        ContractFile::Accounts,
        ContractFile::Contacts,
        ContractFile::Features,
        ContractFile::Activities,
        ContractFile::Outcomes,
        ContractFile::Goals,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            ContractFile::Accounts => "accounts.csv",
            ContractFile::Contacts => "contacts.csv",
            ContractFile::Features => "features.csv",
            ContractFile::Activities => "activities.jsonl",
            ContractFile::Outcomes => "outcomes.csv",
            ContractFile::Goals => "goals.csv",
        }
    }

    /// The word used on the command line (`rapport import contacts FILE`).
    pub fn noun(self) -> &'static str {
        match self {
            ContractFile::Accounts => "accounts",
            ContractFile::Contacts => "contacts",
            ContractFile::Features => "features",
            ContractFile::Activities => "activities",
            ContractFile::Outcomes => "outcomes",
            ContractFile::Goals => "goals",
        }
    }
}

/// What importing one file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    pub path: PathBuf,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<RecordError>,
    /// Set when the file could not be imported at all (unreadable, bad header)
    /// or the store failed; records written before a store failure stay written.
    pub fatal: Option<String>,
}

impl FileReport {
    /// Records that changed the store (new or updated).
    pub fn imported(&self) -> u64 {
        self.inserted + self.updated
    }

    pub(crate) fn count(&mut self, outcomes: &[WriteOutcome]) {
        for outcome in outcomes {
            match outcome {
                WriteOutcome::Inserted => self.inserted += 1,
                WriteOutcome::Updated => self.updated += 1,
                WriteOutcome::Unchanged => self.unchanged += 1,
            }
        }
    }
}

/// Inserts activities in one store transaction; how many were new and how
/// many were stored already (activities are never updated).
pub(crate) fn insert_counting(
    store: &dyn Store,
    activities: &[Activity],
) -> Result<(u64, u64), StoreError> {
    let outcomes = store.insert_activities(activities)?;
    let inserted = outcomes
        .iter()
        .filter(|outcome| **outcome == WriteOutcome::Inserted)
        .count() as u64;
    Ok((inserted, outcomes.len() as u64 - inserted))
}

/// Told how far an import has read, in bytes, so a terminal can draw a bar.
pub trait ImportProgress: Sync {
    fn start(&self, path: &Path, total_bytes: u64);
    fn advance_to(&self, bytes_read: u64);
    fn finish(&self);
}

/// For callers that show nothing.
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn start(&self, _path: &Path, _total_bytes: u64) {}
    fn advance_to(&self, _bytes_read: u64) {}
    fn finish(&self) {}
}

/// Imports whichever contract files `dir` holds, in dependency order. A folder
/// with none of them yields no reports. `now` is the instant of the import
/// (goals.csv stamps undated measurements with it). Anything present under a
/// contract file's name is imported, so one that cannot be read (a directory,
/// a dangling link) is reported rather than passed over.
pub fn import_dir(
    store: &dyn Store,
    dir: &Path,
    now: Timestamp,
    progress: &dyn ImportProgress,
) -> Vec<FileReport> {
    ContractFile::ALL
        .iter()
        .map(|kind| (*kind, dir.join(kind.file_name())))
        .filter(|(_, path)| path.symlink_metadata().is_ok())
        .map(|(kind, path)| import_file(store, kind, &path, now, progress))
        .collect()
}

/// Imports one contract file into the store.
pub fn import_file(
    store: &dyn Store,
    kind: ContractFile,
    path: &Path,
    now: Timestamp,
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
    let result = match kind {
        ContractFile::Accounts => import_table(
            store,
            TableKind::Accounts,
            reader,
            tables::account_row,
            &mut report,
            |store, batch| store.upsert_accounts(batch),
            |_| None,
        ),
        ContractFile::Contacts => {
            let known = known_accounts(store);
            known.and_then(|known| {
                import_table(
                    store,
                    TableKind::Contacts,
                    reader,
                    tables::contact_row,
                    &mut report,
                    |store, batch| store.upsert_contacts(batch),
                    |contact| unknown_account(&known, &contact.account),
                )
            })
        }
        ContractFile::Features => import_table(
            store,
            TableKind::Features,
            reader,
            tables::feature_row,
            &mut report,
            |store, batch| store.upsert_features(batch),
            |_| None,
        ),
        ContractFile::Outcomes => {
            let known = known_accounts(store);
            known.and_then(|known| {
                import_table(
                    store,
                    TableKind::Outcomes,
                    reader,
                    tables::outcome_row,
                    &mut report,
                    |store, batch| store.upsert_outcomes(batch),
                    |outcome| unknown_account(&known, &outcome.account),
                )
            })
        }
        ContractFile::Activities => known_accounts(store).and_then(|known| {
            import_activities(store, reader, &known, &bytes_read, progress, &mut report)
        }),
        ContractFile::Goals => known_accounts(store)
            .and_then(|known| import_goals(store, reader, &known, now, &mut report)),
    };
    report.rejected.sort_by_key(|error| error.line);
    progress.advance_to(bytes_read.load(Ordering::Relaxed));
    progress.finish();
    if let Err(error) = result {
        report.fatal = Some(error);
    }
    report
}

/// A file opened for an import: buffered, past any byte-order mark, its
/// bytes counted as they are read for the progress bar.
pub(crate) struct OpenedFile {
    pub reader: BufReader<CountingReader<File>>,
    pub total_bytes: u64,
    pub bytes_read: Arc<AtomicU64>,
}

impl OpenedFile {
    pub fn open(path: &Path) -> std::io::Result<OpenedFile> {
        let file = File::open(path)?;
        let total_bytes = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
        let bytes_read = Arc::new(AtomicU64::new(0));
        let mut reader = BufReader::with_capacity(
            256 * 1024,
            CountingReader {
                inner: file,
                bytes_read: Arc::clone(&bytes_read),
            },
        );
        // Spreadsheets and Windows tools start UTF-8 files with a byte-order
        // mark; it is not part of the first header or record.
        skip_byte_order_mark(&mut reader)?;
        Ok(OpenedFile {
            reader,
            total_bytes,
            bytes_read,
        })
    }
}

/// Consumes a UTF-8 byte-order mark at the start of `reader`, if there is one.
fn skip_byte_order_mark(reader: &mut impl std::io::BufRead) -> std::io::Result<()> {
    const MARK: &[u8] = b"\xEF\xBB\xBF";
    if reader.fill_buf()?.starts_with(MARK) {
        reader.consume(MARK.len());
    }
    Ok(())
}

pub(crate) fn known_accounts(store: &dyn Store) -> Result<HashSet<String>, String> {
    store
        .accounts()
        .map(|accounts| {
            accounts
                .into_iter()
                .map(|account| account.external_id.as_str().to_string())
                .collect()
        })
        .map_err(|error| format!("cannot read the stored accounts: {error}"))
}

fn unknown_account(known: &HashSet<String>, account: &ExternalId) -> Option<String> {
    (!known.contains(account.as_str()))
        .then(|| format!("unknown account `{account}` (not in accounts.csv nor in the store)"))
}

/// The report's fatal reason for a file error. A header line that is not
/// UTF-8 is also a rejected line, so it is shown as `file:line: reason`
/// like any other bad line.
pub(crate) fn file_failure(report: &mut FileReport, error: FileError) -> String {
    match error {
        FileError::HeaderNotUtf8 { line, problem } => {
            report.rejected.push(RecordError {
                line,
                reason: format!("the header is not valid UTF-8 ({problem})"),
            });
            "bad header: it is not valid UTF-8, nothing of the file was imported".to_string()
        }
        other => other.to_string(),
    }
}

fn store_failure(error: StoreError) -> String {
    format!("the store refused a batch, nothing of it was written: {error}")
}

#[allow(clippy::too_many_arguments)]
fn import_table<R: Read, T>(
    store: &dyn Store,
    table: TableKind,
    reader: R,
    convert: fn(&tables::Row<'_>) -> Result<T, String>,
    report: &mut FileReport,
    write: impl Fn(&dyn Store, &[T]) -> Result<Vec<WriteOutcome>, StoreError>,
    reject: impl Fn(&T) -> Option<String>,
) -> Result<(), String> {
    let rows = match CsvTable::new(table, reader) {
        Ok(rows) => rows,
        Err(error) => return Err(file_failure(report, error)),
    };
    write_rows(store, rows.rows(convert), report, write, reject)
}

/// Writes the good records of `rows` in batches (one transaction each),
/// rejecting those `reject` names a reason for, and counts what the store
/// did in `report`. A file that stopped being readable is the `Err` after
/// the rows before it are written.
pub(crate) fn write_rows<T>(
    store: &dyn Store,
    rows: impl Iterator<Item = Result<Parsed<T>, ReadError>>,
    report: &mut FileReport,
    write: impl Fn(&dyn Store, &[T]) -> Result<Vec<WriteOutcome>, StoreError>,
    reject: impl Fn(&T) -> Option<String>,
) -> Result<(), String> {
    let mut batch = Vec::new();
    let mut stopped = None;
    for row in rows {
        match row {
            Ok(Parsed { line, record }) => match reject(&record) {
                Some(reason) => report.rejected.push(RecordError { line, reason }),
                None => batch.push(record),
            },
            Err(ReadError::Record(error)) => report.rejected.push(error),
            // The rows before the failure are good: they are written.
            Err(ReadError::File(error)) => stopped = Some(error),
        }
        if batch.len() >= BATCH_SIZE {
            let outcomes = write(store, &batch).map_err(store_failure)?;
            report.count(&outcomes);
            batch.clear();
        }
    }
    let outcomes = write(store, &batch).map_err(store_failure)?;
    report.count(&outcomes);
    match stopped {
        Some(error) => Err(file_failure(report, error)),
        None => Ok(()),
    }
}

/// goals.csv: every gathered goal merged into the stored goal of the same
/// identity (`goal_id`, else the title) and written, one transaction a goal.
/// Counts are of goals; rejections are of rows (or of a goal, on its first line).
fn import_goals<R: Read>(
    store: &dyn Store,
    reader: R,
    known: &HashSet<String>,
    now: Timestamp,
    report: &mut FileReport,
) -> Result<(), String> {
    let file = match goals::read_goals(reader) {
        Ok(file) => file,
        Err(error) => return Err(file_failure(report, error)),
    };
    report.rejected.extend(file.rejected);
    let mut stored: HashMap<String, Vec<Goal>> = HashMap::new();
    for draft in file.goals {
        let (line, account) = (draft.line(), draft.account().clone());
        if let Some(reason) = unknown_account(known, &account) {
            report.rejected.push(RecordError { line, reason });
            continue;
        }
        let account_goals = match stored.entry(account.as_str().to_string()) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(
                store
                    .goals(Some(&account))
                    .map_err(|error| format!("cannot read the stored goals: {error}"))?
                    .into_iter()
                    .map(|(_, goal)| goal)
                    .collect(),
            ),
        };
        let position = account_goals.iter().position(|goal| draft.is(goal));
        let existing = position.map(|position| &account_goals[position]);
        let imported = match draft.complete(existing, now) {
            Ok(imported) => imported,
            Err(reason) => {
                report.rejected.push(RecordError { line, reason });
                continue;
            }
        };
        let merged = merge_imported_goal(existing, imported);
        if existing == Some(&merged) {
            report.unchanged += 1;
            continue;
        }
        let written = store.put_goal(&account, &merged).map_err(store_failure)?;
        match position {
            Some(position) => {
                account_goals[position] = written;
                report.updated += 1;
            }
            None => {
                account_goals.push(written);
                report.inserted += 1;
            }
        }
    }
    Ok(())
}

/// A batch of parsed activities and the records rejected while parsing it;
/// the last batch of a file that stopped being readable says why.
struct ActivityBatch {
    activities: Vec<Activity>,
    rejected: Vec<RecordError>,
    stopped: Option<FileError>,
}

fn import_activities<R: Read + Send>(
    store: &dyn Store,
    reader: BufReader<R>,
    known: &HashSet<String>,
    bytes_read: &AtomicU64,
    progress: &dyn ImportProgress,
    report: &mut FileReport,
) -> Result<(), String> {
    // The parser hands a batch over only when the writer takes it: at most
    // two batches live (one being parsed, one being written), whatever the
    // file's size.
    let (sender, receiver) = mpsc::sync_channel::<ActivityBatch>(0);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch = ActivityBatch {
                activities: Vec::with_capacity(BATCH_SIZE),
                rejected: Vec::new(),
                stopped: None,
            };
            for parsed in ActivityLines::new(reader) {
                match parsed {
                    Ok(Parsed { line, record }) => match unknown_account(known, &record.account) {
                        Some(reason) => batch.rejected.push(RecordError { line, reason }),
                        None => batch.activities.push(record),
                    },
                    Err(ReadError::Record(error)) => batch.rejected.push(error),
                    // The iterator ends after a file error.
                    Err(ReadError::File(error)) => batch.stopped = Some(error),
                }
                if batch.activities.len() >= BATCH_SIZE {
                    let full = std::mem::replace(
                        &mut batch,
                        ActivityBatch {
                            activities: Vec::with_capacity(BATCH_SIZE),
                            rejected: Vec::new(),
                            stopped: None,
                        },
                    );
                    if sender.send(full).is_err() {
                        return; // the writer stopped on a store failure
                    }
                }
            }
            let _ = sender.send(batch);
        });
        for batch in receiver {
            report.rejected.extend(batch.rejected);
            let outcomes = store
                .insert_activities(&batch.activities)
                .map_err(store_failure)?;
            report.count(&outcomes);
            progress.advance_to(bytes_read.load(Ordering::Relaxed));
            if let Some(error) = batch.stopped {
                return Err(file_failure(report, error));
            }
        }
        Ok(())
    })
}

/// Counts the bytes read through it, for the progress bar.
pub(crate) struct CountingReader<R> {
    inner: R,
    bytes_read: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.bytes_read.fetch_add(count as u64, Ordering::Relaxed);
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-02-01T00:00:00Z").unwrap()
    }

    /// A fresh in-memory store holding accounts a1 and a2, and a folder.
    fn store_and_folder() -> (std::sync::Arc<dyn Store>, tempfile::TempDir) {
        let store = rapport_store::open("sqlite::memory:").unwrap();
        let folder = tempfile::tempdir().unwrap();
        let accounts = folder.path().join("seed.csv");
        std::fs::write(&accounts, "id,name,tier\na1,Acme,core\na2,Beta,growth\n").unwrap();
        let seeded = import_file(
            &*store,
            ContractFile::Accounts,
            &accounts,
            now(),
            &NoProgress,
        );
        assert_eq!((seeded.inserted, seeded.fatal), (2, None));
        (store, folder)
    }

    /// Issue 20, item 16: two ids above 2^64 were one id, the second record
    /// counted "unchanged".
    #[test]
    fn two_numeric_ids_above_2_pow_64_are_two_activities() {
        let (store, folder) = store_and_folder();
        let path = folder.path().join("activities.jsonl");
        std::fs::write(
            &path,
            "{\"type\":\"login\",\"account\":\"a1\",\"at\":\"2026-01-05T10:00:00Z\",\"user\":\"u\",\"id\":18446744073709551616}\n\
             {\"type\":\"login\",\"account\":\"a1\",\"at\":\"2026-01-05T10:00:00Z\",\"user\":\"u\",\"id\":18446744073709551617}\n",
        )
        .unwrap();
        let report = import_file(&*store, ContractFile::Activities, &path, now(), &NoProgress);
        assert_eq!(
            (
                report.inserted,
                report.unchanged,
                report.rejected,
                report.fatal
            ),
            (2, 0, vec![], None)
        );
        let again = import_file(&*store, ContractFile::Activities, &path, now(), &NoProgress);
        assert_eq!((again.inserted, again.unchanged), (0, 2));
    }

    /// Issue 20, item 16: an unreadable activities.jsonl is the file's error
    /// (`path: reason`, nothing imported, so `rapport import` exits 2), not
    /// a rejected line 1; in a folder it is reported, not passed over.
    #[test]
    fn an_unreadable_contract_file_is_a_file_error() {
        let (store, folder) = store_and_folder();
        let directory = folder.path().join("activities.jsonl");
        std::fs::create_dir(&directory).unwrap();
        let report = import_file(
            &*store,
            ContractFile::Activities,
            &directory,
            now(),
            &NoProgress,
        );
        assert_eq!((report.imported(), report.unchanged), (0, 0));
        assert_eq!(report.rejected, []);
        let fatal = report.fatal.unwrap();
        assert!(fatal.starts_with("cannot read: "), "{fatal}");

        std::fs::write(
            folder.path().join("accounts.csv"),
            "id,name,tier\na3,Gamma,core\n",
        )
        .unwrap();
        let reports = import_dir(&*store, folder.path(), now(), &NoProgress);
        let files: Vec<_> = reports
            .iter()
            .map(|report| (report.path.file_name().unwrap(), report.fatal.is_some()))
            .collect();
        assert_eq!(
            files,
            [
                (std::ffi::OsStr::new("accounts.csv"), false),
                (std::ffi::OsStr::new("activities.jsonl"), true)
            ]
        );
    }

    /// Issue 20, item 16: a column named twice was read from its first cell.
    #[test]
    fn a_column_named_twice_imports_nothing_of_its_file() {
        let (store, folder) = store_and_folder();
        let path = folder.path().join("accounts.csv");
        std::fs::write(
            &path,
            "id,name,tier,arr,ARR\na1,Acme,core,100,200\na9,New,core,1,2\n",
        )
        .unwrap();
        let report = import_file(&*store, ContractFile::Accounts, &path, now(), &NoProgress);
        assert_eq!(
            report.fatal.as_deref(),
            Some(
                "bad header: column `arr` appears twice (columns 4 and 5); \
                 remove one, nothing of the file was imported"
            )
        );
        assert_eq!(
            (report.imported(), report.unchanged, report.rejected),
            (0, 0, vec![])
        );
        assert_eq!(store.accounts().unwrap().len(), 2);
    }

    /// Issue 20, item 16: a header that is not UTF-8 printed a debug dump; it
    /// is a rejected line 1 (`file:1: reason`) and nothing of the file is read.
    #[test]
    fn a_header_that_is_not_utf8_is_its_line_and_stops_the_file() {
        let (store, folder) = store_and_folder();
        let path = folder.path().join("contacts.csv");
        std::fs::write(&path, b"account,e\xffmail\na1,x@acme.com\n").unwrap();
        let report = import_file(&*store, ContractFile::Contacts, &path, now(), &NoProgress);
        assert_eq!(
            report.rejected,
            [RecordError {
                line: 1,
                reason: "the header is not valid UTF-8 (column 2: byte 0xff after `e`; \
                         save the file as UTF-8)"
                    .to_string()
            }]
        );
        assert_eq!(
            report.fatal.as_deref(),
            Some("bad header: it is not valid UTF-8, nothing of the file was imported")
        );
        assert_eq!(report.imported(), 0);
    }
}
