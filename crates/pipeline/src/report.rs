//! `REPORT.md`: the study's numbers beside ours, timings, environment, figures.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::paper::{N2D, PAPER, paper_pipeline};
use crate::results::Results;
use crate::study::HEADLINE;

/// File names of the figures the run draws, relative to the output directory.
pub mod figure_files {
    /// Sample images, one row per class.
    pub const SAMPLES: &str = "samples.png";
    /// Cumulative explained variance of the PCA.
    pub const PCA_VARIANCE: &str = "pca-variance.png";
    /// The principal components as images.
    pub const EIGEN_IMAGES: &str = "pca-eigen-images.png";
    /// Test images on the first two principal components.
    pub const PCA_SCATTER: &str = "pca-scatter.png";
    /// Autoencoder loss per epoch.
    pub const AE_LOSS: &str = "ae-loss.png";
    /// Test images and their reconstructions.
    pub const AE_RECONSTRUCTION: &str = "ae-reconstruction.png";
    /// Test images embedded in 2-D by UMAP, coloured by class.
    pub const UMAP_CLASSES: &str = "umap-classes.png";
    /// The same embedding coloured by the `patches-umap-gmm` clusters.
    pub const UMAP_CLUSTERS: &str = "umap-clusters.png";

    /// The confusion-matrix heatmap of a pipeline's forest (`mode`: `replace` or `add`).
    pub fn confusion(pipeline: &str, mode: &str) -> String {
        format!("{pipeline}-confusion-{mode}.png")
    }

    /// The grid of test images per cluster of a pipeline.
    pub fn clusters(pipeline: &str) -> String {
        format!("{pipeline}-clusters.png")
    }

    /// The test images counted by class and cluster (a contingency table) of a pipeline.
    pub fn contingency(pipeline: &str) -> String {
        format!("{pipeline}-contingency.png")
    }
}

fn percent(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

/// Renders the report as Markdown.
pub fn render(results: &Results) -> String {
    let mut md = String::new();
    header(&mut md, results);
    study_table(&mut md, results);
    all_scores(&mut md, results);
    gmm_comparison(&mut md, results);
    differences(&mut md);
    if !results.all_images.is_empty() {
        beyond_the_study(&mut md, results);
    }
    pca(&mut md, results);
    autoencoder(&mut md, results);
    pipelines(&mut md, results);
    timings(&mut md, results);
    environment(&mut md, results);
    md
}

/// The title, what kind of run this was, and its data.
fn header(md: &mut String, results: &Results) {
    let data = &results.dataset;
    let _ = writeln!(md, "# Fashion-MNIST clustering: the study, reproduced\n");
    if results.quick {
        let _ = writeln!(
            md,
            "> **Quick run** on a small subset with reduced settings: the numbers below check that \
             the pipeline works, they are not the study's results.\n"
        );
    } else if !data.is_fashion_mnist() {
        let _ = writeln!(
            md,
            "> **Other data** ({}): the study's columns are its Fashion-MNIST results, shown for \
             reference only.\n",
            data.source
        );
    }
    let _ = writeln!(
        md,
        "Data: {} ({} train / {} validation / {} test images), seed {}. Total time {:.1} s.\n",
        data.source, data.train, data.validation, data.test, results.seed, results.seconds_total
    );
}

/// The study's headline numbers beside ours, and the pixels-only control.
fn study_table(md: &mut String, results: &Results) {
    let data = &results.dataset;
    let _ = writeln!(md, "## The study's numbers beside ours\n");
    let _ = writeln!(
        md,
        "AMI is adjusted mutual information (the study's abstract calls it \"accuracy\"); \
         forest accuracies are on the {} test images.\n",
        data.test
    );
    let _ = writeln!(
        md,
        "| pipeline | AMI train (study / ours) | AMI test (study / ours) | RF replace (study / ours) | RF add (study / ours) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    for pipeline in &results.pipelines {
        let paper = paper_pipeline(&pipeline.name);
        let decimals = |x: f64| format!("{x:.4}");
        let cell = |theirs: Option<f64>, ours: f64, show: &dyn Fn(f64) -> String| {
            bold_best(&[theirs, Some(ours)], show).join(" / ")
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            paper.map_or(pipeline.name.as_str(), |p| p.title),
            cell(
                paper.map(|p| p.ami_train),
                pipeline.clustering.train.ami,
                &decimals
            ),
            cell(
                paper.map(|p| p.ami_test),
                pipeline.clustering.test.ami,
                &decimals
            ),
            cell(
                paper.map(|p| p.forest_replace),
                pipeline.forest.replace.accuracy,
                &percent
            ),
            cell(
                paper.map(|p| p.forest_add),
                pipeline.forest.add.accuracy,
                &percent
            ),
        );
    }
    let _ = writeln!(
        md,
        "| pixels only (the control the study lacks) | | | | {} |\n",
        percent(results.forest_pixels_only.accuracy)
    );
}

/// `values` as `show` writes them (`–` for a missing one), the best in bold: the highest as
/// shown (so figures equal as shown are bold together), whoever's it is; nothing is bold
/// where fewer than two figures are compared.
fn bold_best(values: &[Option<f64>], show: &dyn Fn(f64) -> String) -> Vec<String> {
    let shown: Vec<Option<String>> = values.iter().map(|v| v.map(show)).collect();
    let best = values
        .iter()
        .zip(&shown)
        .filter_map(|(v, s)| Some((s.as_ref()?, (*v)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| s.clone());
    let compared = shown.iter().flatten().count() >= 2;
    shown
        .into_iter()
        .map(|s| match s {
            None => "–".to_string(),
            Some(s) if compared && Some(&s) == best.as_ref() => format!("**{s}**"),
            Some(s) => s,
        })
        .collect()
}

/// Every pipeline's clustering scores on each part.
fn all_scores(md: &mut String, results: &Results) {
    let _ = writeln!(md, "### All clustering scores\n");
    let _ = writeln!(
        md,
        "| pipeline | split | AMI | NMI | ARI | accuracy (Hungarian) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for pipeline in &results.pipelines {
        for (split, s) in [
            ("train", &pipeline.clustering.train),
            ("validation", &pipeline.clustering.validation),
            ("test", &pipeline.clustering.test),
        ] {
            let _ = writeln!(
                md,
                "| {} | {split} | {:.4} | {:.4} | {:.4} | {:.4} |",
                pipeline.name, s.ami, s.nmi, s.ari, s.accuracy
            );
        }
    }
    let _ = writeln!(md);
}

/// The `ae-gmm` pipeline beside the other mixtures fitted to the same codes.
fn gmm_comparison(md: &mut String, results: &Results) {
    let Some(main) = results.pipeline("ae-gmm") else {
        return;
    };
    let _ = writeln!(md, "### Which Gaussian mixture gives what\n");
    let _ = writeln!(
        md,
        "The study fitted scikit-learn's default mixture (full covariance) to the 784-value \
         bottleneck. Full covariance on 784 dimensions costs minutes per fit, so `ae-gmm` \
         uses the configuration below marked *pipeline*; the others were fitted to the same \
         codes for comparison.\n"
    );
    let _ = writeln!(
        md,
        "| configuration | AMI train | AMI test | accuracy test |"
    );
    let _ = writeln!(md, "|---|---|---|---|");
    let _ = writeln!(
        md,
        "| {} (*pipeline*) | {:.4} | {:.4} | {:.4} |",
        main.configuration,
        main.clustering.train.ami,
        main.clustering.test.ami,
        main.clustering.test.accuracy
    );
    for v in &results.gmm_variants {
        let _ = writeln!(
            md,
            "| {} covariance on {} | {:.4} | {:.4} | {:.4} |",
            v.covariance_type,
            v.features,
            v.clustering.train.ami,
            v.clustering.test.ami,
            v.clustering.test.accuracy
        );
    }
    let _ = writeln!(md);
}

/// Where and why the study's numbers and ours differ.
fn differences(md: &mut String) {
    let _ = writeln!(md, "### Where and why the numbers differ\n");
    let _ = writeln!(
        md,
        "The study reports single runs without seeds, so its figures carry run-to-run noise of a \
         point or two; ours are exactly reproducible from the seed. Its abstract reports AMI as \
         \"accuracy\" — AMI is not an accuracy, and the one-to-one (Hungarian) clustering \
         accuracy is given separately above. Its \"add\" forests gain little over a forest on the \
         pixels alone (the control above): the cluster label is a function of the pixels, so it \
         adds no information, only a convenient split. The study's text also contradicts its \
         own summaries in places:"
    );
    for p in PAPER.iter().filter_map(|p| p.note.map(|n| (p.title, n))) {
        let _ = writeln!(md, "- {}: {}", p.0, p.1);
    }
    let _ = writeln!(md);
}

/// The PCA and its figures.
fn pca(md: &mut String, results: &Results) {
    let _ = writeln!(md, "## PCA\n");
    let _ = writeln!(
        md,
        "{} components explain {:.4} of the variance (fit in {:.2} s).\n",
        results.pca.n_components,
        results.pca.cumulative_explained_variance_ratio,
        results.pca.seconds
    );
    let _ = writeln!(
        md,
        "![explained variance]({})\n",
        figure_files::PCA_VARIANCE
    );
    let _ = writeln!(md, "![eigen-images]({})\n", figure_files::EIGEN_IMAGES);
    let _ = writeln!(md, "![PC1 / PC2]({})\n", figure_files::PCA_SCATTER);
}

/// The autoencoder's training and its figures.
fn autoencoder(md: &mut String, results: &Results) {
    let ae = &results.autoencoder;
    let _ = writeln!(md, "## Autoencoder\n");
    let _ = writeln!(
        md,
        "{} parameters, {} epochs in {:.1} s; final validation loss {}.\n",
        ae.params,
        ae.epochs,
        ae.seconds,
        ae.validation_loss
            .last()
            .map_or("–".to_string(), |v| format!("{v:.5}"))
    );
    let _ = writeln!(md, "![loss]({})\n", figure_files::AE_LOSS);
    let _ = writeln!(
        md,
        "![reconstructions]({})\n",
        figure_files::AE_RECONSTRUCTION
    );
}

/// Each pipeline's cluster grid, forest reports and confusion matrices.
fn pipelines(md: &mut String, results: &Results) {
    let _ = writeln!(md, "## Pipelines\n");
    for pipeline in &results.pipelines {
        let _ = writeln!(md, "### {}\n", pipeline.name);
        let _ = writeln!(
            md,
            "![clusters]({})\n\n![classes by cluster]({})\n",
            figure_files::clusters(&pipeline.name),
            figure_files::contingency(&pipeline.name)
        );
        for (mode, forest) in [
            ("replace", &pipeline.forest.replace),
            ("add", &pipeline.forest.add),
        ] {
            let _ = writeln!(
                md,
                "Random Forest, `{mode}`: accuracy {}\n",
                percent(forest.accuracy)
            );
            let _ = writeln!(md, "```text\n{}```\n", forest.report.render(2));
            let _ = writeln!(
                md,
                "![confusion, {mode}]({})\n",
                figure_files::confusion(&pipeline.name, mode)
            );
        }
    }
}

/// The wall time of every stage.
fn timings(md: &mut String, results: &Results) {
    let ae = &results.autoencoder;
    let _ = writeln!(md, "## Timings\n");
    let _ = writeln!(md, "| stage | seconds |");
    let _ = writeln!(md, "|---|---|");
    let _ = writeln!(md, "| PCA | {:.2} |", results.pca.seconds);
    let _ = writeln!(md, "| autoencoder (train + encode) | {:.1} |", ae.seconds);
    for pipeline in &results.pipelines {
        for (stage, seconds) in &pipeline.seconds {
            let _ = writeln!(md, "| {} / {stage} | {seconds:.2} |", pipeline.name);
        }
    }
    for all in &results.all_images {
        let _ = writeln!(
            md,
            "| {} / all {} images | {:.2} |",
            all.name, all.n_samples, all.seconds
        );
    }
    let _ = writeln!(
        md,
        "| forest, pixels only | {:.2} |",
        results.forest_pixels_only.seconds
    );
    let _ = writeln!(md, "| **total** | **{:.1}** |\n", results.seconds_total);
}

/// Where the run happened: the program, the machine, and the data.
fn environment(md: &mut String, results: &Results) {
    let env = &results.environment;
    let data = &results.dataset;
    let _ = writeln!(md, "## Environment\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    for (what, value) in [
        ("commit", env.commit.as_str()),
        ("compiler", &env.rustc),
        ("fmnist-pipeline", &env.version),
        ("started (UTC)", &env.started),
        ("CPU", &env.cpu),
        ("threads", &env.threads.to_string()),
        ("load average at start (1, 5, 15 min)", &env.load_average),
        ("system", &env.os),
        ("data set", &data.source),
    ] {
        let _ = writeln!(md, "| {what} | {value} |");
    }
    for (file, digest) in &data.sha256 {
        let _ = writeln!(md, "| SHA-256 of {file} | `{digest}` |");
    }
}

/// The UMAP pipelines: every image clustered at once beside N2D, and the 2-D embedding.
fn beyond_the_study(md: &mut String, results: &Results) {
    let _ = writeln!(md, "## Beyond the study: UMAP before clustering\n");
    let _ = writeln!(
        md,
        "The `*-umap-*` pipelines above put a UMAP embedding between the features and the \
         clustering (N2D's recipe); their test scores come from `transform`, the test set unseen \
         by every fit. Below, the same pipelines fitted to every image at once, with no labels, \
         as N2D reports its results.\n"
    );
    all_images_table(md, results);
    let _ = writeln!(md);
    if results.pipeline(HEADLINE).is_some() {
        let _ = writeln!(
            md,
            "The test images in two dimensions (a UMAP of the features `{HEADLINE}` embeds), by \
             class and by `{HEADLINE}` cluster:\n"
        );
        let _ = writeln!(md, "![UMAP by class]({})\n", figure_files::UMAP_CLASSES);
        let _ = writeln!(md, "![UMAP by cluster]({})\n", figure_files::UMAP_CLUSTERS);
    }
}

/// N2D and our pipelines fitted to every image at once: AMI, NMI, ARI and accuracy, the best
/// of each column in bold.
fn all_images_table(md: &mut String, results: &Results) {
    let mut rows = vec![(
        N2D.method.to_string(),
        70_000,
        [None, Some(N2D.nmi), None, Some(N2D.accuracy)],
    )];
    rows.extend(results.all_images.iter().map(|all| {
        let s = &all.scores;
        (
            format!("{}: {}", all.name, all.configuration),
            all.n_samples,
            [Some(s.ami), Some(s.nmi), Some(s.ari), Some(s.accuracy)],
        )
    }));
    let decimals = |x: f64| format!("{x:.4}");
    let columns: Vec<Vec<String>> = (0..4)
        .map(|j| bold_best(&rows.iter().map(|r| r.2[j]).collect::<Vec<_>>(), &decimals))
        .collect();
    let _ = writeln!(md, "| pipeline | images | AMI | NMI | ARI | accuracy |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for (i, (who, images, _)) in rows.iter().enumerate() {
        let cells: Vec<&str> = columns.iter().map(|c| c[i].as_str()).collect();
        let _ = writeln!(md, "| {who} | {images} | {} |", cells.join(" | "));
    }
}

/// Writes [`render`]'s Markdown to `path`, atomically.
///
/// # Errors
/// [`crate::PipelineError::Io`] if the file cannot be written.
pub fn write(results: &Results, path: &Path) -> Result<()> {
    let text = render(results);
    fmnist_core::write_atomically(path, |file| {
        use std::io::Write;
        file.write_all(text.as_bytes())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::sample_results;

    #[test]
    fn report_sets_the_study_beside_ours() {
        let md = render(&sample_results());
        assert!(md.contains("Quick run"));
        assert!(
            md.contains("| K-Means on raw pixels | **0.5037** / 0."),
            "{md}"
        );
        assert!(md.contains("| Autoencoder + GMM |"));
        assert!(md.contains("**84.33 %** / 66.67 %"));
        assert!(md.contains("pixels only (the control the study lacks)"));
        assert!(md.contains("![confusion, add](kmeans-raw-confusion-add.png)"));
        assert!(md.contains("precision"));
        assert!(md.contains("Which Gaussian mixture gives what"));
        assert!(md.contains("| diag covariance on the 784-value bottleneck |"));
        assert!(md.contains("Beyond the study: UMAP before clustering"));
        assert!(md.contains("| N2D (McConville et al. 2020)"));
        assert!(
            md.contains("| pca-umap-gmm: full-covariance Gaussian mixture on a UMAP | 70000 |")
        );
    }

    #[test]
    fn the_best_figure_is_bold_whoever_has_it() {
        let mut results = sample_results();
        // the issue's case: our 0.629 beside N2D's 0.672 on all 70,000 images
        results.all_images[0].scores.accuracy = 0.629;
        results.all_images[0].scores.nmi = 0.7;
        results.pipelines[0].forest.add.accuracy = 0.9;
        let md = render(&results);
        let n2d = md.lines().find(|l| l.starts_with("| N2D")).unwrap();
        assert!(n2d.ends_with("| **0.6720** |"), "{n2d}");
        assert!(n2d.contains("| 0.6840 |"), "{n2d}");
        let ours = md
            .lines()
            .find(|l| l.starts_with("| pca-umap-gmm:"))
            .unwrap();
        assert!(
            ours.ends_with("| 0.6290 |") && ours.contains("| **0.7000** |"),
            "{ours}"
        );
        assert!(md.contains("84.33 % / **90.00 %**"), "{md}");
        // a lone figure is compared with nothing
        assert!(md.contains("pixels only (the control the study lacks) | | | | 66.67 % |"));
        let shown = bold_best(&[Some(0.5), None, Some(0.50001)], &|x| format!("{x:.2}"));
        assert_eq!(shown, ["**0.50**", "–", "**0.50**"]);
    }

    #[test]
    fn the_report_says_where_it_ran() {
        let mut results = sample_results();
        results.environment.commit = "0123abc".into();
        results.environment.load_average = "0.50 0.40 0.30".into();
        let md = render(&results);
        for row in [
            "| commit | 0123abc |",
            "| load average at start (1, 5, 15 min) | 0.50 0.40 0.30 |",
            "| threads | 2 |",
            "| data set | custom, unverified |",
            "| SHA-256 of a | `00` |",
        ] {
            assert!(md.contains(row), "{row} in {md}");
        }
        assert!(md.contains("| compiler | ") && md.contains("| started (UTC) | "));
    }

    #[test]
    fn a_full_run_on_other_data_says_the_study_is_for_reference() {
        let mut results = sample_results();
        results.quick = false;
        results.dataset.source = "custom, unverified".into();
        let md = render(&results);
        assert!(md.contains("**Other data** (custom, unverified)"), "{md}");
        assert!(!md.contains("Quick run"));
        results.dataset.source = "fashion-mnist".into();
        let md = render(&results);
        assert!(!md.contains("Other data") && !md.contains("Quick run"));
        assert!(md.contains(&format!("on the {} test images", results.dataset.test)));
    }
}
