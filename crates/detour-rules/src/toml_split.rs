//! Splitting a `netlify.toml` at its top-level `[[redirects]]` headers, without parsing it, so
//! each rule table can be parsed on its own: the `toml` crate lexes a whole document into one
//! token vector before building anything, and on a 100k-rule file that costs twice the rules.
//!
//! The split only finds where tables start; the `toml` crate still parses every byte. Where the
//! split could change what the document means (a `redirects` key written any other way, a
//! `[redirects.x]` table away from its `[[redirects]]`), there is no split and the caller parses
//! the document whole.

/// A document cut at its top-level table headers.
#[derive(Debug, PartialEq, Eq)]
pub struct TomlSplit<'t> {
    /// Each `[[redirects]]` table with the `[redirects.*]` tables that follow it, and the byte
    /// offset it starts at.
    pub tables: Vec<(usize, &'t str)>,
    /// Everything else, in order: what precedes the first header and every other table. Line
    /// numbers in it are not the document's; it is parsed only to find errors.
    pub rest: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    /// `[[redirects]]`
    Redirects,
    /// `[redirects.something]`: a table of the last `[[redirects]]` element.
    RedirectsPart,
    /// Any table that is not about redirects.
    Other,
}

/// Where the scanner is between lines: only multi-line strings carry over a line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Inside `"""…"""`.
    MultiBasic,
    /// Inside `'''…'''`.
    MultiLiteral,
}

/// Splits `text`, or `None` when it has no `[[redirects]]` header or a shape the split could
/// change the meaning of.
pub fn split(text: &str) -> Option<TomlSplit<'_>> {
    let headers = top_level_headers(text)?;
    if !headers.iter().any(|&(_, h)| h == Header::Redirects) {
        return None;
    }
    let mut split = TomlSplit { tables: Vec::new(), rest: String::new() };
    let first = headers.first().map_or(text.len(), |&(at, _)| at);
    split.rest.push_str(text.get(..first)?);
    let mut last = None;
    for (i, &(start, header)) in headers.iter().enumerate() {
        let end = headers.get(i + 1).map_or(text.len(), |&(at, _)| at);
        let section = text.get(start..end)?;
        match header {
            Header::Redirects => split.tables.push((start, section)),
            // Contiguous with its table (a table of the last element is fine only right after it).
            Header::RedirectsPart if last == Some(Header::Redirects) => {
                let (table_start, _) = split.tables.last()?;
                split.tables.last_mut()?.1 = text.get(*table_start..end)?;
            }
            Header::RedirectsPart => return None,
            Header::Other => split.rest.push_str(section),
        }
        if header != Header::RedirectsPart {
            last = Some(header);
        }
    }
    Some(split)
}

/// The byte offset of every top-level table header line, classified; `None` when a header names
/// `redirects` in a form the split does not handle.
fn top_level_headers(text: &str) -> Option<Vec<(usize, Header)>> {
    let mut headers = Vec::new();
    let (mut mode, mut depth) = (Mode::Normal, 0usize);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if mode == Mode::Normal && depth == 0 && trimmed.starts_with('[') {
            headers.push((offset, classify(trimmed)?));
        } else {
            (mode, depth) = scan_line(line.as_bytes(), mode, depth);
        }
        offset += line.len();
    }
    Some(headers)
}

/// What a header line opens.
fn classify(line: &str) -> Option<Header> {
    let header = line.split('#').next().unwrap_or_default().trim_end();
    if header == "[[redirects]]" {
        Some(Header::Redirects)
    } else if header.starts_with("[redirects.") && !header.contains('"') && !header.contains('\'') {
        Some(Header::RedirectsPart)
    } else if header.contains("redirects") {
        None
    } else {
        Some(Header::Other)
    }
}

/// Follows strings, comments and brackets through one line of values.
fn scan_line(line: &[u8], mut mode: Mode, mut depth: usize) -> (Mode, usize) {
    let mut i = 0;
    while i < line.len() {
        match mode {
            Mode::MultiBasic => match line.get(i..i + 3) {
                _ if line[i] == b'\\' => i += 2,
                Some(b"\"\"\"") => (mode, i) = (Mode::Normal, skip_quotes(line, i + 3, b'"')),
                _ => i += 1,
            },
            Mode::MultiLiteral => match line.get(i..i + 3) {
                Some(b"'''") => (mode, i) = (Mode::Normal, skip_quotes(line, i + 3, b'\'')),
                _ => i += 1,
            },
            Mode::Normal => match line[i] {
                b'#' => break,
                b'"' if line.get(i..i + 3) == Some(b"\"\"\"") => (mode, i) = (Mode::MultiBasic, i + 3),
                b'\'' if line.get(i..i + 3) == Some(b"'''") => (mode, i) = (Mode::MultiLiteral, i + 3),
                b'"' => i = end_of_string(line, i + 1, b'"', true),
                b'\'' => i = end_of_string(line, i + 1, b'\'', false),
                b'[' | b'{' => (depth, i) = (depth + 1, i + 1),
                b']' | b'}' => (depth, i) = (depth.saturating_sub(1), i + 1),
                _ => i += 1,
            },
        }
    }
    (mode, depth)
}

/// A multi-line string may end with up to two more quotes than its delimiter (`""""` ends
/// with one quote in the string).
fn skip_quotes(line: &[u8], mut i: usize, quote: u8) -> usize {
    for _ in 0..2 {
        if line.get(i) == Some(&quote) {
            i += 1;
        }
    }
    i
}

/// The index after the quote that closes a one-line string opened before `i`.
fn end_of_string(line: &[u8], mut i: usize, quote: u8, escapes: bool) -> usize {
    while i < line.len() {
        match line[i] {
            b'\\' if escapes => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_rest() {
        let text = "a = 1\n[[redirects]]\nfrom = \"/a\"\n[redirects.conditions]\nRole = [\"x\"]\n[build]\npublish = \"d\"\n[[redirects]]\nfrom = \"/b\"\n";
        let s = split(text).unwrap();
        assert_eq!(s.tables.len(), 2);
        assert_eq!(s.tables[0].1, "[[redirects]]\nfrom = \"/a\"\n[redirects.conditions]\nRole = [\"x\"]\n");
        assert_eq!(&text[s.tables[1].0..], "[[redirects]]\nfrom = \"/b\"\n");
        assert_eq!(s.rest, "a = 1\n[build]\npublish = \"d\"\n");
    }

    #[test]
    fn headers_inside_strings_and_arrays_are_not_headers() {
        let text =
            "x = \"\"\"\n[[redirects]]\n\"\"\"\ny = [\n[1],\n]\nz = '''\n[build]'''\n[[redirects]]\nfrom = \"/a\"\n";
        let s = split(text).unwrap();
        assert_eq!(s.tables.len(), 1);
        assert!(s.rest.starts_with("x = \"\"\"\n[[redirects]]"));
    }

    #[test]
    fn shapes_the_split_leaves_to_the_whole_parse() {
        assert_eq!(split("[[ redirects ]]\nfrom = \"/a\"\n"), None);
        assert_eq!(split("[redirects.x]\n[[redirects]]\n"), None);
        assert_eq!(split("[[redirects]]\n[build]\n[redirects.conditions]\n"), None);
        assert_eq!(split("[build]\nx = 1\n"), None, "no [[redirects]]");
    }
}
