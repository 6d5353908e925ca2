//! Compensated summation.

/// Neumaier's compensated sum: the error does not grow with the number of terms, so that sums
/// of 70,000 terms keep every digit that the 1e-9 agreement with scikit-learn needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    #[inline]
    pub fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

impl FromIterator<f64> for Sum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = Sum::default();
        for x in iter {
            s.add(x);
        }
        s
    }
}

/// The sum of `values` in exactly NumPy's order (`np.sum` of a contiguous float64 array:
/// pairwise over blocks of 128 with eight interleaved accumulators), so that formulas copied
/// from scikit-learn round as it does and, for example, give exactly 1.0 where it does.
pub(crate) fn numpy_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in values {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&values[..8]);
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for j in 0..8 {
                r[j] += values[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &values[full..] {
            res += x;
        }
        res
    } else {
        let half = n / 2;
        let half = half - half % 8;
        numpy_sum(&values[..half]) + numpy_sum(&values[half..])
    }
}

/// The compensated sum of `iter`.
pub(crate) fn sum(iter: impl IntoIterator<Item = f64>) -> f64 {
    iter.into_iter().collect::<Sum>().value()
}

#[cfg(test)]
mod tests {
    #[test]
    fn compensated() {
        let xs = [1.0, 1e100, 1.0, -1e100];
        assert_eq!(super::sum(xs), 2.0);
        assert_eq!(super::sum(std::iter::repeat_n(0.1, 10)), 1.0);
    }

    #[test]
    fn numpy_order() {
        // values printed by NumPy 2.4
        assert_eq!(super::numpy_sum(&[0.1; 10]), 1.0);
        let mut v = vec![1e16];
        v.extend(std::iter::repeat_n(1.0, 300));
        assert_eq!(super::numpy_sum(&v), 1.0000000000000292e16);
        assert_eq!(super::numpy_sum(&[]), 0.0);
    }
}
