//! Strings handed back to C: copied one after another into the caller's buffer, named by spans.

use crate::request::DetourSpan;
use crate::status::Error;

/// The bytes `strings` need together.
pub(crate) fn needed(strings: &[&[u8]]) -> usize {
    strings.iter().map(|s| s.len()).sum()
}

/// Copies `strings` into `out`, one after another, and returns their spans; fails, copying
/// nothing, when `out` is too small (or the total passes what a `u32` span can name).
pub(crate) fn copy_strings<const N: usize>(out: &mut [u8], strings: [&[u8]; N]) -> Result<[DetourSpan; N], Error> {
    let total = needed(&strings);
    if total > out.len() || u32::try_from(total).is_err() {
        return Err(Error::too_small(total, out.len()));
    }
    let mut at = 0usize;
    Ok(strings.map(|s| {
        let span = DetourSpan { offset: at as u32, len: s.len() as u32 };
        if let Some(dest) = out.get_mut(at..at + s.len()) {
            dest.copy_from_slice(s);
        }
        at += s.len();
        span
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_laid_out_in_order_and_a_short_buffer_is_untouched() {
        let mut out = [0u8; 8];
        let spans = copy_strings(&mut out, [b"ab", b"", b"cde"]).unwrap();
        assert_eq!(spans.map(|s| (s.offset, s.len)), [(0, 2), (2, 0), (2, 3)]);
        assert_eq!(&out[..5], b"abcde");
        let mut short = [9u8; 4];
        assert!(copy_strings(&mut short, [b"abc", b"de"]).is_err());
        assert_eq!(short, [9; 4]);
    }
}
