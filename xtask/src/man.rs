//! `cargo xtask man [--out DIR]`: the `detour` man pages, written with `clap_mangen` from the
//! command line's own description (`detour_cli::cli::command`): `detour.1`, and `detour-check.1`
//! and so on for each subcommand, in `target/man/` unless `--out` says otherwise.

use std::path::Path;

/// Writes every page into `dir` (created if missing); returns the files written.
pub fn write(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let command = detour_cli::cli::command();
    clap_mangen::generate_to(command, dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .collect();
    written.sort();
    Ok(written)
}

/// The `man` task.
pub fn command(args: &[String]) -> Result<(), String> {
    let out = match args {
        [] => crate::root().join("target/man"),
        [flag, dir] if flag == "--out" => std::path::PathBuf::from(dir),
        _ => return Err("usage: cargo xtask man [--out DIR]".to_string()),
    };
    for page in write(&out)? {
        eprintln!("xtask: wrote {}", page.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_subcommand_gets_a_page_with_its_options() {
        let dir = std::env::temp_dir().join(format!("detour-man-{}", std::process::id()));
        let pages = super::write(&dir).unwrap();
        let names: Vec<String> = pages.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        for name in ["detour.1", "detour-check.1", "detour-compile.1", "detour-match.1", "detour-completions.1"] {
            assert!(names.iter().any(|n| n == name), "no {name} in {names:?}");
        }
        let main = std::fs::read_to_string(dir.join("detour.1")).unwrap();
        assert!(main.starts_with(".ie") || main.contains(".TH detour"), "{main}");
        let matching = std::fs::read_to_string(dir.join("detour-match.1")).unwrap();
        assert!(matching.contains("exit\\-code") && matching.contains("DETOUR_JWT_SECRET"), "{matching}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
