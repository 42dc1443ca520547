//! The rkyv schema of a compiled rule set.
//!
//! Every record is a small fixed-size struct of integers; every string is a [`Str`] into one
//! byte pool and every list a [`Span`] into one flat array. The archived form is read in place
//! from an mmap. Indices that point nowhere are [`NONE`].

use rkyv::{Archive, Deserialize, Serialize};

/// "No such index".
pub const NONE: u32 = u32::MAX;

/// A byte string in [`RuleSet::pool`].
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Str {
    /// Offset in the pool.
    pub start: u32,
    /// Length in bytes.
    pub len: u32,
}

/// A run of records in one of the flat arrays of [`RuleSet`].
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    /// First record.
    pub start: u32,
    /// Number of records.
    pub len: u32,
}

/// Kinds of [`PatternSegment`].
pub mod segment_kind {
    /// A literal segment (decoded bytes).
    pub const LITERAL: u8 = 0;
    /// `:name`: one non-empty segment; `text` is the name.
    pub const PLACEHOLDER: u8 = 1;
    /// `*`: zero or more segments.
    pub const SPLAT: u8 = 2;
    /// `x*`: a segment starting with `text`, then like a splat.
    pub const PREFIX: u8 = 3;
}

/// One element of a stored `from` path pattern (8 bytes).
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternSegment {
    /// Literal bytes, placeholder name or prefix: offset in the pool.
    pub start: u32,
    /// Their length.
    pub len: u16,
    /// A [`segment_kind`].
    pub kind: u8,
    /// Zero.
    pub reserved: u8,
}

/// Kinds of [`ToPart`].
pub mod part_kind {
    /// Text of the rule's `to`.
    pub const TEXT: u8 = 0;
    /// The value of a capture.
    pub const CAPTURE: u8 = 1;
}

/// `to` pre-split at compile time into literal text and capture slots (6 bytes). Only rules
/// with captures have parts; the captures are numbered in substitution order: the path's
/// placeholders and wildcards by position, then the query captures as written.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToPart {
    /// For [`part_kind::TEXT`]: offset of the text within the rule's `to`.
    pub start: u16,
    /// Its length.
    pub len: u16,
    /// A [`part_kind`].
    pub kind: u8,
    /// The capture's number, for [`part_kind::CAPTURE`].
    pub capture: u8,
}

/// A query constraint `key=value` or `key=:name`.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryConstraint {
    /// The key, compared literally.
    pub key: Str,
    /// The form-decoded literal, or the capture name.
    pub value: Str,
    /// 1 when `value` is a capture name.
    pub capture: u8,
}

/// A proxy request header.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderPair {
    /// Header name.
    pub name: Str,
    /// Header value.
    pub value: Str,
}

/// What most rules do not have: query constraints, conditions, proxy headers, a signing secret.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extra {
    /// Query constraints, in [`RuleSet::queries`].
    pub query: Span,
    /// Country codes, in [`RuleSet::values`].
    pub country: Span,
    /// Language tags, in [`RuleSet::values`].
    pub language: Span,
    /// Roles, in [`RuleSet::values`].
    pub role: Span,
    /// Cookie names, in [`RuleSet::values`].
    pub cookie: Span,
    /// Proxy headers, in [`RuleSet::headers`].
    pub headers: Span,
    /// The signing secret's name.
    pub signed: Str,
    /// 1 when `signed` is set.
    pub has_signed: u8,
}

/// Flags of a [`Rule`].
pub mod rule_flags {
    /// `!` / `force = true`.
    pub const FORCE: u8 = 1;
    /// `to` has a `?` of its own: the request query is not appended.
    pub const TO_HAS_QUERY: u8 = 2;
    /// The pre-split parts are exact whenever no path capture value contains `:`.
    pub const TO_SIMPLE: u8 = 4;
    /// The loop guard (SPEC §3.10) applies.
    pub const GUARD: u8 = 8;
    /// The guard's `to` is absolute: its `scheme://host` must equal the request's.
    pub const GUARD_ABSOLUTE: u8 = 16;
    /// The path pattern is the rule's index key (all literals) followed by `/*`; no segments
    /// are stored. Without this flag and without stored segments, the pattern is exactly the
    /// key. Rules with placeholders or anything after the key store their pattern.
    pub const SPLAT_TAIL: u8 = 32;
}

/// One compiled rule (20 bytes). What only some rules have lives in its [`Detail`].
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// `to` as written: offset in the pool.
    pub to_start: u32,
    /// 1-based source line.
    pub line: u32,
    /// Index into [`RuleSet::details`], or [`NONE`].
    pub detail: u32,
    /// Length of `to`.
    pub to_len: u16,
    /// HTTP status.
    pub status: u16,
    /// [`rule_flags`].
    pub flags: u8,
    /// Number of stored pattern segments: 0 when the (all-literal) index key is the pattern
    /// (see [`rule_flags::SPLAT_TAIL`]).
    pub pattern_len: u8,
    /// Number of `to` parts; 0 when the rule has no captures (`to` is copied as is).
    pub parts_len: u8,
    /// Zero.
    pub reserved: u8,
}

/// What a rule has when its pattern is stored, its `to` has captures, it has an [`Extra`], or
/// the loop guard applies (16 bytes).
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// First pattern segment in [`RuleSet::segments`] (when `pattern_len > 0`).
    pub pattern: u32,
    /// First `to` part in [`RuleSet::parts`] (when `parts_len > 0`).
    pub parts: u32,
    /// Index into [`RuleSet::extras`], or [`NONE`].
    pub extra: u32,
    /// Loop guard: `to[..guard_origin]` is the `scheme://host` of an absolute guard (else 0).
    pub guard_origin: u16,
    /// Loop guard: the prefix P is `to[guard_origin..guard_origin + guard_prefix]`.
    pub guard_prefix: u16,
}

/// The rules that came from one file: from `first_rule` up to the next entry's.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRange {
    /// The file's base name.
    pub name: Str,
    /// Its first rule.
    pub first_rule: u32,
}

/// Which lists an [`Entry`] has, and how they are stored.
pub mod entry_kinds {
    /// Rules whose pattern is exactly the key: they apply to paths of exactly `depth` segments.
    pub const EXACT: u8 = 1;
    /// Rules whose pattern goes on after the key (`/*`, or anything else).
    pub const PREFIX: u8 = 2;
    /// `rules` indexes [`super::RuleSet::rule_ids`]: two counts (exact, prefix), then the ids
    /// of each list, ascending. Without it, `rules` is the one rule of the one kind set.
    pub const LIST: u8 = 4;
    /// With [`LIST`]: after the two counts come two [`super::Split`] numbers (exact, prefix;
    /// [`super::NONE`] for a list without one), then the lists.
    pub const SPLIT: u8 = 8;
}

/// What a request offers to pick candidates from a long rule list (a [`Split`]).
pub mod split_kind {
    /// A rule's value is the last segment of its pattern, a literal after its last wildcard;
    /// the request's is its last segment.
    pub const LAST_SEGMENT: u8 = 1;
    /// A rule's value is the literal of the prefix wildcard (`report-*`) right after the entry's
    /// key; the request's are the first bytes of its segment there, one per length in
    /// [`super::Split::lengths`].
    pub const SEGMENT_PREFIX: u8 = 2;
    /// A rule's value is its form-decoded literal for query key [`super::Split::key`]; the
    /// request's is the form-decoded value of that key's last occurrence.
    pub const QUERY: u8 = 3;
    /// A rule's values are its Country values, lower-case; the request's is its country.
    pub const COUNTRY: u8 = 4;
    /// A rule's values are its Language values, lower-case; the request's are its language tag
    /// and the tag's primary subtag.
    pub const LANGUAGE: u8 = 5;
    /// A rule's values are its Role values, as written (format 7). Only rules that match any
    /// request under the entry's key whose role is granted are keyed (an exact rule in the
    /// exact list, a `key/*` rule in the prefix list; no query constraint, no loop guard): for
    /// them "matched on host, path and query" (SPEC §3.9) holds whenever the list is open, so
    /// the first one whose role is not granted is where the search was denied. The request's
    /// values are the roles its token grants.
    pub const ROLE: u8 = 6;
}

/// A second-level index over one long rule list of an [`Entry`] (20 bytes + spans): the list's
/// rules that have a value for the split's kind are found through a hash table by the request's
/// value, so a request tries only the rules that can match it, plus `rest`.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// A [`split_kind`].
    pub kind: u8,
    /// For [`split_kind::QUERY`]: the query key, compared literally.
    pub key: Str,
    /// For [`split_kind::SEGMENT_PREFIX`]: the distinct prefix lengths, ascending, in
    /// [`RuleSet::rule_ids`].
    pub lengths: Span,
    /// The rules without a value (always tried), ascending, in [`RuleSet::rule_ids`].
    pub rest: Span,
    /// For [`split_kind::ROLE`]: every rule with a value (those in the buckets), ascending, in
    /// [`RuleSet::rule_ids`]: where the first rule whose role is not granted is looked for.
    /// Empty for other kinds.
    pub members: Span,
    /// For [`split_kind::ROLE`]: the forced rules of `members`, ascending: the only ones a
    /// request for an existing file reaches (SPEC §3.11).
    pub forced: Span,
    /// Open-addressing table over [`Split::buckets`] by [`crate::split_hash`] of the value: a
    /// bucket number (relative to `buckets.start`) + 1, 0 when empty. Its length is a power of
    /// two, in [`RuleSet::split_slots`].
    pub slots: Span,
    /// The buckets, in [`RuleSet::split_buckets`].
    pub buckets: Span,
}

/// The rules of a [`Split`] with one value.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitBucket {
    /// The value.
    pub value: Str,
    /// Its rules, ascending, in [`RuleSet::rule_ids`].
    pub rules: Span,
}

/// The rules whose pattern starts with one key (16 bytes). A key is the fixed head of a
/// pattern: its leading literal segments and placeholders (up to the first wildcard), decoded,
/// joined by `/`, a placeholder written as an empty segment. Without placeholders it is
/// exactly the bytes of a request path that has those segments first.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The key: offset in the pool.
    pub key: u32,
    /// The rule (single) or the list's offset in [`RuleSet::rule_ids`], see [`entry_kinds`].
    pub rules: u32,
    /// Length of the key.
    pub key_len: u16,
    /// Number of segments in the key (at most [`crate::MAX_KEY_DEPTH`]).
    pub depth: u8,
    /// [`entry_kinds`].
    pub kinds: u8,
    /// In a table without placeholders, the one entry of the same table whose key extends this
    /// key by one segment, stored in the pool at the same place (format 7); [`crate::NONE`] when
    /// there is none or more than one. A request under this key then finds the next depth's
    /// entry by comparing that segment, without hashing or probing: a path under a chain of
    /// nested keys costs one comparison per depth.
    pub child: u32,
}

/// The entries of one scope (the host-less rules, or one host's) whose keys have placeholders
/// at the same positions, and their hash table.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyTable {
    /// Bit `i` is set when segment `i` of every key here is a placeholder (positions below 64).
    pub mask: u64,
    /// Bit `min(depth, 63)` is set when an entry of that depth has prefix rules.
    pub prefix_depths: u64,
    /// Bit `min(depth, 63)` is set when an entry of that depth has exact rules.
    pub exact_depths: u64,
    /// Its open-addressing table in [`RuleSet::slots`], probed linearly from
    /// [`crate::slot_of`] of the key's [`crate::prefix_hash`]. A slot is 0 when empty, else
    /// the entry index + 1 ([`crate::SLOT_ENTRY_MASK`]) with the key's [`crate::slot_tag`].
    pub slots: Span,
}

/// A host with rules of its own.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// 0 for `http`, 1 for `https`.
    pub scheme: u8,
    /// Lower-case host without port.
    pub host: Str,
    /// Its key tables, in [`RuleSet::tables`].
    pub tables: Span,
}

/// A compiled site: the root of the archive.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    /// Every string.
    pub pool: Vec<u8>,
    /// Source files, ascending by first rule.
    pub files: Vec<FileRange>,
    /// The rules, in priority order.
    pub rules: Vec<Rule>,
    /// Details of the rules that have any.
    pub details: Vec<Detail>,
    /// Pattern segments of every rule.
    pub segments: Vec<PatternSegment>,
    /// `to` parts of every rule.
    pub parts: Vec<ToPart>,
    /// Query constraints of every rule.
    pub queries: Vec<QueryConstraint>,
    /// Extras of the rules that have any.
    pub extras: Vec<Extra>,
    /// Condition values.
    pub values: Vec<Str>,
    /// Proxy headers.
    pub headers: Vec<HeaderPair>,
    /// Index entries of every key table.
    pub entries: Vec<Entry>,
    /// The key tables of every scope, each scope's together, by ascending mask.
    pub tables: Vec<KeyTable>,
    /// The key tables' hash tables, one after another.
    pub slots: Vec<u32>,
    /// Rule lists of entries with more than one rule, and the lists of splits.
    pub rule_ids: Vec<u32>,
    /// Second-level indexes of long rule lists.
    pub splits: Vec<Split>,
    /// Their buckets.
    pub split_buckets: Vec<SplitBucket>,
    /// Their hash tables.
    pub split_slots: Vec<u32>,
    /// Hosts with rules, sorted by (scheme, host).
    pub hosts: Vec<Host>,
    /// Open-addressing table over `hosts` by [`crate::host_hash`]: host index + 1, 0 if empty.
    /// Its length is a power of two.
    pub host_slots: Vec<u32>,
    /// The key tables of the host-less rules, in [`RuleSet::tables`].
    pub hostless: Span,
}
