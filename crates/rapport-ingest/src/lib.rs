//! Parsers that turn the import contract's files (`definitions.md` §2) into
//! validated records. Every parser reads any `impl BufRead`, yields the good
//! records and a [`RecordError`] for each bad one, and keeps going: one bad line
//! never loses the rest of a file. A file that cannot be read at all (no
//! header, a missing or twice-named column) or stops being readable is a
//! [`FileError`]; the record iterators yield it as [`ReadError::File`] and end.

pub mod activities;
pub mod calendar;
pub mod crm;
pub mod directory;
pub mod goals;
pub mod helpdesk;
pub mod mail;
pub mod segment;
pub mod tables;

pub use activities::ActivityLines;
pub use tables::{CsvTable, TableKind};

/// A record that was rejected: the 1-based line it starts on and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.line, self.reason)
    }
}

impl std::error::Error for RecordError {}

/// A file that could not be read at all, or not to its end.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// Reading failed after `line`; what came before it was read.
    #[error("cannot read past line {line}: {source}")]
    ReadStopped { line: u64, source: std::io::Error },
    #[error("bad header: {0}")]
    BadHeader(String),
    /// Two header cells name the same column (1-based positions): which one
    /// holds the values is anyone's guess, so neither is used.
    #[error(
        "bad header: column `{column}` appears twice (columns {first} and {second}); \
         remove one, nothing of the file was imported"
    )]
    DuplicateColumn {
        column: String,
        first: usize,
        second: usize,
    },
    /// The header line (`line`, 1-based) is not UTF-8; `problem` says where.
    #[error("bad header: line {line} is not valid UTF-8 ({problem})")]
    HeaderNotUtf8 { line: u64, problem: String },
}

/// Why a parser yielded no record: one bad record (the parser goes on with
/// the next), or a file that stopped being readable (the parser stops).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    File(#[from] FileError),
}

/// Where `bytes` stop being UTF-8, for a reason a person can act on: the
/// first bad byte and the text before it, e.g. "byte 0xe9 after `Caf`".
/// `valid_up_to` is the length of the valid prefix, as `Utf8Error` gives it.
pub(crate) fn invalid_utf8_at(bytes: &[u8], valid_up_to: usize) -> String {
    let Some(byte) = bytes.get(valid_up_to) else {
        return "a multi-byte character cut short at the end".to_string();
    };
    let before = std::str::from_utf8(&bytes[..valid_up_to.min(bytes.len())]).unwrap_or("");
    let shown: String = {
        let tail: Vec<char> = before.chars().rev().take(20).collect();
        let ellipsis = if tail.len() < before.chars().count() {
            "…"
        } else {
            ""
        };
        format!("{ellipsis}{}", tail.into_iter().rev().collect::<String>())
    };
    if shown.is_empty() {
        format!("byte 0x{byte:02x} at the start; save the file as UTF-8")
    } else {
        format!("byte 0x{byte:02x} after `{shown}`; save the file as UTF-8")
    }
}

/// One parsed record with the line it started on.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub line: u64,
    pub record: T,
}

pub mod import;
pub use import::{ContractFile, FileReport, ImportProgress, NoProgress, import_dir, import_file};
