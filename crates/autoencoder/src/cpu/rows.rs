//! Row-wise copies between planes of different row lengths: the convolution's padding (rows
//! spread into zero-padded planes) and un-padding (with bias and ReLU). Rows are 7 to 28
//! values long, too short for the compiler's 16-lane loops (which fall back to scalar code
//! or a `memcpy` call per row), so on CPUs with AVX-512 they are copied in masked registers.

/// Where [`Spread::run`] puts rows: the planes of the source (`plane_in` values each, rows
/// of `w`) go to planes of `plane_out` values, row `y` at `offset + y · stride`, every other
/// value zero.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spread {
    pub w: usize,
    pub plane_in: usize,
    pub plane_out: usize,
    pub stride: usize,
    pub offset: usize,
}

impl Spread {
    /// Copies `src` into `dst` (only the gaps between rows are zeroed, not whole planes).
    pub fn run(&self, src: &[f32], dst: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx512() {
            // SAFETY: the CPU has AVX-512F.
            unsafe { avx512::spread(self, src, dst) };
            return;
        }
        self.each(src, dst, |d, s| d.copy_from_slice(s), |d| d.fill(0.0));
    }

    /// [`Spread::run`] with the given row copy and gap fill.
    #[inline(always)]
    fn each(
        &self,
        src: &[f32],
        dst: &mut [f32],
        copy: impl Fn(&mut [f32], &[f32]),
        zero: impl Fn(&mut [f32]),
    ) {
        let planes = src.chunks_exact(self.plane_in);
        for (src, dst) in planes.zip(dst.chunks_exact_mut(self.plane_out)) {
            let mut next = 0;
            for (y, row) in src.chunks_exact(self.w).enumerate() {
                let start = self.offset + y * self.stride;
                zero(&mut dst[next..start]);
                copy(&mut dst[start..start + self.w], row);
                next = start + self.w;
            }
            zero(&mut dst[next..]);
        }
    }
}

/// `dst` (rows of `w`) = `max(the first w values of each row of src (rows of wp) + bias,
/// floor)`.
pub(crate) fn unpad(dst: &mut [f32], src: &[f32], w: usize, wp: usize, bias: f32, floor: f32) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has AVX-512F.
        unsafe { avx512::unpad(dst, src, w, wp, bias, floor) };
        return;
    }
    for (dst, src) in dst.chunks_exact_mut(w).zip(src.chunks(wp)) {
        dst.iter_mut()
            .zip(src)
            .for_each(|(d, s)| *d = (s + bias).max(floor));
    }
}

/// Whether the CPU has AVX-512F (detected once and cached by the standard library).
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::Spread;

    /// The mask of the first `n` (at most 16) lanes.
    fn lanes(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }

    /// [`Spread::run`] in masked registers.
    #[target_feature(enable = "avx512f")]
    pub fn spread(layout: &Spread, src: &[f32], dst: &mut [f32]) {
        let copy = |d: &mut [f32], s: &[f32]| map(d, s, -0.0, f32::NEG_INFINITY);
        layout.each(src, dst, copy, |d| fill_zero(d));
    }

    /// [`super::unpad`] in masked registers.
    #[target_feature(enable = "avx512f")]
    pub fn unpad(dst: &mut [f32], src: &[f32], w: usize, wp: usize, bias: f32, floor: f32) {
        for (dst, src) in dst.chunks_exact_mut(w).zip(src.chunks(wp)) {
            map(dst, &src[..w], bias, floor);
        }
    }

    /// `dst = max(src + bias, floor)`, 16 values at a time (a bias of −0 and a floor of −∞
    /// copy exactly).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn map(dst: &mut [f32], src: &[f32], bias: f32, floor: f32) {
        assert_eq!(dst.len(), src.len(), "row lengths");
        let (bias, floor) = (_mm512_set1_ps(bias), _mm512_set1_ps(floor));
        for start in (0..dst.len()).step_by(16) {
            let mask = lanes((dst.len() - start).min(16));
            // SAFETY: the lanes under `mask` are in bounds (masked loads and stores touch no
            // others).
            unsafe {
                let v = _mm512_maskz_loadu_ps(mask, src.as_ptr().add(start));
                let v = _mm512_max_ps(_mm512_add_ps(v, bias), floor);
                _mm512_mask_storeu_ps(dst.as_mut_ptr().add(start), mask, v);
            }
        }
    }

    /// `dst = 0`, 16 values at a time.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn fill_zero(dst: &mut [f32]) {
        for start in (0..dst.len()).step_by(16) {
            let mask = lanes((dst.len() - start).min(16));
            let p = dst[start..].as_mut_ptr();
            // SAFETY: as in `map`.
            unsafe { _mm512_mask_storeu_ps(p, mask, _mm512_setzero_ps()) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spreading and un-padding invert each other, keep the values exactly (signed zeros
    /// included), zero everything between the rows, and un-padding adds the bias and clamps.
    #[test]
    fn spread_and_unpad_round_trip() {
        for (h, w, pad) in [(3, 7, 1), (4, 14, 1), (2, 28, 2), (5, 17, 2)] {
            let (wp, plane_in) = (w + 2 * pad, h * w);
            let layout = Spread {
                w,
                plane_in,
                plane_out: (h + 2 * pad) * wp + 21,
                stride: wp,
                offset: pad * wp + pad,
            };
            let mut src: Vec<f32> = (0..2 * plane_in).map(|i| i as f32 - 20.5).collect();
            src[3] = -0.0;
            let mut padded = vec![f32::NAN; 2 * layout.plane_out];
            layout.run(&src, &mut padded);
            let nonzero = |v: &[f32]| v.iter().filter(|v| **v != 0.0).count();
            assert_eq!(nonzero(&padded), nonzero(&src), "{h} x {w}");
            let mut back = vec![0.0; 2 * plane_in];
            let planes = back
                .chunks_mut(plane_in)
                .zip(padded.chunks(layout.plane_out));
            for (dst, plane) in planes {
                let rows = &plane[layout.offset..];
                unpad(dst, rows, w, wp, -0.0, f32::NEG_INFINITY);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&back), bits(&src), "{h} x {w}");
            unpad(
                &mut back[..plane_in],
                &padded[layout.offset..],
                w,
                wp,
                1.0,
                0.0,
            );
            let relu: Vec<f32> = src[..plane_in].iter().map(|v| (v + 1.0).max(0.0)).collect();
            assert_eq!(&back[..plane_in], &relu[..], "{h} x {w}");
        }
    }
}
