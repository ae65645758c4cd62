//! Statistics shared by the engagement and success engines (a leaf: it
//! imports nothing of the crate): the mid-rank percentile and the peer average.

/// Mid-rank percentile of `value` among `peers` (which include the account
/// itself): 100 × (peers below + ½ × peers equal) ÷ peers. `None` without peers.
pub fn mid_rank_percentile(value: f64, peers: &[f64]) -> Option<f64> {
    if peers.is_empty() {
        return None;
    }
    let below = peers.iter().filter(|peer| **peer < value).count() as f64;
    let equal = peers.iter().filter(|peer| **peer == value).count() as f64;
    Some(100.0 * (below + 0.5 * equal) / peers.len() as f64)
}

/// The mean of the peers' values; `None` without peers.
pub fn peer_average(peers: &[f64]) -> Option<f64> {
    (!peers.is_empty()).then(|| peers.iter().sum::<f64>() / peers.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_rank_percentiles() {
        let peers = [40.0, 55.0, 72.0, 72.0, 90.0];
        // 2 below, 2 equal (the account and one peer): (2 + 1) / 5 = 60th.
        assert_eq!(mid_rank_percentile(72.0, &peers), Some(60.0));
        assert_eq!(mid_rank_percentile(40.0, &peers), Some(10.0));
        assert_eq!(mid_rank_percentile(90.0, &peers), Some(90.0));
        assert_eq!(mid_rank_percentile(90.0, &[90.0]), Some(50.0));
        assert_eq!(mid_rank_percentile(1.0, &[]), None);
        assert_eq!(peer_average(&peers), Some(65.8));
    }
}
