//! The engines every conformance case runs through: the reference scan, the compiled blob in
//! memory, and the same blob written to disk and memory-mapped back.

use std::sync::atomic::{AtomicUsize, Ordering};

use detour_cli::answer::Answer;
use detour_cli::engine::{match_compiled, match_reference, RoleSettings};
use detour_rules::Rule;
use detour_runtime::{Blob, Matcher};

use super::cases::Case;

/// An engine under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The naive linear scan.
    Reference,
    /// The compiled engine, blob loaded from bytes in memory.
    Compiled,
    /// The compiled engine in the other extreme layout (every rule keyed through its
    /// placeholders, every list of two or more rules split), blob written to a file and read
    /// back (`Blob::open`; the runtime's own tests cover `Blob::map`).
    Disk,
}

/// Every engine, in the order they are run.
pub const ENGINES: [EngineKind; 3] = [EngineKind::Reference, EngineKind::Compiled, EngineKind::Disk];

/// The role settings of a case.
pub fn roles(case: &Case) -> RoleSettings {
    RoleSettings { secret: case.secret.clone(), claim: case.claim.clone() }
}

/// A blob of `rules`, loaded as `engine` says.
pub fn load(engine: EngineKind, rules: &[Rule]) -> Blob {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let options = match engine {
        EngineKind::Disk => detour_testkit::differential::layouts()[0],
        _ => detour_compiler::CompileOptions::default(),
    };
    let bytes = detour_compiler::compile_with(rules, &options).expect("compile");
    match engine {
        EngineKind::Disk => {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("detour-test-{}-{n}.detour", std::process::id()));
            std::fs::write(&path, &bytes).unwrap();
            let blob = Blob::open(&path).expect("open blob");
            std::fs::remove_file(&path).unwrap();
            blob
        }
        _ => Blob::from_bytes(&bytes).expect("load blob"),
    }
}

/// The answers of one engine to every request of a case.
pub fn answers(engine: EngineKind, rules: &[Rule], case: &Case) -> Vec<Answer> {
    let roles = roles(case);
    if engine == EngineKind::Reference {
        let config = roles.reference();
        return case.requests.iter().map(|(r, _)| match_reference(rules, &r.request, &config)).collect();
    }
    let matcher = Matcher::new(load(engine, rules), roles.runtime());
    let mut scratch = matcher.scratch();
    case.requests.iter().map(|(r, _)| match_compiled(&matcher, &r.request, &mut scratch)).collect()
}
