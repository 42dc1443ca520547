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

/// One element of a `from` path pattern.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternSegment {
    /// A [`segment_kind`].
    pub kind: u8,
    /// Literal bytes, placeholder name or prefix.
    pub text: Str,
}

/// Kinds of [`ToPart`].
pub mod part_kind {
    /// Text of the rule's `to`.
    pub const TEXT: u8 = 0;
    /// The value of a capture.
    pub const CAPTURE: u8 = 1;
}

/// `to` pre-split at compile time into literal text and capture slots.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToPart {
    /// A [`part_kind`].
    pub kind: u8,
    /// The text, for [`part_kind::TEXT`].
    pub text: Str,
    /// The capture's index within the rule's captures, for [`part_kind::CAPTURE`].
    pub capture: u32,
}

/// A capture, in the order substitution applies them (path by position, then query).
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureName {
    /// The name (`splat` for wildcards).
    pub name: Str,
    /// 1 for a query capture (its value is re-encoded), 0 for a path capture.
    pub from_query: u8,
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

/// What most rules do not have: conditions, proxy headers, a signing secret name.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extra {
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

/// The loop guard of a rule (SPEC §3.10), for rules it applies to.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    /// The loop prefix P.
    pub prefix: Str,
    /// For an absolute `to`: its `scheme://host`, which must equal the request's.
    pub origin: Str,
    /// 1 for an absolute `to`.
    pub absolute: u8,
}

/// Flags of a [`Rule`].
pub mod rule_flags {
    /// `!` / `force = true`.
    pub const FORCE: u16 = 1;
    /// `to` has a `?` of its own: the request query is not appended.
    pub const TO_HAS_QUERY: u16 = 2;
    /// The pre-split parts are exact whenever no path capture value contains `:`.
    pub const TO_SIMPLE: u16 = 4;
}

/// One compiled rule.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// 1-based source line.
    pub line: u32,
    /// Index into [`RuleSet::files`].
    pub file: u32,
    /// HTTP status.
    pub status: u16,
    /// [`rule_flags`].
    pub flags: u16,
    /// `to` as written.
    pub to: Str,
    /// `to` pre-split, in [`RuleSet::parts`].
    pub parts: Span,
    /// The path pattern, in [`RuleSet::segments`].
    pub pattern: Span,
    /// Captures in substitution order, in [`RuleSet::captures`].
    pub captures: Span,
    /// Query constraints, in [`RuleSet::queries`].
    pub query: Span,
    /// Index into [`RuleSet::extras`], or [`NONE`].
    pub extra: u32,
    /// Index into [`RuleSet::guards`], or [`NONE`].
    pub guard: u32,
}

/// A node of a segment trie.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// Child for any non-empty segment (a placeholder), or [`NONE`].
    pub placeholder: u32,
    /// Rules whose pattern ends exactly here, ascending, in [`RuleSet::rule_ids`].
    pub terminal: Span,
    /// Rules whose pattern is this node's path plus a trailing `*`, ascending.
    pub splat: Span,
    /// Lowest rule index in this subtree.
    pub min_rule: u32,
    /// Highest rule index in this subtree.
    pub max_rule: u32,
}

/// A literal edge of a trie: `parent --label--> child`.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// Parent node.
    pub parent: u32,
    /// The segment (decoded bytes).
    pub label: Str,
    /// Child node.
    pub child: u32,
}

/// The trie of one `scheme://host`.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// 0 for `http`, 1 for `https`.
    pub scheme: u8,
    /// Lower-case host without port.
    pub host: Str,
    /// Root node.
    pub root: u32,
}

/// A rule the trie cannot index (mid-path or multiple wildcards, prefix wildcards).
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SideRule {
    /// Rule index.
    pub rule: u32,
    /// Index into [`RuleSet::hosts`], or [`NONE`] for a host-less rule.
    pub host: u32,
}

/// A compiled site: the root of the archive.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    /// Every string.
    pub pool: Vec<u8>,
    /// Source file names.
    pub files: Vec<Str>,
    /// The rules, in priority order.
    pub rules: Vec<Rule>,
    /// Pattern segments of every rule.
    pub segments: Vec<PatternSegment>,
    /// `to` parts of every rule.
    pub parts: Vec<ToPart>,
    /// Capture names of every rule.
    pub captures: Vec<CaptureName>,
    /// Query constraints of every rule.
    pub queries: Vec<QueryConstraint>,
    /// Extras of the rules that have any.
    pub extras: Vec<Extra>,
    /// Condition values.
    pub values: Vec<Str>,
    /// Proxy headers.
    pub headers: Vec<HeaderPair>,
    /// Loop guards.
    pub guards: Vec<Guard>,
    /// Trie nodes of every host.
    pub nodes: Vec<Node>,
    /// Trie edges.
    pub edges: Vec<Edge>,
    /// Open-addressing table over `edges` by [`crate::edge_hash`]: edge index + 1, 0 if empty.
    /// Its length is a power of two.
    pub edge_slots: Vec<u32>,
    /// Rule index lists of the nodes.
    pub rule_ids: Vec<u32>,
    /// Host tries, sorted by (scheme, host).
    pub hosts: Vec<Host>,
    /// Open-addressing table over `hosts` by [`crate::host_hash`]: host index + 1, 0 if empty.
    /// Its length is a power of two.
    pub host_slots: Vec<u32>,
    /// Root node of the host-less trie.
    pub hostless_root: u32,
    /// Rules outside the tries, ascending.
    pub side: Vec<SideRule>,
}
