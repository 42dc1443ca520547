//! One site of the registry: its blob file, its rules when open, and what went wrong last.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use arc_swap::ArcSwapOption;
use detour_runtime::{Blob, LoadError, MatchOptions, Matcher};

/// What identifies one version of a blob file: a rename gives a new inode, a rewrite a new
/// size or modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Fingerprint {
    pub(crate) fn of(path: &Path) -> Option<Fingerprint> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Fingerprint { len: meta.len(), modified: meta.modified().ok(), inode })
    }
}

/// Why a site's blob was not taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SiteError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the blob has no site section (compile it with `detour compile --sites`)")]
    NotASiteBlob,
    #[error("the blob is for `{found}`, but its file is named for `{expected}`")]
    WrongPrimary { expected: String, found: String },
}

/// What the registry knows of a site besides its rules; changed under the site's lock.
#[derive(Debug, Default)]
pub(crate) struct SiteState {
    /// The hosts the site answers for (primary first), from the last blob that was read.
    pub(crate) hosts: Vec<String>,
    /// The blob version last looked at (taken or refused).
    pub(crate) seen: Option<Fingerprint>,
    /// Why the last blob looked at was refused (`None` after one was taken).
    pub(crate) problem: Option<String>,
    /// The site's file is gone and the site left the host table: a request that found it just
    /// before must not reopen it (it would count against the budget, and nothing would close it).
    pub(crate) removed: bool,
}

impl SiteState {
    /// Records a taken blob's hosts and clears the problem; true when the hosts changed.
    pub(crate) fn accept(&mut self, hosts: Vec<String>) -> bool {
        self.problem = None;
        let changed = self.hosts != hosts;
        self.hosts = hosts;
        changed
    }
}

/// One site: `DIR/<primary>.detour`.
pub(crate) struct Site {
    pub(crate) primary: String,
    pub(crate) path: PathBuf,
    /// The rules, while the site is open.
    pub(crate) matcher: ArcSwapOption<Matcher>,
    /// The registry's epoch when a request last used the site (for closing the least recent).
    pub(crate) last_used: AtomicU64,
    state: Mutex<SiteState>,
}

impl Site {
    pub(crate) fn new(primary: String, path: PathBuf, state: SiteState) -> Site {
        Site { primary, path, matcher: ArcSwapOption::empty(), last_used: AtomicU64::new(0), state: Mutex::new(state) }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, SiteState> {
        // A panic while holding the lock leaves plain data behind; it stays usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks the site used in `epoch`; written only when it changes, so the hot path mostly
    /// reads a shared cache line.
    pub(crate) fn touch(&self, epoch: u64) {
        if self.last_used.load(Ordering::Relaxed) != epoch {
            self.last_used.store(epoch, Ordering::Relaxed);
        }
    }

    /// Reads and validates the site's blob, checking that it is this site's.
    pub(crate) fn load(&self, options: &MatchOptions) -> Result<(Matcher, Vec<String>), SiteError> {
        let blob = Blob::open(&self.path)?;
        let hosts: Vec<String> = blob.site().ok_or(SiteError::NotASiteBlob)?.all().map(str::to_string).collect();
        self.check_primary(&hosts)?;
        Ok((Matcher::new(blob, options.clone()), hosts))
    }

    /// Reads the blob's hosts only (header and site section).
    pub(crate) fn read_hosts(&self) -> Result<Vec<String>, SiteError> {
        let (_, hosts) = Blob::read_site(&self.path)?;
        self.check_primary(&hosts)?;
        Ok(hosts)
    }

    fn check_primary(&self, hosts: &[String]) -> Result<(), SiteError> {
        match hosts.first() {
            Some(first) if *first == self.primary => Ok(()),
            Some(first) => Err(SiteError::WrongPrimary { expected: self.primary.clone(), found: first.clone() }),
            None => Err(SiteError::NotASiteBlob),
        }
    }

    /// Swaps in new rules.
    pub(crate) fn install(&self, matcher: Matcher) {
        self.matcher.store(Some(Arc::new(matcher)));
    }

    /// Records a refused blob; the rules serving (if any) stay.
    pub(crate) fn refuse(&self, state: &mut SiteState, error: &SiteError) {
        let message = error.to_string();
        tracing::error!(site = %self.primary, error = %message, "site blob refused; the site keeps its previous rules (503 if it never had any)");
        state.problem = Some(message);
    }
}
