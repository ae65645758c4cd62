//! The generator's typed errors: every failure names the file it was writing.

use std::path::{Path, PathBuf};

/// Why a demo portfolio could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The output directory could not be created.
    #[error("cannot create the output directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing (or creating, or flushing) one of the files failed.
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The CSV writer failed on one of the CSV files.
    #[error("cannot write CSV to {path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}

impl DemoError {
    pub(crate) fn io(file: &str, source: std::io::Error) -> Self {
        DemoError::Io {
            path: PathBuf::from(file),
            source,
        }
    }

    pub(crate) fn csv(file: &str, source: csv::Error) -> Self {
        DemoError::Csv {
            path: PathBuf::from(file),
            source,
        }
    }

    /// The streaming API only knows file names; `write_portfolio` knows the
    /// directory, so it places the name inside it.
    pub(crate) fn inside(self, dir: &Path) -> Self {
        match self {
            DemoError::Io { path, source } => DemoError::Io {
                path: dir.join(path),
                source,
            },
            DemoError::Csv { path, source } => DemoError::Csv {
                path: dir.join(path),
                source,
            },
            other => other,
        }
    }
}
