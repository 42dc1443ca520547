//! The candidate rules of a request, in rule order: one cursor per rule list that the request's
//! index entries offer. A list with a split offers only its `rest` and the buckets of the
//! request's own values (its last segment, the start of the segment after the key, a query
//! value, its country or language), so rules that share a key cost nothing unless they can match.
//! An entry's lists are opened only when the lowest rule they hold could come next, so a request
//! that an early rule answers never looks into later entries' splits.

use crate::encoding::decode_into;
use detour_format::{entry_kinds, split_hash, split_kind, ArchivedRuleSet, ArchivedSpan, ArchivedSplit, NONE};

use crate::conditions::{last_param, RequestContext};
use crate::index::Found;
use crate::role_split::{Grants, RoleSplits};
use crate::Request;

/// The longest condition value a split keys (the compiler's bound): a request's country or
/// language is lower-cased on the stack up to this length.
const MAX_CONDITION_VALUE: usize = 64;

/// A cursor over one ascending run of rule ids.
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    /// The current rule, or [`NONE`] when the run is done.
    head: u32,
    /// The rest of the run: positions in `rule_ids`.
    next: u32,
    end: u32,
    /// The depth of the key the run was found under.
    depth: u32,
}

impl Stream {
    fn run(set: &ArchivedRuleSet, start: u32, end: u32, depth: u32) -> Stream {
        let mut s = Stream { head: NONE, next: start, end, depth };
        s.advance(set);
        s
    }

    fn advance(&mut self, set: &ArchivedRuleSet) {
        self.head = if self.next < self.end {
            let id = set.rule_ids.get(self.next as usize).map_or(NONE, |id| id.to_native());
            self.next += 1;
            id
        } else {
            NONE
        };
    }
}

/// The path, its segments, and the request: what a split looks up.
pub struct Subject<'a, 'r> {
    pub path: &'a [u8],
    pub segs: &'a [(u32, u32)],
    pub req: &'a Request<'r>,
}

impl Subject<'_, '_> {
    fn seg(&self, i: usize) -> Option<&[u8]> {
        self.segs.get(i).and_then(|&(s, e)| self.path.get(s as usize..e as usize))
    }
}

/// Notes for each found entry the lowest rule of the lists that apply to the request: exact lists
/// only where the key covers the whole path. Nothing is opened yet.
pub fn prepare(set: &ArchivedRuleSet, found: &mut [Found], segments: usize, streams: &mut Vec<Stream>) {
    // Only non-empty cursors are ever pushed, and finished ones are dropped, so the per-step
    // minimum runs over live cursors only.
    streams.clear();
    for f in found.iter_mut() {
        f.first = NONE;
        let Some(entry) = set.entries.get(f.entry as usize) else { continue };
        let skip_exact = f.depth as usize != segments;
        f.lists = set.entry_list_ranges(entry);
        f.splits = set.entry_split_numbers(entry);
        let Some(ranges) = f.lists else {
            if !(entry.kinds & entry_kinds::EXACT != 0 && skip_exact) {
                f.first = entry.rules.to_native();
            }
            continue;
        };
        for (k, &(start, end)) in ranges.iter().enumerate() {
            if (k == 0 && skip_exact) || start == end {
                continue;
            }
            let first = set.rule_ids.get(start as usize).map_or(NONE, |id| id.to_native());
            f.first = f.first.min(first);
        }
    }
    // In the order their turn comes, so the next entry to open is always the next one.
    found.sort_unstable_by_key(|f| f.first);
}

/// Opens a cursor on every list of a found entry that applies (see [`prepare`]).
fn open(
    set: &ArchivedRuleSet,
    f: &Found,
    subject: &Subject<'_, '_>,
    offer: &mut Offer<'_, '_>,
    values: &mut SplitValues<'_>,
    streams: &mut Vec<Stream>,
) {
    let skip_exact = f.depth as usize != subject.segs.len();
    let Some(ranges) = f.lists else {
        // A single-rule entry: `prepare` noted its rule as `first` (it is opened only then).
        streams.push(Stream { head: f.first, next: 0, end: 0, depth: f.depth });
        return;
    };
    for (k, (&(start, end), &split)) in ranges.iter().zip(&f.splits).enumerate() {
        if (k == 0 && skip_exact) || start == end {
            continue;
        }
        match set.splits.get(split as usize) {
            None => streams.push(Stream::run(set, start, end, f.depth)),
            Some(split) if split.kind == split_kind::ROLE => {
                let asset_exists = subject.req.asset_exists;
                if !values.roles.open(set, split, f.depth, offer.grants, asset_exists, streams) {
                    streams.push(Stream::run(set, start, end, f.depth));
                }
            }
            Some(split) => open_split(set, split, f.depth, subject, offer.context, values, streams),
        }
    }
}

pub(crate) fn push_span(set: &ArchivedRuleSet, span: &ArchivedSpan, depth: u32, streams: &mut Vec<Stream>) {
    let start = span.start.to_native();
    if span.len.to_native() > 0 {
        streams.push(Stream::run(set, start, start.saturating_add(span.len.to_native()), depth));
    }
}

/// Opens the split's `rest` and the bucket of each of the request's values.
fn open_split(
    set: &ArchivedRuleSet,
    split: &ArchivedSplit,
    depth: u32,
    subject: &Subject<'_, '_>,
    context: &mut RequestContext<'_>,
    values: &mut SplitValues<'_>,
    streams: &mut Vec<Stream>,
) {
    push_span(set, &split.rest, depth, streams);
    let mut bucket = |v: &[u8]| {
        if let Some(b) = set.split_bucket(split, v) {
            push_span(set, &b.rules, depth, streams);
        }
    };
    match split.kind {
        split_kind::LAST_SEGMENT => {
            if let Some(last) = subject.segs.len().checked_sub(1).and_then(|i| subject.seg(i)) {
                bucket(last);
            }
        }
        split_kind::SEGMENT_PREFIX => {
            let Some(seg) = subject.seg(depth as usize) else { return };
            for len in set.ids(&split.lengths) {
                if let Some(prefix) = seg.get(..len.to_native() as usize) {
                    bucket(prefix);
                }
            }
        }
        split_kind::QUERY => {
            if let Some(raw) = last_param(subject.req.query, set.str(&split.key)) {
                values.query.clear();
                decode_into(raw, true, values.query);
                bucket(values.query);
            }
        }
        split_kind::COUNTRY | split_kind::LANGUAGE => {
            for key in values.keys.of(split.kind, context).iter().flatten() {
                if let Some(b) = set.split_bucket_hashed(split, key.value(), key.hash) {
                    push_span(set, &b.rules, depth, streams);
                }
            }
        }
        _ => {}
    }
}

/// A request's country or language, lower-cased, with its split hash: what a split of that
/// kind is looked up by.
#[derive(Clone, Copy)]
pub struct SplitKey {
    bytes: [u8; MAX_CONDITION_VALUE],
    len: u8,
    hash: u64,
}

impl SplitKey {
    /// `text` lower-cased, when it fits (longer values are never keyed).
    fn new(kind: u8, text: &[u8]) -> Option<SplitKey> {
        let mut bytes = [0u8; MAX_CONDITION_VALUE];
        let out = bytes.get_mut(..text.len())?;
        for (o, t) in out.iter_mut().zip(text) {
            *o = t.to_ascii_lowercase();
        }
        let hash = split_hash(kind, out);
        Some(SplitKey { bytes, len: text.len() as u8, hash })
    }

    fn value(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// The keys a request offers Country and Language splits, worked out (read, lower-cased,
/// hashed) once per request, when a split of that kind is first opened: a request under many
/// split entries (a splat rule at every depth, each split by country) pays for its country once.
#[derive(Default)]
pub struct SplitKeys {
    /// The country, once read.
    country: Option<[Option<SplitKey>; 2]>,
    /// The language tag and, when it has a subtag, its primary language.
    language: Option<[Option<SplitKey>; 2]>,
}

impl SplitKeys {
    fn of(&mut self, kind: u8, context: &mut RequestContext<'_>) -> &[Option<SplitKey>; 2] {
        if kind == split_kind::COUNTRY {
            self.country.get_or_insert_with(|| {
                [context.country().and_then(|c| SplitKey::new(split_kind::COUNTRY, c.as_bytes())), None]
            })
        } else {
            self.language.get_or_insert_with(|| language_keys(context.language()))
        }
    }
}

/// The tag and its primary language (`fr-CA` → `fr`), each when it is short enough to key: a
/// tag too long to key may still have a primary language that a rule names.
fn language_keys(tag: Option<&str>) -> [Option<SplitKey>; 2] {
    let Some(tag) = tag.map(str::as_bytes) else { return [None, None] };
    let whole = SplitKey::new(split_kind::LANGUAGE, tag);
    let primary = tag.split(|&b| b == b'-').next().unwrap_or(tag);
    let primary = (primary.len() != tag.len()).then(|| SplitKey::new(split_kind::LANGUAGE, primary)).flatten();
    [whole, primary]
}

/// What the splits of one request are looked up by, beyond its path: a buffer for a decoded
/// query value, and the request's country and language keys.
pub struct SplitValues<'v> {
    pub query: &'v mut Vec<u8>,
    pub keys: SplitKeys,
    /// The Role splits opened, for where the search was denied.
    pub roles: RoleSplits,
}

/// What a request offers splits beyond its path and query, each read at most once: its country
/// and language, and the roles its token grants.
pub struct Offer<'o, 'r> {
    pub context: &'o mut RequestContext<'r>,
    pub grants: &'o mut dyn Grants,
}

/// The next candidate in rule order and the depth of the key it was found under: the lowest rule
/// of the open cursors, once no unopened entry could hold a lower one. `opened` counts the found
/// entries (sorted by [`prepare`]) opened so far. Each step costs the number of open, unfinished
/// cursors; each entry is opened once.
pub fn next(
    set: &ArchivedRuleSet,
    found: &[Found],
    opened: &mut usize,
    streams: &mut Vec<Stream>,
    subject: &Subject<'_, '_>,
    offer: &mut Offer<'_, '_>,
    values: &mut SplitValues<'_>,
) -> Option<(u32, usize)> {
    loop {
        let head = streams.iter().map(|s| s.head).min().unwrap_or(NONE);
        if let Some(f) = found.get(*opened).filter(|f| f.first < head) {
            *opened += 1;
            open(set, f, subject, offer, values, streams);
            continue;
        }
        if head == NONE {
            return None;
        }
        let mut depth = 0;
        for s in streams.iter_mut().filter(|s| s.head == head) {
            depth = s.depth as usize;
            s.advance(set);
        }
        streams.retain(|s| s.head != NONE);
        return Some((head, depth));
    }
}
