//! Request rate limits per credential: a token bucket for each API token or
//! browser session (keyed by a digest of its secret, never the secret), so
//! one runaway script cannot starve everyone else. The instant is a
//! parameter; nothing here reads a clock.

use std::collections::HashMap;
use std::sync::Mutex;

use rapport_core::Timestamp;

use crate::{App, AppError, AppResult};

/// How many requests a credential may make: `per_minute` on average, up to
/// `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl RateLimit {
    /// A limit as a deployment sets it: both figures at least 1.
    pub fn new(per_minute: u32, burst: u32) -> Result<Self, String> {
        if per_minute == 0 || burst == 0 {
            return Err(format!(
                "requests_per_minute ({per_minute}) and burst ({burst}) must each be at least 1"
            ));
        }
        Ok(RateLimit { per_minute, burst })
    }
}

impl Default for RateLimit {
    /// 20 requests a second on average, 240 at once: far above what a person
    /// or a page does, well below what would slow the server for others.
    fn default() -> Self {
        RateLimit {
            per_minute: 1_200,
            burst: 240,
        }
    }
}

/// Buckets idle this long are forgotten when the map grows.
const IDLE_MS: i64 = 10 * 60 * 1000;
/// The map is pruned of idle buckets when it holds this many.
const PRUNE_AT: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: i64,
}

/// The limit in force and each credential's bucket.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    state: Mutex<(RateLimit, HashMap<[u8; 32], Bucket>)>,
}

impl RateLimits {
    pub(crate) fn new(limit: RateLimit) -> Self {
        RateLimits {
            state: Mutex::new((limit, HashMap::new())),
        }
    }

    /// Takes one request from `key`'s bucket at `now`: `Err(seconds)` to wait
    /// before the next is allowed.
    pub(crate) fn take(&self, key: [u8; 32], now: i64) -> Result<(), u64> {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (limit, buckets) = &mut *guard;
        let (per_minute, burst) = (
            f64::from(limit.per_minute.max(1)),
            f64::from(limit.burst.max(1)),
        );
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, bucket| now - bucket.at < IDLE_MS);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed_minutes = (now - bucket.at).max(0) as f64 / 60_000.0;
        bucket.tokens = (bucket.tokens + elapsed_minutes * per_minute).min(burst);
        bucket.at = now.max(bucket.at);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            // Whole milliseconds first, so float dust never adds a second.
            let wait_ms = ((1.0 - bucket.tokens) / per_minute * 60_000.0).round() as u64;
            Err(wait_ms.div_ceil(1_000).max(1))
        }
    }
}

impl App {
    /// Sets the rate limit every credential gets from now on.
    pub fn set_rate_limit(&self, limit: RateLimit) {
        let mut guard = self
            .limits
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.0 = limit;
        guard.1.clear();
    }

    /// Counts one request made with `secret` (an API token or a session's
    /// secret) at `now`; refused with the seconds to wait when its bucket
    /// is empty.
    pub fn take_request(&self, secret: &str, now: Timestamp) -> AppResult<()> {
        self.limits
            .take(crate::identity::secret_hash(secret), now.millis())
            .map_err(|retry_after_seconds| AppError::RateLimited {
                retry_after_seconds,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let limits = RateLimits::default();
        limits.state.lock().unwrap().0 = RateLimit {
            per_minute: 60,
            burst: 3,
        };
        let key = [1; 32];
        for _ in 0..3 {
            assert_eq!(limits.take(key, 0), Ok(()));
        }
        assert_eq!(limits.take(key, 0), Err(1));
        // Another credential has its own bucket.
        assert_eq!(limits.take([2; 32], 0), Ok(()));
        // One request a second comes back.
        assert_eq!(limits.take(key, 999), Err(1));
        assert_eq!(limits.take(key, 1_000), Ok(()));
        assert_eq!(limits.take(key, 1_000), Err(1));
        // Never more than the burst, however long it rested.
        for _ in 0..3 {
            assert_eq!(limits.take(key, 3_600_000), Ok(()));
        }
        assert!(limits.take(key, 3_600_000).is_err());
    }

    #[test]
    fn a_slow_rate_says_how_long_to_wait() {
        let limits = RateLimits::default();
        limits.state.lock().unwrap().0 = RateLimit {
            per_minute: 2,
            burst: 1,
        };
        assert_eq!(limits.take([1; 32], 0), Ok(()));
        assert_eq!(limits.take([1; 32], 0), Err(30));
        assert_eq!(limits.take([1; 32], 10_000), Err(20));
    }
}
