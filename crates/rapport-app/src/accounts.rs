//! Accounts: the one account-reference rule every surface uses, the list and
//! one account's detail.

use rapport_core::{Account, AccountListing, AccountMatch, Contact, find_account};
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// One account as `GET /api/accounts/{id}` and `rapport accounts show` print it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountDetail {
    #[serde(flatten)]
    pub account: AccountListing,
    pub contract_start: Option<String>,
    pub industry: String,
    pub contacts: Vec<Contact>,
}

fn answer(reference: &str, found: AccountMatch<'_>) -> AppResult<Account> {
    match found {
        AccountMatch::Found(account) => Ok(account.clone()),
        AccountMatch::Candidates(candidates) => Err(AppError::Ambiguous {
            reference: reference.to_string(),
            candidates: candidates.into_iter().map(AccountListing::from).collect(),
        }),
        AccountMatch::NotFound => Err(AppError::NotFound(format!(
            "no account with id or name `{reference}`"
        ))),
    }
}

impl App {
    /// Resolves an account reference by the one rule
    /// ([`rapport_core::find_account`]): UUID, then external id, then exact
    /// name ignoring case, else candidates (an error: nothing is done to a
    /// guess). Uses the engine when it is loaded, the store otherwise.
    pub fn resolve(&self, reference: &str) -> AppResult<Account> {
        if self.is_loaded() {
            let engine = self.read()?;
            return answer(reference, engine.state.find(reference));
        }
        let accounts = self.store.accounts()?;
        answer(reference, find_account(&accounts, reference))
    }

    /// Every account, ordered by external id.
    pub fn accounts(&self) -> AppResult<Vec<AccountListing>> {
        let engine = self.read()?;
        let mut listing: Vec<AccountListing> = engine
            .state
            .accounts()
            .filter_map(|state| state.account())
            .map(AccountListing::from)
            .collect();
        listing.sort_by(|left, right| left.external_id.cmp(&right.external_id));
        Ok(listing)
    }

    /// The accounts `person` may see (a CSM's own and their team's), ordered
    /// by external id.
    pub fn visible_accounts(
        &self,
        person: &rapport_core::access::Person,
    ) -> AppResult<Vec<AccountListing>> {
        let mut listing = self.accounts()?;
        listing.retain(|account| person.sees_account_of(&account.csm, account.manager.as_deref()));
        Ok(listing)
    }

    /// One account with its contacts (read from the store for that account only).
    pub fn account_detail(&self, reference: &str) -> AppResult<AccountDetail> {
        let account = self.resolve(reference)?;
        let contacts = self.store.account_contacts(&account.external_id)?;
        Ok(AccountDetail {
            account: AccountListing::from(&account),
            contract_start: account.contract_start.map(|date| date.to_string()),
            industry: account.industry.clone(),
            contacts,
        })
    }
}
