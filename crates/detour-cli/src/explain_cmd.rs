//! `detour explain`: which rules could apply to one request, why each did or did not, and the
//! outcome. Every decision is the compiled engine's own ([`Matcher::verdict`] runs the candidate
//! checks of [`Matcher::find`]), so what `explain` says is what serving does.

use std::path::PathBuf;

use clap::Args;
use detour_runtime::{Matcher, Verdict};
use serde_json::{json, Value};

use crate::answer::{display_file, Answer};
use crate::engine::{cookie_pairs, match_compiled, runtime_request};
use crate::loaded::{self, Loaded};
use crate::requests::{Request, RequestArgs};
use crate::Failure;

#[derive(Args)]
pub struct ExplainArgs {
    /// Rules (`_redirects`, `netlify.toml`, `*.json` or a site directory) or a compiled blob.
    /// For a site directory, its files shadow unforced rules as under `detour serve`.
    rules: PathBuf,
    /// The URL to explain, e.g. `https://example.com/blog/a?x=1` or `/blog/a`.
    url: String,
    /// The request's country, language, cookies, file and JWT settings.
    #[command(flatten)]
    request: RequestArgs,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// One rule the request reached: the rule and the engine's verdict on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 0-based rule index.
    pub rule: usize,
    /// The rule's file (base name).
    pub file: String,
    /// The rule's 1-based line.
    pub line: u32,
    /// `from` as written; unknown for a blob.
    pub from: Option<String>,
    /// `to` as written.
    pub to: String,
    /// The rule's status.
    pub status: u16,
    /// The whole rule as a `_redirects` line (query constraints, `!`, conditions: what the
    /// verdict talks about); unknown for a blob.
    pub written: Option<String>,
    /// The engine's verdict.
    pub verdict: Verdict,
}

/// The rules a request reached, in order, up to and including the winner or the loop guard
/// that ended the search, and the engine's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The rules whose index key the request is under, in rule order.
    pub steps: Vec<Step>,
    /// What `match` answers (from [`Matcher::find`]).
    pub answer: Answer,
}

pub fn run(args: &ExplainArgs) -> Result<(), Failure> {
    let loaded = loaded::load(&args.rules, &args.request.roles(), "explain")?;
    let mut req = args.request.request(&args.url)?;
    if args.rules.is_dir() {
        req.asset_exists |= site_has_file(&args.rules, &req.path)?;
    }
    let explanation = explain(&loaded, &req);
    let shown = if args.json { explanation.to_json().to_string() } else { explanation.to_text(&args.url) };
    crate::print_line(&shown)
}

/// Whether `detour serve` of the site directory `dir` (with its default file settings) finds a
/// file at the raw request `path`, which unforced rules then yield to (SPEC §3.11): the same
/// lookup serving makes.
fn site_has_file(dir: &std::path::Path, path: &[u8]) -> Result<bool, Failure> {
    let layout = crate::serve::SiteLayout::of(dir).map_err(|e| Failure::Usage(e.to_string()))?;
    let policy = detour_http::FilePolicy { pretty_urls: true, ..Default::default() };
    let files = detour_http::StaticFiles::with_policy(layout.publish, policy);
    let mut decoded = Vec::with_capacity(path.len());
    detour_runtime::encoding::decode_into(path, false, &mut decoded);
    Ok(detour_http::AssetLookup::exists(&files, &decoded))
}

/// Puts every rule to the engine, in order, and keeps those the request is a candidate for.
/// The search stops where `find`'s does: at the first rule that applies or that the loop
/// guard refuses.
pub fn explain(loaded: &Loaded, req: &Request) -> Explanation {
    let matcher = &loaded.matcher;
    let pairs = cookie_pairs(req);
    let runtime_req = runtime_request(req, &pairs);
    let mut scratch = matcher.scratch();
    let mut steps = Vec::new();
    let count = matcher.blob().rule_set().rules.len();
    for rule in 0..count {
        let verdict = matcher.verdict(rule as u32, &runtime_req, &mut scratch);
        if verdict == Verdict::KeyDiffers {
            continue;
        }
        steps.push(step(matcher, loaded.rules.as_deref(), rule, verdict));
        if matches!(verdict, Verdict::Applies | Verdict::Guarded) {
            break;
        }
    }
    Explanation { steps, answer: match_compiled(matcher, req, &mut scratch) }
}

/// Describes rule `rule` from the blob's record (and its source rule, when there is one).
fn step(matcher: &Matcher, rules: Option<&[detour_rules::Rule]>, rule: usize, verdict: Verdict) -> Step {
    let set = matcher.blob().rule_set();
    let record = set.rules.get(rule);
    let source = rules.and_then(|r| r.get(rule));
    Step {
        rule,
        file: display_file(&String::from_utf8_lossy(set.file_of(rule))),
        line: record.map_or(0, |r| r.line.to_native()),
        from: source.map(|r| r.from.to_string()),
        to: record.map_or_else(String::new, |r| String::from_utf8_lossy(set.to(r)).into_owned()),
        status: record.map_or(0, |r| r.status.to_native()),
        written: source.map(detour_rules::Rule::to_redirects_line),
        verdict,
    }
}

/// A verdict's name in JSON, and the reason `explain` gives for it.
pub fn verdict_text(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::KeyDiffers => ("key_differs", "the host or path is not under the rule's pattern"),
        Verdict::ShadowedByAsset => ("shadowed_by_asset", "a file exists at the path and the rule is not forced"),
        Verdict::PathDiffers => ("path_differs", "the path does not fit the rule's pattern"),
        Verdict::Guarded => ("guarded", "refused by the loop guard (the target leads back here); the search ends"),
        Verdict::QueryFails => ("query_fails", "a query constraint does not hold"),
        Verdict::RoleDenied => ("role_denied", "the request's token does not grant the role; later rules are negative"),
        Verdict::ConditionsFail => ("conditions_fail", "a Country, Language or Cookie condition does not hold"),
        Verdict::Applies => ("applies", "the rule applies: the winner"),
    }
}

impl Explanation {
    /// `{"rules": [{rule, file, line, from, to, status, written, verdict, why}], "outcome": RESULT}`,
    /// the outcome being `match`'s JSONL result line.
    pub fn to_json(&self) -> Value {
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                let (verdict, why) = verdict_text(s.verdict);
                json!({
                    "rule": s.rule, "file": s.file, "line": s.line, "from": s.from, "to": s.to,
                    "status": s.status, "written": s.written, "verdict": verdict, "why": why,
                })
            })
            .collect();
        json!({ "rules": steps, "outcome": self.answer.to_json() })
    }

    /// One line per rule reached, then the outcome as `match` prints it.
    pub fn to_text(&self, url: &str) -> String {
        let mut s = format!("{url}\n");
        if self.steps.is_empty() {
            s.push_str("  no rule's pattern covers this path\n");
        }
        for step in &self.steps {
            let rule = match &step.written {
                Some(line) => line.clone(),
                None => format!("(blob) {} {}", step.to, step.status),
            };
            let (_, why) = verdict_text(step.verdict);
            s.push_str(&format!("  {}:{}  {rule}\n      {why}\n", step.file, step.line));
        }
        s.push_str(&format!("outcome: {}", self.answer.to_text()));
        s
    }
}
