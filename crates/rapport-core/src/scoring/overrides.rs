//! Manual overrides of a score (health, an engagement model, a custom model):
//! a value a person sets with a reason, optionally until an expiry, shown
//! beside the computed score and never overwritten by a recompute.
//!
//! The audit trail is the source of truth: every set and every removal is an
//! [`OverrideEvent`] (who, when, old, new, why), appended and never edited. The
//! override in force at any instant is derived from the events, so a past
//! moment reads exactly as it did then:
//!
//! - only events strictly before `as_of` count (nothing at or after `as_of`
//!   does, like every other Rapport figure);
//! - the latest of them decides: a `set` puts its value in force, a `removed`
//!   takes it away;
//! - a set override is in force while `as_of < expiresAt`; from its expiry on it
//!   is `expired` (shown as such) and the computed score applies again. Expiry
//!   writes no event: it is a property of the override, not an action.
//!
//! Writing stamps each event with the caller's clock, but never earlier than the
//! account's latest event, so the trail's time order is its order of writing.

use serde::{Deserialize, Serialize};

use crate::domain::{Account, CustomerId};
use crate::scoring::model::Model;
use crate::time::Timestamp;
use crate::validation::{FieldError, field_error, not_empty, parse_request};

/// The lowest and highest value an override may take: scores run 0–100.
pub const VALUE_RANGE: (f64, f64) = (0.0, 100.0);

/// An override as it stands: the value a person put on a model's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoreOverride {
    /// The score it replaces: `health`, `prd070-engagement`,
    /// `framework-engagement` or a custom model's name.
    pub model: String,
    pub value: f64,
    pub reason: String,
    pub author: String,
    pub set_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// What an audit event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverrideAction {
    /// An override was set, or replaced the one in force (`old`).
    Set,
    /// The override in force (`old`) was removed.
    Removed,
}

impl OverrideAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideAction::Set => "set",
            OverrideAction::Removed => "removed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "set" => Some(OverrideAction::Set),
            "removed" => Some(OverrideAction::Removed),
            _ => None,
        }
    }
}

/// One entry of an account's override audit trail: who did what when, the
/// value in force before (`old`) and after (`new`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideEvent {
    pub at: Timestamp,
    pub author: String,
    pub action: OverrideAction,
    pub model: String,
    /// The override's value in force just before; `null` when none was.
    pub old: Option<f64>,
    /// The value set; `null` for a removal.
    pub new: Option<f64>,
    /// Why (required to set; optional to remove).
    pub reason: String,
    /// The expiry the set override carries; `null` for none and for removals.
    pub expires_at: Option<Timestamp>,
}

impl OverrideEvent {
    /// The override a `set` event puts in force; `None` for a removal.
    pub fn override_set(&self) -> Option<ScoreOverride> {
        match (self.action, self.new) {
            (OverrideAction::Set, Some(value)) => Some(ScoreOverride {
                model: self.model.clone(),
                value,
                reason: self.reason.clone(),
                author: self.author.clone(),
                set_at: self.at,
                expires_at: self.expires_at,
            }),
            _ => None,
        }
    }
}

/// One model's override at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideStatus {
    pub model: String,
    /// The override in force.
    #[serde(rename = "override")]
    pub override_: Option<ScoreOverride>,
    /// The latest override when it has lapsed by its expiry (not removed, not
    /// replaced): the computed score applies again.
    pub expired: Option<ScoreOverride>,
}

/// A score as every surface shows it: the computed value beside the override,
/// and the one that counts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideView {
    /// What the model computed (`null` when it could not).
    pub computed: Option<f64>,
    /// The override in force, when one is.
    #[serde(rename = "override")]
    pub override_: Option<ScoreOverride>,
    /// The override's value when one is in force, else the computed score.
    pub effective: Option<f64>,
    /// An override that lapsed by its expiry, shown so nobody wonders where it went.
    pub expired: Option<ScoreOverride>,
}

/// Puts the computed score beside the model's override status.
pub fn beside(computed: Option<f64>, status: OverrideStatus) -> OverrideView {
    OverrideView {
        computed,
        effective: status
            .override_
            .as_ref()
            .map(|active| active.value)
            .or(computed),
        override_: status.override_,
        expired: status.expired,
    }
}

/// Every account's override trail, by external id: what the roll-ups (the
/// portfolio overview, the weekly report) read so an override counts there as
/// it does on the account's own report (seed 002: "a score in the at-risk
/// threshold or key moment override").
#[derive(Debug, Default, Clone)]
pub struct OverrideTrails(std::collections::HashMap<String, Vec<OverrideEvent>>);

impl OverrideTrails {
    /// One account's events (none when it has no trail).
    pub fn of(&self, account: &str) -> &[OverrideEvent] {
        self.0.get(account).map_or(&[], Vec::as_slice)
    }

    /// The score of `model` in force at `as_of`: the override's value while
    /// one is in force (`true`), else `computed` (`false`).
    pub fn effective(
        &self,
        account: &str,
        model: &str,
        computed: Option<f64>,
        as_of: Timestamp,
    ) -> (Option<f64>, bool) {
        let events = self.of(account);
        if events.is_empty() {
            return (computed, false);
        }
        let view = view_at(computed, events, model, as_of);
        (view.effective, view.override_.is_some())
    }
}

impl FromIterator<(String, OverrideEvent)> for OverrideTrails {
    fn from_iter<I: IntoIterator<Item = (String, OverrideEvent)>>(events: I) -> Self {
        let mut trails = std::collections::HashMap::<String, Vec<OverrideEvent>>::new();
        for (account, event) in events {
            trails.entry(account).or_default().push(event);
        }
        OverrideTrails(trails)
    }
}

/// The events in time order, then in the order given (the order of writing),
/// whatever order the caller keeps them in.
fn in_time_order(events: &[OverrideEvent]) -> Vec<&OverrideEvent> {
    let mut ordered: Vec<&OverrideEvent> = events.iter().collect();
    ordered.sort_by_key(|event| event.at);
    ordered
}

/// The override the latest counted event of `model` left standing, ignoring
/// expiry.
fn latest_set(
    events: &[OverrideEvent],
    model: &str,
    counts: impl Fn(&OverrideEvent) -> bool,
) -> Option<ScoreOverride> {
    in_time_order(events)
        .into_iter()
        .filter(|event| event.model == model && counts(event))
        .fold(None, |_, event| event.override_set())
}

/// Whether an override is still in force at `moment` (its expiry excluded).
fn unexpired(candidate: &ScoreOverride, moment: Timestamp) -> bool {
    candidate
        .expires_at
        .is_none_or(|expires_at| moment < expires_at)
}

/// `model`'s override at `as_of`, from the account's events: point-in-time
/// exact (see the module documentation).
pub fn override_status(events: &[OverrideEvent], model: &str, as_of: Timestamp) -> OverrideStatus {
    let latest = latest_set(events, model, |event| event.at < as_of);
    let (override_, expired) = match latest {
        Some(candidate) if unexpired(&candidate, as_of) => (Some(candidate), None),
        Some(candidate) => (None, Some(candidate)),
        None => (None, None),
    };
    OverrideStatus {
        model: model.to_string(),
        override_,
        expired,
    }
}

/// The override of `model` in force at `as_of`, if any.
pub fn active_override(
    events: &[OverrideEvent],
    model: &str,
    as_of: Timestamp,
) -> Option<ScoreOverride> {
    override_status(events, model, as_of).override_
}

/// The computed score beside `model`'s override at `as_of`.
pub fn view_at(
    computed: Option<f64>,
    events: &[OverrideEvent],
    model: &str,
    as_of: Timestamp,
) -> OverrideView {
    beside(computed, override_status(events, model, as_of))
}

/// The instant a new event is stamped with: the clock's `now`, but never before
/// the account's latest event, so the trail's time order is its writing order.
pub fn stamp(events: &[OverrideEvent], now: Timestamp) -> Timestamp {
    events
        .iter()
        .map(|event| event.at)
        .max()
        .map_or(now, |latest| latest.max(now))
}

/// The override in force when a new event is written at `at`: every recorded
/// event counts (none is later than `at`), and its expiry is checked at `at`.
fn in_force_when_writing(
    events: &[OverrideEvent],
    model: &str,
    at: Timestamp,
) -> Option<ScoreOverride> {
    latest_set(events, model, |_| true).filter(|candidate| unexpired(candidate, at))
}

/// Checks an override before it is recorded, naming the field as the API's
/// body spells it.
pub fn validate_override(candidate: &ScoreOverride) -> Result<(), FieldError> {
    not_empty("model", &candidate.model)?;
    if !candidate.value.is_finite() {
        return Err(field_error("value", "must be a finite number"));
    }
    let (lowest, highest) = VALUE_RANGE;
    if !(lowest..=highest).contains(&candidate.value) {
        return Err(field_error(
            "value",
            format!(
                "{} is outside the score range {lowest}–{highest}",
                candidate.value
            ),
        ));
    }
    not_empty("reason", &candidate.reason)?;
    not_empty("author", &candidate.author)?;
    if let Some(expires_at) = candidate.expires_at
        && expires_at <= candidate.set_at
    {
        return Err(field_error(
            "expiresAt",
            format!(
                "{expires_at} is not after the moment the override is set ({})",
                candidate.set_at
            ),
        ));
    }
    Ok(())
}

/// Whether `model` names a score that may be overridden: a shipped model, or
/// one of the models the surface is configured with (by their names).
pub fn validate_model_name(model: &str, configured: &[&str]) -> Result<(), FieldError> {
    if Model::SHIPPED.contains(&model) || configured.contains(&model) {
        return Ok(());
    }
    let mut known = Model::SHIPPED.join(", ");
    for name in configured
        .iter()
        .filter(|name| !Model::SHIPPED.contains(name))
    {
        known.push_str(&format!(", {name} (configured)"));
    }
    Err(field_error(
        "model",
        format!("`{model}` is not a model whose score can be overridden ({known})"),
    ))
}

/// The body of a request to set an override.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideRequest {
    pub value: f64,
    pub reason: String,
    pub expires_at: Option<Timestamp>,
}

/// The body of `PUT …/overrides/{customerId}/{model}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverrideBody {
    value: f64,
    reason: String,
    #[serde(default)]
    expires_at: Option<String>,
}

/// Parses `{"value", "reason", "expiresAt"?}`; `expiresAt` takes an RFC 3339
/// instant or a date (its first instant, UTC). The author is the person
/// signed in, never the body's. Errors name the field.
pub fn parse_override_request(body: &[u8]) -> Result<OverrideRequest, FieldError> {
    let raw: OverrideBody = parse_request(body)?;
    let expires_at = raw
        .expires_at
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .map(|text| {
            Timestamp::parse_lenient(text)
                .map_err(|error| field_error("expiresAt", error.to_string()))
        })
        .transpose()?;
    Ok(OverrideRequest {
        value: raw.value,
        reason: raw.reason,
        expires_at,
    })
}

/// The event that sets `model`'s override as `request` asks, by `author`,
/// written at `now` (see [`stamp`]); `old` is the override in force just
/// before. Refused, naming the field, when the override would be invalid.
pub fn set_override(
    events: &[OverrideEvent],
    model: &str,
    request: &OverrideRequest,
    author: &str,
    now: Timestamp,
) -> Result<OverrideEvent, FieldError> {
    let at = stamp(events, now);
    let candidate = ScoreOverride {
        model: model.to_string(),
        value: request.value,
        reason: request.reason.trim().to_string(),
        author: author.trim().to_string(),
        set_at: at,
        expires_at: request.expires_at,
    };
    validate_override(&candidate)?;
    let old = in_force_when_writing(events, model, at).map(|before| before.value);
    Ok(OverrideEvent {
        at,
        author: candidate.author,
        action: OverrideAction::Set,
        model: candidate.model,
        old,
        new: Some(candidate.value),
        reason: candidate.reason,
        expires_at: candidate.expires_at,
    })
}

/// The event that removes `model`'s override in force, written at `now`;
/// `Ok(None)` when none is in force (never set, removed, or expired).
pub fn remove_override(
    events: &[OverrideEvent],
    model: &str,
    author: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Option<OverrideEvent>, FieldError> {
    not_empty("author", author)?;
    let at = stamp(events, now);
    Ok(
        in_force_when_writing(events, model, at).map(|removed| OverrideEvent {
            at,
            author: author.trim().to_string(),
            action: OverrideAction::Removed,
            model: model.to_string(),
            old: Some(removed.value),
            new: None,
            reason: reason.trim().to_string(),
            expires_at: None,
        }),
    )
}

/// One account's overrides at an instant, as every surface shows them: the
/// overrides in force, those that lapsed by expiry, and the audit trail up to
/// `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountOverrides {
    pub customer_id: CustomerId,
    pub external_id: String,
    pub account_name: String,
    pub as_of: Timestamp,
    /// In force at `as_of`, one per model, by model name.
    pub overrides: Vec<ScoreOverride>,
    /// Lapsed by their expiry before `as_of` (not removed or replaced), by model name.
    pub expired: Vec<ScoreOverride>,
    /// Every event before `as_of`, in time order: who, when, old, new, why.
    pub history: Vec<OverrideEvent>,
}

/// `account`'s overrides at `as_of`, from its events.
pub fn account_overrides(
    account: &Account,
    events: &[OverrideEvent],
    as_of: Timestamp,
) -> AccountOverrides {
    let history: Vec<OverrideEvent> = in_time_order(events)
        .into_iter()
        .filter(|event| event.at < as_of)
        .cloned()
        .collect();
    let mut models: Vec<&str> = history.iter().map(|event| event.model.as_str()).collect();
    models.sort_unstable();
    models.dedup();
    let mut overrides = Vec::new();
    let mut expired = Vec::new();
    for model in models {
        let status = override_status(&history, model, as_of);
        overrides.extend(status.override_);
        expired.extend(status.expired);
    }
    AccountOverrides {
        customer_id: account.customer_id(),
        external_id: account.external_id.to_string(),
        account_name: account.name.clone(),
        as_of,
        overrides,
        expired,
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_lenient(text).unwrap()
    }

    /// A request and the person making it.
    struct Signed {
        request: OverrideRequest,
        author: &'static str,
    }

    fn request(value: f64, author: &'static str, expires: Option<&str>) -> Signed {
        Signed {
            request: OverrideRequest {
                value,
                reason: "exec sponsor confirmed renewal".into(),
                expires_at: expires.map(at),
            },
            author,
        }
    }

    /// Applies `set_override` and keeps the event, as the store would.
    fn set(events: &mut Vec<OverrideEvent>, model: &str, signed: &Signed, now: &str) {
        let event = set_override(events, model, &signed.request, signed.author, at(now)).unwrap();
        events.push(event);
    }

    fn value_at(events: &[OverrideEvent], model: &str, as_of: &str) -> Option<f64> {
        active_override(events, model, at(as_of)).map(|active| active.value)
    }

    #[test]
    fn setting_records_who_when_and_no_old_value() {
        let mut events = Vec::new();
        set(
            &mut events,
            "health",
            &request(72.0, " dana ", None),
            "2026-03-01T10:00:00Z",
        );
        assert_eq!(
            events,
            [OverrideEvent {
                at: at("2026-03-01T10:00:00Z"),
                author: "dana".into(),
                action: OverrideAction::Set,
                model: "health".into(),
                old: None,
                new: Some(72.0),
                reason: "exec sponsor confirmed renewal".into(),
                expires_at: None,
            }]
        );
        assert_eq!(
            active_override(&events, "health", at("2026-03-02")),
            Some(ScoreOverride {
                model: "health".into(),
                value: 72.0,
                reason: "exec sponsor confirmed renewal".into(),
                author: "dana".into(),
                set_at: at("2026-03-01T10:00:00Z"),
                expires_at: None,
            })
        );
        // Another model's score is untouched.
        assert_eq!(value_at(&events, "prd070-engagement", "2026-03-02"), None);
    }

    #[test]
    fn replacing_records_the_old_and_new_values_and_each_moment_reads_its_own() {
        let mut events = Vec::new();
        set(
            &mut events,
            "health",
            &request(72.0, "dana", None),
            "2026-03-01",
        );
        set(
            &mut events,
            "health",
            &request(64.0, "lee", None),
            "2026-04-01",
        );
        assert_eq!((events[1].old, events[1].new), (Some(72.0), Some(64.0)));
        assert_eq!(events[1].author, "lee");
        assert_eq!(value_at(&events, "health", "2026-03-15"), Some(72.0));
        assert_eq!(value_at(&events, "health", "2026-04-15"), Some(64.0));
    }

    #[test]
    fn nothing_at_or_after_as_of_counts() {
        let mut events = Vec::new();
        set(
            &mut events,
            "health",
            &request(72.0, "dana", None),
            "2026-03-01T10:00:00Z",
        );
        assert_eq!(value_at(&events, "health", "2026-03-01T10:00:00Z"), None);
        assert_eq!(
            value_at(&events, "health", "2026-03-01T09:59:59.999Z"),
            None
        );
        assert_eq!(
            value_at(&events, "health", "2026-03-01T10:00:00.001Z"),
            Some(72.0)
        );
    }

    #[test]
    fn an_override_expires_at_its_instant_and_shows_as_expired() {
        let mut events = Vec::new();
        let expiring = request(72.0, "dana", Some("2026-06-30"));
        set(&mut events, "health", &expiring, "2026-03-01");
        assert_eq!(
            value_at(&events, "health", "2026-06-29T23:59:59.999Z"),
            Some(72.0)
        );
        let status = override_status(&events, "health", at("2026-06-30"));
        assert_eq!(status.override_, None);
        assert_eq!(status.expired.map(|lapsed| lapsed.value), Some(72.0));
        // An expired override cannot be removed (nothing is in force), and a new
        // one set after the expiry has no old value.
        assert_eq!(
            remove_override(&events, "health", "dana", "", at("2026-07-01")),
            Ok(None)
        );
        set(
            &mut events,
            "health",
            &request(50.0, "lee", None),
            "2026-07-01",
        );
        assert_eq!(events[1].old, None);
        let status = override_status(&events, "health", at("2026-07-02"));
        assert_eq!(
            (status.override_.map(|o| o.value), status.expired),
            (Some(50.0), None)
        );
    }

    #[test]
    fn removal_ends_the_override_and_past_moments_still_show_it() {
        let mut events = Vec::new();
        set(
            &mut events,
            "health",
            &request(72.0, "dana", None),
            "2026-03-01",
        );
        let removal = remove_override(
            &events,
            "health",
            " lee ",
            "renewal signed",
            at("2026-05-01"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (
                removal.action,
                removal.old,
                removal.new,
                removal.author.as_str()
            ),
            (OverrideAction::Removed, Some(72.0), None, "lee")
        );
        events.push(removal);
        assert_eq!(value_at(&events, "health", "2026-02-28"), None);
        assert_eq!(value_at(&events, "health", "2026-04-01"), Some(72.0));
        assert_eq!(value_at(&events, "health", "2026-05-01"), Some(72.0));
        assert_eq!(
            value_at(&events, "health", "2026-05-01T00:00:00.001Z"),
            None
        );
        let status = override_status(&events, "health", at("2026-06-01"));
        assert_eq!((status.override_, status.expired), (None, None));
        // Nothing left to remove.
        assert_eq!(
            remove_override(&events, "health", "lee", "", at("2026-06-01")),
            Ok(None)
        );
    }

    #[test]
    fn events_are_never_stamped_before_the_latest_one() {
        let mut events = Vec::new();
        set(
            &mut events,
            "health",
            &request(72.0, "dana", None),
            "2026-03-01T10:00:00Z",
        );
        // A clock that went back a second.
        set(
            &mut events,
            "health",
            &request(60.0, "dana", None),
            "2026-03-01T09:59:59Z",
        );
        assert_eq!(events[1].at, at("2026-03-01T10:00:00Z"));
        assert_eq!(events[1].old, Some(72.0));
        // Same instant: the later write wins.
        assert_eq!(
            value_at(&events, "health", "2026-03-01T10:00:00.001Z"),
            Some(60.0)
        );
        let removal = remove_override(&events, "health", "dana", "", at("2026-03-01T09:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (removal.at, removal.old),
            (at("2026-03-01T10:00:00Z"), Some(60.0))
        );
    }

    #[test]
    fn validation_names_the_field() {
        let now = at("2026-03-01");
        for (value, reason, author, expires, field, message) in [
            (
                120.0,
                "r",
                "a",
                None,
                "value",
                "120 is outside the score range 0–100",
            ),
            (
                -1.0,
                "r",
                "a",
                None,
                "value",
                "-1 is outside the score range 0–100",
            ),
            (f64::NAN, "r", "a", None, "value", "must be a finite number"),
            (50.0, "  ", "a", None, "reason", "must not be empty"),
            (50.0, "r", "", None, "author", "must not be empty"),
            (
                50.0,
                "r",
                "a",
                Some("2026-03-01"),
                "expiresAt",
                "2026-03-01T00:00:00Z is not after the moment the override is set (2026-03-01T00:00:00Z)",
            ),
        ] {
            let request = OverrideRequest {
                value,
                reason: reason.into(),
                expires_at: expires.map(at),
            };
            assert_eq!(
                set_override(&[], "health", &request, author, now),
                Err(field_error(field, message)),
                "{field}"
            );
        }
        // The edges of the range are scores too.
        for value in [0.0, 100.0] {
            assert!(
                set_override(&[], "health", &request(value, "a", None).request, "a", now).is_ok()
            );
        }
        assert_eq!(
            remove_override(&[], "health", " ", "", now),
            Err(field_error("author", "must not be empty"))
        );
    }

    #[test]
    fn only_known_models_can_be_overridden() {
        for model in ["health", "prd070-engagement", "framework-engagement"] {
            assert_eq!(validate_model_name(model, &[]), Ok(()));
        }
        assert_eq!(validate_model_name("our-model", &["our-model"]), Ok(()));
        let refused = validate_model_name("nps", &["our-model", "health"]).unwrap_err();
        assert_eq!(refused.field, "model");
        assert_eq!(
            refused.reason,
            "`nps` is not a model whose score can be overridden \
             (prd070-engagement, framework-engagement, health, our-model (configured))"
        );
    }

    #[test]
    fn request_bodies_are_parsed_naming_the_field() {
        let parsed =
            parse_override_request(br#"{"value": 72, "reason": "r", "expiresAt": "2026-12-31"}"#)
                .unwrap();
        assert_eq!(parsed.expires_at, Some(at("2026-12-31T00:00:00Z")));
        let error_of = |body: &str| parse_override_request(body.as_bytes()).unwrap_err();
        let field_of = |body: &str| error_of(body).field;
        assert_eq!(field_of(r#"{"value": "high", "reason": "r"}"#), "value");
        assert_eq!(field_of(r#"{"reason": "r"}"#), "value");
        assert_eq!(field_of(r#"{"value": 1}"#), "reason");
        assert_eq!(
            field_of(r#"{"value": 1, "reason": "r", "expiresAt": "soon"}"#),
            "expiresAt"
        );
        assert_eq!(
            field_of(r#"{"value": 1, "reason": "r", "colour": "red"}"#),
            "colour"
        );
        assert_eq!(field_of("[1]"), "body");
        // Who sets it is the person signed in, never a name in the body.
        let named = error_of(r#"{"value": 1, "reason": "r", "author": "someone else"}"#);
        assert_eq!(named.field, "author");
        assert!(named.reason.contains("signed in"), "{}", named.reason);
    }

    #[test]
    fn beside_shows_computed_and_override_and_the_effective_score() {
        let mut events = Vec::new();
        set(
            &mut events,
            "health",
            &request(72.0, "dana", Some("2026-06-30")),
            "2026-03-01",
        );
        let during = view_at(Some(41.5), &events, "health", at("2026-04-01"));
        assert_eq!(
            (
                during.computed,
                during.effective,
                during.override_.as_ref().map(|o| o.value)
            ),
            (Some(41.5), Some(72.0), Some(72.0))
        );
        let before = view_at(Some(41.5), &events, "health", at("2026-02-01"));
        assert_eq!(
            (before.effective, before.override_, before.expired),
            (Some(41.5), None, None)
        );
        let after = view_at(None, &events, "health", at("2026-07-01"));
        assert_eq!((after.effective, after.override_), (None, None));
        assert_eq!(after.expired.map(|o| o.value), Some(72.0));
        let json = serde_json::to_value(&during).unwrap();
        assert_eq!(json["override"]["setAt"], "2026-03-01T00:00:00Z");
        assert_eq!(json["override"]["expiresAt"], "2026-06-30T00:00:00Z");
        assert_eq!(json["effective"], 72.0);
    }

    #[test]
    fn account_overrides_list_in_force_expired_and_the_trail_up_to_as_of() {
        let account: Account = serde_json::from_value(serde_json::json!({
            "external_id": "acc-1", "name": "Acme Corp", "tier": "growth", "arr": 1000.0,
            "seats": null, "csm": "Dana", "status": "active", "contract_start": null,
            "renewal_date": null, "industry": "Software", "manager": null,
            "at_risk_override": false
        }))
        .unwrap();
        let mut events = Vec::new();
        set(
            &mut events,
            "prd070-engagement",
            &request(80.0, "dana", Some("2026-04-01")),
            "2026-03-01",
        );
        set(
            &mut events,
            "health",
            &request(72.0, "dana", None),
            "2026-03-02",
        );
        set(
            &mut events,
            "health",
            &request(64.0, "lee", None),
            "2026-03-03",
        );
        let removal = remove_override(&events, "health", "lee", "", at("2026-05-01")).unwrap();
        events.extend(removal);

        let view = account_overrides(&account, &events, at("2026-04-15"));
        assert_eq!(view.external_id, "acc-1");
        assert_eq!(view.customer_id, account.customer_id());
        let in_force: Vec<(&str, f64)> = view
            .overrides
            .iter()
            .map(|o| (o.model.as_str(), o.value))
            .collect();
        assert_eq!(in_force, [("health", 64.0)]);
        let lapsed: Vec<&str> = view.expired.iter().map(|o| o.model.as_str()).collect();
        assert_eq!(lapsed, ["prd070-engagement"]);
        assert_eq!(view.history.len(), 3, "the removal is after as_of");

        let later = account_overrides(&account, &events, at("2026-06-01"));
        assert!(later.overrides.is_empty());
        assert_eq!(later.history.len(), 4);
        let json = serde_json::to_value(&later).unwrap();
        assert_eq!(json["history"][3]["action"], "removed");
        assert_eq!(json["history"][3]["old"], 64.0);
        assert_eq!(json["history"][3]["new"], serde_json::Value::Null);
        assert_eq!(json["accountName"], "Acme Corp");

        let before = account_overrides(&account, &events, at("2026-01-01"));
        assert!(before.history.is_empty() && before.overrides.is_empty());
    }
}
