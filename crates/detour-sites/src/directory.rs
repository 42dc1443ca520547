//! The host table: every host of every site, rebuilt (rarely) when sites or aliases change and
//! swapped in whole, so a lookup reads it without a lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use crate::site::Site;

/// Sites by primary host, and every host's site.
#[derive(Default)]
pub(crate) struct Directory {
    pub(crate) sites: BTreeMap<String, Arc<Site>>,
    pub(crate) hosts: HashMap<Box<str>, Arc<Site>, Xxh3DefaultBuilder>,
    /// Aliases claimed by more than one site, and who got them.
    pub(crate) conflicts: Vec<(String, String)>,
}

impl Directory {
    /// The table for these sites: primary hosts first (a primary host always names its own
    /// site), then aliases in primary-host order (the first site to list an alias gets it).
    pub(crate) fn build(sites: BTreeMap<String, Arc<Site>>) -> Directory {
        let mut hosts: HashMap<Box<str>, Arc<Site>, Xxh3DefaultBuilder> =
            HashMap::with_capacity_and_hasher(sites.len() * 2, Xxh3DefaultBuilder::new());
        for (primary, site) in &sites {
            hosts.insert(primary.as_str().into(), Arc::clone(site));
        }
        let mut conflicts = Vec::new();
        for (primary, site) in &sites {
            let aliases: Vec<String> = site.state().hosts.iter().skip(1).cloned().collect();
            for alias in aliases {
                match hosts.get(alias.as_str()) {
                    Some(owner) if owner.primary != *primary => {
                        let message =
                            format!("host `{alias}` of site `{primary}` already belongs to site `{}`", owner.primary);
                        tracing::error!("{message}");
                        conflicts.push((primary.clone(), message));
                    }
                    Some(_) => {}
                    None => {
                        hosts.insert(alias.into(), Arc::clone(site));
                    }
                }
            }
        }
        Directory { sites, hosts, conflicts }
    }
}
