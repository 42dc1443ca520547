//! `detour match`: one URL in human-readable form, or JSONL requests in and JSONL results out.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use crate::requests::Request;
use clap::Args;
use detour_runtime::{Matcher, Scratch};

use crate::answer::Answer;
use crate::engine::{match_compiled, match_reference, RoleSettings};
use crate::requests::RequestArgs;
use crate::{compile_cmd, loaded, requests, Engine, Failure};

#[derive(Args)]
pub struct MatchArgs {
    /// Rules (`_redirects`, `netlify.toml`, `*.json` or a site directory) or a compiled blob;
    /// `-` reads rules from standard input.
    rules: PathBuf,
    /// The URL to match, e.g. `https://example.com/blog/a?x=1` or `/blog/a`.
    #[arg(required_unless_present = "requests", conflicts_with = "requests")]
    url: Option<String>,
    /// A JSONL file of requests (`-` for standard input); one JSONL result per line.
    #[arg(long)]
    requests: Option<PathBuf>,
    /// Which matcher answers.
    #[arg(long, value_enum, default_value = "compiled")]
    engine: Engine,
    /// The request's country, language, cookies, file and JWT settings.
    #[command(flatten)]
    request: RequestArgs,
    /// Print the single result as a JSON line instead of text.
    #[arg(long)]
    json: bool,
    /// Exit 1 when a request matched no rule (a `null` result), as `git diff --exit-code` exits 1
    /// on a difference. Without it, `match` exits 0 whatever matched.
    #[arg(long)]
    exit_code: bool,
}

pub fn run(args: &MatchArgs) -> Result<(), Failure> {
    let from_stdin = |p: &PathBuf| p.as_os_str() == "-";
    if from_stdin(&args.rules) && args.requests.as_ref().is_some_and(from_stdin) {
        return Err(Failure::Usage("the rules and --requests cannot both be read from standard input".to_string()));
    }
    let roles = args.request.roles();
    let engine = load_engine(args, &roles)?;
    let mut scratch = Scratch::new();
    let config = roles.reference();
    let mut answer = |req: &Request| -> Answer {
        match &engine {
            Loaded::Compiled(m) => match_compiled(m, req, &mut scratch),
            Loaded::Reference(rules) => match_reference(rules, req, &config),
        }
    };
    let unmatched = match (&args.url, &args.requests) {
        (Some(url), _) => {
            let req = args.request.request(url)?;
            let a = answer(&req);
            let shown = if args.json { a.to_json().to_string() } else { a.to_text() };
            crate::print_line(&shown)?;
            usize::from(a == Answer::NoMatch)
        }
        (None, Some(path)) => run_jsonl(path, answer)?,
        (None, None) => return Err(Failure::Usage("give a URL or --requests FILE".to_string())),
    };
    if args.exit_code && unmatched > 0 {
        return Err(Failure::NothingMatched);
    }
    Ok(())
}

enum Loaded {
    Compiled(Matcher),
    Reference(Vec<detour_rules::Rule>),
}

/// The compiled engine from rules or a blob ([`loaded::load`]); the reference engine from rules.
fn load_engine(args: &MatchArgs, roles: &RoleSettings) -> Result<Loaded, Failure> {
    match args.engine {
        Engine::Compiled => Ok(Loaded::Compiled(loaded::load(&args.rules, roles, "match")?.matcher)),
        Engine::Reference if compile_cmd::is_blob(&args.rules) => {
            Err(Failure::Usage("--engine reference needs rule files, not a blob".to_string()))
        }
        Engine::Reference => Ok(Loaded::Reference(loaded::load_valid_rules(&args.rules, "match")?)),
    }
}

/// Reads JSONL requests and writes one result line per request, in order; returns how many
/// matched no rule. A bad request line gets an `{"error": ...}` result line (so lines stay
/// aligned) and makes the exit code 2.
fn run_jsonl(path: &PathBuf, mut answer: impl FnMut(&Request) -> Answer) -> Result<usize, Failure> {
    let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Failure::io(path, e))?))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut bad_lines = 0usize;
    let mut unmatched = 0usize;
    let mut progress = crate::progress::Replay::new(crate::progress::length_of(path));
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line.map_err(|e| Failure::io(path, e))?;
        progress.advance(line.len() as u64 + 1);
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let result = match requests::parse_request_line(&line) {
            Ok(req) => {
                let a = answer(&req);
                unmatched += usize::from(a == Answer::NoMatch);
                a.to_json()
            }
            Err(e) => {
                bad_lines += 1;
                eprintln!("detour: {}:{}: {e}", path.display(), i + 1);
                serde_json::json!({ "error": format!("line {}: {e}", i + 1) })
            }
        };
        writeln!(out, "{result}").map_err(|e| Failure::Io(format!("stdout: {e}")))?;
    }
    out.flush().map_err(|e| Failure::Io(format!("stdout: {e}")))?;
    drop(progress);
    if bad_lines > 0 {
        return Err(Failure::Usage(format!("{bad_lines} request line(s) in {} were invalid", path.display())));
    }
    Ok(unmatched)
}
