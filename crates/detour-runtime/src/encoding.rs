//! The match path's percent- and form-decoding and the encoders of `to` and `target` (SPEC §2,
//! §3.6, §4), all appending to caller-owned buffers (no allocation once they have room).
//!
//! Decoding never fails: a malformed escape (`%`, `%4`, `%zz`) is kept as literal bytes. The
//! compiler decodes rule literals with its own code (`detour-rules`), and the reference matcher
//! with its own: the differential tests compare three implementations, not one.

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `input` onto the end of `out` (no allocation when `out` has room); with
/// `plus_is_space`, `+` becomes a space (form decoding).
pub fn decode_into(input: &[u8], plus_is_space: bool, out: &mut Vec<u8>) {
    if !plus_is_space {
        out.extend(percent_encoding::percent_decode(input));
        return;
    }
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' && i + 2 < input.len() {
            if let (Some(h), Some(l)) = (hex_value(input[i + 1]), hex_value(input[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_escaped(out: &mut Vec<u8>, b: u8) {
    out.push(b'%');
    out.push(UPPER_HEX[usize::from(b >> 4)]);
    out.push(UPPER_HEX[usize::from(b & 15)]);
}

/// A set of bytes as a lookup table, built at compile time.
struct ByteClass([bool; 256]);

impl ByteClass {
    const fn new(unreserved: bool, extra: &[u8], printable_except: Option<&[u8]>) -> ByteClass {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            let alnum = c.is_ascii_alphanumeric();
            table[b] = unreserved && (alnum || c == b'-' || c == b'_' || c == b'.' || c == b'~');
            if let Some(except) = printable_except {
                let mut safe = c > 0x20 && c < 0x7f;
                let mut i = 0;
                while i < except.len() {
                    if except[i] == c {
                        safe = false;
                    }
                    i += 1;
                }
                table[b] = safe;
            }
            b += 1;
        }
        let mut i = 0;
        while i < extra.len() {
            table[extra[i] as usize] = true;
            i += 1;
        }
        ByteClass(table)
    }

    fn contains(&self, b: u8) -> bool {
        self.0[b as usize]
    }
}

const UNRESERVED: ByteClass = ByteClass::new(true, b"", None);
const RULE_TEXT_SAFE: ByteClass = ByteClass::new(false, b"", Some(b"\"<>\\^`{|}"));
const QUERY_TEXT_SAFE: ByteClass = ByteClass::new(false, b"", Some(b"\"<>\\^`{|}#"));

/// Appends `input` to `out`, copying runs of bytes that `keep` accepts and escaping the rest as
/// `%XX` (or with `special`, which may claim a byte first).
fn encode_runs(input: &[u8], out: &mut Vec<u8>, keep: impl Fn(u8) -> bool, special: impl Fn(u8) -> Option<u8>) {
    let mut rest = input;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..run]);
        let Some(&b) = rest.get(run) else { break };
        match special(b) {
            Some(replacement) => out.push(replacement),
            None => push_escaped(out, b),
        }
        rest = &rest[run + 1..];
    }
}

/// Re-encodes a query capture for `to` (SPEC §4): unreserved bytes stay, a space becomes `+`,
/// every other byte becomes `%XX`.
pub fn encode_query_capture(input: &[u8], out: &mut Vec<u8>) {
    encode_runs(input, out, |b| UNRESERVED.contains(b), |b| (b == b' ').then_some(b'+'));
}

/// Encodes text that a path capture or the splat inserted into a target (SPEC §4): everything
/// but unreserved bytes, `/` and the sub-delimiters `!$&'()*+,;=:@` becomes `%XX`.
pub fn encode_path_capture(input: &[u8], out: &mut Vec<u8>) {
    for chunk in percent_encoding::percent_encode(input, PATH_ESCAPED) {
        out.extend_from_slice(chunk.as_bytes());
    }
}

/// What [`encode_path_capture`] escapes (non-ASCII bytes always are).
const PATH_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Encodes text that comes from the rule's own `TO` (SPEC §4): it keeps `?`, `#` and `%`, but
/// controls, space, non-ASCII and `"<>\^`{|}` are encoded so nothing unsafe reaches a header.
pub fn encode_rule_text(input: &[u8], out: &mut Vec<u8>) {
    encode_runs(input, out, |b| RULE_TEXT_SAFE.contains(b), |_| None);
}

/// Encodes the request's raw query string for appending to a target: like rule text, and a `#`
/// (which cannot be part of a query) is encoded too.
pub fn encode_appended_query(input: &[u8], out: &mut Vec<u8>) {
    encode_runs(input, out, |b| QUERY_TEXT_SAFE.contains(b), |_| None);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(input: &[u8], plus_is_space: bool) -> Vec<u8> {
        let mut out = Vec::new();
        decode_into(input, plus_is_space, &mut out);
        out
    }

    #[test]
    fn malformed_escapes_stay_literal() {
        assert_eq!(decoded(b"%", false), b"%");
        assert_eq!(decoded(b"%4", false), b"%4");
        assert_eq!(decoded(b"a%zzb", false), b"a%zzb");
        assert_eq!(decoded(b"%41%2f+", false), b"A/+");
        assert_eq!(decoded(b"a+b%20c%", true), b"a b c%");
        assert_eq!(decoded(b"%4%41", true), b"%4A");
    }

    #[test]
    fn byte_classes_follow_the_spec() {
        for b in 0..=255u8 {
            let unreserved = b.is_ascii_alphanumeric() || b"-_.~".contains(&b);
            assert_eq!(UNRESERVED.contains(b), unreserved, "{b}");
            let mut path = Vec::new();
            encode_path_capture(&[b], &mut path);
            assert_eq!(path == [b], unreserved || b"/!$&'()*+,;=:@".contains(&b), "{b}");
            let text = b > 0x20 && b < 0x7f && !b"\"<>\\^`{|}".contains(&b);
            assert_eq!(RULE_TEXT_SAFE.contains(b), text, "{b}");
            assert_eq!(QUERY_TEXT_SAFE.contains(b), text && b != b'#', "{b}");
        }
    }

    #[test]
    fn encoders() {
        let mut out = Vec::new();
        encode_query_capture(b"a b/c~", &mut out);
        assert_eq!(out, b"a+b%2Fc~");
        out.clear();
        encode_path_capture(b"a?b/c d\r\n%", &mut out);
        assert_eq!(out, b"a%3Fb/c%20d%0D%0A%25");
        out.clear();
        encode_rule_text("/a b?x=1#f\u{e9}".as_bytes(), &mut out);
        assert_eq!(out, b"/a%20b?x=1#f%C3%A9");
    }
}
