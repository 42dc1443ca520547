//! A site's rule files: loading them, and reloading them when they change on disk.
//!
//! Deploy new rules by writing a temporary file and renaming it over the old one: a rename is
//! atomic, so the watcher sees the old file or the new one, never half of one. Files rewritten in
//! place are read only once their size and modification time have stayed the same over a short
//! debounce, and a rule file that becomes empty or disappears keeps the old rules serving.
//! File-system events (the `notify` crate) wake the watcher at once; it also polls, which is all
//! it does where events cannot be watched.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use detour_http::ReloadHandle;
use detour_rules::{Diagnostic, SourceKind};
use detour_runtime::{Blob, MatchOptions, Matcher};
use tokio::sync::mpsc;

use super::layout::SiteLayout;
use crate::load::Texts;
use crate::report::{render, Format};

/// Loads a site's rules.
pub struct Site;

/// A site's rules, compiled, with what `detour check` would say about them.
pub struct LoadedRules {
    /// The compiled rules.
    pub matcher: Matcher,
    /// One line: the valid rules of each file, and the count of errors and warnings.
    pub summary: String,
    /// Every error and warning, as `detour check` finds them.
    pub diagnostics: Vec<Diagnostic>,
}

/// Why rules were not loaded.
pub struct RulesRefused {
    /// What went wrong, in one line.
    pub reason: String,
    /// The diagnostics, when the rules had errors.
    pub diagnostics: Vec<Diagnostic>,
}

impl RulesRefused {
    fn plain(reason: String) -> RulesRefused {
        RulesRefused { reason, diagnostics: Vec::new() }
    }
}

impl Site {
    /// Parses, checks and compiles a site's rules. `strict` refuses rules with errors (for
    /// reloads: the previous rules keep serving); otherwise invalid rules are dropped, as
    /// Netlify's deploy does. Blocks on the file system and the compiler: call it off the
    /// async runtime.
    pub fn load(layout: &SiteLayout, options: &MatchOptions, strict: bool) -> Result<LoadedRules, RulesRefused> {
        let mut texts: Texts = Vec::new();
        for path in layout.rule_files() {
            match std::fs::File::open(&path).and_then(detour_rules::limits::read_limited) {
                Ok(t) => texts.push((SourceKind::from_path(&path), t, path.display().to_string())),
                Err(e) => return Err(RulesRefused::plain(format!("{}: {e}", path.display()))),
            }
        }
        let (site, diagnostics) = crate::check::site_of(&texts);
        if strict && diagnostics.iter().any(Diagnostic::is_error) {
            return Err(RulesRefused { reason: "the new rules have errors".to_string(), diagnostics });
        }
        let bytes = detour_compiler::compile(&site.rules).map_err(|e| RulesRefused::plain(e.to_string()))?;
        let blob = Blob::from_bytes(&bytes).map_err(|e| RulesRefused::plain(e.to_string()))?;
        let summary = summary(&texts, &site.rules, &diagnostics);
        Ok(LoadedRules { matcher: Matcher::new(blob, options.clone()), summary, diagnostics })
    }
}

/// `12 rules (site/_redirects: 10, site/netlify.toml: 2), 1 error (its rule dropped), 0 warnings`.
fn summary(texts: &Texts, rules: &[detour_rules::Rule], diagnostics: &[Diagnostic]) -> String {
    let per_file: Vec<String> = texts
        .iter()
        .map(|(_, _, file)| format!("{file}: {}", rules.iter().filter(|r| *r.source.file == **file).count()))
        .collect();
    let files = if per_file.is_empty() { "no rule files".to_string() } else { per_file.join(", ") };
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let dropped = if errors > 0 { " (invalid rules dropped)" } else { "" };
    format!("{} rule(s) ({files}), {errors} error(s){dropped}, {warnings} warning(s)", rules.len())
}

/// Prints diagnostics on standard error as `detour check` prints them (colour on a terminal).
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    let shown = render(diagnostics, Format::Plain, true);
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(shown.as_bytes()).and_then(|()| err.flush());
}

/// Each rule file's modification time and size, or `None` when it is not a file (absent, a
/// dangling symlink, a directory: [`SiteLayout::rule_files`] reads none of these).
pub(crate) type Fingerprint = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

/// The rule files as they are now. Taken before the rules are read, so a change made while
/// they load is seen as a change.
pub(crate) fn fingerprint(layout: &SiteLayout) -> Fingerprint {
    layout
        .rule_file_candidates()
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p)
                .ok()
                .filter(std::fs::Metadata::is_file)
                .and_then(|m| Some((m.modified().ok()?, m.len())));
            (p, meta)
        })
        .collect()
}

/// How the watcher watches.
#[derive(Debug, Clone)]
pub(crate) struct WatchOptions {
    /// How often to look at the files when no event came.
    pub interval: Duration,
    pub debounce: Duration,
    /// Listen to file-system events (else poll only).
    pub events: bool,
    pub match_options: MatchOptions,
}

/// Waits until the rule files look the same twice in a row, `debounce` apart: a writer that
/// is still appending changes the size or the modification time in between.
async fn settle(layout: &SiteLayout, mut current: Fingerprint, debounce: Duration) -> Fingerprint {
    loop {
        tokio::time::sleep(debounce).await;
        let again = fingerprint(layout);
        if again == current {
            return current;
        }
        current = again;
    }
}

/// A rule file the serving rules were read from that is now empty or gone (or no longer a file).
fn lost_file<'a>(serving: &Fingerprint, now: &'a Fingerprint) -> Option<&'a Path> {
    serving.iter().zip(now).find_map(|((_, before), (path, after))| {
        let had_rules = before.is_some_and(|(_, len)| len > 0);
        let lost = after.is_none_or(|(_, len)| len == 0);
        (had_rules && lost).then_some(path.as_path())
    })
}

/// File-system events about the rule files, as wake-ups. The watcher is kept with the
/// receiver; `None` when events cannot be watched here (then the watcher polls).
struct Events {
    _watcher: notify::RecommendedWatcher,
    woken: mpsc::Receiver<()>,
}

impl Events {
    fn watch(layout: &SiteLayout) -> Option<Events> {
        use notify::Watcher;
        let names = layout.rule_file_candidates();
        // One pending wake-up is enough: the watcher rereads every rule file when woken.
        let (wake, woken) = mpsc::channel(1);
        let handler = move |event: notify::Result<notify::Event>| {
            let about_rules = event.map_or(true, |e| e.paths.iter().any(|p| names.iter().any(|n| p.ends_with(n))));
            if about_rules {
                let _ = wake.try_send(());
            }
        };
        let started = notify::recommended_watcher(handler).and_then(|mut watcher| {
            watcher.watch(&layout.publish, notify::RecursiveMode::NonRecursive)?;
            if layout.base != layout.publish {
                watcher.watch(&layout.base, notify::RecursiveMode::NonRecursive)?;
            }
            Ok(watcher)
        });
        match started {
            Ok(watcher) => Some(Events { _watcher: watcher, woken }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the rule files for changes; polling them instead");
                None
            }
        }
    }
}

/// Until an event comes or `interval` passes.
async fn next_look(events: &mut Option<Events>, interval: Duration) {
    match events {
        Some(e) => {
            tokio::select! {
                woken = e.woken.recv() => if woken.is_none() { *events = None },
                () = tokio::time::sleep(interval) => {}
            }
        }
        None => tokio::time::sleep(interval).await,
    }
}

/// Recompiles when a rule file changes; keeps the old rules when the new ones have errors, or a
/// rule file became empty or disappeared. The old rules serve until the new ones are ready.
/// `serving` is the fingerprint taken before the serving rules were read.
pub(crate) async fn watch(layout: SiteLayout, handle: ReloadHandle, serving: Fingerprint, options: WatchOptions) {
    let mut events = if options.events { Events::watch(&layout) } else { None };
    let mut serving = serving;
    let mut seen = serving.clone();
    loop {
        next_look(&mut events, options.interval).await;
        let now = fingerprint(&layout);
        if now == seen {
            continue;
        }
        let stable = settle(&layout, now, options.debounce).await;
        seen = stable.clone();
        if let Some(path) = lost_file(&serving, &stable) {
            tracing::error!(
                file = %path.display(),
                "a rule file became empty, disappeared or is no longer a file: still serving the previous rules \
                 (deploy rules by renaming a complete file over the old one; to drop every rule, \
                 leave a comment in the file)"
            );
            continue;
        }
        if reload(&layout, &handle, &options.match_options).await {
            serving = stable;
        }
    }
}

/// Parses and compiles on a blocking thread and swaps the result in; true when it did.
async fn reload(layout: &SiteLayout, handle: &ReloadHandle, options: &MatchOptions) -> bool {
    tracing::info!(dir = %layout.base.display(), "rule files changed: compiling");
    let (layout, options) = (layout.clone(), options.clone());
    match tokio::task::spawn_blocking(move || Site::load(&layout, &options, true)).await {
        Ok(Ok(loaded)) => {
            print_diagnostics(&loaded.diagnostics);
            handle.swap(loaded.matcher);
            tracing::info!("rules recompiled and swapped in: {}", loaded.summary);
            true
        }
        Ok(Err(refused)) => {
            print_diagnostics(&refused.diagnostics);
            tracing::error!("{}; still serving the previous rules", refused.reason);
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "compiling the new rules failed; still serving the previous rules");
            false
        }
    }
}
