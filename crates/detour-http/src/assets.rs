//! "Is there a file at this path?": what shadowing (SPEC §3.11) asks the site, and which request
//! paths may name a file at all.

use std::path::PathBuf;

/// Answers whether the inner service has a file at a request path. An unforced rule does not
/// apply when it does.
pub trait AssetLookup: Send + Sync + 'static {
    /// `path` is the request path, percent-decoded.
    fn exists(&self, path: &[u8]) -> bool;
}

/// The longest file or directory name served (Linux's `NAME_MAX`); a longer segment is a 404.
pub const MAX_NAME_BYTES: usize = 255;

/// The longest decoded request path served as a file; a longer path is a 404 (the file system
/// would refuse it as too long, which must not become a 500).
pub const MAX_FILE_PATH_BYTES: usize = 2048;

/// Site files that configure the server and are never served as content (as on Netlify).
const CONFIG_FILES: [&str; 3] = ["_redirects", "_headers", "netlify.toml"];

/// Which request paths the file service may serve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilePolicy {
    /// Serve dot-files, dot-directories and the rule files too (`--serve-hidden`).
    pub serve_hidden: bool,
}

impl FilePolicy {
    /// The site-relative path a percent-decoded request path names, when it may be served:
    /// canonical (no empty segment except a trailing one, no `.` or `..`, no `\` or NUL: the
    /// matcher keeps all of these, so a file service that dropped them would serve a file
    /// under a path no rule saw), every name within [`MAX_NAME_BYTES`], and not hidden.
    pub fn servable<'a>(&self, decoded: &'a [u8]) -> Option<&'a str> {
        let path = std::str::from_utf8(decoded).ok()?;
        if path.len() > MAX_FILE_PATH_BYTES {
            return None;
        }
        let relative = path.strip_prefix('/')?;
        let mut segments = relative.split('/').peekable();
        let mut first = true;
        while let Some(segment) = segments.next() {
            let last = segments.peek().is_none();
            if !is_plain_name(segment, last) || (!self.serve_hidden && is_hidden(segment, first, last)) {
                return None;
            }
            first = false;
        }
        Some(relative)
    }
}

/// A name the file system reads as itself: not empty (but for the trailing slash), not `.` or
/// `..`, no separator or NUL, not too long.
fn is_plain_name(segment: &str, last: bool) -> bool {
    if segment.is_empty() {
        return last;
    }
    segment != "."
        && segment != ".."
        && segment.len() <= MAX_NAME_BYTES
        && !segment.bytes().any(|b| b == b'\\' || b == 0)
}

/// Dot-files and dot-directories (except `/.well-known/`, RFC 8615), and the rule files at the
/// root, compared without case (a case-insensitive file system serves `NETLIFY.TOML` too).
fn is_hidden(segment: &str, first: bool, last: bool) -> bool {
    if segment.starts_with('.') {
        return !(first && !last && segment == ".well-known");
    }
    first && last && CONFIG_FILES.iter().any(|f| f.eq_ignore_ascii_case(segment))
}

/// The files of a static site directory, as `tower_http::services::ServeDir` serves them: a
/// file, or a directory with an `index.html`, at a path [`FilePolicy`] allows.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
    policy: FilePolicy,
}

impl StaticFiles {
    /// The site at `root`, hidden files hidden.
    pub fn new(root: impl Into<PathBuf>) -> StaticFiles {
        StaticFiles::with_policy(root, FilePolicy::default())
    }

    /// The site at `root`, served under `policy`.
    pub fn with_policy(root: impl Into<PathBuf>, policy: FilePolicy) -> StaticFiles {
        StaticFiles { root: root.into(), policy }
    }

    /// The file a request path would be served from, if the path is servable and the file exists.
    pub fn file_for(&self, path: &[u8]) -> Option<PathBuf> {
        let relative = self.policy.servable(path)?;
        let mut full = self.root.clone();
        full.extend(relative.split('/').filter(|s| !s.is_empty()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_visible_paths_are_servable() {
        let policy = FilePolicy::default();
        for ok in ["/", "/a", "/a/", "/a/b.html", "/.well-known/x", "/sub/_redirects", "/café", "/a.b"] {
            assert_eq!(policy.servable(ok.as_bytes()), Some(&ok[1..]), "{ok}");
        }
        let long = format!("/{}", "a".repeat(MAX_NAME_BYTES + 1));
        let deep = "/a".repeat(MAX_FILE_PATH_BYTES);
        for refused in [
            "",
            "a",
            "//a",
            "/a//b",
            "/./a",
            "/a/.",
            "/../a",
            "/a/..",
            "/a\\b",
            "/a\0",
            "/.env",
            "/.git/config",
            "/a/.hidden",
            "/.well-known",
            "/.well-known/.x",
            "/_redirects",
            "/NETLIFY.TOML",
            "/_headers",
            &long,
            &deep,
        ] {
            assert_eq!(policy.servable(refused.as_bytes()), None, "{refused:?}");
        }
        assert_eq!(policy.servable(b"/\xff"), None, "not UTF-8");
        let open = FilePolicy { serve_hidden: true };
        assert_eq!(open.servable(b"/.env"), Some(".env"));
        assert_eq!(open.servable(b"/netlify.toml"), Some("netlify.toml"));
        assert_eq!(open.servable(b"//a"), None, "canonical form is required whatever the flag");
    }
}
