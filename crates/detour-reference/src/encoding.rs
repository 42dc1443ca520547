//! Decoding and encoding written straight from SPEC §2, §3.6 and §4, byte by byte, sharing no
//! code with the engine: short and obviously right, never fast.

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// SPEC §2: `%XX` → the byte; a malformed escape (`%`, `%4`, `%zz`) is kept as literal bytes.
/// With `plus_is_space` (form decoding, SPEC §3.6) a `+` is a space.
fn decode(input: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' && i + 2 < input.len() {
            if let (Some(high), Some(low)) = (hex_digit(input[i + 1]), hex_digit(input[i + 2])) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        if plus_is_space && input[i] == b'+' {
            out.push(b' ');
        } else {
            out.push(input[i]);
        }
        i += 1;
    }
    out
}

/// Percent-decodes a path.
pub fn percent_decode(input: &[u8]) -> Vec<u8> {
    decode(input, false)
}

/// Form-decodes a query value.
pub fn form_decode(input: &[u8]) -> Vec<u8> {
    decode(input, true)
}

fn escape(b: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("%{b:02X}").as_bytes());
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' || b == b'~'
}

/// SPEC §4: a query capture in `to`: unreserved bytes stay, a space becomes `+`, every other
/// byte `%XX`.
pub fn encode_query_capture(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in value {
        if is_unreserved(b) {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            escape(b, &mut out);
        }
    }
    out
}

/// SPEC §4: text a path capture or the splat inserted: everything but unreserved bytes, `/` and
/// the sub-delimiters `!$&'()*+,;=:@` becomes `%XX`.
pub fn encode_path_capture(b: u8, out: &mut Vec<u8>) {
    if is_unreserved(b) || b"/!$&'()*+,;=:@".contains(&b) {
        out.push(b);
    } else {
        escape(b, out);
    }
}

/// SPEC §4: text from the rule's `TO` keeps its own `?` and `#` but has controls, space,
/// non-ASCII and `"<>\^`{|}` encoded.
pub fn encode_rule_text(b: u8, out: &mut Vec<u8>) {
    let control = b < 0x20 || b == 0x7f;
    if control || b == b' ' || b >= 0x80 || b"\"<>\\^`{|}".contains(&b) {
        escape(b, out);
    } else {
        out.push(b);
    }
}

/// The request's query appended to a target: like rule text, and `#` too (docs/semantics.md O2).
pub fn encode_appended_query(b: u8, out: &mut Vec<u8>) {
    if b == b'#' {
        escape(b, out);
    } else {
        encode_rule_text(b, out);
    }
}
