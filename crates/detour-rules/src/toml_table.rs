//! A fast reader for the plain shape nearly every `[[redirects]]` table has: one header, then
//! `key = value` lines and `[redirects.key]` sub-tables, with bare keys and one-line values
//! (strings without escapes, decimal integers, booleans, arrays of strings, inline tables of
//! those). Anything else (an escape, a multi-line value, a quoted or dotted key, a repeated key)
//! is `None`, and the caller parses the table with the `toml` crate: this reader never decides
//! what a document means where the two could differ, and a property test holds it to the `toml`
//! crate's answers (`structured.rs`).

use crate::structured::{Entry, Field};

/// The entries of one `[[redirects]]` section (`section` starts at its header line), with key
/// offsets from `base`; `None` when the section is not of the plain shape.
pub(crate) fn read(section: &str, base: usize) -> Option<Vec<Entry<'_>>> {
    let mut lines = Lines { text: section, at: 0 };
    let header = lines.next()?;
    let mut cursor = Cursor { text: header.text, at: 0 };
    cursor.skip_blank();
    cursor.text.get(cursor.at..)?.starts_with("[[redirects]]").then_some(())?;
    cursor.at += "[[redirects]]".len();
    cursor.end_of_line()?;
    let mut entries: Vec<Entry<'_>> = Vec::new();
    // The sub-table being filled, as an index into `entries`.
    let mut open_table: Option<usize> = None;
    for line in lines {
        let mut cursor = Cursor { text: line.text, at: 0 };
        cursor.skip_blank();
        match cursor.peek() {
            None | Some(b'#') => continue,
            Some(b'[') => {
                let (key, key_at) = sub_table_header(&mut cursor)?;
                if entries.iter().any(|e| e.key == key) {
                    return None;
                }
                entries.push(Entry { key, at: Some(base + line.at + key_at), value: Field::Table(Vec::new()) });
                open_table = Some(entries.len() - 1);
            }
            Some(_) => {
                let key_at = cursor.at;
                let key = cursor.bare_key()?;
                cursor.skip_blank();
                cursor.expect(b'=')?;
                cursor.skip_blank();
                let value = cursor.value(base + line.at, 0)?;
                cursor.end_of_line()?;
                let entry = Entry { key, at: Some(base + line.at + key_at), value };
                let table = match open_table {
                    Some(i) => match &mut entries.get_mut(i)?.value {
                        Field::Table(t) => t,
                        _ => return None,
                    },
                    None => &mut entries,
                };
                if table.iter().any(|e| e.key == key) {
                    return None;
                }
                table.push(entry);
            }
        }
    }
    Some(entries)
}

/// `[redirects.key]`: the key and its offset in the line.
fn sub_table_header<'t>(cursor: &mut Cursor<'t>) -> Option<(&'t str, usize)> {
    cursor.expect(b'[')?;
    if cursor.peek() == Some(b'[') {
        return None;
    }
    if cursor.bare_key()? != "redirects" {
        return None;
    }
    cursor.expect(b'.')?;
    let key_at = cursor.at;
    let key = cursor.bare_key()?;
    cursor.expect(b']')?;
    cursor.end_of_line()?;
    Some((key, key_at))
}

struct Line<'t> {
    text: &'t str,
    /// Offset of the line in the section.
    at: usize,
}

struct Lines<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Iterator for Lines<'t> {
    type Item = Line<'t>;

    fn next(&mut self) -> Option<Line<'t>> {
        let rest = self.text.get(self.at..).filter(|r| !r.is_empty())?;
        let len = rest.find('\n').map_or(rest.len(), |n| n + 1);
        let line = Line { text: rest.get(..len)?.trim_end_matches(['\n', '\r']), at: self.at };
        self.at += len;
        Some(line)
    }
}

struct Cursor<'t> {
    text: &'t str,
    at: usize,
}

/// How deep inline tables may nest here (deeper ones go to the `toml` crate).
const MAX_DEPTH: usize = 2;

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// Only blanks and a comment may follow a value.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_blank();
        match self.peek() {
            None => Some(()),
            Some(b'#') => self.text.get(self.at..)?.bytes().all(|b| b == b'\t' || b >= 0x20 && b != 0x7f).then_some(()),
            Some(_) => None,
        }
    }

    fn bare_key(&mut self) -> Option<&'t str> {
        let start = self.at;
        while matches!(self.peek(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')) {
            self.at += 1;
        }
        self.text.get(start..self.at).filter(|k| !k.is_empty())
    }

    /// A value; `line_base` is the line's offset in the file, for keys of inline tables.
    fn value(&mut self, line_base: usize, depth: usize) -> Option<Field<'t>> {
        match self.peek()? {
            b'"' => self.string(b'"').map(Field::Str),
            b'\'' => self.string(b'\'').map(Field::Str),
            b't' | b'f' => self.boolean().map(Field::Bool),
            b'0'..=b'9' | b'+' | b'-' => self.integer().map(Field::Int),
            b'[' => self.array(),
            b'{' if depth < MAX_DEPTH => self.inline_table(line_base, depth + 1),
            _ => None,
        }
    }

    /// A one-line string with no escape (and not `"""`/`'''`); control characters other than
    /// tab are left to the `toml` crate (they are errors there).
    fn string(&mut self, quote: u8) -> Option<&'t str> {
        self.expect(quote)?;
        let start = self.at;
        loop {
            match self.peek()? {
                b if b == quote => break,
                b'\\' => return None,
                b if b < 0x20 && b != b'\t' || b == 0x7f => return None,
                _ => self.at += 1,
            }
        }
        let text = self.text.get(start..self.at)?;
        self.at += 1;
        // `""` followed by a quote opens a multi-line string.
        if text.is_empty() && self.peek() == Some(quote) {
            return None;
        }
        Some(text)
    }

    fn boolean(&mut self) -> Option<bool> {
        let rest = self.text.get(self.at..)?;
        let (value, len) = if rest.starts_with("true") {
            (true, 4)
        } else if rest.starts_with("false") {
            (false, 5)
        } else {
            return None;
        };
        self.at += len;
        self.delimited().then_some(value)
    }

    /// A decimal integer as TOML writes one: optional sign, no leading zero, no `_`.
    fn integer(&mut self) -> Option<i64> {
        let start = self.at;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.at += 1;
        }
        let digits = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        let text = self.text.get(start..self.at)?;
        let body = self.text.get(digits..self.at)?;
        if body.is_empty() || (body.len() > 1 && body.starts_with('0')) || !self.delimited() {
            return None;
        }
        text.parse().ok()
    }

    /// True when the value just read ends here (a blank, `,`, `]`, `}`, `#` or the line's end).
    fn delimited(&self) -> bool {
        matches!(self.peek(), None | Some(b' ' | b'\t' | b',' | b']' | b'}' | b'#'))
    }

    /// `[ "a", "b" ]` on one line: strings only.
    fn array(&mut self) -> Option<Field<'t>> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            match self.peek()? {
                b']' => break,
                b'"' | b'\'' => {
                    let quote = self.peek()?;
                    items.push(Field::Str(self.string(quote)?));
                    self.skip_blank();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {}
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        self.at += 1;
        Some(Field::Array(items))
    }

    /// `{ key = value, … }` on one line, without a trailing comma.
    fn inline_table(&mut self, line_base: usize, depth: usize) -> Option<Field<'t>> {
        self.expect(b'{')?;
        let mut entries: Vec<Entry<'t>> = Vec::new();
        self.skip_blank();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(Field::Table(entries));
        }
        loop {
            self.skip_blank();
            let key_at = self.at;
            let key = self.bare_key()?;
            if entries.iter().any(|e| e.key == key) {
                return None;
            }
            self.skip_blank();
            self.expect(b'=')?;
            self.skip_blank();
            let value = self.value(line_base, depth)?;
            entries.push(Entry { key, at: Some(line_base + key_at), value });
            self.skip_blank();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => break,
                _ => return None,
            }
        }
        self.at += 1;
        Some(Field::Table(entries))
    }
}
