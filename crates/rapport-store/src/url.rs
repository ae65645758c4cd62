//! Database URLs: the scheme picks the backend (`sqlite://rapport.db`,
//! `sqlite:///abs/path.db`, `sqlite::memory:`, `postgres://…`).

use crate::{StoreError, StoreResult};

/// Where a SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteLocation {
    File(std::path::PathBuf),
    Memory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(SqliteLocation),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> StoreResult<Self> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let rest = url
            .strip_prefix("sqlite:")
            .ok_or_else(|| bad("expected a sqlite:// or postgres:// URL"))?;
        if rest == ":memory:" || rest == "//:memory:" {
            return Ok(DatabaseUrl::Sqlite(SqliteLocation::Memory));
        }
        // sqlite://relative.db and sqlite:///absolute.db, as sqlx and atuin read them.
        let path = rest.strip_prefix("//").unwrap_or(rest);
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() {
            return Err(bad("no database file named"));
        }
        Ok(DatabaseUrl::Sqlite(SqliteLocation::File(path.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_pick_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://rapport.db").unwrap(),
            DatabaseUrl::Sqlite(SqliteLocation::File("rapport.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/rapport.db").unwrap(),
            DatabaseUrl::Sqlite(SqliteLocation::File("/var/lib/rapport.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::Sqlite(SqliteLocation::Memory)
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@localhost/rapport").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
