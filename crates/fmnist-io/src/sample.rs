//! Seeded draws of a few members of each group (class or cluster), for figures.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::split::shuffle;

/// Up to `per_group` indices of each group `0..n_groups`, drawn at random with `seed`: element
/// `g` of the result lists members of group `g` (entries of `groups` equal to `g`). Entries
/// `>= n_groups` are ignored. The same seed gives the same draw on every platform.
///
/// ```
/// let clusters = [2u32, 0, 2, 1, 2, 0];
/// let picked = fmnist_io::sample_per_group(&clusters, 3, 2, 0);
/// assert_eq!(picked.len(), 3);
/// assert!(picked[2].iter().all(|&i| clusters[i] == 2) && picked[2].len() == 2);
/// ```
pub fn sample_per_group<G: Copy + Into<u64>>(
    groups: &[G],
    n_groups: usize,
    per_group: usize,
    seed: u64,
) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); n_groups];
    for (i, &g) in groups.iter().enumerate() {
        if let Some(group) = usize::try_from(g.into())
            .ok()
            .and_then(|g| members.get_mut(g))
        {
            group.push(i);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for group in &mut members {
        shuffle(group, &mut rng);
        group.truncate(per_group);
    }
    members
}

impl Dataset {
    /// Up to `per_class` indices of each class, drawn at random with `seed`, one list per class.
    pub fn sample_by_class(&self, per_class: usize, seed: u64) -> Vec<Vec<usize>> {
        sample_per_group(self.labels(), self.n_classes(), per_class, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::numbered_class_names;

    #[test]
    fn samples_come_from_their_class() {
        let labels: Vec<u8> = (0..30).map(|i| (i % 3) as u8).collect();
        let ds = Dataset::new(vec![0; 30], labels, 1, 1, numbered_class_names(3)).unwrap();
        let groups = ds.sample_by_class(4, 0);
        assert_eq!(groups.len(), 3);
        for (class, group) in groups.iter().enumerate() {
            assert_eq!(group.len(), 4);
            assert!(group.iter().all(|&i| usize::from(ds.labels()[i]) == class));
        }
        assert_eq!(groups, ds.sample_by_class(4, 0));
        assert_ne!(groups, ds.sample_by_class(4, 1));
    }

    #[test]
    fn small_and_unknown_groups() {
        let picked = sample_per_group(&[0u64, 5, 0], 2, 10, 0);
        assert_eq!(picked[0].len(), 2);
        assert!(picked[1].is_empty());
    }
}
