//! Share links of value reports, as stored (PRD-069 "Share with Customer"):
//! the link's token only as its SHA-256, the account and moment of the
//! report, the page as it was rendered then, an expiry and a revocation.

use rapport_core::ExternalId;
use rapport_core::time::Timestamp;

/// A share link as stored: never its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// Assigned by the store, never reused.
    pub id: i64,
    pub account: ExternalId,
    /// The moment of the report the link shows.
    pub as_of: Timestamp,
    pub created_by_id: i64,
    pub created_by_name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_opened_at: Option<Timestamp>,
    pub open_count: u64,
}

impl ShareLink {
    /// Whether the link opens at `now`: not revoked, not expired.
    pub fn opens_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A share link to store: the token's SHA-256 and the page it shows.
#[derive(Debug, Clone)]
pub struct NewShareLink<'a> {
    pub token_hash: &'a [u8; 32],
    pub account: &'a ExternalId,
    pub as_of: Timestamp,
    /// The value report's HTML as rendered at creation.
    pub page: &'a str,
    pub expires_at: Timestamp,
}
