//! "Is there a file at this path?": what shadowing (SPEC §3.11) asks the site, and which request
//! paths may name a file at all.

use std::path::{Path, PathBuf};

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
    /// Pretty URLs, as Netlify serves them: [`SiteFiles`](crate::SiteFiles) answers `/about`
    /// with `about.html` when there is no file `about` (before `about/index.html`, as on
    /// Netlify). Such a page does not shadow rules.
    pub pretty_urls: bool,
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
/// file, or a directory with an `index.html`, at a path [`FilePolicy`] allows, that resolves
/// (symlinks followed) to a file inside the directory.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
    /// `root` with symlinks resolved, when it existed at construction.
    resolved_root: Option<PathBuf>,
    policy: FilePolicy,
}

impl StaticFiles {
    /// The site at `root`, hidden files hidden.
    pub fn new(root: impl Into<PathBuf>) -> StaticFiles {
        StaticFiles::with_policy(root, FilePolicy::default())
    }

    /// The site at `root`, served under `policy`.
    pub fn with_policy(root: impl Into<PathBuf>, policy: FilePolicy) -> StaticFiles {
        let root = root.into();
        StaticFiles { resolved_root: root.canonicalize().ok(), root, policy }
    }

    /// Whether `file` resolves to a file inside the site: a symlink out of it (to `/etc`, to a
    /// sibling project) is neither served nor shadows a rule (docs/semantics.md).
    fn inside_root(&self, file: &Path) -> bool {
        let Ok(resolved) = file.canonicalize() else { return false };
        match &self.resolved_root {
            Some(root) => resolved.starts_with(root),
            None => self.root.canonicalize().is_ok_and(|root| resolved.starts_with(root)),
        }
    }

    /// `file` when it is a file inside the site.
    fn served(&self, file: PathBuf) -> Option<PathBuf> {
        (file.is_file() && self.inside_root(&file)).then_some(file)
    }

    /// The file a request for a servable path gets: the file at the path, the directory's
    /// `index.html`, or under pretty URLs `PATH.html`. `None`: the request is a 404.
    pub fn served_file(&self, path: &[u8]) -> Option<PathBuf> {
        let relative = self.policy.servable(path)?;
        if self.serves_pretty_page(path) {
            return self.pretty_page(relative);
        }
        self.file_for(path)
    }

    /// The file a request path would be served from, if the path is servable and the file exists.
    /// A pretty URL's page (`about.html` for `/about`) does not count: it is the file service's
    /// fallback, so it never shadows a rule (docs/semantics.md).
    /// A path with a trailing slash names a directory: a file there (`/style.css/`) is not
    /// served (`ServeDir` answers 404), so it does not count either.
    pub fn file_for(&self, path: &[u8]) -> Option<PathBuf> {
        let relative = self.policy.servable(path)?;
        let full = self.local(relative);
        let names_directory = relative.is_empty() || relative.ends_with('/');
        if !names_directory && full.is_file() {
            return self.served(full);
        }
        self.served(full.join("index.html"))
    }

    /// Whether a request path is served from `PATH.html` under pretty URLs (no file at the path
    /// itself, no trailing slash, and that page exists): the file service then asks for it.
    pub fn serves_pretty_page(&self, path: &[u8]) -> bool {
        self.policy
            .servable(path)
            .is_some_and(|relative| !self.local(relative).is_file() && self.pretty_page(relative).is_some())
    }

    /// `relative.html`, when pretty URLs are on and it is a file.
    fn pretty_page(&self, relative: &str) -> Option<PathBuf> {
        if !self.policy.pretty_urls || relative.is_empty() || relative.ends_with('/') {
            return None;
        }
        let mut page = self.local(relative).into_os_string();
        page.push(".html");
        self.served(PathBuf::from(page))
    }

    /// The local path of a servable relative path.
    fn local(&self, relative: &str) -> PathBuf {
        let mut full = self.root.clone();
        full.extend(relative.split('/').filter(|s| !s.is_empty()));
        full
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
        let open = FilePolicy { serve_hidden: true, ..FilePolicy::default() };
        assert_eq!(open.servable(b"/.env"), Some(".env"));
        assert_eq!(open.servable(b"/netlify.toml"), Some("netlify.toml"));
        assert_eq!(open.servable(b"//a"), None, "canonical form is required whatever the flag");
    }
}

#[cfg(test)]
mod pretty_tests {
    use super::*;

    #[test]
    fn pretty_urls_find_the_html_page_before_the_directory_index_and_shadow_nothing() {
        let root = std::env::temp_dir().join(format!("detour-pretty-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("both")).unwrap();
        for f in ["about.html", "both.html", "both/index.html", "plain", "plain.html", ".about.html"] {
            std::fs::write(root.join(f), f).unwrap();
        }
        let pretty = StaticFiles::with_policy(&root, FilePolicy { pretty_urls: true, ..FilePolicy::default() });
        assert!(pretty.serves_pretty_page(b"/about"));
        assert!(pretty.serves_pretty_page(b"/both"), "the page before the directory");
        assert!(!pretty.serves_pretty_page(b"/both/"), "a trailing slash names a directory");
        assert!(!pretty.serves_pretty_page(b"/about/"));
        assert!(!pretty.serves_pretty_page(b"/plain"), "the file itself");
        assert!(!pretty.serves_pretty_page(b"/.about"), "hidden");
        let long = format!("/{}", "a".repeat(MAX_NAME_BYTES));
        assert!(!pretty.serves_pretty_page(long.as_bytes()), "a name too long with .html is just absent");
        assert_eq!(pretty.file_for(b"/about"), None, "a pretty page shadows no rule");
        assert_eq!(pretty.file_for(b"/both/"), Some(root.join("both/index.html")));
        assert_eq!(pretty.file_for(b"/plain"), Some(root.join("plain")));
        assert_eq!(pretty.file_for(b"/plain/"), None, "a file is not served under a trailing slash");
        let plain = StaticFiles::new(&root);
        assert!(!plain.serves_pretty_page(b"/about"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
