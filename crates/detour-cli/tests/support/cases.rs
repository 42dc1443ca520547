//! Parsing `fixtures/cases/*.cases`.

use std::path::{Path, PathBuf};

use detour_cli::answer::{Answer, Applied};
use detour_cli::requests::Request;
use detour_rules::{parse_site, Parsed, SourceKind};
use serde_json::Value;

/// The workspace's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// One case: rule files, requests and what each request must give.
#[derive(Debug, Clone)]
pub struct Case {
    pub file: String,
    pub line: usize,
    pub name: String,
    /// (file name, text), in priority order.
    pub sources: Vec<(String, String)>,
    pub secret: Option<String>,
    pub claim: Option<String>,
    pub expected_errors: usize,
    pub requests: Vec<(CaseRequest, Expect)>,
}

/// A request line of a case.
#[derive(Debug, Clone)]
pub struct CaseRequest {
    pub line: usize,
    pub url: String,
    pub request: Request,
}

impl Case {
    pub fn parse(&self) -> Parsed {
        let sources: Vec<(SourceKind, &[u8], &str)> = self
            .sources
            .iter()
            .map(|(name, text)| (SourceKind::from_path(Path::new(name)), text.as_bytes(), name.as_str()))
            .collect();
        parse_site(&sources)
    }
}

/// What a request must give.
#[derive(Debug, Clone)]
pub enum Expect {
    NoMatch,
    Denied,
    /// Target too long (SPEC §4); fields of the result line to compare (`rule`, `line`, `file`).
    TooLong(serde_json::Map<String, Value>),
    /// Fields to compare; absent ones take defaults (rule 0, not negative, target = to).
    Matched(serde_json::Map<String, Value>),
}

impl Expect {
    pub fn parse(text: &str) -> Result<Expect, String> {
        let text = text.trim();
        Ok(match text {
            "none" => Expect::NoMatch,
            "denied" => Expect::Denied,
            "too_long" => Expect::TooLong(serde_json::Map::new()),
            t if t.starts_with("{\"too_long\"") => match serde_json::from_str(t) {
                Ok(Value::Object(m)) => Expect::TooLong(m),
                _ => return Err(format!("bad expectation `{t}`")),
            },
            t if t.starts_with('{') => match serde_json::from_str(t) {
                Ok(Value::Object(m)) if m.contains_key("to") => Expect::Matched(m),
                _ => return Err(format!("bad expectation `{t}`: a JSON object with \"to\"")),
            },
            t if !t.contains(char::is_whitespace) => {
                let mut m = serde_json::Map::new();
                m.insert("to".into(), t.into());
                Expect::Matched(m)
            }
            t => return Err(format!("bad expectation `{t}`")),
        })
    }

    pub fn verify(&self, answer: &Answer) -> Result<(), String> {
        let fields = match (self, answer) {
            (Expect::NoMatch, Answer::NoMatch) | (Expect::Denied, Answer::Denied) => return Ok(()),
            (Expect::TooLong(fields), Answer::TooLong { .. }) => {
                let got = answer.to_json();
                return match fields.iter().find(|(k, v)| got.get(k.as_str()) != Some(v)) {
                    None => Ok(()),
                    Some((k, v)) => Err(format!("{k}: expected {v}, got {}", got[k.as_str()])),
                };
            }
            (Expect::Matched(fields), Answer::Matched(applied)) => (fields, applied.as_ref()),
            _ => return Err(format!("expected {self:?}, got {}", answer.to_json())),
        };
        let (fields, a): (&serde_json::Map<String, Value>, &Applied) = fields;
        let got = answer.to_json();
        let want = |key: &str, default: Value| fields.get(key).cloned().unwrap_or(default);
        let mut checks = vec![
            ("to", want("to", Value::Null)),
            ("target", want("target", fields["to"].clone())),
            ("rule", want("rule", 0.into())),
            ("negative", want("negative", false.into())),
        ];
        for key in ["status", "force", "line", "file", "headers", "signed"] {
            if let Some(v) = fields.get(key) {
                checks.push((key, v.clone()));
            }
        }
        for (key, expected) in checks {
            let actual = got.get(key).cloned().unwrap_or(Value::Null);
            if actual != expected {
                return Err(format!("{key}: expected {expected}, got {actual} (rule {} status {})", a.rule, a.status));
            }
        }
        Ok(())
    }
}

/// Every case of every file, in file order.
pub fn load_cases() -> Vec<Case> {
    let dir = fixtures().join("cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cases"))
        .collect();
    files.sort();
    files.iter().flat_map(|f| parse_file(f)).collect()
}

fn parse_file(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut cases = Vec::new();
    let mut current: Option<(Case, bool)> = None; // (case, in request section)
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if let Some(name) = line.strip_prefix("=== ") {
            cases.extend(current.take().map(|(c, _)| c));
            let case = Case {
                file: file.clone(),
                line: line_no,
                name: name.trim().to_string(),
                sources: Vec::new(),
                secret: None,
                claim: None,
                expected_errors: 0,
                requests: Vec::new(),
            };
            current = Some((case, false));
            continue;
        }
        let Some((case, in_requests)) = current.as_mut() else { continue };
        if !*in_requests {
            if line == "---" {
                *in_requests = true;
            } else if let Some(name) = line.strip_prefix("@file ") {
                case.sources.push((name.trim().to_string(), String::new()));
            } else if let Some(s) = line.strip_prefix("@secret ") {
                case.secret = Some(s.trim().to_string());
            } else if let Some(s) = line.strip_prefix("@claim ") {
                case.claim = Some(s.trim().to_string());
            } else if let Some(n) = line.strip_prefix("@errors ") {
                case.expected_errors = n.trim().parse().unwrap();
            } else {
                if case.sources.is_empty() {
                    case.sources.push(("_redirects".to_string(), String::new()));
                }
                let source = &mut case.sources.last_mut().unwrap().1;
                source.push_str(&line.replace("\\t", "\t").replace("\\r", "\r").replace("\\u{feff}", "\u{feff}"));
                source.push('\n');
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (request_text, expect_text) = trimmed
            .rsplit_once(" => ")
            .unwrap_or_else(|| panic!("{file}:{line_no}: a request line is `URL [JSON] => EXPECT`"));
        let expect = Expect::parse(expect_text).unwrap_or_else(|e| panic!("{file}:{line_no}: {e}"));
        let request = parse_request(request_text.trim(), case.secret.as_deref().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{file}:{line_no}: {e}"));
        let url = request_text.split_whitespace().next().unwrap_or("").to_string();
        case.requests.push((CaseRequest { line: line_no, url, request }, expect));
    }
    cases.extend(current.map(|(c, _)| c));
    cases
}

/// `URL [{"country": .., "language": .., "cookies": {..}, "asset_exists": .., "jwt": {..}}]`.
fn parse_request(text: &str, secret: &str) -> Result<Request, String> {
    let (url, extra) = match text.split_once(char::is_whitespace) {
        Some((u, e)) => (u, Some(e.trim())),
        None => (text, None),
    };
    let mut fields = serde_json::Map::new();
    fields.insert("url".into(), url.into());
    let mut jwt = None;
    if let Some(extra) = extra {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(extra) else {
            return Err(format!("bad request options `{extra}`"));
        };
        for (k, v) in map {
            if k == "jwt" {
                jwt = Some(v);
            } else {
                fields.insert(k, v);
            }
        }
    }
    let mut req = detour_cli::requests::parse_request_line(&Value::Object(fields).to_string())?;
    if let Some(spec) = jwt {
        req.cookies.push(("nf_jwt".to_string(), super::jwt::token(&spec, secret)));
    }
    Ok(req)
}
