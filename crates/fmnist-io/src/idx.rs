//! The IDX file format (as used by MNIST and Fashion-MNIST), plain or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number — two zero bytes, a data-type byte and the number of
//! dimensions — followed by one big-endian `u32` per dimension and then the values in row-major
//! order. This module reads and writes tensors of unsigned bytes (type `0x08`) of any rank.
//! Compression is detected from the first two bytes (the gzip signature), never from the name.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::error::{DataError, IdxProblem, Result};

const GZIP_SIGNATURE: [u8; 2] = [0x1f, 0x8b];
const UNSIGNED_BYTE: u8 = 0x08;
/// Never reserve more than this up front for a payload whose size only the header declares.
const MAX_UPFRONT_RESERVE: u64 = 1 << 28;

/// A tensor of unsigned bytes: its dimensions and its values in row-major order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxTensor {
    dims: Vec<usize>,
    data: Vec<u8>,
}

/// A tensor read from a file, with what was learnt while reading it.
#[derive(Debug, Clone)]
pub struct IdxFile {
    /// The tensor.
    pub tensor: IdxTensor,
    /// SHA-256 of the decompressed file (header and values), as lowercase hex.
    pub payload_sha256: String,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
}

impl IdxTensor {
    /// A tensor with the given dimensions and row-major values.
    ///
    /// # Errors
    /// [`DataError::InvalidParameter`] if there are no dimensions, a dimension does not fit the
    /// format's `u32`, or the number of values is not the product of the dimensions.
    pub fn new(dims: Vec<usize>, data: Vec<u8>) -> Result<Self> {
        if dims.is_empty() || dims.len() > usize::from(u8::MAX) {
            return Err(DataError::InvalidParameter(format!(
                "an IDX tensor needs 1 to 255 dimensions, got {}",
                dims.len()
            )));
        }
        if let Some(&d) = dims.iter().find(|&&d| u32::try_from(d).is_err()) {
            return Err(DataError::InvalidParameter(format!(
                "dimension {d} does not fit the IDX format's 32-bit sizes"
            )));
        }
        let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if expected != Some(data.len()) {
            return Err(DataError::InvalidParameter(format!(
                "dimensions {dims:?} need {} values, got {}",
                expected.map_or_else(|| "too many".to_string(), |n| n.to_string()),
                data.len()
            )));
        }
        Ok(Self { dims, data })
    }

    /// The dimensions, outermost first (for images: count, rows, columns).
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The values in row-major order.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Dimensions and values, consuming the tensor.
    pub fn into_parts(self) -> (Vec<usize>, Vec<u8>) {
        (self.dims, self.data)
    }

    /// Reads an IDX file, plain or gzip-compressed.
    ///
    /// # Errors
    /// [`DataError::Io`] if the file cannot be read; [`DataError::Idx`] naming the file and the problem
    /// if its bytes are not a valid unsigned-byte IDX tensor (bad magic, unsupported type,
    /// truncated or trailing data, corrupt gzip).
    pub fn read(path: impl AsRef<Path>) -> Result<IdxFile> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        let len = file.metadata().map_err(|e| DataError::io(path, e))?.len();
        read_idx_from(BufReader::new(file), Some(len), path)
    }

    /// Parses IDX bytes held in memory, plain or gzip-compressed. `name` is used in errors.
    ///
    /// # Errors
    /// As [`IdxTensor::read`].
    pub fn from_bytes(bytes: &[u8], name: impl Into<PathBuf>) -> Result<IdxFile> {
        read_idx_from(bytes, Some(bytes.len() as u64), &name.into())
    }

    /// Serialises the tensor to IDX bytes, optionally gzip-compressed.
    pub fn to_bytes(&self, gzip: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 4 * self.dims.len() + self.data.len());
        if gzip {
            let mut encoder = GzEncoder::new(&mut out, Compression::default());
            self.write_plain(&mut encoder)
                .and_then(|()| encoder.finish().map(drop))
                .expect("writing to a Vec cannot fail");
        } else {
            self.write_plain(&mut out)
                .expect("writing to a Vec cannot fail");
        }
        out
    }

    /// Writes the tensor to `path`, optionally gzip-compressed, atomically: the bytes go to a
    /// temporary file in the same directory that replaces `path` only once complete.
    ///
    /// # Errors
    /// [`DataError::Io`] if the directory is not writable or the disk is full.
    pub fn write(&self, path: impl AsRef<Path>, gzip: bool) -> Result<()> {
        fmnist_core::write_atomically(path.as_ref(), |file| {
            let mut writer = BufWriter::new(file);
            if gzip {
                let mut encoder = GzEncoder::new(&mut writer, Compression::default());
                self.write_plain(&mut encoder)?;
                encoder.finish()?;
            } else {
                self.write_plain(&mut writer)?;
            }
            writer.flush()
        })?;
        Ok(())
    }

    fn write_plain(&self, out: &mut impl Write) -> std::io::Result<()> {
        // `new` guarantees 1..=255 dimensions, each fitting in u32.
        out.write_all(&[0, 0, UNSIGNED_BYTE, self.dims.len() as u8])?;
        for &d in &self.dims {
            out.write_all(&(d as u32).to_be_bytes())?;
        }
        out.write_all(&self.data)
    }
}

/// Reads an IDX tensor from any byte source, hashing the decompressed bytes as it goes.
/// `len_hint` is the size of the source on disk, used to refuse absurd headers cheaply.
fn read_idx_from(mut source: impl Read, len_hint: Option<u64>, path: &Path) -> Result<IdxFile> {
    let io_err = |e: std::io::Error| DataError::io(path, e);
    let mut signature = [0u8; 2];
    let got = read_up_to(&mut source, &mut signature).map_err(io_err)?;
    let prefix = &signature[..got];
    if prefix == GZIP_SIGNATURE {
        let decoder = MultiGzDecoder::new(prefix.chain(source));
        IdxReader::new(decoder, path, true).read(len_hint.map(Length::Compressed))
    } else {
        IdxReader::new(prefix.chain(source), path, false).read(len_hint.map(Length::Plain))
    }
}

/// The most a deflate stream inflates per byte (1,032 to 1 in theory), with room for gzip's
/// member headers.
const MAX_INFLATION: u64 = 1_100;

/// What the size of a file on disk says about its decompressed length.
#[derive(Debug, Clone, Copy)]
enum Length {
    /// A plain file: exactly this long.
    Plain(u64),
    /// A gzip file of this many bytes: at most [`MAX_INFLATION`] times as long inflated.
    Compressed(u64),
}

/// An IDX stream being parsed: its decompressed bytes (hashed as they are read), the name used
/// in errors, and whether it is gzip (whose corrupt data surfaces as read errors).
struct IdxReader<'a, R> {
    reader: HashingReader<R>,
    path: &'a Path,
    gzip: bool,
}

impl<'a, R: Read> IdxReader<'a, R> {
    fn new(source: R, path: &'a Path, gzip: bool) -> Self {
        Self {
            reader: HashingReader::new(source),
            path,
            gzip,
        }
    }

    /// Header, then payload. `len_hint` is the file's size on disk.
    fn read(mut self, len_hint: Option<Length>) -> Result<IdxFile> {
        let rank = self.rank()?;
        let dims = self.dims(rank)?;
        let expected = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(u64::from(d)))
            .filter(|&n| usize::try_from(n).is_ok())
            .ok_or_else(|| self.problem(IdxProblem::SizeOverflow { dims: dims.clone() }))?;
        let what = match rank {
            1 => "labels",
            3 => "pixels",
            _ => "values",
        };
        self.check_length(len_hint, 4 + 4 * rank as u64, expected, what)?;
        let data = self.payload(expected, what)?;
        let dims = dims.iter().map(|&d| d as usize).collect();
        Ok(IdxFile {
            tensor: IdxTensor { dims, data },
            payload_sha256: self.reader.hex_digest(),
            gzip: self.gzip,
        })
    }

    /// Refuses, before anything is allocated, a payload of `expected` bytes that the file on
    /// disk cannot hold after its `header_len`-byte header: a truncated plain file, or a
    /// declared size beyond what a gzip file of its size can inflate to.
    fn check_length(
        &self,
        len_hint: Option<Length>,
        header_len: u64,
        expected: u64,
        what: &'static str,
    ) -> Result<()> {
        match len_hint {
            Some(Length::Plain(on_disk)) if on_disk.saturating_sub(header_len) < expected => {
                Err(self.problem(IdxProblem::Truncated {
                    expected,
                    found: on_disk.saturating_sub(header_len),
                    what,
                }))
            }
            Some(Length::Compressed(compressed))
                if compressed.saturating_mul(MAX_INFLATION) < expected =>
            {
                Err(self.problem(IdxProblem::ImplausibleSize {
                    expected,
                    what,
                    compressed,
                }))
            }
            _ => Ok(()),
        }
    }

    /// The magic number (two zero bytes, the unsigned-byte type code, the rank): the rank.
    fn rank(&mut self) -> Result<usize> {
        let mut magic = [0u8; 4];
        let found = self.fill(&mut magic)?;
        if found < 4 {
            return Err(self.problem(IdxProblem::TruncatedHeader { expected: 4, found }));
        }
        if magic[0] != 0 || magic[1] != 0 {
            return Err(self.problem(IdxProblem::BadMagic {
                found: u32::from_be_bytes(magic),
            }));
        }
        if magic[2] != UNSIGNED_BYTE {
            return Err(self.problem(IdxProblem::UnsupportedType {
                code: magic[2],
                name: type_name(magic[2]),
            }));
        }
        match usize::from(magic[3]) {
            0 => Err(self.problem(IdxProblem::NoDimensions)),
            rank => Ok(rank),
        }
    }

    /// The `rank` big-endian dimension sizes after the magic number.
    fn dims(&mut self, rank: usize) -> Result<Vec<u32>> {
        let mut raw = vec![0u8; 4 * rank];
        let found = self.fill(&mut raw)?;
        if found < raw.len() {
            return Err(self.problem(IdxProblem::TruncatedHeader {
                expected: 4 + raw.len(),
                found: 4 + found,
            }));
        }
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The payload, which must be exactly `expected` bytes: fewer is a truncation, more is
    /// trailing data. At most [`MAX_UPFRONT_RESERVE`] bytes are reserved before they arrive.
    fn payload(&mut self, expected: u64, what: &'static str) -> Result<Vec<u8>> {
        let mut data = Vec::with_capacity(expected.min(MAX_UPFRONT_RESERVE) as usize);
        (&mut self.reader)
            .take(expected + 1)
            .read_to_end(&mut data)
            .map_err(|e| read_error(self.path, e, self.gzip))?;
        let found = data.len() as u64;
        if found < expected {
            return Err(self.problem(IdxProblem::Truncated {
                expected,
                found,
                what,
            }));
        }
        if found > expected {
            return Err(self.problem(IdxProblem::TrailingData { expected, what }));
        }
        Ok(data)
    }

    /// Fills as much of `buf` as the stream has, returning how many bytes were read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        read_up_to(&mut self.reader, buf).map_err(|e| read_error(self.path, e, self.gzip))
    }

    fn problem(&self, problem: IdxProblem) -> DataError {
        DataError::idx(self.path, problem)
    }
}

/// A read failure: for gzip input, corrupt data surfaces as an I/O error of the decoder.
fn read_error(path: &Path, error: std::io::Error, gzip: bool) -> DataError {
    use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
    if gzip && matches!(error.kind(), InvalidData | InvalidInput | UnexpectedEof) {
        DataError::idx(path, IdxProblem::Gzip(error.to_string()))
    } else {
        DataError::io(path, error)
    }
}

/// Fills as much of `buf` as the source has, returning how many bytes were read.
fn read_up_to(source: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "unknown",
    }
}

/// A reader that hashes everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn hex_digest(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gzip bytes of an IDX header declaring `n x 28 x 28` pixels followed by `zeros` zero bytes.
    fn gzip_claiming(n: u32, zeros: usize) -> Vec<u8> {
        let mut plain = vec![0, 0, UNSIGNED_BYTE, 3];
        for d in [n, 28, 28] {
            plain.extend(d.to_be_bytes());
        }
        plain.resize(plain.len() + zeros, 0);
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        std::io::Write::write_all(&mut encoder, &plain).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_it_inflates() {
        // 8 MB of zeros compress to a few kB; the header claims 4e9 images (3 TB).
        let bomb = gzip_claiming(4_000_000_000, 8 << 20);
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        let err = IdxTensor::from_bytes(&bomb, "bomb.gz").unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Idx {
                    problem: IdxProblem::ImplausibleSize { .. },
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("more than a"), "{err}");
        // A plausible declared size is read as usual.
        let honest = gzip_claiming(10, 10 * 784);
        assert_eq!(
            IdxTensor::from_bytes(&honest, "ok.gz")
                .unwrap()
                .tensor
                .dims(),
            [10, 28, 28]
        );
    }

    fn header(type_code: u8, dims: &[u32]) -> Vec<u8> {
        let mut bytes = vec![0, 0, type_code, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes
    }

    fn problem(result: Result<IdxFile>) -> IdxProblem {
        match result {
            Err(DataError::Idx { problem, .. }) => problem,
            other => panic!("expected an IDX problem, got {other:?}"),
        }
    }

    #[test]
    fn round_trips_plain_and_gzip() {
        let tensor = IdxTensor::new(vec![2, 3, 2], (0..12).collect()).unwrap();
        for gzip in [false, true] {
            let bytes = tensor.to_bytes(gzip);
            assert_eq!(bytes.starts_with(&GZIP_SIGNATURE), gzip);
            let read = IdxTensor::from_bytes(&bytes, "mem").unwrap();
            assert_eq!(read.tensor, tensor);
            assert_eq!(read.gzip, gzip);
        }
    }

    #[test]
    fn digest_is_of_the_decompressed_payload() {
        let tensor = IdxTensor::new(vec![4], vec![1, 2, 3, 4]).unwrap();
        let plain = IdxTensor::from_bytes(&tensor.to_bytes(false), "a").unwrap();
        let gz = IdxTensor::from_bytes(&tensor.to_bytes(true), "b").unwrap();
        assert_eq!(plain.payload_sha256, gz.payload_sha256);
        assert_eq!(
            plain.payload_sha256,
            hex(&Sha256::digest(tensor.to_bytes(false)))
        );
    }

    #[test]
    fn reports_truncated_payload_with_counts() {
        let mut bytes = header(0x08, &[10, 28, 28]);
        bytes.extend(std::iter::repeat_n(7u8, 1200));
        let err = IdxTensor::from_bytes(&bytes, "images.idx").unwrap_err();
        assert_eq!(
            err.to_string(),
            "images.idx: truncated: expected 7840 bytes of pixels, found 1200"
        );
        // The same through gzip, where the size is only known after decompression.
        let gz = {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(&bytes).unwrap();
            e.finish().unwrap()
        };
        assert_eq!(
            problem(IdxTensor::from_bytes(&gz, "x")),
            IdxProblem::Truncated {
                expected: 7840,
                found: 1200,
                what: "pixels"
            }
        );
    }

    #[test]
    fn reports_trailing_data() {
        let mut bytes = header(0x08, &[3]);
        bytes.extend([1, 2, 3, 4]);
        assert_eq!(
            problem(IdxTensor::from_bytes(&bytes, "x")),
            IdxProblem::TrailingData {
                expected: 3,
                what: "labels"
            }
        );
    }

    #[test]
    fn reports_header_problems() {
        assert_eq!(
            problem(IdxTensor::from_bytes(&[0, 0], "x")),
            IdxProblem::TruncatedHeader {
                expected: 4,
                found: 2
            }
        );
        assert_eq!(
            problem(IdxTensor::from_bytes(&[1, 2, 8, 1, 0, 0, 0, 0], "x")),
            IdxProblem::BadMagic { found: 0x01020801 }
        );
        assert_eq!(
            problem(IdxTensor::from_bytes(&header(0x0D, &[1]), "x")),
            IdxProblem::UnsupportedType {
                code: 0x0D,
                name: "32-bit float"
            }
        );
        assert_eq!(
            problem(IdxTensor::from_bytes(&header(0x08, &[]), "x")),
            IdxProblem::NoDimensions
        );
        assert_eq!(
            problem(IdxTensor::from_bytes(&[0, 0, 8, 3, 0, 0, 0, 5, 0], "x")),
            IdxProblem::TruncatedHeader {
                expected: 16,
                found: 9
            }
        );
    }

    #[test]
    fn huge_declared_sizes_fail_without_allocating() {
        let bytes = header(0x08, &[u32::MAX, u32::MAX, u32::MAX]);
        assert!(matches!(
            problem(IdxTensor::from_bytes(&bytes, "x")),
            IdxProblem::SizeOverflow { .. } | IdxProblem::Truncated { .. }
        ));
    }

    #[test]
    fn corrupt_gzip_is_reported_as_such() {
        let mut gz = IdxTensor::new(vec![100], vec![9; 100])
            .unwrap()
            .to_bytes(true);
        let n = gz.len();
        gz.truncate(n - 12);
        assert!(matches!(
            problem(IdxTensor::from_bytes(&gz, "x")),
            IdxProblem::Gzip(_) | IdxProblem::Truncated { .. }
        ));
        let mut garbage = GZIP_SIGNATURE.to_vec();
        garbage.extend([0xff; 40]);
        assert!(matches!(
            problem(IdxTensor::from_bytes(&garbage, "x")),
            IdxProblem::Gzip(_) | IdxProblem::TruncatedHeader { .. }
        ));
    }

    proptest::proptest! {
        #[test]
        fn write_then_read_gives_the_same_tensor(
            dims in proptest::collection::vec(0usize..6, 1..5),
            gzip: bool,
            seed: u8,
        ) {
            let len: usize = dims.iter().product();
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            let tensor = IdxTensor::new(dims, data).unwrap();
            let read = IdxTensor::from_bytes(&tensor.to_bytes(gzip), "mem").unwrap();
            proptest::prop_assert_eq!(read.tensor, tensor);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            // Most arbitrary inputs are invalid; whatever they are, the answer is a value, not a panic.
            let _ = IdxTensor::from_bytes(&bytes, "fuzz");
        }

        #[test]
        fn valid_headers_with_wrong_payload_sizes_are_errors(
            dims in proptest::collection::vec(1u32..5, 1..4),
            delta in -3i64..=3,
            gzip: bool,
        ) {
            let len: i64 = dims.iter().map(|&d| i64::from(d)).product();
            let mut bytes = header(0x08, &dims);
            bytes.extend(std::iter::repeat_n(1u8, (len + delta).max(0) as usize));
            let bytes = if gzip {
                let mut e = GzEncoder::new(Vec::new(), Compression::fast());
                e.write_all(&bytes).unwrap();
                e.finish().unwrap()
            } else {
                bytes
            };
            let result = IdxTensor::from_bytes(&bytes, "x");
            proptest::prop_assert_eq!(result.is_ok(), delta == 0);
        }
    }

    /// Writes are fmnist-core's atomic writes (tested there); a failure is this crate's
    /// [`DataError::Io`] with core's message, naming the directory once.
    #[test]
    fn a_failed_write_is_an_io_error_naming_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let tensor = IdxTensor::new(vec![2], vec![1, 2]).unwrap();
        let missing = dir.path().join("no-such-dir");
        let err = tensor.write(missing.join("x.idx"), false).unwrap_err();
        let DataError::Io { path, error } = &err else {
            panic!("expected an I/O error, got {err:?}");
        };
        assert_eq!(path, &missing);
        assert_eq!(err.to_string(), format!("{}: {error}", missing.display()));
        assert!(std::error::Error::source(&err).is_none());
        let written = dir.path().join("labels.idx");
        tensor.write(&written, true).unwrap();
        assert_eq!(IdxTensor::read(&written).unwrap().tensor, tensor);
    }

    #[test]
    fn new_validates_shape() {
        assert!(IdxTensor::new(vec![], vec![]).is_err());
        assert!(IdxTensor::new(vec![2, 2], vec![0; 3]).is_err());
        assert!(IdxTensor::new(vec![0, 5], vec![]).is_ok());
    }
}
