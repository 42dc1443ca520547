//! Building the index: per scope (the host-less rules, then each host), one entry per distinct
//! key holding the rules of each kind in ascending order, and a hash table over the entries.

use detour_format::{entry_kinds, probe_table, slot_tag, Entry, Scope, Span, Str, SLOT_ENTRY_MASK};

use crate::lower::{IndexKey, KeyKind};
use crate::pool::{HashIndex, Pool};
use crate::CompileError;

/// The most entries a blob can index: slots keep the entry number in their low 24 bits.
const MAX_ENTRIES: usize = SLOT_ENTRY_MASK as usize - 1;

struct EntryBuilder {
    scope: u32,
    depth: u8,
    hash: u64,
    key: Str,
    /// Exact, splat and rest rules, ascending (rules are inserted in order).
    lists: [Vec<u32>; 3],
}

/// The entries of every scope, in creation order so the output is deterministic.
#[derive(Default)]
pub struct IndexBuilder {
    entries: Vec<EntryBuilder>,
    /// Entries by key hash mixed with the scope.
    by_key: HashIndex<Vec<u32>>,
}

/// The built arrays.
pub struct BuiltIndex {
    pub entries: Vec<Entry>,
    pub slots: Vec<u32>,
    pub rule_ids: Vec<u32>,
    /// Scope 0 is the host-less one; scope `i + 1` is host `i`.
    pub scopes: Vec<Scope>,
}

fn scoped(hash: u64, scope: u32) -> u64 {
    hash ^ u64::from(scope).wrapping_mul(0x9e37_79b9_7f4a_7c15)
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
        let mixed = scoped(key.hash, scope);
        let existing = self.by_key.get(&mixed).and_then(|ids| {
            ids.iter().copied().find(|&e| {
                let b = &self.entries[e as usize];
                b.scope == scope && b.depth == key.depth && pool.get(b.key) == key.text.as_slice()
            })
        });
        let entry = match existing {
            Some(e) => e,
            None => {
                if self.entries.len() >= MAX_ENTRIES {
                    return Err(CompileError::TooLarge("index"));
                }
                u16::try_from(key.text.len()).map_err(|_| CompileError::TooLarge("index key"))?;
                let key_str = pool.add_within(&key.text, to)?;
                let e = self.entries.len() as u32;
                self.entries.push(EntryBuilder {
                    scope,
                    depth: key.depth,
                    hash: key.hash,
                    key: key_str,
                    lists: Default::default(),
                });
                self.by_key.entry(mixed).or_default().push(e);
                e
            }
        };
        let list = match key.kind {
            KeyKind::Exact => 0,
            KeyKind::Splat => 1,
            KeyKind::Rest => 2,
        };
        self.entries[entry as usize].lists[list].push(rule);
        Ok(())
    }

    /// Lays out the entries, their lists and one hash table per scope (`scopes` of them).
    pub fn build(self, scopes: usize) -> Result<BuiltIndex, CompileError> {
        let mut entries = Vec::with_capacity(self.entries.len());
        let mut rule_ids = Vec::new();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); scopes];
        let mut built_scopes = vec![Scope::default(); scopes];
        for (i, b) in self.entries.iter().enumerate() {
            let kinds = [entry_kinds::EXACT, entry_kinds::SPLAT, entry_kinds::REST]
                .iter()
                .zip(&b.lists)
                .filter(|(_, l)| !l.is_empty())
                .fold(0, |k, (bit, _)| k | bit);
            let total: usize = b.lists.iter().map(Vec::len).sum();
            let (rules, kinds) = if total == 1 {
                (b.lists.iter().flatten().copied().next().unwrap_or_default(), kinds)
            } else {
                let start = u32::try_from(rule_ids.len()).map_err(|_| CompileError::TooLarge("rule lists"))?;
                rule_ids.extend(b.lists.iter().map(|l| l.len() as u32));
                rule_ids.extend(b.lists.iter().flatten().copied());
                (start, kinds | entry_kinds::LIST)
            };
            entries.push(Entry { key: b.key.start, rules, key_len: b.key.len as u16, depth: b.depth, kinds });
            let scope = &mut built_scopes[b.scope as usize];
            let bit = 1u64 << b.depth.min(63);
            if !b.lists[0].is_empty() {
                scope.exact_depths |= bit;
            }
            if !b.lists[1].is_empty() || !b.lists[2].is_empty() {
                scope.prefix_depths |= bit;
            }
            members[b.scope as usize].push(i as u32);
        }
        let mut slots = Vec::new();
        for (scope, ids) in built_scopes.iter_mut().zip(&members) {
            // Load at most two thirds: a miss reads about five slots and, thanks to the tags,
            // almost never an entry.
            let len = if ids.is_empty() { 0 } else { ids.len() + ids.len() / 2 + 1 };
            let table = probe_table(ids.iter().map(|&e| self.entries[e as usize].hash), len);
            let start = u32::try_from(slots.len()).map_err(|_| CompileError::TooLarge("index"))?;
            // The table holds positions in `ids`; slots hold entry numbers and tags.
            slots.extend(table.iter().map(|&s| match s {
                0 => 0,
                s => {
                    let e = ids[s as usize - 1];
                    (e + 1) | slot_tag(self.entries[e as usize].hash)
                }
            }));
            scope.slots = Span { start, len: len as u32 };
        }
        Ok(BuiltIndex { entries, slots, rule_ids, scopes: built_scopes })
    }
}
