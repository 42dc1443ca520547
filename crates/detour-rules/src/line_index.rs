//! Line and column lookup in a rule file: the start of every line, found once, so each lookup
//! is a binary search instead of a scan from byte 0 (which made large files quadratic).

/// The line starts of one text. Offsets, lines and columns never panic: an offset past the
/// end is the end, a line past the last is `None`.
#[derive(Debug, Clone)]
pub struct LineIndex<'t> {
    text: &'t [u8],
    /// Byte offset where each line starts; the first is 0.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text`: lines end at `\n` (a `\r` before it stays part of the line's bytes).
    pub fn new(text: &'t [u8]) -> LineIndex<'t> {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(text.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        // The number of line starts at or before `offset` is the line number.
        let line = self.starts.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX)
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    pub fn line_column(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.start_of(line).unwrap_or(0).min(offset);
        // Characters, not bytes: count every byte that does not continue a UTF-8 sequence.
        let chars = self.text.get(start..offset).unwrap_or_default().iter().filter(|&&b| b & 0xC0 != 0x80).count();
        (line, u32::try_from(chars + 1).unwrap_or(u32::MAX))
    }

    /// The bytes of 1-based `line`, without its `\n`.
    pub fn line_text(&self, line: u32) -> Option<&'t [u8]> {
        let start = self.start_of(line)?;
        let index = usize::try_from(line).ok()?;
        let end = self.starts.get(index).map_or(self.text.len(), |&next| next - 1);
        self.text.get(start..end)
    }

    /// The 1-based line as text, if it is UTF-8.
    pub fn line_str(&self, line: u32) -> Option<&'t str> {
        self.line_text(line).and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    /// How many lines the text has (a final line without `\n` counts; an empty text has one).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte offset where 1-based `line` starts.
    pub fn start_of(&self, line: u32) -> Option<usize> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        self.starts.get(index).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let index = LineIndex::new("a\nbé c\n\nlast".as_bytes());
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_of(0), 1);
        assert_eq!(index.line_of(1), 1, "the newline belongs to its line");
        assert_eq!(index.line_of(2), 2);
        assert_eq!(index.line_column(6), (2, 4), "`é` is one character of two bytes");
        assert_eq!(index.line_text(2), Some("bé c".as_bytes()));
        assert_eq!(index.line_text(3), Some(&b""[..]));
        assert_eq!(index.line_str(4), Some("last"));
        assert_eq!(index.line_text(5), None);
        assert_eq!(index.line_text(0), None);
    }

    #[test]
    fn offsets_past_the_end_and_inside_a_character_do_not_panic() {
        let text = "é\né".as_bytes();
        let index = LineIndex::new(text);
        assert_eq!(index.line_of(usize::MAX), 2);
        assert_eq!(index.line_column(1), (1, 2), "inside `é`: counted as after its first byte");
        assert_eq!(index.line_column(usize::MAX), (2, 2));
        assert_eq!(LineIndex::new(b"").line_text(1), Some(&b""[..]));
        assert_eq!(LineIndex::new(b"x\n").line_text(2), Some(&b""[..]));
    }

    #[test]
    fn agrees_with_a_scan_on_every_offset() {
        let text = "ab\n\ncé\r\nd\n".as_bytes();
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            let line = text[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            assert_eq!(index.line_of(offset) as usize, line, "offset {offset}");
        }
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        for (i, expected) in lines.iter().enumerate() {
            assert_eq!(index.line_text(i as u32 + 1), Some(*expected));
        }
    }
}
