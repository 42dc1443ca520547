//! `detour diff OLD NEW --requests LOG`: replays requests through two rule sets (or blobs) and
//! reports every request whose outcome changes, then a summary by kind. Exit 1 when anything
//! changed, so a deploy pipeline can gate on it. The log is read and the report written line by
//! line, so memory does not grow with the log.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use detour_runtime::Matcher;
use serde_json::{json, Value};

use crate::answer::Answer;
use crate::engine::{match_compiled, RoleSettings};
use crate::requests::{parse_log_line, Request};
use crate::{loaded, Failure};

#[derive(Args)]
pub struct DiffArgs {
    /// The rules deployed today: rule files, a site directory or a blob; `-` reads rules from
    /// standard input.
    old: PathBuf,
    /// The rules about to be deployed.
    new: PathBuf,
    /// Requests to replay: JSONL (SPEC §5) or an nginx/Apache common or combined access log;
    /// `-` for standard input.
    #[arg(long)]
    requests: PathBuf,
    /// The site's JWT secret, for Role conditions; or set DETOUR_JWT_SECRET, which keeps it out of
    /// the process list and the shell history.
    #[arg(long, env = "DETOUR_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// One JSON object per changed request, and a last `{"summary": ...}` line.
    #[arg(long)]
    json: bool,
}

/// How a request's outcome changed. A rewrite or proxy (status 200) counts as a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// No rule applied before; one does now.
    NewRedirect,
    /// A rule applied before; none does now (or the request is now denied or too long).
    RedirectRemoved,
    /// Both apply a rule, to different targets.
    TargetChanged,
    /// Both apply a rule, to the same target, with different statuses.
    StatusChanged,
    /// Anything else: headers, force, negative, signing, denied or too long on both sides.
    OtherChanged,
}

/// Every kind, in the summary's order.
pub const KINDS: [ChangeKind; 5] = [
    ChangeKind::NewRedirect,
    ChangeKind::RedirectRemoved,
    ChangeKind::TargetChanged,
    ChangeKind::StatusChanged,
    ChangeKind::OtherChanged,
];

impl ChangeKind {
    /// The kind's name in JSON and in the summary.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::NewRedirect => "new_redirect",
            ChangeKind::RedirectRemoved => "redirect_removed",
            ChangeKind::TargetChanged => "target_changed",
            ChangeKind::StatusChanged => "status_changed",
            ChangeKind::OtherChanged => "other_changed",
        }
    }
}

/// How the outcome changed from `old` to `new`, or `None` when the request is answered the same
/// (which rule, by file and line, answers is not part of the outcome: moving a rule is no change).
pub fn classify(old: &Answer, new: &Answer) -> Option<ChangeKind> {
    match (old, new) {
        (Answer::Matched(a), Answer::Matched(b)) => {
            if a.target != b.target {
                Some(ChangeKind::TargetChanged)
            } else if a.status != b.status {
                Some(ChangeKind::StatusChanged)
            } else {
                let same = (a.force, a.negative, &a.headers, &a.signed) == (b.force, b.negative, &b.headers, &b.signed);
                (!same).then_some(ChangeKind::OtherChanged)
            }
        }
        (Answer::Matched(_), _) => Some(ChangeKind::RedirectRemoved),
        (_, Answer::Matched(_)) => Some(ChangeKind::NewRedirect),
        (Answer::TooLong { .. }, Answer::TooLong { .. }) => None,
        (old, new) => (old != new).then_some(ChangeKind::OtherChanged),
    }
}

/// Counts of the replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Requests replayed.
    pub replayed: usize,
    /// Changed requests per kind, in [`KINDS`] order.
    pub changed: [usize; KINDS.len()],
    /// Lines that were not a request.
    pub bad_lines: usize,
}

impl Summary {
    /// Changed requests of every kind.
    pub fn total_changed(&self) -> usize {
        self.changed.iter().sum()
    }

    fn to_json(&self) -> Value {
        let kinds: serde_json::Map<String, Value> =
            KINDS.iter().zip(self.changed).map(|(k, n)| (k.name().to_string(), n.into())).collect();
        json!({ "summary": { "replayed": self.replayed, "changed": self.total_changed(), "kinds": kinds, "bad_lines": self.bad_lines } })
    }

    fn to_text(&self) -> String {
        let kinds: Vec<String> =
            KINDS.iter().zip(self.changed).filter(|(_, n)| *n > 0).map(|(k, n)| format!("{n} {}", k.name())).collect();
        let kinds = if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) };
        format!("{} request(s) replayed, {} changed{kinds}", self.replayed, self.total_changed())
    }
}

/// The two engines being compared.
pub struct Pair<'m> {
    pub old: &'m Matcher,
    pub new: &'m Matcher,
}

pub fn run(args: &DiffArgs) -> Result<(), Failure> {
    let from_stdin = [&args.old, &args.new, &args.requests].iter().filter(|p| p.as_os_str() == "-").count();
    if from_stdin > 1 {
        return Err(Failure::Usage("only one of OLD, NEW and --requests can be read from standard input".to_string()));
    }
    let roles = RoleSettings { secret: args.jwt_secret.clone(), claim: None };
    let old = loaded::load(&args.old, &roles, "diff")?.matcher;
    let new = loaded::load(&args.new, &roles, "diff")?.matcher;
    let input: Box<dyn BufRead> = if args.requests.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&args.requests).map_err(|e| Failure::io(&args.requests, e))?;
        Box::new(std::io::BufReader::new(file))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let name = args.requests.display().to_string();
    let mut progress = crate::progress::Replay::new(crate::progress::length_of(&args.requests));
    let summary = replay_shown(Pair { old: &old, new: &new }, input, &name, &mut out, args.json, &mut progress)?;
    drop(progress);
    let last = if args.json { summary.to_json().to_string() } else { summary.to_text() };
    writeln!(out, "{last}").and_then(|()| out.flush()).map_err(|e| Failure::Io(format!("stdout: {e}")))?;
    if summary.bad_lines > 0 {
        return Err(Failure::Usage(format!("{} line(s) in {name} were not requests", summary.bad_lines)));
    }
    if summary.total_changed() > 0 {
        return Err(Failure::OutcomesChanged);
    }
    Ok(())
}

/// Replays every request of `input` through both engines, writing each change to `out`.
pub fn replay(
    pair: Pair<'_>,
    input: impl BufRead,
    name: &str,
    out: &mut impl Write,
    json: bool,
) -> Result<Summary, Failure> {
    let mut hidden = crate::progress::Replay::with(None, false, crate::progress::DELAY);
    replay_shown(pair, input, name, out, json, &mut hidden)
}

/// [`replay`], advancing `progress` by each line read.
fn replay_shown(
    pair: Pair<'_>,
    input: impl BufRead,
    name: &str,
    out: &mut impl Write,
    json: bool,
    progress: &mut crate::progress::Replay,
) -> Result<Summary, Failure> {
    let (mut old_scratch, mut new_scratch) = (pair.old.scratch(), pair.new.scratch());
    let mut summary = Summary::default();
    let write_err = |e: std::io::Error| Failure::Io(format!("stdout: {e}"));
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line.map_err(|e| Failure::Io(format!("{name}: {e}")))?;
        progress.advance(line.len() as u64 + 1);
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let req = match parse_log_line(&line) {
            Ok(req) => req,
            Err(e) => {
                summary.bad_lines += 1;
                eprintln!("detour: {name}:{}: {e}", i + 1);
                continue;
            }
        };
        summary.replayed += 1;
        let old = match_compiled(pair.old, &req, &mut old_scratch);
        let new = match_compiled(pair.new, &req, &mut new_scratch);
        let Some(kind) = classify(&old, &new) else { continue };
        summary.changed[KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len() - 1)] += 1;
        let change = Change { line: i + 1, request: &req, kind, old: &old, new: &new };
        let shown = if json { change.to_json().to_string() } else { change.to_text(name) };
        writeln!(out, "{shown}").map_err(write_err)?;
    }
    Ok(summary)
}

/// One request whose outcome changed.
struct Change<'a> {
    line: usize,
    request: &'a Request,
    kind: ChangeKind,
    old: &'a Answer,
    new: &'a Answer,
}

impl Change<'_> {
    fn url(&self) -> String {
        let r = self.request;
        let path = String::from_utf8_lossy(&r.path);
        let query = String::from_utf8_lossy(&r.query);
        let host = if r.host.is_empty() { String::new() } else { format!("{}://{}", r.scheme, r.host) };
        if query.is_empty() {
            format!("{host}{path}")
        } else {
            format!("{host}{path}?{query}")
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "line": self.line, "url": self.url(), "kind": self.kind.name(),
            "old": self.old.to_json(), "new": self.new.to_json(),
        })
    }

    fn to_text(&self, name: &str) -> String {
        format!(
            "{name}:{} {}: {}\n  old: {}\n  new: {}",
            self.line,
            self.url(),
            self.kind.name(),
            brief(self.old),
            brief(self.new)
        )
    }
}

/// An answer on one line, with the rule's file and line.
fn brief(answer: &Answer) -> String {
    match answer {
        Answer::NoMatch => "no rule applies".to_string(),
        Answer::Denied => "404 (role denied)".to_string(),
        Answer::TooLong { file, line, .. } => format!("414 target too long ({file}:{line})"),
        Answer::Matched(a) => format!("{} {} ({}:{})", a.status, a.target, a.file, a.line),
    }
}
