//! Compiles redirect rules into a detour blob: deterministic (same rules, same bytes) and laid
//! out for zero-copy matching straight from an mmap.
//!
//! ```
//! use detour_compiler::compile;
//! use detour_rules::parse_redirects;
//!
//! let rules = parse_redirects(b"/blog/* /news/:splat 301\n/a /b\n", "_redirects").rules;
//! let blob = compile(&rules).unwrap();
//! assert_eq!(blob, compile(&rules).unwrap(), "deterministic");
//! let header = detour_format::Header::read(&blob).unwrap();
//! assert_eq!(header.rule_count, 2);
//! ```
//!
//! Layout (see `ARCHITECTURE.md`): rules whose pattern is literal segments and placeholders,
//! optionally ending in `/*`, go into a segment trie per `scheme://host` (and one for host-less
//! rules) whose nodes carry ascending rule indices and the lowest and highest rule index beneath
//! them. Every other rule (a mid-path or second wildcard, a prefix wildcard) goes into an ordered
//! side list. `to` is pre-split into text and capture slots.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod lower;
mod pool;
mod trie;

use std::collections::BTreeMap;

use detour_format::{
    host_hash, rule_flags, slot_table, Extra, FileRange, HeaderPair, Host, PatternSegment, QueryConstraint,
    Rule as RuleRecord, RuleSet, SideRule, Span, ToPart, NONE,
};
use detour_rules::Rule;
use rayon::prelude::*;

use lower::{lower, part_kind_of, Lowered, Part, Placement};
use pool::Pool;
use trie::Tries;

/// Why rules could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A table of the blob would exceed its 32-bit indices.
    #[error("the rules are too large to compile: the {0} exceeds 4 GiB or 4 billion entries")]
    TooLarge(&'static str),
    /// rkyv could not serialize the rule set.
    #[error("serializing the blob failed: {0}")]
    Serialize(String),
}

/// Compiles rules (in priority order) into a complete blob.
pub fn compile(rules: &[Rule]) -> Result<Vec<u8>, CompileError> {
    let set = build_rule_set(rules)?;
    detour_format::write_blob(&set).map_err(|e| CompileError::Serialize(e.to_string()))
}

fn index(len: usize, what: &'static str) -> Result<u32, CompileError> {
    u32::try_from(len).map_err(|_| CompileError::TooLarge(what))
}

fn span_of<T>(items: &mut Vec<T>, new: impl IntoIterator<Item = T>, what: &'static str) -> Result<Span, CompileError> {
    let start = index(items.len(), what)?;
    items.extend(new);
    Ok(Span { start, len: index(items.len(), what)? - start })
}

/// Lowers rules into the (unserialized) rule set.
pub fn build_rule_set(rules: &[Rule]) -> Result<RuleSet, CompileError> {
    // Lowering is independent per rule; with thousands of rules it runs on every core.
    let lowered: Vec<Lowered> =
        if rules.len() >= 4096 { rules.par_iter().map(lower).collect() } else { rules.iter().map(lower).collect() };
    let mut pool = Pool::with_capacity(rules.len() * 48);
    let mut set = RuleSet { rules: Vec::with_capacity(rules.len()), ..RuleSet::default() };
    let mut current_file: Option<&str> = None;
    let mut tries = Tries::default();
    let hostless_root = tries.new_root();
    let mut hosts: BTreeMap<(u8, String), u32> = BTreeMap::new();
    let mut side_hosts: Vec<(u32, Option<(u8, String)>)> = Vec::new();

    for (i, l) in lowered.iter().enumerate() {
        let rule_index = index(i, "rules")?;
        // A site's rules come file by file: a new range starts where the file name changes.
        if current_file != Some(l.file.as_str()) {
            current_file = Some(l.file.as_str());
            set.files.push(FileRange { name: pool.add(l.file.as_bytes())?, first_rule: rule_index });
        }
        let pattern = index(set.segments.len(), "pattern segments")?;
        for (kind, text) in &l.segments {
            let text = pool.add(text)?;
            let len = u16::try_from(text.len).map_err(|_| CompileError::TooLarge("pattern segment"))?;
            set.segments.push(PatternSegment { start: text.start, len, kind: *kind, reserved: 0 });
        }
        let parts = index(set.parts.len(), "to parts")?;
        for p in &l.parts {
            let part = match *p {
                Part::Text(a, b) => ToPart { start: a as u16, len: (b - a) as u16, kind: part_kind_of(p), capture: 0 },
                Part::Capture(c) => ToPart { start: 0, len: 0, kind: part_kind_of(p), capture: c as u8 },
            };
            set.parts.push(part);
        }
        let extra = if l.has_extra() { add_extra(&mut set, &mut pool, l)? } else { NONE };
        let (guard_origin, guard_prefix, guard_flags) = match l.guard {
            Some((origin, prefix, absolute)) => {
                (origin, prefix, rule_flags::GUARD | if absolute { rule_flags::GUARD_ABSOLUTE } else { 0 })
            }
            None => (0, 0, 0),
        };
        let to = pool.add(l.to.as_bytes())?;
        set.rules.push(RuleRecord {
            to_start: to.start,
            line: l.line,
            pattern,
            parts,
            extra,
            to_len: u16::try_from(to.len).map_err(|_| CompileError::TooLarge("to"))?,
            status: l.status,
            guard_origin,
            guard_prefix,
            pattern_len: u8::try_from(l.segments.len()).map_err(|_| CompileError::TooLarge("pattern"))?,
            parts_len: l.parts.len() as u8,
            flags: l.flags | guard_flags,
            reserved: 0,
        });

        match &l.placement {
            Placement::Trie { steps, splat } => {
                let root = match &l.host {
                    None => hostless_root,
                    Some(h) => match hosts.get(h) {
                        Some(&r) => r,
                        None => {
                            let r = tries.new_root();
                            hosts.insert(h.clone(), r);
                            r
                        }
                    },
                };
                tries.insert(root, steps, *splat, rule_index);
            }
            Placement::Side => side_hosts.push((rule_index, l.host.clone())),
        }
    }

    // Hosts of side rules need a host entry too (a root that may stay empty).
    for (_, host) in &side_hosts {
        if let Some(h) = host {
            if !hosts.contains_key(h) {
                let r = tries.new_root();
                hosts.insert(h.clone(), r);
            }
        }
    }
    let mut host_index: BTreeMap<&(u8, String), u32> = BTreeMap::new();
    for (key, &root) in &hosts {
        host_index.insert(key, index(set.hosts.len(), "hosts")?);
        set.hosts.push(Host { scheme: key.0, host: pool.add(key.1.as_bytes())?, root });
    }
    set.host_slots = slot_table(
        hosts.keys().map(|(scheme, host)| host_hash(*scheme, host.as_bytes())).collect::<Vec<_>>().into_iter(),
    );
    for (rule, host) in &side_hosts {
        let host = match host {
            Some(h) => host_index.get(h).copied().unwrap_or(NONE),
            None => NONE,
        };
        set.side.push(SideRule { rule: *rule, host });
    }
    let built = tries.build(&mut pool)?;
    set.nodes = built.nodes;
    set.edges = built.edges;
    set.edge_slots = built.edge_slots;
    set.rule_ids = built.rule_ids;
    set.hostless_root = hostless_root;
    set.pool = pool.into_bytes();
    Ok(set)
}

fn add_extra(set: &mut RuleSet, pool: &mut Pool, l: &Lowered) -> Result<u32, CompileError> {
    let mut queries = Vec::with_capacity(l.query.len());
    for (key, value, capture) in &l.query {
        queries.push(QueryConstraint {
            key: pool.add(key.as_bytes())?,
            value: pool.add(value)?,
            capture: u8::from(*capture),
        });
    }
    let query = span_of(&mut set.queries, queries, "query constraints")?;
    let mut lists = [Span::default(); 4];
    for (slot, values) in lists.iter_mut().zip(&l.conditions) {
        let strs = values.iter().map(|v| pool.add(v.as_bytes())).collect::<Result<Vec<_>, _>>()?;
        *slot = span_of(&mut set.values, strs, "condition values")?;
    }
    let mut headers = Vec::with_capacity(l.headers.len());
    for (name, value) in &l.headers {
        headers.push(HeaderPair { name: pool.add(name.as_bytes())?, value: pool.add(value.as_bytes())? });
    }
    let extra = Extra {
        query,
        country: lists[0],
        language: lists[1],
        role: lists[2],
        cookie: lists[3],
        headers: span_of(&mut set.headers, headers, "headers")?,
        signed: pool.add(l.signed.as_deref().unwrap_or_default().as_bytes())?,
        has_signed: u8::from(l.signed.is_some()),
    };
    set.extras.push(extra);
    index(set.extras.len() - 1, "extras")
}
