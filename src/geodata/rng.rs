//! SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator. Every random choice of the
//! generator draws from a stream keyed by (seed, unit code, purpose), so one unit's result does not
//! depend on the order in which units are processed, on threads, or on `only_province`.

/// What a stream is used for; part of its key, so that two uses for the same unit differ.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    /// Seeds and relaxation of the partition of a unit into its children.
    Partition = 1,
    /// How many children (grids, micro-grids) a unit gets.
    ChildCount = 2,
    /// The demo population's density: where people live and how well served a community is.
    Density = 3,
    /// The made-up road names of a community.
    Roads = 4,
    /// Placing, naming and describing the demo facilities of one kind in one unit.
    Facilities = 5,
    /// Which communities go without a facility of one kind.
    FacilityGaps = 6,
    /// The demo households of one micro-grid.
    Households = 7,
}

#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The stream for one purpose of one unit. Codes are digit strings; they are hashed as bytes
    /// so that any string works.
    pub(crate) fn for_unit(seed: u64, code: &str, purpose: Purpose) -> SplitMix64 {
        let mut h = SplitMix64::new(seed ^ 0x5851_F42D_4C95_7F2D).next_u64();
        for b in code.bytes() {
            h = SplitMix64::new(h ^ u64::from(b)).next_u64();
        }
        SplitMix64::new(h ^ (purpose as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `lo..=hi` (multiply-shift; the bias is below 2^-50 for small ranges).
    pub(crate) fn range_inclusive(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo + 1) as u128;
        lo + ((u128::from(self.next_u64()) * span) >> 64) as usize
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// An index drawn with probability proportional to its weight, given the running sums of
    /// the weights (`cumulative[i]` = weights 0..=i); 0 when every weight is zero.
    pub(crate) fn pick_cumulative(&mut self, cumulative: &[f64]) -> usize {
        let Some(&total) = cumulative.last() else {
            return 0;
        };
        let target = self.next_f64() * total;
        cumulative
            .partition_point(|&c| c <= target)
            .min(cumulative.len() - 1)
    }

    /// One of `items`, uniformly; `None` when there are none.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.range_inclusive(0, items.len() - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // First outputs for seed 1234567 of the reference C implementation.
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn streams_differ_by_unit_and_purpose_and_repeat_for_the_same_key() {
        let a = SplitMix64::for_unit(7, "350203001", Purpose::Partition).next_u64();
        let b = SplitMix64::for_unit(7, "350203001", Purpose::ChildCount).next_u64();
        let c = SplitMix64::for_unit(7, "350203003", Purpose::Partition).next_u64();
        let a2 = SplitMix64::for_unit(7, "350203001", Purpose::Partition).next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, a2);
    }

    #[test]
    fn weighted_picks_follow_the_weights_and_skip_zero_weights() {
        let mut r = SplitMix64::new(2);
        // weights 1, 0, 3
        let cumulative = [1.0, 1.0, 4.0];
        let mut counts = [0usize; 3];
        for _ in 0..4000 {
            counts[r.pick_cumulative(&cumulative)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((800..1200).contains(&counts[0]), "{counts:?}");
        assert_eq!(r.pick::<u8>(&[]), None);
    }

    #[test]
    fn ranges_stay_within_bounds() {
        let mut r = SplitMix64::new(1);
        for _ in 0..1000 {
            let v = r.range_inclusive(3, 6);
            assert!((3..=6).contains(&v));
            let f = r.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
    }
}
