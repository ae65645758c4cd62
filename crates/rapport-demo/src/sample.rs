//! Seeded random streams and the few distributions the generator draws from.
//!
//! Every account draws from its own ChaCha8 stream (same seed, stream = its
//! index + 1), so an account's data depends only on the seed and its index:
//! accounts are independent and the portfolio can be generated one account at
//! a time. Stream 0 belongs to the CS team (CSM and manager names).
//! Success goals (goals.csv) draw from streams under a salted seed, so they
//! never shift a draw of the five contract files.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) type DemoRng = ChaCha8Rng;

/// The generator of the customer-success team (CSMs and managers).
pub(crate) fn team_rng(seed: u64) -> DemoRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(0);
    rng
}

/// The generator of account `index` (0-based).
pub(crate) fn account_rng(seed: u64, index: usize) -> DemoRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64 + 1);
    rng
}

/// Mixed into the seed of the goal streams: a key of their own.
const GOALS_SALT: u64 = 0x676f_616c_735f_6373; // "goals_cs"

/// The generator of account `index`'s success goals, apart from
/// [`account_rng`] so that adding or changing goals leaves the other files
/// byte-identical.
pub(crate) fn goal_rng(seed: u64, index: usize) -> DemoRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ GOALS_SALT);
    rng.set_stream(index as u64 + 1);
    rng
}

/// Mixed into the seed of the product-user cap streams (`Variation::max_users`).
const USER_CAP_SALT: u64 = 0x7573_6572_5f63_6170; // "user_cap"

/// The generator of account `index`'s product-user cap, apart from
/// [`account_rng`] so that the default portfolio, which draws no cap, stays
/// byte-identical.
pub(crate) fn user_cap_rng(seed: u64, index: usize) -> DemoRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ USER_CAP_SALT);
    rng.set_stream(index as u64 + 1);
    rng
}

/// Uniform in [0, 1).
#[inline]
pub(crate) fn unit(rng: &mut DemoRng) -> f64 {
    rng.random::<f64>()
}

#[inline]
pub(crate) fn chance(rng: &mut DemoRng, probability: f64) -> bool {
    unit(rng) < probability
}

#[inline]
pub(crate) fn uniform(rng: &mut DemoRng, low: f64, high: f64) -> f64 {
    low + (high - low) * unit(rng)
}

/// Uniform on a log scale: as many values between 2 and 4 as between 4 and 8.
pub(crate) fn log_uniform(rng: &mut DemoRng, low: f64, high: f64) -> f64 {
    (low.ln() + (high.ln() - low.ln()) * unit(rng)).exp()
}

/// Standard normal by Box–Muller.
pub(crate) fn standard_normal(rng: &mut DemoRng) -> f64 {
    let u1 = 1.0 - unit(rng); // (0, 1]: keeps ln finite
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub(crate) fn normal(rng: &mut DemoRng, mean: f64, sd: f64) -> f64 {
    mean + sd * standard_normal(rng)
}

/// Log-normal-ish inside `[low, high]`: most values sit in the lower part of
/// the range with a long tail up, like deal sizes in a real book of business.
pub(crate) fn skewed_in_range(rng: &mut DemoRng, low: f64, high: f64) -> f64 {
    let span = (high / low).ln();
    for _ in 0..8 {
        let value = (low.ln() + span * normal(rng, 0.2, 0.25)).exp();
        if (low..=high).contains(&value) {
            return value;
        }
    }
    low * (high / low).sqrt()
}

/// Poisson by inversion (Knuth); the rates drawn here are small.
pub(crate) fn poisson(rng: &mut DemoRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let limit = (-mean).exp();
    let mut product = unit(rng);
    let mut count = 0;
    while product > limit && count < 1000 {
        product *= unit(rng);
        count += 1;
    }
    count
}

pub(crate) fn index(rng: &mut DemoRng, len: usize) -> usize {
    rng.random_range(0..len)
}

pub(crate) fn pick<'a, T>(rng: &mut DemoRng, items: &'a [T]) -> &'a T {
    &items[index(rng, items.len())]
}

/// An index drawn with the given non-negative weights; `None` when they sum to 0.
pub(crate) fn weighted(
    rng: &mut DemoRng,
    weights: impl Iterator<Item = f64> + Clone,
) -> Option<usize> {
    let total: f64 = weights.clone().sum();
    if total <= 0.0 {
        return None;
    }
    let mut target = unit(rng) * total;
    let mut last_positive = None;
    for (position, weight) in weights.enumerate() {
        if weight > 0.0 {
            last_positive = Some(position);
            if target < weight {
                return Some(position);
            }
            target -= weight;
        }
    }
    last_positive
}

pub(crate) fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let mut first = account_rng(7, 3);
        let mut second = account_rng(7, 3);
        let mut other = account_rng(7, 4);
        let x: u64 = first.random();
        assert_eq!(x, second.random::<u64>());
        assert_ne!(x, other.random::<u64>());
        assert_ne!(x, team_rng(7).random::<u64>());
        assert_ne!(x, goal_rng(7, 3).random::<u64>());
        assert_ne!(x, user_cap_rng(7, 3).random::<u64>());
        assert_ne!(
            goal_rng(7, 3).random::<u64>(),
            user_cap_rng(7, 3).random::<u64>()
        );
        assert_eq!(
            goal_rng(7, 3).random::<u64>(),
            goal_rng(7, 3).random::<u64>()
        );
    }

    #[test]
    fn weighted_skips_zero_weights() {
        let mut rng = account_rng(1, 0);
        for _ in 0..200 {
            let chosen = weighted(&mut rng, [0.0, 2.0, 0.0, 1.0].into_iter()).unwrap();
            assert!(chosen == 1 || chosen == 3);
        }
        assert_eq!(weighted(&mut rng, [0.0, 0.0].into_iter()), None);
    }

    #[test]
    fn skewed_values_stay_in_range_and_lean_low() {
        let mut rng = account_rng(2, 0);
        let values: Vec<f64> = (0..2000)
            .map(|_| skewed_in_range(&mut rng, 100.0, 400.0))
            .collect();
        assert!(values.iter().all(|v| (100.0..=400.0).contains(v)));
        let below_middle = values.iter().filter(|v| **v < 250.0).count();
        assert!(below_middle > 1200, "{below_middle}");
    }

    #[test]
    fn poisson_mean_is_close() {
        let mut rng = account_rng(3, 0);
        let total: u32 = (0..20_000).map(|_| poisson(&mut rng, 0.7)).sum();
        let mean = f64::from(total) / 20_000.0;
        assert!((mean - 0.7).abs() < 0.03, "{mean}");
    }
}
