//! `detour match`: one URL in human-readable form, or JSONL requests in and JSONL results out.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use detour_reference::{match_request, Request, RoleConfig};
use detour_rules::Rule;

use crate::answer::Answer;
use crate::{load, requests, Engine, Failure};

#[derive(Args)]
pub struct MatchArgs {
    /// Rules (`_redirects`, `netlify.toml`, `*.json` or a site directory).
    rules: PathBuf,
    /// The URL to match, e.g. `https://example.com/blog/a?x=1` or `/blog/a`.
    #[arg(required_unless_present = "requests", conflicts_with = "requests")]
    url: Option<String>,
    /// A JSONL file of requests (`-` for standard input); one JSONL result per line.
    #[arg(long)]
    requests: Option<PathBuf>,
    /// Which matcher answers.
    #[arg(long, value_enum, default_value = "reference")]
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
    /// Dotted path of the roles claim in the JWT.
    #[arg(long, default_value = "app_metadata.roles")]
    jwt_role_claim: String,
    /// Print the single result as a JSON line instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &MatchArgs) -> Result<(), Failure> {
    let site = load::load_rules(std::slice::from_ref(&args.rules))?;
    let dropped = site.diagnostics.iter().filter(|d| d.is_error()).count();
    for d in site.diagnostics.iter().filter(|d| d.is_error()) {
        eprintln!("{d}");
    }
    if dropped > 0 {
        eprintln!("detour match: {dropped} invalid rule(s) dropped; matching the {} valid one(s)", site.rules.len());
    }
    let roles = RoleConfig {
        secret: args.jwt_secret.as_ref().map(|s| s.as_bytes().to_vec()),
        claim_path: args.jwt_role_claim.clone(),
        ..RoleConfig::default()
    };
    let answer = |req: &Request| -> Answer {
        match args.engine {
            Engine::Reference => Answer::from_reference(match_request(&site.rules, req, &roles), &site.rules),
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
        (None, Some(path)) => run_jsonl(path, &site.rules, answer),
        (None, None) => Err(Failure::Usage("give a URL or --requests FILE".to_string())),
    }
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
fn run_jsonl(path: &PathBuf, _rules: &[Rule], answer: impl Fn(&Request) -> Answer) -> Result<(), Failure> {
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
