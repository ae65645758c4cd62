//! People, their API tokens and their browser sessions, as stored. Secrets
//! are never stored: a token or a session is kept as its SHA-256, a password
//! as its Argon2 hash (docs/security.md).

use rapport_core::access::{Person, Role};
use rapport_core::time::Timestamp;

/// A person who signs in to Rapport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Unique, ignoring case: the name accounts give as CSM or manager.
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub created_at: Timestamp,
    /// Set once the user is disabled: nothing they hold signs in any more.
    pub disabled_at: Option<Timestamp>,
    /// The password's Argon2 hash (PHC string), when one is set.
    pub password_hash: Option<String>,
}

impl User {
    /// The person this user acts as.
    pub fn person(&self) -> Person {
        Person {
            id: self.id,
            name: self.name.clone(),
            role: self.role,
        }
    }
}

/// An API token, as stored: its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The token's first characters, so a person can tell tokens apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// A sign-in link's token: the session it opens revokes it.
    pub single_use: bool,
}

impl ApiToken {
    /// Whether the token signs in at `now`.
    pub fn is_valid_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires| now < expires)
    }
}

/// A browser session, as stored: its SHA-256, never the cookie's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: i64,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// What [`crate::Store::update_user`] changes: each field when given.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    /// A new Argon2 hash, or `Some(None)` to remove the password.
    pub password_hash: Option<Option<String>>,
    /// The instant the user is disabled, or `Some(None)` to enable them again.
    pub disabled_at: Option<Option<Timestamp>>,
}

/// A token to store: its SHA-256 and what is shown of it.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a [u8; 32],
    pub prefix: &'a str,
    pub at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub single_use: bool,
}
