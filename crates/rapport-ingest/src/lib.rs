//! Parsers that turn the import contract's files (`definitions.md` §2) into
//! validated records. Every parser reads any `impl BufRead`, yields the good
//! records and a [`RecordError`] for each bad one, and keeps going: one bad line
//! never loses the rest of a file. Only a file that cannot be read at all (no
//! header, a missing required column) is a [`FileError`].

pub mod activities;
pub mod goals;
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

/// A file that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad header: {0}")]
    BadHeader(String),
}

/// One parsed record with the line it started on.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub line: u64,
    pub record: T,
}

pub mod import;
pub use import::{ContractFile, FileReport, ImportProgress, NoProgress, import_dir, import_file};
