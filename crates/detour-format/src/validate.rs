//! Checks of an archived [`RuleSet`] beyond rkyv's structural validation: every index and range
//! points inside its array, so the runtime can never read out of bounds.

use crate::schema::*;

/// Why a structurally valid archive is not a usable rule set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rule set: {0}")]
pub struct InvalidIndex(pub &'static str);

/// The most wildcards a pattern may have (the runtime keeps their positions on the stack).
pub const MAX_WILDCARDS: usize = 16;

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

impl ArchivedRuleSet {
    fn str_ok(&self, s: &ArchivedStr) -> bool {
        in_range(s.start.to_native(), s.len.to_native(), self.pool.len())
    }

    /// Checks every reference of the rule set.
    pub fn validate(&self) -> Result<(), InvalidIndex> {
        let span_ok = |s: &ArchivedSpan, bound: usize| in_range(s.start.to_native(), s.len.to_native(), bound);
        let index_ok = |i: u32, bound: usize| (i as usize) < bound;
        let opt_ok = |i: u32, bound: usize| i == NONE || (i as usize) < bound;
        for f in self.files.iter() {
            check(self.str_ok(f), "file name")?;
        }
        for r in self.rules.iter() {
            check(index_ok(r.file.to_native(), self.files.len()), "rule file")?;
            check(self.str_ok(&r.to), "rule to")?;
            check(span_ok(&r.parts, self.parts.len()), "rule parts")?;
            check(span_ok(&r.pattern, self.segments.len()), "rule pattern")?;
            check(span_ok(&r.captures, self.captures.len()), "rule captures")?;
            check(span_ok(&r.query, self.queries.len()), "rule query")?;
            check(opt_ok(r.extra.to_native(), self.extras.len()), "rule extra")?;
            check(opt_ok(r.guard.to_native(), self.guards.len()), "rule guard")?;
            let (ps, pl) = (r.parts.start.to_native() as usize, r.parts.len.to_native() as usize);
            let captures = r.captures.len.to_native();
            for p in &self.parts[ps..ps + pl] {
                check(p.kind != part_kind::CAPTURE || p.capture.to_native() < captures, "part capture")?;
            }
            let (ss, sl) = (r.pattern.start.to_native() as usize, r.pattern.len.to_native() as usize);
            let wildcards = self.segments[ss..ss + sl]
                .iter()
                .filter(|s| s.kind == segment_kind::SPLAT || s.kind == segment_kind::PREFIX)
                .count();
            check(wildcards <= MAX_WILDCARDS, "pattern wildcards")?;
        }
        for s in self.segments.iter() {
            check(s.kind <= segment_kind::PREFIX && self.str_ok(&s.text), "pattern segment")?;
        }
        for p in self.parts.iter() {
            check(p.kind <= part_kind::CAPTURE && self.str_ok(&p.text), "to part")?;
        }
        for c in self.captures.iter() {
            check(self.str_ok(&c.name), "capture name")?;
        }
        for q in self.queries.iter() {
            check(self.str_ok(&q.key) && self.str_ok(&q.value), "query constraint")?;
        }
        for e in self.extras.iter() {
            for s in [&e.country, &e.language, &e.role, &e.cookie] {
                check(span_ok(s, self.values.len()), "condition values")?;
            }
            check(span_ok(&e.headers, self.headers.len()) && self.str_ok(&e.signed), "extra")?;
        }
        for v in self.values.iter() {
            check(self.str_ok(v), "condition value")?;
        }
        for h in self.headers.iter() {
            check(self.str_ok(&h.name) && self.str_ok(&h.value), "header")?;
        }
        for g in self.guards.iter() {
            check(self.str_ok(&g.prefix) && self.str_ok(&g.origin), "guard")?;
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

    /// The bytes of a pool string (empty if out of range, which validation rules out).
    pub fn str(&self, s: &ArchivedStr) -> &[u8] {
        let start = s.start.to_native() as usize;
        self.pool.get(start..start.saturating_add(s.len.to_native() as usize)).unwrap_or_default()
    }
}

/// The records of a span (empty if out of range, which validation rules out).
pub fn span<'a, T>(items: &'a [T], s: &ArchivedSpan) -> &'a [T] {
    let start = s.start.to_native() as usize;
    items.get(start..start.saturating_add(s.len.to_native() as usize)).unwrap_or_default()
}
