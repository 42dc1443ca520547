//! "Is there a file at this path?": what shadowing (SPEC §3.11) asks the site.

use std::path::{Path, PathBuf};

/// Answers whether the inner service has a file at a request path. An unforced rule does not
/// apply when it does.
pub trait AssetLookup: Send + Sync + 'static {
    /// `path` is the request path, percent-decoded.
    fn exists(&self, path: &[u8]) -> bool;
}

/// The files of a static site directory, as `tower_http::services::ServeDir` serves them: a
/// file, or a directory with an `index.html`.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
}

impl StaticFiles {
    /// The site at `root`.
    pub fn new(root: impl Into<PathBuf>) -> StaticFiles {
        StaticFiles { root: root.into() }
    }

    /// The file a request path would be served from, if the path is safe and the file exists.
    pub fn file_for(&self, path: &[u8]) -> Option<PathBuf> {
        let path = std::str::from_utf8(path).ok()?;
        let mut full = self.root.clone();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if segment == ".." || segment == "." || segment.contains('\\') || Path::new(segment).is_absolute() {
                return None;
            }
            full.push(segment);
        }
        let meta = std::fs::metadata(&full).ok()?;
        if meta.is_file() {
            return Some(full);
        }
        let index = full.join("index.html");
        index.is_file().then_some(index)
    }
}

impl AssetLookup for StaticFiles {
    fn exists(&self, path: &[u8]) -> bool {
        self.file_for(path).is_some()
    }
}
