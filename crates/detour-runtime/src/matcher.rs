//! The matcher: candidates in rule order, each checked exactly as the linear scan would.

use crate::encoding::decode_into;
use crate::encoding::encode_rule_text;
use detour_format::{rule_flags, span, ArchivedRule, ArchivedRuleSet, NONE};

use crate::blob::Blob;
use crate::candidates::{self, Offer, SplitValues, Stream, Subject};
use crate::conditions::{conditions_hold, query_holds, RequestContext};
use crate::guard::{self, Candidate, GuardBuffers, Origin};
use crate::index::{find_host, key_text, probe, Found};
use crate::outcome::{utf8, Decision, Outcome, TooLongRule};
use crate::path::{match_after_key, segments};
use crate::request::host_without_port;
use crate::role_split::{Grant, Grants};
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

    /// A scratch sized for this blob and requests of up to 4 KiB: matching with it never
    /// allocates, whatever the blob's layout (many placeholder masks mean many key tables).
    pub fn scratch(&self) -> Scratch {
        self.scratch_for(4096)
    }

    /// A scratch sized for this blob and requests of up to `bytes` bytes (path, query, cookies).
    pub fn scratch_for(&self, bytes: usize) -> Scratch {
        let set = self.blob.rule_set();
        let host_tables = set.hosts.iter().map(|h| h.tables.len.to_native() as usize).max().unwrap_or(0);
        Scratch::for_tables(bytes, set.hostless.len.to_native() as usize + host_tables)
    }

    /// Finds the first rule, in order, that applies to `req` (SPEC §3). Does not allocate
    /// once `scratch` has room for the request ([`Matcher::scratch`] sizes one for this blob).
    pub fn find<'a>(&'a self, req: &Request<'_>, scratch: &'a mut Scratch) -> Outcome<'a> {
        let set = self.blob.rule_set();
        let path = self.locate(req, scratch);
        let path: &[u8] = match path {
            Located::Raw => req.path,
            Located::Decoded => &scratch.decoded,
        };
        let Scratch { segs, caps, capbuf, qbuf, jwt, roles, found, streams, split_value, .. } = scratch;
        candidates::prepare(set, found, segs.len(), streams);
        let subject = Subject { path, segs, req };
        let context = RequestContext::new(req);
        let mut bufs = scratch.substitution.guard();
        let mut search = Search { set, req, path, segs, caps, capbuf, qbuf, jwt, roles, token: None, context };
        let values = SplitValues { query: split_value, keys: Default::default(), roles: Default::default() };
        // Entries of one rule each (exact paths, most splats): `prepare` sorted them by that
        // rule, so they are the candidates in order, without cursors.
        let singles = found.iter().all(|f| f.lists.is_none());
        let mut frontier = Frontier { found, opened: 0, streams, subject, values, singles };
        let (applies, denied) = self.first_applying(&mut search, &mut frontier, &mut bufs);
        let Some(index) = applies else {
            return if denied { Outcome::Denied } else { Outcome::NoMatch };
        };
        let Scratch { caps, capbuf, to, target, tail, substitution, .. } = scratch;
        let mut bufs = substitution.text();
        decide(
            set,
            index,
            denied,
            req,
            Captures { ranges: caps, bytes: capbuf, path_count: 0 },
            to,
            target,
            tail,
            &mut bufs,
        )
    }

    /// Decodes the path into the scratch when it has escapes, splits it into segments, and
    /// finds the index entries of its prefixes in the host-less scope and the request host's.
    fn locate(&self, req: &Request<'_>, scratch: &mut Scratch) -> Located {
        let set = self.blob.rule_set();
        let located = if req.path.contains(&b'%') {
            scratch.decoded.clear();
            decode_into(req.path, false, &mut scratch.decoded);
            Located::Decoded
        } else {
            Located::Raw
        };
        let path: &[u8] = match located {
            Located::Raw => req.path,
            Located::Decoded => &scratch.decoded,
        };
        segments(path, &mut scratch.segs);
        let host_index = if set.hosts.is_empty() {
            None
        } else {
            cached_host(set, self.blob.header().checksum, req, &mut scratch.host_cache)
        };
        let hostless = &set.hostless;
        let host_tables = host_index.and_then(|h| set.hosts.get(h as usize)).map(|h| &h.tables);
        scratch.found.clear();
        let (segs, hashes, found) = (&scratch.segs, &mut scratch.hashes, &mut scratch.found);
        match host_tables {
            Some(tables) => probe(set, &[hostless, tables], path, segs, hashes, found),
            None => probe(set, &[hostless], path, segs, hashes, found),
        }
        located
    }

    /// The first candidate, in rule order, that applies (its captures left in `search`), and
    /// whether a Role rule was denied on the way (SPEC §3.9). The loop guard ends the search.
    fn first_applying(
        &self,
        search: &mut Search<'_, '_>,
        frontier: &mut Frontier<'_, '_>,
        bufs: &mut GuardBuffers<'_>,
    ) -> (Option<usize>, bool) {
        let set = search.set;
        let mut denied = false;
        let mut stop = None;
        while let Some((id, depth)) = self.next_candidate(search, frontier) {
            let index = id as usize;
            let Some(rule) = set.rules.get(index) else { continue };
            if search.req.asset_exists && rule.flags & rule_flags::FORCE == 0 {
                continue;
            }
            match self.try_rule(search, index, rule, depth, bufs) {
                Verdict::Applies => {
                    stop = Some((id, Some(index)));
                    break;
                }
                Verdict::Guarded => {
                    stop = Some((id, None));
                    break;
                }
                Verdict::RoleDenied => denied = true,
                _ => {}
            }
        }
        let (stop_id, applies) = stop.unwrap_or((NONE, None));
        let mut grants = search.grants(self);
        denied |= frontier.values.roles.denied_before(set, stop_id, &mut grants);
        (applies, denied)
    }

    /// The next candidate, in rule order.
    fn next_candidate(&self, search: &mut Search<'_, '_>, frontier: &mut Frontier<'_, '_>) -> Option<(u32, usize)> {
        if frontier.singles {
            return frontier.next_single();
        }
        let set = search.set;
        let (context, mut grants) = search.context_and_grants(self);
        frontier.next(set, &mut Offer { context, grants: &mut grants })
    }

    /// Checks one candidate: path (captures into `search`), loop guard, query, role, conditions.
    fn try_rule(
        &self,
        search: &mut Search<'_, '_>,
        index: usize,
        rule: &ArchivedRule,
        depth: usize,
        bufs: &mut GuardBuffers<'_>,
    ) -> Verdict {
        let set = search.set;
        let (path, segs) = (search.path, search.segs);
        search.caps.clear();
        search.capbuf.clear();
        let (caps, capbuf) = (&mut *search.caps, &mut *search.capbuf);
        let matched = match_after_key(set, set.shape(rule), depth, path, segs, |v| {
            let start = capbuf.len() as u32;
            capbuf.extend_from_slice(v);
            caps.push((start, capbuf.len() as u32));
        });
        if !matched {
            return Verdict::PathDiffers;
        }
        let path_captures = search.caps.len();
        if rule.flags & rule_flags::GUARD != 0 {
            let candidate = Candidate { rule: index, key: key_text(path, segs, depth), depth };
            let c = Captures { ranges: search.caps, bytes: search.capbuf, path_count: path_captures };
            let origin = Origin { scheme: search.req.scheme, host: host_without_port(search.req.host) };
            if guard::fires(set, &candidate, path, &origin, &c, path_captures, bufs) {
                return Verdict::Guarded;
            }
        }
        let Some(extra) = set.extra(rule) else { return Verdict::Applies };
        let query = span(&set.queries, &extra.query);
        if !query_holds(set, query, search.req.query, search.qbuf, search.capbuf, search.caps) {
            return Verdict::QueryFails;
        }
        if extra.role.len.to_native() > 0 && !self.role_holds(set, &extra.role, search) {
            return Verdict::RoleDenied;
        }
        if !conditions_hold(set, extra, &mut search.context) {
            return Verdict::ConditionsFail;
        }
        Verdict::Applies
    }

    /// How rule `rule` fares on `req`, whatever the rules before it do: the candidate checks of
    /// [`Matcher::find`], run for that one rule. Allocates nothing beyond `scratch`.
    pub fn verdict(&self, rule: u32, req: &Request<'_>, scratch: &mut Scratch) -> Verdict {
        let set = self.blob.rule_set();
        let path = match self.locate(req, scratch) {
            Located::Raw => req.path,
            Located::Decoded => &scratch.decoded,
        };
        let Scratch { segs, caps, capbuf, qbuf, jwt, roles, found, .. } = scratch;
        let n = segs.len();
        let depth = found.iter().find_map(|f| {
            let entry = set.entries.get(f.entry as usize)?;
            let lists = set.entry_lists(entry);
            let skip = usize::from(f.depth as usize != n);
            lists[skip..].iter().any(|l| l.iter().any(|id| id.to_native() == rule)).then_some(f.depth as usize)
        });
        let (Some(depth), Some(record)) = (depth, set.rules.get(rule as usize)) else { return Verdict::KeyDiffers };
        if req.asset_exists && record.flags & rule_flags::FORCE == 0 {
            return Verdict::ShadowedByAsset;
        }
        let context = RequestContext::new(req);
        let mut search = Search { set, req, path, segs, caps, capbuf, qbuf, jwt, roles, token: None, context };
        let mut bufs = scratch.substitution.guard();
        self.try_rule(&mut search, rule as usize, record, depth, &mut bufs)
    }

    /// Whether the request's token (verified once per request, its roles kept as byte ranges when
    /// they are plain strings) grants one of `roles`.
    fn role_holds(
        &self,
        set: &ArchivedRuleSet,
        roles: &detour_format::ArchivedSpan,
        search: &mut Search<'_, '_>,
    ) -> bool {
        let Some((token, plain)) = search.grants(self).verified() else { return false };
        let wanted = span(&set.values, roles).iter().map(|v| set.str(v));
        if plain {
            jwt::grants_plain(search.jwt, search.roles, wanted)
        } else {
            jwt::grants(search.jwt, token, wanted)
        }
    }
}

/// The request's token, verified on first use: what Role checks and Role splits ask.
struct TokenGrants<'g, 'r> {
    matcher: &'g Matcher,
    req: &'g Request<'r>,
    token: &'g mut Option<Option<(jwt::Verified, bool)>>,
    jwt: &'g mut Vec<u8>,
    roles: &'g mut Vec<(u32, u32)>,
}

impl TokenGrants<'_, '_> {
    /// The verified token and whether its roles are plain (in `roles`); `None` when it is
    /// missing or invalid, or the site has no secret.
    fn verified(&mut self) -> Option<(jwt::Verified, bool)> {
        let (options, req) = (&self.matcher.options, self.req);
        let (buf, roles) = (&mut *self.jwt, &mut *self.roles);
        *self.token.get_or_insert_with(|| {
            let secret = options.jwt_secret.as_deref()?;
            let token = req.cookies.get("nf_jwt")?;
            let verified = jwt::verify(token, secret, &options.role_claim, now(options), buf)?;
            let plain = jwt::plain_roles(buf, verified, roles);
            Some((verified, plain))
        })
    }
}

impl Grants for TokenGrants<'_, '_> {
    fn grant(&mut self) -> Grant<'_> {
        match self.verified() {
            None => Grant::Nothing,
            Some((_, true)) => Grant::Plain { buf: self.jwt, roles: self.roles },
            Some((_, false)) => Grant::Opaque,
        }
    }
}

/// Where the path the matcher reads is: the request's own bytes, or decoded in the scratch.
enum Located {
    Raw,
    Decoded,
}

/// Why one rule does or does not apply to a request, exactly as [`Matcher::find`] decides it
/// (it is the same code): what `detour check` and `explain` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The request's host or path is not under the rule's index key: it is never a candidate.
    KeyDiffers,
    /// A file exists at the path and the rule is not forced (SPEC §3.11).
    ShadowedByAsset,
    /// The path is under the key but does not fit the rule's pattern.
    PathDiffers,
    /// The loop guard refuses the rule for this request, and the search ends (SPEC §3.10).
    Guarded,
    /// A query constraint does not hold.
    QueryFails,
    /// The role check failed: later rules are flagged `negative` (SPEC §3.9).
    RoleDenied,
    /// A Country, Language or Cookie condition does not hold.
    ConditionsFail,
    /// The rule applies (if no earlier rule does).
    Applies,
}

/// The found entries and the cursors of the lists opened so far.
struct Frontier<'s, 'r> {
    found: &'s mut Vec<Found>,
    /// How many of `found` (in the order `prepare` sorted them) are open.
    opened: usize,
    streams: &'s mut Vec<Stream>,
    subject: Subject<'s, 'r>,
    values: SplitValues<'s>,
    /// Every found entry holds one rule.
    singles: bool,
}

impl Frontier<'_, '_> {
    /// The next candidate when every entry holds one rule: the entries in `prepare`'s order,
    /// up to the first that offers none (an exact rule under a longer path).
    fn next_single(&mut self) -> Option<(u32, usize)> {
        let f = self.found.get(self.opened).filter(|f| f.first != NONE)?;
        self.opened += 1;
        Some((f.first, f.depth as usize))
    }

    fn next(&mut self, set: &ArchivedRuleSet, offer: &mut Offer<'_, '_>) -> Option<(u32, usize)> {
        candidates::next(set, self.found, &mut self.opened, self.streams, &self.subject, offer, &mut self.values)
    }
}

/// The state of one request's search through its candidates.
struct Search<'s, 'r> {
    set: &'s ArchivedRuleSet,
    req: &'s Request<'r>,
    path: &'s [u8],
    segs: &'s [(u32, u32)],
    caps: &'s mut Vec<(u32, u32)>,
    capbuf: &'s mut Vec<u8>,
    qbuf: &'s mut Vec<u8>,
    jwt: &'s mut Vec<u8>,
    /// The granted roles as byte ranges of `jwt`.
    roles: &'s mut Vec<(u32, u32)>,
    /// The `nf_jwt` token once verified, and whether its roles are in `roles`: `Some(None)` when
    /// it is missing or invalid.
    token: Option<Option<(jwt::Verified, bool)>>,
    context: RequestContext<'s>,
}

impl<'s, 'r> Search<'s, 'r> {
    /// The token, for role checks.
    fn grants<'g>(&'g mut self, matcher: &'g Matcher) -> TokenGrants<'g, 'r> {
        self.context_and_grants(matcher).1
    }

    /// The country and language, and the token, for the splits a candidate search opens.
    fn context_and_grants<'g>(&'g mut self, matcher: &'g Matcher) -> (&'g mut RequestContext<'s>, TokenGrants<'g, 'r>) {
        let Search { req, jwt, roles, token, context, .. } = self;
        (context, TokenGrants { matcher, req, token, jwt, roles })
    }
}

/// Substitutes the applying rule's `to` (SPEC §4) and builds its outcome.
#[allow(clippy::too_many_arguments)]
fn decide<'a>(
    set: &'a ArchivedRuleSet,
    index: usize,
    denied: bool,
    req: &Request<'_>,
    captures: Captures<'_>,
    to: &'a mut Vec<u8>,
    target: &'a mut Vec<u8>,
    tail: &mut Vec<u8>,
    bufs: &mut TextBuffers<'_>,
) -> Outcome<'a> {
    let Some(rule) = set.rules.get(index) else { return Outcome::NoMatch };
    let flags = rule.flags;
    let c = Captures { path_count: set.path_capture_count(rule), ..captures };
    let substituted = if c.ranges.is_empty() {
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
        textual(set, rule, &c, c.ranges.len(), bufs).map(|()| {
            to.clear();
            to.extend_from_slice(bufs.text);
            encode_by_origin(bufs.text, bufs.origin, target);
        })
    };
    let (file, line) = (utf8(set.file_of(index)), rule.line.to_native());
    if substituted.is_err() {
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
        file,
        line,
        signed: extra.filter(|e| e.has_signed == 1).map(|e| utf8(set.str(&e.signed))),
        set,
        headers: extra.map_or(&[], |e| span(&set.headers, &e.headers)),
    })
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

#[cfg(test)]
mod tests {
    //! A few matches end to end inside the crate, so `cargo xtask miri` runs the archive reads,
    //! the index, the splits and the substitution under Miri.

    use crate::{Blob, MatchOptions, Matcher, Outcome, Request};

    #[test]
    fn matches_through_keys_splits_and_substitution() {
        let text = "/blog/* /news/:splat 301\n/a/*/x1 /one 302\n/a/*/x2 /two 302\n/a/*/x3 /three 302\n\
                    /p /us 302 Country=us\n/p /de 302 Country=de\n/p /fr 302 Country=fr\n\
                    /n/:y/:m /t/:m/:y 301\n";
        let rules = detour_rules::parse_redirects(text.as_bytes(), "_redirects").rules;
        let options = detour_compiler::CompileOptions { placeholder_bucket: 0, split_min: 2 };
        let bytes = detour_compiler::compile_with(&rules, &options).unwrap();
        let matcher = Matcher::new(Blob::from_bytes(&bytes).unwrap(), MatchOptions::default());
        let mut scratch = matcher.scratch_for(256);
        let mut to = |path: &str, country: Option<&str>| {
            let mut req = Request::new(path);
            req.country = country;
            match matcher.find(&req, &mut scratch) {
                Outcome::Matched(d) => Some(d.target.to_string()),
                _ => None,
            }
        };
        assert_eq!(to("/blog/a%3Fb?x=1", None).as_deref(), Some("/news/a%3Fb?x=1"));
        assert_eq!(to("/a/q/x2", None).as_deref(), Some("/two"));
        assert_eq!(to("/p", Some("DE")).as_deref(), Some("/de"));
        assert_eq!(to("/n/2024/05", None).as_deref(), Some("/t/05/2024"));
        assert_eq!(to("/none", None), None);
    }
}
