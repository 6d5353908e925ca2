//! The project README's numbers, generated from a `results.json`: each generated part sits
//! between `<!-- results:NAME -->` and `<!-- /results:NAME -->` markers and is replaced as a
//! whole, so the README can never say what the run did not.
//!
//! ```
//! # use fmnist_pipeline::readme;
//! let text = "Intro.\n<!-- results:total -->\nold\n<!-- /results:total -->\nEnd.\n";
//! let updated = readme::replace_sections(text, &[("total", "**297 s**\n".to_string())]).unwrap();
//! assert_eq!(updated, "Intro.\n<!-- results:total -->\n**297 s**\n<!-- /results:total -->\nEnd.\n");
//! ```

use std::fmt::Write as _;

use crate::error::{PipelineError, Result};
use crate::paper::{N2D, paper_pipeline};
use crate::results::Results;

/// The generated sections of the README for `results`, by marker name: `summary` (the run's
/// time and machine), `pipelines` (every pipeline beside the study), `all-images` (N2D's
/// protocol), `autoencoder` (its loss) and `stages` (the time of each stage).
pub fn sections(results: &Results) -> Vec<(&'static str, String)> {
    vec![
        ("summary", summary(results)),
        ("pipelines", pipelines(results)),
        ("all-images", all_images(results)),
        ("autoencoder", autoencoder(results)),
        ("stages", stages(results)),
    ]
}

/// `readme` with the text between each section's markers replaced by the section.
///
/// # Errors
/// [`PipelineError::Readme`] naming a section whose opening or closing marker is missing.
pub fn replace_sections(readme: &str, sections: &[(&str, String)]) -> Result<String> {
    let mut text = readme.to_string();
    for (name, body) in sections {
        let (open, close) = (
            format!("<!-- results:{name} -->\n"),
            format!("<!-- /results:{name} -->"),
        );
        let missing =
            |marker: &str| PipelineError::Readme(format!("no `{}` marker", marker.trim()));
        let start = text.find(&open).ok_or_else(|| missing(&open))? + open.len();
        let end = start + text[start..].find(&close).ok_or_else(|| missing(&close))?;
        text.replace_range(start..end, body);
    }
    Ok(text)
}

/// `readme` updated with [`sections`] of `results`.
///
/// # Errors
/// As [`replace_sections`].
pub fn update(readme: &str, results: &Results) -> Result<String> {
    replace_sections(readme, &sections(results))
}

/// `n` with a comma between thousands, as the README's prose writes counts (`70,000`).
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn percent(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

/// `x` in bold when it is at least `other` (higher is better), else plain.
fn bold_if_best(x: String, value: f64, other: Option<f64>) -> String {
    match other {
        Some(o) if o > value => x,
        _ => format!("**{x}**"),
    }
}

/// The study's value beside ours, the better in bold.
fn beside(theirs: Option<f64>, ours: f64, show: impl Fn(f64) -> String) -> String {
    let theirs_text = theirs.map_or("–".to_string(), |t| bold_if_best(show(t), t, Some(ours)));
    format!("{theirs_text} / {}", bold_if_best(show(ours), ours, theirs))
}

fn summary(results: &Results) -> String {
    let env = &results.environment;
    format!(
        "**{:.0} s for everything** on {} with {} threads: the study's pipelines and the UMAP \
         pipelines beyond it, with their runs on all {} images.\n",
        results.seconds_total,
        env.cpu,
        env.threads,
        thousands(results.dataset.train + results.dataset.validation + results.dataset.test),
    )
}

fn pipelines(results: &Results) -> String {
    let mut md = String::from(
        "| pipeline | AMI test (study / ours) | accuracy test | RF replace (study / ours) | RF add (study / ours) |\n\
         |---|---|---|---|---|\n",
    );
    let four = |x: f64| format!("{x:.4}");
    for p in &results.pipelines {
        let paper = paper_pipeline(&p.name);
        let _ = writeln!(
            md,
            "| `{}` | {} | {:.4} | {} | {} |",
            p.name,
            beside(paper.map(|x| x.ami_test), p.clustering.test.ami, four),
            p.clustering.test.accuracy,
            beside(
                paper.map(|x| x.forest_replace),
                p.forest.replace.accuracy,
                percent
            ),
            beside(paper.map(|x| x.forest_add), p.forest.add.accuracy, percent),
        );
    }
    let _ = writeln!(
        md,
        "| pixels only (the control the study lacks) | | | | {} |",
        percent(results.forest_pixels_only.accuracy)
    );
    md
}

fn all_images(results: &Results) -> String {
    let mut md = String::from("| pipeline | images | NMI | accuracy |\n|---|---|---|---|\n");
    let best_nmi = results
        .all_images
        .iter()
        .map(|a| a.scores.nmi)
        .fold(N2D.nmi, f64::max);
    let best_accuracy =
        (results.all_images.iter().map(|a| a.scores.accuracy)).fold(N2D.accuracy, f64::max);
    let cell = |x: f64, best: f64| bold_if_best(format!("{x:.4}"), x, Some(best));
    let mut row = |name: &str, images: usize, nmi: f64, accuracy: f64| {
        let (nmi, accuracy) = (cell(nmi, best_nmi), cell(accuracy, best_accuracy));
        let _ = writeln!(
            md,
            "| {name} | {} | {nmi} | {accuracy} |",
            thousands(images)
        );
    };
    row(N2D.method, 70_000, N2D.nmi, N2D.accuracy);
    for all in &results.all_images {
        row(
            &format!("`{}`", all.name),
            all.n_samples,
            all.scores.nmi,
            all.scores.accuracy,
        );
    }
    md
}

fn autoencoder(results: &Results) -> String {
    let ae = &results.autoencoder;
    let last = |losses: &[f64]| losses.last().map_or("–".to_string(), |l| format!("{l:.5}"));
    format!(
        "The autoencoder ({} parameters) reaches training MSE {} and validation MSE {} after {} \
         epochs.\n",
        thousands(ae.params),
        last(&ae.train_loss),
        last(&ae.validation_loss),
        ae.epochs
    )
}

fn stages(results: &Results) -> String {
    let mut md = String::from("| stage | seconds |\n|---|---|\n");
    let _ = writeln!(md, "| PCA-40 | {:.2} |", results.pca.seconds);
    let _ = writeln!(
        md,
        "| autoencoder: {} epochs + encoding | {:.1} |",
        results.autoencoder.epochs, results.autoencoder.seconds
    );
    for p in &results.pipelines {
        let total: f64 = p.seconds.values().sum();
        let _ = writeln!(
            md,
            "| `{}`: features, clustering, forests | {total:.1} |",
            p.name
        );
    }
    for all in &results.all_images {
        let _ = writeln!(
            md,
            "| `{}` on all {} images | {:.1} |",
            all.name,
            thousands(all.n_samples),
            all.seconds
        );
    }
    let _ = writeln!(
        md,
        "| forest on the pixels only | {:.1} |",
        results.forest_pixels_only.seconds
    );
    let _ = writeln!(md, "| **whole run** | **{:.0}** |", results.seconds_total);
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(70_000), "70,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_missing_marker_is_an_error_naming_it() {
        let err = replace_sections("no markers", &[("total", String::new())]).unwrap_err();
        assert!(err.to_string().contains("<!-- results:total -->"), "{err}");
    }
}
