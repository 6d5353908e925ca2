//! The lookup chain, verification and downloads, without the network: a local HTTP server
//! serves the fixture subset, whose digests stand in for Fashion-MNIST's.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use fmnist_io::fixtures::small_dir;
use fmnist_io::{Checksums, DataError, DataFile, DownloadSource, IdxTensor, Locator, Origin};

fn fixture_path(file: DataFile) -> PathBuf {
    small_dir().join(format!("{}.gz", file.file_name()))
}

fn fixture_checksums() -> Checksums {
    Checksums::new(DataFile::ALL.map(|f| IdxTensor::read(fixture_path(f)).unwrap().payload_sha256))
}

/// A copy of the fixtures in a fresh temporary directory.
fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in DataFile::ALL {
        std::fs::copy(
            fixture_path(file),
            dir.path().join(format!("{}.gz", file.file_name())),
        )
        .unwrap();
    }
    dir
}

/// What the test server answers for a path.
#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    /// Announces more bytes than it sends, then closes.
    Cut(Vec<u8>),
}

/// Serves `routes` on a loopback port until the test process ends; returns the base URL.
fn serve(routes: HashMap<String, Reply>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let response = match routes.get(path.trim_start_matches('/')) {
                Some(Reply::Body(body)) => [
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes(),
                    body.clone(),
                ]
                .concat(),
                Some(Reply::Cut(body)) => [
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len() * 2
                    )
                    .into_bytes(),
                    body.clone(),
                ]
                .concat(),
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    base
}

fn fixture_routes() -> HashMap<String, Reply> {
    DataFile::ALL
        .iter()
        .map(|f| {
            (
                format!("{}.gz", f.file_name()),
                Reply::Body(std::fs::read(fixture_path(*f)).unwrap()),
            )
        })
        .collect()
}

fn downloading_locator(target: &Path, sources: Vec<DownloadSource>) -> Locator {
    Locator::new()
        .search_dirs(Vec::new())
        .download_dir(target.to_path_buf())
        .sources(sources)
        .checksums(fixture_checksums())
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect()
}

#[test]
fn an_explicit_directory_of_other_data_is_a_custom_set() {
    let (data, provenance) = Locator::new()
        .data_dir(Some(small_dir()))
        .offline()
        .load()
        .unwrap();
    assert_eq!((data.train.len(), data.test.len()), (1_000, 200));
    assert_eq!(data.train.class_counts(), vec![100; 10]);
    assert_eq!(data.test.class_counts(), vec![20; 10]);
    assert_eq!(data.train.class_names()[9], "Ankle boot"); // from classes.txt
    assert_eq!(provenance.origin, Origin::Explicit);
    assert!(!provenance.verified);
    assert_eq!(
        provenance.source_label(&Checksums::fashion_mnist()),
        "custom, unverified"
    );
}

#[test]
fn matching_digests_verify() {
    let (_, provenance) = Locator::new()
        .data_dir(Some(small_dir()))
        .offline()
        .checksums(fixture_checksums())
        .load()
        .unwrap();
    assert!(provenance.verified);
    assert_eq!(provenance.sha256.len(), 4);
}

#[test]
fn a_standard_location_must_hold_the_expected_data() {
    let err = Locator::new()
        .search_dirs(vec![(small_dir(), Origin::Local)])
        .offline()
        .load()
        .unwrap_err();
    let DataError::Checksum {
        file,
        expected,
        actual,
        ..
    } = &err
    else {
        panic!("expected a checksum error, got {err}");
    };
    assert_eq!(*file, "train-images-idx3-ubyte");
    assert_eq!(expected, DataFile::TrainImages.fashion_mnist_sha256());
    let message = err.to_string();
    assert!(message.contains(expected) && message.contains(actual.as_str()));
}

#[test]
fn a_partly_matching_set_is_a_corrupt_copy() {
    let dir = fixture_copy();
    let other_labels = IdxTensor::new(vec![200], vec![3; 200]).unwrap();
    let path = dir.path().join("t10k-labels-idx1-ubyte.gz");
    other_labels.write(&path, true).unwrap();
    let err = Locator::new()
        .data_dir(Some(dir.path().to_path_buf()))
        .offline()
        .checksums(fixture_checksums())
        .load()
        .unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Checksum {
                file: "t10k-labels-idx1-ubyte",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn missing_files_are_listed_when_fetching_is_off() {
    let dir = fixture_copy();
    std::fs::remove_file(dir.path().join("train-labels-idx1-ubyte.gz")).unwrap();
    let err = Locator::new()
        .data_dir(Some(dir.path().to_path_buf()))
        .offline()
        .load()
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, DataError::NotFound { .. }), "{message}");
    assert!(
        message.contains("missing train-labels-idx1-ubyte"),
        "{message}"
    );
}

#[test]
fn downloads_verify_and_rename_into_place() {
    let base = serve(fixture_routes());
    let target = tempfile::tempdir().unwrap();
    let mut fetched = Vec::new();
    let located = downloading_locator(target.path(), vec![DownloadSource::Http { base_url: base }])
        .locate(&mut |event| {
            if let fmnist_io::Event::Fetching { file, .. } = event {
                fetched.push(file);
            }
        })
        .unwrap();
    assert_eq!(fetched, DataFile::ALL.to_vec());
    assert_eq!(located.origin(), Origin::Downloaded);
    let (data, provenance) = located.load().unwrap();
    assert!(provenance.verified);
    assert_eq!(data.train.len(), 1_000);
    for file in DataFile::ALL {
        let path = target.path().join(format!("{}.gz", file.file_name()));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(fixture_path(file)).unwrap()
        );
    }
    assert!(leftovers(target.path()).is_empty());
}

#[test]
fn only_missing_files_are_fetched() {
    let base = serve(fixture_routes());
    let target = fixture_copy();
    std::fs::remove_file(target.path().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let mut fetched = Vec::new();
    downloading_locator(target.path(), vec![DownloadSource::Http { base_url: base }])
        .locate(&mut |event| {
            if let fmnist_io::Event::Fetching { file, .. } = event {
                fetched.push(file);
            }
        })
        .unwrap();
    assert_eq!(fetched, vec![DataFile::TestImages]);
}

#[test]
fn a_wrong_download_is_rejected_and_the_next_source_tried() {
    let mut wrong = fixture_routes();
    let impostor = IdxTensor::new(vec![1_000], vec![0; 1_000]).unwrap();
    wrong.insert(
        "train-labels-idx1-ubyte.gz".into(),
        Reply::Body(impostor.to_bytes(true)),
    );
    let bad = serve(wrong);
    let good = serve(fixture_routes());
    let target = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let located = downloading_locator(
        target.path(),
        vec![
            DownloadSource::Http {
                base_url: format!("{bad}missing/"),
            },
            DownloadSource::Http { base_url: bad },
            DownloadSource::Http { base_url: good },
        ],
    )
    .locate(&mut |event| {
        if let fmnist_io::Event::SourceFailed { error, .. } = event {
            failures.push(error.to_string());
        }
    })
    .unwrap();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0].contains("404"), "{}", failures[0]);
    assert!(
        failures[1].contains("SHA-256 mismatch for train-labels-idx1-ubyte"),
        "{}",
        failures[1]
    );
    assert!(located.load().unwrap().1.verified);
    assert!(leftovers(target.path()).is_empty());
}

#[test]
fn an_interrupted_download_leaves_nothing_behind() {
    let mut routes = fixture_routes();
    let body = std::fs::read(fixture_path(DataFile::TrainImages)).unwrap();
    routes.insert(
        "train-images-idx3-ubyte.gz".into(),
        Reply::Cut(body[..body.len() / 2].to_vec()),
    );
    let base = serve(routes);
    let target = tempfile::tempdir().unwrap();
    let err = downloading_locator(target.path(), vec![DownloadSource::Http { base_url: base }])
        .locate(&mut |_| {})
        .unwrap_err();
    assert!(matches!(err, DataError::NotFound { .. }), "{err}");
    assert!(!target.path().join("train-images-idx3-ubyte.gz").exists());
    assert!(leftovers(target.path()).is_empty());
}

#[test]
fn an_unreachable_source_is_reported() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = tempfile::tempdir().unwrap();
    let err = downloading_locator(
        target.path(),
        vec![DownloadSource::Http {
            base_url: format!("http://127.0.0.1:{port}/"),
        }],
    )
    .load()
    .unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_stray_label_without_class_names_is_an_error_naming_it() {
    let dir = fixture_copy();
    let path = dir.path().join("train-labels-idx1-ubyte.gz");
    let labels = IdxTensor::read(&path).unwrap().tensor;
    let (dims, mut values) = labels.into_parts();
    values[37] = 200;
    IdxTensor::new(dims, values)
        .unwrap()
        .write(&path, true)
        .unwrap();
    let err = Locator::new()
        .data_dir(Some(dir.path().to_path_buf()))
        .offline()
        .load()
        .unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelGap {
                index: 37,
                label: 200,
                missing: 10,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("train-labels-idx1-ubyte.gz: label 200 at index 37"),
        "{err}"
    );
}
