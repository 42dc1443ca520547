//! Noticing deploys: file events from `notify`, and a periodic scan as the fallback.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use detour_runtime::{normalize_host, MAX_HOST_BYTES};
use notify::{RecursiveMode, Watcher};

use crate::registry::{Inner, OpenError};
use crate::site::{Fingerprint, Site, SiteState};
use crate::BLOB_EXTENSION;

/// How long to wait for more events after one, so a burst of deploys is handled in one pass.
const SETTLE: Duration = Duration::from_millis(20);

/// The site blobs in `dir`: `<primary host>.detour` files whose name is a normalized host.
/// Anything else (temporary files of a deploy in progress, other names) is not a site.
pub(crate) fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>, OpenError> {
    let io = |source| OpenError::Io { path: dir.to_path_buf(), source };
    let mut sites = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if let Some(primary) = site_name(&path) {
            sites.push((primary, path));
        }
    }
    Ok(sites)
}

/// The primary host a blob's file name stands for, if it is a site blob's name.
fn site_name(path: &Path) -> Option<String> {
    if path.extension()? != BLOB_EXTENSION {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let mut buffer = [0u8; MAX_HOST_BYTES];
    (normalize_host(stem, &mut buffer)? == stem).then(|| stem.to_string())
}

/// Reads a (closed) site's hosts into its state; a refused blob is recorded as its problem.
/// True when its hosts changed.
pub(crate) fn read_hosts(site: &Site) -> bool {
    let seen = Fingerprint::of(&site.path);
    let mut state = site.state();
    state.seen = seen;
    match site.read_hosts() {
        Ok(hosts) => state.accept(hosts),
        Err(e) => {
            site.refuse(&mut state, &e);
            false
        }
    }
}

/// Takes a site's new blob if its file changed: it is read and validated while the old rules
/// serve, and swapped in if the site is open (a closed site only takes its hosts, and a bad blob
/// is reported at once rather than at the site's next request). True when its hosts changed.
/// The file is looked at before it is read, so a rename in between costs one more reload,
/// never a missed one.
fn refresh(inner: &Inner, site: &Site) -> bool {
    let now = Fingerprint::of(&site.path);
    // Under the site's lock: a request opening the site concurrently finishes first.
    let mut state = site.state();
    if now == state.seen {
        return false;
    }
    state.seen = now;
    match site.load(&inner.options.match_options) {
        Ok((matcher, hosts)) => {
            if site.matcher.load().is_some() {
                site.install(matcher);
                tracing::info!(site = %site.primary, "new rules swapped in");
            }
            state.accept(hosts)
        }
        Err(e) => {
            site.refuse(&mut state, &e);
            false
        }
    }
}

/// Compares the directory with the registry: new sites are added (closed), removed ones
/// dropped, changed ones refreshed.
pub(crate) fn scan(inner: &Inner) {
    let _writing = inner.lock_writing();
    let files = match list(&inner.dir) {
        Ok(files) => files,
        Err(e) => {
            tracing::error!(error = %e, "cannot list the sites directory; serving the sites as they were");
            return;
        }
    };
    let current = inner.directory.load_full();
    let mut sites = BTreeMap::new();
    let mut hosts_changed = false;
    for (primary, path) in files {
        let site = match current.sites.get(&primary) {
            Some(site) => {
                hosts_changed |= refresh(inner, site);
                Arc::clone(site)
            }
            None => {
                let site = Arc::new(Site::new(primary.clone(), path, SiteState::default()));
                read_hosts(&site);
                tracing::info!(site = %primary, "new site");
                site
            }
        };
        sites.insert(primary, site);
    }
    let same_sites = sites.len() == current.sites.len() && sites.keys().eq(current.sites.keys());
    if !same_sites {
        inner.replace_sites(sites);
    } else if hosts_changed {
        inner.rebuild_directory_locked();
    }
}

/// Refreshes the sites whose files an event named; anything else (a new or removed file)
/// takes a full scan.
fn handle_events(inner: &Inner, paths: BTreeSet<PathBuf>) {
    let directory = inner.directory.load_full();
    let mut hosts_changed = false;
    for path in &paths {
        let known = site_name(path).and_then(|name| directory.sites.get(&name));
        match known {
            Some(site) if path.is_file() => hosts_changed |= refresh(inner, site),
            _ if site_name(path).is_some() => return scan(inner),
            _ => {}
        }
    }
    if hosts_changed {
        inner.rebuild_directory();
    }
}

/// Starts the watcher thread: file events when the platform has them, a scan every
/// `poll_interval` in any case. It ends when the registry is dropped.
pub(crate) fn start(inner: Arc<Inner>) -> std::io::Result<()> {
    let (events, received) = mpsc::channel::<PathBuf>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        for path in event.map(|e| e.paths).unwrap_or_default() {
            // The receiver is gone only when the thread ended; nothing is left to tell.
            let _ = events.send(path);
        }
    })
    .and_then(|mut watcher| watcher.watch(&inner.dir, RecursiveMode::NonRecursive).map(|()| watcher));
    let watcher = match watcher {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            tracing::warn!(error = %e, "no file events for the sites directory; polling only");
            None
        }
    };
    std::thread::Builder::new().name("detour-sites-watch".to_string()).spawn(move || {
        let _watcher = watcher;
        let poll = inner.options.poll_interval;
        while !inner.stop.load(Ordering::Relaxed) {
            match received.recv_timeout(poll) {
                Ok(first) => {
                    std::thread::sleep(SETTLE);
                    let mut paths = BTreeSet::from([first]);
                    paths.extend(received.try_iter());
                    handle_events(&inner, paths);
                }
                Err(RecvTimeoutError::Timeout) => scan(&inner),
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(poll);
                    scan(&inner);
                }
            }
        }
    })?;
    Ok(())
}
