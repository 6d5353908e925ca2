//! Row-wise copies between planes of different row lengths: the convolution's padding (rows
//! spread into zero-padded planes) and un-padding (rows gathered back, with bias and ReLU).
//! Rows are 7 to 28 values long, too short for the compiler's 16-lane loops (which fall back
//! to scalar code or a `memcpy` call per row), so on CPUs with AVX-512 a plane is copied in
//! blocks of 16 padded values whatever its rows: a bit mask of the layout's data lanes, built
//! once per thread and layout, drives an expanding (padding) or compressing (un-padding)
//! register copy.

#[cfg(target_arch = "x86_64")]
use std::cell::RefCell;

/// Where [`Spread::run`] puts rows: the planes of the source (`plane_in` values each, rows
/// of `w`) go to planes of `plane_out` values, row `y` at `offset + y · stride`, every other
/// value zero. [`Spread::gather`] copies them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spread {
    pub w: usize,
    pub plane_in: usize,
    pub plane_out: usize,
    pub stride: usize,
    pub offset: usize,
}

impl Spread {
    /// Copies `src` into `dst`, zeroing everything between and after the rows.
    ///
    /// # Panics
    /// When a row does not fit in its padded plane.
    pub fn run(&self, src: &[f32], dst: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx512() {
            // SAFETY: the CPU has AVX-512F; `lanes` describes this layout.
            let done = with_lanes(self, |lanes| unsafe {
                avx512::spread(self, lanes, src, dst)
            });
            if done.is_some() {
                return;
            }
        }
        self.each(src, dst, |d, s| d.copy_from_slice(s), |d| d.fill(0.0));
    }

    /// The inverse of [`Spread::run`] with a bias and a clamp: plane `ch` of `dst` (rows of
    /// `w`) = `max(its rows in plane ch of src + bias[ch], floor)` (bias 0 when `None`).
    ///
    /// # Panics
    /// When a row does not fit in its padded plane, or `bias` is shorter than the planes.
    pub fn gather(&self, src: &[f32], dst: &mut [f32], bias: Option<&[f32]>, floor: f32) {
        #[cfg(target_arch = "x86_64")]
        if has_avx512() {
            // SAFETY: the CPU has AVX-512F; `lanes` describes this layout.
            let gather = |lanes: &_| unsafe { avx512::gather(self, lanes, src, dst, bias, floor) };
            if with_lanes(self, gather).is_some() {
                return;
            }
        }
        self.gather_rows(src, dst, bias, floor);
    }

    /// [`Spread::gather`] row by row (any CPU).
    fn gather_rows(&self, src: &[f32], dst: &mut [f32], bias: Option<&[f32]>, floor: f32) {
        let planes = src.chunks_exact(self.plane_out);
        for (ch, (src, dst)) in planes.zip(dst.chunks_exact_mut(self.plane_in)).enumerate() {
            let b = bias.map_or(0.0, |b| b[ch]);
            for (y, dst) in dst.chunks_exact_mut(self.w).enumerate() {
                let row = &src[self.offset + y * self.stride..][..self.w];
                dst.iter_mut()
                    .zip(row)
                    .for_each(|(d, s)| *d = (s + b).max(floor));
            }
        }
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

/// Which values of a padded plane hold data, in blocks of 16 (one AVX-512 register): per
/// block its data lanes (bit `l` for value `16 b + l`), the mask of as many first lanes, and
/// the data values before it (where its values start in the unpadded plane), packed in one
/// word so the copy loops read one value per block.
#[cfg(target_arch = "x86_64")]
struct DataLanes {
    blocks: [u64; DataLanes::MAX_BLOCKS],
    /// Blocks up to the end of the padded plane.
    len: usize,
    /// Blocks up to the end of the last row.
    data_len: usize,
    /// Blocks whose first data value is at least 16 values before the end of the unpadded
    /// plane (a whole register stored there stays in the plane).
    whole_stores: usize,
}

#[cfg(target_arch = "x86_64")]
impl DataLanes {
    /// The most blocks of a padded plane the block copies take (longer planes are copied row
    /// by row).
    const MAX_BLOCKS: usize = 256;

    /// The data lanes of `layout`, or `None` when its rows are not whole (`plane_in` not a
    /// multiple of `w`), overlap (`stride < w`) or the plane is too long.
    ///
    /// # Panics
    /// When the last row ends past the padded plane.
    fn new(layout: &Spread) -> Option<Self> {
        let (w, stride) = (layout.w, layout.stride);
        if w == 0 || layout.plane_in == 0 || !layout.plane_in.is_multiple_of(w) || stride < w {
            return None;
        }
        let len = layout.plane_out.div_ceil(16);
        if len > Self::MAX_BLOCKS {
            return None;
        }
        let rows = layout.plane_in / w;
        let end = layout.offset + rows.saturating_sub(1) * stride + w;
        assert!(end <= layout.plane_out, "row past the padded plane");
        let mut words = [0u64; Self::MAX_BLOCKS / 4];
        for y in 0..rows {
            let mut i = layout.offset + y * stride;
            let row_end = i + w;
            while i < row_end {
                let (word, bit) = (i / 64, i % 64);
                let take = (row_end - i).min(64 - bit);
                words[word] |= (u64::MAX >> (64 - take)) << bit;
                i += take;
            }
        }
        let mut blocks = [0u64; Self::MAX_BLOCKS];
        let mut before = 0u64;
        for (b, block) in blocks[..len].iter_mut().enumerate() {
            let lanes = (words[b / 4] >> (16 * (b % 4))) & 0xffff;
            let count = lanes.count_ones();
            *block = lanes | ((1u64 << count) - 1) << 16 | before << 32;
            before += u64::from(count);
        }
        let whole = |block: &u64| unpack(*block).2 + 16 <= layout.plane_in;
        Some(Self {
            whole_stores: blocks[..len].iter().take_while(|b| whole(b)).count(),
            blocks,
            len,
            data_len: end.div_ceil(16),
        })
    }
}

#[cfg(target_arch = "x86_64")]
thread_local! {
    /// The data lanes of the layouts this thread copied last (a network has a few: padding
    /// and un-padding per image size), each built once.
    static LANES: RefCell<Vec<(Spread, Box<DataLanes>)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the data lanes of `layout` (from this thread's cache, or built and cached),
/// or returns `None` when the layout does not suit the block copies ([`DataLanes::new`]).
#[cfg(target_arch = "x86_64")]
fn with_lanes<R>(layout: &Spread, f: impl FnOnce(&DataLanes) -> R) -> Option<R> {
    /// Layouts kept per thread.
    const CACHED: usize = 16;
    LANES.with(|cache| {
        let mut cache = cache.borrow_mut();
        let at = match cache.iter().position(|(key, _)| key == layout) {
            Some(at) => at,
            None => {
                let lanes = Box::new(DataLanes::new(layout)?);
                if cache.len() == CACHED {
                    cache.remove(0);
                }
                cache.push((*layout, lanes));
                cache.len() - 1
            }
        };
        Some(f(&cache[at].1))
    })
}

/// One block of [`DataLanes`]: its data lanes, the mask of as many first lanes, and the data
/// values before it.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn unpack(block: u64) -> (u16, u16, usize) {
    (block as u16, (block >> 16) as u16, (block >> 32) as usize)
}

/// Whether the CPU has AVX-512F (detected once and cached by the standard library).
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{DataLanes, Spread, unpack};

    /// The mask of the first `n` (at most 16) lanes.
    fn first(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }

    /// [`Spread::run`] in blocks of 16 padded values: each takes the next values of the
    /// source (as many as it has data lanes) and expands them into its data lanes, zeros
    /// elsewhere.
    #[target_feature(enable = "avx512f")]
    pub fn spread(layout: &Spread, lanes: &DataLanes, src: &[f32], dst: &mut [f32]) {
        let (body, last) = (&lanes.blocks[..lanes.len - 1], lanes.blocks[lanes.len - 1]);
        let tail = first(layout.plane_out - 16 * (lanes.len - 1));
        let planes = src.chunks_exact(layout.plane_in);
        for (src, dst) in planes.zip(dst.chunks_exact_mut(layout.plane_out)) {
            // SAFETY (both blocks): the data lanes of a plane number `plane_in` (whole rows),
            // so each load stays in `src`; the stores stay in `dst` (`len` blocks end there,
            // the last one masked).
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            for (b, &block) in body.iter().enumerate() {
                let (mask, load, before) = unpack(block);
                unsafe {
                    let v = _mm512_maskz_loadu_ps(load, s.add(before));
                    _mm512_storeu_ps(d.add(16 * b), _mm512_maskz_expand_ps(mask, v));
                }
            }
            let (mask, load, before) = unpack(last);
            unsafe {
                let v = _mm512_maskz_loadu_ps(load, s.add(before));
                let v = _mm512_maskz_expand_ps(mask, v);
                _mm512_mask_storeu_ps(d.add(16 * (lanes.len - 1)), tail, v);
            }
        }
    }

    /// [`Spread::gather`] in blocks of 16 padded values: each loads its data lanes, compresses
    /// them to the front, adds the bias, clamps and stores them after the previous ones — a
    /// whole register while that stays in the plane (the lanes past the block's values are
    /// overwritten by the next blocks), masked at the end.
    #[target_feature(enable = "avx512f")]
    pub fn gather(
        layout: &Spread,
        lanes: &DataLanes,
        src: &[f32],
        dst: &mut [f32],
        bias: Option<&[f32]>,
        floor: f32,
    ) {
        let floor = _mm512_set1_ps(floor);
        let whole = lanes.whole_stores.min(lanes.data_len);
        let planes = src.chunks_exact(layout.plane_out);
        for (ch, (src, dst)) in planes
            .zip(dst.chunks_exact_mut(layout.plane_in))
            .enumerate()
        {
            let bias = _mm512_set1_ps(bias.map_or(0.0, |b| b[ch]));
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            for (b, &block) in lanes.blocks[..lanes.data_len].iter().enumerate() {
                let (mask, store, before) = unpack(block);
                // SAFETY: the loaded lanes are data lanes, inside the padded plane `src`
                // (masked-off lanes are not accessed); the stored ones are the next of `dst`,
                // which holds `plane_in` values, as many as the data lanes, and a whole
                // register only where 16 values from `before` are in the plane.
                unsafe {
                    let v = _mm512_maskz_loadu_ps(mask, s.add(16 * b));
                    let v = _mm512_maskz_compress_ps(mask, v);
                    let v = _mm512_max_ps(_mm512_add_ps(v, bias), floor);
                    if b < whole {
                        _mm512_storeu_ps(d.add(before), v);
                    } else {
                        _mm512_mask_storeu_ps(d.add(before), store, v);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Layouts: padding of 1 and 2, rows of 7 to 28 values, planes of any length.
    fn layouts() -> Vec<(usize, Spread)> {
        let mut all = Vec::new();
        for (h, w, pad) in [(3, 7, 1), (4, 14, 1), (2, 28, 2), (5, 17, 2), (28, 28, 1)] {
            let wp = w + 2 * pad;
            let layout = Spread {
                w,
                plane_in: h * w,
                plane_out: (h + 2 * pad) * wp + 21,
                stride: wp,
                offset: pad * wp + pad,
            };
            all.push((h, layout));
        }
        all
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Spreading and gathering invert each other, keep the values exactly (signed zeros
    /// included), zero everything between the rows, and gathering adds the bias and clamps.
    #[test]
    fn spread_and_gather_round_trip() {
        for (h, layout) in layouts() {
            let plane_in = layout.plane_in;
            let mut src: Vec<f32> = (0..2 * plane_in).map(|i| i as f32 - 20.5).collect();
            src[3] = -0.0;
            let mut padded = vec![f32::NAN; 2 * layout.plane_out];
            layout.run(&src, &mut padded);
            let nonzero = |v: &[f32]| v.iter().filter(|v| **v != 0.0).count();
            assert_eq!(nonzero(&padded), nonzero(&src), "{h} x {}", layout.w);
            let mut back = vec![0.0; 2 * plane_in];
            layout.gather(&padded, &mut back, Some(&[-0.0, -0.0]), f32::NEG_INFINITY);
            assert_eq!(bits(&back), bits(&src), "{h} x {}", layout.w);
            layout.gather(&padded, &mut back, Some(&[1.0, -2.0]), 0.0);
            let relu: Vec<f32> = (src.iter().enumerate())
                .map(|(i, v)| (v + if i < plane_in { 1.0 } else { -2.0 }).max(0.0))
                .collect();
            assert_eq!(back, relu, "{h} x {}", layout.w);
        }
    }

    /// The AVX-512 block copies (where the CPU has them) give the row-by-row copies' bits.
    #[test]
    fn block_copies_match_row_copies() {
        for (_, layout) in layouts() {
            let src: Vec<f32> = (0..3 * layout.plane_in)
                .map(|i| i as f32 * 0.7 - 9.0)
                .collect();
            let mut rows = vec![f32::NAN; 3 * layout.plane_out];
            layout.each(
                &src,
                &mut rows,
                |d, s| d.copy_from_slice(s),
                |d| d.fill(0.0),
            );
            let mut blocks = vec![f32::NAN; 3 * layout.plane_out];
            layout.run(&src, &mut blocks);
            assert_eq!(bits(&blocks), bits(&rows));
            let mut by_rows = vec![0.0; src.len()];
            let bias = [0.5, -1.0, 0.0];
            layout.gather_rows(&rows, &mut by_rows, Some(&bias), -3.0);
            let mut by_blocks = vec![0.0; src.len()];
            layout.gather(&rows, &mut by_blocks, Some(&bias), -3.0);
            assert_eq!(bits(&by_blocks), bits(&by_rows));
        }
    }
}
