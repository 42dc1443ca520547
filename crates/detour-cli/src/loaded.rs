//! Rules or a blob, loaded for matching: what `match`, `explain` and `diff` read.

use std::path::Path;

use detour_rules::Rule;
use detour_runtime::{Blob, Matcher};

use crate::engine::RoleSettings;
use crate::{compile_cmd, load, Failure};

/// A compiled matcher, and the source rules when they were read from rule files (a blob has
/// none: its rules are described from the blob's own records).
pub struct Loaded {
    /// The compiled engine.
    pub matcher: Matcher,
    /// The valid rules, in the blob's order; `None` for a blob.
    pub rules: Option<Vec<Rule>>,
}

/// A blob is opened as is; rule files are parsed (invalid rules reported on standard error,
/// prefixed with `command`, and dropped) and compiled in memory.
pub fn load(path: &Path, roles: &RoleSettings, command: &str) -> Result<Loaded, Failure> {
    if compile_cmd::is_blob(path) {
        let blob = Blob::open(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        return Ok(Loaded { matcher: Matcher::new(blob, roles.runtime()), rules: None });
    }
    let spinner = crate::progress::Spinner::start("compiling the rules");
    let rules = load_valid_rules(path, command)?;
    let bytes = detour_compiler::compile(&rules).map_err(|e| Failure::Usage(e.to_string()))?;
    drop(spinner);
    let blob = Blob::from_bytes(&bytes).map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(Loaded { matcher: Matcher::new(blob, roles.runtime()), rules: Some(rules) })
}

/// The valid rules of rule files; each error is printed and its rule dropped.
pub fn load_valid_rules(path: &Path, command: &str) -> Result<Vec<Rule>, Failure> {
    let site = load::load_rules(&[path.to_path_buf()])?;
    let dropped = site.diagnostics.iter().filter(|d| d.is_error()).count();
    for d in site.diagnostics.iter().filter(|d| d.is_error()) {
        eprintln!("{d}");
    }
    if dropped > 0 {
        eprintln!("detour {command}: {dropped} invalid rule(s) dropped; using the {} valid one(s)", site.rules.len());
    }
    Ok(site.rules)
}
