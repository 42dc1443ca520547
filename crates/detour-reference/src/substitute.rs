//! Building `to` and `target` (SPEC §4): textual replace-all of each capture in order, then a
//! wire-safe encoding that depends on where each byte came from.

use crate::encoding::{encode_appended_query, encode_path_capture, encode_rule_text};

/// Where a byte of the substituted text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The rule's own `TO`.
    Rule,
    /// A path placeholder or the splat (decoded bytes).
    Path,
    /// A query capture (already re-encoded).
    Query,
}

/// Text with the origin of every byte.
pub type Tagged = Vec<(u8, Origin)>;

/// SPEC §4: substitution stops once `to` would be longer than this many bytes.
pub const MAX_TO_BYTES: usize = 16384;

/// Replaces every `:name` in `to` by each capture's value, one capture after the other, each
/// pass seeing the text as the previous passes left it. `None` when the text would at any point
/// be longer than [`MAX_TO_BYTES`] (*target too long*).
pub fn substitute(to: &str, captures: &[(&str, Vec<u8>, Origin)]) -> Option<Tagged> {
    let mut text: Tagged = to.bytes().map(|b| (b, Origin::Rule)).collect();
    if text.len() > MAX_TO_BYTES {
        return None;
    }
    for (name, value, origin) in captures {
        let needle: Vec<u8> = std::iter::once(b':').chain(name.bytes()).collect();
        let mut out = Vec::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            let here = text[i..].iter().map(|&(b, _)| b);
            if text.len() - i >= needle.len() && here.take(needle.len()).eq(needle.iter().copied()) {
                out.extend(value.iter().map(|&b| (b, *origin)));
                i += needle.len();
            } else {
                out.push(text[i]);
                i += 1;
            }
            if out.len() > MAX_TO_BYTES {
                return None;
            }
        }
        text = out;
    }
    Some(text)
}

/// The bytes of tagged text: the outcome's `to`.
pub fn plain(text: &Tagged) -> Vec<u8> {
    text.iter().map(|&(b, _)| b).collect()
}

/// The wire-safe target: capture text encoded for a path, rule text with controls, spaces and
/// unsafe characters encoded, the request query appended when `TO` has no `?` of its own
/// (before a `#fragment`), and leading slashes collapsed so it never becomes `//host`.
pub fn target(text: &Tagged, to_has_query: bool, request_query: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len() + request_query.len() + 1);
    for &(b, origin) in text {
        match origin {
            Origin::Path => encode_path_capture(b, &mut out),
            Origin::Rule | Origin::Query => encode_rule_text(b, &mut out),
        }
    }
    if !to_has_query && !request_query.is_empty() {
        let mut query = vec![b'?'];
        for &b in request_query {
            encode_appended_query(b, &mut query);
        }
        let at = out.iter().position(|&b| b == b'#').unwrap_or(out.len());
        out.splice(at..at, query);
    }
    let slashes = out.iter().take_while(|&&b| b == b'/' || b == b'\\').count();
    if slashes > 1 || out.first() == Some(&b'\\') {
        out.splice(..slashes, [b'/']);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(to: &str, caps: &[(&str, &str)]) -> String {
        let caps: Vec<_> = caps.iter().map(|(n, v)| (*n, v.as_bytes().to_vec(), Origin::Path)).collect();
        String::from_utf8(plain(&substitute(to, &caps).unwrap())).unwrap()
    }

    #[test]
    fn textual_replace_all_in_order() {
        assert_eq!(to("/t/:idx/:id", &[("id", "1"), ("idx", "2")]), "/t/1x/1");
        assert_eq!(to("/:splatter", &[("splat", "s")]), "/ster");
        assert_eq!(to("/target/:nope", &[]), "/target/:nope");
        assert_eq!(to("/q/:id", &[("id", ":id"), ("id", "6")]), "/q/6");
    }

    #[test]
    fn growth_stops_at_the_bound() {
        let value = ":a:b".repeat(100);
        let caps = [("a", value.as_bytes().to_vec(), Origin::Path), ("b", value.as_bytes().to_vec(), Origin::Path)];
        assert!(substitute("/:a/:b", &caps).is_none());
        let exact = "x".repeat(MAX_TO_BYTES - 1);
        assert_eq!(substitute("/:a", &[("a", exact.into_bytes(), Origin::Path)]).map(|t| t.len()), Some(MAX_TO_BYTES));
    }

    #[test]
    fn targets_are_wire_safe() {
        let t = substitute("/:splat", &[("splat", b"/evil.example".to_vec(), Origin::Path)]).unwrap();
        assert_eq!(target(&t, false, b""), "/evil.example");
        let t = substitute("/a/:splat#top", &[("splat", b"x?\r\n".to_vec(), Origin::Path)]).unwrap();
        assert_eq!(target(&t, false, b"q=1 2"), "/a/x%3F%0D%0A?q=1%202#top");
    }
}
