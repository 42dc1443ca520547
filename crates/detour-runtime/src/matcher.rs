//! The matcher: candidates in rule order, each checked exactly as the linear scan would.

use detour_format::encoding::decode_into;
use detour_format::encoding::encode_rule_text;
use detour_format::{rule_flags, span, ArchivedRuleSet, NONE};

use crate::blob::Blob;
use crate::conditions::{conditions_hold, query_holds};
use crate::guard::{self, Candidate, GuardBuffers, Origin};
use crate::index::{find_host, first_at_least, key_text, probe};
use crate::outcome::{utf8, Decision, Outcome, TooLongRule};
use crate::path::{match_after_key, segments};
use crate::request::host_without_port;
use crate::scratch::HostCache;
use crate::substitute::{
    encode_by_origin, finish_target, from_parts, textual, Captures, TextBuffers, TooLong, MAX_TO_BYTES,
};
use crate::{jwt, Request, Scratch};

/// Settings of the server, never stored in the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchOptions {
    /// The site's JWT secret for Role conditions; without one no role holds.
    pub jwt_secret: Option<Vec<u8>>,
    /// Dotted path of the roles claim.
    pub role_claim: String,
    /// A fixed "now" (Unix seconds) for token expiry, for tests; `None` reads the clock.
    pub now: Option<i64>,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions { jwt_secret: None, role_claim: "app_metadata.roles".to_string(), now: None }
    }
}

/// A blob and the server's options: answers requests. `Send + Sync`; share it with an `Arc`.
pub struct Matcher {
    blob: Blob,
    options: MatchOptions,
}

fn now(options: &MatchOptions) -> i64 {
    options.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
}

impl Matcher {
    /// A matcher over a loaded blob.
    pub fn new(blob: Blob, options: MatchOptions) -> Matcher {
        Matcher { blob, options }
    }

    /// The blob.
    pub fn blob(&self) -> &Blob {
        &self.blob
    }

    /// The options.
    pub fn options(&self) -> &MatchOptions {
        &self.options
    }

    /// Finds the first rule, in order, that applies to `req` (SPEC §3). Does not allocate
    /// once `scratch` has room for the request.
    pub fn find<'a>(&'a self, req: &Request<'_>, scratch: &'a mut Scratch) -> Outcome<'a> {
        let set = self.blob.rule_set();
        let Scratch {
            decoded,
            segs,
            caps,
            capbuf,
            qbuf,
            to,
            target,
            tail,
            text,
            origin,
            text2,
            origin2,
            guard_path,
            guard_segs,
            jwt,
            host_cache,
            found,
            hashes,
        } = scratch;
        let path: &[u8] = if req.path.contains(&b'%') {
            decoded.clear();
            decode_into(req.path, false, decoded);
            decoded
        } else {
            req.path
        };
        segments(path, segs);
        let host_index =
            if set.hosts.is_empty() { None } else { cached_host(set, self.blob.header().checksum, req, host_cache) };
        let hostless = &set.hostless;
        let host_tables = host_index.and_then(|h| set.hosts.get(h as usize)).map(|h| &h.tables);
        found.clear();
        match host_tables {
            Some(tables) => probe(set, &[hostless, tables], path, segs, hashes, found),
            None => probe(set, &[hostless], path, segs, hashes, found),
        }
        let n = segs.len();
        let mut min = 0u32;
        let mut denied = false;
        let found = loop {
            // The lowest rule >= min of every list that applies: exact rules only where the
            // key covers the whole path.
            let mut best = NONE;
            let mut best_depth = 0;
            for f in found.iter() {
                let Some(entry) = set.entries.get(f.entry as usize) else { continue };
                let lists = set.entry_lists(entry);
                let skip = usize::from(f.depth as usize != n);
                for list in &lists[skip..] {
                    if let Some(id) = first_at_least(list, min).filter(|&id| id < best) {
                        best = id;
                        best_depth = f.depth as usize;
                    }
                }
            }
            if best == NONE {
                break None;
            }
            min = best + 1;
            let index = best as usize;
            let Some(rule) = set.rules.get(index) else { continue };
            let force = rule.flags & rule_flags::FORCE != 0;
            if req.asset_exists && !force {
                continue;
            }
            caps.clear();
            capbuf.clear();
            let candidate = Candidate { rule: index, key: key_text(path, segs, best_depth), depth: best_depth };
            let matched = match_after_key(set, set.shape(rule), best_depth, path, segs, |v| {
                let start = capbuf.len() as u32;
                capbuf.extend_from_slice(v);
                caps.push((start, capbuf.len() as u32));
            });
            if !matched {
                continue;
            }
            let path_captures = caps.len();
            if rule.flags & rule_flags::GUARD != 0 {
                let c = Captures { ranges: caps, bytes: capbuf, path_count: path_captures };
                let mut bufs = GuardBuffers {
                    text: TextBuffers { text, origin, text2, origin2 },
                    path: guard_path,
                    segs: guard_segs,
                };
                if guard::fires(
                    set,
                    &candidate,
                    path,
                    &Origin { scheme: req.scheme, host: host_without_port(req.host) },
                    &c,
                    path_captures,
                    &mut bufs,
                ) {
                    break None;
                }
            }
            if let Some(extra) = set.extra(rule) {
                if !query_holds(set, span(&set.queries, &extra.query), req.query, qbuf, capbuf, caps) {
                    continue;
                }
                if extra.role.len.to_native() > 0 && !self.role_holds(set, &extra.role, req, jwt) {
                    denied = true;
                    continue;
                }
                if !conditions_hold(set, extra, req) {
                    continue;
                }
            }
            break Some(index);
        };
        let Some(index) = found else {
            return if denied { Outcome::Denied } else { Outcome::NoMatch };
        };
        let rule = &set.rules[index];
        let flags = rule.flags;
        let path_count = set.path_capture_count(rule);
        let c = Captures { ranges: caps, bytes: capbuf, path_count };
        let substituted = if caps.is_empty() {
            // No captures: `to` is the target's text as written.
            to.clear();
            target.clear();
            let written = set.to(rule);
            (written.len() <= MAX_TO_BYTES)
                .then(|| {
                    to.extend_from_slice(written);
                    encode_rule_text(to, target);
                })
                .ok_or(TooLong)
        } else if flags & rule_flags::TO_SIMPLE != 0 && rule.parts_len > 0 && !c.path_value_has_colon() {
            from_parts(set, rule, set.parts(rule), &c, to, target)
        } else {
            let mut bufs = TextBuffers { text, origin, text2, origin2 };
            textual(set, rule, &c, caps.len(), &mut bufs).map(|()| {
                to.clear();
                to.extend_from_slice(bufs.text);
                encode_by_origin(bufs.text, bufs.origin, target);
            })
        };
        if substituted.is_err() {
            let (file, line) = (utf8(set.file_of(index)), rule.line.to_native());
            return Outcome::TooLong(TooLongRule { rule: index as u32, file, line });
        }
        finish_target(target, flags & rule_flags::TO_HAS_QUERY != 0, req.query, tail);
        let extra = set.extra(rule);
        Outcome::Matched(Decision {
            rule: index as u32,
            status: rule.status.to_native(),
            force: flags & rule_flags::FORCE != 0,
            negative: denied,
            to,
            target: utf8(target),
            file: utf8(set.file_of(index)),
            line: rule.line.to_native(),
            signed: extra.filter(|e| e.has_signed == 1).map(|e| utf8(set.str(&e.signed))),
            set,
            headers: extra.map_or(&[], |e| span(&set.headers, &e.headers)),
        })
    }

    fn role_holds(
        &self,
        set: &ArchivedRuleSet,
        roles: &detour_format::ArchivedSpan,
        req: &Request<'_>,
        buf: &mut Vec<u8>,
    ) -> bool {
        let (Some(secret), Some(token)) = (self.options.jwt_secret.as_deref(), req.cookies.get("nf_jwt")) else {
            return false;
        };
        let wanted = span(&set.values, roles).iter().map(|v| set.str(v));
        jwt::grants_role(token, secret, &self.options.role_claim, now(&self.options), buf, wanted)
    }
}

/// The host table index of the request's `scheme://host`, from the cache when the last request
/// of this scratch had the same raw host (port included) on the same blob.
fn cached_host(set: &ArchivedRuleSet, checksum: u64, req: &Request<'_>, cache: &mut HostCache) -> Option<u32> {
    if cache.valid
        && cache.checksum == checksum
        && cache.scheme == req.scheme.as_bytes()
        && cache.host == req.host.as_bytes()
    {
        return cache.index;
    }
    let index = find_host(set, req.scheme, host_without_port(req.host));
    // Only hosts that fit the cache's capacity are remembered, so it never allocates.
    if req.host.len() <= cache.host.capacity() && req.scheme.len() <= cache.scheme.capacity() {
        cache.host.clear();
        cache.host.extend_from_slice(req.host.as_bytes());
        cache.scheme.clear();
        cache.scheme.extend_from_slice(req.scheme.as_bytes());
        cache.checksum = checksum;
        cache.index = index;
        cache.valid = true;
    }
    index
}
