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
        let text: Arc<str> = crate::render::json(&self.value, false)
            .map_err(AppError::Render)?
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

/// At most this many whole breakdowns are kept (a dashboard's working set of
/// the current second; each is tens of kilobytes with its rendered JSON).
const BREAKDOWNS_KEPT: usize = 256;

/// One breakdown, computed by the first request that needs it while the
/// others wait for it (not each computing it again); `None` inside when the
/// computation failed (the caller computes again and reports the error).
type BreakdownSlot = Arc<OnceLock<Option<Arc<Shared<EngagementBreakdown>>>>>;

#[derive(Default)]
pub(crate) struct Caches {
    /// Peer scores and impact fits (shared; scoring happens outside their locks).
    pub breakdown_caches: BreakdownCaches,
    pub success_peers: SuccessPeerCache,
    breakdowns: Mutex<HashMap<BreakdownKey, BreakdownSlot>>,
}

impl Caches {
    /// The breakdown of `key`, computed once by `compute` however many
    /// requests ask for it at the same time.
    pub fn breakdown(
        &self,
        key: BreakdownKey,
        compute: impl FnOnce() -> Result<Shared<EngagementBreakdown>, AppError>,
    ) -> Result<Arc<Shared<EngagementBreakdown>>, AppError> {
        let slot = {
            let mut kept = lock(&self.breakdowns);
            if !kept.contains_key(&key) && kept.len() >= BREAKDOWNS_KEPT {
                // Keep what the newest state and instant can still be asked for.
                let (newest, window) = (key.revision, key.window);
                kept.retain(|cached, _| cached.revision == newest && cached.window == window);
                if kept.len() >= BREAKDOWNS_KEPT {
                    kept.clear();
                }
            }
            Arc::clone(kept.entry(key).or_default())
        };
        let mut failure = None;
        let computed = slot.get_or_init(|| match compute() {
            Ok(breakdown) => Some(Arc::new(breakdown)),
            Err(error) => {
                failure = Some(error);
                None
            }
        });
        match (computed, failure) {
            (Some(breakdown), _) => Ok(Arc::clone(breakdown)),
            (None, Some(error)) => Err(error),
            (None, None) => Err(AppError::Conflict(
                "the breakdown could not be computed; try again".into(),
            )),
        }
    }
}
