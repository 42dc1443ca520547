//! Decoding of rule text at compile time (SPEC §2, §3.6): rule path literals are percent-decoded
//! and query literals form-decoded the way requests are, so both sides compare decoded bytes.
//! The runtime decodes requests with its own code; the conformance cases pin that both agree.

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn decode(input: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        let escaped = (b == b'%').then(|| Some(hex(*input.get(i + 1)?)? * 16 + hex(*input.get(i + 2)?)?)).flatten();
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(if plus_is_space && b == b'+' { b' ' } else { b });
                i += 1;
            }
        }
    }
    out
}

/// `%XX` becomes the byte; a malformed escape (`%`, `%4`, `%zz`) stays as it is.
pub fn percent_decode(input: &[u8]) -> Vec<u8> {
    decode(input, false)
}

/// Like [`percent_decode`], and `+` is a space (a query value).
pub fn form_decode(input: &[u8]) -> Vec<u8> {
    decode(input, true)
}

/// A decoded query literal written back as a `_redirects` token: unreserved bytes stay, a
/// space is `+`, anything else `%XX` (so it form-decodes to the same bytes).
pub fn encode_query_value(input: &[u8]) -> String {
    input
        .iter()
        .map(|&b| match b {
            b' ' => "+".to_string(),
            b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_a_request() {
        assert_eq!(percent_decode(b"caf%C3%A9/%zz/%4/%"), "café/%zz/%4/%".as_bytes());
        assert_eq!(form_decode(b"a+b%20c%2B"), b"a b c+");
        assert_eq!(form_decode(encode_query_value(b"a b/+\xff").as_bytes()), b"a b/+\xff");
    }
}
