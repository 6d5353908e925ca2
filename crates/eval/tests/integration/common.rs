//! The labeling generators of `fixtures/eval/make_golden.py`, reproduced exactly (see the
//! script's docstring for their definition). Shared by the golden tests and the benches.
#![allow(dead_code)]

use serde_json::Value;

/// 64-bit LCG (Knuth's MMIX constants); each draw returns the top 31 bits of the new state.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed)
    }

    pub fn draw(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// `n` labels, each `draw % k`.
pub fn uniform(seed: u64, n: usize, k: u64) -> Vec<u64> {
    let mut rng = Lcg::new(seed);
    (0..n).map(|_| rng.draw() % k).collect()
}

/// `min(draw % k, draw % k)`: unequal cluster sizes.
pub fn skewed(seed: u64, n: usize, k: u64) -> Vec<u64> {
    let mut rng = Lcg::new(seed);
    (0..n)
        .map(|_| {
            let x = rng.draw() % k;
            let y = rng.draw() % k;
            x.min(y)
        })
        .collect()
}

/// Keeps `(t * mul + add) % k` with probability `keep`% and draws a random label otherwise.
pub fn noisy(seed: u64, of: &[u64], k: u64, keep: u64, mul: u64, add: u64) -> Vec<u64> {
    let mut rng = Lcg::new(seed);
    of.iter()
        .map(|&t| {
            if rng.draw() % 100 < keep {
                (t * mul + add) % k
            } else {
                rng.draw() % k
            }
        })
        .collect()
}

fn int(spec: &Value, key: &str) -> u64 {
    spec[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {spec}"))
}

/// The labeling a JSON spec describes.
pub fn generate(spec: &Value) -> Vec<u64> {
    match spec["kind"].as_str().expect("kind") {
        "values" => spec["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect(),
        "uniform" => uniform(int(spec, "seed"), int(spec, "n") as usize, int(spec, "k")),
        "skewed" => skewed(int(spec, "seed"), int(spec, "n") as usize, int(spec, "k")),
        "noisy" => noisy(
            int(spec, "seed"),
            &generate(&spec["of"]),
            int(spec, "k"),
            int(spec, "keep"),
            int(spec, "mul"),
            int(spec, "add"),
        ),
        "index" => {
            let (mul, add, div, modulo) = (
                int(spec, "mul"),
                int(spec, "add"),
                int(spec, "div"),
                int(spec, "modulo"),
            );
            (0..int(spec, "n"))
                .map(|i| ((i * mul + add) / div) % modulo)
                .collect()
        }
        "affine" => {
            let (mul, add) = (int(spec, "mul"), int(spec, "add"));
            generate(&spec["of"])
                .iter()
                .map(|&t| t.wrapping_mul(mul).wrapping_add(add))
                .collect()
        }
        other => panic!("unknown labeling kind {other}"),
    }
}

/// The golden file written by `fixtures/eval/make_golden.py`.
pub fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/eval/golden.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("golden.json is JSON")
}
