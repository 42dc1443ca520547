//! The path pattern of a rule's `from` (SPEC §3.2–§3.5), parsed once at load time.
//!
//! A pattern is a list of [`Segment`]s. Literal text is percent-decoded here, so the matchers
//! compare decoded rule bytes with decoded request bytes. One trailing slash is dropped, exactly
//! as it is dropped from a request path, so `/a` and `/a/` are the same pattern.

use crate::diagnostics::Problem;
use crate::encoding::percent_decode;
use crate::limits;

/// One element of a path pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A literal segment (decoded bytes); matches one request segment exactly.
    Literal(Box<[u8]>),
    /// `:name`: matches one non-empty segment and captures it as `name`.
    Placeholder(Box<str>),
    /// `*` as a whole segment: zero or more segments, captured as `splat`.
    Splat,
    /// `x*` (a `*` ending a segment after other text): a segment starting with the decoded
    /// prefix, then like a splat; captured as `splat`.
    PrefixSplat(Box<[u8]>),
}

impl Segment {
    /// True for [`Segment::Splat`] and [`Segment::PrefixSplat`].
    pub fn is_wildcard(&self) -> bool {
        matches!(self, Segment::Splat | Segment::PrefixSplat(_))
    }
}

/// A parsed path pattern. The text it was parsed from is the rule's
/// [`Rule::path_as_written`](crate::Rule::path_as_written): a site holds a million patterns, so
/// the text is not kept twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathPattern {
    /// The segments after the leading `/`, with one trailing empty segment dropped.
    pub segments: Box<[Segment]>,
}

impl PathPattern {
    /// Parses a path that starts with `/`.
    pub fn parse(raw: &str) -> Result<PathPattern, Problem> {
        let body = raw.strip_prefix('/').unwrap_or(raw);
        let mut segments = Vec::new();
        for piece in body.split('/') {
            if piece == "*" {
                segments.push(Segment::Splat);
            } else if piece.len() > 1 && piece.starts_with(':') {
                segments.push(Segment::Placeholder(piece[1..].into()));
            } else if piece.len() > 1 && piece.ends_with('*') {
                // A decoded `/` inside the prefix separates segments, as it does in a request.
                let decoded = percent_decode(&piece.as_bytes()[..piece.len() - 1]);
                let mut parts: Vec<&[u8]> = decoded.split(|&b| b == b'/').collect();
                let last = parts.pop().unwrap_or_default();
                segments.extend(parts.into_iter().map(|p| Segment::Literal(p.into())));
                segments.push(Segment::PrefixSplat(last.into()));
            } else {
                let decoded = percent_decode(piece.as_bytes());
                segments.extend(decoded.split(|&b| b == b'/').map(|p| Segment::Literal(p.into())));
            }
        }
        if matches!(segments.last(), Some(Segment::Literal(l)) if l.is_empty()) {
            segments.pop();
        }
        if segments.len() > limits::MAX_PATTERN_SEGMENTS {
            return Err(Problem::TooManySegments(segments.len()));
        }
        let wildcards = segments.iter().filter(|s| s.is_wildcard()).count();
        if wildcards > limits::MAX_WILDCARDS {
            return Err(Problem::TooManyWildcards(wildcards));
        }
        // A site holds a million of these: no spare capacity.
        Ok(PathPattern { segments: segments.into_boxed_slice() })
    }

    /// True when the pattern has a splat or a prefix wildcard (SPEC §3.10 looks at this).
    pub fn has_wildcard(&self) -> bool {
        self.segments.iter().any(Segment::is_wildcard)
    }

    /// The capture names the path produces, in position order (`splat` for wildcards).
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder(name) => Some(&**name),
            Segment::Splat | Segment::PrefixSplat(_) => Some("splat"),
            Segment::Literal(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Segment {
        Segment::Literal(s.as_bytes().into())
    }

    #[test]
    fn parses_every_segment_kind() {
        let p = PathPattern::parse("/a/:tag.rss/*/x*/st*r/:/caf%C3%A9/").unwrap();
        assert_eq!(
            p.segments[..],
            [
                lit("a"),
                Segment::Placeholder("tag.rss".into()),
                Segment::Splat,
                Segment::PrefixSplat(b"x"[..].into()),
                lit("st*r"),
                lit(":"),
                lit("caf\u{e9}"),
            ]
        );
    }

    #[test]
    fn trailing_slash_and_empty_segments() {
        assert_eq!(PathPattern::parse("/").unwrap().segments[..], []);
        assert_eq!(PathPattern::parse("/a/").unwrap().segments[..], [lit("a")]);
        assert_eq!(PathPattern::parse("/a//").unwrap().segments[..], [lit("a"), lit("")]);
        assert_eq!(PathPattern::parse("//a").unwrap().segments[..], [lit(""), lit("a")]);
        assert_eq!(PathPattern::parse("/a%2Fb").unwrap().segments[..], [lit("a"), lit("b")]);
    }
}
