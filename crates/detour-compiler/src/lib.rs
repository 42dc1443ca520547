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
//! Layout (see `ARCHITECTURE.md`): every rule is indexed under its key, the literal segments and
//! placeholders its pattern starts with, in the scope of its `scheme://host` (or the host-less
//! scope). An entry per distinct key lists, in rule order, the rules whose pattern is exactly
//! the key and those whose pattern goes on after it. A request probes the key of each of its
//! prefixes, once per placeholder mask in use. `to` is pre-split into text and capture slots.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod guard;
mod index;
mod lower;
mod pool;
mod split;

use std::collections::{BTreeMap, HashMap};

use detour_format::{
    host_hash, rule_flags, slot_table, Detail, Extra, FileRange, HeaderPair, Host, PatternSegment, QueryConstraint,
    Rule as RuleRecord, RuleSet, Span, ToPart, NONE,
};
use detour_rules::Rule;
use rayon::prelude::*;

use index::IndexBuilder;
pub use index::{LinearList, LINEAR_WARN};
use lower::{lower, part_kind_of, Lowered, Part};
use pool::Pool;

/// How the compiler lays out the index. Every layout gives the same answers; the default is the
/// one the benchmarks measured fastest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    /// How many rules with placeholders may share the bucket of their literal head (and be tried
    /// one by one) before they are keyed through their placeholders: `0` keys every such rule
    /// through them, `usize::MAX` none. Default 4: below that a bucket costs less than the extra
    /// probe a key table per placeholder mask adds to every request.
    pub placeholder_bucket: usize,
    /// How long an entry's rule list must be before it gets a split, a second-level index by
    /// what else its rules require (the request's last segment, the start of its next segment,
    /// a query value, its country or language): `usize::MAX` never. Default 8: a shorter list
    /// is tried rule by rule faster than a split is looked up.
    pub split_min: usize,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions { placeholder_bucket: 4, split_min: 8 }
    }
}

/// Why rules could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A table of the blob would exceed what its indices can address (32-bit offsets, 16-bit
    /// lengths, 2^24 index entries; see `docs/limits.md`).
    #[error("the rules are too large to compile: the {0} exceeds what the blob format can address")]
    TooLarge(&'static str),
    /// rkyv could not serialize the rule set.
    #[error("serializing the blob failed: {0}")]
    Serialize(String),
}

/// Compiles rules (in priority order) into a complete blob.
pub fn compile(rules: &[Rule]) -> Result<Vec<u8>, CompileError> {
    compile_with(rules, &CompileOptions::default())
}

/// Compiles rules (in priority order) into a complete blob, laid out as `options` say.
pub fn compile_with(rules: &[Rule], options: &CompileOptions) -> Result<Vec<u8>, CompileError> {
    let set = build_rule_set(rules, options)?;
    detour_format::write_blob_from(set).map_err(|e| CompileError::Serialize(e.to_string()))
}

fn index(len: usize, what: &'static str) -> Result<u32, CompileError> {
    u32::try_from(len).map_err(|_| CompileError::TooLarge(what))
}

fn span_of<T>(items: &mut Vec<T>, new: impl IntoIterator<Item = T>, what: &'static str) -> Result<Span, CompileError> {
    let start = index(items.len(), what)?;
    items.extend(new);
    Ok(Span { start, len: index(items.len(), what)? - start })
}

/// How many rules are lowered at a time: in parallel within a chunk, and only one chunk's
/// lowered rules held at once (a million at once were most of the compiler's peak memory).
const LOWER_CHUNK: usize = 16 * 1024;

/// What the layout needs to know about all rules before the first is laid out: the scopes
/// (hosts, numbered in (scheme, host) order from 1; 0 is the host-less scope), and how many
/// rules with placeholders share each literal head (scope, depth, hash).
struct SiteShape {
    scopes: BTreeMap<(u8, String), u32>,
    sharing: HashMap<(u32, u8, u64), usize>,
}

impl SiteShape {
    fn of(rules: &[Rule]) -> Result<SiteShape, CompileError> {
        let mut scopes: BTreeMap<(u8, String), u32> =
            rules.iter().filter_map(lower::scope_key).map(|h| (h, 0)).collect();
        for (i, scope) in scopes.values_mut().enumerate() {
            *scope = index(i + 1, "hosts")?;
        }
        let mut shape = SiteShape { scopes, sharing: HashMap::new() };
        for rule in rules {
            if let Some((depth, _, hash)) = lower::literal_head(&rule.path.segments) {
                *shape
                    .sharing
                    .entry((shape.scope_of(rule.host.as_deref().map(lower::host_key)), depth, hash))
                    .or_default() += 1;
            }
        }
        Ok(shape)
    }

    fn scope_of(&self, host: Option<(u8, String)>) -> u32 {
        host.and_then(|h| self.scopes.get(&h)).copied().unwrap_or(0)
    }
}

/// Lowers rules into the (unserialized) rule set.
pub fn build_rule_set(rules: &[Rule], options: &CompileOptions) -> Result<RuleSet, CompileError> {
    build(rules, options).map(|(set, _)| set)
}

/// The lists of rules that share an index key and nothing else the index keys, each of at least
/// [`LINEAR_WARN`] rules: a request under that key may try them one by one. `detour check`
/// reports them; `docs/limits.md` says what they cost.
pub fn linear_lists(rules: &[Rule], options: &CompileOptions) -> Result<Vec<LinearList>, CompileError> {
    build(rules, options).map(|(_, linear)| linear)
}

/// [`compile_with`] and [`linear_lists`] in one pass.
pub fn compile_with_report(
    rules: &[Rule],
    options: &CompileOptions,
) -> Result<(Vec<u8>, Vec<LinearList>), CompileError> {
    let (set, linear) = build(rules, options)?;
    let blob = detour_format::write_blob_from(set).map_err(|e| CompileError::Serialize(e.to_string()))?;
    Ok((blob, linear))
}

fn build(rules: &[Rule], options: &CompileOptions) -> Result<(RuleSet, Vec<LinearList>), CompileError> {
    let shape = SiteShape::of(rules)?;
    let mut pool = Pool::with_capacity(rules.len() * 32, rules.len() + rules.len() / 2);
    let mut set = RuleSet { rules: Vec::with_capacity(rules.len()), ..RuleSet::default() };
    let mut current_file: Option<String> = None;
    let mut entries = IndexBuilder::default();

    for (chunk_number, chunk) in rules.chunks(LOWER_CHUNK).enumerate() {
        // Lowering is independent per rule; with thousands of rules it runs on every core.
        let lowered: Vec<Lowered> =
            if chunk.len() >= 4096 { chunk.par_iter().map(lower).collect() } else { chunk.iter().map(lower).collect() };
        for (offset, l) in lowered.iter().enumerate() {
            let rule_index = index(chunk_number * LOWER_CHUNK + offset, "rules")?;
            // A site's rules come file by file: a new range starts where the file name changes.
            if current_file.as_deref() != Some(l.file.as_str()) {
                current_file = Some(l.file.clone());
                set.files.push(FileRange { name: pool.add(l.file.as_bytes())?, first_rule: rule_index });
            }
            let scope = shape.scope_of(l.host.clone());
            add_rule(&mut set, &mut pool, &mut entries, &shape, options, l, scope, rule_index)?;
        }
    }

    let built = entries.build(shape.scopes.len() + 1, rules, options.split_min, &mut pool)?;
    for ((scheme, host), &scope) in &shape.scopes {
        let tables = built.scopes[scope as usize];
        set.hosts.push(Host { scheme: *scheme, host: pool.add(host.as_bytes())?, tables });
    }
    set.host_slots = slot_table(
        shape.scopes.keys().map(|(scheme, host)| host_hash(*scheme, host.as_bytes())).collect::<Vec<_>>().into_iter(),
    );
    set.hostless = built.scopes[0];
    set.entries = built.entries;
    set.tables = built.tables;
    set.slots = built.slots;
    set.rule_ids = built.rule_ids;
    set.splits = built.splits;
    set.split_buckets = built.split_buckets;
    set.split_slots = built.split_slots;
    set.pool = pool.into_bytes();
    Ok((set, built.linear))
}

/// Lays out one lowered rule: its record, its detail, its index entry.
#[allow(clippy::too_many_arguments)]
fn add_rule(
    set: &mut RuleSet,
    pool: &mut Pool,
    entries: &mut IndexBuilder,
    shape: &SiteShape,
    options: &CompileOptions,
    l: &Lowered,
    scope: u32,
    rule_index: u32,
) -> Result<(), CompileError> {
    let to = pool.add(l.to.as_bytes())?;
    let detail = if l.segments.is_empty() && l.parts.is_empty() && !l.has_extra() && l.guard.is_none() {
        NONE
    } else {
        add_detail(set, pool, l)?
    };
    let (_, _, guard_flags) = guard_of(l);
    set.rules.push(RuleRecord {
        to_start: to.start,
        line: l.line,
        detail,
        to_len: u16::try_from(to.len).map_err(|_| CompileError::TooLarge("to"))?,
        status: l.status,
        flags: l.flags | guard_flags,
        pattern_len: u8::try_from(l.segments.len()).map_err(|_| CompileError::TooLarge("pattern"))?,
        parts_len: l.parts.len() as u8,
        reserved: 0,
    });
    // Rules with placeholders are keyed through them only where many would share the bucket of
    // their literal head; the rest stay in that bucket (see `CompileOptions`).
    let literal = l.key.literal_head.and_then(|(depth, _, hash)| {
        let shared = shape.sharing.get(&(scope, depth, hash)).copied().unwrap_or(0);
        l.key.literal().filter(|_| shared <= options.placeholder_bucket)
    });
    entries.insert(pool, scope, literal.as_ref().unwrap_or(&l.key), to, rule_index)
}

/// The loop guard of a rule: (origin length, prefix length, flags).
fn guard_of(l: &Lowered) -> (u16, u16, u8) {
    match l.guard {
        Some((origin, prefix, absolute)) => {
            (origin, prefix, rule_flags::GUARD | if absolute { rule_flags::GUARD_ABSOLUTE } else { 0 })
        }
        None => (0, 0, 0),
    }
}

fn add_detail(set: &mut RuleSet, pool: &mut Pool, l: &Lowered) -> Result<u32, CompileError> {
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
    let extra = if l.has_extra() { add_extra(set, pool, l)? } else { NONE };
    let (guard_origin, guard_prefix, _) = guard_of(l);
    set.details.push(Detail { pattern, parts, extra, guard_origin, guard_prefix });
    index(set.details.len() - 1, "details")
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
