//! Golden blobs in `fixtures/blobs/` (written only by `cargo xtask golden`): a blob of the current
//! format version loads (memory-mapped) and answers exactly as recorded; a blob of any other
//! version is rejected with a clear version error, never misread.

mod support;

use detour_cli::answer::Answer;
use detour_cli::engine::match_compiled;
use detour_cli::requests::parse_request_line;
use detour_format::FORMAT_VERSION;
use detour_runtime::{Blob, LoadError, MatchOptions, Matcher, Scratch};
use support::cases::fixtures;

fn version_of(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes[8..12].try_into().unwrap())
}

#[test]
fn golden_blobs_load_or_are_rejected_by_version() {
    let dir = fixtures().join("blobs");
    let requests = std::fs::read_to_string(dir.join("requests.jsonl")).unwrap();
    let mut current = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "detour") {
            continue;
        }
        let version = version_of(&std::fs::read(&path).unwrap());
        match Blob::open(&path) {
            Ok(blob) => {
                assert_eq!(version, FORMAT_VERSION, "{} loaded with another version", path.display());
                current += 1;
                let expected = std::fs::read_to_string(path.with_extension("expected.jsonl")).unwrap();
                let matcher = Matcher::new(blob, MatchOptions::default());
                let mut scratch = Scratch::new();
                let got: Vec<String> = requests
                    .lines()
                    .map(|l| match_compiled(&matcher, &parse_request_line(l).unwrap(), &mut scratch))
                    .map(|a: Answer| a.to_json().to_string())
                    .collect();
                let want: Vec<&str> = expected.lines().collect();
                assert_eq!(got, want, "{}", path.display());
            }
            Err(LoadError::UnsupportedVersion { found, supported }) => {
                assert_eq!((found, supported), (version, FORMAT_VERSION));
                assert_ne!(version, FORMAT_VERSION);
            }
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    assert_eq!(current, 1, "exactly one golden blob of the current format version");
}

#[test]
fn a_blob_of_another_version_is_rejected_clearly() {
    let mut bytes = std::fs::read(fixtures().join(format!("blobs/v{FORMAT_VERSION}.detour"))).unwrap();
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = Blob::from_bytes(&bytes).err().expect("rejected");
    assert!(matches!(err, LoadError::UnsupportedVersion { .. }));
    assert!(err.to_string().contains("recompile the rules"), "{err}");
}
