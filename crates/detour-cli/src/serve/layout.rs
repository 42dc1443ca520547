//! Where a site's files and rule files are: the directory `serve` was given (the base, with
//! `netlify.toml`), and the directory published from it (`[build] publish`, with `_redirects`
//! and the pages), as on Netlify.

use std::fmt;
use std::path::{Path, PathBuf};

/// The base directory and the publish directory of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteLayout {
    /// The directory given to `serve`: `netlify.toml` is read from here.
    pub base: PathBuf,
    /// The directory served: `base` itself, or `[build] publish` of `netlify.toml`, relative to
    /// `base`. Its `_redirects`, `404.html` and pages are used.
    pub publish: PathBuf,
}

/// Why a site's layout cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// `[build] publish` names no directory.
    PublishNotADirectory {
        /// The value as written.
        publish: String,
        /// Where it leads.
        path: PathBuf,
    },
    /// `[build] publish` leads out of the base directory (`/`, `..`, or a symlink out of it).
    PublishOutsideBase {
        /// The value as written.
        publish: String,
        /// Where it leads, symlinks resolved.
        path: PathBuf,
    },
    /// `[build] publish` is not a string.
    PublishNotAString,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::PublishNotADirectory { publish, path } => {
                write!(f, "netlify.toml: [build] publish = {publish:?}: {} is not a directory", path.display())
            }
            LayoutError::PublishOutsideBase { publish, path } => write!(
                f,
                "netlify.toml: [build] publish = {publish:?}: {} is outside the site directory",
                path.display()
            ),
            LayoutError::PublishNotAString => write!(f, "netlify.toml: [build] publish must be a string"),
        }
    }
}

impl std::error::Error for LayoutError {}

impl SiteLayout {
    /// The layout of the site in `base`. A `netlify.toml` that is not valid TOML publishes
    /// `base` (its rules report the problem); a `publish` that names no directory is an error.
    pub fn of(base: &Path) -> Result<SiteLayout, LayoutError> {
        let publish = match publish_setting(&base.join("netlify.toml"))? {
            None => base.to_path_buf(),
            Some(publish) => {
                // Rebuilt from its components, so `publish = "."` names `base`, not `base/.`.
                let path: PathBuf = base.join(&publish).components().collect();
                if !path.is_dir() {
                    return Err(LayoutError::PublishNotADirectory { publish, path });
                }
                inside_base(base, &path, publish)?;
                path
            }
        };
        Ok(SiteLayout { base: base.to_path_buf(), publish })
    }

    /// The rule files a site may have, in priority order (SPEC §1): the published `_redirects`,
    /// then the base's `netlify.toml`. They may not exist.
    pub fn rule_file_candidates(&self) -> [PathBuf; 2] {
        [self.publish.join("_redirects"), self.base.join("netlify.toml")]
    }

    /// The rule files that exist, in priority order.
    pub fn rule_files(&self) -> Vec<PathBuf> {
        self.rule_file_candidates().into_iter().filter(|p| p.is_file()).collect()
    }
}

/// Refuses a publish directory that is not `base` or below it once symlinks are resolved: a
/// `netlify.toml` must not publish `/` or a sibling project (docs/semantics.md H19).
fn inside_base(base: &Path, path: &Path, publish: String) -> Result<(), LayoutError> {
    match (path.canonicalize(), base.canonicalize()) {
        (Ok(resolved), Ok(base)) if resolved.starts_with(&base) => Ok(()),
        (resolved, _) => {
            Err(LayoutError::PublishOutsideBase { publish, path: resolved.unwrap_or_else(|_| path.to_path_buf()) })
        }
    }
}

/// `[build] publish` of a `netlify.toml`, when the file exists, parses and sets it.
fn publish_setting(file: &Path) -> Result<Option<String>, LayoutError> {
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(None) };
    let Ok(table) = text.parse::<toml::Table>() else { return Ok(None) };
    match table.get("build").and_then(|b| b.get("publish")) {
        None => Ok(None),
        Some(toml::Value::String(publish)) => Ok(Some(publish.clone())),
        Some(_) => Err(LayoutError::PublishNotAString),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_is_relative_to_the_base_and_must_exist() {
        let base = std::env::temp_dir().join(format!("detour-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("dist")).unwrap();
        assert_eq!(SiteLayout::of(&base).unwrap().publish, base);
        std::fs::write(base.join("netlify.toml"), "[build]\npublish = \"dist\"\n").unwrap();
        let layout = SiteLayout::of(&base).unwrap();
        assert_eq!(layout.publish, base.join("dist"));
        assert_eq!(layout.rule_file_candidates(), [base.join("dist/_redirects"), base.join("netlify.toml")]);
        std::fs::write(base.join("netlify.toml"), "[build]\npublish = \"nowhere\"\n").unwrap();
        assert!(matches!(SiteLayout::of(&base), Err(LayoutError::PublishNotADirectory { .. })));
        for outside in ["/", "..", "dist/../.."] {
            std::fs::write(base.join("netlify.toml"), format!("[build]\npublish = {outside:?}\n")).unwrap();
            assert!(matches!(SiteLayout::of(&base), Err(LayoutError::PublishOutsideBase { .. })), "{outside}");
        }
        std::fs::write(base.join("netlify.toml"), "[build]\npublish = \"dist/../dist/\"\n").unwrap();
        assert!(SiteLayout::of(&base).is_ok(), "a detour that stays inside is fine");
        std::fs::write(base.join("netlify.toml"), "[build]\npublish = \".\"\n").unwrap();
        assert_eq!(
            SiteLayout::of(&base).unwrap().publish.as_os_str(),
            base.as_os_str(),
            "`.` is the base itself, not `base/.`"
        );
        std::fs::write(base.join("netlify.toml"), "[build]\npublish = 3\n").unwrap();
        assert_eq!(SiteLayout::of(&base), Err(LayoutError::PublishNotAString));
        std::fs::write(base.join("netlify.toml"), "not [toml").unwrap();
        assert_eq!(SiteLayout::of(&base).unwrap().publish, base, "the rules report a broken file");
        let _ = std::fs::remove_dir_all(&base);
    }
}
