//! Building the index: per scope (the host-less rules, then each host) and placeholder mask,
//! a key table with one entry per distinct key holding its exact and prefix rules in ascending
//! order, and a hash table over the entries.

use std::collections::{BTreeMap, HashMap};

use detour_format::{
    entry_kinds, prefix_hash, probe_table, slot_tag, split_hash, split_table, Entry, KeyTable, Span, Split,
    SplitBucket, Str, NONE, PREFIX_SEED, SLOT_ENTRY_MASK,
};

use crate::lower::{IndexKey, KeyKind};
use hashbrown::HashTable;

use crate::pool::Pool;
use crate::split::{plan, SplitPlan};
use crate::CompileError;
use detour_rules::Rule;

/// A list this long that no split divides is reported ([`LinearList`]).
pub const LINEAR_WARN: usize = 64;

/// Rules that share an index key and nothing else the index keys: a request for a path under the
/// key may try each of them in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearList {
    /// The key: segments joined by `/`, a placeholder as an empty segment.
    pub key: Vec<u8>,
    /// Its host scope: 0 for the host-less rules, else the host's number + 1.
    pub scope: u32,
    /// The rules, ascending.
    pub rules: Vec<u32>,
}

/// The most entries a blob can index: slots keep the entry number in their low 24 bits.
const MAX_ENTRIES: usize = SLOT_ENTRY_MASK as usize - 1;

struct EntryBuilder {
    /// The entry's (scope, mask), numbered in `IndexBuilder::tables`: a site has a million
    /// entries and a few thousand tables.
    table: u32,
    depth: u8,
    hash: u64,
    key: Str,
}

/// The entries of every key table, in creation order so the output is deterministic.
#[derive(Default)]
pub struct IndexBuilder {
    entries: Vec<EntryBuilder>,
    /// Every (scope, mask) that has entries, in order of first use, and their numbers.
    tables: Vec<(u32, u64)>,
    table_numbers: HashMap<(u32, u64), u32>,
    /// Entry numbers, found by key hash mixed with the scope and mask.
    by_key: HashTable<u32>,
    /// (entry × 2 + list, rule) in insertion order, list 0 the exact rules and 1 the prefix
    /// rules: one flat vector, where a vector per entry cost an allocation for each of a
    /// million entries.
    postings: Vec<(u32, u32)>,
}

/// Every entry's two rule lists, ascending, in one vector.
struct EntryLists {
    /// `starts[2e + k]..starts[2e + k + 1]` is list `k` of entry `e` in `ids`.
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl EntryLists {
    /// Groups the postings by entry and list, keeping each list's (ascending) order.
    fn group(postings: Vec<(u32, u32)>, entries: usize) -> EntryLists {
        // Rule numbers are u32, so there are fewer than 2^32 postings.
        let mut starts = vec![0u32; entries * 2 + 1];
        for &(list, _) in &postings {
            starts[list as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut ids = vec![0u32; postings.len()];
        for (list, rule) in postings {
            ids[next[list as usize] as usize] = rule;
            next[list as usize] += 1;
        }
        EntryLists { starts, ids }
    }

    /// The exact and the prefix list of entry `e`.
    fn of(&self, e: usize) -> [&[u32]; 2] {
        [0, 1].map(|k| &self.ids[self.starts[2 * e + k] as usize..self.starts[2 * e + k + 1] as usize])
    }
}

/// The built arrays.
pub struct BuiltIndex {
    pub entries: Vec<Entry>,
    pub tables: Vec<KeyTable>,
    pub slots: Vec<u32>,
    pub rule_ids: Vec<u32>,
    pub splits: Vec<Split>,
    pub split_buckets: Vec<SplitBucket>,
    pub split_slots: Vec<u32>,
    /// The lists (or split rests) a request may have to try rule by rule: at least
    /// [`LINEAR_WARN`] rules that nothing else keys.
    pub linear: Vec<LinearList>,
    /// The tables of each scope: scope 0 is the host-less one; scope `i + 1` is host `i`.
    pub scopes: Vec<Span>,
}

fn mixed(hash: u64, (scope, mask): (u32, u64)) -> u64 {
    hash ^ u64::from(scope).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mask.wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
}

impl IndexBuilder {
    /// Adds rule `rule` (inserted in ascending order) under `key` in `scope`. A new key's text
    /// is stored inside the rule's `to` when it occurs there.
    pub fn insert(
        &mut self,
        pool: &mut Pool,
        scope: u32,
        key: &IndexKey,
        to: Str,
        rule: u32,
    ) -> Result<(), CompileError> {
        let table = (scope, key.mask);
        let mixed = mixed(key.hash, table);
        let table_number = self.table_number(table)?;
        let entry = match self.find_entry(pool, mixed, table_number, key.depth, &key.text) {
            Some(e) => e,
            None => {
                if self.entries.len() >= MAX_ENTRIES {
                    return Err(CompileError::TooLarge("index"));
                }
                u16::try_from(key.text.len()).map_err(|_| CompileError::TooLarge("index key"))?;
                let key_str = pool.add_within(&key.text, to)?;
                let e = self.entries.len() as u32;
                self.entries.push(EntryBuilder { table: table_number, depth: key.depth, hash: key.hash, key: key_str });
                let (entries, tables) = (&self.entries, &self.tables);
                self.by_key.insert_unique(mixed, e, |&e| {
                    let b = &entries[e as usize];
                    self::mixed(b.hash, tables[b.table as usize])
                });
                e
            }
        };
        let list = u32::from(key.kind != KeyKind::Exact);
        self.postings.push((entry * 2 + list, rule));
        Ok(())
    }

    /// The entry with this key text at this depth in table `table` (`mixed`: its key hash
    /// mixed with the table).
    fn find_entry(&self, pool: &Pool, mixed: u64, table: u32, depth: u8, text: &[u8]) -> Option<u32> {
        let entries = &self.entries;
        let found = self.by_key.find(mixed, |&e| {
            let b = &entries[e as usize];
            b.table == table && b.depth == depth && pool.get(b.key) == text
        });
        found.copied()
    }

    /// The number of a (scope, mask) table, numbering it on first use.
    fn table_number(&mut self, table: (u32, u64)) -> Result<u32, CompileError> {
        if let Some(&n) = self.table_numbers.get(&table) {
            return Ok(n);
        }
        let n = u32::try_from(self.tables.len()).map_err(|_| CompileError::TooLarge("index"))?;
        self.tables.push(table);
        self.table_numbers.insert(table, n);
        Ok(n)
    }

    /// Stores each key inside a key one segment deeper of the same table that extends it, where
    /// there is one, deepest first so a whole chain (`s`, `s/s`, `s/s/s`) shares one text: the
    /// matcher then compares only the new tail of each deeper key it finds (O(D) bytes for a
    /// path under D nested keys, not O(D²)). The texts are unchanged; only where they lie.
    /// Returns each entry's child link ([`Entry::child`]): in a table without placeholders, its
    /// only extending entry when it has exactly one, stored at the same place.
    fn nest_keys(&mut self, pool: &Pool) -> Vec<u32> {
        const MANY: u32 = NONE - 1;
        // Deepest first, by a counting sort (depths are bytes): linear at a million entries.
        let mut starts = [0usize; 257];
        for b in &self.entries {
            starts[usize::from(u8::MAX - b.depth) + 1] += 1;
        }
        for d in 1..starts.len() {
            starts[d] += starts[d - 1];
        }
        let mut by_depth = vec![0u32; self.entries.len()];
        for (e, b) in self.entries.iter().enumerate() {
            let at = &mut starts[usize::from(u8::MAX - b.depth)];
            by_depth[*at] = e as u32;
            *at += 1;
        }
        let mut nested = vec![false; self.entries.len()];
        let mut child = vec![NONE; self.entries.len()];
        for &e in &by_depth {
            let entry = &self.entries[e as usize];
            if entry.depth < 2 {
                break;
            }
            let text = pool.get(entry.key);
            let Some(cut) = text.iter().rposition(|&b| b == b'/') else { continue };
            let parent_text = &text[..cut];
            let parent_hash = parent_text.split(|&b| b == b'/').fold(PREFIX_SEED, prefix_hash);
            let (table, depth, start) = (entry.table, entry.depth - 1, entry.key.start);
            let mixed = mixed(parent_hash, self.tables[table as usize]);
            let Some(p) = self.find_entry(pool, mixed, table, depth, parent_text) else { continue };
            let link = &mut child[p as usize];
            *link = if *link == NONE { e } else { MANY };
            if !nested[p as usize] {
                nested[p as usize] = true;
                self.entries[p as usize].key.start = start;
            }
        }
        for (p, link) in child.iter_mut().enumerate() {
            let plain = self.tables[self.entries[p].table as usize].1 == 0;
            let shared = self.entries.get(*link as usize).is_some_and(|c| c.key.start == self.entries[p].key.start);
            if *link == MANY || !plain || !shared {
                *link = NONE;
            }
        }
        child
    }

    /// Lays out the entries, their lists (with a split for each list of at least `split_min`
    /// rules that has one), and the key tables of `scopes` scopes.
    pub fn build(
        mut self,
        scopes: usize,
        rules: &[Rule],
        split_min: usize,
        pool: &mut Pool,
    ) -> Result<BuiltIndex, CompileError> {
        let child = self.nest_keys(pool);
        let grouped = EntryLists::group(self.postings, self.entries.len());
        let mut entries = Vec::with_capacity(self.entries.len());
        let mut lists = Lists { rule_ids: Vec::with_capacity(grouped.ids.len()), ..Lists::default() };
        let mut linear = Vec::new();
        let mut tables: BTreeMap<(u32, u64), (KeyTable, Vec<u32>)> = BTreeMap::new();
        for (i, b) in self.entries.iter().enumerate() {
            let entry_lists = grouped.of(i);
            let table_key = self.tables[b.table as usize];
            let kinds = [entry_kinds::EXACT, entry_kinds::PREFIX]
                .iter()
                .zip(&entry_lists)
                .filter(|(_, l)| !l.is_empty())
                .fold(0, |k, (bit, _)| k | bit);
            let total: usize = entry_lists.iter().map(|l| l.len()).sum();
            let (rules, kinds) = if total == 1 {
                (entry_lists.iter().copied().flatten().copied().next().unwrap_or_default(), kinds)
            } else {
                let head = literal_head(pool.get(b.key), table_key.1);
                let plans = [0, 1].map(|k| {
                    let list = entry_lists[k];
                    (list.len() >= split_min.max(2))
                        .then(|| plan(list, k == 0, (usize::from(b.depth), &head), rules))
                        .flatten()
                });
                for (&list, plan) in entry_lists.iter().zip(&plans) {
                    let walked = plan.as_ref().map_or(list, |p| &p.rest[..]);
                    if walked.len() >= LINEAR_WARN {
                        linear.push(LinearList {
                            key: pool.get(b.key).to_vec(),
                            scope: table_key.0,
                            rules: walked.to_vec(),
                        });
                    }
                }
                lists.entry(entry_lists, plans, kinds, pool)?
            };
            let child = child[i];
            entries.push(Entry { key: b.key.start, rules, key_len: b.key.len as u16, depth: b.depth, kinds, child });
            let (table, members) = tables
                .entry(table_key)
                .or_insert_with(|| (KeyTable { mask: table_key.1, ..KeyTable::default() }, Vec::new()));
            let bit = 1u64 << b.depth.min(63);
            if !entry_lists[0].is_empty() {
                table.exact_depths |= bit;
            }
            if !entry_lists[1].is_empty() {
                table.prefix_depths |= bit;
            }
            members.push(i as u32);
        }
        let Lists { rule_ids, splits, split_buckets, split_slots } = lists;
        let mut built = BuiltIndex {
            entries,
            tables: Vec::new(),
            slots: Vec::new(),
            rule_ids,
            splits,
            split_buckets,
            split_slots,
            linear,
            scopes: Vec::new(),
        };
        let mut scope_starts = vec![None; scopes];
        for ((scope, _), (mut table, ids)) in tables {
            // Load at most two thirds: a miss reads about five slots and, thanks to the tags,
            // almost never an entry.
            let len = ids.len() + ids.len() / 2 + 1;
            let positions = probe_table(ids.iter().map(|&e| self.entries[e as usize].hash), len);
            let start = u32::try_from(built.slots.len()).map_err(|_| CompileError::TooLarge("index"))?;
            // `positions` holds indices into `ids`; slots hold entry numbers and tags.
            built.slots.extend(positions.iter().map(|&p| match p {
                0 => 0,
                p => {
                    let e = ids[p as usize - 1];
                    (e + 1) | slot_tag(self.entries[e as usize].hash)
                }
            }));
            table.slots = Span { start, len: len as u32 };
            let t = u32::try_from(built.tables.len()).map_err(|_| CompileError::TooLarge("index"))?;
            scope_starts[scope as usize].get_or_insert(t);
            built.tables.push(table);
        }
        // Tables are sorted by scope: each scope's run ends where the next scope's starts.
        let total = built.tables.len() as u32;
        let mut end = total;
        built.scopes = vec![Span::default(); scopes];
        for (scope, start) in scope_starts.iter().enumerate().rev() {
            if let Some(start) = *start {
                built.scopes[scope] = Span { start, len: end - start };
                end = start;
            } else {
                built.scopes[scope] = Span { start: end, len: 0 };
            }
        }
        Ok(built)
    }
}

/// The literal path every request under a key starts with: `/` and the key's segments up to its
/// first placeholder (`mask`), joined by `/`; empty for the key of no segments.
fn literal_head(key: &[u8], mask: u64) -> Vec<u8> {
    if key.is_empty() {
        return Vec::new();
    }
    let literals = mask.trailing_zeros() as usize;
    key.split(|&b| b == b'/').take(literals).flat_map(|s| std::iter::once(b'/').chain(s.iter().copied())).collect()
}

/// The rule lists of the entries and their splits, laid out.
#[derive(Default)]
struct Lists {
    rule_ids: Vec<u32>,
    splits: Vec<Split>,
    split_buckets: Vec<SplitBucket>,
    split_slots: Vec<u32>,
}

fn too_large<T: TryFrom<usize>>(n: usize, what: &'static str) -> Result<T, CompileError> {
    T::try_from(n).map_err(|_| CompileError::TooLarge(what))
}

impl Lists {
    /// Appends `ids` to `rule_ids`.
    fn span(&mut self, ids: &[u32]) -> Result<Span, CompileError> {
        let start = too_large(self.rule_ids.len(), "rule lists")?;
        self.rule_ids.extend_from_slice(ids);
        Ok(Span { start, len: too_large(ids.len(), "rule lists")? })
    }

    /// Lays out an entry's lists: counts, split numbers when a list has a split, the lists.
    /// Returns the entry's `rules` and `kinds`.
    fn entry(
        &mut self,
        entry_lists: [&[u32]; 2],
        plans: [Option<SplitPlan>; 2],
        kinds: u8,
        pool: &mut Pool,
    ) -> Result<(u32, u8), CompileError> {
        let split_numbers = plans
            .iter()
            .map(|p| p.as_ref().map_or(Ok(NONE), |p| self.split(p, pool)))
            .collect::<Result<Vec<u32>, _>>()?;
        let start = too_large(self.rule_ids.len(), "rule lists")?;
        self.rule_ids.extend(entry_lists.iter().map(|l| l.len() as u32));
        let mut kinds = kinds | entry_kinds::LIST;
        if plans.iter().any(Option::is_some) {
            self.rule_ids.extend(&split_numbers);
            kinds |= entry_kinds::SPLIT;
        }
        self.rule_ids.extend(entry_lists.iter().copied().flatten().copied());
        Ok((start, kinds))
    }

    /// Lays out one split; returns its number.
    fn split(&mut self, p: &SplitPlan, pool: &mut Pool) -> Result<u32, CompileError> {
        let lengths = self.span(&p.lengths)?;
        let rest = self.span(&p.rest)?;
        let members = self.span(&p.members)?;
        let forced = self.span(&p.forced)?;
        let first_bucket = too_large(self.split_buckets.len(), "split buckets")?;
        for (value, ids) in &p.buckets {
            let rules = self.span(ids)?;
            self.split_buckets.push(SplitBucket { value: pool.add(value)?, rules });
        }
        let slots = split_table(p.buckets.iter().map(|(v, _)| split_hash(p.kind, v)).collect::<Vec<_>>().into_iter());
        let slots_start = too_large(self.split_slots.len(), "split tables")?;
        let slots_len = too_large(slots.len(), "split tables")?;
        self.split_slots.extend(slots);
        self.splits.push(Split {
            kind: p.kind,
            key: pool.add(&p.key)?,
            lengths,
            rest,
            members,
            forced,
            slots: Span { start: slots_start, len: slots_len },
            buckets: Span { start: first_bucket, len: too_large(p.buckets.len(), "split buckets")? },
        });
        too_large(self.splits.len() - 1, "splits")
    }
}
