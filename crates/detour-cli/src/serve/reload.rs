//! A site's rule files: loading them, and reloading them when they change on disk.
//!
//! Deploy new rules by writing a temporary file and renaming it over the old one: a rename is
//! atomic, so the watcher sees the old file or the new one, never half of one. Files rewritten in
//! place are read only once their size and modification time have stayed the same over a short
//! debounce, and a rule file that becomes empty or disappears keeps the old rules serving.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use detour_http::ReloadHandle;
use detour_rules::{parse_site, SourceKind};
use detour_runtime::{Blob, MatchOptions, Matcher};

/// The rule files of a site directory, in priority order.
pub struct Site;

/// The rule files a site directory may have, in priority order (SPEC §1).
const RULE_FILES: [&str; 2] = ["_redirects", "netlify.toml"];

impl Site {
    /// `_redirects`, then `netlify.toml`, those that exist.
    pub fn rule_files(dir: &Path) -> Vec<PathBuf> {
        RULE_FILES.iter().map(|f| dir.join(f)).filter(|p| p.is_file()).collect()
    }

    /// Parses and compiles a site's rules. Returns the matcher, the number of rules, and every
    /// diagnostic as text; `strict` refuses rules with errors (for reloads). Blocks on the file
    /// system and the compiler: call it off the async runtime.
    pub fn load(
        dir: &Path,
        options: &MatchOptions,
        strict: bool,
    ) -> Result<(Matcher, usize, Vec<String>), Vec<String>> {
        let mut texts = Vec::new();
        for path in Site::rule_files(dir) {
            match std::fs::read(&path) {
                Ok(t) => texts.push((SourceKind::from_path(&path), t, path.display().to_string())),
                Err(e) => return Err(vec![format!("{}: {e}", path.display())]),
            }
        }
        let sources: Vec<(SourceKind, &[u8], &str)> =
            texts.iter().map(|(k, t, f)| (*k, t.as_slice(), f.as_str())).collect();
        let site = parse_site(&sources);
        let diagnostics: Vec<String> = site.diagnostics.iter().map(|d| d.to_string()).collect();
        if strict && site.has_errors() {
            return Err(diagnostics);
        }
        let bytes = detour_compiler::compile(&site.rules).map_err(|e| vec![e.to_string()])?;
        let blob = Blob::from_bytes(&bytes).map_err(|e| vec![e.to_string()])?;
        Ok((Matcher::new(blob, options.clone()), site.rules.len(), diagnostics))
    }
}

/// Each rule file's modification time and size, or `None` when it does not exist.
type Fingerprint = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

fn fingerprint(dir: &Path) -> Fingerprint {
    RULE_FILES
        .iter()
        .map(|f| {
            let p = dir.join(f);
            let meta = std::fs::metadata(&p).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
            (p, meta)
        })
        .collect()
}

/// How the watcher polls.
#[derive(Debug, Clone)]
pub(crate) struct WatchOptions {
    pub interval: Duration,
    pub debounce: Duration,
    pub match_options: MatchOptions,
}

/// Waits until the rule files look the same twice in a row, `debounce` apart: a writer that
/// is still appending changes the size or the modification time in between.
async fn settle(dir: &Path, mut current: Fingerprint, debounce: Duration) -> Fingerprint {
    loop {
        tokio::time::sleep(debounce).await;
        let again = fingerprint(dir);
        if again == current {
            return current;
        }
        current = again;
    }
}

/// A rule file the serving rules were read from that is now empty or gone.
fn lost_file<'a>(serving: &Fingerprint, now: &'a Fingerprint) -> Option<&'a Path> {
    serving.iter().zip(now).find_map(|((_, before), (path, after))| {
        let had_rules = before.is_some_and(|(_, len)| len > 0);
        let lost = after.is_none_or(|(_, len)| len == 0);
        (had_rules && lost).then_some(path.as_path())
    })
}

/// Recompiles when a rule file changes; keeps the old rules when the new ones have errors, or a
/// rule file became empty or disappeared. The old rules serve until the new ones are ready.
pub(crate) async fn watch(dir: PathBuf, handle: ReloadHandle, options: WatchOptions) {
    let mut serving = fingerprint(&dir);
    let mut seen = serving.clone();
    loop {
        tokio::time::sleep(options.interval).await;
        let now = fingerprint(&dir);
        if now == seen {
            continue;
        }
        let stable = settle(&dir, now, options.debounce).await;
        seen = stable.clone();
        if let Some(path) = lost_file(&serving, &stable) {
            tracing::error!(
                file = %path.display(),
                "a rule file became empty or disappeared: still serving the previous rules \
                 (deploy rules by renaming a complete file over the old one; to drop every rule, \
                 leave a comment in the file)"
            );
            continue;
        }
        if reload(&dir, &handle, &options.match_options).await {
            serving = stable;
        }
    }
}

/// Parses and compiles on a blocking thread and swaps the result in; true when it did.
async fn reload(dir: &Path, handle: &ReloadHandle, options: &MatchOptions) -> bool {
    tracing::info!(dir = %dir.display(), "rule files changed: compiling");
    let (dir, options) = (dir.to_path_buf(), options.clone());
    match tokio::task::spawn_blocking(move || Site::load(&dir, &options, true)).await {
        Ok(Ok((matcher, rules, diagnostics))) => {
            for d in &diagnostics {
                tracing::warn!("{d}");
            }
            handle.swap(matcher);
            tracing::info!(rules, "rules recompiled and swapped in");
            true
        }
        Ok(Err(diagnostics)) => {
            for d in &diagnostics {
                tracing::error!("{d}");
            }
            tracing::error!("the new rules have errors; still serving the previous rules");
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "compiling the new rules failed; still serving the previous rules");
            false
        }
    }
}
