//! Settings: built-in defaults, then a TOML file, then `RAPPORT_*` environment
//! variables, then command-line flags. The database URL may hold a password, so
//! `Debug` redacts it.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use rapport_core::Tier;
use rapport_core::scoring::model::{EngagementModels, Model};
use serde::Deserialize;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://rapport.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    addr: Option<String>,
    model: Option<String>,
    health_model: Option<String>,
    /// Per-tier engagement models: `[tier_models] strategic = "framework-engagement"`.
    #[serde(default)]
    tier_models: std::collections::BTreeMap<String, String>,
    /// Our own e-mail domains: `team_domains = ["ourco.com"]`.
    team_domains: Option<Vec<String>>,
    /// The tracking API's event mapping (docs/tracking.md).
    #[serde(default)]
    tracking: TrackingSettings,
    /// Where webhooks may point and the key sealing their secrets.
    #[serde(default)]
    webhooks: WebhookSettings,
    /// The Rapport user the command line makes changes as.
    user: Option<String>,
    /// Each API token's or session's request rate.
    #[serde(default)]
    limits: LimitSettings,
}

/// `[limits]`: how many requests each API token or browser session may make
/// a minute on average (`requests_per_minute`, 1,200 unless set, or
/// RAPPORT_RATE_LIMIT_PER_MINUTE) and at once (`burst`, 240, or
/// RAPPORT_RATE_LIMIT_BURST); beyond, 429 with `Retry-After`.
#[derive(Clone, Copy, Debug, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub requests_per_minute: Option<u32>,
    pub burst: Option<u32>,
}

/// `[tracking]`: the tier of accounts a `group` call creates, and the rules
/// (`[[tracking.events]]`) that map events to activities before the defaults.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TrackingSettings {
    pub new_account_tier: Option<String>,
    /// How many days a message id is remembered for de-duplication (7).
    pub dedupe_days: Option<u32>,
    #[serde(default)]
    pub events: Vec<rapport_ingest::segment::MappingRule>,
}

/// `[webhooks]`: the networks webhooks may reach although their addresses
/// are not public (`allowed_networks = ["10.20.0.0/16"]`, or
/// RAPPORT_WEBHOOKS_ALLOWED_NETWORKS as a comma-separated list), and the key
/// sealing their signing secrets (`secret_key`, or RAPPORT_SECRET_KEY: 64
/// hexadecimal digits; a key file beside the database when neither is set).
#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    #[serde(default)]
    pub allowed_networks: Vec<String>,
    pub secret_key: Option<String>,
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("WebhookSettings")
            .field("allowed_networks", &self.allowed_networks)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub addr: String,
    /// The engagement scoring model: a shipped model's name or a TOML file.
    pub model: Option<String>,
    /// The health model: `health` (shipped) unless a name or file is given.
    pub health_model: Option<String>,
    /// Engagement models per tier (tier name → model name or file), from the
    /// settings file; a `--model` flag replaces them all.
    pub tier_models: Vec<(String, String)>,
    /// Our team's e-mail domains (lowercase, no `@`): an address on one is one
    /// of us, any other the customer's. `team_domains` in rapport.toml, or
    /// RAPPORT_TEAM_DOMAINS as a comma-separated list.
    pub team_domains: Vec<String>,
    /// The tracking API's event mapping (`[tracking]` in rapport.toml).
    pub tracking: TrackingSettings,
    /// `[webhooks]` in rapport.toml, over which RAPPORT_WEBHOOKS_ALLOWED_NETWORKS
    /// and RAPPORT_SECRET_KEY.
    pub webhooks: WebhookSettings,
    /// The Rapport user the command line makes changes as: `--as`,
    /// RAPPORT_USER, or `user` in rapport.toml.
    pub user: Option<String>,
    /// `[limits]` in rapport.toml, under RAPPORT_RATE_LIMIT_PER_MINUTE and
    /// RAPPORT_RATE_LIMIT_BURST.
    pub limits: LimitSettings,
}

impl fmt::Debug for Settings {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Settings")
            .field("database_url", &redact(&self.database_url))
            .field("addr", &self.addr)
            .field("model", &self.model)
            .field("health_model", &self.health_model)
            .field("tier_models", &self.tier_models)
            .field("team_domains", &self.team_domains)
            .field("tracking", &self.tracking)
            .field("webhooks", &self.webhooks)
            .field("user", &self.user)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Hides the password of `scheme://user:password@host/…`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Settings {
    pub fn load(explicit_file: Option<&Path>) -> anyhow::Result<Self> {
        let from_env = std::env::var_os("RAPPORT_CONFIG").map(std::path::PathBuf::from);
        let file = explicit_file
            .map(Path::to_path_buf)
            .or(from_env)
            .or_else(|| {
                Some("rapport.toml".into()).filter(|path: &std::path::PathBuf| path.is_file())
            });
        let file_settings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read the settings file {}", path.display()))?;
                toml::from_str::<FileSettings>(&text)
                    .with_context(|| format!("settings file {} is not valid", path.display()))?
            }
            None => FileSettings::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Ok(Settings {
            database_url: env("RAPPORT_DATABASE_URL")
                .or(file_settings.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            addr: env("RAPPORT_ADDR")
                .or(file_settings.addr)
                .unwrap_or_else(|| DEFAULT_ADDR.to_string()),
            model: env("RAPPORT_MODEL").or(file_settings.model),
            health_model: env("RAPPORT_HEALTH_MODEL").or(file_settings.health_model),
            tier_models: file_settings.tier_models.into_iter().collect(),
            team_domains: team_domains(
                env("RAPPORT_TEAM_DOMAINS")
                    .map(|list| list.split(',').map(str::to_string).collect())
                    .or(file_settings.team_domains)
                    .unwrap_or_default(),
            ),
            tracking: file_settings.tracking,
            webhooks: WebhookSettings {
                allowed_networks: env("RAPPORT_WEBHOOKS_ALLOWED_NETWORKS")
                    .map(|list| list.split(',').map(str::to_string).collect())
                    .unwrap_or(file_settings.webhooks.allowed_networks),
                secret_key: env("RAPPORT_SECRET_KEY").or(file_settings.webhooks.secret_key),
            },
            user: env("RAPPORT_USER").or(file_settings.user),
            limits: LimitSettings {
                requests_per_minute: number_from_env("RAPPORT_RATE_LIMIT_PER_MINUTE")?
                    .or(file_settings.limits.requests_per_minute),
                burst: number_from_env("RAPPORT_RATE_LIMIT_BURST")?.or(file_settings.limits.burst),
            },
        })
    }

    /// The user `--as` names, over the settings' own.
    pub fn acting_as(mut self, user: Option<String>) -> Self {
        if user.is_some() {
            self.user = user;
        }
        self
    }

    pub fn with_flags(mut self, database_url: Option<String>, model: Option<String>) -> Self {
        if let Some(url) = database_url {
            self.database_url = url;
        }
        if model.is_some() {
            self.model = model;
            // An explicit model on the command line is for every account.
            self.tier_models.clear();
        }
        self
    }

    /// The engagement model: the shipped one a name names, or the TOML file at
    /// that path, validated; the PRD-070 model when none is set.
    pub fn engagement_model(&self) -> anyhow::Result<Model> {
        match self.model.as_deref() {
            Some(choice) => load_model(choice),
            None => Ok(Model::prd070()),
        }
    }

    /// The engagement models: the default, and any `[tier_models]` choices.
    pub fn engagement_models(&self) -> anyhow::Result<EngagementModels> {
        let mut models = EngagementModels::single(self.engagement_model()?);
        for (tier, choice) in &self.tier_models {
            let tier: Tier = tier
                .parse()
                .with_context(|| format!("[tier_models] in the settings file: `{tier}`"))?;
            let model = load_model(choice).with_context(|| format!("[tier_models] {tier}"))?;
            models.by_tier.push((tier, model));
        }
        Ok(models)
    }

    /// The tracking API's event mapping: `[[tracking.events]]` rules before
    /// the default ones, checked.
    pub fn tracking_mapping(&self) -> anyhow::Result<rapport_ingest::segment::EventMapping> {
        let tier = match self.tracking.new_account_tier.as_deref() {
            Some(tier) => tier
                .parse()
                .context("[tracking] new_account_tier in the settings file")?,
            None => Tier::Core,
        };
        rapport_ingest::segment::EventMapping::new(self.tracking.events.clone(), tier)
            .map_err(anyhow::Error::msg)
            .context("[tracking] in the settings file")
    }

    /// How many days the tracking API remembers a message id (`[tracking]
    /// dedupe_days`, 1 to 3,650; 7 unless set).
    pub fn tracking_dedupe_days(&self) -> anyhow::Result<u32> {
        match self.tracking.dedupe_days {
            None => Ok(rapport_app::tracking::DEFAULT_DEDUPE_DAYS),
            Some(days @ 1..=3650) => Ok(days),
            Some(days) => anyhow::bail!(
                "[tracking] dedupe_days in the settings file is {days}: a number of days from 1 to 3650"
            ),
        }
    }

    /// How webhooks are delivered: the allowed networks, checked, and the
    /// key sealing secrets: the one given, else the file `key_file` (beside
    /// a database file), else (a database in memory) one for this process.
    pub fn webhook_config(
        &self,
        key_file: Option<std::path::PathBuf>,
    ) -> anyhow::Result<rapport_app::webhooks::WebhookConfig> {
        use rapport_app::webhooks::{SecretKey, SecretKeySource, WebhookConfig};
        let allowed_networks =
            rapport_core::alerts::delivery::AllowedNetworks::parse(&self.webhooks.allowed_networks)
                .map_err(anyhow::Error::msg)
                .context(
                    "[webhooks] allowed_networks in the settings file (or RAPPORT_WEBHOOKS_ALLOWED_NETWORKS)",
                )?;
        let secret_key = match (&self.webhooks.secret_key, key_file) {
            (Some(hex), _) => SecretKeySource::Given(
                SecretKey::from_hex(hex)
                    .map_err(anyhow::Error::msg)
                    .context(
                        "RAPPORT_SECRET_KEY (or [webhooks] secret_key in the settings file)",
                    )?,
            ),
            (None, Some(path)) => SecretKeySource::File(path),
            (None, None) => SecretKeySource::Ephemeral,
        };
        Ok(WebhookConfig {
            allowed_networks,
            secret_key,
            ..WebhookConfig::default()
        })
    }

    /// Each credential's request rate: `[limits]` over the defaults.
    pub fn rate_limit(&self) -> anyhow::Result<rapport_app::limits::RateLimit> {
        let default = rapport_app::limits::RateLimit::default();
        rapport_app::limits::RateLimit::new(
            self.limits.requests_per_minute.unwrap_or(default.per_minute),
            self.limits.burst.unwrap_or(default.burst),
        )
        .map_err(anyhow::Error::msg)
        .context("[limits] in the settings file (or RAPPORT_RATE_LIMIT_PER_MINUTE, RAPPORT_RATE_LIMIT_BURST)")
    }

    /// The health model (`health_model` in rapport.toml or RAPPORT_HEALTH_MODEL):
    /// the shipped `health` model unless another is named.
    pub fn health_model(&self) -> anyhow::Result<Model> {
        match self.health_model.as_deref() {
            Some(choice) => load_model(choice),
            None => Ok(Model::health()),
        }
    }
}

/// A whole number from the environment variable `name`, when set.
fn number_from_env(name: &str) -> anyhow::Result<Option<u32>> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .replace(['_', ','], "")
            .parse()
            .map(Some)
            .with_context(|| format!("{name} is `{text}`: a whole number is needed")),
        _ => Ok(None),
    }
}

/// Domains as people write them (`OurCo.com`, `@ourco.com`, with spaces)
/// made comparable: trimmed, lowercase, without `@`; empty entries dropped.
fn team_domains(written: Vec<String>) -> Vec<String> {
    let mut domains: Vec<String> = written
        .iter()
        .map(|domain| domain.trim().trim_start_matches('@').to_ascii_lowercase())
        .filter(|domain| !domain.is_empty())
        .collect();
    domains.sort();
    domains.dedup();
    domains
}

/// A shipped model by name, or a TOML model file, validated.
fn load_model(choice: &str) -> anyhow::Result<Model> {
    if let Some(model) = Model::shipped(choice) {
        return Ok(model);
    }
    let text = std::fs::read_to_string(choice).with_context(|| {
        format!(
            "model `{choice}` is neither a shipped model ({}) nor a readable file",
            Model::SHIPPED.join(", ")
        )
    })?;
    Model::from_toml(&text).with_context(|| format!("model file {choice}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://rapport:s3cret@db/rapport"),
            "postgres://rapport:***@db/rapport"
        );
        assert_eq!(redact("sqlite://rapport.db"), "sqlite://rapport.db");
        let settings = Settings {
            database_url: "postgres://u:pw@h/d".into(),
            addr: DEFAULT_ADDR.into(),
            model: None,
            health_model: None,
            tier_models: Vec::new(),
            team_domains: Vec::new(),
            tracking: TrackingSettings::default(),
            webhooks: WebhookSettings {
                allowed_networks: vec!["10.20.0.0/16".into()],
                secret_key: Some("00".repeat(32)),
            },
            user: None,
            limits: LimitSettings::default(),
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("pw"));
        assert!(!printed.contains(&"00".repeat(32)), "{printed}");
        assert!(printed.contains("10.20.0.0/16"));
    }

    #[test]
    fn the_rate_limit_is_a_setting_checked_at_start() {
        let mut settings = Settings::load(Some(Path::new("/dev/null"))).unwrap();
        settings.limits = LimitSettings::default();
        assert_eq!(
            settings.rate_limit().unwrap(),
            rapport_app::limits::RateLimit::default()
        );
        settings.limits = LimitSettings {
            requests_per_minute: Some(60_000),
            burst: None,
        };
        let limit = settings.rate_limit().unwrap();
        assert_eq!((limit.per_minute, limit.burst), (60_000, 240));
        settings.limits.burst = Some(0);
        let error = format!("{:#}", settings.rate_limit().unwrap_err());
        assert!(
            error.contains("[limits]") && error.contains("burst (0)"),
            "{error}"
        );
        let parsed: FileSettings =
            toml::from_str("[limits]\nrequests_per_minute = 30\nburst = 5\n").unwrap();
        assert_eq!(
            parsed.limits,
            LimitSettings {
                requests_per_minute: Some(30),
                burst: Some(5)
            }
        );
    }

    #[test]
    fn team_domains_are_made_comparable() {
        assert_eq!(
            team_domains(vec![
                " OurCo.com".into(),
                "@ourco.io".into(),
                "".into(),
                "ourco.com".into()
            ]),
            vec!["ourco.com".to_string(), "ourco.io".to_string()]
        );
    }

    #[test]
    fn webhook_settings_are_checked_and_name_themselves() {
        let mut settings = Settings::load(None).unwrap();
        settings.webhooks = WebhookSettings {
            allowed_networks: vec!["127.0.0.1/32".into(), " 10.20.0.0/16".into()],
            secret_key: None,
        };
        let config = settings
            .webhook_config(Some("/data/rapport.db.key".into()))
            .unwrap();
        assert_eq!(
            config.allowed_networks.to_strings(),
            ["127.0.0.1/32", "10.20.0.0/16"]
        );
        assert_eq!(
            config.secret_key,
            rapport_app::webhooks::SecretKeySource::File("/data/rapport.db.key".into())
        );
        settings.webhooks.allowed_networks = vec!["intranet".into()];
        let error = format!("{:#}", settings.webhook_config(None).unwrap_err());
        assert!(
            error.contains("allowed_networks") && error.contains("intranet"),
            "{error}"
        );
        settings.webhooks.allowed_networks.clear();
        settings.webhooks.secret_key = Some("short".into());
        let error = format!("{:#}", settings.webhook_config(None).unwrap_err());
        assert!(error.contains("RAPPORT_SECRET_KEY"), "{error}");
        assert!(!error.contains("short"), "{error}");
    }
}
