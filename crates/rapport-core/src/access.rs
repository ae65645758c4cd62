//! Who may see and change what (docs/security.md): the four roles, the
//! person acting, and the rules every surface applies through the
//! application layer. Pure: the caller finds the person; this says what
//! they may do.

use serde::{Deserialize, Serialize};

use crate::domain::Account;

/// A person's role. Ordered by what it may do, least first.
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
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads every account; changes nothing.
    Viewer,
    /// Reads and changes their own accounts (and their team's when they
    /// manage one); any other account does not exist for them.
    Csm,
    /// Reads and changes every account.
    Leader,
    /// A leader who also manages people, tokens, webhooks, settings and
    /// reads the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Leader, Role::Csm, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Csm => "csm",
            Role::Leader => "leader",
            Role::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "csm" => Ok(Role::Csm),
            "leader" => Ok(Role::Leader),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "`{other}` is not a role (admin, leader, csm or viewer)"
            )),
        }
    }
}

/// What a request needs of the person making it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Read what the person's scope holds.
    Read,
    /// Change what the person's scope holds (goals, overrides, alert
    /// actions, no-shows, activities).
    Write,
    /// Manage the installation: people, tokens, webhooks, write keys,
    /// the audit log.
    Admin,
}

/// The person a request or a command acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: i64,
    /// The name accounts give as their CSM or manager, and the author of
    /// what this person changes.
    pub name: String,
    pub role: Role,
}

impl Person {
    /// Whoever runs a read on the command line without naming a user: they
    /// hold the database file, so they see every account; as a viewer they
    /// change nothing (a change names its user).
    pub fn operator() -> Person {
        Person {
            id: 0,
            name: "command line".into(),
            role: Role::Viewer,
        }
    }

    /// Whether the role grants `permission` (on the accounts it may see).
    pub fn may(&self, permission: Permission) -> bool {
        match permission {
            Permission::Read => true,
            Permission::Write => self.role >= Role::Csm,
            Permission::Admin => self.role == Role::Admin,
        }
    }

    /// Whether the person sees every account (not only their own).
    pub fn sees_every_account(&self) -> bool {
        self.role != Role::Csm
    }

    /// Whether `account` is one this person may see: every account but for
    /// a CSM, whose accounts are those naming them as CSM or as manager
    /// (names compared ignoring case and surrounding spaces).
    pub fn sees(&self, account: &Account) -> bool {
        self.sees_account_of(&account.csm, account.manager.as_deref())
    }

    /// [`Self::sees`] for an account of this CSM and manager (a listing).
    pub fn sees_account_of(&self, csm: &str, manager: Option<&str>) -> bool {
        self.sees_every_account()
            || same_name(csm, &self.name)
            || manager.is_some_and(|manager| same_name(manager, &self.name))
    }
}

/// Two people's names as one: case and surrounding spaces ignored.
pub fn same_name(left: &str, right: &str) -> bool {
    let left = left.trim();
    !left.is_empty() && left.to_lowercase() == right.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountStatus, ExternalId, Tier};

    fn account(csm: &str, manager: Option<&str>) -> Account {
        Account {
            external_id: ExternalId::parse("acc-1").unwrap(),
            name: "Acme".into(),
            tier: Tier::Core,
            arr: 0.0,
            seats: None,
            csm: csm.into(),
            status: AccountStatus::Active,
            contract_start: None,
            renewal_date: None,
            industry: String::new(),
            manager: manager.map(Into::into),
            at_risk_override: false,
        }
    }

    fn person(name: &str, role: Role) -> Person {
        Person {
            id: 1,
            name: name.into(),
            role,
        }
    }

    #[test]
    fn a_csm_sees_their_own_and_their_teams_accounts_only() {
        let dana = person(" dana whitfield ", Role::Csm);
        assert!(dana.sees(&account("Dana Whitfield", None)));
        assert!(dana.sees(&account("Marco Ruiz", Some("DANA WHITFIELD"))));
        assert!(!dana.sees(&account("Marco Ruiz", Some("Priya"))));
        assert!(!dana.sees(&account("", None)));
        for role in [Role::Viewer, Role::Leader, Role::Admin] {
            assert!(person("Nobody", role).sees(&account("Marco Ruiz", None)));
        }
    }

    #[test]
    fn permissions_follow_the_role() {
        let table = [
            (Role::Viewer, [true, false, false]),
            (Role::Csm, [true, true, false]),
            (Role::Leader, [true, true, false]),
            (Role::Admin, [true, true, true]),
        ];
        for (role, expected) in table {
            let someone = person("x", role);
            let got = [Permission::Read, Permission::Write, Permission::Admin]
                .map(|permission| someone.may(permission));
            assert_eq!(got, expected, "{role}");
        }
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(" Admin ".parse::<Role>(), Ok(Role::Admin));
        assert!(
            "owner"
                .parse::<Role>()
                .unwrap_err()
                .contains("admin, leader, csm or viewer")
        );
    }
}
