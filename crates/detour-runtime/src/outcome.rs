//! What a match decides.

use detour_format::{ArchivedHeaderPair, ArchivedRuleSet};

/// The decision for one request.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// No rule applies (or the loop guard refused the first rule that matched).
    NoMatch,
    /// A Role rule matched, its role check failed, and no later rule matched: answer 404.
    Denied,
    /// A rule applies.
    Matched(Decision<'a>),
    /// A rule applies, but its substituted `to` would pass 16 KiB (SPEC §4): a defined error
    /// that servers answer with `414 URI Too Long`.
    TooLong(TooLongRule<'a>),
}

/// The rule whose target would be too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLongRule<'a> {
    /// 0-based rule index.
    pub rule: u32,
    /// The rule's source file name.
    pub file: &'a str,
    /// The rule's 1-based source line.
    pub line: u32,
}

/// The rule that applies, and what it produces. Borrows from the blob and the scratch.
#[derive(Clone, Copy)]
pub struct Decision<'a> {
    /// 0-based rule index.
    pub rule: u32,
    /// HTTP status.
    pub status: u16,
    /// The rule is forced.
    pub force: bool,
    /// An earlier Role rule was denied.
    pub negative: bool,
    /// The target after substitution (decoded captures).
    pub to: &'a [u8],
    /// The wire-safe target for `Location` or a proxy request.
    pub target: &'a str,
    /// The rule's source file name.
    pub file: &'a str,
    /// The rule's 1-based source line.
    pub line: u32,
    /// The name of the signing secret's environment variable (proxy rules).
    pub signed: Option<&'a str>,
    pub(crate) set: &'a ArchivedRuleSet,
    pub(crate) headers: &'a [ArchivedHeaderPair],
}

impl<'a> Decision<'a> {
    /// Extra request headers for a proxy rule.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let set = self.set;
        self.headers.iter().map(move |h| (utf8(set.str(&h.name)), utf8(set.str(&h.value))))
    }
}

impl std::fmt::Debug for Decision<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decision")
            .field("rule", &self.rule)
            .field("status", &self.status)
            .field("force", &self.force)
            .field("negative", &self.negative)
            .field("to", &String::from_utf8_lossy(self.to))
            .field("target", &self.target)
            .field("file", &self.file)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// Text from the blob; the compiler only writes UTF-8 there.
pub(crate) fn utf8(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}
