//! Whose address is it: the one rule every import that meets e-mail addresses
//! (mail, calendar, help-desk tickets) uses to find an account. An address
//! belongs to the account of the stored contact with that address (ignoring
//! case); failing that, to the account its domain belongs to, when the
//! domain belongs to exactly one account through its contacts. Public mail
//! domains (gmail.com…) never count. Nothing else is tried: addresses that
//! match no account, or several, are answered with the reason
//! ([`NoAccount`]), never guessed.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use rapport_core::{Contact, ExternalId};

/// Domains the public gets its mail on: a contact's address on one tells no
/// account (one customer's admin on gmail.com does not make every gmail.com
/// sender that customer).
pub const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
];

/// The part after the `@`.
pub fn domain_of(address: &str) -> Option<&str> {
    address.rsplit_once('@').map(|(_, domain)| domain)
}

/// The stored contacts by address, and the domains that belong to exactly
/// one account.
#[derive(Debug, Default)]
pub struct ContactDirectory {
    contacts: HashMap<String, ExternalId>,
    /// `None`: the domain is several accounts'.
    domains: HashMap<String, Option<ExternalId>>,
}

/// How the accounts of [`NoAccount::Several`] were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Contacts,
    Domains,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Contacts => "contacts",
            MatchedBy::Domains => "domains",
        }
    }
}

/// Why addresses (or domains) give no one account. Its `Display` is the
/// reason as the mail import words it; other imports may word it their way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAccount {
    /// There was nothing to look up.
    Nothing,
    /// No contact has the addresses and none of their domains is one
    /// account's. `shown` lists them (up to three, then how many more).
    Unknown { shown: String },
    /// No contact has the addresses, and `domain` (one of theirs) is several
    /// accounts'.
    SharedDomain { shown: String, domain: String },
    /// The addresses are contacts (or domains) of several accounts, in order.
    Several {
        by: MatchedBy,
        accounts: Vec<ExternalId>,
    },
}

impl NoAccount {
    /// The accounts of [`NoAccount::Several`], comma-separated.
    pub fn accounts_listed(accounts: &[ExternalId]) -> String {
        accounts
            .iter()
            .map(ExternalId::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for NoAccount {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoAccount::Nothing => write!(formatter, "no address to find an account by"),
            NoAccount::Unknown { shown } => write!(
                formatter,
                "no account has {shown} as a contact or a contact's domain"
            ),
            NoAccount::SharedDomain { shown, domain } => write!(
                formatter,
                "no contact has {shown}, and the domain {domain} is several accounts'; not guessed"
            ),
            NoAccount::Several { by, accounts } => write!(
                formatter,
                "the addresses are {} of several accounts ({}); not guessed",
                by.as_str(),
                NoAccount::accounts_listed(accounts)
            ),
        }
    }
}

impl ContactDirectory {
    pub fn new(contacts: &[Contact]) -> Self {
        let mut directory = ContactDirectory::default();
        for contact in contacts {
            // `Email` is lowercased when parsed; lowercase again so the rule
            // does not rest on that.
            let address = contact.email.as_str().to_ascii_lowercase();
            if let Some(domain) = domain_of(&address)
                && !PUBLIC_MAIL_DOMAINS.contains(&domain)
            {
                directory
                    .domains
                    .entry(domain.to_string())
                    .and_modify(|owner| {
                        if owner.as_ref() != Some(&contact.account) {
                            *owner = None;
                        }
                    })
                    .or_insert_with(|| Some(contact.account.clone()));
            }
            directory.contacts.insert(address, contact.account.clone());
        }
        directory
    }

    /// The one account `addresses` (lowercase) belong to: by contact when any
    /// is a contact, else by domain.
    pub fn account_of(&self, addresses: &[&str]) -> Result<ExternalId, NoAccount> {
        if addresses.is_empty() {
            return Err(NoAccount::Nothing);
        }
        let by_contact: BTreeSet<&ExternalId> = addresses
            .iter()
            .filter_map(|address| self.contacts.get(*address))
            .collect();
        if !by_contact.is_empty() {
            return one_account(by_contact, MatchedBy::Contacts);
        }
        let domains: Vec<&str> = addresses
            .iter()
            .filter_map(|address| domain_of(address))
            .collect();
        self.by_domains(&domains).map_err(|error| match error {
            NoAccount::Unknown { .. } => NoAccount::Unknown {
                shown: list(addresses),
            },
            NoAccount::SharedDomain { domain, .. } => NoAccount::SharedDomain {
                shown: list(addresses),
                domain,
            },
            other => other,
        })
    }

    /// The one account `domains` (lowercase) belong to through the contacts'
    /// domains (a help-desk organisation's domain names, say). Public mail
    /// domains and domains of several accounts tell nothing.
    pub fn account_of_domains(&self, domains: &[&str]) -> Result<ExternalId, NoAccount> {
        if domains.is_empty() {
            return Err(NoAccount::Nothing);
        }
        self.by_domains(domains)
    }

    fn by_domains(&self, domains: &[&str]) -> Result<ExternalId, NoAccount> {
        let by_domain: BTreeSet<&ExternalId> = domains
            .iter()
            .filter_map(|domain| self.domains.get(*domain)?.as_ref())
            .collect();
        if !by_domain.is_empty() {
            return one_account(by_domain, MatchedBy::Domains);
        }
        match domains
            .iter()
            .find(|domain| matches!(self.domains.get(**domain), Some(None)))
        {
            Some(shared) => Err(NoAccount::SharedDomain {
                shown: list(domains),
                domain: (*shared).to_string(),
            }),
            None => Err(NoAccount::Unknown {
                shown: list(domains),
            }),
        }
    }
}

fn one_account(found: BTreeSet<&ExternalId>, by: MatchedBy) -> Result<ExternalId, NoAccount> {
    let mut accounts: Vec<ExternalId> = found.into_iter().cloned().collect();
    if accounts.len() == 1 {
        Ok(accounts.remove(0))
    } else {
        Err(NoAccount::Several { by, accounts })
    }
}

/// Up to three items, then how many more.
pub fn list(items: &[&str]) -> String {
    let shown: Vec<&str> = items.iter().take(3).copied().collect();
    let more = items.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use rapport_core::{ContactRole, Email};

    use super::*;

    fn contact(account: &str, email: &str) -> Contact {
        Contact {
            account: ExternalId::parse(account).unwrap(),
            email: Email::parse(email).unwrap(),
            name: String::new(),
            role: ContactRole::User,
            department: String::new(),
            title: String::new(),
        }
    }

    fn directory() -> ContactDirectory {
        ContactDirectory::new(&[
            contact("acme", "Sarah.Chen@acme.com"),
            contact("acme", "tom@acme.com"),
            contact("globex", "it@globex.com"),
            contact("globex", "globex.admin@gmail.com"),
            // A holding's domain shared by two accounts matches neither.
            contact("initech-us", "ann@initech.com"),
            contact("initech-eu", "bob@initech.com"),
        ])
    }

    fn account(result: Result<ExternalId, NoAccount>) -> String {
        result.unwrap().as_str().to_string()
    }

    #[test]
    fn a_contact_then_a_domain_of_one_account() {
        let directory = directory();
        assert_eq!(
            account(directory.account_of(&["sarah.chen@acme.com"])),
            "acme"
        );
        assert_eq!(
            account(directory.account_of(&["new.person@acme.com"])),
            "acme"
        );
        // A contact wins over a domain: the contact is exact.
        assert_eq!(
            account(directory.account_of(&["globex.admin@gmail.com", "someone@acme.com"])),
            "globex"
        );
    }

    #[test]
    fn public_shared_and_unknown_domains_match_nothing() {
        let directory = directory();
        let public = directory.account_of(&["stranger@gmail.com"]).unwrap_err();
        assert_eq!(
            public.to_string(),
            "no account has stranger@gmail.com as a contact or a contact's domain"
        );
        let shared = directory.account_of(&["carol@initech.com"]).unwrap_err();
        assert_eq!(
            shared.to_string(),
            "no contact has carol@initech.com, and the domain initech.com is several \
             accounts'; not guessed"
        );
        let several = directory
            .account_of(&["tom@acme.com", "it@globex.com"])
            .unwrap_err();
        assert_eq!(
            several.to_string(),
            "the addresses are contacts of several accounts (acme, globex); not guessed"
        );
        // The contact is exact even on a shared domain.
        assert_eq!(
            account(directory.account_of(&["ann@initech.com"])),
            "initech-us"
        );
        assert_eq!(directory.account_of(&[]), Err(NoAccount::Nothing));
    }

    #[test]
    fn domains_alone() {
        let directory = directory();
        assert_eq!(account(directory.account_of_domains(&["acme.com"])), "acme");
        assert_eq!(
            account(directory.account_of_domains(&["unknown.example", "globex.com"])),
            "globex"
        );
        // A public domain is nobody's, even when a contact is on it.
        assert_eq!(
            directory.account_of_domains(&["gmail.com"]),
            Err(NoAccount::Unknown {
                shown: "gmail.com".into()
            })
        );
        assert_eq!(
            directory.account_of_domains(&["initech.com"]),
            Err(NoAccount::SharedDomain {
                shown: "initech.com".into(),
                domain: "initech.com".into()
            })
        );
        assert_eq!(
            directory.account_of_domains(&["acme.com", "globex.com"]),
            Err(NoAccount::Several {
                by: MatchedBy::Domains,
                accounts: vec![
                    ExternalId::parse("acme").unwrap(),
                    ExternalId::parse("globex").unwrap()
                ]
            })
        );
    }

    #[test]
    fn several_lists_up_to_three_then_counts() {
        assert_eq!(
            list(&["a@x", "b@x", "c@x", "d@x", "e@x"]),
            "a@x, b@x, c@x and 2 more"
        );
    }
}
