//! Every figure of the study drawn from the committed Fashion-MNIST subset: each PNG exists
//! with the size its layout gives, and the SVG of the confusion matrix matches the committed
//! snapshot `tests/snapshots/confusion.svg` (`UPDATE_SNAPSHOTS=1` rewrites it).

use std::path::{Path, PathBuf};

use fmnist_decomp::Pca;
use fmnist_io::FashionMnist;
use fmnist_pipeline::figures::{self, ConfusionMatrix, Figure, ImageGrid};

fn data() -> FashionMnist {
    fmnist_io::fixtures::small().expect("the committed subset")
}

/// Width and height of the PNG at `path`.
fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    (reader.info().width, reader.info().height)
}

/// A deterministic stand-in for a clustering of the test set: classes 0 and 6 (T-shirt/top,
/// shirt) share cluster 0, one image in seven lands in the next cluster over, cluster 10 takes
/// class 9's first images and the rest keep their class as cluster.
fn clusters_of(labels: &[u8]) -> Vec<u32> {
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| match (l, i % 7) {
            (6, _) => 0,
            (9, 0..=2) => 10,
            (l, 0) => (u32::from(l) + 1) % 10,
            (l, _) => u32::from(l),
        })
        .collect()
}

/// Rows true classes, columns clusters `0..n_clusters`.
fn counts(labels: &[u8], predicted: &[u32], n_rows: usize, n_columns: usize) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0u64; n_columns]; n_rows];
    for (&l, &p) in labels.iter().zip(predicted) {
        m[usize::from(l)][p as usize] += 1;
    }
    m
}

/// A classifier's confusion on the test set, made up from its labels: one image in five of each
/// class is taken for the next class.
fn forest_confusion(data: &FashionMnist) -> ConfusionMatrix {
    let labels = data.test.labels();
    let predicted: Vec<u32> = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            if i % 5 == 0 {
                (u32::from(l) + 1) % 10
            } else {
                u32::from(l)
            }
        })
        .collect();
    ConfusionMatrix::of_classes(
        "Random Forest, replace (accuracy 0.8000)",
        &counts(labels, &predicted, 10, 10),
        data.test.class_names(),
    )
}

/// Asserts that the PNG `name` in `dir` is `size` pixels; with `KEEP_FIGURES=<folder>` it is
/// also copied there, to be looked at.
fn check(dir: &Path, name: &str, size: (u32, u32)) {
    let path = dir.join(name);
    assert_eq!(png_size(&path), size, "{name}");
    if let Some(keep) = std::env::var_os("KEEP_FIGURES").map(PathBuf::from) {
        std::fs::copy(&path, keep.join(name)).unwrap();
    }
}

#[test]
fn image_grids_render_at_their_size() {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (&data.train, &data.test);
    let by_class = train.sample_by_class(10, 0);
    let samples = ImageGrid::of_dataset(
        "samples",
        train,
        &by_class,
        train.class_names().iter().cloned(),
        2,
    );
    samples.draw(&dir.path().join("samples.png")).unwrap();
    check(dir.path(), "samples.png", samples.size());
    // 28 x 28 images at scale 2 with 4 px gaps: 10 columns of 60 px, 10 rows of 60 px.
    assert_eq!(samples.size().1, 32 + 10 * 60 + 4);

    let clusters =
        figures::cluster_grid("clusters", test, &clusters_of(test.labels()), 10).unwrap();
    assert_eq!(clusters.rows.len(), 11);
    clusters.draw(&dir.path().join("clusters.png")).unwrap();
    check(dir.path(), "clusters.png", clusters.size());

    let pca = Pca::params(12).fit(&train.all_features()).unwrap();
    figures::eigen_images(&dir.path().join("eigen.png"), &pca.components(), 28, 28).unwrap();
    let (width, height) = png_size(&dir.path().join("eigen.png"));
    assert!(
        width > 10 * 60 && height == 32 + 2 * 60 + 4,
        "{width} x {height}"
    );
}

#[test]
fn curves_and_scatters_render_at_their_size() {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    let (train, test) = (&data.train, &data.test);
    let pca = Pca::params(10).fit(&train.all_features()).unwrap();
    figures::explained_variance(&at("variance.png"), pca.all_explained_variance_ratio(), 10)
        .unwrap();
    let projected = pca.transform(&test.all_features()).unwrap();
    let ratios = pca.explained_variance_ratio();
    figures::projection_scatter(
        &at("pcs.png"),
        &projected,
        ratios,
        test.labels(),
        test.class_names(),
    )
    .unwrap();
    let points: Vec<(f32, f32)> = (0..projected.nrows())
        .map(|i| (projected[(i, 0)], projected[(i, 1)]))
        .collect();
    let clusters: Vec<u8> = clusters_of(test.labels())
        .iter()
        .map(|&c| c as u8)
        .collect();
    let names: Vec<String> = (0..11).map(|c| format!("cluster {c}")).collect();
    figures::scatter(
        &at("by-cluster.png"),
        "by cluster",
        ("PC1", "PC2"),
        &points,
        &clusters,
        &names,
    )
    .unwrap();
    let (train_loss, validation_loss) = ([0.05, 0.031, 0.027, 0.025], [0.04, 0.03, 0.028, 0.0275]);
    figures::loss_curves(&at("loss.png"), "loss", &train_loss, &validation_loss).unwrap();
    check(dir.path(), "variance.png", (800, 500));
    check(dir.path(), "loss.png", (800, 500));
    check(dir.path(), "pcs.png", (1000, 720));
    check(dir.path(), "by-cluster.png", (1000, 720));
}

#[test]
fn confusion_matrices_render_at_their_size() {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    let test = &data.test;
    let confusion = forest_confusion(&data);
    confusion.draw(&dir.path().join("confusion.png")).unwrap();
    check(dir.path(), "confusion.png", confusion.size());
    // Ten rows of 44 px cells under a 66 px header.
    assert!(confusion.size().1 > 66 + 10 * 44);
    let contingency = ConfusionMatrix::of_clusters(
        "clusters",
        test.labels(),
        &clusters_of(test.labels()),
        test.class_names(),
    )
    .unwrap();
    contingency
        .draw(&dir.path().join("contingency.png"))
        .unwrap();
    check(dir.path(), "contingency.png", contingency.size());
    assert!(contingency.size().0 > confusion.size().0, "one more column");
}

#[test]
fn the_confusion_matrix_svg_matches_its_snapshot() {
    let svg = figures::to_svg(&forest_confusion(&data())).unwrap();
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/confusion.svg");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, &svg).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", snapshot.display()));
    if let Some((line, (got, want))) = svg
        .lines()
        .zip(expected.lines())
        .enumerate()
        .find(|(_, (got, want))| got != want)
    {
        panic!(
            "the SVG differs from {} at line {}: {got:?}, expected {want:?} \
             (UPDATE_SNAPSHOTS=1 rewrites it)",
            snapshot.display(),
            line + 1
        );
    }
    assert_eq!(
        svg.lines().count(),
        expected.lines().count(),
        "lines in the SVG"
    );
}
