//! Whose message is it: the customer-side addresses of a message matched to
//! an account through the stored contacts (the address, ignoring case), else
//! through the contacts' domains when a domain belongs to exactly one account.
//! Nothing else is tried: a message that matches no account, or several, is
//! reported with the reason, never guessed.

use std::collections::{BTreeSet, HashMap};

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

/// The stored contacts by address, and the domains that belong to exactly
/// one account.
#[derive(Debug, Default)]
pub struct ContactDirectory {
    contacts: HashMap<String, ExternalId>,
    /// `None`: the domain is several accounts'.
    domains: HashMap<String, Option<ExternalId>>,
}

impl ContactDirectory {
    pub fn new(contacts: &[Contact]) -> Self {
        let mut directory = ContactDirectory::default();
        for contact in contacts {
            // `Email` is lowercased when parsed.
            let address = contact.email.as_str();
            if let Some(domain) = domain_of(address)
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
            directory
                .contacts
                .insert(address.to_string(), contact.account.clone());
        }
        directory
    }

    /// The one account the customer-side `addresses` (lowercase) belong to:
    /// by contact when any is a contact, else by domain. `Err` says why not.
    pub fn account_of(&self, addresses: &[&str]) -> Result<ExternalId, String> {
        let by_contact: BTreeSet<&ExternalId> = addresses
            .iter()
            .filter_map(|address| self.contacts.get(*address))
            .collect();
        let (found, how) = if by_contact.is_empty() {
            let by_domain: BTreeSet<&ExternalId> = addresses
                .iter()
                .filter_map(|address| self.domains.get(domain_of(address)?)?.as_ref())
                .collect();
            (by_domain, "domains")
        } else {
            (by_contact, "contacts")
        };
        let mut found = found.into_iter();
        match (found.next(), found.next()) {
            (Some(account), None) => Ok(account.clone()),
            (None, _) => {
                let shared: Vec<&str> = addresses
                    .iter()
                    .filter_map(|address| domain_of(address))
                    .filter(|domain| matches!(self.domains.get(*domain), Some(None)))
                    .collect();
                if shared.is_empty() {
                    Err(format!(
                        "no account has {} as a contact or a contact's domain",
                        list(addresses)
                    ))
                } else {
                    Err(format!(
                        "no contact has {}, and the domain {} is several accounts'; not guessed",
                        list(addresses),
                        shared[0]
                    ))
                }
            }
            (Some(first), Some(second)) => {
                let mut accounts = vec![first.as_str(), second.as_str()];
                accounts.extend(found.map(ExternalId::as_str));
                Err(format!(
                    "the addresses are {how} of several accounts ({}); not guessed",
                    accounts.join(", ")
                ))
            }
        }
    }
}

/// Up to three addresses, then how many more.
fn list(addresses: &[&str]) -> String {
    let shown: Vec<&str> = addresses.iter().take(3).copied().collect();
    let more = addresses.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The part after the `@`.
pub fn domain_of(address: &str) -> Option<&str> {
    address.rsplit_once('@').map(|(_, domain)| domain)
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

    #[test]
    fn a_contact_then_a_domain_of_one_account() {
        let directory = directory();
        assert_eq!(
            directory
                .account_of(&["sarah.chen@acme.com"])
                .unwrap()
                .as_str(),
            "acme"
        );
        assert_eq!(
            directory
                .account_of(&["new.person@acme.com"])
                .unwrap()
                .as_str(),
            "acme"
        );
        // A contact wins over a domain: the contact is exact.
        assert_eq!(
            directory
                .account_of(&["globex.admin@gmail.com", "someone@acme.com"])
                .unwrap()
                .as_str(),
            "globex"
        );
    }

    #[test]
    fn public_shared_and_unknown_domains_match_nothing() {
        let directory = directory();
        let public = directory.account_of(&["stranger@gmail.com"]).unwrap_err();
        assert_eq!(
            public,
            "no account has stranger@gmail.com as a contact or a contact's domain"
        );
        let shared = directory.account_of(&["carol@initech.com"]).unwrap_err();
        assert_eq!(
            shared,
            "no contact has carol@initech.com, and the domain initech.com is several \
             accounts'; not guessed"
        );
        let several = directory
            .account_of(&["tom@acme.com", "it@globex.com"])
            .unwrap_err();
        assert_eq!(
            several,
            "the addresses are contacts of several accounts (acme, globex); not guessed"
        );
        // The contact is exact even on a shared domain.
        assert_eq!(
            directory.account_of(&["ann@initech.com"]).unwrap().as_str(),
            "initech-us"
        );
    }
}
