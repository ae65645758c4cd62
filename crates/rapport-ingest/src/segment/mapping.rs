//! From Segment's calls to what Rapport scores: the documented mapping
//! (`docs/tracking.md`, `[tracking]` in rapport.toml). `identify` traits
//! describe a product user (and the contact of their e-mail), `group` an
//! account, and `track`, `page` and `screen` events become logins, sessions
//! and feature use through rules matched by call and event name.

use rapport_core::domain::parse_non_negative;
use rapport_core::time::parse_date;
use rapport_core::{ActivityDetail, ContactRole, Email, ExternalId, FeatureKey, Tier, UserId};
use rapport_store::tracking::{AccountTraits, TrackedAction, TrackedCall, UserTraits};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{CallType, SegmentEvent, text};

/// Which call a rule matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappedCall {
    #[default]
    Track,
    Page,
    Screen,
}

impl MappedCall {
    fn of(call: CallType) -> Option<MappedCall> {
        match call {
            CallType::Track => Some(MappedCall::Track),
            CallType::Page => Some(MappedCall::Page),
            CallType::Screen => Some(MappedCall::Screen),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MappedCall::Track => "track",
            MappedCall::Page => "page",
            MappedCall::Screen => "screen",
        }
    }
}

/// What a matched event becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappedActivity {
    Login,
    FeatureUsed,
    SessionStart,
    SessionEnd,
    /// Nothing (switches a default rule off).
    Ignore,
}

impl MappedActivity {
    pub fn as_str(self) -> &'static str {
        match self {
            MappedActivity::Login => "login",
            MappedActivity::FeatureUsed => "feature_used",
            MappedActivity::SessionStart => "session_start",
            MappedActivity::SessionEnd => "session_end",
            MappedActivity::Ignore => "ignore",
        }
    }
}

/// One rule: events of `call` named `name` (ignoring case) become `activity`.
/// A `feature_used` rule names its feature: a fixed key (`feature`) or the
/// property that holds it (`feature_property`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingRule {
    #[serde(default)]
    pub call: MappedCall,
    pub name: String,
    pub activity: MappedActivity,
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default)]
    pub feature_property: Option<String>,
}

impl MappingRule {
    fn new(name: &str, activity: MappedActivity) -> Self {
        MappingRule {
            call: MappedCall::Track,
            name: name.to_string(),
            activity,
            feature: None,
            feature_property: None,
        }
    }

    fn check(&self) -> Result<(), String> {
        let named = format!("the {} rule `{}`", self.call.as_str(), self.name);
        if self.name.trim().is_empty() {
            return Err("a tracking rule has an empty `name`".into());
        }
        match (self.activity, &self.feature, &self.feature_property) {
            (MappedActivity::FeatureUsed, Some(_), Some(_)) => Err(format!(
                "{named} gives both `feature` and `feature_property`; give one"
            )),
            (MappedActivity::FeatureUsed, None, None) => Err(format!(
                "{named} maps to feature_used: give `feature` (a feature key) or `feature_property` (the property naming it)"
            )),
            (MappedActivity::FeatureUsed, Some(key), None) => FeatureKey::parse(key)
                .map(|_| ())
                .map_err(|error| format!("{named}: `feature`: {error}")),
            (MappedActivity::FeatureUsed, None, Some(property)) if property.trim().is_empty() => {
                Err(format!("{named}: `feature_property` is empty"))
            }
            (MappedActivity::FeatureUsed, None, Some(_)) => Ok(()),
            (_, None, None) => Ok(()),
            (activity, _, _) => Err(format!(
                "{named} maps to {}, which names no feature: remove `feature` and `feature_property`",
                activity.as_str()
            )),
        }
    }
}

/// The mapping in force: the deployment's rules first, then the default
/// rules it does not override.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMapping {
    rules: Vec<MappingRule>,
    /// Lower-cased names, beside `rules`.
    names: Vec<String>,
    /// The tier of an account a `group` call creates without a `tier` trait.
    pub new_account_tier: Tier,
}

impl Default for EventMapping {
    fn default() -> Self {
        EventMapping::new(Vec::new(), Tier::Core).expect("the default rules are valid")
    }
}

impl EventMapping {
    /// The default rules: `Signed In` → login, `Feature Used` (its `feature`
    /// property) → feature use, `Session Started` / `Session Ended` → a
    /// session. Page and screen views map to nothing unless a rule says so.
    pub fn default_rules() -> Vec<MappingRule> {
        vec![
            MappingRule::new("Signed In", MappedActivity::Login),
            MappingRule {
                feature_property: Some("feature".into()),
                ..MappingRule::new("Feature Used", MappedActivity::FeatureUsed)
            },
            MappingRule::new("Session Started", MappedActivity::SessionStart),
            MappingRule::new("Session Ended", MappedActivity::SessionEnd),
        ]
    }

    /// `rules` (each checked) before the defaults they do not override (a
    /// rule of the same call and name, ignoring case).
    pub fn new(rules: Vec<MappingRule>, new_account_tier: Tier) -> Result<Self, String> {
        for rule in &rules {
            rule.check()?;
        }
        let mut all = rules;
        for default in Self::default_rules() {
            let overridden = all.iter().any(|rule| {
                rule.call == default.call && rule.name.trim().eq_ignore_ascii_case(&default.name)
            });
            if !overridden {
                all.push(default);
            }
        }
        let names = all
            .iter()
            .map(|rule| rule.name.trim().to_lowercase())
            .collect();
        Ok(EventMapping {
            rules: all,
            names,
            new_account_tier,
        })
    }

    pub fn rules(&self) -> &[MappingRule] {
        &self.rules
    }

    fn rule(&self, call: MappedCall, name: &str) -> Option<&MappingRule> {
        let name = name.trim().to_lowercase();
        self.rules
            .iter()
            .zip(&self.names)
            .find(|(rule, rule_name)| rule.call == call && **rule_name == name)
            .map(|(rule, _)| rule)
    }

    /// What Rapport does with one event; an error names the field.
    pub fn map(&self, event: &SegmentEvent) -> Result<TrackedCall, String> {
        let user =
            UserId::parse(event.user()).map_err(|error| format!("field `userId`: {error}"))?;
        let account_hint = text("context.groupId", event.context.get("groupId"))?
            .map(|id| {
                ExternalId::parse(&id).map_err(|error| format!("field `context.groupId`: {error}"))
            })
            .transpose()?;
        let action = if !event.for_rapport() {
            TrackedAction::Ignored
        } else {
            match event.call {
                CallType::Identify => {
                    TrackedAction::Identify(user_traits(&identify_traits(event))?)
                }
                CallType::Group => TrackedAction::Group {
                    account: ExternalId::parse(event.group_id.as_deref().unwrap_or_default())
                        .map_err(|error| format!("field `groupId`: {error}"))?,
                    traits: account_traits(&event.traits, self.new_account_tier)?,
                },
                CallType::Alias => TrackedAction::Alias {
                    previous: UserId::parse(event.previous_id.as_deref().unwrap_or_default())
                        .map_err(|error| format!("field `previousId`: {error}"))?,
                },
                CallType::Track | CallType::Page | CallType::Screen => {
                    self.activity(event, user.clone())?
                }
            }
        };
        Ok(TrackedCall {
            message_id: event.message_id.clone(),
            user,
            at: event.timestamp,
            account_hint,
            action,
        })
    }

    fn activity(&self, event: &SegmentEvent, user: UserId) -> Result<TrackedAction, String> {
        let Some(call) = MappedCall::of(event.call) else {
            return Ok(TrackedAction::Ignored);
        };
        let name = match call {
            MappedCall::Track => event.event.as_deref(),
            MappedCall::Page | MappedCall::Screen => event.name.as_deref(),
        };
        let Some(rule) = name.and_then(|name| self.rule(call, name)) else {
            return Ok(TrackedAction::Ignored);
        };
        Ok(match rule.activity {
            MappedActivity::Login => TrackedAction::Activity(ActivityDetail::Login { user }),
            MappedActivity::FeatureUsed => {
                let feature = match (&rule.feature, &rule.feature_property) {
                    (Some(key), _) => key.clone(),
                    (None, Some(property)) => {
                        text(&format!("properties.{property}"), event.properties.get(property))?
                            .ok_or_else(|| {
                                format!(
                                    "missing field `properties.{property}` (the `{}` rule takes the feature used from it)",
                                    rule.name
                                )
                            })?
                    }
                    (None, None) => unreachable!("checked when the mapping was made"),
                };
                TrackedAction::Activity(ActivityDetail::FeatureUsed {
                    user,
                    feature: FeatureKey::parse(&feature)
                        .map_err(|error| format!("the feature: {error}"))?,
                })
            }
            MappedActivity::SessionStart => TrackedAction::SessionStart,
            MappedActivity::SessionEnd => match session_minutes(&event.properties)? {
                Some(duration_min) => {
                    TrackedAction::Activity(ActivityDetail::Session { user, duration_min })
                }
                None => TrackedAction::SessionEnd,
            },
            MappedActivity::Ignore => TrackedAction::Ignored,
        })
    }
}

/// A session's length from its end event: `duration_min` (minutes), else
/// `duration` (seconds); none when neither is given.
fn session_minutes(properties: &Map<String, Value>) -> Result<Option<f64>, String> {
    for (field, per_minute) in [("duration_min", 1.0), ("duration", 60.0)] {
        match properties.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(number)) => {
                let value = number.as_f64().unwrap_or(f64::NAN);
                if !value.is_finite() || value < 0.0 {
                    return Err(format!(
                        "field `properties.{field}`: {number} is not a duration (expected a number ≥ 0)"
                    ));
                }
                return Ok(Some(value / per_minute));
            }
            Some(_) => {
                return Err(format!("field `properties.{field}`: expected a number"));
            }
        }
    }
    Ok(None)
}

/// An identify call's traits: `traits`, over `context.traits` (where
/// RudderStack's SDKs put them; Segment's spec has them there for any call).
fn identify_traits(event: &SegmentEvent) -> std::borrow::Cow<'_, Map<String, Value>> {
    match event.context.get("traits") {
        Some(Value::Object(context_traits)) if !context_traits.is_empty() => {
            let mut traits = context_traits.clone();
            traits.extend(
                event
                    .traits
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone())),
            );
            std::borrow::Cow::Owned(traits)
        }
        _ => std::borrow::Cow::Borrowed(&event.traits),
    }
}

/// A trait's text, trimmed; an empty string is none.
fn trait_text(traits: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match traits.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let trimmed = text.trim();
            rapport_core::validation::text_at_most(
                field,
                trimmed,
                rapport_core::validation::MAX_NAME_CHARS,
            )
            .map_err(|error| format!("field `traits.{field}`: {}", error.reason))?;
            Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
        }
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(format!("field `traits.{field}`: expected a string")),
    }
}

/// The first of `fields` the traits give (Segment's camelCase or snake_case).
fn first_trait(
    traits: &Map<String, Value>,
    fields: &[&str],
) -> Result<Option<(String, String)>, String> {
    for field in fields {
        if let Some(text) = trait_text(traits, field)? {
            return Ok(Some((field.to_string(), text)));
        }
    }
    Ok(None)
}

fn user_traits(traits: &Map<String, Value>) -> Result<UserTraits, String> {
    let email = trait_text(traits, "email")?
        .map(|email| Email::parse(&email).map_err(|error| format!("field `traits.email`: {error}")))
        .transpose()?;
    let name = match trait_text(traits, "name")? {
        Some(name) => Some(name),
        None => {
            let parts: Vec<String> = [
                first_trait(traits, &["firstName", "first_name"])?,
                first_trait(traits, &["lastName", "last_name"])?,
            ]
            .into_iter()
            .flatten()
            .map(|(_, part)| part)
            .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
    };
    // A role Rapport does not know ("member", "owner") says nothing: the
    // contact keeps its role, or is a plain user.
    let role = trait_text(traits, "role")?.and_then(|role| {
        role.to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .parse::<ContactRole>()
            .ok()
    });
    Ok(UserTraits {
        email,
        name,
        role,
        title: trait_text(traits, "title")?,
        department: trait_text(traits, "department")?,
    })
}

fn account_traits(
    traits: &Map<String, Value>,
    new_account_tier: Tier,
) -> Result<AccountTraits, String> {
    let tier = trait_text(traits, "tier")?
        .map(|tier| {
            tier.parse::<Tier>()
                .map_err(|error| format!("field `traits.tier`: {error}"))
        })
        .transpose()?;
    let status = trait_text(traits, "status")?
        .map(|status| {
            status
                .parse()
                .map_err(|error| format!("field `traits.status`: {error}"))
        })
        .transpose()?;
    let arr = trait_text(traits, "arr")?
        .map(|arr| {
            parse_non_negative("arr", &arr).map_err(|error| format!("field `traits.arr`: {error}"))
        })
        .transpose()?;
    let seats = first_trait(traits, &["seats"])?
        .map(|(_, seats)| {
            seats.parse::<u32>().map_err(|_| {
                format!("field `traits.seats`: `{seats}` is not a whole number of seats")
            })
        })
        .transpose()?;
    let date = |fields: &[&str]| -> Result<Option<chrono::NaiveDate>, String> {
        first_trait(traits, fields)?
            .map(|(field, text)| {
                parse_date(&text).map_err(|error| format!("field `traits.{field}`: {error}"))
            })
            .transpose()
    };
    Ok(AccountTraits {
        name: trait_text(traits, "name")?,
        tier,
        arr,
        seats,
        csm: trait_text(traits, "csm")?,
        status,
        industry: trait_text(traits, "industry")?,
        contract_start: date(&["contract_start", "contractStart"])?,
        renewal_date: date(&["renewal_date", "renewalDate"])?,
        manager: trait_text(traits, "manager")?,
        new_account_tier,
    })
}
