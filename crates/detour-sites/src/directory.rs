//! The host table: every host of every site, rebuilt (rarely) when sites or aliases change and
//! swapped in whole, so a lookup reads it without a lock.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Hashes a host with one-shot xxh3 calls: a streaming hasher's set-up costs more than hashing
/// a host name, and the lookup is on every request's path.
#[derive(Default)]
pub(crate) struct HostHasher(u64);

impl Hasher for HostHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }

    fn write_usize(&mut self, len: usize) {
        // A slice's `Hash` writes its length first; mixing it in cheaply keeps the hash a
        // function of the whole input without a second xxh3 call.
        self.0 = self.0.rotate_left(5) ^ len as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hosts as bytes: a normalized host is ASCII, so the lookup skips a UTF-8 check.
type HostMap = HashMap<Box<[u8]>, Arc<Site>, BuildHasherDefault<HostHasher>>;

use crate::site::Site;

/// Sites by primary host, and every host's site.
#[derive(Default)]
pub(crate) struct Directory {
    pub(crate) sites: BTreeMap<String, Arc<Site>>,
    pub(crate) hosts: HostMap,
    /// Aliases claimed by more than one site, and who got them.
    pub(crate) conflicts: Vec<(String, String)>,
}

impl Directory {
    /// The table for these sites: primary hosts first (a primary host always names its own
    /// site), then aliases in primary-host order (the first site to list an alias gets it).
    pub(crate) fn build(sites: BTreeMap<String, Arc<Site>>) -> Directory {
        let mut hosts = HostMap::with_capacity_and_hasher(sites.len() * 2, BuildHasherDefault::default());
        for (primary, site) in &sites {
            hosts.insert(primary.as_bytes().into(), Arc::clone(site));
        }
        let mut conflicts = Vec::new();
        for (primary, site) in &sites {
            let aliases: Vec<String> = site.state().hosts.iter().skip(1).cloned().collect();
            for alias in aliases {
                match hosts.get(alias.as_bytes()) {
                    Some(owner) if owner.primary != *primary => {
                        let message =
                            format!("host `{alias}` of site `{primary}` already belongs to site `{}`", owner.primary);
                        tracing::error!("{message}");
                        conflicts.push((primary.clone(), message));
                    }
                    Some(_) => {}
                    None => {
                        hosts.insert(alias.into_bytes().into(), Arc::clone(site));
                    }
                }
            }
        }
        Directory { sites, hosts, conflicts }
    }
}
