//! Hostile input: IDX and `.npy` files with mutated headers, flipped bytes and truncations are
//! read without a panic or an abort, and with memory bounded by the input's size (a gzip
//! stream may claim at most its inflation limit), whatever the header claims.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use fmnist_io::{IdxTensor, Images};
use proptest::prelude::*;

/// Counts the bytes this thread holds and the most it held, so that each case measures only
/// its own allocations while other tests run on other threads.
struct PeakCounting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters only
// observe sizes, and thread-locals with const initialisers do not allocate.
unsafe impl GlobalAlloc for PeakCounting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        held_grows(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = HELD.try_with(|h| h.set(h.get().saturating_sub(layout.size())));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = HELD.try_with(|h| h.set(h.get().saturating_sub(layout.size())));
        held_grows(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn held_grows(bytes: usize) {
    let _ = HELD.try_with(|h| {
        let held = h.get() + bytes;
        h.set(held);
        let _ = PEAK.try_with(|p| p.set(p.get().max(held)));
    });
}

#[global_allocator]
static ALLOCATOR: PeakCounting = PeakCounting;

/// The most bytes `work` held at once beyond what was held before it, and its result.
fn peak_of<T>(work: impl FnOnce() -> T) -> (usize, T) {
    let before = HELD.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let result = work();
    (PEAK.with(Cell::get) - before, result)
}

/// What a reader may hold for an input of `len` bytes: the gzip inflation limit (1,100x, as
/// `IdxTensor::read` enforces) twice over, for the buffer and its final copy, plus a fixed slack.
fn memory_bound(len: usize) -> usize {
    2 * 1_100 * len + (4 << 20)
}

/// The first `n` test images of the fixtures as an IDX file.
fn small_idx(n: usize) -> IdxTensor {
    let data = fmnist_io::fixtures::small().unwrap();
    let pixels = data.test.images()[..n * 784].to_vec();
    IdxTensor::new(vec![n, 28, 28], pixels).unwrap()
}

/// One change to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    /// The byte at this position (modulo the length) set to a value.
    Set(usize, u8),
    /// A header byte (one of the first 16) set to a value: magic, rank or a dimension.
    Header(usize, u8),
    /// The file cut after this many bytes (modulo its length).
    Truncate(usize),
    /// A dimension (0..3) claimed as a large number.
    HugeDimension(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (0usize..16, any::<u8>()).prop_map(|(i, b)| Mutation::Header(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (0usize..3, 1u32 << 16..u32::MAX).prop_map(|(d, v)| Mutation::HugeDimension(d, v)),
    ]
}

/// `bytes` with `mutations` applied, in order, to the plain (uncompressed) layout.
fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        match *m {
            Mutation::Set(i, b) => {
                let at = i % bytes.len();
                bytes[at] = b;
            }
            Mutation::Header(i, b) => {
                let at = i % bytes.len().min(16);
                bytes[at] = b;
            }
            Mutation::Truncate(at) => bytes.truncate(at % bytes.len()),
            Mutation::HugeDimension(d, v) => {
                let at = 4 + 4 * d;
                if bytes.len() >= at + 4 {
                    bytes[at..at + 4].copy_from_slice(&v.to_be_bytes());
                }
            }
        }
    }
    bytes
}

/// Reads `bytes` as IDX and as `Images` from a file, checking memory; returns nothing on
/// success or error alike: what matters is that it returns.
fn read_all_ways(bytes: &[u8], dir: &Path) {
    let (peak, _) = peak_of(|| IdxTensor::from_bytes(bytes, "mutated.idx"));
    assert!(
        peak <= memory_bound(bytes.len()),
        "{peak} bytes held for {} bytes of input",
        bytes.len()
    );
    let path = dir.join("mutated-images");
    std::fs::write(&path, bytes).unwrap();
    let (peak, _) = peak_of(|| Images::read(&path, (28, 28), &mut |_, _| {}));
    assert!(
        peak <= memory_bound(bytes.len()),
        "{peak} bytes held reading {} bytes as images",
        bytes.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn mutated_plain_and_gzip_idx_files_are_read_without_panic_in_bounded_memory(
        mutations in prop::collection::vec(mutation(), 1..4),
        gzip in any::<bool>(),
    ) {
        let plain = mutate(small_idx(20).to_bytes(false), &mutations);
        let bytes = if gzip { gzip_bytes(&plain) } else { plain };
        let dir = tempfile::tempdir().unwrap();
        read_all_ways(&bytes, dir.path());
    }

    #[test]
    fn mutated_gzip_streams_are_read_without_panic_in_bounded_memory(
        mutations in prop::collection::vec(mutation(), 1..3),
    ) {
        // Mutations of the compressed bytes themselves: a corrupt stream, a wrong CRC or
        // length trailer, a cut in the middle of a block.
        let bytes = mutate(small_idx(20).to_bytes(true), &mutations);
        let dir = tempfile::tempdir().unwrap();
        read_all_ways(&bytes, dir.path());
    }

    #[test]
    fn mutated_npy_files_are_read_without_panic_in_bounded_memory(
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let idx = small_idx(20);
        let valid = fmnist_io::npy::to_npy(&[20, 28, 28], idx.data().iter().copied());
        let bytes = mutate(valid, &mutations);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutated.npy");
        std::fs::write(&path, &bytes).unwrap();
        let (peak, _) = peak_of(|| Images::read(&path, (28, 28), &mut |_, _| {}));
        prop_assert!(peak <= memory_bound(bytes.len()), "{peak} bytes for {}", bytes.len());
    }
}

/// A gzip header claiming billions of images, with a payload that stops early, is refused
/// before anything near that size is reserved.
#[test]
fn a_gzip_header_claiming_billions_of_images_is_refused_in_bounded_memory() {
    let mut plain = small_idx(20).to_bytes(false);
    plain[4..8].copy_from_slice(&3_000_000_000u32.to_be_bytes());
    let bytes = gzip_bytes(&plain);
    let (peak, result) = peak_of(|| IdxTensor::from_bytes(&bytes, "bomb.idx.gz"));
    assert!(result.is_err());
    assert!(peak <= memory_bound(bytes.len()), "{peak} bytes held");
}

fn gzip_bytes(plain: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(plain).unwrap();
    encoder.finish().unwrap()
}

/// The counter sees the reader's allocations: reading a valid file holds at least its pixels.
#[test]
fn the_peak_counter_sees_what_a_valid_read_holds() {
    let bytes = small_idx(20).to_bytes(false);
    let (peak, result) = peak_of(|| IdxTensor::from_bytes(&bytes, "valid.idx"));
    assert!(result.is_ok());
    assert!(peak >= 20 * 784, "{peak}");
}
