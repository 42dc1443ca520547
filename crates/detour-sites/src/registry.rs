//! The registry: host to site, sites opened on demand and closed under a budget.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use detour_runtime::{normalize_host_bytes, MatchOptions, Matcher, MAX_HOST_BYTES};

use crate::cache::SiteCache;
use crate::directory::Directory;
use crate::site::{Fingerprint, Site, SiteState};

/// Settings of a [`Registry`].
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// The most sites open at once (at least 1); opening one more closes the least recently
    /// used. Each open site holds its blob in memory.
    pub max_open: usize,
    /// How often the directory is scanned for new, replaced and removed blobs, besides the file
    /// events `notify` delivers (the only way changes are seen where events are unavailable).
    pub poll_interval: Duration,
    /// Watch the directory at all (off: the sites are read once, as at start).
    pub watch: bool,
    /// Every site's match settings.
    pub match_options: MatchOptions,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            max_open: 1024,
            poll_interval: Duration::from_secs(2),
            watch: true,
            match_options: MatchOptions::default(),
        }
    }
}

/// Why a registry could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory could not be listed.
    #[error("{path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file watcher's thread could not be started.
    #[error("starting the watcher thread: {0}")]
    Thread(std::io::Error),
}

/// Where [`Registry::find`] got to.
enum Found<R> {
    Open(R),
    Closed(Arc<Site>),
    Unknown,
}

/// What a host's request is matched against.
#[derive(Clone)]
pub enum Lookup {
    /// The site's rules (held by the request until it finishes).
    Site(Arc<Matcher>),
    /// The host's site has never had valid rules since the registry started: 503.
    Unavailable,
    /// No site answers for this host (or it is no host name).
    Unknown,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lookup::Site(m) => write!(f, "Site({} rules)", m.blob().header().rule_count),
            Lookup::Unavailable => f.write_str("Unavailable"),
            Lookup::Unknown => f.write_str("Unknown"),
        }
    }
}

pub(crate) struct Inner {
    /// This registry's number, for [`SiteCache`]s.
    id: u64,
    /// Advances whenever `directory` is replaced, which empties every [`SiteCache`].
    generation: AtomicU64,
    pub(crate) dir: PathBuf,
    pub(crate) options: RegistryOptions,
    pub(crate) directory: ArcSwap<Directory>,
    /// Advances at every open: the clock of [`Site::last_used`].
    epoch: AtomicU64,
    open: AtomicUsize,
    evicting: Mutex<()>,
    /// Held while the host table is rebuilt, so two rebuilds cannot undo each other.
    pub(crate) writing: Mutex<()>,
    pub(crate) stop: AtomicBool,
}

/// Host to site matcher, over a directory of site blobs. `Send + Sync`; clone it freely (the
/// clones share everything). The watcher thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
    _stop: Arc<StopOnDrop>,
}

struct StopOnDrop(Arc<Inner>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
    }
}

impl Registry {
    /// Reads every site's hosts from `dir` (headers and site sections only) and, with
    /// `options.watch`, starts watching it. A blob that cannot be read is reported and its
    /// site (named by the file) answers [`Lookup::Unavailable`].
    pub fn open(dir: impl AsRef<Path>, options: RegistryOptions) -> Result<Registry, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        let mut sites = BTreeMap::new();
        for (primary, path) in crate::watch::list(&dir)? {
            let site = Arc::new(Site::new(primary.clone(), path, SiteState::default()));
            crate::watch::read_hosts(&site);
            sites.insert(primary, site);
        }
        let inner = Arc::new(Inner {
            id: crate::cache::next_registry_id(),
            generation: AtomicU64::new(0),
            dir,
            options: RegistryOptions { max_open: options.max_open.max(1), ..options },
            directory: ArcSwap::from_pointee(Directory::build(sites)),
            epoch: AtomicU64::new(1),
            open: AtomicUsize::new(0),
            evicting: Mutex::new(()),
            writing: Mutex::new(()),
            stop: AtomicBool::new(false),
        });
        if inner.options.watch {
            crate::watch::start(Arc::clone(&inner)).map_err(OpenError::Thread)?;
        }
        Ok(Registry { _stop: Arc::new(StopOnDrop(Arc::clone(&inner))), inner })
    }

    /// The rules for a request's `Host` (any case, with or without port and trailing dot).
    /// Opens the site on its first request; allocates nothing once it is open.
    pub fn lookup(&self, host: &str) -> Lookup {
        match self.find(host, |site| site.matcher.load_full()) {
            Found::Open(matcher) => Lookup::Site(matcher),
            Found::Closed(site) => self.inner.open_site(&site),
            Found::Unknown => Lookup::Unknown,
        }
    }

    /// The site of `host`, touched for the budget: `open`'s answer from it while it is open,
    /// or the closed site to open (outside the host table's guard).
    fn find<R>(&self, host: &str, open: impl FnOnce(&Site) -> Option<R>) -> Found<R> {
        let found = self.in_table(host, |site| {
            site.touch(self.inner.epoch.load(Ordering::Relaxed));
            match open(site) {
                Some(answer) => Found::Open(answer),
                None => Found::Closed(Arc::clone(site)),
            }
        });
        found.unwrap_or(Found::Unknown)
    }

    /// `f` on the site the host table gives `host` (normalized), under the table's guard.
    fn in_table<R>(&self, host: &str, f: impl FnOnce(&Arc<Site>) -> R) -> Option<R> {
        let mut buffer = [0u8; MAX_HOST_BYTES];
        let host = normalize_host_bytes(host.as_bytes(), &mut buffer)?;
        self.inner.directory.load().hosts.get(host).map(f)
    }

    /// Runs `f` on the rules for a request's `Host`, as [`Registry::lookup`] finds them, without
    /// taking a reference to them: the cheapest way to match one request (no reference count
    /// is touched once the site is open). `Err` is the lookup's answer when there are no rules:
    /// [`Lookup::Unavailable`] or [`Lookup::Unknown`].
    pub fn with_matcher<R>(&self, host: &str, f: impl FnOnce(&Matcher) -> R) -> Result<R, Lookup> {
        // `f` runs once, either on the open site or on the one just opened.
        let mut f = Some(f);
        let found = self.find(host, |site| site.matcher.load().as_deref().and_then(|m| f.take().map(|f| f(m))));
        let lookup = match found {
            Found::Open(answer) => return Ok(answer),
            Found::Closed(site) => self.inner.open_site(&site),
            Found::Unknown => Lookup::Unknown,
        };
        match (lookup, f) {
            (Lookup::Site(matcher), Some(f)) => Ok(f(&matcher)),
            (Lookup::Site(_), None) => Err(Lookup::Unknown),
            (other, _) => Err(other),
        }
    }

    /// [`Registry::with_matcher`] through a caller-owned [`SiteCache`] (one per thread): a host
    /// this cache has seen, byte for byte, goes straight to its site, without normalizing it or
    /// reading the host table. Same answers; the cache empties itself when the table changes.
    pub fn with_matcher_cached<R>(
        &self,
        cache: &mut SiteCache,
        host: &str,
        f: impl FnOnce(&Matcher) -> R,
    ) -> Result<R, Lookup> {
        match self.cached_site(cache, host) {
            Some(site) => self.answer(&site, f),
            None => Err(Lookup::Unknown),
        }
    }

    /// [`Registry::lookup`] through a caller-owned [`SiteCache`] (see
    /// [`Registry::with_matcher_cached`]): rules held for a request that matches more than once.
    pub fn lookup_cached(&self, cache: &mut SiteCache, host: &str) -> Lookup {
        let Some(site) = self.cached_site(cache, host) else { return Lookup::Unknown };
        site.touch(self.inner.epoch.load(Ordering::Relaxed));
        match site.matcher.load_full() {
            Some(matcher) => Lookup::Site(matcher),
            None => self.inner.open_site(&site),
        }
    }

    /// The site of `host`: from the cache, else from the host table (and then cached).
    fn cached_site<'c>(&self, cache: &'c mut SiteCache, host: &str) -> Option<Cow<'c, Arc<Site>>> {
        cache.sync(self.inner.id, self.inner.generation.load(Ordering::Acquire));
        if let Some(slot) = cache.find(host.as_bytes()) {
            return cache.site(slot).map(Cow::Borrowed);
        }
        let site = self.in_table(host, Arc::clone)?;
        cache.put(host.as_bytes(), &site);
        Some(Cow::Owned(site))
    }

    /// `f` on a site's rules, opening the site if the budget closed it.
    fn answer<R>(&self, site: &Arc<Site>, f: impl FnOnce(&Matcher) -> R) -> Result<R, Lookup> {
        site.touch(self.inner.epoch.load(Ordering::Relaxed));
        if let Some(matcher) = site.matcher.load().as_deref() {
            return Ok(f(matcher));
        }
        match self.inner.open_site(site) {
            Lookup::Site(matcher) => Ok(f(&matcher)),
            other => Err(other),
        }
    }

    /// The sites whose last blob was refused, or whose aliases collide, with the reason.
    pub fn problems(&self) -> Vec<(String, String)> {
        let directory = self.inner.directory.load();
        let mut problems: Vec<(String, String)> = directory
            .sites
            .values()
            .filter_map(|site| Some((site.primary.clone(), site.state().problem.clone()?)))
            .collect();
        problems.extend(directory.conflicts.iter().cloned());
        problems
    }

    /// How many sites the directory holds.
    pub fn sites(&self) -> usize {
        self.inner.directory.load().sites.len()
    }

    /// How many sites are open now.
    pub fn open_sites(&self) -> usize {
        self.inner.open.load(Ordering::Relaxed)
    }

    /// Scans the directory now (what the watcher does on each event and poll): tests and
    /// callers without a watcher use it to pick up changes at a moment of their choosing.
    pub fn rescan(&self) {
        crate::watch::scan(&self.inner);
    }
}

impl Inner {
    /// Opens a closed site on a request's thread; one thread reads the blob, the others wait
    /// for it under the site's lock.
    fn open_site(&self, site: &Arc<Site>) -> Lookup {
        let opened = {
            let mut state = site.state();
            if let Some(matcher) = site.matcher.load_full() {
                return Lookup::Site(matcher);
            }
            if state.removed {
                // Found in the host table just before its file went away.
                return Lookup::Unknown;
            }
            if state.problem.is_some() {
                // Refused already; the watcher (or a rescan) looks again when the file changes.
                return Lookup::Unavailable;
            }
            // Looked at before it is read: a rename in between is then seen as a change.
            let seen = Fingerprint::of(&site.path);
            match site.load(&self.options.match_options) {
                Ok((matcher, hosts)) => {
                    state.seen = seen;
                    let changed = state.accept(hosts);
                    let matcher = Arc::new(matcher);
                    site.matcher.store(Some(Arc::clone(&matcher)));
                    self.opened();
                    if changed {
                        drop(state);
                        self.rebuild_directory();
                    }
                    matcher
                }
                Err(e) => {
                    state.seen = seen;
                    site.refuse(&mut state, &e);
                    return Lookup::Unavailable;
                }
            }
        };
        self.evict_beyond_budget(site);
        Lookup::Site(opened)
    }

    /// Counts one more open site and starts a new epoch.
    pub(crate) fn opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// Closes the least recently used sites (never `keep`) until the budget holds.
    pub(crate) fn evict_beyond_budget(&self, keep: &Arc<Site>) {
        if self.open.load(Ordering::Relaxed) <= self.options.max_open {
            return;
        }
        let _one_at_a_time = self.evicting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let directory = self.directory.load();
        while self.open.load(Ordering::Relaxed) > self.options.max_open {
            let victim = directory
                .sites
                .values()
                .filter(|s| !Arc::ptr_eq(s, keep) && s.matcher.load().is_some())
                .min_by_key(|s| s.last_used.load(Ordering::Relaxed));
            let Some(victim) = victim else { return };
            let _state = victim.state();
            if victim.matcher.swap(None).is_some() {
                self.open.fetch_sub(1, Ordering::Relaxed);
                tracing::debug!(site = %victim.primary, "closed (open-site budget)");
            }
        }
    }

    /// Rebuilds the host table from the sites' current hosts.
    pub(crate) fn rebuild_directory(&self) {
        let _writing = self.lock_writing();
        self.rebuild_directory_locked();
    }

    pub(crate) fn lock_writing(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writing.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// [`Inner::rebuild_directory`] for a caller that holds [`Inner::lock_writing`].
    pub(crate) fn rebuild_directory_locked(&self) {
        let sites = self.directory.load().sites.clone();
        self.directory.store(Arc::new(Directory::build(sites)));
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Replaces the set of sites (after files appeared or disappeared); the caller holds
    /// [`Inner::lock_writing`].
    pub(crate) fn replace_sites(&self, sites: BTreeMap<String, Arc<Site>>) {
        let before = self.directory.load();
        let closed = before
            .sites
            .iter()
            .filter(|(name, _)| !sites.contains_key(*name))
            .filter(|(_, site)| {
                // Under the site's lock, so a request opening it now either finishes first (and
                // is closed here) or sees it removed.
                let mut state = site.state();
                state.removed = true;
                site.matcher.swap(None).is_some()
            })
            .count();
        self.open.fetch_sub(closed, Ordering::Relaxed);
        self.directory.store(Arc::new(Directory::build(sites)));
        self.generation.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site_blob(name: &str) -> Vec<u8> {
        let rules = detour_rules::parse_redirects(b"/probe /ok 302\n", "_redirects").rules;
        let blob = detour_compiler::compile(&rules).expect("compile");
        detour_format::with_site(blob, &[name.to_string()], 1).expect("site section")
    }

    /// A request that found a site in the host table just before its blob was removed used to
    /// reopen it: the site then counted against the budget for good, since closing looks only
    /// at the sites in the table.
    #[test]
    fn a_site_removed_while_a_request_holds_it_is_not_reopened() {
        let dir = std::env::temp_dir().join(format!("detour-sites-removed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.example.detour"), site_blob("a.example")).unwrap();
        let registry = Registry::open(&dir, RegistryOptions { watch: false, ..RegistryOptions::default() }).unwrap();
        let held = Arc::clone(registry.inner.directory.load().sites.get("a.example").unwrap());
        std::fs::remove_file(dir.join("a.example.detour")).unwrap();
        registry.rescan();
        assert_eq!(registry.sites(), 0);
        assert!(matches!(registry.inner.open_site(&held), Lookup::Unknown));
        assert_eq!(registry.open_sites(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
