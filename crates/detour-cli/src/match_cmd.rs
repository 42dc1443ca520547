//! `detour match`: one URL in human-readable form, or JSONL requests in and JSONL results out.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use crate::requests::Request;
use clap::Args;
use detour_runtime::{Blob, Matcher, Scratch};

use crate::answer::Answer;
use crate::engine::{match_compiled, match_reference, RoleSettings};
use crate::{compile_cmd, load, requests, Engine, Failure};

#[derive(Args)]
pub struct MatchArgs {
    /// Rules (`_redirects`, `netlify.toml`, `*.json` or a site directory) or a compiled blob.
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
    /// The request's country code.
    #[arg(long)]
    country: Option<String>,
    /// The request's `Accept-Language`.
    #[arg(long)]
    language: Option<String>,
    /// A cookie `NAME=VALUE`; repeatable.
    #[arg(long = "cookie", value_name = "NAME=VALUE")]
    cookies: Vec<String>,
    /// A static file exists at the path: unforced rules do not apply.
    #[arg(long)]
    asset_exists: bool,
    /// The site's JWT secret, for Role conditions.
    #[arg(long)]
    jwt_secret: Option<String>,
    /// Dotted path of the roles claim in the JWT (default `app_metadata.roles`).
    #[arg(long)]
    jwt_role_claim: Option<String>,
    /// Print the single result as a JSON line instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &MatchArgs) -> Result<(), Failure> {
    let roles = RoleSettings { secret: args.jwt_secret.clone(), claim: args.jwt_role_claim.clone() };
    let engine = load_engine(args, &roles)?;
    let mut scratch = Scratch::new();
    let config = roles.reference();
    let mut answer = |req: &Request| -> Answer {
        match &engine {
            Loaded::Compiled(m) => match_compiled(m, req, &mut scratch),
            Loaded::Reference(rules) => match_reference(rules, req, &config),
        }
    };
    match (&args.url, &args.requests) {
        (Some(url), _) => {
            let req = single_request(args, url)?;
            let a = answer(&req);
            if args.json {
                println!("{}", a.to_json());
            } else {
                println!("{}", a.to_text());
            }
            Ok(())
        }
        (None, Some(path)) => run_jsonl(path, answer),
        (None, None) => Err(Failure::Usage("give a URL or --requests FILE".to_string())),
    }
}

enum Loaded {
    Compiled(Matcher),
    Reference(Vec<detour_rules::Rule>),
}

/// A blob is loaded as is; rules are parsed (invalid ones reported and dropped) and, for the
/// compiled engine, compiled in memory.
fn load_engine(args: &MatchArgs, roles: &RoleSettings) -> Result<Loaded, Failure> {
    if compile_cmd::is_blob(&args.rules) {
        if args.engine == Engine::Reference {
            return Err(Failure::Usage("--engine reference needs rule files, not a blob".to_string()));
        }
        let blob = Blob::open(&args.rules).map_err(|e| Failure::Usage(e.to_string()))?;
        return Ok(Loaded::Compiled(Matcher::new(blob, roles.runtime())));
    }
    let site = load::load_rules(std::slice::from_ref(&args.rules))?;
    let dropped = site.diagnostics.iter().filter(|d| d.is_error()).count();
    for d in site.diagnostics.iter().filter(|d| d.is_error()) {
        eprintln!("{d}");
    }
    if dropped > 0 {
        eprintln!("detour match: {dropped} invalid rule(s) dropped; matching the {} valid one(s)", site.rules.len());
    }
    Ok(match args.engine {
        Engine::Reference => Loaded::Reference(site.rules),
        Engine::Compiled => {
            let bytes = detour_compiler::compile(&site.rules).map_err(|e| Failure::Usage(e.to_string()))?;
            let blob = Blob::from_bytes(&bytes).map_err(|e| Failure::Usage(e.to_string()))?;
            Loaded::Compiled(Matcher::new(blob, roles.runtime()))
        }
    })
}

fn single_request(args: &MatchArgs, url: &str) -> Result<Request, Failure> {
    let mut req = Request::from_url(url);
    req.country = args.country.clone();
    req.language = args.language.clone();
    req.asset_exists = args.asset_exists;
    for c in &args.cookies {
        let (k, v) = c.split_once('=').ok_or_else(|| Failure::Usage(format!("--cookie `{c}`: write NAME=VALUE")))?;
        req.cookies.push((k.to_string(), v.to_string()));
    }
    Ok(req)
}

/// Reads JSONL requests and writes one result line per request, in order. A bad request line
/// gets an `{"error": ...}` result line (so lines stay aligned) and makes the exit code 2.
fn run_jsonl(path: &PathBuf, mut answer: impl FnMut(&Request) -> Answer) -> Result<(), Failure> {
    let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Failure::io(path, e))?))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut bad_lines = 0usize;
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line.map_err(|e| Failure::io(path, e))?;
        let line = String::from_utf8_lossy(&line);
        if line.trim().is_empty() {
            continue;
        }
        let result = match requests::parse_request_line(&line) {
            Ok(req) => answer(&req).to_json(),
            Err(e) => {
                bad_lines += 1;
                eprintln!("detour: {}:{}: {e}", path.display(), i + 1);
                serde_json::json!({ "error": format!("line {}: {e}", i + 1) })
            }
        };
        writeln!(out, "{result}").map_err(|e| Failure::Io(format!("stdout: {e}")))?;
    }
    out.flush().map_err(|e| Failure::Io(format!("stdout: {e}")))?;
    if bad_lines > 0 {
        return Err(Failure::Usage(format!("{bad_lines} request line(s) in {} were invalid", path.display())));
    }
    Ok(())
}
