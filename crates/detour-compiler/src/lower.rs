//! One rule, lowered to owned pieces of the blob schema. Runs in parallel over the rules.

use detour_format::{part_kind, prefix_hash, rule_flags, segment_kind, MAX_KEY_DEPTH, PREFIX_SEED};
use detour_rules::{HostMatch, QueryValue, Rule, Scheme, Segment};

use crate::guard::{is_guarded, loop_prefix, LoopPrefix};

/// How a rule's pattern relates to its index key (see [`IndexKey`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The pattern is exactly the key.
    Exact,
    /// The pattern is the key, then `/*`.
    Splat,
    /// The pattern goes on after the key; it is stored and matched in full.
    Rest,
}

/// Where a rule is indexed: the fixed head of its pattern, i.e. its leading literal segments and
/// placeholders (at most [`MAX_KEY_DEPTH`]), joined by `/` with a placeholder as an empty
/// segment; their [`prefix_hash`]; and which segments are placeholders.
pub struct IndexKey {
    pub depth: u8,
    pub text: Vec<u8>,
    pub hash: u64,
    pub mask: u64,
    pub kind: KeyKind,
    /// With placeholders: the depth, text length and hash of the literals before the first.
    pub literal_head: Option<(u8, usize, u64)>,
}

impl IndexKey {
    /// Whether the rule must store its pattern: it has placeholders or goes on after the key.
    pub fn stores_pattern(&self) -> bool {
        self.mask != 0 || self.kind == KeyKind::Rest
    }

    /// The key of the literals before the first placeholder, under which the rule is a "rest"
    /// rule: a bucket tried rule by rule, which costs less than one more probe per request as
    /// long as few rules share it.
    pub fn literal(&self) -> Option<IndexKey> {
        let (depth, len, hash) = self.literal_head?;
        Some(IndexKey {
            depth,
            text: self.text[..len].to_vec(),
            hash,
            mask: 0,
            kind: KeyKind::Rest,
            literal_head: None,
        })
    }
}

/// A `to` part: a range of `to`, or the number of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Text(usize, usize),
    Capture(u32),
}

/// The owned form of a compiled rule.
pub struct Lowered {
    pub line: u32,
    pub file: String,
    pub status: u16,
    pub flags: u8,
    pub to: String,
    pub parts: Vec<Part>,
    /// The pattern, when the key is not all of it.
    pub segments: Vec<(u8, Vec<u8>)>,
    pub query: Vec<(String, Vec<u8>, bool)>,
    pub conditions: [Vec<String>; 4],
    pub headers: Vec<(String, String)>,
    pub signed: Option<String>,
    /// The loop guard as lengths within `to`: (origin length, prefix length, absolute).
    pub guard: Option<(u16, u16, bool)>,
    pub host: Option<(u8, String)>,
    pub key: IndexKey,
}

impl Lowered {
    /// True when the rule needs an [`detour_format::Extra`] record.
    pub fn has_extra(&self) -> bool {
        !self.query.is_empty()
            || self.conditions.iter().any(|c| !c.is_empty())
            || !self.headers.is_empty()
            || self.signed.is_some()
    }
}

pub fn lower(rule: &Rule) -> Lowered {
    let key = index_key(&rule.path.segments);
    let segments: Vec<(u8, Vec<u8>)> = if !key.stores_pattern() {
        Vec::new()
    } else {
        rule.path
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => (segment_kind::LITERAL, l.to_vec()),
                Segment::Placeholder(n) => (segment_kind::PLACEHOLDER, n.as_bytes().to_vec()),
                Segment::Splat => (segment_kind::SPLAT, Vec::new()),
                Segment::PrefixSplat(p) => (segment_kind::PREFIX, p.to_vec()),
            })
            .collect()
    };
    let mut captures: Vec<(String, bool)> = rule.path.capture_names().map(|n| (n.to_string(), false)).collect();
    let query = rule
        .query
        .iter()
        .map(|q| match &q.value {
            QueryValue::Capture(name) => {
                captures.push((name.clone(), true));
                (q.key.clone(), name.as_bytes().to_vec(), true)
            }
            QueryValue::Literal(v) => (q.key.clone(), v.clone(), false),
        })
        .collect();
    let names: Vec<&str> = captures.iter().map(|(n, _)| n.as_str()).collect();
    // Rules without captures copy `to` as it is; a `to` too long to split falls back to the
    // runtime's textual substitution.
    let (parts, simple) = if names.is_empty() { (Vec::new(), true) } else { split_to(&rule.to, &names) };
    let (parts, simple) = if parts.len() > usize::from(u8::MAX) { (Vec::new(), false) } else { (parts, simple) };
    let mut flags = 0;
    if rule.force {
        flags |= rule_flags::FORCE;
    }
    if rule.to.contains('?') {
        flags |= rule_flags::TO_HAS_QUERY;
    }
    if simple {
        flags |= rule_flags::TO_SIMPLE;
    }
    if key.kind == KeyKind::Splat && !key.stores_pattern() {
        flags |= rule_flags::SPLAT_TAIL;
    }
    // P is always a slice of `to`: its start (after an absolute origin) and its length.
    let len16 = |s: &str| u16::try_from(s.len()).unwrap_or(u16::MAX);
    let guard = if is_guarded(rule) {
        match loop_prefix(&rule.to) {
            LoopPrefix::None => None,
            LoopPrefix::Relative(p) => Some((0, len16(p), false)),
            LoopPrefix::Absolute { origin, prefix } => Some((len16(origin), len16(prefix), true)),
        }
    } else {
        None
    };
    let c = &rule.conditions;
    Lowered {
        line: rule.source.line,
        file: base_name(&rule.source.file),
        status: rule.status,
        flags,
        to: rule.to.to_string(),
        parts,
        key,
        segments,
        query,
        conditions: [c.country.to_vec(), c.language.to_vec(), c.role.to_vec(), c.cookie.to_vec()],
        headers: rule.headers.to_vec(),
        signed: rule.signed.as_deref().map(str::to_string),
        guard,
        host: rule.host.as_deref().map(host_key),
    }
}

/// A host as the compiler orders scopes: (1 for https, else 0; the lower-case host).
pub fn host_key(host: &HostMatch) -> (u8, String) {
    (u8::from(host.scheme == Scheme::Https), host.host.clone())
}

/// The scope key of a rule with a host.
pub fn scope_key(rule: &Rule) -> Option<(u8, String)> {
    rule.host.as_deref().map(host_key)
}

/// The literal head of a pattern's key (see [`IndexKey::literal_head`]).
pub fn literal_head(segments: &[Segment]) -> Option<(u8, usize, u64)> {
    index_key(segments).literal_head
}

/// The base name of a source file, so blobs do not depend on the build directory.
fn base_name(file: &str) -> String {
    std::path::Path::new(file).file_name().map_or_else(|| file.to_string(), |f| f.to_string_lossy().into_owned())
}

/// The key of a pattern. A literal holding `/` (possible only for rules built in code, since
/// the parser splits decoded text on `/`) never equals a request segment, so the key stops
/// before it and the stored pattern decides; so does a placeholder beyond the mask's 64 bits.
fn index_key(segments: &[Segment]) -> IndexKey {
    let mut text = Vec::new();
    let mut hash = PREFIX_SEED;
    let mut mask = 0u64;
    let mut depth = 0;
    let mut literal_head = None;
    for s in segments.iter().take(MAX_KEY_DEPTH) {
        let segment: &[u8] = match s {
            Segment::Literal(l) if !l.contains(&b'/') => l,
            Segment::Placeholder(_) if depth < 64 => {
                literal_head.get_or_insert((depth as u8, text.len(), hash));
                mask |= 1 << depth;
                b""
            }
            _ => break,
        };
        if depth > 0 {
            text.push(b'/');
        }
        text.extend_from_slice(segment);
        hash = prefix_hash(hash, segment);
        depth += 1;
    }
    let kind = match &segments[depth..] {
        [] => KeyKind::Exact,
        [Segment::Splat] => KeyKind::Splat,
        _ => KeyKind::Rest,
    };
    IndexKey { depth: depth as u8, text, hash, mask, kind, literal_head }
}

/// Splits `to` into text ranges and capture slots by running the textual substitution (SPEC §4)
/// on opaque values. The split is exact whenever no capture value contains `:`, unless a
/// `:name` could start in the text and run on into a value; then `simple` is false and the
/// runtime substitutes textually.
pub fn split_to(to: &str, names: &[&str]) -> (Vec<Part>, bool) {
    let bytes = to.as_bytes();
    let mut pieces = vec![Part::Text(0, to.len())];
    let mut simple = true;
    for (index, name) in names.iter().enumerate() {
        let needle: Vec<u8> = std::iter::once(b':').chain(name.bytes()).collect();
        let mut out = Vec::with_capacity(pieces.len() + 2);
        for (k, piece) in pieces.iter().enumerate() {
            let Part::Text(mut start, end) = *piece else {
                out.push(*piece);
                continue;
            };
            while let Some(at) = bytes[start..end].windows(needle.len()).position(|w| w == needle.as_slice()) {
                if at > 0 {
                    out.push(Part::Text(start, start + at));
                }
                out.push(Part::Capture(index as u32));
                start += at + needle.len();
            }
            let rest = &bytes[start..end];
            let runs_on = matches!(pieces.get(k + 1), Some(Part::Capture(_)))
                && (0..rest.len()).any(|j| rest[j] == b':' && needle.starts_with(&rest[j..]));
            simple &= !runs_on;
            if start < end {
                out.push(Part::Text(start, end));
            }
        }
        pieces = out;
    }
    (pieces, simple)
}

/// The kind byte of a part.
pub fn part_kind_of(part: &Part) -> u8 {
    match part {
        Part::Text(..) => part_kind::TEXT,
        Part::Capture(_) => part_kind::CAPTURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(to: &str, names: &[&str]) -> (String, bool) {
        let (parts, simple) = split_to(to, names);
        let s = parts
            .iter()
            .map(|p| match p {
                Part::Text(a, b) => to[*a..*b].to_string(),
                Part::Capture(c) => format!("<{c}>"),
            })
            .collect();
        (s, simple)
    }

    #[test]
    fn splits_like_textual_substitution() {
        assert_eq!(shape("/t/:idx/:id", &["id", "idx"]), ("/t/<0>x/<0>".to_string(), true));
        assert_eq!(shape("/a/:splat/:splat", &["splat", "splat"]), ("/a/<0>/<0>".to_string(), true));
        assert_eq!(shape("/q/:id", &["id", "id"]), ("/q/<0>".to_string(), true));
        assert_eq!(shape("/none", &["x"]), ("/none".to_string(), true));
        assert_eq!(shape("/:x:y", &["y", "x", "y"]), ("/<1><0>".to_string(), true));
        // `/:` then the value of `x`: the needle `:ab` could start in the text and end in the value.
        assert!(!shape("/::x", &["x", "ab"]).1);
    }
}
