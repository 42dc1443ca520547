//! Hard limits on rule input, enforced with clear errors (never a panic, never silent).
//!
//! They bound the work any later stage can be asked to do: a rule that passes them compiles and
//! matches in time linear in the request.

/// Longest accepted `_redirects` line, in bytes.
pub const MAX_LINE_BYTES: usize = 16 * 1024;
/// Longest `from` or `to`, in bytes.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Most segments in one `from` path pattern.
pub const MAX_PATTERN_SEGMENTS: usize = 128;
/// Most wildcards (`*` splats and prefix wildcards) in one `from` path pattern.
pub const MAX_WILDCARDS: usize = 4;
/// Most captures (placeholders plus query captures) in one rule.
pub const MAX_CAPTURES: usize = 32;
/// Most query constraints, or values of one condition, in one rule.
pub const MAX_LIST_ITEMS: usize = 64;
/// Most rules in one site (all files together).
pub const MAX_RULES: usize = 2_000_000;
/// Largest rule file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;
/// Most diagnostics the parse of one file keeps; past them, lines with problems are only
/// counted, in one last diagnostic (a file of junk costs memory for these, not a diagnostic a
/// line).
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1_000;

/// Reads a rule file (or standard input) up to one byte past [`MAX_FILE_BYTES`]: enough for
/// the parsers to report [`crate::Problem::FileTooLarge`], without following an endless
/// source (`yes |`, a symlink to `/dev/zero`) until memory runs out.
pub fn read_limited(reader: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut text = Vec::new();
    reader.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut text)?;
    Ok(text)
}
