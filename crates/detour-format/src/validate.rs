//! Checks of an archived [`RuleSet`] beyond rkyv's structural validation: every index and range
//! points inside its array, so the runtime can never read out of bounds. Also the accessors the
//! runtime reads through.

use crate::schema::*;

/// Why a structurally valid archive is not a usable rule set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rule set: {0}")]
pub struct InvalidIndex(pub &'static str);

/// The most wildcards a pattern may have (the runtime keeps their positions on the stack).
pub const MAX_WILDCARDS: usize = 16;

/// The name of every wildcard capture.
pub const SPLAT: &[u8] = b"splat";

fn check(ok: bool, what: &'static str) -> Result<(), InvalidIndex> {
    if ok {
        Ok(())
    } else {
        Err(InvalidIndex(what))
    }
}

fn in_range(start: u32, len: u32, bound: usize) -> bool {
    (start as usize).checked_add(len as usize).is_some_and(|end| end <= bound)
}

/// The records of a span (empty if out of range, which validation rules out).
pub fn span<'a, T>(items: &'a [T], s: &ArchivedSpan) -> &'a [T] {
    slice(items, s.start.to_native(), s.len.to_native())
}

fn slice<T>(items: &[T], start: u32, len: u32) -> &[T] {
    let start = start as usize;
    items.get(start..start.saturating_add(len as usize)).unwrap_or_default()
}

impl ArchivedRuleSet {
    fn str_ok(&self, s: &ArchivedStr) -> bool {
        in_range(s.start.to_native(), s.len.to_native(), self.pool.len())
    }

    /// The bytes of a pool string (empty if out of range, which validation rules out).
    pub fn str(&self, s: &ArchivedStr) -> &[u8] {
        slice(&self.pool, s.start.to_native(), s.len.to_native())
    }

    /// A rule's `to` as written.
    pub fn to(&self, r: &ArchivedRule) -> &[u8] {
        slice(&self.pool, r.to_start.to_native(), u32::from(r.to_len.to_native()))
    }

    /// A rule's pattern segments.
    pub fn pattern(&self, r: &ArchivedRule) -> &[ArchivedPatternSegment] {
        slice(&self.segments, r.pattern.to_native(), u32::from(r.pattern_len))
    }

    /// A rule's `to` parts (empty when it has no captures).
    pub fn parts(&self, r: &ArchivedRule) -> &[ArchivedToPart] {
        slice(&self.parts, r.parts.to_native(), u32::from(r.parts_len))
    }

    /// The text of a pattern segment.
    pub fn segment_text(&self, s: &ArchivedPatternSegment) -> &[u8] {
        slice(&self.pool, s.start.to_native(), u32::from(s.len.to_native()))
    }

    /// The text of a `to` part, within the rule's `to`.
    pub fn part_text<'a>(&'a self, r: &ArchivedRule, p: &ArchivedToPart) -> &'a [u8] {
        slice(self.to(r), u32::from(p.start.to_native()), u32::from(p.len.to_native()))
    }

    /// A rule's extra record.
    pub fn extra(&self, r: &ArchivedRule) -> Option<&ArchivedExtra> {
        self.extras.get(r.extra.to_native() as usize)
    }

    /// A rule's query constraints.
    pub fn queries(&self, r: &ArchivedRule) -> &[ArchivedQueryConstraint] {
        self.extra(r).map_or(&[], |e| span(&self.queries, &e.query))
    }

    /// The name of capture `i` of a rule: the path's placeholders and wildcards by position,
    /// then the query captures; and whether it is a query capture.
    pub fn capture_name(&self, r: &ArchivedRule, i: usize) -> Option<(&[u8], bool)> {
        let mut path = self.pattern(r).iter().filter(|s| s.kind != segment_kind::LITERAL);
        let path_count = path.clone().count();
        if i < path_count {
            let s = path.nth(i)?;
            let name = if s.kind == segment_kind::PLACEHOLDER { self.segment_text(s) } else { SPLAT };
            return Some((name, false));
        }
        let q = self.queries(r).iter().filter(|q| q.capture == 1).nth(i - path_count)?;
        Some((self.str(&q.value), true))
    }

    /// How many captures a rule makes.
    pub fn capture_count(&self, r: &ArchivedRule) -> usize {
        self.pattern(r).iter().filter(|s| s.kind != segment_kind::LITERAL).count()
            + self.queries(r).iter().filter(|q| q.capture == 1).count()
    }

    /// The source file of rule `index`.
    pub fn file_of(&self, index: usize) -> &[u8] {
        let at = self.files.partition_point(|f| f.first_rule.to_native() as usize <= index);
        at.checked_sub(1).and_then(|i| self.files.get(i)).map_or(&[], |f| self.str(&f.name))
    }

    /// Checks every reference of the rule set.
    pub fn validate(&self) -> Result<(), InvalidIndex> {
        let span_ok = |s: &ArchivedSpan, bound: usize| in_range(s.start.to_native(), s.len.to_native(), bound);
        let index_ok = |i: u32, bound: usize| (i as usize) < bound;
        let opt_ok = |i: u32, bound: usize| i == NONE || (i as usize) < bound;
        let mut previous = 0;
        for f in self.files.iter() {
            check(self.str_ok(&f.name) && f.first_rule.to_native() >= previous, "file ranges")?;
            previous = f.first_rule.to_native();
        }
        for e in self.extras.iter() {
            check(span_ok(&e.query, self.queries.len()), "query constraints")?;
            for s in [&e.country, &e.language, &e.role, &e.cookie] {
                check(span_ok(s, self.values.len()), "condition values")?;
            }
            check(span_ok(&e.headers, self.headers.len()) && self.str_ok(&e.signed), "extra")?;
        }
        for s in self.segments.iter() {
            let len = u32::from(s.len.to_native());
            check(s.kind <= segment_kind::PREFIX && in_range(s.start.to_native(), len, self.pool.len()), "segment")?;
        }
        for r in self.rules.iter() {
            check(in_range(r.to_start.to_native(), u32::from(r.to_len.to_native()), self.pool.len()), "rule to")?;
            check(in_range(r.pattern.to_native(), u32::from(r.pattern_len), self.segments.len()), "rule pattern")?;
            check(in_range(r.parts.to_native(), u32::from(r.parts_len), self.parts.len()), "rule parts")?;
            check(opt_ok(r.extra.to_native(), self.extras.len()), "rule extra")?;
            let to_len = r.to_len.to_native();
            let guard_end = u32::from(r.guard_origin.to_native()) + u32::from(r.guard_prefix.to_native());
            check(guard_end <= u32::from(to_len), "rule guard")?;
            let wildcards = self
                .pattern(r)
                .iter()
                .filter(|s| s.kind == segment_kind::SPLAT || s.kind == segment_kind::PREFIX)
                .count();
            check(wildcards <= MAX_WILDCARDS, "pattern wildcards")?;
            let captures = self.capture_count(r);
            for p in self.parts(r) {
                let text_ok = u32::from(p.start.to_native()) + u32::from(p.len.to_native()) <= u32::from(to_len);
                check(p.kind <= part_kind::CAPTURE && text_ok, "to part")?;
                check(p.kind != part_kind::CAPTURE || usize::from(p.capture) < captures, "part capture")?;
            }
        }
        for q in self.queries.iter() {
            check(self.str_ok(&q.key) && self.str_ok(&q.value), "query constraint")?;
        }
        for v in self.values.iter() {
            check(self.str_ok(v), "condition value")?;
        }
        for h in self.headers.iter() {
            check(self.str_ok(&h.name) && self.str_ok(&h.value), "header")?;
        }
        let nodes = self.nodes.len();
        for n in self.nodes.iter() {
            check(opt_ok(n.placeholder.to_native(), nodes), "node placeholder")?;
            check(span_ok(&n.terminal, self.rule_ids.len()) && span_ok(&n.splat, self.rule_ids.len()), "node rules")?;
        }
        for e in self.edges.iter() {
            check(index_ok(e.parent.to_native(), nodes) && index_ok(e.child.to_native(), nodes), "edge node")?;
            check(self.str_ok(&e.label), "edge label")?;
        }
        check(self.edge_slots.len().is_power_of_two(), "edge table size")?;
        for s in self.edge_slots.iter() {
            check(s.to_native() as usize <= self.edges.len(), "edge slot")?;
        }
        for id in self.rule_ids.iter() {
            check(index_ok(id.to_native(), self.rules.len()), "rule id")?;
        }
        for h in self.hosts.iter() {
            check(self.str_ok(&h.host) && index_ok(h.root.to_native(), nodes), "host")?;
        }
        check(self.host_slots.len().is_power_of_two(), "host table size")?;
        for s in self.host_slots.iter() {
            check(s.to_native() as usize <= self.hosts.len(), "host slot")?;
        }
        check(index_ok(self.hostless_root.to_native(), nodes), "host-less root")?;
        for s in self.side.iter() {
            check(index_ok(s.rule.to_native(), self.rules.len()), "side rule")?;
            check(opt_ok(s.host.to_native(), self.hosts.len()), "side host")?;
        }
        Ok(())
    }
}
