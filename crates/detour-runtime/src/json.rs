//! A validating JSON reader over a byte slice that never allocates: just enough to read JWT
//! claims. It accepts exactly what `serde_json` accepts (strict grammar, UTF-8 strings without
//! lone surrogates or raw control characters, finite numbers, nesting below 128), so the runtime
//! and the reference matcher agree on which tokens are well-formed.

/// Nesting at which `serde_json` gives up.
const MAX_DEPTH: usize = 128;

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Validates a whole document; returns the range of its root value.
pub fn document(b: &[u8]) -> Option<(usize, usize)> {
    let start = skip_ws(b, 0);
    let end = value_end(b, start, 0)?;
    (skip_ws(b, end) == b.len()).then_some((start, end))
}

fn literal_end(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b.get(i..i + word.len()).filter(|w| *w == word).map(|_| i + word.len())
}

/// Validates the value at `i`; returns the index just after it.
fn value_end(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => container_end(b, i, depth + 1),
        b't' => literal_end(b, i, b"true"),
        b'f' => literal_end(b, i, b"false"),
        b'n' => literal_end(b, i, b"null"),
        b'-' | b'0'..=b'9' => number_end(b, i),
        _ => None,
    }
}

fn container_end(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let object = b[i] == b'{';
    let close = if object { b'}' } else { b']' };
    let mut j = skip_ws(b, i + 1);
    if *b.get(j)? == close {
        return Some(j + 1);
    }
    loop {
        if object {
            if *b.get(j)? != b'"' {
                return None;
            }
            j = skip_ws(b, string_end(b, j)?);
            if *b.get(j)? != b':' {
                return None;
            }
            j = skip_ws(b, j + 1);
        }
        j = skip_ws(b, value_end(b, j, depth)?);
        match *b.get(j)? {
            b',' => j = skip_ws(b, j + 1),
            c if c == close => return Some(j + 1),
            _ => return None,
        }
    }
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + (d as char).to_digit(16)?;
    }
    Some(v)
}

/// Decodes one character of a string body at `i`: its UTF-8 bytes (in `out`, length returned)
/// and the index after it. `None` on anything `serde_json` rejects.
fn string_char(b: &[u8], i: usize, out: &mut [u8; 4]) -> Option<(usize, usize)> {
    let c = *b.get(i)?;
    if c < 0x20 {
        return None;
    }
    if c != b'\\' {
        let width = match c {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return None,
        };
        let bytes = b.get(i..i + width)?;
        std::str::from_utf8(bytes).ok()?;
        out[..width].copy_from_slice(bytes);
        return Some((width, i + width));
    }
    let e = *b.get(i + 1)?;
    let simple = match e {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 8,
        b'f' => 12,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => 0,
        _ => return None,
    };
    if e != b'u' {
        out[0] = simple;
        return Some((1, i + 2));
    }
    let first = hex4(b, i + 2)?;
    let (code, next) = match first {
        0xd800..=0xdbff => {
            if b.get(i + 6..i + 8)? != b"\\u" {
                return None;
            }
            let second = hex4(b, i + 8)?;
            if !(0xdc00..=0xdfff).contains(&second) {
                return None;
            }
            (0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00), i + 12)
        }
        0xdc00..=0xdfff => return None,
        c => (c, i + 6),
    };
    let ch = char::from_u32(code)?;
    Some((ch.encode_utf8(out).len(), next))
}

fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let mut buf = [0u8; 4];
    loop {
        if *b.get(j)? == b'"' {
            return Some(j + 1);
        }
        j = string_char(b, j, &mut buf)?.1;
    }
}

/// The end of the run of digits at `start`; `None` when there is none (a fraction or an
/// exponent needs at least one digit).
fn digits_end(b: &[u8], start: usize) -> Option<usize> {
    let end = start + b.get(start..)?.iter().take_while(|c| c.is_ascii_digit()).count();
    (end > start).then_some(end)
}

fn number_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if b[j] == b'-' {
        j += 1;
    }
    match *b.get(j)? {
        b'0' => j += 1,
        b'1'..=b'9' => {
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
        }
        _ => return None,
    }
    let mut integer = true;
    if b.get(j) == Some(&b'.') {
        integer = false;
        j = digits_end(b, j + 1)?;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        integer = false;
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        j = digits_end(b, j)?;
    }
    let text = std::str::from_utf8(&b[i..j]).ok()?;
    // Integers beyond 64 bits and all other numbers are floats to serde_json; infinite ones fail.
    if !(integer && (text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok()))
        && !text.parse::<f64>().ok()?.is_finite()
    {
        return None;
    }
    Some(j)
}

/// The value of the last member `key` of the object at `v` (a range from [`document`] or a
/// value of it).
pub fn get(b: &[u8], v: (usize, usize), key: &[u8]) -> Option<(usize, usize)> {
    if b.get(v.0) != Some(&b'{') {
        return None;
    }
    let mut found = None;
    let mut j = skip_ws(b, v.0 + 1);
    while b.get(j) == Some(&b'"') {
        let key_end = string_end(b, j)?;
        let k = (j, key_end);
        j = skip_ws(b, skip_ws(b, key_end) + 1);
        let end = value_end(b, j, 0)?;
        if string_eq(b, k, key) {
            found = Some((j, end));
        }
        j = skip_ws(b, end);
        if b.get(j) == Some(&b',') {
            j = skip_ws(b, j + 1);
        }
    }
    found
}

/// Calls `f` with each element of the array at `v`.
pub fn elements(b: &[u8], v: (usize, usize), mut f: impl FnMut((usize, usize))) {
    if b.get(v.0) != Some(&b'[') {
        return;
    }
    let mut j = skip_ws(b, v.0 + 1);
    while j < v.1 - 1 {
        let Some(end) = value_end(b, j, 0) else { return };
        f((j, end));
        j = skip_ws(b, end);
        if b.get(j) == Some(&b',') {
            j = skip_ws(b, j + 1);
        }
    }
}

/// True when `v` is a string whose decoded text equals `want`.
pub fn string_eq(b: &[u8], v: (usize, usize), want: &[u8]) -> bool {
    if b.get(v.0) != Some(&b'"') {
        return false;
    }
    let mut j = v.0 + 1;
    let mut k = 0;
    let mut buf = [0u8; 4];
    while j < v.1 - 1 {
        let Some((n, next)) = string_char(b, j, &mut buf) else { return false };
        if want.get(k..k + n) != Some(&buf[..n]) {
            return false;
        }
        k += n;
        j = next;
    }
    k == want.len()
}

/// True when `v` is a string.
pub fn is_string(b: &[u8], v: (usize, usize)) -> bool {
    b.get(v.0) == Some(&b'"')
}

/// The value of an integer that `serde_json` reads as `i64`: no fraction or exponent, within
/// `i64`, and not `-0` (which it reads as a float).
pub fn as_i64(b: &[u8], v: (usize, usize)) -> Option<i64> {
    let text = std::str::from_utf8(b.get(v.0..v.1)?).ok()?;
    if text.bytes().any(|c| matches!(c, b'.' | b'e' | b'E')) || text == "-0" {
        return None;
    }
    text.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_serde_json_accepts() {
        let samples: &[&[u8]] = &[
            b"{}",
            b"[]",
            b" {\"a\": [1, 2.5, -0, 1e3, true, null, \"x\\u00e9\\ud83d\\ude00\"]} ",
            b"01",
            b"1.",
            b"-",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"a\nb\"",
            b"[1,]",
            b"{\"a\":1,}",
            b"1e400",
            b"nul",
            b"\"\xff\"",
            b"123456789012345678901234567890",
            b"[[[]]]",
            b"{\"a\" 1}",
            b"\"\\x\"",
            b"",
            b"  ",
            b"{} x",
        ];
        for s in samples {
            let ours = document(s).is_some();
            let theirs = serde_json::from_slice::<serde_json::Value>(s).is_ok();
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(s));
        }
        let deep_ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let deep_bad = format!("{}{}", "[".repeat(128), "]".repeat(128));
        for s in [deep_ok, deep_bad] {
            let theirs = serde_json::from_slice::<serde_json::Value>(s.as_bytes()).is_ok();
            assert_eq!(document(s.as_bytes()).is_some(), theirs, "depth {}", s.len() / 2);
        }
    }

    #[test]
    fn reads_members() {
        let doc = br#"{"exp": 5, "a": {"b": ["x", 1, "y\u0021"]}, "exp": -7}"#;
        let root = document(doc).unwrap();
        assert_eq!(as_i64(doc, get(doc, root, b"exp").unwrap()), Some(-7));
        let list = get(doc, get(doc, root, b"a").unwrap(), b"b").unwrap();
        let mut strings = 0;
        elements(doc, list, |v| strings += usize::from(string_eq(doc, v, b"y!") || string_eq(doc, v, b"x")));
        assert_eq!(strings, 2);
    }
}
