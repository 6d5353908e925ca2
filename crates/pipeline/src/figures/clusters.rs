//! Grids of images per cluster, each row labelled with what its cluster holds: its size, its
//! majority class and that class's share of it (its purity).

use super::{GridRow, ImageGrid, class_colour, gray_pixels};
use crate::error::{PipelineError, Result};

/// The make-up of one cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterProfile {
    /// The cluster's index.
    pub cluster: u32,
    /// Images in the cluster.
    pub size: usize,
    /// The most frequent class in the cluster (the smallest index among ties); `None` when the
    /// cluster is empty.
    pub majority: Option<u8>,
    /// The majority class's share of the cluster, in [0, 1]; 0 when the cluster is empty.
    pub purity: f64,
}

impl ClusterProfile {
    /// A three-line label: the cluster, its majority class with its share, and its size, e.g.
    /// `"cluster 3\nTrouser 94 %\n212 images"`. Classes without a name are shown by number.
    pub fn describe(&self, class_names: &[String]) -> String {
        let majority = match self.majority {
            Some(class) => {
                let name = class_names
                    .get(usize::from(class))
                    .cloned()
                    .unwrap_or_else(|| format!("class {class}"));
                format!("{name} {:.0} %", 100.0 * self.purity)
            }
            None => "empty".to_string(),
        };
        let images = if self.size == 1 { "image" } else { "images" };
        format!(
            "cluster {}\n{majority}\n{} {images}",
            self.cluster, self.size
        )
    }
}

/// The profile of every cluster `0..n_clusters` of `clusters`, whose images have the classes
/// `classes` (one per image). Clusters `>= n_clusters` are not counted.
///
/// # Errors
/// [`PipelineError::Figure`] if `classes` and `clusters` differ in length.
pub fn cluster_profiles(
    classes: &[u8],
    clusters: &[u32],
    n_clusters: usize,
) -> Result<Vec<ClusterProfile>> {
    if classes.len() != clusters.len() {
        return Err(PipelineError::Figure(format!(
            "{} classes but {} cluster labels",
            classes.len(),
            clusters.len()
        )));
    }
    let mut counts = vec![[0usize; 256]; n_clusters];
    for (&class, &cluster) in classes.iter().zip(clusters) {
        if let Some(row) = counts.get_mut(cluster as usize) {
            row[usize::from(class)] += 1;
        }
    }
    Ok(counts
        .iter()
        .enumerate()
        .map(|(cluster, row)| {
            let size: usize = row.iter().sum();
            // The first of the largest counts: `max_by_key` keeps the last, so search reversed.
            let (class, &top) = row
                .iter()
                .enumerate()
                .rev()
                .max_by_key(|&(_, n)| n)
                .unwrap_or((0, &0));
            ClusterProfile {
                cluster: cluster as u32,
                size,
                majority: (size > 0).then_some(class as u8),
                purity: if size > 0 {
                    top as f64 / size as f64
                } else {
                    0.0
                },
            }
        })
        .collect())
}

/// `profiles` ordered by majority class, then by falling size; empty clusters last.
pub(super) fn by_majority(mut profiles: Vec<ClusterProfile>) -> Vec<ClusterProfile> {
    profiles.sort_by(|a, b| {
        (a.majority.is_none(), a.majority)
            .cmp(&(b.majority.is_none(), b.majority))
            .then(b.size.cmp(&a.size))
    });
    profiles
}

/// Up to `per_cluster` images of each cluster of `set` (`clusters`, one per image), drawn with
/// seed 0: one row per cluster, ordered by majority class and then by falling size, labelled by
/// [`ClusterProfile::describe`] beside a swatch in the majority class's colour. Empty clusters
/// come last.
///
/// # Errors
/// [`PipelineError::Figure`] if `clusters` does not have one entry per image of `set`.
pub fn cluster_grid(
    title: impl Into<String>,
    set: &fmnist_io::Dataset,
    clusters: &[u32],
    per_cluster: usize,
) -> Result<ImageGrid> {
    let n_clusters = clusters.iter().max().map_or(0, |&m| m as usize + 1);
    let profiles = by_majority(cluster_profiles(set.labels(), clusters, n_clusters)?);
    let groups = fmnist_io::sample_per_group(clusters, n_clusters, per_cluster, 0);
    let rows = profiles
        .iter()
        .map(|p| GridRow {
            label: p.describe(set.class_names()),
            swatch: p.majority.map(|c| class_colour(usize::from(c))),
            images: groups[p.cluster as usize]
                .iter()
                .filter_map(|&i| set.image(i))
                .map(gray_pixels)
                .collect(),
        })
        .collect();
    Ok(ImageGrid {
        title: title.into(),
        height: set.rows(),
        width: set.cols(),
        scale: 2,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_count_sizes_majorities_and_purities() {
        let classes = [1u8, 1, 2, 0, 0, 2, 2];
        let clusters = [0u32, 0, 0, 1, 1, 1, 1];
        let p = cluster_profiles(&classes, &clusters, 3).unwrap();
        assert_eq!((p[0].size, p[0].majority), (3, Some(1)));
        assert!((p[0].purity - 2.0 / 3.0).abs() < 1e-12);
        // A tie between classes 0 and 2 goes to the smaller index.
        assert_eq!((p[1].size, p[1].majority, p[1].purity), (4, Some(0), 0.5));
        assert_eq!((p[2].size, p[2].majority, p[2].purity), (0, None, 0.0));
    }

    #[test]
    fn labels_name_the_majority_class_its_share_and_the_size() {
        let names = vec!["T-shirt/top".to_string(), "Trouser".to_string()];
        let p = cluster_profiles(&[1, 1, 1, 0], &[3, 3, 3, 3], 4).unwrap();
        assert_eq!(p[3].describe(&names), "cluster 3\nTrouser 75 %\n4 images");
        assert_eq!(p[0].describe(&names), "cluster 0\nempty\n0 images");
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        assert!(cluster_profiles(&[0, 1], &[0], 1).is_err());
    }
}
