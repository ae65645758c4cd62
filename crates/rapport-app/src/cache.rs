//! What reports reuse between requests. Every cached value is keyed on the
//! inputs it depends on (the engine's revision among them), so a cache can
//! never change a figure; locks are held to look up and insert.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;

use rapport_core::ExternalId;
use rapport_core::account_success::SuccessPeerCache;
use rapport_core::engagement::{BreakdownCaches, Compare, EngagementBreakdown};
use rapport_core::engine::Window;

use crate::{AppError, lock};

/// A computed report shared between requests (`Arc`), its JSON body
/// rendered once, on first use, however many requests send it.
#[derive(Debug)]
pub struct Shared<T> {
    value: T,
    json: OnceLock<Arc<str>>,
}

impl<T: Serialize> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared {
            value,
            json: OnceLock::new(),
        }
    }

    /// The report as the API's JSON body (compact).
    pub fn json(&self) -> Result<Arc<str>, AppError> {
        if let Some(json) = self.json.get() {
            return Ok(Arc::clone(json));
        }
        let text: Arc<str> = serde_json::to_string(&self.value)
            .map_err(|error| AppError::Render(error.to_string()))?
            .into();
        Ok(Arc::clone(self.json.get_or_init(|| text)))
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

/// The inputs an engagement breakdown depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct BreakdownKey {
    pub account: ExternalId,
    pub model: String,
    pub window: Window,
    pub compare: Compare,
    /// The engine's revision and the override trails' revision.
    pub revision: (u64, u64),
}

/// At most this many whole breakdowns are kept (a dashboard's working set).
const BREAKDOWNS_KEPT: usize = 4_096;

#[derive(Default)]
pub(crate) struct Caches {
    /// Peer scores and impact fits (shared; scoring happens outside their locks).
    pub breakdown_caches: BreakdownCaches,
    pub success_peers: SuccessPeerCache,
    breakdowns: Mutex<HashMap<BreakdownKey, Arc<Shared<EngagementBreakdown>>>>,
}

impl Caches {
    pub fn breakdown(&self, key: &BreakdownKey) -> Option<Arc<Shared<EngagementBreakdown>>> {
        lock(&self.breakdowns).get(key).cloned()
    }

    pub fn keep_breakdown(&self, key: BreakdownKey, breakdown: Arc<Shared<EngagementBreakdown>>) {
        let mut kept = lock(&self.breakdowns);
        if kept.len() >= BREAKDOWNS_KEPT {
            let newest = key.revision;
            kept.retain(|cached, _| cached.revision == newest);
            if kept.len() >= BREAKDOWNS_KEPT {
                kept.clear();
            }
        }
        kept.insert(key, breakdown);
    }
}
