//! The product's feature catalogue written to `features.csv`.

/// How much a feature counts in feature breadth (`definitions.md` §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Importance {
    Core,
    Advanced,
    Basic,
}

impl Importance {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Importance::Core => "core",
            Importance::Advanced => "advanced",
            Importance::Basic => "basic",
        }
    }

    /// How much more often a feature of this importance is used once adopted.
    pub(crate) fn popularity(self) -> f64 {
        match self {
            Importance::Core => 3.0,
            Importance::Basic => 2.0,
            Importance::Advanced => 1.0,
        }
    }

    /// Scales an account's adoption threshold: core features are adopted first,
    /// advanced ones last.
    pub(crate) fn adoption_difficulty(self) -> f64 {
        match self {
            Importance::Core => 0.6,
            Importance::Basic => 0.9,
            Importance::Advanced => 1.1,
        }
    }
}

pub(crate) struct Feature {
    pub key: &'static str,
    pub name: &'static str,
    pub importance: Importance,
}

const fn feature(key: &'static str, name: &'static str, importance: Importance) -> Feature {
    Feature {
        key,
        name,
        importance,
    }
}

pub(crate) const FEATURES: &[Feature] = &[
    feature("dashboards", "Dashboards", Importance::Core),
    feature("reports", "Reports", Importance::Core),
    feature("data_import", "Data Import", Importance::Core),
    feature("alerts", "Alerts", Importance::Core),
    feature("workflows", "Workflows", Importance::Core),
    feature("integrations", "Integrations", Importance::Core),
    feature("user_management", "User Management", Importance::Core),
    feature("api_access", "API Access", Importance::Advanced),
    feature("custom_fields", "Custom Fields", Importance::Advanced),
    feature("automation_rules", "Automation Rules", Importance::Advanced),
    feature("forecasting", "Forecasting", Importance::Advanced),
    feature("sso", "Single Sign-On", Importance::Advanced),
    feature("audit_log", "Audit Log", Importance::Advanced),
    feature("sandbox", "Sandbox", Importance::Advanced),
    feature("csv_export", "CSV Export", Importance::Basic),
    feature("search", "Search", Importance::Basic),
    feature("comments", "Comments", Importance::Basic),
    feature("notifications", "Notifications", Importance::Basic),
    feature("mobile_app", "Mobile App", Importance::Basic),
    feature("templates", "Templates", Importance::Basic),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_every_importance_is_present() {
        let mut keys: Vec<&str> = FEATURES.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), FEATURES.len());
        for importance in [Importance::Core, Importance::Advanced, Importance::Basic] {
            assert!(
                FEATURES
                    .iter()
                    .filter(|f| f.importance == importance)
                    .count()
                    >= 5
            );
        }
        for key in crate::words::UNCATALOGUED_FEATURES {
            assert!(!keys.contains(key), "{key} is in the catalogue");
        }
    }
}
