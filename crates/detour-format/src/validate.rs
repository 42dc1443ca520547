//! Checks of an archived [`RuleSet`] beyond rkyv's structural validation: every index and range
//! points inside its array, so the runtime can never read out of bounds. Also the accessors the
//! runtime reads through.

use crate::schema::*;

/// Why a structurally valid archive is not a usable rule set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rule set: {0}")]
pub struct InvalidIndex(pub &'static str);

/// The most wildcards a pattern may have (the runtime keeps their positions on the stack).
pub const MAX_WILDCARDS: usize = 16;

/// The name of every wildcard capture.
pub const SPLAT: &[u8] = b"splat";

fn check(ok: bool, what: &'static str) -> Result<(), InvalidIndex> {
    if ok {
        Ok(())
    } else {
        Err(InvalidIndex(what))
    }
}

fn in_range(start: u32, len: u32, bound: usize) -> bool {
    (start as usize).checked_add(len as usize).is_some_and(|end| end <= bound)
}

fn span_ok(s: &ArchivedSpan, bound: usize) -> bool {
    in_range(s.start.to_native(), s.len.to_native(), bound)
}

/// The records of a span (empty if out of range, which validation rules out).
pub fn span<'a, T>(items: &'a [T], s: &ArchivedSpan) -> &'a [T] {
    slice(items, s.start.to_native(), s.len.to_native())
}

fn slice<T>(items: &[T], start: u32, len: u32) -> &[T] {
    let start = start as usize;
    items.get(start..start.saturating_add(len as usize)).unwrap_or_default()
}

/// A rule's pattern as the matchers see it.
#[derive(Clone, Copy)]
pub enum PatternShape<'a> {
    /// Exactly the literal segments of its index key.
    Exact,
    /// Its index key followed by `/*`.
    SplatTail,
    /// Stored segments, matched in full.
    Stored(&'a [ArchivedPatternSegment]),
}

/// The rule lists of an entry: exact and prefix, each ascending.
pub type EntryLists<'a> = [&'a [rkyv::rend::u32_le]; 2];

impl ArchivedRuleSet {
    fn str_ok(&self, s: &ArchivedStr) -> bool {
        in_range(s.start.to_native(), s.len.to_native(), self.pool.len())
    }

    /// The bytes of a pool string (empty if out of range, which validation rules out).
    #[inline]
    pub fn str(&self, s: &ArchivedStr) -> &[u8] {
        slice(&self.pool, s.start.to_native(), s.len.to_native())
    }

    /// A rule's `to` as written.
    #[inline]
    pub fn to(&self, r: &ArchivedRule) -> &[u8] {
        slice(&self.pool, r.to_start.to_native(), u32::from(r.to_len.to_native()))
    }

    /// A rule's detail record.
    #[inline]
    pub fn detail(&self, r: &ArchivedRule) -> Option<&ArchivedDetail> {
        self.details.get(r.detail.to_native() as usize)
    }

    /// A rule's stored pattern segments (empty when its index key is its pattern).
    #[inline]
    pub fn pattern(&self, r: &ArchivedRule) -> &[ArchivedPatternSegment] {
        match self.detail(r) {
            Some(d) if r.pattern_len > 0 => slice(&self.segments, d.pattern.to_native(), u32::from(r.pattern_len)),
            _ => &[],
        }
    }

    /// A rule's pattern shape.
    #[inline]
    pub fn shape(&self, r: &ArchivedRule) -> PatternShape<'_> {
        if r.pattern_len > 0 {
            PatternShape::Stored(self.pattern(r))
        } else if r.flags & rule_flags::SPLAT_TAIL != 0 {
            PatternShape::SplatTail
        } else {
            PatternShape::Exact
        }
    }

    /// A rule's `to` parts (empty when it has no captures).
    #[inline]
    pub fn parts(&self, r: &ArchivedRule) -> &[ArchivedToPart] {
        match self.detail(r) {
            Some(d) => slice(&self.parts, d.parts.to_native(), u32::from(r.parts_len)),
            None => &[],
        }
    }

    /// The loop guard's `scheme://host` length and prefix length within `to` (SPEC §3.10).
    #[inline]
    pub fn guard(&self, r: &ArchivedRule) -> (usize, usize) {
        self.detail(r)
            .map_or((0, 0), |d| (usize::from(d.guard_origin.to_native()), usize::from(d.guard_prefix.to_native())))
    }

    /// The text of a pattern segment.
    #[inline]
    pub fn segment_text(&self, s: &ArchivedPatternSegment) -> &[u8] {
        slice(&self.pool, s.start.to_native(), u32::from(s.len.to_native()))
    }

    /// The text of a `to` part, within the rule's `to`.
    #[inline]
    pub fn part_text<'a>(&'a self, r: &ArchivedRule, p: &ArchivedToPart) -> &'a [u8] {
        slice(self.to(r), u32::from(p.start.to_native()), u32::from(p.len.to_native()))
    }

    /// A rule's extra record.
    #[inline]
    pub fn extra(&self, r: &ArchivedRule) -> Option<&ArchivedExtra> {
        self.extras.get(self.detail(r)?.extra.to_native() as usize)
    }

    /// A rule's query constraints.
    #[inline]
    pub fn queries(&self, r: &ArchivedRule) -> &[ArchivedQueryConstraint] {
        self.extra(r).map_or(&[], |e| span(&self.queries, &e.query))
    }

    /// How many captures a rule's path makes.
    #[inline]
    pub fn path_capture_count(&self, r: &ArchivedRule) -> usize {
        match self.shape(r) {
            PatternShape::Exact => 0,
            PatternShape::SplatTail => 1,
            PatternShape::Stored(p) => p.iter().filter(|s| s.kind != segment_kind::LITERAL).count(),
        }
    }

    /// The name of capture `i` of a rule: the path's placeholders and wildcards by position,
    /// then the query captures; and whether it is a query capture.
    pub fn capture_name(&self, r: &ArchivedRule, i: usize) -> Option<(&[u8], bool)> {
        let path_count = self.path_capture_count(r);
        if i < path_count {
            let name = match self.shape(r) {
                PatternShape::Stored(p) => {
                    let s = p.iter().filter(|s| s.kind != segment_kind::LITERAL).nth(i)?;
                    if s.kind == segment_kind::PLACEHOLDER {
                        self.segment_text(s)
                    } else {
                        SPLAT
                    }
                }
                _ => SPLAT,
            };
            return Some((name, false));
        }
        let q = self.queries(r).iter().filter(|q| q.capture == 1).nth(i - path_count)?;
        Some((self.str(&q.value), true))
    }

    /// How many captures a rule makes.
    #[inline]
    pub fn capture_count(&self, r: &ArchivedRule) -> usize {
        self.path_capture_count(r) + self.queries(r).iter().filter(|q| q.capture == 1).count()
    }

    /// An entry's key.
    #[inline]
    pub fn key(&self, e: &ArchivedEntry) -> &[u8] {
        slice(&self.pool, e.key.to_native(), u32::from(e.key_len.to_native()))
    }

    /// Where an entry's lists start in [`RuleSet::rule_ids`], after its counts (and split numbers).
    #[inline]
    fn entry_header(&self, e: &ArchivedEntry) -> (usize, usize) {
        let start = e.rules.to_native() as usize;
        let header = if e.kinds & entry_kinds::SPLIT != 0 { 4 } else { 2 };
        (start, start.saturating_add(header))
    }

    /// An entry's rule lists: exact, prefix.
    #[inline]
    pub fn entry_lists<'a>(&'a self, e: &'a ArchivedEntry) -> EntryLists<'a> {
        let mut lists: EntryLists<'a> = [&[], &[]];
        if e.kinds & entry_kinds::LIST == 0 {
            for (bit, list) in [entry_kinds::EXACT, entry_kinds::PREFIX].into_iter().zip(&mut lists) {
                if e.kinds & bit != 0 {
                    *list = std::slice::from_ref(&e.rules);
                }
            }
            return lists;
        }
        let (start, mut at) = self.entry_header(e);
        let Some(counts) = self.rule_ids.get(start..start.saturating_add(2)) else { return lists };
        for (count, list) in counts.iter().zip(&mut lists) {
            let len = count.to_native() as usize;
            *list = self.rule_ids.get(at..at.saturating_add(len)).unwrap_or_default();
            at = at.saturating_add(len);
        }
        lists
    }

    /// Where an entry's lists lie in [`RuleSet::rule_ids`] (start, end), for an entry with
    /// [`entry_kinds::LIST`]; `None` for a single-rule entry (its `rules` is the rule).
    #[inline]
    pub fn entry_list_ranges(&self, e: &ArchivedEntry) -> Option<[(u32, u32); 2]> {
        if e.kinds & entry_kinds::LIST == 0 {
            return None;
        }
        let (start, at) = self.entry_header(e);
        let counts = self.rule_ids.get(start..start.saturating_add(2))?;
        let exact_end = at.saturating_add(counts[0].to_native() as usize);
        let prefix_end = exact_end.saturating_add(counts[1].to_native() as usize);
        let clamp = |x: usize| u32::try_from(x.min(self.rule_ids.len())).unwrap_or(u32::MAX);
        Some([(clamp(at), clamp(exact_end)), (clamp(exact_end), clamp(prefix_end))])
    }

    /// The split numbers of an entry's lists (exact, prefix) in [`RuleSet::splits`], [`NONE`]
    /// where a list has none: read with the list ranges, so a split is reached in one step.
    #[inline]
    pub fn entry_split_numbers(&self, e: &ArchivedEntry) -> [u32; 2] {
        if e.kinds & entry_kinds::SPLIT == 0 {
            return [NONE; 2];
        }
        let at = (e.rules.to_native() as usize).saturating_add(2);
        let number = |i: usize| self.rule_ids.get(at + i).map_or(NONE, |n| n.to_native());
        [number(0), number(1)]
    }

    /// A run of [`RuleSet::rule_ids`].
    #[inline]
    pub fn ids(&self, s: &ArchivedSpan) -> &[rkyv::rend::u32_le] {
        span(&self.rule_ids, s)
    }

    /// The bucket of a split with this value, if any.
    #[inline]
    pub fn split_bucket(&self, split: &ArchivedSplit, value: &[u8]) -> Option<&ArchivedSplitBucket> {
        self.split_bucket_hashed(split, value, crate::split_hash(split.kind, value))
    }

    /// [`RuleSet::split_bucket`] with the value's [`crate::split_hash`] (for the split's kind)
    /// already computed: a request's country or language is hashed once, not once per split.
    #[inline]
    pub fn split_bucket_hashed(&self, split: &ArchivedSplit, value: &[u8], hash: u64) -> Option<&ArchivedSplitBucket> {
        let slots = span(&self.split_slots, &split.slots);
        let buckets = span(&self.split_buckets, &split.buckets);
        let mask = slots.len().checked_sub(1)?;
        let mut i = (hash as usize) & mask;
        for _ in 0..slots.len() {
            let b = (slots.get(i)?.to_native() as usize).checked_sub(1)?;
            let bucket = buckets.get(b)?;
            if self.str(&bucket.value) == value {
                return Some(bucket);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// The source file of rule `index`.
    #[inline]
    pub fn file_of(&self, index: usize) -> &[u8] {
        if let [only] = self.files.as_slice() {
            return self.str(&only.name);
        }
        let at = self.files.partition_point(|f| f.first_rule.to_native() as usize <= index);
        at.checked_sub(1).and_then(|i| self.files.get(i)).map_or(&[], |f| self.str(&f.name))
    }

    /// Checks every reference of the rule set.
    pub fn validate(&self) -> Result<(), InvalidIndex> {
        let mut previous = 0;
        for f in self.files.iter() {
            check(self.str_ok(&f.name) && f.first_rule.to_native() >= previous, "file ranges")?;
            previous = f.first_rule.to_native();
        }
        for e in self.extras.iter() {
            check(span_ok(&e.query, self.queries.len()), "query constraints")?;
            for s in [&e.country, &e.language, &e.role, &e.cookie] {
                check(span_ok(s, self.values.len()), "condition values")?;
            }
            check(span_ok(&e.headers, self.headers.len()) && self.str_ok(&e.signed), "extra")?;
        }
        for s in self.segments.iter() {
            let len = u32::from(s.len.to_native());
            check(s.kind <= segment_kind::PREFIX && in_range(s.start.to_native(), len, self.pool.len()), "segment")?;
        }
        for r in self.rules.iter() {
            self.validate_rule(r)?;
        }
        for q in self.queries.iter() {
            check(self.str_ok(&q.key) && self.str_ok(&q.value), "query constraint")?;
        }
        for v in self.values.iter() {
            check(self.str_ok(v), "condition value")?;
        }
        for h in self.headers.iter() {
            check(self.str_ok(&h.name) && self.str_ok(&h.value), "header")?;
        }
        for e in self.entries.iter() {
            self.validate_entry(e)?;
        }
        for t in self.tables.iter() {
            check(span_ok(&t.slots, self.slots.len()), "key table slots")?;
        }
        for split in self.splits.iter() {
            self.validate_split(split)?;
        }
        for slot in self.slots.iter() {
            let (slot, entry) = (slot.to_native(), slot.to_native() & crate::SLOT_ENTRY_MASK);
            check((slot == 0 || entry != 0) && entry as usize <= self.entries.len(), "index slot")?;
        }
        check(span_ok(&self.hostless, self.tables.len()), "host-less tables")?;
        for h in self.hosts.iter() {
            check(self.str_ok(&h.host) && span_ok(&h.tables, self.tables.len()), "host")?;
        }
        check(self.host_slots.len().is_power_of_two(), "host table size")?;
        for s in self.host_slots.iter() {
            check(s.to_native() as usize <= self.hosts.len(), "host slot")?;
        }
        Ok(())
    }

    fn validate_rule(&self, r: &ArchivedRule) -> Result<(), InvalidIndex> {
        let to_len = r.to_len.to_native();
        check(in_range(r.to_start.to_native(), u32::from(to_len), self.pool.len()), "rule to")?;
        check(r.reserved == 0 && r.flags < 64, "rule flags")?;
        match self.detail(r) {
            None => {
                let plain = r.pattern_len == 0 && r.parts_len == 0 && r.flags & rule_flags::GUARD == 0;
                check(r.detail.to_native() == NONE && plain, "rule detail")?;
            }
            Some(d) => {
                check(in_range(d.pattern.to_native(), u32::from(r.pattern_len), self.segments.len()), "rule pattern")?;
                check(in_range(d.parts.to_native(), u32::from(r.parts_len), self.parts.len()), "rule parts")?;
                check(d.extra.to_native() == NONE || (d.extra.to_native() as usize) < self.extras.len(), "rule extra")?;
                let guard_end = u32::from(d.guard_origin.to_native()) + u32::from(d.guard_prefix.to_native());
                check(guard_end <= u32::from(to_len), "rule guard")?;
            }
        }
        let wildcards =
            self.pattern(r).iter().filter(|s| s.kind == segment_kind::SPLAT || s.kind == segment_kind::PREFIX).count();
        check(wildcards <= MAX_WILDCARDS, "pattern wildcards")?;
        let captures = self.capture_count(r);
        for p in self.parts(r) {
            let text_ok = u32::from(p.start.to_native()) + u32::from(p.len.to_native()) <= u32::from(to_len);
            check(p.kind <= part_kind::CAPTURE && text_ok, "to part")?;
            check(p.kind != part_kind::CAPTURE || usize::from(p.capture) < captures, "part capture")?;
        }
        Ok(())
    }

    fn validate_split(&self, split: &ArchivedSplit) -> Result<(), InvalidIndex> {
        let kind_ok = (split_kind::LAST_SEGMENT..=split_kind::ROLE).contains(&split.kind);
        check(kind_ok && self.str_ok(&split.key), "split")?;
        for s in [&split.lengths, &split.rest, &split.members, &split.forced] {
            check(span_ok(s, self.rule_ids.len()), "split list")?;
        }
        check(span_ok(&split.buckets, self.split_buckets.len()), "split buckets")?;
        let slots_ok = span_ok(&split.slots, self.split_slots.len()) && split.slots.len.to_native().is_power_of_two();
        check(slots_ok, "split slots")?;
        let buckets = split.buckets.len.to_native();
        for slot in span(&self.split_slots, &split.slots) {
            check(slot.to_native() <= buckets, "split slot")?;
        }
        for b in span(&self.split_buckets, &split.buckets) {
            check(self.str_ok(&b.value) && span_ok(&b.rules, self.rule_ids.len()), "split bucket")?;
            self.validate_ascending_rules(self.ids(&b.rules))?;
        }
        self.validate_ascending_rules(self.ids(&split.members))?;
        self.validate_ascending_rules(self.ids(&split.forced))?;
        self.validate_ascending_rules(self.ids(&split.rest))
    }

    fn validate_ascending_rules(&self, ids: &[rkyv::rend::u32_le]) -> Result<(), InvalidIndex> {
        let mut previous = None;
        for id in ids {
            check((id.to_native() as usize) < self.rules.len(), "split rule")?;
            check(previous.is_none_or(|p| p < id.to_native()), "split list order")?;
            previous = Some(id.to_native());
        }
        Ok(())
    }

    fn validate_entry(&self, e: &ArchivedEntry) -> Result<(), InvalidIndex> {
        let key_ok = in_range(e.key.to_native(), u32::from(e.key_len.to_native()), self.pool.len());
        check(key_ok && usize::from(e.depth) <= crate::MAX_KEY_DEPTH, "entry key")?;
        if e.child.to_native() != NONE {
            // The matcher takes the child for the next depth's entry: it must be one, and its
            // key this key and one more segment, stored at the same place.
            let child = self.entries.get(e.child.to_native() as usize).ok_or(InvalidIndex("entry child"))?;
            let key = self.key(e);
            let extends = self.key(child).strip_prefix(key).is_some_and(|rest| rest.first() == Some(&b'/'));
            let same_place = child.key == e.key;
            check(child.depth == e.depth.saturating_add(1) && extends && same_place, "entry child")?;
        }
        let kinds = e.kinds & !(entry_kinds::LIST | entry_kinds::SPLIT);
        check(e.kinds < 16 && kinds != 0, "entry kinds")?;
        if e.kinds & entry_kinds::LIST == 0 {
            check(kinds.count_ones() == 1 && e.kinds & entry_kinds::SPLIT == 0, "entry kinds")?;
        } else {
            let (start, lists) = self.entry_header(e);
            let counts = self.rule_ids.get(start..start.saturating_add(2)).ok_or(InvalidIndex("entry list"))?;
            let total = counts.iter().try_fold(lists, |sum, c| sum.checked_add(c.to_native() as usize));
            check(total.is_some_and(|end| end <= self.rule_ids.len()), "entry list")?;
            if e.kinds & entry_kinds::SPLIT != 0 {
                for s in self.rule_ids.get(start + 2..start + 4).unwrap_or_default() {
                    check(s.to_native() == NONE || (s.to_native() as usize) < self.splits.len(), "entry split")?;
                }
            }
        }
        for (kind, list) in self.entry_lists(e).iter().enumerate() {
            let mut previous = None;
            for id in list.iter() {
                let r = self.rules.get(id.to_native() as usize).ok_or(InvalidIndex("entry rule"))?;
                check(previous.is_none_or(|p| p < id.to_native()), "entry list order")?;
                previous = Some(id.to_native());
                // Exact rules never end in a splat; prefix rules do, or store their pattern.
                let splat_tail = r.flags & rule_flags::SPLAT_TAIL != 0;
                let shape_ok = if kind == 0 { !splat_tail } else { splat_tail || r.pattern_len > 0 };
                check(shape_ok, "entry rule shape")?;
            }
        }
        Ok(())
    }
}
