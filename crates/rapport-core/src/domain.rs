//! Accounts, contacts, features and outcomes, with the validated newtypes that
//! raw strings become at the edge (`ExternalId`, `CustomerId`, `Email`, …).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a raw value could not become a domain value. The message is written for
/// the person who owns the file: it names the offending value and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("`{value}` is not an e-mail address")]
    BadEmail { value: String },
    #[error("{field} `{value}` is not one of {expected}")]
    NotOneOf {
        field: &'static str,
        value: String,
        expected: String,
    },
    #[error("{field} `{value}` is not a number")]
    BadNumber { field: &'static str, value: String },
    #[error("{field} {value} is out of range ({expected})")]
    OutOfRange {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// Declares a closed set of lowercase string values with parsing, display and serde.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const FIELD: &'static str = $field;

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::DomainError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let normalized = text.trim().to_ascii_lowercase();
                match normalized.as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::DomainError::NotOneOf {
                        field: $field,
                        value: text.to_string(),
                        expected: $name::ALL
                            .iter()
                            .map(|variant| variant.as_str())
                            .collect::<Vec<_>>()
                            .join(" | "),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                formatter.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Service tier: how much human attention the account gets.
    Tier, "tier" { Strategic => "strategic", Growth => "growth", Core => "core", Nurture => "nurture" }
);
string_enum!(AccountStatus, "status" { Active => "active", Churned => "churned" });
string_enum!(
    ContactRole, "role" {
        Executive => "executive", Champion => "champion", PowerUser => "power_user",
        User => "user", Admin => "admin",
    }
);
string_enum!(
    /// How much a catalogue feature counts towards breadth of adoption.
    FeatureImportance, "importance" { Core => "core", Advanced => "advanced", Basic => "basic" }
);
string_enum!(
    OutcomeKind, "outcome" {
        Renewed => "renewed", Churned => "churned", Expanded => "expanded", Contracted => "contracted",
    }
);

impl FeatureImportance {
    /// The framework's importance weights: core 2×, advanced 1.5×, basic 1×.
    pub fn weight(self) -> f64 {
        match self {
            FeatureImportance::Core => 2.0,
            FeatureImportance::Advanced => 1.5,
            FeatureImportance::Basic => 1.0,
        }
    }
}

/// Declares a non-empty, trimmed string newtype.
macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl $name {
            pub fn parse(text: &str) -> Result<Self, DomainError> {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    return Err(DomainError::Empty { field: $field });
                }
                Ok($name(trimmed.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }
    };
}

text_newtype!(
    /// An account's identifier in the source system (the `id` column of accounts.csv).
    ExternalId, "account id"
);
text_newtype!(
    /// A product user as the product reports it (`user` of login, session, feature_used).
    UserId, "user"
);
text_newtype!(
    /// A key of the product's feature catalogue.
    FeatureKey, "feature"
);

/// The namespace of Rapport's account UUIDs (UUID v5 of the external id), so an
/// account keeps the same `customerId` across re-imports and across databases.
const CUSTOMER_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_2c0e_8d7b_4e5a_9b3c_52d1_7e0f_a4c9);

/// The product's identifier of an account: the `customerId` of the API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct CustomerId(Uuid);

impl CustomerId {
    pub fn for_external_id(external_id: &ExternalId) -> Self {
        CustomerId(Uuid::new_v5(
            &CUSTOMER_ID_NAMESPACE,
            external_id.as_str().as_bytes(),
        ))
    }

    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text.trim()).ok().map(CustomerId)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// An e-mail address, lowercased so that contacts compare case-insensitively.
/// Deserializing validates and normalizes too, so no path skips the rule.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl Email {
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let trimmed = text.trim();
        let well_formed = match trimmed.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !trimmed.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !well_formed {
            return Err(DomainError::BadEmail {
                value: text.to_string(),
            });
        }
        Ok(Email(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Parses a finite, non-negative amount (ARR, seats, payments).
pub fn parse_non_negative(field: &'static str, text: &str) -> Result<f64, DomainError> {
    let trimmed = text.trim().trim_start_matches('$').replace(',', "");
    let value: f64 = trimmed.parse().map_err(|_| DomainError::BadNumber {
        field,
        value: text.to_string(),
    })?;
    if !value.is_finite() || value < 0.0 {
        return Err(DomainError::OutOfRange {
            field,
            value: text.to_string(),
            expected: "a number ≥ 0",
        });
    }
    // Beyond a trillion is a typo or a unit mix-up, not an account's revenue
    // or seats; refused so no report ever writes a saturated figure.
    if value > 1e12 {
        return Err(DomainError::OutOfRange {
            field,
            value: text.to_string(),
            expected: "a number at most 1,000,000,000,000",
        });
    }
    Ok(value)
}

/// A customer account, as imported from accounts.csv.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub external_id: ExternalId,
    pub name: String,
    pub tier: Tier,
    pub arr: f64,
    /// Provisioned users; `None` when the source left it empty.
    pub seats: Option<u32>,
    pub csm: String,
    pub status: AccountStatus,
    pub contract_start: Option<NaiveDate>,
    pub renewal_date: Option<NaiveDate>,
    pub industry: String,
    pub manager: Option<String>,
    /// The manual "key moment override": counts the account as at risk.
    pub at_risk_override: bool,
}

impl Account {
    pub fn customer_id(&self) -> CustomerId {
        CustomerId::for_external_id(&self.external_id)
    }
}

/// A person at the customer, from contacts.csv.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub account: ExternalId,
    pub email: Email,
    pub name: String,
    pub role: ContactRole,
    pub department: String,
    pub title: String,
}

/// An entry of the product's feature catalogue, from features.csv.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    pub key: FeatureKey,
    pub name: String,
    pub importance: FeatureImportance,
}

/// A past renewal outcome, from outcomes.csv (the ground truth for calibration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub account: ExternalId,
    pub date: NaiveDate,
    pub outcome: OutcomeKind,
    pub arr_change: f64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn close_spellings_are_candidates() {
        assert!(close_spelling("acme corp", "acme crop"));
        assert!(close_spelling("acme corp", "acme corps"));
        assert!(!close_spelling("acme corp", "beta ltd"));
        assert!(close_spelling("zeta", "zetа".replace('а', "a").as_str()));
        assert!(!close_spelling("zeta", "beta ltd"));
    }

    use super::*;

    #[test]
    fn emails_compare_case_insensitively() {
        assert_eq!(
            Email::parse(" Sarah.Chen@Acme.COM ").unwrap(),
            Email::parse("sarah.chen@acme.com").unwrap()
        );
        for bad in [
            "",
            "sarah",
            "@acme.com",
            "sarah@",
            "sa rah@acme.com",
            "a@b@c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn enums_parse_their_documented_values_only() {
        assert_eq!("Strategic".parse::<Tier>().unwrap(), Tier::Strategic);
        assert_eq!(
            "power_user".parse::<ContactRole>().unwrap(),
            ContactRole::PowerUser
        );
        let error = "gold".parse::<Tier>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "tier `gold` is not one of strategic | growth | core | nurture"
        );
    }

    #[test]
    fn customer_ids_are_stable_per_external_id() {
        let acme = ExternalId::parse("acc-0001").unwrap();
        assert_eq!(
            CustomerId::for_external_id(&acme),
            CustomerId::for_external_id(&acme)
        );
        let other = ExternalId::parse("acc-0002").unwrap();
        assert_ne!(
            CustomerId::for_external_id(&acme),
            CustomerId::for_external_id(&other)
        );
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_non_negative("arr", "$150,000").unwrap(), 150_000.0);
        assert!(parse_non_negative("arr", "-1").is_err());
        assert!(parse_non_negative("arr", "NaN").is_err());
        assert!(parse_non_negative("arr", "lots").is_err());
        assert!(parse_non_negative("arr", "1e200").is_err());
        assert!(parse_non_negative("arr", "1000000000000").is_ok());
    }
}

/// An account as every list shows it (`GET /api/accounts`, `rapport accounts`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountListing {
    /// The product's UUID for the account (the API's `customerId`).
    pub id: CustomerId,
    pub external_id: ExternalId,
    pub name: String,
    pub tier: Tier,
    pub arr: f64,
    pub csm: String,
    pub status: AccountStatus,
    pub seats: Option<u32>,
    pub manager: Option<String>,
    pub renewal_date: Option<NaiveDate>,
    pub at_risk_override: bool,
}

impl From<&Account> for AccountListing {
    fn from(account: &Account) -> Self {
        AccountListing {
            id: account.customer_id(),
            external_id: account.external_id.clone(),
            name: account.name.clone(),
            tier: account.tier,
            arr: account.arr,
            csm: account.csm.clone(),
            status: account.status,
            seats: account.seats,
            manager: account.manager.clone(),
            renewal_date: account.renewal_date,
            at_risk_override: account.at_risk_override,
        }
    }
}

/// How a person names an account on the command line or in a URL.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountMatch<'a> {
    Found(&'a Account),
    /// No single account answers to the reference: several share the name
    /// (ignoring case), or names only contain it. Best first, at most ten.
    /// Never written to.
    Candidates(Vec<&'a Account>),
    NotFound,
}

/// The one account-reference rule, used by every surface: a UUID (the
/// account's `customerId`), then an external id, then an exact name ignoring
/// case (Unicode lower case; when several accounts share the name ignoring
/// case, the one spelled exactly as given, else they are candidates), then the
/// names containing the reference as candidates. An account's *name* never
/// shadows another account's *external id*.
pub fn find_account<'a>(accounts: &'a [Account], query: &str) -> AccountMatch<'a> {
    let query = query.trim();
    if let Some(id) = CustomerId::parse(query)
        && let Some(account) = accounts.iter().find(|account| account.customer_id() == id)
    {
        return AccountMatch::Found(account);
    }
    if let Some(account) = accounts
        .iter()
        .find(|account| account.external_id.as_str() == query)
    {
        return AccountMatch::Found(account);
    }
    match_name(accounts.iter(), query)
}

/// Whether `name` is a close spelling of `query` (both lower case): at most
/// one edit (insertion, deletion, substitution or swap of neighbours) for a
/// short query, two from eight characters on.
pub fn close_spelling(name: &str, query: &str) -> bool {
    let allowed = if query.chars().count() >= 8 { 2 } else { 1 };
    !query.is_empty() && strsim::damerau_levenshtein(name, query) <= allowed
}

/// The name steps of [`find_account`]'s rule, for a reference that is neither
/// a known UUID nor a known external id.
pub fn match_name<'a>(
    accounts: impl Iterator<Item = &'a Account> + Clone,
    query: &str,
) -> AccountMatch<'a> {
    let query = query.trim();
    if query.is_empty() {
        return AccountMatch::NotFound;
    }
    let lowered = query.to_lowercase();
    let same_ignoring_case: Vec<&Account> = accounts
        .clone()
        .filter(|account| account.name.to_lowercase() == lowered)
        .collect();
    match same_ignoring_case.as_slice() {
        [only] => return AccountMatch::Found(only),
        [] => {}
        several => {
            let spelled: Vec<&&Account> = several
                .iter()
                .filter(|account| account.name == query)
                .collect();
            if let [only] = spelled.as_slice() {
                return AccountMatch::Found(only);
            }
            return AccountMatch::Candidates(several.iter().take(10).copied().collect());
        }
    }
    // Names that contain the reference, else names spelled closely (a typo,
    // two letters swapped: "Acme Crop" for "Acme Corp").
    let mut candidates: Vec<&Account> = accounts
        .clone()
        .filter(|account| account.name.to_lowercase().contains(&lowered))
        .collect();
    if candidates.is_empty() {
        candidates = accounts
            .filter(|account| close_spelling(&account.name.to_lowercase(), &lowered))
            .collect();
    }
    candidates.sort_by(|left, right| {
        left.name
            .len()
            .cmp(&right.name.len())
            .then(left.name.cmp(&right.name))
    });
    candidates.truncate(10);
    if candidates.is_empty() {
        AccountMatch::NotFound
    } else {
        AccountMatch::Candidates(candidates)
    }
}
