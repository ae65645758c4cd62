//! Share links for value reports (PRD-069 "Share with Customer",
//! docs/security.md): a person who may change an account makes a link to
//! its customer-facing value report at one moment; the customer opens it
//! without an account. The page is rendered once, at creation, and kept, so
//! the link shows exactly that report whatever arrives later. The token
//! (256 random bits) is shown once, in the link's path, and stored only as
//! its SHA-256; a link expires (1 hour to 90 days, 30 days by default) and
//! can be revoked. Creating and revoking are audited, never with the token.

use std::collections::HashMap;

use rapport_core::Timestamp;
use rapport_core::access::{Permission, Person};
use rapport_store::audit::{AuditAction, AuditDraft};
use rapport_store::sharing::{NewShareLink, ShareLink};
use serde::Serialize;

use crate::identity::secret_hash;
use crate::render::{DocumentFormat, value_report};
use crate::reports::ValueReportOptions;
use crate::tracking::{hex, random_bytes};
use crate::{App, AppError, AppResult};

/// A share link's life when the request names none.
pub const DEFAULT_SHARE_DAYS: u32 = 30;
/// The shortest and longest lives a link may be given.
pub const MIN_SHARE_HOURS: i64 = 1;
pub const MAX_SHARE_DAYS: i64 = 90;
/// Where a link opens: this, then its token.
pub const SHARE_PATH: &str = "/share/";
const SHARE_TOKEN_PREFIX: &str = "rps_";
const HOUR_MS: i64 = 3_600_000;

/// What the answer to a token that opens nothing says, whether the token is
/// unknown, expired or revoked: the same every time, so it tells nothing.
pub const SHARE_NOT_FOUND: &str = "this link does not open a report: it may have expired or been revoked; ask your contact for a new one";

/// What a person asks for a new link: each field optional, parsed here so
/// the API and the CLI refuse alike (a 400 naming the field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShareRequest {
    /// How long the link opens: `14d`, `36h` (1 hour to 90 days; default 30 days).
    pub expires_in: Option<String>,
    /// The report's moment: RFC 3339 or `YYYY-MM-DD`, not in the future;
    /// default now.
    pub as_of: Option<String>,
    /// The value report's ROI lines (`auto`, `show`, `hide`) and goals
    /// (`all`, `started`), as for the report itself.
    pub roi: Option<String>,
    pub goals: Option<String>,
}

/// A share link as listed: never its token.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShareLinkListing {
    pub id: i64,
    /// The account's external id and name.
    pub account: String,
    pub account_name: String,
    /// The moment of the report the link shows.
    pub as_of: Timestamp,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_opened_at: Option<Timestamp>,
    pub open_count: u64,
}

/// A link just made: the only time its path (with the token) is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewShareLinkView {
    /// `/share/{token}`: put the server's address in front and send it.
    pub path: String,
    #[serde(flatten)]
    pub link: ShareLinkListing,
}

fn listing(link: ShareLink, account_name: &str) -> ShareLinkListing {
    ShareLinkListing {
        id: link.id,
        account: link.account.to_string(),
        account_name: account_name.to_string(),
        as_of: link.as_of,
        created_by: link.created_by_name,
        created_at: link.created_at,
        expires_at: link.expires_at,
        revoked_at: link.revoked_at,
        last_opened_at: link.last_opened_at,
        open_count: link.open_count,
    }
}

/// `14d`, `36h` (a bare number is days) into milliseconds, within the
/// allowed lives.
pub fn parse_share_life(text: &str) -> AppResult<i64> {
    let text = text.trim();
    let refuse = || {
        AppError::invalid(
            "expiresIn",
            format!(
                "`{text}`: a life from {MIN_SHARE_HOURS}h to {MAX_SHARE_DAYS}d, such as 14d or 36h"
            ),
        )
    };
    let (number, unit_ms) = match text.char_indices().last() {
        Some((index, 'd' | 'D')) => (&text[..index], 24 * HOUR_MS),
        Some((index, 'h' | 'H')) => (&text[..index], HOUR_MS),
        _ => (text, 24 * HOUR_MS),
    };
    let count: i64 = number.trim().parse().map_err(|_| refuse())?;
    let life = count.checked_mul(unit_ms).ok_or_else(refuse)?;
    if !(MIN_SHARE_HOURS * HOUR_MS..=MAX_SHARE_DAYS * 24 * HOUR_MS).contains(&life) {
        return Err(refuse());
    }
    Ok(life)
}

impl App {
    /// Makes a share link of an account's value report at `request.as_of`
    /// (default: now) for `actor`, who must be able to change the account
    /// (a viewer is refused; an account outside a CSM's scope is not found).
    pub fn create_share_link(
        &self,
        actor: &Person,
        reference: &str,
        request: &ShareRequest,
        now: Timestamp,
    ) -> AppResult<NewShareLinkView> {
        let account = self.account_to_change(actor, reference)?;
        let life = match request.expires_in.as_deref().map(str::trim) {
            None | Some("") => i64::from(DEFAULT_SHARE_DAYS) * 24 * HOUR_MS,
            Some(text) => parse_share_life(text)?,
        };
        let reported_now = crate::report_instant(now);
        let as_of = match request.as_of.as_deref().map(str::trim) {
            None | Some("") => reported_now,
            Some(text) => {
                let as_of = Timestamp::parse_lenient(text)
                    .map_err(|error| AppError::invalid("asOf", error.to_string()))?;
                if as_of > reported_now {
                    return Err(AppError::invalid(
                        "asOf",
                        "is in the future: a shared report shows a moment that has passed",
                    ));
                }
                as_of
            }
        };
        let options = ValueReportOptions::parse(request.roi.as_deref(), request.goals.as_deref())?;
        let report = self.value_report(account.external_id.as_str(), as_of, &options)?;
        let page = value_report(&report, DocumentFormat::Html).map_err(AppError::Render)?;
        let token = format!("{SHARE_TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?));
        let audit = AuditDraft::new(actor, AuditAction::ShareLinkCreate, now);
        let link = self.store.create_share_link(
            &NewShareLink {
                token_hash: &secret_hash(&token),
                account: &account.external_id,
                as_of,
                page: &page,
                expires_at: Timestamp::from_millis(now.millis() + life),
            },
            &audit,
        )?;
        Ok(NewShareLinkView {
            path: format!("{SHARE_PATH}{token}"),
            link: listing(link, &account.name),
        })
    }

    /// The share links of the accounts `person` sees (of one account when
    /// `reference` names one), oldest first, without their tokens.
    pub fn share_links(
        &self,
        person: &Person,
        reference: Option<&str>,
    ) -> AppResult<Vec<ShareLinkListing>> {
        let accounts = match reference.map(str::trim).filter(|text| !text.is_empty()) {
            Some(reference) => vec![self.visible_account(person, reference)?],
            None => self.store.accounts()?,
        };
        let names: HashMap<String, (String, bool)> = accounts
            .iter()
            .map(|account| {
                let key = account.external_id.to_string();
                (key, (account.name.clone(), person.sees(account)))
            })
            .collect();
        let only = (accounts.len() == 1).then(|| &accounts[0].external_id);
        Ok(self
            .store
            .share_links(only)?
            .into_iter()
            .filter_map(|link| {
                let (name, seen) = names.get(link.account.as_str())?;
                seen.then(|| listing(link, name))
            })
            .collect())
    }

    /// Revokes a share link of an account `actor` may change (any other is
    /// not found, as one that does not exist); from `now` on it opens nothing.
    pub fn revoke_share_link(
        &self,
        actor: &Person,
        id: i64,
        now: Timestamp,
    ) -> AppResult<ShareLinkListing> {
        self.authorize(actor, Permission::Write)?;
        let missing = || AppError::NotFound(format!("no share link with id {id}"));
        let link = self.store.share_link(id)?.ok_or_else(missing)?;
        let account = self.account_in_scope(actor, &link.account, missing)?;
        let audit = AuditDraft::new(actor, AuditAction::ShareLinkRevoke, now);
        let revoked = self
            .store
            .revoke_share_link(id, now, &audit)?
            .ok_or_else(missing)?;
        Ok(listing(revoked, &account.name))
    }

    /// The page a share link's token opens at `now`: the value report as it
    /// was rendered when the link was made. An unknown, expired or revoked
    /// token is [`SHARE_NOT_FOUND`], alike.
    pub fn open_share_link(&self, token: &str, now: Timestamp) -> AppResult<String> {
        let token = token.trim();
        if token.is_empty() || token.len() > 200 {
            return Err(AppError::NotFound(SHARE_NOT_FOUND.into()));
        }
        self.store
            .open_share_link(&secret_hash(token), now)?
            .map(|(_, page)| page)
            .ok_or_else(|| AppError::NotFound(SHARE_NOT_FOUND.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_life_is_hours_or_days_within_an_hour_and_ninety_days() {
        assert_eq!(parse_share_life("14d").unwrap(), 14 * 24 * HOUR_MS);
        assert_eq!(parse_share_life("36h").unwrap(), 36 * HOUR_MS);
        assert_eq!(parse_share_life(" 7 ").unwrap(), 7 * 24 * HOUR_MS);
        assert_eq!(parse_share_life("1h").unwrap(), HOUR_MS);
        assert_eq!(parse_share_life("90d").unwrap(), 90 * 24 * HOUR_MS);
        for refused in [
            "0h",
            "91d",
            "2161h",
            "-1d",
            "soon",
            "",
            "1w",
            "99999999999999999d",
        ] {
            match parse_share_life(refused) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "expiresIn", "{refused}"),
                other => panic!("{refused}: {other:?}"),
            }
        }
    }
}
